"""What a message can be about: each purpose's class (marketing or service) and its typed variables.

Every template of a purpose may use its own variables plus `member_name` and `store_name`, which the
outbox fills from the member. `secret` variables (one-time codes) are stored encrypted and put into the
text only in the provider call; staff see the placeholder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from server.core.errors import InvalidInput

VarType = Literal["str", "int", "date", "money", "secret"]
PurposeClass = Literal["marketing", "service"]
CHANNELS = ("sms", "wechat", "wecom", "push")
LANGS = ("zh", "en")
COMMON: dict[str, VarType] = {"member_name": "str", "store_name": "str"}


@dataclass(frozen=True)
class Purpose:
    """A purpose's class and the variables its templates may use."""

    name: str
    purpose_class: PurposeClass
    variables: dict[str, VarType]

    @property
    def allowed(self) -> dict[str, VarType]:
        """Its own variables and the common ones."""
        return COMMON | self.variables


PURPOSES: dict[str, Purpose] = {
    p.name: p
    for p in (
        Purpose("otp", "service", {"code": "secret", "points": "int", "value": "money", "minutes": "int"}),
        # The member page's sign-in code: an otp in all but its text (nothing is being redeemed).
        Purpose("sign_in_code", "service", {"code": "secret", "minutes": "int"}),
        # Two purposes, so that every template's variables are always given: the greeting with the
        # birthday voucher, and the plain greeting when no birthday coupon template is active.
        Purpose("birthday", "marketing", {"coupon_amount": "money", "coupon_code": "str"}),
        Purpose("birthday_greeting", "marketing", {}),
        Purpose("tier_change", "service", {"old_tier": "str", "new_tier": "str"}),
        Purpose("points_expiry", "marketing", {"points": "int", "expires_on": "date"}),
        Purpose("benefit_expiry", "marketing", {"benefit_name": "str", "expires_on": "date"}),
        Purpose("member_day", "marketing", {"event_date": "date"}),
        Purpose("reactivation", "marketing", {"coupon_amount": "money", "expires_on": "date"}),
        Purpose(
            "coupon_issued",
            "service",
            {"coupon_name": "str", "coupon_value": "str", "coupon_code": "str", "expires_on": "date"},
        ),
        Purpose("replenishment", "marketing", {"product_name": "str"}),
        Purpose("first_order", "marketing", {"coupon_amount": "money"}),
        Purpose("campaign", "marketing", {"text": "str"}),
    )
}
# Kinds the loyalty package wrote before templates existed, and the purpose they are.
LEGACY_KINDS = {"redemption_code": "otp", "points_expiring": "points_expiry"}
# A code the member asked for at the till or on their page: no cap, no quiet hours.
EXEMPT = frozenset({"otp", "sign_in_code"})
# WeChat's rules for template messages allow service notices only: marketing there gets an account banned.
SERVICE_ONLY = frozenset({"wechat"})


def channel_refusal(purpose: Purpose, channel: str) -> str | None:
    """Why `purpose` may never go on `channel` whatever the member agreed to; None when it may."""
    if channel in SERVICE_ONLY and purpose.purpose_class == "marketing":
        return f"WeChat template messages carry service notices only, never marketing ({purpose.name})"
    return None


def purpose_of(name: str) -> Purpose:
    """The purpose called `name` (or its older kind name); 422 naming the known ones otherwise."""
    found = PURPOSES.get(LEGACY_KINDS.get(name, name))
    if found is None:
        raise InvalidInput(f"purpose: unknown purpose {name!r}; use one of {', '.join(PURPOSES)}")
    return found


def check_value(name: str, kind: VarType, value: Any) -> Any:
    """`value` as JSON for a variable of type `kind`; 422 naming the variable and the problem."""
    if kind in ("str", "secret"):
        if not isinstance(value, str) or not value.strip() or len(value) > 500:
            raise InvalidInput(f"variables.{name}: expected a text of 1 to 500 characters, got {value!r}")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 10**12:
            raise InvalidInput(f"variables.{name}: expected a whole number, got {value!r}")
        return value
    if kind == "date":
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise InvalidInput(f"variables.{name}: expected a date YYYY-MM-DD, got {value!r}") from None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f"variables.{name}: expected an amount of money, got {value!r}") from None
    if isinstance(value, bool) or not amount.is_finite() or abs(amount) > Decimal(10**9):
        raise InvalidInput(f"variables.{name}: expected an amount of money, got {value!r}")
    return str(amount.quantize(Decimal("0.01")))


def check_variables(purpose: Purpose, values: dict[str, Any]) -> dict[str, Any]:
    """The variables checked against the purpose's types (422 for an unknown one or a wrong type)."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        kind = purpose.allowed.get(name)
        if kind is None:
            allowed = ", ".join(sorted(purpose.allowed))
            raise InvalidInput(f"variables.{name}: unknown variable for {purpose.name}; allowed: {allowed}")
        out[name] = check_value(name, kind, value)
    return out
