"""``netra-ws-lint migrate``: the plan for moving from process-wide singletons and shared
state to per-request objects built from the user's context, and (``--apply``) its
automatic part.

Every finding of every rule family is a *site*. Each file's safe fixes are applied to
its text in memory and the file is checked again: what is left is manual work, the rest
is automatic (not a guess). The plan lists only files with work; it groups the sites
by root cause (one accessor's module-level instances across N modules are one group),
rolls them up per package (sites, automatic, manual), gives an order of work (what
unblocks most first), and for every function acting for one user without a context
(NWS302) its callers and call chains, each ending where a context is available or where
one must be created.

A dry run prints the plan and writes nothing, except the reports asked for:
``--report-dir`` (Markdown and JSON; default under the cache directory, which git
ignores) and ``--html FILE`` (the dashboard, :mod:`netra_ws_lint.report.dashboard`;
``--history N`` adds a burndown over the last N commits). ``--apply`` writes the fixed
files (atomically, verified) after copying each original into a timestamped backup
directory; ``--thread-context`` also threads the user context through the call chains
(:mod:`netra_ws_lint.fix.thread`). ``--validate-only`` writes nothing and exits 1 while
anything deprecated is left.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from netra_ws_lint import __version__
from netra_ws_lint.analysis.scopes import FUNCTION_TYPES
from netra_ws_lint.analysis.semantic import Context
from netra_ws_lint.config import ConfigError, Settings
from netra_ws_lint.engine.discovery import PYTHON_SUFFIXES, discover
from netra_ws_lint.engine.pipeline import (
    SYNTAX_ERROR,
    RuleSet,
    check_source,
    normalize_newlines,
    parse_source,
)
from netra_ws_lint.engine.runner import plan_run
from netra_ws_lint.model import Finding
from netra_ws_lint.report.escape import markdown_code, terminal
from netra_ws_lint.rules.base import all_rules

PROG = "netra-ws-lint"
REPORT_MD = "migration-report.md"
REPORT_JSON = "migration-report.json"
REPORT_SUBDIR = "migration"  # under the cache directory
DEFAULT_BACKUP_DIR = ".netra-ws-lint-backups"
SHOWN_PER_GROUP = 12  # sites listed per group in the Markdown plan (JSON has all)

# "anything deprecated" for --validate-only: every NWS1 finding
DEPRECATED_PREFIX = "NWS1"
# one site, one code: when several rules report one position, the first of these wins
PRIMARY = ("NWS103", "NWS101", "NWS301", "NWS303", "NWS105", "NWS102")
# the findings on the call a module-level instance binds are part of that one site
FOLDED_INTO_INSTANCE = ("NWS101", "NWS105", "NWS301")
# what is left to a person, per rule (each rule's `migration_advice`)
REASONS = {
    code: rule.migration_advice for code, rule in all_rules().items() if rule.migration_advice
}
UNSAFE_REASON = (
    "passing the context changes what the callee does: `{prog} check --fix "
    "--unsafe-fixes` does it ({message}); review the callee's fallback"
)
UNSAFE_REASONS = {
    "NWS208": "`{prog} check --fix --unsafe-fixes` does it ({message}); an unset variable "
    "then raises `LookupError` instead of `AttributeError`, and a value set in a task is "
    "not seen by its parent",
}
# rules whose sites the plan lists once per distinct reason (NWS208: once per
# thread-local attribute, however many functions use it)
ONE_ENTRY_PER_REASON = ("NWS208",)


def _one_per_reason(sites: list[Site]) -> list[Site]:
    seen: set[tuple[str, str]] = set()
    out = []
    for site in sites:
        if site.code in ONE_ENTRY_PER_REASON:
            if (site.code, site.reason) in seen:
                continue
            seen.add((site.code, site.reason))
        out.append(site)
    return out


def is_migration_code(code: str) -> bool:
    """Every rule family is migration work, except the tool's own findings."""
    return code.startswith("NWS") and not code.startswith("NWS9")


@dataclass
class Site:
    line: int
    column: int
    code: str
    message: str
    text: str
    fix: str  # "safe", "unsafe", "manual" or "none"
    reason: str = ""
    also: tuple[str, ...] = ()  # other codes reported at the same position
    automatic: bool = False  # the automatic fixes resolve it
    keyed: bool = False  # shared state already keyed by a user identity

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "also": list(self.also),
            "message": self.message,
            "source": self.text,
            "fix": self.fix,
            "automatic": self.automatic,
            "reason": self.reason,
        }


@dataclass
class FileReport:
    path: str
    status: str = "clean"  # clean, auto-fixable, manual, error
    reasons: list[str] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)  # every finding, one per position
    manual: list[Site] = field(default_factory=list)  # what is left after the fixes
    context_sources: list[str] = field(default_factory=list)
    fixed: int = 0  # with --apply: sites fixed
    backup: str | None = None
    error: str | None = None
    source: str = field(default="", repr=False)
    # the lines of the NWS302 findings in ``source`` (context threading's targets)
    no_context_lines: list[int] = field(default_factory=list, repr=False)

    @property
    def fixable(self) -> int:
        return sum(s.automatic for s in self.sites)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "reasons": self.reasons,
            "sites": [s.as_dict() for s in self.sites],
            "user_context_sources": self.context_sources,
            "automatic_sites": self.fixable,
            "manual": [s.as_dict() for s in self.manual],
            "fixed_sites": self.fixed,
            "backup": self.backup,
            "error": self.error,
        }


