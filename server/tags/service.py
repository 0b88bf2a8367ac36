"""Tag rules: saving them (validated, 422 with the reason), and running them for one member or for all.

A full pass computes every member's facts with a few aggregate queries, evaluates the active rules in
memory, and writes only the difference: tags gained, tags lost, tags whose rule was edited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.business_events.events import NewEvent, emit_many
from server.core.errors import Conflict, InvalidInput, NotFound
from server.db.queries import Members
from server.db.tables import TagRule
from server.loyalty.config import load_config
from server.loyalty.repository import balances
from server.member_tags import repository as member_tags
from server.signals.heat import HORIZON_DAYS, HeatSettings, heat_at
from server.signals.repository import daily_activity
from server.tags import repository as repo
from server.tags.evaluation import Verdict, compile_rule, evaluate, facts_used
from server.tags.facts import CATEGORY_FACTS, COUPON_FACTS, FACTS, TRANSACTION_FACTS, member_facts
from server.tags.rules import FactSpec, Rule, RuleError, dump_rule, parse_rule


def list_facts() -> list[FactSpec]:
    """The facts a rule may name, with their types, meanings and operators (for the rule editor)."""
    return sorted(FACTS.values(), key=lambda f: f.name)


def validate_rule(raw: Any) -> Rule:
    """A rule checked against the fact registry; InvalidInput (422) naming where in the rule it is wrong."""
    try:
        return parse_rule(raw, FACTS)
    except RuleError as exc:
        raise InvalidInput(
            f"rule.{exc.path}: {exc.message}" if exc.path else f"rule: {exc.message}"
        ) from None


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 80:
        raise InvalidInput("a tag name needs 1 to 80 characters")
    return name


def create_rule(
    session: Session,
    name: str,
    rule: Any,
    now: datetime,
    description: str = "",
    active: bool = True,
    staff_id: int | None = None,
) -> TagRule:
    """Save a new rule that sets the tag `name`; 409 if a rule with that name exists."""
    name = _clean_name(name)
    stored = dump_rule(validate_rule(rule))
    if repo.rule_by_name(session, name) is not None:
        raise Conflict(f"a tag rule named {name!r} already exists")
    row = TagRule(
        name=name,
        description=description,
        rule=stored,
        active=active,
        version=1,
        created_at=now,
        updated_at=now,
        updated_by_id=staff_id,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(f"a tag rule named {name!r} already exists") from None
    return row


def list_rules(session: Session, limit: int, offset: int) -> tuple[list[TagRule], int]:
    """A page of every tag rule, active or not, by name, with how many there are."""
    return repo.rules_page(session, limit, offset)


def get_rule(session: Session, rule_id: int) -> TagRule:
    """One tag rule (404 if there is none)."""
    row = session.get(TagRule, rule_id)
    if row is None:
        raise NotFound(f"tag rule {rule_id} not found")
    return row


def update_rule(
    session: Session,
    rule_id: int,
    now: datetime,
    rule: Any = None,
    description: str | None = None,
    active: bool | None = None,
    staff_id: int | None = None,
) -> TagRule:
    """Change a rule's condition, description or activity; a new condition bumps the version."""
    row = get_rule(session, rule_id)
    if rule is not None:
        stored = dump_rule(validate_rule(rule))
        if stored != row.rule:
            row.rule, row.version = stored, row.version + 1
    if description is not None:
        row.description = description
    if active is not None:
        row.active = active
    row.updated_at, row.updated_by_id = now, staff_id
    session.flush()
    return row


def compute_facts(
    session: Session, now: datetime, member_ids: Members = None, names: set[str] | None = None
) -> dict[int, dict[str, Any]]:
    """The facts (all, or only `names`) of the given members (all when None), from a few aggregate queries."""
    wanted = set(FACTS) if names is None else names
    lowest = load_config(session).ladder.lowest
    aggs = repo.base_aggregates(session, lowest, member_ids)
    if wanted & TRANSACTION_FACTS:
        repo.add_transaction_totals(session, aggs, now, member_ids)
    if wanted & COUPON_FACTS:
        repo.add_coupon_totals(session, aggs, now, member_ids)
    medians: dict[str, Decimal] = {}
    if wanted & CATEGORY_FACTS:
        repo.add_category_totals(session, aggs, now, member_ids)
        medians = repo.category_medians(session)
    if "points_balance" in wanted:
        for member_id, points in balances(session, member_ids).items():
            if member_id in aggs:
                aggs[member_id].points_balance = points
    if "heat_index" in wanted:
        settings = HeatSettings()
        since = now - timedelta(days=HORIZON_DAYS)
        for member_id, acts in daily_activity(session, since, now, member_ids).items():
            if member_id in aggs:
                aggs[member_id].heat_index = heat_at(acts, now.date(), settings)
    return {member_id: member_facts(agg, now, medians, wanted) for member_id, agg in aggs.items()}


