"""NWS206 contextvar-mutable-default."""

from __future__ import annotations

import ast

from netra_ws_lint.analysis.idioms import MUTATING_METHODS, container_kind
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

    Not flagged: a variable bound at module level whose default, as far as the
    project shows, is never mutated in place: in its module every use is `.set()`,
    `.reset()`, `.get(fallback)` (which never returns the default), or `.get()` whose
    result is only read (subscripts, `in`, `.get()`, `.items()`, copies, `len()`),
    directly or through a local name; and no other module imports the variable.

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
        # the default read-only here, but mutated through a local, or handed out
        """
        from contextvars import ContextVar

        STATE = ContextVar('state', default={})  # expect: NWS206@9
        SEEN = ContextVar('seen', default=[])  # expect: NWS206@8
        TAGS = ContextVar('tags', default=set())  # expect: NWS206@8

        def remember(user_id):
            state = STATE.get()
            if 'user_id' not in state:
                state['user_id'] = user_id

        def mark(item):
            SEEN.get().append(item)

        def current_tags():
            return TAGS.get()
        """,
        # read-only in its module, but another module imports it and mutates it
        """
        # file: app/__init__.py
        # file: app/state.py
        from contextvars import ContextVar

        STATE = ContextVar('state', default={})  # expect: NWS206@9

        def bind(user_context):
            STATE.set({'user': user_context.user_id})

        def user():
            return STATE.get().get('user')
        # file: app/views.py
        from app.state import STATE

        async def view(user_id):
            STATE.get()['user'] = user_id
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
        # a default never mutated in place: each context sets a fresh dict, readers
        # only read it, and a getter's fallback is a fresh object per call
        """
        from contextvars import ContextVar

        request_info = ContextVar('request_info', default={})

        def begin(user_id):
            request_info.set({'user_id': user_id})

        def end():
            request_info.set({})

        def current_user():
            info = request_info.get()
            if 'user_id' in info:
                return info['user_id']
            return info.get('fallback')

        def snapshot():
            return dict(request_info.get()), len(request_info.get())

        def session():
            return request_info.get({})
        """,
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._enabled = "ContextVar" in ctx.source
        self._parents: dict[ast.AST, ast.AST] | None = None
        self._kind = ""

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
        self._kind = kind
        if self._default_kept_intact(node):
            return
        first = node.args[0] if node.args else None
        var = "..."
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            var = repr(first.value)
        self.report(node, var=var, kind=kind)

    # the default never leaves a read: what a `.get()` result may be used for
    _READ_METHODS = frozenset({"get", "keys", "values", "items", "copy", "count", "index"})
    _READ_CALLS = frozenset(
        {
            "len",
            "dict",
            "list",
            "set",
            "tuple",
            "frozenset",
            "bool",
            "str",
            "repr",
            "sorted",
            "isinstance",
            "any",
            "all",
            "iter",
            "sum",
        }
    )

    def _parent_map(self) -> dict[ast.AST, ast.AST]:
        if self._parents is None:
            self._parents = {
                child: parent
                for parent in ast.walk(self.ctx.tree)
                for child in ast.iter_child_nodes(parent)
            }
        return self._parents

    def _default_kept_intact(self, call: ast.Call) -> bool:
        """The variable is bound at module level and, in the whole module, its default
        can only be read (see the doc); another module importing it may mutate it."""
        parents = self._parent_map()
        stmt = parents.get(call)
        target: ast.AST | None = None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
        elif isinstance(stmt, ast.AnnAssign):
            target = stmt.target
        if (
            not isinstance(target, ast.Name)
            or stmt is None
            or parents.get(stmt) is not self.ctx.tree
        ):
            return False
        name = target.id
        if self._imported_elsewhere(name):
            return False
        uses = 0
        for node in ast.walk(self.ctx.tree):
            if not isinstance(node, ast.Name) or node.id != name or node is target:
                continue
            attr = parents.get(node)
            if not isinstance(attr, ast.Attribute) or attr.attr not in ("get", "set", "reset"):
                return False
            use = parents.get(attr)
            if not isinstance(use, ast.Call) or use.func is not attr:
                return False
            uses += 1
            bare_get = attr.attr == "get" and not use.args and not use.keywords
            if bare_get and not self._only_read(use, parents, depth=0):
                return False
        return uses > 0  # (used only in other modules: not known here)

    def _imported_elsewhere(self, name: str) -> bool:
        project, module = self.ctx.project, self.ctx.module_name
        if project is None or module is None:
            return False
        own = project.modules.get(module) or {}
        quals = {f"{m}.{name}" for m in (module, *own.get("aliases", ()))}
        return any(
            not quals.isdisjoint(e["imports"].values())
            for e in project.entries
            if e["module"] != module
        )

    def _only_read(self, value: ast.AST, parents: dict[ast.AST, ast.AST], depth: int) -> bool:
        parent = parents.get(value)
        if isinstance(parent, ast.Subscript) and parent.value is value:
            if not isinstance(parent.ctx, ast.Load) or self._kind == "defaultdict":
                return False  # a store, or a defaultdict's read that inserts
            # an item read: what it holds must not be mutated in place either
            item = parents.get(parent)
            if isinstance(item, ast.Subscript) and item.value is parent:
                return self._only_read(parent, parents, depth + 1)
            if isinstance(item, ast.Attribute) and item.value is parent:
                return item.attr not in MUTATING_METHODS
            return not isinstance(item, ast.AugAssign)
        if isinstance(parent, ast.Attribute):
            call = parents.get(parent)
            return (
                parent.attr in self._READ_METHODS
                and isinstance(call, ast.Call)
                and call.func is parent
            )
        if isinstance(parent, (ast.Compare, ast.BoolOp, ast.If, ast.IfExp, ast.While)):
            return True
        if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not):
            return True
        if isinstance(parent, ast.Dict) and value in parent.values:  # {**value}
            i = parent.values.index(value)
            return parent.keys[i] is None
        if isinstance(parent, ast.Call) and value in parent.args:
            func = parent.func
            if isinstance(func, ast.Attribute):  # copied into another container
                return func.attr in ("update", "extend") and func.value is not value
            return isinstance(func, ast.Name) and func.id in self._READ_CALLS
        if isinstance(parent, ast.Assign) and depth == 0 and len(parent.targets) == 1:
            local = parent.targets[0]
            fn = self._enclosing_def(parent, parents)
            if not isinstance(local, ast.Name) or fn is None:
                return False
            return all(
                self._only_read(n, parents, depth + 1)
                for n in ast.walk(fn)
                if isinstance(n, ast.Name) and n.id == local.id and isinstance(n.ctx, ast.Load)
            )
        return False

    @staticmethod
    def _enclosing_def(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> ast.AST | None:
        cur = parents.get(node)
        while cur is not None and not isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef)):
            cur = parents.get(cur)
        return cur
