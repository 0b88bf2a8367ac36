"""The member's 360° profile (GET /members/{id}/profile) as the phone shows it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from mobile_app.api.wire_loyalty import Benefit, Dormancy, Persona, Points, Tier
from mobile_app.api.wire_parse import as_date, as_datetime, as_int, as_money, as_str, items


@dataclass(frozen=True)
class StoreRef:
    """A store by id and name."""

    id: int
    name: str

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> StoreRef:
        """Parse a StoreRef."""
        return cls(id=as_int(d.get("id")), name=as_str(d.get("name")))

    @classmethod
    def maybe(cls, d: Any) -> StoreRef | None:
        """A StoreRef, or None for null."""
        return cls.from_json(d) if isinstance(d, dict) else None


@dataclass(frozen=True)
class Consultant:
    """A VIP consultant assigned to the member (primary or secondary)."""

    staff_id: int
    name: str
    position: str

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Consultant:
        """Parse a ConsultantRead or an arrival's consultant."""
        return cls(
            staff_id=as_int(d.get("staff_id")), name=as_str(d.get("name")), position=as_str(d.get("position"))
        )


@dataclass(frozen=True)
class Interaction:
    """A call, WeChat message or talk logged with the member."""

    id: int
    channel: str
    note: str
    occurred_at: datetime | None
    follow_up_on: date | None
    staff_name: str

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Interaction:
        """Parse an InteractionRead or InteractionBrief."""
        return cls(
            id=as_int(d.get("id")),
            channel=as_str(d.get("channel")),
            note=as_str(d.get("note")),
            occurred_at=as_datetime(d.get("occurred_at")),
            follow_up_on=as_date(d.get("follow_up_on")),
            staff_name=as_str(d.get("staff_name")),
        )


@dataclass(frozen=True)
class Rfm:
    """Recency, frequency and spend."""

    last_purchase_on: date | None
    recency_days: int | None
    visits_365d: int
    monetary_365d: str
    lifetime_spend: str

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Rfm:
        """Parse an RfmRead."""
        return cls(
            last_purchase_on=as_date(d.get("last_purchase_on")),
            recency_days=d.get("recency_days"),
            visits_365d=as_int(d.get("visits_365d")),
            monetary_365d=as_money(d.get("monetary_365d")),
            lifetime_spend=as_money(d.get("lifetime_spend")),
        )


@dataclass(frozen=True)
class CategoryShare:
    """A favourite category and its share of the year's spend."""

    category: str
    amount: str
    share: float

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CategoryShare:
        """Parse a CategoryRead."""
        return cls(as_str(d.get("category")), as_money(d.get("amount")), float(d.get("share") or 0.0))


@dataclass(frozen=True)
class Heat:
    """The heat index (0-100) and its last eight weekly values, oldest first."""

    index: int
    weekly: list[int]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Heat:
        """Parse a HeatRead."""
        return cls(as_int(d.get("index")), [as_int(w.get("value")) for w in d.get("weekly") or ()])


@dataclass(frozen=True)
class Upcoming:
    """A date coming up: birthday, tier review, points expiry, follow-up."""

    on: date | None
    kind: str
    text: str

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Upcoming:
        """Parse an UpcomingRead."""
        return cls(as_date(d.get("on")), as_str(d.get("kind")), as_str(d.get("text")))


@dataclass(frozen=True)
class Purchase:
    """One line of a recent purchase (or return)."""

    occurred_at: datetime | None
    kind: str
    store_id: int
    name: str
    quantity: int
    amount: str

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Purchase:
        """Parse a PurchaseLineRead."""
        return cls(
            occurred_at=as_datetime(d.get("occurred_at")),
            kind=as_str(d.get("kind")),
            store_id=as_int(d.get("store_id")),
            name=as_str(d.get("name")),
            quantity=as_int(d.get("quantity")),
            amount=as_money(d.get("amount")),
        )


@dataclass(frozen=True)
class Coupon:
    """An open coupon of the member's, named and valued in the caller's language."""

    id: int
    code: str
    name: str
    value: str
    valid_until: date | None
    hint: str

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Coupon:
        """Parse a ProfileCouponRead."""
        return cls(
            id=as_int(d.get("id")),
            code=as_str(d.get("code")),
            name=as_str(d.get("name")),
            value=as_str(d.get("value")),
            valid_until=as_date(d.get("valid_until")),
            hint=as_str(d.get("hint")),
        )


@dataclass(frozen=True)
class Profile:
    """Everything the member screen shows, from one GET /members/{id}/profile."""

    id: int
    name: str
    phone: str | None
    phone_masked: bool
    gender: str
    birthday: date | None
    card_number: str | None
    locale: str
    home_store: StoreRef | None
    tier: Tier
    points: Points
    benefits: list[Benefit]
    coupons: list[Coupon]
    rfm: Rfm
    favourite_categories: list[CategoryShare]
    price_band: str | None
    tags: list[str]
    persona: Persona
    dormancy: Dormancy
    heat: Heat
    interactions: list[Interaction]
    consultants: list[Consultant]
    upcoming: list[Upcoming]
    recent_purchases: list[Purchase]
    as_of: datetime | None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Profile:
        """Parse a ProfileRead."""
        return cls(
            id=as_int(d["id"]),
            name=as_str(d.get("name")),
            phone=d.get("phone"),
            phone_masked=bool(d.get("phone_masked")),
            gender=as_str(d.get("gender")),
            birthday=as_date(d.get("birthday")),
            card_number=d.get("card_number"),
            locale=as_str(d.get("locale")),
            home_store=StoreRef.maybe(d.get("home_store")),
            tier=Tier.from_json(d.get("tier") or {}),
            points=Points.from_json(d.get("points") or {}),
            benefits=items(d, "benefits", Benefit.from_json),
            coupons=items(d, "coupons", Coupon.from_json),
            rfm=Rfm.from_json(d.get("rfm") or {}),
            favourite_categories=items(d, "favourite_categories", CategoryShare.from_json),
            price_band=d.get("price_band"),
            tags=[as_str(t.get("tag")) for t in d.get("tags") or () if isinstance(t, dict)],
            persona=Persona.from_json(d.get("persona") or {}),
            dormancy=Dormancy.from_json(d.get("dormancy") or {}),
            heat=Heat.from_json(d.get("heat") or {}),
            interactions=items(d, "interactions", Interaction.from_json),
            consultants=items(d, "consultants", Consultant.from_json),
            upcoming=items(d, "upcoming", Upcoming.from_json),
            recent_purchases=items(d, "recent_purchases", Purchase.from_json),
            as_of=as_datetime(d.get("as_of")),
        )
