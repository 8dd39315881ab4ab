"""Which functions serve one request, known by the framework that calls them.

A *request handler* is a function a web or socket framework calls for one request,
one message or one event of one client:

- FastAPI / Starlette: ``@app.get`` ... ``@app.websocket``, ``@app.api_route``,
  ``@router.*`` (``APIRouter``), ``@app.middleware``, ``@app.exception_handler``,
  ``add_api_route`` / ``add_api_websocket_route`` / ``add_websocket_route`` /
  ``add_route``, ``Route(path, endpoint)`` / ``WebSocketRoute``, ``HTTPEndpoint`` /
  ``WebSocketEndpoint`` classes, and the functions named in ``Depends(...)``;
- Flask (and Quart, Sanic): ``@app.route``, ``@bp.route``, ``@app.get`` ...,
  ``before_request`` / ``after_request`` / ``teardown_request`` / ``errorhandler``,
  ``add_url_rule``, ``View`` / ``MethodView`` classes, ``flask_login.login_required``;
- Django: views referenced from ``path()`` / ``re_path()`` / ``url()`` (in project
  mode also those of other modules, through :mod:`.project`), class-based views'
  handler methods (classes deriving from ``View``, ``APIView``, ``ViewSet``... or from
  such a class of the same module), Channels consumers, view decorators
  (``@api_view``, ``@require_POST``, ``@login_required``, ``@csrf_exempt``...), and
  module-level functions of a module importing Django whose first parameter is
  ``request``; django-ninja routers;
- aiohttp: ``RouteTableDef`` (``@routes.get``...), ``web.get(path, handler)``...,
  ``app.router.add_get`` ..., ``web.View`` classes;
- python-socketio / Flask-SocketIO: ``@sio.event``, ``@sio.on("message")``,
  ``sio.on("message", handler)``, ``on_event``, ``Namespace`` classes' ``on_*``;
- Tornado ``RequestHandler`` classes, Litestar's ``@get`` ... decorators;
- middleware classes (in a module importing a framework): Django's
  ``process_request`` / ``process_view`` / ``process_exception`` / ``process_response``
  and ``__call__(self, request)``, Starlette's ``dispatch(self, request, call_next)``,
  a pure ASGI ``__call__(self, scope, receive, send)``: built once, called per request;
- callbacks of UI, bot and task frameworks: Gradio event listeners
  (``button.click(fn)``, ``image.upload(fn)``...), python-telegram-bot handlers
  (``CommandHandler("start", fn)``, ``MessageHandler(filters, fn)``), Discord
  (``@bot.command()``, ``@client.event``), Slack bolt (``@app.message(...)``,
  ``@app.event(...)``), Celery tasks (``@app.task``, ``@shared_task``);
- decorators configured as ``request-handler-decorators`` (resolved names or patterns).

What a handler calls in the same module (a module-level function, or ``self.m()`` in a
method), transitively, serves one request too. Startup hooks (``on_event("startup")``,
``before_first_request``, listeners) are not request handlers.

Decorator and class names are resolved through imports and aliases; an application
object is known by what built it (``app = FastAPI()``, ``bp: Blueprint = ...``, a
parameter annotated ``app: Flask``). A route decorator of an object that does not
resolve (``from .api import router``) counts when its first argument is a path
literal (``"/users"``).

A handler records whether its framework serves it from an event loop (ASGI frameworks,
aiohttp, Tornado, an ``AsyncServer``): the thread-local rule needs it. Whether the
project as a whole is served over ASGI (an ``asgi.py`` in the project, or
``async-project = true``) is :func:`asgi_project`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from netra_ws_lint.analysis.scopes import (
    FUNCTION_TYPES,
    Binding,
    FunctionNode,
    Scope,
    annotation_names,
    dotted_name,
    iter_child_stmts_no_scopes,
    iter_statements_no_scopes,
    params_of,
)
from netra_ws_lint.config import matches_any

if TYPE_CHECKING:
    from netra_ws_lint.analysis.semantic import Context

# top-level package -> (framework, served from an event loop)
PACKAGES: dict[str, tuple[str, bool]] = {
    "fastapi": ("fastapi", True),
    "starlette": ("starlette", True),
    "litestar": ("litestar", True),
    "quart": ("quart", True),
    "sanic": ("sanic", True),
    "aiohttp": ("aiohttp", True),
    "tornado": ("tornado", True),
    "flask": ("flask", False),
    "flask_login": ("flask", False),
    "django": ("django", False),
    "rest_framework": ("django", False),
    "ninja": ("django", False),
    "channels": ("django", False),
    "socketio": ("socketio", False),
    "flask_socketio": ("socketio", False),
    # callback frameworks: a UI event, a chat message, a queued task (no HTTP routes)
    "gradio": ("gradio", False),
    "telegram": ("telegram", True),
    "discord": ("discord", True),
    "slack_bolt": ("slack", False),
    "celery": ("celery", False),
}
# frameworks that call back functions for one user's event but route no HTTP requests
CALLBACK_FRAMEWORKS = frozenset({"gradio", "telegram", "discord", "slack", "celery"})
# ``component.click(fn, ...)``: Gradio's event listeners
GRADIO_EVENTS = frozenset(
    {
        "click",
        "change",
        "upload",
        "submit",
        "select",
        "input",
        "blur",
        "focus",
        "clear",
        "release",
        "edit",
        "like",
        "load",
        "then",
        "success",
        "stream",
        "play",
        "pause",
        "stop",
        "end",
        "start_recording",
        "stop_recording",
        "double_click",
        "delete",
        "retry",
        "undo",
        "key_up",
    }
)
# decorator methods that register a bot callback (Discord, Slack bolt) or a task (Celery)
CALLBACK_DECORATORS = {
    "discord": frozenset({"command", "event", "slash_command", "hybrid_command", "listen"}),
    "slack": frozenset({"message", "event", "command", "action", "shortcut", "view", "options"}),
    "celery": frozenset({"task", "shared_task"}),
}
# Django-style middleware: methods the framework calls for every request on the one
# instance it built at startup
MIDDLEWARE_METHODS = frozenset(
    {
        "process_request",
        "process_view",
        "process_exception",
        "process_response",
        "process_template_response",
    }
)

# classes whose instances register handlers with their methods
APP_CLASSES = frozenset(
    {
        "FastAPI",
        "APIRouter",
        "Starlette",
        "Router",
        "Litestar",
        "Flask",
        "Blueprint",
        "Quart",
        "Sanic",
        "NinjaAPI",
        "RouteTableDef",
        "Application",
        "UrlDispatcher",
        "Server",
        "AsyncServer",
        "SocketIO",
        "Client",
        "AsyncClient",
    }
)

HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "trace"})
# decorator methods of an application object that register a request handler
# (``on_event("startup")``, ``before_first_request``, ``listener`` are startup hooks)
ROUTE_DECORATORS = HTTP_METHODS | {
    "route",
    "api_route",
    "websocket",
    "websocket_route",
    "view",
    "middleware",
    "exception_handler",
}
REQUEST_HOOKS = frozenset(
    {
        "before_request",
        "after_request",
        "teardown_request",
        "before_app_request",
        "after_app_request",
        "teardown_app_request",
        "errorhandler",
        "app_errorhandler",
        "context_processor",
    }
)
EVENT_DECORATORS = frozenset({"event", "on"})
PATH_ROUTES = HTTP_METHODS | {"route", "api_route", "websocket", "websocket_route", "view"}

# function decorators that make a view: (package, name)
VIEW_DECORATORS = frozenset(
    {
        ("rest_framework", "api_view"),
        ("django", "require_http_methods"),
        ("django", "require_GET"),
        ("django", "require_POST"),
        ("django", "require_safe"),
        ("django", "csrf_exempt"),
        ("django", "login_required"),
        ("django", "permission_required"),
        ("django", "staff_member_required"),
        ("flask_login", "login_required"),
        ("flask_login", "fresh_login_required"),
        *(("litestar", m) for m in (*HTTP_METHODS, "route", "websocket")),
    }
)

# base classes of class-based views (last name, in a framework package)
VIEW_BASE_RE = re.compile(
    r"(View|ViewSet|Endpoint|Consumer|RequestHandler|WebSocketHandler|Namespace)$"
)
# an unresolved base counts when it looks like a view and the class has HTTP methods
LOOSE_VIEW_BASE_RE = re.compile(r"(View|ViewSet)$")
# methods a framework calls on a class-based view while serving one request
VIEW_METHODS = HTTP_METHODS | {
    "dispatch",
    "setup",
    "initial",
    "list",
    "create",
    "retrieve",
    "update",
    "partial_update",
    "destroy",
    "get_queryset",
    "get_object",
    "get_context_data",
    "get_serializer_class",
    "get_serializer_context",
    "perform_create",
    "perform_update",
    "perform_destroy",
    "form_valid",
    "form_invalid",
    "get_success_url",
    "dispatch_request",
    "prepare",
    "on_finish",
    "open",
    "on_message",
    "on_close",
    "connect",
    "disconnect",
    "receive",
    "receive_json",
    "websocket_connect",
    "websocket_receive",
    "websocket_disconnect",
}

# calls that register a handler given as an argument: how to find it
_DJANGO_ROUTES = frozenset({"path", "re_path", "url"})
_STARLETTE_ROUTES = frozenset({"Route", "WebSocketRoute", "APIRoute", "APIWebSocketRoute"})
_AIOHTTP_ROUTES = HTTP_METHODS | {"route", "view"}
# method names distinctive enough whatever the receiver
_REGISTER_METHODS = frozenset(
    {"add_api_route", "add_api_websocket_route", "add_websocket_route", "add_url_rule"}
)
# method names that register only on a framework object (or in a module importing one)
_LOOSE_REGISTER_METHODS = frozenset(
    {f"add_{m}" for m in HTTP_METHODS} | {"add_route", "add_view", "on", "on_event"}
)
_HANDLER_KEYWORDS = ("view", "endpoint", "view_func", "handler", "route")
_DECORATOR_METHODS = ROUTE_DECORATORS | REQUEST_HOOKS | EVENT_DECORATORS
_VIEW_DECORATOR_NAMES = frozenset(name for _, name in VIEW_DECORATORS)
_REGISTRATION_NAMES = (
    _DJANGO_ROUTES | _STARLETTE_ROUTES | _REGISTER_METHODS | _LOOSE_REGISTER_METHODS
)

# words one of which a module's text holds when it may have a request handler (the
# prefilter's ``{handlers}`` vocabulary): a framework's name, a class-based view's base,
# a path literal, an event decorator
HANDLER_WORDS = frozenset(
    {*PACKAGES, "View", "Endpoint", "Consumer", "Handler", "Namespace"}
    | {'("/', "('/", ".on(", ".event", "Depends"}
)


class _Text:
    """A regular expression searched only in texts holding one of ``literals`` (each
    match contains one): plain substring tests rule most modules out far faster than
    the expression's alternation and look-behinds would."""

    def __init__(self, pattern: str, literals: tuple[str, ...]) -> None:
        self.pattern = re.compile(pattern)
        self.literals = literals

    def search(self, text: str) -> re.Match[str] | None:
        if not any(lit in text for lit in self.literals):
            return None
        return self.pattern.search(text)


