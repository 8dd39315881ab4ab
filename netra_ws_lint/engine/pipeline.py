"""The analysis core: decode, parse, walk once, dispatch to the enabled rules, apply
``# noqa``. Every front end (CLI, flake8 plugin, pre-commit hook) calls
:func:`check_source` / :func:`check_file`; none of them has checks of its own.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from netra_ws_lint.analysis.scopes import COMPREHENSIONS, Scope, parse_quietly
from netra_ws_lint.analysis.semantic import Context
from netra_ws_lint.config import Settings
from netra_ws_lint.engine.fsutil import SOURCE_LIMIT, read_regular_file
from netra_ws_lint.engine.noqa import NoqaFilter
from netra_ws_lint.model import Finding
from netra_ws_lint.rules.base import Rule, all_rules

SKIP_FILE_RE = re.compile(r"^[ \t\f]*#[ \t]*netra-ws-lint:[ \t]*skip-file\b", re.M | re.I)
SYNTAX_ERROR = "NWS900"
RULE_CRASHED = "NWS901"
UNUSED_NOQA = "NWS902"  # needs what each noqa comment suppressed: see select_findings

Handler = Callable[[ast.AST], None]
_LEAVE, _PUSH, _POP = 1, 2, 3


class _Marker:
    """A walker stack entry that is not a node to visit: leave a node, push or pop a scope."""

    __slots__ = ("obj", "op")

    def __init__(self, op: int, obj: object) -> None:
        self.op = op
        self.obj = obj


_POP_MARKER = _Marker(_POP, None)
# child fields of each node type, in reverse source order ("ctx" is never worth a visit)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


class DecodeError(Exception):
    pass


def decode_source(data: bytes) -> str:
    """Bytes of a Python file to text: PEP 263 coding cookie, BOM, universal newlines."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeError) as exc:  # punycode: a bare UnicodeError
        raise DecodeError(f"cannot decode file: {exc}") from None
    except Exception as exc:  # a codec that fails its own way: a finding, never a crash
        raise DecodeError(f"cannot decode file: {type(exc).__name__}: {exc}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return normalize_newlines(text)


def normalize_newlines(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


@dataclass
class RuleSet:
    """The rules enabled for a run, and their dispatch tables (built once)."""

    rule_classes: tuple[type[Rule], ...]

    @classmethod
    def for_settings(cls, settings: Settings, include_project: bool = True) -> RuleSet:
        return cls(
            tuple(
                r
                for code, r in all_rules().items()
                if settings.is_enabled(code)
                and not r.tool
                and (include_project or not r.project_only)
                and (not r.audit or settings.audit_enabled(code))
            )
        )


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
        visit, leave = self.visit, self.leave
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
                fields = _CHILD_FIELDS[t] = tuple(
                    reversed([f for f in getattr(t, "_fields", ()) if f != "ctx"])
                )
            for name in fields:
                value = getattr(node, name, None)
                if type(value) is list:
                    stack.extend(v for v in reversed(value) if isinstance(v, AST))
                elif isinstance(value, AST):
                    stack.append(value)


@dataclass
class CheckResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    skipped: str | None = None  # reason the file was not checked at all
    source: str | None = None  # the decoded text, kept only when there are findings


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


def run_rules(
    tree: ast.Module,
    source: str,
    path: str,
    settings: Settings,
    rule_set: RuleSet,
    setup: Callable[[Context], None] | None = None,
) -> list[Finding]:
    """All findings of the enabled rules on one parsed file (no noqa / selection).
    ``setup`` prepares the Context before the walk (project mode attaches its index)."""
    ctx = Context(tree, source, path, settings)
    if setup is not None:
        setup(ctx)
    rules = [cls(ctx) for cls in rule_set.rule_classes]
    walker = Walker(ctx, rules)
    try:
        walker.walk(tree)
    except RecursionError:  # a rule recursed too deep on a pathological tree
        ctx.add_finding(
            Finding(1, 0, RULE_CRASHED, "analysis stopped: the file is nested too deeply")
        )
    add_pattern_findings(ctx.findings, source, settings)
    return ctx.findings


def add_pattern_findings(findings: list[Finding], source: str, settings: Settings) -> None:
    """Append the findings of the custom NWS5xx pattern rules (ast-grep is imported only
    when some are configured); every path that runs the rules calls this."""
    if not settings.patterns:
        return
    from netra_ws_lint.rules.patterns import run_patterns

    try:
        findings.extend(run_patterns(source, settings.patterns))
    except Exception as exc:  # never stop the run
        findings.append(
            Finding(
                1,
                0,
                RULE_CRASHED,
                f"custom pattern rules crashed on this file: {type(exc).__name__}: {exc}",
            )
        )


def select_findings(
    findings: Iterable[Finding], source: str, path: str, settings: Settings, apply_noqa: bool = True
) -> list[Finding]:
    """Apply rule selection, audit status, per-file-ignores and ``# noqa``."""
    ignored = settings.ignored_for(settings.relpath(path)) if settings.per_file_ignores else ()
    out = []
    for f in findings:
        if not settings.is_enabled(f.code):
            continue
        if f.audit and not settings.audit_enabled(f.code):
            continue
        if ignored and f.code.startswith(tuple(ignored)):
            continue
        out.append(f)
    unused = apply_noqa and settings.is_enabled(UNUSED_NOQA) and settings.audit_enabled(UNUSED_NOQA)
    if apply_noqa and (out or unused) and "noqa" in source.lower():
        noqa = NoqaFilter(source)
        out = [f for f in out if not noqa.suppresses(f.line, f.code)]
        if unused and not (ignored and UNUSED_NOQA.startswith(tuple(ignored))):
            from netra_ws_lint.rules.nws9_tool.unused_noqa import unused_noqa_findings

            out += unused_noqa_findings(noqa, settings)
    # one rule flags one place once
    return sorted(set(out), key=Finding.sort_key)


def check_source(
    source: str,
    path: str,
    settings: Settings,
    rule_set: RuleSet | None = None,
    apply_noqa: bool = True,
) -> list[Finding]:
    """Check one file's text. Never raises for any input text."""
    source = normalize_newlines(source)
    if "skip-file" in source and SKIP_FILE_RE.search(source):
        return []
    tree = parse_source(source, path)
    if isinstance(tree, Finding):
        findings = [tree]
    else:
        findings = run_rules(
            tree, source, path, settings, rule_set or RuleSet.for_settings(settings)
        )
    return select_findings(findings, source, path, settings, apply_noqa)


def check_file(
    path: Path, settings: Settings, rule_set: RuleSet | None = None, display: str | None = None
) -> CheckResult:
    """Read, decode and check one file; I/O problems become a skip reason."""
    name = display or str(path)
    try:
        data = read_source_bytes(path)
    except OSError as exc:
        return CheckResult(name, skipped=f"cannot read: {exc.strerror or exc}")
    return check_bytes(data, name, settings, rule_set)


def read_source_bytes(path: Path) -> bytes:
    """The bytes of a file to check; :class:`OSError` (with a ``strerror`` fit for a
    one-line message) for anything that is not a readable regular file
    (:func:`.fsutil.read_regular_file`: a FIFO never blocks, a device is never read)."""
    return read_regular_file(path, SOURCE_LIMIT)


def check_bytes(
    data: bytes, name: str, settings: Settings, rule_set: RuleSet | None = None
) -> CheckResult:
    try:
        source = decode_source(data)
    except DecodeError as exc:
        if settings.is_enabled(SYNTAX_ERROR):
            return CheckResult(name, [Finding(1, 0, SYNTAX_ERROR, str(exc))])
        return CheckResult(name)
    findings = check_source(source, name, settings, rule_set)
    return CheckResult(name, findings, source=source if findings else None)
