"""Saving tag rules (422 with the reason) and tagging members, one at a time or all at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.errors import Conflict, InvalidInput
from server.db.tables import MemberTag
from server.tags.service import create_rule, explain_member, list_facts, retag, retag_member, update_rule
from tests.server.loyalty.rows import Shop, at

NOW = at(2024, 6, 30)
HIGH_VALUE = {
    "all": [
        {"fact": "spend_90d", "op": "gt", "value": 5000},
        {"fact": "visits_90d", "op": "gt", "value": 3},
    ]
}
DORMANT = {"fact": "days_since_last_purchase", "op": "gt", "value": 180}


def _tags(session: Session) -> set[tuple[int, str]]:
    return {(m, t) for m, t in session.execute(select(MemberTag.member_id, MemberTag.tag))}


def test_a_bad_rule_is_refused_with_its_reason(session: Session) -> None:
    bad = {"all": [HIGH_VALUE, {"fact": "spend_90d", "op": "contains", "value": 3}]}
    with pytest.raises(InvalidInput) as caught:
        create_rule(session, "high value", bad, NOW)
    assert caught.value.status_code == 422
    assert caught.value.message.startswith("rule.all[1].op: operator 'contains' does not apply to spend_90d")
    with pytest.raises(InvalidInput, match="unknown fact 'mood'"):
        create_rule(session, "happy", {"fact": "mood", "op": "eq", "value": "happy"}, NOW)
    create_rule(session, "high value", HIGH_VALUE, NOW)
    with pytest.raises(Conflict):
        create_rule(session, "high  value ", HIGH_VALUE, NOW)


def test_the_facts_are_listed_with_their_types() -> None:
    by_name = {f.name: f for f in list_facts()}
    assert by_name["spend_90d"].type == "number" and by_name["tier"].type == "string"
    assert by_name["favourite_categories"].type == "list[string]"


def _shop_with_two_members(session: Session) -> tuple[int, int]:
    shop = Shop(session)
    big, quiet = shop.member("Big Spender"), shop.member("Quiet One")
    watch = shop.product("watches", "1500.00")
    for day in (2, 9, 16, 23):
        shop.sale(big, at(2024, 6, day), [(watch, 1, "1500.00")])
    shop.sale(quiet, at(2023, 11, 1), [(watch, 1, "1500.00")])
    return big.id, quiet.id


def test_a_full_pass_tags_who_matches_and_says_why(session: Session) -> None:
    big, quiet = _shop_with_two_members(session)
    create_rule(session, "high value", HIGH_VALUE, NOW)
    create_rule(session, "dormant", DORMANT, NOW)
    result = retag(session, NOW)
    assert (result.members, result.added, result.removed) == (2, 2, 0)
    assert _tags(session) == {(big, "high value"), (quiet, "dormant")}
    tag = session.scalar(select(MemberTag).where(MemberTag.member_id == big))
    assert tag is not None and tag.explanation == ["spend_90d is 6000 (> 5000)", "visits_90d is 4 (> 3)"]
    again = retag(session, NOW)
    assert (again.added, again.removed, again.refreshed) == (0, 0, 0)
    # Ninety days on, the big spender's purchases have left the window.
    later = retag(session, NOW + timedelta(days=90))
    assert (later.added, later.removed) == (0, 1)
    assert _tags(session) == {(quiet, "dormant")}


def test_one_member_is_retagged_alone(session: Session) -> None:
    big, quiet = _shop_with_two_members(session)
    create_rule(session, "dormant", DORMANT, NOW)
    result = retag_member(session, quiet, NOW)
    assert (result.members, result.added) == (1, 1)
    assert _tags(session) == {(quiet, "dormant")}
    verdicts = explain_member(session, big, NOW)
    assert not verdicts["dormant"].matched
    assert verdicts["dormant"].explain() == ["days_since_last_purchase is 7, not > 180"]


def test_editing_a_rule_bumps_its_version_and_refreshes_the_tags(session: Session) -> None:
    big, _ = _shop_with_two_members(session)
    rule = create_rule(session, "high value", HIGH_VALUE, NOW)
    retag(session, NOW)
    looser = {"all": [{"fact": "spend_90d", "op": "gt", "value": 1000}]}
    assert update_rule(session, rule.id, NOW, rule=looser).version == 2
    assert update_rule(session, rule.id, NOW, rule=looser).version == 2  # same condition: same version
    result = retag(session, NOW)
    assert result.refreshed == 1
    tag = session.scalar(select(MemberTag).where(MemberTag.member_id == big))
    assert tag is not None and (tag.rule_version, tag.explanation) == (2, ["spend_90d is 6000 (> 1000)"])
    update_rule(session, rule.id, NOW, active=False)
    assert retag(session, NOW).removed == 1


def test_a_tag_set_by_staff_is_left_alone(session: Session) -> None:
    big, _ = _shop_with_two_members(session)
    session.add(MemberTag(member_id=big, tag="high value", source="staff", tagged_at=NOW))
    session.flush()
    create_rule(session, "high value", HIGH_VALUE, NOW)
    assert retag(session, NOW).added == 0
    tag = session.scalar(select(MemberTag).where(MemberTag.member_id == big))
    assert tag is not None and tag.source == "staff"
