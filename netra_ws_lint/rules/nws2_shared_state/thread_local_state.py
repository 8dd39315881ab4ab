"""NWS208 thread-local-state, and its ContextVar rewrite."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from netra_ws_lint.analysis.frameworks import asgi_project, serving_request
from netra_ws_lint.analysis.idioms import function_label, in_async_code, runtime_function
from netra_ws_lint.analysis.thread_locals import ThreadLocal, ThreadLocals, ThreadLocalUse
from netra_ws_lint.model import Fix
from netra_ws_lint.rules.base import Rule, register
from netra_ws_lint.rules.fixes import UNSAFE, contextvar_fix, manual

if TYPE_CHECKING:
    from netra_ws_lint.analysis.semantic import Context

# uses a message names (at least the first use of each attribute)
SHOWN_USES = 4

_ATTR_FUNCS = {"getattr": "read", "hasattr": "read", "setattr": "written", "delattr": "written"}


@register
class ThreadLocalState(Rule):
    """
    ## What it does
    Flags a `threading.local()` object (or an instance of a `threading.local`
    subclass) that the module holds for longer than a request: a module-level one, a
    class attribute, or an attribute that `__init__` sets on `self` (the object is
    meant to be shared: a module-level instance, an app's helper, a client). It is
    reported once, at its binding, and the message names the uses that make it
    unsafe (`_local.user written in async def handle (line 12), ...`: the first use
    of each attribute, then others up to four, and how many more). Default when a
    use is in `async def` code or in code serving a request of an ASGI project;
    when every use is elsewhere at run time it is an audit finding, for the move to
    ASGI. A project is served over ASGI when it has an `asgi.py` (project mode) or
    configures `async-project = true`; handlers of frameworks that run on an event
    loop (FastAPI, Starlette, aiohttp, an `AsyncServer`) count as ASGI request
    paths. Code serves a request when a user identity or context is in scope or
    when a framework calls it for a request (see NWS207). A `# noqa: NWS208` on the
    binding's line silences it.

    Not flagged: `contextvars.ContextVar`, `asgiref.local.Local` (context-aware),
    `werkzeug.local.Local`, uses at import time, and per-thread caches: attributes
    that every write initialises lazily (`if not _tls.parser: _tls.parser =
    Parser()`, `_tls.conn = _tls.conn or connect()`), which hold a resource of the
    thread, not a request's state.

    ## Why is this bad?
    A thread-local is per *thread*, not per request. An event loop serves every
    request of the process on one thread: all coroutines share the same thread-local
    values, so the user one request stored is what the next request reads. Under
    ASGI even sync views run on a few shared threads, one after the other and
    interleaved with the async code.

    ## Example
    ```python
    import threading

    _local = threading.local()

    async def handle(user_id: str) -> dict:
        _local.user = user_id
        return await render()
    ```

    ## Use instead
    ```python
    from contextvars import ContextVar

    _local_user = ContextVar("_local_user")

    async def handle(user_id: str) -> dict:
        _local_user.set(user_id)
        return await render()
    ```

    ## Fix
    Unsafe, opt-in (`--unsafe-fixes`): a module-level `threading.local()` whose every
    use is in the module and of the shapes `x.attr = value`, `x.attr` and
    `getattr(x, "attr", default)` becomes one `contextvars.ContextVar` per attribute
    (`x_attr.set(value)`, `x_attr.get()`, `x_attr.get(default)`). It is unsafe
    because behaviour changes on purpose: an unset variable raises `LookupError`
    instead of `AttributeError`, and a value set in an asyncio task or a thread is no
    longer seen by its parent. Otherwise (a subclass, a class attribute, a public
    name other modules may import, another use) `migrate` lists each attribute to
    move by hand.

    ## Options
    `async-project` (the project is served over ASGI), `identity-names`,
    `context-names`, `context-types`, `request-handler-decorators`.
    """

    code = "NWS208"
    name = "thread-local-state"
    serves_requests = (
        "Thread-local state leaks between the requests of a thread only where it runs."
    )
    message = "thread-local `{name}` is per thread, not per request: {uses}; {why}"
    summary = "threading.local state used in async code or a request path of an ASGI project."
    trigger = ("local",)
    fixable = True
    migration = True
    migration_advice = "move each attribute of the thread-local to a `contextvars.ContextVar`"
    options = (
        "async-project",
        "identity-names",
        "context-names",
        "context-types",
        "request-handler-decorators",
    )

    INVALID = [
        # the handler: a thread-local in async code; getattr and a helper
        """
        import threading

        _local = threading.local()  # expect: NWS208@1

        async def handle(user_id: str, request) -> dict:
            _local.user = user_id
            return await render()

        async def render():
            return {"user": getattr(_local, "user", None)}
        """,
        # a threading.local subclass instance in a FastAPI route (served from an event
        # loop's thread pool even as a sync def)
        """
        from threading import local
        from fastapi import FastAPI

        app = FastAPI()

        class RequestState(local):
            user = None

        state = RequestState()  # expect: NWS208@1

        @app.get("/me")
        def me():
            return {"user": state.user}
        """,
        # a class attribute, through the class and through self
        """
        import threading

        class Tenant:
            current = threading.local()  # expect: NWS208@5

            async def bind(self, user_context):
                self.current.tenant = user_context.tenant

        async def tenant_of(session_id):
            return Tenant.current.tenant
        """,
        # a Django view in an ASGI project (configured)
        """
        # options: {"async-project": true}
        import threading
        from django.http import JsonResponse

        class _State(threading.local):
            pass

        _state = _State()  # expect: NWS208@1

        def profile(request):
            _state.user = request.user
            return JsonResponse({})
        """,
        # an attribute of a module-level instance; a lambda inside async code
        """
        import threading

        class Registry:
            def __init__(self):
                self.local = threading.local()  # expect: NWS208@9

        registry = Registry()

        async def remember(websocket):
            registry.local.socket = websocket
            return lambda: registry.local.socket
        """,
        # an asyncio lock keeping its owner's token on a thread-local it holds: one
        # task releases the lock another task took
        """
        import threading
        import uuid

        class Lock:
            def __init__(self, client, name):
                self.client = client
                self.name = name
                self.local = threading.local()  # expect: NWS208@9

            async def acquire(self):
                self.local.token = uuid.uuid4().hex
                return await self.client.set(self.name, self.local.token)

            async def release(self):
                await self.client.delete_if(self.name, self.local.token)
                self.local.token = None
        """,
    ]
    VALID = [
        # a thread-local used only in a WSGI-only project's sync views (audit)
        """
        import threading
        from flask import Flask

        app = Flask(__name__)
        _local = threading.local()

        @app.route("/")
        def index():
            _local.user = load_user()
            return render(_local.user)
        """,
        # asgiref's Local and werkzeug's are context-aware
        """
        from asgiref.local import Local
        from werkzeug.local import Local as WLocal

        _state = Local()
        _ctx = WLocal()

        async def handle(user_id):
            _state.user = user_id
            _ctx.user = user_id
        """,
        # contextvars
        """
        import contextvars

        current_user = contextvars.ContextVar("current_user")

        async def handle(user_id):
            current_user.set(user_id)
            return current_user.get()
        """,
        # a thread-local set at import time, a local threading.local of a function
        """
        import threading

        _local = threading.local()
        _local.ready = True

        async def worker():
            mine = threading.local()
            mine.x = 1
        """,
        # per-thread caches of a resource, lazily built (also in async code)
        """
        import threading

        class _Codecs(threading.local):
            reader = None

        _codecs = _Codecs()
        _tls = threading.local()

        async def decode(user_id, blob):
            _codecs.reader = _codecs.reader or make_reader()
            if getattr(_tls, "parser", None) is None:
                _tls.parser = make_parser()
            return _tls.parser.parse(_codecs.reader.read(blob))
        """,
        # a thread-local in a thread worker (no request, no async)
        """
        import threading

        _local = threading.local()

        def run_job(job):
            _local.job = job
            job.run()
        """,
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.locals: ThreadLocals | None = None
        self._seen: set[tuple[str, str, int]] = set()
        # the uses of each thread-local (by its binding), reported at leave_Module
        self._uses: dict[int, tuple[ThreadLocal, list[ThreadLocalUse]]] = {}

    def visit_Module(self, node: ast.Module) -> None:
        self.locals = ThreadLocals(self.ctx)

    # -------------------------------------------------------------- uses
    def visit_Attribute(self, node: ast.Attribute) -> None:
        if not self.locals:
            return
        local = self.locals.object_of(node.value)
        if local is not None:
            verb = "read" if isinstance(node.ctx, ast.Load) else "written"
            self._use(node, local, node.attr, verb)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if not self.locals or not isinstance(func, ast.Name):
            return
        verb = _ATTR_FUNCS.get(func.id)
        if verb is None or len(node.args) < 2 or self.ctx.lookup(func.id, func) is not None:
            return
        attr = node.args[1]
        local = self.locals.object_of(node.args[0])
        if local is not None and isinstance(attr, ast.Constant) and isinstance(attr.value, str):
            self._use(node, local, attr.value, verb)

    def _use(self, node: ast.AST, local: ThreadLocal, attr: str, verb: str) -> None:
        ctx = self.ctx
        fn = runtime_function(ctx)
        if fn is None:
            return  # import time
        key = (local.label, attr, id(fn))
        if key in self._seen:
            return
        assert self.locals is not None
        if attr in self.locals.per_thread_caches(local):
            return  # a per-thread cache of a resource, not request state
        self._seen.add(key)
        func = function_label(fn)
        if isinstance(fn, ast.AsyncFunctionDef):
            func = f"async def {func}"
        if in_async_code(ctx):
            why, audit = "coroutines on the event loop's thread share its values", False
        else:
            handler = serving_request(ctx)
            serves = ctx.has_user_identity()
            if serves and handler is not None and handler.event_loop:
                why = (
                    f"`{function_label(fn)}` is a {handler.framework} request handler: "
                    "requests served on one thread share its values"
                )
                audit = False
            elif serves and asgi_project(ctx):
                why, audit = (
                    f"`{function_label(fn)}` serves a request of an ASGI project: requests "
                    "served on one thread share its values",
                    False,
                )
            else:
                why, audit = "requests share its values once served over ASGI", True
        line = getattr(node, "lineno", 0)
        entry = self._uses.setdefault(id(local.stmt), (local, []))
        entry[1].append(ThreadLocalUse(line, attr, verb, func, why, audit))

    def leave_Module(self, node: ast.Module) -> None:
        # one finding per thread-local, at its binding: default when any use is
        for local, uses in self._uses.values():
            uses.sort(key=lambda u: (u.audit, u.line))
            audit = uses[0].audit
            self.report(
                local.stmt,
                audit=audit,
                name=local.label,
                uses=_describe(local, uses),
                why=uses[0].why,
                fix=self._fix(local, _attributes(uses)),
            )
        self._uses.clear()

    # -------------------------------------------------------------- the fix
    def _fix(self, local: ThreadLocal, attrs: list[str]) -> Fix:
        named = ", ".join(f"`{local.label}.{a}`" for a in attrs)
        move = (
            f"move {named} to a `contextvars.ContextVar`"
            if len(attrs) == 1
            else f"move each of {named} to a `contextvars.ContextVar`"
        )
        if local.kind != "instance" or local.name is None:
            return manual(
                f"{move} and set/get it where the thread-local was used (a {local.kind}: "
                "not rewritten automatically)"
            )
        fix = contextvar_fix(self.ctx, local)
        if fix.applicability == UNSAFE:
            return fix
        return manual(f"{move}: {fix.message}")


def _attributes(uses: list[ThreadLocalUse]) -> list[str]:
    """The attributes used, in the order of the uses (unsafe ones first)."""
    return list(dict.fromkeys(u.attr for u in uses))


def _describe(local: ThreadLocal, uses: list[ThreadLocalUse]) -> str:
    """The uses the message names: the first use of each attribute, then others up to
    :data:`SHOWN_USES` (so every attribute is named), and how many more."""
    first: dict[str, ThreadLocalUse] = {}
    for u in uses:
        first.setdefault(u.attr, u)
    shown = list(first.values())
    for u in uses:
        if len(shown) >= SHOWN_USES:
            break
        if u not in shown:
            shown.append(u)
    shown.sort(key=lambda u: (u.audit, u.line))
    text = ", ".join(
        f"`{local.label}.{u.attr}` {u.verb} in `{u.func}` (line {u.line})" for u in shown
    )
    more = len(uses) - len(shown)
    return f"{text}, and {more} more" if more else text
