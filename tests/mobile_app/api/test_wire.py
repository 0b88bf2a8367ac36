"""The app's wire dataclasses name only fields the server sends: a renamed server field breaks a test here.

Each dataclass is checked against the schema the server's OpenAPI document gives for the endpoint the
client reads it from (the floor event, which is not HTTP, against its pydantic model). A field the app
derives (no server field of that name) is listed with None; one read under another name, with that name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from mobile_app.api import wire
from server.app import create_app
from server.arrivals.schemas import ArrivalEvent
from server.realtime.events import Envelope

Schema = dict[str, Any]
SPEC = create_app().openapi()


def resolve(schema: Schema, root: Schema = SPEC) -> Schema:
    """Follow $ref, array items and a nullable anyOf down to the object schema."""
    while True:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            schema = (root.get("components", {}).get("schemas") or root["$defs"])[name]
        elif schema.get("type") == "array":
            schema = schema["items"]
        elif "anyOf" in schema:
            schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
        else:
            return schema


def answer(method: str, path: str, status: str = "200") -> Schema:
    """The object schema of an endpoint's JSON answer."""
    operation = SPEC["paths"][f"/api/v1{path}"][method]
    return resolve(operation["responses"][status]["content"]["application/json"]["schema"])


def field_of(schema: Schema, dotted: str, root: Schema = SPEC) -> Schema:
    """The object schema of a (dotted) property."""
    for name in dotted.split("."):
        schema = resolve(schema["properties"][name], root)
    return schema


EVENT = ArrivalEvent.model_json_schema()
PROFILE = answer("get", "/members/{member_id}/profile")
RECS = answer("get", "/members/{member_id}/recommendations")
TASKS = answer("get", "/tasks")
CLIENTS = answer("get", "/staff/{staff_id}/clients")

CASES: list[tuple[type, Callable[[], Schema], dict[str, str | None], Schema]] = [
    (wire.Profile, lambda: PROFILE, {}, SPEC),
    (wire.StoreRef, lambda: field_of(PROFILE, "home_store"), {}, SPEC),
    (wire.Tier, lambda: field_of(PROFILE, "tier"), {}, SPEC),
    (wire.Points, lambda: field_of(PROFILE, "points"), {}, SPEC),
    (wire.Benefit, lambda: field_of(PROFILE, "benefits"), {}, SPEC),
    (wire.Coupon, lambda: field_of(PROFILE, "coupons"), {}, SPEC),
    (wire.Rfm, lambda: field_of(PROFILE, "rfm"), {}, SPEC),
    (wire.CategoryShare, lambda: field_of(PROFILE, "favourite_categories"), {}, SPEC),
    (wire.Persona, lambda: field_of(PROFILE, "persona"), {}, SPEC),
    (wire.PersonaEvidence, lambda: field_of(PROFILE, "persona.evidence"), {}, SPEC),
    (wire.Dormancy, lambda: field_of(PROFILE, "dormancy"), {}, SPEC),
    (wire.Heat, lambda: field_of(PROFILE, "heat"), {}, SPEC),
    (wire.Interaction, lambda: field_of(PROFILE, "interactions"), {}, SPEC),
    (wire.Interaction, lambda: answer("post", "/members/{member_id}/interactions", "201"), {}, SPEC),
    (wire.Consultant, lambda: field_of(PROFILE, "consultants"), {}, SPEC),
    (wire.Consultant, lambda: answer("get", "/members/{member_id}/consultants"), {}, SPEC),
    (wire.Upcoming, lambda: field_of(PROFILE, "upcoming"), {}, SPEC),
    (wire.Purchase, lambda: field_of(PROFILE, "recent_purchases"), {}, SPEC),
    (wire.MemberSummary, lambda: answer("get", "/members/lookup"), {}, SPEC),
    (wire.Recommendations, lambda: RECS, {"offer": "reactivation_offer"}, SPEC),
    (wire.Suggestion, lambda: field_of(RECS, "suggestions"), {}, SPEC),
    (wire.TalkingPoint, lambda: field_of(RECS, "talking_points"), {}, SPEC),
    (wire.Offer, lambda: field_of(RECS, "reactivation_offer"), {}, SPEC),
    (wire.ChatTurn, lambda: answer("post", "/members/{member_id}/chat"), {}, SPEC),
    (wire.SignIn, lambda: answer("post", "/auth/token"), {}, SPEC),
    (
        wire.StaffSummary,
        lambda: answer("get", "/auth/me"),
        {"username": "login", "name": "display_name", "role": None, "store_id": None, "store_name": None,
         "client_count": None, "open_task_count": None},
        SPEC,
    ),
    (
        wire.StaffSummary,
        lambda: answer("get", "/stores/{store_id}/consultants"),
        {"id": "staff_id", "username": "login", "roles": None, "locale": None},
        SPEC,
    ),
    (wire.ArrivalResult, lambda: answer("post", "/stores/{store_id}/arrivals", "202"), {}, SPEC),
    (wire.TaskList, lambda: TASKS, {}, SPEC),
    (wire.Task, lambda: field_of(TASKS, "my_clients"), {}, SPEC),
    (wire.ClientRow, lambda: field_of(CLIENTS, "items"), {"member_id": "id"}, SPEC),
    (
        wire.ArrivalCard,
        lambda: EVENT,
        {"member_id": "member.id", "name": "member.name", "tier": "member.tier", "talking_point": None,
         "event_seq": None, "event_id": None, "offer": "reactivation_offer", "phone": "member.phone",
         "card_number": "member.card_number", "tags": "member.tags", "persona": "member.persona",
         "points_available": "member.points_available", "dormancy": "member.dormancy",
         "points_expiring_within_30_days": "member.points_expiring_within_30_days",
         "dormancy_text": "member.dormancy_text", "heat_index": "member.heat_index",
         "tier_progress": "member.tier_progress", "consultants": "member.consultants",
         "days_since_last_purchase": "member.days_since_last_purchase",
         "last_purchase_on": "member.last_purchase_on", "next_tier": "member.next_tier",
         "spend_needed": "member.spend_needed", "visits_needed": "member.visits_needed",
         "tier_qualify": "member.tier_qualify"},
        EVENT,
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("cls", "schema", "renames", "root"), CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]
)
def test_every_field_is_one_the_server_sends(
    cls: type, schema: Callable[[], Schema], renames: dict[str, str | None], root: Schema
) -> None:
    target = schema()
    missing = []
    for f in dataclasses.fields(cls):
        wire_name = renames.get(f.name, f.name)
        if wire_name is None:
            continue
        *parents, leaf = wire_name.split(".")
        owner = field_of(target, ".".join(parents), root) if parents else target
        if leaf not in owner.get("properties", {}):
            missing.append(f"{f.name} (server: {wire_name})")
    assert missing == [], f"{cls.__name__} reads fields the server does not send: {missing}"
    unused = set(renames) - {f.name for f in dataclasses.fields(cls)}
    assert unused == set(), f"stale renames for {cls.__name__}: {unused}"


