"""A warm run is a lookup: named files after ``check .`` come from the cache whatever
the working directory, the joined project is not rebuilt for the same facts, and the
helpers that make the lookup cheap (real paths, module names) agree with the slow
definitions they replace."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from netra_ws_lint.analysis import project as project_module
from netra_ws_lint.analysis.project import ProjectIndex, module_names
from netra_ws_lint.cli.main import main
from netra_ws_lint.config import Settings
from netra_ws_lint.engine import facts, pipeline, runner
from netra_ws_lint.engine.fsutil import clear_real_paths, real_path, resolved

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _gen() -> Any:
    spec = importlib.util.spec_from_file_location("gen_project", BENCHMARKS / "gen_project.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def generated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = _gen().make_project(tmp_path / "proj", 60, per_package=20)
    monkeypatch.chdir(root)
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    main(list(argv))
    return capsys.readouterr().out


def _counters(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count what a run does that a lookup must not: parses, fact extractions, joins."""
    seen: Counter[str] = Counter()

    def counting(name: str, real: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            seen[name] += 1
            return real(*args, **kwargs)

        return call

    for module in (pipeline, runner):
        monkeypatch.setattr(module, "parse_source", counting("parse", module.parse_source))
    for module, name in ((runner, "facts_from_tree"), (runner, "imports_entry")):
        monkeypatch.setattr(module, name, counting("facts", getattr(module, name)))
    monkeypatch.setattr(runner, "check", counting("check", runner.check))  # every file it checks
    monkeypatch.setattr(ProjectIndex, "_join", counting("join", ProjectIndex._join))
    return seen


def _findings(out: str) -> list[str]:
    return [line for line in out.splitlines() if ":" in line]


NAMED = ["app/p1/m21.py", "app/p2/m41.py", "app/p0/m3.py", "app/p2/__init__.py"]


def test_named_files_after_check_dot_are_answered_from_the_cache(
    generated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = run(capsys, "check", "-j", "1", ".")
    expected = [line for line in _findings(whole) if line.split(":")[0] in NAMED]
    assert expected
    seen = _counters(monkeypatch)
    # as a pre-commit hook names them: from the root, relative paths
    assert _findings(run(capsys, "check", "-j", "1", *NAMED)) == expected
    assert not seen, seen  # no parse, no fact extracted, no check, no join
    # named by absolute paths from another directory: the same cached results
    monkeypatch.chdir(generated / "app")
    absolute = [str(generated / n) for n in NAMED]
    out = run(capsys, "check", "-j", "1", *absolute)
    assert [line.split(":", 1)[1] for line in _findings(out)] == [
        line.split(":", 1)[1] for line in expected
    ]
    assert not seen, seen


def test_warm_check_dot_never_joins_the_project(
    generated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _counters(monkeypatch)
    cold = run(capsys, "check", "-j", "1", ".")
    assert seen["join"] == 1
    seen.clear()
    assert run(capsys, "check", "-j", "1", ".") == cold
    assert not seen, seen
    # an edit that changes no fact: the project is joined again (its inputs differ),
    # finds the same facts, and only the edited file is checked again
    m = generated / "app" / "p1" / "m30.py"
    m.write_text(m.read_text() + "\nVALUE = 1\n")
    assert run(capsys, "check", "-j", "1", ".") == cold
    assert seen["join"] == 1 and seen["check"] == 1
    seen.clear()
    assert run(capsys, "check", "-j", "1", ".") == cold
    assert not seen, seen


def test_a_planted_or_malformed_index_is_not_trusted_beyond_its_inputs(
    generated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cold = run(capsys, "check", "-j", "1", ".")
    (stored,) = (generated / ".netra-ws-lint-cache" / "v2").glob("project-*.json")
    data = json.loads(stored.read_text())
    assert set(data["index"]) == {"inputs", "digest", "names"}
    for bad in ({"inputs": 1, "digest": "x", "names": "y"}, ["x"], {"inputs": "x"}):
        data["index"] = bad
        stored.write_text(json.dumps(data))
        assert run(capsys, "check", "-j", "1", ".") == cold
    # the same digests under other inputs: not used once a file changed
    core = generated / "app" / "p1" / "m20.py"
    core.write_text(core.read_text().replace("UnifiedWebSocketManager()", "Pool()"))
    fresh = run(capsys, "check", "--no-cache", "-j", "1", ".")
    assert fresh != cold
    assert run(capsys, "check", "-j", "1", ".") == fresh


def test_a_lazy_project_answers_as_a_joined_one(generated: Path) -> None:
    settings = Settings(root=generated)
    module = facts.ModuleId.of(generated / "app" / "p1" / "m20.py", generated, settings)
    entries = [
        facts.facts_from_source(
            p.read_text(), str(p), facts.ModuleId.of(p, generated, settings), settings
        )
        for p in sorted(generated.rglob("*.py"))
    ]
    eager = ProjectIndex(entries, settings)
    eager._join()
    lazy = ProjectIndex(entries, settings)
    assert not lazy.joined
    assert lazy.digest == eager.digest and lazy.names_digest == eager.names_digest
    given = ProjectIndex(entries, settings, digest="d", names_digest="n")
    assert (given.digest, given.names_digest) == ("d", "n") and not given.joined
    assert given.known_names == eager.known_names and given.joined
    assert given.find(f"{module.name}.get_manager_20") == eager.find(
        f"{module.name}.get_manager_20"
    )


def test_real_path_is_resolve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clear_real_paths()
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.py").write_text("")
    (tmp_path / "link").symlink_to(tmp_path / "a")
    (tmp_path / "a" / "y.py").symlink_to(tmp_path / "a" / "b" / "x.py")
    (tmp_path / "a" / "up").symlink_to("..")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    paths = [
        "a/b/x.py",
        "link/b/x.py",
        "a/y.py",
        "link/y.py",
        "a/up/link/b/x.py",
        "link/up/a/../link/b",
        "loop",
        "loop/x.py",
        "missing/x.py",
        ".",
        "./a//b/x.py",
    ]
    monkeypatch.chdir(tmp_path)
    for p in paths:
        for given in (p, str(tmp_path / p)):
            assert real_path(given) == str(resolved(Path(given))), given
    # a directory replaced by a link between runs: a new run resolves it afresh
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x.py").write_text("")
    assert real_path("c/x.py") == str(tmp_path / "c" / "x.py")
    (tmp_path / "c" / "x.py").unlink()
    (tmp_path / "c").rmdir()
    (tmp_path / "c").symlink_to(tmp_path / "a" / "b")
    clear_real_paths()
    assert real_path("c/x.py") == str(tmp_path / "a" / "b" / "x.py")


def test_relpath_resolves_links_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clear_real_paths()
    root = tmp_path / "root"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "m.py").write_text("")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "e.py").write_text("")
    (root / "out").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "alias").symlink_to(root)
    settings = Settings(root=root)
    monkeypatch.chdir(tmp_path)

    def before(path: str) -> str:
        try:
            return resolved(Path(path)).relative_to(resolved(settings.root)).as_posix()
        except ValueError:
            return Path(path).as_posix()

    for p in ("root/pkg/m.py", "alias/pkg/m.py", "root/out/e.py", "root", "elsewhere/e.py"):
        assert settings.relpath(p) == before(p), p
    assert settings.relpath("alias/pkg/m.py") == "pkg/m.py"
    assert settings.relpath(Settings(root=tmp_path / "alias").root / "pkg" / "m.py") == "pkg/m.py"


@pytest.mark.parametrize(
    "rel, roots",
    [
        ("src/app/api/routes.py", ["", "src"]),
        ("src/app/__init__.py", ["", "src"]),
        ("app/x.py", ["", "src"]),
        ("app/__init__.py", ["."]),
        ("top.py", [""]),
        ("src.py", ["src"]),
        ("a-b/c.py", [""]),
        ("pkg/mod.pyi", ["", "pkg"]),
        ("pkg/.hidden.py", [""]),
        ("pkg/noext", [""]),
    ],
)
def test_module_names_as_path_arithmetic_gives(tmp_path: Path, rel: str, roots: list[str]) -> None:
    project_module.clear_package_cache()
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    for init in ("app", "src/app", "pkg"):
        if (tmp_path / init).is_dir():
            (tmp_path / init / "__init__.py").write_text("")
    source_roots = [tmp_path / r for r in roots]

    # the definition before it was made string arithmetic
    def before() -> tuple[str, bool, tuple[str, ...]]:
        p = Path(os.path.abspath(path))
        is_package = p.stem == "__init__"
        names: list[str] = []
        for root in sorted(source_roots, key=lambda r: -len(r.parts)):
            try:
                rel_ = p.with_suffix("").relative_to(root)
            except ValueError:
                continue
            parts = list(rel_.parts[:-1] if is_package else rel_.parts)
            if parts and all(x.isidentifier() for x in parts):
                names.append(".".join(parts))
        package = project_module._package_of(str(p.parent))
        if is_package:
            chain = package or p.parent.name
        else:
            chain = f"{package}.{p.stem}" if package else p.stem
        names.append(chain)
        unique = list(dict.fromkeys(names))
        return unique[0], is_package, tuple(unique[1:])

    assert module_names(path, source_roots) == before()
    assert module_names(str(path), [str(r) for r in source_roots]) == before()


def test_warm_check_imports_no_rule_until_it_needs_one(generated: Path) -> None:
    """A warm run whose findings are all cached and whose configuration selects no
    code reads the cache, not the rules: it imports no rule module, no parser, no
    fact extractor."""
    main(["check", "-j", "1", "--exit-zero", "-q", "."])
    code = (
        "import sys\n"
        "from netra_ws_lint.cli.main import main\n"
        "main(['check', '-j', '1', '--exit-zero', '-q', '.'])\n"
        "heavy = sorted(m for m in sys.modules if m.startswith(("
        "'netra_ws_lint.rules', 'netra_ws_lint.engine.pipeline', "
        "'netra_ws_lint.engine.walker', 'netra_ws_lint.engine.prefilter', "
        "'netra_ws_lint.analysis.semantic', 'netra_ws_lint.analysis.scopes', "
        "'netra_ws_lint.analysis.vocabulary', 'netra_ws_lint.report.baseline', "
        "'netra_ws_lint.report.formats', 'netra_ws_lint.fix')))\n"
        "print(heavy, file=sys.stderr)\n"
        "assert not heavy\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=generated
    )
    assert proc.returncode == 0, proc.stderr
    assert "NWS105" in proc.stdout
