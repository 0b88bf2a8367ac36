"""A consultant's clients with their tier and dormancy, as the client list and the task list show them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from server.clients import repository as repo
from server.core.pagination import PageParams
from server.loyalty.config import load_config
from server.signals.dormancy import dormancy


@dataclass(frozen=True)
class Client:
    """A consultant's client with their tier (never None) and dormancy worked out for today."""

    row: repo.ClientRow
    tier: str
    days_since_last_purchase: int | None
    dormant: bool


def clients_of(
    session: Session, staff_id: int, now: datetime, page: PageParams | None = None
) -> tuple[list[Client], int]:
    """A consultant's active clients with tier and dormancy as the profile judges them today."""
    rows, total = repo.client_rows(session, staff_id, now, page)
    lowest = load_config(session).ladder.lowest
    today = now.date()
    out = []
    for row in rows:
        state = dormancy(row.last_purchase_on, today)
        out.append(Client(row, row.tier or lowest, state.days_since_last_purchase, state.status == "dormant"))
    return out, total
