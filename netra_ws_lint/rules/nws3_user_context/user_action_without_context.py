"""NWS302 user-action-without-context."""

from __future__ import annotations

import ast

from netra_ws_lint.analysis.scopes import FunctionNode, params_of
from netra_ws_lint.analysis.semantic import Context
from netra_ws_lint.rules._shared import (
    _NWS3Rule,
)
from netra_ws_lint.rules.base import register


@register
class UserActionWithoutContext(_NWS3Rule):
    """
    ## What it does
    Flags a function that acts for one user — it has a user-identity parameter
    (`user_id`, `session_id`, `thread_id`, `run_id`, `connection_id`, `websocket`) and
    calls a send method (`send_*`, `emit_*`, `broadcast*`, `notify*`, `push_*`) on a
    shared object — but has no user-context parameter (neither it nor an enclosing
    function; for a method, its class's `__init__` takes none either).

    A shared object is a module-level name (a module variable, an imported object,
    `state.manager`; not a module or a class: an imported `CapWords` name is a class,
    by PEP 8, whose static method is a function call), the result of a deprecated accessor
    (`get_websocket_manager().send_to_user(...)`, or a local assigned from it; not when
    the project's own accessor takes a user context and the call gives it one: that is
    the user's own object, see NWS101), or a
    singleton (`Hub.instance()`, a zero-argument `@lru_cache` or lazy `global` getter
    of this module). Reported once, at the `def` of the innermost function with the
    identity parameter. Not for a system-wide fan-out helper: a module function (or a
    method called through `self`) whose callers in the project all call it inside a
    loop over identities (`for user_id in subscribers:`) and serve no single user.

    ## Why is this bad?
    Routing by a bare user id through a process-wide manager is exactly how one user's
    events reach another: the id is looked up in state every user shares, and nothing
    ties the delivery to the request's own context.

    ## Example
    ```python
    async def notify_run(user_id: str, payload: dict) -> None:
        await manager.send_to_user(user_id, payload)
    ```

    ## Use instead
    ```python
    async def notify_run(user_context: UserExecutionContext, payload: dict) -> None:
        await create_websocket_manager(user_context).send_to_user(payload)
    ```

    ## Fix
    No automatic fix: the function's callers must pass the user context down.

    ## Options
    `identity-names`, `send-methods`, `context-names`, `context-types`,
    `deprecated-accessors`.
    """

    code = "NWS302"
    name = "user-action-without-context"
    serves_requests = (
        "A send to one user through a shared object matters only where it runs for a user."
    )
    message = (
        "`{name}` acts for one user (`{identity}`) and calls `{method}` on {target}, "
        "but takes no user context"
    )
    summary = "Function sends to one user through a shared object but takes no user context."
    trigger = ("{identity} {context}", "{sends}")
    migration = True
    migration_advice = (
        "acts for one user without a user context: add a `user_context` parameter "
        "and pass it from the callers"
    )
    options = (
        "identity-names",
        "send-methods",
        "context-names",
        "context-types",
        "deprecated-accessors",
    )

    INVALID = [
        # a method called in a fan-out loop and also directly for one user: no fan-out
        """
        from app.ws import hub

        class Broadcaster:
            async def _push(self, user_id, payload):  # expect: NWS302@5
                await hub.send_to_user(user_id, payload)

            async def announce(self, payload):
                for user_id in await self.subscribers():
                    await self._push(user_id, payload)

            async def reply(self, user_id, payload):
                await self._push(user_id, payload)
        """,
        # an imported module-level manager (a name or an UPPER_CASE constant), async
        """
        from app.ws import manager, HUB

        async def notify_run(user_id, payload):  # expect: NWS302@1
            await manager.send_to_user(user_id, payload)

        async def notify_hub(user_id, payload):  # expect: NWS302@1
            await HUB.send_to_user(user_id, payload)
        """,
        # the deprecated accessor's result, directly and through a local; module alias
        """
        import app.websocket_core as wc

        def push_status(session_id, status):  # expect: NWS302@1
            mgr = wc.get_websocket_manager()
            mgr.emit_status(session_id, status)

        def ping(thread_id):  # expect: NWS302@1
            wc.get_websocket_manager().broadcast({'thread': thread_id})
        """,
        # a decorated method of a class without a context: reported at the def
        """
        class Notifier:
            def __init__(self, channel):
                self.channel = channel

            @staticmethod
            @log_calls
            async def alert(run_id, text):  # expect: NWS302@5
                await EVENTS.notify_user(run_id, text)

        EVENTS = EventHub()
        """,
        # singletons: a cached zero-argument getter, Hub.instance(), a module attribute
        """
        import functools
        import app.state as state

        @functools.lru_cache()
        def get_hub():
            return Hub()

        def deliver(connection_id, msg):  # expect: NWS302@1
            hub = get_hub()
            hub.push_message(connection_id, msg)

        def fanout(websocket, msg):  # expect: NWS302@1
            Hub.instance().broadcast_all(msg)

        def relay(user_id, msg):  # expect: NWS302@1
            state.manager.send_to_user(user_id, msg)
        """,
        # the send is in a nested function: reported at the def with the identity
        """
        async def run_agent(user_id, prompt):  # expect: NWS302@1
            async def _tell(text):
                await get_websocket_manager().send_to_user(user_id, text)
            await _tell(prompt)
        """,
        # a lazy global getter of this module
        """
        _manager = None

        def manager_instance():
            global _manager
            if _manager is None:
                _manager = Manager()
            return _manager

        class Handlers:
            async def on_message(self, websocket, data):  # expect: NWS302@5
                await manager_instance().send_to(websocket, data)
        """,
        # bindings in source order: the send uses the accessor's result, a later
        # rebinding of the local does not hide it
        """
        async def handler(user_id, data):  # expect: NWS302@1
            m = get_websocket_manager()
            await m.send_to_user(user_id, data)
            m = None
        """,
    ]
    VALID = [
        # a fan-out method: every call of it, through `self`, is in a loop over
        # identities in a method serving no single user
        """
        from app.ws import hub

        class Broadcaster:
            async def _push(self, user_id, payload):
                await hub.send_to_user(user_id, payload)

            async def announce(self, payload):
                for user_id in await self.subscribers():
                    await self._push(user_id, payload)
        """,
        # an accessor migrated in place (it takes the user context) given a context the
        # function builds for the user it acts for: the user's own manager
        """
        def get_websocket_manager(user_context=None):
            return _managers.for_user(user_context)

        async def thread_created(user_id, thread_id):
            fresh = UserExecutionContext(user_id=user_id, thread_id=thread_id)
            manager = get_websocket_manager(fresh)
            await manager.send_to_user(user_id, {"type": "thread_created"})
        """,
        # a system-wide fan-out helper: every caller loops over identities and serves
        # no single user
        """
        manager = NotificationHub()

        async def push_update(user_id, payload):
            await manager.send_to_user(user_id, payload)

        async def broadcast_maintenance(subscribers, payload):
            for user_id in subscribers:
                await push_update(user_id, payload)
        """,
        # a user-context parameter
        """
        from app.ws import manager

        async def notify(user_id, user_context):
            await manager.send_to_user(user_id, {})
        """,
        # a method of a class whose __init__ takes the context
        """
        class Service:
            def __init__(self, user_context):
                self.user_context = user_context

            async def notify(self, run_id):
                await MANAGER.send_to_user(run_id, {})

        MANAGER = Manager()
        """,
        # per-request objects: the websocket itself, a local built by the factory
        """
        async def reply(websocket, text):
            await websocket.send_text(text)

        async def relay(user_id, request):
            mgr = create_websocket_manager(request.state.user_context)
            await mgr.send_to_user(user_id, {})
        """,
        # no identity parameter; not a send method; a module's function; a class's
        # (static) method: a function call (the state it uses is reported where it is)
        """
        import smtp_utils
        from app.ws import manager
        from app.handlers import MessageHandlerBase

        async def complete(user_id, result):
            await MessageHandlerBase.send_completion(user_id, result)

        async def announce(message):
            await manager.broadcast(message)

        def mail(user_id):
            smtp_utils.send_mail(user_id)
            return manager.get_stats(user_id)
        """,
        # the context is a parameter of the enclosing function (closure)
        """
        from app.ws import manager

        def outer(user_context):
            def inner(user_id):
                manager.send_to_user(user_id, {})
            return inner
        """,
        # a context annotated by type under another name; configured identity names
        """
        # options: {"identity-names": ["tenant_id"]}
        from app.ws import manager

        async def a(user_id, msg):
            await manager.send_to_user(user_id, msg)

        async def b(tenant_id, uc: 'UserExecutionContext'):
            await manager.send_to_user(tenant_id, {})
        """,
        # bindings in source order: the send uses the per-user object bound before
        # it; the accessor's result bound after it is not what it sends through
        """
        async def handler(user_id, data, sessions):
            m = sessions.notifier_for(user_id)
            await m.send_to_user(user_id, data)
            m = get_websocket_manager()
            return m.stats()
        """,
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._identity: dict[int, str | None] = {}
        self._reported: set[int] = set()

    def _identity_param(self, fn: FunctionNode) -> str | None:
        key = id(fn)
        if key not in self._identity:
            names = self.ctx.words.identity_names
            self._identity[key] = next(
                (p.name for p in params_of(fn) if p.name in names and p.kind != "kwarg"), None
            )
        return self._identity[key]

    def _has_context(self) -> bool:
        """A user-context parameter of an enclosing def/lambda, or of the class."""
        ctx = self.ctx
        scopes = ctx.scopes
        for i in range(len(scopes) - 1, 0, -1):
            node = scopes[i].node
            if scopes[i].kind == "class":
                return False
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                if ctx.context_param(node) is not None:
                    return True
                parent = scopes[i - 1].node
                if isinstance(parent, ast.ClassDef):
                    return ctx.class_context_param(parent) is not None
        return False

    def _fanout_helper(self, fn: FunctionNode) -> bool:
        """A module-level function (or a method of a top-level class, called through
        ``self``) every caller in the project calls inside a loop over identities,
        serving no single user (a system-wide fan-out)."""
        ctx = self.ctx
        vocab = ctx.vocabulary()
        if ctx.module_functions.get(fn.name) is fn:
            return any(vocab.is_fanout_helper(n) for n in ctx.vocabulary_names(fn.name))
        for cls in ctx.module_classes.values():
            if any(stmt is fn for stmt in cls.body):
                module = ctx.module_name if ctx.project is not None else None
                qual = f"{cls.name}.{fn.name}"
                return vocab.is_fanout_helper(f"{module}.{qual}" if module else qual)
        return False

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if not isinstance(func, ast.Attribute):
            return
        if not self.facts.matches(func.attr, "send_methods"):
            return
        fn, identity = None, None
        for candidate in self.ctx.enclosing_functions():
            identity = self._identity_param(candidate)
            if identity is not None:
                fn = candidate
                break
        if fn is None or id(fn) in self._reported or self._has_context():
            return
        target = self.facts.shared_receiver(func.value)
        if target is None or self._fanout_helper(fn):
            return
        self._reported.add(id(fn))
        self.report(fn, name=fn.name, identity=identity, method=func.attr, target=target)
