"""The example services: the legacy one shows every default rule, with a golden list
of findings; its migrated twin is clean. Regenerate the golden file after a
deliberate change with NWS_UPDATE_GOLDEN=1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from netra_ws_lint.cli.main import main
from netra_ws_lint.rules.base import all_rules

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "legacy_service.expected"


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = main(["check", *argv])
    return code, capsys.readouterr().out.splitlines()


def test_legacy_service_golden_findings(capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, lines = check(capsys, "examples/legacy_service")
    assert code == 1
    if os.environ.get("NWS_UPDATE_GOLDEN"):
        GOLDEN.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert lines == GOLDEN.read_text(encoding="utf-8").splitlines()


def test_legacy_service_shows_every_default_rule(capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    _, lines = check(capsys, "examples/legacy_service")
    seen = {line.split()[1] for line in lines}
    default = {c for c, r in all_rules().items() if not r.audit and not r.tool}
    assert default - seen == set()


def test_factory_service_is_clean(capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, lines = check(capsys, "--audit", "examples/factory_service")
    assert (code, lines) == (0, [])
