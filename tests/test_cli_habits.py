"""What users expect of a linter's command line: the summary line, colour, progress,
--output-file, --quiet, --show-settings, --exit-non-zero-on-fix, per-command usage."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from netra_ws_lint.cli.main import main
from netra_ws_lint.report import console

LEGACY = Path(__file__).resolve().parents[1] / "examples" / "legacy_service"
BAD = (
    "from app.websocket_core import get_websocket_manager\n"
    "\n"
    "\n"
    "async def on_message(user_context, message):\n"
    "    manager = get_websocket_manager()\n"
    "    await manager.send_event('message', message)\n"
)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[tool.netra-ws-lint]\nextend-context-names = ["req_ctx"]\n'
    )
    (tmp_path / "app.py").write_text(BAD)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_summary_line_on_the_legacy_service(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", "--no-cache", str(LEGACY))
    assert code == 1
    n = len(out.splitlines())
    assert err.splitlines()[-1] == (
        f"netra-ws-lint: Found {n} findings. [*] 3 fixable with the `--fix` option "
        "(2 hidden fixes can be enabled with the `--unsafe-fixes` option)."
    )


def test_summary_counts_and_quiet(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", "app.py")
    # NWS101 (the import is reported with its call): stdout is the report alone
    assert code == 1 and out.count("\n") == 1
    assert err == "netra-ws-lint: Found 1 finding. [*] 1 fixable with the `--fix` option.\n"
    assert run(capsys, "check", "--quiet", "app.py")[1:] == (out, "")
    assert run(capsys, "check", "-q", "--output-format", "json", "app.py")[2] == ""
    (repo / "app.py").write_text("x = 1\n")
    assert run(capsys, "check", "app.py") == (0, "", "netra-ws-lint: All checks passed!\n")
    # machine formats get no summary (stderr may be read by the same program)
    assert run(capsys, "check", "--output-format", "json", "app.py")[2] == ""


def test_colour_follows_the_option_and_the_environment(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = run(capsys, "check", "app.py")[1]
    assert "\033[" not in plain  # not a terminal
    coloured = run(capsys, "check", "--color", "always", "app.py")[1]
    assert "\033[1mapp.py\033[0m:5:15: \033[31;1mNWS101\033[0m call of" in coloured
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert run(capsys, "check", "app.py")[1] == coloured
    assert run(capsys, "check", "--color", "never", "app.py")[1] == plain
    monkeypatch.setenv("NO_COLOR", "1")
    assert run(capsys, "check", "app.py")[1] == plain
    assert run(capsys, "check", "--color", "always", "app.py")[1] == coloured
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.delenv("FORCE_COLOR")

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert console.color_enabled("auto", Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not console.color_enabled("auto", Tty())


def test_output_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = run(capsys, "check", "--output-format", "sarif", "app.py")[1]
    code, out, _ = run(
        capsys, "check", "--output-format", "sarif", "--output-file", "out.sarif", "app.py"
    )
    assert code == 1 and out == ""
    assert (repo / "out.sarif").read_text() == expected
    code, _, err = run(capsys, "check", "-o", "missing/dir/out.txt", "app.py")
    assert code == 2 and "netra-ws-lint: error: --output-file missing/dir/out.txt" in err


def test_show_settings(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "tests").mkdir()
    code, out, _ = run(capsys, "check", "--show-settings", "tests/test_app.py", "--ignore", "NWS2")
    assert code == 0
    assert f"# configuration: {repo / 'pyproject.toml'}" in out
    assert "a test path: yes" in out
    assert 'ignore = ["NWS2"]' in out
    assert '"ctx", "execution_context", "user_execution_context", "req_ctx"]' in out
    assert "NWS201" not in out.split("rules enabled for this file:")[1].split("\n")[0]


def test_exit_non_zero_on_fix(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "app.py").write_text(BAD.replace("from app.websocket_core import get_websocket_manager\n",
                                             "from app.websocket_core import get_websocket_manager  # noqa: NWS102\n"))
    code, _, err = run(capsys, "check", "--fix", "app.py")
    assert code == 0 and "Fixed 1 finding in 1 file." in err
    (repo / "app.py").write_text(BAD.replace("import get_websocket_manager", "import get_websocket_manager  # noqa: NWS102"))
    code, _, _ = run(capsys, "check", "--fix", "--exit-non-zero-on-fix", "app.py")
    assert code == 1  # fixed, nothing left: still a failure, as asked
    assert run(capsys, "check", "--fix", "--exit-non-zero-on-fix", "app.py")[0] == 0


def test_errors_show_the_commands_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["check", "--no-such-option"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: netra-ws-lint check ")
    assert "unrecognized arguments: --no-such-option" in err


def test_progress_shows_on_a_terminal_after_the_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(console, "PROGRESS_DELAY", 0.05)
    stream = Tty()
    with console.Progress(stream, True) as progress:
        progress.update("checking", 7, 40)
        time.sleep(0.3)
    text = stream.getvalue()
    assert "checking 7/40 files" in text
    assert text.endswith("\r\033[K")  # erased at the end
    quick = Tty()
    with console.Progress(quick, True) as progress:
        progress.update("checking", 1, 2)
    assert quick.getvalue() == ""  # a short run shows nothing
    piped = io.StringIO()
    with console.Progress(piped, True) as progress:
        time.sleep(0.2)
    assert piped.getvalue() == ""  # not a terminal


def test_the_runner_reports_progress(tmp_path: Path) -> None:
    from netra_ws_lint.config import Settings
    from netra_ws_lint.engine.runner import check_targets

    targets = []
    for i in range(3):
        (tmp_path / f"m{i}.py").write_text(BAD)
        targets.append((tmp_path / f"m{i}.py", f"m{i}.py", Settings(root=tmp_path)))
    told: list[tuple[str, int, int]] = []
    check_targets(targets, jobs=1, project=True, progress=lambda *a: told.append(a))
    assert told == [("indexing", 1, 3), ("indexing", 2, 3), ("indexing", 3, 3),
                    ("checking", 1, 3), ("checking", 2, 3), ("checking", 3, 3)]


def test_server_without_pygls_says_which_extra(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "netra_ws_lint.cli.server", None)  # as if not importable
    code, out, err = run(capsys, "server")
    assert code == 2 and out == ""
    assert "pip install 'netra-ws-lint[lsp]'" in err and err.startswith("netra-ws-lint: error:")
