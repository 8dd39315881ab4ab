"""A hostile or unlucky file system: the tool never loses an edit, never changes a
file's owner, mode or links, never writes a file the user could not write, never
writes through a symbolic link out of the tree, never hangs on a FIFO or a device, and
never loses the run on an odd path (issue "Hardening", items 1, 2, 4, 8, 12, 14-17, 20).

Each test puts its odd thing next to ``good.py`` (one NWS101 finding) and checks that
``good.py`` is still reported.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from netra_ws_lint.engine.fsutil import FileChanged, read_regular_file, rewrite_file
from netra_ws_lint.fix import apply as fix_apply

from .frontends import cli, cli_subprocess, flake8

GOOD = "async def handle(user_context):\n    m = get_websocket_manager()\n"
# one safe fix (NWS101 with an import to rewrite)
FIXABLE = (
    "from app.websocket_core import get_websocket_manager\n\n\n"
    "async def run_agent(user_context: UserExecutionContext) -> None:\n"
    "    manager = get_websocket_manager()\n"
    '    await manager.send_event("agent_started")\n'
)
FIXED_CALL = "create_websocket_manager(user_context)"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux file system")
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
root_only = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="changing owners needs root"
)


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.py").write_text(GOOD)
    return tmp_path


def good_still_checked(out: str) -> None:
    assert "good.py:2:9: NWS101" in out, out


# ---------------------------------------------------------------- 1. edits made meanwhile


def test_fix_leaves_a_file_edited_while_it_was_being_fixed(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``check --fix big.py & sleep 2; echo '# EDIT' >> big.py``: the edit is kept."""
    (tree / "big.py").write_text(FIXABLE)
    real = fix_apply.fix_bytes

    def slow_fix(*args: object, **kwargs: object) -> fix_apply.FixResult:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        if "# EDIT" not in (tree / "big.py").read_text():
            with open(tree / "big.py", "a") as f:  # the user saves while the fix runs
                f.write("# EDIT\n")
        return result

    monkeypatch.setattr(fix_apply, "fix_bytes", slow_fix)
    r = cli(capsys, "check", "--no-cache", "--fix", "big.py", "good.py")
    text = (tree / "big.py").read_text()
    assert text == FIXABLE + "# EDIT\n"  # the edit survives; the fix waits for the next run
    assert "netra-ws-lint: big.py: changed since it was read; left as it was" in r.err
    assert "big.py:5:15: NWS101" in r.out  # what the file holds now is reported
    assert r.code == 1
    good_still_checked(r.out)


def test_rewrite_refuses_a_file_that_no_longer_holds_what_was_read(tmp_path: Path) -> None:
    path = tmp_path / "f.py"
    path.write_bytes(b"new\n")
    with pytest.raises(FileChanged):
        rewrite_file(path, b"old\n", b"fixed\n")
    assert path.read_bytes() == b"new\n"


# ---------------------------------------------------------------- 2. owner, mode, links, 0444


