"""NWS203 user-keyed-function-cache."""

from __future__ import annotations

import ast

from netra_ws_lint.analysis.idioms import (
    cache_decorator,
    is_classmethod,
    is_staticmethod,
)
from netra_ws_lint.analysis.scopes import params_of
from netra_ws_lint.analysis.semantic import Context
from netra_ws_lint.rules.base import Rule, register

# parameters that carry one user's identity, credentials or memory (request-derived
# values): a cache keyed by them keeps that user's data for every other caller
REQUEST_VALUES = frozenset(
    {
        "user",
        "current_user",
        "request_user",
        "request",
        "credentials",
        "memory",
        "chat_memory",
        "chat_history",
    }
)
# (not tokens: a cache of a pure function of a token, such as decoding it, serves only
# the holder of that token)
REQUEST_VALUE_SUFFIXES = ("api_key",)


@register
class UserKeyedFunctionCache(Rule):
    """
    ## What it does
    Flags a process-wide memoizing decorator (`functools.lru_cache` / `cache`, bare or
    called, `cachetools.cached`, `async_lru.alru_cache`, `aiocache.cached`, through any
    import or alias), Streamlit's `st.cache_resource` / `st.cache_data`, on a function
    or method that takes a user identity (a parameter named with an identity name such
    as `user_id`, or a user context) or a value that is one user's (`user`,
    `request`, an API key or token, a chat memory), or on any method of a user-scoped
    class.

    ## Why is this bad?
    The cache belongs to the function, so it is shared by the whole process: a result
    computed for one user is served to the next user who passes an equal key, and the
    cache keeps every user context (and what it references) alive. On a method of a
    user-scoped class the cache also keeps each user's manager alive forever.

    ## Example
    ```python
    from functools import lru_cache

    @lru_cache(maxsize=1024)
    def load_permissions(user_id: str) -> frozenset[str]:
        return frozenset(db.permissions(user_id))
    ```

    ## Use instead
    ```python
    async def load_permissions(user_context: UserExecutionContext) -> frozenset[str]:
        cache = user_context.cache  # per-request (or an external, per-user keyed store)
        if "permissions" not in cache:
            cache["permissions"] = frozenset(await db.permissions(user_context.user_id))
        return cache["permissions"]
    ```

    ## Fix
    No automatic fix: cache on the per-request object, or in a store whose keys and
    expiry are designed for per-user data.

    ## Options
    `identity-names`, `context-names`, `context-types`, `user-scoped-types`.
    """

    code = "NWS203"
    name = "user-keyed-function-cache"
    message = (
        "`@{decorator}` caches `{func}`, which {reason}: results are kept and served across users"
    )
    summary = "Process-wide cache decorator on a function taking a user identity (or user-scoped)."
    trigger = ("cache cached",)
    options = ("identity-names", "context-names", "context-types", "user-scoped-types")

    INVALID = [
        # Streamlit's resource cache keyed by one visitor's API key, and a permission
        # helper's method caching per user object
        """
        from functools import lru_cache

        import streamlit as st

        @st.cache_resource
        def make_chain(openai_api_key):  # expect: NWS203@1
            return build_chain(openai_api_key)

        class PermissionHelper:
            @lru_cache(maxsize=128)
            def can_edit(self, user):  # expect: NWS203@5
                return user.has_perm("edit")
        """,
        """
        from functools import lru_cache

        @lru_cache
        def load_profile(user_id):  # expect: NWS203@1
            return db.fetch(user_id)
        """,
        # called with arguments, module alias, aliased async_lru on an async def
        """
        import functools as ft
        from async_lru import alru_cache as cached_async

        @ft.lru_cache(maxsize=128)
        def permissions(session_id, scope):  # expect: NWS203@1
            return compute(session_id, scope)

        @cached_async(ttl=60)
        async def fetch_threads(user_context: UserExecutionContext):  # expect: NWS203@1
            return await db.threads(user_context.user_id)
        """,
        # any method of a user-scoped class; stacked decorators on a static method
        """
        import functools

        class UserWebSocketManager:
            def __init__(self, user_context):
                self.user_context = user_context

            @functools.cache
            def channel_names(self):  # expect: NWS203@5
                return [c.name for c in self.channels]

        class Service:
            @staticmethod
            @functools.lru_cache()
            def token_for(user_id):  # expect: NWS203@5
                return issue(user_id)
        """,
        # cachetools / aiocache; a class whose __init__ takes a user context
        """
        from cachetools import cached, TTLCache
        import aiocache

        class Notifier:
            def __init__(self, user_context):
                self.user_context = user_context

            @cached(cache=TTLCache(maxsize=100, ttl=60))
            def recipients(self):  # expect: NWS203@5
                return lookup(self.user_context)

        @aiocache.cached(ttl=10)
        async def history(thread_id, limit=50):  # expect: NWS203@1
            return await db.history(thread_id, limit)
        """,
        # a nested function, an aliased decorator over several lines, a `ctx` parameter
        """
        from functools import lru_cache as memo

        def build(app):
            @memo(
                maxsize=None,
            )
            def lookup(ctx, key):  # expect: NWS203@5
                return app.resolve(ctx, key)
            return lookup
        """,
    ]
    VALID = [
        # Streamlit caches of process-wide resources and data
        """
        import streamlit as st

        @st.cache_resource
        def load_model(name: str):
            return load(name)

        @st.cache_data(ttl=600)
        def load_table(path):
            return read_csv(path)
        """,
        # a classmethod of a user-scoped class: the cache is keyed by the class
        """
        import functools

        class PageState:
            def __init__(self, user_context):
                self.user_context = user_context

            @classmethod
            @functools.lru_cache
            def full_name(cls):
                return cls.__module__ + "." + cls.__name__

            @staticmethod
            @functools.cache
            def schema(version):
                return {"version": version}
        """,
        # process-wide data, no user identity
        """
        from functools import lru_cache

        @lru_cache(maxsize=None)
        def load_settings(path):
            return parse(path)
        """,
        # per-instance caching on a user-scoped class; other decorators on user functions
        """
        from functools import cached_property, wraps

        class UserWebSocketManager:
            @cached_property
            def channels(self):
                return load(self.user_context)

        @traced
        async def handle(user_id):
            return user_id
        """,
        # a method of an ordinary class without a user identity
        """
        import functools

        class Tokenizer:
            @functools.lru_cache(maxsize=256)
            def split(self, text):
                return text.split()
        """,
        # a local function named like the decorator is not functools'
        """
        def lru_cache(fn):
            return fn

        @lru_cache
        def profile(user_id):
            return user_id
        """,
        # strings and comments mentioning it; not used as a decorator
        """
        import functools

        # @functools.lru_cache on load(user_id) would leak
        def load(user_id):
            '''Do not put @functools.cache here.'''
            return functools.lru_cache(maxsize=1)(fetch)(user_id)
        """,
    ]

    CACHE_HINT = "cache"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        # every decorator we know (and any import alias of one) is spelled with "cache"
        self._enabled = self.CACHE_HINT in ctx.source

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._check(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._check(node)

    def _decorator(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
        found = cache_decorator(self.ctx, node)
        return found[1] if found is not None else None

    def _reason(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
        ctx = self.ctx
        identity = ctx.words.identity_names
        for p in params_of(node):
            if p.kind in ("vararg", "kwarg"):
                continue
            if ctx.is_context_param(p):
                return f"takes the user context `{p.name}`"
            if p.name in identity:
                return f"takes the user identity `{p.name}`"
            if p.name in REQUEST_VALUES or p.name.endswith(REQUEST_VALUE_SUFFIXES):
                return f"takes `{p.name}`, one user's (their identity, key or memory)"
        scope = ctx.scope  # the def is visited in the scope that contains it
        # a class or static method of a user-scoped class is keyed by the class (or
        # its arguments), not by an instance holding one user's state
        if (
            scope.kind == "class"
            and isinstance(scope.node, ast.ClassDef)
            and not (is_classmethod(node) or is_staticmethod(node))
        ):
            cls = scope.node
            if ctx.is_user_scoped_type(cls.name) or ctx.class_context_param(cls) is not None:
                return f"is a method of the user-scoped class `{cls.name}`"
        return None

    def _check(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if not self._enabled or not node.decorator_list:
            return
        decorator = self._decorator(node)
        if decorator is None:
            return
        reason = self._reason(node)
        if reason is not None:
            self.report(node, decorator=decorator, func=node.name, reason=reason)
