"""The text encoder: the real bundled model, offline, with a disk cache that spares repeat work."""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import models.encoder as encoder_module
from models.encoder import EmbeddingCache, EncoderError, TextEncoder, text_key

TEXTS = ["white metal lantern", "metal lantern white", "chocolate cake", "白色金属灯笼", "巧克力蛋糕"]


@pytest.fixture(scope="module")
def loaded() -> TextEncoder:
    """The bundled model, loaded once for the module (no cache)."""
    encoder = TextEncoder(cache_dir=None)
    encoder.encode(["warm up"])
    return encoder


def counting(encoder: TextEncoder, calls: list[list[str]]) -> None:
    """Record every batch of texts that reaches the model itself."""
    model = encoder._load()
    original: Callable[..., Any] = model.encode

    def encode(texts: list[str], **kwargs: Any) -> Any:
        calls.append(list(texts))
        return original(texts, **kwargs)

    model.encode = encode


def test_real_model_vectors(loaded: TextEncoder) -> None:
    vectors = loaded.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), 384)
    assert loaded.dimensions == 384
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    same_words = float(vectors[0] @ vectors[1])
    other = float(vectors[0] @ vectors[2])
    assert same_words > other
    assert same_words > 0.9
    assert not np.allclose(vectors[3], vectors[4])  # Chinese texts get distinct vectors too
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_second_call_skips_the_model(loaded: TextEncoder, tmp_path: Path) -> None:
    encoder = TextEncoder(cache_dir=tmp_path / "cache")
    encoder._model = loaded._model  # share the loaded weights; count calls on a wrapper
    calls: list[list[str]] = []
    counting(encoder, calls)
    first = encoder.encode(TEXTS)
    assert len(calls) == 1 and sorted(calls[0]) == sorted(TEXTS)
    again = encoder.encode(TEXTS)
    assert len(calls) == 1
    np.testing.assert_array_equal(first, again)
    mixed = encoder.encode(["chocolate cake", "red retrospot jumbo bag", "chocolate cake"])
    assert calls[1] == ["red retrospot jumbo bag"]  # only the new text, once
    np.testing.assert_array_equal(mixed[0], first[2])
    np.testing.assert_array_equal(mixed[0], mixed[2])
    np.testing.assert_allclose(first, loaded.encode(TEXTS), atol=1e-6)


def test_cache_outlives_the_process(loaded: TextEncoder, tmp_path: Path) -> None:
    writer = TextEncoder(cache_dir=tmp_path)
    writer._model = loaded._model
    written = writer.encode(TEXTS[:3])
    reader = TextEncoder(cache_dir=tmp_path)  # a fresh encoder, as in another process
    np.testing.assert_array_equal(reader.encode(TEXTS[:3]), written)
    assert reader._model is None  # everything came from disk: the model was never loaded


def test_cache_keys_depend_on_the_model(tmp_path: Path) -> None:
    assert text_key("model-a", "lantern") != text_key("model-b", "lantern")
    assert TextEncoder().model_id != TextEncoder(model_path=tmp_path).model_id


def test_uncached_call_and_empty_input(loaded: TextEncoder, tmp_path: Path) -> None:
    encoder = TextEncoder(cache_dir=tmp_path)
    encoder._model = loaded._model
    assert encoder.encode(["lantern"], cache=False).shape == (1, 384)
    assert not list(tmp_path.iterdir())
    assert encoder.encode([]).shape == (0, 384)


def test_missing_model_folder_is_a_clear_error(tmp_path: Path) -> None:
    encoder = TextEncoder(model_path=tmp_path / "no-such-model", cache_dir=None)
    with pytest.raises(EncoderError, match="no-such-model"):
        encoder.encode(["lantern"])
    with pytest.raises(ValueError):
        TextEncoder(batch_size=0)


