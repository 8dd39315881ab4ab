"""Finding fingerprints and the baseline file (``.netra-ws-lint-baseline.json``).

A legacy code base cannot be migrated in one go; the baseline records the findings it
has today so that ``check --baseline`` reports only new ones, and shrinks as findings
are fixed (a ratchet, with ``--strict-baseline``).

A fingerprint says *what* a finding is, not *where*: the first 16 hex digits of the
SHA-256 of

- the file's path relative to the repository root,
- the rule code,
- the qualified name of the functions and classes around the flagged statement
  (``Handler.on_message``),
- the normalised text (``ast.unparse``: no comments, no layout) of the smallest statement
  holding the finding; a compound statement contributes only its header
  (``async def f(user_context):``, ``if x:``), so edits in its body do not touch it.

It survives lines inserted or removed above the finding, reformatting, comments, and
edits anywhere else; it changes when the flagged statement itself is edited, or moves
to another function or file. Identical statements in one scope share a fingerprint, so
each entry also records its *surroundings*: short hashes of the two source lines
before and the two after the flagged statement.

Matching (:func:`match`): within each fingerprint, current findings and recorded entries
are paired so that findings on unchanged lines (with ``--diff-base``) are paired first,
then those whose surroundings the baseline knows best; the findings left over are the
new ones. A duplicated line is therefore reported where it was added, never at an old
occurrence that merely moved.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netra_ws_lint.analysis.scopes import parse_quietly
from netra_ws_lint.config import ConfigError
from netra_ws_lint.engine.fsutil import DATA_LIMIT, read_text_file
from netra_ws_lint.model import Finding

DEFAULT_FILE = ".netra-ws-lint-baseline.json"
FORMAT = 2
_BODY_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class Entry:
    """One finding as the baseline records it (no line number: lines move)."""

    path: str
    code: str
    scope: str
    fingerprint: str
    message: str = ""
    audit: bool = False
    # hashes of the two lines before and the two after the statement, comma-separated
    context: str = ""
    # the fingerprint without the enclosing scope: pairs a finding whose function was
    # renamed or moved with its old entry
    statement: str = ""

    def sort_key(self) -> tuple[str, str, str, str, str]:
        return (self.path, self.code, self.scope, self.message, self.fingerprint)

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "path": self.path,
            "code": self.code,
            "scope": self.scope,
            "fingerprint": self.fingerprint,
            "message": self.message,
        }
        if self.audit:
            data["audit"] = True
        if self.context:
            data["context"] = self.context
        if self.statement:
            data["statement"] = self.statement
        text = json.dumps(data, ensure_ascii=False)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a non-UTF-8 path: escaped, so the file stays UTF-8
            text = json.dumps(data)
        return text


# ---------------------------------------------------------------- fingerprints


def _start(node: ast.AST) -> tuple[int, int]:
    decorators = getattr(node, "decorator_list", None)
    if decorators:
        return (decorators[0].lineno, 0)
    return (node.lineno, node.col_offset)  # type: ignore[attr-defined]


def _end(node: ast.AST) -> tuple[int, int]:
    return (node.end_lineno or node.lineno, node.end_col_offset or 0)  # type: ignore[attr-defined]


def _children(node: ast.AST) -> list[ast.AST]:
    """The statements (and ``except`` clauses) directly inside ``node``."""
    out: list[ast.AST] = []
    for name in _BODY_FIELDS:
        for child in getattr(node, name, None) or ():
            if type(child).__name__ == "match_case":  # no position of its own
                out.extend(child.body)
            else:
                out.append(child)
    return out


class StatementIndex:
    """Finds the smallest statement holding a position, and its enclosing scopes."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self._cache: dict[int, tuple[list[tuple[int, int]], list[ast.AST]]] = {}

    def _level(self, node: ast.AST) -> tuple[list[tuple[int, int]], list[ast.AST]]:
        key = id(node)
        if key not in self._cache:
            children = sorted(_children(node), key=_start)
            self._cache[key] = ([_start(c) for c in children], children)
        return self._cache[key]

    def locate(self, line: int, col: int) -> tuple[ast.AST | None, list[str]]:
        pos = (line, col)
        node: ast.AST = self.tree
        found: ast.AST | None = None
        scope: list[str] = []
        while True:
            starts, children = self._level(node)
            i = bisect_right(starts, pos) - 1
            if i < 0 or not pos < _end(children[i]):
                return found, scope
            if isinstance(found, _SCOPES):
                scope.append(found.name)
            found = node = children[i]


