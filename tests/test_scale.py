"""Scale: parallel runs (--jobs), the prefilter and the result cache."""

from __future__ import annotations

import json
import re
import sysconfig
from pathlib import Path

import pytest

from netra_ws_lint.cli.main import main
from netra_ws_lint.config import Settings, apply_options
from netra_ws_lint.engine.cache import Cache, settings_key
from netra_ws_lint.engine.pipeline import RuleSet, check_source
from netra_ws_lint.engine.prefilter import Prefilter
from netra_ws_lint.rules.base import all_rules

from .examples import all_examples

PACKAGE = Path(__file__).resolve().parents[1] / "netra_ws_lint"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
STDLIB = Path(sysconfig.get_paths()["stdlib"])

LEGACY = (
    "from app.websocket_core import get_websocket_manager\n"
    "\n"
    "_cache = {}\n"
    "\n"
    "async def handle(user_context, user_id):\n"
    "    manager = get_websocket_manager()\n"
    "    _cache[user_id] = manager\n"
    "    await manager.send_event('x')\n"
)


def project_file(cache: Path) -> Path:
    """The one cache file of the project (format 2: one JSON file per project)."""
    (found,) = (cache / "v2").glob("project-*.json")
    return found


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Twenty-odd files: the example services and variations of a legacy module."""
    monkeypatch.chdir(tmp_path)
    for service in ("legacy_service", "factory_service"):
        (tmp_path / service).mkdir()
        for f in (EXAMPLES / service).glob("*.py"):
            (tmp_path / service / f.name).write_text(f.read_text())
    (tmp_path / "more").mkdir()
    for i in range(20):
        (tmp_path / "more" / f"m{i:02}.py").write_text("\n" * i + LEGACY)
    (tmp_path / "more" / "broken.py").write_text("def f(:\n")
    return tmp_path


@pytest.mark.parametrize("fmt", ["concise", "json", "full"])
def test_jobs_give_byte_identical_output(
    tree: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    outs = set()
    for jobs in ("1", "4", "2"):
        code, out, _ = run(capsys, "check", "--no-cache", "--jobs", jobs, "--output-format", fmt)
        assert code == 1
        outs.add(out)
    assert len(outs) == 1
    assert "more/broken.py:1:7: NWS900" in run(capsys, "check", "--no-cache", "-j", "3")[1]


def test_warm_and_cold_runs_identical(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cold = run(capsys, "check", "--jobs", "2", "--output-format", "json")
    cache = tree / ".netra-ws-lint-cache"
    assert (cache / ".gitignore").read_text() == "*\n"
    assert (cache / "CACHEDIR.TAG").read_text().startswith(
        "Signature: 8a477f597d28d172789f06886806bc55"
    )
    stored = project_file(cache)
    files = json.loads(stored.read_text())["files"]
    assert len(files) == len(list(tree.rglob("*.py")))
    assert all(e["facts"] is not None and e["result"] is not None for e in files.values())
    before = stored.stat().st_mtime_ns
    warm = run(capsys, "check", "--jobs", "2", "--output-format", "json")
    assert warm == cold
    assert stored.stat().st_mtime_ns == before  # a warm run writes nothing
    assert run(capsys, "check", "--no-cache", "--output-format", "json") == cold
    # the warm run read the cache: a marker planted in an entry shows up
    data = json.loads(stored.read_text())
    some = next(e for e in data["files"].values() if e["result"]["findings"])
    some["result"]["findings"][0][3] = "CACHED"
    stored.write_text(json.dumps(data))
    assert "CACHED" in run(capsys, "check")[1]
    # a touched file with the same content is still answered from the cache
    Path("more/m03.py").touch()
    assert "CACHED" in run(capsys, "check")[1]


def test_fixes_are_cached(tree: Path) -> None:
    from netra_ws_lint.engine.runner import check_targets

    settings = Settings(root=tree)
    cache = Cache(tree / "c")
    targets = [(tree / "more" / "m00.py", "more/m00.py", settings)]
    cold = check_targets(targets, cache=cache)[0].findings
    assert [f for f in cold if f.fix is not None]  # NWS101 with a context in scope
    entry = project_file(tree / "c")
    warm = check_targets(targets, cache=Cache(tree / "c"))[0].findings
    assert [(f, f.fix) for f in warm] == [(f, f.fix) for f in cold]
    # a fix of another shape (an older version's) is a miss, not a crash
    data = json.loads(entry.read_text())
    for file_entry in data["files"].values():
        for item in file_entry["result"]["findings"]:
            if item[5] is not None:
                item[5]["edits"] = [{"bogus": 1}]
                item[3] = "STALE"
    entry.write_text(json.dumps(data))
    cache = Cache(tree / "c")
    again = check_targets(targets, cache=cache)[0].findings
    assert [(f, f.fix) for f in again] == [(f, f.fix) for f in cold]


def test_corrupt_or_truncated_cache_entries_are_ignored(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cold = run(capsys, "check", "--cache-dir", "c", "--jobs", "1")
    stored = project_file(Path("c"))
    good = stored.read_bytes()
    data = json.loads(good)
    some = next(k for k, e in data["files"].items() if e["result"]["findings"])

    def variant(change: object) -> bytes:
        copy = json.loads(good)
        change(copy)  # type: ignore[operator]
        return json.dumps(copy).encode()

    bad = [
        b"",
        b"{",
        b"[1, 2]",
        b"\xff\xfe garbage",
        b"[" * 100000,
        good[: len(good) // 2],  # truncated
        variant(lambda d: d.update(format=1)),
        variant(lambda d: d.update(tool="another version")),
        variant(lambda d: d.update(files=[])),
        variant(lambda d: d["files"][some].update(size="1")),
        variant(lambda d: d["files"][some]["result"].update(findings=[["1", 0, "X", "y"]])),
        variant(lambda d: d["files"][some]["result"]["findings"][0].__setitem__(0, "1")),
        variant(lambda d: d["files"][some]["facts"].update(text="[1]")),
        variant(lambda d: d["files"][some]["facts"].update(text="{")),
        variant(lambda d: d["files"][some]["facts"].update(text=7)),
        variant(lambda d: d["files"][some].update(result=7)),
    ]
    for blob in bad:
        stored.write_bytes(blob)
        assert run(capsys, "check", "--cache-dir", "c", "--jobs", "1") == cold, blob[:80]
    # rebuilt: valid again
    assert run(capsys, "check", "--cache-dir", "c", "--jobs", "1") == cold
    assert json.loads(stored.read_text())["format"] == 2


def test_edited_file_is_rechecked(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = run(capsys, "check", "more/m00.py", "more/m01.py")[1]
    assert "more/m00.py:6:15: NWS101" in first
    Path("more/m00.py").write_text("\n\n" + LEGACY)
    second = run(capsys, "check", "more/m00.py", "more/m01.py")[1]
    assert "more/m00.py:8:15: NWS101" in second and "more/m00.py:6:15" not in second
    Path("more/m00.py").write_text("x = 1\n")
    assert "m00" not in run(capsys, "check", "more/m00.py", "more/m01.py")[1]


def test_configuration_change_invalidates(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "check", "more")
    Path("pyproject.toml").write_text(
        '[tool.netra-ws-lint]\nextend-deprecated-accessors = ["get_x -> make_x"]\n'
        'extend-ignore = ["NWS201"]\n'
    )
    _, out, _ = run(capsys, "check", "more")
    assert "NWS201" not in out and "NWS101" in out
    Path("pyproject.toml").write_text("[tool.netra-ws-lint]\n")
    assert "NWS201" in run(capsys, "check", "more")[1]


def test_no_cache_writes_nothing(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "check", "--no-cache")
    assert not (tree / ".netra-ws-lint-cache").exists()


def test_settings_key_is_stable_and_complete() -> None:
    a, b = Settings(), Settings(root=Path("/elsewhere"))
    assert settings_key(a) == settings_key(b)
    assert json.loads(settings_key(a))["select"] == ["NWS"]
    import dataclasses

    fields = {f.name for f in dataclasses.fields(Settings)}
    assert set(json.loads(settings_key(a))) == fields - {"exclude", "extend_exclude", "root",
                                                         "source"}
    for options in (
        {"audit": True},
        {"extend-context-names": ["req_ctx"]},
        {"ignore": ["NWS2"]},
        {"per-file-ignores": {"x.py": ["NWS101"]}},
        {"test-paths": ["spec_*.py"]},
        {"allowed-singletons": ["get_engine"]},
    ):
        assert settings_key(apply_options(a, options, None)) != settings_key(a), options
    cache = Cache(Path("unused"))
    assert cache.key("a.py", a, "/r/a.py") == cache.key("a.py", a, "/r/a.py")
    assert cache.key("a.py", a, "/r/a.py") != cache.key("a.py", a, "/r/b.py")
    assert cache.key("a.py", a, "/r/a.py") != cache.key("tests/a.py", a, "/r/a.py")
    assert cache.key("a.py", a, "/r/a.py") != cache.key("a.py", b, "/r/a.py")


def test_no_pickle_anywhere() -> None:
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(import|from)\s+(c?pickle|marshal|shelve)\b", text, re.M), path


def test_cli_does_not_import_flake8(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "a.py").write_text(LEGACY)
    code = (
        "import sys; from netra_ws_lint.cli.main import main; "
        "rc = main(['check', '--no-cache', 'a.py']); "
        "assert 'flake8' not in sys.modules and 'multiprocessing' not in sys.modules, "
        "sorted(sys.modules); print(rc)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("1")


# ------------------------------------------------------------------ the prefilter


def _prefilter(settings: Settings) -> Prefilter:
    rules = RuleSet.for_settings(settings).rule_classes
    return Prefilter(settings, [r.code for r in rules])


@pytest.mark.parametrize("example", all_examples(), ids=lambda e: e.id)
def test_prefilter_never_skips_a_rule_example(example) -> None:  # type: ignore[no-untyped-def]
    """Every rule example that gets a finding is let through."""
    settings = example.settings()
    findings = check_source(example.source, "example.py", settings)
    # the tool's own findings come whatever the prefilter says (NWS902: test_unused_noqa)
    codes = {f.code for f in findings} - {"NWS900", "NWS901", "NWS902"}
    if codes:
        assert _prefilter(settings).can_fire(example.source), (example.id, codes)
    for code in codes:  # and each rule alone lets it through
        only = apply_options(settings, {"select": [code]}, None)
        assert Prefilter(only, [code]).can_fire(example.source), (example.id, code)


def _real_files() -> list[Path]:
    skip = {"site-packages", "test", "tests", "idlelib", "__pycache__"}
    files = sorted(p for p in EXAMPLES.rglob("*.py"))
    files += sorted(
        p for p in STDLIB.rglob("*.py") if not skip & set(p.relative_to(STDLIB).parts)
    )
    return files


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"audit": True},
        pytest.param({"select": ["NWS101", "NWS3"]}, marks=pytest.mark.slow),
        pytest.param({"select": ["NWS206", "NWS205"]}, marks=pytest.mark.slow),
    ],
    ids=["default", "audit", "nws101-nws3", "nws205-206"],
)
def test_prefilter_skips_only_files_without_findings(options: dict[str, object]) -> None:
    """On the standard library and the examples: every file the prefilter skips has no
    finding of a full run (so filtered and unfiltered runs report the same)."""
    settings = apply_options(Settings(), options, None)
    pf = _prefilter(settings)
    rule_set = RuleSet.for_settings(settings)
    skipped = 0
    for path in _real_files():
        source = path.read_text(encoding="utf-8", errors="replace")
        if pf.can_fire(source):
            continue
        skipped += 1
        findings = check_source(source, str(path), settings, rule_set)
        assert [f for f in findings if f.code != "NWS900"] == [], path
    if not options.get("audit"):
        assert skipped > 50  # it does skip something
    else:
        assert skipped == 0  # NWS202 can fire on any file


def test_filtered_and_unfiltered_runs_identical(tmp_path: Path) -> None:
    from netra_ws_lint.engine.runner import check_targets

    settings = Settings()
    files = sorted(EXAMPLES.rglob("*.py")) + sorted(STDLIB.glob("[a-f]*.py"))
    targets = [(p, str(p), settings) for p in files]
    plain = check_targets(targets, jobs=1, prefilter=False)
    filtered = check_targets(targets, jobs=1, prefilter=True)
    assert [(r.path, r.findings) for r in plain] == [(r.path, r.findings) for r in filtered]
    assert any(r.findings for r in plain)


def test_prefilter_follows_vocabulary_and_unicode() -> None:
    s = apply_options(Settings(), {"select": ["NWS101"]}, None)
    pf = Prefilter(s, ["NWS101"])
    assert pf.can_fire("get_websocket_manager()")
    assert not pf.can_fire("x = 1\n")
    # NFKC: a fullwidth letter in an identifier is the ASCII one to Python
    assert pf.can_fire("\uff47et_websocket_manager()\n")
    s2 = apply_options(s, {"deprecated-accessors": ["legacy_*_hub -> make_hub"]}, None)
    pf2 = Prefilter(s2, ["NWS101"])
    assert pf2.can_fire("legacy_ws_hub()") and not pf2.can_fire("get_websocket_manager()")
    s3 = apply_options(s, {"deprecated-accessors": ["get_[ab] -> make"]}, None)
    assert Prefilter(s3, ["NWS101"]).always
    assert Prefilter(s, ["NWS999"]).always  # an unknown rule: never skip
    assert set(all_rules())  # registry loaded


# ------------------------------------------------------------------ project mode

PROJECT = {
    "app/__init__.py": "",
    "app/ws/__init__.py": "from .core import get_manager as manager, create_notifier\n",
    "app/ws/core.py": (
        "_manager = None\n"
        "\n"
        "def get_manager():\n"
        "    global _manager\n"
        "    if _manager is None:\n"
        "        _manager = UnifiedWebSocketManager()\n"
        "    return _manager\n"
        "\n"
        "def create_notifier(user_context, channel):\n"
        "    return Notifier(user_context, channel)\n"
        "\n"
        "def audit_log(event, user_context=None):\n"
        "    return write_log(event, owner=user_context.user_id if user_context else None)\n"
        "\n"
        "class RunTracker:\n"
        "    def __init__(self, user_context: UserExecutionContext) -> None:\n"
        "        self.user_context = user_context\n"
    ),
    "app/handlers.py": (
        "from app.ws import manager as mgr\n"
        "from app.ws import create_notifier\n"
        "import app.ws.core as core\n"
        "from .ws.core import RunTracker\n"
        "\n"
        "async def handle(user_context, event):\n"
        "    await mgr().send_event(event)\n"
        "    note = create_notifier(None, 'x')\n"
        "    core.audit_log(event)\n"
        "    tracker = RunTracker()\n"
        "    core.audit_log(event, user_context=user_context)\n"
        "    return note, tracker, create_notifier(user_context, 'y')\n"
    ),
}
EXPECTED_PROJECT = {
    "app/handlers.py:7:11: NWS105",
    "app/handlers.py:8:12: NWS301",
    "app/handlers.py:9:5: NWS303",
    "app/handlers.py:10:15: NWS301",
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for rel, text in PROJECT.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def _handler_findings(out: str) -> set[str]:
    return {line.split(" ", 2)[0] + " " + line.split(" ", 2)[1]
            for line in out.splitlines() if line.startswith("app/handlers.py")}


def test_cross_module_found_in_project_mode_only(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, "check", "--no-cache", ".")
    assert _handler_findings(out) == EXPECTED_PROJECT, out
    _, out, _ = run(capsys, "check", "--no-cache", "--no-project", ".")
    assert _handler_findings(out) == set(), out
    # files named one by one: against the whole project, as `check .`
    _, out, _ = run(capsys, "check", "--no-cache", "app/handlers.py")
    assert _handler_findings(out) == EXPECTED_PROJECT, out


def test_project_mode_cached_and_parallel(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(20):  # enough files for worker processes
        (project / "app" / f"user{i}.py").write_text(
            "from app.ws import manager\n\ndef f(user_id):\n    return manager()\n"
        )
    outs = [run(capsys, "check", "-j", j, ".")[1] for j in ("1", "2", "2", "4")]
    assert len(set(outs)) == 1
    assert _handler_findings(outs[0]) == EXPECTED_PROJECT
    assert "app/user7.py:4:12: NWS105" in outs[0]
    files = json.loads(project_file(project / ".netra-ws-lint-cache").read_text())["files"]
    assert all(e["facts"] for e in files.values())
    # the getter takes a context now: the callers' cached results are stale
    core = project / "app" / "ws" / "core.py"
    core.write_text(core.read_text().replace("_manager = UnifiedWebSocketManager()",
                                             "_manager = Pool()"))
    out = run(capsys, "check", "-j", "2", ".")[1]
    assert "NWS105" not in out


@pytest.mark.slow  # the standard library
def test_index_imports_without_parsing_match_the_tree() -> None:
    """A module without the vocabulary is indexed from its text: its imports are
    those of its tree (plus, rarely, an unindented import line inside a string)."""
    import ast

    from netra_ws_lint.analysis.project import module_name
    from netra_ws_lint.engine.facts import ModuleId, imports_entry, tree_imports

    extra = 0
    files = [p for p in _real_files() if p.name < "m"] + sorted(EXAMPLES.rglob("*.py"))
    for path in files:
        source = path.read_text(encoding="utf-8", errors="replace")
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        module = ModuleId(*module_name(path))
        fast = imports_entry(source, module)["imports"]
        full = tree_imports(tree, module)
        assert full.items() <= fast.items(), path
        extra += fast != full
    assert extra <= len(files) // 50
    tricky = (
        "from .a import (x,  # f(y)\n    y as z)\nimport p.q as r; import s as t\n"
        "from m import n \\\n    , o as oo\n"
    )
    got = imports_entry(tricky, ModuleId("pkg.mod", False))["imports"]
    assert got == {"x": "pkg.a.x", "z": "pkg.a.y", "r": "p.q", "n": "m.n", "oo": "m.o"}


def test_concurrent_runs_share_the_cache(tree: Path) -> None:
    """Two runs at once on one cache directory: both right, the cache valid after."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "netra_ws_lint", "check", "--cache-dir", "shared", "-j", "2",
           "--output-format", "json", "."]
    expected = subprocess.run([*cmd[:4], "--no-cache", *cmd[6:]], capture_output=True,
                              text=True).stdout
    for _ in range(2):
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(2)]
        outs = [p.communicate()[0] for p in procs]
        assert outs == [expected, expected]
    for entry in Path("shared").rglob("*"):
        assert not entry.name.startswith(".tmp-"), entry  # no temporary file left
        if entry.suffix == ".json":
            json.loads(entry.read_text())
