"""The data every part of the tool passes around: a :class:`Finding`, the :class:`Fix`
that may come with it, and the :class:`Edit` and :class:`ImportChange` a fix is made of.
Plain frozen dataclasses; nothing here knows about rules, files or output formats."""

from __future__ import annotations

from dataclasses import dataclass, field

SYNTAX_ERROR = "NWS900"  # the file cannot be decoded or parsed
RULE_CRASHED = "NWS901"  # a rule failed on the file

# a fix's applicability: applied by --fix, with --unsafe-fixes too, or by a person
SAFE = "safe"
UNSAFE = "unsafe"
MANUAL = "manual"


@dataclass(frozen=True)
class Edit:
    """Replace the text from (line, col) to (end_line, end_col) with ``content``.

    Lines are 1-based and columns 0-based UTF-8 byte offsets, as in ``ast`` (and as in
    :class:`Finding`); ``char_col`` / ``end_char_col`` are the same columns counted in
    characters (SARIF's unit)."""

    line: int
    col: int
    end_line: int
    end_col: int
    content: str
    char_col: int = 0
    end_char_col: int = 0


@dataclass(frozen=True)
class ImportChange:
    """What a fix needs from an import statement: ``new`` importable where ``old``
    (the name the call used) was, and ``old`` dropped when nothing else uses it. The
    fixer merges the changes of every fix applied to a file (see :mod:`.fixgen`)."""

    line: int  # the import statement's position
    col: int
    old: str | None  # the name bound by the statement that the fixed call used
    new: str  # the name the fixed call uses now: added to that statement if not bound
    module: str | None = None  # or imported from this module in a new statement after it


@dataclass(frozen=True)
class Fix:
    """How to fix a finding. ``applicability``: ``safe`` (applied by ``--fix``),
    ``unsafe`` (``--unsafe-fixes``: changes behaviour on purpose) or ``manual`` (no
    edits: ``message`` says why a person has to do it)."""

    applicability: str
    message: str
    edits: tuple[Edit, ...] = ()
    imports: tuple[ImportChange, ...] = ()


@dataclass(frozen=True, order=True)
class Finding:
    """One reported problem. Lines are 1-based, columns 0-based (as in ``ast``)."""

    line: int
    col: int
    code: str
    message: str
    audit: bool = False
    # not part of a finding's identity: equality, ordering and hashing ignore it
    fix: Fix | None = field(default=None, compare=False, repr=False)

    def sort_key(self) -> tuple[int, int, str]:
        return (self.line, self.col, self.code)
