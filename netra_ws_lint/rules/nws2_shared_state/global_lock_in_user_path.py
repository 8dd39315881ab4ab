"""NWS205 global-lock-in-user-path."""

from __future__ import annotations

import ast

from netra_ws_lint.analysis.idioms import (
    ACQUIRE_METHODS,
    ASSIGNMENTS,
    LOCK_CALLS,
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

    ## Fix
    No automatic fix: give each per-user object its own lock. A lazy-init guard in a
    getter without a user identity is not flagged.

    ## Options
    `identity-names`, `context-names`, `context-types`, `request-handler-decorators`.
    """

    code = "NWS205"
    name = "global-lock-in-user-path"
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
                    pass
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
    ]
    VALID = [
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
        for item in node.items:
            self._check(item.context_expr, item.context_expr)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> None:
        for item in node.items:
            self._check(item.context_expr, item.context_expr)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ACQUIRE_METHODS:
            self._check(node, func.value)
