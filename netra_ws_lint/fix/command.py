"""``check --fix`` / ``--unsafe-fixes`` / ``--diff`` / ``--show-fixes``: the command-line
side of :mod:`.fixes` (which is imported only when one of them is given)."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from netra_ws_lint.config import Settings
from netra_ws_lint.engine.pipeline import CheckResult, DecodeError, decode_source
from netra_ws_lint.engine.runner import Run
from netra_ws_lint.model import Finding
from netra_ws_lint.report.escape import terminal
from netra_ws_lint.report.output import Reported
from netra_ws_lint.rules.base import all_rules

if TYPE_CHECKING:
    from netra_ws_lint.fix.apply import Checker

PROG = "netra-ws-lint"
FIX_CODES = frozenset(code for code, rule in all_rules().items() if rule.fixable)


def _may_fix(f: Finding) -> bool:
    """A finding of a rule that makes fixes (the custom NWS5xx rules may have one)."""
    return f.code in FIX_CODES or f.code.startswith("NWS5")


def _checker(run: Run, file: Path, settings: Settings) -> Checker:
    """How a text of ``file`` is checked: through the run's project model."""

    def check_text(text: str) -> list[Finding]:
        return run.recheck(file, str(file), settings, source=text).findings

    return check_text


def _thread(
    results: list[tuple[CheckResult, Settings]], stderr: TextIO, run: Run
) -> dict[str, tuple[bytes, bytes]]:
    """With ``--unsafe-fixes``: thread the user context through the checked files
    (:mod:`.thread`); for each file it changes, the bytes read and the new bytes (not
    written yet)."""
    from netra_ws_lint.engine.pipeline import read_source_bytes
    from netra_ws_lint.fix.thread import CODE, thread_files

    if not any(f.code == CODE for r, _ in results for f in r.findings):
        return {}
    files = {}
    known: dict[str, tuple[str, list[int]]] = {}  # what the check found: not checked again
    for result, settings in results:
        if result.skipped:
            continue
        try:
            files[result.path] = (Path(result.path), read_source_bytes(Path(result.path)), settings)
        except OSError:
            continue
        lines = [f.line for f in result.findings if f.code == CODE]
        if result.source is not None:
            known[result.path] = (result.source, lines)
        elif not result.findings:  # no findings (their text is not kept): as read now
            with contextlib.suppress(DecodeError):
                known[result.path] = (decode_source(files[result.path][1]), [])
    checkers = {path: _checker(run, Path(path), s) for path, (_, _, s) in files.items()}
    new = thread_files(files, stderr, checkers=checkers, known=known)
    return {path: (files[path][1], data) for path, data in new.items()}


