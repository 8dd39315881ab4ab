"""The gate never lets a new finding through (``--baseline``, ``--diff-base``, both),
and never reports an old one: duplicated lines, moved blocks, renamed functions and
edits that change only code, through the CLI and as the pre-commit hook runs it."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from netra_ws_lint.cli.main import main

PROJECT = Path(__file__).resolve().parents[1]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}
CALL = "        manager = get_websocket_manager()\n"
LEGACY = (
    "from app.ws import get_websocket_manager\n"       # 1
    "\n"
    "\n"
    "class AgentService:\n"                            # 4
    "    async def start_agent(self, user_id):\n"      # 5
    "        await self.prepare(user_id)\n"
    "\n"
    "    async def stop_agent(self, user_id):\n"       # 8
    "        await self.flush(user_id)\n"              # 9
    "        self.log('stopping')\n"                   # 10
    + CALL +                                           # 11: an old finding
    "        await manager.send_to_user(user_id, 'stopping')\n"
    "        await self.cleanup(user_id)\n"
    "        self.log('cleaned up')\n"                 # 14
    + CALL +                                           # 15: an old finding
    "        await manager.send_to_user(user_id, 'stopped')\n"
    "        return True\n"
)
ARGS = ("--select", "NWS101", "--output-format", "concise")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_ENV}).stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with the legacy service committed and its baseline recorded."""
    git(tmp_path, "init", "-q")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "service.py").write_text(LEGACY)
    monkeypatch.chdir(tmp_path)
    assert main(["baseline", "create", "app", "--select", "NWS101", "--file", "B.json"]) == 0
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "legacy")
    return tmp_path


def lines_reported(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[int]]:
    capsys.readouterr()
    code = main(["check", *ARGS, *argv, "app"])
    out = capsys.readouterr().out
    return code, [int(line.split(":")[1]) for line in out.splitlines() if ": NWS101 " in line]


def edit(repo: Path, new: str) -> None:
    (repo / "app" / "service.py").write_text(new)
    git(repo, "commit", "-qam", "change")


MODES = {
    "baseline": ("--baseline", "B.json"),
    "diff-base": ("--diff-base", "HEAD~1"),
    "both": ("--baseline", "B.json", "--diff-base", "HEAD~1"),
}


def insert_at(text: str, line: int, what: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(lines[: line - 1] + [what] + lines[line - 1 :])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("where", "expected"),
    [
        # the reproducer: a third identical statement above the two old ones
        ("above", 9),
        ("between", 13),  # between the two old ones, after `await self.cleanup`
        ("below", 17),  # after both, above `return True`
    ],
)
def test_a_duplicated_line_is_reported_where_it_was_added(
    repo: Path, capsys: pytest.CaptureFixture[str], mode: str, where: str, expected: int
) -> None:
    edit(repo, insert_at(LEGACY, expected, CALL))
    code, reported = lines_reported(capsys, *MODES[mode])
    assert (code, reported) == (1, [expected])


