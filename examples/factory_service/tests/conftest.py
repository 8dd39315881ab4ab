"""How the shared isolation suite drives this service (the factory API)."""

from __future__ import annotations

from typing import Any

import pytest

from .. import handlers
from ..agent_service import AgentService
from ..context import UserExecutionContext


def context_of(user: str) -> UserExecutionContext:
    return UserExecutionContext(user_id=user, thread_id=f"thread-{user}", run_id="r1")


class Service:
    async def connect(self, user: str, socket: Any) -> None:
        await handlers.handle_connect(socket, context_of(user))

    async def run(self, user: str, prompt: str) -> None:
        await handlers.handle_message(context_of(user), {"prompt": prompt})

    async def report(self, user: str) -> None:
        """The nightly report a user scheduled."""
        await handlers.nightly_report(user, "job-1")

    async def settings(self, user: str) -> dict[str, Any]:
        return AgentService(context_of(user)).load_settings()


@pytest.fixture
def service() -> Service:
    return Service()
