"""Safe means proven: each case is the code before and after ``--fix`` (and, where
the fix is unsafe, after ``--unsafe-fixes``). A context name that does not hold the
user's context at the call, a replacement name that is not the factory there, an
import from a module that lacks the factory, and a context that may be ``None`` are
never fixed as safe."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from netra_ws_lint.cli.main import main
from netra_ws_lint.config import Settings
from netra_ws_lint.engine.pipeline import check_source
from netra_ws_lint.fix.apply import fix_text

HEAD = "from app.ws import get_websocket_manager\n\n\n"


def fixed(body: str, unsafe: bool = False) -> str:
    src = HEAD + textwrap.dedent(body).lstrip("\n")
    return fix_text(src, "m.py", Settings(), unsafe)[0].split("\n\n\n", 1)[1]


def nws101_fix(body: str) -> tuple[str, str]:
    src = HEAD + textwrap.dedent(body).lstrip("\n")
    (f,) = [f for f in check_source(src, "m.py", Settings()) if f.code == "NWS101"]
    assert f.fix is not None
    return f.fix.applicability, f.fix.message


NOT_PROVEN = [
    (
        "comprehension",
        """
        async def a(user_context, contexts):
            return [get_websocket_manager() for user_context in contexts]
        """,
        "comprehension's variable",
    ),
    (
        "del",
        """
        async def b(user_context):
            del user_context
            return get_websocket_manager()
        """,
        "deleted at line 5",
    ),
    (
        "assignment",
        """
        async def b(user_context, other):
            user_context = other
            return get_websocket_manager()
        """,
        "reassigned at line 5",
    ),
    (
        "loop",
        """
        async def b(user_context, others):
            for user_context in others:
                await get_websocket_manager().send_to_user("x", {})
        """,
        "rebound by a `for` loop at line 5",
    ),
    (
        "loop, rebound later in the loop",
        """
        async def b(user_context, others):
            for other in others:
                await get_websocket_manager().send_to_user("x", {})
                user_context = other
        """,
        "reassigned at line 7",
    ),
    (
        "walrus",
        """
        async def b(user_context, pick):
            if (user_context := pick()):
                return get_websocket_manager()
        """,
        "rebound by `:=` at line 5",
    ),
    (
        "nested function's local",
        """
        async def b(user_context):
            def inner():
                user_context = None
                return get_websocket_manager()
            return inner()
        """,
        "local name of `inner`",
    ),
    (
        "replacement is a parameter",
        """
        async def c(user_context, create_websocket_manager):
            return get_websocket_manager()
        """,
        "`create_websocket_manager` is a parameter of `c`",
    ),
    (
        "replacement is a local",
        """
        async def c(user_context, factories):
            create_websocket_manager = factories[0]
            return get_websocket_manager()
        """,
        "`create_websocket_manager` is a local name here",
    ),
]


@pytest.mark.parametrize(("case", "body", "why"), NOT_PROVEN, ids=[c[0] for c in NOT_PROVEN])
def test_unproven_context_is_not_fixed(case: str, body: str, why: str) -> None:
    before = textwrap.dedent(body).lstrip("\n")
    assert fixed(body) == before  # after --fix: unchanged
    assert fixed(body, unsafe=True) == before
    kind, message = nws101_fix(body)
    assert kind == "manual" and why in message, message


def test_rebinding_after_the_call_keeps_the_fix_safe() -> None:
    body = """
    async def b(user_context, other):
        manager = get_websocket_manager()
        user_context = other
        return manager
    """
    assert fixed(body) == textwrap.dedent(
        """\
        async def b(user_context, other):
            manager = create_websocket_manager(user_context)
            user_context = other
            return manager
        """
    )


def test_local_context_bound_once_from_a_context_is_fixed() -> None:
    body = """
    async def b(request):
        user_context = request.user_context
        return get_websocket_manager()
    """
    assert "return create_websocket_manager(user_context)" in fixed(body)


OPTIONAL = [
    (
        "None default",
        """
        async def emit(user_id, context=None):
            await get_websocket_manager().send_to_user(user_id, {})
        """,
        "await (create_websocket_manager(context) if context is not None else "
        "get_websocket_manager()).send_to_user(user_id, {})",
        "`context` defaults to `None`",
    ),
    (
        "Optional annotation",
        """
        from typing import Optional

        async def emit(user_id, user_context: Optional[UserExecutionContext]):
            await get_websocket_manager().send_to_user(user_id, {})
        """,
        "await (create_websocket_manager(user_context) if user_context is not None else "
        "get_websocket_manager()).send_to_user(user_id, {})",
        "`user_context` is annotated as optional",
    ),
    (
        "X | None on the class",
        """
        class Service:
            def __init__(self, user_context: "UserExecutionContext | None") -> None:
                self.user_context = user_context

            async def emit(self, user_id):
                await get_websocket_manager().send_to_user(user_id, {})
        """,
        "await (create_websocket_manager(self.user_context) if self.user_context is not None "
        "else get_websocket_manager()).send_to_user(user_id, {})",
        "`user_context` (kept as `self.user_context`) is annotated as optional",
    ),
]


@pytest.mark.parametrize(("case", "body", "after", "why"), OPTIONAL, ids=[c[0] for c in OPTIONAL])
def test_optional_context_is_unsafe_and_keeps_the_old_path(
    case: str, body: str, after: str, why: str
) -> None:
    before = textwrap.dedent(body).lstrip("\n")
    assert fixed(body) == before  # --fix: not a safe fix
    kind, message = nws101_fix(body)
    assert kind == "unsafe" and message.startswith(why), message
    assert after in fixed(body, unsafe=True)
    # both names stay imported; a second pass changes nothing: the fallback is left
    # to a person
    src = HEAD + before
    once = fix_text(src, "m.py", Settings(), True)[0]
    assert once.startswith("from app.ws import get_websocket_manager, create_websocket_manager\n")
    assert fix_text(once, "m.py", Settings(), True)[0] == once
    (left,) = [f for f in check_source(once, "m.py", Settings()) if f.code == "NWS101"]
    assert left.fix is not None and left.fix.applicability == "manual"
    assert "fallback" in left.fix.message


# ---------------------------------------------------------------- imports (project model)


def project(tmp_path: Path, factory_module: str | None) -> Path:
    pkg = tmp_path / "app"
    pkg.mkdir()
    (tmp_path / ".git").mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "manager.py").write_text(
        "_m = None\n\n\ndef get_websocket_manager():\n    return _m\n", encoding="utf-8"
    )
    if factory_module:
        (pkg / f"{factory_module}.py").write_text(
            "def create_websocket_manager(user_context):\n    return user_context\n",
            encoding="utf-8",
        )
    (pkg / "handlers.py").write_text(
        "from .manager import get_websocket_manager\n\n\n"
        "async def handle(user_context):\n    return get_websocket_manager()\n",
        encoding="utf-8",
    )
    return pkg / "handlers.py"


def test_factory_is_imported_from_where_the_project_defines_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    handlers = project(tmp_path, "factory")
    monkeypatch.chdir(tmp_path)
    main(["check", "app", "--fix", "--no-cache"])
    capsys.readouterr()
    assert handlers.read_text(encoding="utf-8") == (
        "from .factory import create_websocket_manager\n\n\n"
        "async def handle(user_context):\n    return create_websocket_manager(user_context)\n"
    )


def test_re_export_is_imported_as_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    handlers = project(tmp_path, "factory")
    manager = tmp_path / "app" / "manager.py"
    manager.write_text(
        "from .factory import create_websocket_manager\n" + manager.read_text("utf-8"),
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    main(["check", "app", "--fix", "--no-cache"])
    capsys.readouterr()
    assert handlers.read_text(encoding="utf-8").startswith(
        "from .manager import create_websocket_manager\n"
    )


def test_factory_defined_nowhere_is_manual_with_the_dotted_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    handlers = project(tmp_path, None)
    before = handlers.read_bytes()
    monkeypatch.chdir(tmp_path)
    main(["check", "app", "--fix", "--no-cache"])
    capsys.readouterr()
    assert handlers.read_bytes() == before
    main(["check", "app", "--show-fixes", "--no-cache"])
    out = capsys.readouterr().out
    assert "[manual] `app.manager` does not define or re-export `create_websocket_manager`" in out
    assert 'deprecated-accessors = { get_websocket_manager = "package.module.' in out


def test_one_file_fix_sees_the_whole_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As a commit hook runs it (one file): the project model still covers every
    module, so the factory is imported from where it is defined."""
    handlers = project(tmp_path, "factory")
    monkeypatch.chdir(tmp_path)
    main(["check", "app/handlers.py", "--fix", "--no-cache"])
    capsys.readouterr()
    assert handlers.read_text(encoding="utf-8") == (
        "from .factory import create_websocket_manager\n\n\n"
        "async def handle(user_context):\n    return create_websocket_manager(user_context)\n"
    )


