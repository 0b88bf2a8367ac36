"""The clerk's utterance test set (tests/models/data/utterances.jsonl) and how a conversation is scored on it.

Each line is one conversation: {"id", "lang": "en" | "zh" | "mixed", "catalog", "turns": [[utterance,
expected], ...]}. `expected` lists the constraints in force after that turn that differ from the empty
request (see `EMPTY`); an utterance is parsed exactly when every one of them is what the conversation holds.
Prices are plain numbers, categories the catalogue's keys, in any order. A conversation the parser is
known to get wrong says why in "known_miss"; it still counts in the share.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from models.catalog import Catalog
from models.conversation import ConversationTurn, respond
from models.index import CatalogIndex
from tests.models.clerk_shop import FakeEncoder, shop_catalog, shop_index
from tests.models.tea_shop import tea_shop, tea_shop_as_stored

CASES = Path(__file__).parent / "data" / "utterances.jsonl"
EMPTY: dict[str, Any] = {
    "recipient": None,
    "occasion": None,
    "gift": False,
    "min_price": None,
    "max_price": None,
    "categories": [],  # the categories the customer named (not those a gift suggests)
    "excluded": [],  # categories refused
    "excluded_words": [],  # refused kinds narrower than a category ("不要红茶")
    "colours": [],
    "excluded_colours": [],
    "unmatched": [],  # kinds asked for that the catalogue does not carry
    "cheaper": False,  # this turn's follow-ups
    "pricier": False,
    "not_that_one": False,
    "more_like_this": False,
}
_SETS = ("categories", "excluded", "excluded_words", "colours", "excluded_colours", "unmatched")


@dataclass(frozen=True)
class Shop:
    """A catalogue to talk about, its item index and the vocabulary the conversation is given (if any)."""

    catalog: Catalog
    index: CatalogIndex
    vocabulary: Any = None


@cache
def shop(name: str) -> Shop:
    """One of the catalogues the test set names, built once."""
    encoder = FakeEncoder()
    vocabulary = None
    if name == "tea_shop":
        catalog = tea_shop()
    elif name == "tea_shop_as_stored":
        catalog, vocabulary = tea_shop_as_stored()
    elif name == "clerk_shop":
        catalog = shop_catalog()
    else:
        raise ValueError(f"no catalogue {name!r}")
    return Shop(catalog, shop_index(catalog, encoder), vocabulary)


def load_cases(path: Path = CASES) -> list[dict[str, Any]]:
    """Every conversation of the test set."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def view(turn: ConversationTurn) -> dict[str, Any]:
    """The constraints a turn holds, in the test set's terms."""
    c, p = turn.constraints, turn.parsed
    got = {
        "recipient": c.recipient,
        "occasion": c.occasion,
        "gift": c.gift,
        "min_price": c.min_price,
        "max_price": c.max_price,
        "categories": list(getattr(c, "named_categories", c.categories)),
        "excluded": list(c.excluded_categories),
        "excluded_words": list(getattr(c, "excluded_words", ())),
        "colours": list(getattr(c, "colours", ())),
        "excluded_colours": list(getattr(c, "excluded_colours", ())),
        "unmatched": list(getattr(c, "unmatched", ())),
        "cheaper": p.cheaper,
        "pricier": p.pricier,
        "not_that_one": p.not_that_one,
        "more_like_this": p.more_like_this,
    }
    return _canonical(got)


def expected_view(expected: dict[str, Any]) -> dict[str, Any]:
    """A test-set expectation completed with the empty request's values."""
    unknown = set(expected) - set(EMPTY)
    if unknown:
        raise ValueError(f"unknown constraints in the test set: {sorted(unknown)}")
    return _canonical({**EMPTY, **expected})


def _canonical(v: dict[str, Any]) -> dict[str, Any]:
    out = dict(v)
    for key in _SETS:
        out[key] = sorted(out[key])
    for key in ("min_price", "max_price"):
        out[key] = None if out[key] is None else round(float(out[key]), 2)
    return out


def talk(case: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Each utterance of a conversation with the constraints held after it and those expected."""
    where = shop(case["catalog"])
    turns: list[ConversationTurn] = []
    extra: dict[str, Any] = {}
    if where.vocabulary is not None and "vocabulary" in inspect.signature(respond).parameters:
        extra["vocabulary"] = where.vocabulary
    for utterance, expected in case["turns"]:
        turn = respond(
            None, turns, utterance, catalog=where.catalog, index=where.index, encoder=FakeEncoder(), **extra
        )
        turns.append(turn)
        yield utterance, view(turn), expected_view(expected)


def score(
    cases: list[dict[str, Any]], on_miss: Callable[[str, dict[str, Any], dict[str, Any]], None] | None = None
) -> dict[str, Any]:
    """{"utterances": N, "parsed_exactly": share, "zh": share, "en": share} over the test set."""
    hits: dict[str, list[bool]] = {"all": [], "zh": [], "en": [], "mixed": []}
    for case in cases:
        for utterance, got, want in talk(case):
            ok = got == want
            hits["all"].append(ok)
            hits[case["lang"]].append(ok)
            if not ok and on_miss is not None:
                on_miss(utterance, got, want)
    share = {k: round(sum(v) / len(v), 4) if v else None for k, v in hits.items()}
    return {
        "utterances": len(hits["all"]),
        "parsed_exactly": share["all"],
        "zh": share["zh"],
        "en": share["en"],
        "mixed": share["mixed"],
    }