# the text a module needs for :func:`route_references` to find anything
REGISTRATION_TEXT = _Text(
    r"(?<![\w.])(?:re_)?path\(|(?<![\w.])url\(|Route\(|\.add_\w+\(|\.on(?:_event)?\(|web\.\w+\(",
    ("path(", "url(", "Route(", ".add_", ".on(", ".on_event(", "web."),
)


# the text a module needs for :func:`app_objects` to find anything
APP_TEXT = _Text(
    rf"\b(?:{'|'.join(sorted(APP_CLASSES))})\(", tuple(f"{c}(" for c in sorted(APP_CLASSES))
)


@dataclass(frozen=True)
class Handler:
    """Why a function serves one request."""

    framework: str  # "fastapi", "flask", "django", ..., "configured", "web" (unknown)
    event_loop: bool  # its framework calls it from an event loop (ASGI, aiohttp...)
    how: str  # "@router.post", "path() in urls.py", "called by index"...


@dataclass
class RequestPaths:
    """The functions of one module that serve one request."""

    handlers: dict[FunctionNode, Handler] = field(default_factory=dict)
    # handlers registered here but defined elsewhere: (dotted name as written, framework)
    references: list[tuple[str, str]] = field(default_factory=list)

    def of(self, fn: FunctionNode) -> Handler | None:
        return self.handlers.get(fn)


