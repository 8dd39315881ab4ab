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
from typing import TYPE_CHECKING, Any, ClassVar

from netra_ws_lint.model import Finding, Fix

if TYPE_CHECKING:
    from netra_ws_lint.analysis.semantic import Context

CODE_RE = re.compile(r"^NWS\d{3}$")
# The configured vocabularies a trigger may name as ``{name}`` (engine/prefilter.py
# turns each into the words its names and patterns contain).
TRIGGER_VOCABULARIES = frozenset(
    {
        "accessors",  # deprecated-accessors
        "factories",  # context-factories
        "context-types",
        "context-names",
        "context",  # context-types and context-names
        "user-scoped-types",
        "identity",  # identity-names
        "sends",  # send-methods
        "project",  # names the project index knows from other modules
        # what makes a call or a class user-scoped: accessors, factories,
        # user-scoped types, a user context, a name from the project index
        "user-scoped",
        # what may make a function a request handler (analysis/frameworks.py), and
        # request-handler-decorators
        "handlers",
    }
)
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix")


class Rule:
    """Base class of every rule.

    Subclasses set the class attributes below and write a docstring with the
    sections listed in :data:`DOC_SECTIONS` (``netra-ws-lint rule CODE`` prints it).
    Examples are triple-quoted strings indented with the code around them (see
    :func:`example_source`). ``INVALID`` examples mark each expected finding with a trailing comment
    ``# expect: NWS101`` (or ``# expect: NWS101@5`` to pin the 1-based column; several
    codes are separated by commas); ``VALID`` examples must give no finding of the rule.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]  # str.format template; fields given to report()
    summary: ClassVar[str]  # one line, for `rule --all` and the README table and docs/rules/
    audit: ClassVar[bool] = False  # off unless selected explicitly or --audit
    project_only: ClassVar[bool] = False
    # NWS9xx: emitted by the engine itself (syntax error, crashed rule), not a visitor.
    tool: ClassVar[bool] = False
    VALID: ClassVar[list[str]] = []
    INVALID: ClassVar[list[str]] = []
    # Options (config keys) this rule reads, listed in its docs.
    options: ClassVar[tuple[str, ...]] = ()
    # Words a file's text must contain for the rule to be able to report anything
    # there (the prefilter skips the rule walk of files where no rule can fire):
    # every group (a string) needs one of its words; a word ``{name}`` stands for
    # the words of a configured vocabulary (TRIGGER_VOCABULARIES), any other word is
    # itself. None: the rule can fire on any file.
    trigger: ClassVar[tuple[str, ...] | None] = None
    # With its audit findings enabled, the rule can fire on any file (no trigger).
    audit_fires_anywhere: ClassVar[bool] = False
    # The rule attaches fixes to (some of) its findings (`check --fix` looks again
    # at a file with such findings even when they came from the cache, which keeps
    # no fixes).
    fixable: ClassVar[bool] = False
    # Part of the move to per-request factories: `migrate` lists its findings.
    migration: ClassVar[bool] = False
    # What `migrate` tells a person to do about a finding with no fix ("" for the
    # finding's own message), and the complexity points of such a finding.
    migration_advice: ClassVar[str] = ""
    migration_weight: ClassVar[int] = 3
    # Why a finding of the rule means "this code serves one user or request" ("": it
    # does not): in code no live part of an application reaches (analysis/liveness.py,
    # project mode) the finding is an audit finding, its message saying why, and the
    # rule's docs say so (:meth:`doc`).
    serves_requests: ClassVar[str] = ""

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
        message = self.message.format(**fields)
        if self.serves_requests and not (audit or self.audit) and self.ctx.project is not None:
            from netra_ws_lint.analysis.liveness import unreached_at

            why = unreached_at(self.ctx, line)
            if why is not None:
                audit = True
                message += f" (audit: no live code reaches it: {why})"
        self.ctx.add_finding(Finding(line, col, self.code, message, audit or self.audit, fix))

    @classmethod
    def doc(cls) -> str:
        text = textwrap.dedent(cls.__doc__ or "").strip()
        if cls.serves_requests:
            text += "\n\n## In code nothing live reaches\n" + textwrap.fill(
                f"{cls.serves_requests} So in an application (a project that builds or "
                "mounts an application object), a finding in code no live part of it "
                "reaches is an audit finding (`--audit` shows it; its message says why): "
                "a function or method nothing live calls or refers to (an import, a "
                "re-export or an `__all__` entry alone is no use), a class nothing live "
                "refers to, a module no live module imports (a router module nothing "
                "mounts), a module-level object nothing live reads. Decorated functions, "
                "registered handlers, dunders and methods a base class outside the "
                "project may call stay live; in a library (no application) nothing "
                "changes.",
                width=88,
            )
        return text


REGISTRY: dict[str, type[Rule]] = {}


def example_source(text: str) -> str:
    """The code of an example written as an indented triple-quoted string (it starts
    with a newline): dedented, without that first newline and the closing line's
    indentation. Other strings are the code as they are."""
    if not text.startswith("\n"):
        return text
    return textwrap.dedent(text[1:])


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator adding a rule to the registry (checked for completeness)."""
    if not CODE_RE.match(cls.code):
        raise ValueError(f"bad rule code {cls.code!r}")
    if not NAME_RE.match(cls.name):
        raise ValueError(f"rule {cls.code}: name {cls.name!r} is not kebab-case")
    if cls.code in REGISTRY:
        raise ValueError(f"duplicate rule code {cls.code}")
    for group in cls.trigger or ():
        for word in group.split():
            if word.startswith("{") and word.strip("{}") not in TRIGGER_VOCABULARIES:
                raise ValueError(f"rule {cls.code}: unknown trigger vocabulary {word}")
    cls.VALID = [example_source(e) for e in cls.VALID]
    cls.INVALID = [example_source(e) for e in cls.INVALID]
    REGISTRY[cls.code] = cls
    return cls


def all_rules() -> dict[str, type[Rule]]:
    """Every rule by code. Importing this module runs ``netra_ws_lint.rules`` first
    (the package holding it), which imports, and so registers, every rule."""
    return dict(sorted(REGISTRY.items()))
