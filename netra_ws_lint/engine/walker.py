"""The single-pass walker (each enabled rule's ``visit_<Node>`` / ``leave_<Node>``
handlers, one iterative walk keeping the scope stack) and parsing a file's text; the
pipeline (:mod:`.pipeline`) and fact extraction (:mod:`.facts`) both use them."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Callable

from netra_ws_lint.analysis.scopes import COMPREHENSIONS, Scope, node_fields, parse_quietly
from netra_ws_lint.analysis.semantic import Context
from netra_ws_lint.model import RULE_CRASHED, SYNTAX_ERROR, Finding
from netra_ws_lint.rules.base import Rule

Handler = Callable[[ast.AST], None]
_LEAVE, _PUSH, _POP = 1, 2, 3


class _Marker:
    """A walker stack entry that is not a node to visit: leave a node, push or pop a scope."""

    __slots__ = ("obj", "op")

    def __init__(self, op: int, obj: object) -> None:
        self.op = op
        self.obj = obj


_POP_MARKER = _Marker(_POP, None)
# child fields of each node type, in reverse source order; never worth a visit: the
# ``ctx`` markers and the operators (``Load()``, ``Add()``, ``Eq()``: no rule looks at
# them as nodes, and they have no children)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
_SKIPPED_FIELDS = frozenset({"ctx", "op", "ops"})
# nodes that never have child nodes: visited only when a rule has a handler for them
_LEAVES = frozenset({ast.Name, ast.Constant, ast.Pass, ast.Break, ast.Continue, ast.alias})


# (rule classes, prefix) -> node type -> [(rule index, method name)]: dir() once per run
_HANDLER_SPECS: dict[tuple[tuple[type, ...], str], dict[type, list[tuple[int, str]]]] = {}


def _handler_table(rules: Sequence[Rule], prefix: str) -> dict[type, list[tuple[Rule, Handler]]]:
    key = (tuple(type(r) for r in rules), prefix)
    spec = _HANDLER_SPECS.get(key)
    if spec is None:
        spec = {}
        for i, rule in enumerate(rules):
            for attr in dir(type(rule)):
                if attr.startswith(prefix):
                    node_type = getattr(ast, attr[len(prefix) :], None)
                    if isinstance(node_type, type):
                        spec.setdefault(node_type, []).append((i, attr))
        if len(_HANDLER_SPECS) > 256:  # bounded in long-lived processes
            _HANDLER_SPECS.clear()
        _HANDLER_SPECS[key] = spec
    return {t: [(rules[i], getattr(rules[i], a)) for i, a in e] for t, e in spec.items()}


def _scoped_children(node: ast.AST, ctx: Context, stack: list[object]) -> None:
    """Push a scope-creating node's children: what runs in the enclosing scope is
    visited before the new scope is pushed (decorators, defaults, annotations, bases)."""
    outer: list[ast.AST]
    inner: list[ast.AST]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        a = node.args
        outer = [d for d in (*a.defaults, *a.kw_defaults) if d is not None]
        if not isinstance(node, ast.Lambda):
            outer = list(node.decorator_list) + outer
            for arg in (*getattr(a, "posonlyargs", ()), *a.args, a.vararg, *a.kwonlyargs, a.kwarg):
                if arg is not None and arg.annotation is not None:
                    outer.append(arg.annotation)
            if node.returns is not None:
                outer.append(node.returns)
            outer.extend(getattr(node, "type_params", ()))
            inner = list(node.body)
            kind = "function"
        else:
            inner = [node.body]
            kind = "lambda"
    elif isinstance(node, ast.ClassDef):
        outer = [
            *node.decorator_list,
            *node.bases,
            *node.keywords,
            *getattr(node, "type_params", ()),
        ]
        inner = list(node.body)
        kind = "class"
    else:  # comprehension
        assert isinstance(node, COMPREHENSIONS)
        gens = node.generators
        outer = [gens[0].iter]
        inner = [gens[0].target, *gens[0].ifs]
        for g in gens[1:]:
            inner += [g.iter, g.target, *g.ifs]
        if isinstance(node, ast.DictComp):
            inner += [node.key, node.value]
        else:
            inner.append(node.elt)
        kind = "comprehension"
    stack.append(_POP_MARKER)
    stack.extend(reversed(inner))
    stack.append(_Marker(_PUSH, Scope(kind, node, ctx.scope)))
    stack.extend(reversed(outer))


_SCOPE_NODE_TYPES = frozenset(
    (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, *COMPREHENSIONS)
)


class Walker:
    """Walks a tree once (iteratively: deep trees cannot overflow the stack), keeping
    the scope stack of the :class:`Context` and calling each enabled rule's
    ``visit_<Node>`` / ``leave_<Node>`` handlers."""

    def __init__(self, ctx: Context, rules: Sequence[Rule]) -> None:
        self.ctx = ctx
        self.visit = _handler_table(rules, "visit_")
        self.leave = _handler_table(rules, "leave_")
        self.skip = _LEAVES.difference(self.visit, self.leave)
        self.crashed: dict[str, BaseException] = {}

    def _call(self, handlers: list[tuple[Rule, Handler]], node: ast.AST) -> None:
        for rule, handler in handlers:
            if rule.code in self.crashed:
                continue
            try:
                handler(node)
            except Exception as exc:  # a rule bug must not stop the run
                self.crashed[rule.code] = exc
                line = getattr(node, "lineno", 1)
                self.ctx.add_finding(
                    Finding(
                        line,
                        getattr(node, "col_offset", 0),
                        RULE_CRASHED,
                        f"rule {rule.code} ({rule.name}) crashed on this file: "
                        f"{type(exc).__name__}: {exc}",
                    )
                )

    def walk(self, tree: ast.AST) -> None:
        ctx = self.ctx
        visit, leave, skip = self.visit, self.leave, self.skip
        stack: list[object] = [tree]
        AST = ast.AST
        while stack:
            item = stack.pop()
            t = type(item)
            if t is _Marker:
                marker: _Marker = item  # type: ignore[assignment]
                if marker.op == _LEAVE:
                    self._call(leave[type(marker.obj)], marker.obj)  # type: ignore[arg-type]
                elif marker.op == _PUSH:
                    ctx.scopes.append(marker.obj)  # type: ignore[arg-type]
                else:
                    ctx.scopes.pop()
                continue
            node: ast.AST = item  # type: ignore[assignment]
            handlers = visit.get(t)
            if handlers:
                self._call(handlers, node)
            if t in leave:
                stack.append(_Marker(_LEAVE, node))
            if t in _SCOPE_NODE_TYPES:
                _scoped_children(node, ctx, stack)
                continue
            fields = _CHILD_FIELDS.get(t)
            if fields is None:
                fields = _CHILD_FIELDS[t] = tuple(reversed(node_fields(t, _SKIPPED_FIELDS)))
            for name in fields:
                value = getattr(node, name, None)
                if type(value) is list:
                    stack += [
                        v for v in reversed(value) if isinstance(v, AST) and type(v) not in skip
                    ]
                elif isinstance(value, AST) and type(value) not in skip:
                    stack.append(value)


def parse_source(source: str, path: str) -> ast.Module | Finding:
    """The tree, or an NWS900 finding saying why the file does not parse."""
    try:
        tree = parse_quietly(source, filename=path)
        assert isinstance(tree, ast.Module)
        return tree
    except SyntaxError as exc:
        line = exc.lineno or 1
        col = max((exc.offset or 1) - 1, 0)
        from netra_ws_lint.engine.pyversion import syntax_hint

        hint = syntax_hint(source, line, exc.msg, path)
        return Finding(line, col, SYNTAX_ERROR, f"syntax error: {exc.msg}{hint}")
    except RecursionError:  # deep nesting, in ast construction (3.11+) or the compiler
        return Finding(1, 0, SYNTAX_ERROR, "cannot parse file: nested too deeply (RecursionError)")
    except MemoryError:  # the parser's own stack on deep nesting (< 3.12), or a huge file
        return Finding(
            1, 0, SYNTAX_ERROR, "cannot parse file: nested too deeply or too large (MemoryError)"
        )
    except ValueError as exc:  # null bytes (< 3.12.4), an integer literal too long
        return Finding(1, 0, SYNTAX_ERROR, f"cannot parse file: {exc or type(exc).__name__}")
