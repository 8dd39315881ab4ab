"""NWS9: findings the tool itself reports (the engine emits them, no visitor).

Importing this package registers its rules: one module per rule."""

from __future__ import annotations

from netra_ws_lint.rules.nws9_tool import (
    rule_crashed,
    syntax_error,
    unused_noqa,
)

__all__ = ["rule_crashed", "syntax_error", "unused_noqa"]
