"""Why a file may not parse: syntax newer than the running interpreter.

The tool parses with the interpreter it runs on, so on Python 3.11 a file using PEP 695
``type`` aliases or PEP 701 f-strings is a syntax error. :func:`syntax_hint` adds to
NWS900's message the Python the syntax looks like it needs (from the failing line) and
the minimum the project's ``requires-python`` asks for (the nearest ``pyproject.toml``
with a ``[project]`` table), when either is newer than the running Python.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10
    import tomli as tomllib

Version = tuple[int, int]

# (version, pattern of the failing line)
_NEWER_SYNTAX: tuple[tuple[Version, re.Pattern[str]], ...] = (
    ((3, 10), re.compile(r"^\s*(match|case)\s+[^=]*:\s*(#.*)?$")),  # PEP 634
    ((3, 11), re.compile(r"^\s*except\s*\*")),  # PEP 654
    ((3, 12), re.compile(r"^\s*type\s+[A-Za-z_]\w*\s*(\[|=)")),  # PEP 695
    ((3, 12), re.compile(r"^\s*(async\s+)?(def|class)\s+[A-Za-z_]\w*\s*\[")),  # PEP 695
    ((3, 14), re.compile(r"(?<![\w'\"])t(r|R)?['\"]")),  # PEP 750 template strings
    ((3, 14), re.compile(r"^\s*except\s+[^(\s][^:]*,[^:]*:")),  # PEP 758
)
# (version, pattern of the error message): PEP 701 f-strings fail as "f-string: ..."
_NEWER_MESSAGES: tuple[tuple[Version, re.Pattern[str]], ...] = (
    ((3, 12), re.compile(r"^f-string")),
)
_LOWER_BOUND_RE = re.compile(r"(>=|==|~=)\s*(\d+)\.(\d+)")


def syntax_version(line: str, msg: str) -> Version | None:
    """The Python version whose syntax the failing ``line`` (or ``msg``) shows."""
    for version, pattern in _NEWER_SYNTAX:
        if pattern.search(line):
            return version
    for version, pattern in _NEWER_MESSAGES:
        if pattern.search(msg):
            return version
    return None


def minimum_python(spec: str) -> Version | None:
    """The lowest Python a ``requires-python`` specifier allows (``>=3.12,<4`` -> 3.12)."""
    bounds = [(int(m.group(2)), int(m.group(3))) for m in _LOWER_BOUND_RE.finditer(spec)]
    return max(bounds) if bounds else None


@lru_cache(maxsize=256)
def requires_python(directory: Path) -> str | None:
    """``requires-python`` of the nearest ``pyproject.toml`` with a ``[project]`` table
    at or above ``directory``."""
    for d in (directory, *directory.parents):
        candidate = d / "pyproject.toml"
        if not candidate.is_file():
            continue
        try:
            with open(candidate, "rb") as f:
                project = tomllib.load(f).get("project")
        except (OSError, ValueError, RecursionError):  # unreadable or invalid: no hint
            return None
        if isinstance(project, dict):
            spec = project.get("requires-python")
            return spec if isinstance(spec, str) else None
    return None


def _dotted(v: Version) -> str:
    return f"{v[0]}.{v[1]}"


def syntax_hint(
    source: str,
    line: int,
    msg: str,
    path: str,
    running: Version | None = None,
) -> str:
    """`` (this file may need Python >= 3.12: ...)`` when the syntax error may come
    from syntax newer than the running Python; else ``""``."""
    now: Version = running or (sys.version_info[0], sys.version_info[1])
    lines = source.split("\n")
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    looks = syntax_version(text, msg)
    try:
        spec = requires_python(Path(path).absolute().parent)
    except (OSError, ValueError):
        spec = None
    wanted = minimum_python(spec) if spec else None
    parts = []
    if looks is not None and looks > now:
        parts.append(f"this looks like Python {_dotted(looks)} syntax")
    if wanted is not None and wanted > now:
        parts.append(f"the project's requires-python is {spec!r}")
    if not parts:
        return ""
    need = max(v for v in (looks, wanted) if v is not None and v > now)
    return (
        f" (this file may need Python >= {_dotted(need)}: {'; '.join(parts)}; "
        f"netra-ws-lint runs on Python {_dotted(now)}, run it on a newer one)"
    )
