"""Hostile input that is not a file system trick: revisions named like options, a
working directory full of standard-library names, exponential globs, odd encodings,
warnings, broken pipes, configuration above the repository, CRLF and CR files (issue
"Hardening", items 5, 6, 9, 11, 13, 19, 20, 21, 22).

Each test puts its odd thing next to ``good.py`` (one NWS101 finding) and checks that
``good.py`` is still reported.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pathspec
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from netra_ws_lint.cli.flake8_plugin import Plugin
from netra_ws_lint.config import Settings
from netra_ws_lint.engine.globs import glob_spec
from netra_ws_lint.engine.pipeline import check_source

from .frontends import assert_clean_stderr, cli, cli_subprocess, flake8

GOOD = "async def handle(user_context):\n    m = get_websocket_manager()\n"
CALL = "len(get_websocket_manager())\n"  # an accessor call (not a binding: NWS103)
FIXABLE = (
    "from app.websocket_core import get_websocket_manager\n\n\n"
    "async def run_agent(user_context: UserExecutionContext) -> None:\n"
    "    manager = get_websocket_manager()\n"
    '    await manager.send_event("agent_started")\n'
)
FIXED_CALL = "create_websocket_manager(user_context)"
F8 = ("--select", "NWS,E902,E999")
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.py").write_text(GOOD)
    return tmp_path


def good_still_checked(out: str) -> None:
    assert "good.py:2:9: NWS101" in out, out


# ---------------------------------------------------------------- 5. git revisions


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=cwd, check=True, capture_output=True,
    )


@needs_git
def test_a_revision_named_like_an_option_is_never_an_option(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``git update-ref 'refs/heads/--output=/tmp/x' HEAD; check --diff-base=--output=/tmp/x``
    made git write /tmp/x, and the gate passed with 0 findings."""
    (tree / "a.py").write_text("async def handle(user_context):\n    pass\n")
    _git(tree, "init", "-q")
    _git(tree, "add", "a.py", "good.py")
    _git(tree, "commit", "-qm", "init")
    target = tree.parent / f"{tree.name}-written-by-git"
    _git(tree, "update-ref", f"refs/heads/--output={target}", "HEAD")
    (tree / "a.py").write_text(GOOD)  # a new finding on a changed line
    r = cli(capsys, "check", "--no-cache", f"--diff-base=--output={target}", ".")
    assert not target.exists()
    assert r.code == 1 and "a.py:2:9: NWS101" in r.out
    assert "good.py" not in r.out  # unchanged lines stay out of the gate
    # a ref named --cached made git diff compare the index (nothing staged: 0 findings)
    _git(tree, "update-ref", "refs/heads/--cached", "HEAD")
    r = cli(capsys, "check", "--no-cache", "--diff-base=--cached", ".")
    assert r.code == 1 and "a.py:2:9: NWS101" in r.out
    # a diff that cannot be computed fails the run
    r = cli(capsys, "check", "--no-cache", "--diff-base=--no-such-thing", ".")
    assert r.code == 2 and "unknown git revision '--no-such-thing'" in r.err
    r = cli(capsys, "check", "--no-cache", "--diff-base=HEAD^{tree}", ".")
    assert r.code == 2 and "unknown git revision" in r.err


# ---------------------------------------------------------------- 6. python -m


STDLIB_NAMES = ("types", "collections", "functools", "warnings", "importlib", "ast", "json",
                "tokenize", "re", "enum", "pathlib", "subprocess", "pathspec", "tomllib")


def _trapped_directory(tmp_path: Path) -> Path:
    here = tmp_path / "work"
    here.mkdir()
    for name in STDLIB_NAMES:
        marker = tmp_path / f"ran-{name}"
        (here / f"{name}.py").write_text(
            f"open({str(marker)!r}, 'w').write('ran')\nraise SystemExit('hijacked {name}')\n"
        )
    (here / "x.py").write_text(GOOD)
    return here


def _markers(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.glob("ran-*"))


SAFE_INVOCATIONS = {
    "console script": ([str(Path(sys.executable).with_name("netra-ws-lint"))], {}),
    "python -I -m": ([sys.executable, "-I", "-m", "netra_ws_lint"], {}),
    "python -P -m": ([sys.executable, "-P", "-m", "netra_ws_lint"], {}),
    "PYTHONSAFEPATH=1 python -m": ([sys.executable, "-m", "netra_ws_lint"],
                                   {"PYTHONSAFEPATH": "1"}),
}


