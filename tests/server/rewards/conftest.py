"""Fixtures for this package's tests."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.fixtures.factories import World, build_world


@pytest.fixture
def world(session: Session) -> World:
    """Stores A and B; a clerk, cashier and manager of A; a clerk of B; an analyst, an admin, a no-role."""
    return build_world(session)
