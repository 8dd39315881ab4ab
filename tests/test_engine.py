"""The engine on hostile and odd input: it never raises, and bad files become findings."""

from __future__ import annotations

import ast

from netra_ws_lint.config import Settings
from netra_ws_lint.engine.pipeline import RuleSet, check_bytes, check_source
from netra_ws_lint.rules.base import Rule, all_rules

CALL = "async def f(user_context):\n    m = get_websocket_manager()\n"


def codes_lines(findings: list) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in findings]


class Crashing(Rule):
    code = "NWS199"
    name = "crashing"
    message = "never"
    summary = "A rule with a bug."

    def visit_Call(self, node: ast.Call) -> None:
        raise KeyError("boom")


def test_a_crashing_rule_becomes_nws901_and_other_rules_still_report() -> None:
    rules = RuleSet((Crashing, all_rules()["NWS101"]))
    findings = check_source(CALL + CALL.replace("f(", "g("), "x.py", Settings(), rules)
    crashed = [f for f in findings if f.code == "NWS901"]
    assert len(crashed) == 1  # reported once, then the rule is off for the file
    assert "NWS199 (crashing) crashed on this file: KeyError: 'boom'" in crashed[0].message
    assert [(f.line, f.code) for f in findings if f.code == "NWS101"] == [(2, "NWS101"), (4, "NWS101")]


def test_syntax_error_is_a_finding() -> None:
    assert codes_lines(check_source("def f(:\n", "x.py", Settings())) == [(1, "NWS900")]


def test_null_bytes_and_undecodable_bytes() -> None:
    r = check_bytes(b"x = 1\x00\n", "x.py", Settings())
    assert [f.code for f in r.findings] == ["NWS900"]
    r = check_bytes(b"x = '\xff\xfe'\n", "x.py", Settings())
    assert [f.code for f in r.findings] == ["NWS900"]
    assert "cannot decode" in r.findings[0].message


def test_encodings_bom_and_newlines_keep_line_numbers() -> None:
    latin1 = "# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n" + CALL
    assert codes_lines(check_bytes(latin1.encode("latin-1"), "x.py", Settings()).findings) == [(4, "NWS101")]
    bom = b"\xef\xbb\xbf" + CALL.encode()
    assert codes_lines(check_bytes(bom, "x.py", Settings()).findings) == [(2, "NWS101")]
    for newline in ("\r\n", "\r"):
        data = ("x = 1" + newline + CALL.replace("\n", newline)).encode()
        assert codes_lines(check_bytes(data, "x.py", Settings()).findings) == [(3, "NWS101")]
    # a form feed is not a line break for Python
    ff = "x = 1\n\x0c\n" + CALL
    assert codes_lines(check_source(ff, "x.py", Settings())) == [(4, "NWS101")]


def test_deep_nesting_never_crashes() -> None:
    deep_expr = "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n"
    assert [f.code for f in check_source(deep_expr, "x.py", Settings())] == ["NWS900"]
    # as deep as the parser allows, walked without recursion
    nested = "".join("    " * i + "if x:\n" for i in range(95)) + "    " * 95 + "get_websocket_manager()\n"
    findings = check_source(nested, "x.py", Settings())
    assert codes_lines(findings) in ([(96, "NWS101")], [(1, "NWS900")])
    long_chain = "x = " + " + ".join(["get_websocket_manager()"] * 3000) + "\n"
    findings = check_source(long_chain, "x.py", Settings(select=("NWS101",)))
    assert "NWS901" not in {f.code for f in findings}


def test_empty_and_comment_only_files() -> None:
    assert check_source("", "x.py", Settings()) == []
    assert check_source("# get_websocket_manager()\n", "x.py", Settings()) == []


def test_skip_file_comment() -> None:
    assert check_source("# netra-ws-lint: skip-file\n" + CALL, "x.py", Settings()) == []
    # only as a comment of its own, not inside a string
    assert check_source("x = '# netra-ws-lint: skip-file'\n" + CALL, "x.py", Settings()) != []
