"""The CI output formats: golden outputs, GitHub's escaping, SARIF that code scanning
accepts (every SARIF document is schema-checked by the autouse fixture in conftest)."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from netra_ws_lint import __version__
from netra_ws_lint.cli.main import main
from netra_ws_lint.model import Finding
from netra_ws_lint.report.formats import (
    escape_data,
    escape_property,
    fallback_fingerprint,
    sarif_document,
)
from netra_ws_lint.report.output import FORMATS, Reported, write
from netra_ws_lint.rules.base import all_rules

from .conftest import validate_sarif

ODD = "app/odd, name: 100%.py"
CALL_MSG = "call of deprecated process-wide accessor `get_websocket_manager()`"


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()  # the repository root the formats resolve paths against
    (tmp_path / "app").mkdir()
    monkeypatch.chdir(tmp_path / "app")
    return tmp_path


def sample() -> list[Reported]:
    """Paths as the CLI shows them, relative to the working directory (root/app)."""
    return [
        Reported("../" + ODD, Finding(2, 18, "NWS201", "mutated: 100% shared,\nby all"),
                 "    s = 'é'; m = get_websocket_manager()", "fp-odd"),
        Reported("handlers.py", Finding(9, 0, "NWS202", "audit: mutated at run time", True),
                 "_registry.append(x)", "fp-audit"),
        Reported("handlers.py", Finding(4, 14, "NWS101", CALL_MSG),
                 "    manager = get_websocket_manager()", "fp-call"),
    ]


def render(fmt: str, results: list[Reported]) -> str:
    out = io.StringIO()
    write(results, fmt, out)
    return out.getvalue()


def test_every_format_is_offered() -> None:
    assert set(FORMATS) == {
        "concise", "full", "json", "json-lines", "grouped", "github", "gitlab", "sarif", "junit",
    }


# ---------------------------------------------------------------- github


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("100%", "100%25", "100%25"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("a:b,c", "a:b,c", "a%3Ab%2Cc"),
        ("%0A", "%250A", "%250A"),  # an escape sequence in the text stays literal
        ("::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"),
    ],
)
def test_github_escaping(text: str, data: str, prop: str) -> None:
    assert escape_data(text) == data
    assert escape_property(text) == prop


def test_github_golden(root: Path) -> None:
    assert render("github", sample()).splitlines() == [
        # ":" and "," escaped in the file property, "%" and the newline everywhere; the
        # column counts characters ("é" is two bytes); the path is the repository's
        "::error file=app/odd%2C name%3A 100%25.py,line=2,col=18,"
        "title=NWS201 shared-module-cache::NWS201 mutated: 100%25 shared,%0Aby all",
        "::error file=app/handlers.py,line=4,col=15,title=NWS101 deprecated-accessor-call::"
        f"NWS101 {CALL_MSG}",
        "::warning file=app/handlers.py,line=9,col=1,title=NWS202 module-mutable-state::"
        "NWS202 audit: mutated at run time",
    ]


def test_github_format_from_the_cli(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "app" / "svc.py").write_text(
        # the imported accessor is handed on (NWS102); the call goes through the module
        "from ws import get_websocket_manager\nHOOKS = [get_websocket_manager]\n\n"
        "async def handle(user_context):\n    m = ws.get_websocket_manager()\n"
    )
    code = main(["check", "--output-format", "github", "--select", "NWS101,NWS102", "."])
    assert code == 1
    assert capsys.readouterr().out.splitlines() == [
        "::error file=app/svc.py,line=1,col=1,title=NWS102 deprecated-accessor-import::"
        "NWS102 import of deprecated process-wide accessor `get_websocket_manager`",
        "::error file=app/svc.py,line=5,col=9,title=NWS101 deprecated-accessor-call::"
        f"NWS101 {CALL_MSG}; use `create_websocket_manager`",
    ]


# ---------------------------------------------------------------- sarif


def test_sarif_golden(root: Path) -> None:
    doc = json.loads(render("sarif", sample()))
    validate_sarif(doc)
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert {k: driver[k] for k in ("name", "version", "semanticVersion")} == {
        "name": "netra-ws-lint", "version": __version__, "semanticVersion": __version__,
    }
    # no home page is named: the project has no public address
    assert "informationUri" not in driver
    assert [r["id"] for r in driver["rules"]] == ["NWS101", "NWS201", "NWS202"]
    registry = all_rules()
    for rule in driver["rules"]:
        cls = registry[rule["id"]]
        assert rule["name"] == cls.name
        assert rule["shortDescription"] == {"text": cls.summary}
        assert rule["help"]["markdown"] == cls.doc()
        assert "## " not in rule["help"]["text"] and "```" not in rule["help"]["text"]
        assert rule["fullDescription"]["text"] in " ".join(cls.doc().split())
        assert rule["defaultConfiguration"]["level"] == ("warning" if cls.audit else "error")
    assert run["columnKind"] == "unicodeCodePoints"
    results = run["results"]
    for r in results:
        line_hash = r["partialFingerprints"].pop("primaryLocationLineHash")
        assert re.fullmatch(r"[0-9a-f]{16}:1", line_hash)
    assert results == [
        {
            "ruleId": "NWS201", "ruleIndex": 1, "level": "error",
            "message": {"text": "mutated: 100% shared,\nby all"},
            "locations": [{"physicalLocation": {
                # a URI: the space, comma, colon and percent sign are percent-encoded
                "artifactLocation": {"uri": "app/odd%2C%20name%3A%20100%25.py",
                                     "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 2, "startColumn": 18},
            }}],
            "partialFingerprints": {"netraWsLint/v1": "fp-odd"},
        },
        {
            "ruleId": "NWS101", "ruleIndex": 0, "level": "error",
            "message": {"text": CALL_MSG},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": "app/handlers.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 4, "startColumn": 15},
            }}],
            "partialFingerprints": {"netraWsLint/v1": "fp-call"},
        },
        {
            "ruleId": "NWS202", "ruleIndex": 2, "level": "warning",
            "message": {"text": "audit: mutated at run time"},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": "app/handlers.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 9, "startColumn": 1},
            }}],
            "partialFingerprints": {"netraWsLint/v1": "fp-audit"},
        },
    ]


def test_sarif_without_findings_is_valid(root: Path) -> None:
    doc = sarif_document([], root)
    assert doc["runs"][0]["results"] == [] and doc["runs"][0]["tool"]["driver"]["rules"] == []


def test_sarif_from_the_cli_for_every_rule(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The legacy example service gives a finding of every default rule: one document
    with all of them, each rule described, each result placed in the repository."""
    example = Path(__file__).resolve().parents[1] / "examples" / "legacy_service"
    if not example.is_dir():
        pytest.skip("examples/legacy_service is not in this checkout")
    target = root / "svc"
    target.mkdir()
    for f in example.glob("*.py"):
        (target / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    code = main(["check", "--output-format", "sarif", "--audit", str(target)])
    doc = json.loads(capsys.readouterr().out)  # validated by the fixture, and again:
    validate_sarif(doc)
    assert code == 1
    run = doc["runs"][0]
    assert len(run["results"]) >= 5
    rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert {r["ruleId"] for r in run["results"]} == rules
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in run["results"]}
    assert all(u.startswith("svc/") for u in uris)
    fps = [r["partialFingerprints"]["netraWsLint/v1"] for r in run["results"]]
    assert len(set(fps)) == len(fps)


