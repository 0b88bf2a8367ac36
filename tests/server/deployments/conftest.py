"""Model version folders (manifests only: nothing here loads a model) and HQ callers for these tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from models.versions import FORMAT, FORMAT_VERSION, MANIFEST, VersionStore
from server.core.context import AppContext
from tests.fixtures.factories import World, build_world

# name -> (created, recall@10): v2 is 1 % worse than v1 (within the default 2 %), v3 10 % worse, v4 better.
VERSIONS = {
    "aisle-20261201-020000": ("2026-12-01T02:00:00+00:00", 0.2000),
    "aisle-20261202-020000": ("2026-12-02T02:00:00+00:00", 0.1980),
    "aisle-20261203-020000": ("2026-12-03T02:00:00+00:00", 0.1800),
    "aisle-20261204-020000": ("2026-12-04T02:00:00+00:00", 0.2200),
}
V1, V2, V3, V4 = VERSIONS


def write_version(root: Path, name: str, created: str, recall: float) -> None:
    """A version folder with just its manifest, as models.versions.save_version writes it."""
    folder = root / name
    folder.mkdir(parents=True)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "version": name,
        "created": created,
        "method": "aisle",
        "params": {"factors": 64},
        "data_window": {
            "source": "online_retail",
            "first_day": "2010-12-01",
            "last_day": "2011-12-09",
            "members": 4300,
            "items": 3900,
            "lines": 400000,
        },
        "metrics": {
            "held_back": {"recall@10": recall, "ndcg@10": recall / 2, "explore_only_recall@10": recall / 4}
        },
        "code_version": "abc123",
    }
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


@pytest.fixture
def versions(context: AppContext) -> VersionStore:
    """Four versions in the models folder the app's settings name."""
    root = context.settings.models_dir
    for name, (created, recall) in VERSIONS.items():
        write_version(root, name, created, recall)
    return VersionStore(root)


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)
