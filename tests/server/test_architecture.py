"""The server's packages form layers: no import cycle between domain packages (issue 17 item 1).

Run as a script (`python tests/server/test_architecture.py`) to print the package graph's cycles.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

SERVER = Path(__file__).resolve().parents[2] / "server"
# The base layer: everything may import it, it imports no domain package.
BASE = {"core", "db", "config"}
# The composition layer: it may import everything, nothing imports it.
COMPOSITION = {"app", "routers", "cli", "demo"}
# Cycles waiting for their fix, each with why it is still here; a cycle not listed fails, and so does a
# listed one that has gone (take it off the list) or grown.
# (assignments <-> tasks went in issue 17: the client list and its access rules moved to server/clients/.)
KNOWN_CYCLES: dict[frozenset[str], str] = {}


def _package_of(module: str) -> str | None:
    """`server.loyalty.points` -> `loyalty`; None for anything outside server."""
    parts = module.split(".")
    if parts[0] != "server" or len(parts) < 2:
        return None
    return parts[1]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str) -> Iterator[tuple[str, int]]:
    """Every module this one imports, with its line, lazy imports included, `if TYPE_CHECKING:` blocks not."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: -node.level]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target, node.lineno
            for alias in node.names:  # `from server import loyalty` names a package too
                yield f"{target}.{alias.name}", node.lineno
        stack.extend(ast.iter_child_nodes(node))


def package_graph() -> dict[str, dict[str, str]]:
    """package -> {imported package: "file:line" of one import that makes the edge}."""
    graph: dict[str, dict[str, str]] = {}
    for path in sorted(SERVER.rglob("*.py")):
        relative = path.relative_to(SERVER.parent)
        if "migrations" in relative.parts:
            continue
        module = ".".join(relative.with_suffix("").parts)
        if module.endswith(".__init__"):
            module = module.removesuffix(".__init__")
        source = _package_of(module)
        if source is None:
            continue
        edges = graph.setdefault(source, {})
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for target_module, line in _imports(
            tree, module + ".__init__" if path.stem == "__init__" else module
        ):
            target = _package_of(target_module)
            if target is None or target == source or not _is_package(target):
                continue
            edges.setdefault(target, f"{relative}:{line}")
    return graph


def _is_package(name: str) -> bool:
    return (SERVER / name).is_dir() or (SERVER / f"{name}.py").is_file()


def strongly_connected(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """Tarjan's components of the graph, largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found, key=lambda c: (-len(c), c))


def cycle_path(graph: dict[str, dict[str, str]], component: list[str]) -> list[str]:
    """One cycle through the component's first package, each step with the import that makes it."""
    inside = set(component)
    start = component[0]
    # Breadth-first back to the start, staying inside the component.
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph.get(node, {})):
                if nxt not in inside:
                    continue
                if nxt == start:
                    steps = [node]
                    while steps[-1] != start:
                        steps.append(parents[steps[-1]])
                    steps.reverse()
                    steps.append(start)
                    return [f"{a} -> {b} ({graph[a][b]})" for a, b in zip(steps, steps[1:], strict=False)]
                if nxt not in parents and nxt != start:
                    parents[nxt] = node
                    following.append(nxt)
        frontier = following
    return []


def domain_graph(graph: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The graph between domain packages: base and composition layers left out."""
    skip = BASE | COMPOSITION
    return {
        source: {target: where for target, where in edges.items() if target not in skip}
        for source, edges in graph.items()
        if source not in skip
    }


def test_no_cycle_between_domain_packages() -> None:
    graph = domain_graph(package_graph())
    cycles = [c for c in strongly_connected(graph) if len(c) > 1]
    new = [c for c in cycles if frozenset(c) not in KNOWN_CYCLES]
    message = "\n\n".join(f"cycle among {', '.join(c)}:\n  " + "\n  ".join(cycle_path(graph, c)) for c in new)
    assert not new, message
    gone = set(KNOWN_CYCLES) - {frozenset(c) for c in cycles}
    assert not gone, f"no longer a cycle, take it off KNOWN_CYCLES: {[sorted(c) for c in gone]}"


def test_base_layer_imports_no_domain_package() -> None:
    graph = package_graph()
    wrong = [
        f"{source} -> {target} ({where})"
        for source in BASE
        for target, where in graph.get(source, {}).items()
        if target not in BASE
    ]
    assert not wrong, "\n".join(wrong)


def test_nothing_imports_the_composition_layer() -> None:
    graph = package_graph()
    wrong = [
        f"{source} -> {target} ({where})"
        for source, edges in graph.items()
        if source not in COMPOSITION
        for target, where in edges.items()
        if target in COMPOSITION
    ]
    assert not wrong, "\n".join(wrong)


def test_a_cycle_is_found_and_named() -> None:
    graph = {"a": {"b": "a.py:1"}, "b": {"c": "b.py:2"}, "c": {"a": "c.py:3"}, "d": {"a": "d.py:4"}}
    assert [c for c in strongly_connected(graph) if len(c) > 1] == [["a", "b", "c"]]
    assert cycle_path(graph, ["a", "b", "c"]) == ["a -> b (a.py:1)", "b -> c (b.py:2)", "c -> a (c.py:3)"]


def report(verbose: bool = False) -> str:
    """The cycles of the whole package graph, then those between domain packages (the script's output)."""
    full = package_graph()
    lines = []
    for component in strongly_connected(full):
        if len(component) > 1:
            lines.append(f"{len(component)} packages: {', '.join(component)}")
            lines += [f"   {step}" for step in cycle_path(full, component)]
    domain = domain_graph(full)
    components = [c for c in strongly_connected(domain) if len(c) > 1]
    lines.append(f"domain packages: {len(domain)}; in a cycle: {sum(len(c) for c in components)}")
    lines += [f"  {', '.join(c)}" for c in components]
    if verbose:
        lines += [f"{source} -> {', '.join(sorted(full[source]))}" for source in sorted(full)]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(report("-v" in sys.argv) + "\n")
