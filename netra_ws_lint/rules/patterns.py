"""Custom pattern rules (NWS5xx) from ``[[tool.netra-ws-lint.patterns]]``, run through
ast-grep-py by the engine (so the CLI and the flake8 plugin both report them).

```toml
[[tool.netra-ws-lint.patterns]]
code = "NWS501"
pattern = "requests.get($URL)"           # an ast-grep pattern; $X one node, $$$X several
inside = "async def $F($$$): $$$"        # optional: only matches inside this
not-inside = "with $LOCK: $$$"           # optional: not inside this
message = "blocking `requests.get($URL)` in async code"   # may use the metavariables
fix = "await client.get($URL)"           # optional replacement template
fix-applicability = "unsafe"             # optional: safe (default) or unsafe
example = "async def f():\\n    requests.get(u)\\n"   # required: the rule must match it
```

This module is imported only when a configuration has patterns; the ast-grep side
(parse checks, matching, ``$X`` expansion) is in :mod:`netra_ws_lint.analysis.astgrep`.
"""

from __future__ import annotations

from netra_ws_lint.analysis.astgrep import expand, rule_config
from netra_ws_lint.config import PatternRule
from netra_ws_lint.model import Edit, Finding, Fix


def _byte_col(line: str, char_col: int) -> int:
    return char_col if line.isascii() else len(line[:char_col].encode("utf-8"))


def run_patterns(source: str, rules: tuple[PatternRule, ...]) -> list[Finding]:
    """The findings of the custom rules on ``source`` (newlines normalised)."""
    from ast_grep_py import SgRoot

    root = SgRoot(source, "python").root()
    lines = source.split("\n")
    out: list[Finding] = []
    for rule in rules:
        for match in root.find_all(**rule_config(rule)):
            r = match.range()
            line, end_line = r.start.line, r.end.line
            col = _byte_col(lines[line], r.start.column)
            end_col = _byte_col(lines[end_line], r.end.column)
            message = " ".join(expand(rule.message, match, source).split())
            fix = None
            if rule.fix is not None:
                content = expand(rule.fix, match, source)
                edit = Edit(
                    line + 1, col, end_line + 1, end_col, content, r.start.column, r.end.column
                )
                fix = Fix(rule.fix_applicability, f"replace with `{content}`", (edit,))
            out.append(Finding(line + 1, col, rule.code, message, fix=fix))
    return out
