"""Baseline: fingerprints that survive moves and unrelated edits, the ratchet."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from netra_ws_lint.cli.main import main
from netra_ws_lint.config import ConfigError
from netra_ws_lint.model import Finding
from netra_ws_lint.report.baseline import (
    DEFAULT_FILE,
    Entry,
    dumps,
    fingerprint_findings,
    load,
    match,
)

# A legacy service with findings of many rules, of every reporting place: a call,
# an import, a module-level binding, a class attribute, a decorated def, a lazy getter.
SERVICE = '''\
import asyncio
import functools
from app.websocket_core import get_websocket_manager

manager = get_websocket_manager()
_sessions = {}
_lock = asyncio.Lock()


class Registry:
    connections = {}

    def add(self, user_id, conn):
        self.connections[user_id] = conn


@functools.lru_cache(maxsize=None)
def settings_for(user_id):
    return {"user": user_id}


_instance = None


def get_notifier():
    global _instance
    if _instance is None:
        _instance = WebSocketNotifier()
    return _instance


async def handle(user_id, payload):
    async with _lock:
        _sessions[user_id] = payload
    await manager.send_to_user(user_id, payload)
    total = len(payload)
    return total


async def handle_connect(user_context, websocket):
    mgr = get_websocket_manager()
    await mgr.connect(user_context.user_id, websocket)
'''
HANDLERS = '''\
from app.websocket_core import get_websocket_manager


async def on_message(user_context, message):
    manager = get_websocket_manager()
    await manager.send_event("message", message)


async def on_close(user_context):
    manager = get_websocket_manager()
    await manager.disconnect(user_context.user_id)
'''


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "service.py").write_text(SERVICE)
    (tmp_path / "app" / "handlers.py").write_text(HANDLERS)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def finding_lines(capsys: pytest.CaptureFixture[str], *paths: str) -> dict[str, set[int]]:
    _, out, _ = run(capsys, "check", "--output-format", "json", *paths)
    lines: dict[str, set[int]] = {}
    for d in json.loads(out):
        lines.setdefault(d["filename"], set()).add(d["line"])
    return lines


def pad_above_every_finding(path: Path, lines: set[int]) -> None:
    """30 comment lines above each flagged line (and so above every finding)."""
    text = path.read_text().split("\n")
    for n in sorted(lines, reverse=True):
        indent = re.match(r"[ \t]*", text[n - 1]).group(0)  # type: ignore[union-attr]
        text[n - 1:n - 1] = [f"{indent}# padding {i}" for i in range(30)]
    path.write_text("\n".join(text))


def test_ratchet_end_to_end(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "baseline", "create")
    assert code == 0 and out == ""
    baseline = repo / DEFAULT_FILE
    entries = load(baseline)
    codes = {e.code for e in entries}
    assert len(entries) >= 8 and {"NWS101", "NWS103"} <= codes
    assert f"{len(entries)} entries" in err
    assert run(capsys, "check", "--baseline", DEFAULT_FILE)[:2] == (0, "")

    # 30 lines above every finding, and a variable renamed elsewhere: nothing new
    before = finding_lines(capsys, "app")
    for name, lines in before.items():
        pad_above_every_finding(repo / name, lines)
    service = repo / "app" / "service.py"
    service.write_text(service.read_text().replace("total", "count"))
    after = finding_lines(capsys, "app")
    assert sum(map(len, after.values())) == sum(map(len, before.values()))
    assert all(after[name].isdisjoint(before[name]) for name in before)  # all moved
    code, out, err = run(capsys, "check", "--baseline", DEFAULT_FILE, "--strict-baseline")
    assert (code, out) == (0, "")
    assert f"{len(entries)} known findings not shown" in err and "fixed" not in err

    # one new violation: exactly one finding reported
    handlers = repo / "app" / "handlers.py"
    handlers.write_text(
        handlers.read_text() + "\n\nasync def on_open(user_context):\n"
        "    return get_websocket_manager()\n"
    )
    code, out, _ = run(capsys, "check", "--baseline", DEFAULT_FILE)
    assert code == 1
    assert len(out.splitlines()) == 1 and " NWS101 " in out

    # one fixed: reported as fixed; --strict-baseline fails until the baseline shrinks
    handlers.write_text(
        handlers.read_text().replace(
            "async def on_close(user_context):\n"
            + "".join(f"    # padding {i}\n" for i in range(30))
            + "    manager = get_websocket_manager()",
            "async def on_close(user_context):\n"
            "    manager = create_websocket_manager(user_context)",
        )
    )
    code, out, err = run(capsys, "check", "--baseline", DEFAULT_FILE)
    assert code == 1 and len(out.splitlines()) == 1  # the new one is still there
    assert "1 fixed" in err
    assert "netra-ws-lint: fixed: app/handlers.py: NWS101 " in err and "(in on_close)" in err
    code, _, err = run(capsys, "check", "--baseline", DEFAULT_FILE, "--strict-baseline",
                       "--exit-zero")
    assert code == 1 and "--strict-baseline fails until then" in err

    # update: the fixed entry leaves, the new finding joins; strict passes again
    code, _, err = run(capsys, "baseline", "update")
    assert code == 0 and "(1 added, 1 removed)" in err
    assert len(load(baseline)) == len(entries)
    assert run(capsys, "check", "--baseline", DEFAULT_FILE, "--strict-baseline")[:2] == (0, "")


def test_editing_the_flagged_statement_makes_it_new(repo: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "baseline", "create")
    handlers = repo / "app" / "handlers.py"
    handlers.write_text(handlers.read_text().replace(
        "    manager = get_websocket_manager()\n    await manager.send_event",
        "    mgr = get_websocket_manager()\n    await mgr.send_event",
    ))
    # (NWS103 selected too: it owns the module-level accessor call of service.py)
    code, out, err = run(
        capsys, "check", "--baseline", DEFAULT_FILE, "--select", "NWS101,NWS103"
    )
    assert code == 1
    assert [line.split(":")[:2] for line in out.splitlines()] == [["app/handlers.py", "5"]]
    assert "1 fixed" in err and "(in on_message)" in err


def test_matched_as_a_multiset(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    twice = "def f(user_id):\n    get_websocket_manager()\n    get_websocket_manager()\n"
    (repo / "app" / "twice.py").write_text(twice)
    run(capsys, "baseline", "create", "app/twice.py")
    assert len(load(repo / DEFAULT_FILE)) == 2
    (repo / "app" / "twice.py").write_text(twice + "    get_websocket_manager()\n")
    code, out, _ = run(capsys, "check", "--baseline", DEFAULT_FILE, "app/twice.py")
    assert code == 1 and [line.split(":")[1] for line in out.splitlines()] == ["4"]
    (repo / "app" / "twice.py").write_text("def f(user_id):\n    get_websocket_manager()\n")
    code, out, err = run(capsys, "check", "--baseline", DEFAULT_FILE, "app/twice.py")
    assert (code, out) == (0, "") and "1 fixed" in err


def test_partial_runs_do_not_report_other_files_fixed(repo: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """pre-commit checks only the staged files; a narrower --select checks fewer rules."""
    run(capsys, "baseline", "create")
    code, out, err = run(capsys, "check", "--baseline", DEFAULT_FILE, "--strict-baseline",
                         "app/handlers.py")
    assert (code, out) == (0, "") and "fixed" not in err
    code, out, err = run(capsys, "check", "--baseline", DEFAULT_FILE, "--strict-baseline",
                         "--select", "NWS204")
    assert (code, out) == (0, "") and "fixed" not in err
    # a deleted file's entries are fixed, whatever was checked
    (repo / "app" / "handlers.py").unlink()
    code, _, err = run(capsys, "check", "--baseline", DEFAULT_FILE, "--strict-baseline",
                       "app/service.py")
    assert code == 1 and "2 fixed" in err
    # update keeps the entries of files that exist and were not checked
    kept = [e for e in load(repo / DEFAULT_FILE) if e.path == "app/service.py"]
    (repo / "app" / "handlers.py").write_text(HANDLERS)
    run(capsys, "baseline", "update", "app/handlers.py")
    assert len(load(repo / DEFAULT_FILE)) == len(kept) + 2


def test_file_is_sorted_stable_one_entry_per_line(repo: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "baseline", "create")
    path = repo / DEFAULT_FILE
    first = path.read_text()
    lines = first.splitlines()
    assert lines[:4] == ["{", '  "format": 2,', '  "tool": "netra-ws-lint",', '  "entries": [']
    assert lines[-2:] == ["  ]", "}"]
    entries = [Entry(**json.loads(line.strip().rstrip(","))) for line in lines[4:-2]]
    assert entries == sorted(entries, key=Entry.sort_key) == sorted(load(path), key=Entry.sort_key)
    assert all('"line"' not in line for line in lines)  # lines move; entries do not
    run(capsys, "baseline", "create")
    assert path.read_text() == first
    json.loads(first)


def test_baseline_errors_are_clear(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", "--baseline", "missing.json")
    assert code == 2 and "missing.json: cannot read baseline" in err
    (repo / "bad.json").write_text("[1, 2]")
    code, _, err = run(capsys, "check", "--baseline", "bad.json")
    assert code == 2 and "not a baseline file" in err
    code, _, err = run(capsys, "check", "--strict-baseline")
    assert code == 2 and "--strict-baseline needs --baseline" in err
    code, _, err = run(capsys, "baseline", "update", "--file", "nope.json")
    assert code == 2 and "no baseline to update" in err
    with pytest.raises(ConfigError, match="format 7 is not supported"):
        (repo / "v7.json").write_text('{"format": 7, "entries": []}')
        load(repo / "v7.json")


# ---------------------------------------------------------------- fingerprints


def fps(source: str, *findings: tuple[int, int, str]) -> list[tuple[str, str]]:
    return [(fp.fingerprint, fp.scope) for fp in fingerprint_findings(
        source, "m.py", [Finding(ln, col, code, "msg") for ln, col, code in findings])]


def test_fingerprint_scope_and_statement() -> None:
    src = (
        "class Manager:\n"
        "    cache = {}\n"                         # 2: class body binding
        "    @staticmethod\n"
        "    def get(user_id):\n"                  # 4: a def (header only counts)
        "        x = 1\n"
        "        return get_websocket_manager()\n"  # 6
    )
    (a, scope_a), (b, scope_b), (c, scope_c) = fps(src, (2, 4, "NWS204"), (4, 4, "NWS203"),
                                                   (6, 15, "NWS101"))
    assert (scope_a, scope_b, scope_c) == ("Manager", "Manager", "Manager.get")
    edited_body = src.replace("x = 1", "x = 2  # changed\n        y = x")
    a2, b2, c2 = (fp for fp, _ in fps(edited_body, (2, 4, "NWS204"), (4, 4, "NWS203"),
                                          (7, 15, "NWS101")))
    assert (a2, b2, c2) == (a, b, c)  # body edits and moves do not touch them
    renamed = src.replace("def get(user_id)", "def get(uid)")
    assert fps(renamed, (4, 4, "NWS203"))[0][0] != b  # the flagged header changed
    redecorated = src.replace("@staticmethod", "@functools.lru_cache")
    assert fps(redecorated, (4, 4, "NWS203"))[0][0] != b
    assert fps(src, (6, 15, "NWS102"))[0][0] != c  # the code counts
    assert fingerprint_findings(src, "n.py", [Finding(6, 15, "NWS101", "m")])[0].fingerprint != c


def test_fingerprint_ignores_layout_and_comments() -> None:
    one = "def f(user_id):\n    _cache[user_id] = get_websocket_manager()\n"
    other = ("def f(user_id):\n    # why\n    _cache[ user_id ]  =  (\n"
             "        get_websocket_manager()  # noqa: E501\n    )\n")
    assert fps(one, (2, 4, "NWS201")) == fps(other, (3, 4, "NWS201"))


def test_fingerprint_of_a_file_that_does_not_parse() -> None:
    (fp, scope), = fps("def f(:\n", (1, 6, "NWS900"))
    assert scope == "" and fps("\n\ndef  f(:\n", (3, 6, "NWS900"))[0][0] == fp
    assert fingerprint_findings(None, "m.py", [Finding(1, 0, "NWS900", "m")])[0].fingerprint


def test_match_counts_duplicates() -> None:
    e = Entry("a.py", "NWS101", "f", "x")
    new, unmatched = match([e, e], [e, e, e])
    assert new == [False, False, True] and unmatched == []
    new, unmatched = match([e, e], [e])
    assert new == [False] and unmatched == [e]
    assert dumps([]) == '{\n  "format": 2,\n  "tool": "netra-ws-lint",\n  "entries": []\n}\n'


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("audit", "false", '"audit" must be true or false, not a string'),
        ("audit", 0, '"audit" must be true or false, not a number'),
        ("path", 7, '"path" must be a string, not a number'),
        ("message", None, '"message" must be a string, not null'),
        ("fingerprint", ["x"], '"fingerprint" must be a string, not a list'),
    ],
)
def test_baseline_fields_are_validated_by_type(
    repo: Path, field: str, value: object, message: str
) -> None:
    """A committed baseline is data from the repository: `"audit": "false"` is not
    taken as true (a non-empty string), nor a number as a path."""
    from netra_ws_lint.report.baseline import FORMAT

    entry = {"path": "app/x.py", "code": "NWS101", "fingerprint": "ab", field: value}
    (repo / "b.json").write_text(json.dumps({"format": FORMAT, "entries": [entry]}))
    with pytest.raises(ConfigError, match="entry 1: " + re.escape(message)):
        load(repo / "b.json")
    entry[field] = {"audit": False, "path": "app/x.py", "message": "m",
                    "fingerprint": "ab"}[field]
    (repo / "b.json").write_text(json.dumps({"format": FORMAT, "entries": [entry]}))
    assert load(repo / "b.json")[0].audit is False
