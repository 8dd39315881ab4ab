"""`netra-ws-lint migrate`: dry run, reports, --apply with backups, --validate-only."""

from __future__ import annotations

import json
import re
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
        for d in dirs
        for p in sorted((root / d).rglob("*.py"))
    }


def test_dry_run_changes_nothing_and_prints_the_plan(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(tree, "legacy_service", "factory_service")
    code, out, _ = run(capsys, "legacy_service", "factory_service")
    assert code == 0
    assert snapshot(tree, "legacy_service", "factory_service") == before
    # a dry run writes nothing: no backups, no report folder in the repository
    assert sorted(p.name for p in tree.iterdir()) == [".git", "factory_service", "legacy_service"]
    assert out.startswith("# netra-ws-lint migration plan\n")
    assert "22 sites in 6 files (of 18 checked): 3 automatic, 19 manual." in out
    # only files with work: the migrated twin has no site (its call of a method named
    # like `run_agent` is listed as a possible caller, through an object)
    assert not any(line.startswith("- `factory_service") for line in out.splitlines())
    assert "- `legacy_service/context.py:17` NWS304" in out
    assert "complexity" not in out
    order = out.split("## Order of work\n", 1)[1].split("\n## ", 1)[0]
    assert order.strip().splitlines()[0].startswith("1. apply the automatic fixes: 3 sites")
    assert order.strip().splitlines()[-1].startswith("9. singleton definitions")


def test_report_dir_writes_the_plan(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "legacy_service", "factory_service", "--report-dir", "rep")
    assert code == 0 and "wrote rep/migration-report.md" in err
    data = json.loads((tree / "rep" / "migration-report.json").read_text(encoding="utf-8"))
    assert data["mode"] == "dry-run"
    files = {f["path"]: f for f in data["files"]}
    assert sorted(files) == [
        "legacy_service/agent_service.py",
        "legacy_service/auth.py",
        "legacy_service/compat.py",
        "legacy_service/context.py",
        "legacy_service/handlers.py",
        "legacy_service/websocket_manager.py",
    ]
    assert files["legacy_service/handlers.py"]["status"] == "manual"  # NWS304 at line 29
    agent = files["legacy_service/agent_service.py"]
    assert "line 43: `self.user_context` in class `AgentService`" in agent["user_context_sources"]
    # one site per position: the module-level instance is one NWS103 site
    line14 = [s for s in agent["sites"] if s["line"] == 14]
    assert [(s["code"], s["also"]) for s in line14] == [("NWS103", [])]
    s = data["summary"]
    assert (s["sites"], s["automatic"], s["manual"]) == (22, 3, 19)
    assert s["by_rule"]["NWS201"] == 1 and s["by_rule"]["NWS304"] == 2  # every family
    assert data["packages"] == [
        {"package": "legacy_service", "files": 6, "sites": 22, "automatic": 3, "manual": 19}
    ]
    groups = {g["title"]: g for g in data["groups"]}
    calls = groups["calls of `get_websocket_manager()`"]
    assert (calls["automatic"], calls["manual"]) == (2, 0)
    assert {g["cause"] for g in data["groups"]} >= {"no-context", "shared-state", "placeholder"}
    (nws302,) = groups["functions acting for one user without a user context"]["sites"]
    chains = nws302["call_chains"]
    assert chains["function"] == "legacy_service.agent_service.run_agent"
    assert chains["callers"] == [
        {
            "caller": "legacy_service.handlers.handle_legacy_run",
            "path": "legacy_service/handlers.py",
            "line": 32,
            "context": None,
            "status": "context must be created",
        }
    ]
    assert chains["chains"][0]["status"] == "context must be created"
    assert [st["step"] for st in data["order_of_work"]] == list(range(1, 10))
    manual = data["manual_intervention"]
    assert [(m["path"], m["line"]) for m in manual] == sorted(
        (m["path"], m["line"]) for m in manual
    )
    reasons = {(m["path"].rsplit("/", 1)[1], m["line"], m["code"]): m["reason"] for m in manual}
    assert reasons[("websocket_manager.py", 39, "NWS301")] == "no user context in scope"
    md = (tree / "rep" / "migration-report.md").read_text(encoding="utf-8")
    assert md.startswith("# netra-ws-lint migration plan\n")
    # the example's own tests are the entry point of that chain
    assert (
        "| `run` -> `handle_legacy_run` -> `run_agent` |  | at "
        "`legacy_service.tests.conftest.Service.run` |"
    ) in md


def test_report_dir_default_is_in_the_ignored_cache(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "legacy_service", "--report-dir")
    assert code == 0
    cache = tree / ".netra-ws-lint-cache"
    assert (cache / "migration" / "migration-report.json").is_file()
    assert (cache / ".gitignore").read_text(encoding="utf-8") == "*\n"


def test_apply_leaves_only_manual_sites_and_backups_restore(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    originals = snapshot(tree, "legacy_service")
    code, out, _ = run(capsys, "legacy_service", "--apply", "--report-dir", "rep")
    assert code == 0
    assert "3 automatic, 19 manual; 3 fixed." in out
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
    changed = {k for k, v in originals.items() if (tree / k).read_bytes() != v}
    assert backed == changed == {"legacy_service/handlers.py", "legacy_service/agent_service.py"}
    for rel in backed:
        shutil.copy2(stamps[0] / rel, tree / rel)
    assert snapshot(tree, "legacy_service") == originals  # byte for byte
    data = json.loads((tree / "rep" / "migration-report.json").read_text(encoding="utf-8"))
    assert data["mode"] == "apply" and data["summary"]["fixed_sites"] == 3


def test_apply_twice_changes_nothing_more(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "legacy_service", "--apply", "--no-backup")[0] == 0
    assert not (tree / ".netra-ws-lint-backups").exists()
    after = snapshot(tree, "legacy_service")
    code, out, _ = run(capsys, "legacy_service", "--apply")
    assert code == 0 and "; 0 fixed." in out
    assert snapshot(tree, "legacy_service") == after
    assert not (tree / ".netra-ws-lint-backups").exists()  # nothing changed, no backup


def test_backups_stay_in_the_backup_dir_and_are_not_migrated(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, ".", "--apply", "--backup-dir", "bk", "--report-dir", "rep")[0] == 0
    files = [p for p in (tree / "bk").rglob("*") if p.is_file()]
    assert files and all(p.resolve().is_relative_to((tree / "bk").resolve()) for p in files)
    # a second run over "." does not touch (or back up) the backups themselves
    before = {p: p.read_bytes() for p in files}
    run(capsys, ".", "--apply", "--backup-dir", "bk", "--report-dir", "rep")
    assert {p: p.read_bytes() for p in files} == before
    data = json.loads((tree / "rep" / "migration-report.json").read_text(encoding="utf-8"))
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
    assert sorted(p.name for p in tree.iterdir()) == [".git", "factory_service", "legacy_service"]
    assert run(capsys, "factory_service", "--validate-only")[0] == 0


def test_syntax_error_file_is_reported_and_untouched(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tree / "legacy_service" / "broken.py"
    broken.write_text("from x import get_websocket_manager\ndef f(:\n", encoding="utf-8")
    before = broken.read_bytes()
    assert run(capsys, "legacy_service", "--apply", "--no-backup", "--report-dir", "rep")[0] == 0
    assert broken.read_bytes() == before
    data = json.loads((tree / "rep" / "migration-report.json").read_text(encoding="utf-8"))
    entry = next(f for f in data["files"] if f["path"].endswith("broken.py"))
    assert entry["status"] == "error"
    assert any(m["path"].endswith("broken.py") for m in data["manual_intervention"])


def test_options_conflict(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--apply", "--validate-only")[0] == 2
    assert run(capsys, "-")[0] == 2


def test_keyed_state_is_not_told_to_be_keyed_per_user(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (tmp_path / ".git").mkdir()
    (app / "svc.py").write_text(
        "_sockets = {}\n_seen = []\n\n\n"
        "async def connect(user_id, websocket):\n"
        "    _sockets[user_id] = websocket\n"
        "    _seen.append(websocket)\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    main(["migrate", "app", "--report-dir", "rep"])
    capsys.readouterr()
    report = json.loads((tmp_path / "rep" / "migration-report.json").read_text("utf-8"))
    titles = {g["title"]: g for g in report["groups"]}
    keyed = titles["per-user state kept in process-wide containers"]
    assert [s["line"] for s in keyed["sites"]] == [6]
    assert "key it per user" not in keyed["what_to_do"]
    assert "already keyed" in keyed["sites"][0]["reason"]
    assert [s["line"] for s in titles["state shared by every user"]["sites"]] == [7]


def test_show_fixes_counts_findings_without_a_fix_as_manual(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(EXAMPLES / "legacy_service", tmp_path / "svc")
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    main(["check", "svc", "--show-fixes", "--no-cache"])
    out = capsys.readouterr().out
    counts = re.search(r"(\d+) fixable with --fix, (\d+) more with --unsafe-fixes, (\d+) need", out)
    assert counts is not None
    main(["migrate", "svc", "--report-dir", "rep"])
    capsys.readouterr()
    summary = json.loads((tmp_path / "rep" / "migration-report.json").read_text("utf-8"))["summary"]
    safe, unsafe, manual = map(int, counts.groups())
    assert manual > 0
    # every finding is listed once: with its fix, or as manual work
    listed = [line for line in out.splitlines() if re.match(r"  svc/.*: NWS\d+ \[", line)]
    assert len(listed) == safe + unsafe + manual
    assert safe == summary["automatic"]
