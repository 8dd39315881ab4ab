"""Fixes proven by running them: the fixture package (tests/data/fixture_pkg) keeps its
own test suite green, and every module still imports, after ``check --fix`` and after
``check --fix --unsafe-fixes`` (which threads the user context through the services).

Only the tests run the fixed code, in subprocesses; the tool never imports it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from netra_ws_lint.cli.main import main

pytestmark = pytest.mark.slow  # subprocess-heavy: `.ci/run` runs it with -m slow

FIXTURE = Path(__file__).parent / "data" / "fixture_pkg"
MODULES = ("connections", "context", "factory", "handlers", "jobs", "manager", "services")


def _env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(root)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_suite(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "--rootdir",
            str(root),
            str(root / "suite" / "fixture_suite.py"),
        ],
        cwd=root,
        env=_env(root),
        capture_output=True,
        text=True,
        timeout=120,
    )


def import_all(root: Path) -> subprocess.CompletedProcess[str]:
    code = "import importlib\n" + "".join(
        f"importlib.import_module('chatapp.{m}')\n" for m in MODULES
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env=_env(root),
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_green(root: Path) -> None:
    suite = run_suite(root)
    assert suite.returncode == 0, suite.stdout + suite.stderr
    imported = import_all(root)
    assert imported.returncode == 0, imported.stderr


@pytest.fixture
def pkg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "fixture_pkg"
    shutil.copytree(FIXTURE, root)
    (root / ".git").mkdir()  # the project root
    monkeypatch.chdir(root)
    return root


def fix(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    main(["check", "chatapp", "--fix", "--no-cache", *extra])
    out, err = capsys.readouterr()
    return out + err


def test_fixture_suite_passes_as_shipped(pkg: Path) -> None:
    assert_green(pkg)


def test_safe_fixes_keep_the_suite_green(pkg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fix(capsys)
    handlers = (pkg / "chatapp" / "handlers.py").read_text(encoding="utf-8")
    # the handlers with a context use the factory, imported from where it is defined
    assert "create_websocket_manager(user_context)" in handlers
    assert "from .factory import create_websocket_manager" in handlers
    # the optional context is not passed to a factory that raises on None
    assert "create_websocket_manager(context)" not in handlers
    assert_green(pkg)
    # a second run changes nothing
    before = {p: p.read_bytes() for p in (pkg / "chatapp").glob("*.py")}
    fix(capsys)
    assert {p: p.read_bytes() for p in (pkg / "chatapp").glob("*.py")} == before


def test_unsafe_fixes_keep_the_suite_green(pkg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jobs = (pkg / "chatapp" / "jobs.py").read_bytes()
    out = fix(capsys, "--unsafe-fixes")
    assert_green(pkg)
    services = (pkg / "chatapp" / "services.py").read_text(encoding="utf-8")
    # threaded through three levels: start_run -> run_step -> notify_progress
    for name in (
        "notify_progress(user_id: str, percent: int",
        "run_step(user_id: str, step: str",
        "start_run(user_id: str, prompt: str",
    ):
        assert f"{name}, *, user_context: UserExecutionContext)" in services
    assert "await notify_progress(user_id, 50, user_context=user_context)" in services
    assert 'create_websocket_manager(user_context).send_to_user(user_id, {"progress"' in services
    assert "from .context import UserExecutionContext" in services
    handlers = (pkg / "chatapp" / "handlers.py").read_text(encoding="utf-8")
    assert "start_run(user_context.user_id, prompt, user_context=user_context)" in handlers
    # the optional context: the factory when given, the old accessor otherwise
    assert (
        "(create_websocket_manager(context) if context is not None else get_websocket_manager())"
        in handlers
    )
    # what could not be threaded is listed, with its chain, and left alone
    assert "cannot thread the user context into `chatapp.services.announce`" in out
    assert "nightly() -> remind() -> announce()" in out
    assert "up to 3 levels of calls" in out
    assert (pkg / "chatapp" / "jobs.py").read_bytes() == jobs
    assert "async def announce(user_id: str, text: str) -> None:" in services
    before = {p: p.read_bytes() for p in (pkg / "chatapp").glob("*.py")}
    fix(capsys, "--unsafe-fixes")
    assert {p: p.read_bytes() for p in (pkg / "chatapp").glob("*.py")} == before


def test_migrate_thread_context_shows_a_diff_then_applies(
    pkg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {p: p.read_bytes() for p in (pkg / "chatapp").glob("*.py")}
    assert main(["migrate", "chatapp", "--thread-context"]) == 0
    out, err = capsys.readouterr()
    assert {p: p.read_bytes() for p in (pkg / "chatapp").glob("*.py")} == before
    assert (
        "+async def run_step(user_id: str, step: str, *, user_context: UserExecutionContext)" in out
    )
    assert "announce" in err
    assert main(["migrate", "chatapp", "--thread-context", "--apply", "--no-backup"]) == 0
    capsys.readouterr()
    assert_green(pkg)
    assert "user_context=user_context" in (pkg / "chatapp" / "services.py").read_text("utf-8")
