"""How many CPU threads one search or one encoding may use.

faiss (OpenMP) and torch default to every core. A batch evaluation gains from that; a server answering
one query per request loses: its parallelism comes from concurrent requests, and OpenMP threads that
wait for a core held by another request make a short search many times longer. The server sets 1.
"""

from __future__ import annotations

import faiss


def use_threads(n: int) -> None:
    """Let each faiss search and each torch encoding in this process use at most `n` threads."""
    if n < 1:
        raise ValueError(f"threads must be at least 1, got {n}")
    faiss.omp_set_num_threads(n)
    import torch  # imported here: setting faiss threads alone must not pay for loading torch

    torch.set_num_threads(n)


def search_threads() -> int:
    """The number of threads a faiss search may use now."""
    return int(faiss.omp_get_max_threads())
