"""Whether a product may be offered: its attributes can say it is out of stock."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def in_stock(attributes: Mapping[str, Any] | None) -> bool:
    """False when the product's attributes say it is out of stock ({"in_stock": false} or {"stock": 0})."""
    if not isinstance(attributes, Mapping):
        return True
    if attributes.get("in_stock") is False:
        return False
    stock = attributes.get("stock")
    return not (isinstance(stock, int | float) and not isinstance(stock, bool) and stock <= 0)
