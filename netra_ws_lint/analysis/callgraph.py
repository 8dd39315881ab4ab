"""The project's call graph, for the migration: who calls a function, whether the user
context is in scope at each call, and the call chains up to a context or an entry point.

Functions are the module-level ``def``s and the methods of module-level classes, named
``module.func`` / ``module.Class.method``. A call resolves through names, with indexes
(nothing is matched against every function):

- a function of the same module, an imported one (module-level imports and the imports
  inside the calling function, through aliases and re-exports), ``module.func`` of an
  imported module (``import pkg.sub`` then ``pkg.sub.func()``);
- a method of a project class through a receiver whose type is known: ``self``/``cls``
  (the class and its project bases), ``super()``, the class itself, a parameter
  annotated with a project class (``Optional[...]`` and string annotations too), a local
  or module-level name bound only to one class's constructor, ``self.attr`` where the
  class binds ``attr`` only to one class (its constructor, or a parameter annotated
  with it; or a class-body annotation). A receiver of a known project type whose class
  (and subclasses) has no such method calls no project function.

Any other attribute call (``obj.notify(...)`` on an object of unknown type, or
``getattr(obj, "notify")``) is *unresolved*: kept by the attribute's name (one index),
it may be a call of any function of that name, so nothing that depends on knowing every
caller (context threading) is done to those.

Scale: each file is parsed once per build and reduced to a small summary (its
functions, the calls and references whose last name is a name the project defines,
the bits of typing the receivers need); the tree is dropped before the next file is
parsed, so a build holds one tree at a time. Summaries are kept per text for the run
(:data:`_SUMMARIES`): a second build over mostly the same texts (the threading's
verification pass, the migration plan) parses only what changed. The tool reads the
code; it never imports it.
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Union

from netra_ws_lint.analysis.semantic import FUNCTION_TYPES, Context, FunctionNode, params_of
from netra_ws_lint.config import Settings

CONTEXT_AVAILABLE = "context available"
CONTEXT_MISSING = "context must be created"
MAX_CHAINS = 50  # chains listed per function (the rest are counted)
_MAX_HOPS = 32  # re-export chains followed
_SUMMARY_MEMO = 4096  # module summaries kept per run (by text)
_DEFINED = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)", re.M)


def defined_names(sources: Iterable[str]) -> frozenset[str]:
    """Every name a ``def`` or ``class`` of these texts defines (without parsing)."""
    out: set[str] = {"__init__"}
    for text in sources:
        out.update(_DEFINED.findall(text))
    return frozenset(out)


@dataclass
class CallInfo:
    """What a call site keeps of its ``ast.Call``: where it is, its keywords' names
    (None for ``**kwargs``) and the callee expression."""

    lineno: int
    col_offset: int
    end_lineno: int
    end_col_offset: int
    keywords: tuple[str | None, ...]
    func: ast.expr = field(repr=False)


# (kind, expression): "call" (the callee of a constructor call), "expr" (a name or
# attribute), "ann" (an annotation), or None (a binding of unknown type)
Bound = Union[tuple[str, ast.expr], None]


@dataclass
class Body:
    """A function's (or the module level's) summary: what resolving its calls needs."""

    params: dict[str, ast.expr | None] = field(default_factory=dict)  # name -> annotation
    imports: dict[str, str] = field(default_factory=dict)  # local imports
    assigned: dict[str, list[Bound]] = field(default_factory=dict)
    calls: list[CallInfo] = field(default_factory=list)
    loads: list[tuple[ast.expr, int]] = field(default_factory=list)  # not called
    getattrs: list[tuple[str, int]] = field(default_factory=list)  # getattr(x, "name")
    self_attrs: list[tuple[str, Bound]] = field(default_factory=list)  # self.attr = ...


@dataclass
class FunctionSummary:
    local: str  # ``func`` or ``Class.method``
    name: str
    lineno: int
    col_offset: int
    cls: str | None
    decorators: tuple[str, ...]
    context: str | None
    context_optional: bool
    context_annotation: ast.expr | None
    has_context_param: bool
    self_name: str | None
    bound: frozenset[str]  # the context names bound inside (parameters included)
    body: Body


@dataclass
class ClassSummary:
    name: str
    bases: list[ast.expr]
    annotations: dict[str, list[ast.expr]]  # class-body ``attr: T``


@dataclass
class ModuleSummary:
    name: str
    is_package: bool
    imports: dict[str, str]
    functions: list[FunctionSummary]
    classes: list[ClassSummary]
    instances: dict[str, ast.expr | None]  # name = Cls(...) at module level: the callee
    from_imports: list[tuple[int, str | None, tuple[str, ...]]]  # anywhere in the file
    rest: Body  # the module level, nested functions, decorators, defaults


@dataclass
class Function:
    qualname: str
    module: str
    path: str  # as displayed
    name: str
    lineno: int
    col_offset: int
    cls: str | None  # the name of its class
    context: str | None  # the user context in scope in its body (its source text)
    context_optional: bool = False  # the context parameter defaults to None
    context_annotation: ast.expr | None = None  # of its context parameter, when one
    has_context_param: bool = False
    decorators: tuple[str, ...] = ()
    bound: frozenset[str] = frozenset()  # context names bound inside
    owner: ClassInfo | None = None  # the class of a method
    body: Body | None = field(default=None, repr=False)
    self_name: str | None = None


@dataclass
class ClassInfo:
    """A module-level class of the project."""

    qualname: str
    module: str
    name: str
    summary: ClassSummary = field(repr=False)
    methods: dict[str, Function] = field(default_factory=dict)
    bases: list[ClassInfo] = field(default_factory=list)  # the project ones
    external_bases: bool = False  # a base outside the project (or not resolved)
    subclasses: list[ClassInfo] = field(default_factory=list)
    attr_types: dict[str, ClassInfo | None] | None = None  # self.attr -> type (lazily)

    def mro(self) -> Iterator[ClassInfo]:
        """The class and its project bases, depth first (each once)."""
        seen: set[str] = set()
        stack = [self]
        while stack:
            c = stack.pop(0)
            if c.qualname in seen:
                continue
            seen.add(c.qualname)
            yield c
            stack[:0] = c.bases

    def descendants(self) -> Iterator[ClassInfo]:
        """The project's subclasses of the class, at any depth (each once)."""
        stack, seen = list(self.subclasses), set()
        while stack:
            c = stack.pop()
            if c.qualname in seen:
                continue
            seen.add(c.qualname)
            yield c
            stack.extend(c.subclasses)

    def method(self, name: str) -> Function | None:
        for c in self.mro():
            if name in c.methods:
                return c.methods[name]
        return None


