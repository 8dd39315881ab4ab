"""NWS206 contextvar-mutable-default."""

from __future__ import annotations

import ast

from netra_ws_lint.analysis.idioms import (
    container_kind,
)
from netra_ws_lint.analysis.semantic import Context
from netra_ws_lint.rules.base import Rule, register


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
    trigger = ("ContextVar",)

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
