from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UserExecutionContext:
    user_id: str
    run_id: str = "run"
