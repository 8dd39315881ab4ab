"""`netra-ws-lint migrate`: dry run, reports, --apply with backups, --validate-only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from netra_ws_lint.cli.main import main
from netra_ws_lint.config import Settings
from netra_ws_lint.engine.pipeline import check_source

EXAMPLES = Path(__file__).parent.parent / "examples"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["migrate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    shutil.copytree(EXAMPLES / "legacy_service", tmp_path / "legacy_service")
    shutil.copytree(EXAMPLES / "factory_service", tmp_path / "factory_service")
    return tmp_path


def snapshot(root: Path, *dirs: str) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for d in dirs for p in sorted((root / d).rglob("*.py"))
    }


def test_dry_run_changes_nothing_and_reports(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(tree, "legacy_service", "factory_service")
    code, out, _ = run(capsys, "legacy_service", "factory_service", "--report-dir", "rep")
    assert code == 0
    assert snapshot(tree, "legacy_service", "factory_service") == before
    assert not (tree / ".netra-ws-lint-backups").exists()
    assert "11 sites: 3 auto-fixable, 8 manual" in out
    data = json.loads((tree / "rep" / "migration-report.json").read_text(encoding="utf-8"))
    assert data["mode"] == "dry-run"
    files = {f["path"]: f for f in data["files"]}
    status = {p: f["status"] for p, f in files.items()}
    # its calls are fixed automatically; its thread-local (NWS208) needs a person
    # (or the unsafe ContextVar rewrite)
    assert status["legacy_service/handlers.py"] == "manual"
    assert status["legacy_service/agent_service.py"] == "manual"
    assert status["legacy_service/websocket_manager.py"] == "manual"
    assert status["legacy_service/context.py"] == "clean"
    assert all(s == "clean" for p, s in status.items() if p.startswith("factory_service"))
    agent = files["legacy_service/agent_service.py"]
    # the import is reported with its call (one defect, one finding): no import site
    assert [(s["line"], s["fix"]) for s in agent["deprecated_imports"]] == []
    # the module-level call is the NWS103 site (manual), not a second NWS101 one
    assert [(s["line"], s["fix"]) for s in agent["deprecated_calls"]] == []
    assert ("agent_service.py", 14, "NWS103") in {
        (m["path"].rsplit("/", 1)[1], m["line"], m["code"]) for m in data["manual_intervention"]
    }
    assert "line 43: `self.user_context` in class `AgentService`" in agent["user_context_sources"]
    assert any("module-level instance" in r for r in agent["reasons"])
    handlers = files["legacy_service/handlers.py"]
    assert [(s["line"], s["fix"]) for s in handlers["deprecated_calls"]] == [
        (17, "safe"), (24, "safe")
    ]
    assert handlers["complexity"] == 2 + 3
    assert [(s["code"], s["fix"]) for s in handlers["manual"]] == [("NWS208", "unsafe")]
    manual = data["manual_intervention"]
    assert [(m["path"], m["line"]) for m in manual] == sorted(
        (m["path"], m["line"]) for m in manual
    )
    reasons = {(m["path"].rsplit("/", 1)[1], m["line"], m["code"]): m["reason"] for m in manual}
    assert reasons[("websocket_manager.py", 39, "NWS301")] == "no user context in scope"
    assert reasons[("websocket_manager.py", 35, "NWS104")].startswith("singleton definition")
    assert data["summary"]["sites"] == 11 and data["summary"]["manual_sites"] == 8
    md = (tree / "rep" / "migration-report.md").read_text(encoding="utf-8")
    assert md.startswith("# netra-ws-lint migration report\n")
    tail = md.split("## Manual intervention\n", 1)[1]
    assert "`legacy_service/websocket_manager.py:39` NWS301: no user context in scope" in tail
    assert md.rstrip().endswith("(`def get_run_tracker() -> RunTracker:`)")  # the list ends it


def test_apply_leaves_only_manual_sites_and_backups_restore(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    originals = snapshot(tree, "legacy_service")
    code, out, _ = run(capsys, "legacy_service", "--apply")
    assert code == 0
    assert "3 fixed, 8 manual" in out
    # only manual sites are left
    for path in sorted((tree / "legacy_service").glob("*.py")):
        for f in check_source(path.read_text(encoding="utf-8"), str(path), Settings()):
            if f.fix is not None:
                assert f.fix.applicability in ("manual", "unsafe"), (path, f)
    handlers = (tree / "legacy_service" / "handlers.py").read_text(encoding="utf-8")
    assert "get_websocket_manager" not in handlers
    assert "ws.create_websocket_manager(user_context).send_to_user(" in handlers
    # backups: a timestamped directory holding exactly the changed files
    base = tree / ".netra-ws-lint-backups"
    stamps = [p for p in base.iterdir() if p.is_dir()]
    assert len(stamps) == 1
    backed = {str(p.relative_to(stamps[0])) for p in stamps[0].rglob("*") if p.is_file()}
    changed = {k for k, v in originals.items()
               if (tree / k).read_bytes() != v}
    assert backed == changed == {"legacy_service/handlers.py", "legacy_service/agent_service.py"}
    for rel in backed:
        shutil.copy2(stamps[0] / rel, tree / rel)
    assert snapshot(tree, "legacy_service") == originals  # byte for byte
    data = json.loads(
        (tree / "netra-ws-lint-migration" / "migration-report.json").read_text(encoding="utf-8")
    )
    assert data["mode"] == "apply" and data["summary"]["fixed_sites"] == 3


def test_apply_twice_changes_nothing_more(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "legacy_service", "--apply", "--no-backup")[0] == 0
    assert not (tree / ".netra-ws-lint-backups").exists()
    after = snapshot(tree, "legacy_service")
    code, out, _ = run(capsys, "legacy_service", "--apply")
    assert code == 0 and "0 fixed" in out
    assert snapshot(tree, "legacy_service") == after
    assert not (tree / ".netra-ws-lint-backups").exists()  # nothing changed, no backup


def test_backups_stay_in_the_backup_dir_and_are_not_migrated(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, ".", "--apply", "--backup-dir", "bk")[0] == 0
    files = [p for p in (tree / "bk").rglob("*") if p.is_file()]
    assert files and all(p.resolve().is_relative_to((tree / "bk").resolve()) for p in files)
    # a second run over "." does not touch (or back up) the backups themselves
    before = {p: p.read_bytes() for p in files}
    run(capsys, ".", "--apply", "--backup-dir", "bk")
    assert {p: p.read_bytes() for p in files} == before
    data = json.loads(
        (tree / "netra-ws-lint-migration" / "migration-report.json").read_text(encoding="utf-8")
    )
    assert not any(f["path"].startswith("bk") for f in data["files"])


def test_file_outside_the_project_is_not_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    outside = tmp_path / "outside.py"
    shutil.copy(EXAMPLES / "legacy_service" / "handlers.py", outside)
    before = outside.read_bytes()
    monkeypatch.chdir(project)
    code, _, err = run(capsys, str(outside), "--apply")
    assert code == 2 and "outside the project root" in err
    assert outside.read_bytes() == before


def test_validate_only(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "legacy_service", "--validate-only")
    assert code == 1
    assert "legacy_service/handlers.py:17:15: NWS101" in out
    assert "not finished" in err
    assert not (tree / "netra-ws-lint-migration").exists()
    assert run(capsys, "factory_service", "--validate-only")[0] == 0


def test_syntax_error_file_is_reported_and_untouched(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tree / "legacy_service" / "broken.py"
    broken.write_text("from x import get_websocket_manager\ndef f(:\n", encoding="utf-8")
    before = broken.read_bytes()
    assert run(capsys, "legacy_service", "--apply", "--no-backup")[0] == 0
    assert broken.read_bytes() == before
    data = json.loads(
        (tree / "netra-ws-lint-migration" / "migration-report.json").read_text(encoding="utf-8")
    )
    entry = next(f for f in data["files"] if f["path"].endswith("broken.py"))
    assert entry["status"] == "error"
    assert any(m["path"].endswith("broken.py") for m in data["manual_intervention"])


def test_options_conflict(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--apply", "--validate-only")[0] == 2
    assert run(capsys, "-")[0] == 2
