"""The thread-local objects a module holds (NWS208): ``threading.local()`` instances
and instances of ``threading.local`` subclasses of the module, at module level, as
class attributes, or as attributes that ``__init__`` sets on ``self`` (an object
holding a thread-local is shared between threads by design); and which of them an
expression denotes from the current position of the walk."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netra_ws_lint.analysis.idioms import lazy_initialisation, self_param
from netra_ws_lint.analysis.scopes import FUNCTION_TYPES, dotted_name, iter_child_stmts_no_scopes

if TYPE_CHECKING:
    from netra_ws_lint.analysis.semantic import Context

# ``asgiref.local.Local`` and ``werkzeug.local.Local`` are context-aware: not these
THREAD_LOCAL_TYPES = frozenset({"threading.local", "_threading_local.local"})


@dataclass
class ThreadLocal:
    """A thread-local object the module holds."""

    label: str  # how the code names it: ``_local``, ``Holder.state``
    kind: str  # "instance", "subclass instance", "class attribute", "instance attribute"
    stmt: ast.stmt  # its binding
    name: str | None = None  # the module-level name (instances)
    type_name: str = "threading.local"


@dataclass
class ThreadLocalUse:
    """One use of a thread-local's attribute in a function (the first there), as
    NWS208's message names it."""

    line: int
    attr: str
    verb: str  # "read", "written"
    func: str  # ``async def handle``, ``dispatch``
    why: str  # why requests share it (or would, once served over ASGI)
    audit: bool


