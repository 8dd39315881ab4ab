"""Checking many files: the project model, the caches, the prefilter and parallel workers.

:func:`check_targets` returns one :class:`~.pipeline.CheckResult` per target, in the
order of the targets, whatever the number of jobs: the output of a run does not depend
on ``--jobs``. Every file goes through :func:`.pipeline.check`.

In project mode (the default) a run has two steps:

1. The facts of every module of the project (the targets and the other files of their
   project roots): from the cache, else extracted from the file's tree (from its import
   lines alone when it can define nothing of interest). No rule runs in this step.
2. :class:`~.analysis.project.ProjectIndex` joins them; each target is checked once:
   with the project when one of its identifiers is a name the project knows, else
   without it (the same result either way; cached without the project's digest in its
   key). A small in-process run checks each target from the text and tree step 1 read.

Files whose cached result is valid are answered in the main process; the others are
checked in-process for small runs (a pre-commit hook's few files) or spread over worker
processes (``fork`` where available) in size-balanced chunks.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import hashlib
import os
import stat
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netra_ws_lint.analysis.project import ModuleId, ProjectIndex, clear_package_cache
from netra_ws_lint.config import Settings
from netra_ws_lint.engine.cache import Cache, FileState
from netra_ws_lint.engine.facts import (
    facts_from_source,
    facts_from_tree,
    imports_entry,
    needs_tree,
    valid_facts,
)
from netra_ws_lint.engine.fsutil import absolute_path, clear_real_paths, real_path
from netra_ws_lint.engine.source import (
    CheckResult,
    DecodeError,
    decode_source,
    identifiers,
    normalize_newlines,
    read_source_bytes,
)

if TYPE_CHECKING:
    from netra_ws_lint.engine.discovery import Walk
    from netra_ws_lint.engine.pipeline import RuleSet, check
    from netra_ws_lint.engine.prefilter import Prefilter
    from netra_ws_lint.engine.walker import parse_source
else:
    # The analysis (the parser, the rules, the prefilter's words) is imported when a file
    # is first parsed or checked: a warm run, answered from the cache, never imports it.
    # These stand in for the imported names (and can be replaced as those could).

    def check(*args, **kwargs):
        from netra_ws_lint.engine.pipeline import check

        return check(*args, **kwargs)

    def parse_source(source, path):
        from netra_ws_lint.engine.walker import parse_source

        return parse_source(source, path)

    def Prefilter(*args, **kwargs):
        from netra_ws_lint.engine.prefilter import Prefilter

        return Prefilter(*args, **kwargs)

    class RuleSet:
        @staticmethod
        def for_settings(settings):
            from netra_ws_lint.engine.pipeline import RuleSet

            return RuleSet.for_settings(settings)


# fewer files than this to check: no worker processes (starting them costs more)
MIN_PARALLEL_FILES = 16
CHUNKS_PER_JOB = 4
MAX_CHUNK_FILES = 250  # what a worker holds before it hands its results over


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass
class Extracted:
    """What :meth:`_Checker.extract` found of one file: its facts, the result of a
    target that could not be read or decoded (it needs no other check) and the digest
    of its bytes."""

    facts: dict[str, Any] | None
    local: CheckResult | None
    sha: str | None


@dataclass(frozen=True)
class Item:
    path: str
    display: str
    settings: int  # index into the run's settings list
    root: str | None  # the project root (None: checked on its own)
    checked: bool = True  # False: only its facts are needed
    real: str = ""  # its real path


def uses_project(source: str, project: ProjectIndex) -> bool:
    """Some identifier of ``source`` is a name the project knows: its findings may
    depend on other modules (every cross-module lookup starts from such a name). In a
    project served over ASGI, thread-local state anywhere depends on it (NWS208)."""
    if project.asgi and "local" in source:
        return True
    if not project.known_names:
        return False
    if not source.isascii():
        source = unicodedata.normalize("NFKC", source)
    return not project.known_names.isdisjoint(identifiers(source))


class _Checker:
    """What a process needs to check files: the settings of the run, their rule sets
    and prefilters (built once per settings and project), the projects, and (in the
    main process) the cache and what it knows of each file."""

    def __init__(self, settings: Sequence[Settings], cache: Cache | None, prefilter: bool) -> None:
        self.settings = list(settings)
        self.cache = cache
        self.use_prefilter = prefilter
        self.projects: dict[str, ProjectIndex] = {}
        self._rule_sets: dict[int, RuleSet] = {}
        self._prefilters: dict[tuple[int, str | None], Prefilter] = {}
        self._modules: dict[tuple[str, str | None, int], ModuleId] = {}
        self._facts_keys: dict[Item, str] = {}
        self.states: dict[str, FileState | None] = {}  # path -> what the cache knows
        # project root -> its index digests and files, from a snapshot that holds
        self.known: dict[str, tuple[str, str, frozenset[str]]] = {}
        # target path -> (bytes, text, tree) read (and parsed when its facts needed
        # the tree) in step 1: its check starts from them
        self.parsed: dict[str, tuple[bytes, str, ast.Module | None]] = {}
        self._kept_bytes = self._tree_bytes = 0
        self.keep_trees = True  # False in a worker process (nothing outlives a chunk there)

    def rule_set(self, i: int) -> RuleSet:
        rs = self._rule_sets.get(i)
        if rs is None:
            rs = self._rule_sets[i] = RuleSet.for_settings(self.settings[i])
        return rs

    def prefilter(self, i: int, root: str | None) -> Prefilter | None:
        if not self.use_prefilter:
            return None
        pf = self._prefilters.get((i, root))
        if pf is None:
            codes = [r.code for r in self.rule_set(i).rule_classes]
            project = self.projects.get(root) if root is not None else None
            extra = project.known_names if project is not None else ()
            pf = self._prefilters[(i, root)] = Prefilter(self.settings[i], codes, extra)
        return pf

    def module(self, item: Item) -> ModuleId:
        key = (item.path, item.root, item.settings)
        found = self._modules.get(key)
        if found is None:
            found = ModuleId.of(item.path, item.root, self.settings[item.settings])
            self._modules[key] = found
        return found

    # ------------------------------------------------------------ the cache
    def state(self, item: Item) -> FileState | None:
        """What the cache knows of ``item`` (stat first: its content is read only
        when size or mtime differ from its entry's); None without a cache or for
        a file that is not a regular file."""
        if self.cache is None:
            return None
        if item.path in self.states:
            return self.states[item.path]
        found: FileState | None = None
        try:
            st = os.stat(item.path)
        except OSError:
            st = None
        if st is not None and stat.S_ISREG(st.st_mode):
            found = self.cache.state(
                item.root or "", absolute_path(item.path), st, lambda: _read(item.path)
            )
        self.states[item.path] = found
        return found

    def facts_key(self, item: Item) -> str:
        assert self.cache is not None
        found = self._facts_keys.get(item)
        if found is None:
            found = self._facts_keys[item] = self.cache.key(
                absolute_path(item.path),
                self.settings[item.settings],
                item.real,
                f"facts {item.root} {self.module(item).key()}",
            )
        return found

    def result_key(self, item: Item) -> str:
        """The key of ``item``'s findings: its absolute path, not how it is shown (the
        findings depend on where it is, not on the working directory a run has, so
        ``check .`` and a hook naming the file share them)."""
        assert self.cache is not None
        return self.cache.key(absolute_path(item.path), self.settings[item.settings], item.real)

    def names_digest(self, root: str) -> str:
        return self.projects[root].names_digest

    def join(self, root: str, found: Sequence[tuple[Item, dict[str, Any] | None]]) -> ProjectIndex:
        """The project of ``root`` joined from the facts its items were ``found`` to have
        (see :meth:`facts`), in the order of their paths: the same project whichever
        files a run names first. Its digests come from the cache when it was last joined
        from the same inputs (each file's facts key and content digest: the facts are
        a function of them), so a warm run never joins it."""
        ordered = sorted(found, key=lambda pair: absolute_path(pair[0].path))
        entries = [f for _, f in ordered if f is not None]
        first = next(it for it, f in ordered if f is not None)
        settings = self.settings[first.settings]
        inputs = self._index_inputs([it for it, _ in ordered])
        if self.cache is None or inputs is None:
            return ProjectIndex(entries, settings)
        known = self.cache.get_index(root, inputs)
        if known is not None:
            return ProjectIndex(entries, settings, digest=known[0], names_digest=known[1])
        project = ProjectIndex(entries, settings)
        self.cache.put_index(root, inputs, project.digest, project.names_digest)
        return project

    def warm_projects(self, items: Sequence[Item]) -> bool:
        """Step 1 of a warm run: when every file of every project is unchanged, its
        facts are cached under the same key, and the cache knows each project's
        digests for exactly these inputs, the projects are made from them and their
        facts are read only if a file has to be checked (True). Else nothing is set
        (False) and the facts are gathered one by one."""
        if self.cache is None or not items:
            return False
        by_root: dict[str, list[Item]] = {}
        for it in items:
            if it.root is None:
                return False
            by_root.setdefault(it.root, []).append(it)
        projects: dict[str, ProjectIndex] = {}
        for root, found in by_root.items():
            ordered = sorted(found, key=lambda it: absolute_path(it.path))
            if len({it.settings for it in ordered}) != 1:
                return False  # which settings the project takes depends on the facts
            snap = self.known.get(root)
            known: tuple[str, str] | None = None
            if snap is not None and {absolute_path(it.path) for it in ordered} == snap[2]:
                # its snapshot holds: the same files, unchanged, so the same facts
                # keys and contents, hence the same digests (no key made, no stat)
                known = snap[0], snap[1]
                for it in ordered:
                    self.cache.keep_path(root, absolute_path(it.path))
            else:
                for it in ordered:
                    state = self.state(it)
                    if state is None or not self.cache.has_facts(state, self.facts_key(it)):
                        return False
                inputs = self._index_inputs(ordered)
                known = self.cache.get_index(root, inputs) if inputs is not None else None
            if known is None:
                return False

            def entries(ordered: list[Item] = ordered) -> list[dict[str, Any]]:
                return [f for f in map(self._facts_of, ordered) if f is not None]

            settings = self.settings[ordered[0].settings]
            projects[root] = ProjectIndex(entries, settings, digest=known[0], names_digest=known[1])
        for it in items:
            state = self.states.get(it.path)
            if state is not None:
                self.cache.keep(it.root or "", absolute_path(it.path), state)
        self.projects = projects
        self._prefilters.clear()
        return True

    def _facts_of(self, item: Item) -> dict[str, Any] | None:
        """``item``'s facts: cached, else (a cache entry that does not hold) extracted
        here, the file not checked."""
        hit, found = self.cached_facts(item)
        if hit:
            return found
        extracted = self.extract(dataclasses.replace(item, checked=False))
        self.put_facts(item, extracted)
        return extracted.facts

    def _index_inputs(self, items: Sequence[Item]) -> str | None:
        """A digest of what the facts of ``items`` are made from, or None when a file's
        content is not known (unreadable, not a regular file)."""
        h = hashlib.sha256()
        for it in items:
            state = self.states.get(it.path)
            if state is None or state.sha is None:
                return None
            h.update(f"{self.facts_key(it)} {state.sha}\n".encode())
        return h.hexdigest()

    # ------------------------------------------------------------ facts (step 1)
    def cached_facts(self, item: Item) -> tuple[bool, dict[str, Any] | None]:
        """``(True, facts)`` when the cache holds ``item``'s facts (None: it has
        none), else ``(False, None)``."""
        state = self.state(item)
        if self.cache is None or state is None:
            return False, None
        hit = self.cache.get_facts(state, self.facts_key(item))
        if isinstance(hit, dict) and hit.get("none") is True:
            hit = None
        elif not valid_facts(hit):
            return False, None
        self.cache.keep(item.root or "", os.path.abspath(item.path), state)
        return True, hit

    def extract(self, item: Item) -> Extracted:
        """Read ``item`` once and take its facts from its tree (from its text alone
        when it can define nothing of interest); a target's text and tree are kept for
        its check (step 2) when this is not a worker. Only a target that cannot be
        decoded is checked here (its result is the decoding error). Runs in a worker.

        (Checking every target here too, without the project, and keeping that result
        for the files that name nothing the project knows, cost more than it saved:
        nearly every file names something a real project knows, so nearly every
        rule walk was done twice.)"""
        try:
            data = read_source_bytes(Path(item.path))
        except OSError as exc:
            skipped = CheckResult(item.display, skipped=f"cannot read: {exc.strerror or exc}")
            return Extracted(None, skipped if item.checked else None, None)
        sha = hashlib.sha256(data).hexdigest()
        settings = self.settings[item.settings]
        module = self.module(item)
        try:
            source = decode_source(data)
        except DecodeError:
            local = self._local(item, data=data) if item.checked else None
            return Extracted(None, local, sha)
        tree: ast.Module | None = None
        if not needs_tree(source, settings):
            facts: dict[str, Any] | None = imports_entry(source, module)
        else:
            parsed = parse_source(source, item.path)
            tree = parsed if isinstance(parsed, ast.Module) else None
            facts = None
            if tree is not None:
                with contextlib.suppress(RecursionError, MemoryError):
                    facts = facts_from_tree(tree, source, item.path, module, settings)
        if not item.checked:
            return Extracted(facts, None, sha)
        # kept for its check (not in a worker)
        if self.keep_trees and self._kept_bytes + len(data) <= MAX_KEPT_BYTES:
            if tree is not None and self._tree_bytes + len(data) <= MAX_KEPT_TREE_BYTES:
                self._tree_bytes += len(data)
            else:
                tree = None  # parsed again by its check: a tree is ~20x its source
            self.parsed[item.path] = (data, source, tree)
            self._kept_bytes += len(data)
        return Extracted(facts, None, sha)

    def _local(
        self,
        item: Item,
        data: bytes | None = None,
        source: str | None = None,
        tree: ast.Module | None = None,
    ) -> CheckResult:
        """``item`` checked without its project, with its facts."""
        return check(
            item.display,
            self.settings[item.settings],
            data=data,
            source=source,
            tree=tree,
            rule_set=self.rule_set(item.settings),
            prefilter=self.prefilter(item.settings, None),
            module=self.module(item),
            facts=True,
        )

    def put_facts(self, item: Item, found: Extracted) -> None:
        """Cache what :meth:`extract` found of ``item`` (in the main process)."""
        state = self.state(item)
        if self.cache is not None and state is not None and found.sha is not None:
            state.sha = found.sha
            self.cache.put_facts(
                item.root or "",
                os.path.abspath(item.path),
                state,
                self.facts_key(item),
                found.facts or {"none": True},
            )

    # ------------------------------------------------------------ results (step 2)
    def project_of(self, item: Item) -> ProjectIndex | None:
        return self.projects.get(item.root) if item.root is not None else None

    def lookup(self, item: Item, known: tuple[str, str] | None = None) -> CheckResult | None:
        """The cached result of ``item``, when it still holds (see
        :meth:`.Cache.put_findings`), or None. ``known``: the digests (of the facts, of
        the names) of its project, whose facts are not at hand: a result that depends
        on other names than the project's is not looked at again."""
        state = self.state(item)
        if self.cache is None or state is None:
            return None
        hit = self.cache.get_findings(state, self.result_key(item))
        if hit is None:
            return None
        findings, dep = hit
        project = self.project_of(item)
        source: str | None = None
        if known is not None:
            ok = dep in ("P" + known[0], "L" + known[1])
        elif project is None:
            ok = dep == "N"
        elif dep == "P" + project.digest:
            ok = True
        elif dep.startswith("L"):
            ok = dep == "L" + self.names_digest(str(item.root))
            if not ok:  # the project knows other names: is one of them in the file?
                source = _decode(item.path)
                ok = source is not None and not uses_project(source, project)
                if ok:
                    self.cache.put_findings(
                        item.root or "",
                        absolute_path(item.path),
                        state,
                        self.result_key(item),
                        "L" + self.names_digest(str(item.root)),
                        findings,
                    )
        else:
            ok = False
        if not ok:
            return None
        self.cache.keep(item.root or "", absolute_path(item.path), state)
        if findings and source is None:
            source = _decode(item.path)
        return CheckResult(item.display, findings, source=source)

    def check(self, item: Item) -> tuple[CheckResult, str, str | None]:
        """Check ``item``: against its project when one of the names the project knows
        is in it (else its findings are the same without it). Returns the result, what
        it depends on (see :meth:`.Cache.put_findings`) and the digest of the bytes
        checked."""
        kept = self.parsed.pop(item.path, None)
        source: str | None = None
        tree: ast.Module | None = None
        if kept is not None:
            data, source, tree = kept
        else:
            try:
                data = read_source_bytes(Path(item.path))
            except OSError as exc:
                skipped = f"cannot read: {exc.strerror or exc}"
                return CheckResult(item.display, skipped=skipped), "", None
        project = self.project_of(item)
        dep = "N"
        if project is not None:
            text = source
            if text is None:
                with contextlib.suppress(DecodeError):
                    text = decode_source(data)
            if text is not None and uses_project(text, project):
                dep = "P" + project.digest
            else:
                dep = "L" + self.names_digest(str(item.root))
                project = None
        result = check(
            item.display,
            self.settings[item.settings],
            data=data if source is None else None,
            source=source,
            tree=tree,
            rule_set=self.rule_set(item.settings),
            prefilter=self.prefilter(item.settings, item.root if project is not None else None),
            project=project,
            module=self.module(item),
        )
        return result, dep, hashlib.sha256(data).hexdigest()

    def store(self, item: Item, checked: tuple[CheckResult, str, str | None]) -> CheckResult:
        """Cache a result of :meth:`check` (in the main process); the result."""
        result, dep, sha = checked
        state = self.state(item)
        if self.cache is not None and state is not None and sha is not None and dep:
            state.sha = sha
            self.cache.put_findings(
                item.root or "",
                os.path.abspath(item.path),
                state,
                self.result_key(item),
                dep,
                result.findings,
            )
        return result


