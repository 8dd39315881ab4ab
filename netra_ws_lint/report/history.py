"""The burndown of ``migrate --html --history N``: the sites left at each of the last N
commits of the current branch, read from git objects (``git ls-tree`` and ``git
cat-file --batch`` into memory: nothing is checked out, the working tree is not
touched). Each commit's counts are cached by commit, configuration and tool version.

Every git call puts ``--end-of-options`` before its revisions, and every revision is a
full commit id that ``git rev-list`` printed (never a name taken from the user)."""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from netra_ws_lint.config import ConfigCache, Settings
from netra_ws_lint.engine.discovery import PYTHON_SUFFIXES, is_excluded

PROG = "netra-ws-lint"
_SHA = re.compile(r"^[0-9a-f]{40}$|^[0-9a-f]{64}$")
MAX_BLOB = 4 * 1024 * 1024  # larger files are skipped (as generated code)


class GitError(Exception):
    pass


def _git(args: Sequence[str], cwd: Path, stdin: bytes | None = None) -> bytes:
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False, timeout=300
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(str(exc)) from None
    if proc.returncode != 0:
        raise GitError(proc.stderr.decode("utf-8", "replace").strip() or "git failed")
    return proc.stdout


def commits(n: int, cwd: Path) -> list[str]:
    """The last ``n`` commits of HEAD, oldest first (verified full ids)."""
    out = _git(["rev-list", f"--max-count={n}", "--end-of-options", "HEAD"], cwd)
    revs = out.decode("ascii", "replace").split()
    if not all(_SHA.match(r) for r in revs):
        raise GitError("unexpected output of git rev-list")
    return list(reversed(revs))


def _blobs(rev: str, pathspecs: list[str], top: Path) -> list[tuple[str, bytes]]:
    listing = _git(
        ["ls-tree", "-r", "-z", "--full-tree", "--end-of-options", rev, "--", *pathspecs], top
    )
    wanted: list[tuple[str, str]] = []
    for item in listing.split(b"\0"):
        if not item:
            continue
        meta, _, raw_path = item.partition(b"\t")
        parts = meta.split()
        if len(parts) != 3 or parts[1] != b"blob" or parts[0] == b"120000":
            continue
        path = raw_path.decode("utf-8", "surrogateescape")
        if path.endswith(PYTHON_SUFFIXES) and _SHA.match(parts[2].decode("ascii", "replace")):
            wanted.append((path, parts[2].decode("ascii")))
    if not wanted:
        return []
    out = _git(["cat-file", "--batch"], top, "".join(f"{sha}\n" for _, sha in wanted).encode())
    blobs: list[tuple[str, bytes]] = []
    pos = 0
    for path, _ in wanted:
        header_end = out.index(b"\n", pos)
        header = out[pos:header_end].split()
        size = int(header[2]) if len(header) == 3 else 0
        body = out[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1
        if len(header) == 3 and size <= MAX_BLOB:
            blobs.append((path, body))
    return blobs


def valid_counts(counts: Any) -> bool:
    """``counts`` is what a burndown point needs: whole numbers of sites, automatic
    and manual sites (not negative), and sites by rule."""
    if not isinstance(counts, dict):
        return False
    for k in ("sites", "automatic", "manual"):
        v = counts.get(k)
        if type(v) is not int or v < 0:
            return False
    by_rule = counts.get("by_rule", {})
    return isinstance(by_rule, dict) and all(
        isinstance(k, str) and type(v) is int and v >= 0 for k, v in by_rule.items()
    )


def history_counts(
    n: int,
    paths: Sequence[Path],
    overrides: Mapping[str, Any],
    config: Path | None,
    cache_dir: Path,
    count: Callable[[list[tuple[str, bytes, Settings, Path]]], dict[str, Any]],
    stderr: TextIO,
) -> list[dict[str, Any]]:
    """Counts at each of the last ``n`` commits (oldest first), by ``count`` over the
    ``(path, bytes, settings, real path)`` of the files at that commit (the whole
    project, as the headline counts it); [] outside git. Cached counts that are not
    well formed (a damaged cache file) are counted again, with a warning."""
    from netra_ws_lint.engine.cache import Cache, settings_key, tool_key

    cwd = Path.cwd()
    try:
        top = Path(_git(["rev-parse", "--show-toplevel"], cwd).decode().strip())
        revs = commits(n, top)
    except GitError as exc:
        print(f"{PROG}: warning: --history: no git history ({exc})", file=stderr)
        return []
    pathspecs = []
    for p in paths:
        rel = (
            Path(p).absolute().relative_to(top) if Path(p).absolute().is_relative_to(top) else None
        )
        if rel is None:
            continue
        if not rel.parts:  # the top itself: the whole tree (a literal "." names no file)
            pathspecs = [":(top)"]
            break
        pathspecs.append(":(top,literal)" + rel.as_posix())
    if not pathspecs:
        print(f"{PROG}: warning: --history: no path inside {top}", file=stderr)
        return []
    configs = ConfigCache()
    cache = Cache(cache_dir)
    out = []
    for rev in revs:
        try:
            blobs = _blobs(rev, pathspecs, top)
        except (GitError, ValueError) as exc:
            print(f"{PROG}: warning: --history: {rev[:12]}: {exc}", file=stderr)
            continue
        files = []
        for path, data in blobs:
            real = top / path
            settings = configs.settings_for(real, overrides, config)
            if is_excluded(real, settings, False):
                continue
            files.append((path, data, settings, real))
        h = hashlib.sha256(f"{tool_key()}\0{rev}".encode())
        for path, _data, settings, _real in files:
            h.update(f"\0{path}\0{settings_key(settings)}".encode("utf-8", "surrogateescape"))
        key = h.hexdigest()
        counts = cache.get_data("history", key)
        if counts is not None and not valid_counts(counts):
            print(
                f"{PROG}: warning: --history: {rev[:12]}: the cached counts are not valid "
                "(a damaged cache file); counted again",
                file=stderr,
            )
            counts = None
        if counts is None:
            counts = count(files)
            cache.put_data("history", key, counts)
        meta = _git(["show", "-s", "--format=%cI%x00%s", "--end-of-options", rev], top)
        date, _, subject = meta.decode("utf-8", "replace").strip().partition("\0")
        out.append({"commit": rev, "date": date, "subject": subject, **counts})
    return out
