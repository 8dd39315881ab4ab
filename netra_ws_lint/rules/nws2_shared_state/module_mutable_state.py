"""NWS202 module-mutable-state."""

from __future__ import annotations

import ast

from netra_ws_lint.analysis.idioms import (
    function_label,
)
from netra_ws_lint.rules._shared import (
    _ModuleContainerRule,
)
from netra_ws_lint.rules.base import register


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
        """
        # options: {"audit": true}
        _registry = {}

        def register(name, handler):
            _registry[name] = handler  # expect: NWS202@5
        """,
        # aliased constructor; a registering decorator (its body runs at call time)
        """
        # options: {"audit": true}
        import collections as c
        PLUGINS = c.OrderedDict()

        def plugin(fn):
            PLUGINS.setdefault(fn.__module__, []).append(fn)  # expect: NWS202@5
            return fn

        @plugin
        def hello():
            pass
        """,
        # a module-level lambda and a method; annotated container defined below
        """
        # options: {"audit": true}
        on_exit = lambda item: PENDING.discard(item)  # expect: NWS202@24

        class Worker:
            def run(self):
                for job in sorted(PENDING):
                    print(job)
                PENDING.clear()  # expect: NWS202@9

        PENDING: set[str] = set()
        """,
        # odd formatting: the statement starts at the container
        """
        # options: {"audit": true}
        STATS = {'hits': 0}

        def hit():
            STATS[  # expect: NWS202@5
                'hits'
            ] += 1
        """,
        # a nested function with `global`; `del`; `deque` imported by name
        """
        # options: {"audit": true}
        from collections import deque
        QUEUE = deque()

        def make_worker():
            def drain():
                global QUEUE
                while QUEUE:
                    QUEUE.popleft()  # expect: NWS202@13
            return drain

        def forget(key):
            del INDEX[key]  # expect: NWS202@5

        INDEX = dict()
        """,
    ]
    VALID = [
        # import-time registration at module level (in `if`, `for`, `try`, comprehension)
        """
        # options: {"audit": true}
        REGISTRY = {}
        REGISTRY['a'] = 1
        if DEBUG:
            REGISTRY.update(debug=True)
        for key in ('b', 'c'):
            REGISTRY.setdefault(key, []).append(key)
        try:
            del REGISTRY['a']
        except KeyError:
            pass
        ITEMS = [REGISTRY.pop(k, None) for k in ('x',)]
        """,
        # on a user path it is NWS201, not NWS202
        """
        # options: {"audit": true}
        CACHE = {}

        async def load(key):
            CACHE[key] = await fetch(key)

        def remember(user_id, value):
            CACHE[user_id] = value
        """,
        # a local variable shadowing the module name, a parameter, a local container
        """
        # options: {"audit": true}
        CACHE = []

        def build():
            CACHE = []
            CACHE.append(1)
            return CACHE

        def fill(CACHE):
            CACHE.extend([1, 2])
            local = {}
            local['k'] = 1
        """,
        # `global` rebinding, reads, a default argument evaluated at import time
        """
        # options: {"audit": true}
        CACHE = {}

        def reset():
            global CACHE
            CACHE = {}

        def lookup(key, default=CACHE.setdefault('fallback', 0)):
            return CACHE.get(key, default)
        """,
        # strings and comments; a module-level class body runs at import time
        """
        # options: {"audit": true}
        CACHE = {}

        class Config:
            CACHE['config'] = 'loaded'

        def describe():
            # CACHE.clear()
            return 'CACHE.clear() empties it'
        """,
    ]

    def on_runtime_mutation(self, node: ast.AST, name: str, fn: ast.AST) -> bool:
        if self.user_path():
            return False  # NWS201
        return self._report_once(node, name=name, func=function_label(fn))
