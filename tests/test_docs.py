"""The README is short and true, and the reference in docs/ is generated from the rule
classes where it can be: the rule table and the rule pages must not drift."""

from __future__ import annotations

import re
from pathlib import Path

from netra_ws_lint.report import docs
from netra_ws_lint.report.docs import README_END, README_START, rules_table_markdown
from netra_ws_lint.rules.base import all_rules

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
# written on another branch (the speed measurements); linked from the README
NOT_HERE_YET = {ROOT / "docs" / "performance.md"}


def test_readme_rule_table_is_up_to_date() -> None:
    text = README.read_text(encoding="utf-8")
    start, end = text.index(README_START), text.index(README_END) + len(README_END)
    assert text[start:end] == rules_table_markdown(), (
        "README rule table is stale: run `python -m netra_ws_lint.report.docs`"
    )
    for code in all_rules():
        assert f"| [{code}](docs/rules/{code}.md) |" in text


def test_the_rule_pages_are_generated_from_the_rule_classes() -> None:
    stale = docs.stale_pages(ROOT)
    assert not stale, f"stale: {stale}; run `python -m netra_ws_lint.report.docs`"
    for code, rule in all_rules().items():
        page = (ROOT / "docs" / "rules" / f"{code}.md").read_text(encoding="utf-8")
        assert rule.doc() in page and rule.summary in page


def test_a_stale_or_left_over_page_is_found_and_regenerated(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(f"# x\n\n{README_START}\nold\n{README_END}\n")
    changed = docs.write_docs(tmp_path)
    assert tmp_path / "README.md" in changed and docs.stale_pages(tmp_path) == []
    page = tmp_path / "docs" / "rules" / "NWS101.md"
    page.write_text(page.read_text().replace("Flags", "Flagged"))
    (tmp_path / "docs" / "rules" / "NWS199.md").write_text("a rule that is gone\n")
    assert set(docs.stale_pages(tmp_path)) == {page, tmp_path / "docs" / "rules" / "NWS199.md"}
    assert docs.main([str(tmp_path), "--check"]) == 1
    docs.write_docs(tmp_path)
    assert docs.stale_pages(tmp_path) == [] and not (tmp_path / "docs/rules/NWS199.md").exists()


def test_readme_starts_with_the_two_commands() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    block = lines[lines.index("```sh") + 1: lines.index("```sh") + 3]
    assert "pip install -q ." in block[0]
    assert "netra-ws-lint check examples/legacy_service" in block[0]
    assert "pytest" in block[1]
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert block[1].split("&& ", 1)[1].replace(" -q", "") in ci.replace(" -q", "")


def test_readme_is_short_and_its_links_resolve() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings[:3] == ["What it finds", "Quick start on your own project", "Integrations"]
    assert "Rules" in headings and "Performance" not in headings
    assert "(docs/performance.md)" in text and "(benchmarks/precision/README.md)" in text
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if "://" in target:
            continue
        path = ROOT / target
        assert path.exists() or path in NOT_HERE_YET, target
    for doc in sorted((ROOT / "docs").glob("*.md")):
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            if "://" not in target:
                path = (doc.parent / target).resolve()
                assert path.exists() or path in NOT_HERE_YET, (doc.name, target)


def test_the_ci_files_in_the_docs_are_the_example_files() -> None:
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```yaml\n(.*?)^```$", text, re.M | re.S)
    for example in sorted((ROOT / "examples" / "ci").glob("*.yml")):
        assert example.read_text(encoding="utf-8") in blocks, example.name


def test_the_readme_configuration_is_valid(tmp_path: Path) -> None:
    from netra_ws_lint.cli.main import main

    text = README.read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"^```toml\n(.*?)^```$", text, re.M | re.S)
              if "[tool.netra-ws-lint]" in b]
    assert blocks
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "ok.py").write_text("x = 1\n")
    for i, block in enumerate(blocks):
        config = tmp_path / f"pyproject{i}.toml"
        config.write_text(block)
        assert main(["check", "--no-cache", "--config", str(config), str(tmp_path / "app")]) == 0
