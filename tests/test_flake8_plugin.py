"""The flake8 plugin and the CLI engine give the same findings: every rule example is
checked by a real `flake8` subprocess and by the engine, with per-example options
written to a pyproject.toml that both front ends read."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


from .examples import all_examples

FORMAT = "%(path)s:%(row)d:%(col)d:%(code)s"


def toml_value(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def run_flake8(root: Path, *args: str) -> set[tuple[str, int, int, str]]:
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "NWS", f"--format={FORMAT}", *args, "."],
        cwd=root, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    out = set()
    for line in proc.stdout.splitlines():
        path, row, col, code = line.rsplit(":", 3)
        out.add((Path(path).as_posix().removeprefix("./"), int(row), int(col), code))
    return out


def run_engine(root: Path) -> set[tuple[str, int, int, str]]:
    """``netra-ws-lint check .`` (project mode, as flake8 is) on the tree."""
    proc = subprocess.run(
        [sys.executable, "-m", "netra_ws_lint", "check", ".", "--no-cache"],
        cwd=root, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode in (0, 1), proc.stderr
    out = set()
    for line in proc.stdout.splitlines():
        path, row, col, rest = line.split(":", 3)
        out.add((Path(path).as_posix(), int(row), int(col), rest.split()[0]))
    return out


@pytest.fixture(scope="module")
def example_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("examples")
    for ex in all_examples():
        if ex.rule.tool:  # syntax errors are flake8's E999, not ours
            continue
        options = ex.options
        sub = root / (f"opts{abs(hash(json.dumps(options, sort_keys=True)))}" if options else "plain")
        sub.mkdir(exist_ok=True)
        if options and not (sub / "pyproject.toml").exists():
            body = "\n".join(f"{k} = {toml_value(v)}" for k, v in options.items())
            (sub / "pyproject.toml").write_text(f"[tool.netra-ws-lint]\n{body}\n")
        (sub / f"{ex.id.replace('-', '_')}.py").write_text(ex.source)
    return root


def test_flake8_and_engine_agree_on_every_example(example_tree: Path) -> None:
    engine = run_engine(example_tree)
    flake8 = run_flake8(example_tree)
    assert engine, "the examples must produce findings"
    assert flake8 == engine


def test_noqa_semantics_match_flake8(tmp_path: Path) -> None:
    (tmp_path / "noqa_cases.py").write_text(
        "from app import get_websocket_manager  # noqa: NWS102\n"
        "def f(user_id):\n"
        "    a = get_websocket_manager()  # noqa: NWS1\n"
        "    b = get_websocket_manager()  # NOQA:NWS101\n"
        "    c = get_websocket_manager()  # noqa: E501\n"
        "    d = get_websocket_manager(\n"
        "        1)  # noqa\n"  # a bracketed continuation line is a line of its own
        "    e = get_websocket_manager(\'\'\'\n"
        "    \'\'\')  # noqa\n"  # ... but a multi-line string joins its lines
        "    g = get_websocket_manager()  # noqa:NWS102,NWS101\n"
        "    h = 'get_websocket_manager()'  # noqa\n"
        "    i = get_websocket_manager() + \\\n"
        "        1  # noqa\n"  # ... and so does a backslash continuation
    )
    engine = run_engine(tmp_path)
    assert engine == run_flake8(tmp_path)
    assert {(line, code) for _, line, _, code in engine} == {(5, "NWS101"), (6, "NWS101")}


def test_flake8_options_override_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.netra-ws-lint]\nignore = ["NWS102"]\n')
    (tmp_path / "m.py").write_text(
        "from app import get_event_bus\n"
        "def f(user_id):\n"
        "    return get_event_bus()\n"
    )
    assert run_flake8(tmp_path) == set()
    got = run_flake8(tmp_path, "--nws-deprecated-accessors=get_event_bus -> create_event_bus")
    assert got == {("m.py", 3, 12, "NWS101")}
