"""The request model the shared-state rules share: where a value lives (lifetimes),
which code runs for one request (entry points), and which values come from a request.

- **Process-wide places** (:func:`process_wide_object`, :func:`instance_lifetime`):
  a module-level instance (``billing = BillingClient()``, an application object, a
  framework extension such as an auth helper) and what hangs off it
  (``app.state.x``); the instance of a class the framework builds once and calls for
  every request (middleware: ``process_request``, ``__call__(self, request)``,
  ``dispatch``); the instance whose methods are request handlers registered on it
  (``@login_required`` methods, ``add_url_rule(view_func=self.m)``) unless the class is
  a class-based view (built per request); the object whose method returns a decorator
  (every decorated function shares it). ``os.environ`` is :func:`environ_write`.
- **Entry points** (:func:`entry_point`): the handlers :mod:`.frameworks` knows (web
  routes, middleware, Gradio/bot callbacks, Celery tasks) and what they call in the
  module, code with a user identity or context in scope, the wrapper a process-wide
  object's decorator returns (it runs for every call of what it decorates), and the
  module level of a Streamlit script (it runs once per session).
- **Request-derived values** (:func:`request_derived`): what is computed from the
  parameters of the enclosing functions (a handler's request, a wrapper's arguments,
  a callback's event), directly or through locals assigned from them, or from the
  request objects of the frameworks (``request``, ``session``, ``websocket``, Streamlit
  widgets); constants, ``self``'s own state and module configuration are not.

Only what one module shows is used here (the project model adds routes of other
modules through :mod:`.frameworks`); findings name the entry point that reaches them.
"""

from __future__ import annotations

import ast
import contextlib
from typing import TYPE_CHECKING

from netra_ws_lint.analysis.frameworks import request_paths, serving_request
from netra_ws_lint.analysis.idioms import VALUE_CALLS, class_name, is_constant
from netra_ws_lint.analysis.project import dead_module
from netra_ws_lint.analysis.scopes import (
    FUNCTION_TYPES,
    FunctionNode,
    dotted_name,
    params_of,
    walk,
)
from netra_ws_lint.analysis.thread_locals import ThreadLocals

if TYPE_CHECKING:
    from netra_ws_lint.analysis.semantic import Context

# names of the request objects frameworks hand out as module-level proxies or as
# parameters: a value computed from them is the request's
REQUEST_OBJECTS = frozenset({"request", "session", "websocket", "ws", "scope", "event", "update"})
# module-level objects that are per request or per context, never process-wide places
CONTEXT_LOCAL_TYPES = frozenset(
    {
        "contextvars.ContextVar",
        "threading.local",
        "_threading_local.local",
        "asgiref.local.Local",
        "werkzeug.local.Local",
        "werkzeug.local.LocalProxy",
        "flask.g",
    }
)
STREAMLIT = "streamlit"


# ---------------------------------------------------------------- request-derived values
def _tainted_names(fn: FunctionNode, outer: frozenset[str]) -> frozenset[str]:
    """The parameters of ``fn`` (not ``self``/``cls``) and the names it assigns from
    them (or from ``outer``: the parameters of the functions around it), to a fixed
    point (bounded)."""
    names = set(outer) | {p.name for p in params_of(fn) if p.name not in ("self", "cls")}
    assigns: list[tuple[list[str], ast.expr]] = []
    for node in ast.walk(fn):
        value: ast.expr | None = None
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            value, targets = node.value, list(node.targets)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
            value, targets = node.value, [node.target]
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            value, targets = node.iter, [node.target]
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            value, targets = node.context_expr, [node.optional_vars]
        elif isinstance(node, ast.NamedExpr):
            value, targets = node.value, [node.target]
        if value is None:
            continue
        bound = [n for t in targets for n in _bound_names(t)]
        if bound:
            assigns.append((bound, value))
    for _ in range(4):
        grew = False
        for bound, value in assigns:
            if set(bound) <= names:
                continue
            if _mentions(value, names):
                names.update(bound)
                grew = True
        if not grew:
            break
    return frozenset(names)


