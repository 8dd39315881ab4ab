"""``netra-ws-lint migrate``: the migration plan, and applying its automatic part."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from netra_ws_lint.cli.options import add_selection_options, overrides


def add_parser(sub: Any) -> None:
    from netra_ws_lint.fix.migrate import add_parser as add_migrate_parser

    add_migrate_parser(sub, add_selection_options)
    sub.choices["migrate"].set_defaults(run=run)


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from netra_ws_lint.fix.migrate import cmd_migrate

    return cmd_migrate(args, overrides(args), stdout, stderr)