@pytest.mark.parametrize("how", sorted(SAFE_INVOCATIONS))
def test_safe_invocations_never_run_the_working_directorys_modules(
    tmp_path: Path, how: str
) -> None:
    """docs/safety.md, "Safety": these never import ``types.py`` and the like from
    the working directory (plain ``python -m`` cannot promise that: runpy imports
    ``importlib``, ``types`` and more, ``warnings`` and ``collections`` on 3.9, from the
    working directory before any code of this package runs)."""
    argv, env = SAFE_INVOCATIONS[how]
    if how != "console script" and "P" in how and sys.version_info < (3, 11):
        pytest.skip("-P and PYTHONSAFEPATH are Python 3.11+")
    if how == "console script" and not Path(argv[0]).exists():
        pytest.skip("no console script next to this interpreter")
    here = _trapped_directory(tmp_path)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    proc = subprocess.run(
        [*argv, "check", "--no-cache", "x.py"], cwd=here, capture_output=True, timeout=120,
        env={**full_env, **env},
    )
    assert _markers(tmp_path) == [], proc.stderr
    assert proc.returncode == 1, proc.stderr
    assert b"x.py:2:9: NWS101" in proc.stdout


def test_python_m_drops_the_working_directory_before_its_own_imports(tmp_path: Path) -> None:
    """What can be made safe under plain ``python -m`` is: every module imported once
    this package's ``__main__`` runs comes from the standard library or site-packages
    (the modules runpy itself imported first are the interpreter's business)."""
    here = _trapped_directory(tmp_path)
    # the names runpy imports before __main__ (see docs/safety.md): left out here
    for name in ("types", "collections", "functools", "warnings", "importlib", "re", "enum"):
        (here / f"{name}.py").unlink()
    proc = subprocess.run(
        [sys.executable, "-m", "netra_ws_lint", "check", "--no-cache", "x.py"],
        cwd=here, capture_output=True, timeout=120,
    )
    assert _markers(tmp_path) == [], proc.stderr
    assert proc.returncode == 1 and b"x.py:2:9: NWS101" in proc.stdout


# ---------------------------------------------------------------- 9. globs