# a walk does not vouch for times this close to its start (nanoseconds): a change made
# within the same tick of the file system's clock would not show in them
RACY_NS = 2_000_000_000

# the bytes of source a run keeps read between the facts and the check of the targets
# (beyond them a target is read again: memory stays bounded)
MAX_KEPT_BYTES = 32 * 1024 * 1024
# and the source bytes whose trees it keeps (a tree takes about 20 times its source)
MAX_KEPT_TREE_BYTES = 4 * 1024 * 1024


def _read(path: str) -> bytes | None:
    try:
        return read_source_bytes(Path(path))
    except OSError:
        return None


def _decode(path: str) -> str | None:
    data = _read(path)
    if data is None:
        return None
    try:
        return decode_source(data)
    except DecodeError:
        return None


def tune_gc() -> None:
    """For a one-shot command, before its files are checked: what is alive now (the
    imported modules; in worker processes forked later too) is frozen out of the cyclic
    collector's sight, and its young generations are collected less often. The trees
    and analyses of a file hold no reference cycles, so they are freed as soon as the
    file is done, and memory does not grow for it (tests/test_speed.py)."""
    import gc

    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def _return_free_memory() -> None:
    """Before forking workers: give the heap's free pages back to the system (glibc's
    ``malloc_trim``), so the workers do not start with the memory the main process
    freed (the sources and results of step 1): peak memory of a 20,000-module run
    305 -> 289 MB. Elsewhere (no glibc) nothing is done."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    # musl and other C libraries have no malloc_trim
    with contextlib.suppress(AttributeError, OSError):
        ctypes.CDLL(None).malloc_trim(0)


_WORKER: _Checker | None = None


def _init_worker(checker: _Checker) -> None:
    global _WORKER
    checker.keep_trees = False
    _WORKER = checker


def _check_chunk(
    chunk: list[tuple[int, Item]],
) -> list[tuple[int, tuple[CheckResult, str, str | None]]]:
    assert _WORKER is not None
    return [(i, _WORKER.check(item)) for i, item in chunk]


def _extract_chunk(chunk: list[tuple[int, Item]]) -> list[tuple[int, Extracted]]:
    assert _WORKER is not None
    return [(i, _WORKER.extract(item)) for i, item in chunk]


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


Target = tuple[Path, str, Settings]


class Run:
    """One run's checking: its settings, cache, prefilter, jobs and projects. After
    :meth:`check`, :meth:`recheck` checks a file's new text (a fix pass, the re-check
    after ``--fix``, ``migrate``) exactly as :meth:`check` checked the file."""

    def __init__(
        self,
        cache: Cache | None = None,
        prefilter: bool = True,
        jobs: int | None = None,
        project: bool = False,
        root_of: Callable[[Path, Settings], Path | None] | None = None,
    ) -> None:
        self.cache = cache
        self.jobs = default_jobs() if jobs is None or jobs <= 0 else jobs
        self.project = project
        self.root_of = root_of
        self.checker = _Checker([], cache, prefilter)
        self._settings: dict[Settings, int] = {}
        self._last_settings: tuple[Settings, int] | None = None
        self._items: dict[str, Item] = {}
        # project root -> the walk that found its files (its snapshot is saved)
        self.walks: dict[str, Walk] = {}
        # project root -> its index digests and files, from a snapshot that still holds
        # (see plan_run): the named files are answered from the cache without the walk
        self.fast: dict[str, tuple[str, str, frozenset[str]]] = {}
        # the files of those projects, walked if the cache cannot answer
        self.deferred: list[Callable[[], list[Target]]] = []
        # after a check answered from snapshots: their projects, made when a file is
        # checked again (see recheck)
        self._pending: tuple[dict[str, tuple[str, str, frozenset[str]]], list[Any]] | None = None

    def _item(
        self, path: Path, display: str, settings: Settings, checked: bool, real: str = ""
    ) -> Item:
        """The run's item for a file (``real``: its real path, when known)."""
        # by identity first: hashing a Settings costs more than the rest of an item
        same = self._last_settings
        if same is not None and same[0] is settings:
            k = same[1]
        else:
            k = self._settings.setdefault(settings, len(self._settings))
            self._last_settings = (settings, k)
        if k == len(self.checker.settings):
            self.checker.settings.append(settings)
        root = None
        if self.project and self.root_of is not None:
            found = self.root_of(path, settings)
            root = str(found) if found is not None else None
        real = real or real_path(path)
        item = Item(str(path), display, k, root, checked, real)
        self._items.setdefault(real, item)
        return item

    def check(
        self,
        targets: Sequence[Target],
        others: Sequence[Target] = (),
        progress: Callable[[str, int, int], None] | None = None,
    ) -> list[CheckResult]:
        """Check ``(path, display, settings)`` targets; results in the same order. In
        project mode names resolve against the facts of the targets and of ``others``
        (the rest of their projects). ``progress(phase, done, total)`` is told as files
        are done ("indexing": their facts, "checking")."""
        if self.project and self.root_of is None:
            common = _common_directory([p for p, _, _ in targets])
            self.root_of = lambda _p, _s: common
        reals = [real_path(p) for p, _, _ in targets]
        items = [self._item(p, d, s, True, r) for (p, d, s), r in zip(targets, reals)]
        checker = self.checker
        clear_package_cache()  # packages are looked up afresh on each run
        checker.states.clear()  # and files are looked at afresh (a long-lived process)
        if self.fast:
            answered = self._answer_fast(items)
            if answered is not None:
                self._settle_fast(answered)
                return answered
            others = [*others, *(t for later in self.deferred for t in later())]
            if checker.cache is not None:
                for root, snap in self.fast.items():
                    checker.cache.full(root)
                    checker.known[root] = snap
            checker.states.clear()
            self.fast.clear()
            self.deferred.clear()
        if not self.project:
            results: list[Any] = [checker.lookup(it) for it in items]
            todo = [(i, it) for i, it in enumerate(items) if results[i] is None]
            told = _teller(progress, "checking", len(items), len(items) - len(todo))
            _run(checker, todo, self.jobs, results, _check_chunk, checker.check, told)
            for i, it in todo:
                results[i] = checker.store(it, results[i])
            if checker.cache is not None:
                checker.cache.save([])
            return [r for r in results if r is not None]
        seen = set(reals)
        every = list(items)
        for p, d, s in others:
            real = real_path(p)
            if real not in seen:
                seen.add(real)
                every.append(self._item(p, d, s, False, real))
        fresh = _build_projects(checker, every, self.jobs, progress)
        # a target read in step 1 is checked now (one that could not be read or decoded
        # has its result from step 1)
        results = [None] * len(items)
        todo = []
        for i, it in enumerate(items):
            found = fresh.get(i)
            if found is None:
                results[i] = checker.lookup(it)
            elif found.local is not None:
                project = checker.project_of(it)
                if found.sha is None:  # unreadable: not cached
                    results[i] = (found.local, "", None)
                else:
                    dep = "N" if project is None else "L" + checker.names_digest(str(it.root))
                    results[i] = (found.local, dep, found.sha)
            if results[i] is None:
                todo.append((i, it))
            else:
                checker.parsed.pop(it.path, None)
        fresh.clear()
        told = _teller(progress, "checking", len(items), len(items) - len(todo))
        if todo:  # joined here, once, not in each worker process
            for project in checker.projects.values():
                project.join()
        _run(checker, todo, self.jobs, results, _check_chunk, checker.check, told)
        for i, it in enumerate(items):
            if isinstance(results[i], tuple):
                results[i] = checker.store(it, results[i])
        checker.parsed.clear()
        if checker.cache is not None:
            self._snapshots(every)
            self.walks.clear()
            checker.cache.save(sorted({it.root for it in every if it.root is not None}))
        checker.known.clear()
        return [r for r in results if r is not None]

    def answer(self, targets: Sequence[Target]) -> list[CheckResult] | None:
        """The results of ``targets`` when the cache answers every one of them with the
        project digests of a snapshot that still holds (:attr:`fast`, see
        :func:`plan_snapshot`), or None: nothing is kept, and the caller checks them
        another way (a new run, after a walk)."""
        items = [self._item(p, d, s, True) for p, d, s in targets]
        clear_package_cache()
        self.checker.states.clear()
        answered = self._answer_fast(items)
        self._settle_fast(answered)
        return answered

    def _settle_fast(self, answered: list[CheckResult] | None) -> None:
        """The snapshots are used up: kept aside when they answered (a later check of
        the same run, such as a fix pass, still walks their projects), else dropped."""
        if answered is not None:
            self._pending = (dict(self.fast), list(self.deferred))
        self.fast.clear()
        self.deferred.clear()

    def _answer_fast(self, items: Sequence[Item]) -> list[CheckResult] | None:
        """Every target answered from the cache, its project's digests from a snapshot
        that still holds (see :meth:`.Cache.snapshot`), or None (nothing is kept: the
        run goes on as if there were no snapshot)."""
        checker = self.checker
        results = []
        for it in items:
            snap = self.fast.get(it.root) if it.root is not None else None
            if snap is None:
                return None
            found = checker.lookup(it, known=snap[:2])
            if found is None:
                return None
            results.append(found)
        assert checker.cache is not None
        checker.cache.save([])
        return results

    def _snapshots(self, every: Sequence[Item]) -> None:
        """Save the snapshot of each project whose files this run walked and has all
        (see :meth:`.Cache.put_snapshot`), unless a time it holds is too recent to be
        trusted."""
        cache = self.checker.cache
        assert cache is not None
        for root, walk in self.walks.items():
            project = self.checker.projects.get(root)
            mine = [it for it in every if it.root == root]
            if project is None or {absolute_path(it.path) for it in mine} != set(walk.files):
                continue
            files: dict[str, tuple[int, int]] = {}
            for it in mine:
                state = self.checker.states.get(it.path)
                if state is None:
                    break
                files[absolute_path(it.path)] = (state.size, state.mtime)
            else:
                recent = walk.started - RACY_NS
                listed = os.path.abspath(cache.directory.parent)  # (compared by its entries)
                times = [m for d, m in walk.dirs.items() if d != listed]
                times += [m for _, m in files.values()]
                times += [w[1] for w in walk.watch.values() if w is not None]
                if max(times, default=0) < recent:
                    kinds = {it.settings for it in mine}
                    source = [self.checker.settings[min(kinds)].source] if len(kinds) == 1 else []
                    cache.put_snapshot(
                        root,
                        walk.key,
                        walk.dirs,
                        walk.watch,
                        files,
                        project.digest,
                        project.names_digest,
                        walk.names,
                        source,
                    )

    def cached(self, path: Path, display: str, settings: Settings, text: str) -> CheckResult | None:
        """The cached result of ``path`` when ``text`` is what the file holds on disk and
        its project's snapshot holds (see :attr:`fast`), or None: a flake8 run on
        unchanged files is answered from the cache, as a pre-commit run is. Only for a
        result whose text has no ``# noqa`` (cached results had it applied, flake8
        applies its own)."""
        if "noqa" in text.lower():
            return None
        item = self._item(path, display, settings, True)
        snap = self.fast.get(item.root) if item.root is not None else None
        if snap is None or absolute_path(item.path) not in snap[2]:
            return None
        self.checker.states.pop(item.path, None)  # looked at afresh
        disk = _decode(item.path)
        if disk is None or normalize_newlines(disk) != normalize_newlines(text):
            return None
        return self.checker.lookup(item, known=snap[:2])

    def recheck(
        self,
        path: Path,
        display: str,
        settings: Settings,
        *,
        data: bytes | None = None,
        source: str | None = None,
        tree: Any = None,
        apply_noqa: bool = True,
        keep: bool = False,
    ) -> CheckResult:
        """Check ``path`` again in this run's project: its text now on disk, or the
        ``data`` / ``source`` (and flake8's ``tree``) given, with its own facts taken
        from that text (stdin, an editor's buffer, a fix pass). ``keep``: the project
        keeps those facts (an editor's unsaved text, seen by the other files)."""
        if self._pending is not None:
            # the check was answered from snapshots, without the projects: made now
            # (from the cache: the snapshots still hold), as the check would have
            fast, deferred = self._pending
            self._pending = None
            others = [t for later in deferred for t in later()]
            if self.checker.cache is not None:
                for root, snap in fast.items():
                    self.checker.cache.full(root)
                    self.checker.known[root] = snap
            self.check([], others)
        item = self._items.get(real_path(path))
        if item is None or self.checker.settings[item.settings] != settings:
            item = self._item(path, display, settings, True)
        if data is None and source is None:
            try:
                data = read_source_bytes(path)
            except OSError as exc:
                return CheckResult(display, skipped=f"cannot read: {exc.strerror or exc}")
        project = self.checker.project_of(item)
        module = self.checker.module(item)
        if project is not None:
            text = source
            if text is None:
                try:
                    text = decode_source(data or b"")
                except DecodeError:
                    text = None
            if text is not None:
                text = normalize_newlines(text)
                entry: dict[str, Any] | None = None
                if tree is None:
                    entry = facts_from_source(text, item.path, module, settings)
                else:  # flake8's tree: not parsed again
                    with contextlib.suppress(RecursionError, MemoryError):
                        entry = facts_from_tree(tree, text, item.path, module, settings)
                project = project.with_entry(entry)
                if keep and item.root is not None:
                    self.checker.projects[item.root] = project
                    self.checker._prefilters.clear()
        rule_set = self.checker.rule_set(item.settings)
        codes = [r.code for r in rule_set.rule_classes]
        return check(
            display,
            settings,
            data=data,
            source=source,
            tree=tree,
            rule_set=rule_set,
            prefilter=Prefilter(settings, codes, project.known_names if project else ()),
            project=project,
            module=module,
            apply_noqa=apply_noqa,
        )


