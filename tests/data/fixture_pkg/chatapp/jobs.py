"""A background entry point: no user context anywhere up its chain."""

from __future__ import annotations

from .services import announce


async def remind(user_id: str) -> None:
    await announce(user_id, "reminder")


async def nightly(user_ids: list[str]) -> None:
    for user_id in user_ids:
        await remind(user_id)
