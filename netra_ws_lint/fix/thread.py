"""Context threading: an unsafe, opt-in fix across files (``check --fix --unsafe-fixes``,
``migrate --thread-context``).

For a function flagged NWS302 (it acts for one user and has no user context), the
fix adds a keyword-only ``user_context: UserExecutionContext`` parameter (the first
configured context name and type, with an import of the type from where the project
defines it), makes the singleton use inside build from it (a module-level instance
``manager`` becomes the accessor call it was bound to, which the NWS101 fix then turns
into the factory called with the context), and passes the context at every call site
in the project: the caller's own context where it has one; where it has none, the
caller gets the parameter too and the chain goes on upwards. A chain that reaches an
entry point without a context (a function nobody in the project calls, module-level
code, a nested function), a call through an object that may be one of these functions,
a function used as a value, or a decorated function stops the whole connected set:
nothing of it is changed (a required parameter would break that caller), and it is
listed as manual with the chain.

The parameter's annotation is imported the way the callers already reach the type
(the annotation of the context they pass, through their imports; the project's most
used import of that class), never guessed among several project classes of one name
(then the set is left to a person, saying why); without a known type the parameter is
left unannotated. The import goes after the last import before the first definition
(a late import at the bottom of a file comes after the defs that would use the name).
Each set left to a person lists, for every function that stops it, why (:class:`Block`:
an entry point, module-level code, a call through an object or ``getattr``, a use as a
value, a decorator, an override, ``**kwargs``); the summary counts them by reason.

Verified like every fix: every changed file parses, every added import resolves to a
definition its module reaches (the project's files are read, nothing is imported: the
tool never runs the checked code) and is bound before the first definition using it, a
second threading pass changes nothing, and files are written atomically, each only if
unchanged since it was read.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TextIO

from netra_ws_lint.analysis.callgraph import (
    CallGraph,
    CallInfo,
    CallSite,
    ClassInfo,
    Function,
    Scope,
    _absolute,
    annotation_target,
)
from netra_ws_lint.analysis.semantic import FUNCTION_TYPES, FunctionNode
from netra_ws_lint.config import Settings
from netra_ws_lint.engine.pipeline import check_source, normalize_newlines, parse_source

if TYPE_CHECKING:
    from netra_ws_lint.fix.apply import Checker

PROG = "netra-ws-lint"
CODE = "NWS302"
MAX_REASONS = 5  # printed per function left to a person
# decorators that keep a function's signature and callers
KEEPING = frozenset({"staticmethod", "classmethod"})


class ThreadError(Exception):
    def __init__(self, message: str, function: str = "", kind: str = "edit") -> None:
        super().__init__(message)
        self.function = function
        self.kind = kind


# why a chain is left to a person (``Block.kind``), as the plan counts them
ENTRY_POINT = "entry point"  # nothing in the project calls it: no context there
MODULE_LEVEL = "module level"  # called from module level or a nested function
UNRESOLVED = "called through an object"  # a call the project cannot follow may reach it
DYNAMIC = "dynamic call"  # getattr(obj, "name")
AS_VALUE = "used as a value"  # a callback, a registry entry
DECORATED = "decorated"
OVERRIDDEN = "overridden"  # a method a subclass or base also defines
KWARGS = "call with **kwargs"
BINDS = "already binds the name"
AMBIGUOUS_MODULE = "two files, one module"
CONTEXT_TYPE = "context type"  # the annotation cannot be imported for certain
EDIT = "edit"  # the source has a shape the edit does not handle


@dataclass(frozen=True)
class Block:
    """Why a set of functions is left to a person: the function that stops it, and why."""

    function: str  # qualified name
    kind: str
    detail: str

    def __str__(self) -> str:
        return self.detail

    def as_dict(self) -> dict[str, str]:
        return {"function": self.function, "reason": self.kind, "detail": self.detail}


@dataclass
class Component:
    """Functions that get the parameter together, and the calls that pass it."""

    targets: list[Function] = field(default_factory=list)  # the NWS302 functions
    functions: dict[str, Function] = field(default_factory=dict)
    calls: list[tuple[CallSite, str]] = field(default_factory=list)  # (site, expression)
    blocked: list[Block] = field(default_factory=list)  # why it cannot be threaded
    levels: int = 0
    imports: list[tuple[str, str, str]] = field(default_factory=list)  # (file, module, name)


@dataclass
class Outcome:
    changed: dict[str, bytes] = field(default_factory=dict)  # display -> new bytes
    threaded: list[Component] = field(default_factory=list)
    manual: list[Component] = field(default_factory=list)
    graph: CallGraph | None = None

    def stopped_by(self) -> Counter[str]:
        """How many chains left to a person stop for each reason (a chain: a function
        of a set left to a person that stops it)."""
        out: Counter[str] = Counter()
        for comp in self.manual:
            for kind in {(b.function, b.kind) for b in comp.blocked}:
                out[kind[1]] += 1
        return out

    def summary(self) -> str:
        fns = sum(len(c.functions) for c in self.threaded)
        calls = sum(len(c.calls) for c in self.threaded)
        levels = max((c.levels for c in self.threaded), default=0)
        why = self.stopped_by()
        stops = ", ".join(f"{kind} {n}" for kind, n in why.most_common())
        return (
            f"{PROG}: threaded the user context into {fns} functions "
            f"({len(self.threaded)} chains, up to {levels} levels of calls, {calls} call "
            f"sites); {len(self.manual)} left to a person"
            + (f" (stopped by: {stops})" if stops else "")
        )


def _context_name(settings: Settings) -> str:
    names = list(settings.words.context_names)
    return "user_context" if "user_context" in names or not names else names[0]


def _context_type(settings: Settings) -> str:
    plain = [t for t in settings.words.context_types if t.isidentifier()]
    return plain[0] if plain else "UserExecutionContext"


def _top_level_names(tree: ast.Module) -> set[str]:
    """Names bound by the module's own statements (not imports)."""
    out: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, (*FUNCTION_TYPES, ast.ClassDef)):
            out.add(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                out.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
    return out


def _decorator_name(d: ast.expr) -> str:
    target = d.func if isinstance(d, ast.Call) else d
    if isinstance(target, ast.Attribute):
        return target.attr
    return target.id if isinstance(target, ast.Name) else ""


def _binds(fn: ast.AST, name: str) -> bool:
    """``name`` is a parameter or bound anywhere inside ``fn``."""
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and node.id == name and not isinstance(node.ctx, ast.Load):
            return True
        if isinstance(node, ast.arg) and node.arg == name:
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
            (a.asname or a.name.partition(".")[0]) == name for a in node.names
        ):
            return True
    return False


