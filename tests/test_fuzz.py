"""Property-based fuzzing: generated valid Python programs (hypothesmith) and mutated or
truncated real files. The engine and the flake8 plugin never raise, never report a
crashed rule (NWS901), agree with each other, and give the same findings twice.

Budget: ``max_examples`` per test is 60 (CI: well under a minute in all);
``NWS_FUZZ_EXAMPLES=2000`` for a longer run.
"""

from __future__ import annotations

import ast
import os
import tempfile
import warnings
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
hypothesmith = pytest.importorskip("hypothesmith")

from hypothesis import HealthCheck, Phase, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from netra_ws_lint.cli.flake8_plugin import Plugin  # noqa: E402
from netra_ws_lint.config import settings_for  # noqa: E402
from netra_ws_lint.engine.pipeline import (  # noqa: E402
    DecodeError,
    RuleSet,
    check_bytes,
    check_source,
    decode_source,
    normalize_newlines,
)
from netra_ws_lint.fix.add_noqa import add_noqa_to_source  # noqa: E402
from netra_ws_lint.report.baseline import fingerprint_findings  # noqa: E402

EXAMPLES = int(os.environ.get("NWS_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing written into the working tree (no patches either)
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)
# generated code is odd on purpose ("1()"): the compiler's warnings are noise here
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::SyntaxWarning")]
ROOT = Path(__file__).resolve().parents[1]
REAL_FILES = sorted(
    [*(ROOT / "examples").rglob("*.py"), *(ROOT / "netra_ws_lint").rglob("*.py")],
    key=lambda p: p.as_posix(),
)
# a directory without any configuration: both front ends see the defaults (+ audit)
WORKDIR = Path(tempfile.mkdtemp(prefix="nws-fuzz-"))
FILENAME = str(WORKDIR / "fuzzed.py")
OVERRIDES = {"audit": True}
SETTINGS = settings_for(Path(FILENAME), OVERRIDES)
RULES = RuleSet.for_settings(SETTINGS)

# names the rules care about, swapped into generated programs so that rules fire
VOCABULARY = [
    "get_websocket_manager", "create_websocket_manager", "user_context", "context",
    "user_id", "session_id", "websocket", "UserExecutionContext", "WebSocketManager",
    "send_event", "emit_update", "broadcast", "CACHE", "_instance", "lru_cache",
    "ContextVar", "asyncio", "Lock", "self", "cls", "__new__", "__init__", "setdefault",
    "append", "get_manager", "_registry", "handle",
]
SNIPPETS = [
    "",
    "from app.websocket_core import get_websocket_manager\n",
    "CACHE = {}\nasync def remember(user_id, value):\n    CACHE[user_id] = value\n",
    "class Manager:\n    _instance = None\n    def __new__(cls):\n"
    "        if cls._instance is None:\n            cls._instance = super().__new__(cls)\n"
    "        return cls._instance\n",
    "async def handle(user_context):\n    m = get_websocket_manager()\n"
    "    await m.send_event(user_context.user_id, 'x')\n",
]


def _engine(source: str) -> list[tuple[int, int, str]]:
    return [(f.line, f.col, f.code) for f in
            check_source(source, FILENAME, SETTINGS, RULES, apply_noqa=False)]


def _plugin(source: str, tree: ast.AST) -> list[tuple[int, int, str]]:
    return [(line, col, msg.split()[0]) for line, col, msg, _ in
            Plugin(tree, FILENAME, source.splitlines(True)).run()]


@pytest.fixture(autouse=True)
def _plugin_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Plugin, "overrides", dict(OVERRIDES))


