"""Versioned model folders: one fitted recommender plus a manifest saying what it is and how good it was.

A version lives in ``ROOT/<method>-YYYYMMDD-HHMMSS`` and holds ``manifest.json`` (the method, its
parameters, its dimensions, the data window it learned from, its validation and test metrics and how it
was tuned), ``recommender/`` (the `Recommender.save` artefact) and, when the model has item text
vectors, ``index/`` (a `CatalogIndex` of them keyed by item index). Nothing in it needs pickle.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np

from models.dataset import Dataset
from models.index import CatalogIndex
from models.recommender import Recommender
from models.registry import load_recommender

FORMAT = "aisle.model-version"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
RECOMMENDER = "recommender"
INDEX = "index"


class VersionError(ValueError):
    """A folder is not a readable model version."""


def data_window(dataset: Dataset, source: str = "") -> dict[str, Any]:
    """The span and size of the data a model learned from, as JSON values."""
    days = dataset.baskets.days
    first = dt.date.fromordinal(int(days.min())).isoformat() if len(days) else None
    last = dt.date.fromordinal(int(days.max())).isoformat() if len(days) else None
    return {
        "source": source,
        "first_day": first,
        "last_day": last,
        "members": dataset.n_users,
        "items": dataset.n_items,
        "baskets": dataset.baskets.n_baskets,
    }


def new_version_folder(root: str | Path, method: str, now: dt.datetime | None = None) -> Path:
    """A fresh, not yet existing ``ROOT/<method>-YYYYMMDD-HHMMSS`` folder (suffixed -2, -3... if taken)."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%d-%H%M%S")
    root = Path(root)
    folder = root / f"{method}-{stamp}"
    n = 2
    while folder.exists():
        folder = root / f"{method}-{stamp}-{n}"
        n += 1
    return folder


def _text_vectors(model: Recommender) -> np.ndarray | None:
    """The model's item text vectors, when it has any that are not all zero."""
    text = getattr(model, "text_vectors", None)
    if isinstance(text, np.ndarray) and text.ndim == 2 and len(text) == model.n_items and np.abs(text).any():
        return text
    return None


def _dimensions(model: Recommender) -> dict[str, Any]:
    out: dict[str, Any] = {"members": model.n_users, "items": model.n_items}
    text = _text_vectors(model)
    if text is not None:
        out["text_dimensions"] = int(text.shape[1])
    return out


def save_version(
    root: str | Path,
    model: Recommender,
    window: dict[str, Any],
    metrics: dict[str, dict[str, Any]],
    tuning: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Path:
    """Write a fitted model as a new version under `root`; returns the version folder."""
    created = now or dt.datetime.now(dt.UTC)
    folder = new_version_folder(root, model.name, created)
    model.save(folder / RECOMMENDER)
    text = _text_vectors(model)
    has_index = text is not None
    if text is not None:
        params = model.get_params()
        index = CatalogIndex.build(np.arange(len(text)), text, model_name=str(params.get("text_model") or ""))
        index.data_window = window
        index.save(folder / INDEX)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "version": folder.name,
        "created": created.isoformat(timespec="seconds"),
        "method": model.name,
        "params": model.get_params(),
        "dimensions": _dimensions(model),
        "data_window": window,
        "metrics": metrics,
        "tuning": tuning or {},
        "parts": [RECOMMENDER] + ([INDEX] if has_index else []),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return folder


def read_version(folder: str | Path) -> dict[str, Any]:
    """The manifest of a version folder, checked for format."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise VersionError(f"{folder}: no readable {MANIFEST}: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise VersionError(f"{folder}: not an {FORMAT} folder")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise VersionError(
            f"{folder}: {FORMAT} v{manifest.get('format_version')!r}, expected v{FORMAT_VERSION}"
        )
    return manifest


def load_version(folder: str | Path) -> Recommender:
    """The fitted recommender of a version folder."""
    read_version(folder)
    return load_recommender(Path(folder) / RECOMMENDER)


def load_version_index(folder: str | Path) -> CatalogIndex | None:
    """The item text index of a version folder, or None when the model has no text vectors."""
    manifest = read_version(folder)
    return CatalogIndex.load(Path(folder) / INDEX) if INDEX in manifest.get("parts", []) else None


def list_versions(root: str | Path) -> list[Path]:
    """Version folders under `root`, oldest first by creation time."""
    root = Path(root)
    found = []
    for folder in root.iterdir() if root.is_dir() else []:
        try:
            found.append((read_version(folder)["created"], folder.name, folder))
        except VersionError:
            continue
    return [folder for _, _, folder in sorted(found)]
