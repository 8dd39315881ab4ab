"""``netra-ws-lint rule CODE`` / ``rule --all``: the rule docs."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from netra_ws_lint.cli import PROG


def add_parser(sub: Any) -> None:
    rule = sub.add_parser("rule", help="explain a rule, or list every rule with --all")
    rule.add_argument("code", nargs="?", help="a rule code (NWS101) or name")
    rule.add_argument("--all", action="store_true", help="list every rule")
    rule.set_defaults(run=run)


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from netra_ws_lint.report.docs import rule_doc, rules_listing

    if args.all:
        stdout.write(rules_listing())
        return 0
    if not args.code:
        from netra_ws_lint.config import ConfigError

        raise ConfigError("rule: give a rule code (NWS101) or --all")
    text = rule_doc(args.code)
    if text is None:
        print(f"{PROG}: error: unknown rule {args.code!r}", file=stderr)
        return 2
    stdout.write(text)
    return 0
