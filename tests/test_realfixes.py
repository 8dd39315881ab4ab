"""Recall on real fixed defects (slow: unpacks the realfixes snapshots and checks each
labelled tree). A positive is found when a default finding sits on its line (or an
accepted alternative line); a control (the line that replaced the defect in the fix) must
stay quiet. A ratchet: never fewer found than last measured, never a flagged control."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parent.parent / "benchmarks" / "precision" / "run.py"
# the last measured state: raise it when recall rises
FOUND_FLOOR = 21


def _harness():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(HARNESS.parent))
    try:
        import run as harness
    finally:
        sys.path.pop(0)
    return harness


@pytest.mark.slow
def test_realfixes_recall_and_controls(tmp_path: Path) -> None:
    harness = _harness()
    folder = harness.default_realfixes()
    if not (folder / "cases.jsonl").is_file():
        pytest.skip(f"no realfixes cases in {folder}")
    summary_path = tmp_path / "summary.json"
    proc = subprocess.run(
        [sys.executable, str(HARNESS), "--only", "realfixes", "--summary-json", str(summary_path)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode in (0, 1), proc.stderr
    totals = json.loads(summary_path.read_text())["realfixes"]
    assert totals["positives"] == 28 and totals["controls"] == 24, proc.stdout
    assert totals["controls_flagged"] == 0, proc.stdout
    assert totals["found"] >= FOUND_FLOOR, proc.stdout


def test_cases_are_judged_on_their_lines(tmp_path: Path) -> None:
    """A positive counts a finding on its line or an ``alt_lines`` line of its file; a
    control counts only its own line; findings in other files do not count."""
    harness = _harness()
    out = tmp_path / "OUT"
    tree = out / "o+r" / "c1"
    cases = [
        {
            "id": "p",
            "repo": "o/r",
            "commit": "c1",
            "path": "a.py",
            "line": 3,
            "positive": True,
            "alt_lines": [7],
        },
        {"id": "n", "repo": "o/r", "commit": "c1", "path": "a.py", "line": 7, "positive": False},
        {"id": "m", "repo": "o/r", "commit": "c1", "path": "b.py", "line": 3, "positive": True},
    ]
    findings = {
        tree: [
            {"filename": "a.py", "line": 7, "code": "NWS209", "message": "m"},
            {"filename": "c.py", "line": 3, "code": "NWS207", "message": "m"},
        ]
    }
    rows = {r["id"]: r for r in harness.judge_cases(cases, findings, out)}
    assert rows["p"]["hit"] and rows["p"]["findings"][0]["code"] == "NWS209"
    assert rows["n"]["hit"]
    assert not rows["m"]["hit"]
    assert harness.realfixes_totals(list(rows.values())) == {
        "found": 1,
        "positives": 2,
        "controls_flagged": 1,
        "controls": 1,
    }
