"""Tests wait for what they wait for, never for a number of seconds, and never assert how long a call took.

A test that sleeps or asserts an elapsed time fails on a loaded machine (a sign-in the screen test gave
20 s took 28 s) and passes on a broken one when the sleep happens to be long enough; timings belong in
bench/. This scans every test file's syntax tree for sleeps of a literal over SLEEP_LIMIT seconds (over
POLL_LIMIT as a `while` loop's poll interval) and for assertions that order a time-like value (elapsed,
took, duration, seconds, latency, a clock reading) against anything but a deadline.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent
# A pause this short costs nothing; anything longer is a wait that should name its condition...
SLEEP_LIMIT = 0.05
# ... unless it is the interval of a `while` loop that re-checks one (polling, with its hang guard).
POLL_LIMIT = 0.5
SLEEP_MODULES = {"time", "asyncio", "trio", "anyio"}
CLOCKS = {
    "time",
    "monotonic",
    "perf_counter",
    "thread_time",
    "process_time",
    "monotonic_ns",
    "perf_counter_ns",
}
TIME_WORD = re.compile(r"(elapsed|took|duration|seconds|latency|_ms$|^ms$)", re.IGNORECASE)
# A clock compared with a deadline is a hang guard (fail instead of hanging), not a timing assertion.
DEADLINE_WORD = re.compile(r"deadline|until", re.IGNORECASE)
# (file relative to tests/, enclosing test or helper) -> why a real sleep is the behaviour under test there.
# Empty: every wait found so far had a condition to wait on or a clock to step.
ALLOWED_SLEEPS: dict[tuple[str, str], str] = {}


def _number(node: ast.expr, constants: dict[str, float]) -> float | None:
    """The value of a numeric literal (or a module-level constant naming one), else None."""
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand, constants)
        return -inner if inner is not None else None
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def _is_sleep(call: ast.Call, sleep_names: set[str]) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "sleep":
        return isinstance(func.value, ast.Name) and func.value.id in SLEEP_MODULES
    return isinstance(func, ast.Name) and func.id in sleep_names


def _names(node: ast.AST) -> Iterator[str]:
    """Every identifier, attribute and string subscript key in an expression."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            yield sub.id
        elif isinstance(sub, ast.Attribute):
            yield sub.attr
        elif isinstance(sub, ast.Subscript) and isinstance(sub.slice, ast.Constant):
            yield str(sub.slice.value)


def _reads_a_clock(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr in CLOCKS:
            if isinstance(sub.func.value, ast.Name) and sub.func.value.id in ("time", "loop"):
                return True
    return False


def _is_timing(node: ast.expr) -> bool:
    return _reads_a_clock(node) or any(TIME_WORD.search(name) for name in _names(node))


class Finder(ast.NodeVisitor):
    """Collects the sleeps and timing assertions of one file, with the function each is in."""

    def __init__(self, path: str, tree: ast.Module, allowed: dict[tuple[str, str], str]) -> None:
        self.path = path
        self.allowed = allowed
        self.function = "<module>"
        self.polling = 0  # depth of `while` loops around the node being visited
        self.problems: list[str] = []
        self.excused: set[tuple[str, str]] = set()
        self.constants: dict[str, float] = {}
        self.sleep_names: set[str] = set()
        for stmt in tree.body:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
            ):
                value = _number(stmt.value, {})
                if value is not None:
                    self.constants[stmt.targets[0].id] = value
            if isinstance(stmt, ast.ImportFrom) and stmt.module in SLEEP_MODULES:
                self.sleep_names |= {a.asname or a.name for a in stmt.names if a.name == "sleep"}

    def _in_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer, self.function = self.function, node.name if self.function == "<module>" else self.function
        self.generic_visit(node)
        self.function = outer

    visit_FunctionDef = _in_function
    visit_AsyncFunctionDef = _in_function

    def visit_While(self, node: ast.While) -> None:
        self.polling += 1
        self.generic_visit(node)
        self.polling -= 1

    def visit_Call(self, node: ast.Call) -> None:
        if _is_sleep(node, self.sleep_names) and node.args:
            seconds = _number(node.args[0], self.constants)
            limit = POLL_LIMIT if self.polling else SLEEP_LIMIT
            key = (self.path, self.function)
            if seconds is not None and seconds > limit and key in self.allowed:
                self.excused.add(key)
            elif seconds is not None and seconds > limit:
                self.problems.append(
                    f"{self.path}:{node.lineno} in {self.function}: sleeps {seconds:g} s; wait for the "
                    "condition itself (an event, a queue, polling with a long hang guard) or step a clock"
                )
        self.generic_visit(node)

    def visit_Assert(self, node: ast.Assert) -> None:
        for compare in (n for n in ast.walk(node.test) if isinstance(n, ast.Compare)):
            if not any(isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE) for op in compare.ops):
                continue
            sides = [compare.left, *compare.comparators]
            if any(DEADLINE_WORD.search(name) for side in sides for name in _names(side)):
                continue
            if any(_is_timing(side) for side in sides):
                self.problems.append(
                    f"{self.path}:{node.lineno} in {self.function}: asserts on a time "
                    f"({ast.unparse(compare)}); assert the behaviour, and measure the time in bench/"
                )
        self.generic_visit(node)


