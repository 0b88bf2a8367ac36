"""A category is named by its key or its label in any language, the label most of its products give."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from server.core.errors import InvalidInput
from server.products.categories import category_labels, category_names, resolve_categories
from tests.fixtures.factories import make_product


def _stock(session: Session) -> None:
    for name, category, zh in (
        ("Mug", "Kitchen", "厨房"),
        ("Odd Mug", "Kitchen", "杯子"),  # one odd product does not rename the category
        ("Teapot", "Kitchen", "厨房"),
        ("Candle", "Candles", "蜡烛"),
        ("Pillar", "Candles", "烛台"),  # a tie: the first product's label wins
        ("Tote", "Bags", None),
    ):
        p = make_product(session, name=name, category=category, price="1.00")
        p.translations = {"zh": {"name": name, "category": zh}} if zh else {}
    make_product(session, name="Gone", category="Retired", price="1.00", active=False)
    session.flush()


def test_labels_are_the_majority_of_the_active_merchandise_as_the_recommender_reads_them(
    session: Session,
) -> None:
    _stock(session)
    assert category_labels(session) == {"Bags": {}, "Candles": {"zh": "蜡烛"}, "Kitchen": {"zh": "厨房"}}
    rows = [("Kitchen", {"zh": {"category": z}}) for z in ("厨房", "杯子", "厨房")]
    rows += [("Candles", {"zh": {"category": z}}) for z in ("蜡烛", "烛台")]
    assert category_names(rows) == {"Kitchen": {"zh": "厨房"}, "Candles": {"zh": "蜡烛"}}


def test_a_category_is_found_by_key_or_label_and_an_unknown_one_is_named(session: Session) -> None:
    _stock(session)
    assert resolve_categories(session, ["BAGS", "厨房", "interest:candles", "bags"]) == [
        "Bags",
        "Kitchen",
        "Candles",
    ]
    with pytest.raises(InvalidInput) as caught:
        resolve_categories(session, ["Retired", "杯子"])
    assert caught.value.message == (
        "not a catalogue category: 'Retired', '杯子'; known ones include Bags, Candles, Kitchen"
    )
