"""Versioned model folders: one fitted recommender plus a manifest saying what it is and how good it was.

A version lives in ``ROOT/<method>-YYYYMMDD-HHMMSS`` and holds ``manifest.json`` (the method, its
parameters, its dimensions, the data window it learned from, the code that made it, its metrics on a
held-back split and how it was tuned), ``recommender/`` (the `Recommender.save` artefact) and, when the
model has item text vectors, ``index/`` (a `CatalogIndex` of them keyed by item index). Nothing in it
needs pickle. A version is written under a hidden name and renamed into place, so a reader never sees a
half-written one. `VersionStore` lists, reads and compares the versions of one root.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
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
HEADLINE = "recall@10"  # the metric a promotion is judged by
METRIC_SECTIONS = ("held_back", "test")  # where a version's own figures are, newest layout first
logger = logging.getLogger(__name__)


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
    final = new_version_folder(root, model.name, created)
    folder = final.with_name(f".partial-{final.name}")
    shutil.rmtree(folder, ignore_errors=True)
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
        "version": final.name,
        "created": created.isoformat(timespec="seconds"),
        "method": model.name,
        "params": model.get_params(),
        "dimensions": _dimensions(model),
        "data_window": window,
        "metrics": metrics,
        "tuning": tuning or {},
        "code_version": code_version(),
        "parts": [RECOMMENDER] + ([INDEX] if has_index else []),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    os.replace(folder, final)
    return final


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
        if folder.name.startswith("."):
            continue
        try:
            found.append((read_version(folder)["created"], folder.name, folder))
        except VersionError:
            continue
    return [folder for _, _, folder in sorted(found)]


def code_version() -> str:
    """The git commit the code runs from (with "+dirty" for uncommitted changes), else the package's."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
        if commit.returncode == 0 and commit.stdout.strip():
            dirty = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no", "--", "."],
                cwd=here,
                capture_output=True,
                text=True,
                timeout=5,
            )
            return commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"aisle {version('aisle')}"
    except PackageNotFoundError:
        return "unknown"


class UnknownVersionError(KeyError):
    """No version of that name is in the store."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown model version"


@dataclass(frozen=True)
class ModelVersion:
    """What a version folder's manifest says, in the shape HQ's tools read."""

    name: str
    path: Path
    created_at: str
    method: str
    params: dict[str, Any]
    data: dict[str, Any]
    code_version: str
    metrics: dict[str, float]  # the version's own figures on its held-back split
    baselines: dict[str, dict[str, float]]  # methods evaluated beside it on the same split

    @classmethod
    def of(cls, folder: Path, manifest: dict[str, Any]) -> ModelVersion:
        """The version described by a manifest read from `folder`."""
        sections: dict[str, Any] = manifest.get("metrics") or {}
        own: dict[str, Any] = next(
            (sections[s] for s in METRIC_SECTIONS if isinstance(sections.get(s), dict)), {}
        )
        baselines: dict[str, Any] = sections.get("baselines") or {}
        return cls(
            name=folder.name,
            path=folder,
            created_at=str(manifest.get("created", "")),
            method=str(manifest.get("method", "")),
            params=dict(manifest.get("params") or {}),
            data=dict(manifest.get("data_window") or {}),
            code_version=str(manifest.get("code_version", "unknown")),
            metrics=_numbers(own),
            baselines={str(k): _numbers(v) for k, v in baselines.items() if isinstance(v, dict)},
        )


def _numbers(values: dict[str, Any]) -> dict[str, float]:
    return {
        str(k): float(v) for k, v in values.items() if isinstance(v, int | float) and not isinstance(v, bool)
    }


class VersionStore:
    """The model versions under one root folder (`AISLE_MODELS_DIR` for the server)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def versions(self) -> list[ModelVersion]:
        """Every readable version, newest first (unreadable folders are skipped and logged)."""
        found = []
        for folder in self.root.iterdir() if self.root.is_dir() else []:
            if folder.name.startswith(".") or not folder.is_dir():
                continue
            try:
                found.append(ModelVersion.of(folder, read_version(folder)))
            except VersionError as exc:
                logger.warning("skipping model folder %s: %s", folder.name, exc)
        return sorted(found, key=lambda v: (v.created_at, v.name), reverse=True)

    def get(self, name: str) -> ModelVersion:
        """The version called `name`; UnknownVersionError if there is none."""
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise UnknownVersionError(f"no model version {name!r}")
        folder = self.root / name
        if not (folder / MANIFEST).is_file():
            raise UnknownVersionError(f"no model version {name!r} in {self.root}")
        try:
            return ModelVersion.of(folder, read_version(folder))
        except VersionError as exc:
            raise UnknownVersionError(f"model version {name!r} is unreadable: {exc}") from exc


def compare(a: ModelVersion, b: ModelVersion) -> dict[str, dict[str, float]]:
    """Each metric both versions have: its value in A and B and the ratio B / A (NaN when A is 0)."""
    out = {}
    for key in [k for k in a.metrics if k in b.metrics]:
        va, vb = a.metrics[key], b.metrics[key]
        out[key] = {"a": va, "b": vb, "ratio": vb / va if va else float("nan")}
    return out


def regression(candidate: ModelVersion, current: ModelVersion, metric: str = HEADLINE) -> float:
    """How much worse `candidate` is than `current` on `metric`, relative (0.05 = 5 % worse; <= 0 is as
    good or better). A metric either lacks counts as no regression, as there is nothing to compare."""
    if metric not in candidate.metrics or metric not in current.metrics or current.metrics[metric] <= 0:
        return 0.0
    return 1.0 - candidate.metrics[metric] / current.metrics[metric]