@pytest.mark.parametrize("mode", MODES)
def test_a_line_duplicated_right_below_itself_fails_the_gate(
    repo: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    # a, X, b -> a, X, X, b: which copy is "new" is a matter of taste; one is reported
    edit(repo, insert_at(LEGACY, 12, CALL))
    code, reported = lines_reported(capsys, *MODES[mode])
    assert code == 1 and len(reported) == 1 and reported[0] in (11, 12)


@pytest.mark.parametrize("mode", MODES)
def test_a_moved_block_and_a_renamed_function_report_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    lines = LEGACY.splitlines(keepends=True)
    start, stop = lines[4:7], lines[7:]
    moved = "".join(lines[:4] + stop + ["\n"] + start)  # stop_agent now comes first
    edit(repo, moved.replace("def stop_agent", "def halt_agent"))
    assert lines_reported(capsys, *MODES[mode]) == (0, [])


@pytest.mark.parametrize("mode", MODES)
def test_a_finding_whose_code_changed_on_the_same_line_is_new(
    repo: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    edit(repo, LEGACY.replace(CALL + "        await manager.send_to_user(user_id, 'stopped')",
                              "        mgr = get_websocket_manager()\n"
                              "        await mgr.send_to_user(user_id, 'stopped')"))
    assert lines_reported(capsys, *MODES[mode]) == (1, [15])


def test_diff_base_reports_what_a_change_elsewhere_made_a_finding(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A finding whose own line is untouched, but new since the base: a changed
    decorator, and a changed ``def`` line that now gives an old body a user identity."""
    (repo / "app" / "cache.py").write_text(
        "import functools\n\n_SEEN = {}\n\n\n"
        "def profile(user_id):\n    return load(user_id)\n\n\n"
        "def remember(key, value):\n    _SEEN[key] = value\n"
    )
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "cache")
    (repo / "app" / "cache.py").write_text(
        "import functools\n\n_SEEN = {}\n\n\n"
        "@functools.lru_cache\n"                        # 6: a new decorator line
        "def profile(user_id):\n    return load(user_id)\n\n\n"
        "def remember(key, value, user_id):\n"          # 11: the def line changed
        "    _SEEN[key] = value\n"                      # 12: untouched, now NWS201
    )
    capsys.readouterr()
    code = main(["check", "--select", "NWS201,NWS203", "--diff-base", "HEAD", "app"])
    out = capsys.readouterr().out
    assert code == 1
    assert [line.split(" ")[0:2] for line in out.splitlines() if "NWS" in line] == [
        ["app/cache.py:7:1:", "NWS203"], ["app/cache.py:12:5:", "NWS201"],
    ]


def test_diff_base_fails_the_run_when_the_base_cannot_be_read(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", *ARGS, "--diff-base", "HEAD~5", "app"])
    assert code == 2 and "unknown git revision 'HEAD~5'" in capsys.readouterr().err


def test_options_and_paths_in_any_order(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["baseline", "create", "--file", "C.json", "app", "--select", "NWS101"]) == 0
    assert (repo / "C.json").read_text() == (repo / "B.json").read_text()
    assert main(["baseline", "update", "app", "--file", "C.json", "--select", "NWS101"]) == 0
    assert main(["check", "app", "--select", "NWS101", "--baseline", "C.json"]) == 0
    capsys.readouterr()
    # an error names the command's own usage
    assert pytest.raises(SystemExit, main, ["baseline", "create", "--bogus"]).value.code == 2
    assert "usage: netra-ws-lint baseline" in capsys.readouterr().err


def test_a_format_1_baseline_asks_to_be_recreated(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "old.json").write_text('{"format": 1, "entries": []}')
    assert main(["check", *ARGS, "--baseline", "old.json", "app"]) == 2
    assert "recreate it with `netra-ws-lint baseline create`" in capsys.readouterr().err


def _hook_command() -> list[str]:
    """The command pre-commit runs for the `netra-ws-lint` hook (its entry), with this
    interpreter's console script."""
    import yaml

    hooks = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    entry = shlex.split(next(h for h in hooks if h["id"] == "netra-ws-lint")["entry"])
    assert entry[0] == "netra-ws-lint"
    return [str(Path(sys.executable).with_name("netra-ws-lint")), *entry[1:]]


@pytest.mark.parametrize("mode", MODES)
def test_the_hook_refuses_a_duplicated_line(repo: Path, mode: str) -> None:
    """As pre-commit runs the hook: the entry, the hook's args, the staged file names."""
    (repo / "app" / "service.py").write_text(insert_at(LEGACY, 9, CALL))
    git(repo, "add", ".")
    staged = git(repo, "diff", "--cached", "--name-only").split()
    args = [a.replace("HEAD~1", "HEAD") for a in MODES[mode]]  # nothing committed yet
    proc = subprocess.run([*_hook_command(), "--select", "NWS101", *args, *staged], cwd=repo,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert [line.split(" ")[0] for line in proc.stdout.splitlines() if "NWS101" in line] == [
        "app/service.py:9:19:"
    ]
