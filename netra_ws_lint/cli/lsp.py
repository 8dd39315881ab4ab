"""``netra-ws-lint server``: the language server for editors (see :mod:`.server`)."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from netra_ws_lint.cli.options import PROG


def add_parser(sub: Any) -> None:
    cmd = sub.add_parser(
        "server",
        help="run the language server (LSP over stdio) for editors",
        description="Run the language server on stdin/stdout: diagnostics, quick fixes "
        "and rule docs on hover (needs the lsp extra: pip install 'netra-ws-lint[lsp]').",
    )
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    try:
        from netra_ws_lint.cli.server import serve
    except ImportError as exc:
        print(
            f"{PROG}: error: the language server needs pygls ({exc}); "
            "install it with: pip install 'netra-ws-lint[lsp]'",
            file=stderr,
        )
        return 2
    serve()
    return 0
