"""Entry points kept for old plugins."""

from __future__ import annotations

from .websocket_manager import get_run_tracker, get_websocket_manager

# The old accessor handed on as a function object: still one manager for everyone.
PLUGIN_HOOKS = {"websocket_manager": get_websocket_manager}


def record_run(user_id: str, run_id: str) -> None:
    """Every user's runs go to the one process-wide tracker."""
    get_run_tracker().record(user_id, run_id)
