"""``# noqa`` with flake8's exact semantics, so the CLI and the flake8 plugin agree.

flake8 searches for the comment on the flagged line, where a "line" is the whole
range of physical lines of the logical line (or multi-line string) around it: a
``# noqa`` on the last line of a multi-line statement covers all of its lines.
"""

from __future__ import annotations

import io
import re
import tokenize

# flake8.defaults.NOQA_INLINE_REGEXP
NOQA_INLINE_RE = re.compile(
    r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?",
    re.IGNORECASE,
)
_SPLIT_RE = re.compile(r"[,\s]")


def _line_ranges(source: str, lines: list[str]) -> dict[int, str]:
    """flake8's ``FileProcessor._noqa_line_mapping``."""
    ret: dict[int, str] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return ret
    min_line, max_line = len(lines) + 2, -1
    for tok in tokens:
        if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        min_line = min(min_line, tok.start[0])
        max_line = max(max_line, tok.end[0])
        if tok.type in (tokenize.NL, tokenize.NEWLINE):
            joined = "".join(lines[min_line - 1:max_line])
            for n in range(min_line, max_line + 1):
                ret[n] = joined
            min_line, max_line = len(lines) + 2, -1
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