@dataclass
class CallSite:
    caller: Function | None  # None: module level or a nested function
    callee: Function
    path: str
    call: CallInfo

    @property
    def line(self) -> int:
        return self.call.lineno

    @property
    def context(self) -> str | None:
        if self.caller is None or self.caller.context_optional:
            return None
        return self.caller.context


@dataclass
class Chain:
    """Call sites from a caller down to the function (``sites[0]`` calls the function)."""

    sites: list[CallSite]
    status: str  # CONTEXT_AVAILABLE or CONTEXT_MISSING
    entry: str  # where the chain starts: the caller with a context, or the entry point

    def names(self, function: Function) -> list[str]:
        out = [self.entry]
        for site in reversed(self.sites):
            out.append(site.callee.qualname)
        return out if self.sites else [function.qualname]


@dataclass
class Module:
    name: str
    is_package: bool
    path: str
    summary: ModuleSummary = field(repr=False)
    real: Path | None = None  # the file
    imports: dict[str, str] = field(default_factory=dict)  # local name -> absolute name
    functions: dict[str, Function] = field(default_factory=dict)  # local dotted -> Function
    classes: dict[str, ClassInfo] = field(default_factory=dict)  # name -> class


def _absolute(module: str, is_package: bool, level: int, target: str | None) -> str:
    from netra_ws_lint.analysis.vocabulary import absolute_import

    return absolute_import(module, is_package, level, target)


def _self_name(fn: FunctionNode) -> str | None:
    params = params_of(fn)
    if any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in fn.decorator_list):
        return None
    return params[0].name if params and params[0].kind in ("pos", "posonly") else None


def _decorator_name(d: ast.expr) -> str:
    target = d.func if isinstance(d, ast.Call) else d
    if isinstance(target, ast.Attribute):
        return target.attr
    return target.id if isinstance(target, ast.Name) else ""


