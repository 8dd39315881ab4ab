"""NWS104 singleton-definition."""

from __future__ import annotations

import ast
from collections.abc import Iterable

from netra_ws_lint.analysis.idioms import (
    cache_decorator,
    global_stores,
    is_classmethod,
    is_staticmethod,
    lazy_singleton_store,
    rebuilt_from_arguments,
    self_param,
)
from netra_ws_lint.analysis.scopes import (
    FUNCTION_TYPES,
    Binding,
    FunctionNode,
    Scope,
    annotation_names,
    dotted_name,
    iter_child_stmts_no_scopes,
    params_of,
)
from netra_ws_lint.analysis.semantic import Context
from netra_ws_lint.analysis.singletons import (
    _call_label,
    _ClassSingleton,
    _function_facts,
    _FunctionFacts,
    _is_metaclass,
    _is_none_slot,
    _is_singleton_name,
    _is_value_call,
    _last,
    _short,
    _user_kind,
    _value_calls,
)
from netra_ws_lint.config import matches_any
from netra_ws_lint.rules.base import Rule, register


@register
class SingletonDefinition(Rule):
    """
    ## What it does
    Flags the definition of a process-wide singleton, in four shapes:

    - a lazy `global` getter: a module-level `_x = None` (or `_x: T`) and a function
      doing `global _x` and binding `_x = Cls()` (also through a local, `await`,
      `a if c else b`) that returns `_x` or binds it only while it is unset (under
      `if _x is None:` / `if not _x:`, after `if _x is not None: return _x`, as
      `_x = _x or Cls()`; with or without a lock); reported at the function's `def`.
      A function that only stores what it built in the global (a startup hook
      keeping the pool it opened, a setup function, a pytest hook, a function keeping
      the process it started) is no getter: reported only when what it keeps is
      user-scoped (the module global is then one per-user object for the process);
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

    Not flagged: a function rebuilding the global from its own arguments on every call
    (`_logger = RunLogger(run_id)`: a setter of the current object, NWS207's when a
    request supplies them), a worker pool's `initializer=` (of a `multiprocessing` pool or a
    `concurrent.futures` executor, anywhere in the project) keeping what it builds in a
    module global (one per worker process, for no user), a function resetting the
    global to `None`, a setter storing a
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

    A type is user-scoped by ownership: its instances belong to one user (its
    `__init__` takes a user context, or takes a user identity and keeps it on `self`;
    a subclass of one; a configured name; a name matching a `user-scoped-types`
    pattern that resolves to no class of the project). A multi-tenant registry, a
    class keying its containers by identities (a connection pool, a run-to-thread
    routing table, a session store, a per-user metric collector), holds many users
    by design: one per process is what it is for, so its singleton is an audit
    finding only; so is a factory whose methods build a new per-user object on each
    call, and a class that sends to whichever user it is given.
    `netra-ws-lint show-vocabulary` lists what was inferred, and why. What is really
    wrong with a registry is named in its audit finding: entries added and never
    removed (no method pops, discards, clears or deletes them), so every user's entries
    stay for the life of the process.

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
    serves_requests = (
        "A singleton shares one object between users only where live code calls its getter."
    )
    message = "`{name}` is a process-wide singleton ({how}){user}"
    summary = (
        "Definition of a process-wide singleton (lazy global getter, caching `__new__`, "
        "zero-argument cache factory, singleton metaclass); audit for non-user-scoped types."
    )
    trigger = ("{user-scoped}",)
    audit_fires_anywhere = True  # singletons of any type
    migration = True
    migration_advice = (
        "singleton definition: remove it (or make it a factory taking the user "
        "context) once nothing calls it"
    )
    migration_weight = 5
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
        """
        from typing import Optional
        from app.ws import UnifiedWebSocketManager as Manager

        _manager: Optional[Manager] = None

        def get_websocket_manager():  # expect: NWS104@1
            global _manager
            if _manager is None:
                _manager = Manager()
            return _manager
        """,
        # async getter building a user-scoped type through a module import and a local
        """
        import asyncio
        import app.ws as ws

        _bridge = None
        _lock = asyncio.Lock()

        @log_calls
        async def get_bridge():  # expect: NWS104@1
            global _bridge
            async with _lock:
                if _bridge is None:
                    bridge = ws.AgentWebSocketBridge(); await bridge.start()
                    _bridge = bridge
            return _bridge
        """,
        # __new__ caching cls._instance, reported at the class line (not the decorator)
        """
        @final
        class UnifiedWebSocketManager:  # expect: NWS104@1
            _instance = None

            def __new__(cls, *args, **kwargs):
                if cls._instance is None:
                    cls._instance = super().__new__(cls)
                return cls._instance

            def __init__(self, user_context=None):
                self.user_context = user_context
        """,
        # zero-argument cache factories, reported at the def line; a get_instance classmethod
        """
        import functools
        from functools import cache as memo

        @functools.lru_cache(maxsize=None)
        def manager_factory() -> 'WebSocketManager':  # expect: NWS104@1
            return build()

        class Hub:
            @staticmethod
            @memo
            def notifier():  # expect: NWS104@5
                return UserWebSocketNotifier()

        class ChatEmitter:  # expect: NWS104@1
            _default = None

            @classmethod
            def get_instance(cls):
                if cls._default is None:
                    cls._default = cls()
                return cls._default

            def __init__(self, user_id=None):
                self.user_id = user_id
        """,
        # a singleton metaclass used by a user-scoped class (through a subclass too);
        # an imported singleton metaclass
        """
        from app.utils import SingletonMeta

        class Singleton(type):  # expect: NWS104@1
            _instances = {}
            def __call__(cls, *args, **kwargs):
                if cls not in cls._instances:
                    cls._instances[cls] = super().__call__(*args, **kwargs)
                return cls._instances[cls]

        class BaseService(metaclass=Singleton):
            pass

        class EventEmitter(BaseService):
            def __init__(self, run_id=None):
                self._run_id = run_id

        class UserWebSocketBridge(metaclass=SingletonMeta):  # expect: NWS104@1
            def __init__(self, user_context=None):
                self.queue = Queue()
        """,
        # a lazy getter under a lock, through a local variable, of a class whose
        # instances belong to one user (an inferred user-scoped type: `__init__` keeps
        # the identity it is given)
        """
        import threading

        _lock = threading.RLock()
        _tracker = None

        class SessionTracker:
            def __init__(self, session_id=None):
                self.session_id = str(session_id)
                self.events = []

        def get_tracker():  # expect: NWS104@1
            global _tracker
            if _tracker is None:
                with _lock:
                    if _tracker is None:
                        tracker = SessionTracker()
                        _tracker = tracker
            return _tracker
        """,
        # under audit: a getter of a multi-tenant registry whose entries are never
        # removed says so
        """
        # options: {"audit": true}
        _router = None

        class MessageRouter:
            def __init__(self):
                self.handlers = {}

            def register(self, user_id, handler):
                self.handlers.setdefault(user_id, []).append(handler)

        def get_message_router():  # expect: NWS104@1
            global _router
            if _router is None:
                _router = MessageRouter()
            return _router
        """,
        # under audit: singletons of other types (DB engine, settings, base class)
        """
        # options: {"audit": true}
        import functools
        from sqlalchemy import create_engine

        _engine = None

        def get_engine():  # expect: NWS104@1
            global _engine
            if _engine is None:
                _engine = create_engine(URL)
            return _engine

        @functools.lru_cache()
        def get_settings():  # expect: NWS104@1
            return Settings()

        class Registry:  # expect: NWS104@1
            def __new__(cls):
                it = cls.__dict__.get('__it__')
                if it is None:
                    inst = object.__new__(cls)
                    cls.__it__ = inst
                return cls.__it__
        """,
        # async zero-argument cache factory, odd formatting; a metaclass singleton of
        # other types and a get_instance classmethod are audit findings
        """
        # options: {"audit": true}
        from async_lru import alru_cache

        @alru_cache(
            maxsize=1)
        async def notifier_factory(  # expect: NWS104@1

        ):
            return await connect_notifier()

        class Once(type):  # expect: NWS104@1
            def __call__(cls, *args, **kwargs):
                instance = super().__call__(*args, **kwargs)
                cls._instance = instance
                return instance

        class Config(metaclass=Once):
            pass
        """,
        # lazy init without returning the global (a getter elsewhere returns it): in the
        # `else` of a set-test, and under a falsy test; a startup hook keeping a
        # user-scoped object in a module global is no getter, but still one for everyone
        """
        _manager = None
        _notifier = None
        _hub = None

        def ensure_manager():  # expect: NWS104@1
            global _manager
            if _manager is not None:
                pass
            else:
                _manager = WebSocketManager()

        def init_notifier():  # expect: NWS104@1
            global _notifier
            if not _notifier:
                _notifier = UserWebSocketNotifier()

        async def startup(app):  # expect: NWS104@1
            global _hub
            _hub = UnifiedWebSocketManager()
            await _hub.start()
        """,
        # allowed-singletons exempts the engine, but a user-scoped getter is still flagged
        """
        # options: {"allowed-singletons": ["get_engine"], "audit": true}
        _engine = None
        _emitter = None

        def get_engine():
            global _engine
            _engine = _engine or create_engine(URL)
            return _engine

        def get_emitter():  # expect: NWS104@1
            global _emitter
            _emitter = _emitter or EventEmitter()
            return _emitter
        """,
    ]
    VALID = [
        # a setter rebuilding the module's current object from its arguments on every
        # call is no singleton (when a request supplies them, that rebinding is NWS207)
        """
        from typing import Optional

        _flow_logger: Optional["RunLogger"] = None

        class RunLogger:
            def __init__(self, correlation_id, run_id):
                self.run_id = run_id

        def set_flow_logger(correlation_id, run_id):
            global _flow_logger
            logger = RunLogger(correlation_id, run_id)
            _flow_logger = logger
            return _flow_logger

        def install(run_id):
            global _flow_logger
            _flow_logger = RunLogger("", run_id)
        """,
        # a worker pool's initializer keeps what it builds in a module global: one per
        # worker process, built for no user (the pool may be set up in another module)
        """
        from multiprocessing import Pool

        _llm = None

        class LLMManager:
            def __init__(self, user_context=None):
                self.user_context = user_context

        def init_worker():
            global _llm
            _llm = LLMManager()

        def run_all(tasks):
            with Pool(processes=4, initializer=init_worker) as pool:
                return pool.map(work, tasks)
        """,
        # per-request factories; a cache keyed by the user context is NWS203, not a singleton
        """
        import functools

        def create_websocket_manager(user_context):
            return WebSocketManager(user_context)

        @functools.lru_cache(maxsize=128)
        def manager_for(user_id):
            return WebSocketManager()
        """,
        # multi-tenant registries are process-wide by design: a connection pool keyed by
        # connection id, a routing table keyed by run id, a class that sends to whichever
        # user it is given, a factory building a new per-user object on each call (audit)
        """
        _pool = None
        _router = None
        _factory = None

        class ConnectionPool:
            def __init__(self):
                self._connections = {}

            def add(self, connection_id, websocket):
                self._connections[connection_id] = websocket

            def remove(self, connection_id):
                self._connections.pop(connection_id, None)

        class RunRouter:
            def bind(self, run_id, thread_id):
                self._run_to_thread.setdefault(run_id, thread_id)

            async def send_to_user(self, user_id, message):
                await self.transport.send(user_id, message)

        class ClientFactory:
            def create_user_client(self, user_context):
                return UserClient(user_context)

        def get_pool():
            global _pool
            if _pool is None:
                _pool = ConnectionPool()
            return _pool

        def get_router():
            global _router
            if _router is None:
                _router = RunRouter()
            return _router

        def get_client_factory():
            global _factory
            if _factory is None:
                _factory = ClientFactory()
            return _factory
        """,
        # singletons of other types are audit findings only (not shown by default)
        """
        import functools
        _engine = None

        def get_engine():
            global _engine
            if _engine is None:
                _engine = create_engine(DATABASE_URL)
            return _engine

        @functools.cache
        def get_settings():
            return Settings()
        """,
        # allowed-singletons: by getter name, and by class name (globs), even under audit
        """
        # options: {"allowed-singletons": ["get_manager", "*Registry"], "audit": true}
        _manager = None

        def get_manager():
            global _manager
            _manager = WebSocketManager()
            return _manager

        class PluginRegistry:
            _instance = None
            def __new__(cls):
                if cls._instance is None:
                    cls._instance = super().__new__(cls)
                return cls._instance
        """,
        # not singletons: a reset function, a setter, a per-instance lazy attribute,
        # a global that is a cache dict, lru_cache(maxsize=0), a metaclass registry
        """
        # options: {"audit": true}
        import functools
        _manager = None
        _cache = {}

        def reset():
            global _manager, _cache
            _manager = None
            _cache = {}

        def install(manager):
            global _manager
            _manager = manager

        class Node:
            def child(self):
                if self._child is None:
                    self._child = Node()
                return self._child

        @functools.lru_cache(maxsize=0)
        def uncached():
            return WebSocketManager()

        class PluginMeta(type):
            registry = {}
            def __new__(mcs, name, bases, ns):
                cls = super().__new__(mcs, name, bases, ns)
                mcs.registry[name] = cls
                return cls
        """,
        # module-level instances are NWS103, not NWS104; classmethod caches of other values
        """
        import functools
        manager = WebSocketManager()

        class Model:
            @classmethod
            @functools.cache
            def fields(cls):
                return tuple(vars(cls))

            def __call__(self, *args):
                self._last = super().__call__(*args)
                return self._last
        """,
        # a singleton metaclass whose only user is allowed; an allowed imported metaclass
        """
        # options: {"allowed-singletons": ["AppConfig", "SingletonMeta"], "audit": true}
        from app.utils import SingletonMeta

        class Singleton(type):
            _instances = {}
            def __call__(cls, *args, **kwargs):
                if cls not in cls._instances:
                    cls._instances[cls] = super().__call__(*args, **kwargs)
                return cls._instances[cls]

        class AppConfig(metaclass=Singleton):
            pass

        class Cache(metaclass=SingletonMeta):
            pass
        """,
        # a local global with the same name but no module-level `= None` slot
        """
        def configure():
            global emitter
            emitter = EventEmitter()
        """,
        # not getters, even under audit: a startup hook storing the pool it opened, a
        # setup function, a pytest hook, a function keeping the process it started (its
        # guard tests a local), a re-creation after a failure past an `is None` check
        # that raises (the global was set: it is rebuilt, not built once)
        """
        # options: {"audit": true}
        import contextlib
        import tempfile
        from concurrent.futures import ProcessPoolExecutor
        from pathlib import Path

        _pg_pool = None
        _pool_context = None
        DOWNLOAD_DIR: Path | None = None
        frontend_process = None
        process_pool = None

        @contextlib.asynccontextmanager
        async def lifespan(app):
            global _pg_pool
            _pg_pool = await asyncpg.create_pool(dsn=DSN)
            yield
            await _pg_pool.close()
            _pg_pool = None

        def setup():
            global _pool_context
            _pool_context = resolve_context()

        def pytest_configure(config):
            global DOWNLOAD_DIR
            DOWNLOAD_DIR = Path(tempfile.mkdtemp())

        def run_frontend(command):
            process = None
            while True:
                if process is None:
                    process = new_process(command)
                    global frontend_process
                    frontend_process = process
                wait(process)

        async def cpu_bound(fn):
            global process_pool
            if process_pool is None:
                raise RuntimeError("process pool not set up")
            try:
                return await run(process_pool, fn)
            except BrokenProcessPool:
                process_pool = ProcessPoolExecutor()
        """,
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

    def _emit(
        self, node: ast.AST, name: str, how: str, user: str | None, leak: str | None = None
    ) -> None:
        if user is not None:
            self.report(node, name=name, how=how, user=f"; {user}: every user shares one instance")
        elif leak is not None:
            self.report(
                node,
                audit=True,
                name=name,
                how=how,
                user=f"; `{leak}` is a multi-tenant registry whose entries are added and never "
                "removed: one per process is its design, but every user's entries stay",
            )
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
        if ctx.is_worker_initializer(fn):
            return  # a pool's `initializer=`: one per worker process, for no user
        facts = _function_facts(fn)
        module = ctx.module_scope.bindings
        getters: list[tuple[str, Binding, ast.AST, list[ast.Call]]] = []
        stores: list[tuple[str, Binding, ast.AST, list[ast.Call]]] = []
        for stmt, var, value in global_stores(fn, facts.globals):
            b = module.get(var)
            if b is None or b.kind != "assign" or not _is_none_slot(b):
                continue
            kept, calls = self._built(value, facts)
            if calls:
                # a getter returns the global or builds it only while unset; any
                # other function merely stores what it built (a startup hook, setup)
                lazy = lazy_singleton_store(fn, stmt, var)
                if not lazy and rebuilt_from_arguments(fn, value):
                    continue  # a setter of the current object (NWS207's), no singleton
                (getters if lazy else stores).append((var, b, kept, calls))
        held = getters or stores
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
        label = _call_label(ctx, calls[0])
        leak = next(
            (
                _last(n)
                for n in (ctx.callee(c) for c in stored)
                if n is not None and ctx.leaking_registry(n) is not None
            ),
            None,
        )
        if getters:
            how = f"lazy `global {var}` getter building `{label}()`"
            self._emit(fn, f"{fn.name}()", how, user, leak)
        elif user is not None:
            # not a getter, but the object it keeps for the whole process is per-user
            how = f"module global set by `{fn.name}()` to `{label}()`"
            self._emit(fn, var, how, user)

    # ------------------------------------------------------------------ cache factory
    def _cache_decorator(self, fn: FunctionNode) -> str | None:
        found = cache_decorator(self.ctx, fn)
        if found is None:
            return None
        d, name = found
        return dotted_name(d.func if isinstance(d, ast.Call) else d) or name

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
                or not is_classmethod(node)
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
            if fn.name == "__call__":
                if metaclass is None:
                    metaclass = _is_metaclass(ctx, cls)
                if not metaclass:
                    continue  # an instance's `__call__`
            elif not (is_classmethod(fn) or is_staticmethod(fn)):
                continue  # `self.x = ...` in an instance method is per instance
            # the names that denote the class: its own, and the first parameter
            # (`cls` of `__new__`, of a metaclass's `__call__`, of a classmethod)
            first = self_param(fn)
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
