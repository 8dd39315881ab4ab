"""Scopes and bindings, modelled on pyflakes: module, class, function (and lambda /
comprehension) scopes, each with the names it binds; parameters; names of
annotations and dotted names.

A scope's bindings are collected when a rule first asks for them, so scopes cost
nothing on files where no rule looks. Bindings are kept in source order, as pyflakes
does: a use looked up with its node (``Scope.binding_at``, ``Context.lookup(name,
at=node)``) sees the binding in force at that point of its own scope, so ``m =
get_x(); m.send(...); m = None`` sends through ``get_x()``. A use inside a nested
function, lambda or class body runs later (pyflakes defers function bodies too), so
there an enclosing scope's last binding is the one seen.
"""

from __future__ import annotations

import ast
import bisect
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar, Union

FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]
FUNCTION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
SCOPE_TYPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ClassDef,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
# the builtin types of the grammar's fields: never a node
_VALUE_TYPES = frozenset({"identifier", "string", "constant", "int", "object"})
_SIGNATURE = re.compile(r"\w+\(([^()]*)\)")


def node_fields(kind: type, skip: frozenset[str] = frozenset({"ctx"})) -> tuple[str, ...]:
    """The fields of the node type ``kind`` that can hold nodes, in field order, less
    ``skip``: a field the grammar types as a name, a string, a constant or a number
    (the signature each node class documents, ``Name(identifier id, expr_context
    ctx)``) is left out (looking at it finds no node). All fields when the signature
    cannot be read or does not name them all."""
    fields = tuple(f for f in getattr(kind, "_fields", ()) if f not in skip)
    match = _SIGNATURE.fullmatch((kind.__doc__ or "").strip())
    if match is None or not fields:
        return fields
    typed: dict[str, str] = {}
    for part in match.group(1).split(","):
        words = part.split()
        if len(words) != 2:
            return fields
        typed[words[1]] = words[0].rstrip("*?")
    if set(typed) != set(getattr(kind, "_fields", ())):
        return fields
    return tuple(f for f in fields if typed[f] not in _VALUE_TYPES)


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """The child nodes of ``node`` in field order, as :func:`ast.iter_child_nodes`
    gives them but for the ``ctx`` markers (``Load``/``Store``/``Del``), and several
    times faster (the fields of each node type that can hold nodes are looked up
    once, :func:`node_fields`)."""
    kind = type(node)
    fields = _CHILD_FIELDS.get(kind)
    if fields is None:
        fields = _CHILD_FIELDS[kind] = node_fields(kind)
    out: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if value.__class__ is list:
            out += [v for v in value if isinstance(v, ast.AST)]
        elif isinstance(value, ast.AST):
            out.append(value)
    return out


def walk(node: ast.AST) -> list[ast.AST]:
    """Every node under ``node`` (itself first) in the order of :func:`ast.walk`
    (breadth first), without the ``ctx`` markers: a list, built without generators."""
    out = [node]
    i = 0
    while i < len(out):
        out += child_nodes(out[i])
        i += 1
    return out


def parent_map(nodes: Iterable[ast.AST]) -> dict[int, ast.AST]:
    """The parent of each child (by ``id``) of ``nodes`` (a :func:`walk` or
    :func:`scope_nodes` list)."""
    return {id(child): node for node in nodes for child in child_nodes(node)}


T = TypeVar("T")
_NEW_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
ScopeNode = Union[ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda]


def scope_nodes(scope: ScopeNode) -> list[ast.AST]:
    """Every node of the body of ``scope`` (a module, def, class or lambda) that runs
    in that scope, in source order (depth first): nested def, class and lambda nodes
    are listed but not entered (nor their decorators, defaults or bases). Memoised on
    the node: the analyses of one function share one walk of it."""
    found: list[ast.AST] | None = scope.__dict__.get("_nws_scope_nodes")
    if found is not None:
        return found
    out: list[ast.AST] = []
    body = scope.body
    stack: list[ast.AST] = [body] if isinstance(body, ast.AST) else list(reversed(body))
    while stack:
        node = stack.pop()
        out.append(node)
        if not isinstance(node, _NEW_SCOPES):
            children = child_nodes(node)
            children.reverse()
            stack += children
    scope.__dict__["_nws_scope_nodes"] = out
    return out


