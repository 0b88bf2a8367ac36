"""Two model versions side by side: ``python -m models.compare A B [--json]``.

Prints what differs between the two version folders (method, data window, dimensions, parameters) and
every validation and test metric of both, with B minus A.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from models.versions import VersionError, read_version

SECTIONS = ("data_window", "dimensions", "params")


def _flat(manifest: dict[str, Any]) -> dict[str, Any]:
    """The comparable fields of a manifest as ``section.key -> value``."""
    rows: dict[str, Any] = {"version": manifest.get("version"), "created": manifest.get("created")}
    rows["method"] = manifest.get("method")
    for section in SECTIONS:
        for key, value in (manifest.get(section) or {}).items():
            rows[f"{section}.{key}"] = value
    for split, metrics in (manifest.get("metrics") or {}).items():
        for key, value in (metrics or {}).items():
            rows[f"{split}.{key}"] = value
    tuning = manifest.get("tuning") or {}
    if tuning:
        rows["tuning.objective"] = tuning.get("objective")
        rows["tuning.trials"] = len(tuning.get("trials", []))
        rows["tuning.validation_members"] = tuning.get("validation_members")
    return rows


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per field of either manifest: its values in A and B and, for numbers, B - A."""
    fa, fb = _flat(a), _flat(b)
    rows = []
    for key in list(fa) + [k for k in fb if k not in fa]:
        va, vb = fa.get(key), fb.get(key)
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (va, vb))
        delta = round(vb - va, 6) if numeric else None  # type: ignore[operator]
        rows.append({"field": key, "a": va, "b": vb, "delta": delta, "same": va == vb})
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:.6g}"
    return str(value)


def _print_table(a_path: Path, b_path: Path, rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    table = Table(title="Model versions compared")
    table.add_column("field")
    table.add_column(f"A: {a_path.name}", justify="right")
    table.add_column(f"B: {b_path.name}", justify="right")
    table.add_column("B - A", justify="right")
    for row in rows:
        delta = row["delta"]
        shown = "" if not delta else (f"[green]{delta:+.4f}[/]" if delta > 0 else f"{delta:+.4f}")
        style = None if row["same"] else "bold"
        table.add_row(row["field"], _cell(row["a"]), _cell(row["b"]), shown, style=style)
    console.print(table)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m models.compare", description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path, help="first version folder")
    parser.add_argument("b", type=Path, help="second version folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    try:
        a, b = read_version(args.a), read_version(args.b)
    except VersionError as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    rows = compare(a, b)
    if args.json:
        print(json.dumps({"a": a, "b": b, "fields": rows}))  # noqa: T201
    else:
        _print_table(args.a, args.b, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