def _same_text(data: bytes, source: str | None) -> bool:
    """``data`` decodes to ``source``, the text the findings were computed on."""
    try:
        return source is not None and decode_source(data) == source
    except DecodeError:
        return False


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def run_fixes(
    results: list[tuple[CheckResult, Settings]],
    args: argparse.Namespace,
    stdout: TextIO,
    stderr: TextIO,
    run: Run,
) -> tuple[list[tuple[CheckResult, Settings]], int, int]:
    """Fix (or, with ``--diff``, print the diff of) every file with fixable findings.
    Every pass and the re-check go through ``run`` (the project model of the check).
    Returns the results, re-checked where a file changed, a status (1 when ``--diff``
    printed a diff, 2 when a file could not be fixed, else 0) and the findings fixed."""
    from netra_ws_lint.fix.apply import (
        ChangedMeanwhile,
        FixError,
        fix_file,
        fixable,
        unified_diff,
    )

    unsafe = bool(args.unsafe_fixes)
    write = not args.diff
    out: list[tuple[CheckResult, Settings]] = []
    fixed: list[tuple[str, list[Finding]]] = []
    status = 0
    threaded = _thread(results, stderr, run) if unsafe else {}
    for result, settings in results:
        # the findings may come from the result cache, which keeps no fixes: any
        # finding of a rule with fixes makes the file a candidate (fix_file re-checks)
        if result.skipped or not (
            fixable(result.findings, unsafe)
            or any(_may_fix(f) for f in result.findings)
            or result.path in threaded
        ):
            out.append((result, settings))
            continue
        file = Path(result.path)

        def check_text(
            text: str, file: Path = file, settings: Settings = settings
        ) -> list[Finding]:
            return run.recheck(file, str(file), settings, source=text).findings

        try:
            fr = fix_file(
                file,
                settings,
                unsafe,
                None,
                result.path,
                write=write,
                roots=[Path(p) for p in args.paths or ["."]],
                checker=check_text,
                start=threaded.get(result.path),
            )
        except ChangedMeanwhile as exc:
            # an editor or another run changed it: not an error; report what it holds now
            print(f"{PROG}: {result.path}: {exc}", file=stderr)
            out.append((run.recheck(file, result.path, settings), settings))
            continue
        except FixError as exc:
            print(f"{PROG}: error: {result.path}: {exc}", file=stderr)
            status = 2
            out.append((result, settings))
            continue
        if fr.changed:
            fixed.append((result.path, fr.applied))
            if args.diff:
                stdout.write(unified_diff(fr))
                status = max(status, 1)
            else:
                result = run.recheck(file, result.path, settings)
        elif not _same_text(fr.original, result.source):
            # changed since it was checked (another run fixed it): report what it holds
            result = run.recheck(file, result.path, settings, data=fr.original)
        out.append((result, settings))
    n = sum(len(a) for _, a in fixed)
    verb = "Would fix" if args.diff else "Fixed"
    if not getattr(args, "quiet", False) or status:
        print(
            f"{PROG}: {verb} {_plural(n, 'finding')} in {_plural(len(fixed), 'file')}.",
            file=stderr,
        )
    if args.show_fixes and fixed:
        stream = (
            stdout
            if not args.diff and args.output_format in ("concise", "full", "grouped")
            else stderr
        )
        stream.write(f"{verb}:\n")
        for path, applied in fixed:
            for f in applied:
                assert f.fix is not None
                shown, message = terminal(path), terminal(f.fix.message)
                stream.write(f"  {shown}:{f.line}:{f.col + 1}: {f.code} {message}\n")
    return out, status, n


def show_available(
    reported: Sequence[Reported], args: argparse.Namespace, stdout: TextIO, stderr: TextIO
) -> None:
    """``--show-fixes`` without ``--fix``: the fix (or why there is none) of each finding."""
    stream = stdout if args.output_format in ("concise", "full", "grouped") else stderr
    rows = [r for r in reported if not r.finding.code.startswith("NWS9") or r.finding.fix]
    if not rows:
        return
    stream.write("Fixes:\n")
    counts = {"safe": 0, "unsafe": 0, "manual": 0}
    rules = all_rules()
    for r in sorted(rows, key=Reported.sort_key):
        f = r.finding
        if f.fix is not None and f.fix.edits:
            kind, why = f.fix.applicability, f.fix.message
        else:  # no fix: manual work, as `migrate` counts it
            kind = "manual"
            rule = rules.get(f.code)
            why = (
                f.fix.message
                if f.fix is not None
                else (rule.migration_advice if rule is not None else "") or "no automatic fix"
            )
        counts[kind] = counts.get(kind, 0) + 1
        stream.write(
            f"  {terminal(r.path)}:{f.line}:{f.col + 1}: {f.code} [{kind}] {terminal(why)}\n"
        )
    stream.write(
        f"{counts['safe']} fixable with --fix, {counts['unsafe']} more with --unsafe-fixes, "
        f"{counts['manual']} need manual work.\n"
    )


def fill_fixes(
    results: list[tuple[CheckResult, Settings]], run: Run
) -> list[tuple[CheckResult, Settings]]:
    """The results with the fixes of their findings: a file whose findings of the rules
    with fixes carry none (they came from the result cache, which keeps no fixes) is
    checked again, in this process."""
    out = []
    for result, settings in results:
        if any(_may_fix(f) and f.fix is None for f in result.findings):
            again = run.recheck(Path(result.path), result.path, settings)
            if not again.skipped and set(again.findings) == set(result.findings):
                result = again
        out.append((result, settings))
    return out
