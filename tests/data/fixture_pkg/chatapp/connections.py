"""Who is connected (process-wide on purpose: sockets are per process)."""

from __future__ import annotations

from typing import Any

SOCKETS: dict[str, list[Any]] = {}
