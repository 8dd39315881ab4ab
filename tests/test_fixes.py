"""Fixes: golden before/after files, verification, encodings, and the CLI's --fix,
--diff, --unsafe-fixes and --show-fixes."""

from __future__ import annotations

import ast
import json
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netra_ws_lint.cli.main import main
from netra_ws_lint.config import ConfigError, Settings, apply_options
from netra_ws_lint.engine.pipeline import check_source
from netra_ws_lint.fix import apply as fixes
from netra_ws_lint.fix.apply import FixError, fix_bytes, fix_file, fix_text

from .conftest import validate_sarif

HERE = Path(__file__).parent
FIXTURES = HERE / "data" / "fixes"
EXAMPLES = HERE.parent / "examples"
BEFORE = sorted(p for p in FIXTURES.glob("*.py") if not p.name.endswith(".fixed.py"))


def _options(text: str) -> tuple[Settings, bool]:
    first = text.split("\n", 1)[0]
    options = json.loads(first.split(":", 1)[1]) if first.startswith("# fix-options:") else {}
    unsafe = options.pop("unsafe", False)
    return apply_options(Settings(), options, None), unsafe


def _fixed(path: Path) -> Path:
    return path.with_name(path.stem + ".fixed.py")


def test_every_fixture_has_its_expected_result() -> None:
    assert len(BEFORE) >= 12
    for p in BEFORE:
        assert _fixed(p).is_file(), p


@pytest.mark.parametrize("path", BEFORE, ids=lambda p: p.stem)
def test_golden_fix(path: Path) -> None:
    before = path.read_text(encoding="utf-8")
    expected = _fixed(path).read_text(encoding="utf-8")
    settings, unsafe = _options(before)
    after, applied = fix_text(before, path.name, settings, unsafe)
    assert after == expected
    ast.parse(after)
    # idempotent: the fixed file has nothing left to fix
    assert fix_text(after, path.name, settings, unsafe) == (after, [])
    # what is left of the fixed rules is manual (or not applicable without --unsafe-fixes)
    allowed = ("safe", "unsafe") if unsafe else ("safe",)
    for f in check_source(after, path.name, settings):
        if f.fix is not None:
            assert f.fix.applicability not in allowed or not f.fix.edits, f
    assert bool(applied) == (before != expected)


def test_manual_sites_say_why() -> None:
    source = (FIXTURES / "manual_sites.py").read_text(encoding="utf-8")
    reasons = {  # (audit: most of these sites act for no user)
        f.line: f.fix.message
        for f in check_source(source, "manual_sites.py", Settings(audit=True))
        if f.code == "NWS101" and f.fix is not None
    }
    assert all(f.fix is None or f.fix.applicability == "manual"
               for f in check_source(source, "m.py", Settings()))
    # import-time bindings are NWS103 sites (one finding each, no NWS101 fix to offer)
    codes = {(f.line, f.code) for f in check_source(source, "m.py", Settings())}
    assert {(4, "NWS103"), (8, "NWS103")} <= codes and 4 not in reasons and 8 not in reasons
    assert "called on an object (`self.registry`)" in reasons[11]
    assert reasons[15] == "no user context in scope"
    assert "arguments" in reasons[19]
    assert "called on an object (`hub`)" in reasons[23]
    assert "classmethod" in reasons[36]


def test_unsafe_fixes_are_not_applied_without_the_flag() -> None:
    source = (FIXTURES / "unsafe_fixes.py").read_text(encoding="utf-8")
    assert fix_text(source, "u.py", Settings())[0] == source
    kinds = {(f.code, f.fix.applicability) for f in check_source(source, "u.py", Settings())
             if f.fix is not None}
    assert kinds == {("NWS303", "unsafe"), ("NWS301", "unsafe")}


# ---------------------------------------------------------------- example services


@pytest.mark.parametrize("service", ["legacy_service", "factory_service"])
@pytest.mark.parametrize("unsafe", [False, True])
def test_example_services_fix_parses_and_settles(service: str, unsafe: bool) -> None:
    for path in sorted((EXAMPLES / service).glob("*.py")):
        source = path.read_text(encoding="utf-8")
        after, _ = fix_text(source, str(path), Settings(), unsafe)
        ast.parse(after)
        assert fix_text(after, str(path), Settings(), unsafe)[0] == after
        if service == "factory_service":
            assert after == source  # the migrated twin has nothing to fix


