"""Escaping of what comes from a checked repository (file names, finding messages that
quote its code, a committed baseline's text) for each place it is shown.

The repository may be hostile: a file name or a baseline message can hold a newline (a
forged line in a CI log), an ANSI escape sequence (a terminal that clears the screen or
rewrites a line), or a bidirectional control character (U+202E) that makes text read
differently from what it is (CVE-2021-42574, "Trojan Source"). So:

- :func:`terminal`: control characters (C0 except tab, DEL, C1, and the bytes 0x80-0x9f
  of a non-UTF-8 file name) become ``\\xNN`` / ``\\n`` / ``\\r``; bidi controls become
  ``<U+202E>``. Tabs are kept (the ``full`` format's caret is aligned with them).
- :func:`markdown` and :func:`html`: the same, then the syntax of the format escaped.
- GitHub workflow commands: :mod:`.formats` (``%25``, ``%0D``, ``%0A``; in properties
  also ``%3A``, ``%2C``), after :func:`visible_bidi`.
"""

from __future__ import annotations

import html as _html
import re

# U+202A-U+202E (embeddings, overrides), U+2066-U+2069 (isolates), U+200E/U+200F (marks)
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
_BIDI_RE = re.compile(f"[{BIDI}]")
# C0 but tab, DEL, C1; a non-UTF-8 file name's bytes 0x80-0x9f (surrogateescape)
_CONTROL_RE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\udc80-\udc9f]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def visible_bidi(text: str) -> str:
    """Bidi control characters shown by name (``<U+202E>``)."""
    return _BIDI_RE.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def _control(m: re.Match[str]) -> str:
    c = m.group()
    if c in _NAMED:
        return _NAMED[c]
    n = ord(c)
    return f"\\x{n - 0xDC00 if n >= 0xDC00 else n:02x}"


def terminal(text: str) -> str:
    """``text`` safe to print on a terminal or into a log: one line, no escape
    sequence, no bidi control."""
    return _CONTROL_RE.sub(_control, visible_bidi(text))


def has_unsafe(text: str) -> bool:
    """``text`` would be changed by :func:`terminal`."""
    return bool(_CONTROL_RE.search(text) or _BIDI_RE.search(text))


_MARKDOWN_RE = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~])")


def markdown(text: str) -> str:
    """``text`` as literal Markdown text (inline): :func:`terminal`, then every
    character Markdown gives a meaning backslash-escaped."""
    return _MARKDOWN_RE.sub(r"\\\1", terminal(text))


def markdown_code(text: str) -> str:
    """``text`` as a Markdown code span (backticks in it are fenced by longer runs)."""
    text = terminal(text)
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def html(text: str) -> str:
    """``text`` as HTML text or an attribute value: :func:`terminal`, then escaped."""
    return _html.escape(terminal(text), quote=True)
