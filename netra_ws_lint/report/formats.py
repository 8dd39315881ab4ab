"""The CI output formats of ``netra-ws-lint check --output-format``.

``concise``, ``full`` and ``json`` live in :mod:`.output`; this module adds:

json-lines
    one JSON object per line, with the keys of the ``json`` format.
grouped
    findings grouped under their file, for people, and a closing count.
github
    GitHub Actions workflow commands (``::error file=...,line=...,col=...,title=...::msg``)
    that show as annotations on the pull request; audit findings are ``::warning``.
gitlab
    GitLab Code Quality JSON (``codequality`` report artifact).
sarif
    SARIF 2.1.0 for GitHub code scanning (``github/codeql-action/upload-sarif``).
junit
    JUnit XML: a test suite per file, a failed test case per finding.

``github``, ``gitlab`` and ``sarif`` name files relative to the repository root (the
nearest directory above the working directory holding ``.git``), since that is how
those services resolve them; ``github`` and ``sarif`` give columns in characters
(``concise`` and ``json`` count UTF-8 bytes, as flake8 does).
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from netra_ws_lint import __version__
from netra_ws_lint.report.escape import terminal, visible_bidi
from netra_ws_lint.report.paths import project_root, root_relative
from netra_ws_lint.report.reported import Reported, as_dict
from netra_ws_lint.rules.base import Rule, all_rules

TOOL_NAME = "netra-ws-lint"
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"


def char_column(r: Reported) -> int:
    """The 1-based column in characters (findings carry ``ast``'s UTF-8 byte offset)."""
    col = r.finding.col
    if r.source_line is None or r.source_line.isascii():
        return col + 1
    return len(r.source_line.encode("utf-8")[:col].decode("utf-8", errors="ignore")) + 1


def fallback_fingerprint(path: str, r: Reported) -> str:
    """A line-number-free fingerprint for findings that were not given one."""
    text = " ".join((r.source_line or "").split())
    key = json.dumps([path, r.finding.code, text, r.finding.message])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _level(r: Reported) -> str:
    return "warning" if r.finding.audit else "error"


# ---------------------------------------------------------------- json-lines, grouped


def write_json_lines(results: Sequence[Reported], out: TextIO, root: Path | None = None) -> None:
    for r in results:
        out.write(json.dumps(as_dict(r)) + "\n")


def write_grouped(results: Sequence[Reported], out: TextIO, root: Path | None = None) -> None:
    files: dict[str, list[Reported]] = {}
    for r in results:
        files.setdefault(r.path, []).append(r)
    for path, group in files.items():
        out.write(f"{terminal(path)}:\n")
        places = [f"{r.finding.line}:{r.finding.col + 1}" for r in group]
        width = max(len(p) for p in places)
        for place, r in zip(places, group):
            status = "  (audit)" if r.finding.audit else ""
            message = terminal(r.finding.message)
            out.write(f"  {place:<{width}}  {r.finding.code}  {message}{status}\n")
        out.write("\n")
    n, f = len(results), len(files)
    if n:
        out.write(f"Found {n} finding{'s' * (n != 1)} in {f} file{'s' * (f != 1)}.\n")
    else:
        out.write("No findings.\n")


# ---------------------------------------------------------------- github


def escape_data(text: str) -> str:
    """Escape a workflow command's message (``@actions/core``'s ``escapeData``); bidi
    controls are shown by name and other control characters (an escape sequence the
    log viewer would colour with) escaped as for a terminal."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return terminal(text)


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (``escapeProperty``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def write_github(results: Sequence[Reported], out: TextIO, root: Path | None = None) -> None:
    root = root or project_root()
    names = _rule_names()
    for r in results:
        f = r.finding
        title = f"{f.code} {names.get(f.code, '')}".rstrip()
        props = ",".join(
            f"{k}={escape_property(str(v))}"
            for k, v in (
                ("file", root_relative(r.path, root)),
                ("line", f.line),
                ("col", char_column(r)),
                ("title", title),
            )
        )
        out.write(f"::{_level(r)} {props}::{escape_data(f'{f.code} {f.message}')}\n")


# ---------------------------------------------------------------- gitlab


def write_gitlab(results: Sequence[Reported], out: TextIO, root: Path | None = None) -> None:
    root = root or project_root()
    issues = []
    for r in results:
        path = root_relative(r.path, root)
        issues.append(
            {
                "description": f"{r.finding.code} {r.finding.message}",
                "check_name": r.finding.code,
                "fingerprint": r.fingerprint or fallback_fingerprint(path, r),
                "severity": "minor" if r.finding.audit else "major",
                "location": {"path": path, "lines": {"begin": r.finding.line}},
            }
        )
    json.dump(issues, out, indent=2)
    out.write("\n")


# ---------------------------------------------------------------- sarif


def _section(doc: str, title: str) -> str:
    """The text of one ``## title`` section of a rule's markdown doc."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", doc, re.M | re.S)
    return " ".join(match.group(1).split()) if match else ""


def _plain(doc: str) -> str:
    lines = [line for line in doc.splitlines() if not line.startswith("```")]
    return "\n".join(line[3:] if line.startswith("## ") else line for line in lines)


def sarif_rule(code: str, rule: type[Rule] | None) -> dict[str, Any]:
    if rule is None:
        if code.startswith("NWS5"):  # a custom pattern rule of the configuration
            text = f"{code}: a custom pattern rule of the project's configuration."
            return {
                "id": code,
                "name": "custom-pattern",
                "shortDescription": {"text": text},
                "fullDescription": {"text": text},
                "help": {"text": text, "markdown": text},
                "defaultConfiguration": {"level": "error"},
                "properties": sarif_properties(code, None),
            }
        return {"id": code, "shortDescription": {"text": code}}
    doc = rule.doc()
    full = _section(doc, "What it does") or rule.summary
    return {
        "id": code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": full},
        "help": {"text": _plain(doc), "markdown": doc},
        "defaultConfiguration": {"level": "warning" if rule.audit else "error"},
        "properties": sarif_properties(code, rule),
    }


# rule family -> tag; CWE-488: exposure of data element to wrong session
_FAMILY_TAGS = {"NWS1": "singleton", "NWS2": "shared-state", "NWS3": "user-context"}
CWE_TAG = "external/cwe/cwe-488"


def sarif_properties(code: str, rule: type[Rule] | None) -> dict[str, Any]:
    """``tags``, ``precision`` and, for the rules that find leaks, ``security-severity``
    (GitHub code scanning ranks a result by it: 7.0-8.9 is "high", 4.0-6.9 "medium")."""
    if rule is not None and rule.tool:  # the tool's own findings: not a security issue
        return {"tags": ["tool"], "precision": "very-high"}
    audit = rule is not None and rule.audit
    family = _FAMILY_TAGS.get(code[:4], "custom-pattern")
    return {
        "tags": ["security", "user-isolation", family, CWE_TAG],
        "precision": "medium" if audit or rule is None else "high",
        "security-severity": "5.0" if audit or rule is None else "7.5",
    }


def line_hash(r: Reported) -> str:
    text = "".join((r.source_line or "").split())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def sarif_document(results: Sequence[Reported], root: Path | None = None) -> dict[str, Any]:
    root = root or project_root()
    registry = all_rules()
    codes = sorted({r.finding.code for r in results})
    index = {code: i for i, code in enumerate(codes)}
    # the n-th distinct flagged line with this text in the file (as GitHub counts)
    occurrence: dict[tuple[str, str], dict[int, int]] = {}
    sarif_results = []
    for r in results:
        f = r.finding
        path = root_relative(r.path, root)
        # surrogateescape: a non-UTF-8 file name is percent-encoded as its own bytes
        location: dict[str, Any] = {"uri": quote(path, safe="/", errors="surrogateescape")}
        if not Path(path).is_absolute():
            location["uriBaseId"] = "%SRCROOT%"
        else:
            location["uri"] = Path(path).as_uri()
        lh = line_hash(r)
        lines = occurrence.setdefault((path, lh), {})
        nth = lines.setdefault(f.line, len(lines) + 1)
        fingerprints = {"primaryLocationLineHash": f"{lh}:{nth}"}
        fingerprints["netraWsLint/v1"] = r.fingerprint or fallback_fingerprint(path, r)
        sarif_results.append(
            {
                "ruleId": f.code,
                "ruleIndex": index[f.code],
                "level": _level(r),
                "message": {"text": f.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": location,
                            "region": {"startLine": f.line, "startColumn": char_column(r)},
                        },
                    }
                ],
                "partialFingerprints": fingerprints,
                **_sarif_fix(r, location),
            }
        )
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [sarif_rule(code, registry.get(code)) for code in codes],
                    },
                },
                "columnKind": "unicodeCodePoints",
                "results": sarif_results,
            }
        ],
    }


