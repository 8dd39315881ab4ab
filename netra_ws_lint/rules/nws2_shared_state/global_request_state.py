"""NWS207 global-request-state."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from netra_ws_lint.analysis.frameworks import serving_request
from netra_ws_lint.analysis.idioms import (
    function_label,
    is_classmethod,
    is_constant,
    lazy_initialisation,
    self_param,
)
from netra_ws_lint.analysis.requests import entry_point, request_derived, unreached
from netra_ws_lint.analysis.scopes import (
    FUNCTION_TYPES,
    FunctionNode,
    dotted_name,
)
from netra_ws_lint.rules._shared import _BindingRule
from netra_ws_lint.rules.base import register

if TYPE_CHECKING:
    from netra_ws_lint.analysis.semantic import Context


def _reads(value: ast.expr, name: str | None) -> bool:
    """``value`` reads the variable ``name`` (the instance: ``self.build()``)."""
    return name is not None and any(
        isinstance(n, ast.Name) and n.id == name for n in ast.walk(value)
    )


def _runs_once(init: FunctionNode, cls: ast.ClassDef | None) -> bool:
    """The class is a singleton (its ``__new__`` hands out one instance) or its
    ``__init__`` returns early once the instance (or the class) is initialised
    (``if self._initialized: return``): its class attributes are set up once, as
    configuration, not per instance."""
    if cls is not None and any(
        isinstance(s, FUNCTION_TYPES) and s.name == "__new__" for s in cls.body
    ):
        return True
    me = self_param(init)
    for stmt in init.body:
        if (
            isinstance(stmt, ast.If)
            and stmt.body
            and isinstance(stmt.body[-1], ast.Return)
            and any(
                isinstance(n, ast.Attribute)
                and isinstance(n.value, (ast.Name, ast.Attribute))
                and (dotted_name(n) or "").split(".")[0] in (me, cls.name if cls else None)
                for n in ast.walk(stmt.test)
            )
        ):
            return True
    return False


@register
class GlobalRequestState(_BindingRule):
    """
    ## What it does
    Flags a module-level name rebound through `global` (or a class attribute rebound
    through its class: `Cls.attr = ...`, `cls.attr = ...` in a classmethod,
    `type(self).attr = ...`) inside code that serves one request, with a value that
    is not a constant. Code serves one request when a user identity or context is in
    scope (a `user_id`-like parameter, a user context), or when a framework calls it
    for a request (a FastAPI/Starlette route or websocket, a Flask route or
    `before_request` hook, a Django view, an aiohttp route, a socket.io event), or
    when such code calls it in the same module.

    Not flagged: a value computed from no request (a probe's `all(checks.values())`,
    `time.time()`: the same whoever asks, it carries nobody's data), the lazy
    singleton shape (`if _x is None: _x = build()`, after `if _x is not None: return
    _x`, `_x = _x or build()`: NWS104's), resets to a constant (`_x = None`, `_mode =
    FAST`), counters (`_hits += 1`), and functions that serve no request (startup
    hooks, CLI commands).

    ## Why is this bad?
    A module global (or a class attribute) is one slot for the whole process. Every
    concurrent request writes its own value into it, and every request reads
    whichever value was written last, often another user's: the current user, the
    tenant, the request's language or session. Under an event loop the switch
    happens at every `await`; under threads, at any time.

    ## Example
    ```python
    _current_user = None

    async def handle(user_id: str, request) -> dict:
        global _current_user
        _current_user = user_id
        return await render()
    ```

    ## Use instead
    ```python
    from contextvars import ContextVar

    current_user: ContextVar[str] = ContextVar("current_user")

    async def handle(user_id: str, request) -> dict:
        current_user.set(user_id)
        return await render()
    ```

    ## Fix
    No automatic fix: pass the value to the code that needs it, keep it on the
    per-request object (the user context), or use a `contextvars.ContextVar`.

    ## Options
    `identity-names`, `context-names`, `context-types` (what a user identity is),
    `request-handler-decorators` (decorators that make a request handler).
    """

    code = "NWS207"
    name = "global-request-state"
    serves_requests = (
        "A module-level name rebound with request data leaks only on a live request path."
    )
    message = (
        "{what} is rebound {how} in `{func}`, {why}: every {who} overwrites it and reads "
        "the others'"
    )
    SERVES = "which serves one request"
    PER_INSTANCE = "which runs for every instance (every account or user it is built for)"
    summary = "Module-level name or class attribute rebound with request data in a request path."
    trigger = ("{identity} {context} {handlers} __init__",)
    options = (
        "identity-names",
        "context-names",
        "context-types",
        "request-handler-decorators",
    )

    INVALID = [
        # the handler: a user id kept in a module global
        """
        _current_user = None

        async def handle(user_id: str, request) -> dict:
            global _current_user
            _current_user = user_id  # expect: NWS207@5
            return await render()
        """,
        # a Flask view (no identity name: the route says it serves a request) and
        # a helper it calls
        """
        from flask import Flask, request

        app = Flask(__name__)
        _locale = "en"
        _last_query = None

        @app.route("/search")
        def search():
            global _locale
            _locale = request.args.get("lang", "en")  # expect: NWS207@5
            remember(request.args["q"])
            return run()

        def remember(q):
            global _last_query
            _last_query = q  # expect: NWS207@5
        """,
        # a class attribute rebound through the class, by name and through `cls`
        """
        class Session:
            current = None
            tenant = None

            @classmethod
            def bind(cls, user_context):
                cls.tenant = user_context.tenant_id  # expect: NWS207@9

        def serve(session_id):
            Session.current = load(session_id)  # expect: NWS207@5
        """,
        # a Django class-based view; an augmented rebinding with request data
        """
        from django.views import View

        _total = 0

        class Checkout(View):
            def post(self, request):
                global _total
                _total += int(request.POST["amount"])  # expect: NWS207@9
        """,
        # past a check that the global is set (`is None` then raise): rebound, not
        # lazily built, so not the lazy singleton shape
        """
        _tenant = None

        async def switch(user_id: str):
            global _tenant
            if _tenant is None:
                raise RuntimeError("tenants not loaded")
            _tenant = lookup_tenant(user_id)  # expect: NWS207@5
        """,
        # a class attribute rebound per instance in __init__: the last client built
        # wins for every client
        """
        class ApiClient:
            session = None

            def __init__(self, api_key):
                self.api_key = api_key
                ApiClient.session = build_session(api_key)  # expect: NWS207@9
                ApiClient.pool = self.make_pool()  # expect: NWS207@9
        """,
        # a FastAPI route: the value comes out of the request
        """
        from fastapi import APIRouter

        router = APIRouter()
        _active_thread = None

        @router.post("/threads/{thread}")
        async def select(thread: str):
            global _active_thread
            _active_thread = {"id": thread}  # expect: NWS207@5
        """,
    ]
    VALID = [
        # a probe handler recording system-wide state computed from no request (the
        # same value whoever asks)
        """
        from fastapi import APIRouter, Depends

        router = APIRouter()
        STARTUP_COMPLETE = False

        @router.get("/startup")
        async def startup_probe(user_id: str = Depends(current_user_id)):
            global STARTUP_COMPLETE
            checks = {"database": await database_ready(), "cache": cache_ready()}
            STARTUP_COMPLETE = all(checks.values())
            return {"ready": STARTUP_COMPLETE, "checks": checks}
        """,
        # a lazy engine getter called by a request handler: the lazy singleton shape
        """
        from fastapi import FastAPI

        app = FastAPI()
        _engine = None

        def get_engine():
            global _engine
            if _engine is None:
                _engine = create_engine(DATABASE_URL)
            return _engine

        def get_pool():
            global _pool
            if _pool is not None:
                return _pool
            _pool = make_pool()
            return _pool

        @app.get("/items")
        async def items(user_id: str):
            return get_engine().query(user_id)
        """,
        # a startup counter and a CLI command: no request path
        """
        from fastapi import FastAPI

        app = FastAPI()
        _started = 0
        _config = None

        @app.on_event("startup")
        async def startup():
            global _started
            _started = time.time()

        def main(argv):
            global _config
            _config = load(argv)
        """,
        # resets to a constant, counters, a constant's name
        """
        _current = None
        _hits = 0
        _mode = "fast"

        async def logout(user_id):
            global _current, _hits, _mode
            _current = None
            _hits += 1
            _mode = SLOW_MODE
        """,
        # a local name, an instance attribute, a nonlocal closure variable
        """
        def handle(user_id):
            current = user_id
            def inner():
                nonlocal current
                current = user_id
            return current

        class Manager:
            def bind(self, user_id):
                self.user_id = user_id
        """,
        # a singleton set up once: its __init__ returns early when initialised
        """
        class Policy:
            _initialized = False
            _source = None

            def __init__(self, source=None):
                if self.__class__._initialized:
                    return
                self.__class__._source = source or default_source()
                self.__class__._initialized = True
        """,
        # per-instance state in __init__; a counter and a constant through the class
        """
        class ApiClient:
            created = 0
            session = None

            def __init__(self, api_key):
                self.session = build_session(api_key)
                ApiClient.created += 1
                ApiClient.default_timeout = DEFAULT_TIMEOUT
        """,
        # contextvars instead of a global; a lazily built class-level instance
        """
        from contextvars import ContextVar

        current_user = ContextVar("current_user")

        class Registry:
            _instance = None

            @classmethod
            def instance(cls, user_id=None):
                if cls._instance is None:
                    cls._instance = cls()
                return cls._instance

        async def handle(user_id):
            current_user.set(user_id)
        """,
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._declared: dict[int, set[str]] = {}

    def on_binding(self, stmt: ast.stmt, target: ast.expr, value: ast.expr) -> None:
        ctx = self.ctx
        scope = ctx.scope
        fn = scope.node
        if scope.kind != "function" or not isinstance(fn, FUNCTION_TYPES):
            return
        what = how = ""
        if isinstance(target, ast.Name):
            if target.id not in self._declared.get(id(fn), ()) or is_constant(value):
                return
            what, how = f"module-level `{target.id}`", "through `global`"
        elif isinstance(target, ast.Attribute):
            owner = self._class_of(target.value, fn)
            if owner is None or is_constant(value):
                return
            what, how = f"class attribute `{owner}.{target.attr}`", "through its class"
        else:
            return
        label = dotted_name(target)
        if label is None or lazy_initialisation(fn, stmt, label):
            return
        if (
            fn.name == "__init__"
            and isinstance(target, ast.Attribute)
            and not isinstance(stmt, ast.AugAssign)
            and (request_derived(ctx, value) or _reads(value, self_param(fn)))
            and not _runs_once(fn, ctx.enclosing_class())
        ):
            # ``Client.session = <this instance's session>``: the last instance built
            # wins for all of them
            how = "per instance through its class"
            self.report(
                stmt,
                what=what,
                how=how,
                func=function_label(fn),
                why=self.PER_INSTANCE,
                who="instance",
            )
            return
        if not ctx.has_user_identity() or not request_derived(ctx, value):
            return  # (a value computed from no request: the same for every request)
        outer = ctx.enclosing_functions()[-1]
        if serving_request(ctx) is None and unreached(ctx, outer):
            return  # nothing that serves a request calls it (an example, a dead setter)
        entry = entry_point(ctx)
        self.report(
            stmt,
            what=what,
            how=how,
            func=function_label(fn),
            why=f"{self.SERVES} ({entry})" if entry else self.SERVES,
            who="concurrent request",
        )

    def visit_Global(self, node: ast.Global) -> None:
        # a declaration precedes every use in its function (else a SyntaxError)
        self._declared.setdefault(id(self.ctx.scope.node), set()).update(node.names)

    def _class_of(self, owner: ast.expr, fn: FunctionNode) -> str | None:
        """The class ``owner`` names: a class of this module, ``cls`` in a
        classmethod, ``type(self)`` / ``self.__class__``."""
        ctx = self.ctx
        me = self_param(fn)
        if isinstance(owner, ast.Name):
            if owner.id == me:
                if not is_classmethod(fn):
                    return None  # ``self.x = ...``: the instance's own
                cls = ctx.enclosing_class()
                return cls.name if cls is not None else owner.id
            if owner.id not in ctx.module_classes or not ctx.is_module_global(owner.id):
                return None
            binding = ctx.lookup(owner.id, owner)
            return owner.id if binding is not None and binding.kind == "class" else None
        if me is None or is_classmethod(fn):
            return None
        if (
            isinstance(owner, ast.Call)
            and isinstance(owner.func, ast.Name)
            and owner.func.id == "type"
            and len(owner.args) == 1
            and isinstance(owner.args[0], ast.Name)
            and owner.args[0].id == me
        ) or (
            isinstance(owner, ast.Attribute)
            and owner.attr == "__class__"
            and isinstance(owner.value, ast.Name)
            and owner.value.id == me
        ):
            cls = ctx.enclosing_class()
            return cls.name if cls is not None else "type(self)"
        return None
