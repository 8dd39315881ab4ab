"""NWS902 (unused `# noqa`): what it reports, its fixes, and the CLI paths to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_ws_lint.cli.main import main
from netra_ws_lint.config import Settings, apply_options
from netra_ws_lint.engine.pipeline import check_source
from netra_ws_lint.fix.apply import fix_text

SOURCE = (
    "import os  # noqa\n"
    "x = 1  # noqa: NWS101, E501  # why\n"
    "y = 2  # type: ignore  # noqa: NWS1\n"
    "\n"
    "\n"
    "def f(user_context):\n"
    "    return get_websocket_manager()  # NOQA:NWS101,NWS201\n"
)
ON = apply_options(Settings(), {"extend-select": ["NWS902"]}, None)


def test_reports_only_what_suppresses_nothing_of_ours() -> None:
    got = [(f.line, f.col + 1, f.code, f.message) for f in check_source(SOURCE, "m.py", ON)]
    assert got == [
        (1, 12, "NWS902", "unused `# noqa` directive (a blanket `# noqa` on a line with no "
                          "netra-ws-lint finding)"),
        (2, 8, "NWS902", "unused `# noqa` directive (unused: NWS101)"),
        (3, 8, "NWS902", "unused `# noqa` directive (unused: NWS1)"),
        (7, 37, "NWS902", "unused `# noqa` directive (unused: NWS201)"),
    ]
    assert check_source(SOURCE, "m.py", Settings()) == []  # an audit rule: off by default
    ignored = apply_options(ON, {"per-file-ignores": "m.py:NWS902"}, None)
    assert check_source(SOURCE, "m.py", ignored) == []


def test_fixes_safe_and_unsafe() -> None:
    safe, _ = fix_text(SOURCE, "m.py", ON)
    assert safe == SOURCE.replace("NWS101, E501", "E501").replace(
        "  # noqa: NWS1\n", "\n").replace("NWS101,NWS201", "NWS101")
    unsafe, _ = fix_text(SOURCE, "m.py", ON, unsafe=True)
    assert unsafe == safe.replace("import os  # noqa\n", "import os\n")
    assert check_source(unsafe, "m.py", ON) == []


def test_through_the_cli_and_its_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(SOURCE)
    args = ["check", "--extend-select", "NWS902", "pkg"]
    assert main(args) == 1  # project mode, result cached
    first = capsys.readouterr().out
    assert first.count("NWS902") == 4
    assert main(args) == 1 and capsys.readouterr().out == first  # from the cache
    assert main([*args, "--fix"]) == 1  # the cache keeps no fixes: found again
    assert capsys.readouterr().out == "pkg/m.py:1:12: NWS902 unused `# noqa` directive (a " \
        "blanket `# noqa` on a line with no netra-ws-lint finding)\n"
    assert "# NOQA:NWS101\n" in (tmp_path / "pkg" / "m.py").read_text()


def test_a_file_the_prefilter_skips_still_gets_nws902(tmp_path: Path) -> None:
    from netra_ws_lint.engine.runner import check_targets

    (tmp_path / "m.py").write_text("import os  # noqa: NWS101\n")  # no rule's trigger word
    for select in (["NWS101", "NWS902"], ["NWS", "NWS902"]):  # NWS900 off, then on
        settings = apply_options(Settings(root=tmp_path), {"select": select}, None)
        (result,) = check_targets([(tmp_path / "m.py", "m.py", settings)], jobs=1)
        assert [(f.line, f.code) for f in result.findings] == [(1, "NWS902")]
