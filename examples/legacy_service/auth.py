"""Authentication helpers shared by the handlers."""

from __future__ import annotations

import os
from typing import Any


class TokenAuth:
    """One per process: the handlers share it."""

    current_token: str | None = None


token_auth = TokenAuth()


async def authenticate(user_id: str, headers: dict[str, Any]) -> str:
    token_auth.current_token = headers["Authorization"]  # the last request's token
    os.environ["UPSTREAM_TOKEN"] = headers["Authorization"]  # for the SDK
    return user_id
