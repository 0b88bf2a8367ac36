"""Shopping persona with its evidence, and dormancy by days since the last purchase."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from server.signals.dormancy import DormancyThresholds, dormancy
from server.signals.persona import EVIDENCE, Evidence, PersonaInputs, persona


@pytest.mark.parametrize(
    ("inputs", "label", "evidence"),
    [
        (
            PersonaInputs(12, 0.9, 0.7, 0.05, 3),
            "price-sensitive",
            "90% of purchases used a coupon or discount",
        ),
        (
            PersonaInputs(8, 0.0, 1.6, 0.1, 2),
            "quality-seeking",
            "pays 1.60x the usual price of what they buy",
        ),
        (
            PersonaInputs(6, 0.2, 1.0, 0.6, 9),
            "novelty-seeking",
            "60% of spend went on products in their first 60 days",
        ),
        (PersonaInputs(6, 0.2, 1.05, 0.1, 3), "balanced", "strongest signal"),
        (PersonaInputs(2, 1.0, 0.5, 0.0, 1), "not enough history", "2 purchases in the last year; 3 needed"),
        (PersonaInputs(5, 0.1, None, 0.0, 1), "balanced", "no list prices to compare with"),
    ],
)
def test_persona_is_explained(inputs: PersonaInputs, label: str, evidence: str) -> None:
    found = persona(inputs)
    assert found.label == label
    assert any(reason.startswith(evidence) for reason in found.reasons)
    assert [e.text for e in found.evidence] == list(found.reasons)
    assert all(e.code in EVIDENCE for e in found.evidence)
    if label not in ("not enough history",):
        assert set(found.scores) == {"price-sensitive", "quality-seeking", "novelty-seeking"}


@pytest.mark.parametrize(
    ("last", "status", "days", "text"),
    [
        (None, "never_purchased", None, "no purchase yet"),
        (date(2024, 6, 30), "active", 0, "active: last purchase 0 days ago (2024-06-30)"),
        (date(2024, 4, 1), "active", 90, "active: last purchase 90 days ago (2024-04-01)"),
        (date(2024, 3, 31), "at_risk", 91, "at risk: last purchase 91 days ago (2024-03-31)"),
        (date(2024, 1, 2), "at_risk", 180, "at risk"),  # 2024 is a leap year
        (date(2024, 1, 1), "dormant", 181, "dormant: last purchase 181 days ago"),
    ],
)
def test_dormancy(last: date | None, status: str, days: int | None, text: str) -> None:
    found = dormancy(last, date(2024, 6, 30))
    assert (found.status, found.days_since_last_purchase) == (status, days)
    assert text in found.text


def test_dormancy_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValidationError):
        DormancyThresholds(at_risk_days=200, dormant_days=180)


def test_persona_evidence_is_data_a_phone_can_word() -> None:
    weak = persona(PersonaInputs(6, 0.2, 1.05, 0.1, 3))
    assert weak.evidence[0] == Evidence("weak_signal", weak.scores["novelty-seeking"], 0.5, "novelty-seeking")
    assert persona(PersonaInputs(1, 0.0, None, 0.0, 1)).evidence == (Evidence("purchases", 1, 3),)
    assert Evidence("purchases", 1, 3).text == "1 purchase in the last year; 3 needed"
    assert Evidence("purchases", 2, 3).text == "2 purchases in the last year; 3 needed"
    assert Evidence("categories", 1).text == "bought from 1 category"
    assert Evidence("categories", 4).text == "bought from 4 categories"
    assert persona(PersonaInputs(8, 0.0, 1.6, 0.1, 2)).evidence == (
        Evidence("price_index", 1.6),
        Evidence("coupon_share", 0.0),
    )
