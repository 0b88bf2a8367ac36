"""The README's first look, run as written (bash and curl) against a served demo chain."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from server.core.context import AppContext
from server.demo.first_look import FILE_NAME, first_look, write_first_look
from server.demo.service import DemoReport, set_up_demo
from tests.server.realtime.conftest import serve

README = Path(__file__).resolve().parents[3] / "README.md"
DEMO_URL = "http://127.0.0.1:8000"


def readme_first_look() -> str:
    """The bash block under "A first look with the demo running" in the README."""
    text = README.read_text(encoding="utf-8")
    start = text.index("```bash", text.index("A first look with the demo running"))
    return text[start + len("```bash") : text.index("```", start + 7)]


def _documents(output: str) -> list[dict[str, Any]]:
    """The JSON bodies curl printed one after another."""
    decoder, docs, at = json.JSONDecoder(), [], 0
    while at < len(output):
        if output[at].isspace():
            at += 1
            continue
        doc, at = decoder.raw_decode(output, at)
        docs.append(doc)
    return docs


def _run_readme_first_look(context: AppContext, report: DemoReport, project: Path) -> list[dict[str, Any]]:
    """Write the report's first-look.env into project/.aisle, serve the chain, run the README's block."""
    (project / ".aisle").mkdir(parents=True)
    written = write_first_look(project / ".aisle", report)
    assert written == project / ".aisle" / FILE_NAME and written.stat().st_mode & 0o777 == 0o600
    with serve(context) as live:
        script = "set -euo pipefail\n" + readme_first_look().replace(
            DEMO_URL, live.url.replace("ws://", "http://", 1)
        )
        done = subprocess.run(
            ["bash", "-c", script], cwd=project, capture_output=True, text=True, timeout=600, check=False
        )
    assert done.returncode == 0, done.stdout + done.stderr
    return _documents(done.stdout)


def test_the_readme_first_look_works_on_the_generated_demo(
    context: AppContext, db_url: str, tmp_path: Path
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the first look is the embedded default's (SQLite)")
    report = set_up_demo(context, generate=True, members=150)
    values = first_look(report)
    assert values["AISLE_DEMO_LOGIN"] == "sh.clerk1" and values["AISLE_DEMO_CARD"] == "605000000014"
    by_phone, profile, recommendations = _run_readme_first_look(context, report, tmp_path / "project")
    assert by_phone["card_number"] == "605000000014" and by_phone["name"]
    assert profile["id"] == by_phone["id"] and profile["card_number"] == "605000000014"
    assert recommendations["member_id"] == by_phone["id"] and recommendations["suggestions"]


def test_the_readme_first_look_works_on_the_imported_demo(
    context: AppContext, db_url: str, tmp_path: Path, small_retail_file: Path
) -> None:
    """`aisle demo` with Online Retail data present imports it; the same block works on that chain."""
    if not db_url.startswith("sqlite"):
        pytest.skip("the first look is the embedded default's (SQLite)")
    report = set_up_demo(context, data=small_retail_file)
    values = first_look(report)
    assert values["AISLE_DEMO_LOGIN"].startswith("uk.clerk")
    by_phone, profile, recommendations = _run_readme_first_look(context, report, tmp_path / "project")
    assert by_phone["card_number"] == values["AISLE_DEMO_CARD"]
    assert profile["id"] == by_phone["id"] and profile["recent_purchases"]
    assert recommendations["member_id"] == by_phone["id"]