def _chain_text(chain: Iterable[str]) -> str:
    return " -> ".join(n.rpartition(".")[2] + "()" for n in chain)


def plan(graph: CallGraph, targets: list[Function], name: str) -> list[Component]:
    """Connected sets of functions to thread, each with its call edits or the reasons
    it cannot be threaded (each naming the function that stops it)."""
    comps: list[Component] = []
    for target in targets:
        comp = Component(targets=[target])
        comp.functions[target.qualname] = target
        todo: list[tuple[Function, list[str]]] = [(target, [target.qualname])]
        while todo:
            fn, chain = todo.pop()
            comp.levels = max(comp.levels, len(chain))
            q, short = fn.qualname, fn.name

            def block(kind: str, detail: str, q: str = q, into: Component = comp) -> None:
                into.blocked.append(Block(q, kind, detail))

            bad = [d for d in fn.decorators if d not in KEEPING]
            if bad:
                block(DECORATED, f"`{q}` is decorated (`@{bad[0]}`)")
            if fn.module in graph.ambiguous:
                block(AMBIGUOUS_MODULE, f"two files are both module `{fn.module}`")
            if name in fn.bound:
                block(BINDS, f"`{q}` already binds `{name}`")
            for twin in graph.overrides(fn):
                block(
                    OVERRIDDEN,
                    f"`{q}` and `{twin.qualname}` override one another: a call of one "
                    "may run the other, so their signatures must stay the same",
                )
            for path, line in graph.maybe_calls(fn):
                block(UNRESOLVED, f"{path}:{line} may call `{short}` through an object")
            for path, line in graph.dynamic_calls(fn):
                block(DYNAMIC, f"{path}:{line} may call `{short}` through `getattr`")
            for path, line in graph.referenced.get(q, []):
                block(AS_VALUE, f"{path}:{line} uses `{short}` as a value")
            sites = graph.callers.get(q, [])
            if not sites:
                block(
                    ENTRY_POINT,
                    f"{_chain_text(reversed(chain))}: `{q}` is an entry point "
                    "(nothing in the project calls it): the context must be created there",
                )
            for site in sites:
                call = site.call
                if any(k is None for k in call.keywords):
                    block(KWARGS, f"{site.path}:{site.line}: a call with `**kwargs`")
                    continue
                if name in call.keywords:
                    continue  # passes it already
                if site.caller is None:
                    block(
                        MODULE_LEVEL,
                        f"{_chain_text(reversed(chain))}: called at {site.path}:{site.line} "
                        "from module level or a nested function: the context must be created "
                        "there",
                    )
                elif site.context is not None:
                    comp.calls.append((site, site.context))
                else:
                    comp.calls.append((site, name))
                    if site.caller.qualname not in comp.functions:
                        comp.functions[site.caller.qualname] = site.caller
                        todo.append((site.caller, [*chain, site.caller.qualname]))
        comps.append(comp)
    # sets sharing a function are threaded (or left) together
    merged: list[Component] = []
    for part in comps:
        for other in merged:
            if set(other.functions) & set(part.functions):
                other.targets += part.targets
                other.functions.update(part.functions)
                seen = {(id(s.call), e) for s, e in other.calls}
                other.calls += [(s, e) for s, e in part.calls if (id(s.call), e) not in seen]
                other.blocked += part.blocked
                other.levels = max(other.levels, part.levels)
                break
        else:
            merged.append(part)
    return merged


