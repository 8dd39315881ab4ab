"""Context threading at real scale (issue: migration at real scale): calls resolve
through names and receiver types (not by scanning every function), the context type is
imported the way the callers import it (and refused when ambiguous), the import is
bound before any use, and every chain left to a person says which function stops it."""

from __future__ import annotations

import ast
import io
import textwrap
from pathlib import Path

from netra_ws_lint.analysis.callgraph import CallGraph
from netra_ws_lint.config import Settings
from netra_ws_lint.fix.thread import plan, thread_files

MANAGER = """\
_m = None


def get_websocket_manager():
    return _m


def create_websocket_manager(user_context):
    return _m
"""


def write(root: Path, files: dict[str, str]) -> dict[str, tuple[Path, bytes, Settings]]:
    out = {}
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = textwrap.dedent(text).lstrip("\n").encode()
        path.write_bytes(data)
        out[rel] = (path, data, Settings())
    return out


def run(files: dict[str, tuple[Path, bytes, Settings]]) -> tuple[dict[str, str], str]:
    err = io.StringIO()
    new = thread_files(files, err)
    return {k: v.decode() for k, v in new.items()}, err.getvalue()


def graph_of(files: dict[str, tuple[Path, bytes, Settings]]) -> CallGraph:
    return CallGraph.build((p, d, data.decode(), s) for d, (p, data, s) in files.items())


NOTIFY = """
from app.manager import get_websocket_manager


async def notify(user_id):
    await get_websocket_manager().send_to_user(user_id, "x")
"""


def test_the_type_is_imported_as_the_callers_import_it(tmp_path: Path) -> None:
    # two project classes share the name; the caller's annotation names the right one
    files = write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/manager.py": MANAGER,
            "app/admin/corpus/__init__.py": "",  # (app/admin is no package)
            "app/admin/corpus/admin.py": "class UserExecutionContext:\n    pass\n",
            "app/models.py": "class UserExecutionContext:\n    user_id = ''\n",
            "app/services.py": NOTIFY,
            "app/handlers.py": """
            from app.models import UserExecutionContext
            from app.services import notify


            async def handle(user_context: UserExecutionContext):
                await notify(user_context.user_id)
            """,
        },
    )
    new, err = run(files)
    services = new["app/services.py"]
    assert "from app.models import UserExecutionContext" in services
    assert "corpus" not in services
    assert "async def notify(user_id, *, user_context: UserExecutionContext):" in services


def test_an_ambiguous_type_is_left_to_a_person(tmp_path: Path) -> None:
    files = write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/manager.py": MANAGER,
            "app/models.py": "class UserExecutionContext:\n    pass\n",
            "app/other.py": "class UserExecutionContext:\n    pass\n",
            "app/services.py": NOTIFY,
            "app/handlers.py": """
            from app.services import notify


            async def handle(user_context):
                await notify(user_context.user_id)
            """,
        },
    )
    new, err = run(files)
    assert new == {}
    assert "2 project classes are named `UserExecutionContext`" in err
    assert "context type 1" in err  # counted among the reasons


def test_the_import_goes_before_the_first_definition(tmp_path: Path) -> None:
    # the file's last import is a late one at the bottom: the new import is not put
    # below the def whose annotation uses it
    files = write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/manager.py": MANAGER,
            "app/models.py": "class UserExecutionContext:\n    pass\n",
            "app/services.py": '''
            """Services."""
            import logging


            async def notify(user_id):
                await get_websocket_manager().send_to_user(user_id, "x")


            from app.manager import get_websocket_manager  # late: an import cycle
            ''',
            "app/handlers.py": """
            from app.models import UserExecutionContext
            from app.services import notify


            async def handle(user_context: UserExecutionContext):
                await notify(user_context.user_id)
            """,
        },
    )
    new, _ = run(files)
    tree = ast.parse(new["app/services.py"])
    kinds = [type(s).__name__ for s in tree.body]
    added = next(
        i
        for i, s in enumerate(tree.body)
        if isinstance(s, ast.ImportFrom) and s.module == "app.models"
    )
    first_def = kinds.index("AsyncFunctionDef")
    assert added < first_def


def test_calls_through_typed_receivers_resolve(tmp_path: Path) -> None:
    files = write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/svc.py": """
            class Notifier:
                async def push(self, user_id):
                    return user_id


            class Other:
                async def push(self, user_id):
                    return None
            """,
            "app/use.py": """
            from typing import Optional

            from app.svc import Notifier


            class Handler:
                def __init__(self, notifier: Notifier):
                    self.notifier = notifier

                async def run(self, user_id):
                    await self.notifier.push(user_id)


            async def direct(n: Optional[Notifier], user_id):
                await n.push(user_id)


            async def local(user_id):
                n = Notifier()
                await n.push(user_id)


            async def late(user_id):
                from app import svc

                await svc.Notifier().push(user_id)


            async def unknown(thing, user_id):
                await thing.push(user_id)
            """,
        },
    )
    graph = graph_of(files)
    callers = {
        s.caller.qualname for s in graph.callers["app.svc.Notifier.push"] if s.caller is not None
    }
    assert callers == {
        "app.use.Handler.run",
        "app.use.direct",
        "app.use.local",
        "app.use.late",
    }
    assert "app.svc.Other.push" not in graph.callers
    # the call on an object of unknown type may be either: indexed by its name
    other = graph.functions["app.svc.Other.push"]
    assert [line for _, line in graph.maybe_calls(other)] == [30]  # `thing.push(...)`


def test_each_manual_chain_names_the_function_that_stops_it(tmp_path: Path) -> None:
    files = write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/manager.py": MANAGER,
            "app/services.py": NOTIFY,
            "app/base.py": """
            from app.services import notify


            class Base:
                async def handle(self, user_id):
                    await notify(user_id)


            class Child(Base):
                async def handle(self, user_id):
                    return None


            async def job(user_id):
                await notify(user_id)


            async def dispatch(name, user_id):
                await getattr(HANDLERS, "notify")(user_id)
            """,
        },
    )
    graph = graph_of(files)
    target = graph.functions["app.services.notify"]
    (comp,) = plan(graph, [target], "user_context")
    why = {(b.function, b.kind) for b in comp.blocked}
    assert ("app.base.job", "entry point") in why
    assert ("app.base.Base.handle", "overridden") in why
    assert ("app.services.notify", "dynamic call") in why
    for block in comp.blocked:
        assert block.as_dict()["function"] and block.as_dict()["detail"]
