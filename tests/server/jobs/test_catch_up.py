"""The loyalty catch-up's step lines count in English: '1 transaction of 1 member', '3 transactions'."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.orm import Session

from server.jobs.catch_up import catch_up
from tests.server.loyalty.rows import Shop, at


def said_by_catch_up(session: Session) -> list[str]:
    """What each step announced, then what it said it did."""
    lines: list[str] = []

    @contextmanager
    def step(doing: str) -> Iterator[Callable[[str], None]]:
        lines.append(doing)
        yield lines.append

    catch_up(session, at(2026, 1, 1), step=step)
    return lines


@pytest.mark.parametrize(
    ("sales", "applying", "applied"),
    [
        ([0], "applying 1 transaction to", "applied 1 transaction of 1 member to"),
        ([0, 0, 1], "applying 3 transactions to", "applied 3 transactions of 2 members to"),
    ],
)
def test_counts_read_right_for_1_and_for_n(
    session: Session, sales: list[int], applying: str, applied: str
) -> None:
    shop = Shop(session)
    members = [shop.member() for _ in range(max(sales) + 1)]
    bag = shop.product(price="70")
    for day, who in enumerate(sales, start=1):
        shop.sale(members[who], at(2024, 3, day, 15), [(bag, 1, "70.00")])
    lines = said_by_catch_up(session)
    assert applying in lines[0], lines
    assert applied in lines[1], lines
    assert "heat alert" in lines[3] and " 1 heat alerts" not in lines[3], lines
