"""NWS204 shared-class-state."""

from __future__ import annotations

import ast

from netra_ws_lint.analysis.idioms import (
    MODEL_BASES,
    _ClassInfo,
    container_kind,
    function_label,
    is_classmethod,
    is_classvar,
    is_staticmethod,
    module_qualname,
    self_param,
)
from netra_ws_lint.analysis.scopes import FUNCTION_TYPES, Scope
from netra_ws_lint.analysis.semantic import Context
from netra_ws_lint.analysis.vocabulary import is_own_id_tracking
from netra_ws_lint.rules._shared import (
    _MutationRule,
)
from netra_ws_lint.rules.base import register


@register
class SharedClassState(_MutationRule):
    """
    ## What it does
    Flags a class attribute bound to a mutable container in the class body
    (`connections = {}`, `listeners: list = []`, `counts = defaultdict(int)`) and
    mutated, as in NWS201, through `self.x`, `cls.x` or `ClassName.x` in a method
    (also of a subclass in the same module), when `__init__` does not rebind `self.x`.
    Reported once per attribute, at its binding in the class body, naming a method
    that mutates it. An attribute annotated `ClassVar` is shared on purpose: it is
    reported as audit only, except in a user-scoped type. Also audit: a registry
    whose every mutation is through the class (in classmethods, staticmethods or
    `__new__`), and tracking sets or dicts that only add and remove the instance's own
    id (`self._live.add(self.id)` ... `self._live.discard(self.id)`).

    ## Why is this bad?
    A class attribute exists once, on the class: `self.connections[user_id] = ws` on
    a per-user manager writes into the dictionary every instance (every user's
    manager) shares, so one user's connections are visible to all the others.

    ## Example
    ```python
    class UserWebSocketManager:
        connections: dict[str, WebSocket] = {}

        def add(self, connection_id: str, websocket: WebSocket) -> None:
            self.connections[connection_id] = websocket
    ```

    ## Use instead
    ```python
    class UserWebSocketManager:
        def __init__(self, user_context: UserExecutionContext) -> None:
            self.user_context = user_context
            self.connections: dict[str, WebSocket] = {}

        def add(self, connection_id: str, websocket: WebSocket) -> None:
            self.connections[connection_id] = websocket
    ```

    ## Fix
    No automatic fix: create the container in `__init__` (or with
    `dataclasses.field(default_factory=...)`). Fields of pydantic / SQLModel models
    are copied per instance and are not flagged.

    ## Options
    `user-scoped-types` (a `ClassVar` in a user-scoped type is still reported by default).
    """

    code = "NWS204"
    name = "shared-class-state"
    serves_requests = "A class-level container mixes users' data only where live code mutates it."
    message = (
        "class attribute `{cls}.{attr}` is a mutable container shared by every instance;"
        " mutated in `{method}`"
    )
    summary = "Class-level mutable container mutated through self/cls: shared by every instance."
    trigger = ("class",)
    options = ("user-scoped-types",)

    INVALID = [
        """
        class ConnectionRegistry:
            connections = {}  # expect: NWS204@5

            async def add(self, user_id, websocket):
                self.connections[user_id] = websocket
        """,
        # annotated container, aliased constructors, `cls.x` and `ClassName.x`,
        # the attributes bound below the methods that mutate them
        """
        import collections as c

        class Stats:
            @classmethod
            def hit(cls, key):
                cls.counts[key] += 1

            def record(self, key):
                self.counts[key] += 1
                Stats.history.appendleft(key)

            counts: dict[str, int] = c.defaultdict(int)  # expect: NWS204@5
            history = c.deque(maxlen=10)  # expect: NWS204@5
        """,
        # ClassVar: default in a user-scoped type, audit elsewhere
        """
        # options: {"audit": true}
        from typing import ClassVar

        class UserWebSocketManager:
            active: ClassVar[set] = set()  # expect: NWS204@5

            def connect(self, websocket):
                self.active.add(websocket)

        class Registry:
            handlers: ClassVar[list] = []  # expect: NWS204@5

            def register(self, handler):
                self.handlers.append(handler)
        """,
        # `__init__` that rebinds other attributes only; a nested function in an async
        # method; mutation of what the attribute holds
        """
        class Bridge:
            pending = {}  # expect: NWS204@5

            def __init__(self, user_context):
                self.user_context = user_context
                self.sent = []

            async def queue(self, run_id, event):
                def put():
                    self.pending.setdefault(run_id, []).append(event)
                put()
        """,
        # once per attribute however many methods mutate it; a same-module base class
        """
        class Base:
            listeners = []  # expect: NWS204@5

        class Emitter(Base):
            def on(self, fn):
                self.listeners.append(fn)

            def off(self, fn):
                del self.listeners[self.listeners.index(fn)]
        """,
    ]
    VALID = [
        # a registry of a class made of classmethods, and instance tracking under the
        # instance's own id: audit, not default
        """
        class HandlerRegistry:
            _factories = {}

            @classmethod
            def register(cls, user_id, factory):
                cls._factories[user_id] = factory

        class Connection:
            _live = set()

            def __init__(self):
                self.id = new_id()
                self._live.add(self.id)

            def close(self):
                self._live.discard(self.id)
        """,
        # `__init__` rebinds the attribute: every instance has its own
        """
        class Manager:
            connections = {}

            def __init__(self):
                self.connections = {}

            def add(self, key, value):
                self.connections[key] = value
        """,
        # read-only lookup tables; immutable values; class-body (import-time) setup
        """
        class Codes:
            NAMES = {'a': 1}
            ORDER = ('a', 'b')
            NAMES['b'] = 2

            def code(self, name):
                return self.NAMES.get(name, self.ORDER[0])
        """,
        # a local variable named like the attribute; a static method's first parameter
        """
        class Worker:
            items = []

            def run(self):
                items = []
                items.append(1)
                return items

            @staticmethod
            def fill(self):
                self.items.append(1)
        """,
        # a ClassVar of an ordinary class is audit only (NWS204 with --audit)
        """
        from typing import ClassVar

        class PluginRegistry:
            plugins: ClassVar[dict] = {}

            @classmethod
            def register(cls, name, plugin):
                cls.plugins[name] = plugin
        """,
        # model fields are copied per instance; dataclass factories; other objects
        """
        from dataclasses import dataclass, field
        from pydantic import BaseModel

        class Message(BaseModel):
            tags: list[str] = []

            def tag(self, t):
                self.tags.append(t)

        @dataclass
        class Batch:
            items: list = field(default_factory=list)

            def add(self, item, other):
                self.items.append(item)
                other.items.append(item)  # 'self.items.append' in a string
        """,
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._infos: dict[int, _ClassInfo] = {}
        # (class, attribute) -> (binding statement, audit, message fields)
        self._pending: dict[tuple[int, str], tuple[ast.AST, bool, dict[str, str]]] = {}

    # -- class facts, once per class
    def info(self, cls: ast.ClassDef) -> _ClassInfo:
        found = self._infos.get(id(cls))
        if found is not None:
            return found
        ctx = self.ctx
        containers: dict[str, tuple[ast.AST, bool, bool]] = {}
        for attr, binding in Scope("class", cls).bindings.items():
            stmt = binding.node
            if binding.kind != "assign" or not isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                continue
            if container_kind(binding.value, lambda n: module_qualname(ctx, n)) is None:
                continue
            annotated = isinstance(stmt, ast.AnnAssign)
            classvar = annotated and is_classvar(getattr(stmt, "annotation", None))
            containers[attr] = (stmt, classvar, annotated)
        rebinds: set[str] = set()
        for item in cls.body:
            if isinstance(item, FUNCTION_TYPES) and item.name in ("__init__", "__post_init__"):
                rebinds |= self._self_assignments(item)
        bases: list[ast.ClassDef] = []
        is_model = False
        for base in cls.bases:
            qual = module_qualname(ctx, base) or ""
            last = qual.rpartition(".")[2]
            if last in MODEL_BASES or qual == "msgspec.Struct":
                is_model = True
            local = ctx.module_classes.get(qual) if "." not in qual else None
            if local is not None and local is not cls:
                bases.append(local)
        info = _ClassInfo(cls, containers, rebinds, bases, is_model)
        self._infos[id(cls)] = info
        return info

    @staticmethod
    def _self_assignments(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
        """Attributes ``fn`` binds on its first parameter (``self.x = ...``)."""
        me = self_param(fn)
        out: set[str] = set()
        if me is None:
            return out
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign):
                targets: list[ast.AST] = list(node.targets)
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets = [node.target]
            else:
                continue
            while targets:
                t = targets.pop()
                if isinstance(t, (ast.Tuple, ast.List)):
                    targets.extend(t.elts)
                elif isinstance(t, ast.Starred):
                    targets.append(t.value)
                elif (
                    isinstance(t, ast.Attribute)
                    and isinstance(t.value, ast.Name)
                    and t.value.id == me
                ):
                    out.add(t.attr)
        return out

    def _chain(self, cls: ast.ClassDef) -> list[_ClassInfo]:
        """``cls`` and its same-module base classes, nearest first (bounded)."""
        out: list[_ClassInfo] = []
        seen: set[int] = set()
        todo = [cls]
        while todo and len(out) < 50:
            current = todo.pop(0)
            if id(current) in seen:
                continue
            seen.add(id(current))
            info = self.info(current)
            out.append(info)
            todo.extend(info.bases)
        return out

    def _lookup_attr(
        self, cls: ast.ClassDef, attr: str, via_self: bool
    ) -> tuple[_ClassInfo, ast.AST, bool] | None:
        """The class (``cls`` or a same-module base) whose body binds ``attr`` to a
        container, its binding and whether it is a ``ClassVar``; None when it is a model
        field or, through ``self``, when an ``__init__`` of the chain rebinds it."""
        chain = self._chain(cls)
        if via_self and any(attr in info.init_rebinds for info in chain):
            return None
        for info in chain:
            entry = info.containers.get(attr)
            if entry is not None:
                stmt, classvar, annotated = entry
                if annotated and not classvar and any(i.is_model for i in chain):
                    return None  # a model field, copied for each instance
                return info, stmt, classvar
        return None

    # -- mutations
    def on_mutation(self, node: ast.AST, root: ast.AST) -> bool:
        if not isinstance(root, ast.Attribute) or not isinstance(root.value, ast.Name):
            return False
        ctx = self.ctx
        owner = root.value.id
        scope = ctx.binding_scope(owner)
        cls: ast.ClassDef | None = None
        method: ast.AST = root
        via_self = False
        if (
            scope is not None
            and scope.kind == "function"
            and scope.parent is not None
            and scope.parent.kind == "class"
            and isinstance(scope.parent.node, ast.ClassDef)
            and self_param(scope.node) == owner
        ):
            cls, method = scope.parent.node, scope.node
            via_self = not is_classmethod(method)  # `cls.x` is the class attribute itself
        else:
            binding = ctx.lookup(owner, root.value)
            if binding is None or not isinstance(binding.node, ast.ClassDef):
                return False
            # `ClassName.x` inside a method of that class
            for i, s in enumerate(ctx.scopes[:-1]):
                if s.node is binding.node:
                    nxt = ctx.scopes[i + 1]
                    if nxt.kind == "function":
                        cls, method = binding.node, nxt.node
                    break
            if cls is None:
                return False
        found = self._lookup_attr(cls, root.attr, via_self)
        if found is None:
            return False
        info, stmt, classvar = found
        key = (id(info.node), root.attr)
        previous = self._pending.get(key)
        if previous is not None and not previous[1]:
            return True  # already reported by default
        audit = classvar and not (self._user_scoped(info.node) or self._user_scoped(cls))
        # a registry filled through the class (classmethods, staticmethods, ``__new__``)
        # or instance tracking under the instance's own id: audit unless another
        # mutation of the attribute is neither
        audit = audit or _through_class(method) or is_own_id_tracking(node, method)
        if previous is None or not audit:
            message = dict(
                cls=info.node.name, attr=root.attr, method=f"{cls.name}.{function_label(method)}"
            )
            self._pending[key] = (stmt, audit, message)
        return True

    def _user_scoped(self, cls: ast.ClassDef) -> bool:
        ctx = self.ctx
        return ctx.is_user_scoped_type(cls.name) or ctx.class_context_param(cls) is not None

    def leave_Module(self, node: ast.Module) -> None:
        # once per attribute: a default finding wins over an audit one (ClassVar)
        for stmt, audit, message in self._pending.values():
            self.report(stmt, audit=audit, **message)
        self._pending.clear()


def _through_class(fn: ast.AST) -> bool:
    """A classmethod or a staticmethod: what it mutates belongs to the class."""
    return is_classmethod(fn) or is_staticmethod(fn)
