"""Reading the loyalty configuration: each stored document validated once, every change seen at once."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from server.db.tables import LoyaltySetting
from server.loyalty.config import load_config, save_setting
from server.loyalty.tiers import DEFAULT_LADDER
from tests.server.loyalty.rows import at


def _ladder(*names: str) -> dict[str, object]:
    return {
        "tiers": [{"name": n, "min_spend": 100 * i, "min_visits": 0} for i, n in enumerate(names)],
        "window_days": 365,
    }


def test_the_configuration_is_validated_once_per_document_and_every_change_is_seen(session: Session) -> None:
    assert load_config(session).ladder == DEFAULT_LADDER
    save_setting(session, "tiers", _ladder("new", "VIP"), at(2024, 1, 1))  # pending: read in the same unit
    saved = load_config(session)
    assert [t.name for t in saved.ladder.tiers] == ["new", "VIP"]
    assert load_config(session).ladder is saved.ladder  # the same stored text is not validated again
    # Edited behind the server's back, version and time untouched: the text read is what counts.
    session.execute(
        update(LoyaltySetting)
        .where(LoyaltySetting.key == "tiers")
        .values(value=_ladder("new", "gold", "VIP"))
    )
    assert [t.name for t in load_config(session).ladder.tiers] == ["new", "gold", "VIP"]
    session.execute(
        update(LoyaltySetting).where(LoyaltySetting.key == "tiers").values(value=_ladder("new", "VIP"))
    )
    assert load_config(session).ladder == saved.ladder
