"""The rule catalogue. Importing this package registers every rule."""

from netra_ws_lint.rules import nws1_singletons, nws2_shared_state, nws3_user_context, nws9_tool

__all__ = ["nws1_singletons", "nws2_shared_state", "nws3_user_context", "nws9_tool"]
