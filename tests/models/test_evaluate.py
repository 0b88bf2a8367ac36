"""`python -m models.evaluate` on generated files, and every baseline on the development data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models.baselines.p_topfreq import PersonalTopFreq
from models.data import ONLINE_RETAIL_CREDIT, load_transactions
from models.evaluate import METRICS, evaluate_recommender, main
from models.protocol import split_next_basket
from models.registry import method_names

RETAIL_HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"


def generated_shop(path: Path, members: int = 40, seed: int = 3) -> Path:
    """An Online Retail layout file: members with 3..7 visits, each a favourite plus random items."""
    rng = np.random.default_rng(seed)
    rows = [RETAIL_HEADER]
    invoice = 500000
    for member in range(members):
        favourite = member % 5
        for day in range(1, int(rng.integers(3, 8)) + 1):
            invoice += 1
            for item in {favourite, *rng.integers(0, 30, size=3).tolist()}:
                stamp = f"2011-03-{day:02d} 10:00:00"
                rows.append(f"{invoice},{20000 + item},ITEM {item},2,{stamp},1.25,{13000 + member}.0,UK")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shop = generated_shop(tmp_path / "shop.csv")
    assert main(["--transactions", str(shop), "--json", "--seed", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["users"]["train"] + report["users"]["test"] == 40
    assert report["users"]["test"] == 8
    assert list(report["methods"]) == [m for m in method_names() if m != "aisle"] + ["served"]
    for metrics in report["methods"].values():
        assert tuple(metrics) == METRICS
        assert all(value is None or 0 <= value <= 1 for value in metrics.values())
    assert report["dataset"]["credit"] == ONLINE_RETAIL_CREDIT


def test_listed_test_users_and_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shop = generated_shop(tmp_path / "shop.csv")
    listed = tmp_path / "test-users.txt"
    listed.write_text("13001.0\n13002\n99999\n")
    assert main(["--transactions", str(shop), "--test-users", str(listed), "--methods", "p-topfreq,als"]) == 0
    out = capsys.readouterr().out
    assert "38 train, 2 test" in out
    assert "not in the file: 99999" in out
    assert "p-topfreq" in out and "als" in out and "tifu-knn" not in out
    assert ONLINE_RETAIL_CREDIT in out


def test_the_served_configuration_is_the_model_through_the_servers_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shop = generated_shop(tmp_path / "shop.csv")
    assert main(["--transactions", str(shop), "--json", "--methods", "aisle,served"]) == 0
    both = json.loads(capsys.readouterr().out)["methods"]
    assert both["served"] == both["aisle"]  # folded in from baskets, ranked on the visit day: the same lists
    # A catalogue without the favourites (items 20000..20004): the served lists can no longer hold them.
    catalogue = tmp_path / "catalogue.txt"
    catalogue.write_text("\n".join(str(20000 + i) for i in range(5, 30)) + "\n")
    args = ["--transactions", str(shop), "--json", "--methods", "served", "--catalogue", str(catalogue)]
    assert main(args) == 0
    filtered = json.loads(capsys.readouterr().out)["methods"]["served"]
    assert filtered["repeat_recall@10"] < both["served"]["repeat_recall@10"]


def test_bad_line_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    shop = generated_shop(tmp_path / "shop.csv")
    lines = shop.read_text().splitlines()
    lines.insert(5, "500001,20001,ITEM 1,2,2011-03-01 10:00:00")
    shop.write_text("\n".join(lines) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "models.evaluate", "--transactions", str(shop)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "line 6: expected 8 fields, found 5" in done.stderr
    assert "Traceback" not in done.stderr


class DayRecorder(PersonalTopFreq):
    """P-TopFreq that remembers the visit days it was asked to rank for."""

    name = "p-topfreq"

    def __init__(self) -> None:
        super().__init__()
        self.days: list[np.ndarray | None] = []

    def _score(self, user_indices: np.ndarray, days: np.ndarray | None = None) -> np.ndarray:
        self.days.append(days)
        return super()._score(user_indices, days)


def test_every_method_is_told_the_visit_day(tmp_path: Path) -> None:
    tx = load_transactions(generated_shop(tmp_path / "shop.csv"))
    split = split_next_basket(tx, seed=1)
    recorder = DayRecorder()
    evaluate_recommender(recorder, split)
    asked = np.concatenate([d for d in recorder.days if d is not None])
    # both lists, every test member, on the day of the basket being predicted
    assert len(recorder.days) == 2 and all(d is not None for d in recorder.days)
    np.testing.assert_array_equal(asked, np.tile(split.target_days, 2))
    # time-blind methods rank the same with or without it
    users = split.test_users
    np.testing.assert_array_equal(
        recorder.recommend(users, 5, days=split.target_days), recorder.recommend(users, 5)
    )


def test_unknown_method(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shop = generated_shop(tmp_path / "shop.csv")
    assert main(["--transactions", str(shop), "--methods", "als,magic"]) == 2
    assert "unknown method(s) magic" in capsys.readouterr().err
