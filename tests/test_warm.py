"""A warm run is a lookup: named files after ``check .`` come from the cache whatever
the working directory, the joined project is not rebuilt for the same facts, and the
helpers that make the lookup cheap (real paths, module names) agree with the slow
definitions they replace."""

from __future__ import annotations

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
from netra_ws_lint.engine.cache import Cache
from netra_ws_lint.engine.fsutil import clear_real_paths, real_path, resolved


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    main(list(argv))
    return capsys.readouterr().out


def _counters(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count what a run does that a lookup must not: parses, fact extractions, joins,
    reading cached facts."""
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
    monkeypatch.setattr(Cache, "get_facts", counting("facts read", Cache.get_facts))
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
    assert seen["join"] == 1 and seen["facts read"] > 0
    assert seen["parse"] == 1 and seen["check"] <= 2  # (without, then with the project)
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
    main(["check", "-j", "1", "--exit-zero", "--statistics", "."])
    code = (
        "import sys\n"
        "from netra_ws_lint.cli.main import main\n"
        "main(['check', '-j', '1', '--exit-zero', '--statistics', '.'])\n"
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
    assert "NWS105  singleton-getter-call" in proc.stdout


def _ignored_before(gi: Any, path: Path, is_dir: bool) -> bool:
    """GitIgnores.ignored as it was written before its chains were remembered."""
    resolved_path = path.absolute()
    directory = resolved_path.parent
    root = gi._root(directory)
    if root is None:
        cwd = Path.cwd()
        root = cwd if cwd in resolved_path.parents else directory
    while True:
        spec = gi._spec(directory)
        if spec is not None:
            rel = resolved_path.relative_to(directory).as_posix() + ("/" if is_dir else "")
            if spec.match_file(rel):
                return True
        if directory == root or directory.parent == directory:
            return False
        directory = directory.parent


@pytest.mark.parametrize("repository", [True, False])
def test_gitignore_chains_ignore_what_the_walk_up_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, repository: bool
) -> None:
    from netra_ws_lint.engine.discovery import GitIgnores

    top = tmp_path / "top"
    files = [
        "a.py",
        "a.log",
        "keep.log",
        "build/x.py",
        "src/pkg/m.py",
        "src/pkg/gen_m.py",
        "src/pkg/deep/gen_x.py",
        "src/other/n.py",
        "src/other/skip/y.py",
        "docs/conf.py",
    ]
    for f in files:
        (top / f).parent.mkdir(parents=True, exist_ok=True)
        (top / f).write_text("")
    if repository:
        (top / ".git").mkdir()
    (top / ".gitignore").write_text("*.log\n!keep.log\nbuild/\n/docs/\n")
    (top / "src" / ".gitignore").write_text("gen_*.py\n")
    (top / "src" / "other" / ".gitignore").write_text("skip/\n!n.py\n")
    every = [p for p in top.rglob("*") if ".git" not in p.parts]
    for cwd in (top, top / "src", tmp_path):
        monkeypatch.chdir(cwd)
        ours, theirs = GitIgnores(), GitIgnores()
        for p in every:
            for given in (p, Path(os.path.relpath(p))):
                assert ours.ignored(given, p.is_dir()) == _ignored_before(
                    theirs, given, p.is_dir()
                ), (cwd, given)
    monkeypatch.chdir(top)
    gi = GitIgnores()
    assert gi.ignored(top / "a.log", False) and not gi.ignored(top / "keep.log", False)
    assert gi.ignored(top / "src" / "pkg" / "deep" / "gen_x.py", False)
    assert gi.ignored(top / "build", True) and not gi.ignored(top / "src" / "pkg", True)


@pytest.mark.parametrize(
    "patterns",
    [
        None,  # the default exclude list
        ["build/", "docs/**/*.md", "/top.py", "a?c", "[ab]x", "# a comment", ""],
        ["**/tests/", "x/**", "*.egg-info/", "deep/*/leaf", "a*b*c", "*t*s*/"],
        ["*.py", "!keep.py"],  # a negation: the general loop
    ],
)
def test_a_spec_without_negations_matches_as_pathspec_does(patterns: list[str] | None) -> None:
    import pathspec

    from netra_ws_lint.config import DEFAULT_EXCLUDE
    from netra_ws_lint.engine.globs import _LinearPattern, glob_spec

    lines = list(DEFAULT_EXCLUDE) if patterns is None else patterns
    ours = glob_spec(lines)
    reference = pathspec.GitIgnoreSpec.from_lines(lines, _LinearPattern)
    names = [
        "a/b/c.py",
        "build",
        "build/",
        "x/build/y.py",
        "keep.py",
        "docs/a/b.md",
        "top.py",
        "s/top.py",
        "abc",
        "a/bx",
        "tests/",
        "q/tests/",
        "q/tests/x.py",
        "x/",
        "x/y",
        "p.egg-info/",
        "v/.git/",
        ".venv/",
        "node_modules/a.js",
        "./build/x.py",
        "/abs/build/y",
        "deep/a/leaf",
        "deep/a/b/leaf",
        "aXbYc",
        "q/abc",
        "ab",
        "acb",
        "tests/x.py",
        "xtxsx/y.py",
        "ts",
        "venv",
        "src/venv/x.py",
    ]
    for name in names:
        assert ours.match_file(name) == reference.match_file(name), name
    assert (ours._plain is None) == (patterns is not None and "!keep.py" in patterns)


def test_check_dot_after_a_hook_run_reads_the_cached_facts_it_needs(
    generated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hook run on a fresh clone caches every file's facts and the project's digests,
    but the findings of the named files only: ``check .`` then checks the others
    against the project made from the cached facts (read then, not extracted)."""
    fresh = run(capsys, "check", "--no-cache", "-j", "1", ".")
    run(capsys, "check", "-j", "1", *NAMED)
    seen = _counters(monkeypatch)
    assert run(capsys, "check", "-j", "1", ".") == fresh
    assert seen["facts"] == 0 and seen["facts read"] == len(list(generated.rglob("*.py")))
    assert seen["join"] == 1 and seen["check"] == len(list(generated.rglob("*.py"))) - len(NAMED)
    assert run(capsys, "check", "-j", "2", "--no-cache", ".") == fresh


def test_the_rule_names_table_is_the_rules_own_names() -> None:
    from netra_ws_lint.report.rule_names import RULE_NAMES
    from netra_ws_lint.rules.base import all_rules

    names = {code: rule.name for code, rule in all_rules().items()}
    missing = {c: n for c, n in names.items() if RULE_NAMES.get(c) != n}
    assert not missing, f"add to report/rule_names.py: {missing}"
    assert set(RULE_NAMES) <= set(names)


def test_discovery_by_directory_finds_what_it_found_path_by_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walk works out a directory's relative path and display once for its files:
    the same targets, displays, settings and problems as working each out per file,
    through links, a directory outside the configuration root, odd names."""
    from netra_ws_lint.engine import discovery

    root = tmp_path / "proj"
    for f in ["a.py", "..odd.py", "pkg/m.py", "pkg/sub/n.py", "build/x.py", "vendor/v.py"]:
        (root / f).parent.mkdir(parents=True, exist_ok=True)
        (root / f).write_text("x = 1\n")
    (root / "pyproject.toml").write_text(
        '[tool.netra-ws-lint]\nextend-exclude = ["pkg/sub/", "/pkg/m.py"]\n'
    )
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "o.py").write_text("")
    (root / "linked").symlink_to(outside)
    (root / "pkg" / "alias.py").symlink_to(root / "a.py")
    (root / "broken.py").symlink_to(root / "nowhere.py")
    os.mkfifo(root / "fifo.py")

    def found(paths: list[str]) -> Any:
        targets, problems = discovery.discover(paths, respect_gitignore=True)
        return [(str(t.path), t.display, t.settings) for t in targets], problems

    for cwd, paths in (
        (root, ["."]),
        (root / "pkg", [".", "../linked", str(root / "vendor")]),
        (tmp_path, ["proj", "outside"]),
        (outside, [str(root), "../proj/pkg/../a.py"]),
    ):
        monkeypatch.chdir(cwd)
        fast = found(paths)
        monkeypatch.setattr(discovery, "_PREFIXES", False)
        slow = found(paths)
        monkeypatch.setattr(discovery, "_PREFIXES", True)
        assert fast == slow and fast[0], (cwd, paths)
