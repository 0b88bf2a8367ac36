"""Running journeys: enrol members from events, then run due steps, a batch per transaction.

Both halves claim their rows for the transaction that handles them (FOR UPDATE SKIP LOCKED on
PostgreSQL, the single writer on SQLite) and commit everything a batch did at once: the enrolments and
the events marked consumed; a step's effects (a message queued in the outbox, a coupon, a tag, a task),
the step marked done and its successor. A worker killed in the middle rolls back and the rows are
claimed again, so nothing is done twice and nothing is lost. A step that writes rows of its own runs in a
savepoint, so one member's failure (a coupon template that ran out) is recorded on that step and the
batch goes on.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.automations import definitions as d
from server.automations import repository as repo
from server.automations.holdout import arm, branch
from server.business_events.events import NewEvent, emit_many
from server.core.errors import AisleError
from server.coupons import words
from server.coupons.service import hold_template, issue_coupon
from server.db.tables import (
    AutomationEvent,
    Journey,
    JourneyEnrolment,
    JourneyStep,
    JourneyVersion,
    Member,
    MemberEvent,
    MemberTag,
    Product,
    Store,
)
from server.messaging.bulk import Notice, enqueue_many
from server.messaging.outbox import member_lang
from server.messaging.purposes import purpose_of
from server.signals.repository import primary_consultants
from server.tags.evaluation import compile_rule, facts_used
from server.tags.service import compute_facts

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineSettings:
    """The chain's control-group settings and batch sizes."""

    salt: str = "aisle"
    global_holdout_percent: float = 5.0
    event_batch: int = 2000
    step_batch: int = 1000


@dataclass
class Live:
    """A journey's live version, parsed once per batch."""

    journey: Journey
    version: JourneyVersion
    definition: d.Definition
    stores: set[int] | None  # None: every store


def live_journeys(session: Session) -> list[Live]:
    """Active journeys with their parsed live versions and the stores they run for."""
    pairs = repo.live_versions(session)
    switches = repo.switched_on(session, [j.id for j, _ in pairs if j.per_store_switch])
    out = []
    for journey, version in pairs:
        if journey.per_store_switch:
            stores: set[int] | None = switches.get(journey.id, set())
            if journey.store_id is not None:
                stores = stores & {journey.store_id} if stores else set()
        else:
            stores = None if journey.store_id is None else {journey.store_id}
        out.append(Live(journey, version, d.Definition.model_validate(version.definition), stores))
    return out


# Entering ------------------------------------------------------------------------------------------


def _matches(trigger: Any, event: AutomationEvent) -> bool:
    payload = event.payload or {}
    if isinstance(trigger, d.EventTrigger):
        if trigger.event != event.kind:
            return False
        if trigger.tag is not None and payload.get("tag") != trigger.tag:
            return False
        if trigger.direction is not None and payload.get("direction") != trigger.direction:
            return False
        return trigger.min_amount is None or float(payload.get("amount", 0)) >= trigger.min_amount
    if isinstance(trigger, d.DayTrigger | d.ExpiryTrigger):
        return trigger.type == event.kind and payload.get("days_before") == trigger.days_before
    if isinstance(trigger, d.LapsedTrigger):
        return event.kind == "lapsed" and payload.get("days") == trigger.days
    if isinstance(trigger, d.AudienceTrigger):
        return event.kind == "audience"
    if isinstance(trigger, d.SegmentTrigger):
        return event.kind == "segment_entered"
    return False


def _entry_key(definition: d.Definition, event: AutomationEvent, live: Live) -> str:
    if isinstance(definition.trigger, d.AudienceTrigger):
        return f"audience:{live.version.id}"
    if definition.reentry == "once":
        return "once"
    return event.key[:120]


