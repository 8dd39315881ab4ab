"""A security tool must never run the code it reads, never write outside the paths it
was asked to check, and never unpickle anything."""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import pytest

import netra_ws_lint

from .frontends import cli, cli_subprocess, flake8

CALL = "m = get_websocket_manager()\n"


def _booby_trap(marker: Path) -> str:
    """A module that, imported or run in any way, writes ``marker`` and exits."""
    return (
        "import pathlib, sys\n"
        f"pathlib.Path({str(marker)!r}).write_text('ran')\n"
        "raise SystemExit('imported!')\n"
        "from app.websocket_core import get_websocket_manager\n"
        "async def handle(user_context):\n"
        "    m = get_websocket_manager()\n"
        "if __name__ == '__main__':\n"
        f"    pathlib.Path({str(marker)!r}).write_text('main')\n"
    )


def test_checked_code_is_never_imported_or_run(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    marker = tmp_path / "marker"
    # the names an importer or a test runner would pick up by itself, too; and modules
    # of the standard library (``python -m`` puts the working directory on sys.path:
    # only a file named netra_ws_lint.py could still shadow the tool itself there)
    for name in ("trap.py", "__init__.py", "conftest.py", "setup.py", "__main__.py",
                 "sitecustomize.py", "usercustomize.py", "ast.py", "json.py", "tokenize.py"):
        (pkg / name).write_text(_booby_trap(marker))
    # in this process
    monkeypatch.chdir(tmp_path)
    modules = set(sys.modules)
    r = cli(capsys, "check", "--audit", "--no-cache", "--output-format", "sarif", "pkg")
    assert r.code == 1 and "NWS101" in r.out
    loaded_from_tree = [
        m for m in set(sys.modules) - modules
        if str(getattr(sys.modules[m], "__file__", None) or "").startswith(str(tmp_path))
    ]
    assert loaded_from_tree == []
    # as a subprocess (parallel workers too), run from inside the checked directory
    r = cli_subprocess(pkg, "check", "--audit", "--jobs", "2", ".")
    assert r.code == 1 and "NWS101" in r.out
    # (flake8 run from outside: ``python -m flake8`` itself would import ./ast.py)
    f = flake8(tmp_path, "pkg", extra=("--select", "NWS"))
    assert "NWS101" in f.out
    for argv in (["baseline", "create", "."], ["check", "--add-noqa", "."]):
        cli_subprocess(pkg, *argv)
    assert not marker.exists(), marker.read_text()


def test_no_pickle_marshal_or_shelve_in_the_package() -> None:
    """Cached or stored data is JSON: loading it can never run code."""
    banned = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle"}
    calls = {"loads", "load"}
    package = Path(netra_ws_lint.__file__).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module.split(".")[0]]
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                  and node.func.id in ("__import__", "eval", "exec", "compile")):
                offenders.append(f"{path.name}:{node.lineno}: {node.func.id}()")
            elif (isinstance(node, ast.Attribute) and node.attr in calls
                  and isinstance(node.value, ast.Name) and node.value.id in banned):
                offenders.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
            offenders += [f"{path.name}:{node.lineno}: import {n}" for n in names if n in banned]
            # importing a library by its fixed name is fine; anything computed is not
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("import_module", "exec_module", "run_path",
                                           "run_module", "load_module")
                    and not (node.func.attr == "import_module" and node.args
                             and isinstance(node.args[0], ast.Constant))):
                offenders.append(f"{path.name}:{node.lineno}: {node.func.attr}")
            if (isinstance(node, ast.Attribute) and node.attr in ("load", "unsafe_load")
                    and isinstance(node.value, ast.Name) and node.value.id == "yaml"):
                offenders.append(f"{path.name}:{node.lineno}: yaml.{node.attr}")
    assert offenders == []


# ---------------------------------------------------------------- writing stays inside


def test_add_noqa_never_writes_through_a_symlink_or_outside_the_checked_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.py").write_text(CALL)
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "own.py").write_text(CALL)
    os.symlink(outside / "victim.py", repo / "src" / "link.py")  # a file link out
    os.symlink(outside, repo / "src" / "vendored")  # a directory link out
    monkeypatch.chdir(repo)
    r = cli(capsys, "check", "--no-cache", "--select", "NWS101", "--add-noqa", "src")
    assert r.code == 2
    assert "src/link.py: is a symbolic link; left as it was" in r.err
    assert "src/vendored/victim.py: lies outside the checked paths" in r.err
    assert "added `# noqa` to 1 line in 1 file" in r.err
    assert (outside / "victim.py").read_text() == CALL  # untouched
    assert (repo / "src" / "link.py").is_symlink()
    assert "noqa: NWS101" in (repo / "src" / "own.py").read_text()


def test_baseline_never_writes_through_a_symlink(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text("precious\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".git").mkdir()
    (repo / "app.py").write_text(CALL)
    os.symlink(outside, repo / ".netra-ws-lint-baseline.json")
    monkeypatch.chdir(repo)
    r = cli(capsys, "baseline", "create", ".")
    assert r.code == 0
    assert outside.read_text() == "precious\n"  # the link is replaced, its target kept
    assert not (repo / ".netra-ws-lint-baseline.json").is_symlink()
    assert cli(capsys, "check", "--baseline", ".netra-ws-lint-baseline.json", ".").code == 0


def test_the_cli_never_writes_into_the_checked_tree_unless_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app.py").write_text(CALL)
    monkeypatch.chdir(tmp_path)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    assert cli(capsys, "check", "--no-cache", "--output-format", "sarif", ".").code == 1
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before
