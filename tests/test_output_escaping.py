"""What comes from a checked repository (file names, messages, a committed baseline's
text) is escaped for where it is shown: a terminal or CI log (no control character,
ANSI escape sequence or forged line), GitHub workflow commands, Markdown and HTML; bidi
controls (U+202E, ...) are shown by name everywhere people read the output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from netra_ws_lint.cli.main import main
from netra_ws_lint.report.escape import BIDI, html, markdown, markdown_code, terminal

BAD = (
    "from app.ws import get_websocket_manager\n"
    "\n"
    "async def handle(user_id):\n"
    "    return get_websocket_manager()\n"
)
ESC_NAME = "a\x1b[2J\x1b]0;pwned\x07b.py"  # clears the screen, sets the window title
NL_NAME = "x\n::error file=forged.py::forged.py"
BIDI_NAME = "admin\u202eyp.txt.py"  # shows as "admin" + "py.txt" reversed


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_safe(text: str) -> None:
    """Nothing in ``text`` that a terminal or a log viewer would act on."""
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert not any(c in text for c in BIDI), text
    assert not any(line.lstrip().startswith("::error file=forged")
                   for line in text.splitlines())


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    for name in (ESC_NAME, NL_NAME, BIDI_NAME):
        (tmp_path / name).write_text(BAD)
    return tmp_path


def test_the_escapes() -> None:
    assert terminal("a\x1b[31mb") == "a\\x1b[31mb"
    assert terminal("a\nb\r\tc\x7f\x9b") == "a\\nb\\r\tc\\x7f\\x9b"
    assert terminal("x\u202ey\u2066z\u200f") == "x<U+202E>y<U+2066>z<U+200F>"
    assert terminal("caf\udce9\udc9b.py") == "caf\udce9\\x9b.py"  # own bytes, but not C1
    assert terminal("plain `code` é") == "plain `code` é"
    assert markdown("a*b_[c](d)`e`<x>") == "a\\*b\\_\\[c\\]\\(d\\)\\`e\\`\\<x\\>"
    assert markdown_code("a`b") == "``a`b``"
    assert html('<i a="1">\u202e') == "&lt;i a=&quot;1&quot;&gt;&lt;U+202E&gt;"


@pytest.mark.parametrize("fmt", ["concise", "full", "grouped"])
def test_file_names_with_control_characters_print_escaped(
    repo: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    code, out, err = run(capsys, "check", "--no-cache", "--output-format", fmt, ".")
    assert code == 1
    assert_safe(out)
    assert_safe(err)
    assert "a\\x1b[2J\\x1b]0;pwned\\x07b.py" in out
    assert "x\\n::error file=forged.py::forged.py" in out
    assert "admin<U+202E>yp.txt.py" in out
    if fmt == "concise":  # one line per finding, each naming its file
        assert len(out.splitlines()) == len(re.findall(r"\.py:\d+:\d+: NWS", out))


def test_github_annotations_cannot_be_forged(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "check", "--no-cache", "--output-format", "github", ".")
    assert code == 1
    assert_safe(out)
    lines = out.splitlines()
    assert all(line.startswith("::error file=") for line in lines)
    assert any("file=x%0A%3A%3Aerror file=forged.py%3A%3Aforged.py," in line for line in lines)
    assert any("file=admin<U+202E>yp.txt.py," in line for line in lines)


def test_a_committed_baselines_text_is_printed_escaped(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`check --baseline` reports the entries that no longer match on stderr: their
    path, message and scope come from the committed file, not from the tool."""
    from netra_ws_lint.report.baseline import FORMAT

    entry = {
        "path": "gone\x1b[2K.py\u202e",
        "code": "NWS101",
        "fingerprint": "0" * 16,
        "scope": "f\n::error file=forged.py::forged",
        "message": "call\r\n::error file=forged.py::forged \x1b]8;;http://x\x07link",
    }
    (repo / "b.json").write_text(json.dumps({"format": FORMAT, "entries": [entry]}))
    code, out, err = run(capsys, "check", "--no-cache", "--baseline", "b.json", "--exit-zero",
                         ESC_NAME)
    assert code == 0
    assert_safe(err)
    fixed = [line for line in err.splitlines() if ": fixed: " in line]
    assert len(fixed) == 1, err
    assert "gone\\x1b[2K.py<U+202E>: NWS101 call\\r\\n::error" in fixed[0]


def test_markdown_report_names_files_as_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    name = "we`ird\u202e|x.py"
    (tmp_path / name).write_text(BAD)
    code, _, err = run(capsys, "migrate", "--report-dir", "rep", ".")
    assert code in (0, 1), err
    md = (tmp_path / "rep" / "migration-report.md").read_text()
    assert "\u202e" not in md
    assert "``we`ird<U+202E>|x.py:4``" in md
    # the package table's cells stay cells
    for line in md.splitlines():
        if line.startswith("| ") and "we" in line:
            assert line.count(" | ") == 4, line


@pytest.mark.parametrize("argv", [("migrate",), ("migrate", "--validate-only")])
def test_migrate_prints_file_names_escaped(
    repo: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    code, out, err = run(capsys, *argv, ".")
    assert code in (0, 1), err
    assert_safe(out)
    assert_safe(err)
    assert "admin<U+202E>yp.txt.py" in out


def test_show_settings_names_the_file_escaped(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "check", "--show-settings", ESC_NAME)
    assert code == 0, err
    assert_safe(out)
    assert out.startswith("# settings for a\\x1b[2J")
