"""The profile's tier, points, benefits, persona and dormancy: the figures the phone words itself.

The server also sends each as an English sentence (`progress`, `review`, `reason`, `reasons`, `text`);
the phone keeps those for a chain's own wording it has no translation for, but says the rest in the
clerk's language from these figures (see mobile_app/state/phrases.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from mobile_app.api.wire_parse import as_date, as_int, as_money, as_str


@dataclass(frozen=True)
class Tier:
    """The member's tier, what the next one still needs, and when the current one is at stake."""

    name: str
    next_tier: str | None
    progress: str
    review: str | None
    spend_needed: str
    visits_needed: int
    window_spend: str
    window_visits: int
    window_days: int
    qualify: str
    review_on: date | None
    review_tier: str | None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Tier:
        """Parse a TierRead."""
        return cls(
            name=as_str(d.get("name")),
            next_tier=d.get("next_tier"),
            progress=as_str(d.get("progress")),
            review=d.get("review"),
            spend_needed=as_money(d.get("spend_needed")),
            visits_needed=as_int(d.get("visits_needed")),
            window_spend=as_money(d.get("window_spend")),
            window_visits=as_int(d.get("window_visits")),
            window_days=as_int(d.get("window_days")),
            qualify=as_str(d.get("qualify")) or "spend_or_visits",
            review_on=as_date(d.get("review_on")),
            review_tier=d.get("review_tier"),
        )


@dataclass(frozen=True)
class Points:
    """The points balance, what can be spent today, and what expires soon."""

    balance: int
    available: int
    value: str
    expiring_within_30_days: int

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Points:
        """Parse a PointsRead."""
        return cls(
            balance=as_int(d.get("balance")),
            available=as_int(d.get("available")),
            value=as_money(d.get("value")),
            expiring_within_30_days=as_int(d.get("expiring_within_30_days")),
        )


@dataclass(frozen=True)
class Benefit:
    """A tier benefit, whether it can be used now, and why not (as a code with its figures)."""

    code: str
    name: str
    available: bool
    reason: str
    reason_code: str
    remaining: int | None
    valid_until: date | None
    tiers: list[str]
    quota: int | None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Benefit:
        """Parse a BenefitRead."""
        return cls(
            code=as_str(d.get("code")),
            name=as_str(d.get("name")),
            available=bool(d.get("available")),
            reason=as_str(d.get("reason")),
            reason_code=as_str(d.get("reason_code")),
            remaining=d.get("remaining"),
            valid_until=as_date(d.get("valid_until")),
            tiers=[str(t) for t in d.get("tiers") or ()],
            quota=d.get("quota"),
        )


@dataclass(frozen=True)
class PersonaEvidence:
    """One fact behind the persona: a code and its figures (see server/signals/persona.py)."""

    code: str
    value: float | None
    threshold: float | None
    persona: str | None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PersonaEvidence:
        """Parse a PersonaEvidenceRead."""
        value, threshold = d.get("value"), d.get("threshold")
        return cls(
            code=as_str(d.get("code")),
            value=None if value is None else float(value),
            threshold=None if threshold is None else float(threshold),
            persona=d.get("persona"),
        )


@dataclass(frozen=True)
class Persona:
    """The member's persona and why, as English sentences and as evidence."""

    label: str
    reasons: list[str]
    evidence: list[PersonaEvidence]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Persona:
        """Parse a PersonaRead."""
        return cls(
            label=as_str(d.get("label")),
            reasons=[str(r) for r in d.get("reasons") or ()],
            evidence=[PersonaEvidence.from_json(e) for e in d.get("evidence") or () if isinstance(e, dict)],
        )


@dataclass(frozen=True)
class Dormancy:
    """Whether the member has gone quiet, and a sentence saying so."""

    status: str
    days_since_last_purchase: int | None
    text: str

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Dormancy:
        """Parse a DormancyRead."""
        return cls(as_str(d.get("status")), d.get("days_since_last_purchase"), as_str(d.get("text")))
