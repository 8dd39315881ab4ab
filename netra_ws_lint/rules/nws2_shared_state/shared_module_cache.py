"""NWS201 shared-module-cache."""

from __future__ import annotations

import ast

from netra_ws_lint.analysis.idioms import (
    function_label,
    module_qualname,
    mutation_keys,
    pure_removal,
    weak_only_store,
)
from netra_ws_lint.analysis.requests import request_derived
from netra_ws_lint.analysis.semantic import Context
from netra_ws_lint.analysis.vocabulary import (
    is_identity_value,
    is_own_id_tracking,
    keyed_removals,
)
from netra_ws_lint.rules._shared import (
    _ModuleContainerRule,
)
from netra_ws_lint.rules.base import register


def _bookkeeping(ctx: Context, node: ast.AST) -> bool:
    """An entry set to a value that holds no request's data (constants, counters, clock
    times: ``X["state"] = "OPEN"``, ``X["failures"] += 1``, ``LIMITS[addr] = {"count":
    0, "reset": now + 60}``, ``SLOTS[addr] = []``), under a literal key or a key that
    names no user: a process field, a limiter's or a counter's bookkeeping."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
    elif isinstance(node, ast.AugAssign):
        target = node.target
    else:
        return False
    return (
        isinstance(target, ast.Subscript)
        and isinstance(target.value, ast.Name)
        and not is_identity_value(target.slice, ctx.words)
        and _plain(ctx, node.value)
        and not request_derived(ctx, node.value)
    )


_CLOCKS = frozenset(
    {"time.time", "time.monotonic", "time.perf_counter", "datetime.datetime.now",
     "datetime.datetime.utcnow", "datetime.now", "datetime.utcnow"}
)  # fmt: skip


def _plain(ctx: Context, node: ast.AST, depth: int = 0) -> bool:
    """Plain data: constants, numbers and clock times, arithmetic on them, containers
    of them, or a local bound to one (an object built here is not plain)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        parts = [node.left, node.right] if isinstance(node, ast.BinOp) else [node.operand]
        return all(_plain(ctx, p, depth) for p in parts)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(_plain(ctx, e, depth) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(v is not None and _plain(ctx, v, depth) for v in node.values)
    if isinstance(node, ast.Call):
        return not node.args and ctx.resolve(node.func) in _CLOCKS
    if isinstance(node, ast.Name) and depth < 2:
        binding = ctx.lookup(node.id, node)
        value = binding.value if binding is not None and binding.kind == "assign" else None
        return value is not None and _plain(ctx, value, depth + 1)
    return False


@register
class SharedModuleCache(_ModuleContainerRule):
    """
    ## What it does
    Flags a mutation of a module-level mutable container (a `dict`, `list`, `set`,
    `deque`, `defaultdict`, `OrderedDict` or `Counter`, literal or constructor,
    annotated or not, however the constructor is imported) inside an `async def` or
    inside a function with a user identity in scope (a `user_id`-like parameter or a
    user context) or that serves one request (a route or event handler known by its
    framework, a Django view, or what one calls in the same module). A mutation is
    an item assignment, `del`, an augmented item assignment, or a mutating method
    call (`append`, `add`, `update`, `setdefault`, `pop`, `clear`, ...), on the
    container or on what it holds
    (`CACHE[k].append(v)`, `CACHE.setdefault(k, []).append(v)`). Each mutating
    statement is reported. A mutation keyed by a user identity (`CACHE[user_id]`, a
    field read through a context: `CACHE[context.session.id]`) is per-user state in
    any function. Adding and removing an instance under its own id in its methods
    (`SESSIONS[self.id] = self` ... `SESSIONS.pop(self.id)`) is instance tracking:
    audit only. So is a store keyed by a user identity that a cleanup function of the
    project (one that does not also add to it, in any module) removes from by key
    (`STORE.pop(session_id)` on disconnect): it has a lifecycle, left to review.
    Whether the cleanup reaches every entry is not decided: a store popped when a
    websocket disconnects but also filled for sessions that never connect one (HTTP
    or bot sessions) still grows; look at these audit findings. The removals by key
    from such a store (`del STORE[k]`, `STORE.pop(k)` in an expiry sweep or a
    logout) are its cleanup: audit too, whatever their key. A value computed from no
    request stored under a key that names no user (`STATS["expired"] += 1`,
    `BREAKER["state"] = "OPEN"`, `BREAKER["last_failure"] = time.time()`,
    `LIMITS[client_addr] = {"count": 0, "reset": now + 60}`) is a process-wide field
    or a limiter's bookkeeping holding no user's data: not flagged.
    A removal from the container itself (`del STORE[k]`, `STORE.pop(k)`,
    `popitem`, `popleft`, `remove`, `discard`, `clear`, or an entry rebound to a
    filtered copy of itself: `STORE[k] = [m for m in STORE[k] if m != v]`) puts no
    user's data into it: the store's additions are the finding, its removals are
    audit (a delete handler removing the caller's own entry is the cleanup of the
    same defect, not a second one). A method called on what the store holds
    (`STORE[k].remove(v)`) is still reported: the held object may be anything. A
    store whose every value is a weak reference (`STORE[k] = weakref.ref(obj)`,
    `weakref.proxy`) keeps no user's object alive: audit.
    A function given a user-scoped object (`def f(tab: Tab)`) has a user in scope.

    ## Why is this bad?
    A module global lives as long as the process and is shared by every request of
    every user. Whatever one user's request puts in it (a WebSocket, a message, a
    thread id) is visible to, and can be served to, the next user; it also grows
    without bound and races between concurrent requests.

    ## Example
    ```python
    _connections: dict[str, WebSocket] = {}

    async def connect(user_id: str, websocket: WebSocket) -> None:
        _connections[user_id] = websocket
    ```

    ## Use instead
    ```python
    async def connect(user_context: UserExecutionContext, websocket: WebSocket) -> None:
        manager = create_websocket_manager(user_context)
        await manager.add_connection(websocket)
    ```

    ## Fix
    No automatic fix: keep the state on the per-request object (the user context,
    the manager the factory builds) or in an external store keyed and scoped per user.
    Mutations at import time (module-level registration) are not flagged; run-time
    mutations outside user code paths are NWS202 (audit).

    ## Options
    `identity-names`, `context-names`, `context-types` (what a user identity is),
    `request-handler-decorators` (decorators that make a request handler).
    """

    code = "NWS201"
    name = "shared-module-cache"
    serves_requests = "A shared container mixes users' data only where it runs for them."
    message = (
        "module-level container `{name}` mutated in `{func}`, which serves one user:"
        " every user shares it"
    )
    summary = "Module-level mutable container mutated in async code or with a user identity."
    trigger = ("{identity} {context} async {handlers}",)
    options = ("identity-names", "context-names", "context-types", "request-handler-decorators")

    INVALID = [
        # a per-user store that is only ever cleared whole or trimmed by a fixed key
        """
        HISTORY = {}

        async def remember(session_id, text):
            HISTORY.setdefault(session_id, []).append(text)  # expect: NWS201@5

        def trim():
            HISTORY.pop("", None)
            HISTORY.clear()
        """,
        # a sync function given a user-scoped object (a `Tab` belongs to one user: its
        # `__init__` keeps the user id it is given)
        """
        HISTORY = {}

        class Tab:
            def __init__(self, user_id):
                self.user_id = user_id

        def note(tab: Tab, text):
            HISTORY.setdefault(id(tab), []).append(text)  # expect: NWS201@5
        """,
        # async function, literals, containers defined below the function
        """
        async def remember(message):
            SEEN[message.id] = message  # expect: NWS201@5
            RECENT.append(message)  # expect: NWS201@5
            if len(RECENT) > 100:
                RECENT.pop(0)

        SEEN = {}
        RECENT: list = []
        """,
        # aliased constructors, annotated container, sync function with a user id,
        # mutation of what the container holds, augmented item assignment, del
        """
        import collections as c
        from collections import OrderedDict as OD

        BY_USER = c.defaultdict(list)
        LRU = OD()
        COUNTS: dict[str, int] = {}

        def record(user_id, event):
            BY_USER[user_id].append(event)  # expect: NWS201@5
            LRU.move_to_end(user_id)  # expect: NWS201@5
            COUNTS[user_id] += 1  # expect: NWS201@5
            del LRU[user_id]
            BY_USER[user_id][0] = event  # expect: NWS201@5
        """,
        # a user's entry edited in place through a method of what the store holds
        # (the held object may be anything: not a removal the tool can see)
        """
        INBOX = {}

        async def post(user_id, message):
            INBOX.setdefault(user_id, []).append(message)  # expect: NWS201@5

        async def retract(user_id, message):
            INBOX[user_id].remove(message)  # expect: NWS201@5
        """,
        # a store of weak references that also keeps one strong one
        """
        import weakref

        MANAGERS = {}

        async def track(user_id, manager):
            MANAGERS[user_id] = weakref.ref(manager)  # expect: NWS201@5
            MANAGERS['last'] = manager  # expect: NWS201@5
        """,
        # a literal key holding what a user sent, not a count
        """
        STATS = {'seen': []}

        async def see(user_id):
            STATS['seen'] += [user_id]  # expect: NWS201@5
        """,
        # a method, a nested function, a comprehension and a lambda inside async code
        """
        PENDING = []
        INDEX = {}

        class Handler:
            async def handle(self, items):
                def remember(item):
                    INDEX.setdefault(item.key, []).append(item)  # expect: NWS201@13
                [PENDING.append(i) for i in items]  # expect: NWS201@10
                forget = lambda i: PENDING.remove(i)
                return remember, forget
        """,
        # a user context (parameter or self.user_context), `global`, odd formatting
        """
        from collections import deque as Q
        HISTORY = Q(maxlen=100)
        SESSIONS = set()

        def log(user_context: UserExecutionContext, line):
            global HISTORY
            (HISTORY  # expect: NWS201@6
                .appendleft(line))

        class Tracker:
            def __init__(self, user_context):
                self.user_context = user_context

            def start(self):
                SESSIONS.add(self.user_context.user_id)  # expect: NWS201@9
        """,
        # a decorated handler, a local alias of the container, `Counter`
        """
        import collections

        VOTES = collections.Counter()

        @router.post('/vote')
        async def vote(request):
            counts = VOTES
            counts[request.choice] += request.weight  # expect: NWS201@5
            VOTES.update(request.more)  # expect: NWS201@5
            return dict(VOTES)
        """,
        # keyed by a field read through the context, in a plain method
        """
        from app.context import context

        HISTORY = {}

        class ChatHistory:
            def add(self, message):
                HISTORY.setdefault(context.session.id, []).append(message)  # expect: NWS201@9
        """,
        # sync request handlers: a Flask view and the helper it calls, a Django
        # class-based view (the framework says they serve one request)
        """
        from flask import Flask, request
        from django.views import View

        app = Flask(__name__)
        RECENT = []
        SEEN = set()

        @app.route("/comment", methods=["POST"])
        def comment():
            RECENT.append(request.form["text"])  # expect: NWS201@5
            remember(request.remote_addr)
            return "ok"

        def remember(addr):
            SEEN.add(addr)  # expect: NWS201@5

        class Upload(View):
            def post(self, request):
                RECENT.append(request.FILES)  # expect: NWS201@9
        """,
        # a literal key given the request's data is the last user's, for everyone
        """
        LAST = {'user': None, 'count': 0}

        async def seen(user_id, n):
            LAST['user'] = user_id  # expect: NWS201@5
            LAST['count'] += n  # expect: NWS201@5
        """,
    ]
    VALID = [
        # a sync function given a multi-tenant registry (keyed by connection ids, one per
        # process by design) serves no single user: NWS202 (audit) at most
        """
        HISTORY = {}

        class ConnectionPool:
            def __init__(self):
                self._connections = {}

            def add(self, connection_id, websocket):
                self._connections[connection_id] = websocket

        def note(pool: ConnectionPool, text):
            HISTORY.setdefault(id(pool), []).append(text)
        """,
        # a registry of live sessions under their own ids (added on creation, removed
        # on close): instance tracking, audit only
        """
        SESSIONS = {}

        class Session:
            def __init__(self, session_id):
                self.session_id = session_id
                SESSIONS[session_id] = self

            async def close(self):
                SESSIONS.pop(self.session_id, None)
        """,
        # import-time registration at module level, and a run-time mutation outside any
        # user path (that is NWS202, audit)
        """
        HANDLERS = {}
        HANDLERS['ping'] = handle_ping
        for name in ('a', 'b'):
            HANDLERS[name] = None
        [HANDLERS.setdefault(n, None) for n in 'xyz']

        def register(name, fn):
            HANDLERS[name] = fn
        """,
        # a local variable or parameter shadowing the module name; a local container
        """
        CACHE = {}

        async def handle(user_id):
            CACHE = {}
            CACHE[user_id] = 1
            seen = []
            seen.append(user_id)
            return CACHE

        def other(user_id, CACHE):
            CACHE[user_id] = 1
        """,
        # `global` rebinding, reads and mutations of a copy
        """
        CACHE = {}

        async def reset():
            global CACHE
            CACHE = {}

        async def read(user_id):
            value = CACHE.get(user_id)
            snapshot = dict(CACHE)
            snapshot[user_id] = value
            return CACHE.copy().pop(user_id, None)
        """,
        # strings and comments mentioning it; immutable module-level values
        """
        NAMES = ('a', 'b')
        FROZEN = frozenset()
        TEXT = 'CACHE[user_id] = 1'

        async def f(user_id):
            # CACHE[user_id] = 1
            log('CACHE.append(user_id)')
            return NAMES.index(user_id), FROZEN.union({user_id})
        """,
        # a per-user store whose entries are removed by key (on disconnect): it has a
        # lifecycle (audit, NWS202 lists it)
        """
        SESSIONS = {}

        async def connect(session_id, data):
            SESSIONS[session_id] = data

        async def disconnect(session_id):
            SESSIONS.pop(session_id, None)
        """,
        # the expiry sweep and the logout of a store with a lifecycle remove by key
        # (a token hash, a user id): its cleanup, audit with the store
        """
        TOKENS = {}

        def remember(token_hash, info):
            TOKENS[token_hash] = info

        async def sweep(now):
            for token_hash in [k for k, v in TOKENS.items() if v['exp'] < now]:
                del TOKENS[token_hash]

        async def logout(user_id, token_hash):
            TOKENS.pop(token_hash, None)
        """,
        # removals from the store itself put nobody's data into it: a delete handler
        # (after its ownership check), an entry rebound to a filtered copy of itself,
        # `del`, `pop`, `discard`, `clear` (audit, with the store)
        """
        MESSAGES = {}
        BY_USER = {}
        ONLINE = set()

        @router.delete("/messages/{message_id}")
        async def delete_message(message_id, user_id):
            message = MESSAGES[message_id]
            if message.user_id != user_id:
                raise PermissionError(message_id)
            del MESSAGES[message_id]
            BY_USER[user_id] = [m for m in BY_USER[user_id] if m != message_id]
            BY_USER[user_id] = {k: v for k, v in BY_USER[user_id].items() if k != message_id}
            BY_USER.pop(user_id, None)
            ONLINE.discard(user_id)

        async def reset(user_id):
            ONLINE.clear()
        """,
        # a store holding only weak references keeps no user's object alive
        """
        import weakref
        from weakref import ref

        LIVE = {}
        SEEN = []

        async def track(user_id, manager):
            LIVE[user_id] = weakref.ref(manager)
            SEEN.append(ref(manager))
        """,
        # process fields: a number added, a state or a time set, under a literal key
        """
        import time

        STATS = {'expired': 0, 'active': 0}
        BREAKER = {'state': 'CLOSED', 'failures': 0, 'last_failure': None}

        async def expire(token_hash):
            STATS['expired'] += 1
            STATS['active'] -= 1

        async def check_breaker():
            if BREAKER['state'] == 'OPEN' and time.time() - BREAKER['last_failure'] > 30:
                BREAKER['state'] = 'HALF_OPEN'
                BREAKER['failures'] = 0

        async def record_failure(user_id):
            BREAKER['failures'] += 1
            BREAKER['last_failure'] = time.time()
        """,
        # a limiter's bookkeeping keyed by a client address: counters and times only
        """
        import time

        LIMITS = {}
        SLOTS = {}

        async def allow(client_addr):
            now = time.time()
            if client_addr not in LIMITS:
                LIMITS[client_addr] = {'count': 0, 'reset': now + 60}
                SLOTS[client_addr] = []
            return LIMITS[client_addr]
        """,
        # per-user state lives on the user's context
        """
        async def remember(user_context, message):
            user_context.state['last'] = message
            user_context.history.append(message)
            user_context.history.sort()
        """,
    ]

    def on_runtime_mutation(self, node: ast.AST, name: str, fn: ast.AST) -> bool:
        if not (self.user_path() or self._keyed_by_identity(node)):
            return False
        if _bookkeeping(self.ctx, node):
            return False  # ``STATS["cleanups"] += 1``: a process field, nobody's data
        # instance tracking under the instance's own id (``live[self.id] = self``,
        # ``live.pop(self.id)``): audit, the registry is not per-user state
        audit = self._is_method(fn) and is_own_id_tracking(node, fn)
        # a per-user store whose entries the project removes by key (on disconnect,
        # logout...) has a lifecycle: audit, whether it is complete is for review
        audit = audit or (self._keyed_by_identity(node) and self._evicted(name))
        # and the removals by key that make that lifecycle (the sweep, the logout):
        # they are the cleanup of such a store, reviewed with it
        audit = audit or (name in keyed_removals(node) and self._evicted(name))
        # a removal from the container itself (``del X[k]``, ``X.pop(k)``, ``X.clear()``)
        # puts nobody's data into it: where the data goes in (its additions) is the
        # finding; the removals are reviewed with the store
        audit = audit or pure_removal(node)
        # a store of weak references keeps no user's object alive
        audit = audit or self._weak_only(name)
        return self._report_once(node, audit=audit, name=name, func=function_label(fn))

    def _weak_only(self, name: str) -> bool:
        memo = self.ctx.rule_state.setdefault("nws201-weak", {})
        assert isinstance(memo, dict)
        if name not in memo:
            ctx = self.ctx
            memo[name] = weak_only_store(ctx.tree, name, lambda n: module_qualname(ctx, n))
        return bool(memo[name])

    def _evicted(self, name: str) -> bool:
        """A cleanup function of the project removes entries of ``name`` by key."""
        ctx = self.ctx
        module = ctx.module_name if ctx.project is not None else None
        return ctx.vocabulary().is_evicted(f"{module}.{name}" if module else name)

    def _is_method(self, fn: ast.AST) -> bool:
        scopes = self.ctx.scopes
        return any(
            s.node is fn and i > 0 and scopes[i - 1].kind == "class" for i, s in enumerate(scopes)
        )

    def _keyed_by_identity(self, node: ast.AST) -> bool:
        """The mutation's key names one user (``CACHE[user_id] = ...``,
        ``CACHE.setdefault(context.session.id, [])``): per-user state, whatever the
        function's parameters."""
        return any(is_identity_value(k, self.ctx.words) for k in mutation_keys(node))
