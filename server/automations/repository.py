"""All SQL of the automations: claiming events and due steps, enrolling, the live journeys, report counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.db.queries import chunks
from server.db.session import serialise_member
from server.db.tables import (
    AutomationEvent,
    AutomationSweep,
    Journey,
    JourneyEnrolment,
    JourneySegmentMember,
    JourneyStep,
    JourneyStoreSwitch,
    JourneyVersion,
    Member,
    Staff,
    StaffRole,
)


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def postgres(session: Session) -> bool:
    """Whether the session runs on PostgreSQL (row locks) rather than SQLite (one writer)."""
    return session.get_bind().dialect.name == "postgresql"


def claim_events(session: Session, limit: int) -> list[AutomationEvent]:
    """Unconsumed events, oldest first, locked for this transaction (other workers skip them)."""
    serialise_member(session, None)  # SQLite: one writer from here to commit
    stmt = select(AutomationEvent).where(AutomationEvent.consumed_at.is_(None)).order_by(AutomationEvent.id)
    if postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt.limit(limit)))


def mark_consumed(session: Session, ids: Sequence[int], now: datetime) -> None:
    """Events handled in this transaction."""
    for part in chunks(list(ids)):
        session.execute(
            update(AutomationEvent).where(AutomationEvent.id.in_(part)).values(consumed_at=now),
            execution_options={"synchronize_session": False},  # the batch's objects are not read again
        )


def claim_steps(session: Session, now: datetime, limit: int) -> list[JourneyStep]:
    """Due steps of running journeys, earliest first, locked for this transaction (other workers skip
    them); a paused journey's steps wait until it is resumed."""
    serialise_member(session, None)
    stmt = (
        select(JourneyStep)
        .join(JourneyEnrolment, JourneyEnrolment.id == JourneyStep.enrolment_id)
        .join(Journey, Journey.id == JourneyEnrolment.journey_id)
        .where(JourneyStep.status == "due", JourneyStep.due_at <= now, Journey.status == "active")
        .order_by(JourneyStep.due_at, JourneyStep.id)
    )
    if postgres(session):
        stmt = stmt.with_for_update(skip_locked=True, of=JourneyStep)
    return list(session.scalars(stmt.limit(limit)))


def lock_members(session: Session, member_ids: Sequence[int]) -> None:
    """Lock the members' rows until commit, in id order (PostgreSQL; as serialise_member does one)."""
    for part in chunks(sorted(set(member_ids))):
        session.execute(select(Member.id).where(Member.id.in_(part)).order_by(Member.id).with_for_update())


def next_due(session: Session) -> datetime | None:
    """When the earliest waiting step falls due."""
    return session.scalar(select(func.min(JourneyStep.due_at)).where(JourneyStep.status == "due"))


def live_versions(session: Session) -> list[tuple[Journey, JourneyVersion]]:
    """Active journeys with the version new members enter."""
    stmt = (
        select(Journey, JourneyVersion)
        .join(JourneyVersion, JourneyVersion.id == Journey.live_version_id)
        .where(Journey.status == "active")
        .order_by(Journey.id)
    )
    return [(j, v) for j, v in session.execute(stmt)]


def switched_on(session: Session, journey_ids: Sequence[int]) -> dict[int, set[int]]:
    """Journey id -> the stores that switched it on."""
    if not journey_ids:
        return {}
    stmt = select(JourneyStoreSwitch.journey_id, JourneyStoreSwitch.store_id).where(
        JourneyStoreSwitch.journey_id.in_(list(journey_ids)), JourneyStoreSwitch.enabled.is_(True)
    )
    out: dict[int, set[int]] = {}
    for journey_id, store_id in session.execute(stmt):
        out.setdefault(journey_id, set()).add(store_id)
    return out


def enrolled(session: Session, journey_id: int, member_ids: Sequence[int], active_only: bool) -> set[int]:
    """Members with an enrolment in the journey (only a running one if `active_only`)."""
    out: set[int] = set()
    for part in chunks(sorted(set(member_ids))):
        stmt = select(JourneyEnrolment.member_id).where(
            JourneyEnrolment.journey_id == journey_id, JourneyEnrolment.member_id.in_(part)
        )
        if active_only:
            stmt = stmt.where(JourneyEnrolment.status == "active")
        out.update(session.scalars(stmt))
    return out


