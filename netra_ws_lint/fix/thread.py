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

Verified like every fix: every changed file parses, a second threading pass changes
nothing, and files are written atomically, each only if unchanged since it was read.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from netra_ws_lint.analysis.callgraph import CallGraph, CallSite, Function
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
    pass


@dataclass
class Component:
    """Functions that get the parameter together, and the calls that pass it."""

    targets: list[Function] = field(default_factory=list)  # the NWS302 functions
    functions: dict[str, Function] = field(default_factory=dict)
    calls: list[tuple[CallSite, str]] = field(default_factory=list)  # (site, expression)
    blocked: list[str] = field(default_factory=list)  # why it cannot be threaded
    levels: int = 0


@dataclass
class Outcome:
    changed: dict[str, bytes] = field(default_factory=dict)  # display -> new bytes
    threaded: list[Component] = field(default_factory=list)
    manual: list[Component] = field(default_factory=list)

    def summary(self) -> str:
        fns = sum(len(c.functions) for c in self.threaded)
        calls = sum(len(c.calls) for c in self.threaded)
        levels = max((c.levels for c in self.threaded), default=0)
        return (
            f"{PROG}: threaded the user context into {fns} functions "
            f"({len(self.threaded)} chains, up to {levels} levels of calls, {calls} call "
            f"sites); {len(self.manual)} left to a person"
        )


def _context_name(settings: Settings) -> str:
    names = list(settings.words.context_names)
    return "user_context" if "user_context" in names or not names else names[0]


def _context_type(settings: Settings) -> str:
    plain = [t for t in settings.words.context_types if t.isidentifier()]
    return plain[0] if plain else "UserExecutionContext"


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
    it cannot be threaded."""
    comps: list[Component] = []
    for target in targets:
        comp = Component(targets=[target])
        comp.functions[target.qualname] = target
        todo: list[tuple[Function, list[str]]] = [(target, [target.qualname])]
        while todo:
            fn, chain = todo.pop()
            comp.levels = max(comp.levels, len(chain))
            bad = [_decorator_name(d) for d in fn.node.decorator_list]
            bad = [d for d in bad if d not in KEEPING]
            if bad:
                comp.blocked.append(f"`{fn.qualname}` is decorated (`@{bad[0]}`)")
            if fn.module in graph.ambiguous:
                comp.blocked.append(f"two files are both module `{fn.module}`")
            if _binds(fn.node, name):
                comp.blocked.append(f"`{fn.qualname}` already binds `{name}`")
            for path, line in graph.unresolved.get(fn.qualname, []):
                comp.blocked.append(f"{path}:{line} may call `{fn.node.name}` through an object")
            for path, line in graph.referenced.get(fn.qualname, []):
                comp.blocked.append(f"{path}:{line} uses `{fn.node.name}` as a value")
            sites = graph.callers.get(fn.qualname, [])
            if not sites:
                comp.blocked.append(
                    f"{_chain_text(reversed(chain))}: `{fn.qualname}` is an entry point "
                    "(nothing in the project calls it): the context must be created there"
                )
            for site in sites:
                call = site.call
                if any(k.arg is None for k in call.keywords):
                    comp.blocked.append(f"{site.path}:{site.line}: a call with `**kwargs`")
                    continue
                if any(k.arg == name for k in call.keywords):
                    continue  # passes it already
                if site.caller is None:
                    comp.blocked.append(
                        f"{_chain_text(reversed(chain))}: called at {site.path}:{site.line} "
                        "from module level or a nested function: the context must be created "
                        "there"
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
    for comp in comps:
        for other in merged:
            if set(other.functions) & set(comp.functions):
                other.targets += comp.targets
                other.functions.update(comp.functions)
                seen = {(id(s.call), e) for s, e in other.calls}
                other.calls += [(s, e) for s, e in comp.calls if (id(s.call), e) not in seen]
                other.blocked += comp.blocked
                other.levels = max(other.levels, comp.levels)
                break
        else:
            merged.append(comp)
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

    def commit(self) -> str:
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


def pass_argument(fe: _FileEdits, call: ast.Call, text: str) -> None:
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
    fn: Function, tree: ast.Module, source: str, settings: Settings
) -> list[tuple[ast.Name, str]]:
    """Loads, in ``fn``, of module-level names bound to a deprecated accessor's call
    (``manager = get_websocket_manager()``): each with that call's source text."""
    from netra_ws_lint.analysis.semantic import Context

    ctx = Context(tree, source, fn.path, settings)
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
    for node in ast.walk(fn.node):
        if (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Load)
            and node.id in bound
            and not _binds(fn.node, node.id)
        ):
            out.append((node, bound[node.id]))
    return out