def _site(f: Finding, lines: list[str]) -> Site:
    text = lines[f.line - 1].strip() if 0 < f.line <= len(lines) else ""
    if f.fix is not None:
        kind, reason = f.fix.applicability, f.fix.message
        if kind == "manual" or not f.fix.edits:
            kind = "manual"
        elif kind == "unsafe":
            template = UNSAFE_REASONS.get(f.code, UNSAFE_REASON)
            reason = template.format(prog=PROG, message=f.fix.message)
    else:
        kind, reason = "none", REASONS.get(f.code, f.message)
    return Site(f.line, f.col + 1, f.code, f.message, text, kind, reason)


def _rank(code: str) -> tuple[int, str]:
    return (PRIMARY.index(code) if code in PRIMARY else len(PRIMARY), code)


def sites_of(findings: Sequence[Finding], lines: list[str]) -> list[Site]:
    """One site per position (several rules reporting one call are one site), and a
    module-level instance (NWS103) takes in the findings on the call it binds."""
    by_pos: dict[tuple[int, int], list[Finding]] = {}
    for f in findings:
        by_pos.setdefault((f.line, f.col), []).append(f)
    instances = {f.line: (f.line, f.col) for f in findings if f.code == "NWS103"}
    for pos in list(by_pos):
        home = instances.get(pos[0])
        if home is not None and home != pos:
            taken = [f for f in by_pos[pos] if f.code in FOLDED_INTO_INSTANCE]
            if taken:
                by_pos[home] += taken
                by_pos[pos] = [f for f in by_pos[pos] if f not in taken]
                if not by_pos[pos]:
                    del by_pos[pos]
    out = []
    for pos in sorted(by_pos):
        group = sorted(by_pos[pos], key=lambda f: _rank(f.code))
        site = _site(group[0], lines)
        site.also = tuple(f.code for f in group[1:])
        out.append(site)
    return _one_per_reason(out)


KEYED_REASON = (
    "already keyed by a user identity: remove the user's entries when their session "
    "ends, or keep them on the per-request object or in an external per-user store"
)


KEYED_METHODS = frozenset({"setdefault", "pop", "get"})


def _mark_keyed(sites: list[Site], tree: ast.Module, settings: Settings) -> None:
    """Mark the shared-state sites (NWS201/NWS202/NWS204) whose mutation is keyed by
    a user identity (``CACHE[user_id] = ...``): "key it per user" is not their advice."""
    from netra_ws_lint.analysis.idioms import mutation_keys
    from netra_ws_lint.analysis.vocabulary import is_identity_value

    wanted = {(s.line, s.column - 1): s for s in sites if s.code in ("NWS201", "NWS202", "NWS204")}
    if not wanted:
        return
    for node in ast.walk(tree):
        site = wanted.get((getattr(node, "lineno", 0), getattr(node, "col_offset", -1)))
        if site is None or not isinstance(node, ast.stmt):
            continue
        # ``X.setdefault(user_id, [])``: only the keyed methods' first argument is a key
        mutation = node.value if isinstance(node, ast.Expr) else node
        keys = mutation_keys(mutation, KEYED_METHODS)
        if any(is_identity_value(k, settings.words) for k in keys):
            site.keyed = True
            if site.fix == "none":
                site.reason = KEYED_REASON


def context_sources(tree: ast.Module, source: str, path: str, settings: Settings) -> list[str]:
    """Where the file has a user context: parameters, ``self.<attr>`` of classes whose
    ``__init__`` takes one, and locals bound from one."""
    ctx = Context(tree, source, path, settings)
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, FUNCTION_TYPES):
            cp = ctx.context_param(node)
            if cp is not None:
                out.append(
                    (
                        node.lineno,
                        f"line {node.lineno}: parameter `{cp.param.name}` of `{node.name}`",
                    )
                )
            for sub in ast.walk(node):
                if (
                    isinstance(sub, ast.Assign)
                    and len(sub.targets) == 1
                    and isinstance(sub.targets[0], ast.Name)
                    and sub.targets[0].id in settings.words.context_names
                    and ctx.is_context_value(sub.value)
                ):
                    out.append(
                        (
                            sub.lineno,
                            f"line {sub.lineno}: local `{sub.targets[0].id}` in `{node.name}`",
                        )
                    )
        elif isinstance(node, ast.ClassDef):
            cp = ctx.class_context_param(node)
            attr = ctx.self_context_attr(node, cp) if cp is not None else None
            if attr:
                out.append(
                    (node.lineno, f"line {node.lineno}: `self.{attr}` in class `{node.name}`")
                )
    return [text for _, text in sorted(set(out))]


