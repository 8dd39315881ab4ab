"""The front ends: one module per command, and the adapters (flake8 plugin) beside them.

Kept empty of imports so that ``netra-ws-lint --version`` starts fast; the console
script enters through :func:`main`."""

from __future__ import annotations

from collections.abc import Sequence

PROG = "netra-ws-lint"


def main(argv: Sequence[str] | None = None) -> int:
    from netra_ws_lint.cli.main import main as run

    return run(argv)
