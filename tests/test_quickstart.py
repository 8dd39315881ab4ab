"""The README's quick start, end to end, from a fresh clone and without the network, as a
new user follows it: install from the clone into a new virtualenv, the first command,
the example of "What it finds" (its output as printed there), a rule's doc, a baseline,
`init`, a commit refused by the hook through pre-commit, and the GitHub Actions file's
commands run locally against a wheel built from the clone.

The new virtualenvs see this environment's packages (the dependencies, setuptools,
pre-commit) through a `.pth` file, so nothing is downloaded: pip runs with `--no-index`.
Only when this environment's setuptools cannot build a wheel (before 70.1, without
`wheel`) is a newer setuptools installed first, from pip's configured sources."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from netra_ws_lint.rules.base import all_rules

from .conftest import validate_sarif

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
yaml = pytest.importorskip("yaml")


def _env(venv: Path, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV"))}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        PIP_NO_INDEX="1",  # offline: nothing may be downloaded
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PRE_COMMIT_HOME=str(tmp / "pre-commit-home"),
        GIT_ALLOW_PROTOCOL="file",
        GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com",
        GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
    )
    return env


def _run(cmd: list[str], cwd: Path, env: dict[str, str], ok: bool | None = True
         ) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if ok is not None:
        assert (proc.returncode == 0) == ok, f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}"
    return proc


def _venv(path: Path, tmp: Path) -> dict[str, str]:
    """A new virtualenv that sees this environment's packages (after its own)."""
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=300)
    site = next((path / "lib").glob("python3*/site-packages"))
    (site / "this-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = _env(path, tmp)
    python = str(path / "bin" / "python")
    can_build = subprocess.run(
        [python, "-c", "import setuptools, sys; v = tuple(map(int, "
         "setuptools.__version__.split('.')[:2])); import importlib.util as u; "
         "sys.exit(0 if v >= (70, 1) or u.find_spec('wheel') else 1)"],
        env=env, capture_output=True, timeout=120,
    ).returncode == 0
    if not can_build:
        online = {k: v for k, v in env.items() if k != "PIP_NO_INDEX"}
        proc = subprocess.run([python, "-m", "pip", "install", "-q", "setuptools>=70.1"],
                              env=online, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            pytest.skip(f"no setuptools able to build a wheel here: {proc.stderr[-300:]}")
    return env


def _readme_example() -> tuple[str, list[str]]:
    """The code and the printed findings of the README's "What it finds"."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## What it finds", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n# app/notify.py\n(.*?)```", section, re.S)
    output = re.search(r"```text\n\$ netra-ws-lint check \.\n(.*?)```", section, re.S)
    assert code and output
    return code.group(1), output.group(1).splitlines()


def test_the_quick_start_from_a_fresh_clone_offline(tmp_path: Path) -> None:
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    pytest.importorskip("pre_commit")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=300)
    venv = clone / ".venv"
    env = _venv(venv, tmp_path)
    bin_ = venv / "bin"

    # README command 1, offline: install from the clone, check the legacy example
    _run([str(bin_ / "pip"), "install", "-q", "--no-build-isolation", "--no-index", "."],
         clone, env)
    installed = _run([str(bin_ / "python"), "-c", "import netra_ws_lint; "
                      "print(netra_ws_lint.__file__)"], tmp_path, env).stdout
    assert installed.startswith(str(venv)), installed
    first = _run([str(bin_ / "netra-ws-lint"), "check", "examples/legacy_service"], clone, env,
                 ok=False)
    assert first.returncode == 1
    default = {c for c, r in all_rules().items() if not r.audit and not r.tool}
    assert {line.split()[1] for line in first.stdout.splitlines()} == default

    # the quick start, in a project of one's own holding the README's example
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    code, printed = _readme_example()
    (project / "app" / "notify.py").write_text(code)
    _run(["git", "init", "-q"], project, env)
    _run(["git", "add", "-A"], project, env)
    _run(["git", "commit", "-qm", "service"], project, env)
    check = _run(["netra-ws-lint", "check"], project, env, ok=False)
    assert check.returncode == 1
    assert check.stdout.splitlines() + check.stderr.splitlines() == printed
    assert "shared-module-cache (NWS201)" in _run(["netra-ws-lint", "rule", "NWS201"],
                                                  project, env).stdout
    _run(["netra-ws-lint", "baseline", "create"], project, env)
    _run(["git", "add", ".netra-ws-lint-baseline.json"], project, env)
    _run(["netra-ws-lint", "check", "--baseline", ".netra-ws-lint-baseline.json"], project, env)
    init = _run(["netra-ws-lint", "init"], project, env).stdout
    assert "pip install pre-commit" in init and "pre-commit install" in init
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    assert config["repos"][0]["repo"] == "local"
    _run([str(bin_ / "python"), "-m", "pre_commit", "install"], project, env)
    _run(["git", "add", "-A"], project, env)
    _run(["git", "commit", "-qm", "netra-ws-lint"], project, env)
    with open(project / "app" / "notify.py", "a") as f:
        f.write("\n\nasync def on_close(user_id: str) -> None:\n"
                "    manager = get_websocket_manager()\n    await manager.disconnect(user_id)\n")
    _run(["git", "add", "-A"], project, env)
    refused = _run(["git", "commit", "-m", "notify users"], project, env, ok=False)
    log = refused.stdout + refused.stderr
    assert refused.returncode != 0, log
    line = (project / "app" / "notify.py").read_text().splitlines().index(
        "    manager = get_websocket_manager()", 8) + 1
    assert f"app/notify.py:{line}:15: NWS101" in log and "Failed" in log
    assert "NWS201" not in log  # the baseline's findings do not block

    # the GitHub Actions file's commands, with the tool installed from a built wheel
    _run([str(bin_ / "pip"), "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", "dist", "."], clone, env)
    (wheel,) = (clone / "dist").glob("netra_ws_lint-*.whl")
    ci_env = _venv(tmp_path / "ci-venv", tmp_path)
    ci_env["NETRA_WS_LINT_SPEC"] = str(wheel)
    workflow = yaml.safe_load((clone / "examples" / "ci" / "github-actions.yml").read_text())
    steps = [s for s in workflow["jobs"]["netra-ws-lint"]["steps"] if "run" in s]

    def job() -> tuple[bool, str]:
        out = ""
        for step in steps:
            proc = _run(["bash", "-e", "-c", step["run"]], project, ci_env, ok=None)
            out += f"== {step['name']}\n{proc.stdout}{proc.stderr}"
            if proc.returncode:
                return False, out
        return True, out

    ok, out = job()  # the new finding is in the working tree: the gate fails
    assert not ok and out.count(f"::error file=app/notify.py,line={line},col=15") == 1, out
    assert str(tmp_path / "ci-venv") in _run(
        ["bash", "-c", "command -v netra-ws-lint"], project, ci_env).stdout
    validate_sarif(json.loads((project / "netra-ws-lint.sarif").read_text()))
    _run(["git", "reset", "-q", "--hard"], project, env)  # back to the committed code
    ok, out = job()
    assert ok, out
