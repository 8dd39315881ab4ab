"""The rule framework: a rule is one small class holding its code, name, message,
docs and its VALID / INVALID examples (the tests are generated from them).

Rules are ``ast`` visitors driven by the single-pass walker in :mod:`.engine`: a rule
defines ``visit_<NodeType>`` (called on entering the node) and/or
``leave_<NodeType>`` (called after its children) methods; the walker builds one
dispatch table for every enabled rule, so adding a rule never adds a tree walk.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from .semantic import Context

CODE_RE = re.compile(r"^NWS\d{3}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix")


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


class Rule:
    """Base class of every rule.

    Subclasses set the class attributes below and write a docstring with the
    sections listed in :data:`DOC_SECTIONS` (``netra-ws-lint rule CODE`` prints it).
    ``INVALID`` examples mark each expected finding with a trailing comment
    ``# expect: NWS101`` (or ``# expect: NWS101@5`` to pin the 1-based column; several
    codes are separated by commas); ``VALID`` examples must give no finding of the rule.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]  # str.format template; fields given to report()
    summary: ClassVar[str]  # one line, for `rule --all` and the README table
    audit: ClassVar[bool] = False  # off unless selected explicitly or --audit
    project_only: ClassVar[bool] = False
    # NWS9xx: emitted by the engine itself (syntax error, crashed rule), not a visitor.
    tool: ClassVar[bool] = False
    VALID: ClassVar[list[str]] = []
    INVALID: ClassVar[list[str]] = []
    # Options (config keys) this rule reads, listed in its docs.
    options: ClassVar[tuple[str, ...]] = ()

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def report(self, node: ast.AST | tuple[int, int], audit: bool = False, **fields: Any) -> None:
        """Report a finding at ``node``; ``fix=`` (a :class:`Fix`) attaches its fix, the
        other keywords fill the message template."""
        fix: Fix | None = fields.pop("fix", None)
        if isinstance(node, tuple):
            line, col = node
        else:
            line, col = node.lineno, node.col_offset  # type: ignore[attr-defined]
        self.ctx.add_finding(
            Finding(line, col, self.code, self.message.format(**fields), audit or self.audit, fix)
        )

    @classmethod
    def doc(cls) -> str:
        return textwrap.dedent(cls.__doc__ or "").strip()


REGISTRY: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator adding a rule to the registry (checked for completeness)."""
    if not CODE_RE.match(cls.code):
        raise ValueError(f"bad rule code {cls.code!r}")
    if not NAME_RE.match(cls.name):
        raise ValueError(f"rule {cls.code}: name {cls.name!r} is not kebab-case")
    if cls.code in REGISTRY:
        raise ValueError(f"duplicate rule code {cls.code}")
    REGISTRY[cls.code] = cls
    return cls


def all_rules() -> dict[str, type[Rule]]:
    from . import rules  # noqa: F401  (importing registers the rules)

    return dict(sorted(REGISTRY.items()))