# ---------------------------------------------------------------- edits


class _FileEdits:
    """ast-grep insertions and replacements for one file."""

    def __init__(self, raw: str) -> None:
        from ast_grep_py import SgRoot

        from netra_ws_lint.fix.apply import _Text

        self.raw = raw
        self.text = _Text(raw)
        self.root = SgRoot(raw, "python").root()
        self.edits: list[Any] = []
        self.points: set[int] = set()
        self.imports: dict[int, list[str]] = {}  # where -> import lines to add there
        self._tree: ast.Module | None = None

    @property
    def source(self) -> str:
        return normalize_newlines(self.raw)

    @property
    def tree(self) -> ast.Module:
        """The file's tree (parsed when first needed: only the edited files are)."""
        if self._tree is None:
            tree = parse_source(self.source, "<threaded>")
            if not isinstance(tree, ast.Module):
                raise ThreadError("the file does not parse")
            self._tree = tree
        return self._tree

    def function(self, fn: Function) -> FunctionNode:
        """The ``def`` node of ``fn`` in this file."""
        for node in ast.walk(self.tree):
            if (
                isinstance(node, FUNCTION_TYPES)
                and node.lineno == fn.lineno
                and node.col_offset == fn.col_offset
                and node.name == fn.name
            ):
                return node
        raise ThreadError(f"line {fn.lineno}: `{fn.name}` is not there")

    def index(self, line: int, col: int) -> int:
        from netra_ws_lint.rules.fixes import char_col

        return self.text.index(line, char_col(self.text.line(line), col))

    def insert(self, node: Any, at: int, content: str) -> None:
        if at in self.points:
            return
        self.points.add(at)
        e = node.replace(content)
        e.start_pos = e.end_pos = at
        self.edits.append(e)

    def replace(self, node: Any, content: str) -> None:
        self.edits.append(node.replace(content))

    def node(self, kind: str, start: int, end: int | None = None) -> Any:
        for n in self.root.find_all(kind=kind):
            r = n.range()
            if r.start.index == start and (end is None or r.end.index == end):
                return n
        raise ThreadError(f"line {self.text.line_of(start)}: no {kind} node here")

    def add_import(self, at: int, text: str) -> None:
        lines = self.imports.setdefault(at, [])
        if text not in lines:
            lines.append(text)

    def commit(self) -> str:
        for at, lines in self.imports.items():
            nl = self.text.newline
            content = (
                "".join(f"{line}{nl}" for line in lines)
                if at == 0
                else ("".join(f"{nl}{line}" for line in lines))
            )
            self.insert(self.root, at, content)
        self.imports.clear()
        return str(self.root.commit_edits(self.edits)) if self.edits else self.raw


