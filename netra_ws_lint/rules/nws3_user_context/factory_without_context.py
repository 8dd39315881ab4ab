"""NWS301 factory-without-context."""

from __future__ import annotations

import ast

from netra_ws_lint.analysis.idioms import handed_on, in_async_code, probe_function
from netra_ws_lint.analysis.resolution import (
    NONE,
    PASSED,
    _none_arg,
    _Target,
)
from netra_ws_lint.analysis.scopes import FunctionNode, params_of
from netra_ws_lint.analysis.semantic import Context
from netra_ws_lint.analysis.singletons import _user_kind, _value_calls
from netra_ws_lint.model import Fix
from netra_ws_lint.rules._shared import (
    _NWS3Rule,
)
from netra_ws_lint.rules.base import register
from netra_ws_lint.rules.fixes import SAFE, UNSAFE, add_context_fix, manual


def _record_in_scope(fns: list[FunctionNode]) -> bool:
    """A parameter of the enclosing functions names a record by its id (``corpus_id``,
    ``id``, ``message_ids``): the code acts on something that belongs to someone."""
    names = [p.name for fn in fns for p in params_of(fn)]
    return any(n == "id" or n.endswith(("_id", "_ids")) for n in names)


@register
class FactoryWithoutContext(_NWS3Rule):
    """
    ## What it does
    Flags a call that must be given a user context but is not: a configured context
    factory (`create_websocket_manager`), the constructor of a user-scoped type
    (`*WebSocketManager`, `*WebSocketBridge`, `*WebSocketNotifier`, `*Emitter`, or a
    class of this module whose `__init__` takes a user context), or a function of this
    module whose user-context parameter has no default — called without the context,
    or with a literal `None` for it. Flagged where a user is in scope (a user context,
    a user identity, a request handler): the context at hand was dropped. Without a
    user in scope, flagged where the object acts at once or for everyone: at import
    time, kept in a module global, or used in place in async code (code that may
    serve a request: `manager = ChatWebSocketManager(); await manager.send_event(e)`)
    when the callee must be given a context.

    Audit only (`--audit`, or selecting NWS301), with no user in scope: a function
    named for a probe or a self-validation (`health`, `readiness`, `self_test`,
    `validate_*`, `verify_*`); one that hands the object on — returns it (also inside
    what it returns: `return Client(LLMManager())`), yields it, or keeps it on an
    object (an instance's private helper `self._agent = Agent(context=None)`, startup
    wiring `app.state.service = Service()`) — whose owner is decided where it is used;
    and sync code using it in place (a script, a helper no request is known to reach),
    or async code using in place a callee whose context has a default (it runs
    without one by design: `create_llm_manager(None)` for a one-off prompt).
    Also audit: a private instance of a type that keeps its context only as a label of
    its own state (a private attribute formatted into its own cache keys and log lines,
    or tested, and nothing process-wide touched: `show-vocabulary` lists these), built
    where it is used or passed into what the function builds or returns (not kept on an
    object or in a global): without the context it only lacks the label.
    Also audit: a literal `None` given to a function of this module that reads its
    context only under a test that it is set (`if user_context and ...`): `None` is a
    value it takes on purpose (a cleanup path that never had a context).

    A user context is a parameter annotated with a context type or named with a
    context name. For a callee defined in this module the arguments are bound to its
    parameters (positional or keyword); for one defined elsewhere, any positional
    argument or a keyword named like a context counts as passing it. A forwarded
    `*args` or `**kwargs` is assumed to hold it. A function with a decorator that may
    change its signature (anything but `staticmethod`, `lru_cache`, `wraps`,
    `contextmanager`...) is only checked if its name is configured.

    Not flagged: a call in a worker pool's `initializer=` (it runs once per worker
    process, for no user), the constructor of a shared factory (its own context is
    optional and a method of it builds a new per-user object from the context it is
    given: see `show-vocabulary`) called without one.

    The constructor of a user-scoped type given the user it belongs to by a keyword
    (`Emitter(manager, user_id=user_id, context=None)`) is built for that user: not
    flagged.

    A call an import-time binding keeps (`service = CorpusService()` at module level or
    in a class body) is NWS103's one finding, which names the binding.

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
    serves_requests = "A context-free factory call reaches a user only where it runs for one."
    message = "{what} `{name}` called {how}"
    summary = "Context factory or user-scoped type built without a user context (or with `None`)."
    trigger = ("{user-scoped}",)
    fixable = True
    migration = True
    options = ("context-factories", "user-scoped-types", "context-names", "context-types")

    INVALID = [
        # a type whose context keys shared state (a module-level cache), or is public
        # (others read it), or an instance kept on an object: the context matters
        """
        _CACHE = {}

        class Summarizer:
            def __init__(self, user_context=None):
                self._user_context = user_context

            async def ask(self, prompt):
                return _CACHE.setdefault(f"{self._user_context.user_id}:{prompt}", prompt)

        class Notes:
            def __init__(self, user_context=None):
                self.user_context = user_context

            def title(self):
                return f"notes of {self.user_context.user_id}"

        class Service:
            def __init__(self, user_context):
                self.user_context = user_context
                self._summarizer = Summarizer()  # expect: NWS301@28

        async def handle(user_context, prompt):
            notes = Notes()  # expect: NWS301@13
            return await Summarizer().ask(prompt), notes  # expect: NWS301@18
        """,
        # built without the context, and its methods are never given it
        """
        class LLMManager:
            def __init__(self, user_context=None):
                self.user_context = user_context

            async def ask(self, prompt):
                return prompt

        async def answer(user_context, prompt):
            manager = LLMManager()  # expect: NWS301@15
            return await manager.ask(prompt)
        """,
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

        def setup(session_id):
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
        # a factory of the team's own (config), in a comprehension; at module level only
        # when no binding keeps it (a kept one is NWS103's one finding)
        """
        # options: {"extend-context-factories": ["make_bridge"]}
        from app.bridges import make_bridge

        def wire(ctx):
            return [make_bridge() for _ in range(2)]  # expect: NWS301@13

        bridge = make_bridge(timeout=3)
        register(make_bridge(timeout=3))  # expect: NWS301@10
        """,
        # a context factory inferred from its body (it builds what it returns from the
        # context), whatever its default, called without a context and with None
        """
        class ReportClient:
            def __init__(self, user_context=None):
                self.user_context = user_context

        def create_report_client(user_context=None):
            return ReportClient(user_context)

        async def reports_for(user_id):
            client = create_report_client()  # expect: NWS301@14
            backup = create_report_client(None)  # expect: NWS301@14
            return await client.fetch(user_id), backup
        """,
        # no user in scope, but the object is used right here in async code (code
        # that may serve a request) on a record named by its id, or it must be given a
        # context (here its signature is not known), or it is kept in a module global
        # (one for everyone)
        """
        from app.ws import ChatWebSocketManager

        class CorpusService:
            def __init__(self, user_context=None):
                self.user_context = user_context

        _shared = None

        async def delete_corpus(corpus_id):
            service = CorpusService()  # expect: NWS301@15
            return await service.delete(corpus_id)

        async def announce(event):
            manager = ChatWebSocketManager()  # expect: NWS301@15
            await manager.send_event(event)

        def get_service():
            global _shared
            if _shared is None:
                _shared = CorpusService()  # expect: NWS301@19
            return _shared
        """,
    ]
    VALID = [
        # a private instance of a type that keeps its context only as a label of its
        # own state (formatted into its own cache keys and log lines), built for this
        # call and passed into what it builds (audit: nothing is shared without it)
        """
        import logging

        logger = logging.getLogger(__name__)

        class LLMManager:
            def __init__(self, user_context=None):
                self._user_context = user_context
                self._cache = {}

            def _key(self, prompt):
                prefix = f"{self._user_context.user_id}:" if self._user_context else ""
                return prefix + prompt

            async def ask(self, prompt):
                logger.info(f"ask for {self._user_context.user_id if self._user_context else '-'}")
                return self._cache.setdefault(self._key(prompt), await complete(prompt))

        async def build_agent(user_context):
            llm = LLMManager()
            return Agent(llm=llm, context=user_context)
        """,
        # no user and no record id in scope, used in place in async code, and the
        # callee's context has a default: built for this call only, as the callee
        # allows (audit)
        """
        class CorpusService:
            def __init__(self, user_context=None):
                self.user_context = user_context

        def create_llm_manager(user_context=None):
            return LLMManager(user_context)

        async def summarize(text):
            service = CorpusService()
            return await service.summarize(text)

        async def title_for(content):
            manager = create_llm_manager(None)
            return await manager.ask(f"A title for: {content}")
        """,
        # no user in scope and the object handed on (audit: who it is for is decided
        # where it is used): an instance's private fallback, startup wiring on
        # `app.state`, a function returning a new one per call (also inside what it
        # returns), a self-validation, sync code using it in place (a script); a
        # `None` given to a function that reads its context only once it checked it
        # is set
        """
        class LLMManager:
            def __init__(self, user_context=None):
                self.user_context = user_context

        class Tool:
            def __init__(self, llm=None):
                self.llm = llm

            def _get_llm(self):
                if self.llm is None:
                    self.llm = LLMManager()
                return self.llm

        async def startup(app):
            bridge = LLMManager()
            app.state.llm = bridge

        async def new_manager():
            manager = LLMManager()
            await manager.initialize()
            return manager

        def client_for(request):
            return Client(LLMManager(), timeout=request.timeout)

        def validate_components(client=None):
            if client is None:
                client = Client(LLMManager(None))
            return client.ping()

        class Router:
            async def cleanup(self, websocket, manager, user_context):
                if manager and user_context and user_context.connection_id:
                    await manager.remove(user_context.connection_id)
                await websocket.close()

            async def legacy(self, websocket):
                await self.cleanup(websocket, None, None)

        def main(args):
            manager = LLMManager()
            print(manager.ask(args.prompt))
        """,
        # built, then bound to the user in scope by one of its methods
        """
        class LLMManager:
            def __init__(self, user_context=None):
                self.user_context = user_context

            async def initialize_for_context(self, user_context):
                self.user_context = user_context

        async def service_for(user_context):
            manager = LLMManager()
            await manager.initialize_for_context(user_context)
            return manager
        """,
        # a context built in the function (or the caller's, with a fallback), then
        # passed positionally to a constructor whose first parameter takes a context or
        # a registry (its `context=` keyword left out): it is given a user context
        """
        from app.context import UserExecutionContext

        class Engine:
            def __init__(self, context_or_registry=None, factory=None, context=None):
                self.context = context or context_or_registry

        def compat_engine(factory):
            fallback_ctx = UserExecutionContext(user_id=new_id(), thread_id=new_id())
            return Engine(fallback_ctx, factory)

        def engine_for(factory, user_context=None):
            return Engine(user_context or {}, factory)
        """,
        # a per-user object given the user it belongs to by its identity keyword
        """
        class UserEmitter:
            def __init__(self, manager, user_id=None, context=None):
                self.user_id = user_id
                self.context = context

        def emitter_for(manager, user_id):
            return UserEmitter(manager=manager, user_id=user_id, context=None)
        """,
        # a user-scoped object kept by a module-level binding: one finding, NWS103's
        """
        class ReportService:
            def __init__(self, user_context=None):
                self.user_context = user_context

        service = ReportService()

        class Routes:
            default: "ReportService" = ReportService()
        """,
        # a worker pool's initializer (set up in another module) builds the worker's
        # own objects once per process, for no user
        """
        # file: jobs/__init__.py
        # file: jobs/worker.py
        class LLMManager:
            def __init__(self, user_context=None):
                self.user_context = user_context

        def init_worker():
            global llm
            llm = LLMManager()
        # file: jobs/run.py
        from concurrent.futures import ProcessPoolExecutor
        from jobs.worker import init_worker

        def start():
            return ProcessPoolExecutor(max_workers=2, initializer=init_worker)
        """,
        # a shared factory: its own context is optional and a method builds a new
        # per-user object from the context it is given (a user-scoped type), so the
        # process keeps one, built without a user on purpose
        """
        class ReportSession:
            def __init__(self, user_context):
                self.user_context = user_context

        class EventBridge:
            def __init__(self, user_context=None):
                self.user_context = user_context

            async def create_user_emitter(self, user_context):
                validated = validate(user_context)
                return UserEventEmitter(validated)

            def open_session(self, user_context):
                return ReportSession(user_context)

        async def startup(app):
            app.state.bridge = EventBridge()
        """,
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

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._import_time: set[int] = set()  # calls NWS103 reports with their binding
        self._bound_later: set[int] = set()  # built, then given the context by a method

    def _binding(self, targets: list[ast.expr], value: ast.AST | None) -> None:
        """The call a module-level (or class-body) binding keeps, as NWS103 reports it:
        one defect, one finding (NWS103's, which names the binding)."""
        ctx = self.ctx
        if (
            value is None
            or ctx.scope.kind not in ("module", "class")
            or not ctx.at_import_time()
            or not ctx.reports("NWS103")
        ):
            return
        for call in _value_calls(ctx, value, [], False):
            if _user_kind(ctx, ctx.callee(call)) is not None:
                self._import_time.add(id(call))
                return

    def visit_Assign(self, node: ast.Assign) -> None:
        self._binding(node.targets, node.value)
        self._context_given_later(node)

    def _context_given_later(self, node: ast.Assign) -> None:
        """``m = Manager()`` then ``m.initialize_for_context(user_context)`` (or any
        method of ``m`` given the user context) as one of the next statements of the
        same block: the object is bound to its user right after it is built."""
        fn = self.ctx.enclosing_function()
        target = node.targets[0] if len(node.targets) == 1 else None
        if fn is None or not isinstance(target, ast.Name) or not isinstance(node.value, ast.Call):
            return
        block = next(
            (
                body
                for sub in ast.walk(fn)
                for field in ("body", "orelse", "finalbody")
                for body in [getattr(sub, field, None)]
                if isinstance(body, list) and any(b is node for b in body)
            ),
            None,
        )
        if block is None:
            return
        i = next(k for k, b in enumerate(block) if b is node)
        for stmt in block[i + 1 : i + 4]:
            call = stmt.value if isinstance(stmt, ast.Expr) else None
            if isinstance(call, ast.Await):
                call = call.value
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name)
                and call.func.value.id == target.id
                and (call.args or call.keywords)
                and self.ctx.passes_user_context(call)
            ):
                self._bound_later.add(id(node.value))
                return

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._binding([node.target], node.value)

    def visit_Call(self, node: ast.Call) -> None:
        if id(node) in self._import_time:
            return  # NWS103 reports the binding: one finding
        facts = self.facts
        target = facts.target(node)
        if target is None or not target.must:
            return
        status = facts.status(node, target)
        if status == PASSED or (status != NONE and id(node) in self._bound_later):
            return
        if any(self.ctx.is_worker_initializer(fn) for fn in self.ctx.enclosing_functions()):
            return  # a pool's `initializer=` builds the worker's own, for no user
        how = "with `None` for its user context" if status == NONE else "without a user context"
        private = self._private_label_only(node, target)
        if private:
            how += ", a private instance keeping its context only as a label"
        self.report(
            node,
            audit=private
            or self._for_nobody(node, target)
            or (status == NONE and target.guarded),
            what=target.what,
            name=target.label,
            how=how,
            fix=self._fix(node, target, status),
        )

    def _private_label_only(self, node: ast.Call, target: _Target) -> bool:
        """A type keeping its context only as a label of its own state (formatted into
        its own keys and log lines, touching nothing process-wide: see
        ``show-vocabulary``), built in a function that keeps the instance to itself,
        passes it into what it builds or returns it (not on an object, not in a
        global): without the context it only lacks the label; nothing is shared."""
        fns = self.ctx.enclosing_functions()
        if not target.label_only or not fns:
            return False
        kept = handed_on(fns[0], node)
        return kept is None or kept in ("returned", "yielded")

    def _for_nobody(self, node: ast.Call, target: _Target) -> bool:
        """The call is in a function with no user in scope (no user context, no user
        identity, not a request handler) that builds the object for no one: a probe
        or self-validation (by its name), or one that hands the object on (returns it,
        keeps it on an object: an instance's private helper, startup wiring on
        ``app.state``), or sync code using it in place, or async code using in place
        a callee whose context has a default (it runs without one by design). Whose
        the object is, is decided where it is used: audit. Import time, a module
        global (shared by everyone) and an object used in place in async code that
        must be given a context stay reported."""
        ctx = self.ctx
        fns = ctx.enclosing_functions()
        if not fns or ctx.has_user_identity():
            return False
        if any(probe_function(fn.name) for fn in fns):
            return True
        kept = handed_on(fns[0], node)
        if kept is not None:
            return kept != "global"
        # used in place: in sync code with no user and no handler (a script, a setup
        # helper), audit; in async code that may serve a request, reported, unless the
        # callee's context has a default and no record is named here (built for this
        # call only, as the callee allows, and acting on nobody's record)
        return not in_async_code(ctx) or (target.optional and not _record_in_scope(fns))

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
