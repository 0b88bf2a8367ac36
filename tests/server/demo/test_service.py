"""Writing the demo to both databases, demo ids for imported members, and set-up that can be re-run."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from server.auth.passwords import verify_password
from server.config import Settings
from server.core.context import AppContext
from server.core.errors import InvalidInput
from server.core.phone import normalise_phone
from server.db.tables import (
    ConsultantAssignment,
    ImportRun,
    Interaction,
    Member,
    Product,
    Reward,
    Staff,
    Store,
    Transaction,
    TransactionLine,
)
from server.demo import service
from server.demo.generator import FEATURED_MEMBER_CARD, generate_demo
from server.demo.identities import cn_mobile
from server.demo.imported import give_demo_identities
from server.demo.writer import ensure_stores, write_demo
from tests.server.demo.conftest import SMALL_CUSTOMERS

NOW = datetime(2026, 5, 20, 9, 30, tzinfo=UTC)
TABLES = (
    Store,
    Product,
    Member,
    Transaction,
    TransactionLine,
    Interaction,
    Staff,
    ConsultantAssignment,
    ImportRun,
)


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.__tablename__: conn.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES}


def test_written_demo_adds_up_in_the_database(context: AppContext) -> None:
    data = generate_demo(seed=3, now=NOW, members=150)
    with context.engine.begin() as conn:
        store_ids = ensure_stores(conn, data.stores, NOW)
        written = write_demo(conn, data, context.keys, store_ids, {})
    assert written["transactions"] == len(data.transactions) and written["members"] == 150
    with context.engine.connect() as conn:
        sums = (
            select(TransactionLine.transaction_id, func.sum(TransactionLine.amount).label("lines"))
            .group_by(TransactionLine.transaction_id)
            .subquery()
        )
        rows = conn.execute(
            select(Transaction.total_amount, sums.c.lines).join(sums, sums.c.transaction_id == Transaction.id)
        ).all()
        assert len(rows) == len(data.transactions)
        assert all(round(float(total) - float(lines), 2) == 0 for total, lines in rows)
        # Return lines point at a line of the same product in the transaction they take back.
        original = TransactionLine.__table__.alias("original")
        links = conn.execute(
            select(TransactionLine.product_id, original.c.product_id, Transaction.original_transaction_id,
                   original.c.transaction_id, TransactionLine.quantity)
            .join(original, original.c.id == TransactionLine.original_line_id)
            .join(Transaction, Transaction.id == TransactionLine.transaction_id)
        ).all()  # fmt: skip
        assert links and len(links) == sum(1 for t in data.transactions if t.kind == "return")
        assert all(a == b and c == d and qty < 0 for a, b, c, d, qty in links)
        # 王芳 is found by her phone through the HMAC, and by her card.
        digest = context.keys.phone_hash(normalise_phone("139 " + cn_mobile(1)[6:], "CN"))
        found = conn.execute(select(Member.name, Member.card_number).where(Member.phone_hash == digest)).one()
        assert tuple(found) == ("王芳", FEATURED_MEMBER_CARD)
        product = conn.execute(select(Product.translations).where(Product.sku == "DM-TEA-001")).scalar_one()
        assert set(product) == {"zh", "en"}


def _member(session: Session, ref: str | None, store: Store, name: str) -> Member:
    member = Member(external_ref=ref, name=name, home_store_id=store.id, joined_on=date(2011, 1, 1))
    session.add(member)
    session.flush()
    return member


def test_imported_members_get_demo_ids_found_through_the_hmac(context: AppContext, session: Session) -> None:
    uk = Store(code="OR-UNITED-KINGDOM", name="Online Retail United Kingdom", country="United Kingdom")
    de = Store(code="OR-GERMANY", name="Online Retail Germany", country="Germany")
    session.add_all([uk, de])
    session.flush()
    plain = _member(session, "online-retail:17850", uk, "Customer 17850")
    german = _member(session, "online-retail:12662", de, "Customer 12662")
    neighbour = _member(session, "online-retail:17851", uk, "Customer 17851")
    # Someone enrolled at the till already holds 17851's demo number, and a member keeps their own.
    taken = _member(session, None, uk, "Walk-in")
    taken.phone_hash = context.keys.phone_hash("+447700117851")
    own = _member(session, "online-retail:13047", uk, "Customer 13047")
    own.phone_encrypted, own.phone_hash = (
        context.keys.encrypt("+447911123456"),
        context.keys.phone_hash("+447911123456"),
    )
    session.commit()

    with context.engine.begin() as conn:
        assert give_demo_identities(conn, context.keys) == 4
    session.expire_all()

    def by_phone(raw: str) -> Member | None:
        return session.scalars(
            select(Member).where(Member.phone_hash == context.keys.phone_hash(raw))
        ).first()

    assert by_phone(normalise_phone("+44 7700 117850")) is plain
    assert context.keys.decrypt(plain.phone_encrypted or b"") == "+447700117850"
    assert plain.card_number == "600000178506" and plain.qr_token
    assert by_phone(normalise_phone("+44 7700 117852")) is neighbour  # moved on past the taken number
    assert context.keys.decrypt(german.phone_encrypted or b"").startswith("+49")
    assert context.keys.decrypt(own.phone_encrypted or b"") == "+447911123456"
    assert own.card_number and own.qr_token
    assert taken.card_number is None  # not imported: left alone
    before = {m.id: (m.phone_hash, m.card_number, m.qr_token) for m in session.scalars(select(Member))}
    with context.engine.begin() as conn:
        assert give_demo_identities(conn, context.keys) == 0
    session.expire_all()
    assert {
        m.id: (m.phone_hash, m.card_number, m.qr_token) for m in session.scalars(select(Member))
    } == before


def test_set_up_from_a_small_file_then_again_adds_nothing(
    context: AppContext, small_retail_file: Path
) -> None:
    first = service.set_up_demo(context, data=small_retail_file)
    assert first.source == str(small_retail_file)
    assert first.added["members"] == len(SMALL_CUSTOMERS) and first.added["transactions"] >= 6
    assert first.identities_added == len(SMALL_CUSTOMERS)
    logins = {s.account.login for s in first.accounts}
    assert {"admin", "analyst", "uk.manager", "uk.clerk1", "uk.clerk2", "uk.vip", "france.vip"} <= logins
    assert all(s.created and s.password_is_demo for s in first.accounts)
    assert first.vips_assigned == len(SMALL_CUSTOMERS)
    assert first.members and all(m.phone and m.card for m in first.members)
    after_first = counts(context.engine)

    second = service.set_up_demo(context, data=small_retail_file)
    assert second.added == {} and second.identities_added == 0 and second.vips_assigned == 0
    assert not any(s.created for s in second.accounts)
    assert counts(context.engine) == after_first
    with context.sessions() as session:
        vip = session.scalars(select(Staff).where(Staff.login == "uk.vip")).one()
        assert verify_password("demo-uk-vip", vip.password_hash)
        assert vip.roles[0].role == "vip_consultant"


def test_set_up_generates_when_asked_and_reuses_it(context: AppContext, small_retail_file: Path) -> None:
    first = service.set_up_demo(context, generate=True, members=200)
    assert first.source == "generated" and first.added["members"] == 200
    assert first.members[0].name == "王芳" and first.members[0].card == FEATURED_MEMBER_CARD
    assert first.vips_assigned > 0
    with context.engine.connect() as conn:
        authors = conn.scalar(select(func.count()).where(Interaction.staff_id.is_not(None)))
        gifts = conn.execute(select(Reward.name_en, Reward.name_zh, Reward.product_id)).all()
    assert authors and authors > 0
    # A clerk can show what points buy: bilingual gifts, one of them the chain's own best seller.
    assert len(gifts) >= 5 and all(en and zh for en, zh, _ in gifts)
    assert sum(product is not None for *_, product in gifts) == 1  # and a coupon for points
    after_first = counts(context.engine)
    # Without --generate the generated chain is reused, not topped up with the development data.
    second = service.set_up_demo(context)
    assert second.source == "generated" and second.added == {}
    assert counts(context.engine) == after_first


def test_fresh_only_deletes_the_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    def settings(url: str) -> Settings:
        return Settings(
            data_dir=tmp_path / "data", database_url=url, secret_key=SecretStr("x" * 32), _env_file=None
        )  # type: ignore[call-arg]

    inside = settings("")
    assert service.demo_database_file(inside) == (tmp_path / "data" / "aisle.db").resolve()
    with pytest.raises(InvalidInput, match="--fresh only deletes") as refused:
        service.demo_database_file(settings("postgresql://shop:s3cret@db.example/aisle"))
    assert "s3cret" not in refused.value.message
    with pytest.raises(InvalidInput, match="outside"):
        service.demo_database_file(settings(f"sqlite:///{tmp_path / 'elsewhere.db'}"))
