"""The named recommenders the evaluation (and the server) can build; imported only when asked for.

Adding a method is one line: ``"name": "package.module:Class"``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from models.recommender import JSONValue, Recommender, read_manifest


class UnknownMethodError(ValueError):
    """No recommender is registered under that name."""


RECOMMENDERS: dict[str, str] = {
    "g-topfreq": "models.baselines.g_topfreq:GlobalTopFreq",
    "p-topfreq": "models.baselines.p_topfreq:PersonalTopFreq",
    "gp-topfreq": "models.baselines.gp_topfreq:GlobalPersonalTopFreq",
    "tifu-knn": "models.baselines.tifu_knn:TifuKnn",
    "cooccurrence": "models.baselines.cooccurrence:ItemCooccurrence",
    "als": "models.baselines.als:ALS",
    "aisle": "models.aisle:AisleRecommender",
}


def method_names() -> list[str]:
    """Registered method names, in registration order."""
    return list(RECOMMENDERS)


def recommender_class(name: str) -> type[Recommender]:
    """The class registered under `name`; UnknownMethodError naming the known methods otherwise."""
    if name not in RECOMMENDERS:
        raise UnknownMethodError(f"unknown method {name!r}; known: {', '.join(RECOMMENDERS)}")
    module, _, attr = RECOMMENDERS[name].partition(":")
    cls = getattr(importlib.import_module(module), attr)
    if not (isinstance(cls, type) and issubclass(cls, Recommender)):
        raise TypeError(f"{RECOMMENDERS[name]} is not a Recommender")
    return cls


def create(name: str, **params: JSONValue) -> Recommender:
    """A new, unfitted recommender of the named method."""
    return recommender_class(name)(**params)


def load_recommender(folder: str | Path) -> Recommender:
    """Load any saved recommender, choosing its class from the folder's manifest."""
    manifest = read_manifest(folder)
    return recommender_class(manifest["method"]).load(folder)
