"""``check --show-settings FILE``: the settings that apply to one file, as TOML a user
could paste into ``[tool.netra-ws-lint]``, with where they came from."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from netra_ws_lint.config import WORD_LISTS, Settings, settings_for
from netra_ws_lint.report.escape import terminal
from netra_ws_lint.rules.base import all_rules


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def settings_lines(path: Path, settings: Settings) -> list[str]:
    rel = settings.relpath(path)
    enabled = [
        code
        for code, rule in all_rules().items()
        if settings.is_enabled(code) and (not rule.audit or settings.audit_enabled(code))
    ]
    ignored = sorted(settings.ignored_for(rel)) if settings.per_file_ignores else []
    lines = [
        f"# settings for {terminal(str(path))}",
        f"# configuration: {terminal(str(settings.source or 'none found (the defaults)'))}",
        f"# root: {terminal(str(settings.root))}",
        f"# excluded: {'yes' if settings.exclude_spec().match_file(rel) else 'no'}"
        f"; a test path: {'yes' if settings.is_test_path(rel) else 'no'}",
        f"# rules enabled for this file: {', '.join(c for c in enabled if c not in ignored)}",
        "",
        "select = " + _toml(settings.select),
        "extend-select = " + _toml(settings.extend_select),
        "ignore = " + _toml(settings.ignore),
        "audit = " + _toml(settings.audit),
        "per-file-ignores = " + _toml({p: list(c) for p, c in settings.per_file_ignores}),
        "exclude = " + _toml(settings.exclude),
        "extend-exclude = " + _toml(settings.extend_exclude),
        "",
        "# the vocabulary the rules use",
        "deprecated-accessors = " + _toml(dict(settings.words.deprecated_accessors)),
    ]
    for key in WORD_LISTS:
        lines.append(f"{key} = " + _toml(getattr(settings.words, key.replace("-", "_"))))
    if settings.patterns:
        lines.append(f"# custom pattern rules: {', '.join(p.code for p in settings.patterns)}")
    return lines


def write_settings(
    path: Path, overrides: Mapping[str, Any], config_file: Path | None, out: TextIO
) -> int:
    settings = settings_for(path, overrides, config_file)
    out.write("\n".join(settings_lines(path, settings)) + "\n")
    return 0