def _significant(children: list[Any]) -> list[Any]:
    return [c for c in children if c.kind() != "comment"]


def add_parameter(fe: _FileEdits, fn: ast.AST, text: str) -> None:
    """``text`` (``user_context: T``) as a keyword-only parameter of ``fn``."""
    start = fe.index(fn.lineno, fn.col_offset)  # type: ignore[attr-defined]
    node = fe.node("function_definition", start)
    params = node.field("parameters")
    if params is None:
        raise ThreadError("no parameter list")
    kids = _significant(list(params.children()))
    args = fn.args  # type: ignore[attr-defined]
    star = "" if (args.vararg or args.kwonlyargs) else "*, "
    splat = next((c for c in kids if c.kind() == "dictionary_splat_pattern"), None)
    if splat is not None:
        fe.insert(params, splat.range().start.index, f"{star}{text}, ")
        return
    last = kids[-2]  # before ")"
    if last.kind() == "(":
        fe.insert(params, last.range().end.index, f"{star}{text}")
    elif last.kind() == ",":
        fe.insert(params, last.range().end.index, f" {star}{text}")
    else:
        fe.insert(params, last.range().end.index, f", {star}{text}")


def pass_argument(fe: _FileEdits, call: CallInfo | ast.Call, text: str) -> None:
    start = fe.index(call.lineno, call.col_offset)
    end = fe.index(call.end_lineno or call.lineno, call.end_col_offset or 0)
    node = fe.node("call", start, end)
    arguments = node.field("arguments")
    if arguments is None or arguments.kind() != "argument_list":
        raise ThreadError(f"line {call.lineno}: the call's only argument is a generator")
    kids = _significant(list(arguments.children()))
    last = kids[-2]
    if last.kind() == "(":
        fe.insert(arguments, last.range().end.index, text)
    elif last.kind() == ",":
        fe.insert(arguments, last.range().end.index, f" {text}")
    else:
        fe.insert(arguments, last.range().end.index, f", {text}")


def _instance_uses(
    fn: FunctionNode, tree: ast.Module, source: str, path: str, settings: Settings
) -> list[tuple[ast.Name, str]]:
    """Loads, in ``fn``, of module-level names bound to a deprecated accessor's call
    (``manager = get_websocket_manager()``): each with that call's source text."""
    from netra_ws_lint.analysis.semantic import Context

    ctx = Context(tree, source, path, settings)
    bound: dict[str, str] = {}
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, ast.Call)
            and not stmt.value.args
            and not stmt.value.keywords
            and ctx.is_deprecated_accessor(ctx.resolve(stmt.value.func))
        ):
            seg = ast.get_source_segment(source, stmt.value)
            if seg and "\n" not in seg:
                bound[stmt.targets[0].id] = seg
    if not bound:
        return []
    out = []
    for node in ast.walk(fn):
        if (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Load)
            and node.id in bound
            and not _binds(fn, node.id)
        ):
            out.append((node, bound[node.id]))
    return out


def _import_root(graph: CallGraph, module: str) -> Path | None:
    """The directory a module's absolute name is relative to (the parent of its top
    package), from its file; None when unknown."""
    mod = graph.modules.get(module)
    if mod is None or mod.real is None:
        return None
    depth = module.count(".") + (1 if mod.is_package else 0)
    parents = mod.real.absolute().parents
    return parents[depth] if depth < len(parents) else None


