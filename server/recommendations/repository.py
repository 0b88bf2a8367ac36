"""All SQL of the recommendations domain: what was shown, feedback, chat sessions, attribution, and the
sale counts and member tags behind cold-start suggestions."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, and_, case, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.db.rows import insert_rows
from server.db.tables import (
    ChatSession,
    ChatTurn,
    MemberTag,
    Product,
    Recommendation,
    RecommendationFeedback,
    Staff,
    Transaction,
    TransactionLine,
)

_RECOMMENDATIONS = cast(Table, Recommendation.__table__)
_FEEDBACK = cast(Table, RecommendationFeedback.__table__)


@dataclass(frozen=True)
class Shown:
    """Who was shown what, where, by which model version, and until when a sale counts for it."""

    member_id: int
    staff_id: int
    store_id: int | None
    model_version: str
    shown_at: datetime
    window: timedelta
    chat_session_id: str | None = None
    arm: str | None = None  # "A" or "B" while the member's store runs an A/B test
    experiment: str | None = None

    def ranked_by(self, version: str, arm: str | None = None, experiment: str | None = None) -> Shown:
        """The same showing, recorded under the model version (and A/B arm) that ranked it."""
        return dataclasses.replace(self, model_version=version, arm=arm, experiment=experiment)


def record_shown(session: Session, shown: Shown, items: Sequence[tuple[int, str]]) -> list[int]:
    """One recommendation per (product id, kind), each with its "shown" feedback row; their ids in order.

    Two statements whatever the number of items (an arrival records five while the member is at the
    door), compiled once per count: one multi-row INSERT ... RETURNING, its rows matched back to the
    items by product and kind, and one for their "shown" rows.
    """
    if not items:
        return []
    common = {
        "member_id": shown.member_id,
        "staff_id": shown.staff_id,
        "store_id": shown.store_id,
        "model_version": shown.model_version,
        "chat_session_id": shown.chat_session_id,
        "arm": shown.arm,
        "experiment": shown.experiment,
        "shown_at": shown.shown_at,
        "attributable_until": shown.shown_at + shown.window,
    }
    (returned,) = insert_rows(
        session, _RECOMMENDATIONS, common, items, ["product_id", "kind"], "RETURNING id, product_id, kind"
    )
    ids: dict[tuple[int, str], list[int]] = {}
    for row in returned:  # rows alike in product and kind are alike in all
        ids.setdefault((row.product_id, row.kind), []).append(row.id)
    ordered = [ids[item].pop(0) for item in items]
    shown_row = {"action": "shown", "staff_id": shown.staff_id, "recorded_at": shown.shown_at}
    insert_rows(session, _FEEDBACK, shown_row, [(rec_id,) for rec_id in ordered], ["recommendation_id"])
    return ordered


def feedback_for(session: Session, recommendation_id: int) -> dict[str, RecommendationFeedback]:
    """The recommendation's feedback rows by action."""
    stmt = select(RecommendationFeedback).where(RecommendationFeedback.recommendation_id == recommendation_id)
    return {f.action: f for f in session.scalars(stmt)}


def add_feedback(session: Session, row: RecommendationFeedback) -> tuple[RecommendationFeedback, bool]:
    """Store a feedback row unless one with its action exists (also under a race); (row, created)."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
        return row, True
    except IntegrityError:
        existing = feedback_for(session, row.recommendation_id).get(row.action)
        if existing is None:
            raise
        return existing, False


def chat_session(session: Session, session_id: str, lock: bool = False) -> ChatSession | None:
    """A chat session; `lock` serialises two turns sent to one session at once."""
    stmt = select(ChatSession).where(ChatSession.id == session_id)
    return session.scalar(stmt.with_for_update() if lock else stmt)


def chat_turns(session: Session, session_id: str, last_only: bool = False) -> list[ChatTurn]:
    """The session's turns in order (only the latest with `last_only`)."""
    stmt = select(ChatTurn).where(ChatTurn.session_id == session_id)
    if last_only:
        return list(session.scalars(stmt.order_by(ChatTurn.turn_no.desc()).limit(1)))
    return list(session.scalars(stmt.order_by(ChatTurn.turn_no)))


def open_recommendations(
    session: Session, member_id: int, product_ids: Sequence[int], when: datetime
) -> list[Recommendation]:
    """The member's recommendations of these products whose window covers `when` and that no sale
    claimed yet, accepted ones first, then the latest shown."""
    sold = select(RecommendationFeedback.recommendation_id).where(
        RecommendationFeedback.recommendation_id == Recommendation.id, RecommendationFeedback.action == "sold"
    )
    accepted = select(RecommendationFeedback.id).where(
        RecommendationFeedback.recommendation_id == Recommendation.id,
        RecommendationFeedback.action == "accepted",
    )
    stmt = (
        select(Recommendation)
        .where(Recommendation.member_id == member_id, Recommendation.product_id.in_(list(product_ids)))
        .where(Recommendation.shown_at <= when, Recommendation.attributable_until >= when)
        .where(~sold.exists())
        .order_by(case((accepted.exists(), 0), else_=1), Recommendation.shown_at.desc(), Recommendation.id)
    )
    return list(session.scalars(stmt))