class FakeModel:
    """Stands in for the sentence-transformers model: a unit vector per text from its hash, at once."""

    def __init__(self, dimensions: int = 384) -> None:
        self.dimensions = dimensions
        self.texts: list[str] = []

    def get_embedding_dimension(self) -> int:
        return self.dimensions

    def encode(self, texts: list[str], **_: Any) -> np.ndarray:
        self.texts.extend(texts)
        return np.stack([fake_vector(t, self.dimensions) for t in texts])


def fake_vector(text: str, dimensions: int = 384) -> np.ndarray:
    """The fake model's vector of one text."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    v = np.random.default_rng(seed).standard_normal(dimensions).astype(np.float32)
    return v / np.linalg.norm(v)


def fake_encoder(folder: Path, dimensions: int = 384) -> tuple[TextEncoder, FakeModel]:
    """A TextEncoder caching in `folder` whose model is a FakeModel."""
    encoder = TextEncoder(cache_dir=folder)
    encoder._model = model = FakeModel(dimensions)
    return encoder, model


def keys_and_vectors(start: int, n: int, dimensions: int = 8) -> tuple[list[str], np.ndarray]:
    """n cache keys and their (fake) vectors."""
    texts = [f"utterance {i}" for i in range(start, start + n)]
    return [text_key("m", t) for t in texts], np.stack([fake_vector(t, dimensions) for t in texts])


def test_one_off_texts_append_without_stalls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scans = []
    original_scan = EmbeddingCache._scan
    monkeypatch.setattr(
        EmbeddingCache, "_scan", lambda self, first: scans.append(first) or original_scan(self, first)
    )
    # A stall is a call that rewrites what earlier calls wrote: count the bytes each call writes.
    writes: list[int] = []
    merges: list[int] = []
    original_write_all, original_merge = encoder_module._write_all, EmbeddingCache._write_merged

    def write_all(fd: int, data: bytes) -> None:
        writes.append(len(data))
        original_write_all(fd, data)

    def write_merged(self: EmbeddingCache, dimensions: int, parts: list[tuple[str, np.ndarray]]) -> None:
        merges.append(len(parts))
        original_merge(self, dimensions, parts)

    monkeypatch.setattr(encoder_module, "_write_all", write_all)
    monkeypatch.setattr(EmbeddingCache, "_write_merged", write_merged)
    encoder, model = fake_encoder(tmp_path)
    texts = [f"a gift for my mother, turn {n}" for n in range(1000)]
    per_call, written = [], []
    for text in texts:  # a clerk's chat: each utterance new, each its own call
        before = len(writes)
        written.append(encoder.encode([text])[0])
        per_call.append(sum(writes[before:]))
    assert len(model.texts) == 1000
    assert len(list(tmp_path.iterdir())) <= 10
    assert scans == [True]  # the folder was read once, not on every miss
    record = encoder_module._record(384).itemsize
    assert per_call[0] == encoder_module.HEADER.itemsize + record  # the first call starts a file
    assert per_call[1:] == [record] * 999  # each later call appends its one record, rewriting nothing
    assert merges == []
    reader, reader_model = fake_encoder(tmp_path)  # a second encoder on the folder sees everything
    np.testing.assert_array_equal(reader.encode(texts), np.stack(written))
    assert reader_model.texts == []


def test_a_miss_rereads_the_folder_at_most_every_refresh(tmp_path: Path) -> None:
    keys, vectors = keys_and_vectors(0, 4)
    patient, eager = EmbeddingCache(tmp_path), EmbeddingCache(tmp_path, refresh_seconds=0)
    assert patient.get(keys) == [None] * 4 and eager.get(keys) == [None] * 4
    writer = EmbeddingCache(tmp_path)
    writer.put(keys[:2], vectors[:2])
    writer.put(keys[2:], vectors[2:])  # appended to the same file
    assert patient.get(keys) == [None] * 4  # read the folder moments ago: no rescan yet
    found = eager.get(keys)
    for got, want in zip(found, vectors, strict=True):
        np.testing.assert_array_equal(got, want)
    assert len(list(tmp_path.iterdir())) == 1
    with pytest.raises(ValueError, match="64 hex"):
        writer.put(["key0"], vectors[:1])


def test_damaged_files_are_skipped_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    keys, vectors = keys_and_vectors(0, 5)
    writer = EmbeddingCache(tmp_path)
    writer.put(keys, vectors)
    writer.close()
    (segment,) = tmp_path.iterdir()
    with segment.open("r+b") as handle:  # a crash in the middle of the last record
        handle.truncate(segment.stat().st_size - 7)
    (tmp_path / "broken.emb").write_bytes(b"not an embedding file at all")
    (tmp_path / "short.emb").write_bytes(b"AISL")
    with caplog.at_level(logging.WARNING, logger="models.encoder"):
        found = EmbeddingCache(tmp_path).get([*keys, text_key("m", "absent")])
    assert found[4] is None and found[5] is None
    for got, want in zip(found[:4], vectors[:4], strict=True):
        np.testing.assert_array_equal(got, want)
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "truncated" in messages and "broken.emb" in messages and "short.emb" in messages
    encoder, model = fake_encoder(tmp_path, 8)  # the lost text is simply encoded again
    encoder.encode(["utterance 4"])
    assert model.texts == ["utterance 4"]


def test_many_segments_are_merged_but_not_a_live_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoder_module, "MAX_SEGMENTS", 3)
    keys, vectors = keys_and_vectors(0, 60)
    for n in range(5):  # five finished sessions, then one still writing
        session = EmbeddingCache(tmp_path)
        session.put(keys[10 * n : 10 * n + 10], vectors[10 * n : 10 * n + 10])
        session.close()
    live = EmbeddingCache(tmp_path)
    live.put(keys[50:], vectors[50:])
    merger = EmbeddingCache(tmp_path)
    found = merger.get(keys)
    assert len(list(tmp_path.iterdir())) == 2  # the five merged into one, plus the live segment
    for got, want in zip(found, vectors, strict=True):
        np.testing.assert_array_equal(got, want)
    live.put(keys[:1], vectors[:1])  # the live writer still appends to its own file
    again = EmbeddingCache(tmp_path).get(keys)
    assert all(v is not None for v in again) and len(list(tmp_path.iterdir())) == 2


def write_keys(folder: str, start: int) -> None:
    """One process's share of the concurrent-writers test: 300 vectors in 30 appends."""
    cache = EmbeddingCache(folder)
    for batch in range(30):
        keys, vectors = keys_and_vectors(start + 10 * batch, 10)
        cache.put(keys, vectors)
        cache.get(keys_and_vectors(0, 600)[0])  # reads the others' files while they write


