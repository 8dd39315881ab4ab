"""ast-grep patterns of the custom rules (NWS5xx): the ast-grep rule object of a
pattern rule, its self-test (does every pattern parse, does the rule match its own
example, are the message's ``$X`` metavariables the pattern's), and the expansion of
``$X`` / ``$$$X`` in a message or fix template.

The configuration runs the self-test when it reads a pattern table (so this module
imports nothing of the package: a pattern rule is only read here); ast-grep-py is
imported only when a pattern is used.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netra_ws_lint.config import PatternRule

_MULTI_RE = re.compile(r"\$\$\$([A-Z_][A-Z0-9_]*)")
_SINGLE_RE = re.compile(r"\$([A-Z_][A-Z0-9_]*)")
# ast-grep reads ``$`` in Python patterns as this character
_EXPANDO = "\u00b5"


def rule_config(rule: PatternRule) -> dict[str, Any]:
    """The ast-grep rule object of a pattern rule."""
    config: dict[str, Any] = {"pattern": rule.pattern}
    if rule.inside:
        config["inside"] = {"pattern": rule.inside, "stopBy": "end"}
    if rule.not_inside:
        config["not"] = {"inside": {"pattern": rule.not_inside, "stopBy": "end"}}
    return config


def _syntax_error(root: Any) -> Any | None:
    """An ERROR node, or a node tree-sitter made up to recover (empty, zero-width)."""
    error = root.find(kind="ERROR")
    if error is not None:
        return error
    stack = list(root.children())
    while stack:
        node = stack.pop()
        r = node.range()
        if r.start.index == r.end.index:
            return node
        stack.extend(node.children())
    return None


def _parse_problem(pattern: str) -> str | None:
    from ast_grep_py import SgRoot

    root = SgRoot(pattern.replace("$", _EXPANDO), "python").root()
    if not root.children():
        return "the pattern is empty"
    error = _syntax_error(root)
    if error is not None:
        line = error.range().start.line + 1
        return f"the pattern does not parse as Python (line {line}: {pattern!r})"
    return None


def _error_message(exc: Exception) -> str:
    """ast-grep's error, without its backtrace: the last cause."""
    text = str(exc).split("Stack backtrace:", 1)[0]
    causes = [line.strip() for line in text.splitlines() if re.match(r"^\s*\d+:", line)]
    return re.sub(r"^\d+:\s*", "", causes[-1]) if causes else text.strip().splitlines()[0]


def self_test(rule: PatternRule) -> tuple[str, str] | None:
    """None when ``rule`` is usable, else (the key at fault, why)."""
    from ast_grep_py import SgRoot

    for key, pattern in (
        ("pattern", rule.pattern),
        ("inside", rule.inside),
        ("not-inside", rule.not_inside),
    ):
        if pattern is not None:
            problem = _parse_problem(pattern)
            if problem:
                return key, problem
    root = SgRoot(rule.example, "python").root()
    if _syntax_error(root) is not None:
        return "example", "the example is not valid Python"
    try:
        matches = root.find_all(**rule_config(rule))
    except Exception as exc:  # ast-grep raises RuntimeError with a long backtrace
        return "pattern", _error_message(exc)
    if not matches:
        return "example", "the rule matches nothing in its own example"
    names = set(_SINGLE_RE.findall(rule.pattern)) | set(_MULTI_RE.findall(rule.pattern))
    for key, template in (("message", rule.message), ("fix", rule.fix)):
        used = set(_SINGLE_RE.findall(template or "")) | set(_MULTI_RE.findall(template or ""))
        unknown = sorted(used - names)
        if unknown:
            return key, f"${unknown[0]} is not a metavariable of the pattern"
    return None


def expand(template: str, match: Any, source: str) -> str:
    """``template`` with each ``$X`` / ``$$$X`` replaced by the text it matched (for
    ``$$$X``, the source from its first to its last node)."""

    def multi(m: re.Match[str]) -> str:
        nodes = match.get_multiple_matches(m.group(1))
        if not nodes:
            return ""
        return source[nodes[0].range().start.index : nodes[-1].range().end.index]

    def single(m: re.Match[str]) -> str:
        node = match.get_match(m.group(1))
        return str(node.text()) if node is not None else m.group(0)

    return _SINGLE_RE.sub(single, _MULTI_RE.sub(multi, template))