def statement_text(node: ast.AST) -> str:
    """The normalised text of a statement; of a compound statement, its header."""
    if any(getattr(node, name, None) for name in _BODY_FIELDS):
        node = copy.copy(node)
        for name in _BODY_FIELDS:
            if hasattr(node, name):
                setattr(node, name, [])
    try:
        return ast.unparse(node)
    except (RecursionError, ValueError, AttributeError, TypeError):
        # a tree too deep for the recursive unparser: a flat, layout-free dump
        # (``ast.walk`` is iterative) of every node's type and plain fields
        parts: list[str] = []
        for n in ast.walk(node):
            parts.append(type(n).__name__)
            for name, value in ast.iter_fields(n):
                if value is not None and not isinstance(value, (ast.AST, list)):
                    parts.append(f"{name}={value!r}")
        return " ".join(parts)


def _digest(*parts: object) -> str:
    key = json.dumps(parts, ensure_ascii=False)
    # surrogateescape: a path that is not UTF-8 (``caf\udce9.py``) hashes as its bytes
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]


@dataclass(frozen=True)
class Fingerprint:
    """The identity of one finding: ``fingerprint`` (what it is), ``scope`` (the
    qualified name around it), ``context`` (its surroundings, see the module doc),
    ``statement`` (the fingerprint without the scope) and ``unique`` (distinct for every
    finding of a file, from the fingerprint and its occurrence index: for output formats
    that track one identity per finding)."""

    fingerprint: str
    scope: str
    context: str
    unique: str
    statement: str


def _line_hash(line: str) -> str:
    return _digest(" ".join(line.split()))[:8]


def _surroundings(lines: list[str], first: int, last: int) -> str:
    """Hashes of the two non-blank lines before line ``first`` and the two after line
    ``last`` (1-based), nearest first: ``before1,before2,after1,after2``."""

    def near(start: int, step: int) -> list[str]:
        out: list[str] = []
        i = start
        while 0 <= i < len(lines) and len(out) < 2:
            if lines[i].strip():
                out.append(_line_hash(lines[i]))
            i += step
        return out + [""] * (2 - len(out))

    return ",".join(near(first - 2, -1) + near(last, 1))


def fingerprint_findings(
    source: str | None, path: str, findings: Sequence[Finding]
) -> list[Fingerprint]:
    """The :class:`Fingerprint` of each finding of one file, in the order given.

    ``path`` is the file's path relative to the repository root. Without a tree (a file
    that does not parse) the flagged line's text, whitespace-normalised, stands in for
    the statement.
    """
    tree: ast.Module | None = None
    lines: list[str] = []
    if source is not None:
        lines = source.split("\n")
        try:
            tree = parse_quietly(source)  # type: ignore[assignment]
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            tree = None
    index = StatementIndex(tree) if tree is not None else None
    texts: dict[int, str] = {}  # one unparse per statement: many findings may share one
    seen: Counter[str] = Counter()
    order = sorted(range(len(findings)), key=lambda i: findings[i].sort_key())
    result: list[Fingerprint | None] = [None] * len(findings)
    for i in order:
        f = findings[i]
        node, scope = index.locate(f.line, f.col) if index is not None else (None, [])
        first = last = f.line
        if node is not None:
            text = texts.get(id(node))
            if text is None:
                text = texts[id(node)] = statement_text(node)
            first = _start(node)[0]
            last = max(first, f.line) if _children(node) else _end(node)[0]
        else:
            text = " ".join(lines[f.line - 1].split()) if 0 < f.line <= len(lines) else ""
        qualname = ".".join(scope)
        fp = _digest(path, f.code, qualname, text)
        context = _surroundings(lines, first, last) if lines else ""
        n = seen[fp]
        seen[fp] += 1
        statement = _digest(path, f.code, text)
        result[i] = Fingerprint(fp, qualname, context, _digest(fp, n), statement)
    return [r for r in result if r is not None]


# ---------------------------------------------------------------- the file


