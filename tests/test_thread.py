"""Context threading (``--unsafe-fixes``, ``migrate --thread-context``): a keyword-only
user context through the call chains of NWS302 functions, across modules; chains that
reach an entry point without a context (or a caller the project cannot see) are left
alone and listed."""

from __future__ import annotations

import ast
import io
import textwrap
from pathlib import Path

import pytest

from netra_ws_lint.cli.main import main
from netra_ws_lint.config import Settings
from netra_ws_lint.fix.thread import thread_files, thread_texts

CONTEXT = """\
from dataclasses import dataclass


@dataclass
class UserExecutionContext:
    user_id: str
"""
MANAGER = """\
_m = None


def get_websocket_manager():
    return _m


def create_websocket_manager(user_context):
    return _m
"""


def make(tmp_path: Path, **modules: str) -> dict[str, tuple[Path, bytes, Settings]]:
    pkg = tmp_path / "app"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    files = {"context": CONTEXT, "manager": MANAGER}
    files.update({k: textwrap.dedent(v).lstrip("\n") for k, v in modules.items()})
    out = {}
    for name, text in files.items():
        path = pkg / f"{name}.py"
        path.write_text(text, encoding="utf-8")
        out[f"app/{name}.py"] = (path, text.encode(), Settings())
    return out


def run(files: dict[str, tuple[Path, bytes, Settings]]) -> tuple[dict[str, str], str]:
    err = io.StringIO()
    new = thread_files(files, err)
    return {k: v.decode() for k, v in new.items()}, err.getvalue()


SERVICES = """
from .manager import get_websocket_manager


async def notify(user_id, text):
    await get_websocket_manager().send_to_user(user_id, text)


async def step(user_id, *args, retries=1, **options):
    await notify(user_id, "step")


async def start(user_id,):
    await step(user_id, 1, retries=2)
"""
HANDLERS = """
from .context import UserExecutionContext
from .services import start


async def handle(user_context: UserExecutionContext):
    await start(user_context.user_id)
"""


def test_threads_three_levels_across_modules(tmp_path: Path) -> None:
    new, err = run(make(tmp_path, services=SERVICES, handlers=HANDLERS))
    assert sorted(new) == ["app/handlers.py", "app/services.py"]
    services = new["app/services.py"]
    assert services == textwrap.dedent(
        """\
        from .manager import create_websocket_manager
        from .context import UserExecutionContext


        async def notify(user_id, text, *, user_context: UserExecutionContext):
            await create_websocket_manager(user_context).send_to_user(user_id, text)


        async def step(user_id, *args, retries=1, user_context: UserExecutionContext, **options):
            await notify(user_id, "step", user_context=user_context)


        async def start(user_id, *, user_context: UserExecutionContext):
            await step(user_id, 1, retries=2, user_context=user_context)
        """
    )
    assert "await start(user_context.user_id, user_context=user_context)" in new["app/handlers.py"]
    assert "up to 3 levels of calls, 3 call sites" in err
    for text in new.values():
        ast.parse(text)


def test_second_pass_changes_nothing(tmp_path: Path) -> None:
    files = make(tmp_path, services=SERVICES, handlers=HANDLERS)
    new, _ = run(files)
    again = {d: (p, new[d].encode() if d in new else data, s) for d, (p, data, s) in files.items()}
    assert run(again)[0] == {}
    raws = {d: (new.get(d) or data.decode()) for d, (_, data, _) in files.items()}
    paths = {d: p for d, (p, _, _) in files.items()}
    settings = {d: s for d, (_, _, s) in files.items()}
    assert thread_texts(raws, paths, settings)[0] == {}


def test_module_level_instance_inside_is_built_from_the_context(tmp_path: Path) -> None:
    services = """
    from .manager import get_websocket_manager

    manager = get_websocket_manager()


    async def notify(user_id):
        await manager.send_to_user(user_id, "x")
    """
    handlers = """
    from .services import notify


    async def handle(user_context):
        await notify(user_context.user_id)
    """
    new, _ = run(make(tmp_path, services=services, handlers=handlers))
    assert (
        'await create_websocket_manager(user_context).send_to_user(user_id, "x")'
        in new["app/services.py"]
    )


