"""``netra-ws-lint``: the standalone command line (CI gate, pre-commit hook).

Exit status: 0 no findings, 1 findings, 2 usage/configuration error or a file that
could not be read (the other files are still checked and reported). ``check
--strict-baseline`` also exits 1 while the baseline holds fixed findings.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .baseline import DEFAULT_FILE, Entry, dumps, fingerprint_findings, load, match
from .config import ConfigError, Settings, settings_for
from .engine import SYNTAX_ERROR, CheckResult, RuleSet, check_bytes
from .files import PYTHON_SUFFIXES, discover
from .output import FORMATS, Reported, write, write_statistics

PROG = "netra-ws-lint"
# formats that carry each finding's fingerprint (see .baseline)
FINGERPRINT_FORMATS = ("gitlab", "sarif")


def _codes_arg(value: str) -> list[str]:
    return [c.strip() for c in value.split(",") if c.strip()]


def _add_selection_options(check: argparse.ArgumentParser, stdin: bool = True) -> None:
    """The rule- and file-selection options (of ``check`` and ``baseline``)."""
    sel = check.add_argument_group("rule selection")
    sel.add_argument(
        "--select",
        type=_codes_arg,
        metavar="CODES",
        help="comma-separated codes or prefixes to enable (replaces the config)",
    )
    sel.add_argument(
        "--extend-select",
        type=_codes_arg,
        metavar="CODES",
        help="codes or prefixes to enable in addition (audit rules too)",
    )
    sel.add_argument(
        "--ignore", type=_codes_arg, metavar="CODES", help="codes or prefixes to disable"
    )
    sel.add_argument(
        "--audit",
        action="store_true",
        default=None,
        help="also run the audit rules (off by default)",
    )
    sel.add_argument(
        "--per-file-ignores",
        action="append",
        metavar="GLOB:CODES",
        help="ignore codes in files matching a glob (repeatable)",
    )
    files = check.add_argument_group("file selection")
    files.add_argument(
        "--exclude",
        type=_codes_arg,
        metavar="GLOBS",
        help="globs to exclude (replaces the default list)",
    )
    files.add_argument(
        "--extend-exclude",
        type=_codes_arg,
        metavar="GLOBS",
        help="globs to exclude in addition to the defaults",
    )
    files.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply the excludes to files named on the command line too",
    )
    files.add_argument(
        "--no-respect-gitignore",
        dest="respect_gitignore",
        action="store_false",
        help="do not skip files ignored by .gitignore",
    )
    if stdin:
        files.add_argument(
            "--stdin-filename",
            metavar="PATH",
            help="the name of the file read from stdin (for config and output)",
        )
    files.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="use this pyproject.toml or setup.cfg instead of searching for one",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Find singletons and shared state that leak one user's data to another.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    check = sub.add_parser("check", help="check files and directories (default: .)")
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or directories; - for stdin")
    _add_selection_options(check)
    out = check.add_argument_group("output")
    out.add_argument("--output-format", choices=FORMATS, default="concise")
    out.add_argument("--statistics", action="store_true", help="print counts per rule instead")
    out.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    scale = check.add_argument_group("speed")
    scale.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=0,
        metavar="N",
        help="check files in N processes (default: the CPU count; 1: in this process)",
    )
    scale.add_argument(
        "--no-cache", action="store_true", help="do not read or write the result cache"
    )
    scale.add_argument(
        "--no-project",
        action="store_true",
        help="check each file on its own (project mode, the default when a directory is "
        "checked, indexes every module to see across modules)",
    )
    scale.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="the result cache (default: .netra-ws-lint-cache at the project root)",
    )
    fixing = check.add_argument_group("fixes")
    fixing.add_argument(
        "--fix", action="store_true", help="apply the safe fixes, then report what is left"
    )
    fixing.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="with --fix or --diff: also apply the unsafe fixes (they change behaviour)",
    )
    fixing.add_argument(
        "--diff",
        action="store_true",
        help="print the fixes as a unified diff, change nothing (exit 1 when there is one)",
    )
    fixing.add_argument(
        "--show-fixes",
        action="store_true",
        help="list the fixes applied, or each finding's fix (or why it needs manual work)",
    )
    gate = check.add_argument_group("CI gate")
    gate.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="report only the findings this baseline file does not record",
    )
    gate.add_argument(
        "--strict-baseline",
        action="store_true",
        help="exit 1 while the baseline records findings that are fixed",
    )
    gate.add_argument(
        "--diff-base",
        metavar="REV",
        help="report only findings on lines added or changed since this git revision",
    )
    gate.add_argument(
        "--add-noqa",
        nargs="?",
        const="",
        metavar="REASON",
        help="append `# noqa: CODE` to every flagged line instead of reporting "
        "(--add-noqa=REASON also adds the reason as a comment)",
    )

    base = sub.add_parser(
        "baseline", help="record the current findings, so that check --baseline shows new ones only"
    )
    base.add_argument(
        "action",
        choices=("create", "update"),
        help="create: record the findings under PATHS; update: record them again, "
        "keeping the entries of files not checked",
    )
    base.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    base.add_argument(
        "--file",
        type=Path,
        metavar="FILE",
        help=f"the baseline file (default: {DEFAULT_FILE} at the repository root)",
    )
    _add_selection_options(base, stdin=False)

    init = sub.add_parser(
        "init", help="add the pre-commit hook and a [tool.netra-ws-lint] table to a repository"
    )
    init.add_argument(
        "directory", nargs="?", type=Path, default=Path("."), help="the repository (default: .)"
    )
    init.add_argument(
        "--repo", metavar="URL", help="the hook's repository (default: the project's)"
    )
    init.add_argument("--rev", metavar="REV", help=f"the hook's revision (default: v{__version__})")

    from .migrate import add_parser as add_migrate_parser

    add_migrate_parser(sub, _add_selection_options)

    rule = sub.add_parser("rule", help="explain a rule, or list every rule with --all")
    rule.add_argument("code", nargs="?", help="a rule code (NWS101) or name")
    rule.add_argument("--all", action="store_true", help="list every rule")
    return parser


def _normalise_argv(argv: Sequence[str]) -> list[str]:
    """A bare ``--add-noqa`` becomes ``--add-noqa=``: its reason is given only as
    ``--add-noqa=REASON``, so a path after it stays a path."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        if arg == "--":
            return out + list(argv[i:])
        out.append("--add-noqa=" if arg == "--add-noqa" else arg)
    return out


