"""NWS3 behaviour the rule examples cannot show: file paths (test files), rule
priority over every example, messages, and code that must never crash a rule."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from netra_ws_lint.config import Settings, apply_options
from netra_ws_lint.engine.pipeline import check_source
from netra_ws_lint.rules.base import all_rules

from .examples import all_examples

AUDIT = Settings(audit=True)


def findings(source: str, path: str = "app/jobs.py", settings: Settings = AUDIT,
             prefix: str = "NWS3") -> list[tuple[int, int, str, str]]:
    out = check_source(textwrap.dedent(source), path, settings)
    assert not [f for f in out if f.code == "NWS901"], out
    return [(f.line, f.col + 1, f.code, f.message) for f in out if f.code.startswith(prefix)]


PLACEHOLDER = """\
from app.context import UserExecutionContext

SHARED = UserExecutionContext(user_id="test-user")

def make():
    return UserExecutionContext(user_id="test-user")
"""


@pytest.mark.parametrize("path", ["tests/test_jobs.py", "test_jobs.py", "pkg/jobs_test.py",
                                  "tests/helpers/factories.py", "conftest.py"])
def test_literal_user_id_is_allowed_in_test_files_but_import_time_is_not(path: str) -> None:
    got = findings(PLACEHOLDER, path, prefix="NWS304")
    assert [(line, code) for line, _, code, _ in got] == [(3, "NWS304")]
    assert "import time" in got[0][3]


def test_literal_user_id_outside_test_files() -> None:
    got = findings(PLACEHOLDER, "app/jobs.py", prefix="NWS304")
    assert [(line, col) for line, col, _, _ in got] == [(3, 10), (6, 12)]
    assert "'test-user'" in got[1][3]


def test_test_paths_option_decides_what_a_test_file_is(tmp_path: Path) -> None:
    settings = apply_options(Settings(root=tmp_path, audit=True),
                             {"test-paths": ["fixtures/"]}, None)
    in_fixtures = findings(PLACEHOLDER, str(tmp_path / "fixtures" / "ctx.py"), settings, "NWS304")
    assert [line for line, *_ in in_fixtures] == [3]
    # the default patterns no longer apply
    in_tests = findings(PLACEHOLDER, str(tmp_path / "tests" / "test_x.py"), settings, "NWS304")
    assert [line for line, *_ in in_tests] == [3, 6]


def test_one_call_never_gets_both_nws301_and_nws303() -> None:
    for ex in all_examples():
        if not ex.rule.code.startswith("NWS3"):
            continue
        out = check_source(ex.source, "example.py", ex.settings())
        places: dict[tuple[int, int], set[str]] = {}
        for f in out:
            places.setdefault((f.line, f.col), set()).add(f.code)
        assert not [p for p, codes in places.items() if {"NWS301", "NWS303"} <= codes], ex.id


def test_priority_between_nws301_and_nws303() -> None:
    source = """\
    def required(user_context):
        return user_context

    def optional(user_context=None):
        return user_context

    class Scoped:
        def __init__(self, user_context=None):
            self.user_context = user_context

    def caller(user_context):
        required()
        optional()
        Scoped()
        create_websocket_manager()

    def no_context_here():
        required()
        optional()
        optional(user_context=None)
        Scoped()
    """
    got = [(line, code) for line, _, code, _ in findings(source) if code != "NWS305"]
    assert got == [
        (12, "NWS301"), (13, "NWS303"), (14, "NWS301"), (15, "NWS301"),
        (18, "NWS301"), (21, "NWS301"),
    ]


def test_nws302_and_nws305_are_reported_at_the_def_not_the_decorator() -> None:
    source = """\
    from app.ws import manager

    @app.route(
        "/notify",
    )
    @log_calls
    async def notify(user_id, text):
        await manager.send_to_user(user_id, text)

    class WebSocketManager:
        @trace
        def __init__(self, user_context=None):
            self.user_context = user_context
    """
    got = findings(source)
    assert [(line, col, code) for line, col, code, _ in got] == [
        (7, 1, "NWS302"), (12, 5, "NWS305"),
    ]
    assert "`notify`" in got[0][3] and "`user_id`" in got[0][3] and "`manager`" in got[0][3]
    assert "`WebSocketManager.__init__`" in got[1][3]


def test_nws302_reports_a_function_once() -> None:
    source = """\
    async def run(user_id):
        await manager.send_to_user(user_id, 1)
        await manager.emit_event(user_id, 2)
        await get_websocket_manager().broadcast(3)

    manager = get_websocket_manager()
    """
    got = findings(source, prefix="NWS302")
    assert [(line, col) for line, col, *_ in got] == [(1, 1)]


def test_messages_name_the_offending_symbol() -> None:
    source = """\
    import app.ws as ws

    def helper(x, ctx=None):
        return store.save(x, owner=ctx.user_id)

    async def handle(ctx):
        ws.create_websocket_manager(None)
        helper(1)
    """
    messages = [m for *_, code, m in findings(source) if code in ("NWS301", "NWS303")]
    assert messages == [
        "context factory `ws.create_websocket_manager` called with `None` for its user context",
        "call of `helper` does not pass the user context in scope (`ctx`) as `ctx`",
    ]


ODD_CODE = [
    # positional-only context, starred calls, keyword splats everywhere
    """\
    def f(user_context, /, x=None):
        return f(*(), **{})

    def g(user_context):
        f()
        f(None)
        f(user_context=None)
    """,
    # __init__ that is not a def, a class calling itself, metaclass keywords
    """\
    class A(metaclass=Meta, user_context=None):
        __init__ = lambda self, user_context: None
        x = A()

    class B:
        def __init__(user_context):
            pass

    B()
    """,
    # aliases chasing themselves, global/nonlocal, walrus
    """\
    x = x
    create_websocket_manager = create_websocket_manager
    def f(ctx):
        global create_websocket_manager
        y = y
        (m := create_websocket_manager)()
        return create_websocket_manager()
    """,
    # odd callees: subscripts, calls of calls, lambdas called at once
    """\
    def f(user_context):
        handlers[0]()
        make()()
        (lambda ctx=None: ctx)()
        getattr(obj, "send_x")(user_context)
    """,
    # match statements, try/except*, async comprehensions
    """\
    async def f(user_id, ctx=None):
        match user_id:
            case {"a": UserExecutionContext(user_id="x")}:
                pass
            case [*rest] if rest:
                await manager.send_to_user(user_id)
        return [UserExecutionContext(u) async for u in aiter()]
    """,
    # decorators of every shape
    """\
    @a.b[0]
    @(lambda fn: fn)
    @functools.lru_cache
    def get_thing():
        global _thing
        return _thing

    def use(run_id):
        get_thing().push_event(run_id)
    """,
    # singleton classes and instance attributes
    """\
    class Hub:
        _instance = None
        def __new__(cls, *a, **k):
            if cls._instance is None:
                cls._instance = super().__new__(cls)
            return cls._instance

    def use(connection_id):
        Hub().notify_all(connection_id)
        Hub._instance.notify_all(connection_id)
    """,
    # empty and nearly empty files
    "",
    "pass\n",
    # a context type used as a decorator and as a base
    """\
    @UserExecutionContext(user_id="x")
    class C(UserExecutionContext("y")):
        pass
    """,
]


@pytest.mark.parametrize("source", ODD_CODE)
def test_never_crashes_on_odd_code(source: str) -> None:
    findings(source)  # asserts there is no NWS901


def test_every_nws3_rule_is_registered_with_enough_examples() -> None:
    rules = {c: r for c, r in all_rules().items() if c.startswith("NWS3")}
    assert sorted(rules) == ["NWS301", "NWS302", "NWS303", "NWS304", "NWS305"]
    for rule in rules.values():
        assert len(rule.VALID) >= 5 and len(rule.INVALID) >= 5, rule.code
    assert rules["NWS305"].audit and not any(r.audit for c, r in rules.items() if c != "NWS305")
