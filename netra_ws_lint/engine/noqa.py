"""``# noqa`` with flake8's exact semantics, so the CLI and the flake8 plugin agree.

flake8 searches for the comment on the flagged line, where a "line" is the whole
range of physical lines of the logical line (or multi-line string) around it: a
``# noqa`` on the last line of a multi-line statement covers all of its lines.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass

# flake8.defaults.NOQA_INLINE_REGEXP
NOQA_INLINE_RE = re.compile(
    r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?",
    re.IGNORECASE,
)
_SPLIT_RE = re.compile(r"[,\s]")


def logical_ranges(tokens: Iterable[tokenize.TokenInfo], nlines: int) -> dict[int, tuple[int, int]]:
    """flake8's ``FileProcessor._noqa_line_mapping`` ranges: each physical line -> the
    first and last line of the range whose ``# noqa`` covers it (a multi-line string,
    a backslash-continued line; a bracketed continuation line is a range of its own)."""
    ret: dict[int, tuple[int, int]] = {}
    min_line, max_line = nlines + 2, -1
    for tok in tokens:
        if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        min_line = min(min_line, tok.start[0])
        max_line = max(max_line, tok.end[0])
        if tok.type in (tokenize.NL, tokenize.NEWLINE):
            for n in range(min_line, max_line + 1):
                ret[n] = (min_line, max_line)
            min_line, max_line = nlines + 2, -1
    return ret


def _line_ranges(source: str, lines: list[str]) -> dict[int, tuple[int, str]]:
    """flake8's ``FileProcessor._noqa_line_mapping``: each line -> the first line of
    its range, and the range's text."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return {}
    joined: dict[tuple[int, int], str] = {}
    ret: dict[int, tuple[int, str]] = {}
    for n, (lo, hi) in logical_ranges(tokens, len(lines)).items():
        if (lo, hi) not in joined:
            joined[lo, hi] = "".join(lines[lo - 1 : hi])
        ret[n] = (lo, joined[lo, hi])
    return ret


@dataclass(frozen=True)
class NoqaComment:
    """A ``# noqa`` comment that is in force (the first one of its range), with the
    codes of the findings it suppressed (:meth:`NoqaFilter.unused`)."""

    line: int  # 1-based
    col: int  # 0-based, in characters, of the comment token
    comment: str  # the whole comment token
    match: re.Match[str]  # the directive in ``comment``
    codes: tuple[str, ...] | None  # None: a blanket directive (no codes)
    suppressed: frozenset[str]  # codes of the findings it suppressed


class NoqaFilter:
    def __init__(self, source: str) -> None:
        # split on "\n" only: str.splitlines() also splits on form feeds and other
        # characters that Python does not count as line ends
        self.lines = [line + "\n" for line in source.split("\n")]
        self._mapping: dict[int, tuple[int, str]] | None = None
        # first line of a range -> the codes its directive suppressed
        self.used: dict[int, set[str]] = {}

    def _range(self, line: int) -> tuple[int, str]:
        if self._mapping is None:
            self._mapping = _line_ranges("".join(self.lines), self.lines)
        found = self._mapping.get(line)
        if found is None:
            found = (line, self.lines[line - 1] if 0 < line <= len(self.lines) else "")
        return found

    def line_for(self, line: int) -> str:
        return self._range(line)[1]

    def suppresses(self, line: int, code: str) -> bool:
        start, text = self._range(line)
        match = NOQA_INLINE_RE.search(text)
        if match is None:
            return False
        codes = _codes(match)
        if codes is not None and not (code in codes or code.startswith(codes)):
            return False
        self.used.setdefault(start, set()).add(code)
        return True

    def comments(self) -> list[NoqaComment]:
        """The ``# noqa`` comments in force, with what they suppressed so far (call
        after :meth:`suppresses` has seen every finding)."""
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO("".join(self.lines)).readline))
        except (tokenize.TokenError, SyntaxError, IndentationError):
            return []
        out = []
        for tok in tokens:
            if tok.type != tokenize.COMMENT:
                continue
            match = NOQA_INLINE_RE.search(tok.string)
            if match is None:
                continue
            line, col = tok.start
            start, text = self._range(line)
            # in force: flake8 takes the first directive of the range's text
            offset = sum(len(t) for t in self.lines[start - 1 : line - 1]) + col + match.start()
            first = NOQA_INLINE_RE.search(text)
            if first is None or first.start() != offset:
                continue
            used = frozenset(self.used.get(start, ()))
            out.append(NoqaComment(line, col, tok.string, match, _codes(match), used))
        return out


def _codes(match: re.Match[str]) -> tuple[str, ...] | None:
    codes_str = match.group("codes")
    if codes_str is None:
        return None
    return tuple(dict.fromkeys(c.strip() for c in _SPLIT_RE.split(codes_str) if c.strip()))
