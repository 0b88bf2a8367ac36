"""Binding a member to their WeChat openid for the chain's official account, as staff do at the till.

The openid is an identifier like a phone number: stored encrypted (the phone key), found by a keyed
hash, never logged or shown in full. One member per openid and one openid per member at a time; binding
another openid replaces the member's old one; unbinding keeps the row with `unbound_at`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.auth.scope import MEMBER_WRITERS, describe, holds
from server.core.crypto import Keys
from server.core.errors import Conflict, Forbidden, NotFound
from server.db.session import serialise_member
from server.db.tables import Member, MemberChannelIdentity, Staff
from server.members.access import member_for
from server.messaging import repository as repo
from server.messaging.schemas import WeChatBindingRead, WeChatBindingSave


def openid_hash(keys: Keys, app_id: str, openid: str) -> str:
    """The keyed hash an openid is found by; the app id is part of it (an openid is per account)."""
    return keys.phone_hash(f"wechat-openid:{app_id}:{openid}")


def masked(openid: str) -> str:
    """An openid as staff see it: enough to compare with the member's phone, not to reuse."""
    return f"{openid[:4]}…{openid[-4:]}" if len(openid) > 8 else "…"


def _writable(session: Session, caller: Staff, member_id: int) -> Member:
    member = member_for(session, caller, member_id)
    if not holds(caller, MEMBER_WRITERS, member.home_store_id):
        raise Forbidden(
            f"binding member {member.id}'s WeChat needs {describe(MEMBER_WRITERS, member.home_store_id)}"
        )
    return member


def read(keys: Keys, row: MemberChannelIdentity) -> WeChatBindingRead:
    """A binding as the API shows it (the openid masked)."""
    return WeChatBindingRead(
        member_id=row.member_id,
        app_id=row.app_id,
        openid_masked=masked(keys.decrypt(row.openid_encrypted)),
        source=row.source,
        bound_at=row.bound_at,
        bound_by_id=row.bound_by_id,
    )


def bind(
    session: Session,
    keys: Keys,
    app_id: str,
    caller: Staff,
    member_id: int,
    ask: WeChatBindingSave,
    now: datetime,
) -> MemberChannelIdentity:
    """Bind the openid to the member (409 when another member holds it); the same openid again is a no-op."""
    member = _writable(session, caller, member_id)
    hashed = openid_hash(keys, app_id, ask.openid)
    serialise_member(session, member.id)  # a bind and the dispatcher's read of the binding in turn
    holder = repo.binding(session, app_id, openid_hash=hashed)
    if holder is not None and holder.member_id != member.id:
        raise Conflict("this WeChat openid is already bound to another member: unbind it there first")
    if holder is not None:
        return holder
    old = repo.binding(session, app_id, member_id=member.id)
    if old is not None:
        old.unbound_at = now
        session.flush()
    row = MemberChannelIdentity(
        member_id=member.id,
        channel="wechat",
        app_id=app_id,
        openid_encrypted=keys.encrypt(ask.openid),
        openid_hash=hashed,
        source=ask.source,
        bound_by_id=caller.id,
        bound_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # bound to someone else meanwhile (the partial unique index)
        raise Conflict(
            "this WeChat openid is already bound to another member: unbind it there first"
        ) from None
    return row


def current(session: Session, app_id: str, caller: Staff, member_id: int) -> MemberChannelIdentity:
    """The member's binding in force (404 when there is none)."""
    member = member_for(session, caller, member_id)
    found = repo.binding(session, app_id, member_id=member.id)
    if found is None:
        raise NotFound(f"member {member.id} has no WeChat binding")
    return found


def unbind(session: Session, app_id: str, caller: Staff, member_id: int, now: datetime) -> None:
    """End the member's binding (404 when there is none); their WeChat messages then fail to be sent."""
    member = _writable(session, caller, member_id)
    serialise_member(session, member.id)
    found = repo.binding(session, app_id, member_id=member.id)
    if found is None:
        raise NotFound(f"member {member.id} has no WeChat binding")
    found.unbound_at = now
