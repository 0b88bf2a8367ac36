"""The README's first look, made to work on whichever demo chain `aisle demo` built.

`aisle demo` writes `first-look.env` in the data directory: a clerk of a staffed store, their demo
password, and a member to look up by card and phone. The README's example sources it, so the same
commands work on the Online Retail chain (`uk.clerk1`, card 600000181021) and on the generated one
(`sh.clerk1`, card 605000000014).
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from server.auth.roles import Role
from server.core.files import private_dir
from server.demo.service import DemoReport

FILE_NAME = "first-look.env"


def first_look(report: DemoReport) -> dict[str, str]:
    """The clerk and member the README's example uses; empty when the demo has no clerk or member."""
    clerks = [s.account for s in report.accounts if s.account.role == Role.CLERK and s.password_is_demo]
    if not clerks or not report.members:
        return {}
    clerk = clerks[0]
    member = next((m for m in report.members if m.store == clerk.store_name), report.members[0])
    return {
        "AISLE_DEMO_LOGIN": clerk.login,
        "AISLE_DEMO_PASSWORD": clerk.password,
        "AISLE_DEMO_CARD": member.card,
        "AISLE_DEMO_PHONE": member.phone,
    }


def write_first_look(data_dir: Path, report: DemoReport) -> Path | None:
    """Write `first-look.env` (shell syntax, owner-only); None when there is nothing to try."""
    values = first_look(report)
    if not values:
        return None
    private_dir(data_dir)  # a demo on PostgreSQL may not have made the data directory yet
    path = data_dir / FILE_NAME
    text = "".join(f"{key}={shlex.quote(value)}\n" for key, value in values.items())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path
