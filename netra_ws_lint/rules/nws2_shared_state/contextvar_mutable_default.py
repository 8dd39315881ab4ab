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
        """
        from contextvars import ContextVar

        request_state = ContextVar('request_state', default={})  # expect: NWS206@17
        """,
        # module alias, class alias, aliased collections constructor
        """
        import contextvars as cv
        import collections as c
        from contextvars import ContextVar as CV

        EVENTS = cv.ContextVar('events', default=[])  # expect: NWS206@10
        BY_RUN = CV('by_run', default=c.defaultdict(list))  # expect: NWS206@10
        """,
        # a subscripted generic, inside a class body and a function
        """
        from contextvars import ContextVar

        class State:
            tags = ContextVar[list[str]]('tags', default=list())  # expect: NWS206@12

        def make():
            return ContextVar('seen', default={x for x in ()})  # expect: NWS206@12
        """,
        # odd formatting
        """
        import contextvars

        CURRENT = (
            contextvars  # expect: NWS206@5
            .ContextVar(
                'current',
                default=dict(),
            )
        )
        """,
        # annotated binding, aliased deque
        """
        from contextvars import ContextVar
        from collections import deque as dq

        QUEUE: ContextVar[dq] = ContextVar('queue', default=dq())  # expect: NWS206@25
        """,
    ]
    VALID = [
        """
        from contextvars import ContextVar

        request_state = ContextVar('request_state', default=None)
        names = ContextVar('names', default=())
        frozen = ContextVar('frozen', default=frozenset())
        plain = ContextVar('plain')
        """,
        # immutable constants
        """
        import contextvars
        LEVEL = contextvars.ContextVar('level', default=0)
        USER = contextvars.ContextVar('user', default='anonymous')
        """,
        # setting a fresh container per context is the fix
        """
        from contextvars import ContextVar
        STATE = ContextVar('state', default=None)

        def begin():
            STATE.set({})
            STATE.set([])
        """,
        # a read-only view; a factory whose result we cannot know
        """
        from contextvars import ContextVar
        from types import MappingProxyType

        CONFIG = ContextVar('config', default=MappingProxyType({}))
        OTHER = ContextVar('other', default=make_state())
        """,
        # a local class of the same name; strings and comments
        """
        class ContextVar:
            def __init__(self, name, default=None):
                self.value = default

        V = ContextVar('v', default={})
        # contextvars.ContextVar('x', default=[])
        DOC = "ContextVar('x', default=[])"
        """,
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