def _admitted(
    session: Session, live: Live, candidates: list[AutomationEvent], now: datetime
) -> list[AutomationEvent]:
    """The candidates the journey's `when` rule and re-entry policy let in."""
    definition = live.definition
    if definition.when is not None:
        rule = d.parsed_rule(definition.when, "when")
        test = compile_rule(rule)
        facts = compute_facts(session, now, sorted({e.member_id for e in candidates}), facts_used(rule))
        candidates = [e for e in candidates if e.member_id in facts and test(facts[e.member_id], now.date())]
    if definition.reentry in ("once", "after_exit") and candidates:
        inside = repo.enrolled(
            session,
            live.journey.id,
            [e.member_id for e in candidates],
            active_only=definition.reentry != "once",
        )
        candidates = [e for e in candidates if e.member_id not in inside]
    return candidates


def _context_of(event: AutomationEvent) -> dict[str, Any]:
    """Values the trigger hands to the journey's messages."""
    payload = dict(event.payload or {})
    keep = {k: v for k, v in payload.items() if isinstance(v, str | int | float | bool) or v is None}
    if event.kind == "member_day" and "on" in payload:
        keep["event_date"] = payload["on"]
    if "on" in payload and event.kind.endswith("_expiring"):
        keep["expires_on"] = payload["on"]
    if "old" in payload:
        keep["old_tier"], keep["new_tier"] = payload.get("old"), payload.get("new")
    return keep


def consume_events(session: Session, now: datetime, settings: EngineSettings) -> int:
    """Handle a batch of events: goals first (a purchase converts who entered before it), then entries."""
    events = repo.claim_events(session, settings.event_batch)
    if not events:
        return 0
    _record_goals(session, [e for e in events if e.kind == "purchased"], now)
    lives = live_journeys(session)
    homes = _home_stores(session, {e.member_id for e in events})
    enrolment_rows: list[dict[str, Any]] = []
    first: dict[int, str] = {}
    for live in lives:
        matching = [e for e in events if _matches(live.definition.trigger, e)]
        if live.stores is not None:
            matching = [e for e in matching if homes.get(e.member_id) in live.stores]
        # One entry per member per batch: two events of the same member and key enter once.
        unique: dict[tuple[int, str], AutomationEvent] = {}
        for e in matching:
            unique.setdefault((e.member_id, _entry_key(live.definition, e, live)), e)
        admitted = _admitted(session, live, list(unique.values()), now) if unique else []
        if live.definition.reentry in ("once", "after_exit"):
            admitted = list({e.member_id: e for e in admitted}.values())
        goal = live.definition.goal
        for e in admitted:
            enrolment_rows.append(
                {
                    "journey_id": live.journey.id,
                    "version_id": live.version.id,
                    "member_id": e.member_id,
                    "entry_key": _entry_key(live.definition, e, live),
                    "store_id": homes.get(e.member_id),
                    "arm": arm(
                        settings.salt,
                        live.journey.id,
                        e.member_id,
                        live.definition.holdout_percent,
                        settings.global_holdout_percent,
                    ),
                    "status": "active",
                    "entered_at": now,
                    "goal_until": now + timedelta(days=goal.within_days) if goal else None,
                    "revenue": Decimal(0),
                    "end_reason": "",
                    "context": _context_of(e),
                }
            )
        first[live.journey.id] = live.definition.start
    added = repo.insert_enrolments(session, enrolment_rows) if enrolment_rows else []
    if added:
        journey_of = _journeys_of(session, [i for i, _ in added])
        repo.insert_steps(
            session,
            [
                {
                    "enrolment_id": i,
                    "node": first[journey_of[i]],
                    "visit": 1,
                    "status": "due",
                    "due_at": now,
                    "outcome": "",
                    "detail": "",
                }
                for i, _ in added
            ],
        )
    repo.mark_consumed(session, [e.id for e in events], now)
    session.flush()
    return len(events)


