"""Helpers that turn each rule's VALID / INVALID examples into test cases.

Markers (in INVALID examples): a trailing ``# expect: NWS101`` on the line the finding
is reported on; ``# expect: NWS101@5`` also pins the 1-based column; several codes
are separated by commas. Options for one example go in a first-line header:
``# options: {"audit": true, "extend-context-names": ["req_ctx"]}`` (config keys).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netra_ws_lint.config import Settings, apply_options
from netra_ws_lint.rules.base import Rule, all_rules

EXPECT_RE = re.compile(r"#\s*expect:\s*(?P<items>NWS\d{3}(?:@\d+)?(?:\s*,\s*NWS\d{3}(?:@\d+)?)*)")
OPTIONS_RE = re.compile(r"^#\s*options:\s*(?P<json>\{.*\})\s*$")
# A multi-module example (project mode): a line ``# file: PATH`` starts each module;
# its markers count lines within that module. Checked file by file, the whole example
# is one module (the ``# file:`` lines are comments).
FILE_RE = re.compile(r"^#\s*file:\s*(?P<path>\S+)\s*$")


@dataclass(frozen=True)
class Example:
    rule: type[Rule]
    kind: str  # "valid" | "invalid"
    index: int
    source: str

    @property
    def id(self) -> str:
        return f"{self.rule.code}-{self.kind}-{self.index}"

    @property
    def options(self) -> dict[str, Any]:
        first = self.source.split("\n", 1)[0]
        m = OPTIONS_RE.match(first)
        return json.loads(m.group("json")) if m else {}

    def settings(self, root: Path | None = None) -> Settings:
        base = Settings(root=root) if root else Settings()
        return apply_options(base, self.options, "example header")

    @property
    def files(self) -> dict[str, str]:
        """The modules of a multi-module example by path ({} for a one-file example)."""
        out: dict[str, list[str]] = {}
        current: list[str] | None = None
        for line in self.source.split("\n"):
            m = FILE_RE.match(line)
            if m:
                current = out.setdefault(m.group("path"), [])
            elif current is not None:
                current.append(line)
        return {path: "\n".join(lines) for path, lines in out.items()}

    def expected_in_files(self, code: str | None = None) -> set[tuple[str, int, str, int | None]]:
        """(path, line, code, 1-based col or None) for each marker of a multi-module example."""
        out = set()
        for path, text in self.files.items():
            one = Example(self.rule, self.kind, self.index, text)
            out |= {(path, *e) for e in one.expected(code)}
        return out

    def expected(self, code: str | None = None) -> set[tuple[int, str, int | None]]:
        """(line, code, 1-based col or None) for each marker (of ``code`` if given)."""
        out = set()
        for lineno, line in enumerate(self.source.split("\n"), 1):
            m = EXPECT_RE.search(line)
            if not m:
                continue
            for item in m.group("items").split(","):
                c, _, col = item.strip().partition("@")
                if code is None or c == code:
                    out.add((lineno, c, int(col) if col else None))
        return out


def all_examples() -> list[Example]:
    out = []
    for rule in all_rules().values():
        out += [Example(rule, "valid", i, s) for i, s in enumerate(rule.VALID)]
        out += [Example(rule, "invalid", i, s) for i, s in enumerate(rule.INVALID)]
    return out


def match(expected: set[tuple[int, str, int | None]], got: set[tuple[int, str, int]]) -> bool:
    """Expected markers (column optional) equal the findings (line, code, 1-based col)."""
    if len(expected) != len(got):
        return False
    remaining = set(got)
    for line, code, col in sorted(expected, key=lambda e: (e[0], e[1], e[2] is None)):
        hit = next(
            (g for g in sorted(remaining) if g[0] == line and g[1] == code and col in (None, g[2])),
            None,
        )
        if hit is None:
            return False
        remaining.discard(hit)
    return True
