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
    identity in scope (a `user_id`-like parameter or a user context).

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
    `identity-names`, `context-names`, `context-types`.
    """

    code = "NWS205"
    name = "global-lock-in-user-path"
    message = (
        "module-level {kind} `{name}` acquired with a user identity in scope:"
        " every user waits on it"
    )
    summary = "Module-level asyncio/threading lock acquired in a function with a user identity."
    trigger = ("Lock Semaphore Condition Event acquire wait", "{identity} {context}")
    options = ("identity-names", "context-names", "context-types")

    INVALID = [
        (
            "import asyncio\n"
            "\n"
            "_lock = asyncio.Lock()\n"
            "\n"
            "async def send(user_id, message):\n"
            "    async with _lock:  # expect: NWS205@16\n"
            "        await deliver(user_id, message)\n"
        ),
        # an aliased class, a sync function, `.acquire()`
        (
            "from threading import RLock as L\n"
            "\n"
            "GUARD = L()\n"
            "\n"
            "def save(session_id, data):\n"
            "    with GUARD:  # expect: NWS205@10\n"
            "        store(session_id, data)\n"
            "    GUARD.acquire()  # expect: NWS205@5\n"
            "    try:\n"
            "        store(session_id, data)\n"
            "    finally:\n"
            "        GUARD.release()\n"
        ),
        # a method with self.user_context; semaphore and event defined below
        (
            "import asyncio as aio\n"
            "\n"
            "class Sender:\n"
            "    def __init__(self, user_context):\n"
            "        self.user_context = user_context\n"
            "\n"
            "    async def send(self, message):\n"
            "        await READY.wait()  # expect: NWS205@15\n"
            "        await aio.wait_for(SLOTS.acquire(), 5)  # expect: NWS205@28\n"
            "\n"
            "SLOTS = aio.BoundedSemaphore(10)\n"
            "READY: aio.Event = aio.Event()\n"
        ),
        # several `with` items, odd formatting, a Condition
        (
            "import threading\n"
            "COND = threading.Condition()\n"
            "\n"
            "def wait_turn(thread_id):\n"
            "    with open(thread_id) as f, (\n"
            "        COND  # expect: NWS205@9\n"
            "    ):\n"
            "        COND.wait()  # expect: NWS205@9\n"
            "        return f.read()\n"
        ),
        # a nested function and a lambda inside a user function; a local alias
        (
            "from asyncio import Lock\n"
            "LOCK = Lock()\n"
            "\n"
            "async def handle(user_context):\n"
            "    async def critical():\n"
            "        lock = LOCK\n"
            "        async with lock:  # expect: NWS205@20\n"
            "            pass\n"
            "    grab = lambda: LOCK.acquire()  # expect: NWS205@20\n"
            "    return critical, grab\n"
        ),
    ]
    VALID = [
        # a lazy-init guard in a getter without a user identity
        "import threading\n"
        "_lock = threading.Lock()\n"
        "_client = None\n"
        "\n"
        "def get_client():\n"
        "    global _client\n"
        "    with _lock:\n"
        "        if _client is None:\n"
        "            _client = make_client()\n"
        "    return _client\n",
        # per-user locks, and a lock created in the function
        "import asyncio\n"
        "from collections import defaultdict\n"
        "\n"
        "async def send(user_id, message):\n"
        "    lock = asyncio.Lock()\n"
        "    async with lock:\n"
        "        await deliver(user_id, message)\n",
        # a local variable or parameter shadowing the module-level lock
        "import asyncio\n"
        "LOCK = asyncio.Lock()\n"
        "\n"
        "async def a(user_id):\n"
        "    LOCK = asyncio.Lock()\n"
        "    async with LOCK:\n"
        "        pass\n"
        "\n"
        "async def b(user_id, LOCK):\n"
        "    await LOCK.acquire()\n",
        # releasing or setting is not waiting; import-time use; strings and comments
        "import threading\n"
        "DONE = threading.Event()\n"
        "LOCK = threading.Lock()\n"
        "with LOCK:\n"
        "    pass\n"
        "\n"
        "def finish(user_id):\n"
        "    # with LOCK: ...\n"
        "    DONE.set()\n"
        "    LOCK.release()\n"
        "    return 'LOCK.acquire()'\n",
        # module-level objects that are not locks
        "POOL = ConnectionPool()\n"
        "import asyncio\n"
        "QUEUE = asyncio.Queue()\n"
        "\n"
        "async def query(user_id):\n"
        "    async with POOL.acquire() as conn:\n"
        "        await QUEUE.put(conn)\n",
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