def test_exclude_globs_match_in_linear_time(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--extend-exclude '*a*a*a*a*a*a*a*a*a*a*b'`` took 49 s on one 40-character name."""
    name = "a" * 40 + ".py"
    (tree / name).write_text(CALL)
    (tree / "sub").mkdir()
    (tree / "sub" / ("a" * 60)).mkdir()
    (tree / "sub" / ("a" * 60) / "x.py").write_text(CALL)
    start = time.perf_counter()
    r = cli(capsys, "check", "--no-cache", "--extend-exclude", "*a*a*a*a*a*a*a*a*a*a*b", ".")
    elapsed = time.perf_counter() - start
    assert elapsed < 10, elapsed
    assert r.code == 1 and f"{name}:1:5: NWS101" in r.out
    good_still_checked(r.out)
    # the same pattern in a .gitignore, and in per-file-ignores
    (tree / ".gitignore").write_text("*a*a*a*a*a*a*a*a*a*a*a*a*b\n")
    (tree / "pyproject.toml").write_text(
        '[tool.netra-ws-lint]\nper-file-ignores = { "*a*a*a*a*a*a*a*a*a*a*a*b" = ["NWS1"] }\n'
    )
    start = time.perf_counter()
    r = cli(capsys, "check", "--no-cache", ".")
    assert time.perf_counter() - start < 10
    assert r.code == 1 and f"{name}:1:5: NWS101" in r.out
    assert glob_spec(["*a*a*a*b"]).match_file("xaxaxab")  # and it still matches


PATTERN_CHARS = st.sampled_from(["a", "b", "*", "**", "?", "/", "[ab]", "[!a]", "!", "\\*", "."])
PATH_CHARS = st.sampled_from(["a", "b", "/", ".", "*"])


@settings(max_examples=400, deadline=None)
@given(
    patterns=st.lists(st.lists(PATTERN_CHARS, min_size=1, max_size=7).map("".join),
                      min_size=1, max_size=3),
    path=st.lists(PATH_CHARS, min_size=1, max_size=9).map("".join),
)
def test_linear_globs_match_exactly_what_pathspec_matches(patterns: list[str], path: str) -> None:
    # pathspec lets a negated class match `/` (`*[!a]*a` matches `b/a`); git never does,
    # and neither do we: no reference for that case
    assume(not ("[!a]" in "".join(patterns) and "/" in path))
    try:
        expected = pathspec.GitIgnoreSpec.from_lines(patterns)
    except Exception:  # an invalid pattern: ours refuses it too
        with pytest.raises(Exception):
            glob_spec(patterns)
        return
    assert glob_spec(patterns).match_file(path) == expected.match_file(path), (patterns, path)


def test_a_negated_class_never_matches_a_slash() -> None:
    """As in git (pathspec differs here): `[!a]` is one character of a name."""
    assert not glob_spec(["*[!a]*a"]).match_file("b/a")
    assert glob_spec(["*[!a]*a"]).match_file("xba")


# ---------------------------------------------------------------- 11, 22. odd encodings


@pytest.mark.parametrize("coding", ["undefined", "punycode"])
def test_codings_whose_codec_fails(tree: Path, capsys: pytest.CaptureFixture[str],
                                   coding: str) -> None:
    (tree / "odd.py").write_bytes(f"# coding: {coding}\n".encode() + CALL.encode())
    r = cli(capsys, "check", "--no-cache", ".")
    assert r.code == 1
    assert "odd.py:1:1: NWS900 cannot decode file" in r.out
    good_still_checked(r.out)
    (tree / "fixme.py").write_text(FIXABLE)
    r = cli(capsys, "check", "--no-cache", "--fix", ".")
    assert r.code == 1 and FIXED_CALL in (tree / "fixme.py").read_text()
    (tree / "fixme.py").write_text(FIXABLE)
    r = cli(
        capsys, "migrate", "--apply", "--no-backup", "--report-dir", "netra-ws-lint-migration", "."
    )
    assert FIXED_CALL in (tree / "fixme.py").read_text()
    assert (tree / "netra-ws-lint-migration" / "migration-report.json").is_file()
    assert "wrote" in r.err
    f = flake8(tree, "odd.py", "good.py", extra=F8)
    assert f.codes("good.py") == ["NWS101"]


def test_add_noqa_reason_the_files_encoding_cannot_hold(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = "# -*- coding: latin-1 -*-\nn = 'caf\xe9'\n".encode("latin-1") + CALL.encode()
    (tree / "latin.py").write_bytes(data)
    r = cli(capsys, "check", "--no-cache", "--add-noqa=\u2713 reviewed", "latin.py", "good.py")
    assert r.code == 2
    assert "latin.py: the new text cannot be written as iso-8859-1" in r.err
    assert (tree / "latin.py").read_bytes() == data
    assert "# noqa: NWS101" in (tree / "good.py").read_text()  # the other file is done


def test_unicode_escape_files_are_never_rewritten(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Encoding the text back with ``unicode_escape`` turns every line break into
    ``\\n``: the file would come back as one physical line."""
    data = ("# coding: unicode_escape\n" + FIXABLE).encode()
    (tree / "esc.py").write_bytes(data)
    r = cli(capsys, "check", "--no-cache", "--fix", "esc.py", "good.py")
    assert r.code == 2
    assert "esc.py: files in the unicode-escape encoding cannot be written back unchanged" in (
        r.err.replace("unicode_escape", "unicode-escape")
    )
    assert (tree / "esc.py").read_bytes() == data
    r = cli(capsys, "check", "--no-cache", "--add-noqa", "esc.py")
    assert r.code == 2 and (tree / "esc.py").read_bytes() == data
    good_still_checked(cli(capsys, "check", "--no-cache", "good.py").out)


def test_fixes_in_files_with_cr_only_newlines(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "cr.py").write_bytes(FIXABLE.replace("\n", "\r").encode())
    r = cli(capsys, "check", "--no-cache", "--fix", "cr.py")
    data = (tree / "cr.py").read_bytes()
    assert FIXED_CALL.encode() in data, r.err
    assert b"\n" not in data and data.count(b"\r") == FIXABLE.count("\n")  # still CR only
    assert r.code == 0 and "Fixed 1 finding in 1 file" in r.err


# ---------------------------------------------------------------- 19. SyntaxWarnings


WARNS = 'x = "\\d"\nif x is 1:\n    pass\n' + CALL


def test_syntax_warnings_of_checked_files_stay_off_stderr(tree: Path) -> None:
    """3.12+ warns (SyntaxWarning) while parsing; 3.9-3.11 warn DeprecationWarning,
    shown here with PYTHONWARNINGS=always."""
    (tree / "warns.py").write_text(WARNS)
    env = {**os.environ, "PYTHONWARNINGS": "always"}
    proc = subprocess.run(
        [sys.executable, "-m", "netra_ws_lint", "check", "--no-cache", "--jobs", "2", "."],
        cwd=tree, capture_output=True, timeout=120, env=env,
    )
    err = proc.stderr.decode()
    assert "Warning" not in err, err
    assert_clean_stderr(err)
    assert proc.returncode == 1 and b"warns.py:4:5: NWS101" in proc.stdout
    # the engine and the plugin, in this process
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert {f.code for f in check_source(WARNS, "warns.py", Settings())} >= {"NWS101"}
        list(Plugin(ast.parse(""), "warns.py", WARNS.splitlines(True)).run())
    assert [str(w.message) for w in caught if "warns.py" in str(w.filename)] == []


# ---------------------------------------------------------------- 20. broken pipe


def test_a_broken_pipe_keeps_the_failure_status(tree: Path) -> None:
    """``check | head -1`` with findings must not exit 0."""
    for i in range(400):
        (tree / f"m{i}.py").write_text(GOOD * 5)
    proc = subprocess.Popen(
        [sys.executable, "-m", "netra_ws_lint", "check", "--no-cache", "--jobs", "1", "."],
        cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader goes away, as head does
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=120)
    assert b"NWS101" in first
    assert code == 1, (code, err)
    assert "Exception ignored" not in err and "Traceback" not in err, err


# ---------------------------------------------------------------- 21. configuration above


def test_invalid_configuration_above_the_repository_root_is_not_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "setup.cfg").write_text("[netra-ws-lint\nbroken\n")
    (tmp_path / "pyproject.toml").write_text("[tool.netra-ws-lint]\nselect = [\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "good.py").write_text(GOOD)
    monkeypatch.chdir(repo)
    r = cli(capsys, "check", "--no-cache", ".")
    assert r.code == 1, r.err
    good_still_checked(r.out)
    # inside the repository: a file without our table is never parsed, so never an error
    (repo / "pyproject.toml").write_text("[project\nname = 'broken'\n")
    (repo / "setup.cfg").write_text("not ini at all\n")
    r = cli(capsys, "check", "--no-cache", ".")
    assert r.code == 1, r.err
    good_still_checked(r.out)
    # ... while a broken file that does hold our table is still an error
    (repo / "pyproject.toml").write_text("[tool.netra-ws-lint]\nselect = [\n")
    r = cli(capsys, "check", "--no-cache", ".")
    assert r.code == 2 and "pyproject.toml: invalid TOML" in r.err


# ---------------------------------------------------------------- 22. CRLF for init


def test_init_on_crlf_files(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / ".git").mkdir()
    yaml = "repos:\r\n- repo: https://github.com/psf/black\r\n  rev: 24.1.0\r\n  hooks:\r\n  - id: black\r\n"
    (tree / ".pre-commit-config.yaml").write_bytes(yaml.encode())
    (tree / "pyproject.toml").write_bytes(
        b'[project]\r\nname = "x"\r\n\r\n[tool.netra-ws-lint]\r\nselect = ["NWS"]\r\n'
    )
    r = cli(capsys, "init")
    assert r.code == 0, r.err
    r = cli(capsys, "init")
    assert r.code == 0 and "already set up: nothing changed" in r.out, r.out + r.err
    config = (tree / ".pre-commit-config.yaml").read_bytes()
    assert config.count(b"id: netra-ws-lint") == 1
    assert b"\n" not in config.replace(b"\r\n", b"")  # CRLF kept throughout
    py = (tree / "pyproject.toml").read_bytes()
    assert py.count(b"[tool.netra-ws-lint]") == 1 and b"deprecated-accessors" in py
    assert b"\n" not in py.replace(b"\r\n", b"")
    r = cli(capsys, "check", "--no-cache", ".")
    assert r.code == 1
    good_still_checked(r.out)


def test_subprocess_front_end_is_clean_on_all_of_it(tree: Path) -> None:
    """One run over every odd input of this file at once."""
    (tree / "odd.py").write_bytes(b"# coding: punycode\nx = 1\n")
    (tree / "warns.py").write_text(WARNS)
    (tree / "esc.py").write_bytes(("# coding: unicode_escape\n" + CALL).encode())
    r = cli_subprocess(tree, "check", "--no-cache", ".")
    assert r.code == 1
    good_still_checked(r.out)