def nested_scopes(scope: ScopeNode) -> list[ScopeNode]:
    """``scope`` and every def, class and lambda under it, at any depth (parents
    before their children); memoised. Together their :func:`scope_nodes` hold every
    node of ``scope``'s body once."""
    found: list[ScopeNode] | None = scope.__dict__.get("_nws_nested_scopes")
    if found is None:
        out: list[ScopeNode] = [scope]
        i = 0
        while i < len(out):
            out += [n for n in scope_nodes(out[i]) if isinstance(n, _NEW_SCOPES)]
            i += 1
        # memoised without ``scope`` itself: a node referring to itself would be a
        # cycle, and its whole tree would wait for the cyclic garbage collector
        found = scope.__dict__["_nws_nested_scopes"] = out[1:]
    return [scope, *found]


def node_memo(node: ast.AST, key: str, words: object, compute: Callable[[], T]) -> T:
    """``compute()``, memoised on ``node`` for ``words`` (the vocabulary it depends
    on, by identity): a file's check and its facts share what does not depend on the
    module's name. The value must not refer to ``node`` or its ancestors (a cycle)."""
    found = node.__dict__.get(key)
    if found is not None and found[0] is words:
        return found[1]  # type: ignore[no-any-return]
    value = compute()
    node.__dict__[key] = (words, value)
    return value


def loaded_names(fn: ast.AST) -> frozenset[str]:
    """The names ``fn`` reads or deletes anywhere under it (every ``Name`` not in a
    store context, nested scopes included); memoised on ``fn``."""

    def compute() -> frozenset[str]:
        return frozenset(
            n.id
            for n in walk(fn)
            if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Store)
        )

    return node_memo(fn, "_nws_loaded_names", None, compute)


def functions_in(tree: ScopeNode) -> list[FunctionNode]:
    """Every function (``def`` and ``async def``) under ``tree``, at any depth."""
    return [n for n in nested_scopes(tree) if isinstance(n, FUNCTION_TYPES)]


def iter_child_stmts_no_scopes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every node under ``body`` that belongs to the same scope (nested function,
    class and lambda bodies are not entered, but their def nodes are yielded)."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            # decorators, defaults and bases run in this scope
            outer: list[ast.AST] = list(node.decorator_list)
            if isinstance(node, ast.ClassDef):
                outer += node.bases + [k.value for k in node.keywords]
            else:
                outer += [d for d in node.args.defaults + node.args.kw_defaults if d is not None]
            stack.extend(reversed(outer))
            continue
        if isinstance(node, ast.Lambda):
            stack.extend(d for d in node.args.defaults + node.args.kw_defaults if d is not None)
            continue
        children = child_nodes(node)
        children.reverse()
        stack += children


_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "items")