def _journeys_of(session: Session, enrolment_ids: list[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for part in _parts(enrolment_ids):
        stmt = select(JourneyEnrolment.id, JourneyEnrolment.journey_id).where(JourneyEnrolment.id.in_(part))
        out.update({int(i): int(j) for i, j in session.execute(stmt)})
    return out


def _parts(ids: list[int], size: int = 900) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _home_stores(session: Session, member_ids: set[int]) -> dict[int, int | None]:
    out: dict[int, int | None] = {}
    for part in _parts(sorted(member_ids)):
        out.update(
            dict(session.execute(select(Member.id, Member.home_store_id).where(Member.id.in_(part))).all())
        )
    return out


def _record_goals(session: Session, purchases: list[AutomationEvent], now: datetime) -> None:
    """A purchase inside an enrolment's goal window converts it (once); exit on goal ends the journey."""
    if not purchases:
        return
    by_member: dict[int, list[AutomationEvent]] = defaultdict(list)
    for e in sorted(purchases, key=lambda e: e.occurred_at):
        by_member[e.member_id].append(e)
    earliest, latest = min(e.occurred_at for e in purchases), max(e.occurred_at for e in purchases)
    ended: list[int] = []
    exits = _exit_on_goal(session)
    for enrolment in repo.open_goals(session, list(by_member), earliest, latest):
        for e in by_member[enrolment.member_id]:
            if not enrolment.entered_at < e.occurred_at <= (enrolment.goal_until or e.occurred_at):
                continue
            # Every purchase in the window counts towards revenue; the first one is the conversion.
            enrolment.revenue = Decimal(enrolment.revenue or 0) + Decimal(
                str((e.payload or {}).get("amount", 0))
            )
            if enrolment.converted_at is None:
                enrolment.converted_at = e.occurred_at
                if enrolment.status == "active" and enrolment.version_id in exits:
                    enrolment.status, enrolment.ended_at, enrolment.end_reason = (
                        "converted",
                        now,
                        "goal reached",
                    )
                    ended.append(enrolment.id)
    if ended:
        repo.skip_open_steps(session, ended, now)


def _exit_on_goal(session: Session) -> set[int]:
    """Version ids whose goal ends the journey (read from the definitions of the active journeys)."""
    out: set[int] = set()
    for _, version in repo.live_versions(session):
        goal = version.definition.get("goal")
        if goal and goal.get("exit_on_goal", True):
            out.add(version.id)
    return out


# Steps ---------------------------------------------------------------------------------------------


@dataclass
class Done:
    """What running one step came to."""

    outcome: str
    detail: str = ""
    nexts: list[tuple[str, datetime]] = field(default_factory=list)
    end: str | None = None  # completed / exited: the enrolment ends here


@dataclass
class Batch:
    """What a batch of steps shares: members, stores, facts, the people to tell, journeys' versions."""

    session: Session
    now: datetime
    settings: EngineSettings
    members: dict[int, Member]
    stores: dict[int, Store]
    consultants: dict[int, int]
    managers: dict[int, int]
    versions: dict[int, JourneyVersion]
    definitions: dict[int, d.Definition]
    facts: dict[int, dict[str, Any]]
    notices: list[Notice] = field(default_factory=list)


def run_steps(session: Session, now: datetime, settings: EngineSettings) -> int:
    """Run a batch of due steps (see the module docstring); how many were handled."""
    steps = repo.claim_steps(session, now, settings.step_batch)
    if not steps:
        return 0
    enrolments = repo.enrolments(session, [s.enrolment_id for s in steps])
    batch = _prepare(session, now, settings, steps, enrolments)
    _hold_locks(session, batch, steps, enrolments)
    counts = repo.visits(session, list(enrolments))
    new_steps: list[dict[str, Any]] = []
    for step in steps:
        enrolment = enrolments[step.enrolment_id]
        if enrolment.status != "active":
            step.status, step.done_at, step.outcome = "skipped", now, "ended"
            continue
        definition = batch.definitions[enrolment.version_id]
        node = definition.node(step.node)
        try:
            if _writes(node, enrolment):
                with session.begin_nested():
                    done = _run(batch, enrolment, step, node)
            else:  # nothing to undo if it fails: no savepoint, no flush of the batch so far
                done = _run(batch, enrolment, step, node)
        except AisleError as exc:
            done = Done("failed", str(exc), [(nxt, now) for _, nxt in d.successors(node)][:1])
        step.status, step.done_at, step.outcome, step.detail = (
            "done",
            now,
            done.outcome[:40],
            done.detail[:2000],
        )
        if not done.nexts and done.end is None:
            done.end = "completed"
        for node_id, due in done.nexts:
            visit = counts.get((enrolment.id, node_id), 0) + 1
            if visit > d.MAX_VISITS:
                done.end = "exited"
                enrolment.end_reason = f"came round {node_id!r} {d.MAX_VISITS} times"
                break
            counts[(enrolment.id, node_id)] = visit
            new_steps.append(
                {
                    "enrolment_id": enrolment.id,
                    "node": node_id,
                    "visit": visit,
                    "status": "due",
                    "due_at": due,
                    "outcome": "",
                    "detail": "",
                }
            )
        if done.end is not None:
            enrolment.status, enrolment.ended_at = done.end, now
            enrolment.end_reason = enrolment.end_reason or (
                "the last step" if done.end == "completed" else "exit"
            )
    if batch.notices:
        enqueue_many(session, batch.notices, now=now)
    if new_steps:
        repo.insert_steps(session, new_steps)
    session.flush()
    return len(steps)


def _prepare(
    session: Session,
    now: datetime,
    settings: EngineSettings,
    steps: list[JourneyStep],
    enrolments: dict[int, JourneyEnrolment],
) -> Batch:
    member_ids = sorted({e.member_id for e in enrolments.values()})
    members: dict[int, Member] = {}
    for part in _parts(member_ids):
        members.update({m.id: m for m in session.scalars(select(Member).where(Member.id.in_(part)))})
    store_ids = sorted({m.home_store_id for m in members.values() if m.home_store_id is not None})
    stores = (
        {s.id: s for s in session.scalars(select(Store).where(Store.id.in_(store_ids)))} if store_ids else {}
    )
    versions = repo.versions(session, [e.version_id for e in enrolments.values()])
    definitions = {i: d.Definition.model_validate(v.definition) for i, v in versions.items()}
    # Facts only for members standing at a condition, and only the facts those conditions name.
    wanted: set[str] = set()
    asking: set[int] = set()
    for step in steps:
        enrolment = enrolments[step.enrolment_id]
        node = definitions[enrolment.version_id].by_id().get(step.node)
        if isinstance(node, d.ConditionNode):
            wanted |= facts_used(d.parsed_rule(node.rule, "rule"))
            asking.add(enrolment.member_id)
    facts = compute_facts(session, now, sorted(asking), wanted) if asking else {}
    needs_people = any(
        isinstance(
            definitions[enrolments[s.enrolment_id].version_id].by_id().get(s.node), d.TaskNode | d.NotifyNode
        )
        for s in steps
    )
    consultants = primary_consultants(session, member_ids) if needs_people else {}
    managers = repo.store_managers(session, store_ids) if needs_people else {}
    return Batch(session, now, settings, members, stores, consultants, managers, versions, definitions, facts)


# Steps that write rows of their own (a coupon, a tag, a task or a note) run in a savepoint, so one that
# fails leaves nothing behind; the rest only read and return what to do (a send's notice is queued with
# the batch's), so they need none, and the batch's updates are flushed together at its end.
WRITING = (d.CouponNode, d.TagNode, d.TaskNode, d.NotifyNode)


def _writes(node: Any, enrolment: JourneyEnrolment) -> bool:
    held = enrolment.arm != "treatment" and node.type in d.MEMBER_FACING
    return isinstance(node, WRITING) and not held


def _hold_locks(
    session: Session, batch: Batch, steps: list[JourneyStep], enrolments: dict[int, JourneyEnrolment]
) -> None:
    """Take the locks the batch's coupons need up front, templates then members, each in id order.

    Issuing a coupon locks its template and then the member until commit; a batch issuing several in
    step order, beside another worker's batch, could wait on it in a circle (PostgreSQL finds the
    deadlock and rolls one back, but the work is lost). In one global order no circle can form.
    """
    templates: set[int] = set()
    members: set[int] = set()
    for step in steps:
        enrolment = enrolments[step.enrolment_id]
        node = batch.definitions[enrolment.version_id].by_id().get(step.node)
        if enrolment.status == "active" and isinstance(node, d.CouponNode) and _writes(node, enrolment):
            templates.add(node.template_id)
            members.add(enrolment.member_id)
    if not templates or not repo.postgres(session):
        return  # SQLite: the batch holds the single write lock already
    for template_id in sorted(templates):
        try:
            hold_template(session, template_id)
        except AisleError:
            continue  # gone: its steps fail with the reason when they run
    repo.lock_members(session, sorted(members))


def _next(node: Any, at: datetime) -> list[tuple[str, datetime]]:
    return [(nxt, at) for _, nxt in d.successors(node)]


def _run(batch: Batch, enrolment: JourneyEnrolment, step: JourneyStep, node: Any) -> Done:
    now = batch.now
    held = enrolment.arm != "treatment" and node.type in d.MEMBER_FACING
    if held:
        return Done("held_out", f"a {enrolment.arm} control member: not {node.type}", _next(node, now))
    key = f"journey:{enrolment.id}:{node.id}:{step.visit}"
    member = batch.members[enrolment.member_id]
    if isinstance(node, d.WaitNode):
        return Done(
            "waited", "", _next(node, wait_until(node, now, batch.stores.get(member.home_store_id or -1)))
        )
    if isinstance(node, d.ConditionNode):
        rule = d.parsed_rule(node.rule, "rule")
        facts = batch.facts.get(member.id)
        yes = facts is not None and compile_rule(rule)(facts, now.date())
        nxt = node.yes if yes else node.no
        return Done("yes" if yes else "no", "", [(nxt, now)] if nxt else [])
    if isinstance(node, d.SplitNode):
        i = branch(
            batch.settings.salt, enrolment.journey_id, node.id, member.id, [b.percent for b in node.branches]
        )
        chosen = node.branches[i]
        return Done(chosen.label, "", [(chosen.next, now)] if chosen.next else [])
    if isinstance(node, d.ExitNode):
        return Done("exited", "", [], end="exited")
    if isinstance(node, d.SendNode):
        return _send(batch, enrolment, node, key)
    if isinstance(node, d.CouponNode):
        return _coupon(batch, enrolment, node, key)
    if isinstance(node, d.TagNode):
        return _tag(batch, enrolment, node)
    if isinstance(node, d.TaskNode | d.NotifyNode):
        return _tell(batch, enrolment, node, key)
    raise AssertionError(f"unknown node type {node.type}")


def wait_until(node: d.WaitNode, now: datetime, store: Store | None) -> datetime:
    """Now plus the wait, then forward to the next `until_time` in the store's time zone."""
    due = now + timedelta(days=node.days, hours=node.hours, minutes=node.minutes)
    if node.until_time is None:
        return due
    zone = ZoneInfo(store.timezone if store is not None and store.timezone else "UTC")
    local = due.astimezone(zone)
    hour, minute = (int(x) for x in node.until_time.split(":"))
    target = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target < local:
        target += timedelta(days=1)
    return target.astimezone(due.tzinfo)


def _send(batch: Batch, enrolment: JourneyEnrolment, node: d.SendNode, key: str) -> Done:
    spec = purpose_of(node.purpose)
    values: dict[str, Any] = {}
    member = batch.members[enrolment.member_id]
    own = node.values_zh if member_lang(member) == "zh" else node.values_en
    known = dict(enrolment.context or {}) | dict(node.values) | dict(own)
    if "product_name" in spec.variables and "product_name" not in known and known.get("product_id"):
        product = batch.session.get(Product, known["product_id"])
        if product is not None:  # the catalogue's name in the member's language, where it has one
            entry = (product.translations or {}).get(member_lang(member))
            local = entry.get("name") if isinstance(entry, dict) else None
            known["product_name"] = local or product.name
    missing = [name for name in spec.variables if known.get(name) in (None, "")]
    if missing:
        return Done(
            "failed",
            f"no value for {', '.join(missing)} (did the coupon before it fail?)",
            _next(node, batch.now),
        )
    values = {name: known[name] for name in spec.variables}
    batch.notices.append(Notice(enrolment.member_id, node.purpose, values, key, node.channel))
    return Done("queued", key, _next(node, batch.now))


def _coupon(batch: Batch, enrolment: JourneyEnrolment, node: d.CouponNode, key: str) -> Done:
    issued = issue_coupon(
        batch.session,
        node.template_id,
        enrolment.member_id,
        key=key,
        source="automation",
        store_id=enrolment.store_id,
        now=batch.now,
        announce=node.announce,
    )
    coupon = issued.coupon
    lang = member_lang(batch.members[enrolment.member_id])
    context = dict(enrolment.context or {})
    context.update(
        coupon_id=coupon.id,
        coupon_code=coupon.code,
        coupon_name=words.name(coupon, lang),
        coupon_value=words.value(coupon, lang, labels=words.labels_for(batch.session, [coupon])),
        expires_on=coupon.valid_until.isoformat(),
    )
    amount = (coupon.terms or {}).get("amount")
    if amount is not None:
        context["coupon_amount"] = str(Decimal(str(amount)))
    enrolment.context = context
    return Done("issued", coupon.code[:2] + "…", _next(node, batch.now))


def _tag(batch: Batch, enrolment: JourneyEnrolment, node: d.TagNode) -> Done:
    session, member_id = batch.session, enrolment.member_id
    have = session.scalars(
        select(MemberTag).where(MemberTag.member_id == member_id, MemberTag.tag == node.tag)
    ).first()
    if node.action == "add":
        if have is not None:
            return Done("unchanged", "", _next(node, batch.now))
        session.add(
            MemberTag(
                member_id=member_id, tag=node.tag, source="journey", explanation=[], tagged_at=batch.now
            )
        )
    else:
        if have is None or have.rule_id is not None:
            return Done(
                "unchanged",
                "a rule's tag stays until the rule drops it" if have else "",
                _next(node, batch.now),
            )
        session.execute(delete(MemberTag).where(MemberTag.id == have.id))
    emit_many(
        session,
        [
            NewEvent(
                f"tag_{'added' if node.action == 'add' else 'removed'}",
                member_id,
                f"tag:{node.action}:{member_id}:{node.tag}:{enrolment.id}:{node.id}",
                batch.now,
                enrolment.store_id,
                {"tag": node.tag},
            )
        ],
    )
    return Done("added" if node.action == "add" else "removed", node.tag, _next(node, batch.now))


def _tell(batch: Batch, enrolment: JourneyEnrolment, node: d.TaskNode | d.NotifyNode, key: str) -> Done:
    member = batch.members[enrolment.member_id]
    staff_id = batch.consultants.get(member.id)
    who = "consultant"
    if staff_id is None and member.home_store_id is not None:
        staff_id, who = batch.managers.get(member.home_store_id), "store_manager"
    if staff_id is None:
        return Done("no_one", "the member has no consultant and the store no manager", _next(node, batch.now))
    locale = repo.staff_locales(batch.session, [staff_id]).get(staff_id, "en")
    zh = (locale or "").startswith("zh")
    journey = batch.session.get(Journey, enrolment.journey_id)
    name = (journey.name_zh if zh else journey.name_en) if journey else ""
    if isinstance(node, d.TaskNode):
        text = node.script_zh if zh else node.script_en
        payload = {
            "journey_id": enrolment.journey_id,
            "journey": name,
            "task": node.kind,
            "script_zh": node.script_zh,
            "script_en": node.script_en,
            "due_on": (batch.now + timedelta(days=node.due_days)).date().isoformat(),
            "addressed_to": who,
        }
        kind = "journey_task"
    else:
        text = node.text_zh if zh else node.text_en
        payload = {
            "journey_id": enrolment.journey_id,
            "journey": name,
            "addressed_to": who,
            "text_zh": node.text_zh,
            "text_en": node.text_en,
        }
        kind = "journey_note"
    found = batch.session.scalars(select(MemberEvent.id).where(MemberEvent.dedup_key == key)).first()
    if found is None:
        batch.session.add(
            MemberEvent(
                member_id=member.id,
                kind=kind,
                staff_id=staff_id,
                text=text,
                payload=payload,
                dedup_key=key,
                occurred_at=batch.now,
            )
        )
    return Done("assigned", f"{who} {staff_id}", _next(node, batch.now))