def _sarif_fix(r: Reported, location: dict[str, Any]) -> dict[str, Any]:
    """A finding's fix as SARIF ``fixes`` (with the edits; columns in characters) and its
    applicability in the result's ``properties``."""
    fix = r.finding.fix
    if fix is None:
        return {}
    out: dict[str, Any] = {
        "properties": {"fixApplicability": fix.applicability, "fixMessage": fix.message}
    }
    if fix.edits:
        out["fixes"] = [
            {
                "description": {"text": fix.message},
                "artifactChanges": [
                    {
                        "artifactLocation": dict(location),
                        "replacements": [
                            {
                                "deletedRegion": {
                                    "startLine": e.line,
                                    "startColumn": e.char_col + 1,
                                    "endLine": e.end_line,
                                    "endColumn": e.end_char_col + 1,
                                },
                                "insertedContent": {"text": e.content},
                            }
                            for e in fix.edits
                        ],
                    }
                ],
            }
        ]
    return out


def write_sarif(results: Sequence[Reported], out: TextIO, root: Path | None = None) -> None:
    json.dump(sarif_document(results, root), out, indent=2)
    out.write("\n")


# ---------------------------------------------------------------- junit

_XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """XML 1.0 cannot hold most control characters, escaped or not; bidi controls are
    shown by name."""
    return _XML_INVALID_RE.sub("\ufffd", visible_bidi(text))