def check_valid_program(source: str) -> None:
    # as Python imports a file, and flake8 reads it: universal newlines (before 3.12,
    # compile() of raw text accepts a backslash before CRLF at the end, import does not)
    source = normalize_newlines(source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings of odd generated code
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            assume(False)
            return
        first = _engine(source)
        assert not {c for *_, c in first} & {"NWS900", "NWS901"}, (source, first)
        assert _engine(source) == first  # deterministic
        plugin = _plugin(source, tree)
        assert "NWS901" not in {c for *_, c in plugin}, (source, plugin)
        assert sorted(plugin) == sorted(first)  # both front ends agree
        assert _plugin(source, ast.parse(source)) == plugin
        # the paths that re-read findings: fingerprints and --add-noqa
        findings = check_source(source, FILENAME, SETTINGS, RULES)
        fingerprint_findings(source, "fuzzed.py", findings)
        add_noqa_to_source(source, findings)


@FUZZ
@given(hypothesmith.from_grammar())
def test_generated_programs_from_the_grammar(source: str) -> None:
    check_valid_program(source)


@FUZZ
@given(hypothesmith.from_node())
def test_generated_programs_from_libcst_nodes(source: str) -> None:
    check_valid_program(source)


class _Rename(ast.NodeTransformer):
    """Every identifier becomes a word of the rules' vocabulary."""

    def __init__(self, pick: st.DataObject) -> None:
        self.pick = pick
        self.names: dict[str, str] = {}

    def word(self, name: str) -> str:
        if name not in self.names:
            self.names[name] = self.pick.draw(st.sampled_from(VOCABULARY))
        return self.names[name]

    def visit_Name(self, node: ast.Name) -> ast.AST:
        node.id = self.word(node.id)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        node.attr = self.word(node.attr)
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        self.generic_visit(node)
        node.arg = self.word(node.arg)
        return node

    def _def(self, node: ast.AST) -> ast.AST:
        self.generic_visit(node)
        node.name = self.word(node.name)  # type: ignore[attr-defined]
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _def


@FUZZ
@given(hypothesmith.from_grammar(), st.sampled_from(SNIPPETS), st.data())
def test_generated_programs_in_the_rules_vocabulary(source: str, snippet: str,
                                                    data: st.DataObject) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tree = _Rename(data).visit(ast.parse(source))
            renamed = ast.unparse(tree)
            ast.parse(renamed)
        except (SyntaxError, ValueError, RecursionError, MemoryError, AttributeError):
            assume(False)
            return
    check_valid_program(renamed + "\n" + snippet)


# ---------------------------------------------------------------- broken real files


@st.composite
def mutated_real_file(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(REAL_FILES)).read_bytes())
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "cut", "dedent"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            piece = draw(st.sampled_from(
                [b"(", b")", b":", b"\n", b"    ", b"\t", b"\r", b"\x0c", b"\x00", b"\xff",
                 b"\xef\xbb\xbf", b"'", b'"""', b"\\", b"#", b"async ", b"await ",
                 b"get_websocket_manager()", b"lambda: ", b"yield ", b"global x\n"]))
            data[at:at] = piece
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        elif kind == "cut":
            del data[at:]
        else:  # dedent one line: indentation errors
            start = data.rfind(b"\n", 0, at) + 1
            while start < len(data) and data[start:start + 1] in (b" ", b"\t"):
                del data[start]
    return bytes(data)


@FUZZ
@given(mutated_real_file())
def test_mutated_and_truncated_real_files(data: bytes) -> None:
    first = check_bytes(data, FILENAME, SETTINGS, RULES)
    codes = {f.code for f in first.findings}
    # (a noqa comment may hide even NWS900: compared without noqa below)
    assert "NWS901" not in codes, [f for f in first.findings if f.code == "NWS901"]
    assert first.skipped is None
    again = check_bytes(data, FILENAME, SETTINGS, RULES)
    assert again.findings == first.findings
    try:
        source = decode_source(data)
    except DecodeError:
        return
    fingerprint_findings(source, "fuzzed.py", first.findings)
    add_noqa_to_source(source, first.findings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            assert {c for *_, c in _engine(source)} == {"NWS900"}
            return
    assert "NWS900" not in codes
    plugin = _plugin(source, tree)
    assert "NWS901" not in {c for *_, c in plugin}
    assert sorted(plugin) == sorted(_engine(source))
