"""NWS1: process-wide singletons of user-scoped objects."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field

from netra_ws_lint.analysis.semantic import (
    FUNCTION_TYPES,
    Binding,
    Context,
    FunctionNode,
    Scope,
    annotation_names,
    dotted_name,
    iter_child_stmts_no_scopes,
    params_of,
)
from netra_ws_lint.config import matches_any
from netra_ws_lint.rules.base import Rule, register
from netra_ws_lint.rules.fixes import accessor_fix


@register
class DeprecatedAccessorCall(Rule):
    """
    ## What it does
    Flags every call of a deprecated process-wide accessor such as
    `get_websocket_manager()`, however it is imported or aliased
    (`from pkg import get_websocket_manager as g; g()`,
    `import pkg.websocket_core as wc; wc.get_websocket_manager()`, method calls).

    ## Why is this bad?
    The accessor returns one object shared by the whole process. A WebSocket manager
    shared by every user delivers one user's events to whoever is registered on it:
    with many users at once, a message for user A can reach user B.

    ## Example
    ```python
    async def run_agent(user_context: UserExecutionContext) -> None:
        manager = get_websocket_manager()
        await manager.send_event("agent_started")
    ```

    ## Use instead
    ```python
    async def run_agent(user_context: UserExecutionContext) -> None:
        manager = create_websocket_manager(user_context)
        await manager.send_event("agent_started")
    ```

    ## Fix
    Safe fix when a user context is in scope (a context parameter of an enclosing
    function or lambda, `self.<attr>` in a method of a class whose `__init__` stores its
    context there, or a local bound from one before the call): the call becomes the
    configured replacement called with that context, written as the call was
    (`gwm()` -> `create_websocket_manager(user_context)`, `ws.get_websocket_manager()` ->
    `ws.create_websocket_manager(user_context)`), and the import is rewritten: the new
    name takes the old one's place in the same statement (other names kept), or joins
    it while something else still uses the old name. A replacement configured as
    `await create_x` is awaited (only directly inside an `async def`). No edit, and the
    site is listed as manual, when no context is in scope, at import time (a
    module-level instance), for a call with arguments or on an object, or when the
    import to change is ambiguous.

    ## Options
    `deprecated-accessors` (`old -> replacement` pairs; `old -> await replacement` for a
    coroutine function), `context-names`, `context-types`.
    """

    code = "NWS101"
    name = "deprecated-accessor-call"
    message = "call of deprecated process-wide accessor `{name}()`; use `{replacement}`"
    summary = "Call of a deprecated process-wide accessor such as `get_websocket_manager()`."
    options = ("deprecated-accessors",)

    INVALID = [
        # plain import, inside an async function
        (
            "from app.websocket_core import get_websocket_manager\n"
            "\n"
            "async def run_agent(user_context):\n"
            "    manager = get_websocket_manager()  # expect: NWS101@15\n"
            "    await manager.send_event('started')\n"
        ),
        # alias and module import, nested function and lambda
        (
            "import app.websocket_core as wc\n"
            "from app.websocket_core import get_websocket_manager as gwm\n"
            "\n"
            "def outer():\n"
            "    def inner():\n"
            "        return wc.get_websocket_manager()  # expect: NWS101@16\n"
            "    later = lambda: gwm()  # expect: NWS101@21\n"
            "    return inner, later\n"
        ),
        # module level (also NWS103), method call on an attribute, decorator argument
        (
            "manager = get_websocket_manager()  # expect: NWS103\n"
            "\n"
            "class Handler:\n"
            "    @retry(on=services.get_websocket_manager())  # expect: NWS101@15\n"
            "    async def handle(self, message):\n"
            "        await self.registry.get_websocket_manager().broadcast(message)"
            "  # expect: NWS101@15\n"
        ),
        # odd formatting, comprehension, await of the result
        (
            "async def fan_out(users):\n"
            "    return [\n"
            "        await (\n"
            "            get_websocket_manager  # expect: NWS101@13\n"
            "            (\n"
            "            )\n"
            "        ).send_to_user(u, 'hi')\n"
            "        for u in users\n"
            "    ]\n"
        ),
        # a configured accessor of the team's own
        (
            '# options: {"extend-deprecated-accessors": ["get_bridge -> create_bridge"]}\n'
            "from app.bridge import get_bridge\n"
            "\n"
            "def handle(event):\n"
            "    get_bridge().publish(event)  # expect: NWS101@5\n"
        ),
    ]
    VALID = [
        # the accessor's new signature, given the user context: not deprecated use
        "from app.ws import get_websocket_manager\n"
        "\n"
        "async def handle(ctx):\n"
        "    await get_websocket_manager(user_context=ctx).send_event('x')\n",
        "async def run_agent(user_context):\n"
        "    manager = create_websocket_manager(user_context)\n"
        "    await manager.send_event('started')\n",
        # only mentioned, never called; strings and comments are not code
        "from app import websocket_core\n"
        "HOOK = websocket_core.get_websocket_manager\n"
        "doc = 'call get_websocket_manager() never'\n"
        "# get_websocket_manager()\n",
        # a local parameter that shadows the name is not the accessor
        "def build(get_websocket_manager):\n    return get_websocket_manager()\n",
        # similar but different names
        "def f(user_context):\n"
        "    get_websocket_manager_factory()\n"
        "    manager.get_websocket_managers()\n",
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._import_time: set[int] = set()  # calls NWS103 reports with their binding

    def _binding(self, value: ast.AST | None) -> None:
        ctx = self.ctx
        if (
            value is not None
            and ctx.scope.kind in ("module", "class")
            and ctx.at_import_time()
            and ctx.reports(ModuleLevelUserInstance.code)
        ):
            self._import_time.update(id(c) for c in _value_calls(ctx, value, [], False))

    def visit_Assign(self, node: ast.Assign) -> None:
        self._binding(node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._binding(node.value)

    def visit_Call(self, node: ast.Call) -> None:
        name = self.ctx.callee(node)
        if not self.ctx.is_deprecated_accessor(name):
            return
        assert name is not None
        if id(node) in self._import_time or self.ctx.passes_user_context(node):
            return  # one finding (NWS103), or the accessor's context-taking signature
        short = name.rpartition(".")[2]
        replacement = self.ctx.accessor_replacement(name) or "a per-request factory"
        fix = accessor_fix(self.ctx, node, name)
        self.report(node, name=short, replacement=replacement, fix=fix)


@register
class DeprecatedAccessorImport(Rule):
    """
    ## What it does
    Flags an import of a deprecated process-wide accessor
    (`from app.websocket_core import get_websocket_manager`), once per import
    statement, aliased or not, at module level or inside a function.

    ## Why is this bad?
    While the name is imported, the process-wide manager is one call away, and new
    code copies the old pattern. Removing the import finishes the migration of a
    module.

    ## Example
    ```python
    from app.websocket_core import get_websocket_manager, WebSocketMessage
    ```

    ## Use instead
    ```python
    from app.websocket_core import create_websocket_manager, WebSocketMessage
    ```

    ## Fix
    Updated together with the NWS101 fix of the last call that uses the import.

    ## Options
    `deprecated-accessors`.
    """

    code = "NWS102"
    name = "deprecated-accessor-import"
    message = "import of deprecated process-wide accessor `{name}`"
    summary = "Import of a deprecated process-wide accessor."
    options = ("deprecated-accessors",)

    INVALID = [
        "from app.websocket_core import get_websocket_manager  # expect: NWS102@1\n",
        "from app.websocket_core import (  # expect: NWS102\n"
        "    WebSocketMessage,\n"
        "    get_websocket_manager as gwm,\n"
        ")\n",
        "def handler():\n"
        "    from .core import get_websocket_manager  # expect: NWS102@5\n"
        "    return get_websocket_manager  # not a call\n",
        "try:\n"
        "    from app.ws import get_websocket_manager  # expect: NWS102@5\n"
        "except ImportError:\n"
        "    from legacy.ws import get_websocket_manager  # expect: NWS102@5\n",
    ]
    VALID = [
        # a function-local import directly followed by its call: NWS101 reports the call
        "def handler(user_id):\n"
        "    from app.ws import get_websocket_manager\n"
        "    return get_websocket_manager().send_to_user(user_id, {})\n",
        "from app.websocket_core import create_websocket_manager\n",
        # importing the module is not importing the accessor
        "import app.websocket_core as wc\n",
        "from app.websocket_core import get_websocket_manager_stats\n",
        "from app import get_websocket_manager_v2 as get_websocket\n",
    ]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        for alias in node.names:
            if self.ctx.is_deprecated_accessor(f"{module}.{alias.name}"):
                if not self._call_reported(alias.asname or alias.name):
                    self.report(node, name=alias.name)
                return

    def _call_reported(self, bound: str) -> bool:
        """NWS101 reports a call through the imported name in the import's scope
        (then that call is the one finding for the import)."""
        ctx = self.ctx
        if not ctx.reports(DeprecatedAccessorCall.code):
            return False
        return any(
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Name)
            and n.func.id == bound
            and not ctx.passes_user_context(n)
            for n in ast.walk(ctx.scope.node)
        )


# --------------------------------------------------------------------------- shared helpers


def _user_kind(ctx: Context, name: str | None) -> str | None:
    """What makes a called name user-scoped: ``"deprecated accessor"``, ``"context
    factory"``, ``"user-scoped type"``, or None."""
    if name is None:
        return None
    if ctx.is_deprecated_accessor(name):
        return "deprecated accessor"
    if ctx.is_user_scoped_type(name):
        return "user-scoped type"
    if ctx.is_context_factory(name):
        return "context factory"
    return None


