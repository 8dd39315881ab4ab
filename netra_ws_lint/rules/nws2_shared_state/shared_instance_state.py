"""NWS209 shared-instance-state."""

from __future__ import annotations

import ast

from netra_ws_lint.analysis.idioms import function_label, lazy_initialisation, self_param
from netra_ws_lint.analysis.requests import (
    INTERLEAVED,
    entry_point,
    imported_object,
    instance_lifetime,
    interleaved_value,
    process_wide_object,
    request_derived,
)
from netra_ws_lint.analysis.scopes import FUNCTION_TYPES, FunctionNode, dotted_name, params_of
from netra_ws_lint.rules._shared import _BindingRule
from netra_ws_lint.rules.base import register


@register
class SharedInstanceState(_BindingRule):
    """
    ## What it does
    Flags a value that comes from a request (a handler's parameters, the request,
    session or websocket objects, what is computed from them) assigned to an attribute
    of an object that lives for the whole process, without a per-user key:

    - an attribute of a module-level instance (`billing.auth_token = ...`,
      `app.state.user = ...`), of an object or module imported from another module
      (`settings.api_key = ...`), or an item of such an object's mapping whose key
      names no user (`app.config["LOCALE"] = ...`), in code that serves one request;
    - `self.x = ...` in a method the framework calls for every request on the one
      instance it built: Django-style middleware (`__call__(self, request)`,
      `process_request`, `process_exception`...), Starlette's `dispatch`, methods
      registered as request handlers of a shared object;
    - `self.x = ...` in a method that code serving a request calls on a module-level
      instance of the class (in the same module or, in project mode, in any module);
    - `self.x = ...` in a coroutine method of an object built at import time (a
      module-level instance, or one in a module-level list or dict): concurrent
      calls interleave at every `await`;
    - `self.x = ...` in the wrapper a method's decorator returns: the decorator object
      is shared by everything it decorates, and the wrapper runs for every call;
    - a `__new__` singleton that stores each caller's arguments on the one cached
      instance (reported at the caching line).

    The message names the entry point that reaches the store, and a read of the same
    attribute elsewhere when the module shows one.

    Not flagged: `flask.g`, `st.session_state`, context variables, thread-locals
    (NWS208), entries keyed by the user, flags and numbers an endpoint sets for
    everyone (`cache.enabled = enabled` with `enabled: bool`), `__init__` and
    per-instance state of objects built per request (class-based views), constants,
    lazy initialisation (`if self.x is None: self.x = build()`), code no entry point
    reaches (startup, CLI).

    ## Why is this bad?
    The object exists once per process, so its attribute is one slot for every user.
    The next request overwrites it, and a concurrent request (another thread, or
    another coroutine after an `await`) reads the value of the wrong user: an auth
    helper keeping the current user name, an OAuth provider keeping a refresh token
    between two awaits, a middleware keeping the request body it logs.

    ## Example
    ```python
    class RequestLogMiddleware:
        def __init__(self, get_response):
            self.get_response = get_response

        def __call__(self, request):
            self.body = request.body
            response = self.get_response(request)
            log(self.body, response)
            return response
    ```

    ## Use instead
    ```python
    class RequestLogMiddleware:
        def __init__(self, get_response):
            self.get_response = get_response

        def __call__(self, request):
            body = request.body
            response = self.get_response(request)
            log(body, response)
            return response
    ```

    ## Fix
    No automatic fix: keep the value in a local and pass it on, on the request (or
    `flask.g`), in a `contextvars.ContextVar`, or in a container keyed by the user's id.
    """

    code = "NWS209"
    name = "shared-instance-state"
    serves_requests = "Request data on a process-wide object leaks only where a request stores it."
    message = "{target} is set from {source} in `{func}`, but {place}{read}: {effect}"
    summary = "Request data stored on an attribute of a process-wide object."
    # a request's value (handlers, identities, contexts, request objects, middleware),
    # a decorator's wrapper, a ``__new__`` singleton, a class other modules share, a
    # coroutine of an object built at import time
    trigger = ("{identity} {context} {handlers} {project} request __new__ wraps wrapper async",)
    EFFECT = "the next request overwrites it and a concurrent one reads the wrong user's value"

    INVALID = [
        # Django middleware keeps the request body on the one instance
        """
        from django.conf import settings


        class BodyLogMiddleware:
            def __init__(self, get_response):
                self.get_response = get_response
                self.body = None

            def __call__(self, request):
                self.body = request.body  # expect: NWS209@9
                response = self.get_response(request)
                self.write_log(request, response)
                return response

            def write_log(self, request, response):
                print(self.body, response.status_code)
        """,
        # an exception middleware keeps the request's strategy
        """
        from django.shortcuts import redirect


        class AuthErrorMiddleware:
            def process_exception(self, request, exception):
                self.strategy = getattr(request, "auth_strategy", None)  # expect: NWS209@9
                if self.strategy is None:
                    return None
                return self.strategy.redirect(exception)
        """,
        # a module-level helper object holding the authenticated user
        """
        from flask import Flask, request

        app = Flask(__name__)


        class AuthHelper:
            current_user_id = None


        auth = AuthHelper()


        @app.route("/me")
        def me():
            token = request.headers["Authorization"]
            auth.current_user_id = decode(token)  # expect: NWS209@5
            return {"id": auth.current_user_id}
        """,
        # the wrapper of a shared decorator object keeps one route's flag
        """
        from functools import wraps


        class Guards:
            def admin_only(self, strict=True):
                def decorator(func):
                    @wraps(func)
                    def wrapper(*args, **kwargs):
                        self.strict = strict  # expect: NWS209@17
                        return func(*args, **kwargs)
                    return wrapper
                return decorator


        guards = Guards()
        """,
        # a FastAPI handler writes the caller's key on the application state
        """
        from fastapi import FastAPI, Request

        app = FastAPI()


        @app.post("/connect")
        async def connect(request: Request, api_key: str):
            app.state.api_key = api_key  # expect: NWS209@5
            return {"ok": True}
        """,
        # a method of a module-level instance that a middleware calls with the user
        """
        from fastapi import FastAPI, Request

        app = FastAPI()


        class Server:
            def __init__(self):
                self.current_user = None

            def set_current_user(self, user_id):
                self.current_user = user_id  # expect: NWS209@9


        server = Server()


        @app.middleware("http")
        async def pick_user(request: Request, call_next):
            server.set_current_user(request.headers.get("user_id"))
            return await call_next(request)
        """,
        # an OAuth provider built at import time keeps a login's refresh token between
        # two awaits
        """
        class OktaProvider:
            async def get_token(self, code):
                data = await exchange(code)
                self.refresh_token = data.get("refresh_token")  # expect: NWS209@9
                return data["access_token"]

            async def get_user(self, token):
                profile = await fetch_profile(token)
                return {"profile": profile, "refresh": self.refresh_token}


        providers = [OktaProvider()]
        """,
        # a Flask view keeps the visitor's locale in the application's configuration
        """
        from flask import Flask, request

        app = Flask(__name__)


        @app.route("/prefs", methods=["POST"])
        def prefs():
            app.config["LOCALE"] = request.form["locale"]  # expect: NWS209@5
            return "ok"
        """,
        # a handler writes the caller's key on a settings object of another module
        """
        from flask import Flask, request

        from app.config import settings

        app = Flask(__name__)


        @app.route("/connect", methods=["POST"])
        def connect():
            settings.api_key = request.form["api_key"]  # expect: NWS209@5
            return "ok"
        """,
        # a singleton whose __new__ stores each caller's credentials
        """
        class ApiClient:
            _instance = None

            def __new__(cls, **kwargs):
                if ApiClient._instance is None:
                    ApiClient._instance = object.__new__(cls)  # expect: NWS209@13
                client = ApiClient._instance
                client.token = kwargs.get("token")
                return client
        """,
    ]
    VALID = [
        # a local instead of the middleware's attribute; configuration in __init__
        """
        from django.conf import settings


        class BodyLogMiddleware:
            def __init__(self, get_response):
                self.get_response = get_response
                self.limit = 1000

            def __call__(self, request):
                body = request.body
                response = self.get_response(request)
                print(body[: self.limit], response)
                return response
        """,
        # flask.g and a context variable hold the request's user
        """
        from contextvars import ContextVar

        from flask import Flask, g, request

        app = Flask(__name__)
        current = ContextVar("current", default=None)


        @app.route("/me")
        def me():
            g.user_id = request.headers["X-User"]
            current.set(request.headers["X-User"])
            return {"id": g.user_id}
        """,
        # a class-based view is built per request: its self is that request's
        """
        from django.views import View


        class Profile(View):
            def get(self, request):
                self.user = request.user
                return render(request, "profile.html", {"user": self.user})
        """,
        # entries keyed by the user on the application state
        """
        from fastapi import FastAPI, Request

        app = FastAPI()


        @app.post("/prefs")
        async def prefs(request: Request, user_id: str, locale: str):
            app.state.locales[user_id] = locale
        """,
        # an endpoint that changes a setting for everyone (a flag, a number)
        """
        from fastapi import APIRouter

        from app.services.cache import cache_service

        router = APIRouter()


        @router.post("/cache/toggle")
        async def toggle(enabled: bool, ttl: int = 60):
            cache_service.enabled = enabled
            cache_service.ttl = ttl
        """,
        # startup configuration on a module-level object; a constant reset
        """
        from fastapi import FastAPI

        app = FastAPI()


        class Settings:
            debug = False


        settings = Settings()


        @app.on_event("startup")
        async def startup():
            settings.debug = load_flag()


        @app.post("/logout")
        async def logout(user_id: str):
            settings.last = None
        """,
        # a value keyed by the user's id; lazy initialisation of a shared client
        """
        from django.conf import settings


        class Sessions:
            def __init__(self):
                self.by_user = {}
                self.client = None

            def process_request(self, request):
                self.by_user[request.user.id] = request.session
                if self.client is None:
                    self.client = make_client(request.host)
        """,
        # a service built at import time keeps its own counters, tasks and modes
        """
        import asyncio


        class Monitor:
            async def record(self, size):
                self.total += size
                self.task = asyncio.create_task(self.loop())
                self.primary = size

            async def loop(self):
                await asyncio.sleep(1)


        monitor = Monitor()
        """,
        # the same server built per request
        """
        from fastapi import FastAPI, Request

        app = FastAPI()


        class Server:
            def set_current_user(self, user_id):
                self.current_user = user_id


        @app.middleware("http")
        async def pick_user(request: Request, call_next):
            server = Server()
            server.set_current_user(request.headers.get("user_id"))
            request.state.server = server
            return await call_next(request)
        """,
        # an object built per call; a wrapper that only reads the shared object
        """
        from functools import wraps


        class Guards:
            def __init__(self):
                self.strict = True

            def admin_only(self):
                def decorator(func):
                    @wraps(func)
                    def wrapper(*args, **kwargs):
                        if self.strict:
                            check(*args)
                        return func(*args, **kwargs)
                    return wrapper
                return decorator


        def handle(user_id):
            client = Client()
            client.user_id = user_id
            return client.fetch()
        """,
    ]

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name == "__new__":
            self._singleton_new(node)

    # -------------------------------------------------------------- stores
    def on_binding(self, stmt: ast.stmt, target: ast.expr, value: ast.expr) -> None:
        keyed = ""
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute):
            # ``app.config["X"] = ...``: an item of a process-wide object's mapping,
            # unless the key names the user (a per-user entry)
            if self._names_user(target.slice):
                return
            keyed = f"[{ast.unparse(target.slice)}]"
            target = target.value
        if not isinstance(target, ast.Attribute):
            return
        ctx = self.ctx
        fns = ctx.enclosing_functions()
        if not fns:
            return
        root = target.value
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name):
            return
        label = dotted_name(target)
        if label is None or lazy_initialisation(fns[0], stmt, label):
            return
        me = self_param(fns[-1]) if ctx.enclosing_class() is not None else None
        place = why = ""
        if keyed and me is not None and root.id == me:
            return  # ``self.x[k] = ...``: NWS204's and NWS201's containers
        if me is not None and root.id == me and ctx.lookup(me, root) is not None:
            reason = instance_lifetime(ctx)
            if reason is None:
                return
            if reason.startswith(INTERLEAVED):
                reason = reason[len(INTERLEAVED) :]
                if target.value is not root or not interleaved_value(ctx, stmt, value):
                    return  # the object's own counters, tasks, modes: not one caller's
            why = reason
            place = f"`{me}` lives per process ({why})"
        else:
            obj = process_wide_object(ctx, target.value)
            imported = None if obj is not None else imported_object(ctx, root)
            if obj is None and imported is None:
                return
            why = entry_point(ctx) or ""
            if not why:
                return
            if obj is not None:
                place = f"`{obj}` is a module-level instance shared by every request ({why})"
            else:
                place = (
                    f"`{root.id}` is `{imported}`, imported: a module or module-level object, "
                    f"one per process ({why})"
                )
        if not request_derived(ctx, value) or self._setting(value, fns):
            return
        self.report(
            stmt,
            target=f"`{label}{keyed}`",
            source=self._source(value),
            func=function_label(fns[0]),
            place=place,
            read=self._read_elsewhere(target, fns),
            effect=self.EFFECT,
        )

    def _names_user(self, key: ast.expr) -> bool:
        identity = set(self.ctx.words.identity_names)
        for n in ast.walk(key):
            word = (
                n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute) else ""
            )
            if word and (word in identity or "user" in word.lower() or "session" in word.lower()):
                return True
        return False

    def _setting(self, value: ast.expr, fns: list[FunctionNode]) -> bool:
        """``value`` is a parameter annotated as a flag or a number (``enabled: bool``,
        ``ttl_seconds: int``) and named as no identity: a setting an endpoint changes
        for everyone on purpose, not one user's data."""
        if not isinstance(value, ast.Name) or value.id in self.ctx.words.identity_names:
            return False
        for fn in fns:
            for p in params_of(fn):
                if p.name == value.id:
                    ann = p.node.annotation
                    return isinstance(ann, ast.Name) and ann.id in ("bool", "int", "float")
        return False

    @staticmethod
    def _source(value: ast.expr) -> str:
        text = dotted_name(value)
        if text is None:
            text = ast.unparse(value)
            if len(text) > 48 and isinstance(value, ast.Call):
                text = f"{dotted_name(value.func) or 'a call'}(...)"
        return f"`{text}`" if len(text) <= 48 else "a value computed from the request"

    def _read_elsewhere(self, target: ast.Attribute, fns: list[FunctionNode]) -> str:
        """``; read in `f`` when another function of the module reads the same
        attribute chain (``self.x`` in another method of the class)."""
        written = dotted_name(target)
        scope = self.ctx.enclosing_class() if written and written.startswith("self.") else None
        where: list[ast.AST] = [scope] if scope is not None else [self.ctx.tree]
        for holder in where:
            for fn in ast.walk(holder):
                if not isinstance(fn, FUNCTION_TYPES) or fn in fns:
                    continue
                for node in ast.walk(fn):
                    if (
                        isinstance(node, ast.Attribute)
                        and isinstance(node.ctx, ast.Load)
                        and dotted_name(node) == written
                    ):
                        return f"; read in `{fn.name}` (line {node.lineno})"
        return ""

    # -------------------------------------------------------------- __new__ singletons
    def _singleton_new(self, fn: ast.FunctionDef) -> None:
        """``Cls._instance = object.__new__(cls)`` cached in ``__new__``, then given the
        caller's arguments (``inst.token = kwargs["token"]``): one caller's values on
        the instance every caller gets."""
        cls = self.ctx.enclosing_class()
        if cls is None or fn not in cls.body:
            return
        params = {p.name for p in params_of(fn)[1:]}
        cached: dict[str, ast.stmt] = {}
        for node in ast.walk(fn):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute)
                and node.value.func.attr == "__new__"
            ):
                for t in node.targets:
                    label = dotted_name(t)
                    if isinstance(t, ast.Attribute) and label:
                        cached.setdefault(label, node)
        if not cached or not params:
            return
        holders: dict[str, str] = {}
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                source = dotted_name(node.value)
                t = node.targets[0]
                if isinstance(t, ast.Name) and source in cached:
                    holders[t.id] = source
        stored: dict[str, list[str]] = {}
        for node in ast.walk(fn):
            if not isinstance(node, ast.Assign):
                continue
            for t in node.targets:
                if not (isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)):
                    continue
                owner = holders.get(t.value.id)
                if owner is None:
                    continue
                if any(isinstance(n, ast.Name) and n.id in params for n in ast.walk(node.value)):
                    stored.setdefault(owner, []).append(t.attr)
        for label, attrs in stored.items():
            names = ", ".join(f"`{a}`" for a in attrs[:4]) + (", ..." if len(attrs) > 4 else "")
            self.report(
                cached[label],
                target=f"`{label}`",
                source=f"`{cls.name}(...)`'s arguments ({names})",
                func="__new__",
                place=f"`{label}` is one instance for every caller of `{cls.name}()`",
                read="",
                effect="each call overwrites the previous caller's values on the shared instance",
            )
