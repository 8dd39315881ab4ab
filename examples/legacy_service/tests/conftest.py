"""How the shared isolation suite drives this service (the old singleton API)."""

from __future__ import annotations

from typing import Any

import pytest

from .. import agent_service, handlers
from ..context import UserExecutionContext


class Service:
    async def connect(self, user: str, socket: Any) -> None:
        context = UserExecutionContext(user_id=user, thread_id=f"thread-{user}", run_id="r1")
        await handlers.handle_connect(socket, context)

    async def run(self, user: str, prompt: str) -> None:
        await handlers.handle_legacy_run(user, {"prompt": prompt})

    async def report(self, user: str) -> None:
        """The nightly report a user scheduled."""
        await handlers.nightly_report()

    async def settings(self, user: str) -> dict[str, Any]:
        return agent_service.load_agent_settings(user)


@pytest.fixture
def service() -> Service:
    return Service()
