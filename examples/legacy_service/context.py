from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class UserExecutionContext:
    """Who a request runs for: every user-specific object is built from one of these."""

    user_id: str
    thread_id: str
    run_id: str
    metadata: dict = field(default_factory=dict)


# A context for background jobs, built once at import time and shared by every job.
SYSTEM_CONTEXT = UserExecutionContext(user_id="system", thread_id="background", run_id="0")
