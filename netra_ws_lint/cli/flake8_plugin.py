"""The flake8 plugin (entry point ``NWS``): a thin adapter over the engine.

Options come from the same ``[tool.netra-ws-lint]`` / ``[netra-ws-lint]`` tables as
the CLI (found by walking up from each checked file), and flake8's own option system
can override them: ``--nws-select``, ``--nws-ignore``, ``--nws-extend-select``,
``--nws-audit`` and ``--nws-<word-list>`` flags, or the same keys without ``--`` in
``[flake8]`` (``nws-context-names = req_ctx, ctx``). Codes named in flake8's own
``--select`` / ``--extend-select`` (``--extend-select NWS202``) enable the matching
audit rules. flake8 applies ``# noqa`` itself; an exception inside a rule becomes an
NWS901 finding for that file and never aborts flake8.

The plugin checks each file on its own: it does not read the CLI's project index
(``.netra-ws-lint-cache``), so it never reports NWS105 (project mode only) nor the
NWS301/NWS303 findings that need a definition from another module; run
``netra-ws-lint check DIR`` for those.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from netra_ws_lint import __version__
from netra_ws_lint.config import WORD_LISTS, ConfigCache, ConfigError, Settings
from netra_ws_lint.engine.pipeline import (
    RULE_CRASHED,
    SKIP_FILE_RE,
    RuleSet,
    run_rules,
    select_findings,
)
from netra_ws_lint.rules.base import all_rules

LIST_OPTIONS = ("select", "ignore", "extend-select", "deprecated-accessors", *WORD_LISTS)


class Plugin:
    name = "netra-ws-lint"
    version = __version__

    overrides: dict[str, Any] = {}
    _configs = ConfigCache(all_rules())
    # process-wide on purpose: rule sets depend only on the settings
    _rule_sets: ClassVar[dict[Settings, RuleSet]] = {}

    def __init__(
        self, tree: ast.AST, filename: str = "stdin", lines: list[str] | None = None
    ) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, parser: Any) -> None:
        for key in LIST_OPTIONS:
            parser.add_option(
                f"--nws-{key}",
                default=None,
                parse_from_config=True,
                # flake8 also splits lists on white space, which "old -> new" needs
                comma_separated_list=key != "deprecated-accessors",
                help=f"netra-ws-lint `{key}` (overrides the [tool.netra-ws-lint] table)",
            )
        parser.add_option(
            "--nws-audit",
            action="store_true",
            default=False,
            parse_from_config=True,
            help="netra-ws-lint: also run the audit rules",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        overrides: dict[str, Any] = {}
        for key in LIST_OPTIONS:
            value = getattr(options, f"nws_{key.replace('-', '_')}", None)
            if value:
                overrides[key] = value
        if getattr(options, "nws_audit", False):
            overrides["audit"] = True
        # flake8's own --select / --extend-select naming NWS codes opt into audit rules
        extra = [
            c
            for attr in ("select", "extend_select")
            for c in (getattr(options, attr, None) or [])
            if isinstance(c, str) and c.upper().startswith("NWS") and len(c) > 3
        ]
        if extra:
            overrides["extend-select"] = list(overrides.get("extend-select", [])) + extra
        try:
            cls._configs = ConfigCache(all_rules())
            cls._configs.settings_for(Path.cwd(), overrides)  # validate once, up front
        except ConfigError as exc:
            print(f"netra-ws-lint: error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        cls.overrides = overrides

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        source = "".join(self.lines) if self.lines is not None else _read(self.filename)
        try:
            path = Path(self.filename)
            settings = self._configs.settings_for(
                path if self.filename not in ("-", "stdin") else Path.cwd(), self.overrides
            )
        except ConfigError as exc:
            yield 1, 0, f"{RULE_CRASHED} configuration error: {exc}", type(self)
            return
        if "skip-file" in source and SKIP_FILE_RE.search(source):
            return
        if not isinstance(self.tree, ast.Module):
            return
        rule_set = self._rule_sets.get(settings)
        if rule_set is None:
            rule_set = self._rule_sets[settings] = RuleSet.for_settings(settings)
        try:
            findings = run_rules(self.tree, source, self.filename, settings, rule_set)
            findings = select_findings(findings, source, self.filename, settings, apply_noqa=False)
        except Exception as exc:  # never abort flake8
            yield 1, 0, f"{RULE_CRASHED} netra-ws-lint crashed on this file: {exc!r}", type(self)
            return
        for f in findings:
            yield f.line, f.col, f"{f.code} {f.message}", type(self)


def _read(filename: str) -> str:
    from netra_ws_lint.engine.pipeline import DecodeError, decode_source, read_source_bytes

    try:  # a regular file only: a FIFO or a device never blocks flake8
        return decode_source(read_source_bytes(Path(filename)))
    except (OSError, DecodeError):
        return ""
