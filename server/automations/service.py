"""Journeys for people: save a draft (validated), publish it as a version, pause, switch per store,
simulate for one member, and report on how it did against its control group.

Who may do what: HQ (admin) keeps chain journeys; a store manager keeps their store's journeys and
switches chain journeys on or off for their store; an HQ analyst reads everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.roles import Role
from server.auth.scope import holds, require, visible_store_ids
from server.automations import definitions as d
from server.automations import repository as repo
from server.automations.engine import EngineSettings, wait_until
from server.automations.holdout import arm, branch
from server.automations.lift import Arm, Lift, lift
from server.automations.seeds import ensure_seed_journeys
from server.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.db.tables import CouponTemplate, Journey, JourneyStoreSwitch, JourneyVersion, Member, Staff, Store
from server.messaging.purposes import purpose_of
from server.tags.evaluation import compile_rule, evaluate, facts_used
from server.tags.service import compute_facts

WRITERS = frozenset({Role.ADMIN, Role.STORE_MANAGER})


def _can_read(caller: Staff, journey: Journey) -> bool:
    stores = visible_store_ids(caller)
    return stores is None or journey.store_id is None or journey.store_id in stores


def _require_write(caller: Staff, store_id: int | None) -> None:
    """An admin writes any journey; a store manager only their own store's."""
    if holds(caller, {Role.ADMIN}, store_id):
        return
    if store_id is None:
        raise Forbidden("a chain journey is kept by an admin")
    require(caller, WRITERS, store_id)


def get(session: Session, caller: Staff, journey_id: int) -> Journey:
    """A journey the caller may see (404 otherwise, so other stores' journeys are not revealed)."""
    journey = session.get(Journey, journey_id)
    if journey is None or not _can_read(caller, journey):
        raise NotFound(f"journey {journey_id} does not exist")
    return journey


def list_journeys(session: Session, caller: Staff, now: datetime) -> list[Journey]:
    """The journeys the caller may see: the chain's and their stores' (the seeds made on first look)."""
    ensure_seed_journeys(session, now)
    stmt = select(Journey).order_by(Journey.id)
    stores = visible_store_ids(caller)
    if stores is not None:
        stmt = stmt.where(Journey.store_id.is_(None) | Journey.store_id.in_(sorted(stores)))
    return list(session.scalars(stmt))


def check(session: Session, raw: Any) -> d.Definition:
    """Parse a definition and check what it names exists (422 with the place and the reason)."""
    try:
        definition = d.parse_definition(raw)
    except d.DefinitionError as exc:
        raise InvalidInput(str(exc)) from None
    for i, node in enumerate(definition.nodes):
        if isinstance(node, d.CouponNode):
            template = session.get(CouponTemplate, node.template_id)
            if template is None:
                raise InvalidInput(
                    f"nodes[{i}].template_id: coupon template {node.template_id} does not exist"
                )
            if not template.active:
                raise InvalidInput(
                    f"nodes[{i}].template_id: coupon template {node.template_id} is switched off"
                )
    return definition


def create(
    session: Session,
    caller: Staff,
    *,
    slug: str,
    name_zh: str,
    name_en: str,
    store_id: int | None,
    per_store_switch: bool,
    definition: dict[str, Any],
    now: datetime,
) -> Journey:
    """Save a new journey as a draft (409 if the slug is taken)."""
    _require_write(caller, store_id)
    if store_id is not None and session.get(Store, store_id) is None:
        raise InvalidInput(f"store_id: store {store_id} does not exist")
    parsed = check(session, definition)
    if session.scalars(select(Journey.id).where(Journey.slug == slug)).first() is not None:
        raise Conflict(f"a journey called {slug!r} exists already")
    journey = Journey(
        slug=slug,
        name_zh=name_zh,
        name_en=name_en,
        store_id=store_id,
        status="draft",
        draft=parsed.model_dump(mode="json", exclude_none=True),
        per_store_switch=per_store_switch,
        created_by_id=caller.id,
        created_at=now,
        updated_at=now,
    )
    session.add(journey)
    session.flush()
    return journey


def update_draft(
    session: Session,
    caller: Staff,
    journey_id: int,
    definition: dict[str, Any],
    now: datetime,
    name_zh: str | None = None,
    name_en: str | None = None,
) -> Journey:
    """Replace the draft (members in the journey go on with the version they entered)."""
    journey = get(session, caller, journey_id)
    _require_write(caller, journey.store_id)
    journey.draft = check(session, definition).model_dump(mode="json", exclude_none=True)
    journey.name_zh = name_zh or journey.name_zh
    journey.name_en = name_en or journey.name_en
    journey.updated_at = now
    session.flush()
    return journey


