"""Glob patterns (``exclude``, ``per-file-ignores``, ``test-paths``, ``.gitignore``)
matched in polynomial time whatever the pattern.

pathspec translates a gitignore pattern into a regular expression in which each ``*``
of a path segment is ``[^/]*``; Python's backtracking engine then tries every way to
split a name among the stars (``*a*a*a*a*a*a*a*a*a*a*b`` takes minutes on a
40-character name). Within one segment the split does not matter: the segment ends at
the next ``/`` whatever it is, and taking the earliest match of each piece between two
stars is always right. So every star but the last of a segment becomes an atomic lazy
match of itself and the piece after it (``(?=(?P<g>[^/]*?PIECE))(?P=g)``, the idiom
``fnmatch`` uses): the same matches, pathspec's semantics (negation, directories, the
priorities of ``GitIgnoreSpec``), no blow-up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pathspec
from pathspec.util import normalize_file

try:  # pathspec >= 1.0
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern as _BasePattern
except ImportError:  # pragma: no cover - pathspec 0.11 / 0.12
    from pathspec.patterns.gitwildmatch import GitWildMatchPattern as _BasePattern

STAR = "[^/]*"
_PIECE_CHARS = re.compile(r"[^\\\[\]()|$^./+*?{}]")


def _tokens(regex: str) -> list[tuple[str, str]]:
    """``regex`` as ("star" | "piece" | "other", text) tokens: a star is an unescaped
    ``[^/]*``, a piece one character of a segment glob (a literal, an escape, a
    character class), anything else structure that ends a segment."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(regex)
    while i < n:
        c = regex[i]
        if c == "\\" and i + 1 < n:
            out.append(("piece", regex[i : i + 2]))
            i += 2
        elif c == "[":
            j = i + 1
            if j < n and regex[j] == "^":
                j += 1
            if j < n and regex[j] == "]":
                j += 1
            while j < n and regex[j] != "]":
                j += 2 if regex[j] == "\\" else 1
            j += 1
            text = regex[i:j]
            if j < n and regex[j] in "*+?{":
                if text == "[^/]" and regex[j] == "*":
                    out.append(("star", STAR))
                else:
                    out.append(("other", text + regex[j]))
                j += 1
            else:
                out.append(("piece", text))
            i = j
        elif _PIECE_CHARS.match(c) and c != "/":
            out.append(("piece", c))
            i += 1
        else:
            out.append(("other", c))
            i += 1
    return out


def defuse(regex: str) -> str:
    """``regex`` (a pathspec translation) with each segment's stars but the last made
    atomic: the same language, matched without exponential backtracking."""
    tokens = _tokens(regex)
    out: list[str] = []
    group = 0
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        if kind != "star":
            out.append(text)
            i += 1
            continue
        j = i + 1
        while j < len(tokens) and tokens[j][0] == "piece":
            j += 1
        if j < len(tokens) and tokens[j][0] == "star" and j > i + 1:
            group += 1
            piece = "".join(t for _, t in tokens[i + 1 : j])
            out.append(f"(?=(?P<_nws{group}>{STAR}?{piece}))(?P=_nws{group})")
            i = j
        elif j < len(tokens) and tokens[j][0] == "star":  # ** inside a segment: one star
            i += 1
        else:
            out.append(text)
            i += 1
    return "".join(out)


class _LinearPattern(_BasePattern):
    __slots__ = ()

    @classmethod
    def pattern_to_regex(cls, pattern: Any) -> tuple[Any, Any]:
        regex, include = super().pattern_to_regex(pattern)
        if isinstance(regex, str):
            regex = defuse(regex)
        return regex, include


class _Spec(pathspec.GitIgnoreSpec):
    """A :class:`pathspec.GitIgnoreSpec` that, when none of its patterns negates (the
    usual ``exclude`` list, most ``.gitignore`` files), matches by searching its
    patterns' expressions directly: a file matches when one of them does (the priority
    rules between patterns only decide among negations), at a tenth of the cost of the
    general loop a discovery pays for every file."""

    _plain: re.Pattern[str] | None

    def match_file(self, file: Any, separators: Any = None) -> bool:
        try:
            plain = self._plain
        except AttributeError:  # the first match: the patterns are known by now
            plain = self._plain = _plain_regex(self.patterns)
        if plain is None:
            return bool(super().match_file(file, separators))
        return plain.search(normalize_file(file, separators)) is not None


_GROUP = re.compile(r"\(\?P([<=])(\w+)")


def _plain_regex(patterns: Iterable[Any]) -> re.Pattern[str] | None:
    """One expression matching what any of ``patterns`` matches, when none negates
    (their named groups renamed apart), else None."""
    parts: list[str] = []
    flags: set[int] = set()
    for i, p in enumerate(patterns):
        include, regex = getattr(p, "include", None), getattr(p, "regex", None)
        if include is None:  # a comment or a blank line: matches nothing
            continue
        if include is not True or not isinstance(regex, re.Pattern):
            return None
        if not isinstance(regex.pattern, str):
            return None
        flags.add(regex.flags)
        renamed = _GROUP.sub(rf"(?P\1\2_{i}", regex.pattern)
        parts.append(f"(?:{renamed})")
    if len(flags) > 1:
        return None
    if not parts:
        return re.compile("(?!)")  # matches nothing
    try:
        return re.compile("|".join(parts), flags.pop())
    except re.error:
        return None


def glob_spec(lines: Iterable[str]) -> pathspec.GitIgnoreSpec:
    """A :class:`pathspec.GitIgnoreSpec` of ``lines`` whose matching cannot blow up."""
    return _Spec.from_lines(lines, _LinearPattern)
