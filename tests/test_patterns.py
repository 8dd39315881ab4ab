"""Custom pattern rules (NWS5xx) from [[tool.netra-ws-lint.patterns]]."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from netra_ws_lint.cli.main import main
from netra_ws_lint.config import ConfigError, Settings, apply_options, settings_for
from netra_ws_lint.engine.pipeline import check_source

BLOCKING = {
    "code": "NWS501",
    "pattern": "requests.get($URL)",
    "inside": "async def $F($$$ARGS): $$$BODY",
    "not-inside": "with $LOCK: $$$BODY",
    "message": "blocking `requests.get($URL)` in async code",
    "fix": "await client.get($URL)",
    "fix-applicability": "unsafe",
    "example": "async def f(u):\n    requests.get(u)\n",
}
PRINT = {
    "code": "NWS502",
    "pattern": "print($$$ARGS)",
    "message": "print($$$ARGS) in a service",
    "fix": "log.info($$$ARGS)",
    "example": "print(1, 2)",
}
SOURCE = (
    "import requests\n"
    "\n"
    "async def handler(url):\n"
    "    requests.get(url)\n"
    "    with lock:\n"
    "        requests.get(url)\n"
    "    print('a',  'b')  # noqa: NWS502\n"
    "\n"
    "def sync(url):\n"
    "    requests.get(url)\n"
    "    print(url, 'caf\u00e9', sep='')\n"
)


def settings(*rules: dict[str, str], **extra: object) -> Settings:
    return apply_options(Settings(), {"patterns": list(rules), **extra}, "pyproject.toml")


def found(source: str, s: Settings) -> list[tuple[int, int, str, str]]:
    return [(f.line, f.col, f.code, f.message) for f in check_source(source, "app.py", s)]


def test_findings_inside_not_inside_and_metavariables() -> None:
    assert found(SOURCE, settings(BLOCKING, PRINT)) == [
        (4, 4, "NWS501", "blocking `requests.get(url)` in async code"),
        (11, 4, "NWS502", "print(url, 'caf\u00e9', sep='') in a service"),
    ]


def test_select_ignore_noqa_and_per_file_ignores() -> None:
    both = (BLOCKING, PRINT)
    assert {c for _, _, c, _ in found(SOURCE, settings(*both, select=["NWS501"]))} == {"NWS501"}
    assert {c for _, _, c, _ in found(SOURCE, settings(*both, ignore=["NWS5"]))} == set()
    assert {c for _, _, c, _ in found(SOURCE, settings(*both, ignore=["NWS50"],
                                                       **{"extend-select": ["NWS502"]}))} == {
        "NWS502"
    }
    pfi = settings(*both, **{"per-file-ignores": {"app.py": ["NWS502"]}})
    assert {c for _, _, c, _ in found(SOURCE, pfi)} == {"NWS501"}
    # the noqa on line 7 holds (without it, line 7 is reported)
    unsuppressed = SOURCE.replace("  # noqa: NWS502", "")
    # (white space in messages is collapsed)
    assert (7, 4, "NWS502", "print('a', 'b') in a service") in found(
        unsuppressed, settings(PRINT)
    )


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ({"pattern": "requests.get("}, "patterns[0].pattern", "does not parse"),
        ({"inside": "async def $F(:"}, "patterns[0].inside", "does not parse"),
        ({"pattern": "requests.post($URL)"}, "patterns[0].example", "matches nothing"),
        ({"example": "async def f(u):\n    with x:\n        requests.get(u)\n"},
         "patterns[0].example", "matches nothing"),
        ({"example": "def f(:"}, "patterns[0].example", "not valid Python"),
        ({"code": "NWS401"}, "patterns[0].code", "NWS500-NWS599"),
        ({"message": "bad $HOST"}, "patterns[0].message", "$HOST is not a metavariable"),
        ({"fix-applicability": "maybe"}, "patterns[0].fix-applicability", "safe"),
        ({"colour": "red"}, "patterns[0].colour", "unknown key"),
        ({"example": None}, "patterns[0].example", "missing"),
        ({"pattern": "  "}, "patterns[0].pattern", "non-empty string"),
    ],
)
def test_bad_rules_are_config_errors_naming_the_key(
    change: dict[str, object], key: str, message: str
) -> None:
    rule: dict[str, object] = {**BLOCKING, **change}
    rule = {k: v for k, v in rule.items() if v is not None}
    with pytest.raises(ConfigError) as exc:
        apply_options(Settings(), {"patterns": [rule]}, "pyproject.toml")
    assert f"pyproject.toml: key '{key}'" in str(exc.value)
    assert message in str(exc.value)
    assert "Stack backtrace" not in str(exc.value)


def test_duplicate_codes_and_wrong_shape() -> None:
    with pytest.raises(ConfigError, match="used twice"):
        settings(PRINT, PRINT)
    with pytest.raises(ConfigError, match=r"patterns.*tables"):
        apply_options(Settings(), {"patterns": "print($X)"}, "setup.cfg")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "app.py").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(pyproject(BLOCKING, PRINT), encoding="utf-8")
    return tmp_path


def pyproject(*rules: dict[str, str]) -> str:
    out = ["[tool.netra-ws-lint]", ""]
    for rule in rules:
        out.append("[[tool.netra-ws-lint.patterns]]")
        out += [f"{k} = {json.dumps(v)}" for k, v in rule.items()]
        out.append("")
    return "\n".join(out)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_reports_and_fixes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "app.py")
    assert code == 1
    assert out.splitlines() == [
        "app.py:4:5: NWS501 blocking `requests.get(url)` in async code",
        "app.py:11:5: NWS502 print(url, 'caf\u00e9', sep='') in a service",
    ]
    _, out, _ = run(capsys, "check", "--output-format", "json", "app.py")
    fixes = {d["code"]: d["fix"] for d in json.loads(out)}
    assert fixes["NWS501"]["applicability"] == "unsafe"
    assert fixes["NWS502"]["edits"][0]["content"] == "log.info(url, 'caf\u00e9', sep='')"
    _, out, _ = run(capsys, "check", "--output-format", "sarif", "app.py")
    from .conftest import validate_sarif

    validate_sarif(json.loads(out))
    code, _, _ = run(capsys, "check", "--fix", "app.py")
    text = (repo / "app.py").read_text(encoding="utf-8")
    assert "    log.info(url, 'caf\u00e9', sep='')\n" in text  # safe: applied
    assert "    requests.get(url)\n    with lock" in text  # unsafe: not without the flag
    run(capsys, "check", "--fix", "--unsafe-fixes", "app.py")
    text = (repo / "app.py").read_text(encoding="utf-8")
    assert "async def handler(url):\n    await client.get(url)\n" in text
    assert run(capsys, "check", "--select", "NWS501,NWS502", "app.py")[0] == 0


def test_cli_bad_pattern_exits_2_with_file_and_key(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "pyproject.toml").write_text(
        pyproject(PRINT, {**BLOCKING, "pattern": "requests.get($URL"}), encoding="utf-8"
    )
    code, _, err = run(capsys, "check", "app.py")
    assert code == 2
    assert "pyproject.toml: key 'patterns[1].pattern': the pattern does not parse" in err


def test_flake8_reports_the_same(repo: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "NWS", "--format=%(row)d:%(col)d:%(code)s",
         "app.py"],
        cwd=repo, capture_output=True, text=True, timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    # flake8 applies the noqa itself: line 7 is suppressed there too
    assert proc.stdout.split() == ["4:5:NWS501", "11:5:NWS502"]
    engine = found(SOURCE, settings_for(repo / "app.py"))
    assert [(line, col + 1, code) for line, col, code, _ in engine] == [
        (4, 5, "NWS501"), (11, 5, "NWS502")
    ]