def _bound_names(target: ast.expr) -> list[str]:
    """The variables an assignment target binds (not ``obj`` of ``obj.x = ...``)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for e in target.elts for n in _bound_names(e)]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    return []


def _mentions(value: ast.AST, names: set[str] | frozenset[str]) -> bool:
    return any(
        isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in names
        for n in ast.walk(value)
    )


def request_derived(ctx: Context, value: ast.expr | None) -> bool:
    """``value`` (at the current position) comes from the request: it is not a
    constant, and it reads a parameter of an enclosing function (not ``self``), a
    local computed from one, or a request object (``request.args``, ``session[...]``)."""
    if value is None or is_constant(value):
        return False
    if isinstance(value, ast.Call) and not value.args and not value.keywords:
        return False  # ``time.time()``, ``uuid4()``: computed here, no request in it
    names: frozenset[str] = frozenset(REQUEST_OBJECTS)
    for fn in reversed(ctx.enclosing_functions()):  # outermost first
        if isinstance(fn, FUNCTION_TYPES):
            names = _tainted_names(fn, names)
    return _mentions(value, names)


# ---------------------------------------------------------------- lifetimes
def module_instances(ctx: Context) -> dict[str, str]:
    """Module-level names bound to an object built at import time (a call that is
    not a plain value, a context-local or a class of its own): name -> what built it.
    One per process: every request shares it."""
    found = ctx.rule_state.get("module-instances")
    if isinstance(found, dict):
        return found
    out: dict[str, str] = {}
    thread_locals = ThreadLocals(ctx).by_name  # NWS208's
    for name, b in ctx.module_scope.bindings.items():
        if b.kind != "assign" or not isinstance(b.value, ast.Call) or name in thread_locals:
            continue
        built = ctx.resolve(b.value.func) or ""
        last = built.rpartition(".")[2]
        if not built or last in VALUE_CALLS or built in CONTEXT_LOCAL_TYPES:
            continue
        if last[:1].islower() and built not in ctx.module_classes:
            continue  # a factory function's result: not known to be an object
        out[name] = last
    ctx.rule_state["module-instances"] = out
    return out


def module_level_holder(ctx: Context, cls: ast.ClassDef) -> str | None:
    """The module-level name that holds an instance of ``cls`` built at import time
    (``client = Client()``, ``providers = [GithubProvider(), ...]``), or None."""
    found = ctx.rule_state.get("module-level-holders")
    if not isinstance(found, dict):
        holders: dict[str, str] = {}
        for name, b in ctx.module_scope.bindings.items():
            value = b.value if b.kind == "assign" else None
            if isinstance(value, ast.Dict):
                items: list[ast.expr | None] = list(value.values)
            elif isinstance(value, (ast.List, ast.Tuple, ast.Set)):
                items = list(value.elts)
            else:
                items = [value] if isinstance(value, ast.Call) else []
            for item in items:
                if isinstance(item, ast.Call) and isinstance(item.func, ast.Name):
                    built = ctx.module_classes.get(item.func.id)
                    if built is not None:
                        holders.setdefault(built.name, name)
        ctx.rule_state["module-level-holders"] = found = holders
    holder = found.get(cls.name)
    return holder if isinstance(holder, str) else None


def process_wide_object(ctx: Context, expr: ast.expr) -> str | None:
    """The module-level instance ``expr`` is or hangs off (``billing``, ``app.state``,
    ``tm.auth``), as written; None for anything else (a local, an import, ``g``)."""
    root = expr
    while isinstance(root, ast.Attribute):
        root = root.value
    if not isinstance(root, ast.Name) or not ctx.is_module_global(root.id):
        return None
    if root.id not in module_instances(ctx):
        return None
    binding = ctx.lookup(root.id, root)
    if binding is None or binding.kind != "assign":
        return None
    return root.id


# imported objects that hold one request's or one session's state (framework proxies)
REQUEST_SCOPED_IMPORTS = (
    "flask.g",
    "flask.request",
    "flask.session",
    "quart.g",
    "quart.request",
    "quart.session",
    "streamlit.session_state",
    "bottle.request",
    "bottle.response",
    "contextvars",
    "threading",
)


def imported_object(ctx: Context, root: ast.Name) -> str | None:
    """What ``root`` names when an import binds it at module level (a module, or an
    object of another module: ``from app.config import settings``), unless it is a
    framework's per-request proxy (``flask.g``, ``st.session_state``...) or a class
    (``Cls.x = ...`` is NWS207's); None for anything else."""
    if not ctx.is_module_global(root.id):
        return None
    binding = ctx.lookup(root.id, root)
    if binding is None or binding.kind != "import" or not binding.qualname:
        return None
    qual = binding.qualname
    last = qual.rpartition(".")[2]
    if class_name(last):
        return None  # a class (``Settings``), not an instance
    if any(qual == p or qual.startswith(p + ".") for p in REQUEST_SCOPED_IMPORTS):
        return None
    if qual in ("os", "os.environ"):
        return None  # the process environment: NWS210's
    return qual


def per_request_class(ctx: Context, cls: ast.ClassDef) -> bool:
    """The framework builds an instance of ``cls`` per request (a class-based view,
    a Tornado handler, a Channels consumer): its ``self`` is that request's."""
    paths = request_paths(ctx)
    for stmt in cls.body:
        if isinstance(stmt, FUNCTION_TYPES):
            handler = paths.of(stmt)
            if handler is not None and " view " in f" {handler.how}":
                return True
    return False


def instance_lifetime(ctx: Context) -> str | None:
    """Why ``self`` of the method the current position is in lives per process (a
    reason for the message), or None: middleware, an object whose methods are request
    handlers, an object whose method returns a decorator."""
    cls = ctx.enclosing_class()
    fns = ctx.enclosing_functions()
    if cls is None or not fns:
        return None
    method = fns[-1]  # the outermost: the method itself
    if method not in cls.body or method.name in ("__init__", "__new__", "__post_init__"):
        return None
    if per_request_class(ctx, cls):
        return None
    if len(fns) == 3 and _returns_function(method, fns[1]) and _returns_function(fns[1], fns[0]):
        return f"`{cls.name}.{method.name}` returns a decorator: every call of what it decorates"
    paths = request_paths(ctx)
    handler = paths.of(method)
    if handler is None and isinstance(method, ast.AsyncFunctionDef):
        holder = module_level_holder(ctx, cls)
        if holder is not None:
            return (
                INTERLEAVED
                + f"`{holder}` holds an instance of `{cls.name}` built at import time, "
                f"and `{method.name}` is a coroutine: concurrent calls interleave at every await"
            )
    if handler is None:
        caller = shared_method_caller(ctx, cls, method.name)
        if caller is not None:
            return (
                f"a module-level `{cls.name}` instance serves every request: `{caller}` "
                f"calls its `{method.name}`"
            )
        return None
    if "middleware" in handler.how:
        return f"middleware `{cls.name}` is built once per process"
    if handler.how.startswith("called by"):
        return None  # reached from a handler: ``self`` is whatever that handler's is
    return f"`{cls.name}.{method.name}` is a request handler ({handler.how}) of a shared instance"


# the prefix of :func:`instance_lifetime`'s reason for a coroutine of an object built at
# import time: only a store of what one call received (an awaited response, a user's
# token or identity) is one caller's state there; counters and tasks are the object's
INTERLEAVED = "\x00"
# words naming one user's data in a value kept between awaits
USER_WORDS = ("token", "user", "session", "credential", "secret", "password", "account")


def interleaved_value(ctx: Context, stmt: ast.stmt, value: ast.expr) -> bool:
    """In a coroutine of an object built at import time: ``stmt`` keeps (not ``+=``)
    on ``self`` directly a value that one call received: computed from an awaited
    result, or named as a user's token, identity or session."""
    if isinstance(stmt, ast.AugAssign):
        return False
    fn = ctx.enclosing_functions()[0]
    identity = set(ctx.words.identity_names)
    awaited: set[str] = set()
    assigns = [(n.targets, n.value) for n in ast.walk(fn) if isinstance(n, ast.Assign)]
    for _ in range(4):
        grew = False
        for targets, expr in assigns:
            bound = [b for t in targets for b in _bound_names(t)]
            if not bound or set(bound) <= awaited:
                continue
            if any(isinstance(n, ast.Await) for n in ast.walk(expr)) or _mentions(expr, awaited):
                awaited.update(bound)
                grew = True
        if not grew:
            break
    for n in ast.walk(value):
        name = n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute) else ""
        if name in awaited or name in identity or isinstance(n, ast.Await):
            return True
        if name and any(w in name.lower() for w in USER_WORDS):
            return True
    return False


