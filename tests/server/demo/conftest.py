"""Fixtures for the demo's tests: a few lines of Online Retail data, and `aisle demo` pointed at tmp_path."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.config import Settings, get_settings

SECRET = "demo-test-secret-0123456789abcdef"

# Real lines of the development data's format: three UK customers, one French, one German; a
# cancellation, an anonymous sale.
SMALL_RETAIL = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom
536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom
536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,17850.0,United Kingdom
536367,84879,ASSORTED COLOUR BIRD ORNAMENT,32,2010-12-01 08:34:00,1.69,13047.0,United Kingdom
536367,22745,POPPY'S PLAYHOUSE BEDROOM ,6,2010-12-01 08:34:00,2.1,13047.0,United Kingdom
536370,22728,ALARM CLOCK BAKELIKE PINK,24,2010-12-01 08:45:00,3.75,12583.0,France
536370,22727,ALARM CLOCK BAKELIKE RED ,24,2010-12-01 08:45:00,3.75,12583.0,France
536380,22961,JAM MAKING SET PRINTED,24,2010-12-01 09:41:00,1.45,17809.0,United Kingdom
536527,22809,SET OF 6 T-LIGHTS SANTA,6,2010-12-01 13:04:00,2.95,12662.0,Germany
536544,21773,DECORATIVE ROSE BATHROOM BOTTLE,1,2010-12-01 14:32:00,2.51,,United Kingdom
C536548,22728,ALARM CLOCK BAKELIKE PINK,-4,2010-12-02 10:00:00,3.75,12583.0,France
"""
SMALL_CUSTOMERS = {"17850": "United Kingdom", "13047": "United Kingdom", "17809": "United Kingdom",
                   "12583": "France", "12662": "Germany"}  # fmt: skip


@pytest.fixture
def small_retail_file(tmp_path: Path) -> Path:
    """Eleven lines of Online Retail data, gzipped like the development file."""
    path = tmp_path / "small_retail.csv.gz"
    path.write_bytes(gzip.compress(SMALL_RETAIL.encode()))
    return path


@pytest.fixture
def demo_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> Iterator[Settings]:
    """AISLE_* pointing `aisle demo` at a data dir in tmp_path and at each test database."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AISLE_DATA_DIR", str(tmp_path / "aisle-data"))
    monkeypatch.setenv("AISLE_DATABASE_URL", db_url)
    monkeypatch.setenv("AISLE_SECRET_KEY", SECRET)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