def _is_cast(ctx: Context, call: ast.Call) -> bool:
    return len(call.args) == 2 and ctx.resolve(call.func) in ("typing.cast", "cast")


def _value_calls(
    ctx: Context, value: ast.AST, seen: list[ast.AST], allow_await: bool
) -> list[ast.Call]:
    """The calls whose result ``value`` evaluates to, through the transparent wrappers
    ``(x := call)``, ``a if c else b``, ``a or b``, ``typing.cast(T, call)`` (and
    ``await call`` when ``allow_await``). Walrus nodes met are appended to ``seen``."""
    out: list[ast.Call] = []
    todo = [value]
    while todo:
        v = todo.pop()
        if isinstance(v, ast.Call):
            if _is_cast(ctx, v):
                todo.append(v.args[1])
            else:
                out.append(v)
        elif isinstance(v, ast.NamedExpr):
            seen.append(v)
            todo.append(v.value)
        elif isinstance(v, ast.IfExp):
            todo += (v.orelse, v.body)
        elif isinstance(v, ast.BoolOp):
            todo.extend(reversed(v.values))
        elif isinstance(v, ast.Await) and allow_await:
            todo.append(v.value)
    return out


def _call_label(ctx: Context, call: ast.Call) -> str:
    return dotted_name(call.func) or ctx.callee(call) or "<call>"


def _short(node: ast.AST, limit: int = 60) -> str:
    try:
        text = ast.unparse(node)
    except (ValueError, RecursionError, AttributeError):  # pragma: no cover - defensive
        text = "<target>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- NWS103


