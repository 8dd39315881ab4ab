"""NWS301 factory-without-context."""

from __future__ import annotations

import ast

from netra_ws_lint.analysis.resolution import (
    NONE,
    PASSED,
    _none_arg,
    _Target,
)
from netra_ws_lint.model import Fix
from netra_ws_lint.rules._shared import (
    _NWS3Rule,
)
from netra_ws_lint.rules.base import register
from netra_ws_lint.rules.fixes import SAFE, UNSAFE, add_context_fix, manual


@register
class FactoryWithoutContext(_NWS3Rule):
    """
    ## What it does
    Flags a call that must be given a user context but is not: a configured context
    factory (`create_websocket_manager`), the constructor of a user-scoped type
    (`*WebSocketManager`, `*WebSocketBridge`, `*WebSocketNotifier`, `*Emitter`, or a
    class of this module whose `__init__` takes a user context), or a function of this
    module whose user-context parameter has no default — called without the context,
    or with a literal `None` for it. Flagged whatever is in scope: without a context at
    hand, the call site is where one is missing.

    A user context is a parameter annotated with a context type or named with a
    context name. For a callee defined in this module the arguments are bound to its
    parameters (positional or keyword); for one defined elsewhere, any positional
    argument or a keyword named like a context counts as passing it. A forwarded
    `*args` or `**kwargs` is assumed to hold it. A function with a decorator that may
    change its signature (anything but `staticmethod`, `lru_cache`, `wraps`,
    `contextmanager`...) is only checked if its name is configured.

    One call never gets both NWS301 and NWS303: a callee that must be given a context
    is NWS301; a function whose context parameter has a default is NWS303.

    ## Why is this bad?
    A factory called without the user's context builds an object that belongs to no
    user (or to whoever registers first): the per-request manager silently turns back
    into a shared one, and events can reach the wrong user.

    ## Example
    ```python
    async def handle(user_context: UserExecutionContext) -> None:
        manager = create_websocket_manager()
        await manager.send_event("agent_started")
    ```

    ## Use instead
    ```python
    async def handle(user_context: UserExecutionContext) -> None:
        manager = create_websocket_manager(user_context)
        await manager.send_event("agent_started")
    ```

    ## Fix
    Safe fix when a user context is in scope: a configured factory gets it as its first
    argument (`create_websocket_manager()` -> `create_websocket_manager(user_context)`,
    when the call has no other positional argument), a function or class of this module
    by keyword (`build(x)` -> `build(x, user_context=user_context)`). A literal `None`
    given for the context is replaced by it: an unsafe fix (`--unsafe-fixes`); so is
    passing the context to a callee whose context parameter has a default (it runs
    without one, and with one it may take another branch: `if self.context:`). Without
    a context in scope, or for a user-scoped type whose signature is not known here,
    no edit: which context the object belongs to is a design decision at the call site.

    ## Options
    `context-factories`, `user-scoped-types`, `context-names`, `context-types`.
    """

    code = "NWS301"
    name = "factory-without-context"
    message = "{what} `{name}` called {how}"
    summary = "Context factory or user-scoped type built without a user context (or with `None`)."
    trigger = ("{user-scoped}",)
    fixable = True
    migration = True
    options = ("context-factories", "user-scoped-types", "context-names", "context-types")

    INVALID = [
        # aliases, module import, positional and keyword None, async
        """
        import app.ws as ws
        from app.ws import create_websocket_manager as make_manager

        async def handle(user_context):
            a = ws.create_websocket_manager()  # expect: NWS301@9
            b = make_manager(user_context=None)  # expect: NWS301@9
            c = await make_manager(None).connect()  # expect: NWS301@15
            d = ws.create_websocket_manager(user_context)
            return a, b, c, d
        """,
        # user-scoped type constructors in a method and in a lambda; self.user_context
        """
        from app.ws import UnifiedWebSocketManager, AgentEventEmitter

        class AgentService:
            def __init__(self, user_context):
                self.user_context = user_context
                self.manager = UnifiedWebSocketManager()  # expect: NWS301@24
                self.emitter = lambda: AgentEventEmitter(timeout=5)  # expect: NWS301@32

            async def run(self):
                def build():
                    return UnifiedWebSocketManager(self.user_context)
                return build()
        """,
        # same-module callables: decorated def (signature kept), class, odd formatting
        """
        import functools

        @functools.lru_cache(maxsize=None)
        def build_notifier(channel, user_context: UserExecutionContext):
            return channel, user_context

        class RunTracker:
            def __init__(self, *, context):
                self.context = context

        def setup():
            notifier = build_notifier(  # expect: NWS301@16
                'events',
                user_context = None,
            )
            return notifier, RunTracker(context=None), RunTracker()  # expect: NWS301@22, NWS301@48
        """,
        # a method of the enclosing class, through self, context not passed
        """
        class Pipeline:
            def build_manager(self, user_context, *, retries=3):
                return create_websocket_manager(user_context)

            async def start(self, user_context):
                return self.build_manager(retries=1)  # expect: NWS301@16
        """,
        # a closure that requires the context, given None positionally
        """
        def outer(user_context):
            def send(event, user_context):
                return event, user_context
            return send('x', None)  # expect: NWS301@12
        """,
        # a factory of the team's own (config), in a comprehension; module level too
        """
        # options: {"extend-context-factories": ["make_bridge"]}
        from app.bridges import make_bridge

        def wire(ctx):
            return [make_bridge() for _ in range(2)]  # expect: NWS301@13

        bridge = make_bridge(timeout=3)  # expect: NWS301@10
        """,
        # a context factory inferred from its body (it builds what it returns from the
        # context), whatever its default, called without a context and with None
        """
        class ReportClient:
            def __init__(self, user_context=None):
                self.user_context = user_context

        def create_report_client(user_context=None):
            return ReportClient(user_context)

        def startup(app):
            app.state.reports = create_report_client()  # expect: NWS301@25
            app.state.backup = create_report_client(None)  # expect: NWS301@24
        """,
    ]
    VALID = [
        # a class matching a name pattern whose constructor takes no context: the user
        # binding happens through a method (a resolved constructor decides)
        """
        class NotificationBridge:
            def __init__(self, transport=None):
                self.transport = transport

            def for_user(self, user_context):
                return UserChannel(self.transport, user_context)

        def handle(user_context):
            bridge = NotificationBridge()
            return bridge.for_user(user_context)
        """,
        # the context's identity fields passed one by one count as passing it
        """
        class Engine:
            def __init__(self, user_context=None, *, user_id=None, thread_id=None):
                self.user_context = user_context

        def run(ctx):
            return Engine(user_id=ctx.user_id, thread_id=ctx.thread_id)
        """,
        # a context name annotated with another type is not a user context
        """
        import ssl
        class TLSClient:
            def __init__(self, host: str, context: ssl.SSLContext | None = None):
                self.context = context
        def connect(host):
            return TLSClient(host)
        """,
        # passed: positional, keyword, self.user_context, forwarded *args / **kwargs
        """
        import app.ws as ws
        from app.ws import create_websocket_manager as make

        class Service:
            def __init__(self, user_context):
                self.user_context = user_context
                self.manager = ws.create_websocket_manager(self.user_context)

        def forward(*args, **kwargs):
            a = make(*args)
            b = make(**kwargs)
            c = ws.create_websocket_manager(user_context=kwargs['user_context'])
            return a, b, c
        """,
        # a parameter shadowing the factory; references; similar names
        """
        def build(create_websocket_manager):
            return create_websocket_manager()

        FACTORY = create_websocket_manager

        def other():
            return create_websocket_manager_for_tests(), WebSocketManagerConfig()
        """,
        # an optional context (NWS303's business, no context here); a decorator that
        # may inject the context makes the signature unknown
        """
        def render(data, user_context=None):
            return data

        @inject_user_context
        def handler(payload, user_context):
            return payload

        def job():
            return render({'a': 1}), handler({'a': 1})
        """,
        # a local user-scoped class: keyword order, super().__init__, classmethods
        """
        class TenantWebSocketManager(BaseWebSocketManager):
            def __init__(self, user_context, *, ttl=30):
                super().__init__(user_context)
                self.ttl = ttl

        def make(ctx):
            return TenantWebSocketManager(ttl=5, user_context=ctx)

        def from_request(request):
            return TenantWebSocketManager.from_request(request)
        """,
        # unknown signatures: any positional argument counts; async and lambda
        """
        import asyncio

        async def connect(websocket, user_context):
            manager = await asyncio.to_thread(lambda: create_websocket_manager(user_context))
            emitter = AgentEventEmitter(manager, websocket)
            return emitter, isinstance(manager, WebSocketManager)
        """,
        # the context under another keyword name, recognised by its value or annotation
        """
        def wire(uc: UserExecutionContext, user_context):
            a = create_websocket_manager(current=uc)
            b = create_websocket_manager(owner=user_context)
            return a, b
        """,
    ]

    def visit_Call(self, node: ast.Call) -> None:
        facts = self.facts
        target = facts.target(node)
        if target is None or not target.must:
            return
        status = facts.status(node, target)
        if status == PASSED:
            return
        how = "with `None` for its user context" if status == NONE else "without a user context"
        self.report(
            node, what=target.what, name=target.label, how=how, fix=self._fix(node, target, status)
        )

    def _fix(self, node: ast.Call, target: _Target, status: str) -> Fix:
        """Safe: the missing context of a configured factory or of a callee whose
        signature is known; unsafe: a literal ``None`` replaced by the context."""
        param = target.param
        if status == NONE:
            return add_context_fix(
                self.ctx, node, None, None, UNSAFE, none_arg=_none_arg(node, target, self.facts)
            )
        if param is None and target.what != "context factory":
            return manual(f"the signature of `{target.label}` is not known here")
        # safe only when the argument is required: a callee that runs without it (its
        # context defaults) may take another branch with it (`if self.context:`)
        applicability = UNSAFE if target.optional else SAFE
        return add_context_fix(
            self.ctx,
            node,
            param.name if param else None,
            param.kind if param else None,
            applicability,
        )
