"""The request model (analysis/requests.py) and the entry points it adds to
analysis/frameworks.py: middleware, UI and bot callbacks, Streamlit scripts,
request-derived values, module-level holders, and what the project says about request
paths across modules (a setter only an example calls; a method a handler of another
module calls on a module-level instance)."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from netra_ws_lint.analysis.frameworks import request_paths
from netra_ws_lint.analysis.requests import module_level_holder, streamlit_script
from netra_ws_lint.analysis.semantic import Context
from netra_ws_lint.cli.main import main
from netra_ws_lint.config import Settings
from netra_ws_lint.engine.pipeline import check_source


def context(source: str) -> Context:
    source = textwrap.dedent(source)
    return Context(ast.parse(source), source, "app.py", Settings())


def handlers(source: str) -> dict[str, str]:
    ctx = context(source)
    return {fn.name: h.how for fn, h in request_paths(ctx).handlers.items()}


def codes(source: str) -> list[tuple[int, str]]:
    found = check_source(textwrap.dedent(source), "app.py", Settings())
    return sorted((f.line, f.code) for f in found if not f.audit)


def test_middleware_methods_are_entry_points() -> None:
    found = handlers(
        """
        from django.conf import settings

        class Logging:
            def __init__(self, get_response):
                self.get_response = get_response

            def __call__(self, request):
                return self.get_response(request)

            def process_exception(self, request, exception):
                return None

            def helper(self, value):
                return value
        """
    )
    assert set(found) == {"__call__", "process_exception"}
    assert "middleware Logging" in found["__call__"]


def test_gradio_and_telegram_callbacks_are_entry_points() -> None:
    gradio = handlers(
        """
        import gradio as gr

        with gr.Blocks() as demo:
            image = gr.Image()
            def on_upload(x):
                return x
            def unused(x):
                return x
            image.upload(on_upload, inputs=image)
        """
    )
    assert set(gradio) == {"on_upload"}
    telegram = handlers(
        """
        from telegram.ext import CommandHandler, Updater

        def start(update, context):
            return None

        def main():
            updater = Updater("token")
            updater.dispatcher.add_handler(CommandHandler("start", start))
        """
    )
    assert set(telegram) == {"start"}


def test_streamlit_script_and_module_level_holders() -> None:
    assert streamlit_script(context("import streamlit as st\nst.title('x')\n"))
    assert not streamlit_script(context("import streamlit as st\n\ndef f():\n    st.title('x')\n"))
    ctx = context(
        """
        class A:
            pass

        class B:
            pass

        providers = [A(), object()]
        """
    )
    classes = {c.name: c for c in ctx.module_classes.values()}
    assert module_level_holder(ctx, classes["A"]) == "providers"
    assert module_level_holder(ctx, classes["B"]) is None


def test_request_derived_values_follow_locals_not_self_or_constants() -> None:
    source = """
        class Auth:
            user = None

        auth = Auth()

        def login(user_id, headers):
            token = headers["Authorization"]
            name = decode(token)
            auth.user = name
            auth.mode = MODE
            auth.started = now()
            auth.copy = auth.user
        """
    assert codes(source) == [(10, "NWS209")]


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


def _check(capsys: pytest.CaptureFixture[str], root: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(root)
    main(["check", "--no-cache", "--exit-zero", "--output-format", "concise", "."])
    return capsys.readouterr().out


def test_a_setter_only_an_example_calls_serves_no_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    setter = """
        _logger = None

        def set_logger(run_id):
            global _logger
            _logger = make_logger(run_id)
        """
    root = _project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/helpers.py": setter,
            "app/flow_example.py": "from app.helpers import set_logger\n\nset_logger('r1')\n",
        },
    )
    assert "NWS207" not in _check(capsys, root, monkeypatch)
    # once a live module calls it, it is a request path again
    (root / "app" / "service.py").write_text(
        "from app.helpers import set_logger\n\ndef run(run_id):\n    set_logger(run_id)\n"
    )
    assert "app/helpers.py:6:5: NWS207" in _check(capsys, root, monkeypatch)


def test_a_method_a_handler_of_another_module_calls_on_a_shared_instance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/server.py": """
                class Server:
                    def __init__(self):
                        self.user = None

                    def set_user(self, user_id):
                        self.user = user_id

                    def current(self):
                        return self.user
                """,
            "svc/app.py": """
                from fastapi import FastAPI, Request

                from svc.server import Server

                app = FastAPI()
                server = Server()

                @app.middleware("http")
                async def pick(request: Request, call_next):
                    server.set_user(request.headers.get("user"))
                    return await call_next(request)
                """,
        },
    )
    out = _check(capsys, root, monkeypatch)
    line = next(x for x in out.splitlines() if "NWS209" in x)
    assert line.startswith("svc/server.py:7:9: NWS209")
    assert "svc.app.pick" in line and "read in `current`" in line
    # the same class built per request in the handler: nothing shared
    app = root / "svc" / "app.py"
    app.write_text(
        app.read_text()
        .replace("server = Server()\n", "")
        .replace("    server.set_user", "    server = Server()\n    server.set_user")
    )
    assert "NWS209" not in _check(capsys, root, monkeypatch)
