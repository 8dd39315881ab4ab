"""A real pre-commit run of the hook, as a user wires it into a repository.

pre-commit clones the hook repository, builds a virtualenv and pip-installs the tool
into it (its dependencies come from the configured package index), so this test needs
that index: deselect it offline with ``-m 'not precommit'``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from netra_ws_lint.cli.main import main

pytestmark = [pytest.mark.precommit, pytest.mark.slow]

PROJECT = Path(__file__).resolve().parents[1]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}
BAD = (
    "from app.websocket_core import get_websocket_manager\n"
    "\n"
    "\n"
    "async def on_message(user_context, message):\n"
    "    manager = get_websocket_manager()\n"
    "    await manager.send_event('message', message)\n"
)
FIXED = (
    "from app.websocket_core import create_websocket_manager\n"
    "\n"
    "\n"
    "async def on_message(user_context, message):\n"
    "    manager = create_websocket_manager(user_context)\n"
    "    await manager.send_event('message', message)\n"
)


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None,
         check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900,
                          env={**os.environ, **GIT_ENV, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def _working_tree_files() -> list[str]:
    """The project's files as a clone of the working tree would hold them."""
    if (PROJECT / ".git").exists():
        out = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                   PROJECT).stdout
        return [f for f in out.split("\0") if f and (PROJECT / f).is_file()]
    skip = {".git", ".venv", "build", "dist", "__pycache__"}
    return [p.relative_to(PROJECT).as_posix() for p in PROJECT.rglob("*")
            if p.is_file() and not skip & set(p.relative_to(PROJECT).parts)]


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A clone of this repository holding the current working tree, at a commit made
    there (never in the project's own repository)."""
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    clone = tmp_path_factory.mktemp("hook_repo")
    for name in _working_tree_files():
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT / name, clone / name)
    assert (clone / ".pre-commit-hooks.yaml").is_file()
    _run(["git", "init", "-q"], clone)
    _run(["git", "add", "-A"], clone)
    _run(["git", "commit", "-qm", "working tree under test"], clone)
    return clone, _run(["git", "rev-parse", "HEAD"], clone).stdout.strip()


def test_commit_is_refused_then_passes(hook_repo: tuple[Path, str], tmp_path: Path,
                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    clone, sha = hook_repo
    env = {"PRE_COMMIT_HOME": str(tmp_path_factory.mktemp("pre_commit_home"))}
    repo = tmp_path / "service"
    repo.mkdir()
    _run(["git", "init", "-q"], repo)
    # set up as a user would: init writes the hook config and the tool's table
    assert main(["init", str(repo), "--repo", str(clone), "--rev", sha]) == 0
    config = (repo / ".pre-commit-config.yaml").read_text()
    assert f"repo: {clone}" in config and f"rev: {sha}" in config
    with open(repo / "pyproject.toml", "a") as f:  # the team's own settings
        f.write('ignore = ["NWS102"]\nextend-exclude = ["legacy/"]\n')
    _run([sys.executable, "-m", "pre_commit", "install"], repo, env)

    (repo / "app").mkdir()
    (repo / "app" / "handlers.py").write_text(BAD)
    _run(["git", "add", "-A"], repo)
    refused = _run(["git", "commit", "-m", "add handler"], repo, env, check=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "app/handlers.py:5:15: NWS101 call of deprecated process-wide accessor" in output
    assert "NWS102" not in output  # ignored by the repository's pyproject.toml
    assert _run(["git", "rev-list", "--all"], repo, check=False).stdout == ""  # no commit

    (repo / "app" / "handlers.py").write_text(FIXED)
    (repo / "legacy").mkdir()  # excluded in pyproject: --force-exclude keeps it out
    (repo / "legacy" / "old.py").write_text(BAD)
    _run(["git", "add", "-A"], repo)
    passed = _run(["git", "commit", "-m", "add handler"], repo, env, check=False)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "netra-ws-lint" in passed.stdout + passed.stderr  # the hook ran, and passed
    assert _run(["git", "log", "--format=%s"], repo).stdout == "add handler\n"


def test_the_hook_with_a_baseline_refuses_a_duplicated_line(
    hook_repo: tuple[Path, str], tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Adopting the gate on legacy code: the hook runs with `--baseline`; a commit that
    duplicates a legacy line is refused at the new line, and nothing old is reported."""
    clone, sha = hook_repo
    env = {"PRE_COMMIT_HOME": str(tmp_path_factory.mktemp("pre_commit_home"))}
    repo = tmp_path / "legacy_service"
    (repo / "app").mkdir(parents=True)
    _run(["git", "init", "-q"], repo)
    legacy = BAD + "\n\nasync def on_close(user_context):\n    manager = get_websocket_manager()\n"
    (repo / "app" / "handlers.py").write_text(legacy)
    assert main(["init", str(repo), "--repo", str(clone), "--rev", sha]) == 0
    config = repo / ".pre-commit-config.yaml"
    config.write_text(config.read_text().replace(
        "- id: netra-ws-lint\n", "- id: netra-ws-lint\n        args: [--baseline, baseline.json]\n"))
    assert "args: [--baseline, baseline.json]" in config.read_text()
    monkeypatch.chdir(repo)
    assert main(["baseline", "create", "--file", "baseline.json", "app"]) == 0
    _run([sys.executable, "-m", "pre_commit", "install"], repo, env)
    _run(["git", "add", "-A"], repo)
    first = _run(["git", "commit", "-m", "legacy, with its baseline"], repo, env, check=False)
    assert first.returncode == 0, first.stdout + first.stderr  # known findings pass

    lines = legacy.splitlines(keepends=True)
    lines.insert(3, "manager = get_websocket_manager()\n")  # a new module-level copy
    (repo / "app" / "handlers.py").write_text("".join(lines))
    _run(["git", "add", "-A"], repo)
    refused = _run(["git", "commit", "-m", "one more"], repo, env, check=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    flagged = {ln.split(":")[1] for ln in output.splitlines() if ": NWS" in ln}
    assert flagged == {"4"}, output  # the new line only (NWS103, and NWS101 on its call)