def _returns_function(outer: FunctionNode, inner: FunctionNode) -> bool:
    if inner not in outer.body:
        return False
    return any(
        isinstance(n, ast.Return) and isinstance(n.value, ast.Name) and n.value.id == inner.name
        for n in ast.walk(outer)
    )


# ---------------------------------------------------------------- entry points
def streamlit_script(ctx: Context) -> bool:
    """The module is a Streamlit script: it imports streamlit and calls it at module
    level (``st.title(...)``): Streamlit runs its module level once per session."""
    found = ctx.rule_state.get("streamlit-script")
    if isinstance(found, bool):
        return found
    found = False
    if STREAMLIT in ctx.source:
        aliases = {
            name
            for name, b in ctx.module_scope.bindings.items()
            if b.kind == "import" and (b.qualname or "").partition(".")[0] == STREAMLIT
        }
        if aliases:
            for stmt in ctx.tree.body:
                if isinstance(stmt, (*FUNCTION_TYPES, ast.ClassDef)):
                    continue
                for node in ast.walk(stmt):
                    if (
                        isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Attribute)
                        and isinstance(node.func.value, ast.Name)
                        and node.func.value.id in aliases
                    ):
                        found = True
                        break
                if found:
                    break
    ctx.rule_state["streamlit-script"] = found
    return found