def _importers(graph: CallGraph) -> dict[str, Counter[str]]:
    """For each project class, the modules the project's files import it from (``from M
    import T`` at module level or inside functions; ``"."`` counts the relative ones),
    most used first."""
    cached = getattr(graph, "_type_importers", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    out: dict[str, Counter[str]] = {}
    for mod in graph.all_modules:
        for level, module, names in mod.summary.from_imports:
            if not (module or level):
                continue
            base = _absolute(mod.name, mod.is_package, level, module)
            for name in names:
                found = graph.resolve_target(f"{base}.{name}")
                if isinstance(found, ClassInfo):
                    key = "." if level else base
                    out.setdefault(found.qualname, Counter())[key] += 1
    graph._type_importers = out  # type: ignore[attr-defined]
    return out


def _relative(graph: CallGraph, module: str, target: str) -> str | None:
    """``target`` as a relative module name from ``module`` (same top-level package)."""
    here = module.split(".")
    there = target.split(".")
    if here[0] != there[0] or len(here) < 2:
        return None
    package = here if graph.modules[module].is_package else here[:-1]
    common = 0
    while common < min(len(package), len(there)) and package[common] == there[common]:
        common += 1
    return "." * (len(package) - common + 1) + ".".join(there[common:])


def _caller_types(graph: CallGraph, comp: Component) -> list[tuple[str, ClassInfo | None]]:
    """The annotated types of the contexts the callers pass: (absolute name as the caller
    reaches it, the project class it is or None for a class outside the project)."""
    out: list[tuple[str, ClassInfo | None]] = []
    for site, _expr in comp.calls:
        caller = site.caller
        if caller is None or site.context is None:
            continue
        annotation: ast.expr | None = None
        owner_fn: Function | None = caller
        if caller.has_context_param:
            annotation = caller.context_annotation
        elif caller.owner is not None:
            init = caller.owner.methods.get("__init__")
            owner_fn = init
            if init is not None and init.has_context_param:
                annotation = init.context_annotation
        target = annotation_target(annotation)
        if target is None or owner_fn is None:
            continue
        mod = graph.modules.get(owner_fn.module)
        if mod is None:
            continue
        scope = Scope(graph, mod, owner_fn)
        qual = scope.qual(target)
        if qual is None:
            continue
        found = graph.resolve_target(qual)
        out.append((qual, found if isinstance(found, ClassInfo) else None))
    return out


def _type_import(
    graph: CallGraph, comp: Component, fn: Function, type_name: str
) -> tuple[str | None, str | None]:
    """``(module, name)`` to import the context type from in ``fn``'s module, the way
    the project already reaches it: (None, name) when the module binds it already;
    (None, None) when the parameter is left unannotated (no type known). Raises
    ThreadError (the component is left to a person) when the type is ambiguous or its
    import would not resolve."""
    mod = graph.modules[fn.module]
    if type_name in mod.classes or type_name in mod.imports:
        return None, type_name
    classes: dict[str, ClassInfo | None] = {}
    externals: Counter[str] = Counter()
    for qual, found in _caller_types(graph, comp):
        if found is not None:
            classes[found.qualname] = found
        else:
            externals[qual] += 1
    if not classes and not externals:
        named = [c for c in graph.classes.values() if c.name == type_name]
        if not named:
            return None, None
        if len(named) > 1:
            where = ", ".join(sorted(f"`{c.module}`" for c in named)[:5])
            raise ThreadError(
                f"`{fn.qualname}`: {len(named)} project classes are named `{type_name}` "
                f"({where}) and no caller's context is annotated: which one to import is "
                "not known"
            )
        classes = {named[0].qualname: named[0]}
    if len(classes) + len(externals) > 1:
        kinds = sorted([*classes, *externals])
        raise ThreadError(
            f"`{fn.qualname}`: the callers pass contexts of different types ("
            + ", ".join(f"`{k}`" for k in kinds[:5])
            + "): which one to annotate with is not known"
        )
    if externals:  # a class outside the project: imported as the callers import it
        qual = next(iter(externals))
        module, _, name = qual.rpartition(".")
        return (module, name) if module else (None, None)
    cls = next(iter(classes.values()))
    assert cls is not None
    used = _importers(graph).get(cls.qualname, Counter())
    here = _import_root(graph, fn.module)
    for module, _n in used.most_common():
        if module != ".":
            return module, cls.name
        relative = _relative(graph, fn.module, cls.module)  # as the callers do
        if relative is not None:
            return relative, cls.name
    # nobody imports it yet: from its own module, when that resolves from here
    if here is not None and _import_root(graph, cls.module) == here:
        return cls.module, cls.name
    raise ThreadError(
        f"`{fn.qualname}`: `{cls.qualname}` is imported nowhere in the project and its module name "
        "may not resolve from the threaded module: import it by hand"
    )


def import_resolves(graph: CallGraph, importer: str, module: str, name: str) -> bool:
    """``from module import name`` in module ``importer`` reaches a definition: the
    project defines (or re-exports) ``name`` there and ``module`` resolves from the
    importer as other modules import it (or from the same import root; a relative one
    within the importer's package); or it is how other project files already import a
    name from outside the project."""
    relative = module.startswith(".")
    if relative:
        level = len(module) - len(module.lstrip("."))
        mod = graph.modules.get(importer)
        if mod is None:
            return False
        module = _absolute(importer, mod.is_package, level, module.lstrip(".") or None)
    found = graph.resolve_target(f"{module}.{name}")
    if found is not None:
        if relative:
            return True  # inside the importer's own package, as the project runs it
        if any(module in c for c in _importers(graph).values()):
            return True
        here = _import_root(graph, importer)
        return here is not None and _import_root(graph, module) == here
    if relative:
        return False
    return any(other.imports.get(name) == f"{module}.{name}" for other in graph.all_modules)


def _import_anchor(tree: ast.Module) -> ast.stmt | None:
    """The statement the new import goes after: the last module-level import before the
    first definition or other code (a late import at the bottom comes after the defs
    that would use the new name), else the docstring; None: the top of the file."""
    anchor: ast.stmt | None = None
    for i, stmt in enumerate(tree.body):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)) or (
            i == 0
            and isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str)
        ):
            anchor = stmt
        elif isinstance(stmt, (*FUNCTION_TYPES, ast.ClassDef)) or (
            isinstance(stmt, (ast.If, ast.Try))
            and any(isinstance(n, (*FUNCTION_TYPES, ast.ClassDef)) for n in ast.walk(stmt))
        ):
            break
    return anchor


