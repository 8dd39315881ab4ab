"""Every rule's VALID and INVALID examples, run through the engine (the flake8
agreement over the same examples is in test_flake8_plugin.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_ws_lint.engine.pipeline import check_source
from netra_ws_lint.engine.runner import check_targets
from netra_ws_lint.rules.base import DOC_SECTIONS, all_rules

from .examples import Example, all_examples, match

EXAMPLES = all_examples()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_example(example: Example, tmp_path: Path) -> None:
    code = example.rule.code
    if example.files:
        return check_project_example(example, tmp_path)
    findings = check_source(example.source, "example.py", example.settings())
    got = {(f.line, f.code, f.col + 1) for f in findings if f.code == code}
    if example.kind == "valid":
        assert not got, f"{code} flagged a VALID example:\n{example.source}\n{got}"
    else:
        expected = example.expected(code)
        assert expected, f"INVALID example of {code} has no '# expect: {code}' marker"
        assert match(expected, got), (
            f"{code} on INVALID example:\n{example.source}\nexpected {sorted(expected, key=str)}"
            f"\ngot {sorted(got)}"
        )
    assert not [f for f in findings if f.code == "NWS901"], findings


def check_project_example(example: Example, root: Path) -> None:
    """A multi-module example, checked in project mode (as the CLI checks a directory)."""
    code = example.rule.code
    settings = example.settings(root)
    targets = []
    for rel, text in example.files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        targets.append((path, rel, settings))
    results = check_targets(targets, jobs=1, project=True)
    got = {
        (r.path, f.line, f.code, f.col + 1) for r in results for f in r.findings if f.code == code
    }
    assert not [f for r in results for f in r.findings if f.code == "NWS901"]
    if example.kind == "valid":
        assert not got, f"{code} flagged a VALID example:\n{example.source}\n{got}"
        return
    expected = example.expected_in_files(code)
    assert expected, f"INVALID example of {code} has no '# expect: {code}' marker"
    ok = len(expected) == len(got) and all(
        any(g[:3] == e[:3] and e[3] in (None, g[3]) for g in got) for e in expected
    )
    assert ok, (
        f"{code} on INVALID example:\n{example.source}\n"
        f"expected {sorted(expected, key=str)}\ngot {sorted(got)}"
    )


@pytest.mark.parametrize("code", sorted(all_rules()))
def test_rule_is_complete(code: str) -> None:
    """A rule cannot exist without its docs and its examples (Fixit's rule)."""
    rule = all_rules()[code]
    doc = rule.doc()
    for section in DOC_SECTIONS:
        assert f"## {section}" in doc, f"{code} doc lacks '## {section}'"
    assert rule.summary and "\n" not in rule.summary
    assert "{" not in rule.summary
    assert len(rule.VALID) >= 4, f"{code} needs at least 4 VALID examples"
    if code != "NWS901":  # a crash cannot be shown by an example; see test_engine
        assert len(rule.INVALID) >= 4, f"{code} needs at least 4 INVALID examples"
    for opt in rule.options:
        assert f"`{opt}`" in doc, f"{code} reads option {opt} but its doc does not name it"