def _import_names(
    stmt: ast.Import | ast.ImportFrom, module: str, is_package: bool
) -> Iterator[tuple[str, str]]:
    """(local name, absolute name) of an import statement in ``module``."""
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                yield alias.asname, alias.name
            else:
                top = alias.name.partition(".")[0]
                yield top, top
    else:
        base = _absolute(module, is_package, stmt.level or 0, stmt.module)
        for alias in stmt.names:
            if alias.name != "*":
                yield alias.asname or alias.name, f"{base}.{alias.name}" if base else alias.name


def _last_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def _annotated(annotation: ast.expr) -> Bound:
    target = annotation_target(annotation)
    return ("ann", target) if target is not None else None


def _bound_of(value: ast.expr | None) -> Bound:
    if isinstance(value, ast.Call):
        return ("call", value.func)
    if isinstance(value, (ast.Name, ast.Attribute)):
        return ("expr", value)
    return None


# ---------------------------------------------------------------- summaries


def _own_nodes(fn: FunctionNode) -> Iterator[ast.AST]:
    """The nodes of ``fn``'s body, not inside a nested def, class or lambda (those are
    yielded themselves: they bind a name; their decorators and defaults are not)."""
    stack: list[ast.AST] = list(fn.body)  # decorators and defaults run at definition
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (*FUNCTION_TYPES, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(node))


def _summarise_body(
    nodes: list[ast.AST],
    keep: frozenset[str],
    module: str,
    is_package: bool,
    fn: FunctionNode | None,
    self_name: str | None,
    from_imports: list[tuple[int, str | None, tuple[str, ...]]],
) -> Body:
    body = Body()
    if fn is not None:
        for p in params_of(fn):  # only the class an annotation names is kept
            body.params[p.name] = annotation_target(p.node.annotation)
    typed: set[int] = set()
    called: set[int] = set()
    for n in nodes:
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            for local, qual in _import_names(n, module, is_package):
                body.imports[local] = qual
            if isinstance(n, ast.ImportFrom):
                kept = tuple(a.name for a in n.names if a.name in keep)
                if kept:
                    from_imports.append((n.level or 0, n.module, kept))
        elif isinstance(n, ast.Assign):
            for t in n.targets:
                if isinstance(t, ast.Name):
                    body.assigned.setdefault(t.id, []).append(_bound_of(n.value))
                    typed.add(id(t))
                elif (
                    self_name is not None
                    and isinstance(t, ast.Attribute)
                    and isinstance(t.value, ast.Name)
                    and t.value.id == self_name
                ):
                    body.self_attrs.append((t.attr, _bound_of(n.value)))
        elif isinstance(n, ast.AnnAssign):
            if isinstance(n.target, ast.Name):
                body.assigned.setdefault(n.target.id, []).append(_annotated(n.annotation))
                typed.add(id(n.target))
            elif (
                self_name is not None
                and isinstance(n.target, ast.Attribute)
                and isinstance(n.target.value, ast.Name)
                and n.target.value.id == self_name
            ):
                body.self_attrs.append((n.target.attr, _annotated(n.annotation)))
        elif isinstance(n, ast.Call):
            called.add(id(n.func))
            last = _last_name(n.func)
            if last in keep:
                body.calls.append(
                    CallInfo(
                        n.lineno,
                        n.col_offset,
                        n.end_lineno or n.lineno,
                        n.end_col_offset or 0,
                        tuple(k.arg for k in n.keywords),
                        n.func,
                    )
                )
            elif (
                isinstance(n.func, ast.Name)
                and n.func.id == "getattr"
                and len(n.args) >= 2
                and isinstance(n.args[1], ast.Constant)
                and isinstance(n.args[1].value, str)
                and n.args[1].value in keep
            ):
                body.getattrs.append((n.args[1].value, n.lineno))
    for n in nodes:
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            if id(n) not in typed:
                body.assigned.setdefault(n.id, []).append(None)
        elif isinstance(n, (*FUNCTION_TYPES, ast.ClassDef, ast.ExceptHandler)) and n.name:
            body.assigned.setdefault(n.name, []).append(None)
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            for name in n.names:
                body.assigned.setdefault(name, []).append(None)
        if (
            isinstance(n, (ast.Name, ast.Attribute))
            and isinstance(n.ctx, ast.Load)
            and id(n) not in called
            and _last_name(n) in keep
        ):
            body.loads.append((n, n.lineno))
    return body


