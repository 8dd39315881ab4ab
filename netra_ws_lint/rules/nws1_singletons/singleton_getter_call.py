"""NWS105 singleton-getter-call."""

from __future__ import annotations

import ast

from netra_ws_lint.rules.base import Rule, register


@register
class SingletonGetterCall(Rule):
    """
    ## What it does
    In project mode (the default of the CLI and of the flake8 plugin), flags a call, in
    any module, of a function that NWS104 reports as a singleton getter of a user-scoped
    type, however it is reached: imported under an alias, re-exported through a package's
    `__init__`, called as `module.get_x()`, or called in its own module. The getters
    and user-scoped types inferred from the project count (see `show-vocabulary`).
    Not where NWS101 reports the same call (a deprecated accessor): one finding.

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
    accessors and context factories). Project mode only: a check with `--no-project`
    does not see other modules.
    """

    code = "NWS105"
    name = "singleton-getter-call"
    serves_requests = (
        "A call of a singleton getter matters where it runs: for a user, on a request path."
    )
    message = "call of `{name}()`, a process-wide singleton getter of a user-scoped object"
    summary = "(Project mode) Call of a singleton getter of a user-scoped type, in any module."
    trigger = ("{user-scoped}",)
    migration = True
    migration_advice = "call of a singleton getter: build the object from the user's context"
    project_only = True
    options = ("user-scoped-types", "allowed-singletons")

    # Examples span modules: a line `# file: PATH` starts each module (tests/examples.py)
    INVALID = [
        # imported under an alias, re-exported through a package __init__
        """
        # file: app/__init__.py
        # file: app/websocket/__init__.py
        from .core import get_manager as manager
        # file: app/websocket/core.py
        _manager = None

        def get_manager():
            global _manager
            if _manager is None:
                _manager = UnifiedWebSocketManager()
            return _manager
        # file: app/handlers.py
        from app.websocket import manager as mgr

        async def handle(user_context):
            await mgr().send_event('started')  # expect: NWS105@11
        """,
        # module attribute call, and a call in the defining module itself
        """
        # file: svc/__init__.py
        # file: svc/bridge.py
        from functools import lru_cache

        @lru_cache
        def bridge():
            return AgentWebSocketBridge()

        def warm_up():
            bridge()  # expect: NWS105@5
        # file: svc/run.py
        import svc.bridge as b

        def run(user_id):
            return b.bridge().emit_event(user_id)  # expect: NWS105@12
        """,
        # relative import two levels up, nested function
        """
        # file: core/__init__.py
        # file: core/ws.py
        _emitter = None

        def get_emitter():
            global _emitter
            if _emitter is None:
                _emitter = EventEmitter()
            return _emitter
        # file: core/api/__init__.py
        # file: core/api/routes.py
        from ..ws import get_emitter

        def route():
            def inner():
                return get_emitter()  # expect: NWS105@16
            return inner
        """,
        # a lazy getter through a local variable under a lock, of a class of another
        # module whose instances belong to one user (inferred user-scoped type: its
        # `__init__` keeps the user identity it is given)
        """
        # file: svc/__init__.py
        # file: svc/reports.py
        class ReportService:
            def __init__(self, user_id=None):
                self.user_id = user_id
                self.items = []

            def record(self, item):
                self.items.append(item)
        # file: svc/registry.py
        import threading
        from svc.reports import ReportService

        _lock = threading.Lock()
        _service = None

        def get_report_service():
            global _service
            if _service is None:
                with _lock:
                    if _service is None:
                        service = ReportService()
                        _service = service
            return _service
        # file: app.py
        from svc.registry import get_report_service

        def handle(user_id):
            get_report_service().record(1)  # expect: NWS105@5
        """,
    ]
    VALID = [
        # a deprecated accessor defined as a singleton in the project NWS101 reports
        # its calls, NWS103 an import-time binding of one
        """
        # file: legacy/__init__.py
        from legacy.ws import get_websocket_manager
        # file: legacy/ws.py
        _m = None

        def get_websocket_manager():
            global _m
            if _m is None:
                _m = Manager()
            return _m
        # file: main.py
        import legacy

        manager = legacy.get_websocket_manager()
        """,
        # a getter of a type that is not user-scoped (NWS104 audit only): not flagged
        """
        # file: db/__init__.py
        # file: db/engine.py
        _engine = None

        def get_engine():
            global _engine
            if _engine is None:
                _engine = create_engine('sqlite://')
            return _engine
        # file: db/use.py
        from db.engine import get_engine

        def query(user_id):
            return get_engine().execute(user_id)
        """,
        # a getter of a multi-tenant registry (keyed by connection id, one per process by
        # design, even when its name matches a user-scoped pattern) or of a factory
        # that builds a new per-user object on each call: not flagged
        """
        # file: ws/__init__.py
        # file: ws/pool.py
        class ConnectionPoolWebSocketManager:
            def __init__(self):
                self._connections = {}

            def add(self, connection_id, websocket):
                self._connections[connection_id] = websocket

            async def send_to_user(self, user_id, message):
                for ws in self._connections.values():
                    await ws.send(message)

        class ClientFactory:
            def create_user_client(self, user_context):
                return UserClient(user_context)

        _pool = None
        _factory = None

        def get_pool():
            global _pool
            if _pool is None:
                _pool = ConnectionPoolWebSocketManager()
            return _pool

        def get_factory():
            global _factory
            if _factory is None:
                _factory = ClientFactory()
            return _factory
        # file: ws/handlers.py
        from ws.pool import get_factory, get_pool

        async def on_connect(connection_id, websocket, user_context):
            get_pool().add(connection_id, websocket)
            return get_factory().create_user_client(user_context)
        """,
        # a factory taking the context is not a singleton getter
        """
        # file: app/__init__.py
        # file: app/ws.py
        def create_manager(user_context):
            return UnifiedWebSocketManager(user_context)
        # file: app/h.py
        from app.ws import create_manager

        async def handle(user_context):
            await create_manager(user_context).send_event('x')
        """,
        # a same-named function of another module is not the getter
        """
        # file: a/__init__.py
        # file: a/ws.py
        _m = None

        def get_manager():
            global _m
            if _m is None:
                _m = UnifiedWebSocketManager()
            return _m
        # file: b/__init__.py
        # file: b/ws.py
        def get_manager(user_context):
            return build(user_context)
        # file: b/use.py
        from b.ws import get_manager

        def f(user_context):
            return get_manager(user_context)
        """,
        # an allowed singleton; a reference that is not a call
        """
        # options: {"allowed-singletons": ["get_hub"]}
        # file: h/__init__.py
        # file: h/hub.py
        _hub = None

        def get_hub():
            global _hub
            if _hub is None:
                _hub = HubWebSocketManager()
            return _hub
        # file: h/use.py
        from h.hub import get_hub

        HOOK = get_hub

        def f():
            return get_hub()
        """,
    ]

    def visit_Call(self, node: ast.Call) -> None:
        project = self.ctx.project
        if project is None:
            return
        ctx = self.ctx
        func = node.func
        last = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if last not in project.known_names:  # leads to no definition of the project
            return
        found = project.definition(ctx, func)
        if found is None or not found.get("singleton"):
            name = project.qualname(ctx, node.func)
            getter = project.vocabulary.getter(name) if name else None
            if getter is None or getter["user"] is None:
                return
        if ctx.reports("NWS101") and ctx.is_deprecated_accessor(ctx.callee(node)):
            return  # NWS101 reports this call
        self.report(node, name=last)