def iter_statements_no_scopes(body: list[ast.AST]) -> Iterator[ast.AST]:
    """Statements (and with-items, except handlers, match patterns) under ``body`` in
    the same scope; expressions are not entered."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for name in _BLOCK_FIELDS:
            value = getattr(node, name, None)
            if type(value) is list:
                stack.extend(reversed(value))
        for case in getattr(node, "cases", ()):  # match statement
            stack.extend(reversed(case.body))
            stack.extend(ast.walk(case.pattern))


def _target_names(target: ast.AST) -> Iterator[ast.Name]:
    if isinstance(target, ast.Name):
        yield target
    elif isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from _target_names(elt)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


Position = tuple[int, int]  # (line, column) of a node's start or end
_START: Position = (0, 0)


def _end(node: ast.AST) -> Position:
    return (getattr(node, "end_lineno", None) or 0, getattr(node, "end_col_offset", None) or 0)


def _start(node: ast.AST) -> Position:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def _bound_at(kind: str, node: ast.AST) -> Position:
    """Where a binding takes effect: after the value is computed (the end of an
    assignment, import or ``def``), after the iterable of a ``for``, after the
    ``as`` target of a ``with`` item; parameters and comprehension targets are bound
    before anything of their scope runs."""
    if kind == "param" or isinstance(node, ast.comprehension):
        return _START
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return _end(node.iter)
    if isinstance(node, ast.withitem):
        return _end(node.optional_vars) if node.optional_vars is not None else _START
    if isinstance(node, ast.ExceptHandler):
        return _end(node.type) if node.type is not None else _start(node)
    return _end(node)


@dataclass
class Binding:
    """How a name got its value in a scope."""

    kind: str  # "import", "param", "assign", "def", "class", "other"
    node: ast.AST
    value: ast.AST | None = None  # the assigned expression, for "assign"
    qualname: str | None = None  # for "import"

    @property
    def position(self) -> Position:
        """Where in the source the name starts to have this value."""
        return _bound_at(self.kind, self.node)


@dataclass
class Scope:
    kind: str  # "module", "class", "function", "lambda", "comprehension"
    node: ast.AST
    parent: Scope | None = None
    _bindings: dict[str, Binding] | None = field(default=None, repr=False)
    # every binding of each name, in the order collected (source order)
    _history: dict[str, list[Binding]] = field(default_factory=dict, repr=False)
    # spans of the function, lambda and class bodies nested directly in this scope
    # (their code runs later, or in a scope of its own), sorted by start
    _nested: list[tuple[Position, Position]] = field(default_factory=list, repr=False)
    _globals: set[str] = field(default_factory=set, repr=False)
    has_walrus: bool = True  # set on the module scope: the file contains ``:=``

    @property
    def bindings(self) -> dict[str, Binding]:
        if self._bindings is None:
            self._bindings = {}
            self._collect()
        return self._bindings

    @property
    def globals(self) -> set[str]:
        self.bindings  # noqa: B018  (collecting fills _globals)
        return self._globals

    def _bind(self, name: str, binding: Binding) -> None:
        """Record ``binding`` of ``name``: ``bindings`` keeps the last one collected
        (what the name holds once the scope has run), the history keeps them all."""
        assert self._bindings is not None
        self._bindings[name] = binding
        self._history.setdefault(name, []).append(binding)

    def binding_at(self, name: str, use: ast.AST) -> Binding | None:
        """The binding of ``name`` that a use at node ``use`` sees: the last one bound
        before it in source order when ``use`` runs in this scope's own code; the last
        binding of the scope when ``use`` is in a nested function, lambda or class
        body (it runs later), outside this scope, or before any binding (a loop may
        have bound it on an earlier pass)."""
        last = self.bindings.get(name)
        history = self._history.get(name)
        if last is None or history is None or len(history) == 1:
            return last
        pos = _start(use)
        if not isinstance(self.node, ast.Module) and not (
            _start(self.node) <= pos <= _end(self.node)
        ):
            return last
        i = bisect.bisect_right(self._nested, (pos, (1 << 62, 0))) - 1
        if i >= 0 and self._nested[i][0] <= pos <= self._nested[i][1]:
            return last
        seen: Binding | None = None
        for b in history:
            p = b.position
            if p <= pos and (seen is None or p >= seen.position):
                seen = b
        return seen if seen is not None else last

    def _collect(self) -> None:
        node = self.node
        if isinstance(node, ast.Module):
            body: list[ast.AST] = list(node.body)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = node.args
            for a in [
                *getattr(args, "posonlyargs", []),
                *args.args,
                *args.kwonlyargs,
                *[x for x in (args.vararg, args.kwarg) if x is not None],
            ]:
                self._bind(a.arg, Binding("param", a))
            body = [node.body] if isinstance(node, ast.Lambda) else list(node.body)
        elif isinstance(node, ast.ClassDef):
            body = list(node.body)
        elif isinstance(node, COMPREHENSIONS):
            for gen in node.generators:
                for name in _target_names(gen.target):
                    self._bind(name.id, Binding("other", gen))
            return
        else:  # pragma: no cover
            return
        if self.full_scan():
            for sub in iter_child_stmts_no_scopes(body):  # type: ignore[arg-type]
                self._collect_node(sub)
        else:
            for sub in iter_statements_no_scopes(body):
                self._collect_node(sub)
        self._nested.sort()

    def full_scan(self) -> bool:
        """Expressions can bind names only with ``:=``; without one in the file, the
        statements (and match patterns) hold every binding, which is far cheaper."""
        scope: Scope | None = self
        while scope is not None and scope.parent is not None:
            scope = scope.parent
        return scope is None or scope.has_walrus

    def _collect_node(self, sub: ast.AST) -> None:
        if isinstance(sub, ast.Import):
            for alias in sub.names:
                if alias.asname:
                    self._bind(alias.asname, Binding("import", sub, qualname=alias.name))
                else:
                    top = alias.name.partition(".")[0]
                    self._bind(top, Binding("import", sub, qualname=top))
        elif isinstance(sub, ast.ImportFrom):
            module = sub.module or ""
            for alias in sub.names:
                if alias.name == "*":
                    continue
                qual = f"{module}.{alias.name}" if module else alias.name
                self._bind(alias.asname or alias.name, Binding("import", sub, qualname=qual))
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._bind(sub.name, Binding("def", sub))
            self._nested.append((_start(sub.body[0]), _end(sub)))
        elif isinstance(sub, ast.ClassDef):
            self._bind(sub.name, Binding("class", sub))
            self._nested.append((_start(sub.body[0]), _end(sub)))
        elif isinstance(sub, ast.Lambda):
            self._nested.append((_start(sub.body), _end(sub.body)))
        elif isinstance(sub, ast.Assign):
            for target in sub.targets:
                for name in _target_names(target):
                    single = isinstance(target, ast.Name)
                    self._bind(name.id, Binding("assign", sub, sub.value if single else None))
        elif isinstance(sub, ast.AnnAssign):
            if isinstance(sub.target, ast.Name):
                self._bind(sub.target.id, Binding("assign", sub, sub.value))
        elif isinstance(sub, (ast.AugAssign, ast.For, ast.AsyncFor)):
            for name in _target_names(sub.target):
                if name.id not in (self._bindings or {}):
                    self._bind(name.id, Binding("other", sub))
        elif isinstance(sub, ast.withitem) and sub.optional_vars is not None:
            for name in _target_names(sub.optional_vars):
                self._bind(name.id, Binding("other", sub))
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            self._bind(sub.name, Binding("other", sub))
        elif isinstance(sub, ast.NamedExpr) and isinstance(sub.target, ast.Name):
            self._bind(sub.target.id, Binding("assign", sub, sub.value))
        elif isinstance(sub, (ast.Global, ast.Nonlocal)):
            self._globals.update(sub.names)
        elif type(sub).__name__ in ("MatchAs", "MatchStar") and getattr(sub, "name", None):
            self._bind(sub.name, Binding("other", sub))  # type: ignore[attr-defined]
        elif type(sub).__name__ == "MatchMapping" and getattr(sub, "rest", None):
            self._bind(sub.rest, Binding("other", sub))  # type: ignore[attr-defined]


@dataclass
class Param:
    """A parameter of a function, as the rules see it."""

    name: str
    node: ast.arg
    default: ast.expr | None
    kind: str  # "posonly", "pos", "kwonly", "vararg", "kwarg"
    index: int  # position among positional parameters (-1 for kwonly etc.)


def params_of(fn: FunctionNode | ast.Lambda) -> list[Param]:
    args = fn.args
    out: list[Param] = []
    positional = [*getattr(args, "posonlyargs", []), *args.args]
    n_pos_defaults = len(args.defaults)
    first_default = len(positional) - n_pos_defaults
    n_posonly = len(getattr(args, "posonlyargs", []))
    for i, a in enumerate(positional):
        default = args.defaults[i - first_default] if i >= first_default else None
        out.append(Param(a.arg, a, default, "posonly" if i < n_posonly else "pos", i))
    if args.vararg:
        out.append(Param(args.vararg.arg, args.vararg, None, "vararg", -1))
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        out.append(Param(a.arg, a, d, "kwonly", -1))
    if args.kwarg:
        out.append(Param(args.kwarg.arg, args.kwarg, None, "kwarg", -1))
    return out


def parse_quietly(source: str, filename: str = "<unknown>", mode: str = "exec") -> ast.AST:
    """``ast.parse``, with the checked code's ``SyntaxWarning``s (invalid escape
    sequences, ``is`` with a literal: 3.12+ warns while parsing) kept off stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source, filename=filename, mode=mode)


