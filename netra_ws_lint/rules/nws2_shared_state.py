"""NWS2: state shared by every user of the process (module-level containers, class
attributes, process-wide caches and locks, context-variable defaults).

The mutation detection (what counts as mutating a container, and which container a
statement or call mutates) is written once in :class:`_MutationRule` and shared by
NWS201 / NWS202 (module-level containers) and NWS204 (class attributes).

Module-level containers and locks are collected once per file, lazily, from the module
scope's bindings (so a function sees a container defined below it); their constructor
names are resolved at module level (``import collections as c; c.defaultdict(list)``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from typing import Callable, Optional

from netra_ws_lint.analysis.semantic import (
    FUNCTION_TYPES,
    Context,
    Scope,
    annotation_names,
    params_of,
)
from netra_ws_lint.analysis.vocabulary import is_identity_value, is_own_id_tracking
from netra_ws_lint.rules.base import Rule, register

# ---------------------------------------------------------------------------- words

MUTATING_METHODS = frozenset(
    {
        "append",
        "appendleft",
        "extend",
        "extendleft",
        "insert",
        "add",
        "update",
        "setdefault",
        "pop",
        "popleft",
        "popitem",
        "remove",
        "discard",
        "clear",
        "move_to_end",
        "sort",
        "reverse",
    }
)
# ``X.setdefault(k, [])`` / ``X.get(k)`` give what ``X`` holds: mutating the result
# mutates the container's contents (``X.setdefault(k, []).append(v)``).
HOLDER_METHODS = frozenset({"setdefault", "get"})

CONTAINER_CALLS: dict[str, str] = {
    "dict": "dict",
    "list": "list",
    "set": "set",
    "builtins.dict": "dict",
    "builtins.list": "list",
    "builtins.set": "set",
    "dict.fromkeys": "dict",
    "collections.deque": "deque",
    "collections.defaultdict": "defaultdict",
    "collections.OrderedDict": "OrderedDict",
    "collections.Counter": "Counter",
}

LOCK_KINDS = ("Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition", "Event")
LOCK_CALLS: dict[str, str] = {
    f"{module}.{kind}": f"{module.partition('.')[0]}.{kind}"
    for module in ("asyncio", "asyncio.locks", "threading")
    for kind in LOCK_KINDS
}
ACQUIRE_METHODS = frozenset({"acquire", "wait", "wait_for"})

CACHE_DECORATORS = frozenset(
    {
        "functools.lru_cache",
        "functools.cache",
        "cachetools.cached",
        "cachetools.func.lru_cache",
        "cachetools.func.ttl_cache",
        "cachetools.func.lfu_cache",
        "cachetools.func.fifo_cache",
        "cachetools.func.rr_cache",
        "cachetools.func.mru_cache",
        "async_lru.alru_cache",
        "aiocache.cached",
        "aiocache.decorators.cached",
        "aiocache.multi_cached",
        "aiocache.decorators.multi_cached",
    }
)

# Classes whose annotated fields are copied for every instance (not shared).
MODEL_BASES = frozenset({"BaseModel", "BaseSettings", "SQLModel", "RootModel", "GenericModel"})

Resolver = Callable[[ast.AST], Optional[str]]
ASSIGNMENTS = (ast.Assign, ast.AnnAssign)


# ---------------------------------------------------------------------------- helpers


def container_kind(value: ast.AST | None, resolve: Resolver) -> str | None:
    """The kind of mutable container ``value`` builds (a literal, a comprehension or a
    constructor call), or None."""
    if isinstance(value, (ast.Dict, ast.DictComp)):
        return "dict"
    if isinstance(value, (ast.List, ast.ListComp)):
        return "list"
    if isinstance(value, (ast.Set, ast.SetComp)):
        return "set"
    if isinstance(value, ast.Call):
        name = resolve(value.func)
        if name is not None:
            return CONTAINER_CALLS.get(name)
    return None


def module_qualname(ctx: Context, node: ast.AST) -> str | None:
    """Qualified name of a Name/Attribute chain as seen at module level (the scope a
    module-level binding's value is evaluated in), whatever the current scope is."""
    if isinstance(node, ast.Name):
        binding = ctx.module_scope.bindings.get(node.id)
        if binding is not None and binding.kind == "import":
            return binding.qualname
        return node.id
    if isinstance(node, ast.Attribute):
        base = module_qualname(ctx, node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def container_root(expr: ast.AST) -> ast.AST:
    """The container an item access reaches into: ``X[k][j]`` -> ``X``,
    ``X.setdefault(k, [])[j]`` -> ``X``, ``X.get(k)`` -> ``X``."""
    while True:  # each step goes down to a child: ends on any tree, however deep
        if isinstance(expr, ast.Subscript):
            expr = expr.value
        elif (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and expr.func.attr in HOLDER_METHODS
        ):
            expr = expr.func.value
        else:
            break
    return expr


def item_target_roots(target: ast.AST) -> Iterator[ast.AST]:
    """For each item-assignment target in ``target`` (``X[k]`` in ``X[k], y = ...``),
    the container it assigns into."""
    if isinstance(target, ast.Subscript):
        yield container_root(target.value)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from item_target_roots(elt)
    elif isinstance(target, ast.Starred):
        yield from item_target_roots(target.value)


def mutated_by_call(call: ast.Call) -> ast.AST | None:
    """The container a mutating method call mutates (``X.append(v)``, ``X[k].add(v)``,
    ``X.setdefault(k, []).append(v)`` -> ``X``), or None."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in MUTATING_METHODS:
        return container_root(func.value)
    return None


def function_label(node: ast.AST) -> str:
    return getattr(node, "name", None) or "<lambda>"


def runtime_function(ctx: Context) -> ast.AST | None:
    """The innermost function (def or lambda) the current node runs in, or None at
    import time (module level, a module-level class body or comprehension)."""
    for scope in reversed(ctx.scopes):
        if scope.kind in ("function", "lambda"):
            return scope.node
    return None


def in_async_code(ctx: Context) -> bool:
    """Inside an ``async def`` (or a function nested in one)."""
    return any(isinstance(scope.node, ast.AsyncFunctionDef) for scope in ctx.scopes)


def self_param(fn: ast.AST) -> str | None:
    """Name of the first parameter of a method (``self`` / ``cls``), None for a
    staticmethod or a function without positional parameters."""
    if not isinstance(fn, FUNCTION_TYPES):
        return None
    for dec in fn.decorator_list:
        if (isinstance(dec, ast.Name) and dec.id == "staticmethod") or (
            isinstance(dec, ast.Attribute) and dec.attr == "staticmethod"
        ):
            return None
    params = params_of(fn)
    if not params or params[0].kind not in ("pos", "posonly"):
        return None
    return params[0].name


IMPLICIT_CLASSMETHODS = frozenset({"__new__", "__init_subclass__", "__class_getitem__"})


def is_classmethod(fn: ast.AST) -> bool:
    """A method whose first parameter is the class (``@classmethod``, ``__new__``...)."""
    if not isinstance(fn, FUNCTION_TYPES):
        return False
    if fn.name in IMPLICIT_CLASSMETHODS:
        return True
    return any(
        (isinstance(d, ast.Name) and d.id == "classmethod")
        or (isinstance(d, ast.Attribute) and d.attr == "classmethod")
        for d in fn.decorator_list
    )


def _through_class(fn: ast.AST) -> bool:
    """A classmethod or a staticmethod: what it mutates belongs to the class."""
    return is_classmethod(fn) or (
        isinstance(fn, FUNCTION_TYPES) and self_param(fn) is None and bool(fn.decorator_list)
    )


def is_classvar(annotation: ast.AST | None) -> bool:
    return any(n.rpartition(".")[2] == "ClassVar" for n in annotation_names(annotation))


# ---------------------------------------------------------------------------- mutations


class _MutationRule(Rule):
    """Finds every mutation of a container (item assignment, ``del``, augmented item
    assignment, mutating method call, on the container or on what it holds) and hands
    the mutated expression to :meth:`on_mutation`."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._reported: set[tuple[int, int]] = set()

    def on_mutation(self, node: ast.AST, root: ast.AST) -> bool:
        """Handle a mutation of ``root`` at ``node``; True when reported."""
        raise NotImplementedError

    def active(self) -> bool:
        """False when nothing in this file can be reported (checked first, cheaply)."""
        return True

    def _targets(self, node: ast.AST, targets: Sequence[ast.AST]) -> None:
        for target in targets:
            if type(target) is ast.Name:  # the common case, no item assignment
                continue
            if not self.active():
                return
            for root in item_target_roots(target):
                if self.on_mutation(node, root):
                    return  # one finding per statement

    def visit_Assign(self, node: ast.Assign) -> None:
        self._targets(node, node.targets)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._targets(node, (node.target,))

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._targets(node, (node.target,))

    def visit_Delete(self, node: ast.Delete) -> None:
        self._targets(node, node.targets)

    def visit_For(self, node: ast.For) -> None:
        self._targets(node, (node.target,))

    def visit_AsyncFor(self, node: ast.AsyncFor) -> None:
        self._targets(node, (node.target,))

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if type(func) is ast.Attribute and func.attr in MUTATING_METHODS and self.active():
            self.on_mutation(node, container_root(func.value))

    def _report_once(self, node: ast.AST, audit: bool = False, **fields: str) -> bool:
        pos = (getattr(node, "lineno", 1), getattr(node, "col_offset", 0))
        if pos in self._reported:
            return True
        self._reported.add(pos)
        self.report(pos, audit=audit, **fields)
        return True


class _ModuleContainerRule(_MutationRule):
    """Mutations of module-level containers, split by where they run."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._containers: dict[str, str] | None = None

    def containers(self) -> dict[str, str]:
        """Module-level names bound to a mutable container: name -> kind."""
        if self._containers is None:
            ctx = self.ctx
            out: dict[str, str] = {}
            for name, binding in ctx.module_scope.bindings.items():
                if binding.kind != "assign" or not isinstance(binding.node, ASSIGNMENTS):
                    continue
                kind = container_kind(binding.value, lambda n: module_qualname(ctx, n))
                if kind is not None:
                    out[name] = kind
            self._containers = out
        return self._containers

    def active(self) -> bool:
        return bool(self.containers())

    def user_path(self) -> bool:
        return in_async_code(self.ctx) or self.ctx.has_user_identity()

    def container_name(self, root: ast.AST) -> str | None:
        """The module-level container ``root`` refers to from here (through a local
        alias ``c = CACHE`` too), or None."""
        if not isinstance(root, ast.Name):
            return None
        containers = self.containers()
        if not containers:
            return None
        name = root.id if root.id in containers else self.ctx.resolve(root)
        if name is None or name not in containers or not self.ctx.is_module_global(name):
            return None
        return name

    def on_mutation(self, node: ast.AST, root: ast.AST) -> bool:
        name = self.container_name(root)
        if name is None:
            return False
        fn = runtime_function(self.ctx)
        if fn is None:  # import time: registration at module level
            return False
        return self.on_runtime_mutation(node, name, fn)

    def on_runtime_mutation(self, node: ast.AST, name: str, fn: ast.AST) -> bool:
        raise NotImplementedError


@register
class SharedModuleCache(_ModuleContainerRule):
    """
    ## What it does
    Flags a mutation of a module-level mutable container (a `dict`, `list`, `set`,
    `deque`, `defaultdict`, `OrderedDict` or `Counter`, literal or constructor,
    annotated or not, however the constructor is imported) inside an `async def` or
    inside a function with a user identity in scope (a `user_id`-like parameter or a
    user context). A mutation is an item assignment, `del`, an augmented item
    assignment, or a mutating method call (`append`, `add`, `update`, `setdefault`,
    `pop`, `clear`, ...), on the container or on what it holds
    (`CACHE[k].append(v)`, `CACHE.setdefault(k, []).append(v)`). Each mutating
    statement is reported.

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
    `identity-names`, `context-names`, `context-types` (what a user identity is).
    """

    code = "NWS201"
    name = "shared-module-cache"
    message = (
        "module-level container `{name}` mutated in `{func}`, which serves one user:"
        " every user shares it"
    )
    summary = "Module-level mutable container mutated in async code or with a user identity."
    options = ("identity-names", "context-names", "context-types")

    INVALID = [
        # async function, literals, containers defined below the function
        (
            "async def remember(message):\n"
            "    SEEN[message.id] = message  # expect: NWS201@5\n"
            "    RECENT.append(message)  # expect: NWS201@5\n"
            "    if len(RECENT) > 100:\n"
            "        RECENT.pop(0)  # expect: NWS201@9\n"
            "\n"
            "SEEN = {}\n"
            "RECENT: list = []\n"
        ),
        # aliased constructors, annotated container, sync function with a user id,
        # mutation of what the container holds, augmented item assignment, del
        (
            "import collections as c\n"
            "from collections import OrderedDict as OD\n"
            "\n"
            "BY_USER = c.defaultdict(list)\n"
            "LRU = OD()\n"
            "COUNTS: dict[str, int] = {}\n"
            "\n"
            "def record(user_id, event):\n"
            "    BY_USER[user_id].append(event)  # expect: NWS201@5\n"
            "    LRU.move_to_end(user_id)  # expect: NWS201@5\n"
            "    COUNTS[user_id] += 1  # expect: NWS201@5\n"
            "    del LRU[user_id]  # expect: NWS201@5\n"
            "    BY_USER[user_id][0] = event  # expect: NWS201@5\n"
        ),
        # a method, a nested function, a comprehension and a lambda inside async code
        (
            "PENDING = []\n"
            "INDEX = {}\n"
            "\n"
            "class Handler:\n"
            "    async def handle(self, items):\n"
            "        def remember(item):\n"
            "            INDEX.setdefault(item.key, []).append(item)  # expect: NWS201@13\n"
            "        [PENDING.append(i) for i in items]  # expect: NWS201@10\n"
            "        forget = lambda i: PENDING.remove(i)  # expect: NWS201@28\n"
            "        return remember, forget\n"
        ),
        # a user context (parameter or self.user_context), `global`, odd formatting
        (
            "from collections import deque as Q\n"
            "HISTORY = Q(maxlen=100)\n"
            "SESSIONS = set()\n"
            "\n"
            "def log(user_context: UserExecutionContext, line):\n"
            "    global HISTORY\n"
            "    (HISTORY  # expect: NWS201@6\n"
            "        .appendleft(line))\n"
            "\n"
            "class Tracker:\n"
            "    def __init__(self, user_context):\n"
            "        self.user_context = user_context\n"
            "\n"
            "    def start(self):\n"
            "        SESSIONS.add(self.user_context.user_id)  # expect: NWS201@9\n"
        ),
        # a decorated handler, a local alias of the container, `Counter`
        (
            "import collections\n"
            "\n"
            "VOTES = collections.Counter()\n"
            "\n"
            "@router.post('/vote')\n"
            "async def vote(request):\n"
            "    counts = VOTES\n"
            "    counts[request.choice] += 1  # expect: NWS201@5\n"
            "    VOTES.update(request.more)  # expect: NWS201@5\n"
            "    return dict(VOTES)\n"
        ),
        # keyed by a field read through the context, in a plain method
        (
            "from app.context import context\n"
            "\n"
            "HISTORY = {}\n"
            "\n"
            "class ChatHistory:\n"
            "    def add(self, message):\n"
            "        HISTORY.setdefault(context.session.id, []).append(message)"
            "  # expect: NWS201@9\n"
        ),
    ]
    VALID = [
        # a registry of live sessions under their own ids (added on creation, removed
        # on close): instance tracking, audit only
        "SESSIONS = {}\n"
        "\n"
        "class Session:\n"
        "    def __init__(self, session_id):\n"
        "        self.session_id = session_id\n"
        "        SESSIONS[session_id] = self\n"
        "\n"
        "    async def close(self):\n"
        "        SESSIONS.pop(self.session_id, None)\n",
        # import-time registration at module level, and a run-time mutation outside any
        # user path (that is NWS202, audit)
        "HANDLERS = {}\n"
        "HANDLERS['ping'] = handle_ping\n"
        "for name in ('a', 'b'):\n"
        "    HANDLERS[name] = None\n"
        "[HANDLERS.setdefault(n, None) for n in 'xyz']\n"
        "\n"
        "def register(name, fn):\n"
        "    HANDLERS[name] = fn\n",
        # a local variable or parameter shadowing the module name; a local container
        "CACHE = {}\n"
        "\n"
        "async def handle(user_id):\n"
        "    CACHE = {}\n"
        "    CACHE[user_id] = 1\n"
        "    seen = []\n"
        "    seen.append(user_id)\n"
        "    return CACHE\n"
        "\n"
        "def other(user_id, CACHE):\n"
        "    CACHE[user_id] = 1\n",
        # `global` rebinding, reads and mutations of a copy
        "CACHE = {}\n"
        "\n"
        "async def reset():\n"
        "    global CACHE\n"
        "    CACHE = {}\n"
        "\n"
        "async def read(user_id):\n"
        "    value = CACHE.get(user_id)\n"
        "    snapshot = dict(CACHE)\n"
        "    snapshot[user_id] = value\n"
        "    return CACHE.copy().pop(user_id, None)\n",
        # strings and comments mentioning it; immutable module-level values
        "NAMES = ('a', 'b')\n"
        "FROZEN = frozenset()\n"
        "TEXT = 'CACHE[user_id] = 1'\n"
        "\n"
        "async def f(user_id):\n"
        "    # CACHE[user_id] = 1\n"
        "    log('CACHE.append(user_id)')\n"
        "    return NAMES.index(user_id), FROZEN.union({user_id})\n",
        # per-user state lives on the user's context
        "async def remember(user_context, message):\n"
        "    user_context.state['last'] = message\n"
        "    user_context.history.append(message)\n"
        "    user_context.history.sort()\n",
    ]

    def on_runtime_mutation(self, node: ast.AST, name: str, fn: ast.AST) -> bool:
        if not (self.user_path() or self._keyed_by_identity(node)):
            return False
        # instance tracking under the instance's own id (``live[self.id] = self``,
        # ``live.pop(self.id)``): audit, the registry is not per-user state
        audit = self._is_method(fn) and is_own_id_tracking(node, fn)
        return self._report_once(node, audit=audit, name=name, func=function_label(fn))

    def _is_method(self, fn: ast.AST) -> bool:
        scopes = self.ctx.scopes
        return any(
            s.node is fn and i > 0 and scopes[i - 1].kind == "class" for i, s in enumerate(scopes)
        )

    def _keyed_by_identity(self, node: ast.AST) -> bool:
        """The mutation's key names one user (``CACHE[user_id] = ...``,
        ``CACHE.setdefault(context.session.id, [])``): per-user state, whatever the
        function's parameters."""
        chains: list[ast.AST] = []
        keys: list[ast.AST] = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            chains = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            chains = [node.target]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            chains = [node.func.value]
            keys = list(node.args[:1])
        for chain in chains:  # ``X[k]``, ``X[k][j]``, ``X[k].append(v)``
            while isinstance(chain, (ast.Subscript, ast.Attribute, ast.Call)):
                if isinstance(chain, ast.Subscript):
                    keys.append(chain.slice)
                    chain = chain.value
                elif isinstance(chain, ast.Call):
                    keys += chain.args[:1]  # ``X.setdefault(k, [])``
                    chain = chain.func
                else:
                    chain = chain.value
        return any(is_identity_value(k, self.ctx.words) for k in keys)


@register
class ModuleMutableState(_ModuleContainerRule):
    """
    ## What it does
    (audit) Flags a mutation of a module-level mutable container at run time, in any
    function that NWS201 does not cover (a synchronous function without a user
    identity in scope): registries filled by a `register()` function, counters,
    queues. Mutations at module level (import-time registration) are not flagged.

    ## Why is this bad?
    Module-level mutable state is shared by every request in the process. Often it
    is meant to be (a plugin registry filled at start-up), but when such a function
    is later called from a request handler, one user's data ends up in state every
    user reads. The audit lists every such place for review.

    ## Example
    ```python
    _handlers = {}

    def register(name, handler):
        _handlers[name] = handler
    ```

    ## Use instead
    ```python
    _handlers = {}

    # filled once, at import time, before any request
    _handlers["ping"] = handle_ping
    ```
    Or keep the registry on an object built per application / per request.

    ## Fix
    No automatic fix. Confirm the state is process-wide on purpose (and add
    `# noqa: NWS202`), or move it to a per-request object.

    ## Options
    `identity-names`, `context-names`, `context-types` (mutations with a user identity
    in scope are NWS201 instead).
    """

    code = "NWS202"
    name = "module-mutable-state"
    message = (
        "module-level container `{name}` mutated at run time in `{func}`:"
        " state shared by the whole process"
    )
    summary = "Module-level mutable container mutated at run time outside user code paths."
    audit = True
    options = ("identity-names", "context-names", "context-types")

    INVALID = [
        (
            '# options: {"audit": true}\n'
            "_registry = {}\n"
            "\n"
            "def register(name, handler):\n"
            "    _registry[name] = handler  # expect: NWS202@5\n"
        ),
        # aliased constructor; a registering decorator (its body runs at call time)
        (
            '# options: {"audit": true}\n'
            "import collections as c\n"
            "PLUGINS = c.OrderedDict()\n"
            "\n"
            "def plugin(fn):\n"
            "    PLUGINS.setdefault(fn.__module__, []).append(fn)  # expect: NWS202@5\n"
            "    return fn\n"
            "\n"
            "@plugin\n"
            "def hello():\n"
            "    pass\n"
        ),
        # a module-level lambda and a method; annotated container defined below
        (
            '# options: {"audit": true}\n'
            "on_exit = lambda item: PENDING.discard(item)  # expect: NWS202@24\n"
            "\n"
            "class Worker:\n"
            "    def run(self):\n"
            "        for job in sorted(PENDING):\n"
            "            print(job)\n"
            "        PENDING.clear()  # expect: NWS202@9\n"
            "\n"
            "PENDING: set[str] = set()\n"
        ),
        # odd formatting: the statement starts at the container
        (
            '# options: {"audit": true}\n'
            "STATS = {'hits': 0}\n"
            "\n"
            "def hit():\n"
            "    STATS[  # expect: NWS202@5\n"
            "        'hits'\n"
            "    ] += 1\n"
        ),
        # a nested function with `global`; `del`; `deque` imported by name
        (
            '# options: {"audit": true}\n'
            "from collections import deque\n"
            "QUEUE = deque()\n"
            "\n"
            "def make_worker():\n"
            "    def drain():\n"
            "        global QUEUE\n"
            "        while QUEUE:\n"
            "            QUEUE.popleft()  # expect: NWS202@13\n"
            "    return drain\n"
            "\n"
            "def forget(key):\n"
            "    del INDEX[key]  # expect: NWS202@5\n"
            "\n"
            "INDEX = dict()\n"
        ),
    ]
    VALID = [
        # import-time registration at module level (in `if`, `for`, `try`, comprehension)
        '# options: {"audit": true}\n'
        "REGISTRY = {}\n"
        "REGISTRY['a'] = 1\n"
        "if DEBUG:\n"
        "    REGISTRY.update(debug=True)\n"
        "for key in ('b', 'c'):\n"
        "    REGISTRY.setdefault(key, []).append(key)\n"
        "try:\n"
        "    del REGISTRY['a']\n"
        "except KeyError:\n"
        "    pass\n"
        "ITEMS = [REGISTRY.pop(k, None) for k in ('x',)]\n",
        # on a user path it is NWS201, not NWS202
        '# options: {"audit": true}\n'
        "CACHE = {}\n"
        "\n"
        "async def load(key):\n"
        "    CACHE[key] = await fetch(key)\n"
        "\n"
        "def remember(user_id, value):\n"
        "    CACHE[user_id] = value\n",
        # a local variable shadowing the module name, a parameter, a local container
        '# options: {"audit": true}\n'
        "CACHE = []\n"
        "\n"
        "def build():\n"
        "    CACHE = []\n"
        "    CACHE.append(1)\n"
        "    return CACHE\n"
        "\n"
        "def fill(CACHE):\n"
        "    CACHE.extend([1, 2])\n"
        "    local = {}\n"
        "    local['k'] = 1\n",
        # `global` rebinding, reads, a default argument evaluated at import time
        '# options: {"audit": true}\n'
        "CACHE = {}\n"
        "\n"
        "def reset():\n"
        "    global CACHE\n"
        "    CACHE = {}\n"
        "\n"
        "def lookup(key, default=CACHE.setdefault('fallback', 0)):\n"
        "    return CACHE.get(key, default)\n",
        # strings and comments; a module-level class body runs at import time
        '# options: {"audit": true}\n'
        "CACHE = {}\n"
        "\n"
        "class Config:\n"
        "    CACHE['config'] = 'loaded'\n"
        "\n"
        "def describe():\n"
        "    # CACHE.clear()\n"
        "    return 'CACHE.clear() empties it'\n",
    ]

    def on_runtime_mutation(self, node: ast.AST, name: str, fn: ast.AST) -> bool:
        if self.user_path():
            return False  # NWS201
        return self._report_once(node, name=name, func=function_label(fn))


# ---------------------------------------------------------------------------- NWS203


@register
class UserKeyedFunctionCache(Rule):
    """
    ## What it does
    Flags a process-wide memoizing decorator (`functools.lru_cache` / `cache`, bare or
    called, `cachetools.cached`, `async_lru.alru_cache`, `aiocache.cached`, through any
    import or alias) on a function or method that takes a user identity (a parameter
    named with an identity name such as `user_id`, or a user context), or on any
    method of a user-scoped class.

    ## Why is this bad?
    The cache belongs to the function, so it is shared by the whole process: a result
    computed for one user is served to the next user who passes an equal key, and the
    cache keeps every user context (and what it references) alive. On a method of a
    user-scoped class the cache also keeps each user's manager alive forever.

    ## Example
    ```python
    from functools import lru_cache

    @lru_cache(maxsize=1024)
    def load_permissions(user_id: str) -> frozenset[str]:
        return frozenset(db.permissions(user_id))
    ```

    ## Use instead
    ```python
    async def load_permissions(user_context: UserExecutionContext) -> frozenset[str]:
        cache = user_context.cache  # per-request (or an external, per-user keyed store)
        if "permissions" not in cache:
            cache["permissions"] = frozenset(await db.permissions(user_context.user_id))
        return cache["permissions"]
    ```

    ## Fix
    No automatic fix: cache on the per-request object, or in a store whose keys and
    expiry are designed for per-user data.

    ## Options
    `identity-names`, `context-names`, `context-types`, `user-scoped-types`.
    """

    code = "NWS203"
    name = "user-keyed-function-cache"
    message = (
        "`@{decorator}` caches `{func}`, which {reason}: results are kept and served across users"
    )
    summary = "Process-wide cache decorator on a function taking a user identity (or user-scoped)."
    options = ("identity-names", "context-names", "context-types", "user-scoped-types")

    INVALID = [
        (
            "from functools import lru_cache\n"
            "\n"
            "@lru_cache\n"
            "def load_profile(user_id):  # expect: NWS203@1\n"
            "    return db.fetch(user_id)\n"
        ),
        # called with arguments, module alias, aliased async_lru on an async def
        (
            "import functools as ft\n"
            "from async_lru import alru_cache as cached_async\n"
            "\n"
            "@ft.lru_cache(maxsize=128)\n"
            "def permissions(session_id, scope):  # expect: NWS203@1\n"
            "    return compute(session_id, scope)\n"
            "\n"
            "@cached_async(ttl=60)\n"
            "async def fetch_threads(user_context: UserExecutionContext):  # expect: NWS203@1\n"
            "    return await db.threads(user_context.user_id)\n"
        ),
        # any method of a user-scoped class; stacked decorators on a static method
        (
            "import functools\n"
            "\n"
            "class UserWebSocketManager:\n"
            "    def __init__(self, user_context):\n"
            "        self.user_context = user_context\n"
            "\n"
            "    @functools.cache\n"
            "    def channel_names(self):  # expect: NWS203@5\n"
            "        return [c.name for c in self.channels]\n"
            "\n"
            "class Service:\n"
            "    @staticmethod\n"
            "    @functools.lru_cache()\n"
            "    def token_for(user_id):  # expect: NWS203@5\n"
            "        return issue(user_id)\n"
        ),
        # cachetools / aiocache; a class whose __init__ takes a user context
        (
            "from cachetools import cached, TTLCache\n"
            "import aiocache\n"
            "\n"
            "class Notifier:\n"
            "    def __init__(self, user_context):\n"
            "        self.user_context = user_context\n"
            "\n"
            "    @cached(cache=TTLCache(maxsize=100, ttl=60))\n"
            "    def recipients(self):  # expect: NWS203@5\n"
            "        return lookup(self.user_context)\n"
            "\n"
            "@aiocache.cached(ttl=10)\n"
            "async def history(thread_id, limit=50):  # expect: NWS203@1\n"
            "    return await db.history(thread_id, limit)\n"
        ),
        # a nested function, an aliased decorator over several lines, a `ctx` parameter
        (
            "from functools import lru_cache as memo\n"
            "\n"
            "def build(app):\n"
            "    @memo(\n"
            "        maxsize=None,\n"
            "    )\n"
            "    def lookup(ctx, key):  # expect: NWS203@5\n"
            "        return app.resolve(ctx, key)\n"
            "    return lookup\n"
        ),
    ]
    VALID = [
        # process-wide data, no user identity
        "from functools import lru_cache\n"
        "\n"
        "@lru_cache(maxsize=None)\n"
        "def load_settings(path):\n"
        "    return parse(path)\n",
        # per-instance caching on a user-scoped class; other decorators on user functions
        "from functools import cached_property, wraps\n"
        "\n"
        "class UserWebSocketManager:\n"
        "    @cached_property\n"
        "    def channels(self):\n"
        "        return load(self.user_context)\n"
        "\n"
        "@traced\n"
        "async def handle(user_id):\n"
        "    return user_id\n",
        # a method of an ordinary class without a user identity
        "import functools\n"
        "\n"
        "class Tokenizer:\n"
        "    @functools.lru_cache(maxsize=256)\n"
        "    def split(self, text):\n"
        "        return text.split()\n",
        # a local function named like the decorator is not functools'
        "def lru_cache(fn):\n"
        "    return fn\n"
        "\n"
        "@lru_cache\n"
        "def profile(user_id):\n"
        "    return user_id\n",
        # strings and comments mentioning it; not used as a decorator
        "import functools\n"
        "\n"
        "# @functools.lru_cache on load(user_id) would leak\n"
        "def load(user_id):\n"
        "    '''Do not put @functools.cache here.'''\n"
        "    return functools.lru_cache(maxsize=1)(fetch)(user_id)\n",
    ]

    CACHE_HINT = "cache"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        # every decorator we know (and any import alias of one) is spelled with "cache"
        self._enabled = self.CACHE_HINT in ctx.source

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._check(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._check(node)

    def _decorator(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
        for dec in node.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            name = self.ctx.resolve(target)
            if name in CACHE_DECORATORS:
                return name
        return None

    def _reason(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
        ctx = self.ctx
        identity = ctx.words.identity_names
        for p in params_of(node):
            if p.kind in ("vararg", "kwarg"):
                continue
            if ctx.is_context_param(p):
                return f"takes the user context `{p.name}`"
            if p.name in identity:
                return f"takes the user identity `{p.name}`"
        scope = ctx.scope  # the def is visited in the scope that contains it
        if scope.kind == "class" and isinstance(scope.node, ast.ClassDef):
            cls = scope.node
            if ctx.is_user_scoped_type(cls.name) or ctx.class_context_param(cls) is not None:
                return f"is a method of the user-scoped class `{cls.name}`"
        return None

    def _check(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if not self._enabled or not node.decorator_list:
            return
        decorator = self._decorator(node)
        if decorator is None:
            return
        reason = self._reason(node)
        if reason is not None:
            self.report(node, decorator=decorator, func=node.name, reason=reason)


# ---------------------------------------------------------------------------- NWS204


class _ClassInfo:
    """What NWS204 needs to know about one class, computed once."""

    def __init__(
        self,
        node: ast.ClassDef,
        containers: dict[str, tuple[ast.AST, bool, bool]],
        init_rebinds: set[str],
        bases: list[ast.ClassDef],
        is_model: bool,
    ) -> None:
        self.node = node
        # attr -> (binding statement, annotated with ClassVar, annotated at all)
        self.containers = containers
        self.init_rebinds = init_rebinds
        self.bases = bases  # same-module base classes
        self.is_model = is_model


@register
class SharedClassState(_MutationRule):
    """
    ## What it does
    Flags a class attribute bound to a mutable container in the class body
    (`connections = {}`, `listeners: list = []`, `counts = defaultdict(int)`) and
    mutated, as in NWS201, through `self.x`, `cls.x` or `ClassName.x` in a method
    (also of a subclass in the same module), when `__init__` does not rebind `self.x`.
    Reported once per attribute, at its binding in the class body, naming a method
    that mutates it. An attribute annotated `ClassVar` is shared on purpose: it is
    reported as audit only, except in a user-scoped type.

    ## Why is this bad?
    A class attribute exists once, on the class: `self.connections[user_id] = ws` on
    a per-user manager writes into the dictionary every instance (every user's
    manager) shares, so one user's connections are visible to all the others.

    ## Example
    ```python
    class UserWebSocketManager:
        connections: dict[str, WebSocket] = {}

        def add(self, connection_id: str, websocket: WebSocket) -> None:
            self.connections[connection_id] = websocket
    ```

    ## Use instead
    ```python
    class UserWebSocketManager:
        def __init__(self, user_context: UserExecutionContext) -> None:
            self.user_context = user_context
            self.connections: dict[str, WebSocket] = {}

        def add(self, connection_id: str, websocket: WebSocket) -> None:
            self.connections[connection_id] = websocket
    ```

    ## Fix
    No automatic fix: create the container in `__init__` (or with
    `dataclasses.field(default_factory=...)`). Fields of pydantic / SQLModel models
    are copied per instance and are not flagged.

    ## Options
    `user-scoped-types` (a `ClassVar` in a user-scoped type is still reported by default).
    """

    code = "NWS204"
    name = "shared-class-state"
    message = (
        "class attribute `{cls}.{attr}` is a mutable container shared by every instance;"
        " mutated in `{method}`"
    )
    summary = "Class-level mutable container mutated through self/cls: shared by every instance."
    options = ("user-scoped-types",)

    INVALID = [
        (
            "class ConnectionRegistry:\n"
            "    connections = {}  # expect: NWS204@5\n"
            "\n"
            "    async def add(self, user_id, websocket):\n"
            "        self.connections[user_id] = websocket\n"
        ),
        # annotated container, aliased constructors, `cls.x` and `ClassName.x`,
        # the attributes bound below the methods that mutate them; a classmethod's
        # mutation is reported when an instance method mutates the attribute too
        (
            "import collections as c\n"
            "\n"
            "class Stats:\n"
            "    @classmethod\n"
            "    def hit(cls, key):\n"
            "        cls.counts[key] += 1\n"
            "\n"
            "    def record(self, key):\n"
            "        self.counts[key] += 1\n"
            "        Stats.history.appendleft(key)\n"
            "\n"
            "    counts: dict[str, int] = c.defaultdict(int)  # expect: NWS204@5\n"
            "    history = c.deque(maxlen=10)  # expect: NWS204@5\n"
        ),
        # ClassVar: default in a user-scoped type, audit elsewhere
        (
            '# options: {"audit": true}\n'
            "from typing import ClassVar\n"
            "\n"
            "class UserWebSocketManager:\n"
            "    active: ClassVar[set] = set()  # expect: NWS204@5\n"
            "\n"
            "    def connect(self, websocket):\n"
            "        self.active.add(websocket)\n"
            "\n"
            "class Registry:\n"
            "    handlers: ClassVar[list] = []  # expect: NWS204@5\n"
            "\n"
            "    def register(self, handler):\n"
            "        self.handlers.append(handler)\n"
        ),
        # `__init__` that rebinds other attributes only; a nested function in an async
        # method; mutation of what the attribute holds
        (
            "class Bridge:\n"
            "    pending = {}  # expect: NWS204@5\n"
            "\n"
            "    def __init__(self, user_context):\n"
            "        self.user_context = user_context\n"
            "        self.sent = []\n"
            "\n"
            "    async def queue(self, run_id, event):\n"
            "        def put():\n"
            "            self.pending.setdefault(run_id, []).append(event)\n"
            "        put()\n"
        ),
        # once per attribute however many methods mutate it; a same-module base class
        (
            "class Base:\n"
            "    listeners = []  # expect: NWS204@5\n"
            "\n"
            "class Emitter(Base):\n"
            "    def on(self, fn):\n"
            "        self.listeners.append(fn)\n"
            "\n"
            "    def off(self, fn):\n"
            "        del self.listeners[self.listeners.index(fn)]\n"
        ),
    ]
    VALID = [
        # a registry of a class made of classmethods, and instance tracking under the
        # instance's own id: audit, not default
        "class HandlerRegistry:\n"
        "    _factories = {}\n"
        "\n"
        "    @classmethod\n"
        "    def register(cls, user_id, factory):\n"
        "        cls._factories[user_id] = factory\n"
        "\n"
        "class Connection:\n"
        "    _live = set()\n"
        "\n"
        "    def __init__(self):\n"
        "        self.id = new_id()\n"
        "        self._live.add(self.id)\n"
        "\n"
        "    def close(self):\n"
        "        self._live.discard(self.id)\n",
        # `__init__` rebinds the attribute: every instance has its own
        "class Manager:\n"
        "    connections = {}\n"
        "\n"
        "    def __init__(self):\n"
        "        self.connections = {}\n"
        "\n"
        "    def add(self, key, value):\n"
        "        self.connections[key] = value\n",
        # read-only lookup tables; immutable values; class-body (import-time) setup
        "class Codes:\n"
        "    NAMES = {'a': 1}\n"
        "    ORDER = ('a', 'b')\n"
        "    NAMES['b'] = 2\n"
        "\n"
        "    def code(self, name):\n"
        "        return self.NAMES.get(name, self.ORDER[0])\n",
        # a local variable named like the attribute; a static method's first parameter
        "class Worker:\n"
        "    items = []\n"
        "\n"
        "    def run(self):\n"
        "        items = []\n"
        "        items.append(1)\n"
        "        return items\n"
        "\n"
        "    @staticmethod\n"
        "    def fill(self):\n"
        "        self.items.append(1)\n",
        # a ClassVar of an ordinary class is audit only (NWS204 with --audit)
        "from typing import ClassVar\n"
        "\n"
        "class PluginRegistry:\n"
        "    plugins: ClassVar[dict] = {}\n"
        "\n"
        "    @classmethod\n"
        "    def register(cls, name, plugin):\n"
        "        cls.plugins[name] = plugin\n",
        # model fields are copied per instance; dataclass factories; other objects
        "from dataclasses import dataclass, field\n"
        "from pydantic import BaseModel\n"
        "\n"
        "class Message(BaseModel):\n"
        "    tags: list[str] = []\n"
        "\n"
        "    def tag(self, t):\n"
        "        self.tags.append(t)\n"
        "\n"
        "@dataclass\n"
        "class Batch:\n"
        "    items: list = field(default_factory=list)\n"
        "\n"
        "    def add(self, item, other):\n"
        "        self.items.append(item)\n"
        "        other.items.append(item)  # 'self.items.append' in a string\n",
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._infos: dict[int, _ClassInfo] = {}
        # (class, attribute) -> (binding statement, audit, message fields)
        self._pending: dict[tuple[int, str], tuple[ast.AST, bool, dict[str, str]]] = {}

    # -- class facts, once per class
    def info(self, cls: ast.ClassDef) -> _ClassInfo:
        found = self._infos.get(id(cls))
        if found is not None:
            return found
        ctx = self.ctx
        containers: dict[str, tuple[ast.AST, bool, bool]] = {}
        for attr, binding in Scope("class", cls).bindings.items():
            stmt = binding.node
            if binding.kind != "assign" or not isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                continue
            if container_kind(binding.value, lambda n: module_qualname(ctx, n)) is None:
                continue
            annotated = isinstance(stmt, ast.AnnAssign)
            classvar = annotated and is_classvar(getattr(stmt, "annotation", None))
            containers[attr] = (stmt, classvar, annotated)
        rebinds: set[str] = set()
        for item in cls.body:
            if isinstance(item, FUNCTION_TYPES) and item.name in ("__init__", "__post_init__"):
                rebinds |= self._self_assignments(item)
        bases: list[ast.ClassDef] = []
        is_model = False
        for base in cls.bases:
            qual = module_qualname(ctx, base) or ""
            last = qual.rpartition(".")[2]
            if last in MODEL_BASES or qual == "msgspec.Struct":
                is_model = True
            local = ctx.module_classes.get(qual) if "." not in qual else None
            if local is not None and local is not cls:
                bases.append(local)
        info = _ClassInfo(cls, containers, rebinds, bases, is_model)
        self._infos[id(cls)] = info
        return info

    @staticmethod
    def _self_assignments(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
        """Attributes ``fn`` binds on its first parameter (``self.x = ...``)."""
        me = self_param(fn)
        out: set[str] = set()
        if me is None:
            return out
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign):
                targets: list[ast.AST] = list(node.targets)
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets = [node.target]
            else:
                continue
            while targets:
                t = targets.pop()
                if isinstance(t, (ast.Tuple, ast.List)):
                    targets.extend(t.elts)
                elif isinstance(t, ast.Starred):
                    targets.append(t.value)
                elif (
                    isinstance(t, ast.Attribute)
                    and isinstance(t.value, ast.Name)
                    and t.value.id == me
                ):
                    out.add(t.attr)
        return out

    def _chain(self, cls: ast.ClassDef) -> list[_ClassInfo]:
        """``cls`` and its same-module base classes, nearest first (bounded)."""
        out: list[_ClassInfo] = []
        seen: set[int] = set()
        todo = [cls]
        while todo and len(out) < 50:
            current = todo.pop(0)
            if id(current) in seen:
                continue
            seen.add(id(current))
            info = self.info(current)
            out.append(info)
            todo.extend(info.bases)
        return out

    def _lookup_attr(
        self, cls: ast.ClassDef, attr: str, via_self: bool
    ) -> tuple[_ClassInfo, ast.AST, bool] | None:
        """The class (``cls`` or a same-module base) whose body binds ``attr`` to a
        container, its binding and whether it is a ``ClassVar``; None when it is a model
        field or, through ``self``, when an ``__init__`` of the chain rebinds it."""
        chain = self._chain(cls)
        if via_self and any(attr in info.init_rebinds for info in chain):
            return None
        for info in chain:
            entry = info.containers.get(attr)
            if entry is not None:
                stmt, classvar, annotated = entry
                if annotated and not classvar and any(i.is_model for i in chain):
                    return None  # a model field, copied for each instance
                return info, stmt, classvar
        return None

    # -- mutations
    def on_mutation(self, node: ast.AST, root: ast.AST) -> bool:
        if not isinstance(root, ast.Attribute) or not isinstance(root.value, ast.Name):
            return False
        ctx = self.ctx
        owner = root.value.id
        scope = ctx.binding_scope(owner)
        cls: ast.ClassDef | None = None
        method: ast.AST = root
        via_self = False
        if (
            scope is not None
            and scope.kind == "function"
            and scope.parent is not None
            and scope.parent.kind == "class"
            and isinstance(scope.parent.node, ast.ClassDef)
            and self_param(scope.node) == owner
        ):
            cls, method = scope.parent.node, scope.node
            via_self = not is_classmethod(method)  # `cls.x` is the class attribute itself
        else:
            binding = ctx.lookup(owner)
            if binding is None or not isinstance(binding.node, ast.ClassDef):
                return False
            # `ClassName.x` inside a method of that class
            for i, s in enumerate(ctx.scopes[:-1]):
                if s.node is binding.node:
                    nxt = ctx.scopes[i + 1]
                    if nxt.kind == "function":
                        cls, method = binding.node, nxt.node
                    break
            if cls is None:
                return False
        found = self._lookup_attr(cls, root.attr, via_self)
        if found is None:
            return False
        info, stmt, classvar = found
        key = (id(info.node), root.attr)
        previous = self._pending.get(key)
        if previous is not None and not previous[1]:
            return True  # already reported by default
        audit = classvar and not (self._user_scoped(info.node) or self._user_scoped(cls))
        # a registry filled through the class (classmethods, staticmethods, ``__new__``)
        # or instance tracking under the instance's own id: audit unless another
        # mutation of the attribute is neither
        audit = audit or _through_class(method) or is_own_id_tracking(node, method)
        if previous is None or not audit:
            message = dict(
                cls=info.node.name, attr=root.attr, method=f"{cls.name}.{function_label(method)}"
            )
            self._pending[key] = (stmt, audit, message)
        return True

    def _user_scoped(self, cls: ast.ClassDef) -> bool:
        ctx = self.ctx
        return ctx.is_user_scoped_type(cls.name) or ctx.class_context_param(cls) is not None

    def leave_Module(self, node: ast.Module) -> None:
        # once per attribute: a default finding wins over an audit one (ClassVar)
        for stmt, audit, message in self._pending.values():
            self.report(stmt, audit=audit, **message)
        self._pending.clear()


# ---------------------------------------------------------------------------- NWS205


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


# ---------------------------------------------------------------------------- NWS206


@register
class ContextVarMutableDefault(Rule):
    """
    ## What it does
    Flags `ContextVar(name, default=...)` (`contextvars.ContextVar`, through any import
    or alias) whose default is a mutable container: a literal (`{}`, `[]`, `{1}`, a
    comprehension) or a container constructor (`dict()`, `list()`, `defaultdict(list)`,
    `deque()`, ...).

    ## Why is this bad?
    A context variable's default is one object, created once. Every context (every
    request, every task) that never called `.set()` gets that same object from
    `.get()`; mutating it (`request_state.get()["user_id"] = ...`) writes into state
    every other user's request reads.

    ## Example
    ```python
    request_state: ContextVar[dict] = ContextVar("request_state", default={})
    ```

    ## Use instead
    ```python
    request_state: ContextVar[dict | None] = ContextVar("request_state", default=None)

    def current_state() -> dict:
        state = request_state.get()
        if state is None:
            state = {}
            request_state.set(state)
        return state
    ```

    ## Fix
    No automatic fix: default to `None` (or an immutable value) and `.set()` a fresh
    container in each context.
    """

    code = "NWS206"
    name = "contextvar-mutable-default"
    message = (
        "`ContextVar({var})` has a mutable default `{kind}`"
        " shared by every context that never set it"
    )
    summary = "ContextVar with a mutable default shared by every context."

    INVALID = [
        (
            "from contextvars import ContextVar\n"
            "\n"
            "request_state = ContextVar('request_state', default={})  # expect: NWS206@17\n"
        ),
        # module alias, class alias, aliased collections constructor
        (
            "import contextvars as cv\n"
            "import collections as c\n"
            "from contextvars import ContextVar as CV\n"
            "\n"
            "EVENTS = cv.ContextVar('events', default=[])  # expect: NWS206@10\n"
            "BY_RUN = CV('by_run', default=c.defaultdict(list))  # expect: NWS206@10\n"
        ),
        # a subscripted generic, inside a class body and a function
        (
            "from contextvars import ContextVar\n"
            "\n"
            "class State:\n"
            "    tags = ContextVar[list[str]]('tags', default=list())  # expect: NWS206@12\n"
            "\n"
            "def make():\n"
            "    return ContextVar('seen', default={x for x in ()})  # expect: NWS206@12\n"
        ),
        # odd formatting
        (
            "import contextvars\n"
            "\n"
            "CURRENT = (\n"
            "    contextvars  # expect: NWS206@5\n"
            "    .ContextVar(\n"
            "        'current',\n"
            "        default=dict(),\n"
            "    )\n"
            ")\n"
        ),
        # annotated binding, aliased deque
        (
            "from contextvars import ContextVar\n"
            "from collections import deque as dq\n"
            "\n"
            "QUEUE: ContextVar[dq] = ContextVar('queue', default=dq())  # expect: NWS206@25\n"
        ),
    ]
    VALID = [
        "from contextvars import ContextVar\n"
        "\n"
        "request_state = ContextVar('request_state', default=None)\n"
        "names = ContextVar('names', default=())\n"
        "frozen = ContextVar('frozen', default=frozenset())\n"
        "plain = ContextVar('plain')\n",
        # immutable constants
        "import contextvars\n"
        "LEVEL = contextvars.ContextVar('level', default=0)\n"
        "USER = contextvars.ContextVar('user', default='anonymous')\n",
        # setting a fresh container per context is the fix
        "from contextvars import ContextVar\n"
        "STATE = ContextVar('state', default=None)\n"
        "\n"
        "def begin():\n"
        "    STATE.set({})\n"
        "    STATE.set([])\n",
        # a read-only view; a factory whose result we cannot know
        "from contextvars import ContextVar\n"
        "from types import MappingProxyType\n"
        "\n"
        "CONFIG = ContextVar('config', default=MappingProxyType({}))\n"
        "OTHER = ContextVar('other', default=make_state())\n",
        # a local class of the same name; strings and comments
        "class ContextVar:\n"
        "    def __init__(self, name, default=None):\n"
        "        self.value = default\n"
        "\n"
        "V = ContextVar('v', default={})\n"
        "# contextvars.ContextVar('x', default=[])\n"
        "DOC = \"ContextVar('x', default=[])\"\n",
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._enabled = "ContextVar" in ctx.source

    def visit_Call(self, node: ast.Call) -> None:
        if not self._enabled or not node.keywords:
            return
        default = next((k.value for k in node.keywords if k.arg == "default"), None)
        if default is None:
            return
        func = node.func
        if isinstance(func, ast.Subscript):  # ContextVar[list[str]](...)
            func = func.value
        name = self.ctx.resolve(func)
        if name is None or not name.endswith(".ContextVar"):
            return
        kind = container_kind(default, self.ctx.resolve)
        if kind is None:
            return
        first = node.args[0] if node.args else None
        var = "..."
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            var = repr(first.value)
        self.report(node, var=var, kind=kind)
