"""A pre-commit run on a few named files skips the project walk only while nothing the
walk saw has changed (the snapshot, engine/cache.py): an edited, added, removed or
renamed module elsewhere, or an edited ``.gitignore`` or configuration file, is seen,
and the named files' findings are those of a fresh full run."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from netra_ws_lint.cli.main import main
from netra_ws_lint.engine import discovery, runner

NAMED = ["app/p1/m21.py", "app/p2/m41.py", "app/p0/m3.py", "app/p2/__init__.py", "app/p1/m30.py"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    main(list(argv))
    return [line for line in capsys.readouterr().out.splitlines() if ":" in line]


def backdate(root: Path, seconds: int = 60) -> None:
    """Every file and directory of ``root`` last changed ``seconds`` ago (a snapshot
    never vouches for times within a clock tick or two of its walk)."""
    then = time.time() - seconds
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            os.utime(os.path.join(dirpath, name), (then, then))
        os.utime(dirpath, (then, then))


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The directories walked (by ``check`` itself or for the project's files)."""
    seen: list[str] = []
    real = discovery._walk

    def counting(top: Path, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(top))
        return real(top, *args, **kwargs)

    monkeypatch.setattr(discovery, "_walk", counting)
    return seen


@pytest.fixture
def project(generated: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    (generated / ".git").mkdir()
    backdate(generated)
    run(capsys, "check", "-j", "1", ".")
    assert list((generated / ".netra-ws-lint-cache" / "v2").glob("head-*.json"))
    return generated


def fresh(capsys: pytest.CaptureFixture[str], names: list[str]) -> list[str]:
    return run(capsys, "check", "--no-cache", "-j", "1", *names)


def test_named_files_are_answered_without_a_walk(
    project: Path, capsys: pytest.CaptureFixture[str], walks: list[str]
) -> None:
    expected = fresh(capsys, NAMED)
    assert expected
    walks.clear()
    assert run(capsys, "check", "-j", "1", *NAMED) == expected
    assert walks == []
    # from another directory, by absolute paths: the same
    os.chdir(project / "app")
    absolute = [str(project / n) for n in NAMED]
    out = run(capsys, "check", *absolute)
    assert [x.split(":", 1)[1] for x in out] == [x.split(":", 1)[1] for x in expected]
    assert walks == []


def test_an_edit_elsewhere_that_changes_the_named_files_findings_is_seen(
    project: Path, capsys: pytest.CaptureFixture[str], walks: list[str]
) -> None:
    before = fresh(capsys, NAMED)
    core = project / "app" / "p1" / "m20.py"
    st = core.stat()
    core.write_text(core.read_text().replace("UnifiedWebSocketManager()", "Pool()"))
    os.utime(core, ns=(st.st_atime_ns, st.st_mtime_ns + 1))  # a one-nanosecond change
    after = fresh(capsys, NAMED)
    assert after != before  # (the edit matters to the named files)
    walks.clear()
    assert run(capsys, "check", "-j", "1", *NAMED) == after
    assert walks  # the snapshot did not hold: the project was walked


def test_an_edit_of_the_same_size_and_time_is_not_looked_for(
    project: Path, capsys: pytest.CaptureFixture[str], walks: list[str]
) -> None:
    """What is checked is each file's size and mtime, as for the cached findings: a
    file rewritten with the same size and time stamp (deliberately) is not re-read."""
    other = project / "app" / "p0" / "m5.py"
    st = other.stat()
    other.write_text(other.read_text().replace("user_context", "user_kontext"))
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    walks.clear()
    run(capsys, "check", "-j", "1", *NAMED)
    assert walks == []


@pytest.mark.parametrize("change", ["add", "remove", "rename"])
def test_added_removed_or_renamed_modules_are_seen(
    project: Path, capsys: pytest.CaptureFixture[str], walks: list[str], change: str
) -> None:
    package = project / "app" / "p1"
    if change == "add":  # a module that defines what others import
        (package / "m99.py").write_text(
            "def create_notifier_99(user_context, channel):\n    return 1\n"
        )
    elif change == "remove":
        (package / "m20.py").unlink()
    else:
        (package / "m20.py").rename(package / "m20_old.py")
    expected = fresh(capsys, NAMED)
    walks.clear()
    assert run(capsys, "check", "-j", "1", *NAMED) == expected
    assert walks


@pytest.mark.parametrize("name", [".gitignore", "pyproject.toml"])
def test_an_edited_gitignore_or_configuration_is_seen(
    project: Path, capsys: pytest.CaptureFixture[str], walks: list[str], name: str
) -> None:
    path = project / name
    directory = os.stat(project)
    if name == ".gitignore":
        path.write_text("p1/\n")  # (created: the directory's time changes, put back)
        backdate(project, 30)
        run(capsys, "check", "-j", "1", ".")  # a snapshot with the .gitignore seen
        path.write_text("app/p1/\n")  # edited in place: no directory time changes
    else:
        path.write_text(path.read_text() + "extend-exclude = ['app/p1']\n")
    os.utime(project, ns=(directory.st_atime_ns, directory.st_mtime_ns))
    expected = fresh(capsys, NAMED)
    walks.clear()
    assert run(capsys, "check", "-j", "1", *NAMED) == expected
    assert walks


def test_a_recent_walk_saves_no_snapshot(
    generated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (generated / ".git").mkdir()
    run(capsys, "check", "-j", "1", ".")  # files written a moment ago: not trusted
    assert not list((generated / ".netra-ws-lint-cache" / "v2").glob("head-*.json"))


def test_a_planted_or_malformed_snapshot_is_not_trusted(
    project: Path, capsys: pytest.CaptureFixture[str], walks: list[str]
) -> None:
    (head,) = (project / ".netra-ws-lint-cache" / "v2").glob("head-*.json")
    line, _, results = head.read_bytes().partition(b"\n")
    data = json.loads(line)
    core = project / "app" / "p1" / "m20.py"
    core.write_text(core.read_text().replace("UnifiedWebSocketManager()", "Pool()"))
    expected = fresh(capsys, NAMED)
    # the snapshot claims the edited file's new identity: its digests do not hold, but
    # nor do the named files' cached results for other digests... unless planted too
    st = core.stat()
    data["snapshot"]["files"][str(core)] = [st.st_size, st.st_mtime_ns]
    for bad in (
        {**data, "snapshot": {**data["snapshot"], "dirs": {"x": "1"}}},
        {**data, "snapshot": [1]},
        {**data, "snapshot": {**data["snapshot"], "source": [1]}},
        {**data, "tool": "other"},
        {**data, "files": {k: {**v, "size": "1"} for k, v in data["files"].items()}},
    ):
        head.write_bytes(json.dumps(bad).encode() + b"\n" + results)
        walks.clear()
        assert run(capsys, "check", "-j", "1", *NAMED) == expected
        assert walks
    head.write_text("{")
    assert run(capsys, "check", "-j", "1", *NAMED) == expected
    # offsets out of the results, or onto other bytes: not used
    for where in ([len(results), 5], [0, len(results) + 1], [-1, 2], ["0", 1], [1, 3]):
        planted = {k: {**v, "result": where} for k, v in data["files"].items()}
        head.write_bytes(json.dumps({**data, "files": planted}).encode() + b"\n" + results)
        assert run(capsys, "check", "-j", "1", *NAMED) == expected


def test_a_named_file_outside_the_snapshot_walks(
    project: Path, capsys: pytest.CaptureFixture[str], walks: list[str]
) -> None:
    extra = project / "app" / "p0" / "m_new.py"
    extra.write_text("from app.p0 import create_notifier_0\n")
    os.utime(extra.parent, ns=(os.stat(extra.parent).st_atime_ns, 0))  # (hide the add)
    expected = fresh(capsys, [*NAMED, "app/p0/m_new.py"])
    walks.clear()
    assert run(capsys, "check", "-j", "1", *NAMED, "app/p0/m_new.py") == expected
    assert walks


def test_a_run_answered_from_the_snapshot_writes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = sorted((project / ".netra-ws-lint-cache" / "v2").iterdir())
    before = [(f.name, f.stat().st_mtime_ns, f.read_bytes()) for f in files]
    run(capsys, "check", "-j", "1", *NAMED)
    after = [(f.name, f.stat().st_mtime_ns, f.read_bytes()) for f in files]
    assert before == after


# ---------------------------------------------------------------- the flake8 plugin


def plugin_findings(path: Path, text: str | None = None) -> list[tuple[int, int, str]]:
    import ast

    from netra_ws_lint.cli.flake8_plugin import Plugin

    source = path.read_text() if text is None else text
    found = Plugin(ast.parse(source), str(path.relative_to(Path.cwd())), source.splitlines(True))
    return [(line, col, msg) for line, col, msg, _ in found.run()]


@pytest.fixture
def plugin(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A fresh plugin (its process-wide runs dropped); the files it checks again."""
    from netra_ws_lint.cli.flake8_plugin import Plugin

    monkeypatch.setattr(Plugin, "_runs", {})
    monkeypatch.setattr(Plugin, "_files", {})
    monkeypatch.setattr(Plugin, "_cached", {})
    monkeypatch.setattr(Plugin, "overrides", {})
    rechecked: list[str] = []
    real = runner.Run.recheck

    def recheck(self: Any, path: Path, *args: Any, **kwargs: Any) -> Any:
        rechecked.append(path.name)
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(runner.Run, "recheck", recheck)
    return rechecked


def _reset(plugin: list[str]) -> None:
    from netra_ws_lint.cli.flake8_plugin import Plugin

    Plugin._runs.clear()
    Plugin._files.clear()
    Plugin._cached.clear()
    plugin.clear()


def test_flake8_on_an_unchanged_file_is_answered_from_the_cache(
    project: Path, capsys: pytest.CaptureFixture[str], plugin: list[str], walks: list[str]
) -> None:
    target = project / "app" / "p1" / "m21.py"
    walks.clear()
    cached = plugin_findings(target)
    assert cached and plugin == [] and walks == []
    # the same findings as the plugin re-analysing the file against the project
    shutil.rmtree(project / ".netra-ws-lint-cache")
    _reset(plugin)
    assert plugin_findings(target) == cached
    assert plugin == ["m21.py"]


def test_flake8_rechecks_an_edited_buffer_a_noqa_or_a_changed_project(
    project: Path, plugin: list[str]
) -> None:
    target = project / "app" / "p1" / "m21.py"
    text = target.read_text()
    edited = text + '\n\ndef extra(user_context):\n    return create_notifier_20(None, "z")\n'
    assert plugin_findings(target, edited) != plugin_findings(target)
    assert plugin == ["m21.py"]  # the buffer, not the file on disk
    _reset(plugin)
    plugin_findings(target, text + "# noqa: E501\n")
    assert plugin == ["m21.py"]
    _reset(plugin)
    core = project / "app" / "p1" / "m20.py"
    core.write_text(core.read_text().replace("UnifiedWebSocketManager()", "Pool()"))
    plugin_findings(target)
    assert plugin == ["m21.py"]


def test_a_warm_check_of_the_project_takes_its_digests_from_the_snapshot(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    keys: list[str] = []
    real = runner._Checker.facts_key

    def counting(self: Any, item: Any) -> str:
        keys.append(item.path)
        return real(self, item)

    monkeypatch.setattr(runner._Checker, "facts_key", counting)
    expected = run(capsys, "check", "--no-cache", "-j", "1", ".")
    keys.clear()
    assert run(capsys, "check", "-j", "1", ".") == expected
    assert keys == []  # no file's facts looked for
    core = project / "app" / "p1" / "m20.py"
    core.write_text(core.read_text().replace("UnifiedWebSocketManager()", "Pool()"))
    expected = run(capsys, "check", "--no-cache", "-j", "1", ".")
    assert run(capsys, "check", "-j", "1", ".") == expected
    assert keys  # the snapshot did not hold


# ------------------------------------------------- a warm `check .` without the walk


def test_a_warm_check_of_the_project_takes_its_files_from_the_snapshot(
    project: Path, capsys: pytest.CaptureFixture[str], walks: list[str]
) -> None:
    for argv in ([], ["--output-format", "json"]):
        expected = fresh(capsys, [".", *argv])
        assert expected
        walks.clear()
        assert run(capsys, "check", "-j", "1", ".", *argv) == expected
        assert walks == []
    # from another directory, the project named by its absolute path: shown from there
    os.chdir(project / "app")
    expected = fresh(capsys, [str(project)])
    assert any(line.startswith("p1/") for line in expected)  # (relative to app/)
    walks.clear()
    assert run(capsys, "check", "-j", "1", str(project)) == expected
    assert walks == []


def test_a_warm_check_whose_findings_are_not_all_cached_walks(
    project: Path, capsys: pytest.CaptureFixture[str], walks: list[str]
) -> None:
    """The snapshot holds but a file's findings cannot be taken from the head file
    (here: planted offsets): the run walks, as without a snapshot."""
    expected = fresh(capsys, ["."])
    (head,) = (project / ".netra-ws-lint-cache" / "v2").glob("head-*.json")
    line, _, results = head.read_bytes().partition(b"\n")
    data = json.loads(line)
    first = sorted(data["files"])[0]
    data["files"][first]["result"] = [len(results), 5]
    head.write_bytes(json.dumps(data).encode() + b"\n" + results)
    walks.clear()
    assert run(capsys, "check", "-j", "1", ".") == expected
    assert walks


def _seen_then_trusted(
    capsys: pytest.CaptureFixture[str], walks: list[str], project: Path, argv: list[str]
) -> list[str]:
    """``check . *argv`` after a change: walked, the findings of a fresh run; once the
    change is old enough to be trusted, walked once more (the snapshot saved), then
    answered without a walk with the same findings. (Without the ``.gitignore`` files,
    the walk lists the cache's own directory, which each run changes: always walked.)"""
    expected = fresh(capsys, [".", *argv])
    walks.clear()
    assert run(capsys, "check", "-j", "1", ".", *argv) == expected
    assert walks  # the snapshot did not hold
    if "--no-respect-gitignore" in argv:
        return expected
    backdate(project, 30)
    run(capsys, "check", "-j", "1", ".", *argv)
    walks.clear()
    assert run(capsys, "check", "-j", "1", ".", *argv) == expected
    assert walks == []
    return expected


@pytest.mark.parametrize("change", ["add", "remove", "rename-module", "rename-package"])
def test_a_warm_check_sees_added_removed_or_renamed_files(
    project: Path, capsys: pytest.CaptureFixture[str], walks: list[str], change: str
) -> None:
    before = fresh(capsys, ["."])
    package = project / "app" / "p1"
    if change == "add":
        (package / "m99.py").write_text(
            "import os\n\nCACHE = {}\n\n\ndef f(user_id):\n    CACHE[user_id] = os.getpid()\n"
        )
    elif change == "remove":
        (package / "m21.py").unlink()
    elif change == "rename-module":
        (package / "m21.py").rename(package / "m21_old.py")
    else:
        package.rename(project / "app" / "q1")
    after = _seen_then_trusted(capsys, walks, project, [])
    assert after != before


@pytest.mark.parametrize("name", [".gitignore", "pyproject.toml"])
def test_a_warm_check_sees_an_edited_gitignore_or_configuration(
    project: Path, capsys: pytest.CaptureFixture[str], walks: list[str], name: str
) -> None:
    path = project / name
    if name == ".gitignore":
        path.write_text("p9/\n")  # (created: the directory's time changes)
        backdate(project, 30)
        run(capsys, "check", "-j", "1", ".")  # a snapshot with the .gitignore seen
    directory = os.stat(project)
    before = fresh(capsys, ["."])
    if name == ".gitignore":
        path.write_text("app/p1/\n")  # edited in place: no directory time changes
    else:
        path.write_text(path.read_text() + "extend-exclude = ['app/p1']\n")
    os.utime(project, ns=(directory.st_atime_ns, directory.st_mtime_ns))
    after = _seen_then_trusted(capsys, walks, project, [])
    assert after != before


@pytest.mark.parametrize(
    "argv",
    [
        ["--extend-exclude", "app/p1"],
        ["--select", "NWS2"],
        ["--no-respect-gitignore"],
        ["--config", "other.toml"],
    ],
)
def test_a_warm_check_with_other_options_walks(
    project: Path, capsys: pytest.CaptureFixture[str], walks: list[str], argv: list[str]
) -> None:
    (project / ".gitignore").write_text("app/p2/\n")
    (project / "other.toml").write_text("[tool.netra-ws-lint]\nextend-exclude = ['app/p0']\n")
    backdate(project, 30)
    run(capsys, "check", "-j", "1", ".")  # the snapshot of the default options
    walks.clear()
    before = run(capsys, "check", "-j", "1", ".")
    assert walks == []
    assert _seen_then_trusted(capsys, walks, project, argv) != before


def test_a_project_without_configuration_or_git_depends_on_where_it_is_checked_from(
    generated: Path, capsys: pytest.CaptureFixture[str], walks: list[str]
) -> None:
    (generated / "pyproject.toml").unlink()  # the settings' root: the working directory
    backdate(generated)
    run(capsys, "check", "-j", "1", ".")
    expected = fresh(capsys, ["."])
    walks.clear()
    assert run(capsys, "check", "-j", "1", ".") == expected
    assert walks == []
    os.chdir(generated / "app")
    expected = fresh(capsys, [str(generated)])
    walks.clear()
    assert run(capsys, "check", "-j", "1", str(generated)) == expected
    assert walks


def test_a_file_checked_again_after_a_warm_check_sees_the_project(
    project: Path, capsys: pytest.CaptureFixture[str], walks: list[str]
) -> None:
    """A fix pass, the fixes of cached findings, ``--diff-base``: a file checked again
    after a run answered from the snapshot is checked against its project, as a walked
    run checks it."""
    from netra_ws_lint.cli.main import build_parser
    from netra_ws_lint.cli.options import collect

    for argv in (["."], NAMED):
        args = build_parser().parse_args(["check", "-j", "1", *argv])
        walks.clear()
        results, failed, checked = collect(args, sys.stderr)
        assert walks == [] and not failed
        with_findings = [(r, s) for r, s in results if r.findings]
        assert with_findings
        for result, settings in with_findings:
            again = checked.recheck(Path(result.path), result.path, settings)
            assert again.findings == result.findings, result.path