def request_paths(ctx: Context) -> RequestPaths:
    """The request handlers of the module of ``ctx`` (computed once per file)."""
    found = ctx.rule_state.get("request-paths")
    if not isinstance(found, RequestPaths):
        found = _Finder(ctx).run()
        ctx.rule_state["request-paths"] = found
    return found


def serving_request(ctx: Context) -> Handler | None:
    """The handler the code at the current position runs in (the innermost enclosing
    function that serves one request, nested functions included), or None."""
    paths = request_paths(ctx)
    if not paths.handlers:
        return None
    for fn in ctx.enclosing_functions():
        handler = paths.of(fn)
        if handler is not None:
            return handler
    return None


def asgi_project(ctx: Context) -> bool:
    """The project is served over ASGI: configured ``async-project = true``, or (in
    project mode) the project has an ``asgi.py``, or this file is one."""
    if ctx.settings.async_project:
        return True
    if ctx.path.replace("\\", "/").rpartition("/")[2] == "asgi.py":
        return True
    project = ctx.project
    return project is not None and bool(getattr(project, "asgi", False))


def _framework_of(qualname: str | None) -> tuple[str, bool] | None:
    if not qualname:
        return None
    return PACKAGES.get(qualname.partition(".")[0])


def _is_text(node: ast.expr) -> bool:
    """A string: a literal, an f-string, a concatenation, ``str(x)``, a string method."""
    if isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp)):
        return True
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == "str") or (
        isinstance(func, ast.Attribute) and func.attr in ("format", "join")
    )


