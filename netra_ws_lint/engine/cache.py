"""A cache of per-file results, stored as plain JSON (never pickle).

An entry is keyed by a digest of: the file's content, its path (``per-file-ignores``
and ``test-paths`` depend on it), the settings that decide its findings
(:func:`settings_key`), the tool (its version and a fingerprint of its own source
files, so an edited rule invalidates the cache in a development install), the Python
version and implementation (what parses depends on it) and the versions of ast-grep-py
and pathspec (:func:`runtime_versions`), and, for a file whose findings depend on other
modules, the digest of the project's facts. Entries are validated
on load; an unreadable, corrupt or mismatched entry is ignored and rebuilt.

Layout of the cache directory (default ``.netra-ws-lint-cache`` at the project root)::

    CACHEDIR.TAG          marks the directory as a cache for backup tools
    .gitignore            ``*``: git never sees the cache
    v1/results/ab/<key>.json
    v1/facts/ab/<key>.json   (project mode: each module's facts, see engine.facts)

Every file is written through a temporary file and ``os.replace``, never through a
symbolic link (:func:`.fsutil.write_new_file`): a reader sees the
old entry or the new one, never half of one, so concurrent runs cannot corrupt it.
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
FORMAT = 1
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

    import pathspec

    out = {
        "python": f"{sys.implementation.name} {'.'.join(map(str, sys.version_info[:3]))}",
        "pathspec": str(getattr(pathspec, "__version__", "unknown")),
        "ast-grep-py": "absent",
    }
    try:
        spec = importlib.util.find_spec("ast_grep_py")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.origin:
        files = []
        for path in sorted(Path(spec.origin).parent.iterdir()):
            with contextlib.suppress(OSError):
                st = path.stat()
                files.append(f"{path.name}:{st.st_size}:{st.st_mtime_ns}")
        out["ast-grep-py"] = hashlib.sha256("\n".join(files).encode()).hexdigest()
    return out


def tool_key() -> str:
    """The tool's version, a fingerprint (name, size, mtime) of its source files and
    the :func:`runtime_versions`."""
    global _TOOL_KEY
    if _TOOL_KEY is None:
        h = hashlib.sha256(f"netra-ws-lint {__version__} format {FORMAT}".encode())
        h.update(json.dumps(runtime_versions(), sort_keys=True).encode())
        package = Path(__file__).parent
        for path in sorted(package.rglob("*.py")):
            try:
                st = path.stat()
            except OSError:
                continue
            h.update(f"{path.relative_to(package)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
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


class Cache:
    """The result (and index) cache in ``directory``; every error is swallowed: a cache
    that cannot be read or written only makes the run slower."""

    def __init__(self, directory: Path, extra_key: str = "") -> None:
        self.directory = directory
        self.base = directory / f"v{FORMAT}"
        self.extra_key = extra_key
        self._settings_keys: dict[Settings, str] = {}
        self._relpaths: dict[tuple[str, str], str] = {}  # (settings key, display) -> relpath
        self._prepared = False

    # ------------------------------------------------------------------ keys
    def key(self, data: bytes, display: str, settings: Settings, extra: str = "") -> str:
        skey = self._settings_keys.get(settings)
        if skey is None:
            skey = self._settings_keys[settings] = settings_key(settings)
        h = hashlib.sha256()
        h.update(tool_key().encode())
        h.update(b"\0")
        h.update(skey.encode())
        h.update(b"\0")
        h.update(display.encode("utf-8", "surrogateescape"))
        h.update(b"\0")
        rel = self._relpaths.get((skey, display))
        if rel is None:
            rel = self._relpaths[(skey, display)] = settings.relpath(display)
        h.update(rel.encode("utf-8", "surrogateescape"))
        h.update(b"\0")
        # surrogateescape: keys may hold file names that are not UTF-8
        h.update(self.extra_key.encode("utf-8", "surrogateescape"))
        h.update(extra.encode("utf-8", "surrogateescape"))
        h.update(b"\0")
        h.update(hashlib.sha256(data).digest())
        return h.hexdigest()

    def _path(self, kind: str, key: str) -> Path:
        return self.base / kind / key[:2] / f"{key}.json"

    # ------------------------------------------------------------------ raw entries
    def _load(self, kind: str, key: str) -> Any:
        try:
            # a regular file only (an entry planted as a link to /dev/zero is not read)
            entry = json.loads(read_regular_file(self._path(kind, key), DATA_LIMIT))
        except (OSError, ValueError, UnicodeDecodeError, RecursionError):
            return None
        if (
            not isinstance(entry, dict)
            or entry.get("format") != FORMAT
            or entry.get("key") != key
            or "data" not in entry
        ):
            return None
        return entry["data"]

    def _store(self, kind: str, key: str, data: Any) -> None:
        try:
            self._prepare()
            blob = json.dumps({"format": FORMAT, "key": key, "data": data}, separators=(",", ":"))
            write_new_file(self._path(kind, key), blob.encode("utf-8"), self.directory)
        except (OSError, ValueError):
            pass

    def _prepare(self) -> None:
        if self._prepared:
            return
        # never through a symbolic link: a repository that commits the cache directory
        # (or a part of it) as a link to elsewhere gets no cache, not files written there
        ensure_directory(self.directory, self.directory.absolute().parent)
        for name, text in ((".gitignore", "*\n"), ("CACHEDIR.TAG", CACHEDIR_TAG)):
            target = self.directory / name
            if not os.path.lexists(target):
                write_new_file(target, text.encode("utf-8"), self.directory)
        self._prepared = True

    # ------------------------------------------------------------------ results
    def get_findings(self, key: str) -> list[Finding] | None:
        """The cached findings (with their fixes), or None."""
        data = self._load("results", key)
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

    def put_findings(self, key: str, findings: Sequence[Finding]) -> None:
        self._store(
            "results",
            key,
            [
                [f.line, f.col, f.code, f.message, f.audit, _fix_to_data(getattr(f, "fix", None))]
                for f in findings
            ],
        )

    # ------------------------------------------------------------------ index entries
    def get_data(self, kind: str, key: str) -> Any:
        return self._load(kind, key)

    def put_data(self, kind: str, key: str, data: Any) -> None:
        self._store(kind, key, data)


def default_directory() -> Path:
    from netra_ws_lint.report.formats import project_root

    return project_root() / DEFAULT_DIR
