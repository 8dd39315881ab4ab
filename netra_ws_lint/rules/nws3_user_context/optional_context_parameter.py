"""NWS305 optional-context-parameter."""

from __future__ import annotations

import ast

from netra_ws_lint.analysis.resolution import (
    _decorator_name,
    _is_none,
)
from netra_ws_lint.rules._shared import (
    _NWS3Rule,
)
from netra_ws_lint.rules.base import register


@register
class OptionalContextParameter(_NWS3Rule):
    """
    ## What it does
    *Audit.* Flags a context factory or a user-scoped `__init__` whose user-context
    parameter defaults to `None`: a function of the module (top level) or a
    configured factory (`context-factories`, methods included) taking a user context,
    or the `__init__` of any class (taking a user context makes it user-scoped).
    Reported at the `def`.

    ## Why is this bad?
    An optional context invites callers to leave it out, and the code then falls back
    to shared state (`self.user_context = None`, a process-wide manager): the very leak
    the factory pattern removes. NWS301/NWS303 catch the calls; this catches the
    signature that allows them.

    ## Example
    ```python
    class WebSocketManager:
        def __init__(self, user_context: UserExecutionContext | None = None) -> None:
            self.user_context = user_context
    ```

    ## Use instead
    ```python
    class WebSocketManager:
        def __init__(self, user_context: UserExecutionContext) -> None:
            self.user_context = user_context
    ```

    ## Fix
    No automatic fix: making the parameter required breaks the callers that omit it
    (NWS301 shows them).

    ## Options
    `context-factories`, `context-names`, `context-types`.
    """

    code = "NWS305"
    name = "optional-context-parameter"
    message = "`{name}` takes an optional user context: `{param}` defaults to `None`"
    summary = "Context factory or user-scoped `__init__` whose user context defaults to `None`."
    trigger = ("{user-scoped}",)
    audit = True
    options = ("context-factories", "context-names", "context-types")

    INVALID = [
        # a module-level factory, annotated Optional
        (
            '# options: {"audit": true}\n'
            "from typing import Optional\n"
            "\n"
            "def create_websocket_manager(user_context: Optional[UserExecutionContext] = None):"
            "  # expect: NWS305@1\n"
            "    return WebSocketManager(user_context)\n"
        ),
        # a user-scoped __init__, decorated, keyword-only: reported at the def
        """
        # options: {"audit": true}
        class SessionWebSocketManager:
            @log_calls
            def __init__(self, websocket, *, user_context=None):  # expect: NWS305@5
                self.websocket = websocket
        """,
        # any class whose __init__ takes a context by name
        """
        # options: {"audit": true}
        class Tracker:
            def __init__(self, ctx=None):  # expect: NWS305@5
                self.ctx = ctx
        """,
        # an async module function, a string annotation with a union
        (
            '# options: {"audit": true}\n'
            "async def build_bridge(run_id, owner: 'UserExecutionContext | None' = None):"
            "  # expect: NWS305@1\n"
            "    return run_id, owner\n"
        ),
        # a configured factory as a method; odd formatting
        """
        # options: {"audit": true}
        class Factory:
            def create_websocket_manager(  # expect: NWS305@5
                self,
                user_context
                =
                None,
            ):
                return user_context
        """,
    ]
    VALID = [
        # required context
        """
        # options: {"audit": true}
        def create_websocket_manager(user_context: UserExecutionContext):
            return WebSocketManager(user_context)
        """,
        # a default that is not None
        """
        # options: {"audit": true}
        class Job:
            def __init__(self, context=DEFAULT_CONTEXT):
                self.context = context
        """,
        # other methods and nested functions are not factories
        """
        # options: {"audit": true}
        class Manager:
            def send(self, message, user_context=None):
                def inner(ctx=None):
                    return ctx
                return inner
        """,
        # *args / **kwargs named like a context are not a context parameter; lambdas
        """
        # options: {"audit": true}
        def f(*context, **ctx):
            return context, ctx

        g = lambda user_context=None: user_context
        """,
        # no context parameter at all; None defaults of other parameters
        """
        # options: {"audit": true}
        async def create_websocket_manager_pool(size=None, user_id=None):
            return size, user_id
        """,
    ]

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        args = node.args
        if not any(_is_none(d) for d in (*args.defaults, *args.kw_defaults) if d is not None):
            return
        cp = self.ctx.context_param(node)
        if cp is None or not cp.default_is_none:
            return
        scope = self.ctx.scope
        if scope.kind == "class" and isinstance(scope.node, ast.ClassDef):
            if cp.param.index == 0:
                return  # the context would be ``self``
            if node.name == "__init__":
                name = f"{scope.node.name}.__init__"
            elif self.facts.matches(node.name, "context_factories"):
                name = f"{scope.node.name}.{node.name}"
            else:
                return
        elif scope.kind == "module" or self.facts.matches(node.name, "context_factories"):
            name = node.name
        else:
            return
        if any(_decorator_name(d) == "overload" for d in node.decorator_list):
            return
        self.report(node, name=name, param=cp.param.name)

    visit_AsyncFunctionDef = visit_FunctionDef