def analyse(
    data: bytes,
    display: str,
    settings: Settings,
    rule_set: RuleSet | None,
    unsafe: bool,
    checker: Callable[[str], list[Finding]] | None = None,
    checked: tuple[str | None, list[Finding]] | None = None,
) -> tuple[FileReport, bytes | None]:
    """The report of one file, and its fixed bytes when the fixes change it.
    ``checker``: how a text of the file is checked (default: on its own; the command
    passes its run's, against the whole project); ``checked``: the text the run checked
    (None: not kept, the file had no findings) and its findings, not checked again."""
    from netra_ws_lint.fix.apply import FixError, decode, fix_bytes

    def check(text: str) -> list[Finding]:
        if checked is not None:
            known, found = checked
            if (known is None and not found) or (
                known is not None and normalize_newlines(known.lstrip("\ufeff")) == text
            ):
                return list(found)
        if checker is not None:
            return checker(text)
        return check_source(text, display, settings, rule_set)

    report = FileReport(display)
    try:
        raw, _ = decode(data)
    except FixError as exc:
        report.status, report.error = "error", str(exc)
        report.reasons = [str(exc)]
        return report, None
    text = normalize_newlines(raw.lstrip("\ufeff"))
    tree = parse_source(text, display)
    if not isinstance(tree, ast.Module):
        report.status, report.error = "error", f"does not parse: {tree.message}"
        report.reasons = ["syntax error: fix the file first (it was not checked)"]
        return report, None
    report.source = text  # (the tree is not kept: a project's trees are too large)
    lines = text.split("\n")
    findings = [f for f in check(text) if is_migration_code(f.code)]
    checked = None  # the fixed text is checked afresh
    report.no_context_lines = [f.line for f in findings if f.code == "NWS302"]
    report.sites = sites_of(findings, lines)
    _mark_keyed(report.sites, tree, settings)
    if not findings:
        return report, None
    report.context_sources = context_sources(tree, text, display, settings)
    fixed: bytes | None = None
    left = report.sites
    try:
        result = fix_bytes(data, display, settings, unsafe, rule_set, checker)
    except FixError as exc:
        report.error = str(exc)
    else:
        if result.changed:
            fixed = result.fixed
            new_text = normalize_newlines(decode(fixed)[0].lstrip("\ufeff"))
            again = [f for f in check(new_text) if is_migration_code(f.code)]
            left = sites_of(again, new_text.split("\n"))
    report.manual = left
    # per code, the sites the fixes resolved: those with a fix first
    left_codes = Counter(s.code for s in left)
    allowed = ("safe", "unsafe") if unsafe else ("safe",)
    for code in {s.code for s in report.sites}:
        mine = sorted(
            (s for s in report.sites if s.code == code), key=lambda s: s.fix not in allowed
        )
        resolved = max(len(mine) - left_codes[code], 0)
        for s in mine[:resolved]:
            s.automatic = True
    if report.manual:
        report.status = "manual"
        report.reasons = sorted({s.reason for s in report.manual})
    else:
        report.status = "auto-fixable"
    return report, fixed


# ---------------------------------------------------------------- backups