def test_processes_writing_one_folder_lose_nothing(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=write_keys, args=(str(tmp_path), s)) for s in (0, 300)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(300)  # only a hang guard: spawning two interpreters is slow on a loaded machine
        assert worker.exitcode == 0, (
            f"writer process {worker.name} ended with {worker.exitcode} (None: still running)"
        )
    keys, vectors = keys_and_vectors(0, 600)
    found = EmbeddingCache(tmp_path).get(keys)
    for got, want in zip(found, vectors, strict=True):
        np.testing.assert_array_equal(got, want)


def test_chunks_of_the_earlier_format_are_moved_into_a_segment(tmp_path: Path) -> None:
    keys, vectors = keys_and_vectors(0, 6)
    for chunk, rows in (("a", slice(0, 4)), ("b", slice(2, 6))):  # overlapping, as old writers left them
        np.save(tmp_path / f"{chunk}.keys.npy", np.asarray(keys[rows], dtype="<U64"), allow_pickle=False)
        np.save(tmp_path / f"{chunk}.vectors.npy", vectors[rows], allow_pickle=False)
    found = EmbeddingCache(tmp_path).get(keys)
    for got, want in zip(found, vectors, strict=True):
        np.testing.assert_array_equal(got, want)
    (segment,) = tmp_path.iterdir()
    assert segment.suffix == ".emb" and segment.stat().st_size == 16 + 6 * (32 + 4 * 8)  # each key once
    assert all(v is not None for v in EmbeddingCache(tmp_path).get(keys))
