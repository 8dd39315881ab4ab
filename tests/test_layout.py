"""The package's layout: no import cycle, and one module per rule named after it.

Imports are read from the source (nothing is imported to find them): every
``import`` and ``from ... import`` of the package's own modules, those inside
functions included, those under ``if TYPE_CHECKING:`` aside (they never run).
Importing ``a.b.c`` runs the ``__init__`` of ``a.b`` too, so a module depends on
the packages above what it imports, except the packages it is itself inside
(they are already being imported when it runs).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import netra_ws_lint
from netra_ws_lint.rules.base import Rule, all_rules

PACKAGE = Path(netra_ws_lint.__file__).parent
TOP = "netra_ws_lint"


def module_names() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def import_graph() -> dict[str, set[str]]:
    modules = module_names()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        targets: set[str] = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
                continue
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets.add(module)
            targets.update(f"{module}.{a.name}" for a in node.names)  # submodules
        own = set(_ancestors(name))
        for target in targets:
            if target not in modules:
                continue
            for dep in [*_ancestors(target), target]:
                if dep in modules and dep not in own and dep != name:
                    graph[name].add(dep)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_import_graph_is_read_from_the_source() -> None:
    graph = import_graph()
    # a function-level import counts; a TYPE_CHECKING one does not
    assert "netra_ws_lint.fix.apply" in graph["netra_ws_lint.fix.command"]
    assert "netra_ws_lint.analysis.project" not in graph["netra_ws_lint.analysis.semantic"]
    # importing a module imports the packages above it
    assert "netra_ws_lint.rules" in graph["netra_ws_lint.engine.prefilter"]
    # and the cycle finder finds a cycle
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle() -> None:
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_config_reaches_nothing_of_the_rules() -> None:
    graph = import_graph()
    reached, todo = set(), ["netra_ws_lint.config"]
    while todo:
        for dep in graph[todo.pop()] - reached:
            reached.add(dep)
            todo.append(dep)
    assert not {m for m in reached if m.startswith(f"{TOP}.rules")}, sorted(reached)


def test_every_rule_lives_in_a_module_of_its_own_named_after_it() -> None:
    rules = all_rules()
    assert len(rules) >= 18
    seen: dict[str, str] = {}
    for code, rule in rules.items():
        module = rule.__module__
        assert module.startswith(f"{TOP}.rules.nws{code[3]}_"), (code, module)
        assert module.rpartition(".")[2] == rule.name.replace("-", "_"), (code, module)
        assert module not in seen, f"{code} and {seen.get(module)} share {module}"
        seen[module] = code
        # nothing else in that module is a rule
        path = module_names()[module]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
        assert classes == [rule.__name__], (module, classes)
    # every registered rule is a Rule subclass and every module of a family holds one
    assert all(issubclass(r, Rule) for r in rules.values())
    family_modules = {
        name
        for name in module_names()
        if name.startswith(f"{TOP}.rules.nws") and name.count(".") == 3
    }
    assert family_modules == set(seen), sorted(family_modules ^ set(seen))
