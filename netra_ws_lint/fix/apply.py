"""Applying fixes (``check --fix`` / ``--diff``, ``migrate --apply``) with ast-grep-py.

The rules describe their edits in ``ast`` coordinates (:mod:`.fixgen`); here each edit
is mapped to the ast-grep node with exactly that span and written with ``node.replace``
and ``commit_edits``; the import statements the fixed calls need are rewritten through
their ast-grep nodes too. The edits run on the file's text as read (only decoded), so
its newline style is kept; the result is encoded with the file's encoding (and BOM).

Every fixed text is verified before it is written: it parses, and a further fix pass
changes nothing. Files that do not parse are never touched. Files are replaced
rewritten by :func:`.fsutil.rewrite_file`: only when they still hold what was read,
keeping owner, group, mode and hard links, never when the user could not write them.
"""

from __future__ import annotations

import ast
import bisect
import difflib
import io
import re
import tokenize
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from netra_ws_lint.config import Settings
from netra_ws_lint.engine.fsutil import FileChanged, rewrite_file
from netra_ws_lint.engine.pipeline import (
    RuleSet,
    check_source,
    normalize_newlines,
    parse_source,
    read_source_bytes,
)
from netra_ws_lint.model import Edit, Finding, ImportChange
from netra_ws_lint.rules.fixes import MANUAL, SAFE, UNSAFE, char_col

MAX_PASSES = 4
Checker = Callable[[str], "list[Finding]"]  # a file's text -> its findings
_LINE_START_RE = re.compile(r"\r\n|\r|\n")


class FixError(Exception):
    """A file could not be fixed safely; it is left as it was."""


class ChangedMeanwhile(FixError):
    """The file changed since it was read (an editor, another run): left as it was."""


def encode_as(text: str, encoding: str, original: bytes) -> bytes:
    """``text`` in the file's ``encoding``; :class:`ValueError` (a one-line reason)
    when the file cannot be written back faithfully: a character the encoding lacks,
    or a codec that does not give back the bytes it read (``unicode_escape`` turns
    every line break into ``\\n``)."""
    try:
        if original.decode(encoding).encode(encoding) != original:
            raise ValueError(f"files in the {encoding} encoding cannot be written back unchanged")
        data = text.encode(encoding)
    except UnicodeError as exc:
        raise ValueError(f"the new text cannot be written as {encoding}: {exc}") from None
    except LookupError as exc:
        raise ValueError(f"unknown encoding: {exc}") from None
    if data.decode(encoding) != text:
        raise ValueError(f"the new text does not survive the {encoding} encoding")
    return data


def applicabilities(unsafe: bool) -> tuple[str, ...]:
    return (SAFE, UNSAFE) if unsafe else (SAFE,)


def fixable(findings: Iterable[Finding], unsafe: bool = False) -> list[Finding]:
    allowed = applicabilities(unsafe)
    return [
        f for f in findings if f.fix is not None and f.fix.applicability in allowed and f.fix.edits
    ]


@dataclass
class FixResult:
    path: str
    original: bytes
    fixed: bytes
    applied: list[Finding] = field(default_factory=list)  # findings of the first text fixed

    @property
    def changed(self) -> bool:
        return self.fixed != self.original


# ---------------------------------------------------------------- text <-> positions


class _Text:
    """A text with its line starts: (line, character column) <-> character index."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in _LINE_START_RE.finditer(text)]
        m = _LINE_START_RE.search(text)
        self.newline = m.group(0) if m else "\n"

    def index(self, line: int, char_col: int) -> int:
        return self.starts[line - 1] + char_col

    def line(self, number: int) -> str:
        """Line ``number`` (1-based) without its line ending."""
        start = self.starts[number - 1]
        end = self.starts[number] if number < len(self.starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def line_of(self, index: int) -> int:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= index:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1


class _Spans:
    """The ast-grep nodes of a tree by their exact span (the innermost node for a span
    shared by several: a statement rather than the block holding only it); built on
    the first lookup, with one walk of the tree."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self._table: dict[tuple[int, int], Any] | None = None

    def get(self, start: int, end: int) -> Any | None:
        if self._table is None:
            table: dict[tuple[int, int], Any] = {}
            stack = [self.root]
            while stack:
                node = stack.pop()
                r = node.range()
                table[(r.start.index, r.end.index)] = node  # children come later
                stack.extend(reversed(node.children()))
            self._table = table
        return self._table.get((start, end))


