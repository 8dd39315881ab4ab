"""Changed-lines mode (--diff-base), --add-noqa and `netra-ws-lint init`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from netra_ws_lint.cli.init import add_hook, add_table
from netra_ws_lint.cli.main import main
from netra_ws_lint.config import Settings, settings_for
from netra_ws_lint.fix.add_noqa import add_noqa_to_source
from netra_ws_lint.model import Finding
from netra_ws_lint.report.gitdiff import parse_diff, unquote_path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}, check=True)
    return proc.stdout


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- --diff-base

OLD = (
    "from ws import get_websocket_manager\n"
    "\n"
    "async def a(user_context):\n"
    "    m = get_websocket_manager()\n"
    "\n"
    "async def b(user_context):\n"
    "    m = get_websocket_manager()\n"
)


@pytest.fixture
def git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git(tmp_path, "init", "-q")
    (tmp_path / "old.py").write_text(OLD)
    (tmp_path / "untouched.py").write_text("get_websocket_manager()\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "legacy")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_diff_base_reports_only_added_or_changed_lines(git_repo: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    base = git(git_repo, "rev-parse", "HEAD").strip()
    (git_repo / "old.py").write_text(
        "import os\n"  # a line above: nothing below counts as changed for it
        + OLD.replace("async def b(user_context):\n    m = get_websocket_manager()",
                      "async def b(user_context):\n    mgr = get_websocket_manager()")
        + "\nasync def c(user_context):\n    return get_websocket_manager()\n"
    )
    (git_repo / "staged.py").write_text("x = 1\nget_websocket_manager()\n")
    git(git_repo, "add", "staged.py")
    (git_repo / "new dir").mkdir()
    (git_repo / "new dir" / "untracked file.py").write_text("get_websocket_manager()\n")
    code, out, _ = run(capsys, "check", "--select", "NWS101,NWS102", "--diff-base", base)
    assert code == 1
    assert [line.split(" ")[0] for line in out.splitlines()] == [
        "new", "old.py:8:11:", "old.py:11:12:", "staged.py:2:1:",
    ]
    assert out.splitlines()[0].startswith("new dir/untracked file.py:1:1: NWS101")
    # from a subdirectory, the same lines
    os.chdir(git_repo / "new dir")
    code, out, _ = run(capsys, "check", "--select", "NWS101", "--output-format", "json-lines",
                       "--diff-base", "HEAD", "..")
    found = [json.loads(line) for line in out.splitlines()]
    assert sorted((Path(d["filename"]).resolve().relative_to(git_repo.resolve()).as_posix(),
                   d["line"]) for d in found) == [
        ("new dir/untracked file.py", 1), ("old.py", 8), ("old.py", 11), ("staged.py", 2),
    ]
    os.chdir(git_repo)
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "more")
    assert run(capsys, "check", "--diff-base", "HEAD")[:2] == (0, "")


def test_diff_base_errors(git_repo: Path, tmp_path_factory: pytest.TempPathFactory,
                          capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", "--diff-base", "no-such-rev")
    assert code == 2 and "unknown git revision 'no-such-rev'" in err
    os.chdir(tmp_path_factory.mktemp("not_a_repo"))
    code, _, err = run(capsys, "check", "--diff-base", "HEAD")
    assert code == 2 and "not inside a git repository" in err


def test_parse_diff() -> None:
    diff = (
        "diff --git a/a.py b/a.py\n"
        "--- a/a.py\n+++ b/a.py\n"
        "@@ -1,0 +2,2 @@ ctx\n+x\n+++ y looks like a header\n"
        "@@ -10 +11 @@\n-old\n+new\n"
        "@@ -20,3 +22,0 @@\n-a\n-b\n-c\n"
        "diff --git a/gone.py b/gone.py\n--- a/gone.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n"
        'diff --git "a/t\\tb.py" "b/t\\tb.py"\n--- "a/t\\tb.py"\n'
        '+++ "b/t\\tb.py"\n@@ -0,0 +1 @@\n+z\n'
        "diff --git a/s p.py b/s p.py\n--- a/s p.py\t\n+++ b/s p.py\t\n@@ -3,0 +4 @@\n+q\n"
    )
    assert parse_diff(diff) == {"a.py": {2, 3, 11}, "t\tb.py": {1}, "s p.py": {4}}
    assert unquote_path('"b/caf\\303\\251.py"') == "b/café.py"


# ---------------------------------------------------------------- --add-noqa

TRICKY = (
    "from app.ws import get_websocket_manager  # legacy import\n"
    'x = f"""\n'
    "{get_websocket_manager()}\n"
    '"""\n'
    "y = get_websocket_manager() + \\\n"
    "    1\n"
    "z = foo(\n"
    "    get_websocket_manager(),  # noqa: E501\n"
    ")\n"
    "w = get_websocket_manager()  # noqa:E501,W291  # why\n"
    "v = 'a # in a string'; get_websocket_manager()\n"
)
TRICKY_DONE = (
    "from app.ws import get_websocket_manager  # legacy import\n"  # its calls are reported
    'x = f"""\n'
    "{get_websocket_manager()}\n"
    '"""  # noqa: NWS101  # T-1\n'  # the string's last line
    "y = get_websocket_manager() + \\\n"
    "    1  # noqa: NWS101  # T-1\n"  # never after a backslash
    "z = foo(\n"
    "    get_websocket_manager(),  # noqa: E501, NWS101\n"  # merged, in the list's style
    ")\n"
    "w = get_websocket_manager()  # noqa:E501,W291,NWS103  # why\n"  # one defect, one code
    "v = 'a # in a string'; get_websocket_manager()  # noqa: NWS101  # T-1\n"
)


