"""Liveness (analysis/liveness.py): in an application, findings of the rules that ask
"does this code serve one user?" become audit findings in code no live part of the
application reaches; in a library nothing changes."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from netra_ws_lint.analysis.liveness import Liveness, liveness_facts
from netra_ws_lint.cli.main import main

APP = """
    from fastapi import FastAPI

    from app.routes import users

    app = FastAPI()
    app.include_router(users.router)
    """
ROUTES = """
    from fastapi import APIRouter

    from app.ws import get_websocket_manager

    router = APIRouter()

    @router.get("/u/{user_id}")
    async def read(user_id: str):
        get_websocket_manager().send(user_id, "hi")
    """
WS = """
    def get_websocket_manager():
        return None
    """


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


def _check(
    capsys: pytest.CaptureFixture[str], root: Path, monkeypatch: pytest.MonkeyPatch, *extra: str
) -> list[str]:
    monkeypatch.chdir(root)
    main(["check", "--no-cache", "--exit-zero", "--output-format", "concise", *extra, "."])
    return [line for line in capsys.readouterr().out.splitlines() if ": NWS" in line]


def _app(tmp_path: Path, **more: str) -> Path:
    files = {
        "app/__init__.py": "",
        "app/main.py": APP,
        "app/routes/__init__.py": "",
        "app/routes/users.py": ROUTES,
        "app/ws.py": WS,
    }
    files.update({name.replace("__", "/") + ".py": text for name, text in more.items()})
    return _project(tmp_path, files)


def test_a_router_the_app_never_mounts_is_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _app(tmp_path, app__routes__extra=ROUTES.replace("/u/", "/extra/"))
    found = _check(capsys, root, monkeypatch)
    assert [f.split()[0] for f in found] == ["app/routes/users.py:10:5:"]
    audit = _check(capsys, root, monkeypatch, "--audit")
    demo = [f for f in audit if f.startswith("app/routes/extra.py:10:5: NWS101")]
    assert demo and "module `app.routes.extra` is imported by no live module" in demo[0]
    # once the app mounts it, it serves requests again
    (root / "app" / "main.py").write_text(
        textwrap.dedent(APP) + "from app.routes import extra\napp.include_router(extra.router)\n"
    )
    found = _check(capsys, root, monkeypatch)
    assert "app/routes/extra.py:10:5:" in [f.split()[0] for f in found]


SHIM = """
    from app.ws import get_websocket_manager


    def broadcast_to_user(user_id, event):
        get_websocket_manager().send(user_id, event)


    def _send(user_id, event):
        get_websocket_manager().send(user_id, event)


    def old_entry(user_id):
        _send(user_id, "x")


    class LegacyNotifier:
        def __init__(self, user_id):
            self.user_id = user_id
            get_websocket_manager().send(user_id, "hello")
    """


def test_re_exported_only_and_deprecated_shims_are_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _app(
        tmp_path,
        app__compat=SHIM,
        # a re-export and an ``__all__`` entry are no use; a test's call is no live one
        app__routes__helpers='from app.compat import broadcast_to_user\n__all__ = ["broadcast_to_user"]\n',
        tests__test_compat="from app.compat import LegacyNotifier\n\nLegacyNotifier('u1')\n",
    )
    (root / "app" / "routes" / "users.py").write_text(
        textwrap.dedent(ROUTES) + "from app import compat, routes\nfrom app.routes import helpers\n"
    )
    assert [f.split()[0] for f in _check(capsys, root, monkeypatch)] == [
        "app/routes/users.py:10:5:"
    ]
    audit = " ".join(_check(capsys, root, monkeypatch, "--audit"))
    assert "nothing live calls `broadcast_to_user`" in audit
    assert "nothing live calls `_send`" in audit  # only an unreached function calls it
    assert "nothing live refers to the class `LegacyNotifier`" in audit
    # a live caller makes the chain live again
    users = root / "app" / "routes" / "users.py"
    users.write_text(users.read_text() + "\n\ndef later(user_id):\n    compat.old_entry(user_id)\n")
    users.write_text(users.read_text().replace('"hi")', '"hi")\n    later(user_id)'))
    found = [f.split()[0] for f in _check(capsys, root, monkeypatch)]
    assert "app/compat.py:10:5:" in found and "app/compat.py:6:5:" not in found


def test_a_module_level_instance_nothing_reads_is_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = "from app.ws import get_websocket_manager\n\nmanager = get_websocket_manager()\n"
    root = _app(tmp_path, app__holder=holder)
    (root / "app" / "routes" / "users.py").write_text(
        textwrap.dedent(ROUTES) + "from app import holder\n"
    )
    found = [f.split()[:2] for f in _check(capsys, root, monkeypatch)]
    assert ["app/holder.py:3:11:", "NWS101"] not in found
    assert ["app/holder.py:3:1:", "NWS103"] not in found
    audit = " ".join(_check(capsys, root, monkeypatch, "--audit"))
    assert "nothing live reads `manager`" in audit
    users = root / "app" / "routes" / "users.py"
    users.write_text(
        users.read_text() + "\n\n@router.get('/m')\ndef m():\n    holder.manager.x()\n"
    )
    found = [f.split()[:2] for f in _check(capsys, root, monkeypatch)]
    assert ["app/holder.py:3:1:", "NWS103"] in found


def test_a_library_keeps_its_public_functions_live(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # no application object: outside code calls the public API, nothing is unreached
    root = _project(
        tmp_path,
        {
            "lib/__init__.py": "from lib.compat import broadcast_to_user\n",
            "lib/ws.py": WS,
            "lib/compat.py": SHIM.replace("app.ws", "lib.ws"),
        },
    )
    found = [f.split()[0] for f in _check(capsys, root, monkeypatch)]
    assert {"lib/compat.py:6:5:", "lib/compat.py:10:5:", "lib/compat.py:20:9:"} <= set(found)


def test_an_application_factory_nothing_in_the_project_calls_is_live(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a server runs ``pkg:create_app()``: the factory and what it registers serve requests
    factory = """
        from flask import Flask


        def create_app():
            app = Flask(__name__)
            from svc.api import register
            register(app)
            return app
        """
    api = """
        from svc.ws import get_websocket_manager


        def register(app):
            app.add_url_rule("/u/<user_id>", view_func=send)


        def send(user_id):
            get_websocket_manager().send(user_id, "hi")


        def unused(user_id):
            get_websocket_manager().send(user_id, "hi")
        """
    root = _project(
        tmp_path,
        {"svc/__init__.py": "", "svc/factory.py": factory, "svc/api.py": api, "svc/ws.py": WS},
    )
    found = [f.split()[0] for f in _check(capsys, root, monkeypatch)]
    assert found == ["svc/api.py:10:5:"]  # ``unused`` (line 14) is audit


def _facts(text: str, module: str = "app.m") -> dict[str, object]:
    return liveness_facts(ast.parse(textwrap.dedent(text)), module, False)


def test_methods_a_base_outside_the_project_may_call_stay_live() -> None:
    base = _facts(
        """
        from starlette.middleware.base import BaseHTTPMiddleware
        from app.local import Local

        class Mw(BaseHTTPMiddleware):
            async def dispatch(self, request, call_next):
                return helper()

        class Mine(Local):
            def unused(self):
                return helper2()

        def helper():
            pass

        def helper2():
            pass

        def make():
            return Mw, Mine()

        if __name__ == "__main__":
            make()
        """
    )
    local = _facts("class Local:\n    pass\n", "app.local")
    entries = {
        "app.m": {"module": "app.m", "imports": {}, "live": base},
        "app.local": {"module": "app.local", "imports": {}, "live": local},
    }
    live = Liveness(entries)
    assert live.unreached("app.m", "Mw.dispatch") is None  # Starlette calls it
    assert live.unreached("app.m", "helper") is None
    assert live.unreached("app.m", "Mine.unused") is not None  # Local calls nothing
    assert live.unreached("app.m", "helper2") is not None
    assert live.unreached("app.local", "") is None  # imported by a live module


def test_a_lookup_by_a_computed_name_keeps_the_module_live() -> None:
    dispatch = _facts(
        """
        class Router:
            def route(self, kind, user_id):
                return getattr(self, f"on_{kind}")(user_id)

            def on_message(self, user_id):
                pass

        def unused():
            pass

        def make():
            return Router()

        if __name__ == "__main__":
            make().route("message", "u1")
        """
    )
    plain = _facts(
        """
        class Router:
            def route(self, kind, user_id):
                return getattr(self, "on_message")(user_id)

            def on_other(self, user_id):
                pass

            def check(self):
                required = ["route"]
                for name in required:  # a loop over literal names: they are the uses
                    assert callable(getattr(self, name))

        if __name__ == "__main__":
            Router().route("message", "u1")
        """
    )
    live = Liveness({"app.m": {"module": "app.m", "imports": {}, "live": dispatch}})
    assert dispatch.get("dynamic") == ["Router"]
    assert live.unreached("app.m", "Router.on_message") is None
    assert live.unreached("app.m", "unused") is not None  # no globals() lookup
    live = Liveness({"app.m": {"module": "app.m", "imports": {}, "live": plain}})
    assert "dynamic" not in plain
    assert live.unreached("app.m", "Router.on_other") is not None


def test_facts_keep_no_re_export_and_no_local() -> None:
    found = _facts(
        """
        from app.x import a as b, c
        __all__ = ["c"]

        def f(param):
            local = param
            return b(local)
        """
    )
    refs = found["refs"]
    assert isinstance(refs, dict)
    assert "c" not in refs[""] and "@app.x:a,c" in refs[""]
    # the imported name, resolved by the project model to the one definition; no locals
    assert set(refs["f"]) == {"^b"}


SERVER_CLASS = """
    from flask import Flask, request

    from web.store import remember


    class WebUI:
        def __init__(self):
            self.app = Flask(__name__)
            self.app.add_url_rule("/", view_func=self.index)

        def index(self):
            remember(request.args["user_id"], request.args["text"])
            return "ok"
    """
STORE = """
    _last = {}


    def remember(user_id, text):
        _last[user_id] = text
    """


def test_a_class_that_builds_the_application_is_live(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the launcher that makes the instance is outside the project (or not given)
    root = _project(
        tmp_path, {"web/__init__.py": "", "web/ui.py": SERVER_CLASS, "web/store.py": STORE}
    )
    found = _check(capsys, root, monkeypatch)
    assert [f.split()[:2] for f in found] == [["web/store.py:6:5:", "NWS201"]]


def test_an_application_in_a_module_tied_to_nothing_is_no_application(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a library shipping a project template: its public helpers stay live
    lib = {
        "lib/__init__.py": "",
        "lib/store.py": STORE,
        "lib/template/wsgi.py": "from django.core.wsgi import get_wsgi_application\n"
        "application = get_wsgi_application()\n",
    }
    root = _project(tmp_path, lib)
    found = _check(capsys, root, monkeypatch)
    assert [f.split()[:2] for f in found] == [["lib/store.py:6:5:", "NWS201"]]
    # the same file importing the library makes it the library's application
    (root / "lib" / "template" / "wsgi.py").write_text(
        "from django.core.wsgi import get_wsgi_application\nimport lib.template.other\n"
        "application = get_wsgi_application()\n"
    )
    (root / "lib" / "template" / "other.py").write_text("X = 1\n")
    assert _check(capsys, root, monkeypatch) == []


def test_a_method_of_the_same_name_keeps_no_module_function_live(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # ``bus.broadcast_to_user(...)``, an attribute of an object (a parameter, ``self``,
    # a call's result), cannot call the module-level ``broadcast_to_user``
    caller = (
        "class Bus:\n    def broadcast_to_user(self, user_id, event):\n        return event\n\n\n"
        "def notify(bus, user_id):\n    bus.broadcast_to_user(user_id, 'x')\n"
        "    make_bus().broadcast_to_user(user_id, 'y')\n\n\n"
        "def make_bus():\n    return Bus()\n"
    )
    root = _app(tmp_path, app__compat=SHIM, app__bus=caller)
    (root / "app" / "routes" / "users.py").write_text(
        textwrap.dedent(ROUTES) + "from app import compat\nfrom app.bus import notify\n"
        "\n\n@router.get('/n')\ndef n():\n    notify(None, 'u')\n"
    )
    audit = " ".join(_check(capsys, root, monkeypatch, "--audit"))
    assert "nothing live calls `broadcast_to_user`" in audit
    # through the module that defines it, it is a call of the function
    users = root / "app" / "routes" / "users.py"
    users.write_text(users.read_text() + "    compat.broadcast_to_user('u', 'z')\n")
    found = [f.split()[0] for f in _check(capsys, root, monkeypatch)]
    assert "app/compat.py:6:5:" in found


def test_attributes_are_kept_with_what_they_are_read_from() -> None:
    facts = _facts(
        """
        import pkg.mod as m
        from pkg import other


        def f(obj):
            obj.method()
            self_less().run()
            m.helper()
            other.tool()
            unknown.thing()
        """
    )
    refs = facts["refs"]
    assert isinstance(refs, dict)
    assert {".method", ".run", "helper", "tool", "thing"} <= set(refs["f"])
    assert "method" not in refs["f"] and ".helper" not in refs["f"]


def test_a_nested_function_of_the_same_name_is_a_local() -> None:
    facts = _facts(
        """
        def route():
            async def generate_stream():
                yield 1

            return generate_stream()


        def generate_stream():
            return generate_stream
        """
    )
    refs = facts["refs"]
    assert isinstance(refs, dict)
    assert "generate_stream" not in refs["route"]


def test_a_string_names_a_function_only_where_a_lookup_may_take_it() -> None:
    # a name in a list of patterns, a log message or a deprecation label calls nothing
    data = _facts(
        """
        def detect(stack):
            patterns = ["create_manager", "get_manager"]
            return any(p in stack for p in patterns)

        def label():
            return wrap("create_manager", "Session")
        """
    )
    assert "create_manager" not in data["refs"]["detect"]
    assert "create_manager" not in data["refs"]["label"]
    assert "Session" in data["refs"]["label"]  # a class named by a string stays a use
    # a literal lookup names it; a lookup by a computed name takes every string
    looked_up = _facts(
        """
        import operator

        def one(obj):
            return getattr(obj, "create_manager")(), operator.methodcaller("close")

        def table():
            return ["create_manager"]

        def run(obj, kind):
            return getattr(obj, kind)()
        """
    )
    refs = looked_up["refs"]
    assert {"create_manager", "close"} <= set(refs["one"])
    assert "create_manager" in refs["table"]


def test_a_private_name_reaches_only_its_own_module() -> None:
    # ``self._notify()`` in another module's live class does not keep this module's
    # ``Service._notify`` live; a call in its own module does
    service = _facts(
        """
        class Service:
            def run(self):
                return 1

            def _notify(self, user_id):
                return user_id

            def _audit(self):
                return 2

            def close(self):
                self._audit()
        """,
        "app.service",
    )
    other = _facts(
        """
        from app.service import Service

        class Other:
            def go(self):
                self._notify("u")
                return Service().close()

        if __name__ == "__main__":
            Other().go()
        """,
        "app.other",
    )
    live = Liveness(
        {
            "app.service": {"module": "app.service", "imports": {}, "live": service},
            "app.other": {
                "module": "app.other",
                "imports": {"Service": "app.service.Service"},
                "live": other,
            },
        }
    )
    assert live.unreached("app.service", "Service.close") is None
    assert live.unreached("app.service", "Service._audit") is None  # its own module
    assert live.unreached("app.service", "Service._notify") is not None
