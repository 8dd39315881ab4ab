"""The analysis core. :func:`check` is the one pipeline that checks a file: decode,
``skip-file``, prefilter, parse, the rules (one walk), the custom patterns, ``# noqa``,
selection; and, when asked, the file's facts for the project model (from the same
tree and walk). Every front end goes through it: the CLI (paths, named files, stdin,
``--fix`` and its re-check, ``--add-noqa``, ``baseline``, ``migrate``, through
:mod:`.runner`) and the flake8 plugin (with flake8's tree). :func:`check_source`,
:func:`check_bytes` and :func:`check_file` are its single-file shorthands.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netra_ws_lint.analysis.semantic import Context
from netra_ws_lint.config import Settings
from netra_ws_lint.engine.facts import ModuleId, facts_from_source, facts_from_tree
from netra_ws_lint.engine.noqa import NoqaFilter
from netra_ws_lint.engine.source import (
    CheckResult,
    DecodeError,
    decode_source,
    normalize_newlines,
    read_source_bytes,
)
from netra_ws_lint.engine.walker import Walker, parse_source
from netra_ws_lint.model import RULE_CRASHED, SYNTAX_ERROR, Finding
from netra_ws_lint.rules.base import Rule, all_rules

__all__ = [  # and what follows
    "RULE_CRASHED",
    "SYNTAX_ERROR",
    "CheckResult",
    "DecodeError",
    "Walker",
    "decode_source",
    "normalize_newlines",
    "parse_source",
    "read_source_bytes",
]

if TYPE_CHECKING:
    from netra_ws_lint.analysis.project import ProjectIndex
    from netra_ws_lint.engine.prefilter import Prefilter

SKIP_FILE_RE = re.compile(r"^[ \t\f]*#[ \t]*netra-ws-lint:[ \t]*skip-file\b", re.M | re.I)
UNUSED_NOQA = "NWS902"  # needs what each noqa comment suppressed: see select_findings


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

    def only(self, codes: Iterable[str]) -> RuleSet:
        """The rules of this set whose codes are in ``codes`` (memoised)."""
        keep = frozenset(codes)
        key = (self.rule_classes, keep)
        found = _REDUCED.get(key)
        if found is None:
            if len(_REDUCED) > 256:
                _REDUCED.clear()
            found = _REDUCED[key] = RuleSet(tuple(r for r in self.rule_classes if r.code in keep))
        return found


_REDUCED: dict[tuple[tuple[type[Rule], ...], frozenset[str]], RuleSet] = {}


def run_rules(
    tree: ast.Module,
    source: str,
    path: str,
    settings: Settings,
    rule_set: RuleSet,
    ctx: Context | None = None,
) -> list[Finding]:
    """All findings of the enabled rules on one parsed file (no noqa / selection).
    ``ctx``: the Context of this tree to walk with, prepared by its owner (project
    mode attaches its index), who releases it."""
    own = ctx is None
    if ctx is None:
        ctx = Context(tree, source, path, settings)
    rules = [cls(ctx) for cls in rule_set.rule_classes]
    walker = Walker(ctx, rules)
    try:
        walker.walk(tree)
    except RecursionError:  # a rule recursed too deep on a pathological tree
        ctx.add_finding(
            Finding(1, 0, RULE_CRASHED, "analysis stopped: the file is nested too deeply")
        )
    finally:
        if own:
            ctx.release()
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


def check(
    name: str,
    settings: Settings,
    *,
    data: bytes | None = None,
    source: str | None = None,
    tree: ast.Module | None = None,
    rule_set: RuleSet | None = None,
    prefilter: Prefilter | None = None,
    project: ProjectIndex | None = None,
    module: ModuleId | None = None,
    apply_noqa: bool = True,
    facts: bool = False,
) -> CheckResult:
    """Check one file, given its bytes (``data``), its text (``source``) or, for
    flake8, its text and parsed ``tree``. ``project`` and ``module``: the project model
    and where the file sits in it (cross-module rules); ``prefilter``: skip the rules
    that cannot fire; ``facts``: also extract the file's facts (``module`` needed).
    Never raises for any input."""
    if data is not None:
        try:
            source = decode_source(data)
        except DecodeError as exc:
            found = [Finding(1, 0, SYNTAX_ERROR, str(exc))]
            return CheckResult(name, found if settings.is_enabled(SYNTAX_ERROR) else [])
    assert source is not None
    source = normalize_newlines(source)
    want_facts = facts and module is not None
    if "skip-file" in source and SKIP_FILE_RE.search(source):
        return CheckResult(
            name, facts=_facts(source, name, settings, module, tree, None, want_facts)
        )
    rule_set = rule_set or RuleSet.for_settings(settings)
    if prefilter is not None:  # only the rules whose trigger words are in the file
        active = prefilter.active(source)
        if len(active) != len(rule_set.rule_classes):
            rule_set = rule_set.only(active)
        if not rule_set.rule_classes and not prefilter.always and not want_facts:
            if not settings.is_enabled(SYNTAX_ERROR) and "noqa" not in source.lower():
                return CheckResult(name)
            rule_set = RuleSet(())  # parse only, for NWS900 (and NWS902's noqa comments)
    if tree is None:
        parsed = parse_source(source, name)
        if isinstance(parsed, Finding):
            return _result(name, [parsed], source, settings, apply_noqa, None)
        tree = parsed

    findings: list[Finding] = []
    if not (rule_set.rule_classes or settings.patterns or want_facts):
        return _result(name, findings, source, settings, apply_noqa, None)  # parsed only
    ctx = Context(tree, source, name, settings)
    ctx.project = project
    if module is not None:
        ctx.module_name, ctx.is_package = module.name, module.is_package
    try:
        if rule_set.rule_classes or settings.patterns:
            findings = run_rules(tree, source, name, settings, rule_set, ctx=ctx)
        walked = findings if any(r.code == "NWS104" for r in rule_set.rule_classes) else None
        # the facts share the walk's analyses of the tree (its bindings, its request
        # handlers) when the walk was without the project, as the facts are
        shared = ctx if project is None else None
        file_facts = _facts(source, name, settings, module, tree, walked, want_facts, shared)
    finally:
        ctx.release()
    return _result(name, findings, source, settings, apply_noqa, file_facts)


def _result(
    name: str,
    findings: list[Finding],
    source: str,
    settings: Settings,
    apply_noqa: bool,
    facts: dict[str, Any] | None,
) -> CheckResult:
    selected = select_findings(findings, source, name, settings, apply_noqa)
    return CheckResult(name, selected, source=source if selected else None, facts=facts)


def _facts(
    source: str,
    name: str,
    settings: Settings,
    module: ModuleId | None,
    tree: ast.Module | None,
    walked: list[Finding] | None,
    wanted: bool,
    ctx: Context | None = None,
) -> dict[str, Any] | None:
    if not wanted or module is None:
        return None
    if tree is None:
        return facts_from_source(source, name, module, settings)
    try:
        return facts_from_tree(tree, source, name, module, settings, walked, ctx)
    except (RecursionError, MemoryError):
        return None


def check_source(
    source: str,
    path: str,
    settings: Settings,
    rule_set: RuleSet | None = None,
    apply_noqa: bool = True,
) -> list[Finding]:
    """The findings of one file's text, checked on its own."""
    return check(path, settings, source=source, rule_set=rule_set, apply_noqa=apply_noqa).findings


def check_file(
    path: Path, settings: Settings, rule_set: RuleSet | None = None, display: str | None = None
) -> CheckResult:
    """Read and check one file on its own; I/O problems become a skip reason."""
    name = display or str(path)
    try:
        data = read_source_bytes(path)
    except OSError as exc:
        return CheckResult(name, skipped=f"cannot read: {exc.strerror or exc}")
    return check(name, settings, data=data, rule_set=rule_set)


def check_bytes(
    data: bytes, name: str, settings: Settings, rule_set: RuleSet | None = None
) -> CheckResult:
    """Check one file's bytes on its own."""
    return check(name, settings, data=data, rule_set=rule_set)