def test_add_noqa_places_and_merges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text(TRICKY)
    argv = ["check", "--select", "NWS101,NWS102,NWS103", "m.py"]
    _, before, _ = run(capsys, *argv)
    assert len(before.splitlines()) == 5
    code, out, err = run(capsys, *argv[:-1], "--add-noqa=T-1", "m.py")
    assert (code, out) == (0, "")
    assert "added `# noqa` to 5 lines in 1 file" in err
    assert (tmp_path / "m.py").read_text() == TRICKY_DONE
    assert run(capsys, *argv)[:2] == (0, "")
    # flake8 reads the comments from the same lines
    proc = subprocess.run([sys.executable, "-m", "flake8", "--select", "NWS", "m.py"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # nothing left to add: the file is not touched again
    mtime = (tmp_path / "m.py").stat().st_mtime_ns
    code, _, err = run(capsys, *argv[:-1], "--add-noqa", "m.py")  # bare flag, path after it
    assert code == 0 and "to 0 lines in 0 files" in err
    assert (tmp_path / "m.py").stat().st_mtime_ns == mtime


def test_add_noqa_keeps_encoding_and_line_endings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    data = "\ufeff# café\r\ndef f():\r\n    return get_websocket_manager()\r\n".encode()
    (tmp_path / "crlf.py").write_bytes(data)
    assert run(capsys, "check", "--select", "NWS101", "--add-noqa", "crlf.py")[0] == 0
    assert (tmp_path / "crlf.py").read_bytes() == data.replace(
        b"manager()\r\n", b"manager()  # noqa: NWS101\r\n"
    )
    code, _, err = run(capsys, "check", "--add-noqa", "-")
    assert code == 2 and "cannot be used with stdin" in err


def test_add_noqa_to_source_only_with_findings_and_blanket_noqa() -> None:
    src = "a = 1\nb = get()  # noqa\n"
    assert add_noqa_to_source(src, []) == (src, 0)
    assert add_noqa_to_source(src, [Finding(2, 4, "NWS101", "m")]) == (src, 0)
    assert add_noqa_to_source("def f(:\n", [Finding(1, 6, "NWS900", "m")]) == ("def f(:\n", 0)


# ---------------------------------------------------------------- init


def test_init_creates_both_files_and_a_second_run_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "init", str(tmp_path))
    assert code == 0
    assert out.splitlines()[:3] == [
        "created .pre-commit-config.yaml (a local hook running the installed tool)",
        "created pyproject.toml [tool.netra-ws-lint]",
        "next steps:",
    ]
    config = (tmp_path / ".pre-commit-config.yaml").read_text()
    assert config.endswith(
        "repos:\n"
        "  - repo: local\n"
        "    hooks:\n"
        "      - id: netra-ws-lint\n"
        "        name: netra-ws-lint\n"
        "        entry: netra-ws-lint check --force-exclude\n"
        "        language: system\n"
        "        types_or: [python, pyi]\n"
        "        require_serial: true\n"
    )
    pyproject = (tmp_path / "pyproject.toml").read_text()
    assert pyproject.startswith("[tool.netra-ws-lint]\n")
    for line in (
        'deprecated-accessors = { get_websocket_manager = "create_websocket_manager" }',
        'context-types = ["UserExecutionContext"]',
        "allowed-singletons = []",
    ):
        assert line + "\n" in pyproject
    # the table reads back as the defaults
    assert settings_for(tmp_path / "x.py").words == Settings().words
    snapshot = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    code, out, _ = run(capsys, "init", str(tmp_path))
    assert code == 0 and out.startswith("already set up: nothing changed\nnext steps:\n")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == snapshot


EXISTING_CONFIGS = [
    # indented list, a key after `repos:`
    (
        "# top comment\n"
        "default_stages: [pre-commit]\n"
        "repos:\n"
        "  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
        "    rev: v0.6.0\n"
        "    hooks:\n"
        "      - id: ruff\n"
        "        args: [--fix]\n"
        "  # a comment in the list\n"
        "\n"
        "# about ci\n"
        "ci:\n"
        "  autofix_prs: false\n"
    ),
    # indentless list at the end, no final newline
    (
        "repos:\n"
        "- repo: local\n"
        "  hooks:\n"
        "  - id: mypy\n"
        "    name: mypy\n"
        "    entry: mypy\n"
        "    language: system"
    ),
    "repos: []\n",
    "fail_fast: true\n",
    "# only a comment\n",
]


@pytest.mark.parametrize("existing", EXISTING_CONFIGS)
def test_init_merges_into_an_existing_pre_commit_config(existing: str) -> None:
    yaml = pytest.importorskip("yaml")
    new = add_hook(existing, "https://example.com/netra-ws-lint", "v9.9")
    assert new is not None
    old_data = yaml.safe_load(existing) or {}
    new_data = yaml.safe_load(new)
    entry = {"repo": "https://example.com/netra-ws-lint", "rev": "v9.9",
             "hooks": [{"id": "netra-ws-lint"}]}
    assert new_data["repos"] == (old_data.get("repos") or []) + [entry]
    assert {k: v for k, v in new_data.items() if k != "repos"} == {
        k: v for k, v in old_data.items() if k != "repos"
    }
    # every line that was there is still there, in order
    kept = iter(new.splitlines())
    assert all(any(line == k for k in kept) for line in existing.splitlines()
               if line != "repos: []")
    assert add_hook(new, "https://example.com/netra-ws-lint", "v9.9") is None


@pytest.mark.parametrize(
    ("existing", "why"),
    [
        ("repos: [{repo: local, hooks: []}]\n", "not a block list"),
        ("{repos: []}\n", "flow style"),
        ("repos:\n\t- repo: local\n", "tabs"),
        ("a: 1\n---\nrepos: []\n", "several YAML documents"),
    ],
)
def test_init_refuses_what_it_does_not_understand(existing: str, why: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".pre-commit-config.yaml").write_text(existing)
    code, out, err = run(capsys, "init", str(tmp_path))
    assert code == 2 and out == ""
    assert why in err and "add this under `repos:` by hand" in err and "- id: netra-ws-lint" in err
    assert (tmp_path / ".pre-commit-config.yaml").read_text() == existing
    assert not (tmp_path / "pyproject.toml").exists()  # nothing written when one part fails


def test_init_adds_only_missing_word_lists_before_the_table_keys() -> None:
    existing = (
        '[project]\nname = "svc"\n\n'
        "[tool.netra-ws-lint]\n"
        'extend-context-names = ["req_ctx"]\n'
        'send-methods = ["deliver"]\n'
        "\n[tool.other]\nx = 1\n"
    )
    new = add_table(existing)
    assert new is not None
    assert new.startswith('[project]\nname = "svc"\n\n[tool.netra-ws-lint]\ndeprecated-accessors')
    assert new.endswith('extend-context-names = ["req_ctx"]\nsend-methods = ["deliver"]\n'
                        "\n[tool.other]\nx = 1\n")
    assert "\ncontext-names" not in new and "\nsend-methods = [\"send_*\"" not in new
    assert add_table(new) is None


def test_init_appends_a_table_to_an_existing_pyproject(tmp_path: Path) -> None:
    existing = '[project]\nname = "svc"\n\n[tool.ruff]\nline-length = 100'
    new = add_table(existing)
    assert new is not None and new.startswith(existing + "\n\n[tool.netra-ws-lint]\n")
    (tmp_path / "pyproject.toml").write_text(new)
    s = settings_for(tmp_path / "a.py")
    assert s.words == Settings().words and s.source == str(tmp_path / "pyproject.toml")
    with pytest.raises(Exception, match="invalid TOML"):
        add_table("[project\n")
    with pytest.raises(Exception, match="not written as a"):
        add_table('[tool]\n"netra-ws-lint" = { select = ["NWS1"] }\n')
