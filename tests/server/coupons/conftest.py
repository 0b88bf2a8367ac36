"""A small shop for the coupon tests: stores A and B, two members of A, one of B, bags, belts and a gift."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.core.context import AppContext
from server.db.tables import Member, Product
from tests.fixtures.clock import pin_clock
from tests.fixtures.factories import World, auth, build_world, make_member, make_product

NOW = datetime(2024, 6, 30, 15, tzinfo=UTC)
TEMPLATES = "/api/v1/coupons/templates"
TILL = "/api/v1/transactions"


@dataclass
class Shop:
    """The people, products and client of a coupon test, with helpers that call the API as them."""

    client: TestClient
    context: AppContext
    world: World
    ann: Member
    bob: Member
    cat: Member  # of store B
    bag: Product
    belt: Product
    gift: Product

    def as_(self, staff: Any) -> dict[str, str]:
        """Sign-in headers of `staff`."""
        return auth(self.context, staff)

    def template(self, **fields: Any) -> dict[str, Any]:
        """Save a template as the admin (defaults: 50 off, 30 days, one per member) and return it."""
        body = {
            "name_zh": "立减50元券",
            "name_en": "50 off",
            "purpose": "campaign",
            "terms": {"kind": "amount_off", "amount": "50.00"},
            "valid_days": 30,
        } | fields
        made = self.client.post(TEMPLATES, json=body, headers=self.as_(self.world.admin))
        assert made.status_code == 201, made.text
        return dict(made.json())

    def issue(self, member: Member, template_id: int, key: str, staff: Any = None) -> Any:
        """A clerk of store A (or `staff`) issues the member a coupon."""
        return self.client.post(
            f"/api/v1/members/{member.id}/coupons",
            json={"template_id": template_id, "idempotency_key": key},
            headers=self.as_(staff or self.world.clerk_a),
        )

    def code(self, member: Member, template_id: int, key: str) -> str:
        """Issue and return the code."""
        issued = self.issue(member, template_id, key)
        assert issued.status_code == 201, issued.text
        return str(issued.json()["code"])

    def sell(self, member: Member, lines: list[dict[str, Any]], key: str, *codes: str, **extra: Any) -> Any:
        """A cashier of store A rings up a sale with the coupon codes."""
        body = {"store_id": self.world.store_a.id, "member_id": member.id, "lines": lines}
        body |= {"coupon_codes": list(codes)} | extra
        headers = self.as_(self.world.cashier_a) | {"Idempotency-Key": key}
        return self.client.post(TILL, json=body, headers=headers)


@pytest.fixture
def shop(client: TestClient, session: Session, context: AppContext) -> Shop:
    world = build_world(session)
    ann = make_member(session, context.keys, world.store_a, name="Ann")
    bob = make_member(session, context.keys, world.store_a, name="Bob")
    cat = make_member(session, context.keys, world.store_b, name="Cat")
    bag = make_product(session, name="Bag", sku="BAG-1", category="bags", price="200.00")
    belt = make_product(session, name="Belt", sku="BELT-1", category="belts", price="33.33")
    gift = make_product(session, name="Pouch", sku="POUCH-1", category="gifts", price="25.00")
    session.commit()
    pin_clock(client, NOW)
    return Shop(client, context, world, ann, bob, cat, bag, belt, gift)
