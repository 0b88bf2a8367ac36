"""The evaluation of every method on the development data, run once for the tests that read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.evaluate import Evaluation, run_evaluation
from models.registry import method_names


@pytest.fixture(scope="session")
def dev_evaluation(dev_data: Path) -> Evaluation:
    """Every registered method fitted and scored on the development data (seed 0); takes a minute."""
    return run_evaluation(dev_data, method_names(), seed=0)
