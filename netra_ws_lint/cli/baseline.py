"""``netra-ws-lint baseline create|update``: record the findings a gate should not report again."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, TextIO

from netra_ws_lint.cli.options import PROG, Findings, add_selection_options, collect
from netra_ws_lint.config import ConfigError
from netra_ws_lint.report.baseline import DEFAULT_FILE, Entry, dumps, load, match


def add_parser(sub: Any) -> None:
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
    add_selection_options(base, stdin=False)
    base.set_defaults(run=run)


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from netra_ws_lint.engine.fsutil import write_atomic
    from netra_ws_lint.report.paths import project_root

    if args.paths == ["-"]:
        raise ConfigError("baseline: give files or directories, not stdin")
    path: Path = args.file or project_root() / DEFAULT_FILE
    old: list[Entry] = []
    if args.action == "update":
        if not path.exists():
            raise ConfigError(f"{path}: no baseline to update; `{PROG} baseline create` makes one")
        old = load(path)
    results, failed, _ = collect(args, stderr)
    found = Findings(results, fingerprinted=True)
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