@dataclass
class RetagResult:
    """What a tagging pass changed."""

    members: int = 0
    added: int = 0
    removed: int = 0
    refreshed: int = 0
    skipped_rules: list[str] = field(default_factory=list)  # stored rules the registry no longer accepts


def _active(session: Session, result: RetagResult) -> list[tuple[TagRule, Rule]]:
    out = []
    for row in repo.active_rules(session):
        try:
            out.append((row, parse_rule(row.rule, FACTS)))
        except RuleError as exc:
            result.skipped_rules.append(f"{row.name}: {exc}")
    return out


def retag(session: Session, now: datetime, member_ids: Members = None) -> RetagResult:
    """Run the active rules for the given members (all when None; a list or an id range) and store the tags
    they gained or lost."""
    result = RetagResult()
    rules = _active(session, result)
    names = set().union(*(facts_used(rule) for _, rule in rules)) if rules else set()
    facts = compute_facts(session, now, member_ids, names)
    result.members = len(facts)
    existing = repo.rule_tags(session, member_ids)
    by_hand = repo.staff_tags(session, member_ids)
    today = now.date()
    checks = [(row.id, row.name, row.version, rule, compile_rule(rule)) for row, rule in rules]
    keep: set[tuple[int, int]] = set()
    adds: list[dict[str, Any]] = []
    refresh: list[dict[str, Any]] = []
    for member_id, member in facts.items():
        for rule_id, name, version, rule, matches in checks:
            if not matches(member, today) or (member_id, name) in by_hand:
                continue
            keep.add((member_id, rule_id))
            current = existing.get((member_id, rule_id))
            if current is None:
                why = evaluate(rule, member, now).explain()
                adds.append(
                    {
                        "member_id": member_id,
                        "tag": name,
                        "rule_id": rule_id,
                        "rule_version": version,
                        "source": "rule",
                        "explanation": why,
                        "tagged_at": now,
                    }
                )
            elif current[1] != version:
                refresh.append(
                    {
                        "id": current[0],
                        "rule_version": version,
                        "explanation": evaluate(rule, member, now).explain(),
                    }
                )
    gone_keys = [key for key in existing if key not in keep]
    gone = [existing[key][0] for key in gone_keys]
    rule_names = {row.id: row.name for row, _ in rules}
    # Journeys on a tag's arrival or departure: one event per change, keyed by the day it was seen.
    day = now.date().isoformat()
    emit_many(
        session,
        [
            NewEvent(
                "tag_added",
                a["member_id"],
                f"tag_added:{a['member_id']}:{a['tag']}:{day}",
                now,
                None,
                {"tag": a["tag"]},
            )
            for a in adds
        ]
        + [
            NewEvent(
                "tag_removed", m, f"tag_removed:{m}:{rule_names[r]}:{day}", now, None, {"tag": rule_names[r]}
            )
            for m, r in gone_keys
            if r in rule_names
        ],
    )
    member_tags.remove_tags(session, gone)
    member_tags.add_tags(session, adds)
    repo.refresh_tags(session, refresh)
    session.flush()
    result.added, result.removed, result.refreshed = len(adds), len(gone), len(refresh)
    return result


def retag_member(session: Session, member_id: int, now: datetime) -> RetagResult:
    """Re-run the tag rules for one member (after a purchase, a profile edit ...)."""
    return retag(session, now, [member_id])


def explain_member(session: Session, member_id: int, now: datetime) -> dict[str, Verdict]:
    """Each active rule's verdict for one member, with the leaves that decided it."""
    facts = compute_facts(session, now, [member_id]).get(member_id)
    if facts is None:
        raise NotFound(f"member {member_id} not found")
    return {row.name: evaluate(rule, facts, now) for row, rule in _active(session, RetagResult())}
