"""Hostile input, through the CLI and through flake8: every odd file gives a finding or a
clear one-line message, never a traceback, and the other files are still checked.

Each test puts its odd file next to ``good.py`` (one NWS101 finding) and checks that
``good.py`` is still reported. Exit status: 1 when the only trouble is findings (NWS900
included), 2 when a path could not be read.
"""

from __future__ import annotations

import ast
import os
import sys
import threading
from pathlib import Path

import pytest

from netra_ws_lint.cli import options as cli_module
from netra_ws_lint.cli.flake8_plugin import Plugin
from netra_ws_lint.config import Settings
from netra_ws_lint.engine import pipeline as engine
from netra_ws_lint.engine.pipeline import check_source
from netra_ws_lint.rules.base import all_rules

from .frontends import cli, cli_subprocess, flake8

GOOD = "async def handle(user_context):\n    m = get_websocket_manager()\n"
CALL = "len(get_websocket_manager())\n"  # an accessor call (not a binding: NWS103)
F8 = ("--select", "NWS,E902,E999")
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux file system")


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.py").write_text(GOOD)
    return tmp_path


def good_still_checked(out: str) -> None:
    assert "good.py:2:9: NWS101" in out, out


def plugin_codes(source: str, filename: str = "x.py") -> list[tuple[int, str]]:
    tree = ast.parse(source)
    return [
        (line, msg.split()[0])
        for line, _, msg, _ in Plugin(tree, filename, source.splitlines(True)).run()
    ]


# ---------------------------------------------------------------- files that do not parse


def test_syntax_error(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "bad.py").write_text("def f(:\n    pass\n")
    r = cli(capsys, "check", ".")
    assert r.code == 1
    assert "bad.py:1:7: NWS900 syntax error: invalid syntax" in r.out
    good_still_checked(r.out)
    f = flake8(tree, ".", extra=F8)
    assert f.codes("bad.py") == ["E999"] and f.codes("good.py") == ["NWS101"]


def test_null_bytes(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "nul.py").write_bytes(b"x = 1\x00\n" + CALL.encode())
    r = cli(capsys, "check", ".")
    assert r.code == 1
    assert "nul.py:1:1: NWS900" in r.out and "null bytes" in r.out
    good_still_checked(r.out)
    # flake8 reports E999/E902, or (older flake8 on 3.9) dies of the ValueError itself
    f = flake8(tree, "nul.py", extra=F8)
    assert f.codes("nul.py") in ([], ["E999"], ["E902"])


def test_undecodable_bytes(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "latin.py").write_bytes(b"name = 'caf\xe9'\n" + CALL.encode())
    r = cli(capsys, "check", ".")
    assert r.code == 1
    assert "latin.py:1:1: NWS900 cannot decode file" in r.out
    good_still_checked(r.out)
    # flake8 falls back to latin-1 and hands the plugin its text: checked, no crash
    f = flake8(tree, ".", extra=F8)
    assert f.codes("good.py") == ["NWS101"]
    assert set(f.codes("latin.py")) <= {"E902", "E999", "NWS101", "NWS103"}


def test_python2_file(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "legacy2.py").write_text('print "hello"\nexec "x = 1"\n' + CALL)
    r = cli(capsys, "check", ".")
    assert r.code == 1
    assert "NWS900 syntax error: Missing parentheses in call to 'print'" in r.out
    assert r.codes("legacy2.py") == ["NWS900"]
    good_still_checked(r.out)
    f = flake8(tree, ".", extra=F8)
    assert f.codes("legacy2.py") == ["E999"] and f.codes("good.py") == ["NWS101"]


# ---------------------------------------------------------------- encodings and layout


