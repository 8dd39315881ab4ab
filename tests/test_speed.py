"""Speed by construction: each file parsed once, a warm run answered from the one cache
file without reading the sources, named files checked as `check .` checks them, the
prefilter sound, the start light."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from netra_ws_lint.cli.main import main
from netra_ws_lint.config import Settings
from netra_ws_lint.engine import pipeline, runner
from netra_ws_lint.engine.cache import Cache
from netra_ws_lint.engine.runner import check_targets

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def _count(monkeypatch: pytest.MonkeyPatch) -> tuple[Counter[str], Counter[str]]:
    """Count the parses (by file) and the reads of sources (by file) of a run."""
    parses: Counter[str] = Counter()
    reads: Counter[str] = Counter()
    real_parse, real_read = pipeline.parse_source, pipeline.read_source_bytes

    def parse(source: str, path: str) -> Any:
        parses[os.path.relpath(path)] += 1
        return real_parse(source, path)

    def read(path: Path) -> bytes:
        reads[os.path.relpath(path)] += 1
        return real_read(path)

    for module in (pipeline, runner):
        monkeypatch.setattr(module, "parse_source", parse)
        monkeypatch.setattr(module, "read_source_bytes", read)
    return parses, reads


def test_each_file_read_and_parsed_once_and_warm_run_reads_only_what_it_prints(
    generated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = list(generated.rglob("*.py"))
    parses, reads = _count(monkeypatch)
    _, cold = run(capsys, "check", "-j", "1", ".")
    assert "NWS105" in cold and "NWS301" in cold  # cross-module findings, through re-exports
    assert max(parses.values()) == 1 and max(reads.values()) == 1
    # files without the vocabulary: facts from their text, and only the syntax check
    assert len(parses) == len(files)
    parses.clear()
    reads.clear()
    _, warm = run(capsys, "check", "-j", "1", ".")
    assert warm == cold
    assert not parses
    # only the files with findings are read (their lines are shown); none is parsed
    shown = {line.split(":")[0] for line in cold.splitlines() if ":" in line}
    assert set(reads) <= shown


def test_a_cold_run_walks_each_files_rules_once(
    generated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Step 1 only extracts facts; step 2 checks each target once, with the project
    when it names something the project knows (nearly every file of a real project),
    else without it: no rule walk is done twice."""
    walked: Counter[str] = Counter()
    real = pipeline.run_rules

    def counting(tree: Any, source: str, path: str, *args: Any, **kwargs: Any) -> Any:
        walked[path] += 1
        return real(tree, source, path, *args, **kwargs)

    monkeypatch.setattr(pipeline, "run_rules", counting)
    _, cold = run(capsys, "check", "--no-cache", "-j", "1", ".")
    assert "NWS105" in cold and "NWS301" in cold
    assert len(walked) > 40 and max(walked.values()) == 1
    walked.clear()
    _, out = run(capsys, "check", "--no-cache", "-j", "2", ".")  # (in worker processes)
    assert out == cold