def _backup_root(base: Path) -> Path:
    """A new timestamped directory under ``base`` (with a ``.gitignore``)."""
    from netra_ws_lint.engine.fsutil import ensure_directory, write_new_file

    try:  # never through a symbolic link (a committed backup directory linking elsewhere)
        ensure_directory(base, base.parent)
        ignore = base / ".gitignore"
        if not os.path.lexists(ignore):
            write_new_file(ignore, b"# netra-ws-lint migrate backups\n*\n", base)
    except OSError as exc:
        raise ConfigError(
            f"{base}: cannot create the backup directory: {exc.strerror or exc}"
        ) from None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        candidate = base / (stamp if n == 0 else f"{stamp}-{n}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise ConfigError(f"{base}: cannot create a backup directory")


def _report_top(report_dir: Path, cache_dir: Path) -> Path:
    """Below which directory the report's directories may be created."""
    return cache_dir.parent if _inside(report_dir, cache_dir) else report_dir.parent


def _check_report_dir(report_dir: Path, top: Path) -> None:
    """:class:`ConfigError` unless the reports can be written in ``report_dir``
    (created if need be, never through a symbolic link)."""
    from netra_ws_lint.engine.fsutil import ensure_directory

    try:
        ensure_directory(report_dir, top)
    except OSError as exc:
        raise ConfigError(
            f"{report_dir}: cannot hold the migration report: {exc.strerror or exc}; "
            "nothing changed (give another --report-dir)"
        ) from None
    for name in (REPORT_JSON, REPORT_MD):
        path = report_dir / name
        if os.path.islink(path) or (os.path.lexists(path) and not path.is_file()):
            raise ConfigError(f"{path}: not a regular file; nothing changed")
    if not os.access(report_dir, os.W_OK):
        raise ConfigError(f"{report_dir}: not writable; nothing changed")


def _inside(path: Path, root: Path) -> bool:
    from netra_ws_lint.engine.fsutil import resolved

    try:
        resolved(path).relative_to(resolved(root))
        return True
    except ValueError:
        return False


def backup_file(path: Path, root: Path, backup_dir: Path, data: bytes) -> Path:
    """Save ``data``, the contents of ``path`` (inside ``root``), at the same relative
    place under ``backup_dir`` (never through a symbolic link)."""
    from netra_ws_lint.engine.fsutil import write_new_file

    rel = path.resolve().relative_to(root.resolve())
    target = backup_dir / rel
    write_new_file(target, data, backup_dir)
    return target


# ---------------------------------------------------------------- the plan

_SYMBOL_RE = re.compile(r"`([\w.]+)(?:\(\))?`")
# root causes, in the order of work: (phase, what to do)
CAUSES: dict[str, tuple[int, str]] = {
    "no-context": (
        1,
        "functions act for one user without a user context: thread one in from the "
        "callers where it is available (`migrate --thread-context`); where a chain starts "
        "without one, create the context at that entry point",
    ),
    "import-time": (
        2,
        "built once at import time and shared by every user: build it per request from "
        "the user's context and pass it to the code that used the module-level name",
    ),
    "accessor": (
        3,
        "calls of a process-wide accessor or singleton getter: call the factory with the "
        "user context (automatic where a proven context is in scope)",
    ),
    "context": (
        3,
        "a factory or user-scoped object built without the user context in scope, or a "
        "callee not given it",
    ),
    "shared-state": (
        4,
        "state shared by every user (module or class containers, locks, caches, "
        "thread-locals, context-var defaults): key it per user or move it into the "
        "per-request object",
    ),
    "keyed-state": (
        4,
        "process-wide containers already keyed by a user identity: the entries outlive "
        "the request and live in one process only; remove each user's entries when "
        "their session ends (or bound the container), or keep the state on the "
        "per-request object or in an external store scoped per user",
    ),
    "placeholder": (4, "contexts with a placeholder user id or built at import time"),
    "definition": (
        5,
        "the singleton definitions and deprecated imports: remove them once nothing calls "
        "them (they unblock nothing, so they come last)",
    ),
}


def _cause(site: Site) -> tuple[str, str]:
    """(root cause, symbol) of a site: sites with the same pair are one group."""
    symbols = _SYMBOL_RE.findall(site.message)
    code = site.code
    if code == "NWS302":
        return "no-context", ""
    if code == "NWS103":
        return "import-time", symbols[1] if len(symbols) > 1 else ""
    if code in ("NWS101", "NWS105"):
        return "accessor", symbols[0] if symbols else ""
    if code in ("NWS102", "NWS104"):
        return "definition", ""
    if code in ("NWS301", "NWS303", "NWS305"):
        return "context", ""
    if code == "NWS304":
        return "placeholder", ""
    if site.keyed:
        return "keyed-state", ""
    return "shared-state", ""


def _title(cause: str, symbol: str) -> str:
    if cause == "import-time":
        return f"module-level instances of `{symbol}()`" if symbol else "module-level instances"
    if cause == "accessor":
        return f"calls of `{symbol}()`" if symbol else "calls of process-wide accessors"
    return {
        "shared-state": "state shared by every user",
        "keyed-state": "per-user state kept in process-wide containers",
        "no-context": "functions acting for one user without a user context",
        "context": "user context not passed",
        "placeholder": "placeholder user contexts",
        "definition": "singleton definitions and deprecated imports",
    }[cause]


def _package(path: str) -> str:
    parent = Path(path).parent.as_posix()
    return parent if parent not in ("", ".") else "(top level)"


def _chains_for(graph: Any, report: FileReport, site: Site) -> dict[str, Any] | None:
    from netra_ws_lint.analysis.callgraph import CONTEXT_AVAILABLE

    fn = graph.function_at(report.path, site.line) if graph is not None else None
    if fn is None:
        return None
    chains, more = graph.chains(fn)
    callers = []
    for cs in graph.callers.get(fn.qualname, []):
        callers.append(
            {
                "caller": cs.caller.qualname if cs.caller else "(module level)",
                "path": cs.path,
                "line": cs.line,
                "context": cs.context,
                "status": "context available" if cs.context else "context must be created",
            }
        )
    return {
        "function": fn.qualname,
        "callers": callers,
        "unresolved_calls": [{"path": p, "line": line} for p, line in graph.maybe_calls(fn)],
        "chains": [{"calls": c.names(fn), "status": c.status, "entry": c.entry} for c in chains],
        "more_chains": more,
        "threadable": bool(chains)
        and all(c.status == CONTEXT_AVAILABLE for c in chains)
        and not more
        and not graph.maybe_calls(fn)
        and not graph.referenced.get(fn.qualname),
    }


def build_plan(
    files: Sequence[FileReport], graph: Any, mode: str, backup: str | None = None
) -> dict[str, Any]:
    """The plan as plain data (the JSON report; the Markdown and the dashboard are
    rendered from it)."""
    work = sorted((f for f in files if f.sites or f.status == "error"), key=lambda f: f.path)
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    packages: dict[str, dict[str, Any]] = {}
    for f in work:
        pkg = packages.setdefault(
            _package(f.path),
            {"package": _package(f.path), "files": 0, "sites": 0, "automatic": 0, "manual": 0},
        )
        pkg["files"] += 1
        if f.status == "error":
            pkg["sites"] += 1
            pkg["manual"] += 1
        for s in f.sites:
            cause, symbol = _cause(s)
            g = groups.setdefault(
                (cause, symbol),
                {
                    "cause": cause,
                    "symbol": symbol,
                    "title": _title(cause, symbol),
                    "what_to_do": CAUSES[cause][1],
                    "phase": CAUSES[cause][0],
                    "codes": [],
                    "sites": [],
                    "modules": [],
                    "manual_modules": [],
                    "automatic": 0,
                    "manual": 0,
                },
            )
            entry = {"path": f.path, **s.as_dict()}
            if s.code == "NWS302":
                chains = _chains_for(graph, f, s)
                if chains is not None:
                    entry["call_chains"] = chains
            g["sites"].append(entry)
            if s.code not in g["codes"]:
                g["codes"].append(s.code)
            if f.path not in g["modules"]:
                g["modules"].append(f.path)
            if not s.automatic and f.path not in g["manual_modules"]:
                g["manual_modules"].append(f.path)
            key = "automatic" if s.automatic else "manual"
            g[key] += 1
            pkg["sites"] += 1
            pkg[key] += 1
    ordered = sorted(groups.values(), key=lambda g: (g["phase"], -len(g["sites"]), g["title"]))
    order: list[dict[str, Any]] = []
    automatic = sum(g["automatic"] for g in ordered)
    if automatic:
        order.append(
            {
                "title": "apply the automatic fixes",
                "command": f"{PROG} migrate --apply (or {PROG} check --fix)",
                "sites": automatic,
                "why": "proven-safe edits; they clear the way for the rest",
            }
        )
    for g in ordered:
        if not g["manual"]:
            continue
        step = {
            "title": g["title"],
            "sites": g["manual"],
            "modules": len(g["manual_modules"]),
            "why": g["what_to_do"],
        }
        if g["cause"] == "no-context":
            threadable = [s for s in g["sites"] if s.get("call_chains", {}).get("threadable")]
            step["threadable"] = len(threadable)
            if threadable:
                step["command"] = f"{PROG} migrate --thread-context --apply"
        order.append(step)
    for i, step in enumerate(order, 1):
        step["step"] = i
    errors = [f for f in work if f.status == "error"]
    summary = {
        "files_checked": len(files),
        "files_with_work": len(work),
        "sites": sum(len(f.sites) for f in work) + len(errors),
        "automatic": sum(f.fixable for f in work),
        "manual": sum(len(f.sites) - f.fixable for f in work) + len(errors),
        "errors": len(errors),
        "fixed_sites": sum(f.fixed for f in work) if mode == "apply" else 0,
        "by_rule": dict(sorted(Counter(s.code for f in work for s in f.sites).items())),
    }
    return {
        "tool": PROG,
        "version": __version__,
        "mode": mode,
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "summary": summary,
        "backup_dir": backup,
        "order_of_work": order,
        "packages": sorted(packages.values(), key=lambda p: (-p["sites"], p["package"])),
        "groups": ordered,
        "files": [f.as_dict() for f in work],
        "manual_intervention": manual_list(work),
    }


def manual_list(files: Sequence[FileReport]) -> list[dict[str, Any]]:
    out = []
    for f in sorted(files, key=lambda f: f.path):
        if f.status == "error":
            out.append(
                {
                    "path": f.path,
                    "line": 1,
                    "code": SYNTAX_ERROR,
                    "message": f.error,
                    "reason": f.reasons[0] if f.reasons else "",
                    "source": "",
                }
            )
        for s in sorted(f.manual, key=lambda s: (s.line, s.column, s.code)):
            out.append(
                {
                    "path": f.path,
                    "line": s.line,
                    "code": s.code,
                    "message": s.message,
                    "reason": s.reason,
                    "source": s.text,
                }
            )
    return out


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def _md(text: str) -> str:
    """Text of the plan (may hold code spans) for a Markdown line or table cell: no
    control or bidi character from the repository, no table break."""
    return terminal(text).replace("|", "\\|")


def report_markdown(data: dict[str, Any]) -> str:
    s = data["summary"]
    mode = "applied" if data["mode"] == "apply" else "dry run (nothing changed)"
    out = [
        "# netra-ws-lint migration plan",
        "",
        f"Mode: {mode}. {PROG} {data['version']}, {data['generated']}.",
        "",
        f"{_n(s['sites'], 'site')} in {_n(s['files_with_work'], 'file')} (of "
        f"{s['files_checked']} checked): {s['automatic']} automatic, {s['manual']} manual"
        + (f", {s['errors']} files that do not parse" if s["errors"] else "")
        + (f"; {s['fixed_sites']} fixed" if data["mode"] == "apply" else "")
        + ".",
    ]
    if data["backup_dir"]:
        out.append(f"Backups: {markdown_code(data['backup_dir'])}.")
    if not s["sites"]:
        return "\n".join([*out, "", "Nothing to migrate."]) + "\n"
    out += ["", "## Order of work", ""]
    for step in data["order_of_work"]:
        extra = f" (`{step['command']}`)" if step.get("command") else ""
        where = f" in {_n(step['modules'], 'file')}" if step.get("modules") else ""
        out.append(f"{step['step']}. {step['title']}: {_n(step['sites'], 'site')}{where}{extra}")
    out += ["", "## Packages", "", "| package | files | sites | automatic | manual |"]
    out.append("|---|---:|---:|---:|---:|")
    for p in data["packages"]:
        out.append(
            f"| {_md(markdown_code(p['package']))} | {p['files']} | {p['sites']} "
            f"| {p['automatic']} | {p['manual']} |"
        )
    for g in data["groups"]:
        out += [
            "",
            f"## {g['title']} ({', '.join(g['codes'])}): {_n(len(g['sites']), 'site')} in "
            f"{_n(len(g['modules']), 'file')}, {g['automatic']} automatic, {g['manual']} manual",
            "",
            g["what_to_do"] + ".",
            "",
        ]
        for site in g["sites"][:SHOWN_PER_GROUP]:
            how = "automatic" if site["automatic"] else f"manual: {_md(site['reason'])}"
            also = f" (also {', '.join(site['also'])})" if site["also"] else ""
            place = markdown_code(f"{site['path']}:{site['line']}")
            out.append(f"- {place} {site['code']}{also}: {how}")
            chains = site.get("call_chains")
            if chains:
                out += _chain_lines(chains)
        if len(g["sites"]) > SHOWN_PER_GROUP:
            out.append(f"- ... and {len(g['sites']) - SHOWN_PER_GROUP} more (see the JSON report)")
    errors = [m for m in data["manual_intervention"] if m["code"] == SYNTAX_ERROR]
    if errors:
        out += ["", "## Files that do not parse", ""]
        out += [f"- {markdown_code(m['path'])}: {_md(m['message'] or '')}" for m in errors]
    return "\n".join(out) + "\n"


def _chain_lines(chains: dict[str, Any]) -> list[str]:
    out = []
    if not chains["chains"]:
        return ["  - no callers in the project: context must be created here"]
    out.append("  - | call chain | context available | context must be created |")
    out.append("    |---|---|---|")
    for c in chains["chains"]:
        path = " -> ".join(_md(markdown_code(n.rpartition(".")[2])) for n in c["calls"])
        yes = "yes" if c["status"] == "context available" else ""
        no = f"at {_md(markdown_code(c['entry']))}" if c["status"] != "context available" else ""
        out.append(f"    | {path} | {yes} | {no} |")
    if chains["more_chains"]:
        out.append(f"    | ... {chains['more_chains']} more | | |")
    for u in chains["unresolved_calls"]:
        place = markdown_code(f"{u['path']}:{u['line']}")
        out.append(f"  - maybe called at {place} (through an object)")
    return out


# ---------------------------------------------------------------- command


def add_parser(sub: Any, add_selection: Any) -> None:
    mig = sub.add_parser(
        "migrate",
        help="print the migration plan (dry run), or --apply its automatic part",
    )
    mig.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    mig.add_argument(
        "--apply",
        action="store_true",
        help="apply the automatic fixes (backing up every changed file)",
    )
    mig.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="count (and with --apply, apply) the unsafe fixes too (they change behaviour)",
    )
    mig.add_argument(
        "--thread-context",
        action="store_true",
        help="thread the user context through the call chains of NWS302 functions "
        "(unsafe: it changes signatures; shown as a diff unless --apply)",
    )
    mig.add_argument(
        "--validate-only",
        action="store_true",
        help="write nothing; exit 1 while anything deprecated (NWS1) is left",
    )
    mig.add_argument(
        "--report-dir",
        type=Path,
        nargs="?",
        const=False,  # not a str, so type= leaves it: the default place
        metavar="DIR",
        help=f"write {REPORT_MD} and {REPORT_JSON} here (without DIR: "
        f"{REPORT_SUBDIR}/ in the cache directory, which git ignores)",
    )
    mig.add_argument(
        "--html",
        type=Path,
        metavar="FILE",
        help="write the dashboard (one self-contained HTML file)",
    )
    mig.add_argument(
        "--history",
        type=int,
        default=0,
        metavar="N",
        help="with --html: a burndown over the last N commits (read from git objects, cached)",
    )
    mig.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="the cache (default: .netra-ws-lint-cache at the project root)",
    )
    mig.add_argument(
        "--backup-dir",
        type=Path,
        metavar="DIR",
        help=f"backups of the changed files go to a timestamped directory here "
        f"(default: {DEFAULT_BACKUP_DIR} at the project root)",
    )
    mig.add_argument("--no-backup", action="store_true", help="with --apply: no backups")
    add_selection(mig, stdin=False)


