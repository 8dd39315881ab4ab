"""NWS203 user-keyed-function-cache."""

from __future__ import annotations

import ast

from netra_ws_lint.analysis.frameworks import serving_request
from netra_ws_lint.analysis.idioms import (
    cache_decorator,
    is_classmethod,
    is_staticmethod,
)
from netra_ws_lint.analysis.scopes import dotted_name, params_of
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


# process-wide cache objects of web frameworks (their entries outlive the request)
SHARED_CACHES = frozenset({"django.core.cache.cache", "django.core.cache.caches"})
# decorators of views that serve only a logged-in user (their pages are that user's)
LOGIN_DECORATORS = ("login_required", "permission_required", "user_passes_test")


def _names_a_user(key: ast.expr, identity: set[str]) -> bool:
    """The key expression names a user (``request.user.id``, ``user_id``...)."""
    for n in ast.walk(key):
        word = n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute) else ""
        if word and ("user" in word.lower() or word in identity or "session" in word.lower()):
            return True
    return False


def _per_user_view(view: ast.AST) -> bool:
    """A view that renders the logged-in user's data: behind a login decorator, or it
    reads ``request.user``."""
    for d in getattr(view, "decorator_list", ()):
        name = dotted_name(d.func if isinstance(d, ast.Call) else d) or ""
        if name.rpartition(".")[2] in LOGIN_DECORATORS:
            return True
    return any(
        isinstance(n, ast.Attribute) and n.attr == "user" and dotted_name(n) == "request.user"
        for n in ast.walk(view)
    )


def _about_user(expr: ast.AST, seeded: set[str]) -> bool:
    """``expr`` is built for the request's user: it passes the whole ``request`` to a
    call, reads ``request.user`` or a name about a user, or a local built so (a page
    number read from ``request.GET`` is not)."""
    for n in ast.walk(expr):
        if isinstance(n, ast.Call) and any(
            isinstance(a, ast.Name) and a.id == "request"
            for a in [*n.args, *(k.value for k in n.keywords)]
        ):
            return True
        if isinstance(n, ast.Attribute) and dotted_name(n) == "request.user":
            return True
        if isinstance(n, ast.Name) and (n.id in seeded or "user" in n.id.lower()):
            return True
    return False