# ---------------------------------------------------------------- bytes kept

LEGACY = (
    "from app.ws import get_websocket_manager\n"
    "\n"
    "async def handle(user_context):\n"
    "    manager = get_websocket_manager()  # caf\u00e9\n"
    "    return manager\n"
)
LEGACY_FIXED = LEGACY.replace(
    "get_websocket_manager()", "create_websocket_manager(user_context)"
).replace("import get_websocket_manager", "import create_websocket_manager")


@pytest.mark.parametrize(
    ("encode", "name"),
    [
        (lambda t: t.replace("\n", "\r\n").encode("utf-8"), "crlf"),
        (lambda t: t.replace("\n", "\r").encode("utf-8"), "cr"),
        (lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"), "bom"),
        (lambda t: ("# -*- coding: latin-1 -*-\n" + t).encode("latin-1"), "latin-1"),
    ],
)
def test_encoding_bom_and_newlines_are_kept(encode: object, name: str) -> None:
    data = encode(LEGACY)  # type: ignore[operator]
    result = fix_bytes(data, "x.py", Settings())
    assert result.fixed == encode(LEGACY_FIXED)  # type: ignore[operator]


def test_mixed_newlines_are_kept_line_by_line() -> None:
    data = LEGACY.replace("\n", "\r\n", 2).encode("utf-8")
    fixed = fix_bytes(data, "x.py", Settings()).fixed
    assert fixed == LEGACY_FIXED.replace("\n", "\r\n", 2).encode("utf-8")


def test_file_is_replaced_atomically_keeping_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "x.py"
    path.write_text(LEGACY, encoding="utf-8")
    path.chmod(0o640)
    result = fix_file(path, Settings())
    assert result.changed and path.read_text(encoding="utf-8") == LEGACY_FIXED
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["x.py"]  # no temporary file left


def test_syntax_errors_are_never_touched(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    data = (LEGACY + "def oops(:\n").encode("utf-8")
    path.write_bytes(data)
    with pytest.raises(FixError, match="does not parse"):
        fix_file(path, Settings())
    assert path.read_bytes() == data


def test_a_fix_that_would_break_the_file_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.py"
    path.write_text(LEGACY, encoding="utf-8")
    monkeypatch.setattr(fixes, "apply_fixes", lambda raw, found, p="": (raw + "def (\n", found))
    with pytest.raises(FixError, match="would not parse"):
        fix_file(path, Settings())
    assert path.read_text(encoding="utf-8") == LEGACY


def test_a_fix_that_does_not_settle_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.py"
    path.write_text(LEGACY, encoding="utf-8")
    monkeypatch.setattr(fixes, "MAX_PASSES", 0)  # the verification pass still has work
    with pytest.raises(FixError, match="do not settle"):
        fix_file(path, Settings())
    assert path.read_text(encoding="utf-8") == LEGACY


def test_non_ascii_columns_map_to_the_right_node() -> None:
    source = (
        "from app.ws import get_websocket_manager\n"
        "def f(user_context):\n"
        "    x = ('\u00e9\u00e9\u00e9', get_websocket_manager(), '\U0001f600')\n"
        "    return x\n"
    )
    after, _ = fix_text(source, "x.py", Settings())
    assert "('\u00e9\u00e9\u00e9', create_websocket_manager(user_context), '\U0001f600')" in after


# ---------------------------------------------------------------- configuration


def test_async_replacement_configuration() -> None:
    table = apply_options(
        Settings(), {"deprecated-accessors": {"get_x": "await  create_x"}}, "pyproject.toml"
    )
    assert table.words.deprecated_accessors == {"get_x": "await create_x"}
    cfg = apply_options(Settings(), {"deprecated-accessors": "get_x -> await create_x"}, "s.cfg")
    assert cfg.words.deprecated_accessors == {"get_x": "await create_x"}
    for bad in ("await", "await 1x", "awaits create_x x", "await create_*"):
        with pytest.raises(ConfigError, match="deprecated-accessors"):
            apply_options(Settings(), {"deprecated-accessors": {"get_x": bad}}, "p.toml")


# ---------------------------------------------------------------- property test

IMPORTS = {
    "plain": ("from app.ws import get_websocket_manager\n", "get_websocket_manager"),
    "alias": ("from app.ws import WebSocketMessage, get_websocket_manager as gwm\n", "gwm"),
    "module": ("import app.ws as wc\n", "wc.get_websocket_manager"),
    "dotted": ("import app.ws\n", "app.ws.get_websocket_manager"),
}
STATEMENTS = [
    "x = {call}()",
    "{call}().send(1)",
    "return {call}()",
    "if flag:\n    y = {call}()",
    "items = [{call}() for _ in range(2)]",
    "def inner():\n    return {call}()",
    "cb = lambda: {call}()",
    "z = ({call}\n     ())",
    "user_context = request.user_context",
    "w = {call}(timeout=1)",
]


@st.composite
def programs(draw: st.DrawFn) -> tuple[str, bool]:
    style = draw(st.sampled_from(sorted(IMPORTS)))
    header, call = IMPORTS[style]
    is_async = draw(st.booleans())
    param = draw(st.sampled_from(["user_context", "ctx", "request", "user_id"]))
    in_class = draw(st.booleans())
    body = draw(st.lists(st.sampled_from(STATEMENTS), min_size=1, max_size=5))
    if is_async and draw(st.booleans()):
        body.append("await {call}().send(2)")
    indent = "        " if in_class else "    "
    lines = []
    for stmt in body:
        for line in stmt.format(call=call).split("\n"):
            lines.append(indent + line)
    keyword = "async def" if is_async else "def"
    if in_class:
        src = (
            f"{header}\n\nclass Service:\n"
            f"    def __init__(self, {param}):\n        self.{param} = {param}\n\n"
            f"    {keyword} run(self, request, flag):\n" + "\n".join(lines) + "\n"
        )
    else:
        src = f"{header}\n\n{keyword} run({param}, request, flag):\n" + "\n".join(lines) + "\n"
    return src, draw(st.booleans())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_property_fixed_files_parse_and_settle(program: tuple[str, bool]) -> None:
    source, async_replacement = program
    ast.parse(source)
    options = (
        {"deprecated-accessors": {"get_websocket_manager": "await create_websocket_manager"}}
        if async_replacement else {}
    )
    settings_ = apply_options(Settings(), options, None)
    after, applied = fix_text(source, "gen.py", settings_)
    ast.parse(after)
    assert fix_text(after, "gen.py", settings_)[0] == after
    # every deprecated call left is one that needs a person
    for f in check_source(after, "gen.py", settings_):
        if f.code == "NWS101":
            assert f.fix is not None and f.fix.applicability == "manual", (after, f)
    if applied:
        assert after != source


# ---------------------------------------------------------------- CLI


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["check", "--no-cache", *argv] if "--no-cache" in _check_options() else
                ["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _check_options() -> set[str]:
    from netra_ws_lint.cli.main import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    check = sub.choices["check"]  # type: ignore[attr-defined]
    return {s for a in check._actions for s in a.option_strings}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "legacy.py").write_text(LEGACY, encoding="utf-8")
    shutil.copy(FIXTURES / "unsafe_fixes.py", tmp_path / "app" / "unsafe.py")
    shutil.copy(FIXTURES / "manual_sites.py", tmp_path / "app" / "manual.py")
    return tmp_path


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "app").rglob("*"))}