def scan(path: str, source: str, allowed: dict[tuple[str, str], str]) -> Finder:
    """The sleeps and timing assertions of one test file (`path` relative to tests/)."""
    tree = ast.parse(source, filename=path)
    finder = Finder(path, tree, allowed)
    finder.visit(tree)
    return finder


def problems_in(files: dict[str, str], allowed: dict[tuple[str, str], str]) -> list[str]:
    """Every sleep and timing assertion in `files` (path -> source), and every allow-list entry not used."""
    found, excused = [], set()
    for path, source in sorted(files.items()):
        finder = scan(path, source, allowed)
        found += finder.problems
        excused |= finder.excused
    for (path, function), reason in allowed.items():
        if (path, function) not in excused:  # it would silently excuse the next sleep written there
            found.append(f"{path} {function}: allowed to sleep, but no longer does; drop the entry")
        if len(reason) < 20:
            found.append(f"{path} {function}: say why a real sleep is what this test tests")
    return found


def test_no_test_sleeps_for_a_time_or_asserts_one() -> None:
    files = {p.relative_to(TESTS).as_posix(): p.read_text(encoding="utf-8") for p in TESTS.rglob("*.py")}
    problems = problems_in(files, ALLOWED_SLEEPS)
    assert not problems, "\n".join(problems)


SAMPLE = """import time, asyncio
from time import sleep
WAIT = 0.3
def test_a():
    started = time.monotonic()
    time.sleep(0.3)
    assert time.monotonic() - started < 5
async def test_b():
    await asyncio.sleep(1)
    sleep(WAIT)
    assert summary.seconds < 60
    assert elapsed <= 1.0, 'slow'
    assert max(took) < 10 * median
def test_fine():
    time.sleep(0.01)
    deadline = time.monotonic() + 120
    assert time.monotonic() < deadline, 'hung'
    assert report.seconds == {}
    while not done():
        time.sleep(0.1)
def test_excused():
    time.sleep(2)
    while not done():
        time.sleep(1)
"""


def test_the_scan_catches_what_it_is_for() -> None:
    # A guard that cannot fail is a defect: lines 6-13 must be reported, test_fine and test_excused not.
    allowed = {("sample.py", "test_excused"): "a real two seconds is what this sample tests"}
    problems = problems_in({"sample.py": SAMPLE}, allowed)
    assert [int(p.split(":")[1].split()[0]) for p in problems] == [6, 7, 9, 10, 11, 12, 13], problems
    # An entry whose sleep has gone, or that gives no reason, is reported too.
    gone = SAMPLE.replace("time.sleep(2)", "pass").replace("time.sleep(1)", "time.sleep(0.1)")
    stale = problems_in({"sample.py": gone}, {**allowed, ("x.py", "t"): ""})
    assert [p.split(":")[0] for p in stale[-3:]] == [
        "sample.py test_excused",
        "x.py t",
        "x.py t",
    ], stale
