"""The result and facts cache: one JSON file per project (never pickle).

The file names the tool it was written by (:func:`tool_key`: its version and a
fingerprint of its own source files, so an edited rule invalidates the cache in a
development install; the Python version and implementation, what parses depends on;
the ast-grep-py and pathspec versions, :func:`runtime_versions`): written by any other,
it is ignored. Per file (by absolute path) it holds:

- its identity: size and ``mtime_ns``, and the SHA-256 of its bytes, compared only when
  size or mtime differ (a touched file with the same bytes is still a hit);
- its facts (see engine.facts), keyed by the settings and the module it is, as JSON
  text (decoded only when used);
- its findings with their fixes, keyed by its path (``per-file-ignores`` and
  ``test-paths`` depend on it) and the settings that decide findings
  (:func:`settings_key`), with what they depend on (:meth:`Cache.put_findings`).

Per project it also holds the digests of its joined index (of the facts, of the names
the project knows) with a digest of what they were joined from (every file's facts key
and content digest, :meth:`Cache.get_index`): a warm run compares them and never joins
the facts.

A warm run stats the files and loads this one file: a file whose identity matches is
not read (unless its findings are shown). Every field is validated on load; an
unreadable, corrupt, oversized or mismatched file or entry is ignored and rebuilt.

Per project it may also hold a *snapshot* (:meth:`Cache.put_snapshot`): what the last
walk of the whole project saw (directories, configuration and ``.gitignore`` files,
every file's identity) with the project's digests, so that a run naming a few files
can tell that nothing changed without walking (:meth:`Cache.snapshot`). With it, a
*head* file holds every file's identity and findings without the facts (one line of
JSON, then the findings as JSON text at offsets the line gives): what such a run reads.

Layout of the cache directory (default ``.netra-ws-lint-cache`` at the project root)::

    CACHEDIR.TAG          marks the directory as a cache for backup tools
    .gitignore            ``*``: git never sees the cache
    v2/project-<digest of the project root>.json
    v2/head-<digest of the project root>.json   (with a snapshot only)

The file is written once per run, only when something changed, through a temporary
file and ``os.replace``, never through a symbolic link (:func:`.fsutil.write_new_file`):
a reader sees the old file or the new one, never half of one, so concurrent runs cannot
corrupt it (the last one's entries win).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from netra_ws_lint import __version__
from netra_ws_lint.config import Settings
from netra_ws_lint.engine.fsutil import (
    DATA_LIMIT,
    ensure_directory,
    read_regular_file,
    write_new_file,
)
from netra_ws_lint.model import Finding

DEFAULT_DIR = ".netra-ws-lint-cache"
FORMAT = 2
# a cache file larger than this is not read (a run rebuilds it)
MAX_FILE_BYTES = DATA_LIMIT
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by netra-ws-lint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


# Settings fields that do not change a file's findings (which files are checked, where
# the configuration came from); every other field, present or future, is in the key.
_NOT_IN_KEY = frozenset({"exclude", "extend_exclude", "root", "source"})


def _plain(value: Any) -> Any:
    """``value`` as JSON data with a stable order (dataclasses, mappings, sequences)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return sorted([str(k), _plain(v)] for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def settings_key(settings: Settings) -> str:
    """A stable text key of everything in ``settings`` that decides a file's findings
    (not the excludes, the config file's name or its directory)."""
    data = {
        f.name: _plain(getattr(settings, f.name))
        for f in dataclasses.fields(settings)
        if f.name not in _NOT_IN_KEY
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


_TOOL_KEY: str | None = None


def runtime_versions() -> dict[str, str]:
    """What besides the tool's source decides a result: the Python that parses the
    files, and the libraries that match globs (pathspec, its version) and patterns
    (ast-grep-py, its installed files: reading its metadata or importing it would cost
    more than a pre-commit run)."""
    import importlib.util

    out = {
        "python": f"{sys.implementation.name} {'.'.join(map(str, sys.version_info[:3]))}",
        "pathspec": "absent",
        "ast-grep-py": "absent",
    }
    for name, module in (("pathspec", "pathspec"), ("ast-grep-py", "ast_grep_py")):
        # the library's installed files (not imported: that costs more than the check)
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin:
            files = []
            for path in sorted(Path(spec.origin).parent.iterdir()):
                with contextlib.suppress(OSError):
                    st = path.stat()
                    files.append(f"{path.name}:{st.st_size}:{st.st_mtime_ns}")
            out[name] = hashlib.sha256("\n".join(files).encode()).hexdigest()
    return out


def _source_files(top: str, prefix: str = "") -> list[tuple[str, os.stat_result]]:
    """Every ``*.py`` below ``top`` (its path relative to ``top``, its ``stat``)."""
    out: list[tuple[str, os.stat_result]] = []
    try:
        entries = list(os.scandir(top))
    except OSError:
        return out
    for entry in entries:
        rel = f"{prefix}{entry.name}"
        try:
            if entry.is_dir(follow_symlinks=False):
                out.extend(_source_files(entry.path, rel + os.sep))
            elif entry.name.endswith(".py"):
                out.append((rel, entry.stat()))
        except OSError:
            continue
    return out


def tool_key() -> str:
    """The tool's version, a fingerprint (name, size, mtime) of its source files and
    the :func:`runtime_versions`."""
    global _TOOL_KEY
    if _TOOL_KEY is None:
        h = hashlib.sha256(f"netra-ws-lint {__version__} format {FORMAT}".encode())
        h.update(json.dumps(runtime_versions(), sort_keys=True).encode())
        package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
        for rel, st in sorted(_source_files(package)):  # all of netra_ws_lint, rules too
            h.update(f"{rel}:{st.st_size}:{st.st_mtime_ns}\n".encode())
        _TOOL_KEY = h.hexdigest()
    return _TOOL_KEY


def _fix_to_data(fix: Any) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "applicability": fix.applicability,
        "message": fix.message,
        "edits": [dataclasses.asdict(e) for e in fix.edits],
        "imports": [dataclasses.asdict(i) for i in fix.imports],
    }


def _typed_fields(data: Any, cls: type) -> bool:
    """``data`` holds exactly the fields of the dataclass ``cls``, each of its type
    (``int``, ``str``, or ``str | None``): an entry a hostile repository planted, or
    an older version wrote, never reaches the output."""
    if not isinstance(data, dict):
        return False
    fields = {f.name: f.type for f in dataclasses.fields(cls)}
    if set(data) != set(fields):
        return False
    for name, kind in fields.items():
        value = data[name]
        kind = str(kind).replace(" ", "")
        if kind == "int":
            ok = type(value) is int and value >= 0
        elif kind == "str":
            ok = type(value) is str
        elif kind in ("str|None", "Optional[str]"):
            ok = value is None or type(value) is str
        else:  # a field type this cache does not know: not valid
            ok = False
        if not ok:
            return False
    return True


def _fix_from_data(data: Any) -> Any:
    """A :class:`~.rule.Fix` from its cached form, or None when it is not valid."""
    from netra_ws_lint.model import Edit, Fix, ImportChange

    if (
        not isinstance(data, dict)
        or not isinstance(data.get("applicability"), str)
        or not isinstance(data.get("message"), str)
    ):
        return None
    edits, imports = data.get("edits"), data.get("imports")
    if not isinstance(edits, list) or not isinstance(imports, list):
        return None
    if not all(_typed_fields(e, Edit) for e in edits) or not all(
        _typed_fields(i, ImportChange) for i in imports
    ):
        return None
    try:
        return Fix(
            data["applicability"],
            data["message"],
            tuple(Edit(**e) for e in edits),
            tuple(ImportChange(**i) for i in imports),
        )
    except TypeError:  # fields that do not match this version's classes
        return None


def _valid_finding(item: Any) -> bool:
    return (
        isinstance(item, list)
        and len(item) == 6
        and type(item[0]) is int
        and item[0] >= 1
        and type(item[1]) is int
        and item[1] >= 0
        and type(item[2]) is str
        and type(item[3]) is str
        and type(item[4]) is bool
    )


def _valid_findings(data: Any) -> list[Finding] | None:
    """Cached findings (with their fixes), or None when any of them is not valid."""
    if not isinstance(data, list):
        return None
    out = []
    for item in data:
        if not _valid_finding(item):
            return None
        fix = _fix_from_data(item[5]) if item[5] is not None else None
        if item[5] is not None and fix is None:
            return None
        out.append(Finding(item[0], item[1], item[2], item[3], item[4], fix=fix))
    return out


def _findings_data(findings: Sequence[Finding]) -> list[Any]:
    return [
        [f.line, f.col, f.code, f.message, f.audit, _fix_to_data(getattr(f, "fix", None))]
        for f in findings
    ]


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:  # surrogateescape: keys may hold file names that are not UTF-8
        h.update(part.encode("utf-8", "surrogateescape"))
        h.update(b"\0")
    return h.hexdigest()


def _valid_file_entry(entry: Any) -> bool:
    """The shape of one file's entry (its facts and findings are checked when used)."""
    if not isinstance(entry, dict):
        return False
    if type(entry.get("size")) is not int or type(entry.get("mtime")) is not int:
        return False
    if not isinstance(entry.get("sha"), str):
        return False
    facts, result = entry.get("facts"), entry.get("result")
    if facts is not None and not (isinstance(facts, dict) and isinstance(facts.get("key"), str)):
        return False
    return result is None or (
        isinstance(result, dict)
        and isinstance(result.get("key"), str)
        and isinstance(result.get("dep"), str)
        and isinstance(result.get("findings"), list)
    )


def _loads(data: bytes) -> Any:
    """``json.loads`` with the cyclic collector paused: decoding a large cache file
    makes hundreds of thousands of containers, none in a cycle, and a host that has not
    tuned the collector (flake8) would otherwise traverse them again and again."""
    import gc

    paused = gc.isenabled()
    gc.disable()
    try:
        return json.loads(data)
    finally:
        if paused:
            gc.enable()


def _ours(data: Any, project: str) -> bool:
    """``data``, a decoded project or head file, was written for ``project`` by this
    version of the tool, in this format, and holds a ``files`` mapping."""
    return (
        isinstance(data, dict)
        and data.get("format") == FORMAT
        and data.get("tool") == tool_key()
        and data.get("project") == project
        and isinstance(data.get("files"), dict)
    )


def _valid_snapshot(snap: Any) -> bool:
    """The shape of a project's snapshot (see :meth:`Cache.snapshot`); its values are
    checked as they are compared (a value of another type never matches)."""
    if not isinstance(snap, dict) or set(snap) != {
        "key",
        "dirs",
        "lists",
        "watch",
        "files",
        "digest",
        "names",
        "source",
    }:
        return False
    if not all(type(snap[k]) is str for k in ("key", "digest", "names")):
        return False
    source = snap["source"]
    if not isinstance(source, list) or len(source) > 1:
        return False
    if source and source[0] is not None and type(source[0]) is not str:
        return False
    return all(isinstance(snap[k], dict) for k in ("dirs", "lists", "watch", "files"))


# the joined index of a project: the digest of what it was joined from, its digests
_INDEX_FIELDS = ("inputs", "digest", "names")


@dataclasses.dataclass
class FileState:
    """What a run knows of one file: its identity on disk and, when it was read, its
    content's digest; ``entry`` is its cache entry when that entry still describes it."""

    size: int
    mtime: int
    sha: str | None = None
    entry: dict[str, Any] | None = None


class Cache:
    """The result and facts cache in ``directory``: one JSON file per project (see the
    module docstring). Every error is swallowed: a cache that cannot be read or
    written only makes the run slower."""

    def __init__(self, directory: Path, extra_key: str = "") -> None:
        self.directory = directory
        self.base = directory / f"v{FORMAT}"
        self.extra_key = extra_key
        self._settings_keys: dict[Settings, str] = {}
        self._by_id: dict[int, tuple[Settings, str]] = {}  # id -> (the object, its digest)
        self._loaded: dict[str, dict[str, Any]] = {}  # project name -> path -> entry
        self._new: dict[str, dict[str, dict[str, Any]]] = {}  # entries of this run
        self._dirty: set[str] = set()
        self._roots: dict[Path, str] = {}
        self._index: dict[str, dict[str, str]] = {}  # project name -> its joined index
        self._snapshots: dict[str, dict[str, Any]] = {}  # project name -> its snapshot
        # projects whose entries come from the head file (see :meth:`snapshot`)
        self._partial: set[str] = set()
        self._results: dict[str, bytes] = {}  # project -> the head file's results

    # ------------------------------------------------------------------ keys
    def settings_digest(self, settings: Settings) -> str:
        # by identity first: hashing a Settings (its word lists) costs more than the
        # digest of a file's key, and a run passes the same few objects again and again
        found = self._by_id.get(id(settings))
        if found is not None and found[0] is settings:
            return found[1]
        skey = self._settings_keys.get(settings)
        if skey is None:
            skey = self._settings_keys[settings] = _digest(settings_key(settings), self.extra_key)
        self._by_id[id(settings)] = (settings, skey)
        return skey

    def key(self, path: str, settings: Settings, real: str, extra: str = "") -> str:
        """The key of a file's findings or, with ``extra``, of another of its entries
        (its facts: the module it is). ``path`` (absolute) and ``real`` (its real path)
        with the configuration's root decide its path relative to the root, on which
        ``per-file-ignores`` and ``test-paths`` depend."""
        root = self._roots.get(settings.root)
        if root is None:
            root = self._roots[settings.root] = os.path.realpath(settings.root)
        return _digest(self.settings_digest(settings), path, real, root, extra)

    def file_path(self, project: str) -> Path:
        return self.base / f"project-{_digest(project)[:24]}.json"

    def head_path(self, project: str) -> Path:
        return self.base / f"head-{_digest(project)[:24]}.json"

    # ------------------------------------------------------------------ one project file
    def _entries(self, project: str) -> dict[str, Any]:
        """The entries of ``project``'s cache file, loaded (and validated) once."""
        found = self._loaded.get(project)
        if found is None:
            found = self._loaded[project] = self._read(project)
            self._new[project] = {}
        return found

    def _read(self, project: str) -> dict[str, Any]:
        path = self.file_path(project)
        try:
            # a regular file only (a cache file planted as a FIFO or a link to /dev/zero
            # is not read), of a bounded size
            data = _loads(read_regular_file(path, MAX_FILE_BYTES))
        except (OSError, ValueError, UnicodeDecodeError, RecursionError):
            return {}
        if not _ours(data, project):
            return {}
        index = data.get("index")
        if (
            isinstance(index, dict)
            and set(index) == set(_INDEX_FIELDS)
            and all(type(index[k]) is str for k in _INDEX_FIELDS)
        ):
            self._index[project] = index
        snapshot = data.get("snapshot")
        if isinstance(snapshot, dict) and _valid_snapshot(snapshot):
            self._snapshots[project] = snapshot
        return {k: v for k, v in data["files"].items() if _valid_file_entry(v)}

    def state(self, project: str, path: str, st: os.stat_result, read: Any) -> FileState:
        """The :class:`FileState` of the file at ``path`` (``st``: its ``stat``): its
        entry when size and mtime match it, else when its content (``read()``, called
        only then) has the entry's digest."""
        entry = self._entries(project).get(path)
        state = FileState(st.st_size, st.st_mtime_ns)
        if entry is None:
            return state
        if project in self._partial:  # (head entries are checked when used)
            if not isinstance(entry, dict):
                return state
            where, blob = entry.get("result"), self._results.get(project, b"")
            if (
                not isinstance(where, list)
                or len(where) != 2
                or not all(type(n) is int and n >= 0 for n in where)
                or where[0] + where[1] > len(blob)
            ):
                return state
            try:
                text = blob[where[0] : where[0] + where[1]].decode("utf-8", "surrogateescape")
                entry = {**entry, "result": json.loads(text)}
            except (ValueError, RecursionError):
                return state
            if not _valid_file_entry(entry):
                return state
            if entry["size"] != st.st_size or entry["mtime"] != st.st_mtime_ns:
                return state  # read and compared only once the project file is loaded
        if entry["size"] == st.st_size and entry["mtime"] == st.st_mtime_ns:
            state.sha, state.entry = entry["sha"], entry
            return state
        data = read()
        if data is not None:
            state.sha = hashlib.sha256(data).hexdigest()
            if state.sha == entry["sha"]:
                state.entry = entry
                self._dirty.add(project)  # a new identity for the same content
        return state

    def _entry(self, project: str, path: str, state: FileState) -> dict[str, Any]:
        """This run's entry of ``path`` (its cached parts kept while the content is
        the same)."""
        new = self._new.setdefault(project, {})
        entry = new.get(path)
        if entry is None:
            old = state.entry or {}
            entry = new[path] = {
                "size": state.size,
                "mtime": state.mtime,
                "sha": state.sha or "",
                "facts": old.get("facts"),
                "result": old.get("result"),
            }
        return entry

    def has_facts(self, state: FileState, key: str) -> bool:
        """The cache holds facts of the file under ``key`` (not read: see
        :meth:`get_facts`)."""
        facts = state.entry.get("facts") if state.entry is not None else None
        return facts is not None and facts.get("key") == key

    def get_facts(self, state: FileState, key: str) -> Any:
        """The cached facts (``{"none": True}``: the file has none), or None. They are
        kept as JSON text, read only when asked for: loading the cache file builds no
        facts (most of its size) that a warm run does not use."""
        facts = state.entry.get("facts") if state.entry is not None else None
        if facts is None or facts.get("key") != key or not isinstance(facts.get("text"), str):
            return None
        try:
            return json.loads(facts["text"])
        except (ValueError, RecursionError):
            return None

    def put_facts(self, project: str, path: str, state: FileState, key: str, facts: Any) -> None:
        entry = self._entry(project, path, state)
        entry["facts"] = {"key": key, "text": json.dumps(facts, separators=(",", ":"))}
        self._dirty.add(project)

    def get_findings(self, state: FileState, key: str) -> tuple[list[Finding], str] | None:
        """The cached findings and what they depend on (see :meth:`put_findings`)."""
        result = state.entry.get("result") if state.entry is not None else None
        if result is None or result.get("key") != key:
            return None
        findings = _valid_findings(result["findings"])
        return None if findings is None else (findings, result["dep"])

    def put_findings(
        self,
        project: str,
        path: str,
        state: FileState,
        key: str,
        dep: str,
        findings: Sequence[Finding],
    ) -> None:
        """Store a file's findings; ``dep`` says when they hold: ``"N"`` always (no
        project), ``"L"`` + the digest of the project's names (no identifier of the
        file is one of them), ``"P"`` + the project's digest (they depend on it)."""
        entry = self._entry(project, path, state)
        entry["result"] = {"key": key, "dep": dep, "findings": _findings_data(findings)}
        self._dirty.add(project)

    def get_index(self, project: str, inputs: str) -> tuple[str, str] | None:
        """The digests (of the facts, of the known names) of ``project``'s joined index
        when it was last joined from the same ``inputs`` (a digest of every file's
        facts key and content), or None."""
        self._entries(project)
        index = self._index.get(project)
        if index is None or index["inputs"] != inputs:
            return None
        return index["digest"], index["names"]

    def put_index(self, project: str, inputs: str, digest: str, names: str) -> None:
        index = {"inputs": inputs, "digest": digest, "names": names}
        if self._index.get(project) != index:
            self._index[project] = index
            self._dirty.add(project)

    def snapshot(
        self, project: str, key: str, head: bool = True
    ) -> tuple[str, str, frozenset[str]] | None:
        """The digests of ``project``'s joined index and its files, when its snapshot
        (see :meth:`put_snapshot`) was taken with the same ``key`` and still holds:
        every directory it walked has the same ``mtime_ns`` (no file was added, removed
        or renamed there), every ``.gitignore`` and configuration file it saw has the
        same identity (or is still absent), and every file of the project has the same
        size and ``mtime_ns``. Costs one ``stat`` per directory and per file, no walk,
        no settings, no module names; None when anything differs. ``head``: read from
        the head file unless the project file is loaded (False: load the project
        file, for a run that needs its facts)."""
        if project not in self._loaded:
            if head:
                self._read_head(project)
            else:
                self._entries(project)
        snap = self._snapshots.get(project)
        if snap is None or snap["key"] != key:
            return None
        stat = os.stat
        try:  # (a value of another type than recorded never compares equal)
            for path, mtime in snap["dirs"].items():
                if stat(path).st_mtime_ns != mtime:
                    return None
            for path, names in snap["lists"].items():
                if sorted(n for n in os.listdir(path) if n != self.directory.name) != names:
                    return None
            for path, (size, mtime) in snap["files"].items():
                st = stat(path)
                if st.st_mtime_ns != mtime or st.st_size != size:
                    return None
            for path, ident in snap["watch"].items():
                try:
                    st = stat(path)
                except OSError:
                    if ident is not None:
                        return None
                    continue
                if not isinstance(ident, list) or [st.st_size, st.st_mtime_ns] != ident:
                    return None
        except (OSError, TypeError, ValueError):
            return None
        return snap["digest"], snap["names"], frozenset(snap["files"])

    def snapshot_source(self, project: str) -> list[str | None]:
        """The configuration file every file of ``project``'s snapshot took its settings
        from (``[None]``: none), or ``[]`` when they did not all take the same settings
        (see :meth:`put_snapshot`)."""
        snap = self._snapshots.get(project)
        return list(snap["source"]) if snap is not None else []

    def _read_head(self, project: str) -> None:
        """Load ``project``'s head file: its snapshot and each file's identity and
        findings, without the facts (a fifth of the size of the project file). Its
        entries are used only to answer from the cache; anything else loads the project
        file (:meth:`full`)."""
        try:
            raw = read_regular_file(self.head_path(project), MAX_FILE_BYTES)
            line, _, results = raw.partition(b"\n")
            data = _loads(line)
        except (OSError, ValueError, UnicodeDecodeError, RecursionError):
            return
        if not _ours(data, project) or not _valid_snapshot(data.get("snapshot")):
            return
        self._snapshots[project] = data["snapshot"]
        self._loaded[project] = data["files"]  # each entry validated when used
        self._results[project] = results
        self._new[project] = {}
        self._partial.add(project)

    def full(self, project: str) -> None:
        """Forget what the head file of ``project`` gave: its project file is loaded
        when next needed."""
        if project in self._partial:
            self._partial.discard(project)
            self._results.pop(project, None)
            self._loaded.pop(project, None)
            self._new.pop(project, None)
            self._snapshots.pop(project, None)
            self._dirty.discard(project)

    def put_snapshot(
        self,
        project: str,
        key: str,
        dirs: Mapping[str, int],
        watch: Mapping[str, Any],
        files: Mapping[str, tuple[int, int]],
        digest: str,
        names_digest: str,
        names: Mapping[str, list[str]] | None = None,
        source: Sequence[str | None] = (),
    ) -> None:
        """Record that the walk ``key`` of ``project`` found these ``files`` (their
        size and ``mtime_ns``) under these ``dirs`` (their ``mtime_ns``), with these
        ``watch``-ed files (configuration, ``.gitignore``), and that their joined index
        has these digests; ``names``: each directory's entries (see ``lists``);
        ``source``: ``[the configuration file]`` (``[None]``: none) when every file
        took the same settings, from that file (a warm ``check`` of the project then
        takes its files from the snapshot, see :func:`.runner.plan_snapshot`). The
        caller leaves out a walk whose times are too recent to be trusted (a change
        within the file system's clock tick would not show)."""
        # the directory that holds the cache's (its time changes when the cache's is
        # made or replaced): its entries are compared instead, less the cache's
        lists = {}
        where = os.path.abspath(self.directory.parent)
        if where in dirs and names is not None and where in names:
            lists[where] = sorted(n for n in names[where] if n != self.directory.name)
        snap = {
            "key": key,
            "dirs": {k: v for k, v in dirs.items() if k not in lists},
            "lists": lists,
            "watch": {k: (list(v) if v is not None else None) for k, v in watch.items()},
            "files": {k: list(v) for k, v in files.items()},
            "digest": digest,
            "names": names_digest,
            "source": list(source),
        }
        self._entries(project)
        if self._snapshots.get(project) != snap:
            self._snapshots[project] = snap
            self._dirty.add(project)

    def drop_snapshot(self, project: str) -> None:
        self._entries(project)
        if self._snapshots.pop(project, None) is not None:
            self._dirty.add(project)

    def keep_path(self, project: str, path: str) -> None:
        """The file is part of this run and unchanged (its project's snapshot holds):
        its entry stays, as it is (it is checked when used)."""
        entry = self._entries(project).get(path)
        new = self._new.setdefault(project, {})
        if entry is not None and path not in new:
            new[path] = entry

    def keep(self, project: str, path: str, state: FileState) -> None:
        """The file is part of this run and unchanged: its entry stays."""
        if state.entry is not None:
            self._entry(project, path, state)

    def save(self, whole: Sequence[str] = ()) -> None:
        """Write each changed project file once (atomically). For the projects in
        ``whole`` this run saw every file: entries of files it did not see are dropped;
        for the others they are kept."""
        for project in sorted(self._dirty | (set(whole) & set(self._loaded))):
            if project in self._partial:  # (never written from the head file alone)
                continue
            files = dict(self._new.get(project, {}))
            if project not in whole:
                files = {**self._loaded.get(project, {}), **files}
            if project not in self._dirty and files.keys() == self._loaded[project].keys():
                continue
            blob: dict[str, Any] = {
                "format": FORMAT,
                "tool": tool_key(),
                "project": project,
                "files": files,
            }
            if project in self._index:
                blob["index"] = self._index[project]
            if project in self._snapshots:
                blob["snapshot"] = self._snapshots[project]
            try:
                self._prepare()
                text = json.dumps(blob, separators=(",", ":")).encode("utf-8", "surrogateescape")
                write_new_file(self.file_path(project), text, self.directory)
                self._write_head(project, files)
            except (OSError, ValueError):
                pass
            self._loaded[project] = files
        self._dirty.clear()
        self._new.clear()  # a later run of the same process starts afresh

    def _write_head(self, project: str, files: Mapping[str, Any]) -> None:
        """The head file of ``project``: its snapshot and its files' entries without
        their facts (what a pre-commit run on a few files reads, see :meth:`snapshot`);
        removed when the project has no snapshot. Each of the two files is written
        atomically and holds only claims that stand on their own (a file's findings
        for its identity, a project's digests for its files' identities), so a reader
        that sees one older than the other is still right."""
        path = self.head_path(project)
        if project not in self._snapshots:
            with contextlib.suppress(OSError):
                if os.path.isfile(path) and not os.path.islink(path):
                    os.unlink(path)
            return
        # one line of JSON (identities, snapshot), then each file's result as JSON text
        # one after the other, the line giving each one's offset and length: a reader
        # decodes the line and only the results it is asked for
        head: dict[str, Any] = {}
        parts: list[bytes] = []
        at = 0
        for k, e in files.items():
            text = json.dumps(e.get("result"), separators=(",", ":")).encode(
                "utf-8", "surrogateescape"
            )
            head[k] = {
                "size": e["size"],
                "mtime": e["mtime"],
                "sha": e["sha"],
                "facts": None,
                "result": [at, len(text)],
            }
            parts.append(text)
            at += len(text)
        blob = {
            "format": FORMAT,
            "tool": tool_key(),
            "project": project,
            "snapshot": self._snapshots[project],
            "files": head,
        }
        line = json.dumps(blob, separators=(",", ":")).encode("utf-8", "surrogateescape")
        write_new_file(path, b"\n".join([line, b"".join(parts)]), self.directory)

    def _data(self, kind: str) -> dict[str, Any]:
        """The plain-data values of ``kind`` (empty when unreadable or malformed)."""
        try:
            data = json.loads(read_regular_file(self.base / f"{kind}.json", MAX_FILE_BYTES))
        except (OSError, ValueError, RecursionError):
            return {}
        return data if isinstance(data, dict) else {}

    def get_data(self, kind: str, key: str) -> Any:
        """A plain-data value another part of the tool keeps here (``migrate
        --history``'s counts per commit), or None."""
        return self._data(kind).get(key)

    def put_data(self, kind: str, key: str, value: Any) -> None:
        data = self._data(kind)
        data[key] = value
        try:
            self._prepare()
            text = json.dumps(data, separators=(",", ":")).encode("utf-8", "surrogateescape")
            write_new_file(self.base / f"{kind}.json", text, self.directory)
        except (OSError, ValueError):
            pass

    def _prepare(self) -> None:
        """Create the cache directory, never through a symbolic link: a repository that
        commits the cache directory (or a part of it) as a link to elsewhere gets no
        cache, not files written there."""
        ensure_directory(self.base, self.directory.absolute().parent)
        for name, text in ((".gitignore", "*\n"), ("CACHEDIR.TAG", CACHEDIR_TAG)):
            target = self.directory / name
            if not os.path.lexists(target):
                write_new_file(target, text.encode("utf-8"), self.directory)


def default_directory() -> Path:
    from netra_ws_lint.report.paths import project_root

    return project_root() / DEFAULT_DIR