@register
class ModuleLevelUserInstance(Rule):
    """
    ## What it does
    Flags a binding at module level or in a class body whose value is a call of a
    deprecated accessor (`get_websocket_manager()`), of a context factory
    (`create_websocket_manager(...)`, or any function/class of the module taking a
    user context) or of a user-scoped type (`WebSocketManager()`, `ws.UserEmitter(...)`):
    plain, annotated and chained assignments, tuple unpacking, and `:=` at module
    level. Names are resolved through imports and aliases. The value may be wrapped
    in parentheses, `a if cond else b`, `a or b`, `(x := ...)` or `typing.cast(T, ...)`;
    a call *inside* another call or a container (`Proxy(WebSocketManager())`,
    `[WebSocketManager()]`) is not a binding of the instance and is not flagged here.
    Blocks that still run at import time count as module level: `if TYPE_CHECKING:`,
    `try:`/`except`, `if __name__ == "__main__":` (a server started there serves
    every user from that one object). A class body counts when the class itself is
    created at import time (not a class defined inside a function).

    ## Why is this bad?
    The object is built once, when the module is imported, and then every request of
    every user shares it: events sent through a module-level manager reach whoever is
    registered on it, and its locks, queues and caches mix users' state.

    ## Example
    ```python
    from app.websocket_core import get_websocket_manager

    manager = get_websocket_manager()


    class AgentService:
        notifier = WebSocketNotifier()
    ```

    ## Use instead
    ```python
    from app.websocket_core import create_websocket_manager


    class AgentService:
        def __init__(self, user_context: UserExecutionContext) -> None:
            self.manager = create_websocket_manager(user_context)
            self.notifier = WebSocketNotifier(user_context)
    ```

    ## Fix
    No automatic fix: the object has to be built per request from the user's context
    and passed to (or built inside) the code that used the global; the migration
    report lists the steps.

    ## Options
    `deprecated-accessors`, `context-factories`, `user-scoped-types`, `context-types`,
    `context-names` (which callables take a user context).
    """

    code = "NWS103"
    name = "module-level-user-instance"
    message = (
        "{where} `{target}` holds `{call}()` ({kind}), built once at import time and "
        "shared by every user"
    )
    summary = "Module-level or class-body binding of a user-scoped instance (built at import time)."
    options = (
        "deprecated-accessors",
        "context-factories",
        "user-scoped-types",
        "context-types",
        "context-names",
    )

    INVALID = [
        # deprecated accessor under the imports; alias and module import; chained target
        (
            "import app.websocket_core as wc\n"
            "from app.websocket_core import get_websocket_manager as gwm\n"
            "\n"
            "manager = gwm()  # expect: NWS103@1\n"
            "default = fallback = wc.get_websocket_manager()  # expect: NWS103@1\n"
            "bridge = wc.AgentWebSocketBridge(timeout=5)  # expect: NWS103@1\n"
        ),
        # annotated assignment, tuple unpacking, odd formatting
        (
            "from app.ws import WebSocketManager, create_websocket_manager\n"
            "\n"
            "manager: WebSocketManager = WebSocketManager()  # expect: NWS103@1\n"
            "notifier, retries = (  # expect: NWS103@1\n"
            "    UserWebSocketNotifier(), 3\n"
            ")\n"
            "system_manager = (  # expect: NWS103@1\n"
            "    create_websocket_manager\n"
            "    (SYSTEM_CONTEXT)\n"
            ")\n"
        ),
        # class bodies (also a nested class), ClassVar annotation, conditional value
        (
            "from typing import ClassVar\n"
            "\n"
            "class AgentService:\n"
            "    emitter = EventEmitter()  # expect: NWS103@5\n"
            "    manager: ClassVar[WebSocketManager] = WebSocketManager()  # expect: NWS103@5\n"
            "    class Config:\n"
            "        bridge = get_websocket_manager() if LEGACY else None  # expect: NWS103@9\n"
        ),
        # still module level: TYPE_CHECKING, try/except, __main__ block, walrus, cast
        (
            "from typing import TYPE_CHECKING, cast\n"
            "if TYPE_CHECKING:\n"
            "    manager = get_websocket_manager()  # expect: NWS103@5\n"
            "try:\n"
            "    bridge = cast('Bridge', WebSocketBridge())  # expect: NWS103@5\n"
            "except ImportError:\n"
            "    bridge = None\n"
            "if (m := get_websocket_manager()) is not None:  # expect: NWS103@5\n"
            "    pass\n"
            "if __name__ == '__main__':\n"
            "    server_manager = WebSocketManager()  # expect: NWS103@5\n"
        ),
        # a same-module class or function taking a user context is a context factory
        (
            "class RunTracker:\n"
            "    def __init__(self, user_context: UserExecutionContext) -> None:\n"
            "        self.user_context = user_context\n"
            "\n"
            "def build_notifier(ctx, channel):\n"
            "    return Notifier(ctx, channel)\n"
            "\n"
            "tracker = RunTracker(None)  # expect: NWS103@1\n"
            "notifier = build_notifier(None, 'agents')  # expect: NWS103@1\n"
        ),
        # a configured user-scoped type of the team's own
        (
            '# options: {"extend-user-scoped-types": ["*Session"]}\n'
            "import app.chat as chat\n"
            "session = chat.ChatSession()  # expect: NWS103@1\n"
        ),
        # a context factory inferred from its body, called at import time
        (
            "class ReportClient:\n"
            "    def __init__(self, user_context=None):\n"
            "        self.user_context = user_context\n"
            "\n"
            "def create_report_client(user_context=None):\n"
            "    return ReportClient(user_context)\n"
            "\n"
            "reports = create_report_client()  # expect: NWS103@1\n"
        ),
    ]
    VALID = [
        # the same calls inside functions (async too) and lambdas run per request
        "async def handle(user_context):\n"
        "    manager = create_websocket_manager(user_context)\n"
        "    bridge = WebSocketBridge(user_context)\n"
        "    await manager.send_event('started')\n"
        "\n"
        "make = lambda ctx: create_websocket_manager(ctx)\n",
        # references, not calls; dataclass field factories build per instance
        "from dataclasses import dataclass, field\n"
        "from app.ws import WebSocketManager, get_websocket_manager\n"
        "MANAGER_CLASS = WebSocketManager\n"
        "ACCESSOR = get_websocket_manager\n"
        "\n"
        "@dataclass\n"
        "class Service:\n"
        "    manager: WebSocketManager = field(default_factory=WebSocketManager)\n"
        "    manager_type = WebSocketManager\n",
        # a class defined inside a function is created per call
        "def make_handler(user_context):\n"
        "    class Handler:\n"
        "        manager = create_websocket_manager(user_context)\n"
        "    return Handler\n",
        # annotation only, and other (shared on purpose) objects at module level
        "import logging\n"
        "from typing import Optional\n"
        "manager: Optional['WebSocketManager'] = None\n"
        "logger = logging.getLogger(__name__)\n"
        "engine = create_engine(DATABASE_URL)\n"
        "manager_stats = get_websocket_manager_stats()\n",
        # an instance built at import time but not bound by itself
        "from app.ws import WebSocketManager\n"
        "registry = Registry(WebSocketManager())\n"
        "handlers = {'default': WebSocketManager}\n"
        "if __debug__:\n"
        "    WebSocketManager().self_test()\n",
        # a local class whose __init__ takes no user context is not user-scoped
        "class Settings:\n"
        "    def __init__(self, env='prod'):\n"
        "        self.env = env\n"
        "\n"
        "settings = Settings()\n",
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._handled: set[int] = set()  # walrus nodes already reported with their statement

    def _import_time(self) -> str | None:
        """``"module"`` or the class name when a binding here runs at import time."""
        scopes = self.ctx.scopes
        kind = scopes[-1].kind
        if kind == "module":
            return "module"
        if kind != "class" or any(s.kind not in ("module", "class") for s in scopes):
            return None
        node = scopes[-1].node
        return node.name if isinstance(node, ast.ClassDef) else None

    def _check(
        self, node: ast.AST, targets: list[ast.expr], value: ast.AST, where: str | None
    ) -> None:
        if where is None:
            return
        ctx = self.ctx
        seen: list[ast.AST] = []
        pairs: list[tuple[ast.expr, ast.AST]] = []
        for target in targets:
            sequences = (ast.Tuple, ast.List)
            if (
                isinstance(target, sequences)
                and isinstance(value, sequences)
                and len(target.elts) == len(value.elts)
            ):
                pairs += zip(target.elts, value.elts)
            else:
                pairs.append((target, value))
        for target, sub in pairs:
            for call in _value_calls(ctx, sub, seen, allow_await=False):
                kind = _user_kind(ctx, ctx.callee(call))
                if kind is not None:
                    self._handled.update(id(n) for n in seen)
                    label = _short(target)
                    place = "module-level" if where == "module" else "class attribute"
                    if where != "module":
                        label = f"{where}.{label}"
                    self.report(
                        node, where=place, target=label, call=_call_label(ctx, call), kind=kind
                    )
                    return

    def visit_Assign(self, node: ast.Assign) -> None:
        if self.ctx.scope.kind in ("module", "class"):
            self._check(node, node.targets, node.value, self._import_time())

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None and self.ctx.scope.kind in ("module", "class"):
            self._check(node, [node.target], node.value, self._import_time())

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        if id(node) in self._handled:
            return
        scopes = self.ctx.scopes
        i = len(scopes) - 1
        while i > 0 and scopes[i].kind == "comprehension":
            i -= 1  # a walrus in a comprehension binds in the enclosing scope
        if scopes[i].kind == "module":
            self._check(node, [node.target], node.value, "module")


# --------------------------------------------------------------------------- NWS104

_CACHE_DECORATORS = frozenset(
    {
        "functools.lru_cache",
        "functools.cache",
        "lru_cache",
        "cache",
        "async_lru.alru_cache",
        "alru_cache",
    }
)


@dataclass
class _FunctionFacts:
    """What one walk over a function body finds (nested scopes not entered)."""

    globals: set[str] = field(default_factory=set)
    assigns: list[tuple[str, ast.AST]] = field(default_factory=list)  # name = value
    calls: list[ast.Call] = field(default_factory=list)
    returns: list[ast.expr] = field(default_factory=list)  # returned values

    def local_value(self, name: str) -> ast.AST | None:
        """The value last bound to the local ``name``, if any."""
        if name in self.globals:
            return None
        found = None
        for n, v in self.assigns:
            if n == name:
                found = v
        return found


def _function_facts(fn: FunctionNode) -> _FunctionFacts:
    facts = _FunctionFacts()
    for sub in iter_child_stmts_no_scopes(fn.body):
        if isinstance(sub, ast.Call):
            facts.calls.append(sub)
        elif isinstance(sub, ast.Assign):
            facts.assigns += [(t.id, sub.value) for t in sub.targets if isinstance(t, ast.Name)]
        elif isinstance(sub, (ast.AnnAssign, ast.NamedExpr)):
            if sub.value is not None and isinstance(sub.target, ast.Name):
                facts.assigns.append((sub.target.id, sub.value))
        elif isinstance(sub, ast.Global):
            facts.globals.update(sub.names)
        elif isinstance(sub, ast.Return) and sub.value is not None:
            facts.returns.append(sub.value)
    return facts


# calls that compute plain values (immutable, or containers: NWS2 rules cover those),
# not objects worth listing as singletons
_VALUE_CALLS = frozenset(
    {
        "bool",
        "int",
        "float",
        "complex",
        "str",
        "bytes",
        "tuple",
        "frozenset",
        "len",
        "repr",
        "list",
        "dict",
        "set",
        "sorted",
        "re.compile",
        "re.escape",
    }
)
_VALUE_METHODS = frozenset(
    {
        "join",
        "format",
        "strip",
        "lstrip",
        "rstrip",
        "split",
        "rsplit",
        "splitlines",
        "lower",
        "upper",
        "casefold",
        "replace",
        "encode",
        "decode",
        "partition",
        "rpartition",
    }
)


def _is_value_call(ctx: Context, call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _VALUE_METHODS:
        return True
    return ctx.resolve(func) in _VALUE_CALLS


def _is_none_slot(binding: Binding) -> bool:
    """A module binding ``_x = None`` or ``_x: T`` (declared, no value)."""
    node = binding.node
    if isinstance(node, ast.AnnAssign) and node.value is None:
        return True
    value = binding.value
    return isinstance(value, ast.Constant) and value.value is None


def _first_param(fn: FunctionNode) -> str | None:
    positional = [*fn.args.posonlyargs, *fn.args.args]
    return positional[0].arg if positional else None


def _last(name: str) -> str:
    return name.rpartition(".")[2]


def _is_metaclass(ctx: Context, cls: ast.ClassDef) -> bool:
    """A class deriving from ``type`` or from a ``*Meta``/``*Metaclass``/``*Type`` class."""
    for base in cls.bases:
        name = ctx.resolve(base)
        if name is None:
            continue
        last = _last(name)
        if last == "type" or last.endswith(("Meta", "meta", "MetaClass", "Metaclass", "EnumType")):
            return True
    return False


def _is_singleton_name(name: str) -> bool:
    return "singleton" in _last(name).lower()


@dataclass
class _ClassSingleton:
    """A class-level singleton found in the file, reported when the module is done
    (its user-scoped subclasses and metaclass users may be defined below it)."""

    node: ast.ClassDef  # where it is reported
    kind: str  # "new" (instance cached on the class), "metaclass", "named"
    how: str
    via: str | None = None  # "named": the singleton base / metaclass name
    hint: str | None = None  # why it is user-scoped (a caching method's accessor name)


@register
class SingletonDefinition(Rule):
    """
    ## What it does
    Flags the definition of a process-wide singleton, in four shapes:

    - a lazy `global` getter: a module-level `_x = None` (or `_x: T`) and a function
      doing `global _x` and binding `_x = Cls()` (also through a local, `await`,
      `a if c else b`); reported at the function's `def`;
    - a class caching its own instance on the class: `__new__` storing
      `super().__new__(cls)` / `object.__new__(cls)` in `cls._instance` (or
      `cls._instances[cls]`), or a classmethod/staticmethod storing `cls()` /
      `ClassName()` there (`get_instance()`); reported at the `class` line;
    - a zero-argument `@functools.lru_cache` / `@lru_cache(maxsize=None)` /
      `@functools.cache` / `@alru_cache` factory (also a `@classmethod` taking only
      `cls` that returns `cls(...)`); reported at the `def` line, not the decorator's;
    - a singleton metaclass: a metaclass whose `__call__` stores
      `super().__call__(...)` in `cls._instances[cls]` / `cls._instance`; reported at
      the metaclass's `class` line. A class using an *imported* metaclass or base whose
      name contains `Singleton` (`class Hub(metaclass=SingletonMeta)`) is reported at
      its own `class` line, since the definition is not in this file.

    Not flagged: a function resetting the global to `None`, a setter storing a
    parameter, a lazily computed plain value (`re.compile(...)`, `tuple(...)`,
    `"".join(...)`, `list()`/`dict()`: mutated containers are NWS201/NWS202), a cached
    zero-argument function that returns no built object (a run-once guard),
    `self.x = ...` in an instance method, `@lru_cache(maxsize=0)`.

    A default finding when the singleton is user-scoped: the getter has a deprecated
    accessor's name, returns a user-scoped type (annotation) or builds one, a context
    factory or a deprecated accessor's result; for a class singleton, the class, or a
    subclass of it in the same module, is a user-scoped type; for a singleton
    metaclass, a class of the module using it (or a subclass of one) is a user-scoped
    type. For any other type (database engines, settings, HTTP clients, a metaclass
    not used in this module) it is an *audit* finding, shown with `--audit` or when
    NWS104 is selected explicitly.

    ## Why is this bad?
    A singleton of a user-scoped object is one object for the whole process: every
    request of every user gets the same WebSocket manager, so one user's events reach
    another user's connections and per-user state (queues, locks, caches) is mixed.
    Singletons of other types are often shared on purpose, but each one is worth a
    look in a multi-user backend: the audit lists them.

    ## Example
    ```python
    _manager: WebSocketManager | None = None


    def get_websocket_manager() -> WebSocketManager:
        global _manager
        if _manager is None:
            _manager = WebSocketManager()
        return _manager


    class Singleton(type):
        _instances = {}

        def __call__(cls, *args, **kwargs):
            if cls not in cls._instances:
                cls._instances[cls] = super().__call__(*args, **kwargs)
            return cls._instances[cls]


    class UnifiedWebSocketManager(metaclass=Singleton):
        ...
    ```

    ## Use instead
    ```python
    def create_websocket_manager(user_context: UserExecutionContext) -> WebSocketManager:
        return WebSocketManager(user_context)


    class UnifiedWebSocketManager:
        def __init__(self, user_context: UserExecutionContext) -> None:
            self.user_context = user_context
    ```

    ## Fix
    No automatic fix: callers of the getter must receive the user's context and use
    the per-request factory instead. For a singleton that is shared on purpose (a
    connection pool, the settings), add the getter's or the class's name to
    `allowed-singletons`.

    ## Options
    `allowed-singletons` (getter, class or global names, globs allowed: no finding at
    all for them), `user-scoped-types`, `deprecated-accessors`, `context-factories`,
    `context-types`, `context-names`.
    """

    code = "NWS104"
    name = "singleton-definition"
    message = "`{name}` is a process-wide singleton ({how}){user}"
    summary = (
        "Definition of a process-wide singleton (lazy global getter, caching `__new__`, "
        "zero-argument cache factory, singleton metaclass); audit for non-user-scoped types."
    )
    options = (
        "allowed-singletons",
        "user-scoped-types",
        "deprecated-accessors",
        "context-factories",
        "context-types",
        "context-names",
    )

    INVALID = [
        # lazy global getter with a deprecated accessor's name; alias import; annotated slot
        (
            "from typing import Optional\n"
            "from app.ws import UnifiedWebSocketManager as Manager\n"
            "\n"
            "_manager: Optional[Manager] = None\n"
            "\n"
            "def get_websocket_manager():  # expect: NWS104@1\n"
            "    global _manager\n"
            "    if _manager is None:\n"
            "        _manager = Manager()\n"
            "    return _manager\n"
        ),
        # async getter building a user-scoped type through a module import and a local
        (
            "import asyncio\n"
            "import app.ws as ws\n"
            "\n"
            "_bridge = None\n"
            "_lock = asyncio.Lock()\n"
            "\n"
            "@log_calls\n"
            "async def get_bridge():  # expect: NWS104@1\n"
            "    global _bridge\n"
            "    async with _lock:\n"
            "        if _bridge is None:\n"
            "            bridge = ws.AgentWebSocketBridge(); await bridge.start()\n"
            "            _bridge = bridge\n"
            "    return _bridge\n"
        ),
        # __new__ caching cls._instance, reported at the class line (not the decorator)
        (
            "@final\n"
            "class UnifiedWebSocketManager:  # expect: NWS104@1\n"
            "    _instance = None\n"
            "\n"
            "    def __new__(cls, *args, **kwargs):\n"
            "        if cls._instance is None:\n"
            "            cls._instance = super().__new__(cls)\n"
            "        return cls._instance\n"
            "\n"
            "    async def send_to_user(self, user_id, message):\n"
            "        ...\n"
        ),
        # zero-argument cache factories, reported at the def line; a get_instance classmethod
        (
            "import functools\n"
            "from functools import cache as memo\n"
            "\n"
            "@functools.lru_cache(maxsize=None)\n"
            "def manager_factory() -> 'WebSocketManager':  # expect: NWS104@1\n"
            "    return build()\n"
            "\n"
            "class Hub:\n"
            "    @staticmethod\n"
            "    @memo\n"
            "    def notifier():  # expect: NWS104@5\n"
            "        return UserWebSocketNotifier()\n"
            "\n"
            "class ChatEmitter:  # expect: NWS104@1\n"
            "    _default = None\n"
            "\n"
            "    @classmethod\n"
            "    def get_instance(cls):\n"
            "        if cls._default is None:\n"
            "            cls._default = cls()\n"
            "        return cls._default\n"
            "\n"
            "    def emit_event(self, user_id, event):\n"
            "        ...\n"
        ),
        # a singleton metaclass used by a user-scoped class (through a subclass too);
        # an imported singleton metaclass
        (
            "from app.utils import SingletonMeta\n"
            "\n"
            "class Singleton(type):  # expect: NWS104@1\n"
            "    _instances = {}\n"
            "    def __call__(cls, *args, **kwargs):\n"
            "        if cls not in cls._instances:\n"
            "            cls._instances[cls] = super().__call__(*args, **kwargs)\n"
            "        return cls._instances[cls]\n"
            "\n"
            "class BaseService(metaclass=Singleton):\n"
            "    pass\n"
            "\n"
            "class EventEmitter(BaseService):\n"
            "    def emit_event(self, user_id, event): ...\n"
            "\n"
            "class UserWebSocketBridge(metaclass=SingletonMeta):  # expect: NWS104@1\n"
            "    def __init__(self):\n"
            "        self.queues = {}\n"
            "\n"
            "    def attach(self, user_id, queue):\n"
            "        self.queues[user_id] = queue\n"
        ),
        # under audit: singletons of other types (DB engine, settings, base class)
        (
            '# options: {"audit": true}\n'
            "import functools\n"
            "from sqlalchemy import create_engine\n"
            "\n"
            "_engine = None\n"
            "\n"
            "def get_engine():  # expect: NWS104@1\n"
            "    global _engine\n"
            "    if _engine is None:\n"
            "        _engine = create_engine(URL)\n"
            "    return _engine\n"
            "\n"
            "@functools.lru_cache()\n"
            "def get_settings():  # expect: NWS104@1\n"
            "    return Settings()\n"
            "\n"
            "class Registry:  # expect: NWS104@1\n"
            "    def __new__(cls):\n"
            "        it = cls.__dict__.get('__it__')\n"
            "        if it is None:\n"
            "            inst = object.__new__(cls)\n"
            "            cls.__it__ = inst\n"
            "        return cls.__it__\n"
        ),
        # async zero-argument cache factory, odd formatting; a metaclass singleton of
        # other types and a get_instance classmethod are audit findings
        (
            '# options: {"audit": true}\n'
            "from async_lru import alru_cache\n"
            "\n"
            "@alru_cache(\n"
            "    maxsize=1)\n"
            "async def notifier_factory(  # expect: NWS104@1\n"
            "\n"
            "):\n"
            "    return await connect_notifier()\n"
            "\n"
            "class Once(type):  # expect: NWS104@1\n"
            "    def __call__(cls, *args, **kwargs):\n"
            "        instance = super().__call__(*args, **kwargs)\n"
            "        cls._instance = instance\n"
            "        return instance\n"
            "\n"
            "class Config(metaclass=Once):\n"
            "    pass\n"
        ),
        # allowed-singletons exempts the engine, but a user-scoped getter is still flagged
        (
            '# options: {"allowed-singletons": ["get_engine"], "audit": true}\n'
            "_engine = None\n"
            "_emitter = None\n"
            "\n"
            "def get_engine():\n"
            "    global _engine\n"
            "    _engine = _engine or create_engine(URL)\n"
            "    return _engine\n"
            "\n"
            "def get_emitter():  # expect: NWS104@1\n"
            "    global _emitter\n"
            "    _emitter = _emitter or EventEmitter()\n"
            "    return _emitter\n"
        ),
        # a lazy getter under a lock, through a local variable, of a class whose
        # instances hold per-user state (an inferred user-scoped type)
        (
            "import threading\n"
            "\n"
            "_lock = threading.RLock()\n"
            "_tracker = None\n"
            "\n"
            "class SessionTracker:\n"
            "    def __init__(self):\n"
            "        self._per_user = {}\n"
            "\n"
            "    def track(self, user_id, event):\n"
            "        self._per_user.setdefault(user_id, []).append(event)\n"
            "\n"
            "def get_tracker():  # expect: NWS104@1\n"
            "    global _tracker\n"
            "    if _tracker is None:\n"
            "        with _lock:\n"
            "            if _tracker is None:\n"
            "                tracker = SessionTracker()\n"
            "                _tracker = tracker\n"
            "    return _tracker\n"
        ),
    ]
    VALID = [
        # per-request factories; a cache keyed by the user context is NWS203, not a singleton
        "import functools\n"
        "\n"
        "def create_websocket_manager(user_context):\n"
        "    return WebSocketManager(user_context)\n"
        "\n"
        "@functools.lru_cache(maxsize=128)\n"
        "def manager_for(user_id):\n"
        "    return WebSocketManager()\n",
        # singletons of other types are audit findings only (not shown by default)
        "import functools\n"
        "_engine = None\n"
        "\n"
        "def get_engine():\n"
        "    global _engine\n"
        "    if _engine is None:\n"
        "        _engine = create_engine(DATABASE_URL)\n"
        "    return _engine\n"
        "\n"
        "@functools.cache\n"
        "def get_settings():\n"
        "    return Settings()\n",
        # allowed-singletons: by getter name, and by class name (globs), even under audit
        '# options: {"allowed-singletons": ["get_manager", "*Registry"], "audit": true}\n'
        "_manager = None\n"
        "\n"
        "def get_manager():\n"
        "    global _manager\n"
        "    _manager = WebSocketManager()\n"
        "    return _manager\n"
        "\n"
        "class PluginRegistry:\n"
        "    _instance = None\n"
        "    def __new__(cls):\n"
        "        if cls._instance is None:\n"
        "            cls._instance = super().__new__(cls)\n"
        "        return cls._instance\n",
        # not singletons: a reset function, a setter, a per-instance lazy attribute,
        # a global that is a cache dict, lru_cache(maxsize=0), a metaclass registry
        '# options: {"audit": true}\n'
        "import functools\n"
        "_manager = None\n"
        "_cache = {}\n"
        "\n"
        "def reset():\n"
        "    global _manager, _cache\n"
        "    _manager = None\n"
        "    _cache = {}\n"
        "\n"
        "def install(manager):\n"
        "    global _manager\n"
        "    _manager = manager\n"
        "\n"
        "class Node:\n"
        "    def child(self):\n"
        "        if self._child is None:\n"
        "            self._child = Node()\n"
        "        return self._child\n"
        "\n"
        "@functools.lru_cache(maxsize=0)\n"
        "def uncached():\n"
        "    return WebSocketManager()\n"
        "\n"
        "class PluginMeta(type):\n"
        "    registry = {}\n"
        "    def __new__(mcs, name, bases, ns):\n"
        "        cls = super().__new__(mcs, name, bases, ns)\n"
        "        mcs.registry[name] = cls\n"
        "        return cls\n",
        # module-level instances are NWS103, not NWS104; classmethod caches of other values
        "import functools\n"
        "manager = WebSocketManager()\n"
        "\n"
        "class Model:\n"
        "    @classmethod\n"
        "    @functools.cache\n"
        "    def fields(cls):\n"
        "        return tuple(vars(cls))\n"
        "\n"
        "    def __call__(self, *args):\n"
        "        self._last = super().__call__(*args)\n"
        "        return self._last\n",
        # a singleton metaclass whose only user is allowed; an allowed imported metaclass
        '# options: {"allowed-singletons": ["AppConfig", "SingletonMeta"], "audit": true}\n'
        "from app.utils import SingletonMeta\n"
        "\n"
        "class Singleton(type):\n"
        "    _instances = {}\n"
        "    def __call__(cls, *args, **kwargs):\n"
        "        if cls not in cls._instances:\n"
        "            cls._instances[cls] = super().__call__(*args, **kwargs)\n"
        "        return cls._instances[cls]\n"
        "\n"
        "class AppConfig(metaclass=Singleton):\n"
        "    pass\n"
        "\n"
        "class Cache(metaclass=SingletonMeta):\n"
        "    pass\n",
        # a local global with the same name but no module-level `= None` slot
        "def configure():\n    global emitter\n    emitter = EventEmitter()\n",
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._done: set[int] = set()  # functions already examined
        self._classes: dict[int, _ClassSingleton] = {}  # structural class singletons
        self._named: list[_ClassSingleton] = []
        self._subclasses: dict[str, list[ast.ClassDef]] = {}
        self._meta_users: dict[str, list[ast.ClassDef]] = {}

    # ------------------------------------------------------------------ helpers
    def _allowed(self, *names: str | None) -> bool:
        allowed = self.ctx.words.allowed_singletons
        return bool(allowed) and any(n is not None and matches_any(n, allowed) for n in names)

    def _emit(self, node: ast.AST, name: str, how: str, user: str | None) -> None:
        if user is not None:
            self.report(node, name=name, how=how, user=f"; {user}: every user shares one instance")
        else:
            self.report(
                node,
                audit=True,
                name=name,
                how=how,
                user="; add it to `allowed-singletons` if it is shared on purpose",
            )

    def _user_of_function(
        self,
        fn: FunctionNode,
        calls: Iterable[ast.Call],
        annotations: Iterable[ast.AST | None] = (),
    ) -> str | None:
        """Why a getter's singleton is user-scoped, or None: a user-scoped call among
        ``calls`` (what it keeps), a user-scoped type in ``annotations`` or in its return
        annotation, or its own deprecated-accessor name."""
        ctx = self.ctx
        for call in calls:
            name = ctx.callee(call)
            kind = _user_kind(ctx, name)
            if kind is not None:
                assert name is not None
                return f"`{_last(name)}` is a {kind}"
        for annotation in (*annotations, fn.returns):
            for n in annotation_names(annotation):
                if ctx.is_user_scoped_type(n):
                    return f"`{_last(n)}` is a user-scoped type"
        if ctx.is_deprecated_accessor(fn.name):
            return f"`{fn.name}` is a deprecated accessor"
        return None

    def _built(self, value: ast.AST, facts: _FunctionFacts) -> tuple[ast.AST, list[ast.Call]]:
        """The object-building calls ``value`` (or the local it names) evaluates to;
        calls computing plain values (`re.compile`, `tuple()`, `"".join()`) are left out."""
        if isinstance(value, ast.Name):
            local = facts.local_value(value.id)
            value = local if local is not None else value
        calls = _value_calls(self.ctx, value, [], allow_await=True)
        return value, [c for c in calls if not _is_value_call(self.ctx, c)]

    # ------------------------------------------------------------------ lazy global getter
    def visit_Global(self, node: ast.Global) -> None:
        scope = self.ctx.scope
        fn = scope.node
        if scope.kind != "function" or not isinstance(fn, FUNCTION_TYPES) or id(fn) in self._done:
            return
        self._done.add(id(fn))
        ctx = self.ctx
        facts = _function_facts(fn)
        module = ctx.module_scope.bindings
        held: list[tuple[str, Binding, ast.AST, list[ast.Call]]] = []
        for var, value in facts.assigns:
            if var not in facts.globals:
                continue
            b = module.get(var)
            if b is None or b.kind != "assign" or not _is_none_slot(b):
                continue
            value, calls = self._built(value, facts)
            if calls:
                held.append((var, b, value, calls))
        if not held:
            return
        built = [ctx.callee(c) for *_, cs in held for c in cs]
        if self._allowed(
            fn.name, *(h[0] for h in held), *built, *(_last(b) for b in built if b is not None)
        ):
            return
        # what is kept: the stored value and everything built inside it
        stored = [n for h in held for n in ast.walk(h[2]) if isinstance(n, ast.Call)]
        slots = [h[1].node.annotation for h in held if isinstance(h[1].node, ast.AnnAssign)]
        user = self._user_of_function(fn, stored, slots)
        var, _, _, calls = held[0]
        how = f"lazy `global {var}` getter building `{_call_label(ctx, calls[0])}()`"
        self._emit(fn, f"{fn.name}()", how, user)

    # ------------------------------------------------------------------ cache factory
    def _cache_decorator(self, fn: FunctionNode) -> str | None:
        for d in fn.decorator_list:
            target = d.func if isinstance(d, ast.Call) else d
            name = self.ctx.resolve(target)
            if name not in _CACHE_DECORATORS:
                continue
            if isinstance(d, ast.Call):
                size = (
                    d.args[0]
                    if d.args
                    else next((k.value for k in d.keywords if k.arg == "maxsize"), None)
                )
                if isinstance(size, ast.Constant) and size.value == 0:
                    return None  # caches nothing
            return dotted_name(target) or name
        return None

    def visit_FunctionDef(self, node: FunctionNode) -> None:
        if not node.decorator_list:
            return
        deco = self._cache_decorator(node)
        if deco is None:
            return
        ctx = self.ctx
        params = params_of(node)
        cls = ctx.scope.node if ctx.scope.kind == "class" else None
        cls_param: str | None = None
        if params:
            if (
                len(params) != 1
                or params[0].kind not in ("pos", "posonly")
                or not isinstance(cls, ast.ClassDef)
                or "classmethod" not in {dotted_name(d) for d in node.decorator_list}
            ):
                return
            cls_param = params[0].name
        ctx.scopes.append(Scope("function", node, ctx.scope))
        try:
            facts = _function_facts(node)
            if cls_param is not None and not any(
                isinstance(c.func, ast.Name) and c.func.id == cls_param for c in facts.calls
            ):
                return  # a per-class computation, not an instance
            returned = [c for r in facts.returns for c in self._built(r, facts)[1]]
            if not returned:
                return  # a run-once guard or a cached plain value, not an object
            user = self._user_of_function(node, facts.calls)  # the body runs once
            built = [ctx.callee(c) for c in returned]
        finally:
            ctx.scopes.pop()
        self._done.add(id(node))
        names: list[str | None] = [node.name, *built]
        if isinstance(cls, ast.ClassDef) and cls_param is not None:
            names.append(cls.name)
            if user is None and ctx.is_user_scoped_type(cls.name):
                user = f"`{cls.name}` is a user-scoped type"
        if self._allowed(*names):
            return
        how = (
            f"`@{deco}` classmethod returning `{cls_param}()`"
            if cls_param
            else f"zero-argument `@{deco}` factory"
        )
        self._emit(node, f"{node.name}()", how, user)

    visit_AsyncFunctionDef = visit_FunctionDef

    # ------------------------------------------------------------------ class singletons
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        ctx = self.ctx
        for base in node.bases:
            if isinstance(base, ast.Subscript):  # Singleton[T]
                base = base.value
            name = ctx.resolve(base)
            if name is not None:
                self._subclasses.setdefault(name, []).append(node)
                if _is_singleton_name(name):
                    self._named.append(
                        _ClassSingleton(
                            node, "named", f"subclass of singleton base `{_last(name)}`", name
                        )
                    )
        for kw in node.keywords:
            if kw.arg == "metaclass":
                name = ctx.resolve(kw.value)
                if name is not None:
                    self._meta_users.setdefault(name, []).append(node)
                    if _is_singleton_name(name):
                        self._named.append(
                            _ClassSingleton(
                                node, "named", f"uses singleton metaclass `{_last(name)}`", name
                            )
                        )
        self._check_class_cache(node)

    def _class_slot(self, target: ast.AST, owners: set[str]) -> bool:
        """``cls.attr`` / ``ClassName.attr``, or ``cls.attr[cls]`` / ``_module_dict[cls]``."""
        if isinstance(target, ast.Attribute):
            return isinstance(target.value, ast.Name) and target.value.id in owners
        if not isinstance(target, ast.Subscript):
            return False
        key = target.slice
        elts = key.elts if isinstance(key, ast.Tuple) else [key]
        if not any(isinstance(e, ast.Name) and e.id in owners for e in elts):
            return False
        base = target.value
        if isinstance(base, ast.Attribute):
            return isinstance(base.value, ast.Name) and base.value.id in owners
        return isinstance(base, ast.Name) and self.ctx.is_module_global(base.id)

    def _check_class_cache(self, cls: ast.ClassDef) -> None:
        """Shapes caching an instance on the class: `__new__`, classmethods and
        staticmethods storing a new instance in a class slot; a metaclass's `__call__`
        storing `super().__call__(...)`. Only those methods' bodies are walked."""
        ctx = self.ctx
        metaclass: bool | None = None
        for fn in cls.body:
            if not isinstance(fn, FUNCTION_TYPES):
                continue
            decorators = {dotted_name(d) for d in fn.decorator_list} if fn.decorator_list else set()
            if fn.name == "__call__":
                if metaclass is None:
                    metaclass = _is_metaclass(ctx, cls)
                if not metaclass:
                    continue  # an instance's `__call__`
            elif not (
                fn.name in ("__new__", "__init_subclass__")
                or decorators & {"classmethod", "staticmethod"}
            ):
                continue  # `self.x = ...` in an instance method is per instance
            # the names that denote the class: its own, and the first parameter
            # (`cls` of `__new__`, of a metaclass's `__call__`, of a classmethod)
            first = None if "staticmethod" in decorators else _first_param(fn)
            owners = {cls.name} if first is None else {cls.name, first}
            if self._caches_instance(fn, cls, owners):
                return

    def _caches_instance(self, fn: FunctionNode, cls: ast.ClassDef, owners: set[str]) -> bool:
        facts: _FunctionFacts | None = None
        value: ast.AST
        for sub in iter_child_stmts_no_scopes(fn.body):
            if isinstance(sub, ast.Assign):
                targets, value = sub.targets, sub.value
            elif isinstance(sub, ast.AnnAssign) and sub.value is not None:
                targets, value = [sub.target], sub.value
            else:
                continue
            target = next((t for t in targets if self._class_slot(t, owners)), None)
            if target is None:
                continue
            if isinstance(value, ast.Name):
                facts = facts or _function_facts(fn)
                local = facts.local_value(value.id)
                value = local if local is not None else value
            calls = _value_calls(self.ctx, value, [], allow_await=True)
            if fn.name == "__call__":  # of a metaclass (checked by the caller)
                if not any(
                    isinstance(c.func, ast.Attribute) and c.func.attr == "__call__" for c in calls
                ):
                    continue
                kind = "metaclass"
                how = f"singleton metaclass: `__call__` caches instances in `{_short(target)}`"
            elif any(
                (isinstance(c.func, ast.Attribute) and c.func.attr == "__new__")
                or (isinstance(c.func, ast.Name) and c.func.id in owners)
                for c in calls
            ) and not _is_metaclass(self.ctx, cls):
                kind = "new"
                how = f"`{fn.name}` caches the instance in `{_short(target)}`"
            else:
                continue
            hint = (
                f"`{fn.name}` is a deprecated accessor"
                if self.ctx.is_deprecated_accessor(fn.name)
                else None
            )
            self._classes[id(cls)] = _ClassSingleton(cls, kind, how, hint=hint)
            return True
        return False

    def _closure(self, starts: list[ast.ClassDef]) -> list[ast.ClassDef]:
        """``starts`` and their subclasses (transitively) defined in this module."""
        out: list[ast.ClassDef] = []
        seen: set[int] = set()
        todo = list(starts)
        while todo:
            c = todo.pop(0)
            if id(c) in seen:
                continue
            seen.add(id(c))
            out.append(c)
            todo += self._subclasses.get(c.name, [])
        return out

    def leave_Module(self, node: ast.Module) -> None:
        ctx = self.ctx
        covered: set[int] = set()
        structural = sorted(
            self._classes.values(), key=lambda s: (s.node.lineno, s.node.col_offset)
        )
        for s in [*structural, *self._named]:
            if id(s.node) in covered:
                continue  # a subclass / user of a singleton already reported
            starts = self._meta_users.get(s.node.name, []) if s.kind == "metaclass" else [s.node]
            closure = self._closure(starts)
            covered.update(id(c) for c in closure)
            covered.add(id(s.node))
            if self._allowed(s.node.name, s.via, _last(s.via) if s.via else None):
                continue
            singles = [c for c in closure if not self._allowed(c.name)]
            if closure and not singles:
                continue  # every class made a singleton here is allowed
            user = next(
                (
                    f"`{c.name}` is a user-scoped type"
                    for c in singles
                    if ctx.is_user_scoped_type(c.name)
                ),
                s.hint,
            )
            self._emit(s.node, s.node.name, s.how, user)


@register
class SingletonGetterCall(Rule):
    """
    ## What it does
    In project mode (the CLI checking a directory), flags a call, in any module, of a
    function that NWS104 reports as a singleton getter of a user-scoped type, however
    it is reached: imported under an alias, re-exported through a package's
    `__init__`, called as `module.get_x()`, or called in its own module.

    ## Why is this bad?
    NWS104 flags the getter once, where it is defined; the leak happens at every place
    that calls it. Each call hands the caller the one object shared by every user, so a
    call in a request handler sends one user's events through everybody's manager.

    ## Example
    ```python
    # app/websocket/__init__.py
    from .core import get_manager as manager

    # app/handlers.py
    from app.websocket import manager

    async def handle(user_context: UserExecutionContext) -> None:
        await manager().send_event("started")
    ```

    ## Use instead
    ```python
    from app.websocket import create_websocket_manager

    async def handle(user_context: UserExecutionContext) -> None:
        await create_websocket_manager(user_context).send_event("started")
    ```

    ## Fix
    No automatic fix: build the object per request from the user's context (a context
    factory), then delete the getter once nothing calls it.

    ## Options
    The words of NWS104 (`user-scoped-types`, `allowed-singletons`, the deprecated
    accessors and context factories). Project mode only: the flake8 plugin and a check
    of single files (`--no-project`) do not see other modules.
    """

    code = "NWS105"
    name = "singleton-getter-call"
    message = "call of `{name}()`, a process-wide singleton getter of a user-scoped object"
    summary = "(Project mode) Call of a singleton getter of a user-scoped type, in any module."
    project_only = True
    options = ("user-scoped-types", "allowed-singletons")

    # Examples span modules: a line `# file: PATH` starts each module (tests/examples.py)
    INVALID = [
        # imported under an alias, re-exported through a package __init__
        "# file: app/__init__.py\n"
        "# file: app/websocket/__init__.py\n"
        "from .core import get_manager as manager\n"
        "# file: app/websocket/core.py\n"
        "_manager = None\n"
        "\n"
        "def get_manager():\n"
        "    global _manager\n"
        "    if _manager is None:\n"
        "        _manager = UnifiedWebSocketManager()\n"
        "    return _manager\n"
        "# file: app/handlers.py\n"
        "from app.websocket import manager as mgr\n"
        "\n"
        "async def handle(user_context):\n"
        "    await mgr().send_event('started')  # expect: NWS105@11\n",
        # module attribute call, and a call in the defining module itself
        "# file: svc/__init__.py\n"
        "# file: svc/bridge.py\n"
        "from functools import lru_cache\n"
        "\n"
        "@lru_cache\n"
        "def bridge():\n"
        "    return AgentWebSocketBridge()\n"
        "\n"
        "def warm_up():\n"
        "    bridge()  # expect: NWS105@5\n"
        "# file: svc/run.py\n"
        "import svc.bridge as b\n"
        "\n"
        "def run(user_id):\n"
        "    return b.bridge().emit_event(user_id)  # expect: NWS105@12\n",
        # relative import two levels up, nested function
        "# file: core/__init__.py\n"
        "# file: core/ws.py\n"
        "_emitter = None\n"
        "\n"
        "def get_emitter():\n"
        "    global _emitter\n"
        "    if _emitter is None:\n"
        "        _emitter = EventEmitter()\n"
        "    return _emitter\n"
        "# file: core/api/__init__.py\n"
        "# file: core/api/routes.py\n"
        "from ..ws import get_emitter\n"
        "\n"
        "def route():\n"
        "    def inner():\n"
        "        return get_emitter()  # expect: NWS105@16\n"
        "    return inner\n",
        # a lazy getter through a local variable under a lock, of a class of another
        # module whose instances hold per-user state (inferred user-scoped type)
        "# file: svc/__init__.py\n"
        "# file: svc/reports.py\n"
        "class ReportService:\n"
        "    def __init__(self):\n"
        "        self._per_user = {}\n"
        "\n"
        "    def record(self, user_id, item):\n"
        "        self._per_user[user_id] = item\n"
        "# file: svc/registry.py\n"
        "import threading\n"
        "from svc.reports import ReportService\n"
        "\n"
        "_lock = threading.Lock()\n"
        "_service = None\n"
        "\n"
        "def get_report_service():\n"
        "    global _service\n"
        "    if _service is None:\n"
        "        with _lock:\n"
        "            if _service is None:\n"
        "                service = ReportService()\n"
        "                _service = service\n"
        "    return _service\n"
        "# file: app.py\n"
        "from svc.registry import get_report_service\n"
        "\n"
        "def handle(user_id):\n"
        "    get_report_service().record(user_id, 1)  # expect: NWS105@5\n",
    ]
    VALID = [
        # a deprecated accessor defined as a singleton in the project: NWS101 reports
        # its calls, NWS103 an import-time binding of one
        "# file: legacy/__init__.py\n"
        "from legacy.ws import get_websocket_manager\n"
        "# file: legacy/ws.py\n"
        "_m = None\n"
        "\n"
        "def get_websocket_manager():\n"
        "    global _m\n"
        "    if _m is None:\n"
        "        _m = Manager()\n"
        "    return _m\n"
        "# file: main.py\n"
        "import legacy\n"
        "\n"
        "manager = legacy.get_websocket_manager()\n",
        # a getter of a type that is not user-scoped (NWS104 audit only): not flagged
        "# file: db/__init__.py\n"
        "# file: db/engine.py\n"
        "_engine = None\n"
        "\n"
        "def get_engine():\n"
        "    global _engine\n"
        "    if _engine is None:\n"
        "        _engine = create_engine('sqlite://')\n"
        "    return _engine\n"
        "# file: db/use.py\n"
        "from db.engine import get_engine\n"
        "\n"
        "def query(user_id):\n"
        "    return get_engine().execute(user_id)\n",
        # a factory taking the context is not a singleton getter
        "# file: app/__init__.py\n"
        "# file: app/ws.py\n"
        "def create_manager(user_context):\n"
        "    return UnifiedWebSocketManager(user_context)\n"
        "# file: app/h.py\n"
        "from app.ws import create_manager\n"
        "\n"
        "async def handle(user_context):\n"
        "    await create_manager(user_context).send_event('x')\n",
        # a same-named function of another module is not the getter
        "# file: a/__init__.py\n"
        "# file: a/ws.py\n"
        "_m = None\n"
        "\n"
        "def get_manager():\n"
        "    global _m\n"
        "    if _m is None:\n"
        "        _m = UnifiedWebSocketManager()\n"
        "    return _m\n"
        "# file: b/__init__.py\n"
        "# file: b/ws.py\n"
        "def get_manager(user_context):\n"
        "    return build(user_context)\n"
        "# file: b/use.py\n"
        "from b.ws import get_manager\n"
        "\n"
        "def f(user_context):\n"
        "    return get_manager(user_context)\n",
        # an allowed singleton; a reference that is not a call
        '# options: {"allowed-singletons": ["get_hub"]}\n'
        "# file: h/__init__.py\n"
        "# file: h/hub.py\n"
        "_hub = None\n"
        "\n"
        "def get_hub():\n"
        "    global _hub\n"
        "    if _hub is None:\n"
        "        _hub = HubWebSocketManager()\n"
        "    return _hub\n"
        "# file: h/use.py\n"
        "from h.hub import get_hub\n"
        "\n"
        "HOOK = get_hub\n"
        "\n"
        "def f():\n"
        "    return get_hub()\n",
    ]

    def visit_Call(self, node: ast.Call) -> None:
        project = self.ctx.project
        if project is None:
            return
        ctx = self.ctx
        found = project.definition(ctx, node.func)
        if found is None or not found.get("singleton"):
            name = project.qualname(ctx, node.func)
            getter = project.vocabulary.getter(name) if name else None
            if getter is None or getter["user"] is None:
                return
        if ctx.reports(DeprecatedAccessorCall.code) and ctx.is_deprecated_accessor(
            ctx.callee(node)
        ):
            return  # NWS101 reports this call
        func = node.func
        label = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "?")
        self.report(node, name=label)