def test_cli_diff_changes_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(repo)
    code, out, err = run(capsys, "--diff", "app")
    assert code == 1
    assert "--- a/app/legacy.py\n+++ b/app/legacy.py\n" in out
    assert "+    manager = create_websocket_manager(user_context)  # caf\u00e9\n" in out
    assert "unsafe.py" not in out  # unsafe fixes need --unsafe-fixes
    assert "Would fix 1 finding in 1 file." in err
    assert _snapshot(repo) == before
    code, out, _ = run(capsys, "--diff", "--unsafe-fixes", "app")
    assert code == 1 and "+++ b/app/unsafe.py" in out
    assert _snapshot(repo) == before
    assert run(capsys, "--diff", "app/manual.py")[:2] == (0, "")


def test_cli_fix_applies_safe_fixes_and_reports_the_rest(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manual_before = (repo / "app" / "manual.py").read_bytes()
    code, out, err = run(capsys, "--fix", "--show-fixes", "app")
    assert (repo / "app" / "legacy.py").read_text(encoding="utf-8") == LEGACY_FIXED
    assert (repo / "app" / "manual.py").read_bytes() == manual_before
    assert "Fixed 1 finding in 1 file." in err
    assert "app/legacy.py:4:15: NWS101 call `create_websocket_manager(user_context)`" in out
    assert code == 1  # the manual sites and the unsafe ones are still reported
    assert "app/legacy.py" not in "".join(
        line for line in out.splitlines(keepends=True) if ": NWS" in line and "call `" not in line
    )
    code, out, err = run(capsys, "--fix", "--unsafe-fixes", "app/unsafe.py")
    assert code == 0, out
    assert (repo / "app" / "unsafe.py").read_text(encoding="utf-8") == (
        FIXTURES / "unsafe_fixes.fixed.py"
    ).read_text(encoding="utf-8")
    # a second run has nothing to do
    assert run(capsys, "--fix", "app/legacy.py")[0] == 0


def test_cli_show_fixes_lists_fix_or_reason(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--show-fixes", "app")
    assert code == 1
    assert "app/legacy.py:4:15: NWS101 [safe] call `create_websocket_manager(user_context)`" in out
    assert "app/manual.py:15:12: NWS101 [manual] no user context in scope" in out
    assert "app/unsafe.py:10:11: NWS303 [unsafe] pass `user_context=user_context`" in out
    assert "1 fixable with --fix, 3 more with --unsafe-fixes" in out


def test_cli_json_and_sarif_carry_fixes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "--output-format", "json", "app/legacy.py")
    data = {d["code"]: d for d in json.loads(out)}
    _, manual_out, _ = run(capsys, "--output-format", "json", "app/manual.py")
    manual = {d["code"]: d for d in json.loads(manual_out)}
    assert "fix" not in manual["NWS103"]  # rules without fixes: the keys as before
    assert data["NWS101"]["fix"] == {
        "applicability": "safe",
        "message": "call `create_websocket_manager(user_context)` instead and update the import",
        "edits": [{
            "content": "create_websocket_manager(user_context)",
            "location": {"row": 4, "column": 15},
            "end_location": {"row": 4, "column": 38},
        }],
        "import_changes": [{"row": 1, "column": 1, "remove": "get_websocket_manager",
                            "add": "create_websocket_manager", "from_module": None}],
    }
    _, out, _ = run(capsys, "--output-format", "sarif", "app")
    doc = json.loads(out)
    validate_sarif(doc)
    results = doc["runs"][0]["results"]
    fixed = [r for r in results if r.get("fixes")]
    assert fixed and all(r["properties"]["fixApplicability"] in ("safe", "unsafe") for r in fixed)
    replacement = fixed[0]["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert replacement["insertedContent"]["text"] == "create_websocket_manager(user_context)"
    assert replacement["deletedRegion"] == {
        "startLine": 4, "startColumn": 15, "endLine": 4, "endColumn": 38
    }
    manual = [r for r in results if r.get("properties", {}).get("fixApplicability") == "manual"]
    assert manual and not any("fixes" in r for r in manual)


def test_cli_fix_refuses_stdin(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--fix", "-")
    assert code == 2 and "stdin" in err


def test_cli_fix_leaves_broken_files_alone(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = repo / "app" / "broken.py"
    broken.write_text(LEGACY + "def oops(:\n", encoding="utf-8")
    before = broken.read_bytes()
    code, out, _ = run(capsys, "--fix", "app/broken.py")
    assert broken.read_bytes() == before
    assert code == 1 and "NWS900" in out


def test_check_without_fix_options_does_not_import_ast_grep() -> None:
    import subprocess

    code = (
        "import sys\n"
        "from netra_ws_lint.cli.main import main\n"
        f"main(['check', '--exit-zero', {str(FIXTURES / 'alias_import.py')!r}])\n"
        "assert 'ast_grep_py' not in sys.modules, 'imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_cli_fix_never_writes_through_a_symlink(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = repo / "real.py"
    target.write_text(LEGACY, encoding="utf-8")
    (repo / "app" / "link.py").symlink_to(target)
    code, _, err = run(capsys, "--fix", "app/link.py")
    assert code == 2 and "symbolic link" in err
    assert target.read_text(encoding="utf-8") == LEGACY
