"""Context threading (placeholder)."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from netra_ws_lint.config import Settings


def thread_files(
    files: dict[str, tuple[Path, bytes, Settings]], stderr: TextIO
) -> dict[str, bytes]:
    return {}
