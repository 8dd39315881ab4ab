"""NWS303 context-dropped."""

from __future__ import annotations

import ast

from netra_ws_lint.analysis.idioms import probe_function
from netra_ws_lint.analysis.resolution import (
    NONE,
    PASSED,
    _none_arg,
)
from netra_ws_lint.rules._shared import (
    _NWS3Rule,
)
from netra_ws_lint.rules.base import register
from netra_ws_lint.rules.fixes import UNSAFE, add_context_fix


@register
class ContextDropped(_NWS3Rule):
    """
    ## What it does
    Flags, where a user context is in scope (a context parameter of an enclosing
    function or lambda, a local bound from one, or `self.<context attribute>` in a
    method of a class whose `__init__` takes one), a call of a function of this module
    (or a method of the enclosing class, through `self`/`cls`) that accepts a user
    context with a default, and is not given it — omitted, or a literal `None`.
    Arguments are bound to the callee's parameters; a forwarded `*args`/`**kwargs` is
    assumed to hold the context. Only when the callee uses the context for identity or
    routing (reads its ids, passes it to a call, keeps it, or falls back to shared
    state without it): a context used only to decorate output is not enough. In
    project mode the callee may be in any module.

    Callees that must be given a context (configured factories, user-scoped types, a
    context parameter without default) are NWS301 instead: one call never gets both.
    Audit only: a callee named for a probe or a self-validation (`health`,
    `readiness`, `self_test`, `validate_*`, `verify_*`): it checks the application,
    and the context only adds a section to its report.

    ## Why is this bad?
    The callee silently runs without the user's context and falls back to its default:
    typically a shared manager, a system identity or no tenant isolation at all, even
    though the caller had the right context at hand.

    ## Example
    ```python
    async def emit_progress(run_id, percent, user_context=None):
        ...

    async def run(user_context: UserExecutionContext) -> None:
        await emit_progress(user_context.run_id, 10)
    ```

    ## Use instead
    ```python
    async def run(user_context: UserExecutionContext) -> None:
        await emit_progress(user_context.run_id, 10, user_context=user_context)
    ```

    ## Fix
    Unsafe fix (`--fix --unsafe-fixes`): the context in scope is passed by keyword
    (`user_context=user_context`), or replaces a literal `None` given for it. The
    callee then runs for that user instead of its fallback, which is the point, but it
    changes behaviour on purpose: review what the fallback did.

    ## Options
    `context-names`, `context-types`.
    """

    code = "NWS303"
    name = "context-dropped"
    serves_requests = "A dropped user context matters only where the call runs for a user."
    message = "call of `{name}` does not pass the user context in scope (`{context}`) as `{param}`"
    summary = "A user context is in scope but a callee accepting one is called without it."
    trigger = ("{context} {project}",)
    fixable = True
    migration = True
    options = ("context-names", "context-types")

    INVALID = [
        # a module function with an optional context, async
        """
        async def send_progress(event, user_context=None):
            return await create_websocket_manager(user_context).send_event(event)

        async def run(user_context):
            await send_progress('started')  # expect: NWS303@11
            await send_progress('done', user_context)
        """,
        # a method through self, self.user_context in scope; keyword-only parameter
        """
        class AgentService:
            def __init__(self, user_context):
                self.user_context = user_context

            def _audit(self, message, *, context=None):
                return audit_log.write(context.user_id if context else None, message)

            async def execute(self, prompt):
                self._audit(prompt)  # expect: NWS303@9
                return self._audit(prompt, context=self.user_context)
        """,
        # a closure and a lambda inside a function with the context; explicit None
        """
        def load(key, ctx=None):
            if ctx is None:
                return SHARED_CACHE.get(key)
            return store_for(ctx).get(key)

        def handler(ctx):
            def inner():
                return load('a')  # expect: NWS303@16
            cb = lambda: load('b', None)  # expect: NWS303@18
            return inner, cb
        """,
        # a lambda taking the context; odd formatting
        """
        def fetch(item, user_context=None):
            return repo.fetch(item, owner=user_context.user_id)

        HANDLERS = {
            'fetch': lambda user_context: fetch(  # expect: NWS303@35
                'x'
            ),
        }
        """,
        # a configured context name; an alias of the function
        """
        # options: {"extend-context-names": ["req_ctx"]}
        def log_event(name, req_ctx=None):
            return sink.write(name, req_ctx)

        async def endpoint(req_ctx):
            log = log_event
            log('hit')  # expect: NWS303@5
        """,
        # parameters recognised by their annotation, under other names
        """
        from typing import Optional

        def enrich(payload, *, owner: Optional['UserExecutionContext'] = DEFAULT):
            return {**payload, 'user': owner.user_id}

        async def handle(payload, current: UserExecutionContext):
            return enrich(payload, **{})  # forwarded: assumed passed

        async def handle2(payload, current: UserExecutionContext):
            return enrich(payload)  # expect: NWS303@12
        """,
    ]
    VALID = [
        # a probe or self-validation called without the context (audit: the context
        # would only add to its report)
        """
        def validate_component_health(user_context=None):
            report = {"ok": True}
            if user_context is not None:
                report["user"] = user_context.user_id
            return report

        async def on_error(user_context):
            return validate_component_health()
        """,
        # the callee uses its optional context only to decorate its output
        """
        def reply(text, user_context=None):
            if user_context is not None and user_context.cost:
                text += f' (cost: {user_context.cost:.2f})'
            return text

        async def handle(user_context, text):
            return reply(text)
        """,
        # passed positionally, by keyword, through *args / **kwargs
        """
        def helper(a, user_context=None):
            return a

        def run(user_context, *args, **kwargs):
            helper(1, user_context)
            helper(1, user_context=user_context)
            helper(*args)
            helper(1, **kwargs)
        """,
        # no user context in scope
        """
        def helper(a, user_context=None):
            return a

        def cron():
            return helper(1)
        """,
        # callees not known to take a context: imported, another object's method
        """
        from app.util import helper

        def local(a, user_context=None):
            return a

        def run(user_context, client):
            return helper(1), client.local(1)
        """,
        # a decorator that may change the signature
        """
        @retry(times=3)
        def helper(a, user_context=None):
            return a

        async def run(user_context):
            return helper(1)
        """,
        # callees that must get a context are NWS301, never NWS303
        """
        def build(user_context):
            return user_context

        def run(user_context):
            return build(), create_websocket_manager()
        """,
        # a parameter shadows the module function
        """
        def helper(a, user_context=None):
            return a

        def run(user_context, helper):
            return helper(1)
        """,
    ]

    def visit_Call(self, node: ast.Call) -> None:
        facts = self.facts
        target = facts.target(node)
        if target is None or target.must or target.param is None or target.use is None:
            return
        if facts.status(node, target) == PASSED:
            return
        context = self.ctx.user_context_expr()
        if context is None:
            return
        param = target.param
        if facts.status(node, target) == NONE:
            fix = add_context_fix(
                self.ctx, node, None, None, UNSAFE, none_arg=_none_arg(node, target, facts)
            )
        else:
            fix = add_context_fix(self.ctx, node, param.name, param.kind, UNSAFE)
        # a callee named for a probe or a self-validation (``validate_*_health``) checks
        # the application; the context only adds to its report: audit
        probe = probe_function(target.label.rpartition(".")[2])
        self.report(
            node, audit=probe, name=target.label, context=context, param=param.name, fix=fix
        )
