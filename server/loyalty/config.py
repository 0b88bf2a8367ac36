"""The loyalty programme's configuration as stored data: tier ladder, earn and redemption rules, benefits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from server.core.errors import InvalidInput
from server.db.session import core
from server.db.tables import Benefit, LoyaltySetting
from server.loyalty.activities import ActivityRules
from server.loyalty.benefits import DEFAULT_BENEFITS, BenefitDefinition
from server.loyalty.points import EarnRules, RedemptionRules
from server.loyalty.tiers import DEFAULT_LADDER, TierLadder

SETTINGS: dict[str, type[BaseModel]] = {
    "tiers": TierLadder,
    "earn": EarnRules,
    "redemption": RedemptionRules,
    "activities": ActivityRules,
}
# The stored documents as text: every arrival reads the configuration, and validating it is what costs.
_STORED = select(LoyaltySetting.key, cast(LoyaltySetting.value, Text))
# Validated documents by (key, exact stored text): a change of any kind is a different key. Models
# are frozen, so requests can share them.
_VALIDATED: dict[tuple[str, str], BaseModel] = {}
_VALIDATED_MAX = 64


@dataclass(frozen=True)
class LoyaltyConfig:
    """The configuration in force."""

    ladder: TierLadder
    earn: EarnRules
    redemption: RedemptionRules
    activities: ActivityRules


def _reason(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        parts.append(f"{where}: {err['msg']}" if where else str(err["msg"]))
    return "; ".join(parts)


def load_config(session: Session) -> LoyaltyConfig:
    """The stored configuration, with the defaults for any part never configured."""
    stored = {key: _validated(key, text) for key, text in core(session).execute(_STORED) if key in SETTINGS}
    ladder, earn, redemption = stored.get("tiers"), stored.get("earn"), stored.get("redemption")
    activities = stored.get("activities")
    return LoyaltyConfig(
        ladder=ladder if isinstance(ladder, TierLadder) else DEFAULT_LADDER,
        earn=earn if isinstance(earn, EarnRules) else EarnRules(),
        redemption=redemption if isinstance(redemption, RedemptionRules) else RedemptionRules(),
        activities=activities if isinstance(activities, ActivityRules) else ActivityRules(),
    )


def _validated(key: str, text: str) -> BaseModel:
    """The stored document `text` of setting `key` validated, once per distinct text."""
    model = _VALIDATED.get((key, text))
    if model is None:
        model = SETTINGS[key].model_validate(json.loads(text))
        if len(_VALIDATED) >= _VALIDATED_MAX:
            _VALIDATED.clear()
        _VALIDATED[(key, text)] = model
    return model


def save_setting(
    session: Session, key: str, value: dict[str, Any], now: datetime, staff_id: int | None = None
) -> LoyaltySetting:
    """Validate and store one part of the configuration (see SETTINGS); 422 if invalid."""
    model = SETTINGS.get(key)
    if model is None:
        raise InvalidInput(f"unknown loyalty setting {key!r}; expected one of {', '.join(SETTINGS)}")
    try:
        clean = model.model_validate(value).model_dump(mode="json")
    except ValidationError as exc:
        raise InvalidInput(f"{key}: {_reason(exc)}") from None
    row = session.get(LoyaltySetting, key)
    if row is None:
        row = LoyaltySetting(key=key, value=clean, version=1, updated_at=now, updated_by_id=staff_id)
        session.add(row)
    else:
        row.value, row.version, row.updated_at, row.updated_by_id = clean, row.version + 1, now, staff_id
    session.flush()
    return row


@dataclass(frozen=True)
class StoredSetting:
    """One part of the configuration as in force: its version (0 for the default) and document."""

    version: int
    updated_at: datetime | None
    value: dict[str, Any]


def setting(session: Session, key: str) -> StoredSetting:
    """The stored document of setting `key`, else the default in force as a document (version 0)."""
    row = session.get(LoyaltySetting, key)
    if row is not None:
        return StoredSetting(row.version, row.updated_at, row.value)
    config = load_config(session)
    default = {
        "tiers": config.ladder,
        "earn": config.earn,
        "redemption": config.redemption,
        "activities": config.activities,
    }[key]
    return StoredSetting(0, None, default.model_dump(mode="json"))


def benefit_rows(session: Session) -> list[Benefit]:
    """The active benefits; the default set is stored the first time there are none at all."""
    rows = list(session.scalars(select(Benefit).order_by(Benefit.id)))
    if not rows:
        rows = [Benefit(**b.model_dump()) for b in DEFAULT_BENEFITS]
        session.add_all(rows)
        session.flush()
    return [r for r in rows if r.active]


def definition(row: Benefit) -> BenefitDefinition:
    """A stored benefit as data."""
    return BenefitDefinition(
        code=row.code,
        name=row.name,
        description=row.description,
        tiers=list(row.tiers),
        quota=row.quota,
        period=row.period,  # type: ignore[arg-type]
    )
