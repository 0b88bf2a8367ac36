"""Offer codes are coupon codes (server/coupons/codes.py): one alphabet, one space of codes for the till."""

from __future__ import annotations

from server.coupons.codes import ALPHABET, PREFIX, new_code

__all__ = ["ALPHABET", "PREFIX", "new_code"]
