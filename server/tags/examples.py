"""The example tag rules of the loyalty issue, saved by the demo so profiles show tags with their reasons."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from server.tags import repository as repo
from server.tags.service import create_rule

EXAMPLE_RULES: dict[str, tuple[str, dict[str, Any]]] = {
    "high value": (
        "Spent over 5000 in 90 days across more than three visits",
        {
            "all": [
                {"fact": "spend_90d", "op": "gt", "value": 5000},
                {"fact": "visits_90d", "op": "gt", "value": 3},
            ]
        },
    ),
    "dormant": (
        "No purchase for over half a year",
        {"fact": "days_since_last_purchase", "op": "gt", "value": 180},
    ),
    "price-sensitive": (
        "Four in five purchases with a coupon or discount",
        {"fact": "coupon_redemption_rate", "op": "gt", "value": 0.8},
    ),
    "birthday this month": (
        "Birthday falls in the current month",
        {"fact": "is_birthday_month", "op": "eq", "value": True},
    ),
    "cooling regular": (
        "A regular whose heat index has dropped",
        {
            "all": [
                {"fact": "visits_365d", "op": "gte", "value": 6},
                {"fact": "heat_index", "op": "lt", "value": 30},
            ]
        },
    ),
}


def ensure_example_rules(session: Session, now: datetime) -> int:
    """Save the example rules when no tag rule exists at all; the number saved."""
    if repo.rule_count(session):
        return 0
    for name, (description, rule) in EXAMPLE_RULES.items():
        create_rule(session, name, rule, now, description=description)
    return len(EXAMPLE_RULES)