def test_constructor_with_an_optional_context_is_an_unsafe_fix() -> None:
    # the class runs without a context (another branch when it has one): passing it
    # changes what `run` does, so the NWS301 fix is unsafe, not applied by --fix
    body = """
    class HelperAgent:
        def __init__(self, llm, dispatcher, context=None):
            self.context = context
            self.dispatcher = dispatcher

        def run(self):
            if self.context:
                self.context.metadata["ran"] = True
            return self.dispatcher


    class StrictAgent:
        def __init__(self, llm, context):
            self.context = context


    def build(llm, dispatcher, context):
        return HelperAgent(llm, dispatcher), StrictAgent(llm)
    """
    source = textwrap.dedent(body).lstrip("\n")
    found = {
        f.message.split("`")[1]: f.fix.applicability
        for f in check_source(source, "app.py", Settings())
        if f.code == "NWS301" and f.fix is not None
    }
    assert found == {"HelperAgent": "unsafe", "StrictAgent": "safe"}
    safe_only = fixed(body)
    assert "HelperAgent(llm, dispatcher)," in safe_only  # left alone by --fix
    assert "StrictAgent(llm, context=context)" in safe_only  # required: safe
    assert "HelperAgent(llm, dispatcher, context=context)" in fixed(body, unsafe=True)
