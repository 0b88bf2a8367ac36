"""Prefs: remembered between runs, per server and user for the floor seq, never broken by a bad file."""

from __future__ import annotations

import json
from pathlib import Path

from mobile_app.state.prefs import Prefs


def test_settings_survive_a_restart(tmp_path: Path) -> None:
    prefs = Prefs(tmp_path)
    prefs.server_url, prefs.username, prefs.lang = "http://10.0.0.5:8000", "sh.clerk1", "zh"
    prefs.set_last_seq("http://10.0.0.5:8000", "sh.clerk1", 41)
    again = Prefs(tmp_path)
    assert (again.server_url, again.username, again.lang) == ("http://10.0.0.5:8000", "sh.clerk1", "zh")
    assert again.last_seq("http://10.0.0.5:8000/", "SH.clerk1") == 41
    assert again.last_seq("http://10.0.0.6:8000", "sh.clerk1") is None  # another server
    assert again.last_seq("http://10.0.0.5:8000", "sh.clerk2") is None  # another user
    assert "password" not in (tmp_path / "prefs.json").read_text(encoding="utf-8")


def test_a_damaged_file_costs_the_settings_not_the_app(tmp_path: Path) -> None:
    (tmp_path / "prefs.json").write_text("{not json", encoding="utf-8")
    prefs = Prefs(tmp_path)
    assert (prefs.server_url, prefs.lang, prefs.last_seq("x", "y")) == ("", "", None)
    prefs.lang = "en"
    assert json.loads((tmp_path / "prefs.json").read_text(encoding="utf-8")) == {"lang": "en"}
