"""The development data in the demo: finding the file, skipping a finished import, giving members a phone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from sqlalchemy import Connection, Table, bindparam, select, update

import server
from server.core.crypto import Keys
from server.db.base import utcnow
from server.db.tables import ImportRun, Member, Store
from server.demo.identities import card_number, demo_phone, qr_token, serial_from_ref
from server.importer.plan import SOURCE

DEV_DATA = Path("shared", "data", "online_retail", "online_retail.csv.gz")


def dev_data_candidates(cwd: Path | None = None) -> list[Path]:
    """Where the development data may lie: ../shared/data from the current directory, then the repo's."""
    here = (cwd or Path.cwd()).resolve()
    repo_parent = Path(server.__file__).resolve().parents[2]
    return list(dict.fromkeys([here.parent / DEV_DATA, here / DEV_DATA, repo_parent / DEV_DATA]))


def find_dev_data(cwd: Path | None = None) -> Path | None:
    """The Online Retail development file, if it is present in one of the usual places."""
    return next((path for path in dev_data_candidates(cwd) if path.is_file()), None)


def already_imported(conn: Connection, path: Path) -> bool:
    """True when this file was imported completely and has not changed since, so it needs no re-reading."""
    query = select(ImportRun.finished_at, ImportRun.summary).where(
        ImportRun.source == SOURCE,
        ImportRun.path == str(path.resolve())[:1000],
        ImportRun.finished_at.is_not(None),
    )
    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    for finished_at, summary in conn.execute(query):
        if (summary or {}).get("status") == "done" and finished_at >= modified:
            return True
    return False


@dataclass(frozen=True)
class _Candidate:
    id: int
    ref: str
    country: str
    needs_phone: bool
    needs_card: bool
    needs_qr: bool


def give_demo_identities(conn: Connection, keys: Keys) -> int:
    """Give imported members that have none a demo phone, card number and QR token; returns how many.

    The numbers come from the source's customer number (customer 17850 of the UK store gets
    +44 7700 117850 and card 600000178506), so they are the same on every database and re-running
    changes nothing. A number already taken moves on to the next free serial.
    """
    query = (
        select(
            Member.id,
            Member.external_ref,
            Store.country,
            Member.phone_hash,
            Member.card_number,
            Member.qr_token,
        )
        .outerjoin(Store, Store.id == Member.home_store_id)
        .where(Member.external_ref.like(f"{SOURCE}:%"))
        .where((Member.phone_hash.is_(None)) | (Member.card_number.is_(None)) | (Member.qr_token.is_(None)))
        .order_by(Member.id)
    )
    todo = [
        _Candidate(row[0], row[1] or "", row[2] or "", row[3] is None, row[4] is None, row[5] is None)
        for row in conn.execute(query)
    ]
    if not todo:
        return 0
    hashes = {h for h in conn.scalars(select(Member.phone_hash)) if h}
    cards = {c for c in conn.scalars(select(Member.card_number)) if c}
    now = utcnow()
    rows = []
    for member in todo:
        serial = serial_from_ref(member.ref)
        serial = member.id if serial is None else serial
        row: dict[str, object] = {"member": member.id, "updated_at": now}
        if member.needs_phone:
            phone = _free_phone(keys, member.country, serial, hashes)
            row["phone_encrypted"], row["phone_hash"] = keys.encrypt(phone), keys.phone_hash(phone)
        if member.needs_card:
            row["card_number"] = _free_card(serial, cards)
        if member.needs_qr:
            row["qr_token"] = qr_token(keys.lookup, member.ref)
        rows.append(row)
    # An executemany UPDATE sets the columns of its first row, so rows go in groups of the same shape.
    shapes: dict[frozenset[str], list[dict[str, object]]] = {}
    for row in rows:
        shapes.setdefault(frozenset(row), []).append(row)
    table = cast(Table, Member.__table__)
    for batch in shapes.values():
        conn.execute(update(table).where(table.c.id == bindparam("member")), batch)
    return len(rows)


def _free_phone(keys: Keys, country: str, serial: int, taken: set[str]) -> str:
    for step in range(100_000):
        phone = demo_phone(country, serial + step)
        digest = keys.phone_hash(phone)
        if digest not in taken:
            taken.add(digest)
            return phone
    raise RuntimeError("no free demo phone number left")  # 100,000 members of one country


def _free_card(serial: int, taken: set[str]) -> str:
    while card_number(serial) in taken:
        serial += 1
    card = card_number(serial)
    taken.add(card)
    return card