def _write_file(
    path: Path,
    root: Path,
    data: bytes,
    original: bytes,
    args: argparse.Namespace,
    backup_base: Path,
    state: dict[str, Any],
    stdout: TextIO,
    stderr: TextIO,
) -> bool:
    """Write one migrated file (backed up first); False with a message when it is not."""
    from netra_ws_lint.engine.fsutil import refuse_to_write, rewrite_file

    display = terminal(os.path.relpath(path))  # a name from the repository
    refused = refuse_to_write(path, [Path(p) for p in args.paths or ["."]])
    if refused:
        print(f"{PROG}: error: {display}: {refused}", file=stderr)
        return False
    if not args.no_backup:
        if not _inside(path, root):
            print(
                f"{PROG}: error: {display}: outside the project root {root}: not "
                "changed (no place for its backup)",
                file=stderr,
            )
            return False
        if state.get("backup_dir") is None:
            state["backup_dir"] = _backup_root(backup_base)
            # before any file changes: whatever happens next, the backups are known
            print(f"{PROG}: backups in {os.path.relpath(state['backup_dir'])}", file=stdout)
        try:
            target = backup_file(path, root, state["backup_dir"], original)
        except OSError as exc:
            print(
                f"{PROG}: error: {display}: cannot back up: {exc.strerror or exc}; not changed",
                file=stderr,
            )
            return False
        state.setdefault("backups", {})[str(path)] = os.path.relpath(target)
    try:
        rewrite_file(path, original, data)
    except OSError as exc:
        print(f"{PROG}: error: {display}: not changed: {exc.strerror or exc}", file=stderr)
        return False
    return True


