"""A small shop in a test database: a store, members, products, sales and returns with concrete dates."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from server.db.tables import (
    ConsultantAssignment,
    Member,
    Product,
    Staff,
    Store,
    Transaction,
    TransactionLine,
)

_seq = itertools.count(1)


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    """A UTC moment on a given day (noon by default)."""
    return datetime(year, month, day, hour, tzinfo=UTC)


class Shop:
    """Creates rows directly with SQLAlchemy, flushing so ids exist."""

    def __init__(self, session: Session) -> None:
        self.session = session
        n = next(_seq)
        self.store = Store(code=f"LOY-{n}", name=f"Loyalty store {n}")
        session.add(self.store)
        session.flush()

    def member(
        self,
        name: str = "Ann Lee",
        joined_on: date = date(2023, 1, 1),
        birthday: date | None = None,
        consent: bool = False,
        gender: str = "female",
    ) -> Member:
        member = Member(
            name=name,
            joined_on=joined_on,
            birthday=birthday,
            marketing_consent=consent,
            gender=gender,
            home_store_id=self.store.id,
        )
        self.session.add(member)
        self.session.flush()
        return member

    def product(
        self,
        category: str = "home",
        price: str = "10.00",
        merchandise: bool = True,
        first_seen: datetime | None = None,
    ) -> Product:
        n = next(_seq)
        product = Product(
            sku=f"SKU-{n}",
            name=f"Product {n}",
            category=category,
            price=Decimal(price),
            is_merchandise=merchandise,
            first_seen_at=first_seen,
        )
        self.session.add(product)
        self.session.flush()
        return product

    def consultant(self, member: Member) -> Staff:
        n = next(_seq)
        staff = Staff(login=f"consultant{n}", display_name=f"Consultant {n}", password_hash="x")
        self.session.add(staff)
        self.session.flush()
        self.session.add(ConsultantAssignment(member_id=member.id, staff_id=staff.id, position="primary"))
        self.session.flush()
        return staff

    def sale(
        self,
        member: Member | None,
        when: datetime,
        lines: list[tuple[Product, int, str]],
        coupon: str | None = None,
        discount: str = "0",
    ) -> Transaction:
        """A sale of (product, quantity, unit price) lines."""
        amounts = [Decimal(price) * qty for _, qty, price in lines]
        txn = Transaction(
            store_id=self.store.id,
            member_id=member.id if member else None,
            occurred_at=when,
            kind="sale",
            total_amount=sum(amounts, Decimal("0")),
            coupon_code=coupon,
            discount_amount=Decimal(discount),
        )
        self.session.add(txn)
        self.session.flush()
        for no, ((product, qty, price), amount) in enumerate(zip(lines, amounts, strict=True), 1):
            self.session.add(
                TransactionLine(
                    transaction_id=txn.id,
                    line_no=no,
                    product_id=product.id,
                    quantity=qty,
                    unit_price=Decimal(price),
                    amount=amount,
                )
            )
        self.session.flush()
        return txn

    def give_back(
        self, original: Transaction, when: datetime, quantities: dict[int, int], link_lines: bool = True
    ) -> Transaction:
        """A return of `quantities` {line_no: quantity} of `original`, stored as negative lines."""
        sold = {
            line.line_no: line
            for line in self.session.query(TransactionLine).filter_by(transaction_id=original.id)
        }
        taken = [(sold[no], qty) for no, qty in quantities.items()]
        total = sum((-line.unit_price * qty for line, qty in taken), Decimal("0"))
        txn = Transaction(
            store_id=self.store.id,
            member_id=original.member_id,
            occurred_at=when,
            kind="return",
            total_amount=total.quantize(Decimal("0.01")),
            original_transaction_id=original.id if link_lines else None,
        )
        self.session.add(txn)
        self.session.flush()
        for no, (line, qty) in enumerate(taken, 1):
            self.session.add(
                TransactionLine(
                    transaction_id=txn.id,
                    line_no=no,
                    product_id=line.product_id,
                    quantity=-qty,
                    unit_price=line.unit_price,
                    amount=(-line.unit_price * qty).quantize(Decimal("0.01")),
                    original_line_id=line.id if link_lines else None,
                )
            )
        self.session.flush()
        return txn


def weekly_shopper(shop: Shop) -> Member:
    """A member who bought every Wednesday from 6 March to 15 May 2024, then stopped."""
    ann = shop.member()
    scarf = shop.product("accessories", "40.00")
    day = at(2024, 3, 6)
    while day <= at(2024, 5, 15):
        shop.sale(ann, day, [(scarf, 1, "40.00")])
        day += timedelta(days=7)
    return ann