def check_targets(
    targets: Sequence[Target],
    jobs: int | None = None,
    cache: Cache | None = None,
    prefilter: bool = True,
    project: bool = False,
    others: Sequence[Target] = (),
    root_of: Callable[[Path, Settings], Path | None] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[CheckResult]:
    """:meth:`Run.check` of a new run (project roots: ``root_of(path, settings)``,
    default the targets' common directory)."""
    return Run(cache, prefilter, jobs, project, root_of).check(targets, others, progress)


def new_run(
    root: Path,
    project: bool,
    root_of: Callable[[Path, Settings], Path | None],
    cache: bool = True,
    cache_dir: Path | None = None,
    jobs: int | None = 0,
) -> Run:
    """A run whose cache is ``cache_dir``, by default in the checked project's
    ``root`` (never the working directory's)."""
    from netra_ws_lint.engine.cache import DEFAULT_DIR

    store = Cache(cache_dir or root / DEFAULT_DIR) if cache else None
    return Run(store, jobs=jobs, project=project, root_of=root_of)


def plan_run(
    targets: Sequence[Any],
    paths: Sequence[str],
    overrides: dict[str, Any] | None,
    config_file: Path | None,
    respect_gitignore: bool = True,
    *,
    project: bool = True,
    cache: bool = True,
    cache_dir: Path | None = None,
    jobs: int | None = 0,
) -> tuple[Run, list[Target]]:
    """The run that checks the discovered ``targets`` (of the command-line ``paths``),
    and the other files of their projects (their facts are needed in project mode).

    A file's project root is the directory of its configuration file, else the git
    root, else the common directory of ``paths``."""
    from netra_ws_lint.engine.discovery import WALKS, project_files, walk_key

    fallback = _common_directory([Path(p) for p in paths]) or Path.cwd()
    root_of = _root_finder(fallback)
    first = root_of(targets[0].path, targets[0].settings) if targets else fallback
    run = new_run(first, project, root_of, cache, cache_dir, jobs)
    others: list[Target] = []
    if project:
        named = {Path(p).absolute() for p in paths if Path(p).is_dir()}
        by_root: dict[Path, list[Any]] = {}
        for t in targets:
            by_root.setdefault(root_of(t.path, t.settings), []).append(t)
        known: set[str] = set()  # absolute paths of the files of a project not walked
        for root in sorted(by_root):
            snap: tuple[str, str, frozenset[str]] | None = None
            settings = by_root[root][0].settings
            key = walk_key(overrides, config_file, respect_gitignore, root, settings)
            if root in named:  # what `check ROOT` checks: the whole project, walked
                found = WALKS.get((str(root), key))
                if found is not None:
                    run.walks[str(root)] = found
                    if run.cache is not None:
                        snap = run.cache.snapshot(str(root), key, head=False)
                    if snap is not None:
                        run.checker.known[str(root)] = snap
                continue
            if run.cache is not None and not named:
                snap = run.cache.snapshot(str(root), key)
            names = [absolute_path(str(t.path)) for t in by_root[root]]
            if snap is not None and all(n in snap[2] for n in names):
                # nothing changed since the project was last walked: its files are
                # walked only if a named file's result is not in the cache
                run.fast[str(root)] = snap
                known.update(names)

                def later(root: Path = root) -> list[Target]:
                    files = project_files(root, overrides, config_file, respect_gitignore)
                    return [(t.path, t.display, t.settings) for t in files]

                run.deferred.append(later)
                continue
            files = project_files(root, overrides, config_file, respect_gitignore)
            found = WALKS.get((str(root), key))
            if found is not None:
                run.walks[str(root)] = found
            others.extend((t.path, t.display, t.settings) for t in files)
        in_project = {real_path(o) for o, _, _ in others}
        for p in paths:  # a file named in an excluded folder: that folder's modules too
            if (
                Path(p).is_file()
                and absolute_path(p) not in known
                and real_path(p) not in in_project
                and fallback not in named
            ):
                others.extend(folder_files(Path(p), overrides, config_file, respect_gitignore))
                run.walks.clear()  # (the project is more than its walk)
    return run, others


def _root_finder(fallback: Path) -> Callable[[Path, Settings], Path]:
    """``root_of(path, settings)``: the project root of a file (the directory of its
    configuration file, else the git root, else ``fallback``), memoised by directory."""
    from netra_ws_lint.engine.discovery import project_root

    roots: dict[tuple[str, str | None], Path] = {}

    def root_of(path: Path, settings: Settings) -> Path:
        text = str(path)
        where = path.absolute().parent if ".." in text else os.path.dirname(absolute_path(text))
        key = (str(where), settings.source)
        if key not in roots:
            roots[key] = project_root(path, settings) or fallback
        return roots[key]

    return root_of


def plan_snapshot(
    path: str,
    overrides: dict[str, Any] | None,
    config_file: Path | None,
    respect_gitignore: bool = True,
    *,
    cache_dir: Path | None = None,
    jobs: int | None = 0,
) -> tuple[Run, list[Target]] | None:
    """A warm ``check DIR`` of a whole project without walking it: when ``DIR`` is a
    project root whose snapshot (see :meth:`.Cache.snapshot`) was taken by a walk with
    the same options and still holds (every directory, ``.gitignore``, configuration
    file and file as that walk saw it), the walk would find the same files with the same
    settings, so the run's targets are the snapshot's files (shown as the walk shows
    them, from the working directory), and their findings come from the head file
    (:meth:`Run.answer`; when one is not there, the caller walks). None when anything
    differs, or the snapshot's files did not all take the same settings: the caller
    walks (:func:`.discovery.discover`, :func:`plan_run`)."""
    from netra_ws_lint.config import ConfigCache, ConfigError
    from netra_ws_lint.engine.cache import DEFAULT_DIR
    from netra_ws_lint.engine.discovery import (
        PYTHON_SUFFIXES,
        project_files,
        project_root,
        rule_codes,
        snapshot_targets,
        walk_key,
    )

    clear_real_paths()  # a run looks at the directories afresh (as a walk does)
    top = Path(path).absolute()
    if str(top) != os.path.abspath(path) or not os.path.isdir(top):
        return None  # (a path through "..": the walk's paths would keep it)
    try:
        settings = ConfigCache(rule_codes).settings_for(top, overrides, config_file)
    except (ConfigError, OSError):
        return None  # (reported by the walk)
    if (project_root(top, settings) or top) != top:
        return None  # not a project root: its walk is not the project's
    root = str(top)
    key = walk_key(overrides, config_file, respect_gitignore, top, settings)
    store = Cache(cache_dir or top / DEFAULT_DIR)
    snap = store.snapshot(root, key)
    if snap is None or store.snapshot_source(root) != [settings.source]:
        return None
    below = os.path.join(root, "")
    if not all(f.startswith(below) and f.endswith(PYTHON_SUFFIXES) for f in snap[2]):
        return None  # (not what a walk of the project finds)
    run = Run(store, jobs=jobs, project=True, root_of=_root_finder(top))
    run.fast[root] = snap

    def later() -> list[Target]:  # the project's files, for a file checked again
        files = project_files(top, overrides, config_file, respect_gitignore)
        return [(t.path, t.display, t.settings) for t in files]

    run.deferred.append(later)
    return run, [(t.path, t.display, t.settings) for t in snapshot_targets(snap[2], settings)]


def folder_files(
    path: Path,
    overrides: dict[str, Any] | None,
    config_file: Path | None,
    respect_gitignore: bool = True,
) -> list[Target]:
    """The modules beside ``path`` (its folder, as ``check FOLDER`` finds them): the
    project model of a file outside the project's files (an excluded folder named or
    opened in an editor) includes its folder."""
    from netra_ws_lint.engine.discovery import project_files

    files = project_files(path.absolute().parent, overrides, config_file, respect_gitignore)
    return [(t.path, t.display, t.settings) for t in files]


def _build_projects(
    checker: _Checker,
    items: list[Item],
    jobs: int,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[int, Extracted]:
    """Step 1: every item's facts (cached, or extracted: in worker processes when
    there are many), joined into one project per root. Returns what was extracted,
    by index in ``items`` (a target extracted here was also checked without the
    project)."""
    if checker.warm_projects(items):  # nothing changed: the projects from the cache
        if progress is not None:
            progress("indexing", len(items), len(items))
        return {}
    facts: list[dict[str, Any] | None] = [None] * len(items)
    todo: list[tuple[int, Item]] = []
    for n, it in enumerate(items):
        hit, found = checker.cached_facts(it)
        if hit:
            facts[n] = found
        else:
            todo.append((n, it))
    extracted: list[Any] = [None] * len(items)
    told = _teller(progress, "indexing", len(items), len(items) - len(todo))
    _run(checker, todo, jobs, extracted, _extract_chunk, checker.extract, told)
    fresh: dict[int, Extracted] = {}
    for n, it in todo:
        found = extracted[n]
        checker.put_facts(it, found)
        facts[n] = found.facts
        if it.checked:
            fresh[n] = found
    by_root: dict[str, list[tuple[Item, dict[str, Any] | None]]] = {}
    for it, f in zip(items, facts):
        if it.root is not None:
            by_root.setdefault(it.root, []).append((it, f))
    checker.projects = {
        root: checker.join(root, found)
        for root, found in by_root.items()
        if any(f is not None for _, f in found)
    }
    checker._prefilters.clear()  # their words include the projects' names
    return fresh


def _common_directory(paths: Sequence[Path]) -> Path | None:
    if not paths:
        return None
    try:
        common = Path(os.path.commonpath([os.path.abspath(p) for p in paths]))
    except ValueError:  # different drives
        return None
    return common if common.is_dir() else common.parent


def _teller(
    progress: Callable[[str, int, int], None] | None, phase: str, total: int, cached: int
) -> Callable[[int], None] | None:
    """``done(n)`` for :func:`_run`: tells ``progress`` the files done, cached ones too."""
    if progress is None:
        return None
    return lambda n: progress(phase, cached + n, total)


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
    _return_free_memory()
    workers = min(jobs, len(todo))
    n_chunks = max(workers * CHUNKS_PER_JOB, len(todo) // MAX_CHUNK_FILES)
    chunks = _chunks(todo, sizes, n_chunks)
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