def test_primary_location_line_hash_counts_identical_lines(root: Path) -> None:
    line = "    m = get_websocket_manager()"
    results = [
        Reported("a.py", Finding(3, 8, "NWS101", "x"), line),
        Reported("a.py", Finding(3, 4, "NWS103", "y"), line),  # same line: same hash
        Reported("a.py", Finding(7, 8, "NWS101", "x"), "  m  =  get_websocket_manager()"),
    ]
    doc = sarif_document(results, root)
    hashes = [r["partialFingerprints"]["primaryLocationLineHash"]
              for r in doc["runs"][0]["results"]]
    assert hashes[0] == hashes[1] and hashes[0].endswith(":1")
    assert hashes[2] == hashes[0][:-1] + "2"  # whitespace does not count; second such line


# ---------------------------------------------------------------- gitlab


def test_gitlab_golden(root: Path) -> None:
    assert json.loads(render("gitlab", sample())) == [
        {
            "description": "NWS201 mutated: 100% shared,\nby all",
            "check_name": "NWS201",
            "fingerprint": "fp-odd",
            "severity": "major",
            "location": {"path": ODD, "lines": {"begin": 2}},
        },
        {
            "description": f"NWS101 {CALL_MSG}",
            "check_name": "NWS101",
            "fingerprint": "fp-call",
            "severity": "major",
            "location": {"path": "app/handlers.py", "lines": {"begin": 4}},
        },
        {
            "description": "NWS202 audit: mutated at run time",
            "check_name": "NWS202",
            "fingerprint": "fp-audit",
            "severity": "minor",
            "location": {"path": "app/handlers.py", "lines": {"begin": 9}},
        },
    ]