def sale_amounts(session: Session, transaction_id: int) -> dict[int, Decimal]:
    """What each product's lines of a transaction brought in."""
    stmt = (
        select(TransactionLine.product_id, func.sum(TransactionLine.amount))
        .where(TransactionLine.transaction_id == transaction_id, TransactionLine.quantity > 0)
        .group_by(TransactionLine.product_id)
    )
    return {int(p): Decimal(a) for p, a in session.execute(stmt)}


def transaction(session: Session, transaction_id: int) -> Transaction | None:
    """One transaction by id."""
    return session.get(Transaction, transaction_id)


def products(session: Session, ids: Sequence[int]) -> dict[int, Product]:
    """Products by id."""
    return {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(list(ids))))}


def product_words(session: Session) -> list[tuple[int, str, str, Any]]:
    """Each active product's id, name, category and translations: the words the chat matches requests to."""
    stmt = select(Product.id, Product.name, Product.category, Product.translations).where(
        Product.active.is_(True), Product.is_merchandise.is_(True)
    )
    return [(r.id, r.name, r.category, r.translations) for r in session.execute(stmt)]


def attribution_rows(session: Session, store_id: int | None, since: datetime | None) -> Sequence[Any]:
    """Per clerk and model version: shown, accepted and sold counts and the revenue of the sales."""
    fb = RecommendationFeedback
    conditions = []
    if store_id is not None:
        conditions.append(Recommendation.store_id == store_id)
    if since is not None:
        conditions.append(Recommendation.shown_at >= since)
    stmt = (
        select(
            Recommendation.staff_id,
            Staff.display_name,
            Recommendation.model_version,
            func.count(Recommendation.id.distinct()).label("shown"),
            func.count(case((fb.action == "accepted", fb.id))).label("accepted"),
            func.count(case((fb.action == "declined", fb.id))).label("declined"),
            func.count(case((fb.action == "sold", fb.id))).label("sold"),
            func.coalesce(func.sum(case((fb.action == "sold", fb.amount))), 0).label("revenue"),
        )
        .outerjoin(fb, and_(fb.recommendation_id == Recommendation.id, fb.action != "shown"))
        .outerjoin(Staff, Staff.id == Recommendation.staff_id)
        .where(*conditions)
        .group_by(Recommendation.staff_id, Staff.display_name, Recommendation.model_version)
        .order_by(Recommendation.staff_id, Recommendation.model_version)
    )
    return session.execute(stmt).all()


def latest_sale(session: Session, until: datetime) -> datetime | None:
    """When the chain's latest sale up to `until` happened (None: no sale yet)."""
    stmt = select(func.max(Transaction.occurred_at)).where(
        Transaction.kind == "sale", Transaction.occurred_at <= until
    )
    return session.scalar(stmt)


def sale_counts(session: Session, end: datetime, bucket: timedelta, buckets: int = 3) -> Sequence[Any]:
    """Per store, product and `bucket`-long period before `end` (0 the latest): receipts holding the product
    and units sold; one grouped query over the last `buckets` periods' sale lines."""
    edges = [end - bucket * (n + 1) for n in range(buckets)]
    period = case(
        *((Transaction.occurred_at > edge, literal(n)) for n, edge in enumerate(edges[:-1])),
        else_=literal(buckets - 1),
    )
    lines = (
        select(
            Transaction.store_id.label("store_id"),
            TransactionLine.product_id.label("product_id"),
            Transaction.id.label("sale_id"),
            TransactionLine.quantity.label("quantity"),
            period.label("period"),
        )
        .join(Transaction, Transaction.id == TransactionLine.transaction_id)
        .where(Transaction.kind == "sale", TransactionLine.quantity > 0)
        .where(Transaction.occurred_at > edges[-1], Transaction.occurred_at <= end)
        .subquery()
    )
    stmt = select(
        lines.c.store_id,
        lines.c.product_id,
        lines.c.period,
        func.count(lines.c.sale_id.distinct()),
        func.sum(lines.c.quantity),
    ).group_by(lines.c.store_id, lines.c.product_id, lines.c.period)
    return session.execute(stmt).all()


def product_attributes(session: Session, ids: Sequence[int], chunk: int = 500) -> dict[int, Any]:
    """The free-form attributes of these products (where a stock count or an in-stock flag may be kept)."""
    out: dict[int, Any] = {}
    for start in range(0, len(ids), chunk):
        part = list(ids[start : start + chunk])
        stmt = select(Product.id, Product.attributes).where(Product.id.in_(part))
        out.update({int(i): a for i, a in session.execute(stmt)})
    return out


def member_tags(session: Session, member_id: int) -> list[str]:
    """The member's tags, those a staff member set first (what the member told the store), oldest first."""
    stmt = (
        select(MemberTag.tag)
        .where(MemberTag.member_id == member_id)
        .order_by(case((MemberTag.source == "staff", 0), else_=1), MemberTag.tagged_at, MemberTag.tag)
    )
    return list(session.scalars(stmt))
