"""The catalogue's categories and their labels, and which category a word a clerk typed names.

The recommender's catalogue and a member's stated interests read the labels from here, so a category is
named the same way everywhere (by key or by its label in any language, any case).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from models.i18n import LANGS
from models.popularity import interest_category, interest_names
from server.core.errors import InvalidInput
from server.products import repository

SHOWN_KNOWN = 8  # how many known categories an "unknown interest" answer lists


def _majority(votes: dict[str, dict[str, Counter[str]]]) -> dict[str, dict[str, str]]:
    return {c: {lang: count.most_common(1)[0][0] for lang, count in by.items()} for c, by in votes.items()}


def category_names(rows: Sequence[tuple[str, Any]]) -> dict[str, dict[str, str]]:
    """Each category's label per language, from its products' translations ({"zh": {"category": ...}});
    the label most of its products give (ties: the first in order), so one odd product does not rename it."""
    votes: dict[str, dict[str, Counter[str]]] = {}
    for category, translations in rows:
        entries = translations.items() if isinstance(translations, dict) else ()
        for lang, entry in entries:
            label = entry.get("category") if isinstance(entry, dict) else None
            if isinstance(label, str) and label.strip():
                votes.setdefault(category, {}).setdefault(str(lang), Counter())[label.strip()] += 1
    return _majority(votes)


def category_labels(session: Session) -> dict[str, dict[str, str]]:
    """Every category of the active merchandise -> its label per app language ({} when none is on file),
    chosen as `category_names` chooses, from grouped counts rather than every product's row."""
    votes: dict[str, dict[str, Counter[str]]] = {}
    categories: set[str] = set()
    for category, lang, label, n in repository.category_label_counts(session, LANGS):
        categories.add(category)
        if label is not None and label.strip():
            votes.setdefault(category, {}).setdefault(lang, Counter())[label.strip()] += n
    labels = _majority(votes)
    return {category: labels.get(category, {}) for category in sorted(categories)}


def resolve_categories(session: Session, texts: Iterable[str]) -> list[str]:
    """The category key each text names, in order, without repeats; 422 naming any that names none."""
    labels = category_labels(session)
    names = interest_names(labels, labels)
    found: list[str] = []
    unknown: list[str] = []
    for text in texts:
        category = interest_category(text, names)
        if category is None:
            unknown.append(text)
        elif category not in found:
            found.append(category)
    if unknown:
        known = ", ".join(sorted(labels)[:SHOWN_KNOWN]) or "none yet"
        named = ", ".join(map(repr, unknown))
        raise InvalidInput(f"not a catalogue category: {named}; known ones include {known}")
    return found
