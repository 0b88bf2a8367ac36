"""The demo set-up's long steps, announced as each starts and reported with its counts and time as it ends.

`set_up_demo` runs for half a minute or more on a fresh database (generating or importing, the loyalty
backfill, the nightly pass), and building the recommender adds more before the demo serves. `Steps` is
silent; `aisle demo` hands over one that prints (server/demo/cli.py), so no stretch of the set-up is
silent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

# Called by a step with the sentence that says what it did ("Loyalty: applied 17539 transactions ...").
Done = Callable[[str], None]


class Steps:
    """Where the set-up reports its steps; this one says nothing."""

    @contextmanager
    def step(self, doing: str, *, live: bool = True) -> Iterator[Done]:
        """Run one step: `doing` names it as it starts, the `Done` it yields records what it did.

        `live`: the step may show a spinner of its own (False for a step that draws its own progress bar).
        """
        yield _ignore


def _ignore(_text: str) -> None:
    return None


def added_text(added: dict[str, int]) -> str:
    """'4 stores, 300 products, ...' from a {kind: count} of rows added."""
    return ", ".join(f"{count} {kind}" for kind, count in added.items())