def summarise(
    tree: ast.Module,
    source: str,
    display: str,
    settings: Settings,
    module: str,
    is_package: bool,
    keep: frozenset[str],
) -> ModuleSummary:
    """The summary of one parsed module (its tree is not kept)."""
    ctx = Context(tree, source, display, settings)
    names = frozenset({*settings.words.context_names, "user_context"})
    imports: dict[str, str] = {}
    functions: list[FunctionSummary] = []
    classes: list[ClassSummary] = []
    instances: dict[str, ast.expr | None] = {}
    local_keep = set(keep)
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for local, qual in _import_names(stmt, module, is_package):
                imports[local] = qual
                if qual.rpartition(".")[2] in keep:  # an alias of a project name
                    local_keep.add(local)
    keep_here = frozenset(local_keep)
    owned: dict[int, FunctionSummary] = {}

    def add(fn: FunctionNode, cls: ast.ClassDef | None) -> None:
        context: str | None = None
        optional = False
        annotation: ast.expr | None = None
        cp = ctx.context_param(fn)
        self_name = _self_name(fn) if cls is not None else None
        if cp is not None:
            context, optional = cp.param.name, cp.default_is_none
            annotation = annotation_target(cp.param.node.annotation)
        elif cls is not None:
            ccp = ctx.class_context_param(cls)
            attr = ctx.self_context_attr(cls, ccp) if ccp is not None else None
            if attr and self_name and fn.name != "__init__":
                context, optional = f"{self_name}.{attr}", ccp is not None and ccp.default_is_none
        own = list(_own_nodes(fn))
        summary = FunctionSummary(
            f"{cls.name}.{fn.name}" if cls is not None else fn.name,
            fn.name,
            fn.lineno,
            fn.col_offset,
            cls.name if cls is not None else None,
            tuple(_decorator_name(d) for d in fn.decorator_list),
            context,
            optional,
            annotation,
            cp is not None,
            self_name,
            frozenset(),
            _summarise_body(own, keep_here, module, is_package, fn, self_name, from_imports),
        )
        b = summary.body
        summary.bound = frozenset(
            n for n in names if n in b.params or n in b.assigned or n in b.imports
        )
        functions.append(summary)
        owned[id(fn)] = summary
        for sub in own:  # what nested defs hold is module level
            if isinstance(sub, (*FUNCTION_TYPES, ast.Lambda, ast.ClassDef)):
                nested.extend(ast.iter_child_nodes(sub))

    nested: list[ast.AST] = []
    from_imports: list[tuple[int, str | None, tuple[str, ...]]] = []
    for stmt in tree.body:
        if isinstance(stmt, FUNCTION_TYPES):
            add(stmt, None)
        elif isinstance(stmt, ast.ClassDef):
            annotations: dict[str, list[ast.expr]] = {}
            for sub in stmt.body:
                if isinstance(sub, FUNCTION_TYPES):
                    add(sub, stmt)
                elif isinstance(sub, ast.AnnAssign) and isinstance(sub.target, ast.Name):
                    target = annotation_target(sub.annotation)
                    if target is not None:
                        annotations.setdefault(sub.target.id, []).append(target)
            classes.append(ClassSummary(stmt.name, list(stmt.bases), annotations))
        elif (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, ast.Call)
        ):
            name = stmt.targets[0].id
            instances[name] = None if name in instances else stmt.value.func
    # the rest of the module: module-level code, nested functions, decorators, defaults
    rest: list[ast.AST] = []
    stack: list[ast.AST] = [tree, *nested]
    while stack:
        node = stack.pop()
        rest.append(node)
        if id(node) in owned:
            fn: FunctionNode = node  # type: ignore[assignment]
            stack.extend(fn.decorator_list)
            stack.append(fn.args)
            if fn.returns is not None:
                stack.append(fn.returns)
        else:
            stack.extend(ast.iter_child_nodes(node))
    ctx.release()
    return ModuleSummary(
        module,
        is_package,
        imports,
        functions,
        classes,
        instances,
        from_imports,
        _summarise_body(rest, keep_here, module, is_package, None, None, from_imports),
    )


# summaries by (display, module, text digest, settings): a run's builds share them
_SUMMARIES: OrderedDict[tuple[Any, ...], tuple[int, ModuleSummary]] = OrderedDict()


