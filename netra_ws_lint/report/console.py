"""What ``check`` shows a person on a terminal: colour, the summary line, and a progress
display on stderr for long runs.

Colour (``--color auto|always|never``): ``always`` and ``never`` decide; ``auto`` (the
default) colours a terminal, unless ``NO_COLOR`` is set (https://no-color.org), and
``FORCE_COLOR`` set (to anything but an empty string) colours a pipe or file too.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from typing import TextIO

from netra_ws_lint.model import SAFE, UNSAFE, Finding

COLOR_CHOICES = ("auto", "always", "never")
PROGRESS_DELAY = 1.0  # seconds before the progress display appears
_RESET = "\033[0m"
BOLD, RED, YELLOW, CYAN, GREEN = "1", "31", "33", "36", "32"


def isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def color_enabled(mode: str, stream: TextIO) -> bool:
    if mode in ("always", "never"):
        return mode == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return isatty(stream) and os.environ.get("TERM") != "dumb"


def paint(text: str, *codes: str, color: bool = True) -> str:
    if not color or not codes:
        return text
    return f"\033[{';'.join(codes)}m{text}{_RESET}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def summary(findings: Sequence[Finding], color: bool = False) -> str:
    """``Found N findings.`` with the fix hint, as ruff words it; or ``All checks
    passed!``."""
    if not findings:
        return paint("All checks passed!", GREEN, BOLD, color=color)
    line = f"Found {_plural(len(findings), 'finding')}."
    safe = sum(1 for f in findings if f.fix is not None and f.fix.applicability == SAFE)
    unsafe = sum(1 for f in findings if f.fix is not None and f.fix.applicability == UNSAFE)
    hidden = (
        f"{unsafe} hidden fix{'es' * (unsafe != 1)} can be enabled with the `--unsafe-fixes` option"
    )
    if safe:
        line += f" {paint('[*]', CYAN, color=color)} {safe} fixable with the `--fix` option"
        line += f" ({hidden})." if unsafe else "."
    elif unsafe:
        line += f" No fixes available ({hidden})."
    return line


class Progress:
    """``checking 120/5000 files`` on one stderr line, updated in place: shown only on
    a terminal and only once the run has lasted :data:`PROGRESS_DELAY` seconds; the
    line is erased when the run ends. Thread-safe (a timer thread draws it)."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled and isatty(stream)
        self.start = time.monotonic()
        self.phase, self.done, self.total = "checking", 0, 0
        self.shown = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Progress:
        if self.enabled:
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def update(self, phase: str, done: int, total: int) -> None:
        with self._lock:
            self.phase, self.done, self.total = phase, done, total

    def _loop(self) -> None:
        if self._stop.wait(PROGRESS_DELAY):
            return
        while True:
            with self._lock:
                text = f"{self.phase} {self.done}/{self.total} files"
            self.stream.write(f"\r\033[K{text} ({time.monotonic() - self.start:.0f}s)")
            self.stream.flush()
            self.shown = True
            if self._stop.wait(0.2):
                return
