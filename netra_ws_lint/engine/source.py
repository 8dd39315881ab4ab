"""A file's bytes and text, and what checking it gave (:class:`CheckResult`): what a
run needs to read files and to answer from the cache, without the analysis (the
parser, the rules), which :mod:`.pipeline` imports. The pipeline re-exports all of it."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netra_ws_lint.engine.fsutil import SOURCE_LIMIT, read_regular_file
from netra_ws_lint.model import Finding


class DecodeError(Exception):
    pass


_IDENTIFIER = re.compile(r"[^\W\d]\w*")
# the last text asked about and its identifiers (one tuple: read and replaced at once)
_LAST_IDENTIFIERS: tuple[str, frozenset[str]] = ("", frozenset())


def identifiers(text: str) -> frozenset[str]:
    """The identifiers (and keywords) of ``text``, NFKC-normalised by the caller;
    remembered for the last text: a file's check asks twice (does it name something its
    project knows, which rules can fire on it)."""
    global _LAST_IDENTIFIERS
    last = _LAST_IDENTIFIERS
    if last[0] == text:
        return last[1]
    found = frozenset(_IDENTIFIER.findall(text))
    _LAST_IDENTIFIERS = (text, found)
    return found


def decode_source(data: bytes) -> str:
    """Bytes of a Python file to text: PEP 263 coding cookie, BOM, universal newlines."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeError) as exc:  # punycode: a bare UnicodeError
        raise DecodeError(f"cannot decode file: {exc}") from None
    except Exception as exc:  # a codec that fails its own way: a finding, never a crash
        raise DecodeError(f"cannot decode file: {type(exc).__name__}: {exc}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return normalize_newlines(text)


def normalize_newlines(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def read_source_bytes(path: Path) -> bytes:
    """The bytes of a file to check; :class:`OSError` (with a ``strerror`` fit for a
    one-line message) for anything that is not a readable regular file
    (:func:`.fsutil.read_regular_file`: a FIFO never blocks, a device is never read)."""
    return read_regular_file(path, SOURCE_LIMIT)


@dataclass
class CheckResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    skipped: str | None = None  # reason the file was not checked at all
    source: str | None = None  # the decoded text, kept only when there are findings
    facts: dict[str, Any] | None = None  # the project model's facts, when asked for
