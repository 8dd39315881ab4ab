"""Output formats of ``netra-ws-lint check``.

concise: ``path:line:col: CODE message`` (1-based column), one finding per line.
full:    concise plus the source line and a caret under the column.
json:    a list of objects, sorted by filename, line, column, code::

    [{"filename": "app/handlers.py", "line": 3, "column": 15,
      "code": "NWS101", "name": "deprecated-accessor-call",
      "message": "...", "audit": false}]

The JSON keys are a stable interface: new keys may be added, none removed or renamed.

The CI formats (json-lines, grouped, github, gitlab, sarif, junit) are in :mod:`.formats`.
File names, messages and source lines come from the checked repository: concise and
full print them through :func:`.escape.terminal` (no control character, escape sequence
or bidi control reaches the terminal or a log).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import TextIO

from netra_ws_lint.report.escape import terminal
from netra_ws_lint.report.reported import Reported, as_dict, fix_as_dict, rule_name

__all__ = [
    "FORMATS",
    "Reported",
    "as_dict",
    "fix_as_dict",
    "rule_name",
    "write",
    "write_statistics",
]

FORMATS = ("concise", "full", "json", "json-lines", "grouped", "github", "gitlab", "sarif", "junit")


def write(results: Sequence[Reported], fmt: str, out: TextIO, color: bool = False) -> None:
    """Write the findings in format ``fmt``; ``color``: ANSI colour for a terminal
    (concise and full only)."""
    results = sorted(results, key=Reported.sort_key)
    if fmt not in ("concise", "full", "json"):
        from netra_ws_lint.report.formats import WRITERS

        WRITERS[fmt](results, out, None)
        return
    if fmt == "json":
        data = [as_dict(r) for r in results]
        json.dump(data, out, indent=2)
        out.write("\n")
        return
    from netra_ws_lint.report.console import BOLD, RED, YELLOW, paint

    for r in results:
        f = r.finding
        path, message = terminal(r.path), terminal(f.message)
        if color:
            where = paint(path, BOLD) + f":{f.line}:{f.col + 1}:"
            code = paint(f.code, YELLOW if f.audit else RED, BOLD)
            out.write(f"{where} {code} {message}\n")
        else:
            out.write(f"{path}:{f.line}:{f.col + 1}: {f.code} {message}\n")
        if fmt == "full" and r.source_line is not None:
            raw = r.source_line.rstrip("\r\n")
            line = terminal(raw)
            # keep the caret under the column: tabs stay tabs
            pad = "".join(c if c == "\t" else " " for c in terminal(raw[: f.col]))
            out.write(f"    {line}\n    {pad}^\n")


def write_statistics(results: Sequence[Reported], out: TextIO) -> None:
    counts = Counter(r.finding.code for r in results)
    for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        out.write(f"{n:>5}  {code}  {rule_name(code)}\n")
