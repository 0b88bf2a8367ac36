"""Crediting a sale to the recommendation that led to it: the clerk who was shown it and the model version.

A sale of a product to a member counts for the latest open recommendation of that product to that
member (an accepted one first) when it falls within the recommendation's window (`AISLE_ATTRIBUTION_DAYS`
from when it was shown). Each recommendation is credited with one sale at most.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.db.tables import RecommendationFeedback
from server.recommendations import repository as repo


def attribute_sale(session: Session, transaction_id: int) -> list[RecommendationFeedback]:
    """Record "sold" feedback for the recommendations this sale fulfils; returns the rows created."""
    txn = repo.transaction(session, transaction_id)
    if txn is None or txn.kind != "sale" or txn.member_id is None:
        return []
    amounts = repo.sale_amounts(session, transaction_id)
    if not amounts:
        return []
    created = []
    credited: set[int] = set()
    for rec in repo.open_recommendations(session, txn.member_id, list(amounts), txn.occurred_at):
        if rec.product_id in credited:
            continue
        credited.add(rec.product_id)
        row = RecommendationFeedback(
            recommendation_id=rec.id,
            action="sold",
            staff_id=rec.staff_id,
            transaction_id=txn.id,
            amount=amounts[rec.product_id],
            recorded_at=txn.occurred_at,
        )
        found, new = repo.add_feedback(session, row)
        if new:
            created.append(found)
    return created
