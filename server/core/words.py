"""English counts for the server's own sentences: '1 point expires', '3 points expire'.

The same rule as the phone's i18n.plural (KEY.one when n is 1, KEY.other otherwise), kept here because the
server never imports mobile_app. Chinese needs no such rule: its sentences do not change with the count.
"""

from __future__ import annotations


def counted(n: int, one: str, other: str | None = None) -> str:
    """'N ONE' when n is 1, else 'N OTHER' (ONE + 's' if OTHER is not given): counted(1, "day") is '1 day'.

    ONE and OTHER may carry the words that agree with the count: counted(n, "point expires", "points expire").
    """
    return f"{n} {one if n == 1 else (other if other is not None else one + 's')}"