def _add_import(fe: _FileEdits, tree: ast.Module, line: str) -> None:
    anchor = _import_anchor(tree)
    if anchor is None:
        fe.add_import(0, line)
        return
    fe.add_import(fe.index(anchor.end_lineno or anchor.lineno, anchor.end_col_offset or 0), line)


def apply_component(
    comp: Component,
    graph: CallGraph,
    raws: dict[str, str],
    settings: dict[str, Settings],
    editors: dict[str, _FileEdits],
) -> None:
    for fn in comp.functions.values():
        s = settings[fn.path]
        name, type_name = _context_name(s), _context_type(s)
        fe = editors.setdefault(fn.path, _FileEdits(raws[fn.path]))
        mod = graph.modules[fn.module]
        try:
            module, bound = _type_import(graph, comp, fn, type_name)
            if module is not None and bound is not None:
                if bound in _top_level_names(fe.tree) and bound not in mod.imports:
                    raise ThreadError(f"`{fn.module}` binds `{bound}` to something else")
                if not import_resolves(graph, fn.module, module, bound):
                    raise ThreadError(
                        f"`{fn.qualname}`: `from {module} import {bound}` would not resolve"
                    )
        except ThreadError as exc:
            raise ThreadError(str(exc), fn.qualname, CONTEXT_TYPE) from None
        if module is not None and bound is not None:
            _add_import(fe, fe.tree, f"from {module} import {bound}")
            comp.imports.append((fn.path, module, bound))
        text = f"{name}: {bound}" if bound is not None else name
        add_parameter(fe, fe.function(fn), text)
    for target in comp.targets:
        fe = editors[target.path]
        for node, call_text in _instance_uses(
            fe.function(target), fe.tree, fe.source, target.path, settings[target.path]
        ):
            start = fe.index(node.lineno, node.col_offset)
            end = fe.index(node.end_lineno or node.lineno, node.end_col_offset or 0)
            fe.replace(fe.node("identifier", start, end), call_text)
    for site, expr in comp.calls:
        s = settings[site.path]
        fe = editors.setdefault(site.path, _FileEdits(raws[site.path]))
        pass_argument(fe, site.call, f"{_context_name(s)}={expr}")


