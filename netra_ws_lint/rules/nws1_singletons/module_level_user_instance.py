"""NWS103 module-level-user-instance."""

from __future__ import annotations

import ast

from netra_ws_lint.analysis.semantic import Context
from netra_ws_lint.analysis.singletons import (
    _call_label,
    _short,
    _user_kind,
    _value_calls,
)
from netra_ws_lint.rules.base import Rule, register


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

    *Audit*: a binding of a multi-tenant registry (a class keying its containers by
    user identities: one per process by design, not user-scoped) whose entries are
    added and never removed: every user's entries stay for the life of the process.

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
    serves_requests = "A module-level user-scoped instance matters where live code reads it."
    message = (
        "{where} `{target}` holds `{call}()` ({kind}), built once at import time and "
        "shared by every user"
    )
    summary = "Module-level or class-body binding of a user-scoped instance (built at import time)."
    trigger = ("{user-scoped}",)
    audit_fires_anywhere = True  # registries whose entries are never removed
    migration = True
    migration_advice = (
        "module-level instance: built once at import time and shared by every user; "
        "build it per request from the user's context and pass it to the code that used it"
    )
    migration_weight = 5
    options = (
        "deprecated-accessors",
        "context-factories",
        "user-scoped-types",
        "context-types",
        "context-names",
    )

    INVALID = [
        # audit: a module-level multi-tenant registry whose entries are added and never
        # removed (a registry that evicts its entries is not reported)
        """
        # options: {"audit": true}
        class RunStateCache:
            def __init__(self):
                self._states = {}

            def save(self, run_id, state):
                self._states[run_id] = state

        class ConnectionPool:
            def __init__(self):
                self._live = {}

            def add(self, connection_id, ws):
                self._live[connection_id] = ws

            def remove(self, connection_id):
                self._live.pop(connection_id, None)

        run_states = RunStateCache()  # expect: NWS103@1
        pool = ConnectionPool()
        """,
        # deprecated accessor under the imports; alias and module import; chained target
        """
        import app.websocket_core as wc
        from app.websocket_core import get_websocket_manager as gwm

        manager = gwm()  # expect: NWS103@1
        default = fallback = wc.get_websocket_manager()  # expect: NWS103@1
        bridge = wc.AgentWebSocketBridge(timeout=5)  # expect: NWS103@1
        """,
        # annotated assignment, tuple unpacking, odd formatting
        """
        from app.ws import WebSocketManager, create_websocket_manager

        manager: WebSocketManager = WebSocketManager()  # expect: NWS103@1
        notifier, retries = (  # expect: NWS103@1
            UserWebSocketNotifier(), 3
        )
        system_manager = (  # expect: NWS103@1
            create_websocket_manager
            (SYSTEM_CONTEXT)
        )
        """,
        # class bodies (also a nested class), ClassVar annotation, conditional value
        """
        from typing import ClassVar

        class AgentService:
            emitter = EventEmitter()  # expect: NWS103@5
            manager: ClassVar[WebSocketManager] = WebSocketManager()  # expect: NWS103@5
            class Config:
                bridge = get_websocket_manager() if LEGACY else None  # expect: NWS103@9
        """,
        # still module level: TYPE_CHECKING, try/except, __main__ block, walrus, cast
        """
        from typing import TYPE_CHECKING, cast
        if TYPE_CHECKING:
            manager = get_websocket_manager()  # expect: NWS103@5
        try:
            bridge = cast('Bridge', WebSocketBridge())  # expect: NWS103@5
        except ImportError:
            bridge = None
        if (m := get_websocket_manager()) is not None:  # expect: NWS103@5
            pass
        if __name__ == '__main__':
            server_manager = WebSocketManager()  # expect: NWS103@5
        """,
        # a same-module class or function taking a user context is a context factory
        """
        class RunTracker:
            def __init__(self, user_context: UserExecutionContext) -> None:
                self.user_context = user_context

        def build_notifier(ctx, channel):
            return Notifier(ctx, channel)

        tracker = RunTracker(None)  # expect: NWS103@1
        notifier = build_notifier(None, 'agents')  # expect: NWS103@1
        """,
        # a configured user-scoped type of the team's own
        """
        # options: {"extend-user-scoped-types": ["*Session"]}
        import app.chat as chat
        session = chat.ChatSession()  # expect: NWS103@1
        """,
        # a context factory inferred from its body, called at import time
        """
        class ReportClient:
            def __init__(self, user_context=None):
                self.user_context = user_context

        def create_report_client(user_context=None):
            return ReportClient(user_context)

        reports = create_report_client()  # expect: NWS103@1
        """,
    ]
    VALID = [
        # the same calls inside functions (async too) and lambdas run per request
        """
        async def handle(user_context):
            manager = create_websocket_manager(user_context)
            bridge = WebSocketBridge(user_context)
            await manager.send_event('started')

        make = lambda ctx: create_websocket_manager(ctx)
        """,
        # references, not calls; dataclass field factories build per instance
        """
        from dataclasses import dataclass, field
        from app.ws import WebSocketManager, get_websocket_manager
        MANAGER_CLASS = WebSocketManager
        ACCESSOR = get_websocket_manager

        @dataclass
        class Service:
            manager: WebSocketManager = field(default_factory=WebSocketManager)
            manager_type = WebSocketManager
        """,
        # a class defined inside a function is created per call
        """
        def make_handler(user_context):
            class Handler:
                manager = create_websocket_manager(user_context)
            return Handler
        """,
        # annotation only, and other (shared on purpose) objects at module level
        """
        import logging
        from typing import Optional
        manager: Optional['WebSocketManager'] = None
        logger = logging.getLogger(__name__)
        engine = create_engine(DATABASE_URL)
        manager_stats = get_websocket_manager_stats()
        """,
        # an instance built at import time but not bound by itself
        """
        from app.ws import WebSocketManager
        registry = Registry(WebSocketManager())
        handlers = {'default': WebSocketManager}
        if __debug__:
            WebSocketManager().self_test()
        """,
        # a local class whose __init__ takes no user context is not user-scoped
        """
        class Settings:
            def __init__(self, env='prod'):
                self.env = env

        settings = Settings()
        """,
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
        for target, sub in pairs:
            for call in _value_calls(ctx, sub, [], allow_await=False):
                if ctx.leaking_registry(ctx.callee(call)) is not None:
                    label = _short(target)
                    place = "module-level" if where == "module" else "class attribute"
                    if where != "module":
                        label = f"{where}.{label}"
                    kind = "a multi-tenant registry whose entries are added and never removed"
                    self.report(
                        node,
                        audit=True,
                        where=place,
                        target=label,
                        call=_call_label(ctx, call),
                        kind=kind,
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
