"""Hostile and unlucky projects against the project model and its cache: the cache lands
at the checked project's root (not the working directory's), re-export chains resolve
in linear time, and the cache key covers the Python and library versions."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from netra_ws_lint.analysis.project import ProjectIndex
from netra_ws_lint.cli.main import main
from netra_ws_lint.config import Settings
from netra_ws_lint.engine import cache as cache_mod
from netra_ws_lint.engine.cache import Cache
from netra_ws_lint.engine.runner import check_targets


def _chain(n: int) -> list[dict[str, object]]:
    """m0 defines a function taking a user context; each m<i> re-exports m<i-1>'s."""
    entries: list[dict[str, object]] = [
        {
            "module": "m0",
            "package": False,
            "defs": {
                "make": {
                    "kind": "function",
                    "ctx": ["user_context", "pos", 0, False, False],
                    "singleton": False,
                }
            },
            "imports": {},
        }
    ]
    for i in range(1, n):
        entries.append(
            {"module": f"m{i}", "package": False, "defs": {}, "imports": {"make": f"m{i - 1}.make"}}
        )
    return entries


def test_reexport_chain_resolution_is_linear() -> None:
    """Item 10: 16k modules each re-exporting the next (65 s when quadratic)."""
    start = time.perf_counter()
    index = ProjectIndex(_chain(16_000))
    # every link of the chain, as 16k files each calling the name would ask
    found = [index.find(f"m{i}.make") for i in range(16_000)]
    elapsed = time.perf_counter() - start
    assert all(f is not None and f["ctx"][0] == "user_context" for f in found)
    assert index.known_names == frozenset({"make"})
    assert elapsed < 5, elapsed


def test_long_chain_found_end_to_end(tmp_path: Path) -> None:
    """A chain longer than any hop limit, checked from files: the call at its end is
    still reported (resolution has no fixed depth), and cycles end."""
    n = 60
    (tmp_path / "m0.py").write_text("def make(user_context):\n    return user_context\n")
    for i in range(1, n):
        (tmp_path / f"m{i}.py").write_text(f"from m{i - 1} import make\n")
    (tmp_path / "use.py").write_text(f"from m{n - 1} import make\n\ndef f(user_context):\n    return make()\n")
    (tmp_path / "cyc_a.py").write_text("from cyc_b import make\n")
    (tmp_path / "cyc_b.py").write_text("from cyc_a import make\n\ndef g(user_context):\n    return make()\n")
    targets = [(p, p.name, Settings(root=tmp_path)) for p in sorted(tmp_path.glob("*.py"))]
    results = {r.path: r for r in check_targets(targets, jobs=1, project=True)}
    assert [f.code for f in results["use.py"].findings] == ["NWS301"]
    assert results["cyc_b.py"].findings == []


def test_cache_lands_in_the_checked_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Item 7: `cd X && check /other/tree` writes the cache in /other/tree's root."""
    here = tmp_path / "here"
    here.mkdir()
    other = tmp_path / "other"
    (other / ".git").mkdir(parents=True)
    (other / "pkg").mkdir()
    (other / "pkg" / "a.py").write_text("def f(user_context):\n    pass\n")
    monkeypatch.chdir(here)
    assert main(["check", str(other / "pkg")]) == 0
    capsys.readouterr()
    assert (other / ".netra-ws-lint-cache" / "CACHEDIR.TAG").is_file()
    assert list(here.iterdir()) == []
    # a file named on its own: the same place
    shutil.rmtree(other / ".netra-ws-lint-cache")
    assert main(["check", str(other / "pkg" / "a.py")]) == 0
    assert (other / ".netra-ws-lint-cache" / "CACHEDIR.TAG").is_file()
    assert list(here.iterdir()) == []


def test_cache_key_covers_python_and_library_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 18: a result cached by another Python (or ast-grep-py / pathspec) is not
    served: `type A = int` is NWS900 before 3.12 and fine from 3.12 on."""
    src = tmp_path / "a.py"
    src.write_text("type A = int\n")
    store = Cache(tmp_path / "cache")
    targets = [(src, "a.py", Settings(root=tmp_path))]
    real = cache_mod.runtime_versions()
    assert {"python", "ast-grep-py", "pathspec"} <= set(real)
    first = check_targets(targets, jobs=1, cache=store)[0].findings
    key = cache_mod.tool_key()
    # a run of another Python: its entries do not match ours
    for changed in ({"python": "cpython 3.11.0"}, {"pathspec": "0.0"}, {"ast-grep-py": "0.0"}):
        monkeypatch.setattr(cache_mod, "_TOOL_KEY", None)
        monkeypatch.setattr(cache_mod, "runtime_versions", lambda c=changed: {**real, **c})
        assert cache_mod.tool_key() != key
    # a cache written under another version is never read back as ours
    monkeypatch.setattr(cache_mod, "runtime_versions", lambda: {**real, "python": "other"})
    monkeypatch.setattr(cache_mod, "_TOOL_KEY", None)
    check_targets(targets, jobs=1, cache=Cache(tmp_path / "cache"))
    (stored,) = (tmp_path / "cache" / "v2").glob("project-*.json")
    planted = json.loads(stored.read_text())
    for entry in planted["files"].values():
        entry["result"]["findings"] = []
    stored.write_text(json.dumps(planted))
    monkeypatch.setattr(cache_mod, "runtime_versions", lambda: real)
    monkeypatch.setattr(cache_mod, "_TOOL_KEY", None)
    store = Cache(tmp_path / "cache")
    assert check_targets(targets, jobs=1, cache=store)[0].findings == first


def test_the_cache_key_covers_every_source_file_of_the_tool() -> None:
    """An edited rule (or analysis module) invalidates cached results: the key covers
    the whole package, not only the engine."""
    import os

    import netra_ws_lint
    from netra_ws_lint.engine import cache

    rule_file = Path(netra_ws_lint.__file__).parent / "rules" / "base.py"
    st = rule_file.stat()
    cache._TOOL_KEY = None
    before = cache.tool_key()
    try:
        os.utime(rule_file, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        cache._TOOL_KEY = None
        assert cache.tool_key() != before
    finally:
        os.utime(rule_file, ns=(st.st_atime_ns, st.st_mtime_ns))
        cache._TOOL_KEY = None
    assert cache.tool_key() == before