def cmd_migrate(
    args: argparse.Namespace, overrides: dict[str, Any], stdout: TextIO, stderr: TextIO
) -> int:
    from netra_ws_lint.engine.cache import default_directory
    from netra_ws_lint.engine.fsutil import write_new_file
    from netra_ws_lint.engine.pipeline import read_source_bytes
    from netra_ws_lint.report.paths import project_root

    if args.paths == ["-"]:
        raise ConfigError("migrate: give files or directories, not stdin")
    if args.validate_only and (args.apply or args.thread_context):
        raise ConfigError("migrate: --validate-only excludes --apply and --thread-context")
    if args.history < 0:
        raise ConfigError("migrate: --history needs a number of commits (0 or more)")
    if args.history and args.html is None:
        raise ConfigError("migrate: --history draws the burndown of --html FILE")
    root = project_root()
    backup_base = (args.backup_dir or root / DEFAULT_BACKUP_DIR).absolute()
    cache_dir = (args.cache_dir or default_directory()).absolute()
    report_dir: Path | None = None
    if args.report_dir is not None:
        given = args.report_dir
        report_dir = (cache_dir / REPORT_SUBDIR if given is False else given).absolute()
        if not args.validate_only:  # the reports can be written: checked before any change
            _check_report_dir(report_dir, _report_top(report_dir, cache_dir))
    if args.config is not None and not args.config.is_file():
        raise ConfigError(f"{args.config}: no such configuration file")
    targets, problems = discover(
        args.paths or ["."], overrides, args.config, args.force_exclude, args.respect_gitignore
    )
    targets = [t for t in targets if t.path.name.endswith(PYTHON_SUFFIXES)]
    status = 0
    for p in problems:
        print(f"{PROG}: error: {terminal(p.display)}: {terminal(p.message)}", file=stderr)
        status = 2
    rule_sets: dict[Settings, RuleSet] = {}
    files: list[FileReport] = []
    originals: dict[str, tuple[Path, bytes, Settings]] = {}
    fixed_bytes: dict[str, bytes] = {}
    for t in targets:
        if not t.path.name.endswith(PYTHON_SUFFIXES):
            continue
        if _inside(t.path, backup_base):
            continue  # our own backups are never migrated again
        try:
            originals[t.display] = (t.path, read_source_bytes(t.path), t.settings)
        except OSError as exc:
            shown = terminal(t.display)
            print(f"{PROG}: error: {shown}: cannot read: {exc.strerror or exc}", file=stderr)
            status = 2
    # every file is checked as `check` checks it: against the whole project
    checked = [t for t in targets if t.display in originals]
    run, others = plan_run(
        checked, args.paths or ["."], overrides, args.config, args.respect_gitignore, cache=False
    )
    # every file checked once by the run's workers: a file's first check is that one
    results = run.check([(t.path, t.display, t.settings) for t in checked], others)
    first: dict[str, tuple[str | None, list[Finding]]] = {}
    if len(results) == len(checked):
        for t, result in zip(checked, results):
            if not result.skipped:  # (no result cache here: the findings keep their fixes)
                first[t.display] = (result.source, result.findings)
    del results
    checkers: dict[str, Callable[[str], list[Finding]]] = {}
    for display, (path, data, settings) in originals.items():

        def checker(
            text: str, path: Path = path, display: str = display, settings: Settings = settings
        ) -> list[Finding]:
            return run.recheck(path, display, settings, source=text).findings

        checkers[display] = checker
        rules = rule_sets.setdefault(settings, RuleSet.for_settings(settings))
        report, fixed = analyse(
            data, display, settings, rules, args.unsafe_fixes, checker, first.pop(display, None)
        )
        files.append(report)
        if fixed is not None:
            fixed_bytes[display] = fixed
    if args.thread_context:
        from netra_ws_lint.fix.thread import thread_files

        threaded = thread_files(
            {d: (p, fixed_bytes.get(d, data), s) for d, (p, data, s) in originals.items()},
            stderr,
            args.unsafe_fixes,
            checkers,
            {f.path: (f.source, f.no_context_lines) for f in files if f.path not in fixed_bytes},
        )
        for display, new in threaded.items():
            fixed_bytes[display] = new
        if not args.apply:
            from netra_ws_lint.fix.apply import FixResult, unified_diff

            for display in sorted(threaded):
                stdout.write(
                    unified_diff(FixResult(display, originals[display][1], threaded[display]))
                )
    # the plan's call graph (of the files as they were), built after the threading's
    # own graphs are gone: one at a time (their files' summaries are shared)
    graph = _graph(files, originals)
    state: dict[str, Any] = {}
    if args.apply:
        by_display = {f.path: f for f in files}
        for display in sorted(fixed_bytes):
            path, original, _ = originals[display]
            if fixed_bytes[display] == original:
                continue
            if not _write_file(
                path,
                root,
                fixed_bytes[display],
                original,
                args,
                backup_base,
                state,
                stdout,
                stderr,
            ):
                status = 2
                continue
            report = by_display[display]
            report.fixed = report.fixable
            report.backup = state.get("backups", {}).get(str(path))
    if args.validate_only:
        deprecated = [
            (f.path, s.line, s.column, code, s.message)
            for f in files
            for s in f.sites
            for code in (s.code, *s.also)
            if code.startswith(DEPRECATED_PREFIX)
        ]
        for where, line, column, code, message in sorted(deprecated):
            print(f"{terminal(where)}:{line}:{column}: {code} {terminal(message)}", file=stdout)
        n = len(deprecated)
        print(
            f"{PROG}: {n} deprecated site{'s' * (n != 1)} left"
            + (": the migration is not finished" if n else ""),
            file=stderr,
        )
        return max(status, 1 if deprecated else 0)
    backup_dir = state.get("backup_dir")
    plan = build_plan(
        files,
        graph,
        "apply" if args.apply else "dry-run",
        os.path.relpath(backup_dir) if backup_dir else None,
    )
    markdown = report_markdown(plan)
    stdout.write(markdown)
    if report_dir is not None:
        top = _report_top(report_dir, cache_dir)
        try:
            if _inside(report_dir, cache_dir) and not os.path.lexists(cache_dir / ".gitignore"):
                write_new_file(cache_dir / ".gitignore", b"*\n", cache_dir.parent)
            write_new_file(
                report_dir / REPORT_JSON, (json.dumps(plan, indent=2) + "\n").encode(), top
            )
            write_new_file(report_dir / REPORT_MD, markdown.encode("utf-8"), top)
        except OSError as exc:
            raise ConfigError(
                f"{report_dir}: cannot write the report: {exc.strerror or exc}"
            ) from None
        print(
            f"{PROG}: wrote {os.path.relpath(report_dir / REPORT_MD)} and "
            f"{os.path.relpath(report_dir / REPORT_JSON)}",
            file=stderr,
        )
    if args.html is not None:
        from netra_ws_lint.report.dashboard import render
        from netra_ws_lint.report.history import history_counts

        history: list[dict[str, Any]] = []
        if args.history:
            history = history_counts(
                args.history,
                [Path(p) for p in args.paths or ["."]],
                overrides,
                args.config,
                cache_dir,
                count_sources,
                stderr,
            )
        html = args.html.absolute()
        try:
            write_new_file(html, render(plan, history).encode("utf-8"), html.parent)
        except OSError as exc:
            raise ConfigError(
                f"{args.html}: cannot write the dashboard: {exc.strerror or exc}"
            ) from None
        print(f"{PROG}: wrote {os.path.relpath(args.html)}", file=stderr)
    return status


