"""The package's layout stays readable: no import circles among cleaner's modules, no
module over MAX_MODULE_LINES lines, no function body over MAX_FUNCTION_LINES lines."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "cleaner"
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 90  # the body, its docstring aside


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def under_type_checking(tree: ast.AST) -> set[int]:
    """The ids of the nodes inside ``if TYPE_CHECKING:`` blocks (imports for annotations
    only: they never run)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for n in ast.walk(node))
    return skipped


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The cleaner modules ``name`` imports, at its top or inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    skipped = under_type_checking(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            candidates = [target] + [f"{target}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found.update(c for c in candidates if c in known and c != name)
    return found


def import_graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(name, path, set(found)) for name, path in found.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm,
    iterative).

    >>> circles({"a": {"b"}, "b": {"a"}, "c": {"a"}})
    [['a', 'b']]
    >>> circles({"a": {"b"}, "b": set()})
    []
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph[step]))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_circles() -> None:
    """No cleaner module imports one that imports it, directly or through others (imports
    inside functions count; those under ``if TYPE_CHECKING:`` do not)."""
    graph = import_graph()
    assert graph["cleaner.runner"], "the import graph is empty: the scan is broken"
    assert circles(graph) == []


def test_modules_are_short() -> None:
    long = {
        module_name(p): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """The lines of a function's body, from its first statement after the docstring.

    >>> tree = ast.parse('def f():\\n    "doc"\\n    a = 1\\n    return a\\n')
    >>> body_lines(tree.body[0])
    2
    """
    first = node.body[0]
    if (
        len(node.body) > 1
        and isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        first = node.body[1]
    assert node.end_lineno is not None
    return node.end_lineno - first.lineno + 1


def test_functions_are_short() -> None:
    long = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            is_function = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            if is_function and (n := body_lines(node)) > MAX_FUNCTION_LINES:
                long[f"{module_name(path)}.{node.name}"] = n
    assert long == {}


def test_the_checks_catch_what_they_look_for(tmp_path: Path) -> None:
    """A circle through an import inside a function is found; one only under
    ``TYPE_CHECKING`` is not."""
    (tmp_path / "a.py").write_text("def f():\n    from cleaner import b\n")
    (tmp_path / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from cleaner import c\n"
        "import cleaner.a\n"
    )
    (tmp_path / "c.py").write_text("from . import b\n")
    known = {"cleaner.a", "cleaner.b", "cleaner.c"}
    graph = {name: imports(name, tmp_path / f"{name[-1]}.py", known) for name in sorted(known)}
    a, b, c = sorted(known)
    assert graph == {a: {b}, b: {a}, c: {b}}
    assert circles(graph) == [["cleaner.a", "cleaner.b"]]
