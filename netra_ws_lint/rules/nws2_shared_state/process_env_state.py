"""NWS210 process-env-state."""

from __future__ import annotations

import ast

from netra_ws_lint.analysis.idioms import function_label, is_constant
from netra_ws_lint.analysis.requests import entry_point, request_derived
from netra_ws_lint.rules.base import Rule, register

ENVIRON = "os.environ"
# calls that write the process environment: (qualified name of the callee, index of the
# value argument or None for a mapping argument)
ENV_WRITERS = {
    "os.environ.update": None,
    "os.environ.setdefault": 1,
    "os.environ.__setitem__": 1,
    "os.putenv": 1,
}


@register
class ProcessEnvState(Rule):
    """
    ## What it does
    Flags a write of the process environment (`os.environ[...] = ...`,
    `os.environ.update(...)`, `os.environ.setdefault(...)`, `os.putenv(...)`) with a
    value that comes from a request, at run time: in a request handler or what it
    calls, in code with a user identity in scope, or at the module level of a
    Streamlit script (which Streamlit runs once per session: every visitor runs it).

    Not flagged: constants, and writes at import time or in startup, CLI and test
    code, where the environment is configuration.

    ## Why is this bad?
    The environment belongs to the process: one dictionary shared by every request,
    thread and session. A user's API key written there is used by the next user's
    request, and a library reading it (an SDK that takes its key from the
    environment) serves everyone with the last key written.

    ## Example
    ```python
    import os

    import streamlit as st

    api_key = st.text_input("OpenAI API key", type="password")
    if api_key:
        os.environ["OPENAI_API_KEY"] = api_key
        answer = ask(question)
    ```

    ## Use instead
    ```python
    import streamlit as st

    api_key = st.text_input("OpenAI API key", type="password")
    if api_key:
        answer = ask(question, api_key=api_key)
    ```

    ## Fix
    No automatic fix: pass the value to the client that needs it (most SDKs take
    the key as an argument), or keep it in the user's session.
    """

    code = "NWS210"
    name = "process-env-state"
    serves_requests = (
        "A request's value in the process environment leaks only where a request writes it."
    )
    message = (
        "`{target}` is set from {source} in {where}: the process environment is shared by "
        "every request, thread and session, so other users get this value"
    )
    summary = "A request's value written to the process environment (os.environ)."
    trigger = ("environ putenv",)

    INVALID = [
        # the module level of a Streamlit script runs once per session
        """
        import os

        import streamlit as st

        st.title("Ask your documents")
        key = st.text_input("API key", type="password")
        if key and "OPENAI_API_KEY" not in os.environ:
            os.environ["OPENAI_API_KEY"] = key  # expect: NWS210@5
        """,
        # a Flask view writes the tenant from the request
        """
        import os

        from flask import Flask, request

        app = Flask(__name__)


        @app.route("/switch")
        def switch():
            os.environ["TENANT"] = request.args["tenant"]  # expect: NWS210@5
            return "ok"
        """,
        # update() and putenv() in a FastAPI route
        """
        import os

        from fastapi import FastAPI

        app = FastAPI()


        @app.post("/keys")
        async def keys(user_id: str, token: str):
            os.environ.update({"SERVICE_TOKEN": token})  # expect: NWS210@5
            os.putenv("SERVICE_USER", user_id)  # expect: NWS210@5
        """,
        # a helper called by the websocket handler
        """
        import os

        from fastapi import FastAPI, WebSocket

        app = FastAPI()


        def use_model(name):
            os.environ.setdefault("MODEL", name)  # expect: NWS210@5


        @app.websocket("/ws")
        async def ws(websocket: WebSocket):
            use_model(await websocket.receive_text())
        """,
        # an imported environ, a function with a user identity
        """
        from os import environ


        def login(user_id, password):
            environ["CURRENT_USER"] = user_id  # expect: NWS210@5
            return check(password)
        """,
    ]
    VALID = [
        # configuration at import time and in a CLI entry point
        """
        import os

        os.environ["TOKENIZERS_PARALLELISM"] = "false"
        os.environ.setdefault("APP_MODE", detect_mode())


        def main(argv):
            os.environ["CONFIG"] = argv[1]
        """,
        # reading the environment in a handler
        """
        import os

        from flask import Flask, request

        app = Flask(__name__)


        @app.route("/model")
        def model():
            return os.environ.get("MODEL", request.args.get("default", "small"))
        """,
        # a constant written in a handler; a copy of the environment for a subprocess
        """
        import os
        import subprocess

        from fastapi import FastAPI

        app = FastAPI()


        @app.post("/run")
        async def run(user_id: str):
            os.environ["PYTHONUNBUFFERED"] = "1"
            env = dict(os.environ)
            env["RUN_USER"] = user_id
            subprocess.run(["job"], env=env)
        """,
        # the key kept in the session of a Streamlit script
        """
        import streamlit as st

        key = st.text_input("API key", type="password")
        if key:
            st.session_state["api_key"] = key
        """,
        # a startup hook reading settings into the environment
        """
        import os

        from fastapi import FastAPI

        app = FastAPI()


        @app.on_event("startup")
        async def startup():
            os.environ["CACHE_DIR"] = settings.cache_dir
        """,
    ]

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Subscript) and self.ctx.resolve(target.value) == ENVIRON:
                self._check(node, target, node.value)

    def visit_Call(self, node: ast.Call) -> None:
        name = self.ctx.resolve(node.func)
        if name not in ENV_WRITERS:
            return
        index = ENV_WRITERS[name]
        if index is None:
            value: ast.expr | None = node.args[0] if node.args else None
            if value is None and node.keywords:
                value = ast.Dict(keys=[], values=[k.value for k in node.keywords])
        else:
            value = node.args[index] if len(node.args) > index else None
        if value is not None:
            self._check(node, node, value)

    def _check(self, node: ast.AST, target: ast.AST, value: ast.expr) -> None:
        ctx = self.ctx
        if is_constant(value):
            return
        where = entry_point(ctx)
        if where is None:
            return
        if ctx.enclosing_functions():
            if not request_derived(ctx, value):
                return
            where = f"`{function_label(ctx.enclosing_functions()[0])}` ({where})"
        label = (
            ast.unparse(target)
            if isinstance(target, ast.Subscript)
            else (f"{ast.unparse(node.func)}(...)" if isinstance(node, ast.Call) else "os.environ")
        )
        source = ast.unparse(value) if len(ast.unparse(value)) <= 40 else "a request's value"
        self.report(node, target=label, source=f"`{source}`", where=where)