@pytest.mark.parametrize(
    ("name", "data", "line", "col"),
    [
        ("bom.py", b"\xef\xbb\xbf" + CALL.encode(), 1, 5),
        ("crlf.py", ("x = 1\n" + CALL).replace("\n", "\r\n").encode(), 2, 5),
        ("cr.py", ("x = 1\n" + CALL).replace("\n", "\r").encode(), 2, 5),
        # a form feed is not a line break; at the start of a line it is a column
        ("formfeed.py", ("x = 1\n\x0c\n\x0c" + CALL + "\x0cdef f():\n\x0c    pass\n").encode(),
         3, 6),
        ("tabs.py", b"def f():\n\tif x:\n\t\tm = get_websocket_manager()\n", 3, 7),
        ("latin1_cookie.py", "# -*- coding: latin-1 -*-\nn = 'caf\xe9'\n".encode("latin-1")
         + CALL.encode(), 3, 5),
    ],
)
def test_bom_newlines_form_feeds_tabs(tree: Path, capsys: pytest.CaptureFixture[str],
                                      name: str, data: bytes, line: int, col: int) -> None:
    (tree / name).write_bytes(data)
    r = cli(capsys, "check", "--select", "NWS101", name, "good.py")
    assert r.code == 1
    assert f"{name}:{line}:{col}: NWS101" in r.out
    good_still_checked(r.out)
    # flake8 gives the same line and column
    f = flake8(tree, name, "good.py", extra=("--select", "NWS101,E902,E999"))
    assert f"{name}:{line}:{col}:NWS101" in f.out, f.out + f.err


def test_empty_and_blank_files(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "empty.py").write_bytes(b"")
    (tree / "blank.py").write_bytes(b"\n\n  \n\x0c\n")
    (tree / "bom_only.py").write_bytes(b"\xef\xbb\xbf")
    r = cli(capsys, "check", ".")
    assert r.code == 1 and r.codes() == ["NWS101"]
    assert cli(capsys, "check", "empty.py", "blank.py", "bom_only.py").code == 0
    f = flake8(tree, ".", extra=F8)
    assert f.codes() == ["NWS101"]


