"""The CI files of examples/ci (and the README) work when pasted: they parse, hold what
each service needs (install, permissions, reports), and their commands, run as the CI
would run them (all but the install and the upload), fail a bad commit and pass a clean
one, with the baseline route for legacy code."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
CI = ROOT / "examples" / "ci"
ENV = {
    **os.environ,
    "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


def github() -> dict[str, Any]:
    return dict(yaml.safe_load((CI / "github-actions.yml").read_text()))


def gitlab() -> dict[str, Any]:
    return dict(yaml.safe_load((CI / "gitlab-ci.yml").read_text())["netra-ws-lint"])


def test_no_file_names_a_release_or_repository_that_does_not_exist() -> None:
    """The project has no package on PyPI and no public repository: nothing tells a
    user to install or clone from one."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(CI.glob("*.yml"))]
    texts += [(ROOT / name).read_text(encoding="utf-8")
              for name in ("README.md", ".pre-commit-hooks.yaml")]
    texts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").rglob("*.md"))]
    for text in texts:
        assert "netra-systems" not in text
        assert "@v0.1.0" not in text and "rev: v0.1.0" not in text
        assert not re.search(r"^\s*(pip|pipx|uv tool) install '?netra-ws-lint", text, re.M)


def test_github_workflow_is_complete() -> None:
    wf = github()
    assert wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as true
    job = wf["jobs"]["netra-ws-lint"]
    # upload-sarif: security-events to write, actions to read the run in private repos
    assert job["permissions"] == {
        "actions": "read", "contents": "read", "security-events": "write"
    }
    uses = [s.get("uses", "") for s in job["steps"]]
    assert uses[0].startswith("actions/checkout@") and uses[1].startswith("actions/setup-python@")
    install = next(s for s in job["steps"] if s.get("name", "").startswith("Install"))
    assert "pip install" in install["run"] and "NETRA_WS_LINT_SPEC" in install["run"]
    upload = next(s for s in job["steps"] if "upload-sarif" in s.get("uses", ""))
    assert upload["uses"] == "github/codeql-action/upload-sarif@v4"
    report = next(s for s in job["steps"] if "--output-format sarif" in s.get("run", ""))
    assert f"--output-file {upload['with']['sarif_file']}" in report["run"]
    assert upload["if"] == "always()"
    gate = next(s for s in job["steps"] if s.get("name") == "Gate")
    assert "--exit-zero" not in gate["run"]


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_the_install_step_fails_loudly_until_its_source_is_set(ci: str, tmp_path: Path) -> None:
    if ci == "github":
        steps = github()["jobs"]["netra-ws-lint"]["steps"]
        script = next(s["run"] for s in steps if s.get("name", "").startswith("Install"))
    else:
        script = "\n".join(gitlab()["before_script"])
    env = {k: v for k, v in ENV.items() if k not in ("NETRA_WS_LINT_SPEC", "PIP_INDEX_URL")}
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "NETRA_WS_LINT_SPEC" in proc.stderr and "where to install netra-ws-lint" in proc.stderr


def test_gitlab_job_is_complete() -> None:
    job = gitlab()
    assert job["image"].startswith("python:")
    assert any("pip install" in c for c in job["before_script"])
    report = job["artifacts"]["reports"]["codequality"]
    assert any(f"--output-format gitlab --output-file {report}" in c for c in job["script"])
    assert job["artifacts"]["when"] == "always"
    assert "--exit-zero" not in job["script"][-1]


def _github_commands() -> list[list[str]]:
    steps = github()["jobs"]["netra-ws-lint"]["steps"]
    # GitHub runs `run:` with `bash -e {0}`; the install and the upload are left out
    return [["bash", "-e", "-c", s["run"]] for s in steps
            if "run" in s and not s.get("name", "").startswith("Install")]


def _gitlab_commands() -> list[list[str]]:
    return [["sh", "-e", "-c", c] for c in gitlab()["script"]]


def _job(commands: list[list[str]], repo: Path) -> tuple[bool, str]:
    """Run a job's commands in order, as the CI does: the first failure fails it."""
    log = ""
    for cmd in commands:
        proc = subprocess.run(cmd, cwd=repo, env=ENV, capture_output=True, text=True,
                              timeout=300)
        log += f"$ {shlex.join(cmd)}\n{proc.stdout}{proc.stderr}"
        if proc.returncode != 0:
            return False, log
    return True, log


def _commit(tmp_path: Path, service: str) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / service, repo / "app")
    subprocess.run(["git", "init", "-q"], cwd=repo, env=ENV, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, env=ENV, check=True)
    subprocess.run(["git", "commit", "-qm", service], cwd=repo, env=ENV, check=True)
    return repo


@pytest.mark.slow
@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_a_bad_commit_fails_and_a_clean_one_passes(ci: str, tmp_path: Path) -> None:
    commands = _github_commands() if ci == "github" else _gitlab_commands()
    bad = _commit(tmp_path / "bad", "legacy_service")
    ok, log = _job(commands, bad)
    assert not ok, log
    # where the example's first NWS101 in handlers.py is (the golden findings say)
    golden = (Path(__file__).parent / "data" / "legacy_service.expected").read_text()
    line, col = next(
        g.split(":")[1:3] for g in golden.splitlines() if "/handlers.py:" in g and " NWS101 " in g
    )
    if ci == "github":
        assert f"::error file=app/handlers.py,line={line},col={col},title=NWS101" in log
        sarif = json.loads((bad / "netra-ws-lint.sarif").read_text())
        assert sarif["runs"][0]["results"]
    else:
        assert f"app/handlers.py:{line}:{col}: NWS101" in log
        report = json.loads((bad / "gl-code-quality.json").read_text())
        assert {i["location"]["path"] for i in report} >= {"app/handlers.py"}

    clean = _commit(tmp_path / "clean", "factory_service")
    ok, log = _job(commands, clean)
    assert ok, log


@pytest.mark.slow
@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_the_baseline_route_for_legacy_code(ci: str, tmp_path: Path) -> None:
    commands = _github_commands() if ci == "github" else _gitlab_commands()
    repo = _commit(tmp_path, "legacy_service")
    subprocess.run(["netra-ws-lint", "baseline", "create"], cwd=repo, env=ENV, check=True,
                   capture_output=True)
    ok, log = _job(commands, repo)
    assert ok, log  # the legacy findings are known
    with open(repo / "app" / "handlers.py", "a") as f:
        f.write("\n\nasync def on_close(user_context):\n    m = get_websocket_manager()\n")
    ok, log = _job(commands, repo)
    assert not ok, log  # a new finding fails the job
