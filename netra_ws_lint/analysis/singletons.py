"""What makes a function or a class a process-wide singleton, and which calls
build user-scoped objects (the NWS1 rules)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from netra_ws_lint.analysis.idioms import VALUE_CALLS, VALUE_METHODS
from netra_ws_lint.analysis.scopes import (
    Binding,
    FunctionNode,
    dotted_name,
    iter_child_stmts_no_scopes,
)
from netra_ws_lint.analysis.semantic import Context


def _user_kind(ctx: Context, name: str | None) -> str | None:
    """What makes a called name user-scoped: ``"deprecated accessor"``, ``"context
    factory"``, ``"user-scoped type"``, or None."""
    if name is None:
        return None
    if ctx.is_deprecated_accessor(name):
        return "deprecated accessor"
    if ctx.is_user_scoped_type(name):
        return "user-scoped type"
    if ctx.is_context_factory(name):
        return "context factory"
    return None


def _is_cast(ctx: Context, call: ast.Call) -> bool:
    return len(call.args) == 2 and ctx.resolve(call.func) in ("typing.cast", "cast")


def _value_calls(
    ctx: Context, value: ast.AST, seen: list[ast.AST], allow_await: bool
) -> list[ast.Call]:
    """The calls whose result ``value`` evaluates to, through the transparent wrappers
    ``(x := call)``, ``a if c else b``, ``a or b``, ``typing.cast(T, call)`` (and
    ``await call`` when ``allow_await``). Walrus nodes met are appended to ``seen``."""
    out: list[ast.Call] = []
    todo = [value]
    while todo:
        v = todo.pop()
        if isinstance(v, ast.Call):
            if _is_cast(ctx, v):
                todo.append(v.args[1])
            else:
                out.append(v)
        elif isinstance(v, ast.NamedExpr):
            seen.append(v)
            todo.append(v.value)
        elif isinstance(v, ast.IfExp):
            todo += (v.orelse, v.body)
        elif isinstance(v, ast.BoolOp):
            todo.extend(reversed(v.values))
        elif isinstance(v, ast.Await) and allow_await:
            todo.append(v.value)
    return out


def _call_label(ctx: Context, call: ast.Call) -> str:
    return dotted_name(call.func) or ctx.callee(call) or "<call>"


def _short(node: ast.AST, limit: int = 60) -> str:
    try:
        text = ast.unparse(node)
    except (ValueError, RecursionError, AttributeError):  # pragma: no cover - defensive
        text = "<target>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class _FunctionFacts:
    """What one walk over a function body finds (nested scopes not entered)."""

    globals: set[str] = field(default_factory=set)
    assigns: list[tuple[str, ast.AST]] = field(default_factory=list)  # name = value
    calls: list[ast.Call] = field(default_factory=list)
    returns: list[ast.expr] = field(default_factory=list)  # returned values

    def local_value(self, name: str) -> ast.AST | None:
        """The value last bound to the local ``name``, if any."""
        if name in self.globals:
            return None
        found = None
        for n, v in self.assigns:
            if n == name:
                found = v
        return found


def _function_facts(fn: FunctionNode) -> _FunctionFacts:
    facts = _FunctionFacts()
    for sub in iter_child_stmts_no_scopes(fn.body):
        if isinstance(sub, ast.Call):
            facts.calls.append(sub)
        elif isinstance(sub, ast.Assign):
            facts.assigns += [(t.id, sub.value) for t in sub.targets if isinstance(t, ast.Name)]
        elif isinstance(sub, (ast.AnnAssign, ast.NamedExpr)):
            if sub.value is not None and isinstance(sub.target, ast.Name):
                facts.assigns.append((sub.target.id, sub.value))
        elif isinstance(sub, ast.Global):
            facts.globals.update(sub.names)
        elif isinstance(sub, ast.Return) and sub.value is not None:
            facts.returns.append(sub.value)
    return facts


def _is_value_call(ctx: Context, call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in VALUE_METHODS:
        return True
    return ctx.resolve(func) in VALUE_CALLS


def _is_none_slot(binding: Binding) -> bool:
    """A module binding ``_x = None`` or ``_x: T`` (declared, no value)."""
    node = binding.node
    if isinstance(node, ast.AnnAssign) and node.value is None:
        return True
    value = binding.value
    return isinstance(value, ast.Constant) and value.value is None


def _last(name: str) -> str:
    return name.rpartition(".")[2]


def _is_metaclass(ctx: Context, cls: ast.ClassDef) -> bool:
    """A class deriving from ``type`` or from a ``*Meta``/``*Metaclass``/``*Type`` class."""
    for base in cls.bases:
        name = ctx.resolve(base)
        if name is None:
            continue
        last = _last(name)
        if last == "type" or last.endswith(("Meta", "meta", "MetaClass", "Metaclass", "EnumType")):
            return True
    return False


def _is_singleton_name(name: str) -> bool:
    return "singleton" in _last(name).lower()


@dataclass
class _ClassSingleton:
    """A class-level singleton found in the file, reported when the module is done
    (its user-scoped subclasses and metaclass users may be defined below it)."""

    node: ast.ClassDef  # where it is reported
    kind: str  # "new" (instance cached on the class), "metaclass", "named"
    how: str
    via: str | None = None  # "named": the singleton base / metaclass name
    hint: str | None = None  # why it is user-scoped (a caching method's accessor name)