# ---------------------------------------------------------------- driver


def _decode(data: bytes) -> str:
    from netra_ws_lint.fix.apply import decode

    return decode(data)[0]


TargetLines = Callable[[str, str, Settings], Iterable[int]]


def _standalone_lines(display: str, source: str, settings: Settings) -> list[int]:
    return [f.line for f in check_source(source, display, settings) if f.code == CODE]


def thread_texts(
    raws: dict[str, str],
    paths: dict[str, Path],
    settings: dict[str, Settings],
    target_lines: TargetLines | None = None,
) -> tuple[dict[str, str], Outcome]:
    """One threading pass over the texts (display -> text): the new texts of the files
    it changes, and what was (and was not) threaded. ``target_lines(display, text,
    settings)``: the lines NWS302 reports in a text (default: the file checked on its
    own)."""
    lines_of = target_lines or _standalone_lines
    sources = [
        (paths[display], display, normalize_newlines(raw), settings[display])
        for display, raw in raws.items()
    ]
    graph = CallGraph.build(sources)
    built = {m.path for m in graph.all_modules}  # those that parse
    targets = []
    for _, display, source, s in sources:
        if display not in built:
            continue
        for line in lines_of(display, source, s):
            fn = graph.function_at(display, line)
            if fn is not None:
                targets.append(fn)
    outcome = Outcome(graph=graph)
    name_of = {d: _context_name(s) for d, s in settings.items()}
    editors: dict[str, _FileEdits] = {}
    for comp in plan(graph, targets, name_of[targets[0].path] if targets else "user_context"):
        if comp.blocked:
            outcome.manual.append(comp)
            continue
        try:
            trial: dict[str, _FileEdits] = {}
            apply_component(comp, graph, raws, settings, trial)
        except ThreadError as exc:
            stopper = exc.function or comp.targets[0].qualname
            comp.blocked.append(Block(stopper, exc.kind, str(exc)))
            outcome.manual.append(comp)
            continue
        comp.imports.clear()
        apply_component(comp, graph, raws, settings, editors)
        outcome.threaded.append(comp)
    new = {}
    for display, fe in editors.items():
        text = fe.commit()
        if not isinstance(parse_source(normalize_newlines(text), display), ast.Module):
            raise ThreadError(f"{display}: the threaded file would not parse; nothing threaded")
        if text != raws[display]:
            new[display] = text
    return new, outcome


def _verify_imports(texts: dict[str, str], outcome: Outcome) -> None:
    """Every import the threading added reaches a definition (:func:`import_resolves`)
    and is bound before any module-level definition that uses the name; ThreadError
    otherwise (nothing is threaded)."""
    graph = outcome.graph
    if graph is None:
        return
    for comp in outcome.threaded:
        for display, module, name in comp.imports:
            fn = next(f for f in comp.functions.values() if f.path == display)
            if not import_resolves(graph, fn.module, module, name):
                raise ThreadError(f"{display}: `from {module} import {name}` would not resolve")
            tree = parse_source(normalize_newlines(texts[display]), display)
            if not isinstance(tree, ast.Module):
                raise ThreadError(f"{display}: the threaded file would not parse")
            bound_at: int | None = None
            first_use: int | None = None
            for stmt in tree.body:
                if (
                    bound_at is None
                    and isinstance(stmt, ast.ImportFrom)
                    and "." * (stmt.level or 0) + (stmt.module or "") == module
                    and any((a.asname or a.name) == name for a in stmt.names)
                ):
                    bound_at = stmt.lineno
                if (
                    first_use is None
                    and isinstance(stmt, (*FUNCTION_TYPES, ast.ClassDef))
                    and any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(stmt))
                ):
                    first_use = stmt.lineno
            if bound_at is None or (first_use is not None and first_use < bound_at):
                raise ThreadError(
                    f"{display}: `{name}` would be used before `from {module} import {name}`"
                )


