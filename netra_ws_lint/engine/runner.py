"""Checking many files: the result cache, the prefilter and parallel workers.

:func:`check_targets` returns one :class:`~.engine.CheckResult` per target, in the
order of the targets, whatever the number of jobs: the output of a run does not depend
on ``--jobs``. Files whose cached result is valid are answered in the main process;
the others are checked in-process for small runs (a pre-commit hook's few files) or
spread over worker processes (``fork`` where available) in size-balanced chunks.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netra_ws_lint.analysis.project import (
    ProjectIndex,
    _valid_entry,
    clear_package_cache,
    index_source,
    module_name,
)
from netra_ws_lint.config import Settings
from netra_ws_lint.engine.cache import Cache
from netra_ws_lint.engine.pipeline import (
    SKIP_FILE_RE,
    SYNTAX_ERROR,
    CheckResult,
    DecodeError,
    RuleSet,
    check_source,
    decode_source,
    normalize_newlines,
    parse_source,
    read_source_bytes,
    select_findings,
)
from netra_ws_lint.engine.prefilter import Prefilter
from netra_ws_lint.model import Finding

# fewer files than this to check: no worker processes (starting them costs more)
MIN_PARALLEL_FILES = 16
CHUNKS_PER_JOB = 4


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Item:
    path: str
    display: str
    settings: int  # index into the run's settings list


class _Checker:
    """What a process needs to check files: the settings of the run, their rule sets
    and prefilters (built once per settings)."""

    def __init__(
        self,
        settings: Sequence[Settings],
        cache: Cache | None,
        prefilter: bool,
        project: ProjectIndex | None = None,
    ) -> None:
        self.settings = list(settings)
        self.cache = cache
        self.use_prefilter = prefilter
        self.project = project
        self._rule_sets: dict[int, RuleSet] = {}
        self._prefilters: dict[int, Prefilter] = {}
        self._reduced: dict[tuple[int, tuple[str, ...]], RuleSet] = {}

    def rule_set(self, i: int) -> RuleSet:
        rs = self._rule_sets.get(i)
        if rs is None:
            rs = self._rule_sets[i] = RuleSet.for_settings(self.settings[i])
        return rs

    def reduced_rule_set(self, i: int, codes: tuple[str, ...]) -> RuleSet:
        key = (i, codes)
        rs = self._reduced.get(key)
        if rs is None:
            keep = set(codes)
            rs = RuleSet(tuple(r for r in self.rule_set(i).rule_classes if r.code in keep))
            self._reduced[key] = rs
        return rs

    def prefilter(self, i: int) -> Prefilter:
        pf = self._prefilters.get(i)
        if pf is None:
            codes = [r.code for r in self.rule_set(i).rule_classes]
            extra = self.project.known_names if self.project is not None else ()
            pf = self._prefilters[i] = Prefilter(self.settings[i], codes, extra)
        return pf

    def cache_key(self, data: bytes, item: Item) -> str:
        assert self.cache is not None
        extra = self.project.digest if self.project is not None else ""
        return self.cache.key(data, item.display, self.settings[item.settings], extra)

    def lookup(self, item: Item) -> CheckResult | None:
        """The cached result of ``item``, or None."""
        if self.cache is None:
            return None
        try:
            data = read_source_bytes(Path(item.path))
        except OSError:
            return None
        findings = self.cache.get_findings(self.cache_key(data, item))
        if findings is None:
            return None
        source = None
        if findings:
            try:
                source = decode_source(data)
            except DecodeError:
                source = None
        return CheckResult(item.display, findings, source=source)

    # ------------------------------------------------------------ project index
    def index_key(self, data: bytes, item: Item) -> str:
        assert self.cache is not None
        module, package = module_name(Path(item.path))
        return self.cache.key(
            data, item.display, self.settings[item.settings], f"index {module} {package}"
        )

    def lookup_index(self, item: Item) -> dict[str, Any] | None:
        if self.cache is None:
            return None
        try:
            data = read_source_bytes(Path(item.path))
        except OSError:
            return None
        entry = self.cache.get_data("index", self.index_key(data, item))
        if isinstance(entry, dict) and entry.get("none") is True:
            return entry
        return entry if _valid_entry(entry) else None

    def index(self, item: Item) -> dict[str, Any] | None:
        try:
            data = read_source_bytes(Path(item.path))
        except OSError:
            return None
        entry = index_source(data, Path(item.path), item.display, self.settings[item.settings])
        if self.cache is not None:
            self.cache.put_data("index", self.index_key(data, item), entry or {"none": True})
        return entry

    def check(self, item: Item) -> CheckResult:
        try:
            data = read_source_bytes(Path(item.path))
        except OSError as exc:
            return CheckResult(item.display, skipped=f"cannot read: {exc.strerror or exc}")
        result = self._check_bytes(data, item.display, item.settings, item.path)
        if self.cache is not None:
            self.cache.put_findings(self.cache_key(data, item), result.findings)
        return result

    def _check_bytes(self, data: bytes, name: str, i: int, real_path: str) -> CheckResult:
        """As :func:`engine.check_bytes`, with the prefilter."""
        settings = self.settings[i]
        try:
            source = decode_source(data)
        except DecodeError as exc:
            if settings.is_enabled(SYNTAX_ERROR):
                return CheckResult(name, [Finding(1, 0, SYNTAX_ERROR, str(exc))])
            return CheckResult(name)
        findings = self._check_source(source, name, i, real_path)
        return CheckResult(name, findings, source=source if findings else None)

    def _check_source(self, source: str, name: str, i: int, real_path: str) -> list[Finding]:
        settings = self.settings[i]
        rule_set = self.rule_set(i)
        skip_walk = False
        if self.use_prefilter:
            # only the rules whose trigger words are in the file (the others cannot fire)
            pf = self.prefilter(i)
            active = pf.active(source)
            if len(active) != len(rule_set.rule_classes):
                rule_set = self.reduced_rule_set(i, active)
            skip_walk = not rule_set.rule_classes and not pf.always
        if skip_walk:
            source = normalize_newlines(source)
            if "skip-file" in source and SKIP_FILE_RE.search(source):
                return []
            if not settings.is_enabled(SYNTAX_ERROR) and "noqa" not in source.lower():
                return []
            tree = parse_source(source, name)  # only for NWS900 (and NWS902's noqa)
            findings = [tree] if isinstance(tree, Finding) else []
            return select_findings(findings, source, name, settings)
        if self.project is not None:
            return self.project.check_source(source, name, settings, rule_set, real_path)
        return check_source(source, name, settings, rule_set)


_WORKER: _Checker | None = None


def _init_worker(checker: _Checker) -> None:
    global _WORKER
    _WORKER = checker


def _index_chunk(chunk: list[tuple[int, Item]]) -> list[tuple[int, dict[str, Any] | None]]:
    assert _WORKER is not None
    return [(i, _WORKER.index(item)) for i, item in chunk]


def _check_chunk(chunk: list[tuple[int, Item]]) -> list[tuple[int, CheckResult]]:
    assert _WORKER is not None
    return [(i, _WORKER.check(item)) for i, item in chunk]


def _chunks(
    items: list[tuple[int, Item]], sizes: dict[int, int], n: int
) -> list[list[tuple[int, Item]]]:
    """``n`` chunks of about equal total size (largest files first, each to the
    lightest chunk); chunks are ordered so that the largest start first."""
    bins: list[list[tuple[int, Item]]] = [[] for _ in range(n)]
    weight = [0] * n
    for entry in sorted(items, key=lambda e: (-sizes.get(e[0], 0), e[0])):
        k = weight.index(min(weight))
        bins[k].append(entry)
        weight[k] += sizes.get(entry[0], 0) + 2048  # a per-file cost too
    return [b for b in bins if b]


def _pool_context() -> Any:
    import multiprocessing

    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def check_targets(
    targets: Sequence[tuple[Path, str, Settings]],
    jobs: int | None = None,
    cache: Cache | None = None,
    prefilter: bool = True,
    project: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[CheckResult]:
    """Check ``(path, display, settings)`` targets; results in the same order. With
    ``project``, an index of every target module is built first (see project.py).
    ``progress(phase, done, total)`` is told as files are done ("indexing", "checking")."""
    settings_index: dict[Settings, int] = {}
    items: list[Item] = []
    for path, display, settings in targets:
        k = settings_index.setdefault(settings, len(settings_index))
        items.append(Item(str(path), display, k))
    checker = _Checker(list(settings_index), cache, prefilter)
    clear_package_cache()  # packages are looked up afresh on each run
    jobs = default_jobs() if jobs is None or jobs <= 0 else jobs
    if project:
        entries, todo_index = _split_cached(items, checker.lookup_index)
        told = _teller(progress, "indexing", len(items), len(items) - len(todo_index))
        _run(checker, todo_index, jobs, entries, _index_chunk, checker.index, told)
        checker.project = ProjectIndex(
            (e for e in entries if e is not None and not e.get("none")), checker.settings[0]
        )
    results, todo = _split_cached(items, checker.lookup)
    told = _teller(progress, "checking", len(items), len(items) - len(todo))
    _run(checker, todo, jobs, results, _check_chunk, checker.check, told)
    return [r for r in results if r is not None]


def _teller(
    progress: Callable[[str, int, int], None] | None, phase: str, total: int, cached: int
) -> Callable[[int], None] | None:
    """``done(n)`` for :func:`_run`: tells ``progress`` the files done, cached ones too."""
    if progress is None:
        return None
    return lambda n: progress(phase, cached + n, total)


def _split_cached(
    items: list[Item], lookup: Callable[[Item], Any]
) -> tuple[list[Any], list[tuple[int, Item]]]:
    """Cached results in item order (None where missing), and the items still to do."""
    found: list[Any] = [None] * len(items)
    todo: list[tuple[int, Item]] = []
    for i, item in enumerate(items):
        hit = lookup(item)
        if hit is not None:
            found[i] = hit
        else:
            todo.append((i, item))
    return found, todo


def _run(
    checker: _Checker,
    todo: list[tuple[int, Item]],
    jobs: int,
    results: list[Any],
    chunk_fn: Callable[[list[tuple[int, Item]]], list[tuple[int, Any]]],
    one: Callable[[Item], Any],
    done: Callable[[int], None] | None = None,
) -> None:
    """``results[i] = one(item)`` for each ``(i, item)``: in this process for small
    runs, else by ``chunk_fn`` in worker processes. ``done(n)``: n items are done."""
    if jobs == 1 or len(todo) < MIN_PARALLEL_FILES:
        for n, (i, item) in enumerate(todo, 1):
            results[i] = one(item)
            if done is not None:
                done(n)
        return
    from concurrent.futures import ProcessPoolExecutor

    sizes: dict[int, int] = {}
    for i, item in todo:
        try:
            sizes[i] = os.stat(item.path).st_size
        except OSError:
            sizes[i] = 0
    workers = min(jobs, len(todo))
    chunks = _chunks(todo, sizes, workers * CHUNKS_PER_JOB)
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_pool_context(),
        initializer=_init_worker,
        initargs=(checker,),
    ) as pool:
        finished = 0
        for chunk in pool.map(chunk_fn, chunks):
            for i, result in chunk:
                results[i] = result
            finished += len(chunk)
            if done is not None:
                done(finished)