def _node_at(root: Any, start: int, end: int) -> Any | None:
    """The innermost ast-grep node spanning exactly ``[start, end)`` (character
    indexes): a statement rather than the block holding only it."""
    node = root
    found = None
    while True:
        r = node.range()
        if r.start.index == start and r.end.index == end:
            found = node
        elif found is not None:
            return found
        nxt = None
        for child in node.children():
            cr = child.range()
            if cr.start.index <= start and end <= cr.end.index:
                nxt = child
                break
        if nxt is None:
            return found
        node = nxt


# ---------------------------------------------------------------- imports


def _names_used(tree: ast.Module) -> Counter[str]:
    """References of each name (loads and deletes, and strings in ``__all__``)."""
    used: Counter[str] = Counter()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
            used[node.id] += 1
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                for sub in ast.walk(node.value):
                    if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                        used[sub.value] += 1
    return used


def _bound_at_module(tree: ast.Module, stmt: ast.stmt) -> set[str]:
    """Names bound by imports, defs and classes at module level (in ``if``/``try``
    blocks too), and in the functions holding ``stmt`` (if any)."""
    from netra_ws_lint.analysis.scopes import iter_statements_no_scopes

    bound: set[str] = set()
    bodies: list[list[ast.stmt]] = [tree.body]
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
            s is stmt for s in ast.walk(node)
        ):
            bodies.append(node.body)
    for body in bodies:
        for node in iter_statements_no_scopes(body):  # type: ignore[arg-type]
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    bound.add(alias.asname or alias.name.partition(".")[0])
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(node.name)
    return bound


def _statement_parent_body(tree: ast.Module, stmt: ast.stmt) -> list[ast.stmt] | None:
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            body = getattr(node, name, None)
            if isinstance(body, list) and any(s is stmt for s in body):
                return body
        for handler in getattr(node, "handlers", ()):
            if any(s is stmt for s in handler.body):
                return handler.body  # type: ignore[no-any-return]
    return None


def _import_edits(
    root: Any,
    tree: ast.Module,
    text: _Text,
    changes: Sequence[ImportChange],
    fixed_uses: Counter[str],
) -> list[Any]:
    """ast-grep edits for the import statements the fixed calls need."""
    by_stmt: dict[tuple[int, int], list[ImportChange]] = {}
    for c in changes:
        by_stmt.setdefault((c.line, c.col), []).append(c)
    stmts = {
        (n.lineno, n.col_offset): n
        for n in ast.walk(tree)
        if isinstance(n, (ast.Import, ast.ImportFrom))
    }
    used = _names_used(tree)
    edits: list[Any] = []
    module_level = {id(s) for s in tree.body}
    # a new name added by a module-level statement is bound for the whole file: other
    # statements need not add it too
    added_at_module: set[str] = set()
    for key, group in sorted(by_stmt.items()):
        stmt = stmts.get(key)
        if stmt is None:
            raise FixError(f"line {key[0]}: import statement not found")
        bound = _bound_at_module(tree, stmt) | added_at_module
        line_text = text.line(stmt.lineno)
        start = text.index(stmt.lineno, char_col(line_text, stmt.col_offset))
        end_line = stmt.end_lineno or stmt.lineno
        end = text.index(end_line, char_col(text.line(end_line), stmt.end_col_offset or 0))
        node = _node_at(root, start, end)
        if node is None:
            raise FixError(f"line {stmt.lineno}: cannot find the import statement")
        remove = sorted({c.old for c in group if c.old and used[c.old] <= fixed_uses[c.old]})
        add = list(dict.fromkeys(c.new for c in group if c.module is None and c.new not in bound))
        if id(stmt) in module_level:
            added_at_module.update(add)
        new_stmts: dict[str, list[str]] = {}
        for c in group:
            if c.module is not None and c.new not in bound:
                new_stmts.setdefault(c.module, [])
                if c.new not in new_stmts[c.module]:
                    new_stmts[c.module].append(c.new)
        new_lines = [
            f"from {module} import {', '.join(names)}" for module, names in new_stmts.items()
        ]
        if (
            isinstance(stmt, ast.ImportFrom)
            and new_lines
            and not add
            and {a.asname or a.name for a in stmt.names} <= set(remove)
        ):
            # the statement goes: the new one takes its place
            edits.append(node.replace((text.newline + indent_of(line_text)).join(new_lines)))
            continue
        if isinstance(stmt, ast.ImportFrom) and (remove or add):
            edits += _rewrite_import_from(root, node, tree, stmt, text, remove, add)
        if new_stmts:
            indent = line_text[: len(line_text) - len(line_text.lstrip())]
            extra = "".join(
                f"{text.newline}{indent}from {module} import {', '.join(names)}"
                for module, names in new_stmts.items()
            )
            insertion = node.replace(extra)
            insertion.start_pos = insertion.end_pos
            edits.append(insertion)
    return edits


def indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _bound_name(child: Any) -> str:
    if child.kind() == "aliased_import":
        alias = child.field("alias")
        return str(alias.text()) if alias is not None else str(child.text())
    return str(child.text())


def _rewrite_import_from(
    root: Any,
    node: Any,
    tree: ast.Module,
    stmt: ast.ImportFrom,
    text: _Text,
    remove: list[str],
    add: list[str],
) -> list[Any]:
    children = list(node.children())
    try:
        first = next(i for i, c in enumerate(children) if c.kind() == "import")
    except StopIteration:
        raise FixError(f"line {stmt.lineno}: unexpected import statement") from None
    names = [
        (i, c)
        for i, c in enumerate(children)
        if i > first and c.kind() in ("dotted_name", "aliased_import")
    ]
    edits: list[Any] = []
    targets = [(i, c) for i, c in names if _bound_name(c) in remove]
    if targets and len(targets) == len(names) and not add:
        return [_delete_statement(node, tree, stmt, text)]
    if len(targets) > 1 + bool(add):
        # several names go: write the statement again (its comments inside are lost)
        kept = [str(c.text()) for i, c in names if all(i != j for j, _ in targets)]
        items = kept + [a for a in add if a not in kept]
        module = "." * stmt.level + (stmt.module or "")
        if "\n" in str(node.text()):
            line = text.line(stmt.lineno)
            indent = line[: len(line) - len(line.lstrip())]
            body = "".join(f"{text.newline}{indent}    {item}," for item in items)
            return [node.replace(f"from {module} import ({body}{text.newline}{indent})")]
        return [node.replace(f"from {module} import {', '.join(items)}")]
    pending = list(add)
    for i, c in targets:
        if pending:  # the first name removed makes room for the new ones
            edits.append(c.replace(", ".join(pending)))
            pending = []
            continue
        e = c.replace("")
        after = children[i + 1] if i + 1 < len(children) else None
        nxt = next((c2 for j, c2 in names if j > i), None)
        prev = next((c2 for j, c2 in reversed(names) if j < i), None)
        if after is not None and after.kind() == "," and nxt is not None:
            e.end_pos = nxt.range().start.index
        elif prev is not None:
            if after is not None and after.kind() == ",":
                # the last name, with a trailing comma: keep the previous name's comma
                prev_comma = None
                for j in range(i - 1, -1, -1):
                    if children[j].kind() == ",":
                        prev_comma = children[j]
                        break
                e.start_pos = (prev_comma or prev).range().end.index
                e.end_pos = after.range().end.index
            else:
                e.start_pos = prev.range().end.index
        edits.append(e)
    if pending:
        last = names[-1][1]
        edits.append(last.replace(f"{last.text()}, {', '.join(pending)}"))
    return edits


