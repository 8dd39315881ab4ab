"""The README's rule table is generated from the registry and must not drift."""

from __future__ import annotations

from pathlib import Path

from netra_ws_lint.report.docs import README_END, README_START, rules_table_markdown
from netra_ws_lint.rules.base import all_rules

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_rule_table_is_up_to_date() -> None:
    text = README.read_text(encoding="utf-8")
    start, end = text.index(README_START), text.index(README_END) + len(README_END)
    assert text[start:end] == rules_table_markdown(), (
        "README rule table is stale: run `python -m netra_ws_lint.report.docs README.md`"
    )
    for code in all_rules():
        assert f"| {code} |" in text


def test_readme_starts_with_the_two_commands() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    block = lines[lines.index("```sh") + 1: lines.index("```sh") + 3]
    assert "netra-ws-lint check examples/legacy_service" in block[0]
    assert "pytest" in block[1]
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert block[1].split("&& ", 1)[1].replace(" -q", "") in ci.replace(" -q", "")