@pytest.mark.slow
def test_ten_megabyte_file(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = ("x" * 78 + "\n") * (10 * 1024 * 1024 // 79 + 1)
    (tree / "big.py").write_text('DATA = """\n' + body + '"""\n' + CALL)
    assert (tree / "big.py").stat().st_size > 10 * 1024 * 1024
    last = body.count("\n") + 3
    r = cli(capsys, "check", "--select", "NWS101", ".")
    assert r.code == 1
    assert f"big.py:{last}:5: NWS101" in r.out
    good_still_checked(r.out)
    f = flake8(tree, ".", only_nws=True, extra=("--select", "NWS101"))
    assert f"big.py:{last}:5:NWS101" in f.out


# ---------------------------------------------------------------- deep nesting

DEEP_UNPARSABLE = {
    # what the parser itself refuses: a syntax error, a MemoryError or a RecursionError
    "parens": "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n",
    "brackets": "x = " + "[{(" * 1700 + ")}]" * 1700 + "\n",
    "indent": "".join(" " * i + "if x:\n" for i in range(300)) + " " * 300 + "pass\n",
    "unary": "x = " + "-" * 5000 + "1\n",
    "attribute_chain": "x = a" + ".b" * 5000 + "\n",
    "call_chain": "x = f" + "()" * 5000 + "\n",
    "lambda": "x = " + "lambda: " * 5000 + "1\n",
    "elif_chain": "if a:\n    pass\n" + "elif a:\n    pass\n" * 5000,
}


@pytest.mark.parametrize("kind", sorted(DEEP_UNPARSABLE))
def test_5000_levels_of_nesting(tree: Path, capsys: pytest.CaptureFixture[str],
                                kind: str) -> None:
    """A RecursionError (or MemoryError) of the parser is an NWS900 finding, not a crash;
    where the parser copes (3.9 builds some of these trees), the walk copes too."""
    (tree / "deep.py").write_text(DEEP_UNPARSABLE[kind])
    r = cli(capsys, "check", ".")
    assert r.code == 1
    deep = [line for line in r.lines() if line.startswith("deep.py:")]
    try:
        ast.parse(DEEP_UNPARSABLE[kind])
    except (SyntaxError, RecursionError, MemoryError):
        assert len(deep) == 1 and " NWS900 " in deep[0], r.out
        if "cannot parse" in deep[0]:
            assert "nested too deeply" in deep[0]
    else:
        assert deep == [], r.out
    good_still_checked(r.out)
    # flake8 builds the tree itself: it reports E999, or fails on its own; never us
    # (pyflakes would die of recursion on what 3.9 parses: only our checker runs)
    f = flake8(tree, "good.py", "deep.py", only_nws=True, extra=F8)
    assert f.codes("deep.py") in ([], ["E999"])


ASYNC = "async def f(user_id):\n    "
DEEP_PARSABLE = {
    # deeper than Python's recursion limit (1000), as the parser allows (it gives up at
    # about 3000 levels on 3.11+): recursive code anywhere in the rules, the
    # fingerprints or the output would overflow
    "binop": ASYNC + "x = " + " + ".join(["get_websocket_manager()"] * 1500) + "\n",
    "attribute_chain": ASYNC + "x = get_websocket_manager()" + ".b" * 1500 + "\n",
    "subscript_chain": "CACHE = {}\n" + ASYNC + "CACHE" + "[user_id]" * 1500 + " = 1\n",
    "if_expression": "x = " + "get_websocket_manager() if a else " * 1500 + "1\n",
    "not_chain": "x = " + "not " * 1500 + "get_websocket_manager()\n",
    "elif_chain": "if a:\n    pass\n" + "elif a:\n    get_websocket_manager()\n" * 1500,
}


SLOW_DEEP = ("binop", "elif_chain", "if_expression")  # the longest: behind the marker


@pytest.mark.parametrize("kind", [pytest.param(k, marks=pytest.mark.slow) if k in SLOW_DEEP
                                  else k for k in sorted(DEEP_PARSABLE)])
def test_deep_trees_are_checked_without_recursion(tree: Path, capsys: pytest.CaptureFixture[str],
                                                  kind: str) -> None:
    source = DEEP_PARSABLE[kind]
    try:
        ast.parse(source)
    except (RecursionError, MemoryError, SyntaxError):
        pytest.skip("this interpreter's parser refuses this depth")
    (tree / "deep.py").write_text(source)
    # sarif: fingerprints unparse the flagged statements, the deepest code path
    r = cli(capsys, "check", "--audit", "--output-format", "sarif", "deep.py", "good.py")
    assert r.code == 1
    assert "NWS901" not in r.out and "NWS900" not in r.out
    assert '"ruleId": "NWS101"' in r.out or '"ruleId": "NWS201"' in r.out
    engine_codes = {f.code for f in check_source(source, "deep.py", Settings(audit=True))}
    assert engine_codes and not engine_codes & {"NWS900", "NWS901"}
    assert {c for _, c in plugin_codes(source, "deep.py")} == engine_codes
    # pyflakes recurses on such trees and aborts flake8, so only our checker runs here
    f = flake8(tree, "deep.py", only_nws=True, extra=("--select", "NWS", "--nws-audit"))
    assert set(f.codes("deep.py")) == engine_codes


def test_a_rule_that_recurses_too_deep_is_a_finding_in_both_front_ends(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = all_rules()["NWS101"]

    def overflow(self: object, node: ast.Call) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(rule, "visit_Call", overflow)
    r = cli(capsys, "check", "--no-cache", "good.py")
    assert r.code == 1
    assert (
        "NWS901 rule NWS101 (deprecated-accessor-call) crashed on this file: RecursionError"
        in r.out
    )
    assert "NWS901" in {c for _, c in plugin_codes(GOOD)}


# ---------------------------------------------------------------- odd things in the file system


def test_directory_named_like_a_python_file(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "pkg.py").mkdir()
    (tree / "pkg.py" / "inner.py").write_text(CALL)
    r = cli(capsys, "check", ".")
    assert r.code == 1 and "pkg.py/inner.py:1:5: NWS101" in r.out
    good_still_checked(r.out)
    r = cli(capsys, "check", "pkg.py")  # named: walked as the directory it is
    assert r.code == 1 and r.codes() == ["NWS101"]
    f = flake8(tree, ".", extra=F8)
    assert "NWS101" in f.codes("inner.py") and f.codes("good.py") == ["NWS101"]


@linux_only
def test_unreadable_file(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Root reads any file, so: a file whose read fails (``/proc/self/mem`` at offset
    0 is EIO for every process)."""
    os.symlink("/proc/self/mem", tree / "unreadable.py")
    r = cli_subprocess(tree, "check", ".")
    assert r.code == 2
    assert "netra-ws-lint: error: unreadable.py: cannot read: Input/output error" in r.err
    good_still_checked(r.out)
    f = flake8(tree, "unreadable.py", "good.py", extra=F8)
    assert f.codes("unreadable.py") == ["E902"] and f.codes("good.py") == ["NWS101"]


def test_permission_denied(tree: Path, capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Not root: the open fails with EACCES (simulated: the tests run as root)."""
    import builtins
    import io

    (tree / "secret.py").write_text(CALL)
    real_os_open, real_io_open = os.open, io.open

    def deny(path: object) -> None:
        if str(path).endswith("secret.py"):
            raise PermissionError(13, "Permission denied", str(path))

    def os_open(path: object, *a: object, **k: object) -> int:
        deny(path)
        return real_os_open(path, *a, **k)  # type: ignore[arg-type]

    def io_open(path: object, *a: object, **k: object) -> object:
        deny(path)
        return real_io_open(path, *a, **k)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(io, "open", io_open)
    monkeypatch.setattr(builtins, "open", io_open)
    r = cli(capsys, "check", "--no-cache", "--jobs", "1", ".")
    assert r.code == 2
    assert "netra-ws-lint: error: secret.py: cannot read: Permission denied" in r.err
    good_still_checked(r.out)


def test_broken_symlink(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.symlink("nowhere.py", tree / "broken.py")
    r = cli(capsys, "check", ".")
    assert r.code == 2
    assert "netra-ws-lint: error: broken.py: broken symbolic link" in r.err
    good_still_checked(r.out)
    r = cli(capsys, "check", "broken.py", "good.py")
    assert r.code == 2 and "broken.py: broken symbolic link" in r.err
    good_still_checked(r.out)
    f = flake8(tree, "broken.py", "good.py", extra=F8)
    assert f.codes("broken.py") == ["E902"] and f.codes("good.py") == ["NWS101"]


def test_symlink_loops(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.symlink("loop_b.py", tree / "loop_a.py")
    os.symlink("loop_a.py", tree / "loop_b.py")
    (tree / "sub").mkdir()
    (tree / "sub" / "x.py").write_text(CALL)
    os.symlink("..", tree / "sub" / "up")  # a directory loop: walked once
    r = cli(capsys, "check", ".")
    assert r.code == 2
    assert "netra-ws-lint: error: loop_a.py: symbolic link loop" in r.err
    assert "netra-ws-lint: error: loop_b.py: symbolic link loop" in r.err
    assert r.out.count("sub/x.py:1:5: NWS101") == 1
    good_still_checked(r.out)
    r = cli(capsys, "check", "loop_a.py", "good.py")
    assert r.code == 2 and "loop_a.py: symbolic link loop" in r.err
    f = flake8(tree, "loop_a.py", "sub", "good.py", extra=F8)
    assert f.codes("loop_a.py") == ["E902"] and f.codes("good.py") == ["NWS101"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_is_never_read(tree: Path) -> None:
    """A FIFO named ``*.py`` would block a reader forever: reported, never opened."""
    os.mkfifo(tree / "pipe.py")
    r = cli_subprocess(tree, "check", ".", timeout=60)
    assert r.code == 2
    assert "netra-ws-lint: error: pipe.py: not a regular file (a FIFO); not read" in r.err
    good_still_checked(r.out)
    r = cli_subprocess(tree, "check", "pipe.py", "good.py", timeout=60)
    assert r.code == 2 and "pipe.py: not a regular file (a FIFO)" in r.err
    # the reader itself: opened non-blocking, refused before any read
    with pytest.raises(OSError, match="not a regular file"):
        engine.read_source_bytes(tree / "pipe.py")
    # flake8 reads files itself (and blocks on a FIFO); the plugin, given the lines,
    # never opens the file
    done = threading.Event()
    threading.Thread(
        target=lambda: (plugin_codes(CALL, str(tree / "pipe.py")), done.set()), daemon=True
    ).start()
    assert done.wait(30)


@linux_only
def test_device_file_is_never_read(tree: Path) -> None:
    os.symlink("/dev/zero", tree / "zero.py")
    r = cli_subprocess(tree, "check", "zero.py", "good.py", timeout=60)
    assert r.code == 2 and "zero.py: not a regular file (a device); not read" in r.err
    good_still_checked(r.out)


def test_files_that_vanish_or_change_during_the_run(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tree / "gone.py").write_text(CALL)
    (tree / "changed.py").write_text("x = 1\n")
    (tree / "became_dir.py").write_text(CALL)
    real = cli_module.discover

    def discover_then_change(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        found = real(*args, **kwargs)  # type: ignore[arg-type]
        (tree / "gone.py").unlink()
        (tree / "changed.py").write_text("x = 1\n" + CALL)
        (tree / "became_dir.py").unlink()
        (tree / "became_dir.py").mkdir()
        return found

    monkeypatch.setattr(cli_module, "discover", discover_then_change)
    r = cli(capsys, "check", "--no-cache", ".")
    assert r.code == 2
    assert "netra-ws-lint: error: gone.py: cannot read: No such file or directory" in r.err
    assert "netra-ws-lint: error: became_dir.py: cannot read: Is a directory" in r.err
    assert "changed.py:2:5: NWS101" in r.out  # what was read is what is reported
    good_still_checked(r.out)
    # flake8 reads the file itself; the plugin never fails on a vanished file
    assert list(Plugin(ast.parse(""), str(tree / "gone.py"), None).run()) == []


def test_add_noqa_leaves_a_file_that_changed_since_it_was_checked(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import netra_ws_lint.fix.add_noqa as add_noqa

    real = add_noqa.add_noqa_to_file

    def edit_first(path: Path, *args: object, **kwargs: object) -> int:
        path.write_text("import os\n" + path.read_text())  # lines moved under our feet
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(add_noqa, "add_noqa_to_file", edit_first)
    r = cli(capsys, "check", "--no-cache", "--add-noqa", "good.py")
    assert r.code == 2
    assert "good.py: changed since it was checked; left as it was" in r.err
    assert "noqa" not in (tree / "good.py").read_text()


@pytest.mark.slow
def test_non_utf8_file_names(tree: Path) -> None:
    if sys.platform in ("darwin", "win32"):
        pytest.skip("file names must be UTF-8 here")
    name = b"caf\xe9.py"
    with open(os.path.join(os.fsencode(tree), name), "wb") as fh:
        fh.write(CALL.encode())
    shown = os.fsdecode(name)
    r = cli_subprocess(tree, "check", ".")
    assert r.code == 1
    assert f"{shown}:1:5: NWS101" in r.out  # the name's own bytes
    good_still_checked(r.out)
    r = cli_subprocess(tree, "check", name, "good.py")
    assert r.code == 1 and f"{shown}:1:5: NWS101" in r.out
    for fmt in ("json", "json-lines", "github", "sarif", "gitlab", "junit", "grouped", "full"):
        r = cli_subprocess(tree, "check", "--output-format", fmt, ".")
        assert r.code == 1, fmt
    r = cli_subprocess(tree, "check", "--output-format", "sarif", ".")
    assert '"uri": "caf%E9.py"' in r.out
    # a baseline records it and matches it again
    assert cli_subprocess(tree, "baseline", "create", ".").code == 0
    r = cli_subprocess(tree, "check", "--baseline", ".netra-ws-lint-baseline.json", ".")
    assert r.code == 0 and r.out == ""
    # flake8 cannot print such a name (its own formatter fails), so: the file is clean
    # here, and the plugin checks it by that name in this process
    with open(os.path.join(os.fsencode(tree), name), "wb") as fh:
        fh.write(b"x = 1\n")
    f = flake8(tree, ".", extra=F8)
    assert f.codes("good.py") == ["NWS101"]
    assert [c for _, c in plugin_codes(CALL, os.fsdecode(os.path.join(os.fsencode(tree), name)))] \
        == ["NWS101"]


# ---------------------------------------------------------------- what is not a .py file


def test_stub_files(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "api.pyi").write_text("def f(x: int) -> int: ...\n" + CALL)
    r = cli(capsys, "check", ".")
    assert r.code == 1 and "api.pyi:2:5: NWS101" in r.out
    good_still_checked(r.out)
    f = flake8(tree, "api.pyi", "good.py", extra=F8)  # flake8 checks a .pyi named to it
    assert "NWS101" in f.codes("api.pyi")


def test_notebooks_and_other_files_named_are_skipped_with_a_message(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tree / "analysis.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4}\n')
    (tree / "notes.txt").write_text("get_websocket_manager()\n")
    (tree / "Makefile").write_text("all:\n\ttrue\n")
    r = cli(capsys, "check", "analysis.ipynb", "notes.txt", "Makefile", "good.py")
    assert r.code == 1  # the findings of good.py; the skips are warnings
    for name in ("analysis.ipynb", "notes.txt", "Makefile"):
        assert f"netra-ws-lint: warning: {name}: skipped, not a Python file" in r.err
    assert r.codes() == ["NWS101"]
    # inside a directory they are not Python files and are passed over silently
    r = cli(capsys, "check", ".")
    assert r.err == "netra-ws-lint: Found 1 finding.\n" and r.codes() == ["NWS101"]
    f = flake8(tree, ".", extra=F8)  # flake8 walks *.py only
    assert f.codes() == ["NWS101"]