@root_only
def test_fix_keeps_owner_group_mode_and_hard_links(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tree / "owned.py"
    path.write_text(FIXABLE)
    os.chown(path, 1234, 5678)
    os.chmod(path, 0o640)
    link = tree / "other_name.py.txt"  # a second name of the same file
    os.link(path, link)
    before = os.stat(path)
    r = cli(capsys, "check", "--no-cache", "--fix", "owned.py")
    after = os.stat(path)
    assert FIXED_CALL in path.read_text(), r.err
    assert (after.st_uid, after.st_gid) == (1234, 5678)
    assert stat.S_IMODE(after.st_mode) == 0o640
    assert after.st_ino == before.st_ino and after.st_nlink == 2  # written in place
    assert link.read_text() == path.read_text()  # the other name sees the fix


def test_fix_keeps_the_mode_of_a_file_it_owns(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tree / "exec.py"
    path.write_text(FIXABLE)
    os.chmod(path, 0o750)
    cli(capsys, "check", "--no-cache", "--fix", "exec.py")
    assert FIXED_CALL in path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o750


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_read_only_files_are_never_rewritten(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 0444 file is left alone, by ``--fix``, ``--add-noqa`` and ``migrate --apply``
    (even for root, who could write it)."""
    path = tree / "ro.py"
    path.write_text(FIXABLE)
    os.chmod(path, 0o444)
    try:
        r = cli(capsys, "check", "--no-cache", "--fix", "ro.py", "good.py")
        assert r.code == 2
        assert "netra-ws-lint: error: ro.py: cannot write: read-only file" in r.err
        assert path.read_text() == FIXABLE
        good_still_checked(r.out)
        r = cli(capsys, "check", "--no-cache", "--add-noqa", "ro.py")
        assert r.code == 2 and "read-only file" in r.err
        assert path.read_text() == FIXABLE
        r = cli(capsys, "migrate", "--apply", "--no-backup", "ro.py")
        assert r.code == 2 and "read-only file" in r.err
        assert path.read_text() == FIXABLE
    finally:
        os.chmod(path, 0o644)


# ---------------------------------------------------------------- 4. symbolic links out


def test_a_cache_directory_linked_out_of_the_tree_is_never_written(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A repository that commits ``.netra-ws-lint-cache`` (or a part of it) as a link to
    ``../victim``: no CACHEDIR.TAG, .gitignore or entry lands there."""
    repo = tree / "repo"
    repo.mkdir()
    (repo / "good.py").write_text(GOOD)
    victim = tree / "victim"
    victim.mkdir()
    os.symlink("../victim", repo / ".netra-ws-lint-cache")
    os.chdir(repo)
    r = cli(capsys, "check", ".")
    assert r.code == 1
    good_still_checked(r.out)
    assert list(victim.iterdir()) == []
    # a real cache directory whose v1 part links out
    os.unlink(repo / ".netra-ws-lint-cache")
    (repo / ".netra-ws-lint-cache").mkdir()
    os.symlink("../../victim", repo / ".netra-ws-lint-cache" / "v1")
    r = cli(capsys, "check", ".")
    assert r.code == 1
    good_still_checked(r.out)
    assert list(victim.iterdir()) == []
    # --cache-dir names a directory whose tag is a link out: replaced? never followed
    (tree / "mine").mkdir()
    os.symlink(str(victim / "TAG"), tree / "mine" / "CACHEDIR.TAG")
    r = cli(capsys, "check", "--cache-dir", str(tree / "mine"), ".")
    assert r.code == 1
    assert list(victim.iterdir()) == []


def test_migrate_reports_and_backups_never_go_through_a_link(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tree / "fixme.py").write_text(FIXABLE)
    victim = tree.parent / f"{tree.name}-victim"
    victim.mkdir()
    os.symlink(str(victim), tree / "netra-ws-lint-migration")
    r = cli(capsys, "migrate", "--apply", "--report-dir", "netra-ws-lint-migration", "fixme.py")
    assert r.code == 2
    assert "netra-ws-lint-migration is a symbolic link; nothing written through it" in r.err
    assert "nothing changed" in r.err
    assert (tree / "fixme.py").read_text() == FIXABLE  # checked before any change
    assert list(victim.iterdir()) == []
    os.unlink(tree / "netra-ws-lint-migration")
    os.symlink(str(victim), tree / ".netra-ws-lint-backups")
    r = cli(capsys, "migrate", "--apply", "fixme.py")
    assert r.code == 2 and "backup" in r.err
    assert (tree / "fixme.py").read_text() == FIXABLE  # no backup, no change
    assert list(victim.iterdir()) == []


# ---------------------------------------------------------------- 8. FIFOs and devices


@linux_only
def test_a_gitignore_linked_to_dev_zero_is_not_read(tree: Path) -> None:
    (tree / "sub").mkdir()
    (tree / "sub" / "x.py").write_text(GOOD)
    os.symlink("/dev/zero", tree / "sub" / ".gitignore")
    r = cli_subprocess(tree, "check", "--no-cache", ".", timeout=60)
    assert r.code == 2
    assert (
        "netra-ws-lint: error: sub/.gitignore: not a regular file (a device); not read; "
        "its patterns are not used" in r.err
    )
    assert "sub/x.py:2:9: NWS101" in r.out
    good_still_checked(r.out)


@needs_fifo
def test_a_fifo_gitignore_never_blocks(tree: Path) -> None:
    os.mkfifo(tree / ".gitignore")
    r = cli_subprocess(tree, "check", "--no-cache", ".", timeout=60)
    assert r.code == 2
    assert ".gitignore: not a regular file (a FIFO); not read" in r.err
    good_still_checked(r.out)
    r = cli_subprocess(tree, "check", "--no-cache", "--force-exclude", "good.py", timeout=60)
    assert r.code == 2 and ".gitignore: not a regular file (a FIFO)" in r.err
    good_still_checked(r.out)
    # flake8 does not read .gitignore files
    f = flake8(tree, "good.py", extra=("--select", "NWS"), timeout=60)
    assert f.codes("good.py") == ["NWS101"]


@needs_fifo
def test_a_fifo_baseline_or_config_never_blocks(tree: Path) -> None:
    os.mkfifo(tree / "baseline.json")
    r = cli_subprocess(tree, "check", "--baseline", "baseline.json", ".", timeout=60)
    assert r.code == 2
    assert (
        "netra-ws-lint: error: baseline.json: cannot read baseline: not a regular file "
        "(a FIFO); not read" in r.err
    )
    # a FIFO where a configuration file would be is not a configuration file
    os.mkfifo(tree / "pyproject.toml")
    r = cli_subprocess(tree, "check", "--no-cache", ".", timeout=60)
    assert r.code == 1
    good_still_checked(r.out)
    r = cli_subprocess(tree, "check", "--config", "pyproject.toml", ".", timeout=60)
    assert r.code == 2, r.err


@linux_only
def test_cache_entries_linked_to_dev_zero_are_ignored(tree: Path) -> None:
    first = cli_subprocess(tree, "check", ".")
    assert first.code == 1
    entries = [p for p in (tree / ".netra-ws-lint-cache").rglob("*.json")]
    assert entries
    for p in entries:
        p.unlink()
        os.symlink("/dev/zero", p)
    r = cli_subprocess(tree, "check", ".", timeout=60)
    assert (r.code, r.out) == (first.code, first.out)
    with pytest.raises(OSError, match="not a regular file"):
        read_regular_file(entries[0])


def test_reads_are_capped(tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(b"x" * 2048)
    with pytest.raises(OSError, match="larger than"):
        read_regular_file(path, limit=1024)
    assert read_regular_file(path, limit=4096) == b"x" * 2048


# ---------------------------------------------------------------- 12. deep directories


def _deep(top: Path, levels: int) -> Path:
    """``top/d/d/.../d`` (``levels`` deep), built without ever naming the full path
    (it is longer than PATH_MAX)."""
    here = os.getcwd()
    try:
        os.chdir(top)
        for _ in range(levels):
            os.mkdir("d")
            os.chdir("d")
        Path("deep.py").write_text("len(get_websocket_manager())\n")
    finally:
        os.chdir(here)
    return top.joinpath(*["d"] * levels, "deep.py")


def _remove_deep(top: Path, levels: int) -> None:
    """Remove what :func:`_deep` built (``shutil.rmtree`` recurses once per level)."""
    here = os.getcwd()
    try:
        os.chdir(top)
        for _ in range(levels):
            os.chdir("d")
        os.unlink("deep.py")
        for _ in range(levels):
            os.chdir("..")
            os.rmdir("d")
    finally:
        os.chdir(here)


@pytest.fixture
def deep_tree(tree: Path) -> Iterator[Path]:
    (tree / "deep").mkdir()
    yield _deep(tree / "deep", 1000)
    _remove_deep(tree / "deep", 1000)


@pytest.mark.slow
def test_a_file_1000_levels_deep_named_through_force_exclude(
    tree: Path, deep_tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The ``.gitignore`` lookup walked up the directories recursively: RecursionError."""
    rel = os.path.relpath(deep_tree)
    r = cli(capsys, "check", "--no-cache", "--force-exclude", rel, "good.py")
    assert r.code == 1 and "deep.py:1:5: NWS101" in r.out
    good_still_checked(r.out)
    r = cli(capsys, "check", "--no-cache", "--force-exclude", "--extend-exclude", "deep", ".")
    assert r.code == 1 and "deep.py" not in r.out
    good_still_checked(r.out)


@pytest.mark.slow  # about 45 s: discovery is quadratic in the depth (see docs/safety.md)
def test_a_directory_1000_levels_deep_is_walked(
    tree: Path, deep_tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    r = cli(capsys, "check", "--no-cache", ".")
    assert r.code == 1
    assert r.out.count("deep.py:1:5: NWS101") == 1
    good_still_checked(r.out)


# ---------------------------------------------------------------- 14, 15. odd paths


def test_stdin_filename_that_is_a_symlink_loop(tree: Path) -> None:
    os.symlink("loop.py", tree / "loop.py")
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "netra_ws_lint", "check", "--stdin-filename", "loop.py", "-"],
        cwd=tree, input=GOOD.encode(), capture_output=True, timeout=60,
    )
    err = proc.stderr.decode()
    assert "internal error" not in err and "Traceback" not in err, err
    assert proc.returncode == 1
    assert "loop.py:2:9: NWS101" in proc.stdout.decode()


def test_baseline_entry_with_a_path_component_over_255_characters(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, "baseline", "create", ".", "--file", "b.json").code == 0
    data = json.loads((tree / "b.json").read_text())
    data["entries"].append({**data["entries"][0], "path": "x" * 300 + "/y.py",
                            "fingerprint": "0" * 16})
    (tree / "b.json").write_text(json.dumps(data))
    r = cli(capsys, "check", "--baseline", "b.json", ".")
    assert r.code == 0, r.err
    assert "1 known finding not shown, 1 fixed" in r.err
    r = cli(capsys, "baseline", "update", ".", "--file", "b.json")
    assert r.code == 0 and "1 removed" in r.err


# ---------------------------------------------------------------- 16. migrate's report


def test_migrate_apply_when_the_report_path_is_a_file(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tree / "fixme.py").write_text(FIXABLE)
    (tree / "taken").write_text("not a directory\n")
    r = cli(capsys, "migrate", "--apply", "--report-dir", "taken", "fixme.py")
    assert r.code == 2
    assert "taken is not a directory" in r.err and "nothing changed" in r.err
    assert (tree / "fixme.py").read_text() == FIXABLE
    assert not (tree / ".netra-ws-lint-backups").exists()
    # a report path that is a directory: refused before any change too
    (tree / "rep").mkdir()
    (tree / "rep" / "migration-report.json").mkdir()
    r = cli(capsys, "migrate", "--apply", "--report-dir", "rep", "fixme.py")
    assert r.code == 2 and "not a regular file; nothing changed" in r.err
    assert (tree / "fixme.py").read_text() == FIXABLE
    # all well: the backup location is printed before anything else is said
    r = cli(capsys, "migrate", "--apply", "fixme.py")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0].startswith("netra-ws-lint: backups in .netra-ws-lint-backups/"), r.out
    assert FIXED_CALL in (tree / "fixme.py").read_text()


# ---------------------------------------------------------------- 17. cache entries


def test_cache_entries_with_wrong_typed_fields_are_rebuilt(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tree / "fixme.py").write_text(FIXABLE)
    first = cli(capsys, "check", "--jobs", "1", "--output-format", "json", "fixme.py")
    assert first.code == 1
    tampered = 0
    for p in (tree / ".netra-ws-lint-cache").rglob("*.json"):  # one file per project
        entry = json.loads(p.read_text())
        for file_entry in entry["files"].values():
            for item in (file_entry.get("result") or {}).get("findings", []):
                if item[5] and item[5]["edits"]:
                    item[5]["edits"][0]["content"] = 5  # an int where a str belongs
                    item[5]["edits"][0]["col"] = "2"  # and a str where an int does
                    tampered += 1
        p.write_text(json.dumps(entry))
    assert tampered
    r = cli(capsys, "check", "--jobs", "1", "--output-format", "json", "fixme.py")
    assert (r.code, r.out) == (first.code, first.out)


def test_a_null_inside_cached_facts_is_a_cache_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every field of a cached facts entry is validated, down to the inferred
    vocabulary: a `null` anywhere re-extracts the file's facts instead of turning real
    findings into NWS901 or an internal error."""
    import shutil

    root = Path(__file__).resolve().parents[1] / "examples" / "legacy_service"
    shutil.copytree(root, tmp_path / "svc")
    (tmp_path / "svc" / ".git").mkdir()
    monkeypatch.chdir(tmp_path / "svc")
    first = cli(capsys, "check", "--jobs", "1", ".")
    assert first.code == 1 and "NWS901" not in first.out
    (cache_file,) = (tmp_path / "svc" / ".netra-ws-lint-cache").rglob("project-*.json")
    pristine = cache_file.read_text()
    for where in (("vocabulary", "getters"), ("vocabulary", "getters", "*"),
                  ("vocabulary", "types"), ("functions",), ("vocabulary", "fanout", "*"),
                  ("vocabulary", "registries"), ("vocabulary", "factory_classes")):
        data = json.loads(pristine)
        nulled = 0
        for entry in data["files"].values():
            entry.pop("result", None)  # the rules run again, on the cached facts
            facts = json.loads(entry["facts"]["text"]) if entry.get("facts") else None
            if not isinstance(facts, dict) or "vocab" not in facts:
                continue
            holder = facts["vocab"]
            for key in where[:-1]:
                holder = holder.get(key) or {}
            if where[-1] != "*" and where[-1] not in holder:
                continue
            names = list(holder) if where[-1] == "*" else [where[-1]]
            for name in names:
                holder[name] = None
                nulled += 1
            entry["facts"]["text"] = json.dumps(facts)
        assert nulled, where
        cache_file.write_text(json.dumps(data))
        r = cli(capsys, "check", "--jobs", "1", ".")
        assert (r.code, r.out) == (first.code, first.out), (where, r.err)


# ---------------------------------------------------------------- 20. concurrent --fix


def test_a_concurrent_fix_run_reports_what_the_file_holds(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two ``--fix`` runs at once: the one that comes second does not report the
    findings the first one fixed."""
    (tree / "fixme.py").write_text(FIXABLE)
    real = fix_apply.fix_file
    other_run_done = []

    def other_run_first(path: Path, *args: object, **kwargs: object) -> fix_apply.FixResult:
        if not other_run_done:  # the other run fixes the file after we checked it
            real(path, *args, **kwargs)  # type: ignore[arg-type]
            other_run_done.append(path)
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fix_apply, "fix_file", other_run_first)
    r = cli(capsys, "check", "--no-cache", "--fix", "fixme.py", "good.py")
    assert other_run_done
    assert FIXED_CALL in (tree / "fixme.py").read_text()
    assert "fixme.py" not in r.out, r.out
    good_still_checked(r.out)
