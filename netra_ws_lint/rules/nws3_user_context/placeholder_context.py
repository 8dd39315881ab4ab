"""NWS304 placeholder-context."""

from __future__ import annotations

import ast

from netra_ws_lint.analysis.idioms import fallback_for_missing, kept_in_function, probe_function
from netra_ws_lint.analysis.resolution import (
    _call_label,
    _literal_text,
)
from netra_ws_lint.analysis.scopes import dotted_name, loaded_names
from netra_ws_lint.analysis.semantic import Context
from netra_ws_lint.rules._shared import (
    _NWS3Rule,
)
from netra_ws_lint.rules.base import register


@register
class PlaceholderContext(_NWS3Rule):
    """
    ## What it does
    Flags a user context (a call of a context type, `UserExecutionContext(...)`)
    built with a literal user id — `"system"`, `"anonymous"`, `0`, an f-string without
    placeholders, passed by keyword `user_id=` or in `user_id`'s position — outside
    test code (`test-paths`, `Test*` classes) and not in `system-user-ids` (literal ids
    a team declares as deliberate system contexts); and any user context built at
    import time (at module
    level or in a class body, default values and decorators included), in any file.
    A block under `if __name__ == "__main__":` does not run at import time.

    Not flagged, as code that acts for nobody: a placeholder context assigned to a
    local name the function never reads (built and dropped), and one built in a
    `__post_init__` that Python never calls (a class that is not a dataclass and has
    its own `__init__`, which does not call it).

    Audit only: the throwaway context of a probe — built in a function whose name
    says it checks the application rather than serving a user (`health`, `readiness`,
    `liveness`, `probe`, `smoke`, `self_test`, or a name starting with `validate` or
    `verify`: `validate_factory_health`) and kept in that function (given to the calls
    it checks, never returned, yielded or stored on an object). A probe that returns
    its placeholder or keeps it on `self` hands it to whoever comes next: reported.
    Also audit: a placeholder built only when the function's own user-context
    parameter is missing (`if not user_context:`, `if context is None:`, the `else` of
    `if user_context:`, `user_context or UserExecutionContext("anonymous")`): a
    fallback for callers that pass none. Those callers are where to act (NWS301 and
    NWS303 report them where they call); a fallback no caller reaches serves nobody.
    A deliberate system identity of a background job (a scheduler) is a literal like
    any other until the team declares it in `system-user-ids`: from the code alone it
    cannot be told from a placeholder.

    ## Why is this bad?
    A placeholder context is not a user: every job that runs with it shares one
    identity, one manager and one set of caches, and it passes every check that only
    asks "is there a context?". A context built at import time is one object for the
    whole process, shared by every request that uses it.

    ## Example
    ```python
    SYSTEM_CONTEXT = UserExecutionContext(user_id="system", thread_id="bg", run_id="0")
    ```

    ## Use instead
    ```python
    def job_context(job: Job) -> UserExecutionContext:
        return UserExecutionContext(user_id=job.owner_id, thread_id=job.id, run_id=job.run_id)
    ```

    ## Fix
    No automatic fix: build the context when the work starts, for the user it runs for.

    ## Options
    `context-types`, `test-paths`, `system-user-ids`.
    """

    code = "NWS304"
    name = "placeholder-context"
    serves_requests = "A placeholder context stands for a user only where it runs for one."
    message = "user context `{name}(...)` built {how}"
    summary = "User context built with a literal user id, or built at import time."
    trigger = ("{context-types} {factories} {project}",)
    options = ("context-types", "test-paths", "system-user-ids")

    INVALID = [
        # a literal user id by keyword, in a function
        """
        from app.context import UserExecutionContext

        async def nightly():
            ctx = UserExecutionContext(user_id='system', thread_id='t')  # expect: NWS304@11
            return ctx
        """,
        # import time: module level, class body, a default value (any user id)
        """
        import os
        import app.context as c

        DEFAULT = c.UserExecutionContext(user_id=load_id(), run_id='r')  # expect: NWS304@11

        class Jobs:
            ctx = c.UserExecutionContext(user_id=os.environ['UID'])  # expect: NWS304@11

        def run(uid, ctx=c.UserExecutionContext(uid)):  # expect: NWS304@18
            return ctx
        """,
        # positional, f-string without placeholders, numbers; an alias
        """
        from app.context import UserExecutionContext as UEC

        def a():
            return UEC('anonymous')  # expect: NWS304@12

        def b():
            return UEC(f'system', 't')  # expect: NWS304@12

        def c():
            return [UEC(user_id=0), UEC(user_id=-1)]  # expect: NWS304@13, NWS304@29
        """,
        # a local dataclass: user_id is its second field
        """
        from dataclasses import dataclass

        @dataclass
        class UserExecutionContext:
            tenant: str
            user_id: str

        def job(tenant):
            return UserExecutionContext(tenant, 'system')  # expect: NWS304@12
        """,
        # a comprehension at module level runs at import time
        """
        CONTEXTS = [UserExecutionContext(user_id=u) for u in load_users()]  # expect: NWS304@13
        """,
        # a configured context type, odd formatting
        """
        # options: {"extend-context-types": ["RequestScope"]}
        async def warmup():
            return await prime(
                RequestScope(  # expect: NWS304@9
                    user_id="admin",
                )
            )
        """,
        # a placeholder kept and used; a __post_init__ its own __init__ calls; a
        # dataclass's __post_init__ (called by the generated __init__)
        """
        from dataclasses import dataclass

        def wire(registry):
            fallback = UserExecutionContext(user_id='system')  # expect: NWS304@16
            registry.attach(fallback)

        class Tool:
            def __init__(self, state=None):
                self.state = state
                self.__post_init__()

            def __post_init__(self):
                if self.state is None:
                    self.state = UserExecutionContext(user_id='tool')  # expect: NWS304@26

        @dataclass
        class Step:
            state: object = None

            def __post_init__(self):
                self.state = UserExecutionContext(user_id='step')  # expect: NWS304@22
        """,
        # built while the function's context is there, or on another test
        """
        def run(user_context=None, retry=False):
            if user_context:
                audit(UserExecutionContext(user_id='shadow'))  # expect: NWS304@15
            if not retry:
                return UserExecutionContext(user_id='system')  # expect: NWS304@16
            return user_context
        """,
        # a probe's name is not enough: the placeholder leaves the function (returned,
        # kept on the object) and serves whoever uses it next
        """
        class Factory:
            def validate_setup(self):
                return UserExecutionContext(user_id='health')  # expect: NWS304@16

            async def health_check(self):
                self.default = UserExecutionContext(user_id='probe')  # expect: NWS304@24
                return await self.create_scoped(self.default)
        """,
    ]
    VALID = [
        # a fallback for a missing context (audit: the callers that pass none are
        # where to act; each is reported where it calls)
        """
        def bridge_for(manager=None, user_context=None):
            if manager and not user_context:
                if manager.user_context:
                    user_context = manager.user_context
                else:
                    user_context = UserExecutionContext(user_id='compat-user')
            return Bridge(user_context)

        def engine_for(user_context: UserExecutionContext = None):
            ctx = user_context or UserExecutionContext(user_id='anonymous')
            other = UserExecutionContext('anonymous') if user_context is None else user_context
            return ctx, other

        class Service:
            def __init__(self, context=None):
                if context is not None:
                    self.context = context
                else:
                    self.context = UserExecutionContext(user_id='system')
        """,
        # a throwaway context of a health probe or a self-validation, given to the
        # calls it checks and dropped (audit: nobody is served)
        """
        import time

        class ToolFactory:
            async def validate_factory_health(self):
                test_context = UserExecutionContext(user_id='health_check_user', thread_id='t')
                start = time.time()
                async with self.create_scoped_executor(test_context) as executor:
                    await executor.ping()
                return {'status': 'healthy', 'elapsed': time.time() - start}

        def readiness(registry):
            found = registry.check(UserExecutionContext(user_id='readiness'))
            return found is not None

        def runSelfTest(factory):
            factory.build(context=UserExecutionContext(user_id='self-test'))
        """,
        # acting for nobody: a placeholder built and dropped (never read), and one in
        # a `__post_init__` Python never calls (no dataclass, its own __init__)
        """
        def wire(registry, manager):
            unused = UserExecutionContext(user_id='system', thread_id='setup')
            registry.attach(manager)

        class ToolContext:
            def __init__(self, state):
                self.state = state

            def __post_init__(self):
                if self.state is None:
                    self.state = UserExecutionContext(user_id='tool_context')
        """,
        # the real user's id
        """
        async def handle(request):
            return UserExecutionContext(user_id=request.user.id, thread_id='main')
        """,
        # a script's main block is not import time
        """
        import sys

        if __name__ == '__main__':
            ctx = UserExecutionContext(user_id=sys.argv[1])
            main(ctx)
        """,
        # lambdas and functions at module level run later
        """
        make_ctx = lambda uid: UserExecutionContext(user_id=uid)

        def factory(uid, *args, **kwargs):
            return UserExecutionContext(uid, *args, **kwargs)
        """,
        # an f-string with a placeholder; forwarded keywords
        """
        def f(n, data):
            a = UserExecutionContext(user_id=f'user-{n}')
            b = UserExecutionContext(**data)
            return a, b
        """,
        # other callables with similar names
        """
        def g(ctx):
            a = UserExecutionContextFactory('system')
            b = UserExecutionContext.from_token('abc')
            return a, b, ctx.with_user('system')
        """,
        # ids declared as deliberate system contexts; a test class in application code
        """
        # options: {"system-user-ids": ["scheduler", "health-check"]}
        def nightly():
            return UserExecutionContext(user_id='scheduler', thread_id='nightly')

        def probe():
            return UserExecutionContext('health-check')

        class TestChatHandler:
            def test_reply(self):
                return UserExecutionContext(user_id='system', thread_id='t')
        """,
        # test files may use literal ids (here every file is a test file)
        """
        # options: {"test-paths": ["*.py"]}
        def make_test_context():
            return UserExecutionContext(user_id='test-user', thread_id='t1')
        """,
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._dropped: set[ast.AST] = set()

    def visit_Assign(self, node: ast.Assign) -> None:
        value = node.value
        if not isinstance(value, ast.Call) or len(node.targets) != 1:
            return
        target = node.targets[0]
        fn = self.ctx.enclosing_function()
        if not isinstance(target, ast.Name) or fn is None:
            return
        if target.id in loaded_names(fn):
            return
        self._dropped.add(value)

    def _acts_for_nobody(self, node: ast.Call) -> bool:
        """Built and dropped, or in a ``__post_init__`` nothing calls."""
        if node in self._dropped:
            return True
        fn = self.ctx.enclosing_function()
        cls = self.ctx.enclosing_class()
        if fn is None or cls is None or fn.name != "__post_init__":
            return False
        if any(
            (dotted_name(d) or "").rpartition(".")[2]
            in ("dataclass", "define", "attrs", "frozen", "mutable")
            for d in (x.func if isinstance(x, ast.Call) else x for x in cls.decorator_list)
        ):
            return False
        init = self.ctx.init_of(cls)
        if init is None or init.name != "__init__":
            return False  # a dataclass base's generated __init__ may call it
        return not any(
            isinstance(n, ast.Attribute) and n.attr == "__post_init__"
            for n in ast.walk(self.ctx.tree)
        )

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            last = func.id
        elif isinstance(func, ast.Attribute):
            last = func.attr
        else:
            return
        facts = self.facts
        if not facts.matches(last, "context_types"):
            # an alias (``as UEC``) or a dotted pattern: resolved only when it may match
            if last not in facts.index.type_aliases and not facts.matches(last, "types"):
                return
            name = self.ctx.callee(node)
            if name is None or not facts.matches(name, "context_types"):
                return
        label = _call_label(node)
        if self.ctx.at_import_time() and not facts.in_main_guard(node.lineno):
            self.report(node, name=label, how="at import time: one context for every request")
            return
        if facts.is_test_file() or self.ctx.in_test_code():
            return
        value = self._user_id_arg(node)
        literal = _literal_text(value) if value is not None else None
        if literal is not None and not self._system_id(value) and not self._acts_for_nobody(node):
            how = f"with the literal user id {literal}"
            missing = self._fallback(node)
            if missing is not None:
                how += f", a fallback for a missing `{missing}`"
            self.report(
                node, audit=missing is not None or self._probe(node), name=label, how=how
            )

    def _fallback(self, node: ast.Call) -> str | None:
        """The user-context parameter of the enclosing function when the placeholder is
        built only without it (``if not user_context:``, ``user_context or ...``)."""
        fn = self.ctx.enclosing_function()
        cp = self.ctx.context_param(fn)
        if fn is None or cp is None or not fallback_for_missing(fn, node, cp.param.name):
            return None
        return cp.param.name

    def _probe(self, node: ast.Call) -> bool:
        """A throwaway context of a health probe or a self-check: built in a function
        whose name says it checks the application (``validate_factory_health``,
        ``readiness``, ``run_self_test``) and kept in that function (given to calls,
        never returned, yielded or stored beyond it)."""
        fns = self.ctx.enclosing_functions()
        return (
            bool(fns)
            and any(probe_function(fn.name) for fn in fns)
            and kept_in_function(fns[0], node)
        )

    def _system_id(self, value: ast.AST | None) -> bool:
        """A literal id the team declares as a deliberate system context."""
        ids = self.ctx.words.system_user_ids
        if isinstance(value, ast.JoinedStr) and all(
            isinstance(v, ast.Constant) for v in value.values
        ):
            return "".join(str(v.value) for v in value.values if isinstance(v, ast.Constant)) in ids
        return isinstance(value, ast.Constant) and str(value.value) in ids

    def _user_id_arg(self, call: ast.Call) -> ast.expr | None:
        for kw in call.keywords:
            if kw.arg == "user_id":
                return kw.value
        name = self.ctx.callee(call) or ""
        position = self.facts.user_id_position(name)
        if position is None:
            return None
        for i, arg in enumerate(call.args):
            if isinstance(arg, ast.Starred):
                return None
            if i == position:
                return arg
        return None