def load(path: Path) -> list[Entry]:
    """The entries of a baseline file; :class:`ConfigError` if it is not one."""
    try:
        data = json.loads(read_text_file(path, DATA_LIMIT))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a baseline file (invalid JSON: {exc})") from None
    except RecursionError:
        raise ConfigError(f"{path}: not a baseline file (JSON nested too deeply)") from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise ConfigError(f'{path}: not a baseline file (no "entries" list)')
    if data.get("format") != FORMAT:
        raise ConfigError(
            f"{path}: baseline format {data.get('format')!r} is not supported "
            f"(this version writes format {FORMAT}, which records each finding's "
            "surroundings); recreate it with `netra-ws-lint baseline create`"
        )
    entries = []
    for i, item in enumerate(data["entries"]):
        where = f"{path}: entry {i + 1}"
        if not isinstance(item, dict) or not all(
            k in item for k in ("path", "code", "fingerprint")
        ):
            raise ConfigError(f'{where} needs "path", "code" and "fingerprint"')
        fields: dict[str, Any] = {}
        for key in ("path", "code", "fingerprint", "scope", "message", "context", "statement"):
            value = item.get(key, "")
            if not isinstance(value, str):
                raise ConfigError(f'{where}: "{key}" must be a string, not {_json_type(value)}')
            fields[key] = value
        audit = item.get("audit", False)
        if not isinstance(audit, bool):  # "false" is a string, and a truthy one
            raise ConfigError(f'{where}: "audit" must be true or false, not {_json_type(audit)}')
        entries.append(Entry(audit=audit, **fields))
    return entries


def _json_type(value: object) -> str:
    """How a JSON value's type is named in a message."""
    if value is None:
        return "null"
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string",
             list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def dumps(entries: Iterable[Entry]) -> str:
    """The file's text: sorted, one entry per line (merge conflicts stay rare)."""
    lines = [e.to_json() for e in sorted(entries, key=Entry.sort_key)]
    body = ",\n".join(f"    {line}" for line in lines)
    head = f'{{\n  "format": {FORMAT},\n  "tool": "netra-ws-lint",\n  "entries": ['
    return head + (f"\n{body}\n  ]\n}}\n" if lines else "]\n}\n")


# ---------------------------------------------------------------- matching


# pairs compared per fingerprint before falling back to pairing in source order
MAX_PAIRS = 250_000


def _closeness(a: str, b: str) -> int:
    """How well two surroundings agree: the nearest lines weigh twice the others."""
    score = 0
    for weight, x, y in zip((2, 1, 2, 1), a.split(","), b.split(",")):
        if x and x == y:
            score += weight
    return score


def match(
    baseline: Sequence[Entry],
    current: Sequence[Entry],
    changed: Sequence[bool] | None = None,
) -> tuple[list[bool], list[Entry]]:
    """Whether each current finding is new, and the baseline entries no current
    finding matched.

    Within one fingerprint, a current finding and an entry are paired greedily:
    findings not on a changed line first (``changed``, one flag per current finding,
    from ``--diff-base``), then the closest surroundings, then the nearest in order.
    A second pass pairs what is left by statement alone (a renamed or moved function).
    What is left unpaired is new (current) or fixed (baseline)."""
    is_new = [True] * len(current)
    used = [False] * len(baseline)
    for key in ("fingerprint", "statement"):
        _pair(baseline, current, changed, key, is_new, used)
    return is_new, [e for e, u in zip(baseline, used) if not u]


def _pair(
    baseline: Sequence[Entry],
    current: Sequence[Entry],
    changed: Sequence[bool] | None,
    key: str,
    is_new: list[bool],
    used: list[bool],
) -> None:
    """One matching pass over the entries not paired yet, grouped by ``key``."""
    cur_groups: dict[str, list[int]] = {}
    for i, e in enumerate(current):
        k = getattr(e, key)
        if is_new[i] and k:
            cur_groups.setdefault(k, []).append(i)
    base_groups: dict[str, list[int]] = {}
    for i, e in enumerate(baseline):
        k = getattr(e, key)
        if not used[i] and k:
            base_groups.setdefault(k, []).append(i)
    for k, cur in cur_groups.items():
        old = base_groups.get(k)
        if not old:
            continue
        if len(cur) * len(old) > MAX_PAIRS:
            pairs = [(False, 0, 0, c, b) for c, b in zip(cur, old)]
        else:
            pairs = [
                (
                    bool(changed and changed[c]),
                    -_closeness(current[c].context, baseline[b].context),
                    abs(ci * len(old) - bi * len(cur)),
                    c,
                    b,
                )
                for ci, c in enumerate(cur)
                for bi, b in enumerate(old)
            ]
            pairs.sort()
        for *_, c, b in pairs:
            if is_new[c] and not used[b]:
                is_new[c] = False
                used[b] = True