def test_gitlab_fingerprints_do_not_depend_on_line_numbers(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "async def handle(user_context):\n    m = get_websocket_manager()\n"
    svc = root / "app" / "svc.py"

    def report() -> list[dict[str, Any]]:
        main(["check", "--output-format", "gitlab", "--select", "NWS101", "svc.py"])
        return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]

    svc.write_text(body)
    before = report()
    svc.write_text("import os\n" * 20 + body)
    after = report()
    assert [i["location"]["lines"]["begin"] for i in before + after] == [2, 22]
    assert before[0]["fingerprint"] == after[0]["fingerprint"]
    # without a computed fingerprint the fallback is line-free too
    r = Reported("a.py", Finding(2, 4, "NWS101", "m"), "    m = get_websocket_manager()")
    moved = Reported("a.py", Finding(40, 4, "NWS101", "m"), "    m = get_websocket_manager()")
    assert fallback_fingerprint("a.py", r) == fallback_fingerprint("a.py", moved)


# ---------------------------------------------------------------- junit


def test_junit_golden(root: Path) -> None:
    text = render("junit", sample())
    assert text == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<testsuites name="netra-ws-lint" tests="3" failures="3" errors="0">\n'
        '  <testsuite name="../app/odd, name: 100%.py" tests="1" failures="1" errors="0">\n'
        '    <testcase name="NWS201 shared-module-cache" classname="../app/odd, name: 100%.py"'
        ' file="../app/odd, name: 100%.py" line="2">\n'
        '      <failure message="mutated: 100% shared,&#10;by all" type="NWS201">'
        "../app/odd, name: 100%.py:2:19: NWS201 mutated: 100% shared,\nby all</failure>\n"
        "    </testcase>\n"
        "  </testsuite>\n"
        '  <testsuite name="handlers.py" tests="2" failures="2" errors="0">\n'
        '    <testcase name="NWS101 deprecated-accessor-call" classname="handlers.py"'
        ' file="handlers.py" line="4">\n'
        f'      <failure message="{CALL_MSG}" type="NWS101">'
        f"handlers.py:4:15: NWS101 {CALL_MSG}</failure>\n"
        "    </testcase>\n"
        '    <testcase name="NWS202 module-mutable-state" classname="handlers.py"'
        ' file="handlers.py" line="9">\n'
        '      <failure message="audit: mutated at run time" type="NWS202">'
        "handlers.py:9:1: NWS202 audit: mutated at run time</failure>\n"
        "    </testcase>\n"
        "  </testsuite>\n"
        "</testsuites>\n"
    )
    ET.fromstring(text.split("\n", 1)[1])  # well-formed