def publish(session: Session, caller: Staff, journey_id: int, now: datetime) -> JourneyVersion:
    """Publish the draft as the next immutable version and make it the one new members enter."""
    journey = get(session, caller, journey_id)
    _require_write(caller, journey.store_id)
    parsed = check(session, journey.draft)
    latest = session.scalar(
        select(func.max(JourneyVersion.version)).where(JourneyVersion.journey_id == journey.id)
    )
    version = JourneyVersion(
        journey_id=journey.id,
        version=(latest or 0) + 1,
        definition=parsed.model_dump(mode="json", exclude_none=True),
        published_by_id=caller.id,
        published_at=now,
    )
    session.add(version)
    session.flush()
    journey.live_version_id, journey.status, journey.updated_at = version.id, "active", now
    session.flush()
    return version


def set_status(session: Session, caller: Staff, journey_id: int, status: str, now: datetime) -> Journey:
    """Pause (nobody new enters, waiting steps hold) or resume a published journey."""
    journey = get(session, caller, journey_id)
    _require_write(caller, journey.store_id)
    if journey.live_version_id is None:
        raise Conflict("publish the journey first")
    journey.status, journey.updated_at = status, now
    session.flush()
    return journey


def switch(
    session: Session, caller: Staff, journey_id: int, store_id: int, enabled: bool, now: datetime
) -> JourneyStoreSwitch:
    """Switch a chain journey on or off for a store (its manager or an admin)."""
    journey = get(session, caller, journey_id)
    if not journey.per_store_switch:
        raise Conflict("this journey runs for all its stores; it has no per-store switch")
    if journey.store_id is not None and journey.store_id != store_id:
        raise InvalidInput(f"store_id: the journey belongs to store {journey.store_id}")
    if session.get(Store, store_id) is None:
        raise NotFound(f"store {store_id} does not exist")
    require(caller, WRITERS, store_id)
    row = session.scalars(
        select(JourneyStoreSwitch).where(
            JourneyStoreSwitch.journey_id == journey.id, JourneyStoreSwitch.store_id == store_id
        )
    ).first()
    if row is None:
        row = JourneyStoreSwitch(journey_id=journey.id, store_id=store_id)
        session.add(row)
    row.enabled, row.changed_by_id, row.changed_at = enabled, caller.id, now
    session.flush()
    return row


def switches(session: Session, journey_id: int) -> dict[int, bool]:
    """Store id -> switched on, for the stores that set the switch."""
    stmt = select(JourneyStoreSwitch.store_id, JourneyStoreSwitch.enabled).where(
        JourneyStoreSwitch.journey_id == journey_id
    )
    return {s: bool(e) for s, e in session.execute(stmt)}


# Simulation ----------------------------------------------------------------------------------------


@dataclass
class SimStep:
    """One step the member would take."""

    node: str
    type: str
    at: datetime
    does: str
    branch: str | None = None


@dataclass
class Simulation:
    """A dry run: whether the member would enter, their arm, and each step with its time."""

    member_id: int
    version: str
    enters: bool
    reason: str
    arm: str
    steps: list[SimStep] = field(default_factory=list)


def simulate(
    session: Session,
    caller: Staff,
    journey_id: int,
    member_id: int,
    at: datetime,
    settings: EngineSettings,
    use_draft: bool = False,
) -> Simulation:
    """Walk the journey for one member from `at` without doing anything: what each step would do, when.

    Conditions are judged on the member's facts as of `at` (what later steps see may differ in real life).
    """
    journey = get(session, caller, journey_id)
    member = session.get(Member, member_id)
    stores = visible_store_ids(caller)
    if member is None or (stores is not None and member.home_store_id not in stores):
        raise NotFound(f"member {member_id} does not exist")
    if use_draft or journey.live_version_id is None:
        definition, label = check(session, journey.draft), "draft"
    else:
        version = session.get(JourneyVersion, journey.live_version_id)
        assert version is not None
        definition, label = d.Definition.model_validate(version.definition), f"v{version.version}"
    member_arm = arm(
        settings.salt, journey.id, member.id, definition.holdout_percent, settings.global_holdout_percent
    )
    enters, reason = True, "enters when the trigger fires"
    names: set[str] = set()
    for path, raw in d.rules_of(definition):
        names |= facts_used(d.parsed_rule(raw, path))
    facts = compute_facts(session, at, [member.id], names).get(member.id, {}) if names else {}
    if definition.when is not None:
        verdict = evaluate(d.parsed_rule(definition.when, "when"), facts, at)
        enters = verdict.matched
        reason = "; ".join(verdict.explain()) or ("enters" if enters else "does not match who may enter")
    sim = Simulation(member.id, label, enters, reason, member_arm)
    if not enters:
        return sim
    store = session.get(Store, member.home_store_id) if member.home_store_id else None
    nodes, node_id, now = definition.by_id(), definition.start, at
    for _ in range(50):
        node = nodes[node_id]
        held = member_arm != "treatment" and node.type in d.MEMBER_FACING
        does, nxt, label_ = _describe(node, member, facts, now, settings, journey.id, store), None, None
        if held:
            does = f"{does} (held out: {member_arm} control group, not done)"
        if isinstance(node, d.WaitNode):
            now = wait_until(node, now, store)
            nxt = node.next
        elif isinstance(node, d.ConditionNode):
            yes = evaluate(d.parsed_rule(node.rule, "rule"), facts, now).matched
            label_, nxt = ("yes", node.yes) if yes else ("no", node.no)
        elif isinstance(node, d.SplitNode):
            i = branch(settings.salt, journey.id, node.id, member.id, [b.percent for b in node.branches])
            label_, nxt = node.branches[i].label, node.branches[i].next
        elif not isinstance(node, d.ExitNode):
            nxt = node.next
        sim.steps.append(SimStep(node.id, node.type, now, does, label_))
        if nxt is None:
            break
        node_id = nxt
    return sim


