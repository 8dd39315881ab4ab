"""Runs agents for users and reports their progress over WebSockets."""

from __future__ import annotations

import asyncio
import functools
from contextvars import ContextVar
from typing import Any

from .context import UserExecutionContext
from .websocket_manager import create_websocket_manager, get_websocket_manager

# Built at import time: every user's events go through this one manager.
manager = get_websocket_manager()

# Results of every user's runs, in one module-level dict.
_run_results: dict[str, list[str]] = {}
_results_lock = asyncio.Lock()

# The default list is one object shared by every context that never set it.
current_events: ContextVar[list[str]] = ContextVar("current_events", default=[])


@functools.lru_cache(maxsize=256)
def load_agent_settings(user_id: str) -> dict[str, Any]:
    """Cached per user id, and kept (with the user's data) for the life of the process."""
    return {"user_id": user_id, "model": "default"}


async def emit_progress(run_id: str, percent: int, user_context: UserExecutionContext | None = None) -> None:
    target = create_websocket_manager(user_context) if user_context else manager
    await target.send_to_user(run_id, {"type": "progress", "percent": percent})


async def run_agent(user_id: str, prompt: str) -> str:
    """Acts for one user, but has no user context: the event goes to the shared manager."""
    async with _results_lock:
        _run_results.setdefault(user_id, []).append(prompt)
        await manager.send_to_user(user_id, {"type": "agent_started", "prompt": prompt})
    return "done"


class AgentService:
    def __init__(self, user_context: UserExecutionContext) -> None:
        self.user_context = user_context
        self.notifier = create_websocket_manager()

    async def execute(self, prompt: str) -> str:
        await emit_progress(self.user_context.run_id, 10)
        settings = load_agent_settings(self.user_context.user_id)
        return f"{settings['model']}: {prompt}"
