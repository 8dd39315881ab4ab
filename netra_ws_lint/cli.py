"""``netra-ws-lint``: the standalone command line (CI gate, pre-commit hook).

Exit status: 0 no findings, 1 findings, 2 usage/configuration error or a file that
could not be read (the other files are still checked and reported).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .config import ConfigError, Settings, settings_for
from .engine import CheckResult, RuleSet, check_bytes, check_file
from .files import PYTHON_SUFFIXES, discover
from .output import FORMATS, Reported, write, write_statistics

PROG = "netra-ws-lint"


def _codes_arg(value: str) -> list[str]:
    return [c.strip() for c in value.split(",") if c.strip()]


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
    sel = check.add_argument_group("rule selection")
    sel.add_argument("--select", type=_codes_arg, metavar="CODES",
                     help="comma-separated codes or prefixes to enable (replaces the config)")
    sel.add_argument("--extend-select", type=_codes_arg, metavar="CODES",
                     help="codes or prefixes to enable in addition (audit rules too)")
    sel.add_argument("--ignore", type=_codes_arg, metavar="CODES", help="codes or prefixes to disable")
    sel.add_argument("--audit", action="store_true", default=None,
                     help="also run the audit rules (off by default)")
    sel.add_argument("--per-file-ignores", action="append", metavar="GLOB:CODES",
                     help="ignore codes in files matching a glob (repeatable)")
    files = check.add_argument_group("file selection")
    files.add_argument("--exclude", type=_codes_arg, metavar="GLOBS",
                       help="globs to exclude (replaces the default list)")
    files.add_argument("--extend-exclude", type=_codes_arg, metavar="GLOBS",
                       help="globs to exclude in addition to the defaults")
    files.add_argument("--force-exclude", action="store_true",
                       help="apply the excludes to files named on the command line too")
    files.add_argument("--no-respect-gitignore", dest="respect_gitignore", action="store_false",
                       help="do not skip files ignored by .gitignore")
    files.add_argument("--stdin-filename", metavar="PATH",
                       help="the name of the file read from stdin (for config and output)")
    files.add_argument("--config", type=Path, metavar="FILE",
                       help="use this pyproject.toml or setup.cfg instead of searching for one")
    out = check.add_argument_group("output")
    out.add_argument("--output-format", choices=FORMATS, default="concise")
    out.add_argument("--statistics", action="store_true", help="print counts per rule instead")
    out.add_argument("--exit-zero", action="store_true",
                     help="exit 0 even when there are findings")

    rule = sub.add_parser("rule", help="explain a rule, or list every rule with --all")
    rule.add_argument("code", nargs="?", help="a rule code (NWS101) or name")
    rule.add_argument("--all", action="store_true", help="list every rule")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "rule":
            return cmd_rule(args, sys.stdout)
        return cmd_check(args, sys.stdout, sys.stderr)
    except ConfigError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        return 130
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return 0


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


def cmd_check(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    overrides = _overrides(args)
    config_file: Path | None = args.config
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"{config_file}: no such configuration file")
    rule_sets: dict[Settings, RuleSet] = {}

    def rules_for(settings: Settings) -> RuleSet:
        if settings not in rule_sets:
            rule_sets[settings] = RuleSet.for_settings(settings)
        return rule_sets[settings]

    results: list[CheckResult] = []
    failed = False
    use_stdin = args.paths == ["-"] or (not args.paths and args.stdin_filename)
    if use_stdin:
        name = args.stdin_filename or "-"
        settings = settings_for(Path(name), overrides, config_file)
        results.append(check_bytes(sys.stdin.buffer.read(), name, settings, rules_for(settings)))
    else:
        targets, problems = discover(args.paths or ["."], overrides, config_file,
                                     args.force_exclude, args.respect_gitignore)
        for p in problems:
            print(f"{PROG}: error: {p.display}: {p.message}", file=stderr)
            failed = True
        for t in targets:
            if not t.path.name.endswith(PYTHON_SUFFIXES):
                print(f"{PROG}: warning: {t.display}: skipped, not a Python file", file=stderr)
                continue
            results.append(check_file(t.path, t.settings, rules_for(t.settings), t.display))

    reported: list[Reported] = []
    for r in results:
        if r.skipped:
            print(f"{PROG}: error: {r.path}: {r.skipped}", file=stderr)
            failed = True
            continue
        lines = r.source.split("\n") if r.source is not None else None
        for f in r.findings:
            src = lines[f.line - 1] if lines and 0 < f.line <= len(lines) else None
            reported.append(Reported(r.path, f, src))

    if args.statistics:
        write_statistics(reported, stdout)
    else:
        write(reported, args.output_format, stdout)
    if failed:
        return 2
    return 1 if reported and not args.exit_zero else 0


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