def _lenient_streams() -> None:
    """File names that are not UTF-8 (``b"caf\\xe9.py"``) print as their own bytes on a
    UTF-8 stream, and anything a stream cannot encode prints escaped: output never
    fails on a name or a message."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None or getattr(stream, "errors", None) != "strict":
            continue
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        with contextlib.suppress(ValueError, OSError):  # a closed or odd stream
            reconfigure(errors="surrogateescape" if encoding == "utf8" else "backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    _lenient_streams()
    parser = build_parser()
    args = parser.parse_args(_normalise_argv(sys.argv[1:] if argv is None else argv))
    try:
        if args.command == "rule":
            return cmd_rule(args, sys.stdout)
        if args.command == "baseline":
            return cmd_baseline(args, sys.stderr)
        if args.command == "init":
            return cmd_init(args, sys.stdout, sys.stderr)
        if args.command == "migrate":
            from .migrate import cmd_migrate

            return cmd_migrate(args, _overrides(args), sys.stdout, sys.stderr)
        return cmd_check(args, sys.stdout, sys.stderr)
    except ConfigError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        return 130
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return 0
    except Exception as exc:  # a bug: one line, not a traceback (unless debugging)
        if os.environ.get("NETRA_WS_LINT_DEBUG"):
            raise
        print(
            f"{PROG}: internal error: {type(exc).__name__}: {exc} (please report it; "
            "set NETRA_WS_LINT_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 2


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("select", "extend_select", "ignore", "exclude", "extend_exclude"):
        value = getattr(args, key)
        if value is not None:
            out[key.replace("_", "-")] = value
    if args.audit:
        out["audit"] = True
    if args.per_file_ignores:
        out["per-file-ignores"] = "\n".join(args.per_file_ignores)
    return out


def _uses_stdin(args: argparse.Namespace) -> bool:
    return bool(args.paths == ["-"] or (not args.paths and getattr(args, "stdin_filename", None)))


def _collect(
    args: argparse.Namespace, stderr: TextIO
) -> tuple[list[tuple[CheckResult, Settings]], bool]:
    """Check the files the arguments name: each result with its settings, and whether
    a path could not be read."""
    overrides = _overrides(args)
    config_file: Path | None = args.config
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"{config_file}: no such configuration file")
    rule_sets: dict[Settings, RuleSet] = {}

    def rules_for(settings: Settings) -> RuleSet:
        if settings not in rule_sets:
            rule_sets[settings] = RuleSet.for_settings(settings)
        return rule_sets[settings]

    results: list[tuple[CheckResult, Settings]] = []
    failed = False
    if _uses_stdin(args):
        name = args.stdin_filename or "-"
        settings = settings_for(Path(name), overrides, config_file)
        results.append(
            (check_bytes(sys.stdin.buffer.read(), name, settings, rules_for(settings)), settings)
        )
    else:
        targets, problems = discover(
            args.paths or ["."], overrides, config_file, args.force_exclude, args.respect_gitignore
        )
        for p in problems:
            print(f"{PROG}: error: {p.display}: {p.message}", file=stderr)
            failed = True
        checked = []
        for t in targets:
            if not t.path.name.endswith(PYTHON_SUFFIXES):
                print(f"{PROG}: warning: {t.display}: skipped, not a Python file", file=stderr)
                continue
            checked.append(t)
        results.extend(_check_targets(args, checked))
    for r, _ in results:
        if r.skipped:
            print(f"{PROG}: error: {r.path}: {r.skipped}", file=stderr)
            failed = True
    return results, failed


def _check_targets(
    args: argparse.Namespace, targets: list[Any]
) -> list[tuple[CheckResult, Settings]]:
    """Check the discovered files: parallel (``--jobs``), cached (``--no-cache``,
    ``--cache-dir``), prefiltered, in project mode unless ``--no-project``."""
    from .runner import check_targets

    cache = None
    if not getattr(args, "no_cache", True):
        from .cache import Cache, default_directory

        cache = Cache(getattr(args, "cache_dir", None) or default_directory())
    project = not getattr(args, "no_project", False) and any(
        Path(p).is_dir() for p in (args.paths or ["."])
    )
    checked = check_targets(
        [(t.path, t.display, t.settings) for t in targets],
        jobs=getattr(args, "jobs", 0),
        cache=cache,
        project=project,
    )
    return [(r, t.settings) for r, t in zip(checked, targets)]


class _Findings:
    """The findings of a run; with fingerprints and baseline entries when asked."""

    def __init__(self, results: list[tuple[CheckResult, Settings]], fingerprinted: bool) -> None:
        from .formats import project_root, root_relative

        self.root = project_root()
        self.reported: list[Reported] = []
        self.entries: list[Entry] = []
        # files whose findings are complete (read and parsed), by root-relative path
        self.checked: dict[str, Settings] = {}
        for r, settings in results:
            if r.skipped:
                continue
            rel = root_relative(r.path, self.root)
            if not any(f.code == SYNTAX_ERROR for f in r.findings):
                self.checked[rel] = settings
            lines = r.source.split("\n") if r.source is not None else None
            fps = fingerprint_findings(r.source, rel, r.findings) if fingerprinted else None
            for i, f in enumerate(r.findings):
                src = lines[f.line - 1] if lines and 0 < f.line <= len(lines) else None
                if fps is None:
                    self.reported.append(Reported(r.path, f, src))
                    continue
                fp, scope = fps[i]
                self.reported.append(Reported(r.path, f, src, fp))
                self.entries.append(Entry(rel, f.code, scope, fp, f.message, f.audit))

    def covers(self, entry: Entry) -> bool:
        """This run decides whether ``entry`` still holds: its file was checked with its
        rule enabled, or the file is gone."""
        settings = self.checked.get(entry.path)
        if settings is None:
            return not (self.root / entry.path).exists()
        return settings.is_enabled(entry.code) and (
            not entry.audit or settings.audit_enabled(entry.code)
        )


def cmd_check(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.strict_baseline and args.baseline is None:
        raise ConfigError("--strict-baseline needs --baseline FILE")
    if args.add_noqa is not None and _uses_stdin(args):
        raise ConfigError("--add-noqa edits files; it cannot be used with stdin")
    fixing = args.fix or args.diff
    if fixing and _uses_stdin(args):
        raise ConfigError("--fix and --diff edit files; they cannot be used with stdin")
    if fixing and args.add_noqa is not None:
        raise ConfigError("--add-noqa cannot be combined with --fix or --diff")
    known = load(args.baseline) if args.baseline is not None else None
    changed = None
    if args.diff_base is not None:
        from .gitdiff import changed_lines

        changed = changed_lines(args.diff_base)

    results, failed = _collect(args, stderr)
    if fixing:
        from .fixcmd import run_fixes

        results, fix_status = run_fixes(results, args, stdout, stderr)
        if args.diff:
            return 2 if failed or fix_status == 2 else fix_status
        failed = failed or fix_status == 2
    if args.show_fixes or args.output_format in ("json", "json-lines", "sarif"):
        from .fixcmd import fill_fixes

        results = fill_fixes(results)
    found = _Findings(results, known is not None or args.output_format in FINGERPRINT_FORMATS)
    reported = found.reported
    fixed: list[Entry] = []
    if known is not None:
        is_new, unmatched = match(known, found.entries)
        reported = [r for r, new in zip(reported, is_new) if new]
        fixed = [e for e in unmatched if found.covers(e)]
        _baseline_summary(args, len(is_new) - len(reported), fixed, stderr)
    if changed is not None:
        from .formats import root_relative
        from .gitdiff import is_changed

        top, lines = changed
        reported = [
            r for r in reported if is_changed(lines, root_relative(r.path, top), r.finding.line)
        ]

    if args.add_noqa is not None:
        roots = [Path(p) for p in args.paths or ["."]]
        return _add_noqa(reported, args.add_noqa, stderr, roots) or (2 if failed else 0)
    if args.statistics:
        write_statistics(reported, stdout)
    else:
        write(reported, args.output_format, stdout)
    if args.show_fixes and not args.fix:
        from .fixcmd import show_available

        show_available(reported, args, stdout, stderr)
    if failed:
        return 2
    if args.strict_baseline and fixed:
        return 1
    return 1 if reported and not args.exit_zero else 0


def _baseline_summary(
    args: argparse.Namespace, known: int, fixed: list[Entry], stderr: TextIO
) -> None:
    line = f"{PROG}: baseline {args.baseline}: {known} known finding{'s' * (known != 1)} not shown"
    if fixed:
        line += (
            f", {len(fixed)} fixed (run `{PROG} baseline update` to drop "
            f"{'them' if len(fixed) > 1 else 'it'} from the baseline)"
        )
        if args.strict_baseline:
            line += "; --strict-baseline fails until then"
    print(line, file=stderr)
    for e in sorted(fixed, key=Entry.sort_key):
        where = f" (in {e.scope})" if e.scope else ""
        print(f"{PROG}: fixed: {e.path}: {e.code} {e.message}{where}", file=stderr)


def _add_noqa(
    reported: list[Reported], reason: str, stderr: TextIO, roots: list[Path] | None = None
) -> int:
    from .add_noqa import AddNoqaError, add_noqa_to_file

    by_file: dict[str, list[Reported]] = {}
    for r in reported:
        by_file.setdefault(r.path, []).append(r)
    lines = files = 0
    status = 0
    for path, group in sorted(by_file.items()):
        try:
            n = add_noqa_to_file(
                Path(path),
                [r.finding for r in group],
                reason,
                checked_lines=[r.source_line for r in group],
                roots=roots,
            )
        except AddNoqaError as exc:
            print(f"{PROG}: error: {path}: {exc}", file=stderr)
            status = 2
            continue
        lines += n
        files += 1 if n else 0
    print(
        f"{PROG}: added `# noqa` to {lines} line{'s' * (lines != 1)} "
        f"in {files} file{'s' * (files != 1)}",
        file=stderr,
    )
    return status


def cmd_baseline(args: argparse.Namespace, stderr: TextIO) -> int:
    from .formats import project_root
    from .fsutil import write_atomic

    if args.paths == ["-"]:
        raise ConfigError("baseline: give files or directories, not stdin")
    path: Path = args.file or project_root() / DEFAULT_FILE
    old: list[Entry] = []
    if args.action == "update":
        if not path.exists():
            raise ConfigError(f"{path}: no baseline to update; `{PROG} baseline create` makes one")
        old = load(path)
    results, failed = _collect(args, stderr)
    found = _Findings(results, fingerprinted=True)
    entries = [e for e in old if not found.covers(e)] + found.entries
    write_atomic(path, dumps(entries).encode("utf-8"))
    is_new, unmatched = match(old, entries)
    n = len(entries)
    shown = os.path.relpath(path)
    shown = shown if not shown.startswith("..") else str(path)
    line = f"{PROG}: wrote {shown}: {n} entr{'ies' if n != 1 else 'y'}"
    if args.action == "update":
        line += f" ({sum(is_new)} added, {len(unmatched)} removed)"
    print(line, file=stderr)
    return 2 if failed else 0


def cmd_init(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from .formats import TOOL_URI
    from .repo_setup import InitError, apply, plan

    if not args.directory.is_dir():
        raise ConfigError(f"init: {args.directory}: no such directory")
    try:
        changes = plan(args.directory, args.repo or TOOL_URI, args.rev)
    except InitError as exc:
        print(f"{PROG}: error: {exc}", file=stderr)
        return 2
    apply(changes)
    for change in changes:
        print(change.message, file=stdout)
    if not changes:
        print("already set up: nothing changed", file=stdout)
    return 0


def cmd_rule(args: argparse.Namespace, stdout: TextIO) -> int:
    from .docs import rule_doc, rules_listing

    if args.all:
        stdout.write(rules_listing())
        return 0
    if not args.code:
        raise ConfigError("rule: give a rule code (NWS101) or --all")
    text = rule_doc(args.code)
    if text is None:
        print(f"{PROG}: error: unknown rule {args.code!r}", file=sys.stderr)
        return 2
    stdout.write(text)
    return 0