def test_the_floor_frame_carries_the_seq_and_event_id_the_card_keeps() -> None:
    names = {f.name for f in dataclasses.fields(Envelope)}
    assert {"seq", "event_id", "payload"} <= names


def test_parsing_tolerates_extra_and_missing_fields() -> None:
    point = wire.TalkingPoint.from_json({"kind": "birthday", "text": "生日快乐", "new_field": 1})
    assert point == wire.TalkingPoint(kind="birthday", text="生日快乐")
    card = wire.ArrivalCard.from_json({"seq": 7, "event_id": "e1", "payload": {"member": {"id": 3}}})
    assert (card.member_id, card.event_seq, card.recommendations, card.offer) == (3, 7, [], None)
    assert card.talking_point == "" and card.arrived_at is None


def test_the_figures_behind_the_servers_sentences_are_parsed() -> None:
    tier = wire.Tier.from_json(
        {"name": "loyal", "next_tier": "VIP", "progress": "2148.00 more or 16 more visits to VIP",
         "spend_needed": "2148.00", "visits_needed": 16, "window_spend": "2852.00", "window_visits": 8,
         "window_days": 365, "qualify": "spend_or_visits", "review_on": "2027-01-30",
         "review_tier": "growing"}
    )  # fmt: skip
    assert (tier.spend_needed, tier.visits_needed, tier.window_spend, tier.window_visits) == (
        "2148.00",
        16,
        "2852.00",
        8,
    )
    assert (tier.review_on, tier.review_tier) == (date(2027, 1, 30), "growing")
    task = wire.Task.from_json(
        {"kind": "follow_up", "ref": "follow_up:3", "channel": "call", "contact_on": "2026-08-10",
         "due_in_days": -2, "note": "回访", "data": {}}
    )  # fmt: skip
    assert (task.channel, task.contact_on, task.due_in_days, task.note) == (
        "call",
        date(2026, 8, 10),
        -2,
        "回访",
    )
    evidence = wire.Persona.from_json(
        {"label": "balanced", "evidence": [{"code": "price_index", "value": None}]}
    )
    assert evidence.evidence == [wire.PersonaEvidence("price_index", None, None, None)]
