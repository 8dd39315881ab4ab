"""``check --add-noqa[=REASON]``: suppress every reported finding where it stands, by
appending ``# noqa: CODE`` to the line flake8 reads the comment from, or by merging the
code into the ``# noqa: ...`` comment already there.

That line is the last line of the finding's noqa range (see :mod:`.noqa`): for a
finding inside a multi-line string, the line the string ends on; for a
backslash-continued statement, its last line. So a comment never lands inside a string
or after a line-continuation backslash. The edited file must parse again and every
finding must be suppressed by the new comments, or the file is left as it was; files
are replaced atomically, keeping their encoding and line endings.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Sequence
from pathlib import Path

from netra_ws_lint.analysis.scopes import parse_quietly
from netra_ws_lint.engine.fsutil import refuse_to_write, rewrite_file
from netra_ws_lint.engine.noqa import _SPLIT_RE, NOQA_INLINE_RE, NoqaFilter, logical_ranges
from netra_ws_lint.engine.pipeline import SYNTAX_ERROR, normalize_newlines, read_source_bytes
from netra_ws_lint.fix.apply import encode_as
from netra_ws_lint.model import Finding

_LINE_END_RE = re.compile(r"(\r\n|\r|\n)")


class AddNoqaError(Exception):
    pass


def _merge(comment: str, codes: Sequence[str]) -> str | None:
    """``comment`` with ``codes`` merged into its ``# noqa: ...``; None if it has none
    (a bare ``# noqa`` covers every code already: returned as is)."""
    m = NOQA_INLINE_RE.search(comment)
    if m is None:
        return None
    if m.group("codes") is None:
        return comment
    listed = m.group("codes")
    existing = {c.upper() for c in _SPLIT_RE.split(listed) if c}
    new = [c for c in codes if c not in existing]
    if not new:
        return comment
    core = listed.rstrip(", \t")
    sep = "," if re.search(r",(?! )", core) else ", "  # the list's own style
    start, end = m.span("codes")
    return comment[:start] + core + sep + sep.join(new) + listed[len(core) :] + comment[end:]


def add_noqa_to_source(text: str, findings: Sequence[Finding], reason: str = "") -> tuple[str, int]:
    """``text`` with ``# noqa`` comments for ``findings``; and how many lines changed.

    ``text`` is the file's decoded text with its original line endings.
    """
    parts = _LINE_END_RE.split(text)
    lines, ends = parts[0::2], [*parts[1::2], ""]
    norm = normalize_newlines(text)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(norm).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        tokens = []
    ranges = logical_ranges(tokens, len(lines))
    comments = {t.start[0]: t.start[1] for t in tokens if t.type == tokenize.COMMENT}

    wanted: dict[int, list[str]] = {}
    for f in sorted(findings, key=Finding.sort_key):
        if f.code == SYNTAX_ERROR or not 0 < f.line <= len(lines):
            continue
        target = ranges.get(f.line, (f.line, f.line))[1]
        codes = wanted.setdefault(target, [])
        if f.code not in codes:
            codes.append(f.code)

    changed = 0
    for number, codes in sorted(wanted.items()):
        line = lines[number - 1]
        col = comments.get(number)
        new: str | None = None
        if col is not None:
            merged = _merge(line[col:], sorted(codes))
            if merged is not None:
                new = line[:col] + merged
        if new is None:
            new = f"{line.rstrip()}  # noqa: {', '.join(sorted(codes))}"
            if reason:
                new += f"  # {' '.join(reason.split())}"
        if new != line:
            lines[number - 1] = new
            changed += 1
    return "".join(line + end for line, end in zip(lines, ends)), changed


def add_noqa_to_file(
    path: Path,
    findings: Sequence[Finding],
    reason: str = "",
    checked_lines: Sequence[str | None] | None = None,
    roots: Sequence[Path] | None = None,
) -> int:
    """Edit one file in place; the number of lines changed. :class:`AddNoqaError` when
    the file cannot be edited safely (it is then left untouched).

    ``checked_lines``: the text of each finding's line when the file was checked; a
    file changed since then is left alone. ``roots``: the checked paths; a file that is a
    symbolic link or lies outside them is never written (see :func:`.refuse_to_write`).
    """
    if roots is not None:
        refused = refuse_to_write(path, roots)
        if refused is not None:
            raise AddNoqaError(refused)
    try:
        data = read_source_bytes(path)
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (OSError, SyntaxError, LookupError, UnicodeError) as exc:
        raise AddNoqaError(f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    if checked_lines is not None:
        now = normalize_newlines(text.lstrip("\ufeff")).split("\n")
        for f, line in zip(findings, checked_lines):
            if line is not None and (not 0 < f.line <= len(now) or now[f.line - 1] != line):
                raise AddNoqaError("changed since it was checked; left as it was")
    new_text, changed = add_noqa_to_source(text, findings, reason)
    if not changed:
        return 0
    old_norm, new_norm = normalize_newlines(text), normalize_newlines(new_text)
    try:
        parse_quietly(old_norm)
        parsed_before = True
    except (SyntaxError, ValueError):
        parsed_before = False
    try:
        parse_quietly(new_norm)
    except (SyntaxError, ValueError):
        if parsed_before:
            raise AddNoqaError("adding the comments would break the file; left as it was") from None
    noqa = NoqaFilter(new_norm)
    missed = [f for f in findings if f.code != SYNTAX_ERROR and not noqa.suppresses(f.line, f.code)]
    if missed:
        f = missed[0]
        raise AddNoqaError(f"line {f.line}: no place for `# noqa: {f.code}`; left as it was")
    try:
        new_data = encode_as(new_text, encoding, data)
    except ValueError as exc:  # `--add-noqa="✓"` in a latin-1 file
        raise AddNoqaError(f"{exc}; left as it was") from None
    try:
        rewrite_file(path, data, new_data)
    except OSError as exc:
        raise AddNoqaError(f"cannot write: {exc.strerror or exc}") from None
    return changed
