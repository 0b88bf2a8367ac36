"""The text encoder: the real bundled model, offline, with a disk cache that spares repeat work."""

from __future__ import annotations

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


def test_cache_merges_chunks_and_skips_broken_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoder_module, "MAX_CHUNKS", 3)
    cache = EmbeddingCache(tmp_path)
    rng = np.random.default_rng(0)
    stored = {}
    for n in range(5):
        vector = rng.standard_normal((1, 4)).astype(np.float32)
        cache.put([f"key{n}"], vector)
        stored[f"key{n}"] = vector[0]
    assert len(list(tmp_path.glob("*.keys.npy"))) <= 3
    (tmp_path / "broken.keys.npy").write_bytes(b"not an array")
    fresh = EmbeddingCache(tmp_path)
    found = fresh.get([*stored, "absent"])
    assert found[-1] is None
    for got, want in zip(found[:-1], stored.values(), strict=True):
        assert got is not None
        np.testing.assert_array_equal(got, want)