def _delete_statement(node: Any, tree: ast.Module, stmt: ast.stmt, text: _Text) -> Any:
    body = _statement_parent_body(tree, stmt)
    if body is not None and len(body) == 1:
        return node.replace("pass")
    e = node.replace("")
    r = node.range()
    line_start = text.starts[text.line_of(r.start.index) - 1]
    line_end_i = text.line_of(r.end.index)
    line_end = text.starts[line_end_i] if line_end_i < len(text.starts) else len(text.text)
    if (
        not text.text[line_start : r.start.index].strip()
        and not text.text[r.end.index : line_end].strip()
    ):
        e.start_pos, e.end_pos = line_start, line_end
    return e


# ---------------------------------------------------------------- applying


def _overlaps(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    """``[start, end)`` overlaps (or starts with) a span of the sorted, disjoint
    ``taken``."""
    i = bisect.bisect_left(taken, (start, -1))
    for t_start, t_end in taken[max(i - 1, 0) : i + 1]:
        if (start < t_end and t_start < end) or start == t_start:
            return True
    return False


def _sg_edit(spans: _Spans, raw: str, start: int, end: int, content: str) -> Any | None:
    """The ast-grep edit replacing ``raw[start:end]``: the node with exactly that span,
    or blanks followed by such a node (a comment removed with the blanks before it)."""
    node = spans.get(start, end)
    if node is not None:
        return node.replace(content)
    inner = start
    while inner < end and raw[inner] in " \t":
        inner += 1
    node = spans.get(inner, end) if inner > start else None
    if node is None:
        return None
    edit = node.replace(content)
    edit.start_pos = start  # positions are character indexes, as in the spans
    return edit


def apply_fixes(
    raw: str, findings: Sequence[Finding], path: str = "<fix>"
) -> tuple[str, list[Finding]]:
    """``raw`` (the decoded text, original newlines) with the fixes of ``findings``
    applied; and the findings whose fixes were applied (overlapping fixes after the
    first are left for a later pass)."""
    from ast_grep_py import SgRoot

    tree = parse_source(normalize_newlines(raw), path)
    if not isinstance(tree, ast.Module):
        raise FixError("the file does not parse")
    text = _Text(raw)
    root = SgRoot(raw, "python").root()
    spans_index = _Spans(root)
    taken: list[tuple[int, int]] = []
    sg_edits: list[Any] = []
    applied: list[Finding] = []
    changes: list[ImportChange] = []
    fixed_uses: Counter[str] = Counter()
    for f in sorted(findings, key=Finding.sort_key):
        assert f.fix is not None
        spans = []
        for e in f.fix.edits:
            start, end = text.index(e.line, e.char_col), text.index(e.end_line, e.end_char_col)
            spans.append((start, end, e))
        if any(_overlaps(taken, s, end) for s, end, _ in spans):
            continue  # overlaps a fix already taken: next pass
        edits = [_sg_edit(spans_index, raw, s, end, e.content) for s, end, e in spans]
        if any(x is None for x in edits):
            continue  # no node with that span: not applied
        sg_edits.extend(edits)
        for s, end, _ in spans:
            bisect.insort(taken, (s, end))
        applied.append(f)
        for c in f.fix.imports:
            changes.append(c)
            if c.old:
                fixed_uses[c.old] += 1
    if changes:
        sg_edits += _import_edits(root, tree, text, changes, fixed_uses)
    if not sg_edits:
        return raw, []
    return str(root.commit_edits(sg_edits)), applied


def fix_text(
    raw: str,
    path: str,
    settings: Settings,
    unsafe: bool = False,
    rule_set: RuleSet | None = None,
    checker: Checker | None = None,
) -> tuple[str, list[Finding]]:
    """Fix ``raw`` until no fix applies (a few passes at most), verified: the result
    parses and one more pass changes nothing. Returns the text and the findings fixed
    (of every pass). ``checker``: how a text is checked (default: the file on its own;
    the CLI passes its run's, so cross-module findings are fixed too)."""
    if checker is None:

        def checker(text: str) -> list[Finding]:
            return check_source(text, path, settings, rule_set)

    norm = normalize_newlines(raw)
    if not isinstance(parse_source(norm, path), ast.Module):
        raise FixError("the file does not parse; not fixed")
    applied: list[Finding] = []
    current = raw
    for _ in range(MAX_PASSES):
        findings = fixable(checker(current), unsafe)
        if not findings:
            break
        new, done = apply_fixes(current, findings, path)
        if not isinstance(parse_source(normalize_newlines(new), path), ast.Module):
            raise FixError("the fixed file would not parse; not fixed")
        applied += done
        if new == current:
            break
        current = new
    # verification: a further pass changes nothing
    again = fixable(checker(current), unsafe)
    if again and apply_fixes(current, again, path)[0] != current:
        raise FixError("the fixes do not settle (a second pass changes the file); not fixed")
    return current, applied


def decode(data: bytes) -> tuple[str, str]:
    """The text of a Python file (newlines as they are) and its encoding."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding), encoding
    except (SyntaxError, LookupError, UnicodeError) as exc:
        raise FixError(f"cannot decode file: {exc}") from None


def fix_bytes(
    data: bytes,
    path: str,
    settings: Settings,
    unsafe: bool = False,
    rule_set: RuleSet | None = None,
    checker: Checker | None = None,
) -> FixResult:
    raw, encoding = decode(data)
    if raw.startswith("\ufeff"):  # a BOM the codec kept: leave it to the codec
        raise FixError("unexpected byte order mark; not fixed")
    new, applied = fix_text(raw, path, settings, unsafe, rule_set, checker)
    if new == raw:
        return FixResult(path, data, data, applied)
    try:
        fixed = encode_as(new, encoding, data)
    except ValueError as exc:
        raise FixError(f"{exc}; not fixed") from None
    return FixResult(path, data, fixed, applied)


def fix_file(
    path: Path,
    settings: Settings,
    unsafe: bool = False,
    rule_set: RuleSet | None = None,
    display: str | None = None,
    write: bool = True,
    roots: Sequence[Path] | None = None,
    checker: Checker | None = None,
    start: tuple[bytes, bytes] | None = None,
) -> FixResult:
    """Fix one file in place (:func:`.fsutil.rewrite_file`: :class:`ChangedMeanwhile`
    when it changed since it was read), or only compute the result (``write=False``).
    With ``roots`` (the checked paths), a symbolic link or a file outside them is not
    written (:func:`.fsutil.refuse_to_write`). ``start``: ``(bytes read, bytes to
    fix)``, when a cross-file fix already changed the file's text: it is fixed from
    there only while the file still holds the bytes read (else
    :class:`ChangedMeanwhile`); the result's original is the file's."""
    if write and roots is not None:
        from netra_ws_lint.engine.fsutil import refuse_to_write

        refused = refuse_to_write(path, roots)
        if refused:
            raise FixError(refused)
    try:
        data = read_source_bytes(path)
    except OSError as exc:
        raise FixError(f"cannot read: {exc.strerror or exc}") from None
    if start is not None and data != start[0]:
        raise ChangedMeanwhile("changed since it was read; left as it was")
    text = data if start is None else start[1]
    result = fix_bytes(text, display or str(path), settings, unsafe, rule_set, checker)
    result.original = data
    if write and result.changed:
        try:
            rewrite_file(path, data, result.fixed)
        except FileChanged as exc:
            raise ChangedMeanwhile(exc.strerror) from None
        except OSError as exc:
            raise FixError(f"cannot write: {exc.strerror or exc}") from None
    return result


def unified_diff(result: FixResult) -> str:
    old, enc = decode(result.original)
    new = result.fixed.decode(enc)
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{result.path}",
            tofile=f"b/{result.path}",
        )
    )


def edits_as_dicts(edits: Sequence[Edit]) -> list[dict[str, Any]]:
    return [
        {
            "content": e.content,
            "location": {"row": e.line, "column": e.col + 1},
            "end_location": {"row": e.end_line, "column": e.end_col + 1},
        }
        for e in edits
    ]


__all__ = [
    "MANUAL",
    "ChangedMeanwhile",
    "FixError",
    "FixResult",
    "apply_fixes",
    "fix_bytes",
    "fix_file",
    "fix_text",
    "fixable",
    "unified_diff",
]
