"""What the commands share: the rule and file selection options, and checking the
files they name through the engine (:func:`collect`), with each finding's fingerprint
and baseline entry (:class:`Findings`)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from netra_ws_lint.cli import PROG
from netra_ws_lint.config import ConfigError, Settings, settings_for
from netra_ws_lint.engine.discovery import (
    PYTHON_SUFFIXES,
    GitIgnores,
    discover,
    is_excluded,
    project_files,
    project_root,
    rule_codes,
)
from netra_ws_lint.engine.runner import Run, new_run, plan_run, plan_snapshot
from netra_ws_lint.engine.source import CheckResult
from netra_ws_lint.model import SYNTAX_ERROR
from netra_ws_lint.report.escape import terminal
from netra_ws_lint.report.output import Reported

if TYPE_CHECKING:
    from netra_ws_lint.report.baseline import Entry

__all__ = ["PROG"]  # the program name, for the commands


def codes_arg(value: str) -> list[str]:
    return [c.strip() for c in value.split(",") if c.strip()]


def add_selection_options(check: argparse.ArgumentParser, stdin: bool = True) -> None:
    """The rule- and file-selection options (of ``check`` and ``baseline``)."""
    sel = check.add_argument_group("rule selection")
    sel.add_argument(
        "--select",
        type=codes_arg,
        metavar="CODES",
        help="comma-separated codes or prefixes to enable (replaces the config)",
    )
    sel.add_argument(
        "--extend-select",
        type=codes_arg,
        metavar="CODES",
        help="codes or prefixes to enable in addition (audit rules too)",
    )
    sel.add_argument(
        "--ignore", type=codes_arg, metavar="CODES", help="codes or prefixes to disable"
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
        type=codes_arg,
        metavar="GLOBS",
        help="globs to exclude (replaces the default list)",
    )
    files.add_argument(
        "--extend-exclude",
        type=codes_arg,
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


def overrides(args: argparse.Namespace) -> dict[str, Any]:
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


def uses_stdin(args: argparse.Namespace) -> bool:
    return bool(args.paths == ["-"] or (not args.paths and getattr(args, "stdin_filename", None)))


def collect(
    args: argparse.Namespace,
    stderr: TextIO,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[list[tuple[CheckResult, Settings]], bool, Run]:
    """Check the files the arguments name: each result with its settings, whether a
    path could not be read, and the run (to check files again as it did).

    Every front end comes here: directories, files named one by one and stdin are all
    checked by :class:`~.engine.runner.Run` against the project model of their project
    root (the configuration root, else the git root, else the common directory of the
    paths), so ``check FILE`` reports what ``check .`` reports for that file.
    ``progress``: see :meth:`.runner.Run.check`."""
    options = overrides(args)
    config_file: Path | None = args.config
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"{config_file}: no such configuration file")
    project = not getattr(args, "no_project", False)
    respect_gitignore = getattr(args, "respect_gitignore", True)
    results: list[tuple[CheckResult, Settings]] = []
    failed = False
    if uses_stdin(args):
        name = args.stdin_filename or "-"
        path = Path(name).absolute() if name != "-" else Path.cwd() / "-"
        settings = settings_for(Path(name), options, config_file, rule_codes)
        root = project_root(path, settings) or path.parent
        run = new_run(
            root,
            project,
            lambda _p, _s: root,
            cache=not getattr(args, "no_cache", True),
            cache_dir=getattr(args, "cache_dir", None),
        )
        if getattr(args, "force_exclude", False) and name != "-" and (
            is_excluded(path, settings, False)
            or (respect_gitignore and GitIgnores().ignored(path, False))
        ):
            # an editor's buffer of an excluded file: nothing to report (as ruff does)
            sys.stdin.buffer.read()
            return results, False, run
        if project:  # the facts of the whole project; this file's from its text
            files = project_files(root, options, config_file, respect_gitignore)
            run.check([], [(t.path, t.display, t.settings) for t in files])
        data = sys.stdin.buffer.read()
        results.append((run.recheck(path, name, settings, data=data), settings))
        return results, False, run
    paths = args.paths or ["."]
    cache = not getattr(args, "no_cache", True)
    if project and cache and len(paths) == 1 and not args.force_exclude:
        # a warm check of a whole project: its files from its snapshot, if it holds
        planned = plan_snapshot(
            paths[0],
            options,
            config_file,
            respect_gitignore,
            cache_dir=getattr(args, "cache_dir", None),
            jobs=getattr(args, "jobs", 0),
        )
        answered = planned[0].answer(planned[1]) if planned is not None else None
        if planned is not None and answered is not None:
            results.extend((r, s) for r, (_, _, s) in zip(answered, planned[1]))
            return results, _report_skipped(results, stderr), planned[0]
        # (else a file's findings are not in the cache: walked, as without a snapshot)
    targets, problems = discover(paths, options, config_file, args.force_exclude, respect_gitignore)
    for p in problems:
        print(f"{PROG}: error: {terminal(p.display)}: {terminal(p.message)}", file=stderr)
        failed = True
    checked = []
    for t in targets:
        if not t.path.name.endswith(PYTHON_SUFFIXES):
            shown = terminal(t.display)
            print(f"{PROG}: warning: {shown}: skipped, not a Python file", file=stderr)
            continue
        checked.append(t)
    run, others = plan_run(
        checked,
        paths,
        options,
        config_file,
        respect_gitignore,
        project=project,
        cache=cache,
        cache_dir=getattr(args, "cache_dir", None),
        jobs=getattr(args, "jobs", 0),
    )
    done = run.check([(t.path, t.display, t.settings) for t in checked], others, progress)
    results.extend((r, t.settings) for r, t in zip(done, checked))
    return results, _report_skipped(results, stderr) or failed, run


def _report_skipped(results: list[tuple[CheckResult, Settings]], stderr: TextIO) -> bool:
    """Report each file that could not be checked; whether there was one."""
    failed = False
    for r, _ in results:
        if r.skipped:
            print(f"{PROG}: error: {r.path}: {r.skipped}", file=stderr)
            failed = True
    return failed


class Findings:
    """The findings of a run; with fingerprints and baseline entries when asked."""

    def __init__(self, results: list[tuple[CheckResult, Settings]], fingerprinted: bool) -> None:
        from netra_ws_lint.report.paths import project_root, root_relative

        if fingerprinted:  # the baseline's fingerprints (only then imported)
            from netra_ws_lint.report.baseline import Entry, fingerprint_findings

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
                fp = fps[i]
                self.reported.append(Reported(r.path, f, src, fp.unique))
                self.entries.append(
                    Entry(
                        rel,
                        f.code,
                        fp.scope,
                        fp.fingerprint,
                        f.message,
                        f.audit,
                        fp.context,
                        fp.statement,
                    )
                )

    def covers(self, entry: Entry) -> bool:
        """This run decides whether ``entry`` still holds: its file was checked with its
        rule enabled, or the file is gone."""
        settings = self.checked.get(entry.path)
        if settings is None:
            # os.path: a name too long for this system (or with a NUL byte) is gone
            return not os.path.exists(self.root / entry.path)
        return settings.is_enabled(entry.code) and (
            not entry.audit or settings.audit_enabled(entry.code)
        )
