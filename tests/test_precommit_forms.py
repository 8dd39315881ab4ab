"""Real pre-commit runs of the two hook forms `init` writes: the remote form pinned to
the rev `init` chose (the release tag, created here as the release step does), and
`init --local`, which runs the installed tool and needs no network at all."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from netra_ws_lint import __version__
from netra_ws_lint.cli.main import main

from .test_precommit import BAD, FIXED, _run, hook_repo  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.precommit, pytest.mark.slow]


def _service(tmp_path: Path) -> Path:
    repo = tmp_path / "service"
    (repo / "app").mkdir(parents=True)
    _run(["git", "init", "-q"], repo)
    return repo


def _refused_then_passes(repo: Path, env: dict[str, str]) -> None:
    _run([sys.executable, "-m", "pre_commit", "install"], repo, env)
    (repo / "app" / "handlers.py").write_text(BAD)
    _run(["git", "add", "-A"], repo)
    refused = _run(["git", "commit", "-m", "add handler"], repo, env, check=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "app/handlers.py:5:15: NWS101 call of deprecated process-wide accessor" in output
    (repo / "app" / "handlers.py").write_text(FIXED)
    _run(["git", "add", "-A"], repo)
    passed = _run(["git", "commit", "-m", "add handler"], repo, env, check=False)
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_local_hook_runs_the_installed_tool_offline(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    pytest.importorskip("pre_commit")
    repo = _service(tmp_path)
    assert main(["init", str(repo), "--local"]) == 0
    env = {
        "PRE_COMMIT_HOME": str(tmp_path_factory.mktemp("pre_commit_home")),
        # nothing may be fetched: no package index, no clone
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": "",
        "GIT_ALLOW_PROTOCOL": "file",
        # the installed tool, as in the venv a developer has activated
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    _refused_then_passes(repo, env)


def test_remote_hook_at_the_rev_init_wrote(
    hook_repo: tuple[Path, str],  # noqa: F811
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    clone, _ = hook_repo
    # the release step (docs/ci.md, "A team's own copy"): tag the release commit v<version>
    _run(["git", "tag", "-f", f"v{__version__}"], clone)
    repo = _service(tmp_path)
    # this copy is installed from a working tree (editable): pip recorded no commit,
    # so the team names its repository and the rev it tagged
    assert main(["init", str(repo), "--repo", str(clone)]) == 2
    assert main(["init", str(repo), "--repo", str(clone), "--rev", f"v{__version__}"]) == 0
    config = (repo / ".pre-commit-config.yaml").read_text()
    assert f"rev: v{__version__}" in config
    env = {"PRE_COMMIT_HOME": str(tmp_path_factory.mktemp("pre_commit_home"))}
    _refused_then_passes(repo, env)