def entry_point(ctx: Context) -> str | None:
    """Why the code at the current position serves one request (for a message), or
    None: a framework handler (or what one calls in the module), a function with a
    user identity or context in scope, the module level of a Streamlit script."""
    fns = ctx.enclosing_functions()
    if not fns:
        return (
            "the module level of a Streamlit script (it runs once per session)"
            if (streamlit_script(ctx))
            else None
        )
    handler = serving_request(ctx)
    if handler is not None:
        return f"a {handler.framework} handler ({handler.how})"
    if ctx.has_user_identity():
        if unreached(ctx, fns[-1]):
            return None
        identity = set(ctx.words.identity_names)
        for fn in fns:
            for p in params_of(fn):
                if p.name in identity or ctx.is_context_param(p):
                    return f"`{fn.name}` acts for the user `{p.name}`"
        return "code with a user identity in scope"
    return None


# ---------------------------------------------------------------- across modules
def shared_instance_calls(
    ctx: Context, imports: dict[str, str], module: str | None
) -> dict[str, dict[str, str]]:
    """Methods called on a module-level instance from code that serves one request
    (a handler, or a function acting for a user identity), by the absolute name of the
    instance's class: ``{"pkg.server.Server": {"set_user": "app.middleware"}}``. The
    project fact that tells a class's own module that ``self`` there is process-wide."""
    instances = module_instances(ctx)
    if not instances:
        return {}
    classes: dict[str, str] = {}
    for name in instances:
        binding = ctx.module_scope.bindings.get(name)
        call = binding.value if binding is not None else None
        if not isinstance(call, ast.Call):
            continue
        written = dotted_name(call.func) or ""
        head, _, rest = written.partition(".")
        if head in imports:
            classes[name] = imports[head] + (f".{rest}" if rest else "")
        elif head in ctx.module_classes and not rest:
            classes[name] = f"{module}.{head}" if module else head
    if not classes:
        return {}
    paths = request_paths(ctx)
    identity = set(ctx.words.identity_names)
    out: dict[str, dict[str, str]] = {}
    for fn in walk(ctx.tree):
        if not isinstance(fn, FUNCTION_TYPES):
            continue
        handler = paths.of(fn) is not None
        if not handler and not any(p.name in identity for p in params_of(fn)):
            continue
        # a function acting for a user that nothing in its module refers to: only a
        # request path if another module imports it (checked where the fact is used)
        mark = "" if handler or fn not in ctx.tree.body or _referenced(ctx, fn) else "?"
        local = {
            n
            for t in walk(fn)
            if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)
            for n in (t.id,)
        }
        for node in walk(fn):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in classes
                and node.func.value.id not in local
            ):
                where = mark + (f"{module}.{fn.name}" if module else fn.name)
                out.setdefault(classes[node.func.value.id], {}).setdefault(node.func.attr, where)
    return out