def insert_enrolments(session: Session, rows: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Insert enrolments whose (journey, member, entry key) is new; (id, member id) of those added."""
    added: list[tuple[int, int]] = []
    insert = _insert(session)
    for part in chunks(rows, 500):
        stmt = (
            insert(JourneyEnrolment)
            .on_conflict_do_nothing(index_elements=["journey_id", "member_id", "entry_key"])
            .returning(JourneyEnrolment.id, JourneyEnrolment.member_id)
        )
        added.extend((int(i), int(m)) for i, m in session.execute(stmt, part))
    return added


def insert_steps(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert steps whose (enrolment, node, visit) is new."""
    insert = _insert(session)
    for part in chunks(rows, 500):
        session.execute(
            insert(JourneyStep).on_conflict_do_nothing(index_elements=["enrolment_id", "node", "visit"]), part
        )


def enrolments(session: Session, ids: Sequence[int]) -> dict[int, JourneyEnrolment]:
    """Enrolments by id."""
    out: dict[int, JourneyEnrolment] = {}
    for part in chunks(sorted(set(ids))):
        out.update(
            {e.id: e for e in session.scalars(select(JourneyEnrolment).where(JourneyEnrolment.id.in_(part)))}
        )
    return out


def versions(session: Session, ids: Sequence[int]) -> dict[int, JourneyVersion]:
    """Journey versions by id."""
    stmt = select(JourneyVersion).where(JourneyVersion.id.in_(sorted(set(ids))))
    return {v.id: v for v in session.scalars(stmt)}


def visits(session: Session, enrolment_ids: Sequence[int]) -> dict[tuple[int, str], int]:
    """(enrolment, node) -> how many times the node was reached so far."""
    out: dict[tuple[int, str], int] = {}
    for part in chunks(sorted(set(enrolment_ids))):
        stmt = (
            select(JourneyStep.enrolment_id, JourneyStep.node, func.max(JourneyStep.visit))
            .where(JourneyStep.enrolment_id.in_(part))
            .group_by(JourneyStep.enrolment_id, JourneyStep.node)
        )
        out.update({(e, n): int(v) for e, n, v in session.execute(stmt)})
    return out


def skip_open_steps(session: Session, enrolment_ids: Sequence[int], now: datetime) -> None:
    """An enrolment ended: its waiting steps will not run."""
    for part in chunks(sorted(set(enrolment_ids))):
        session.execute(
            update(JourneyStep)
            .where(JourneyStep.enrolment_id.in_(part), JourneyStep.status == "due")
            .values(status="skipped", done_at=now, outcome="ended")
        )


def open_goals(
    session: Session, member_ids: Sequence[int], earliest: datetime, latest: datetime
) -> list[JourneyEnrolment]:
    """Enrolments of these members whose goal window overlaps [earliest, latest] (purchases' times)."""
    out: list[JourneyEnrolment] = []
    for part in chunks(sorted(set(member_ids))):
        stmt = select(JourneyEnrolment).where(
            JourneyEnrolment.member_id.in_(part),
            JourneyEnrolment.goal_until.is_not(None),
            JourneyEnrolment.entered_at < latest,
            JourneyEnrolment.goal_until >= earliest,
        )
        out.extend(session.scalars(stmt))
    return out


def store_managers(session: Session, store_ids: Sequence[int]) -> dict[int, int]:
    """Store id -> an active store manager of it (the longest-serving)."""
    if not store_ids:
        return {}
    stmt = (
        select(StaffRole.store_id, Staff.id)
        .join(Staff, Staff.id == StaffRole.staff_id)
        .where(
            StaffRole.role == "store_manager", StaffRole.store_id.in_(list(store_ids)), Staff.active.is_(True)
        )
        .order_by(Staff.id)
    )
    out: dict[int, int] = {}
    for store_id, staff_id in session.execute(stmt):
        if store_id is not None:
            out.setdefault(store_id, staff_id)
    return out


def staff_locales(session: Session, staff_ids: Sequence[int]) -> dict[int, str]:
    """Staff id -> their language."""
    if not staff_ids:
        return {}
    return dict(session.execute(select(Staff.id, Staff.locale).where(Staff.id.in_(list(staff_ids)))).all())


def prune_events(session: Session, before: datetime) -> int:
    """Delete events consumed before `before` (their enrolments keep what journeys need); how many."""
    stmt = delete(AutomationEvent).where(
        AutomationEvent.consumed_at.is_not(None), AutomationEvent.consumed_at < before
    )
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def segment_members(session: Session, journey_id: int) -> set[int]:
    """Who was in the journey's segment at its last sweep."""
    stmt = select(JourneySegmentMember.member_id).where(JourneySegmentMember.journey_id == journey_id)
    return {int(m) for m in session.scalars(stmt)}


def move_segment(session: Session, journey_id: int, came: set[int], left: set[int], now: datetime) -> None:
    """Record who came into the segment and who left it."""
    for part in chunks(sorted(left)):
        session.execute(
            delete(JourneySegmentMember).where(
                JourneySegmentMember.journey_id == journey_id, JourneySegmentMember.member_id.in_(part)
            )
        )
    rows: list[dict[str, Any]] = [
        {"journey_id": journey_id, "member_id": m, "since": now} for m in sorted(came)
    ]
    for batch in chunks(rows, 500):
        session.execute(insert(JourneySegmentMember), list(batch))


def take_sweep(session: Session, key: str, now: datetime) -> AutomationSweep | None:
    """The sweep's row if this transaction is the first to take it (None if it ran already)."""
    insert = _insert(session)
    stmt = (
        insert(AutomationSweep)
        .values(key=key, events=0, ran_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(AutomationSweep.id)
    )
    row_id = session.execute(stmt).scalar()
    return session.get(AutomationSweep, row_id) if row_id is not None else None


def arm_totals(session: Session, journey_id: int, now: datetime) -> dict[str, tuple[int, int, float, float]]:
    """Per arm, over enrolments whose goal window closed or who converted: members, converted, revenue and
    the sum of revenue squared."""
    closed = and_(
        JourneyEnrolment.goal_until.is_not(None),
        (JourneyEnrolment.goal_until <= now) | JourneyEnrolment.converted_at.is_not(None),
    )
    stmt = (
        select(
            JourneyEnrolment.arm,
            func.count(),
            func.count(JourneyEnrolment.converted_at),
            func.coalesce(func.sum(JourneyEnrolment.revenue), 0),
            func.coalesce(func.sum(JourneyEnrolment.revenue * JourneyEnrolment.revenue), 0),
        )
        .where(JourneyEnrolment.journey_id == journey_id, closed)
        .group_by(JourneyEnrolment.arm)
    )
    return {arm: (int(n), int(c), float(r), float(r2)) for arm, n, c, r, r2 in session.execute(stmt)}


def enrolment_counts(session: Session, journey_id: int) -> dict[tuple[str, str], int]:
    """(arm, status) -> enrolments."""
    stmt = (
        select(JourneyEnrolment.arm, JourneyEnrolment.status, func.count())
        .where(JourneyEnrolment.journey_id == journey_id)
        .group_by(JourneyEnrolment.arm, JourneyEnrolment.status)
    )
    return {(a, s): int(n) for a, s, n in session.execute(stmt)}


def step_counts(session: Session, journey_id: int) -> dict[tuple[str, str, str], int]:
    """(node, status, outcome) -> steps."""
    stmt = (
        select(JourneyStep.node, JourneyStep.status, JourneyStep.outcome, func.count())
        .join(JourneyEnrolment, JourneyEnrolment.id == JourneyStep.enrolment_id)
        .where(JourneyEnrolment.journey_id == journey_id)
        .group_by(JourneyStep.node, JourneyStep.status, JourneyStep.outcome)
    )
    return {(n, s, o): int(c) for n, s, o, c in session.execute(stmt)}
