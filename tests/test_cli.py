"""`netra-ws-lint check` / `rule` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from netra_ws_lint.cli.main import main

LEGACY = (
    "from app.websocket_core import get_websocket_manager\n"
    "\n"
    "async def handle(user_context):\n"
    "    manager = get_websocket_manager()\n"
    "    await manager.send_event('x')\n"
)
CLEAN = "async def handle(user_context):\n    return create_websocket_manager(user_context)\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "legacy.py").write_text(LEGACY)
    (tmp_path / "app" / "clean.py").write_text(CLEAN)
    return tmp_path


def test_exit_codes_and_concise_output(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", ".")
    assert code == 1
    # one defect, one finding: the import is reported with its call (NWS101), not apart
    assert out.splitlines() == [
        "app/legacy.py:4:15: NWS101 call of deprecated process-wide accessor "
        "`get_websocket_manager()`; use `create_websocket_manager`",
    ]
    assert run(capsys, "check", "app/clean.py")[0] == 0
    assert run(capsys, "check", "--exit-zero", ".")[0] == 0


def test_output_sorted_by_path_line_col_code(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "app" / "a_first.py").write_text("x = get_websocket_manager()\n" + LEGACY)
    _, out, _ = run(capsys, "check", "--output-format", "json", "app")
    data = json.loads(out)
    keys = [(d["filename"], d["line"], d["column"], d["code"]) for d in data]
    assert keys == sorted(keys)
    assert keys[0][0] == "app/a_first.py"
    assert set(data[0]) == {"filename", "line", "column", "code", "name", "message", "audit"}


def test_full_format_shows_source_and_caret(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "check", "--output-format", "full", "--select", "NWS101", "app")
    assert out.splitlines()[1:] == [
        "        manager = get_websocket_manager()",
        "                  ^",
    ]


def test_selection_flags(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "check", "--select", "NWS101", ".")
    assert [line.split()[1] for line in out.splitlines()] == ["NWS101"]
    _, out, _ = run(capsys, "check", "--ignore", "NWS1", ".")
    assert out == ""
    code, _, err = run(capsys, "check", "--select", "NWS999", ".")
    assert code == 2 and "unknown rule code or prefix 'NWS999'" in err


def test_statistics(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "check", "--statistics", ".")
    assert out.splitlines() == ["    1  NWS101  deprecated-accessor-call"]


def test_per_file_ignores_cli_and_config(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "check", "--per-file-ignores", "app/legacy.py:NWS102", ".")
    assert [line.split()[1] for line in out.splitlines()] == ["NWS101"]
    (repo / "pyproject.toml").write_text(
        '[tool.netra-ws-lint]\nper-file-ignores = { "app/*.py" = ["NWS101"] }\n'
    )
    _, out, _ = run(capsys, "check", ".")
    assert [line.split()[1] for line in out.splitlines()] == ["NWS102"]


def test_setup_cfg_is_read_and_pyproject_wins(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "setup.cfg").write_text("[netra-ws-lint]\nignore = NWS101, NWS102\n")
    assert run(capsys, "check", ".")[0] == 0
    (repo / "pyproject.toml").write_text('[tool.netra-ws-lint]\nignore = ["NWS102"]\n')
    _, out, _ = run(capsys, "check", ".")
    assert [line.split()[1] for line in out.splitlines()] == ["NWS101"]


def test_config_found_by_walking_up_from_the_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "app" / "pyproject.toml").write_text('[tool.netra-ws-lint]\nignore = ["NWS1"]\n')
    (repo / "other.py").write_text("get_websocket_manager()\n")
    _, out, _ = run(capsys, "check", ".")
    assert {line.split(":")[0] for line in out.splitlines()} == {"other.py"}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('colour = "red"', "key 'colour': unknown key"),
        ('select = ["NWS1O1"]', "key 'select': unknown rule code or prefix 'NWS1O1'"),
        ("select = 3", "key 'select': expected a list of strings, got int"),
        ('audit = "maybe"', "key 'audit': expected true or false"),
        ('context-names = ["not a name"]', "key 'context-names': 'not a name' is not a name"),
        ('exclude = ["a/**/b/***"]', ""),
        ("select = [", "invalid TOML"),
    ],
)
def test_config_errors_are_clear(repo: Path, capsys: pytest.CaptureFixture[str],
                                 table: str, message: str) -> None:
    (repo / "pyproject.toml").write_text(f"[tool.netra-ws-lint]\n{table}\n")
    code, out, err = run(capsys, "check", ".")
    if not message:  # a valid odd glob is not an error
        assert code == 1
        return
    assert code == 2 and out == ""
    assert err.startswith("netra-ws-lint: error: ")
    assert "pyproject.toml" in err and message in err
    assert "Traceback" not in err


def test_excludes_and_gitignore(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "gen").mkdir()
    (repo / "gen" / "g.py").write_text(LEGACY)
    (repo / "vendor").mkdir()
    (repo / "vendor" / "v.py").write_text(LEGACY)
    (repo / ".gitignore").write_text("gen/\n")
    (repo / "pyproject.toml").write_text('[tool.netra-ws-lint]\nextend-exclude = ["vendor"]\n')
    _, out, _ = run(capsys, "check", ".")
    assert {line.split(":")[0] for line in out.splitlines()} == {"app/legacy.py"}
    # a file named on the command line is checked unless --force-exclude
    assert run(capsys, "check", "vendor/v.py")[0] == 1
    assert run(capsys, "check", "--force-exclude", "vendor/v.py", "gen/g.py")[0] == 0
    # so is a directory named on the command line
    assert run(capsys, "check", "vendor")[0] == 1
    assert run(capsys, "check", "--force-exclude", "vendor/v.py")[0] == 0
    assert run(capsys, "check", "--no-respect-gitignore", "--select", "NWS102", ".")[1].count("\n") == 2


@pytest.mark.parametrize("key", ["exclude", "extend-exclude"])
def test_stdin_of_an_excluded_file_with_force_exclude_reports_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    import io

    (repo / "legacy").mkdir()
    (repo / "pyproject.toml").write_text(f'[tool.netra-ws-lint]\n{key} = ["legacy"]\n')

    def stdin(argv: tuple[str, ...]) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(LEGACY.encode())))
        return run(capsys, *argv)

    code, out, _ = stdin(("check", "--force-exclude", "--stdin-filename", "legacy/old.py", "-"))
    assert (code, out) == (0, "")
    # without --force-exclude the buffer is checked, as a file named on the command line
    assert stdin(("check", "--stdin-filename", "legacy/old.py", "-"))[0] == 1
    # a file that is not excluded is still checked with --force-exclude
    code, out, _ = stdin(("check", "--force-exclude", "--stdin-filename", "app/new.py", "-"))
    assert code == 1 and out.startswith("app/new.py:")


def test_stdin_with_filename_uses_its_config(repo: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    (repo / "pyproject.toml").write_text(
        '[tool.netra-ws-lint]\nper-file-ignores = { "app/*" = ["NWS102"] }\n'
    )
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(LEGACY.encode())))
    code, out, _ = run(capsys, "check", "--stdin-filename", "app/x.py", "-")
    assert code == 1
    assert [line.split()[:2] for line in out.splitlines()] == [["app/x.py:4:15:", "NWS101"]]


def test_skip_file_and_syntax_errors_do_not_stop_the_run(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "app" / "skipped.py").write_text("# netra-ws-lint: skip-file\n" + LEGACY)
    (repo / "app" / "broken.py").write_text("def f(:\n")
    _, out, _ = run(capsys, "check", "app")
    files = [line.split(":")[0] for line in out.splitlines()]
    assert "app/skipped.py" not in files
    assert "app/broken.py:1:7: NWS900 syntax error: invalid syntax" in out.splitlines()[0]
    assert files.count("app/legacy.py") == 1


def test_missing_path_is_an_error_but_others_are_checked(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", "nope.py", "app/legacy.py")
    assert code == 2
    assert "nope.py: no such file or directory" in err
    assert out.count("app/legacy.py") == 1


def test_rule_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rule", "NWS101")
    assert code == 0
    assert out.startswith("# deprecated-accessor-call (NWS101)\n\nStatus: default.")
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix"):
        assert section in out
    assert run(capsys, "rule", "deprecated-accessor-import")[1].startswith("# deprecated-accessor-import")
    code, out, _ = run(capsys, "rule", "--all")
    assert code == 0 and "NWS101  deprecated-accessor-call" in out
    assert run(capsys, "rule", "NWS999")[0] == 2


def test_console_script_and_module_entry_points(repo: Path) -> None:
    for cmd in (["netra-ws-lint"], [sys.executable, "-m", "netra_ws_lint"]):
        exe = Path(sys.executable).parent / cmd[0] if cmd[0] == "netra-ws-lint" else None
        argv = [str(exe)] if exe else cmd
        proc = subprocess.run([*argv, "check", "app"], cwd=repo, capture_output=True, text=True)
        assert proc.returncode == 1, proc.stderr
        assert "app/legacy.py:4:15: NWS101" in proc.stdout
