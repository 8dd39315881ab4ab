"""``netra-ws-lint migrate``: plan (and with ``--apply`` carry out) the move from the
process-wide accessor to per-request factories, and report what needs a person.

For every Python file under the paths: a status (``clean``, ``auto-fixable`` or
``manual``, with the reasons), the deprecated imports and calls with their lines, the
user-context sources found, and a complexity score. The status is not a guess: the safe
fixes are applied to the file's text in memory and the file is checked again; what is
left is the manual work. Reports: ``migration-report.md`` and ``migration-report.json``
in ``--report-dir``. ``--apply`` writes the fixed files (atomically, verified, see
:mod:`.fixes`) after copying each original into a timestamped backup directory.
``--validate-only`` writes nothing and exits 1 while anything deprecated is left.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import time
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
from netra_ws_lint.rules.base import all_rules

PROG = "netra-ws-lint"
REPORT_MD = "migration-report.md"
REPORT_JSON = "migration-report.json"
DEFAULT_REPORT_DIR = "netra-ws-lint-migration"
DEFAULT_BACKUP_DIR = ".netra-ws-lint-backups"

# the rules of the migration, what is left to a person and what it costs: from each
# rule's `migration`, `migration_advice` and `migration_weight`
MIGRATION_CODES = tuple(code for code, rule in all_rules().items() if rule.migration)
# "anything deprecated" for --validate-only: every NWS1 finding
DEPRECATED_PREFIX = "NWS1"
# complexity points per site left to a person, by rule (an automatic fix costs 1)
WEIGHTS = {code: all_rules()[code].migration_weight for code in MIGRATION_CODES}
MANUAL_WEIGHT = 3
REASONS = {
    code: all_rules()[code].migration_advice
    for code in MIGRATION_CODES
    if all_rules()[code].migration_advice
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


@dataclass
class Site:
    line: int
    column: int
    code: str
    message: str
    text: str
    fix: str  # "safe", "unsafe", "manual" or "none"
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
            "source": self.text,
            "fix": self.fix,
            "reason": self.reason,
        }


@dataclass
class FileReport:
    path: str
    status: str = "clean"  # clean, auto-fixable, manual, error
    reasons: list[str] = field(default_factory=list)
    imports: list[Site] = field(default_factory=list)
    calls: list[Site] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)  # every migration finding
    manual: list[Site] = field(default_factory=list)  # what is left after the safe fixes
    fixable: int = 0  # sites the safe fixes resolve
    context_sources: list[str] = field(default_factory=list)
    complexity: int = 0
    fixed: int = 0  # with --apply: sites fixed
    backup: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "reasons": self.reasons,
            "complexity": self.complexity,
            "deprecated_imports": [s.as_dict() for s in self.imports],
            "deprecated_calls": [s.as_dict() for s in self.calls],
            "user_context_sources": self.context_sources,
            "auto_fixable_sites": self.fixable,
            "manual": [s.as_dict() for s in self.manual],
            "fixed_sites": self.fixed,
            "backup": self.backup,
            "error": self.error,
        }


def _site(f: Finding, lines: list[str]) -> Site:
    text = lines[f.line - 1].strip() if 0 < f.line <= len(lines) else ""
    if f.fix is not None:
        kind, reason = f.fix.applicability, f.fix.message
        if kind == "manual" or (kind != "manual" and not f.fix.edits):
            kind = "manual"
        elif kind == "unsafe":
            template = UNSAFE_REASONS.get(f.code, UNSAFE_REASON)
            reason = template.format(prog=PROG, message=f.fix.message)
    else:
        kind, reason = "none", REASONS.get(f.code, f.message)
    return Site(f.line, f.col + 1, f.code, f.message, text, kind, reason)


def context_sources(tree: ast.Module, source: str, path: str, settings: Settings) -> list[str]:
    """Where the file has a user context: parameters, ``self.<attr>`` of classes whose
    ``__init__`` takes one, and locals bound from one."""
    ctx = Context(tree, source, path, settings)
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, FUNCTION_TYPES):
            cp = ctx.context_param(node)
            if cp is not None:
                out.append(f"line {node.lineno}: parameter `{cp.param.name}` of `{node.name}`")
            for sub in ast.walk(node):
                if (
                    isinstance(sub, ast.Assign)
                    and len(sub.targets) == 1
                    and isinstance(sub.targets[0], ast.Name)
                    and sub.targets[0].id in settings.words.context_names
                    and ctx.is_context_value(sub.value)
                ):
                    out.append(f"line {sub.lineno}: local `{sub.targets[0].id}` in `{node.name}`")
        elif isinstance(node, ast.ClassDef):
            cp = ctx.class_context_param(node)
            attr = ctx.self_context_attr(node, cp) if cp is not None else None
            if attr:
                out.append(f"line {node.lineno}: `self.{attr}` in class `{node.name}`")
    return sorted(set(out), key=lambda s: (int(s.split(":")[0][5:]), s))


def analyse(
    data: bytes,
    display: str,
    settings: Settings,
    rule_set: RuleSet | None,
    unsafe: bool,
    checker: Callable[[str], list[Finding]] | None = None,
) -> tuple[FileReport, bytes | None]:
    """The report of one file, and its fixed bytes when the safe fixes change it.
    ``checker``: how a text of the file is checked (default: on its own; the command
    passes its run's, so that what it lists is what ``check`` reports)."""
    from netra_ws_lint.fix.apply import FixError, decode, fix_bytes

    if checker is None:

        def checker(text: str) -> list[Finding]:
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
        report.complexity = MANUAL_WEIGHT
        return report, None
    lines = text.split("\n")
    findings = [f for f in checker(text) if f.code in MIGRATION_CODES]
    report.sites = _one_per_reason([_site(f, lines) for f in findings])
    report.imports = [s for s in report.sites if s.code == "NWS102"]
    report.calls = [s for s in report.sites if s.code == "NWS101"]
    report.context_sources = context_sources(tree, text, display, settings)
    if not findings:
        return report, None
    fixed: bytes | None = None
    left = findings
    try:
        result = fix_bytes(data, display, settings, unsafe, rule_set, checker)
    except FixError as exc:
        report.error = str(exc)
    else:
        if result.changed:
            fixed = result.fixed
            new_text = normalize_newlines(decode(fixed)[0].lstrip("\ufeff"))
            left = [f for f in checker(new_text) if f.code in MIGRATION_CODES]
            lines = new_text.split("\n")
    report.manual = _one_per_reason([_site(f, lines) for f in left])
    counted = [s for s in report.sites if s.code != "NWS102"]
    left_sites = [s for s in report.manual if s.code != "NWS102"]
    report.fixable = max(len(counted) - len(left_sites), 0)
    report.complexity = report.fixable + sum(WEIGHTS.get(s.code, MANUAL_WEIGHT) for s in left_sites)
    if report.error and not report.manual:
        report.manual = report.sites
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


# ---------------------------------------------------------------- reports


def _summary(files: Sequence[FileReport], applied: bool) -> dict[str, Any]:
    sites = sum(len([s for s in f.sites if s.code != "NWS102"]) for f in files)
    manual = sum(len([s for s in f.manual if s.code != "NWS102"]) for f in files)
    return {
        "files": len(files),
        "clean": sum(f.status == "clean" for f in files),
        "auto_fixable": sum(f.status == "auto-fixable" for f in files),
        "manual": sum(f.status == "manual" for f in files),
        "errors": sum(f.status == "error" for f in files),
        "sites": sites,
        "auto_fixable_sites": sum(f.fixable for f in files),
        "manual_sites": manual,
        "fixed_sites": sum(f.fixed for f in files) if applied else 0,
        "deprecated_imports": sum(len(f.imports) for f in files),
        "deprecated_calls": sum(len(f.calls) for f in files),
        "complexity": sum(f.complexity for f in files),
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


def report_json(files: Sequence[FileReport], mode: str, backup: str | None) -> dict[str, Any]:
    return {
        "tool": PROG,
        "version": __version__,
        "mode": mode,
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "summary": _summary(files, mode == "apply"),
        "backup_dir": backup,
        "files": [f.as_dict() for f in sorted(files, key=lambda f: f.path)],
        "manual_intervention": manual_list(files),
    }


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def report_markdown(data: dict[str, Any]) -> str:
    s = data["summary"]
    mode = "applied" if data["mode"] == "apply" else "dry run (nothing changed)"
    out = [
        "# netra-ws-lint migration report",
        "",
        f"Mode: {mode}. Generated {data['generated']} by {PROG} {data['version']}.",
        "",
        "| | |",
        "|---|---|",
        f"| files | {s['files']} ({s['clean']} clean, {s['auto_fixable']} auto-fixable, "
        f"{s['manual']} need manual work, {s['errors']} errors) |",
        f"| sites | {s['sites']} ({s['auto_fixable_sites']} auto-fixable, "
        f"{s['manual_sites']} manual) |",
        f"| deprecated imports / calls | {s['deprecated_imports']} / {s['deprecated_calls']} |",
        f"| complexity score | {s['complexity']} |",
    ]
    if data["mode"] == "apply":
        out.append(f"| fixed | {s['fixed_sites']} sites |")
        if data["backup_dir"]:
            out.append(f"| backups | `{data['backup_dir']}` |")
    out += [
        "",
        "Complexity: 1 point per automatic fix, 3 per site left to a person, 5 per "
        "module-level instance or singleton definition.",
        "",
        "## Files",
        "",
    ]
    for f in data["files"]:
        out.append(f"### `{f['path']}`: {f['status']} (complexity {f['complexity']})")
        out.append("")
        if f["status"] == "clean" and not f["user_context_sources"]:
            out += ["Nothing to migrate.", ""]
            continue
        for r in f["reasons"]:
            out.append(f"- needs: {r}")
        for title, key in (
            ("Deprecated imports", "deprecated_imports"),
            ("Deprecated calls", "deprecated_calls"),
        ):
            if f[key]:
                out.append(f"- {title}:")
                for site in f[key]:
                    how = {
                        "safe": "automatic fix",
                        "unsafe": "unsafe fix",
                        "manual": "manual",
                        "none": "with the calls",
                    }[site["fix"]]
                    out.append(f"  - line {site['line']}: `{_md(site['source'])}` ({how})")
        if f["user_context_sources"]:
            out.append("- User-context sources:")
            out += [f"  - {_md(src)}" for src in f["user_context_sources"]]
        if data["mode"] == "apply" and f["fixed_sites"]:
            out.append(f"- Fixed {f['fixed_sites']} site(s); backup: `{f['backup']}`")
        out.append("")
    out += ["## Manual intervention", ""]
    if not data["manual_intervention"]:
        out.append("None: every site can be migrated automatically.")
    for item in data["manual_intervention"]:
        out.append(
            f"- `{item['path']}:{item['line']}` {item['code']}: {_md(item['reason'])}"
            + (f" (`{_md(item['source'])}`)" if item["source"] else "")
        )
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- command


def add_parser(sub: Any, add_selection: Any) -> None:
    mig = sub.add_parser(
        "migrate",
        help="plan the move to per-request factories (dry run), or --apply the safe fixes",
    )
    mig.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    mig.add_argument(
        "--apply", action="store_true", help="apply the safe fixes (backing up every changed file)"
    )
    mig.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="count (and with --apply, apply) the unsafe fixes too (they change behaviour)",
    )
    mig.add_argument(
        "--validate-only",
        action="store_true",
        help="write nothing; exit 1 while anything deprecated (NWS1) is left",
    )
    mig.add_argument(
        "--report-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"where the Markdown and JSON reports go (default: {DEFAULT_REPORT_DIR} at the "
        "project root)",
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


def cmd_migrate(
    args: argparse.Namespace, overrides: dict[str, Any], stdout: TextIO, stderr: TextIO
) -> int:
    from netra_ws_lint.engine.fsutil import rewrite_file, write_new_file
    from netra_ws_lint.engine.pipeline import read_source_bytes
    from netra_ws_lint.report.formats import project_root

    if args.paths == ["-"]:
        raise ConfigError("migrate: give files or directories, not stdin")
    if args.validate_only and args.apply:
        raise ConfigError("migrate: --validate-only and --apply exclude each other")
    if args.config is not None and not args.config.is_file():
        raise ConfigError(f"{args.config}: no such configuration file")
    targets, problems = discover(
        args.paths or ["."], overrides, args.config, args.force_exclude, args.respect_gitignore
    )
    targets = [t for t in targets if t.path.name.endswith(PYTHON_SUFFIXES)]
    # every file is checked as `check` checks it: against the whole project
    run, others = plan_run(
        targets, args.paths or ["."], overrides, args.config, args.respect_gitignore, cache=False
    )
    run.check([], [(t.path, t.display, t.settings) for t in targets] + others)
    # the reports belong to the checked project's root; files are changed (and backed
    # up) only inside the working directory's project
    root_of = run.root_of
    checked_root = root_of(targets[0].path, targets[0].settings) if targets and root_of else None
    root = project_root()
    backup_base = (args.backup_dir or root / DEFAULT_BACKUP_DIR).absolute()
    report_dir = (args.report_dir or (checked_root or root) / DEFAULT_REPORT_DIR).absolute()
    report_top = report_dir.parent
    if not args.validate_only:  # the reports can be written: checked before any change
        _check_report_dir(report_dir, report_top)
    status = 0
    for p in problems:
        print(f"{PROG}: error: {p.display}: {p.message}", file=stderr)
        status = 2
    rule_sets: dict[Settings, RuleSet] = {}
    files: list[FileReport] = []
    backup_dir: Path | None = None
    for t in targets:
        if not t.path.name.endswith(PYTHON_SUFFIXES):
            continue
        if _inside(t.path, backup_base) or _inside(t.path, report_dir):
            continue  # our own backups are never migrated again
        rules = rule_sets.setdefault(t.settings, RuleSet.for_settings(t.settings))
        try:
            data = read_source_bytes(t.path)
        except OSError as exc:
            print(f"{PROG}: error: {t.display}: cannot read: {exc.strerror or exc}", file=stderr)
            status = 2
            continue

        def checker(text: str, t: Any = t) -> list[Finding]:
            return run.recheck(t.path, t.display, t.settings, source=text).findings

        report, fixed = analyse(data, t.display, t.settings, rules, args.unsafe_fixes, checker)
        files.append(report)
        if not args.apply or fixed is None:
            continue
        from netra_ws_lint.engine.fsutil import refuse_to_write

        refused = refuse_to_write(t.path, [Path(p) for p in args.paths or ["."]])
        if refused:
            print(f"{PROG}: error: {t.display}: {refused}", file=stderr)
            status = 2
            continue
        if not args.no_backup:
            if not _inside(t.path, root):
                print(
                    f"{PROG}: error: {t.display}: outside the project root {root}: not "
                    "changed (no place for its backup)",
                    file=stderr,
                )
                status = 2
                continue
            if backup_dir is None:
                backup_dir = _backup_root(backup_base)
                # before any file changes: whatever happens next, the backups are known
                print(f"{PROG}: backups in {os.path.relpath(backup_dir)}", file=stdout)
            try:
                report.backup = os.path.relpath(backup_file(t.path, root, backup_dir, data))
            except OSError as exc:
                print(
                    f"{PROG}: error: {t.display}: cannot back up: {exc.strerror or exc}; "
                    "not changed",
                    file=stderr,
                )
                status = 2
                continue
        try:
            rewrite_file(t.path, data, fixed)
        except OSError as exc:
            print(f"{PROG}: error: {t.display}: not changed: {exc.strerror or exc}", file=stderr)
            status = 2
            continue
        report.fixed = report.fixable
    deprecated = [
        (f.path, s)
        for f in files
        for s in (f.manual if args.apply else f.sites)
        if s.code.startswith(DEPRECATED_PREFIX)
    ]
    if args.validate_only:
        for path, s in sorted(deprecated, key=lambda x: (x[0], x[1].line, x[1].column)):
            print(f"{path}:{s.line}:{s.column}: {s.code} {s.message}", file=stdout)
        n = len(deprecated)
        print(
            f"{PROG}: {n} deprecated site{'s' * (n != 1)} left"
            + (": the migration is not finished" if n else ""),
            file=stderr,
        )
        return max(status, 1 if deprecated else 0)
    data_json = report_json(
        files,
        "apply" if args.apply else "dry-run",
        os.path.relpath(backup_dir) if backup_dir else None,
    )
    try:
        write_new_file(
            report_dir / REPORT_JSON, (json.dumps(data_json, indent=2) + "\n").encode(), report_top
        )
        write_new_file(
            report_dir / REPORT_MD, report_markdown(data_json).encode("utf-8"), report_top
        )
    except OSError as exc:
        raise ConfigError(f"{report_dir}: cannot write the report: {exc.strerror or exc}") from None
    s = data_json["summary"]
    verb = "fixed" if args.apply else "auto-fixable"
    count = s["fixed_sites"] if args.apply else s["auto_fixable_sites"]
    print(
        f"{PROG}: {s['files']} files: {s['clean']} clean, {s['auto_fixable']} auto-fixable, "
        f"{s['manual']} need manual work; {s['sites']} sites: {count} {verb}, "
        f"{s['manual_sites']} manual; complexity {s['complexity']}",
        file=stdout,
    )
    print(
        f"{PROG}: wrote {os.path.relpath(report_dir / REPORT_MD)} and "
        f"{os.path.relpath(report_dir / REPORT_JSON)}",
        file=stdout,
    )
    return status