_KEEP_SETS: list[frozenset[str]] = []  # the name sets summaries were made with


def clear_summaries() -> None:
    _SUMMARIES.clear()
    _KEEP_SETS.clear()


@lru_cache(maxsize=4096)
def _parse_annotation(text: str) -> ast.expr | None:
    if len(text) > 200:
        return None
    try:
        return ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError):
        return None


def annotation_target(node: ast.expr | None) -> ast.expr | None:
    """The class an annotation names: ``T``, ``mod.T``, ``"T"``, ``Optional[T]``,
    ``T | None``; None for anything else (a union of two types, a generic)."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        parsed = _parse_annotation(node.value)
        return annotation_target(parsed) if parsed is not None else None
    if isinstance(node, (ast.Name, ast.Attribute)):
        return node
    if isinstance(node, ast.Subscript):
        outer = node.value
        name = outer.attr if isinstance(outer, ast.Attribute) else getattr(outer, "id", "")
        if name == "Optional":
            inner: Any = node.slice
            if type(inner).__name__ == "Index":  # Python 3.8's wrapper
                inner = inner.value
            return annotation_target(inner)
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        sides = [node.left, node.right]
        real = [s for s in sides if not (isinstance(s, ast.Constant) and s.value is None)]
        return annotation_target(real[0]) if len(real) == 1 else None
    return None


class Scope:
    """What a body knows while its calls are resolved."""

    def __init__(self, graph: CallGraph, mod: Module, caller: Function | None) -> None:
        self.graph = graph
        self.mod = mod
        self.caller = caller
        self.cls = caller.owner if caller is not None else None
        self.self_name = caller.self_name if caller is not None and self.cls else None
        body = caller.body if caller is not None else mod.summary.rest
        self.body = body or Body()
        self._resolving: set[str] = set()  # local names whose type is being found

    def qual(self, node: ast.expr) -> str | None:
        """Absolute name of a Name/Attribute chain through imports and module defs."""
        if isinstance(node, ast.Attribute):
            base = self.qual(node.value)
            return f"{base}.{node.attr}" if base else None
        if not isinstance(node, ast.Name):
            return None
        name = node.id
        body = self.body
        if name in body.imports:
            return body.imports[name]
        if self.caller is not None and (name in body.params or name in body.assigned):
            return None  # a local shadows the module's names
        mod = self.mod
        if name in mod.functions or name in mod.classes:
            return f"{mod.name}.{name}"
        return mod.imports.get(name)

    def type_of(self, node: ast.expr) -> ClassInfo | bool:
        """The project class of the object ``node`` evaluates to; False: unknown."""
        g = self.graph
        if isinstance(node, ast.Name):
            name = node.id
            body = self.body
            if name == self.self_name and self.cls is not None:
                return self.cls
            if self.caller is not None and name in body.params:
                target = annotation_target(body.params[name])
                found = g.class_named(self, target) if target is not None else None
                return found if found is not None else False
            if self.caller is not None and name in body.assigned:
                if name in self._resolving:  # ``node = node.parent``
                    return False
                self._resolving.add(name)
                try:
                    return self.bound_type(body.assigned[name])
                finally:
                    self._resolving.discard(name)
            if name in body.imports:
                return False
            if name in self.mod.summary.instances:
                func = self.mod.summary.instances[name]
                return self.bound_type([("call", func)] if func is not None else [None])
            return False
        if isinstance(node, ast.Attribute):
            owner = self.type_of(node.value)
            if isinstance(owner, ClassInfo):
                return g.attr_type(owner, node.attr)
        if isinstance(node, ast.Call):  # ``Cls().method()``
            built = g.class_named(self, node.func)
            return built if built is not None else False
        return False

    def bound_type(self, values: list[Bound]) -> ClassInfo | bool:
        found: ClassInfo | None = None
        for v in values:
            if v is None:
                return False
            kind, expr = v
            cls: ClassInfo | None
            if kind == "call":
                cls = self.graph.class_named(self, expr)
            elif kind == "ann":
                target = annotation_target(expr)
                cls = self.graph.class_named(self, target) if target is not None else None
            else:
                typed = self.type_of(expr)
                cls = typed if isinstance(typed, ClassInfo) else None
            if cls is None or (found is not None and cls is not found):
                return False
            found = cls
        return found if found is not None else False


class CallGraph:
    def __init__(self) -> None:
        self.modules: dict[str, Module] = {}
        self.functions: dict[str, Function] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.callers: dict[str, list[CallSite]] = {}
        # attribute calls on objects of unknown type, by the attribute's name
        self.unresolved_by_name: dict[str, list[tuple[str, int]]] = {}
        self.dynamic: dict[str, list[tuple[str, int]]] = {}  # getattr(x, "name") calls
        self.referenced: dict[str, list[tuple[str, int]]] = {}  # used as a value
        self._at: dict[tuple[str, int], Function] | None = None
        self.all_modules: list[Module] = []
        self.ambiguous: set[str] = set()  # module names that two files have
        self._tops: set[str] | None = None

    # -------------------------------------------------------------- building
    @classmethod
    def build(cls, files: Iterable[tuple[Path, str, str, Settings]]) -> CallGraph:
        """From ``(real path, display, source, settings)`` of every file (the texts
        that do not parse are left out). One tree at a time is held."""
        from netra_ws_lint.analysis.project import module_name
        from netra_ws_lint.analysis.scopes import parse_quietly

        files = list(files)
        # a summary keeps the calls of the names the project defines; one made with
        # more names is still right (the others resolve to nothing): summaries made
        # with a set holding this build's names are reused
        keep = defined_names(source for _, _, source, _ in files)
        valid = {i for i, names in enumerate(_KEEP_SETS) if keep <= names}
        if not valid:
            _KEEP_SETS.append(keep)
            valid = {len(_KEEP_SETS) - 1}
        generation = max(valid)
        keep = _KEEP_SETS[generation]  # (new summaries keep what older ones do)
        graph = cls()
        for real, display, source, settings in files:
            name, is_package = module_name(real)
            digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
            key = (display, name, is_package, digest, settings)
            memo = _SUMMARIES.get(key)
            summary = memo[1] if memo is not None and memo[0] in valid else None
            if summary is None:
                try:
                    tree = parse_quietly(source, display)
                except (SyntaxError, ValueError, RecursionError):
                    continue
                if not isinstance(tree, ast.Module):
                    continue
                summary = summarise(tree, source, display, settings, name, is_package, keep)
                del tree
                _SUMMARIES[key] = (generation, summary)
                while len(_SUMMARIES) > _SUMMARY_MEMO:
                    _SUMMARIES.popitem(last=False)
            else:
                _SUMMARIES.move_to_end(key)
            graph._add_module(Module(name, is_package, display, summary, real))
        graph._link_classes()
        for mod in graph.all_modules:
            graph._collect_calls(mod)
        return graph

    def _add_module(self, mod: Module) -> None:
        self.all_modules.append(mod)
        duplicate = mod.name in self.modules
        if duplicate:
            # two files, one module name (two source roots): the calls of both are
            # collected (the second one's as module-level code), names resolve to the
            # first, and nothing of that module is threaded
            self.ambiguous.add(mod.name)
        else:
            self.modules[mod.name] = mod
        s = mod.summary
        mod.imports = dict(s.imports)
        if duplicate:
            return
        for c in s.classes:
            info = ClassInfo(f"{mod.name}.{c.name}", mod.name, c.name, c)
            mod.classes[c.name] = info
            self.classes[info.qualname] = info
        for fs in s.functions:
            owner = mod.classes.get(fs.cls) if fs.cls is not None else None
            f = Function(
                f"{mod.name}.{fs.local}",
                mod.name,
                mod.path,
                fs.name,
                fs.lineno,
                fs.col_offset,
                fs.cls,
                fs.context,
                fs.context_optional,
                fs.context_annotation,
                fs.has_context_param,
                fs.decorators,
                fs.bound,
                owner,
                fs.body,
                fs.self_name,
            )
            mod.functions[fs.local] = f
            self.functions[f.qualname] = f
            if owner is not None:
                owner.methods[fs.name] = f

    def _link_classes(self) -> None:
        for mod in self.modules.values():
            scope = Scope(self, mod, None)
            for info in mod.classes.values():
                for base in info.summary.bases:
                    found = self.class_named(scope, base)
                    if found is None:
                        if not (isinstance(base, ast.Name) and base.id == "object"):
                            info.external_bases = True
                    elif found is not info:
                        info.bases.append(found)
                        found.subclasses.append(info)

    # -------------------------------------------------------------- resolution
    def resolve_target(self, qualname: str) -> Function | ClassInfo | Module | None:
        """What an absolute name refers to in the project, through imports and
        re-exports: a function, a class or a module."""
        seen: set[str] = set()
        while qualname not in seen and len(seen) < _MAX_HOPS:
            seen.add(qualname)
            if qualname in self.functions:
                return self.functions[qualname]
            if qualname in self.classes:
                return self.classes[qualname]
            if qualname in self.modules:
                return self.modules[qualname]
            module, _, attr = qualname.rpartition(".")
            mod = self.modules.get(module)
            if mod is None:
                # ``pkg.Cls.method``: a method through its class's name
                owner = self.resolve_target(module) if module and module not in seen else None
                if isinstance(owner, ClassInfo):
                    return owner.method(attr)
                return None
            nxt = mod.imports.get(attr)
            if nxt is None:
                return None
            qualname = nxt
        return None

    def resolve_name(self, qualname: str) -> Function | None:
        """The function an absolute name refers to, through imports and re-exports."""
        found = self.resolve_target(qualname)
        return found if isinstance(found, Function) else None

    def class_named(self, scope: Scope, node: ast.expr) -> ClassInfo | None:
        qual = scope.qual(node)
        found = self.resolve_target(qual) if qual else None
        return found if isinstance(found, ClassInfo) else None

    def attr_type(self, cls: ClassInfo, attr: str) -> ClassInfo | bool:
        """The project class ``self.<attr>`` of ``cls`` (or a base) is bound to."""
        for c in cls.mro():
            if c.attr_types is None:
                c.attr_types = {}  # while it is computed (``self.a = self.a.b``)
                c.attr_types = self._attr_types(c)
            if attr in c.attr_types:
                found = c.attr_types[attr]
                return found if found is not None else False
        return False

    def _attr_types(self, cls: ClassInfo) -> dict[str, ClassInfo | None]:
        mod = self.modules[cls.module]
        values: dict[str, list[ClassInfo | None]] = {}
        class_scope = Scope(self, mod, None)
        for attr, declared in cls.summary.annotations.items():
            for a in declared:
                target = annotation_target(a)
                found = self.class_named(class_scope, target) if target is not None else None
                values.setdefault(attr, []).append(found)
        for fn in cls.methods.values():
            if fn.body is None or not fn.body.self_attrs:
                continue
            scope = Scope(self, mod, fn)
            for attr, bound in fn.body.self_attrs:
                typed = scope.bound_type([bound])
                values.setdefault(attr, []).append(typed if isinstance(typed, ClassInfo) else None)
        out: dict[str, ClassInfo | None] = {}
        for attr, found_list in values.items():
            kinds = {id(f) for f in found_list}
            out[attr] = found_list[0] if len(kinds) == 1 else None
        return out

    def _resolve_call(self, scope: Scope, func: ast.expr) -> tuple[Function | None, bool]:
        """(the project function ``func`` names, whether the answer is known)."""
        if isinstance(func, ast.Name):
            qual = scope.qual(func)
            if qual is None:
                return None, True  # a local or builtin: not a call of a module function
            found = self.resolve_target(qual)
            if isinstance(found, ClassInfo):
                return found.method("__init__"), True
            return (found if isinstance(found, Function) else None), True
        if not isinstance(func, ast.Attribute):
            return None, True
        value = func.value
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id == "super"
            and scope.cls is not None
        ):
            for base in scope.cls.bases:
                found_m = base.method(func.attr)
                if found_m is not None:
                    return found_m, True
            return None, True  # from a base outside the project
        qual = scope.qual(value)
        if qual is not None:
            found_t = self.resolve_target(qual)
            if isinstance(found_t, Module):
                target = self.resolve_target(f"{found_t.name}.{func.attr}")
                if isinstance(target, ClassInfo):
                    return target.method("__init__"), True
                return (target if isinstance(target, Function) else None), True
            if isinstance(found_t, ClassInfo):
                return self._method_of(found_t, func.attr)
            if found_t is None and qual.partition(".")[0] not in self._top_packages():
                return None, True  # a library's module or object
        typed = scope.type_of(value)
        if isinstance(typed, ClassInfo):
            return self._method_of(typed, func.attr)
        return None, False

    def _method_of(self, cls: ClassInfo, name: str) -> tuple[Function | None, bool]:
        """``name`` on an instance of ``cls``: unknown when only a subclass defines it
        (the instance may be one of those)."""
        found = cls.method(name)
        if found is not None:
            return found, True
        if any(name in c.methods for c in cls.descendants()):
            return None, False
        return None, True

    def _top_packages(self) -> set[str]:
        if self._tops is None:
            self._tops = {m.partition(".")[0] for m in self.modules}
        return self._tops

    def _collect_calls(self, mod: Module) -> None:
        bodies: list[tuple[Function | None, Body]] = [
            (f, f.body) for f in mod.functions.values() if f.body is not None
        ]
        if mod.name in self.ambiguous and self.modules.get(mod.name) is not mod:
            # the second file of a module name: its functions' calls as module level
            bodies += [(None, fs.body) for fs in mod.summary.functions]
        bodies.append((None, mod.summary.rest))
        for caller, body in bodies:
            scope = Scope(self, mod, caller)
            for call in body.calls:
                target, known = self._resolve_call(scope, call.func)
                if target is not None:
                    self.callers.setdefault(target.qualname, []).append(
                        CallSite(caller, target, mod.path, call)
                    )
                elif not known and isinstance(call.func, ast.Attribute):
                    self.unresolved_by_name.setdefault(call.func.attr, []).append(
                        (mod.path, call.lineno)
                    )
            for name, line in body.getattrs:
                self.dynamic.setdefault(name, []).append((mod.path, line))
            for node, line in body.loads:
                target, _ = self._resolve_call(scope, node)
                if target is not None and (caller is None or target is not caller):
                    if target.name == "__init__" and not (
                        isinstance(node, ast.Attribute) and node.attr == "__init__"
                    ):
                        continue  # a class used as a value is not its __init__
                    self.referenced.setdefault(target.qualname, []).append((mod.path, line))

    # -------------------------------------------------------------- questions
    def maybe_calls(self, fn: Function) -> list[tuple[str, int]]:
        """Calls that may call ``fn`` through an object of unknown type."""
        return self.unresolved_by_name.get(fn.name, [])

    def dynamic_calls(self, fn: Function) -> list[tuple[str, int]]:
        """``getattr(obj, "<name of fn>")``: calls the project cannot follow."""
        return self.dynamic.get(fn.name, [])

    def overrides(self, fn: Function) -> list[Function]:
        """The project methods ``fn`` overrides or is overridden by (a call of one may
        run the other: their signatures must stay the same)."""
        if fn.owner is None:
            return []
        name = fn.name
        out: list[Function] = []
        for c in fn.owner.mro():
            if c is not fn.owner and name in c.methods:
                out.append(c.methods[name])
        out.extend(c.methods[name] for c in fn.owner.descendants() if name in c.methods)
        return out

    def function_at(self, path: str, line: int) -> Function | None:
        """The function whose ``def`` is at ``line`` of ``path`` (where NWS302 reports)."""
        if self._at is None:
            self._at = {(f.path, f.lineno): f for f in self.functions.values()}
        return self._at.get((path, line))

    def chains(self, function: Function, limit: int = MAX_CHAINS) -> tuple[list[Chain], int]:
        """The call chains that reach ``function``, each ending where a user context is
        in scope or at an entry point (a function nobody in the project calls, or module
        level code); and how many more there were than ``limit``."""
        out: list[Chain] = []
        more = 0

        def up(fn: Function, path: list[CallSite], seen: set[str]) -> None:
            nonlocal more
            if more > 10 * limit:
                return
            sites = self.callers.get(fn.qualname, [])
            if not sites:
                if len(out) < limit:
                    out.append(Chain(path, CONTEXT_MISSING, fn.qualname))
                else:
                    more += 1
                return
            for site in sites:
                chain = [*path, site]
                if site.context is not None or site.caller is None:
                    status = CONTEXT_AVAILABLE if site.context is not None else CONTEXT_MISSING
                    entry = site.caller.qualname if site.caller else f"{site.path} (module level)"
                    if len(out) < limit:
                        out.append(Chain(chain, status, entry))
                    else:
                        more += 1
                elif site.caller.qualname not in seen:
                    up(site.caller, chain, seen | {site.caller.qualname})

        up(function, [], {function.qualname})
        return out, more
