"""Output formats of ``netra-ws-lint check``.

concise: ``path:line:col: CODE message`` (1-based column), one finding per line.
full:    concise plus the source line and a caret under the column.
json:    a list of objects, sorted by filename, line, column, code::

    [{"filename": "app/handlers.py", "line": 3, "column": 15,
      "code": "NWS101", "name": "deprecated-accessor-call",
      "message": "...", "audit": false}]

The JSON keys are a stable interface: new keys may be added, none removed or renamed.

The CI formats (json-lines, grouped, github, gitlab, sarif, junit) are in :mod:`.formats`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from netra_ws_lint.model import Finding, Fix
from netra_ws_lint.rules.base import all_rules

FORMATS = ("concise", "full", "json", "json-lines", "grouped", "github", "gitlab", "sarif", "junit")


@dataclass(frozen=True)
class Reported:
    """A finding with the file it belongs to (and the file's lines, for ``full``)."""

    path: str
    finding: Finding
    source_line: str | None = None
    # a line-number-free identity of the finding (see .baseline), when it was computed
    fingerprint: str | None = None

    def sort_key(self) -> tuple[str, int, int, str]:
        f = self.finding
        return (self.path, f.line, f.col, f.code)


def rule_name(code: str) -> str:
    rule = all_rules().get(code)
    return rule.name if rule else ""


def as_dict(r: Reported) -> dict[str, object]:
    """One finding as the ``json`` and ``json-lines`` formats write it."""
    out: dict[str, object] = {
        "filename": r.path,
        "line": r.finding.line,
        "column": r.finding.col + 1,
        "code": r.finding.code,
        "name": rule_name(r.finding.code),
        "message": r.finding.message,
        "audit": r.finding.audit,
    }
    if r.finding.fix is not None:  # only findings of rules with fixes have the key
        out["fix"] = fix_as_dict(r.finding.fix)
    return out


def fix_as_dict(fix: Fix | None) -> dict[str, object] | None:
    """A finding's fix in the ``json`` formats: ``applicability`` (``safe``, ``unsafe``
    or ``manual``), ``message``, ``edits`` (1-based rows and columns, columns in UTF-8
    bytes as for findings; end exclusive) and ``import_changes`` (what the fixer does to
    the import the call used: ``add`` the new name, ``remove`` the old one when nothing
    else uses it, merged with the other fixes applied to the file)."""
    if fix is None:
        return None
    return {
        "applicability": fix.applicability,
        "message": fix.message,
        "edits": [
            {
                "content": e.content,
                "location": {"row": e.line, "column": e.col + 1},
                "end_location": {"row": e.end_line, "column": e.end_col + 1},
            }
            for e in fix.edits
        ],
        "import_changes": [
            {
                "row": c.line,
                "column": c.col + 1,
                "remove": c.old,
                "add": c.new,
                "from_module": c.module,
            }
            for c in fix.imports
        ],
    }


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
        if color:
            where = paint(r.path, BOLD) + f":{f.line}:{f.col + 1}:"
            code = paint(f.code, YELLOW if f.audit else RED, BOLD)
            out.write(f"{where} {code} {f.message}\n")
        else:
            out.write(f"{r.path}:{f.line}:{f.col + 1}: {f.code} {f.message}\n")
        if fmt == "full" and r.source_line is not None:
            line = r.source_line.rstrip("\n")
            # keep the caret under the column: tabs stay tabs
            pad = "".join(c if c == "\t" else " " for c in line[: f.col])
            out.write(f"    {line}\n    {pad}^\n")


def write_statistics(results: Sequence[Reported], out: TextIO) -> None:
    counts = Counter(r.finding.code for r in results)
    for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        out.write(f"{n:>5}  {code}  {rule_name(code)}\n")
