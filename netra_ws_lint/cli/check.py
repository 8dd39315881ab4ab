"""``netra-ws-lint check``: report, fix, gate (baseline, changed lines) or add ``# noqa``."""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from netra_ws_lint.cli.options import (
    PROG,
    Findings,
    add_selection_options,
    collect,
    overrides,
    uses_stdin,
)
from netra_ws_lint.config import ConfigError, Settings
from netra_ws_lint.engine.fsutil import write_atomic
from netra_ws_lint.model import Finding
from netra_ws_lint.report.console import COLOR_CHOICES, Progress, color_enabled, summary
from netra_ws_lint.report.escape import terminal
from netra_ws_lint.report.output import FORMATS, Reported, write, write_statistics

if TYPE_CHECKING:
    from netra_ws_lint.report.baseline import Entry

# formats that carry each finding's fingerprint (see report.baseline)
FINGERPRINT_FORMATS = ("gitlab", "sarif")
SUMMARY_FORMATS = ("concise", "full", "grouped")


def add_parser(sub: Any) -> None:
    check = sub.add_parser("check", help="check files and directories (default: .)")
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or directories; - for stdin")
    add_selection_options(check)
    out = check.add_argument_group("output")
    out.add_argument("--output-format", choices=FORMATS, default="concise")
    out.add_argument("--statistics", action="store_true", help="print counts per rule instead")
    out.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    out.add_argument(
        "--quiet", "-q", action="store_true", help="only the findings: no summary, no progress"
    )
    out.add_argument(
        "--color",
        choices=COLOR_CHOICES,
        default="auto",
        help="colour the findings (auto: on a terminal; honours NO_COLOR and FORCE_COLOR)",
    )
    out.add_argument(
        "--output-file", "-o", type=Path, metavar="FILE", help="write the report to FILE"
    )
    out.add_argument(
        "--show-settings",
        type=Path,
        metavar="FILE",
        help="print the settings that apply to FILE (its configuration and vocabulary), "
        "check nothing",
    )
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
        help="check each file on its own (by default every file is checked against the "
        "facts of the whole project, to see across modules)",
    )
    scale.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="the result cache (default: .netra-ws-lint-cache at the checked project's root)",
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
        "--exit-non-zero-on-fix",
        action="store_true",
        help="with --fix: exit 1 when a fix was applied, even if no finding is left",
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
    check.set_defaults(run=run)


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.show_settings is not None:
        from netra_ws_lint.report.show_settings import write_settings

        return write_settings(args.show_settings, overrides(args), args.config, stdout)
    if args.output_file is None:
        return _run(args, stdout, stderr, color_enabled(args.color, stdout))
    report = io.StringIO()
    status = _run(args, report, stderr, args.color == "always")
    try:
        write_atomic(args.output_file, report.getvalue().encode("utf-8", "surrogateescape"))
    except OSError as exc:
        raise ConfigError(f"--output-file {args.output_file}: {exc.strerror or exc}") from None
    return status


def _run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO, color: bool) -> int:
    if args.strict_baseline and args.baseline is None:
        raise ConfigError("--strict-baseline needs --baseline FILE")
    if args.add_noqa is not None and uses_stdin(args):
        raise ConfigError("--add-noqa edits files; it cannot be used with stdin")
    fixing = args.fix or args.diff
    if fixing and uses_stdin(args):
        raise ConfigError("--fix and --diff edit files; they cannot be used with stdin")
    if fixing and args.add_noqa is not None:
        raise ConfigError("--add-noqa cannot be combined with --fix or --diff")
    known = None
    if args.baseline is not None:
        from netra_ws_lint.report.baseline import load

        known = load(args.baseline)
    changed = None
    if args.diff_base is not None:
        from netra_ws_lint.report.gitdiff import changed_lines

        changed = changed_lines(args.diff_base)

    if args.one_shot:  # the process ends with the command (see tune_gc)
        from netra_ws_lint.engine.runner import tune_gc

        tune_gc()
    with Progress(stderr, not args.quiet) as progress:
        results, failed, run_ = collect(args, stderr, progress.update)
    fixed_count = 0
    if fixing:
        from netra_ws_lint.fix.command import run_fixes

        results, fix_status, fixed_count = run_fixes(results, args, stdout, stderr, run_)
        if args.diff:
            return 2 if failed or fix_status == 2 else fix_status
        failed = failed or fix_status == 2
    # the summary follows the findings in the formats for people
    summarize = (
        not args.quiet
        and args.add_noqa is None
        and not args.statistics
        and args.output_format in SUMMARY_FORMATS
    )
    fixes_shown = args.output_format in ("json", "json-lines", "sarif")
    if (summarize or args.show_fixes or fixes_shown) and any(r.findings for r, _ in results):
        from netra_ws_lint.fix.command import fill_fixes  # the rules: only with findings

        results = fill_fixes(results, run_)
    found = Findings(
        results,
        known is not None or changed is not None or args.output_format in FINGERPRINT_FORMATS,
    )
    keep = [True] * len(found.reported)
    flags: list[bool] | None = None
    if changed is not None:
        from netra_ws_lint.report.gate import changed_flags, new_in_change

        shown = [r.path for r in found.reported]
        flags = changed_flags(changed, shown, [r.finding.line for r in found.reported])

        def old_findings(text: str, path: str, settings: Settings) -> list[Finding]:
            return run_.recheck(Path(path), path, settings, source=text).findings

        keep = new_in_change(changed, shown, found.entries, flags, found.checked, old_findings)
    fixed: list[Entry] = []
    if known is not None:
        from netra_ws_lint.report.baseline import match

        is_new, unmatched = match(known, found.entries, flags)
        fixed = [e for e in unmatched if found.covers(e)]
        _baseline_summary(args, is_new.count(False), fixed, stderr)
        keep = [k and new for k, new in zip(keep, is_new)]
    reported = [r for r, k in zip(found.reported, keep) if k]

    if args.add_noqa is not None:
        roots = [Path(p) for p in args.paths or ["."]]
        return _add_noqa(reported, args.add_noqa, stderr, roots) or (2 if failed else 0)
    try:
        if args.statistics:
            write_statistics(reported, stdout)
        else:
            write(reported, args.output_format, stdout, color)
        if summarize:
            # on stderr, as the tool's other messages: stdout stays the report alone
            line = summary([r.finding for r in reported], color_enabled(args.color, stderr))
            print(f"{PROG}: {line}", file=stderr)
        if args.show_fixes and not args.fix:
            from netra_ws_lint.fix.command import show_available

            show_available(reported, args, stdout, stderr)
    except BrokenPipeError:  # the reader stopped (`| head -1`): the status still tells
        pass
    if failed:
        return 2
    if args.strict_baseline and fixed:
        return 1
    if args.exit_non_zero_on_fix and fixed_count:
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
    for e in sorted(fixed, key=lambda e: e.sort_key()):
        # the baseline is the repository's text: escaped for the terminal or CI log
        where = f" (in {terminal(e.scope)})" if e.scope else ""
        print(
            f"{PROG}: fixed: {terminal(e.path)}: {terminal(e.code)} {terminal(e.message)}{where}",
            file=stderr,
        )


def _add_noqa(
    reported: list[Reported], reason: str, stderr: TextIO, roots: list[Path] | None = None
) -> int:
    from netra_ws_lint.fix.add_noqa import AddNoqaError, add_noqa_to_file

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
            print(f"{PROG}: error: {terminal(path)}: {terminal(str(exc))}", file=stderr)
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
