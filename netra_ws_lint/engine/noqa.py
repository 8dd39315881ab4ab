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


def _line_ranges(source: str, lines: list[str]) -> dict[int, str]:
    """flake8's ``FileProcessor._noqa_line_mapping``."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return {}
    joined: dict[tuple[int, int], str] = {}
    ret: dict[int, str] = {}
    for n, (lo, hi) in logical_ranges(tokens, len(lines)).items():
        if (lo, hi) not in joined:
            joined[lo, hi] = "".join(lines[lo - 1 : hi])
        ret[n] = joined[lo, hi]
    return ret


class NoqaFilter:
    def __init__(self, source: str) -> None:
        # split on "\n" only: str.splitlines() also splits on form feeds and other
        # characters that Python does not count as line ends
        self.lines = [line + "\n" for line in source.split("\n")]
        self._mapping: dict[int, str] | None = None

    def line_for(self, line: int) -> str:
        if self._mapping is None:
            self._mapping = _line_ranges("".join(self.lines), self.lines)
        text = self._mapping.get(line)
        if text is None:
            text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return text

    def suppresses(self, line: int, code: str) -> bool:
        match = NOQA_INLINE_RE.search(self.line_for(line))
        if match is None:
            return False
        codes_str = match.group("codes")
        if codes_str is None:
            return True
        codes = {c.strip() for c in _SPLIT_RE.split(codes_str) if c.strip()}
        return code in codes or code.startswith(tuple(codes))
