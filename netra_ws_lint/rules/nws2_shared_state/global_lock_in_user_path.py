"""NWS205 global-lock-in-user-path."""

from __future__ import annotations

import ast

from netra_ws_lint.analysis.idioms import (
    ACQUIRE_METHODS,
    ASSIGNMENTS,
    LOCK_CALLS,
    MUTATING_METHODS,
    module_qualname,
    runtime_function,
)
from netra_ws_lint.analysis.semantic import Context
from netra_ws_lint.rules.base import Rule, register


@register
class GlobalLockInUserPath(Rule):
    """
    ## What it does
    Flags a module-level `asyncio` / `threading` `Lock`, `RLock`, `Semaphore`,
    `BoundedSemaphore`, `Condition` or `Event` (however imported or aliased) acquired
    with `with` / `async with`, `.acquire()` or `.wait()` in a function with a user
    identity in scope (a `user_id`-like parameter or a user context) or that serves
    one request (a handler known by its framework, or what one calls).

    ## Why is this bad?
    One lock for the whole process serializes every user behind it: one user's slow
    request (or a hung WebSocket send) blocks all the others, and a bug that holds it
    stops the service for everybody. Per-user work needs per-user (or no) locking.

    ## Example
    ```python
    _send_lock = asyncio.Lock()

    async def send_to_user(user_id: str, message: dict) -> None:
        async with _send_lock:
            await _connections[user_id].send_json(message)
    ```

    ## Use instead
    ```python
    async def send_to_user(user_context: UserExecutionContext, message: dict) -> None:
        manager = create_websocket_manager(user_context)  # owns its own lock
        await manager.send_event(message)
    ```

    Not flagged: a brief critical section, a `with` / `async with` block that only
    touches memory (no `await`, `async for` or `async with` inside, and every call a
    container method, a builtin, a logging call, `weakref.ref` or a weak reference
    dereferenced): the lock of a registry keyed by ids, held for a lookup or an
    update, makes nobody wait behind another user's slow work (an `asyncio` lock held
    without awaiting cannot even be contended). Nor a sync get-or-create of a
    module-level registry under a `threading` lock: the block tests whether the key is
    in a module-level container (`key in REGISTRY`, `REGISTRY.get(key)`) and stores
    what it builds under it (`REGISTRY[key] = ...`), with no nested lock or resource
    and no call that waits on I/O or on another thread (`sleep`, `join`, `result`,
    `wait`, `connect`, `send`, `read`, `write`, `execute`, `commit`, `open`...): the
    lock makes the creation happen once per key. The registry itself, if it keeps
    users' objects for good, is NWS201's finding.

    ## Fix
    No automatic fix: give each per-user object its own lock, or keep the critical
    section to in-memory bookkeeping and do the slow work outside it. A lazy-init
    guard in a getter without a user identity is not flagged.

    ## Options
    `identity-names`, `context-names`, `context-types`, `request-handler-decorators`.
    """

    code = "NWS205"
    name = "global-lock-in-user-path"
    serves_requests = "A shared lock serialises users only where it is acquired for them."
    message = (
        "module-level {kind} `{name}` acquired with a user identity in scope:"
        " every user waits on it"
    )
    summary = "Module-level asyncio/threading lock acquired in a function with a user identity."
    trigger = ("Lock Semaphore Condition Event acquire wait", "{identity} {context} {handlers}")
    options = ("identity-names", "context-names", "context-types", "request-handler-decorators")

    INVALID = [
        """
        import asyncio

        _lock = asyncio.Lock()

        async def send(user_id, message):
            async with _lock:  # expect: NWS205@16
                await deliver(user_id, message)
        """,
        # an aliased class, a sync function, `.acquire()`
        """
        from threading import RLock as L

        GUARD = L()

        def save(session_id, data):
            with GUARD:  # expect: NWS205@10
                store(session_id, data)
            GUARD.acquire()  # expect: NWS205@5
            try:
                store(session_id, data)
            finally:
                GUARD.release()
        """,
        # a method with self.user_context; semaphore and event defined below
        """
        import asyncio as aio

        class Sender:
            def __init__(self, user_context):
                self.user_context = user_context

            async def send(self, message):
                await READY.wait()  # expect: NWS205@15
                await aio.wait_for(SLOTS.acquire(), 5)  # expect: NWS205@28

        SLOTS = aio.BoundedSemaphore(10)
        READY: aio.Event = aio.Event()
        """,
        # several `with` items, odd formatting, a Condition
        """
        import threading
        COND = threading.Condition()

        def wait_turn(thread_id):
            with open(thread_id) as f, (
                COND  # expect: NWS205@9
            ):
                COND.wait()  # expect: NWS205@9
                return f.read()
        """,
        # a nested function and a lambda inside a user function; a local alias
        """
        from asyncio import Lock
        LOCK = Lock()

        async def handle(user_context):
            async def critical():
                lock = LOCK
                async with lock:  # expect: NWS205@20
                    await save(user_context)
            grab = lambda: LOCK.acquire()  # expect: NWS205@20
            return critical, grab
        """,
        # a sync function given a user-scoped object (`Tab` keeps one user's id)
        """
        import threading

        _LOCK = threading.Lock()

        class Tab:
            def __init__(self, user_id):
                self.user_id = user_id

        def render(tab: "Tab"):
            with _LOCK:  # expect: NWS205@10
                tab.draw()
        """,
        # slow work under a registry's lock: an await, a call that may block
        """
        import asyncio
        import threading

        _REGISTRY_LOCK = threading.Lock()
        _MANAGERS = {}

        async def manager_for(user_id):
            with _REGISTRY_LOCK:  # expect: NWS205@10
                if user_id not in _MANAGERS:
                    _MANAGERS[user_id] = await connect(user_id)
                return _MANAGERS[user_id]

        def forget(user_id):
            with _REGISTRY_LOCK:  # expect: NWS205@10
                _MANAGERS.pop(user_id, None).close()
                notify_peers(user_id)
        """,
        # a sync get-or-create that waits on the network, or under an asyncio lock,
        # or that only reads the registry
        """
        import threading

        _LOCK = threading.Lock()
        _CLIENTS = {}

        def client_for(session_id):
            with _LOCK:  # expect: NWS205@10
                if session_id not in _CLIENTS:
                    client = Client(session_id)
                    client.connect()
                    _CLIENTS[session_id] = client
                return _CLIENTS[session_id]

        def peek(session_id):
            with _LOCK:  # expect: NWS205@10
                if session_id in _CLIENTS:
                    return describe(_CLIENTS[session_id])
        """,
    ]
    VALID = [
        # brief in-memory sections of registries keyed by ids: no await, only
        # container methods, builtins, logging and weak references under the lock
        """
        import asyncio
        import logging
        import threading
        import weakref

        logger = logging.getLogger(__name__)
        _sessions_lock = asyncio.Lock()
        _refs_lock = threading.Lock()
        _SESSIONS = {}
        _REFS = {}

        async def drop_user_sessions(user_id):
            async with _sessions_lock:
                stale = [k for k, v in _SESSIONS.items() if v.get('user_id') == user_id]
                for key in stale:
                    del _SESSIONS[key]
                logger.info('dropped %d sessions for %s', len(stale), user_id[:8])

        def track(connection_id, registry):
            with _refs_lock:
                _REFS.setdefault(connection_id, set()).add(weakref.ref(registry))

        def forget(connection_id):
            with _refs_lock:
                for ref in _REFS.pop(connection_id, set()).copy():
                    target = ref()
                    if target is not None:
                        target.clear()
        """,
        # a sync get-or-create of a registry under a threading lock: the lock makes
        # the creation happen once per key, and nothing in it waits on I/O
        """
        import logging
        import threading

        logger = logging.getLogger(__name__)
        _REGISTRY_LOCK = threading.Lock()
        _MANAGERS = {}

        def manager_for(user_id, mode=None):
            with _REGISTRY_LOCK:
                if user_id in _MANAGERS:
                    return _MANAGERS[user_id]
                try:
                    manager = Manager(user_id, mode=mode, token=make_token())
                except ValueError:
                    manager = Manager(user_id)
                logger.info("created manager for %s", user_id)
                _MANAGERS[user_id] = manager
                return manager
        """,
        # a sync function given an object that holds no user's state
        """
        import threading

        _LOCK = threading.Lock()

        class Settings:
            def __init__(self, path):
                self.path = path

        def reload(settings: Settings):
            with _LOCK:
                settings.read()
        """,
        # `ctx` annotated with another type is no user context: `Parser` is not user-scoped
        """
        import threading

        _LOCK = threading.Lock()

        class Parser:
            def __init__(self, ctx: "ParseContext"):
                self.ctx = ctx

        def parse(parser: Parser, text):
            with _LOCK:
                return parser.run(text)
        """,
        # a lazy-init guard in a getter without a user identity
        """
        import threading
        _lock = threading.Lock()
        _client = None

        def get_client():
            global _client
            with _lock:
                if _client is None:
                    _client = make_client()
            return _client
        """,
        # per-user locks, and a lock created in the function
        """
        import asyncio
        from collections import defaultdict

        async def send(user_id, message):
            lock = asyncio.Lock()
            async with lock:
                await deliver(user_id, message)
        """,
        # a local variable or parameter shadowing the module-level lock
        """
        import asyncio
        LOCK = asyncio.Lock()

        async def a(user_id):
            LOCK = asyncio.Lock()
            async with LOCK:
                pass

        async def b(user_id, LOCK):
            await LOCK.acquire()
        """,
        # releasing or setting is not waiting; import-time use; strings and comments
        """
        import threading
        DONE = threading.Event()
        LOCK = threading.Lock()
        with LOCK:
            pass

        def finish(user_id):
            # with LOCK: ...
            DONE.set()
            LOCK.release()
            return 'LOCK.acquire()'
        """,
        # module-level objects that are not locks
        """
        POOL = ConnectionPool()
        import asyncio
        QUEUE = asyncio.Queue()

        async def query(user_id):
            async with POOL.acquire() as conn:
                await QUEUE.put(conn)
        """,
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._locks: dict[str, str] | None = None

    def locks(self) -> dict[str, str]:
        """Module-level names bound to a lock-like object: name -> kind."""
        if self._locks is None:
            out: dict[str, str] = {}
            for name, binding in self.ctx.module_scope.bindings.items():
                value = binding.value
                if (
                    binding.kind == "assign"
                    and isinstance(binding.node, ASSIGNMENTS)
                    and isinstance(value, ast.Call)
                ):
                    qual = module_qualname(self.ctx, value.func)
                    kind = LOCK_CALLS.get(qual or "")
                    if kind is not None:
                        out[name] = kind
            self._locks = out
        return self._locks

    def _lock(self, expr: ast.AST) -> tuple[str, str] | None:
        if not isinstance(expr, ast.Name):
            return None
        locks = self.locks()
        if not locks:
            return None
        name = expr.id if expr.id in locks else self.ctx.resolve(expr)
        if name is None or name not in locks or not self.ctx.is_module_global(name):
            return None
        return name, locks[name]

    def _check(self, node: ast.AST, expr: ast.AST) -> None:
        found = self._lock(expr)
        if found is None or runtime_function(self.ctx) is None:
            return
        if self.ctx.has_user_identity():
            self.report(node, name=found[0], kind=found[1])

    def visit_With(self, node: ast.With) -> None:
        if self._brief(node) or self._get_or_create(node):
            return
        for item in node.items:
            self._check(item.context_expr, item.context_expr)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> None:
        if self._brief(node):
            return
        for item in node.items:
            self._check(item.context_expr, item.context_expr)

    # what a brief critical section may call: memory only
    _MEMORY_METHODS = MUTATING_METHODS | {
        "get", "keys", "values", "items", "copy", "count", "index", "startswith",
        "endswith", "lower", "upper", "strip", "split", "join", "format",
    }  # fmt: skip
    _LOG_METHODS = frozenset(
        {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
    )
    _MEMORY_CALLS = frozenset(
        {
            "len", "sum", "min", "max", "sorted", "list", "dict", "set", "frozenset",
            "tuple", "str", "int", "float", "bool", "repr", "isinstance", "hasattr",
            "getattr", "id", "type", "any", "all", "iter", "next", "enumerate", "range",
            "zip", "reversed", "weakref.ref", "time.time", "time.monotonic",
        }
    )  # fmt: skip

    def _brief(self, node: ast.With | ast.AsyncWith) -> bool:
        """The block holds its locks only for in-memory work (see the doc)."""
        if len(node.items) != 1 or node.items[0].optional_vars is not None:
            return False
        fn = runtime_function(self.ctx)
        params: set[str] = set()
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = fn.args
            params = {p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)}
        todo: list[ast.AST] = list(node.body)
        while todo:
            sub = todo.pop()
            if isinstance(sub, (ast.Await, ast.AsyncFor, ast.AsyncWith, ast.Yield, ast.YieldFrom)):
                return False
            if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            if isinstance(sub, ast.With):
                return False  # another lock or resource inside
            if isinstance(sub, ast.Call) and not self._memory_call(sub, params):
                return False
            todo.extend(ast.iter_child_nodes(sub))
        return True

    # calls that wait on the outside world (or on another thread)
    _BLOCKING_METHODS = frozenset(
        {
            "sleep", "join", "result", "wait", "acquire", "recv", "recvfrom", "sendall",
            "send", "connect", "read", "readline", "write", "flush", "execute", "commit",
            "fetch", "request", "get_result", "urlopen", "run", "call", "check_output",
            "communicate", "put", "get_nowait",
        }
    )  # fmt: skip

    def _get_or_create(self, node: ast.With) -> bool:
        """Sync code holding a ``threading`` lock for a get-or-create of a module-level
        registry: the block tests whether a key is in a module-level container (``k in
        C``, ``C.get(k)``) and stores under it (``C[k] = ...``), with no nested lock or
        resource and no call that waits on I/O or another thread (see the doc)."""
        fn = runtime_function(self.ctx)
        if not isinstance(fn, ast.FunctionDef) or len(node.items) != 1:
            return False
        found = self._lock(node.items[0].context_expr)
        if found is None or not found[1].startswith("threading."):
            return False
        tested: set[str] = set()
        stored: set[str] = set()
        for sub in ast.walk(node):
            if sub is not node and isinstance(sub, (ast.With, ast.AsyncWith)):
                return False
            if isinstance(sub, ast.Compare) and any(
                isinstance(op, (ast.In, ast.NotIn)) for op in sub.ops
            ):
                tested.update(self._globals(sub.comparators))
            elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
                if sub.func.attr in self._BLOCKING_METHODS:
                    return False
                if sub.func.attr in ("get", "setdefault"):
                    tested.update(self._globals([sub.func.value]))
                if sub.func.attr == "setdefault":
                    stored.update(self._globals([sub.func.value]))
            elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
                if sub.func.id in ("open", "sleep", "urlopen", "input"):
                    return False
            elif isinstance(sub, ast.Subscript) and isinstance(sub.ctx, ast.Store):
                stored.update(self._globals([sub.value]))
        return bool(tested & stored)

    def _globals(self, nodes: list[ast.expr]) -> list[str]:
        return [
            n.id for n in nodes if isinstance(n, ast.Name) and self.ctx.is_module_global(n.id)
        ]

    def _memory_call(self, call: ast.Call, params: set[str]) -> bool:
        func = call.func
        if isinstance(func, ast.Attribute):
            if func.attr in self._MEMORY_METHODS:
                return True
            if func.attr in self._LOG_METHODS and isinstance(func.value, ast.Name):
                return "log" in func.value.id.lower()
        qual = self.ctx.resolve(func)
        if qual in self._MEMORY_CALLS:
            return True
        if isinstance(func, ast.Name):
            if func.id in self._MEMORY_CALLS and self.ctx.lookup(func.id) is None:
                return True  # a builtin nothing shadows
            # a weak reference dereferenced: a local called with no argument
            binding = self.ctx.lookup(func.id, call)
            return (
                not call.args
                and not call.keywords
                and func.id not in params
                and binding is not None
                and not self.ctx.is_module_global(func.id)
            )
        return False

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ACQUIRE_METHODS:
            self._check(node, func.value)
