"""NWS101 deprecated-accessor-call."""

from __future__ import annotations

import ast

from netra_ws_lint.analysis.semantic import Context
from netra_ws_lint.analysis.singletons import _value_calls
from netra_ws_lint.rules.base import Rule, register
from netra_ws_lint.rules.fixes import accessor_fix


@register
class DeprecatedAccessorCall(Rule):
    """
    ## What it does
    Flags every call of a deprecated process-wide accessor such as
    `get_websocket_manager()`, however it is imported or aliased
    (`from pkg import get_websocket_manager as g; g()`,
    `import pkg.websocket_core as wc; wc.get_websocket_manager()`, method calls).

    An accessor the project migrated in place, whose own definition (in the module,
    or anywhere in the project) takes a user-context parameter and so builds per user
    from what it is given, is judged by that signature: a call giving that parameter a
    value (whatever the variable's name: `get_websocket_manager(fallback_context)`) gets
    that user's object and is not flagged; a call without it, or with a literal `None`,
    still gets the shared one and is, where the code acts for a user (a user identity
    or context in scope). Code acting for no user (a health probe, a status or
    statistics endpoint) asking such an accessor for its shared object is not flagged.

    Audit only (`--audit`, or selecting NWS101): a call of an accessor not migrated in
    place in code acting for no user (no user identity or context in any enclosing
    function: startup and shutdown steps, a health probe, a statistics route reading
    totals): it reaches no one user's data, and it goes when the accessor goes (the
    migration counts it). At import time it is NWS103's.

    ## Why is this bad?
    The accessor returns one object shared by the whole process. A WebSocket manager
    shared by every user delivers one user's events to whoever is registered on it:
    with many users at once, a message for user A can reach user B.

    ## Example
    ```python
    async def run_agent(user_context: UserExecutionContext) -> None:
        manager = get_websocket_manager()
        await manager.send_event("agent_started")
    ```

    ## Use instead
    ```python
    async def run_agent(user_context: UserExecutionContext) -> None:
        manager = create_websocket_manager(user_context)
        await manager.send_event("agent_started")
    ```

    ## Fix
    Safe fix when a user context is in scope (a context parameter of an enclosing
    function or lambda, `self.<attr>` in a method of a class whose `__init__` stores its
    context there, or a local bound from one before the call): the call becomes the
    configured replacement called with that context, written as the call was
    (`gwm()` -> `create_websocket_manager(user_context)`, `ws.get_websocket_manager()` ->
    `ws.create_websocket_manager(user_context)`), and the import is rewritten: the new
    name takes the old one's place in the same statement (other names kept), or joins
    it while something else still uses the old name. A replacement configured as
    `await create_x` is awaited (only directly inside an `async def`). No edit, and the
    site is listed as manual, when no context is in scope, at import time (a
    module-level instance), for a call with arguments or on an object, or when the
    import to change is ambiguous.

    ## Options
    `deprecated-accessors` (`old -> replacement` pairs; `old -> await replacement` for a
    coroutine function), `context-names`, `context-types`.
    """

    code = "NWS101"
    name = "deprecated-accessor-call"
    serves_requests = (
        "A call of a deprecated accessor matters where it runs: for a user, on a request path."
    )
    message = "call of deprecated process-wide accessor `{name}()`; use `{replacement}`"
    summary = "Call of a deprecated process-wide accessor such as `get_websocket_manager()`."
    trigger = ("{accessors}",)
    fixable = True
    migration = True
    options = ("deprecated-accessors",)

    INVALID = [
        # an accessor migrated in place, called without a context or with `None`: the
        # shared manager still
        """
        # file: app/__init__.py
        # file: app/ws.py
        def get_websocket_manager(user_context=None):
            return _managers.for_user(user_context)
        # file: app/health.py
        from app.ws import get_websocket_manager

        async def status(user_id):
            a = get_websocket_manager(None)  # expect: NWS101@9
            b = get_websocket_manager(user_context=None)  # expect: NWS101@9
            return get_websocket_manager().stats(user_id)  # expect: NWS101@12

        class Router:
            def __init__(self, user_context=None):
                self.user_context = user_context

            async def send(self, message):
                await get_websocket_manager(None).send_to_user(message)  # expect: NWS101@15
        """,
        # plain import, inside an async function
        """
        from app.websocket_core import get_websocket_manager

        async def run_agent(user_context):
            manager = get_websocket_manager()  # expect: NWS101@15
            await manager.send_event('started')
        """,
        # alias and module import, nested function and lambda
        """
        import app.websocket_core as wc
        from app.websocket_core import get_websocket_manager as gwm

        def outer(session_id):
            def inner():
                return wc.get_websocket_manager()  # expect: NWS101@16
            later = lambda: gwm()  # expect: NWS101@21
            return inner, later
        """,
        # module level (one finding: NWS103), method call on an attribute, decorator argument
        """
        manager = get_websocket_manager()  # expect: NWS103

        class Handler:
            @retry(on=services.get_websocket_manager())  # expect: NWS101@15
            async def handle(self, message, user_id):
                await self.registry.get_websocket_manager().broadcast(message)  # expect: NWS101@15
        """,
        # odd formatting, comprehension, await of the result
        """
        async def fan_out(thread_id, users):
            return [
                await (
                    get_websocket_manager  # expect: NWS101@13
                    (
                    )
                ).send_to_user(u, 'hi')
                for u in users
            ]
        """,
        # a configured accessor of the team's own
        """
        # options: {"extend-deprecated-accessors": ["get_bridge -> create_bridge"]}
        from app.bridge import get_bridge

        def handle(event, session_id):
            get_bridge().publish(event)  # expect: NWS101@5
        """,
        # bindings in source order: the call goes through a local alias of the
        # accessor; rebinding the alias afterwards does not hide it
        """
        from app.websocket_core import get_websocket_manager

        def handler(user_id):
            get = get_websocket_manager
            manager = get()  # expect: NWS101@15
            get = None
            return manager
        """,
    ]
    VALID = [
        # code acting for no user: a startup step, a health or statistics route
        # (audit: it goes with the accessor)
        """
        from fastapi import APIRouter
        from app.websocket_core import get_websocket_manager

        router = APIRouter()

        async def startup(app):
            app.state.ws = get_websocket_manager()

        @router.get("/ws/stats")
        async def stats():
            return {"connections": get_websocket_manager().connection_count()}
        """,
        # an accessor migrated in place (its definition takes the user context): a call
        # that gives it one, by position, keyword or forwarded arguments, is per user
        """
        def get_websocket_manager(user_context=None, mode="unified"):
            return _managers.for_user(user_context, mode)

        async def stop(user_id):
            fallback = await load_session(user_id)
            await get_websocket_manager(fallback).send_to_user(user_id, {})

        def legacy(*args, **kwargs):
            temp = build_for(kwargs)
            get_websocket_manager(user_context=temp)
            return get_websocket_manager(*args, **kwargs)

        async def health():
            stats = get_websocket_manager(user_context=None).get_stats()
            return {"connections": stats["total"], "ok": get_websocket_manager() is not None}
        """,
        # the accessor's new signature, given the user context: not deprecated use
        """
        from app.ws import get_websocket_manager

        async def handle(ctx):
            await get_websocket_manager(user_context=ctx).send_event('x')
        """,
        """
        async def run_agent(user_context):
            manager = create_websocket_manager(user_context)
            await manager.send_event('started')
        """,
        # only mentioned, never called; strings and comments are not code
        """
        from app import websocket_core
        HOOK = websocket_core.get_websocket_manager
        doc = 'call get_websocket_manager() never'
        # get_websocket_manager()
        """,
        # a local parameter that shadows the name is not the accessor
        """
        def build(get_websocket_manager):
            return get_websocket_manager()
        """,
        # similar but different names
        """
        def f(user_context):
            get_websocket_manager_factory()
            manager.get_websocket_managers()
        """,
        # bindings in source order: the local is rebound to a factory before the call
        """
        from app.websocket_core import get_websocket_manager

        def handler(user_context):
            get = get_websocket_manager
            get = lambda: create_websocket_manager(user_context)
            return get()
        """,
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._import_time: set[int] = set()  # calls NWS103 reports with their binding

    def _binding(self, value: ast.AST | None) -> None:
        ctx = self.ctx
        if (
            value is not None
            and ctx.scope.kind in ("module", "class")
            and ctx.at_import_time()
            and ctx.reports("NWS103")
        ):
            self._import_time.update(id(c) for c in _value_calls(ctx, value, [], False))

    def visit_Assign(self, node: ast.Assign) -> None:
        self._binding(node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._binding(node.value)

    def visit_Call(self, node: ast.Call) -> None:
        name = self.ctx.callee(node)
        if not self.ctx.is_deprecated_accessor(name):
            return
        assert name is not None
        if (
            id(node) in self._import_time
            or self.ctx.passes_user_context(node)
            or self.ctx.accessor_given_context(node)
        ):
            return  # one finding (NWS103), or the accessor's context-taking signature
        for_nobody = not (self.ctx.at_import_time() or self.ctx.acts_for_a_user())
        if for_nobody and self.ctx.accessor_context_param(node.func) is not None:
            return  # the migrated accessor's shared fallback, asked for by code for no user
        short = name.rpartition(".")[2]
        replacement = self.ctx.accessor_replacement(name) or "a per-request factory"
        if for_nobody:
            replacement += " (audit: no user in scope: startup, shutdown, a probe or statistics)"
        fix = accessor_fix(self.ctx, node, name)
        self.report(node, audit=for_nobody, name=short, replacement=replacement, fix=fix)
