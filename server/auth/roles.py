"""Staff roles. A role is held in one store, or chain-wide when its store is NULL."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CLERK = "clerk"
    VIP_CONSULTANT = "vip_consultant"
    CASHIER = "cashier"
    STORE_MANAGER = "store_manager"
    HQ_ANALYST = "hq_analyst"
    ADMIN = "admin"


# Roles that are normally held chain-wide (store_id NULL).
CHAIN_ROLES = frozenset({Role.HQ_ANALYST, Role.ADMIN})