def test_junit_without_findings_and_with_control_characters(root: Path) -> None:
    empty = ET.fromstring(render("junit", []).split("\n", 1)[1])
    assert empty.get("tests") == "1" and empty.get("failures") == "0"
    assert [c.get("name") for c in empty.iter("testcase")] == ["No findings"]
    odd = render("junit", [Reported("a.py", Finding(1, 0, "NWS900", "bad byte \x00\x1b here"))])
    failure = ET.fromstring(odd.split("\n", 1)[1]).find(".//failure")
    assert failure is not None and failure.get("message") == "bad byte \ufffd\ufffd here"


# ---------------------------------------------------------------- json-lines, grouped


def test_json_lines_golden_and_same_objects_as_json(root: Path) -> None:
    lines = render("json-lines", sample()).splitlines()
    assert lines[0] == (
        '{"filename": "../app/odd, name: 100%.py", "line": 2, "column": 19, "code": "NWS201", '
        '"name": "shared-module-cache", "message": "mutated: 100% shared,\\nby all", '
        '"audit": false}'
    )
    assert [json.loads(line) for line in lines] == json.loads(render("json", sample()))
    assert render("json-lines", []) == ""


def test_grouped_golden(root: Path) -> None:
    results = [*sample()[1:], Reported("handlers.py", Finding(12, 4, "NWS101", CALL_MSG))]
    assert render("grouped", results) == (
        "handlers.py:\n"
        f"  4:15  NWS101  {CALL_MSG}\n"
        "  9:1   NWS202  audit: mutated at run time  (audit)\n"
        f"  12:5  NWS101  {CALL_MSG}\n"
        "\n"
        "Found 3 findings in 1 file.\n"
    )
    assert render("grouped", []) == "No findings.\n"


def test_existing_formats_are_unchanged(root: Path) -> None:
    """concise, full and json are byte-for-byte what they were."""
    r = [Reported("a.py", Finding(4, 14, "NWS101", "m"), "    manager = get()", "fp")]
    assert render("concise", r) == "a.py:4:15: NWS101 m\n"
    assert render("full", r) == (
        "a.py:4:15: NWS101 m\n        manager = get()\n" + " " * 18 + "^\n"
    )
    assert render("json", r) == (
        '[\n  {\n    "filename": "a.py",\n    "line": 4,\n    "column": 15,\n'
        '    "code": "NWS101",\n    "name": "deprecated-accessor-call",\n'
        '    "message": "m",\n    "audit": false\n  }\n]\n'
    )


def test_sarif_rules_carry_help_tags_and_security_severity(root: Path) -> None:
    from netra_ws_lint.report.docs import rule_doc

    doc = sarif_document(sample(), root)
    validate_sarif(doc)
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert rules
    for code, rule in rules.items():
        props = rule["properties"]
        if code.startswith("NWS9"):
            assert props["tags"] == ["tool"] and "security-severity" not in props
            continue
        assert "security" in props["tags"] and "external/cwe/cwe-488" in props["tags"]
        assert 0.0 < float(props["security-severity"]) <= 10.0
        text = rule_doc(code)
        assert text is not None and rule["help"]["markdown"] in text
        assert "## Why is this bad?" in rule["help"]["markdown"]
        assert "## " not in rule["help"]["text"] and "Why is this bad?" in rule["help"]["text"]


def test_the_sarif_schema_ships_with_the_tests() -> None:
    """The SARIF tests validate against a schema in the repository, so they run (never
    skip) in a fresh clone; its licence notice is kept beside it."""
    from .conftest import SARIF_SCHEMA

    assert SARIF_SCHEMA.is_relative_to(Path(__file__).resolve().parent)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    notice = SARIF_SCHEMA.with_name("sarif-schema-2.1.0.NOTICE.md").read_text(encoding="utf-8")
    assert "Copyright © OASIS Open" in notice
