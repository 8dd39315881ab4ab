"""Real code: every ``.py`` file of this interpreter's standard library and installed
site-packages (``sysconfig`` paths ``stdlib`` and ``purelib``), checked with every
rule, audit rules included. No rule may crash (NWS901) and nothing may raise.

Not sampled: all of them, spread over the CPUs. On the development machine (2 CPUs,
Python 3.11) that is 15,741 files and 5.4 million lines in 2 to 3 minutes.
``NWS_REAL_CODE=0`` skips it (for a quick local run).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import sysconfig
import time
import traceback
from pathlib import Path

import pytest

from netra_ws_lint.config import Settings
from netra_ws_lint.engine.pipeline import RuleSet, check_file

SETTINGS = Settings(audit=True)
_RULES: RuleSet | None = None


def python_files() -> list[str]:
    """Every .py file under stdlib and purelib, each real file once."""
    seen: set[str] = set()
    out = []
    for key in ("stdlib", "purelib"):
        root = sysconfig.get_paths()[key]
        for dirpath, _dirs, names in os.walk(root):
            for name in names:
                if name.endswith(".py"):
                    path = os.path.join(dirpath, name)
                    real = os.path.realpath(path)
                    if real not in seen and os.path.isfile(real):
                        seen.add(real)
                        out.append(path)
    return sorted(out)


def check_one(path: str) -> tuple[str, int, list[str], str | None]:
    """(path, lines, NWS901 messages, traceback or None)."""
    global _RULES
    if _RULES is None:
        _RULES = RuleSet.for_settings(SETTINGS)
    try:
        result = check_file(Path(path), SETTINGS, _RULES)
    except BaseException:  # a crash of the engine itself: the test fails with it
        return path, 0, [], traceback.format_exc()
    try:
        lines = Path(path).read_bytes().count(b"\n")
    except OSError:
        lines = 0
    crashed = [f"{f.line}: {f.message}" for f in result.findings if f.code == "NWS901"]
    if result.skipped:
        crashed.append(f"skipped: {result.skipped}")
    return path, lines, crashed, None


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("NWS_REAL_CODE") == "0", reason="NWS_REAL_CODE=0")
def test_stdlib_and_site_packages(capsys: pytest.CaptureFixture[str]) -> None:
    files = python_files()
    assert len(files) > 1000, "the standard library was not found"
    start = time.monotonic()
    fork = "fork" in multiprocessing.get_all_start_methods() and sys.platform == "linux"
    ctx = multiprocessing.get_context("fork" if fork else None)
    with ctx.Pool(os.cpu_count() or 1) as pool:
        results = pool.map(check_one, files, chunksize=16)
    elapsed = time.monotonic() - start
    tracebacks = [(p, tb) for p, _, _, tb in results if tb]
    crashed = [(p, c) for p, _, c, _ in results if c]
    lines = sum(n for _, n, _, _ in results)
    with capsys.disabled():
        print(
            f"\nreal-code run: {len(files)} files, {lines} lines, {elapsed:.0f} s, "
            f"{len(crashed)} with NWS901, {len(tracebacks)} tracebacks "
            f"(Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)"
        )
    assert not tracebacks, tracebacks[:3]
    assert not crashed, crashed[:10]
    assert elapsed < 540, f"the real-code run took {elapsed:.0f} s"
