"""The layers keep their direction. ruff (lint and format) and mypy run in CI's own step before the tests,
`bash scripts/lint.sh`, so that a test run does not also lint and type-check the whole project."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_layers_do_not_import_upwards() -> None:
    """models/ imports neither the server nor the app; the server never imports the app; the app talks to
    the server over the network only, and its core (api/, state/) runs without Kivy."""
    rules = {
        "models": ("server", "mobile_app", "fastapi", "sqlalchemy"),
        "server": ("mobile_app",),
        "mobile_app": ("server", "models", "fastapi", "sqlalchemy"),
        "mobile_app/api": ("kivy",),
        "mobile_app/state": ("kivy",),
    }
    offenders = []
    for package, banned in rules.items():
        for path in (ROOT / package).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                words = line.split()
                if len(words) >= 2 and words[0] in ("import", "from"):
                    if words[1].split(".")[0] in banned:
                        offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
