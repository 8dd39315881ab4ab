"""Changed-lines mode (``check --diff-base REV``): the lines added or changed since a
git revision, from ``git diff --unified=0 REV`` (the working tree, staged or not,
against REV), and the files as they were at REV (:func:`file_at`). Files git does not
track yet count as new throughout."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from netra_ws_lint.config import ConfigError

HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")

# path (relative to the repository root) -> changed line numbers; None: the whole file
ChangedLines = dict[str, Optional[set[int]]]


@dataclass(frozen=True)
class Changes:
    """What changed since a revision: the repository root, the verified commit, the
    changed lines of each file, and each renamed file's path at that commit."""

    top: Path
    commit: str
    lines: ChangedLines
    renamed: dict[str, str] = field(default_factory=dict)


def _git(args: Sequence[str], cwd: Path) -> bytes:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise ConfigError(f"--diff-base needs git: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        raise _GitFailed(proc.stderr.decode("utf-8", "replace").strip())
    return proc.stdout


class _GitFailed(Exception):
    pass


def unquote_path(raw: str) -> str:
    """A path as git prints it in a diff header: C-quoted when it holds unusual bytes,
    followed by a tab when it holds a space."""
    if raw.endswith("\t"):
        raw = raw[:-1]
    if not (raw.startswith('"') and raw.endswith('"') and len(raw) >= 2):
        return raw
    body = raw[1:-1].encode("utf-8", "surrogateescape")
    out = bytearray()
    i = 0
    simple = {
        ord("n"): 10,
        ord("t"): 9,
        ord("r"): 13,
        ord('"'): 34,
        ord("\\"): 92,
        ord("a"): 7,
        ord("b"): 8,
        ord("f"): 12,
        ord("v"): 11,
    }
    while i < len(body):
        c = body[i]
        if c == 92 and i + 1 < len(body):  # backslash
            nxt = body[i + 1]
            if nxt in simple:
                out.append(simple[nxt])
                i += 2
                continue
            if i + 3 < len(body) and all(48 <= d <= 55 for d in body[i + 1 : i + 4]):  # \ooo
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
        out.append(c)
        i += 1
    return bytes(out).decode("utf-8", "surrogateescape")


def parse_diff(diff: str, renamed: dict[str, str] | None = None) -> ChangedLines:
    """The added lines of each file in a ``--unified=0`` diff (``b/`` prefixed); each
    renamed file's old path goes into ``renamed`` (new path -> old path)."""
    changed: ChangedLines = {}
    rename_from: str | None = None
    current: str | None = None
    old_left = new_left = 0
    for line in diff.split("\n"):
        if old_left > 0 or new_left > 0:  # inside a hunk: the lines are content
            if line.startswith("-"):
                old_left -= 1
            elif line.startswith("+"):
                new_left -= 1
            elif line.startswith(" "):
                old_left -= 1
                new_left -= 1
            continue
        if line.startswith("+++ "):
            target = unquote_path(line[4:])
            current = target[2:] if target.startswith("b/") else None
            if current is not None:
                changed.setdefault(current, set())
        elif line.startswith("diff --git "):
            current = rename_from = None
        elif line.startswith("rename from "):
            rename_from = unquote_path(line[len("rename from ") :])
        elif line.startswith("rename to ") and rename_from is not None:
            new = unquote_path(line[len("rename to ") :])
            changed.setdefault(new, set())  # a pure rename has no hunk
            if renamed is not None:
                renamed[new] = rename_from
        elif line.startswith("@@ "):
            m = HUNK_RE.match(line)
            if m is None:
                continue
            old_left = int(m.group(2)) if m.group(2) is not None else 1
            new_left = int(m.group(4)) if m.group(4) is not None else 1
            start = int(m.group(3))
            lines = changed.get(current) if current is not None else None
            if lines is not None:
                lines.update(range(start, start + new_left))
    return changed


def changed_lines(rev: str, cwd: Path | None = None) -> Changes:
    """The repository root, the commit ``rev`` names, and the lines changed since."""
    here = cwd or Path.cwd()
    try:
        top = Path(_git(["rev-parse", "--show-toplevel"], here).decode().strip())
    except _GitFailed:
        raise ConfigError("--diff-base: not inside a git repository") from None
    try:
        # only the verified commit id reaches git diff: a ref named like an option
        # (refs/heads/--output=/tmp/x) stays a revision
        commit = (
            _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], top)
            .decode("ascii")
            .strip()
        )
    except (_GitFailed, UnicodeDecodeError):
        raise ConfigError(f"--diff-base: unknown git revision {rev!r}") from None
    if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", commit):
        raise ConfigError(f"--diff-base: git gave no commit id for {rev!r}: {commit!r}")
    try:
        diff = _git(
            [
                "-c",
                "core.quotepath=off",
                "diff",
                "--no-color",
                "--no-ext-diff",
                "--no-textconv",
                "--find-renames",
                "--unified=0",
                "--src-prefix=a/",
                "--dst-prefix=b/",
                "--end-of-options",
                commit,  # a verified hexadecimal name: never taken for an option
                "--",
            ],
            top,
        )
        untracked = _git(["ls-files", "--others", "--exclude-standard", "-z", "--"], top)
    except _GitFailed as exc:
        raise ConfigError(f"--diff-base: git diff failed: {exc}") from None
    renamed: dict[str, str] = {}
    changed = parse_diff(diff.decode("utf-8", "surrogateescape"), renamed)
    for name in untracked.decode("utf-8", "surrogateescape").split("\0"):
        if name:
            changed[name] = None
    return Changes(top, commit, changed, renamed)


def file_at(changes: Changes, relpath: str) -> bytes | None:
    """The bytes of ``relpath`` (relative to the repository root) at the base commit,
    following a rename; None when the file did not exist there."""
    old = changes.renamed.get(relpath, relpath)
    try:
        kind = _git(["cat-file", "-t", f"{changes.commit}:{old}"], changes.top).strip()
    except _GitFailed:
        return None
    if kind != b"blob":
        return None
    try:
        return _git(["cat-file", "blob", f"{changes.commit}:{old}"], changes.top)
    except _GitFailed as exc:
        raise ConfigError(f"--diff-base: cannot read {old} at {changes.commit}: {exc}") from None


def is_changed(changed: ChangedLines, relpath: str, line: int) -> bool:
    if relpath not in changed:
        return False
    lines = changed[relpath]
    return lines is None or line in lines