def write_junit(results: Sequence[Reported], out: TextIO, root: Path | None = None) -> None:
    n = str(len(results))
    suites = ET.Element("testsuites", name=TOOL_NAME, tests=n, failures=n, errors="0")
    files: dict[str, list[Reported]] = {}
    for r in results:
        files.setdefault(r.path, []).append(r)
    if not files:  # one passing test case, so that CI shows the check ran
        suites.set("tests", "1")
        suite = ET.SubElement(
            suites, "testsuite", name=TOOL_NAME, tests="1", failures="0", errors="0"
        )
        ET.SubElement(suite, "testcase", name="No findings", classname=TOOL_NAME)
    names = _rule_names()
    for path, group in files.items():
        size = str(len(group))
        suite = ET.SubElement(
            suites, "testsuite", name=_xml_text(path), tests=size, failures=size, errors="0"
        )
        for r in group:
            f = r.finding
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{f.code} {names.get(f.code, '')}".rstrip(),
                classname=_xml_text(path),
                file=_xml_text(path),
                line=str(f.line),
            )
            failure = ET.SubElement(case, "failure", message=_xml_text(f.message), type=f.code)
            failure.text = _xml_text(f"{path}:{f.line}:{f.col + 1}: {f.code} {f.message}")
    ET.indent(suites)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(suites, encoding="unicode"))
    out.write("\n")


def _rule_names() -> dict[str, str]:
    return {code: rule.name for code, rule in all_rules().items()}


Writer = Callable[[Sequence[Reported], TextIO, "Path | None"], None]
WRITERS: dict[str, Writer] = {
    "json-lines": write_json_lines,
    "grouped": write_grouped,
    "github": write_github,
    "gitlab": write_gitlab,
    "sarif": write_sarif,
    "junit": write_junit,
}
