"""The fixture package's own tests (run by tests/test_fix_proven.py, not collected by
the main suite)."""

from __future__ import annotations

import asyncio
from typing import Any

from chatapp import handlers, jobs
from chatapp.connections import SOCKETS
from chatapp.context import UserExecutionContext


def setup_function() -> None:
    SOCKETS.clear()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def connect(user_id: str) -> list[Any]:
    socket: list[Any] = []
    run(handlers.handle_connect(UserExecutionContext(user_id), socket))
    return socket


def test_message_reaches_its_user_only() -> None:
    a, b = connect("a"), connect("b")
    run(handlers.handle_message(UserExecutionContext("a"), "hi"))
    assert a == [{"echo": "hi"}] and b == []


def test_run_reports_progress() -> None:
    a = connect("a")
    assert run(handlers.handle_run(UserExecutionContext("a"), "go")) == "started go"
    assert a == [{"progress": 50}]


def test_emit_without_context() -> None:
    a = connect("a")
    run(handlers.emit("a", {"x": 1}))
    run(handlers.emit("a", {"x": 2}, context=UserExecutionContext("a")))
    assert a == [{"x": 1}, {"x": 2}]


def test_nightly_job() -> None:
    a, b = connect("a"), connect("b")
    run(jobs.nightly(["a", "b"]))
    assert a == b == [{"announce": "reminder"}]
