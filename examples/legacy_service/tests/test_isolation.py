"""Two users on one service: what one user does never reaches the other.

The same suite runs on ../legacy_service and ../factory_service (each tests/conftest.py
adapts it to its service's API). Its assertions pass on both; ``pytest --nws-sentinel``
also watches every object netra-ws-lint flags, and fails the legacy run: one WebSocket
manager serves both users there.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any


class FakeSocket:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    async def send_json(self, message: dict[str, Any]) -> None:
        self.received.append(message)


def test_events_reach_only_their_user(service: Any, nws_user: Any) -> None:
    sockets = {"alice": FakeSocket(), "bob": FakeSocket()}

    async def scenario() -> None:
        for user, socket in sockets.items():
            with nws_user(user):
                await service.connect(user, socket)
        for user in sockets:
            with nws_user(user):
                await service.run(user, f"prompt of {user}")

    asyncio.run(scenario())
    assert "prompt of alice" not in str(sockets["bob"].received)
    assert "prompt of bob" not in str(sockets["alice"].received)


def test_concurrent_users(service: Any, nws_user: Any) -> None:
    async def as_user(user: str) -> None:
        with nws_user(user):
            await service.run(user, f"prompt of {user}")

    async def scenario() -> None:
        await asyncio.gather(as_user("alice"), as_user("bob"))

    asyncio.run(scenario())


def test_each_user_gets_own_settings(service: Any, nws_user: Any) -> None:
    def settings_of(user: str) -> dict[str, Any]:
        return dict(asyncio.run(service.settings(user)))

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {}
        for user in ("alice", "bob", "alice"):
            with nws_user(user):
                futures[user] = pool.submit(settings_of, user)
        assert {u: f.result()["user_id"] for u, f in futures.items()} == {"alice": "alice", "bob": "bob"}


def test_scheduled_report_runs_for_its_user(service: Any, nws_user: Any) -> None:
    sockets = {"alice": FakeSocket(), "bob": FakeSocket()}

    async def scenario() -> None:
        for user, socket in sockets.items():
            with nws_user(user):
                await service.connect(user, socket)
        with nws_user("alice"):
            await service.report("alice")

    asyncio.run(scenario())
    assert "alice" not in str(sockets["bob"].received)


def test_background_work_outside_any_user(service: Any) -> None:
    asyncio.run(service.run("system", "nightly"))
