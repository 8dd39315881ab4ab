"""A finding with the file it belongs to, and the JSON object every format that
writes JSON gives for it (:mod:`.output` and :mod:`.formats` both use them)."""

from __future__ import annotations

from dataclasses import dataclass

from netra_ws_lint.model import Finding, Fix
from netra_ws_lint.report.rule_names import RULE_NAMES


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
    found = RULE_NAMES.get(code)
    if found is not None:
        return found
    from netra_ws_lint.rules.base import all_rules  # a code not in the table

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