def _type_import(graph: CallGraph, module: str, type_name: str) -> str | None:
    """``from X import T`` for ``module``: relative inside one top-level package."""
    for mod in graph.modules.values():
        if any(isinstance(s, ast.ClassDef) and s.name == type_name for s in mod.tree.body):
            if mod.name == module:
                return None
            here = module.split(".")
            there = mod.name.split(".")
            if here[0] == there[0] and len(here) > 1:
                package = here[:-1] if not graph.modules[module].is_package else here
                common = 0
                while common < min(len(package), len(there)) and package[common] == there[common]:
                    common += 1
                dots = "." * (len(package) - common + 1)
                return f"from {dots}{'.'.join(there[common:])} import {type_name}"
            return f"from {mod.name} import {type_name}"
    return None


def _add_import(fe: _FileEdits, tree: ast.Module, line: str) -> None:
    imports = [s for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom))]
    anchor: ast.stmt | None = imports[-1] if imports else None
    if anchor is None and tree.body:
        first = tree.body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            anchor = first
    nl = fe.text.newline
    if anchor is None:
        fe.insert(fe.root, 0, f"{line}{nl}")
        return
    end = fe.index(anchor.end_lineno or anchor.lineno, anchor.end_col_offset or 0)
    fe.insert(fe.root, end, f"{nl}{line}")


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
        bound = (
            any(isinstance(st, ast.ClassDef) and st.name == type_name for st in mod.tree.body)
            or type_name in mod.imports
        )
        annotation = type_name
        if not bound:
            line = _type_import(graph, fn.module, type_name)
            if line is not None:
                _add_import(fe, mod.tree, line)
            elif not any(
                isinstance(st, ast.ImportFrom)
                and st.module == "__future__"
                and any(a.name == "annotations" for a in st.names)
                for st in mod.tree.body
            ):
                annotation = f'"{type_name}"'
        add_parameter(fe, fn.node, f"{name}: {annotation}")
    for target in comp.targets:
        mod = graph.modules[target.module]
        fe = editors[target.path]
        for node, call_text in _instance_uses(
            target, mod.tree, mod.ctx.source, settings[target.path]
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


def thread_texts(
    raws: dict[str, str], paths: dict[str, Path], settings: dict[str, Settings]
) -> tuple[dict[str, str], Outcome]:
    """One threading pass over the texts (display -> text): the new texts of the files
    it changes, and what was (and was not) threaded."""
    parsed = []
    for display, raw in raws.items():
        tree = parse_source(normalize_newlines(raw), display)
        if isinstance(tree, ast.Module):
            parsed.append(
                (paths[display], display, tree, normalize_newlines(raw), settings[display])
            )
    graph = CallGraph.build(parsed)
    targets = []
    for _, display, _, source, s in parsed:
        for f in check_source(source, display, s):
            if f.code == CODE:
                fn = graph.function_at(display, f.line)
                if fn is not None:
                    targets.append(fn)
    outcome = Outcome()
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
            comp.blocked.append(str(exc))
            outcome.manual.append(comp)
            continue
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


def thread_files(
    files: dict[str, tuple[Path, bytes, Settings]],
    stderr: TextIO,
    unsafe: bool = True,
    checkers: dict[str, Checker] | None = None,
) -> dict[str, bytes]:
    """Thread the user context through ``files`` (display -> (path, bytes, settings));
    the new bytes of the files that change, after the per-file fixes ran on them (they
    turn the accessor calls in the threaded functions into factory calls). Verified:
    parses, and a second pass changes nothing."""
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
    try:
        new, outcome = thread_texts(raws, paths, settings)
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
        again, _ = thread_texts(current, paths, settings)
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
        reasons.sort(key=lambda r: "entry point" not in r and "module level" not in r)
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
