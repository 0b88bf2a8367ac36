"""The server's English counts read right for 1 and for n, as the phone's i18n.plural words them."""

from __future__ import annotations

import pytest

from server.core.words import counted


@pytest.mark.parametrize(
    ("n", "words", "expected"),
    [
        (1, ("day",), "1 day"),
        (0, ("day",), "0 days"),
        (30, ("day",), "30 days"),
        (1, ("category", "categories"), "1 category"),
        (4, ("category", "categories"), "4 categories"),
        (1, ("point expires", "points expire"), "1 point expires"),
        (80, ("point expires", "points expire"), "80 points expire"),
    ],
)
def test_a_count_agrees_with_its_noun(n: int, words: tuple[str, ...], expected: str) -> None:
    assert counted(n, *words) == expected