def _first_path_literal(call: ast.Call) -> bool:
    args = [*call.args, *(k.value for k in call.keywords if k.arg in ("path", "rule", "uri"))]
    first = args[0] if args else None
    return (
        isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value[:1] == "/"
    )


class _Finder:
    """One pass over a module: handlers by decorator, class, registration call, then
    what they call (same module, transitively)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.paths = RequestPaths()
        self.chains: dict[ast.AST, list[Scope]] = {}  # def/class -> scopes around it
        self.classes: dict[ast.ClassDef, list[ast.stmt]] = {}
        self.module_frameworks = self._module_frameworks()
        self.configured = ctx.settings.words.request_handler_decorators

    # -------------------------------------------------------------- entry
    def run(self) -> RequestPaths:
        ctx = self.ctx
        # defs and classes, with the scopes around each (statements only: cheap)
        bodies: list[tuple[list[ast.stmt], list[Scope]]] = [(ctx.tree.body, [ctx.module_scope])]
        stack = list(bodies)
        while stack:
            body, chain = stack.pop()
            for node in iter_statements_no_scopes(body):  # type: ignore[arg-type]
                if isinstance(node, (*FUNCTION_TYPES, ast.ClassDef)):
                    self.chains[node] = chain
                    kind = "class" if isinstance(node, ast.ClassDef) else "function"
                    inner = [*chain, Scope(kind, node, chain[-1])]
                    stack.append((node.body, inner))
                    bodies.append((node.body, inner))
        for node, chain in self.chains.items():
            if isinstance(node, ast.ClassDef):
                self._class(node, chain)
            elif isinstance(node, FUNCTION_TYPES):
                self._function(node, chain)
        # registration calls (``path("", views.index)``), only where the text has one
        if REGISTRATION_TEXT.search(ctx.source):
            registrations = [
                (node, chain)
                for body, chain in bodies
                for node in iter_child_stmts_no_scopes(body)
                if isinstance(node, ast.Call) and self._may_register(node.func)
            ]
            registrations.sort(key=lambda r: (r[0].lineno, r[0].col_offset))
            for call, chain in registrations:
                self._registration(call, chain)
        if any(f[0] in CALLBACK_FRAMEWORKS for f in self.module_frameworks):
            self._callbacks(bodies)
        self._project_routes()
        self._follow_calls()
        return self.paths

    # -------------------------------------------------------------- resolution
    @contextmanager
    def _scopes(self, chain: list[Scope]) -> Iterator[None]:
        saved = self.ctx.scopes
        self.ctx.scopes = chain
        try:
            yield
        finally:
            self.ctx.scopes = saved

    def _resolve(self, node: ast.AST, chain: list[Scope]) -> str | None:
        with self._scopes(chain):
            return self.ctx.resolve(node)

    def _binding(self, name: str, chain: list[Scope]) -> Binding | None:
        with self._scopes(chain):
            return self.ctx.lookup(name)

    def _module_frameworks(self) -> list[tuple[str, bool]]:
        out: list[tuple[str, bool]] = []
        for b in self.ctx.module_scope.bindings.values():
            fw = _framework_of(b.qualname) if b.kind == "import" else None
            if fw is not None and fw not in out:
                out.append(fw)
        return out

    def _guess(self) -> tuple[str, bool]:
        """The web framework of an object that does not resolve: the one the module
        imports (the first, served from an event loop if they all are; socket.io
        servers do not route HTTP requests)."""
        found = [f for f in self.module_frameworks if f[0] != "socketio"]
        if not found:
            return ("web", False)
        return found[0][0], all(loop for _, loop in found)

    def _object_framework(self, expr: ast.AST, chain: list[Scope]) -> tuple[str, bool] | None:
        """The framework of an application object (``app``, ``router``, ``app.router``,
        ``sio``) by what built it, or None when unknown."""
        if isinstance(expr, ast.Attribute) and expr.attr == "router":
            return self._object_framework(expr.value, chain)
        if isinstance(expr, ast.Call):
            return self._class_framework(self._resolve(expr.func, chain))
        if not isinstance(expr, ast.Name):
            return None
        binding = self._binding(expr.id, chain)
        if binding is None:
            return None
        annotation = None
        if isinstance(binding.node, (ast.AnnAssign, ast.arg)):
            annotation = binding.node.annotation
        for name in annotation_names(annotation):
            found = self._class_framework(self._qualify(name, chain))
            if found is not None:
                return found
        if binding.kind == "assign" and isinstance(binding.value, ast.Call):
            return self._class_framework(self._resolve(binding.value.func, chain))
        project = self.ctx.project
        if binding.kind == "import" and project is not None:
            # ``from .server import sio``: what the project index knows of it
            with self._scopes(chain):
                qualname = project.qualname(self.ctx, expr)
            apps = getattr(project, "apps", None) or {}
            found = apps.get(project.follow(qualname)) if qualname else None
            if found is not None:
                return found[0], found[1]
        return None

    def _qualify(self, dotted: str, chain: list[Scope]) -> str | None:
        head, _, rest = dotted.partition(".")
        base = self._resolve(ast.Name(id=head), chain)
        if base is None:
            return None
        return f"{base}.{rest}" if rest else base

    @staticmethod
    def _class_framework(qualname: str | None) -> tuple[str, bool] | None:
        fw = _framework_of(qualname)
        if fw is None or qualname is None:
            return None
        last = qualname.rpartition(".")[2]
        if last not in APP_CLASSES:
            return None
        return (fw[0], True) if last.startswith("Async") else fw

    # -------------------------------------------------------------- decorators
    def _add(self, fn: FunctionNode, handler: Handler) -> None:
        self.paths.handlers.setdefault(fn, handler)

    def _function(self, fn: FunctionNode, chain: list[Scope]) -> None:
        for deco in fn.decorator_list:
            handler = self._decorator(deco, chain)
            if handler is not None:
                self._add(fn, handler)
                return
        if len(chain) == 1 and ("django", False) in self.module_frameworks:
            params = params_of(fn)
            if params and params[0].kind in ("pos", "posonly") and params[0].name == "request":
                self._add(fn, Handler("django", False, "a Django view (takes `request`)"))

    def _decorator(self, deco: ast.expr, chain: list[Scope]) -> Handler | None:
        call = deco if isinstance(deco, ast.Call) else None
        target = deco.func if isinstance(deco, ast.Call) else deco
        label = dotted_name(target) or ""
        if not self.configured and not self._may_decorate(target):
            return None
        resolved = self._resolve(target, chain)
        if self.configured and any(
            n and matches_any(n, self.configured) for n in (resolved, label)
        ):
            return Handler("configured", False, f"@{label}")
        fw = _framework_of(resolved)
        if fw is not None and resolved is not None:
            package, last = resolved.partition(".")[0], resolved.rpartition(".")[2]
            if (package, last) in VIEW_DECORATORS:
                return Handler(fw[0], fw[1], f"@{label}")
        if not isinstance(target, ast.Attribute):
            return None
        method = target.attr
        if method not in ROUTE_DECORATORS | REQUEST_HOOKS | EVENT_DECORATORS:
            return None
        obj_fw = self._object_framework(target.value, chain)
        if obj_fw is not None:
            is_socket = obj_fw[0] == "socketio"
            if is_socket == (method in EVENT_DECORATORS):
                return Handler(obj_fw[0], obj_fw[1], f"@{label}")
            return None
        if method in PATH_ROUTES and call is not None and _first_path_literal(call):
            fw = self._guess()
            return Handler(fw[0], fw[1], f"@{label}")
        if method in REQUEST_HOOKS and any(
            f[0] == "flask" or f[0] == "quart" for f in self.module_frameworks
        ):
            fw = self._guess()
            return Handler(fw[0], fw[1], f"@{label}")
        if method in EVENT_DECORATORS and ("socketio", False) in self.module_frameworks:
            return Handler("socketio", False, f"@{label}")
        return None

    def _may_decorate(self, target: ast.expr) -> bool:
        """A route method, or a name a view decorator has."""
        if isinstance(target, ast.Attribute) and target.attr in _DECORATOR_METHODS:
            return True
        return self._written(target) in _VIEW_DECORATOR_NAMES

    # -------------------------------------------------------------- class-based views
    def _view_base(
        self, cls: ast.ClassDef, chain: list[Scope], seen: set[str]
    ) -> tuple[str, bool] | None:
        """The framework of a class-based view (None: not one); a chain of bases in
        this module is followed 32 deep at most."""
        if cls.name in seen or len(seen) > 32:
            return None
        seen.add(cls.name)
        defines_http = any(
            isinstance(s, FUNCTION_TYPES) and s.name in HTTP_METHODS for s in cls.body
        )
        for base in cls.bases:
            written = self._written(base)
            if not (
                VIEW_BASE_RE.search(written)
                or LOOSE_VIEW_BASE_RE.search(written)
                or written in self.ctx.module_classes
            ):
                continue  # cheap test before resolving
            name = self._resolve(base, chain)
            if name is None:
                continue
            last = name.rpartition(".")[2]
            fw = _framework_of(name)
            if fw is not None and VIEW_BASE_RE.search(last):
                if last.startswith("Async"):
                    return fw[0], True
                return fw
            local = self.ctx.module_classes.get(name) if "." not in name else None
            if local is not None and local is not cls:
                found = self._view_base(local, self.chains.get(local, chain), seen)
                if found is not None:
                    return found
                continue
            if defines_http and LOOSE_VIEW_BASE_RE.search(last):
                return self._guess()
        return None

    def _class(self, cls: ast.ClassDef, chain: list[Scope]) -> None:
        fw = self._view_base(cls, chain, set())
        if fw is not None:
            self._view_methods(cls, fw, f"class-based view {cls.name}")
        elif self.module_frameworks or self.configured:
            self._middleware(cls)

    def _middleware(self, cls: ast.ClassDef) -> None:
        """A middleware class: Django's (``process_request(self, request)``...,
        ``__call__(self, request)``), Starlette's ``dispatch(self, request,
        call_next)``, a pure ASGI ``__call__(self, scope, receive, send)``. The
        framework builds it once and calls these methods for every request."""
        for stmt in cls.body:
            if not isinstance(stmt, FUNCTION_TYPES):
                continue
            names = [p.name for p in params_of(stmt) if p.kind in ("pos", "posonly")]
            second = names[1] if len(names) > 1 else ""
            if (
                (stmt.name in MIDDLEWARE_METHODS and second == "request")
                or (stmt.name == "__call__" and second == "request")
                or (stmt.name == "dispatch" and names[1:3] == ["request", "call_next"])
                or (stmt.name == "__call__" and names[1:4] == ["scope", "receive", "send"])
            ):
                fw = self._guess()
                loop = fw[1] or isinstance(stmt, ast.AsyncFunctionDef)
                self._add(stmt, Handler(fw[0], loop, f"{stmt.name} of middleware {cls.name}"))

    # -------------------------------------------------------------- callbacks
    def _callbacks(self, bodies: list[tuple[list[ast.stmt], list[Scope]]]) -> None:
        """Callbacks of UI, bot and task frameworks: ``button.click(fn)`` (Gradio),
        ``CommandHandler("start", fn)`` (python-telegram-bot), ``@bot.command()``
        (Discord), ``@app.message(...)`` (Slack bolt), ``@app.task`` (Celery): each
        call serves one user's event."""
        frameworks = {f[0]: f for f in self.module_frameworks}
        for node in self.chains:
            if not isinstance(node, FUNCTION_TYPES):
                continue
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                written = self._written(target)
                for name, methods in CALLBACK_DECORATORS.items():
                    if name in frameworks and written in methods:
                        known = frameworks[name]
                        self._add(node, Handler(known[0], known[1], f"@{dotted_name(target)}"))
        for body, chain in bodies:
            for call in iter_child_stmts_no_scopes(body):
                if not isinstance(call, ast.Call):
                    continue
                func = call.func
                args: list[ast.expr] = []
                fw: tuple[str, bool] | None = None
                if (
                    "gradio" in frameworks
                    and isinstance(func, ast.Attribute)
                    and func.attr in GRADIO_EVENTS
                ):
                    fw = frameworks["gradio"]
                    args = [*call.args[:1], *(k.value for k in call.keywords if k.arg == "fn")]
                elif "telegram" in frameworks and self._written(func).endswith("Handler"):
                    fw = frameworks["telegram"]
                    args = [*call.args, *(k.value for k in call.keywords if k.arg == "callback")]
                if fw is None:
                    continue
                for arg in args:
                    if isinstance(arg, ast.Name):
                        binding = self._binding(arg.id, chain)
                        if binding is not None and binding.kind == "def":
                            how = f"{dotted_name(func) or 'a'}() callback"
                            self._local(binding.node, fw, how)

    def _view_methods(self, cls: ast.ClassDef, fw: tuple[str, bool], how: str) -> None:
        for stmt in cls.body:
            if isinstance(stmt, FUNCTION_TYPES) and (
                stmt.name in VIEW_METHODS
                or stmt.name.startswith("on_")
                or any(
                    (dotted_name(d.func if isinstance(d, ast.Call) else d) or "").endswith("action")
                    for d in stmt.decorator_list
                )
            ):
                self._add(stmt, Handler(fw[0], fw[1], f"{stmt.name} of {how}"))

    # -------------------------------------------------------------- registration calls
    def _written(self, node: ast.expr) -> str:
        """The last name of a name or attribute chain as written; for a name that an
        import binds, the last name of what it imports (``from django.urls import
        path as p``: ``path``). A cheap test before resolving."""
        if isinstance(node, ast.Attribute):
            return node.attr
        if not isinstance(node, ast.Name):
            return ""
        b = self.ctx.module_scope.bindings.get(node.id)
        if b is not None and b.kind == "import" and b.qualname:
            return b.qualname.rpartition(".")[2]
        return node.id

    def _may_register(self, func: ast.expr) -> bool:
        """The call's name is one a registration call has."""
        written = self._written(func)
        if written in _REGISTRATION_NAMES:
            return True
        return written in _AIOHTTP_ROUTES and any(f[0] == "aiohttp" for f in self.module_frameworks)

    def _registration(self, call: ast.Call, chain: list[Scope]) -> None:
        func = call.func
        resolved = self._resolve(func, chain)
        fw = _framework_of(resolved)
        last = resolved.rpartition(".")[2] if resolved else ""
        handler_arg: ast.expr | None = None
        framework: tuple[str, bool] | None = None
        if fw is not None and (
            (fw[0] == "django" and last in _DJANGO_ROUTES)
            or (fw[0] in ("starlette", "fastapi") and last in _STARLETTE_ROUTES)
        ):
            handler_arg = self._argument(call, 1)
            framework = fw
        elif (
            resolved is not None and resolved.startswith("aiohttp.web.") and last in _AIOHTTP_ROUTES
        ):
            handler_arg = self._argument(call, None)
            framework = fw
        elif isinstance(func, ast.Attribute) and (
            func.attr in _REGISTER_METHODS or func.attr in _LOOSE_REGISTER_METHODS
        ):
            obj_fw = self._object_framework(func.value, chain)
            if func.attr in ("on", "on_event"):
                if obj_fw is None and ("socketio", False) in self.module_frameworks:
                    obj_fw = ("socketio", False)
                if obj_fw is None or obj_fw[0] != "socketio" or len(call.args) < 2:
                    return
            elif func.attr in _LOOSE_REGISTER_METHODS and obj_fw is None:
                if not self.module_frameworks:
                    return
                obj_fw = self._guess()
            framework = obj_fw or self._guess()
            handler_arg = self._argument(call, None)
        if handler_arg is None or framework is None:
            return
        self._reference(handler_arg, chain, framework, f"{dotted_name(func) or last}()")

    @staticmethod
    def _argument(call: ast.Call, index: int | None) -> ast.expr | None:
        """The handler argument: by keyword, at ``index``, or (None) the last
        positional argument that is not a path or a name (a string literal, an
        f-string, a ``str(...)``/``.format()`` call: ``add_route(str(path), handler)``,
        ``add_route("GET", "/", handler)``, Sanic's ``add_route(handler, "/")``)."""
        for k in call.keywords:
            if k.arg in _HANDLER_KEYWORDS:
                return k.value
        if index is not None:
            return call.args[index] if len(call.args) > index else None
        for arg in reversed(call.args):
            if not _is_text(arg):
                return arg  # a factory's result (``make_view(app)``) is left out later
        return None

    def _reference(
        self, expr: ast.expr, chain: list[Scope], fw: tuple[str, bool], how: str
    ) -> None:
        for _ in range(4):  # ``View.as_view()``, ``csrf_exempt(views.index)``
            if not isinstance(expr, ast.Call):
                break
            if isinstance(expr.func, ast.Attribute) and expr.func.attr == "as_view":
                expr = expr.func.value
            elif len(expr.args) == 1 and isinstance(expr.args[0], (ast.Name, ast.Attribute)):
                expr = expr.args[0]  # a view decorator applied by hand
            else:
                return
        dotted = dotted_name(expr)
        if dotted is None:
            return
        if "." not in dotted:
            binding = self._binding(dotted, chain)
            if binding is not None and binding.kind in ("def", "class"):
                self._local(binding.node, fw, how)
                return
            if binding is not None and binding.kind != "import":
                return
        self.paths.references.append((dotted, fw[0]))

    def _local(self, node: ast.AST, fw: tuple[str, bool], how: str) -> None:
        if isinstance(node, ast.ClassDef):
            self._view_methods(node, fw, f"view {node.name} ({how})")
        elif isinstance(node, FUNCTION_TYPES):
            self._add(node, Handler(fw[0], fw[1], how))

    def _project_routes(self) -> None:
        """Project mode: this module's functions and classes that other modules
        register as handlers (Django's ``urls.py``)."""
        project, module = self.ctx.project, self.ctx.module_name
        routes: dict[str, str] = getattr(project, "routes", None) or {}
        if not routes or not module:
            return
        for name, b in self.ctx.module_scope.bindings.items():
            if b.kind not in ("def", "class"):
                continue
            parts = f"{module}.{name}".split(".")
            for i in range(len(parts) - 1):
                framework = routes.get(".".join(parts[i:]))
                if framework is not None:
                    fw = PACKAGES.get(framework, (framework, False))
                    self._local(b.node, (framework, fw[1]), f"a {framework} route of the project")
                    break

    # -------------------------------------------------------------- calls
    def _follow_calls(self) -> None:
        todo = list(self.paths.handlers)
        while todo:
            fn = todo.pop()
            handler = self.paths.handlers[fn]
            chain = [*self.chains.get(fn, [self.ctx.module_scope])]
            inner = [*chain, Scope("function", fn, chain[-1])]
            cls = chain[-1].node if isinstance(chain[-1].node, ast.ClassDef) else None
            for callee in self._callees(fn, inner, cls):
                if callee not in self.paths.handlers:
                    how = (
                        handler.how
                        if handler.how.startswith("called by")
                        else f"called by {fn.name}"
                    )
                    self.paths.handlers[callee] = Handler(
                        handler.framework, handler.event_loop, how
                    )
                    todo.append(callee)

    def _callees(
        self, fn: FunctionNode, chain: list[Scope], cls: ast.ClassDef | None
    ) -> Iterator[FunctionNode]:
        self_name = params_of(fn)[0].name if cls is not None and params_of(fn) else None
        for node in ast.walk(fn):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            refs: list[ast.expr] = [func]
            if (dotted_name(func) or "").rpartition(".")[2] in ("Depends", "Security"):
                refs = list(node.args)
            for ref in refs:
                if isinstance(ref, ast.Name):
                    with self._scopes(chain):
                        module_level = self.ctx.binding_scope(ref.id) is self.ctx.module_scope
                    target = self.ctx.module_functions.get(ref.id) if module_level else None
                    if target is not None:
                        yield target
                elif (
                    cls is not None
                    and isinstance(ref, ast.Attribute)
                    and isinstance(ref.value, ast.Name)
                    and ref.value.id == self_name
                ):
                    for stmt in cls.body:
                        if isinstance(stmt, FUNCTION_TYPES) and stmt.name == ref.attr:
                            yield stmt


def app_objects(ctx: Context) -> dict[str, tuple[str, bool]]:
    """The module-level application objects of the module (``app = FastAPI()``,
    ``sio = socketio.AsyncServer()``): name -> (framework, served from an event loop),
    for the project index (other modules import them: ``from .server import sio``)."""
    if not APP_TEXT.search(ctx.source):
        return {}
    out: dict[str, tuple[str, bool]] = {}
    finder = _Finder(ctx)
    chain = [ctx.module_scope]
    for name, b in ctx.module_scope.bindings.items():
        if b.kind == "assign" and isinstance(b.value, ast.Call):
            found = finder._class_framework(finder._resolve(b.value.func, chain))
            if found is not None:
                out[name] = found
    return out


def route_references(ctx: Context) -> list[tuple[str, str]]:
    """Handlers this module registers that are defined elsewhere (``path("x/",
    views.index)``): their dotted names as written, and the framework."""
    if not REGISTRATION_TEXT.search(ctx.source):
        return []
    return request_paths(ctx).references
