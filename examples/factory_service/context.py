from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class UserExecutionContext:
    """Who a request runs for: every user-specific object is built from one of these."""

    user_id: str
    thread_id: str
    run_id: str
    metadata: dict = field(default_factory=dict)


def background_context(job_user_id: str, job_id: str) -> UserExecutionContext:
    """Background jobs run for the user who scheduled them, built when the job starts."""
    return UserExecutionContext(user_id=job_user_id, thread_id=f"job-{job_id}", run_id=job_id)