class ThreadLocals:
    """The thread-locals of one module, collected from its module-level bindings
    (built when the walk starts: names resolve at module level)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.by_name: dict[str, ThreadLocal] = {}  # module-level name -> object
        self.by_attr: dict[tuple[str, str], ThreadLocal] = {}  # (class, attribute)
        self.instances: dict[str, str] = {}  # module-level instance -> its class
        self._caches: dict[str, frozenset[str]] = {}
        self._collect()

    def __bool__(self) -> bool:
        return bool(self.by_name or self.by_attr)

    def _thread_local_type(
        self, call: ast.expr | None, seen: frozenset[str] = frozenset()
    ) -> str | None:
        """The thread-local type ``call`` builds (``threading.local``, a subclass of
        this module), or None."""
        # ``threading.local() if threaded else Dummy()``: either branch, in order (a
        # loop, not recursion: a chain of conditional expressions can be thousands deep)
        pending: list[ast.expr | None] = [call]
        while pending:
            expr = pending.pop()
            if isinstance(expr, ast.IfExp):
                pending += (expr.orelse, expr.body)
                continue
            if isinstance(expr, ast.Call):
                kind = self._local_type(self.ctx.resolve(expr.func), seen)
                if kind is not None:
                    return kind
        return None

    def _local_type(self, name: str | None, seen: frozenset[str]) -> str | None:
        """``name`` (resolved) is ``threading.local`` or a subclass of it in this
        module not in ``seen``: that type's name, else None."""
        if name in THREAD_LOCAL_TYPES:
            return name
        cls = self.ctx.module_classes.get(name or "")
        if cls is not None and cls.name not in seen and self._is_subclass(cls, seen | {cls.name}):
            return cls.name
        return None

    def _is_subclass(self, cls: ast.ClassDef, seen: frozenset[str]) -> bool:
        """``cls`` derives from ``threading.local`` (through classes of this module,
        32 deep at most)."""
        if len(seen) > 32:
            return False
        return any(self._local_type(self.ctx.resolve(base), seen) for base in cls.bases)

    def _collect(self) -> None:
        ctx = self.ctx
        for name, b in ctx.module_scope.bindings.items():
            if b.kind != "assign" or not isinstance(b.node, (ast.Assign, ast.AnnAssign)):
                continue
            value = b.value if isinstance(b.value, ast.expr) else None
            kind = self._thread_local_type(value)
            if kind is not None:
                subclass = kind not in THREAD_LOCAL_TYPES
                self.by_name[name] = ThreadLocal(
                    name, "subclass instance" if subclass else "instance", b.node, name, kind
                )
            elif isinstance(value, ast.Call):
                built = ctx.resolve(value.func)
                if built is not None and built in ctx.module_classes:
                    self.instances[name] = built
        for cls in ctx.module_classes.values():
            for stmt in cls.body:
                if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                    kind = self._thread_local_type(stmt.value)
                    for t in targets:
                        if kind is not None and isinstance(t, ast.Name):
                            self.by_attr[(cls.name, t.id)] = ThreadLocal(
                                f"{cls.name}.{t.id}", "class attribute", stmt, type_name=kind
                            )
            init = ctx.init_of(cls)
            me = self_param(init) if init is not None else None
            # a thread-local per instance: the instance is meant to be shared between
            # threads (or coroutines), whether or not this module builds it
            if init is None or me is None:
                continue
            for sub in ast.walk(init):
                if isinstance(sub, ast.Assign):
                    kind = self._thread_local_type(sub.value)
                    for t in sub.targets:
                        if (
                            kind is not None
                            and isinstance(t, ast.Attribute)
                            and isinstance(t.value, ast.Name)
                            and t.value.id == me
                        ):
                            self.by_attr.setdefault(
                                (cls.name, t.attr),
                                ThreadLocal(
                                    f"{cls.name}.{t.attr}",
                                    "instance attribute",
                                    sub,
                                    type_name=kind,
                                ),
                            )

    def object_of(self, expr: ast.expr) -> ThreadLocal | None:
        """The thread-local ``expr`` denotes here, or None."""
        ctx = self.ctx
        if isinstance(expr, ast.Name):
            found = self.by_name.get(expr.id)
            return found if found is not None and ctx.is_module_global(expr.id) else None
        if not isinstance(expr, ast.Attribute) or not self.by_attr:
            return None
        owner = expr.value
        if not isinstance(owner, ast.Name):
            return None
        cls_name: str | None = None
        if ctx.is_module_global(owner.id):
            known = owner.id in ctx.module_classes
            cls_name = owner.id if known else self.instances.get(owner.id)
        else:
            fns = ctx.enclosing_functions()
            cls = ctx.enclosing_class()
            if fns and cls is not None and self_param(fns[-1]) == owner.id:
                cls_name = cls.name
        return self.by_attr.get((cls_name, expr.attr)) if cls_name else None

    def per_thread_caches(self, local: ThreadLocal) -> frozenset[str]:
        """The attributes of a module-level thread-local that every write initialises
        lazily (``if not x.a: x.a = build()``, ``x.a = x.a or build()``): a per-thread
        cache of a resource, not request state."""
        name = local.name
        if name is None:
            return frozenset()
        found = self._caches.get(name)
        if found is not None:
            return found
        lazy: dict[str, bool] = {}
        for fn in ast.walk(self.ctx.tree):
            if not isinstance(fn, FUNCTION_TYPES):
                continue
            for node in iter_child_stmts_no_scopes(fn.body):
                if not isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
                    continue
                targets = (
                    node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
                )
                for t in targets:
                    if (
                        isinstance(t, ast.Attribute)
                        and isinstance(t.value, ast.Name)
                        and t.value.id == name
                    ):
                        ok = isinstance(node, ast.Assign) and lazy_initialisation(
                            fn, node, f"{name}.{t.attr}"
                        )
                        lazy[t.attr] = lazy.get(t.attr, True) and ok
            for node in ast.walk(fn):  # setattr(x, "a", v) is never lazy
                if (
                    isinstance(node, ast.Call)
                    and dotted_name(node.func) in ("setattr", "delattr")
                    and len(node.args) >= 2
                    and dotted_name(node.args[0]) == name
                    and isinstance(node.args[1], ast.Constant)
                ):
                    lazy[str(node.args[1].value)] = False
        found = self._caches[name] = frozenset(a for a, ok in lazy.items() if ok)
        return found