def shared_method_caller(ctx: Context, cls: ast.ClassDef, method: str) -> str | None:
    """The function serving a request that calls ``method`` on a module-level instance
    of ``cls`` (in this module, or in project mode anywhere), or None."""
    module = ctx.module_name
    qual = f"{module}.{cls.name}" if module else cls.name
    project = ctx.project
    found: dict[str, dict[str, str]] = getattr(project, "shared_calls", None) or {}
    where = found.get(qual, {}).get(method)
    if where is None:
        own = ctx.rule_state.get("shared-calls")
        if not isinstance(own, dict):
            own = shared_instance_calls(ctx, {}, module)
            ctx.rule_state["shared-calls"] = own
        where = own.get(qual, {}).get(method)
    if where is not None and where.startswith("?"):
        where = where[1:]
        if project is not None and where not in _live_imports(project):
            return None  # its caller is called by nothing that serves a request
    return where


def _imports_by_kind(project: object) -> tuple[frozenset[str], frozenset[str]]:
    """Absolute names (after re-exports) imported by live modules, and by modules of
    tests, examples, demos and scripts; memoised on the project."""
    found = getattr(project, "_imports_by_kind", None)
    if isinstance(found, tuple):
        return found
    live: set[str] = set()
    dead: set[str] = set()
    modules: dict[str, dict[str, object]] = getattr(project, "modules", {}) or {}
    follow = getattr(project, "follow", None)
    seen: set[int] = set()
    for e in modules.values():
        if id(e) in seen:
            continue
        seen.add(id(e))
        into = dead if dead_module(str(e.get("module", ""))) else live
        imports = e.get("imports")
        for target in imports.values() if isinstance(imports, dict) else ():
            into.add(target)
            if callable(follow):
                into.add(follow(target))
    found = (frozenset(live), frozenset(dead))
    with contextlib.suppress(AttributeError):
        project._imports_by_kind = found  # type: ignore[attr-defined]
    return found


def _live_imports(project: object) -> frozenset[str]:
    return _imports_by_kind(project)[0]


def _referenced(ctx: Context, fn: FunctionNode) -> bool:
    """Something in the module of ``fn`` (outside ``fn``) names it."""
    for node in walk(ctx.tree):
        named = (
            isinstance(node, ast.Name) and node.id == fn.name and isinstance(node.ctx, ast.Load)
        ) or (isinstance(node, ast.Attribute) and node.attr == fn.name)
        if named and not _inside(fn, node):
            return True
    return False


def unreached(ctx: Context, fn: FunctionNode) -> bool:
    """(project mode) ``fn``, a module-level function, is called only from tests,
    examples, demos or scripts: they import it, no other module imports it (or its
    module), no framework registers it and nothing in its module refers to it. A
    setter called only from an example script is not a request path. (A function no
    module imports at all is taken as reached: a caller may be outside the project;
    and the project's names say which files need it: see ``ProjectIndex``.)"""
    project, module = ctx.project, ctx.module_name
    if project is None or not module or fn not in ctx.tree.body:
        return False
    if request_paths(ctx).of(fn) is not None:
        return False
    qual = f"{module}.{fn.name}"
    live, dead = _imports_by_kind(project)
    if qual not in dead or qual in live or module in live:
        return False
    return not _referenced(ctx, fn)


def _inside(fn: FunctionNode, node: ast.AST) -> bool:
    line = getattr(node, "lineno", 0)
    return fn.lineno <= line <= (fn.end_lineno or fn.lineno)