def _describe(
    node: Any,
    member: Member,
    facts: dict[str, Any],
    now: datetime,
    settings: EngineSettings,
    journey_id: int,
    store: Store | None,
) -> str:
    if isinstance(node, d.WaitNode):
        return f"wait until {wait_until(node, now, store).isoformat(timespec='minutes')}"
    if isinstance(node, d.ConditionNode):
        verdict = evaluate(d.parsed_rule(node.rule, "rule"), facts, now)
        return "check: " + ("; ".join(verdict.explain()) or ("yes" if verdict.matched else "no"))
    if isinstance(node, d.SplitNode):
        return "random split: " + ", ".join(f"{b.label} {b.percent:g}%" for b in node.branches)
    if isinstance(node, d.SendNode):
        spec = purpose_of(node.purpose)
        return (
            f"send the {node.purpose} message ({spec.purpose_class}) by {node.channel or 'the usual channel'}"
        )
    if isinstance(node, d.CouponNode):
        return f"issue a coupon of template {node.template_id}"
    if isinstance(node, d.TagNode):
        return f"{node.action} the tag {node.tag!r}"
    if isinstance(node, d.TaskNode):
        return f"a {node.kind} task for the consultant (or the store manager): {node.script_en}"
    if isinstance(node, d.NotifyNode):
        return f"tell the consultant (or the store manager): {node.text_en}"
    return "leave the journey"


# Report --------------------------------------------------------------------------------------------


@dataclass
class Report:
    """How a journey did: who entered in each arm, each step's outcomes, conversion and lift."""

    journey_id: int
    entered: dict[str, int]
    by_status: dict[str, int]
    steps: dict[str, dict[str, int]]
    arms: dict[str, Arm]
    against_holdout: Lift
    against_global: Lift


def report(session: Session, caller: Staff, journey_id: int, now: datetime) -> Report:
    """The journey's report as of `now` (conversion only over members whose goal window has closed)."""
    journey = get(session, caller, journey_id)
    counts = repo.enrolment_counts(session, journey.id)
    entered: dict[str, int] = {}
    by_status: dict[str, int] = {}
    for (arm_, status), n in counts.items():
        entered[arm_] = entered.get(arm_, 0) + n
        by_status[status] = by_status.get(status, 0) + n
    steps: dict[str, dict[str, int]] = {}
    for (node, status, outcome), n in repo.step_counts(session, journey.id).items():
        label = outcome or status
        steps.setdefault(node, {})[label] = steps.setdefault(node, {}).get(label, 0) + n
    totals = repo.arm_totals(session, journey.id, now)
    arms = {a: Arm(*totals.get(a, (0, 0, 0.0, 0.0))) for a in ("treatment", "holdout", "global")}
    return Report(
        journey.id,
        entered,
        by_status,
        steps,
        arms,
        lift(arms["treatment"], arms["holdout"]),
        lift(arms["treatment"], arms["global"]),
    )


def campaign_audience(
    session: Session, caller: Staff, rule: dict[str, Any], store_id: int | None, now: datetime
) -> int:
    """How many members a campaign's rule selects now (the audience preview)."""
    try:
        parsed = d.parsed_rule(rule, "rule")
    except d.DefinitionError as exc:
        raise InvalidInput(str(exc)) from None
    stores = visible_store_ids(caller)
    if store_id is not None and stores is not None and store_id not in stores:
        raise Forbidden(f"store {store_id} is not one of yours")
    stmt = select(Member.id)
    if store_id is not None:
        stmt = stmt.where(Member.home_store_id == store_id)
    elif stores is not None:
        stmt = stmt.where(Member.home_store_id.in_(sorted(stores)))
    ids = [int(i) for i in session.scalars(stmt)]
    test, names = compile_rule(parsed), facts_used(parsed)
    matched = 0
    for start in range(0, len(ids), 5000):
        facts = compute_facts(session, now, ids[start : start + 5000], names)
        matched += sum(1 for f in facts.values() if test(f, now.date()))
    return matched


def due_soon(session: Session, now: datetime) -> timedelta | None:
    """How long until the next step falls due (for a worker deciding how long to sleep)."""
    nxt = repo.next_due(session)
    return None if nxt is None else max(timedelta(0), nxt - now)