def annotation_names(annotation: ast.AST | None) -> Iterator[str]:
    """Every class name mentioned in an annotation, strings included
    (``Optional["pkg.UserExecutionContext"]`` yields ``Optional`` and
    ``pkg.UserExecutionContext``)."""
    if annotation is None:
        return
    for node in ast.walk(annotation):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                parsed = parse_quietly(node.value, mode="eval")
            except (SyntaxError, ValueError, RecursionError):
                continue
            yield from annotation_names(parsed.body)  # type: ignore[attr-defined]
        elif isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, ast.Attribute):
            dotted = dotted_name(node)
            if dotted:
                yield dotted


def dotted_name(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attributes over a name, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


# ---------------------------------------------------------------- rebinding


@dataclass(frozen=True)
class Rebinding:
    """A statement or expression of a scope's own code that binds or deletes a name."""

    how: str  # "assignment", "loop", "del", "walrus", "with", "except", "import",
    #           "def", "class", "match", "global"
    node: ast.AST  # the binding statement or expression
    loops: tuple[ast.AST, ...] = ()  # the loops of the scope that hold it

    @property
    def line(self) -> int:
        return getattr(self.node, "lineno", 0)


def _scope_body(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Lambda):
        return [node.body]
    return list(getattr(node, "body", []))


def rebindings(scope_node: ast.AST, name: str) -> list[Rebinding]:
    """Every binding and deletion of ``name`` in the own code of the scope of
    ``scope_node`` (a module, function, lambda or class), in source order; parameters
    are not included. Nested function, lambda and class bodies are not entered;
    comprehensions are, for ``:=`` (which binds in the enclosing scope)."""
    out: list[Rebinding] = []
    stack: list[tuple[ast.AST, ast.AST | None, tuple[ast.AST, ...], bool]] = [
        (n, None, (), False) for n in reversed(_scope_body(scope_node))
    ]
    while stack:
        node, parent, loops, in_comp = stack.pop()
        found: str | None = None
        if isinstance(node, ast.Name) and node.id == name and not isinstance(node.ctx, ast.Load):
            if isinstance(node.ctx, ast.Del):
                found = "del"
            elif isinstance(parent, ast.NamedExpr):
                found = "walrus"
            elif not in_comp:
                found = {
                    ast.For: "loop",
                    ast.AsyncFor: "loop",
                    ast.withitem: "with",
                }.get(type(parent), "assignment")
        elif in_comp:
            pass
        elif isinstance(node, ast.ExceptHandler) and node.name == name:
            found = "except"
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and any(
            (a.asname or a.name.partition(".")[0]) == name for a in node.names
        ):
            found = "import"
        elif isinstance(node, FUNCTION_TYPES) and node.name == name:
            found = "def"
        elif isinstance(node, ast.ClassDef) and node.name == name:
            found = "class"
        elif isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            found = "global"
        elif type(node).__name__ in ("MatchAs", "MatchStar", "MatchMapping") and name in (
            getattr(node, "name", None),
            getattr(node, "rest", None),
        ):
            found = "match"
        if found is not None:
            where = parent if found in ("walrus", "assignment") and parent is not None else node
            out.append(Rebinding(found, where, loops))
        if isinstance(node, (*FUNCTION_TYPES, ast.ClassDef)):
            outer: list[ast.AST] = list(node.decorator_list)
            if isinstance(node, ast.ClassDef):
                outer += node.bases + [k.value for k in node.keywords]
            else:
                outer += [d for d in node.args.defaults + node.args.kw_defaults if d is not None]
            stack.extend((n, node, loops, in_comp) for n in reversed(outer))
            continue
        if isinstance(node, ast.Lambda):
            stack.extend(
                (d, node, loops, in_comp)
                for d in node.args.defaults + node.args.kw_defaults
                if d is not None
            )
            continue
        inner_loops = (
            (*loops, node) if isinstance(node, (ast.For, ast.AsyncFor, ast.While)) else loops
        )
        comp = in_comp or isinstance(node, COMPREHENSIONS)
        stack.extend(
            (child, node, inner_loops, comp) for child in reversed(list(ast.iter_child_nodes(node)))
        )
    return out


def reaches(rebinding: Rebinding, use: ast.AST, use_is_nested: bool) -> bool:
    """``rebinding`` may be what ``use`` sees: it comes before it in source order, or
    a loop holds both, or the use runs later (in a nested function or lambda)."""
    if use_is_nested:
        return True
    if _start(rebinding.node) <= _start(use):
        return True
    start = _start(use)
    return any(_start(loop) <= start <= _end(loop) for loop in rebinding.loops)


def comprehension_binds(node: ast.AST, name: str) -> ast.comprehension | None:
    for gen in getattr(node, "generators", ()):
        if any(n.id == name for n in _target_names(gen.target)):
            return gen  # type: ignore[no-any-return]
    return None


def is_optional_annotation(annotation: ast.AST | None) -> bool:
    """``X | None``, ``Optional[X]``, ``Union[X, None]`` (also as a string)."""
    if annotation is None:
        return False
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    for node in ast.walk(annotation):
        if isinstance(node, ast.Constant) and node.value is None:
            return True
        if isinstance(node, ast.Subscript) and dotted_name(node.value) in (
            "Optional",
            "typing.Optional",
            "t.Optional",
        ):
            return True
        if isinstance(node, ast.Name) and node.id == "None":
            return True
    return False
