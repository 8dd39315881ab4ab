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