def thread_files(
    files: dict[str, tuple[Path, bytes, Settings]],
    stderr: TextIO,
    unsafe: bool = True,
    checkers: dict[str, Checker] | None = None,
    known: dict[str, tuple[str, list[int]]] | None = None,
) -> dict[str, bytes]:
    """Thread the user context through ``files`` (display -> (path, bytes, settings));
    the new bytes of the files that change, after the per-file fixes ran on them (they
    turn the accessor calls in the threaded functions into factory calls). Verified:
    parses, every added import resolves, and a second pass changes nothing.

    ``checkers``: how a text of a file is checked (against the whole project);
    ``known``: the lines NWS302 reports in a file's text, already known (display ->
    (text, lines)): a file is checked only when its text is not the known one."""
    from netra_ws_lint.fix.apply import FixError, decode, fix_text

    raws: dict[str, str] = {}
    encodings: dict[str, str] = {}
    for display, (_, data, _) in files.items():
        try:
            raws[display], encodings[display] = decode(data)
        except FixError:
            continue
    paths = {d: p for d, (p, _, _) in files.items()}
    settings = {d: s for d, (_, _, s) in files.items()}
    memo: dict[tuple[str, str], list[int]] = {}
    for display, (text, lines) in (known or {}).items():
        memo[(display, normalize_newlines(text))] = list(lines)

    def target_lines(display: str, text: str, s: Settings) -> list[int]:
        key = (display, text)
        if key not in memo:
            checker = (checkers or {}).get(display)
            if checker is not None:
                memo[key] = [f.line for f in checker(text) if f.code == CODE]
            else:
                memo[key] = _standalone_lines(display, text, s)
        return memo[key]

    try:
        new, outcome = thread_texts(raws, paths, settings, target_lines)
        current = {**raws, **new}
        for display in list(new):
            fixed, _ = fix_text(
                current[display],
                display,
                settings[display],
                unsafe,
                None,
                (checkers or {}).get(display),
            )
            current[display] = new[display] = fixed
        _verify_imports(current, outcome)
        outcome.graph = None  # (one graph at a time)
        again = thread_texts(current, paths, settings, target_lines)[0] if new else {}
        if again:
            raise ThreadError("a second pass would change " + ", ".join(sorted(again)))
    except (ThreadError, FixError) as exc:
        print(f"{PROG}: error: context threading not done: {exc}", file=stderr)
        return {}
    for comp in outcome.manual:
        names = ", ".join(f"`{t.qualname}`" for t in comp.targets)
        print(f"{PROG}: manual: cannot thread the user context into {names}:", file=stderr)
        reasons = list(dict.fromkeys(comp.blocked))
        # the chains first: they say where a context must be created
        reasons.sort(key=lambda r: r.kind not in (ENTRY_POINT, MODULE_LEVEL))
        for reason in reasons[:MAX_REASONS]:
            print(f"  - {reason}", file=stderr)
        if len(reasons) > MAX_REASONS:
            print(f"  - ... and {len(reasons) - MAX_REASONS} more", file=stderr)
    if outcome.threaded or outcome.manual:
        print(outcome.summary(), file=stderr)
    out = {}
    for display, text in new.items():
        try:
            out[display] = text.encode(encodings[display])
        except UnicodeEncodeError:
            print(f"{PROG}: error: {display}: cannot encode the threaded text", file=stderr)
            return {}
    return out


__all__ = ["Outcome", "ThreadError", "plan", "thread_files", "thread_texts"]
