"""A store manager's approval code: lets a cashier ring one sale below the catalogue price.

The manager asks for a code on their phone and reads it to the cashier; the code is good for one sale in
that store within a few minutes, and the manager is recorded as the approver of every line it covers.
Only a keyed hash of the code is stored, and a code is 8 symbols of 30 (6.5e11), so guessing one in its
ten minutes is hopeless.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from server.auth.roles import Role
from server.auth.scope import require
from server.core.crypto import Keys
from server.core.errors import Conflict, Forbidden
from server.db.tables import PriceApproval, Staff
from server.offers.codes import ALPHABET
from server.transactions import repository as repo

VALID = timedelta(minutes=10)
APPROVERS = frozenset({Role.STORE_MANAGER, Role.ADMIN})


@dataclass(frozen=True)
class IssuedApproval:
    """The code to read out (shown once) and until when it is good."""

    code: str
    store_id: int
    expires_at: datetime


def _hash(keys: Keys, store_id: int, code: str) -> str:
    normal = "".join(code.split()).replace("-", "").upper()
    return hmac.new(keys.lookup, f"price-approval:{store_id}:{normal}".encode(), hashlib.sha256).hexdigest()


def issue_approval(
    session: Session, keys: Keys, caller: Staff, store_id: int, now: datetime
) -> IssuedApproval:
    """A one-time code for one sale below the catalogue price in `store_id` (its manager or an admin)."""
    require(caller, APPROVERS, store_id)
    raw = "".join(secrets.choice(ALPHABET) for _ in range(8))
    code = f"{raw[:4]}-{raw[4:]}"
    row = PriceApproval(
        store_id=store_id,
        manager_id=caller.id,
        code_hash=_hash(keys, store_id, code),
        expires_at=now + VALID,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return IssuedApproval(code, store_id, row.expires_at)


def approval_for(session: Session, keys: Keys, store_id: int, code: str, now: datetime) -> PriceApproval:
    """The live approval with this code in this store; 403 when it is wrong, used or expired."""
    row = repo.approval_by_hash(session, _hash(keys, store_id, code))
    if row is None or row.store_id != store_id or row.used_at is not None or row.expires_at <= now:
        raise Forbidden(
            f"approval_code: not a live approval code of store {store_id} (wrong, used or expired)"
        )
    return row


def use_approval(session: Session, approval: PriceApproval, transaction_id: int, now: datetime) -> None:
    """Spend the code on this transaction; 409 if another sale spent it at the same moment."""
    if not repo.spend_approval(session, approval.id, transaction_id, now):
        raise Conflict("approval_code: the code was used by another sale at the same moment")