BLOCKED = [
    (
        "entry point",
        "async def job(user_id):\n    await notify(user_id)\n",
        "`app.handlers.job` is an entry point",
    ),
    (
        "called through an object",
        "async def handle(user_context, svc):\n    await svc.notify(user_context.user_id)\n",
        "may call `notify` through an object",
    ),
    (
        "used as a value",
        "CALLBACKS = [notify]\n\n\nasync def handle(user_context):\n"
        "    await notify(user_context.user_id)\n",
        "uses `notify` as a value",
    ),
    (
        "call with **kwargs",
        "async def handle(user_context, kw):\n    await notify(user_context.user_id, **kw)\n",
        "a call with `**kwargs`",
    ),
    (
        "module level",
        "import asyncio\n\nasyncio.run(notify('u'))\n",
        "from module level or a nested function",
    ),
]


@pytest.mark.parametrize(("case", "caller", "why"), BLOCKED, ids=[b[0] for b in BLOCKED])
def test_blocked_chains_are_left_alone_and_listed(
    tmp_path: Path, case: str, caller: str, why: str
) -> None:
    services = """
    from .manager import get_websocket_manager


    async def notify(user_id):
        await get_websocket_manager().send_to_user(user_id, "x")
    """
    handlers = "from .services import notify\n\n\n" + caller
    new, err = run(make(tmp_path, services=services, handlers=handlers))
    assert new == {}
    assert "cannot thread the user context into `app.services.notify`" in err
    assert why in err


def test_decorated_function_is_not_threaded(tmp_path: Path) -> None:
    services = """
    from .manager import get_websocket_manager
    from .routes import route


    @route("/notify")
    async def notify(user_id):
        await get_websocket_manager().send_to_user(user_id, "x")
    """
    handlers = """
    from .services import notify


    async def handle(user_context):
        await notify(user_context.user_id)
    """
    files = make(
        tmp_path,
        services=services,
        handlers=handlers,
        routes="def route(p):\n    return lambda f: f\n",
    )
    new, err = run(files)
    assert new == {} and "is decorated (`@route`)" in err


def test_check_diff_shows_the_threading_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = make(tmp_path, services=SERVICES, handlers=HANDLERS)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    before = {p: p.read_bytes() for p, _, _ in files.values()}
    assert main(["check", "app", "--diff", "--unsafe-fixes", "--no-cache"]) == 1
    out = capsys.readouterr().out
    assert "+async def start(user_id, *, user_context: UserExecutionContext):" in out
    assert {p: p.read_bytes() for p in before} == before
    main(["check", "app", "--fix", "--unsafe-fixes", "--no-cache"])
    capsys.readouterr()
    assert "user_context=user_context" in (tmp_path / "app" / "services.py").read_text("utf-8")
    # --fix alone (safe fixes only) never threads
    files = make(tmp_path / "b", services=SERVICES, handlers=HANDLERS)
    monkeypatch.chdir(tmp_path / "b")
    (tmp_path / "b" / ".git").mkdir()
    main(["check", "app", "--fix", "--no-cache"])
    capsys.readouterr()
    assert "user_context" not in (tmp_path / "b" / "app" / "services.py").read_text("utf-8")


def test_odd_shapes_parse_after_threading(tmp_path: Path) -> None:
    services = """
    from .manager import get_websocket_manager


    async def notify(user_id, *parts):
        await get_websocket_manager().send_to_user(user_id, parts)
        if parts:
            await notify(user_id)  # recursion


    class Worker:
        def __init__(self, user_context):
            self.user_context = user_context

        async def run(self, user_id, items):
            await notify(user_id, *items)
            await notify(
                user_id,
                # a comment before the end
            )
            return [x for x in items]
    """
    handlers = """
    from .services import Worker


    async def handle(user_context):
        return await Worker(user_context).run(user_context.user_id, [1])
    """
    new, err = run(make(tmp_path, services=services, handlers=handlers))
    out = new["app/services.py"]
    ast.parse(out)
    assert "await notify(user_id, user_context=user_context)  # recursion" in out
    assert "await notify(user_id, *items, user_context=self.user_context)" in out
    assert "user_id, user_context=self.user_context\n            # a comment" in out


def test_two_files_with_one_module_name_are_not_threaded(tmp_path: Path) -> None:
    services = """
    from .manager import get_websocket_manager


    async def notify(user_id):
        await get_websocket_manager().send_to_user(user_id, "x")
    """
    handlers = """
    from .services import notify


    async def handle(user_context):
        await notify(user_context.user_id)
    """
    files = make(tmp_path / "a", services=services, handlers=handlers)
    other = make(
        tmp_path / "b",
        handlers="from .services import notify\n\n\nasync def job(u):\n    await notify(u)\n",
    )
    files.update({f"b/{k}": v for k, v in other.items()})
    new, err = run(files)
    # the second `app.handlers` calls `notify` without a context: seen, so not threaded
    assert new == {} and "cannot thread the user context into `app.services.notify`" in err