def count_sources(files: Sequence[tuple[str, bytes, Settings, Path]]) -> dict[str, Any]:
    """The plan's counts for these files as they were (a burndown point), computed as
    the headline is: every file checked against the project the files make up, one
    site per position, automatic when the safe fixes resolve it (the file fixed and
    checked again), by rule."""
    from netra_ws_lint.analysis.project import ModuleId, ProjectIndex
    from netra_ws_lint.engine.facts import facts_from_source
    from netra_ws_lint.engine.pipeline import DecodeError, check, decode_source
    from netra_ws_lint.report.paths import project_root

    root = project_root()
    texts: list[tuple[str, bytes, str, Settings, ModuleId]] = []
    entries = []
    for display, data, settings, real in files:
        try:
            text = decode_source(data)
        except DecodeError:
            continue
        module = ModuleId.of(real, root, settings)
        texts.append((display, data, text, settings, module))
        entry = facts_from_source(normalize_newlines(text), display, module, settings)
        if entry is not None:
            entries.append(entry)
    by_rule: Counter[str] = Counter()
    automatic = sites = 0
    projects: dict[Settings, ProjectIndex] = {}
    for display, data, _text, settings, module in texts:
        project = projects.get(settings)
        if project is None:
            project = projects[settings] = ProjectIndex(entries, settings).join()

        def checker(
            source: str, display: str = display, s: Settings = settings, m: ModuleId = module
        ) -> list[Finding]:
            return check(display, s, source=source, project=projects[s], module=m).findings

        report, _ = analyse(data, display, settings, None, False, checker)
        if report.status == "error":
            sites += 1  # as the headline counts a file that does not parse
            continue
        for site in report.sites:
            sites += 1
            by_rule[site.code] += 1
        automatic += report.fixable
    return {
        "sites": sites,
        "automatic": automatic,
        "manual": sites - automatic,
        "by_rule": dict(sorted(by_rule.items())),
    }


def _graph(files: Sequence[FileReport], originals: dict[str, tuple[Path, bytes, Settings]]) -> Any:
    from netra_ws_lint.analysis.callgraph import CallGraph

    return CallGraph.build(
        (originals[f.path][0], f.path, f.source, originals[f.path][2])
        for f in files
        if f.status != "error"
    )