def test_changed_facts_recheck_their_dependents_only(
    generated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, cold = run(capsys, "check", "-j", "1", ".")
    assert "app/p1/m21.py:29:15: NWS105" in cold  # calls m20's singleton getter
    parses, _ = _count(monkeypatch)
    # an edit that changes no fact: only that file is parsed again
    m = generated / "app" / "p1" / "m30.py"
    m.write_text(m.read_text() + "\nVALUE = 1\n")
    _, out = run(capsys, "check", "-j", "1", ".")
    assert out == cold
    assert set(parses) == {"app/p1/m30.py"}
    # the getter builds no user-scoped object now: its callers are checked again
    parses.clear()
    core = generated / "app" / "p1" / "m20.py"
    core.write_text(core.read_text().replace("UnifiedWebSocketManager()", "Pool()"))
    _, out = run(capsys, "check", "-j", "1", ".")
    assert "m21.py:29:15: NWS105" not in out
    assert "app/p1/m20.py" in parses and "app/p1/m21.py" in parses
    assert run(capsys, "check", "--no-cache", "-j", "1", ".")[1] == out


def test_named_files_report_what_check_dot_reports(
    generated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    named = ["app/p1/m21.py", "app/p2/m41.py", "app/p0/m3.py", "app/p2/__init__.py"]
    for cache in ("--no-cache", None):  # cold, then from a cache the whole run built
        extra = [cache] if cache else []
        _, whole = run(capsys, "check", "-j", "1", *extra, ".")
        _, some = run(capsys, "check", "-j", "1", *extra, *named)
        expected = [line for line in whole.splitlines() if line.split(":")[0] in named]
        assert expected and [ln for ln in some.splitlines() if ":" in ln] == expected
    # a pre-commit run on a fresh clone: builds the project's facts, caches them
    stored = next((generated / ".netra-ws-lint-cache" / "v2").glob("project-*.json"))
    stored.unlink()
    _, some = run(capsys, "check", "-j", "1", *named)
    assert [ln for ln in some.splitlines() if ":" in ln] == expected
    files = json.loads(stored.read_text())["files"]
    assert len(files) == len(list(generated.rglob("*.py")))


def test_parallel_output_is_identical(generated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = run(capsys, "check", "--no-cache", "-j", "1", ".")
    assert run(capsys, "check", "--no-cache", "-j", "2", ".") == one
    assert run(capsys, "check", "-j", "2", ".") == one  # cold cache
    assert run(capsys, "check", "-j", "2", ".") == one  # warm


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_free_memory_returned_before_each_pool_forks(
    generated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workers of each step are forked after the main process gave its free heap
    pages back (they would otherwise start as large as it is)."""
    import ctypes
    import multiprocessing.process

    order: list[str] = []
    real_trim, real_start = runner._return_free_memory, multiprocessing.process.BaseProcess.start
    monkeypatch.setattr(runner, "_return_free_memory", lambda: order.append("trim") or real_trim())
    monkeypatch.setattr(
        multiprocessing.process.BaseProcess,
        "start",
        lambda self: order.append("fork") or real_start(self),
    )
    run(capsys, "check", "--no-cache", "-j", "2", ".")
    # step 1 and step 2: each pool's workers forked just after the trim
    assert order.count("trim") == 2 and order[0] == "trim"
    second = order.index("trim", 1)
    assert order[1] == order[second + 1] == "fork"
    assert hasattr(ctypes.CDLL(None), "malloc_trim")  # what it calls exists here


def _prefilter_agrees(root: Path, files: list[Path]) -> None:
    settings = Settings(root=root)
    targets = [(p, str(p), settings) for p in files]
    on = check_targets(targets, jobs=1, prefilter=True, project=True)
    off = check_targets(targets, jobs=1, prefilter=False, project=True)
    assert [(r.path, r.findings) for r in on] == [(r.path, r.findings) for r in off]
    assert any(r.findings for r in on)


def test_prefilter_is_sound_on_a_generated_project(generated: Path) -> None:
    _prefilter_agrees(generated, sorted(generated.rglob("*.py")))


@pytest.mark.slow
def test_prefilter_is_sound_on_the_stdlib() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from bench_scale import stdlib_files
    finally:
        sys.path.remove(str(BENCHMARKS))
    _prefilter_agrees(STDLIB, stdlib_files())


def test_cache_never_written_through_a_symlink(
    generated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (generated / ".netra-ws-lint-cache").symlink_to(outside)
    first = run(capsys, "check", "-j", "1", ".")
    assert list(outside.iterdir()) == []
    assert run(capsys, "check", "-j", "1", ".") == first


def test_cache_file_of_another_shape_or_too_large_is_ignored(
    generated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = run(capsys, "check", "-j", "1", ".")
    (stored,) = (generated / ".netra-ws-lint-cache" / "v2").glob("project-*.json")
    data = json.loads(stored.read_text())
    for entry in data["files"].values():
        if entry["result"]["findings"]:
            entry["result"]["findings"][0][3] = "PLANTED"
    stored.write_text(json.dumps(data))
    monkeypatch.setattr("netra_ws_lint.engine.cache.MAX_FILE_BYTES", 100)
    assert run(capsys, "check", "-j", "1", ".") == cold
    # a FIFO in its place is not read (the run would block)
    stored.unlink()
    os.mkfifo(stored)
    assert run(capsys, "check", "-j", "1", ".") == cold


def test_version_and_rule_do_not_import_the_engine() -> None:
    code = (
        "import sys\n"
        "from netra_ws_lint.cli import main\n"
        "for argv in (['--version'], ['rule', 'NWS101']):\n"
        "    main(argv)\n"
        "    heavy = [m for m in sys.modules if m.startswith(('netra_ws_lint.engine.pipeline', "
        "'netra_ws_lint.engine.runner', 'netra_ws_lint.engine.discovery', "
        "'netra_ws_lint.engine.cache', 'ast_grep_py', "
        "'netra_ws_lint.report.formats', 'netra_ws_lint.report.baseline')) "
        "or argv == ['--version'] and m.startswith(('netra_ws_lint.config', 'pathspec'))]\n"
        "    assert not heavy, (argv, heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("netra-ws-lint ")


def test_one_run_checking_again_sees_the_edits(generated: Path) -> None:
    """A long-lived process (the flake8 plugin, an editor) checks with one Run many
    times: each check looks at the files afresh."""
    from netra_ws_lint.engine.runner import Run

    settings = Settings(root=generated)
    target = generated / "app" / "p1" / "m21.py"
    others = [(p, str(p), settings) for p in sorted(generated.rglob("*.py"))]
    run_ = Run(Cache(generated / "c"), jobs=1, project=True, root_of=lambda _p, _s: generated)
    first = run_.check([(target, "m21.py", settings)], others)[0].findings
    assert any(f.code == "NWS105" for f in first)
    target.write_text(target.read_text().replace("get_manager_20()", "get_other()"))
    again = run_.check([(target, "m21.py", settings)], others)[0].findings
    assert not any(f.code == "NWS105" and f.line == 29 for f in again)
    fresh = Run(None, jobs=1, project=True, root_of=lambda _p, _s: generated)
    assert again == fresh.check([(target, "m21.py", settings)], others)[0].findings


def test_a_checked_file_is_freed_without_the_cycle_collector() -> None:
    """A file's tree and analyses (checked alone and in project mode, with its facts)
    hold no reference cycles: they are freed when the check is done, not by the cyclic
    collector later (which the command runs seldom, see ``runner.tune_gc``)."""
    import ast
    import gc
    import weakref

    from netra_ws_lint.analysis.project import ModuleId, ProjectIndex

    legacy = BENCHMARKS.parent / "examples" / "legacy_service"
    files = [
        legacy / "agent_service.py",
        legacy / "handlers.py",
        STDLIB / "asyncio" / "base_events.py",
        STDLIB / "typing.py",
    ]
    settings = Settings()
    gc.collect()
    gc.disable()
    try:
        for path in files:
            text = path.read_text(encoding="utf-8")
            module = ModuleId(path.stem, False, ())
            facts = pipeline.check(str(path), settings, source=text, module=module, facts=True)
            project = ProjectIndex([facts.facts], settings).join()
            for proj in (None, project):
                tree = ast.parse(text)
                ref = weakref.ref(tree)
                result = pipeline.check(
                    str(path),
                    settings,
                    source=text,
                    tree=tree,
                    project=proj,
                    module=module,
                    facts=True,
                )
                del tree, result
                assert ref() is None, f"{path.name}: the tree outlived its check"
    finally:
        gc.enable()


def test_per_statement_questions_walk_a_function_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether an assignment is a lazy initialisation (NWS2 instance state, NWS104,
    NWS208) and whether a built value is ever read (NWS3 placeholder context) are
    asked of every assignment of a function: the function is walked once for them
    (memoised), not once per assignment (quadratic in its size)."""
    import ast

    lines = ["class Service:", "    def handle(self, request):"]
    for i in range(40):
        lines += [
            f"        tmp{i} = build(request)",
            f"        self.attr{i} = request.user_id",
        ]
    source = "\n".join(lines) + "\n"
    tree = ast.parse(source)
    fn = tree.body[0].body[0]  # type: ignore[attr-defined]
    from netra_ws_lint.analysis import idioms, scopes

    walks: Counter[str] = Counter()

    def counting(real: Any) -> Any:
        def walk(node: ast.AST) -> Any:
            if node is fn:
                caller = sys._getframe(1)
                while caller.f_code.co_name in ("<genexpr>", "<setcomp>", "<listcomp>", "compute"):
                    caller = caller.f_back  # type: ignore[assignment]
                walks[f"{Path(caller.f_code.co_filename).name}:{caller.f_code.co_name}"] += 1
            return real(node)

        return walk

    monkeypatch.setattr(ast, "walk", counting(ast.walk))
    monkeypatch.setattr(scopes, "walk", counting(scopes.walk))
    monkeypatch.setattr(idioms, "walk", counting(scopes.walk))
    real_map = idioms._guard_map

    def guard_map(node: Any) -> Any:
        walks[f"idioms.py:_guard_map {id(node)}"] += 1
        return real_map(node)

    monkeypatch.setattr(idioms, "_guard_map", guard_map)
    settings = Settings(select=("NWS",), audit=True)
    pipeline.check("svc.py", settings, source=source, tree=tree)
    assert walks, "the rules did not look at the function"
    for where, n in walks.items():
        if where.split(":")[0] in ("idioms.py", "scopes.py", "placeholder_context.py"):
            assert n <= 2, (where, n)  # node_memo: one walk for each of two questions


@pytest.mark.parametrize("keyword", ["initializer", "\uff49nitializer"])  # (NFKC folds it)
def test_worker_initializers_found_whatever_the_text_says(keyword: str) -> None:
    """The vocabulary facts skip the walk for worker-pool initializers when the text
    cannot hold one: the same facts as with the walk."""
    import ast

    from netra_ws_lint.analysis.vocabulary import module_facts

    source = (
        "from concurrent.futures import ProcessPoolExecutor\n\n"
        "def init():\n    pass\n\n"
        f"POOL = ProcessPoolExecutor({keyword}=init)\n"
    )
    tree = ast.parse(source)
    settings = Settings()
    with_text = module_facts(tree, settings, "m", False, source)
    assert with_text["vocabulary"]["initializers"] == {"m.init": True}
    assert with_text == module_facts(ast.parse(source), settings, "m", False)
    plain = "def init():\n    pass\n"
    assert module_facts(ast.parse(plain), settings, "m", False, plain)["vocabulary"][
        "initializers"
    ] == {}


def test_the_walks_skip_only_fields_that_hold_no_node() -> None:
    """``node_fields`` leaves out the fields the grammar types as names, strings,
    constants and numbers: on real code every walk still sees every node
    (``child_nodes`` is ``ast.iter_child_nodes`` less the ``ctx`` markers)."""
    import ast

    from netra_ws_lint.analysis.scopes import child_nodes, node_fields

    files = sorted(STDLIB.glob("*.py"))[:60] + sorted((STDLIB / "asyncio").glob("*.py"))
    for path in files:
        for node in ast.walk(ast.parse(path.read_bytes())):
            expected = [
                c for c in ast.iter_child_nodes(node) if not isinstance(c, ast.expr_context)
            ]
            assert child_nodes(node) == expected, (path, type(node).__name__)
    assert node_fields(ast.Name) == ()
    assert node_fields(ast.FunctionDef)[:2] == ("args", "body")
    assert node_fields(ast.Attribute) == ("value",)


def test_a_files_identifiers_are_scanned_once(
    generated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether a file names something its project knows and which rules can fire on
    it both ask for its identifiers: its text is scanned for them once."""
    from netra_ws_lint.engine import source

    scans: Counter[str] = Counter()
    real = source._IDENTIFIER

    class Counting:
        def findall(self, text: str) -> list[str]:
            scans[text] += 1
            return real.findall(text)

    monkeypatch.setattr(source, "_IDENTIFIER", Counting())
    _, out = run(capsys, "check", "--no-cache", "-j", "1", ".")
    assert "NWS105" in out
    assert len(scans) > 40 and max(scans.values()) == 1