def _user_derived(view: ast.AST, value: ast.expr) -> bool:
    seeded: set[str] = set()
    assigns = [
        (t.id, n.value)
        for n in ast.walk(view)
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
    ]
    for _ in range(4):
        grew = False
        for name, expr in assigns:
            if name not in seeded and _about_user(expr, seeded):
                seeded.add(name)
                grew = True
        if not grew:
            break
    return _about_user(value, seeded)


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
    serves_requests = "A process-wide cache fills only where the function is called for a user."
    message = "{head}: results are kept and served across users"
    summary = "Process-wide cache decorator on a function taking a user identity (or user-scoped)."
    trigger = ("cache cached",)
    options = ("identity-names", "context-names", "context-types", "user-scoped-types")

    INVALID = [
        # Django's cache keyed by the page only, in a view of the logged-in user's
        # friends
        """
        from django.contrib.auth.decorators import login_required
        from django.core.cache import cache
        from django.shortcuts import render


        @login_required
        def friends(request):
            page = request.GET.get("page", 1)
            context = cache.get(f"friends_{page}")  # expect: NWS203@15
            if context is None:
                context = {"friends": list_friends(request, page)}
                cache.set(f"friends_{page}", context, 3600)
            return render(request, "friends.html", context)
        """,
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
        # the same cache keyed by the user; a public page cached by page number
        """
        from django.contrib.auth.decorators import login_required
        from django.core.cache import cache
        from django.shortcuts import render


        @login_required
        def friends(request):
            page = request.GET.get("page", 1)
            key = f"friends_{page}_{request.user.id}"
            context = cache.get(key)
            if context is None:
                context = {"friends": list_friends(request, page)}
                cache.set(key, context, 3600)
            return render(request, "friends.html", context)


        def articles(request):
            page = request.GET.get("page", 1)
            context = cache.get(f"articles_{page}")
            if context is None:
                context = {"articles": list_articles(page)}
                cache.set(f"articles_{page}", context)
            return render(request, "articles.html", context)
        """,
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
        # a lookup by name on a user-scoped class: its arguments and what it reads hold
        # no identity
        """
        import functools

        class UserAgentFactory:
            def __init__(self, user_context):
                self.user_context = user_context

            @functools.lru_cache(maxsize=128)
            def agent_class(self, name):
                return self.registry.get(name)
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
        self._cache_reported: set[int] = set()
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
            if (
                ctx.is_user_scoped_type(cls.name) or ctx.class_context_param(cls) is not None
            ) and self._serves_instance_state(node):
                return f"is a method of the user-scoped class `{cls.name}`"
        return None

    def _serves_instance_state(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """The cached method's result is the instance's user's: it takes nothing but
        ``self``, or it reads the user context or identity the instance holds. (A
        lookup by other arguments that reads no identity, such as a class registry
        keyed by name, caches nothing of one user.)"""
        params = [p for p in params_of(node) if p.kind not in ("vararg", "kwarg")]
        if len(params) <= 1:
            return True
        me = params[0].name
        words = set(self.ctx.words.identity_names) | set(self.ctx.words.context_names)
        return any(
            isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name)
            and n.value.id == me
            and n.attr.lstrip("_") in words
            for n in ast.walk(node)
        )

    def _check(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if not self._enabled or not node.decorator_list:
            return
        decorator = self._decorator(node)
        if decorator is None:
            return
        reason = self._reason(node)
        if reason is not None:
            head = f"`@{decorator}` caches `{node.name}`, which {reason}"
            self.report(node, head=head)

    # -------------------------------------------------------------- shared cache stores
    def visit_Call(self, node: ast.Call) -> None:
        """``cache.get(key)`` / ``cache.set(key, value)`` on a process-wide cache
        (Django's ``cache`` or ``caches[...]``) in a view that renders the logged-in
        user's data, with a key that names no user: the first user's page is served to
        everyone who asks for the same key."""
        func = node.func
        if not self._enabled or not isinstance(func, ast.Attribute) or not node.args:
            return
        if func.attr not in ("get", "set", "get_or_set", "add") or not self._shared_cache(
            func.value
        ):
            return
        ctx = self.ctx
        fns = ctx.enclosing_functions()
        if not fns or serving_request(ctx) is None:
            return
        view = fns[-1]
        key = node.args[0]
        identity = set(ctx.words.identity_names)
        keys = [key] + [
            n.value
            for n in ast.walk(view)
            if isinstance(key, ast.Name)
            and isinstance(n, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == key.id for t in n.targets)
        ]
        if any(_names_a_user(k, identity) for k in keys) or not _per_user_view(view):
            return
        key_text = dotted_name(key) or key
        stored = self._stored_value(view, key_text)
        if stored is None or not _user_derived(view, stored):
            return
        if id(view) in self._cache_reported:
            return
        self._cache_reported.add(id(view))
        text = ast.unparse(key)
        head = (
            f"`{dotted_name(func) or func.attr}(...)` in `{view.name}` caches what it builds "
            f"for the logged-in user under a key that names no user "
            f"(`{text if len(text) <= 60 else text[:57] + '...'}`)"
        )
        self.report(node, head=head)

    def _shared_cache(self, obj: ast.expr) -> bool:
        target = obj.value if isinstance(obj, ast.Subscript) else obj
        name = self.ctx.resolve(target) or ""
        return name in SHARED_CACHES

    @staticmethod
    def _stored_value(view: ast.AST, key: object) -> ast.expr | None:
        """The value ``view`` stores under the same key (``cache.set(key, value)``)."""
        want = ast.dump(key) if isinstance(key, ast.AST) else key
        for n in ast.walk(view):
            if (
                isinstance(n, ast.Call)
                and isinstance(n.func, ast.Attribute)
                and n.func.attr in ("set", "add", "get_or_set")
                and len(n.args) >= 2
            ):
                got = dotted_name(n.args[0]) or ast.dump(n.args[0])
                if got == want:
                    return n.args[1]
        return None
