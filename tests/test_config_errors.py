"""A broken configuration stops the run with one clear line naming the file and the
key, exit 2, never a traceback: through the CLI and through flake8 (whose plugin reads
the same tables)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .frontends import cli, flake8

CODE = "len(get_websocket_manager())\n"

# (config file, its content, the message expected after "netra-ws-lint: error: ")
CASES = [
    # malformed files
    ("pyproject.toml", b"[tool.netra-ws-lint]\nselect = [\n",
     "{f}: invalid TOML: "),
    # (a file that never names the tool is not parsed at all: see test_hostile_input)
    ("pyproject.toml", b"tool = 3  # meant for netra-ws-lint\n",
     "{f}: key 'tool' must be a table, got int"),
    ("pyproject.toml", b"[tool]\nnetra-ws-lint = 3\n",
     "{f}: [tool.netra-ws-lint] must be a table"),
    ("pyproject.toml", b"[tool.netra-ws-lint]\n# caf\xe9\n",
     "{f}: not UTF-8: "),
    ("pyproject.toml", b"[tool.netra-ws-lint]\nselect = " + b"[" * 5000 + b"]" * 5000 + b"\n",
     "{f}: invalid TOML: nested too deeply"),
    ("setup.cfg", b"select = NWS1\n[netra-ws-lint]\n",
     "{f}: invalid INI: File contains no section headers."),
    ("setup.cfg", b"[netra-ws-lint]\n  = x\n!!!\n",
     "{f}: invalid INI: Source contains parsing errors"),
    ("setup.cfg", b"[netra-ws-lint]\n# caf\xe9\nselect = NWS1\n",
     "{f}: not UTF-8: "),
    # wrong types
    ("pyproject.toml", b"[tool.netra-ws-lint]\nselect = 3\n",
     "{f}: key 'select': expected a list of strings, got int"),
    ("pyproject.toml", b"[tool.netra-ws-lint]\nselect = [1, 2]\n",
     "{f}: key 'select': expected a list of strings, got a list holding int 1"),
    ("pyproject.toml", b"[tool.netra-ws-lint]\naudit = 1\n",
     "{f}: key 'audit': expected true or false, got 1"),
    ("setup.cfg", b"[netra-ws-lint]\naudit = maybe\n",
     "{f}: key 'audit': expected true or false, got 'maybe'"),
    ("pyproject.toml", b'[tool.netra-ws-lint]\nper-file-ignores = { "a.py" = 3 }\n',
     "{f}: key 'per-file-ignores': expected a list of strings, got int"),
    ("pyproject.toml", b"[tool.netra-ws-lint]\ncontext-names = [{}]\n",
     "{f}: key 'context-names': expected a list of strings, got a list holding dict {{}}"),
    ("pyproject.toml", b"[tool.netra-ws-lint]\nextend-exclude = { a = 1 }\n",
     "{f}: key 'extend-exclude': expected a list of strings, got dict"),
    ("pyproject.toml", b"[tool.netra-ws-lint]\ndeprecated-accessors = { get_x = 3 }\n",
     "{f}: key 'deprecated-accessors': entries must map a name to its replacement"),
    # unknown keys
    ("pyproject.toml", b'[tool.netra-ws-lint]\ncolour = "red"\n',
     "{f}: key 'colour': unknown key (known keys: "),
    ("pyproject.toml", b"[tool.netra-ws-lint.sub]\na = 1\n",
     "{f}: key 'sub': unknown key"),
    ("setup.cfg", b"[netra-ws-lint]\ncolor = red\n",
     "{f}: key 'color': unknown key"),
    # invalid codes
    ("pyproject.toml", b'[tool.netra-ws-lint]\nselect = ["NWS1O1"]\n',
     "{f}: key 'select': unknown rule code or prefix 'NWS1O1'"),
    ("pyproject.toml", b'[tool.netra-ws-lint]\nignore = ["NWS 101"]\n',
     "{f}: key 'ignore': unknown rule code or prefix 'NWS 101'"),
    ("pyproject.toml", b'[tool.netra-ws-lint]\nper-file-ignores = { "a.py" = ["E501"] }\n',
     "{f}: key 'per-file-ignores': unknown rule code or prefix 'E501'"),
    ("setup.cfg", b"[netra-ws-lint]\nextend-select = NWS999\n",
     "{f}: key 'extend-select': unknown rule code or prefix 'NWS999'"),
    # invalid globs and names
    ("pyproject.toml", b'[tool.netra-ws-lint]\nexclude = ["[z-a]"]\n',
     "{f}: key 'exclude': invalid glob '[z-a]'"),
    ("pyproject.toml", b'[tool.netra-ws-lint]\nextend-exclude = ["a\\\\"]\n',
     "{f}: key 'extend-exclude': invalid glob"),
    ("pyproject.toml", b'[tool.netra-ws-lint]\ntest-paths = ["[z-a]"]\n',
     "{f}: key 'test-paths': invalid glob '[z-a]'"),
    ("pyproject.toml", b'[tool.netra-ws-lint]\nper-file-ignores = { "[z-a]" = ["NWS101"] }\n',
     "{f}: key 'per-file-ignores': invalid glob '[z-a]'"),
    ("pyproject.toml", b'[tool.netra-ws-lint]\ncontext-names = ["not a name"]\n',
     "{f}: key 'context-names': 'not a name' is not a name or name pattern"),
    # an ast-grep pattern that does not parse
    ("pyproject.toml", b'[tool.netra-ws-lint]\n[[tool.netra-ws-lint.patterns]]\ncode = "NWS501"\n'
     b'pattern = "foo($$$"\nmessage = "m"\nexample = "foo(1)"\n',
     "{f}: key 'patterns[0].pattern': "),
    ("pyproject.toml", b'[tool.netra-ws-lint]\npatterns = 3\n',
     "{f}: key 'patterns': "),
]


def _id(case: tuple[str, bytes, str]) -> str:
    return case[2].replace("{f}: ", "")[:40]


@pytest.mark.parametrize(("name", "content", "message"), CASES, ids=[_id(c) for c in CASES])
def test_config_error_cli_and_flake8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str],
                                     name: str, content: bytes, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(CODE)
    config = tmp_path / name
    config.write_bytes(content)
    expected = "netra-ws-lint: error: " + message.format(f=config)
    r = cli(capsys, "check", ".")
    assert r.code == 2 and r.out == ""
    assert len(r.err.splitlines()) == 1, r.err
    assert r.err.startswith(expected), (r.err, expected)
    f = flake8(tmp_path, ".", extra=("--select", "NWS"))
    assert f.code == 2 and f.out == "", f.err
    assert f.err.splitlines()[-1].startswith(expected), (f.err, expected)
    assert "Traceback" not in f.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--select", "NWS999"], "option 'select': unknown rule code or prefix 'NWS999'"),
        (["--per-file-ignores", "[z-a]:NWS101"], "option 'per-file-ignores': invalid glob"),
        (["--per-file-ignores", "nocodes"], "option 'per-file-ignores': expected 'glob:CODE,...'"),
        (["--config", "missing.toml"], "missing.toml: no such configuration file"),
        (["--config", "sub"], "sub: no such configuration file"),
        (["--config", "plain.toml"], "plain.toml: no [tool.netra-ws-lint] table"),
        (["--config", "plain.cfg"], "plain.cfg: no [netra-ws-lint] section"),
        (["--config", "bad.toml"], "bad.toml: key 'select': unknown rule code or prefix 'X'"),
    ],
)
def test_command_line_config_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str],
                                    argv: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(CODE)
    (tmp_path / "sub").mkdir()
    (tmp_path / "plain.toml").write_text("[tool.other]\nx = 1\n")
    (tmp_path / "plain.cfg").write_text("[other]\nx = 1\n")
    (tmp_path / "bad.toml").write_text('[tool.netra-ws-lint]\nselect = ["X"]\n')
    r = cli(capsys, "check", *argv, ".")
    assert r.code == 2 and r.out == ""
    assert r.err == f"netra-ws-lint: error: {message}" + r.err[len("netra-ws-lint: error: ")
                                                              + len(message):]
    assert len(r.err.splitlines()) == 1


def test_config_named_with_a_toml_suffix_is_read_as_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text("async def f(user_context):\n    " + CODE)
    (tmp_path / "ci.toml").write_text('[tool.netra-ws-lint]\nignore = ["NWS101"]\n')
    assert cli(capsys, "check", ".").code == 1
    assert cli(capsys, "check", "--config", "ci.toml", ".").code == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--nws-select", "XYZ"], "option 'select': unknown rule code or prefix 'XYZ'"),
        (["--nws-context-names", "9lives"], "option 'context-names': '9lives' is not a name"),
        (["--nws-test-paths", "[z-a]"], "option 'test-paths': invalid glob '[z-a]'"),
    ],
)
def test_flake8_option_errors(tmp_path: Path, options: list[str], message: str) -> None:
    (tmp_path / "app.py").write_text(CODE)
    f = flake8(tmp_path, ".", extra=("--select", "NWS", *options))
    assert f.code == 2 and f.out == ""
    assert f.err.splitlines()[-1].startswith(f"netra-ws-lint: error: {message}"), f.err
    (tmp_path / "setup.cfg").write_text(f"[flake8]\n{options[0][2:]} = {options[1]}\n")
    f = flake8(tmp_path, ".", extra=("--select", "NWS"))
    assert f.code == 2 and f.err.splitlines()[-1].startswith(f"netra-ws-lint: error: {message}")


def test_bad_config_below_a_good_one_names_its_own_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.netra-ws-lint]\naudit = true\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "setup.cfg").write_text("[netra-ws-lint]\nselect = NWS7\n")
    (tmp_path / "pkg" / "m.py").write_text(CODE)
    r = cli(capsys, "check", ".")
    assert r.code == 2
    assert r.err == (
        f"netra-ws-lint: error: {tmp_path / 'pkg' / 'setup.cfg'}: key 'select': "
        "unknown rule code or prefix 'NWS7'\n"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[" * 100000 + b"]" * 100000, "not a baseline file (JSON nested too deeply)"),
        (b"{", "not a baseline file (invalid JSON: "),
        (b"\xff\xfe", "not a baseline file (invalid JSON: "),
        (b'{"entries": []}', "baseline format None is not supported"),
        (b'{"format": 2, "entries": [1]}', 'entry 1 needs "path", "code" and "fingerprint"'),
        (None, "cannot read baseline: Is a directory"),
    ],
)
def test_broken_baseline_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str],
                               content: bytes | None, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(CODE)
    baseline = tmp_path / "base.json"
    if content is None:
        baseline.mkdir()
    else:
        baseline.write_bytes(content)
    for argv in (["check", "--baseline", "base.json", "."],
                 ["baseline", "update", ".", "--file", "base.json"]):
        r = cli(capsys, *argv)
        assert r.code == 2 and r.out == ""
        assert r.err.startswith(f"netra-ws-lint: error: base.json: {message}"), r.err
        assert len(r.err.splitlines()) == 1


def test_flake8_reports_a_bad_nested_config_on_the_files_below_it(tmp_path: Path) -> None:
    """flake8 validates the configuration of its working directory up front (exit 2);
    a broken configuration further down is reported on each file it governs."""
    (tmp_path / "pyproject.toml").write_text("[tool.netra-ws-lint]\naudit = true\n")
    (tmp_path / "ok.py").write_text(CODE)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "setup.cfg").write_text("[netra-ws-lint]\nselect = NWS7\n")
    (tmp_path / "pkg" / "m.py").write_text(CODE)
    f = flake8(tmp_path, ".", extra=("--select", "NWS", "--format", "%(path)s:%(row)d: %(code)s %(text)s"))
    assert f.code == 1
    lines = f.out.splitlines()
    assert any(line.startswith("./ok.py:1: NWS101") for line in lines), lines
    assert [line for line in lines if "pkg/m.py" in line] == [
        f"./pkg/m.py:1: NWS901 configuration error: {tmp_path / 'pkg' / 'setup.cfg'}: "
        "key 'select': unknown rule code or prefix 'NWS7'"
    ]
