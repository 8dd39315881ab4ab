"""Services that act for one user but take no user context (three levels deep)."""

from __future__ import annotations

from .manager import get_websocket_manager


async def notify_progress(user_id: str, percent: int) -> None:
    await get_websocket_manager().send_to_user(user_id, {"progress": percent})


async def run_step(user_id: str, step: str) -> None:
    await notify_progress(user_id, 50)


async def start_run(user_id: str, prompt: str) -> str:
    await run_step(user_id, prompt)
    return f"started {prompt}"


async def announce(user_id: str, text: str) -> None:
    await get_websocket_manager().send_to_user(user_id, {"announce": text})
