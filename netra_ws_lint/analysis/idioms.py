"""Idioms the rules recognise: mutable containers and what mutates them, locks,
cache decorators, ``self``/``cls`` parameters, class attributes, singleton shapes,
lazy initialisation (``if _x is None: _x = build()``) and constant values.

One definition of each, used by every rule family (and by :class:`Context`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Callable, Optional

from netra_ws_lint.analysis.scopes import (
    FUNCTION_TYPES,
    FunctionNode,
    annotation_names,
    dotted_name,
    iter_child_stmts_no_scopes,
    node_memo,
    params_of,
    parent_map,
    scope_nodes,
    walk,
)

if TYPE_CHECKING:
    from netra_ws_lint.analysis.semantic import Context

MUTATING_METHODS = frozenset(
    {
        "append",
        "appendleft",
        "extend",
        "extendleft",
        "insert",
        "add",
        "update",
        "setdefault",
        "pop",
        "popleft",
        "popitem",
        "remove",
        "discard",
        "clear",
        "move_to_end",
        "sort",
        "reverse",
    }
)


# ``X.setdefault(k, [])`` / ``X.get(k)`` give what ``X`` holds: mutating the result
# mutates the container's contents (``X.setdefault(k, []).append(v)``).
HOLDER_METHODS = frozenset({"setdefault", "get"})


CONTAINER_CALLS: dict[str, str] = {
    "dict": "dict",
    "list": "list",
    "set": "set",
    "builtins.dict": "dict",
    "builtins.list": "list",
    "builtins.set": "set",
    "dict.fromkeys": "dict",
    "collections.deque": "deque",
    "collections.defaultdict": "defaultdict",
    "collections.OrderedDict": "OrderedDict",
    "collections.Counter": "Counter",
}


LOCK_KINDS = ("Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition", "Event")


LOCK_CALLS: dict[str, str] = {
    f"{module}.{kind}": f"{module.partition('.')[0]}.{kind}"
    for module in ("asyncio", "asyncio.locks", "threading")
    for kind in LOCK_KINDS
}


ACQUIRE_METHODS = frozenset({"acquire", "wait", "wait_for"})

Resolver = Callable[[ast.AST], Optional[str]]


CACHE_DECORATORS = frozenset(
    {
        "functools.lru_cache",
        "functools.cache",
        "cachetools.cached",
        "cachetools.func.lru_cache",
        "cachetools.func.ttl_cache",
        "cachetools.func.lfu_cache",
        "cachetools.func.fifo_cache",
        "cachetools.func.rr_cache",
        "cachetools.func.mru_cache",
        "async_lru.alru_cache",
        "aiocache.cached",
        "aiocache.decorators.cached",
        "aiocache.multi_cached",
        "aiocache.decorators.multi_cached",
        "streamlit.cache_resource",
        "streamlit.cache_data",
        "streamlit.cache",
        "streamlit.experimental_memo",
        "streamlit.experimental_singleton",
    }
)
# The last component of a cache decorator: what the decorator is called when the
# file does not say where it comes from (``@cache`` with no import, a star import).
CACHE_DECORATOR_NAMES = frozenset({"lru_cache", "cache", "cached", "alru_cache"})


def cache_decorator(ctx: Context, fn: ast.AST) -> tuple[ast.expr, str] | None:
    """The decorator of ``fn`` that caches its results, and its qualified name: one of
    :data:`CACHE_DECORATORS` however it is imported, or a name of
    :data:`CACHE_DECORATOR_NAMES` the file does not import; None when there is none
    or it caches nothing (``lru_cache(maxsize=0)``)."""
    return find_cache_decorator(fn, ctx.resolve, lambda name: ctx.lookup(name) is not None)


def find_cache_decorator(
    fn: ast.AST, resolve: Resolver, bound: Callable[[str], bool]
) -> tuple[ast.expr, str] | None:
    """:func:`cache_decorator` with the file's names resolved by ``resolve`` (a
    name or attribute chain -> its qualified name) and ``bound`` (a plain name is
    bound in the file): what the inferred vocabulary uses, from the tree alone."""
    for d in getattr(fn, "decorator_list", ()):
        target = d.func if isinstance(d, ast.Call) else d
        name = resolve(target)
        if name is None:
            continue
        if name not in CACHE_DECORATORS and not (
            "." not in name and name in CACHE_DECORATOR_NAMES and not bound(name)
        ):
            continue
        if isinstance(d, ast.Call):
            size = (
                d.args[0]
                if d.args
                else next((k.value for k in d.keywords if k.arg == "maxsize"), None)
            )
            if isinstance(size, ast.Constant) and size.value == 0:
                return None  # caches nothing
        return d, name
    return None


# Classes whose annotated fields are copied for every instance (not shared).
MODEL_BASES = frozenset({"BaseModel", "BaseSettings", "SQLModel", "RootModel", "GenericModel"})


ASSIGNMENTS = (ast.Assign, ast.AnnAssign)


def container_kind(value: ast.AST | None, resolve: Resolver) -> str | None:
    """The kind of mutable container ``value`` builds (a literal, a comprehension or a
    constructor call), or None."""
    if isinstance(value, (ast.Dict, ast.DictComp)):
        return "dict"
    if isinstance(value, (ast.List, ast.ListComp)):
        return "list"
    if isinstance(value, (ast.Set, ast.SetComp)):
        return "set"
    if isinstance(value, ast.Call):
        name = resolve(value.func)
        if name is not None:
            return CONTAINER_CALLS.get(name)
    return None


def module_qualname(ctx: Context, node: ast.AST) -> str | None:
    """Qualified name of a Name/Attribute chain as seen at module level (the scope a
    module-level binding's value is evaluated in), whatever the current scope is."""
    if isinstance(node, ast.Name):
        binding = ctx.module_scope.bindings.get(node.id)
        if binding is not None and binding.kind == "import":
            return binding.qualname
        return node.id
    if isinstance(node, ast.Attribute):
        base = module_qualname(ctx, node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def container_root(expr: ast.AST) -> ast.AST:
    """The container an item access reaches into: ``X[k][j]`` -> ``X``,
    ``X.setdefault(k, [])[j]`` -> ``X``, ``X.get(k)`` -> ``X``."""
    while True:  # each step goes down to a child: ends on any tree, however deep
        if isinstance(expr, ast.Subscript):
            expr = expr.value
        elif (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and expr.func.attr in HOLDER_METHODS
        ):
            expr = expr.func.value
        else:
            break
    return expr


def item_target_roots(target: ast.AST) -> Iterator[ast.AST]:
    """For each item-assignment target in ``target`` (``X[k]`` in ``X[k], y = ...``),
    the container it assigns into."""
    if isinstance(target, ast.Subscript):
        yield container_root(target.value)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from item_target_roots(elt)
    elif isinstance(target, ast.Starred):
        yield from item_target_roots(target.value)


def mutated_by_call(call: ast.Call) -> ast.AST | None:
    """The container a mutating method call mutates (``X.append(v)``, ``X[k].add(v)``,
    ``X.setdefault(k, []).append(v)`` -> ``X``), or None."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in MUTATING_METHODS:
        return container_root(func.value)
    return None


def mutation_keys(node: ast.AST, keyed_methods: frozenset[str] | None = None) -> list[ast.AST]:
    """The keys a mutation writes under: ``k`` and ``j`` in ``X[k][j] = v``, ``del X[k]``,
    ``X[k].append(v)``, ``X.setdefault(k, []).append(v)``. A call's first argument
    counts as a key when its method is in ``keyed_methods`` (None: any method)."""

    def keyed(call: ast.Call) -> bool:
        func = call.func
        return keyed_methods is None or (
            isinstance(func, ast.Attribute) and func.attr in keyed_methods
        )

    chains: list[ast.AST] = []
    keys: list[ast.AST] = []
    if isinstance(node, (ast.Assign, ast.Delete)):
        chains = list(node.targets)
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        chains = [node.target]
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        chains = [node.func.value]
        keys = list(node.args[:1]) if keyed(node) else []
    for chain in chains:  # ``X[k]``, ``X[k][j]``, ``X[k].append(v)``
        while isinstance(chain, (ast.Subscript, ast.Attribute, ast.Call)):
            if isinstance(chain, ast.Subscript):
                keys.append(chain.slice)
                chain = chain.value
            elif isinstance(chain, ast.Call):
                if keyed(chain):
                    keys += chain.args[:1]  # ``X.setdefault(k, [])``
                chain = chain.func
            else:
                chain = chain.value
    return keys


# the container methods that only take entries out
REMOVING_METHODS = frozenset({"pop", "popleft", "popitem", "remove", "discard", "clear"})


def pure_removal(node: ast.AST) -> bool:
    """``node`` (a mutating statement or call) only takes entries out of the container
    it names itself: ``del X[k]``, ``X.pop(k)``, ``X.discard(v)``, ``X.clear()``, or one
    entry rebound to a filtered copy of itself (``X[k] = [m for m in X[k] if m != v]``).
    Not a method called on what the container holds (``X[k].remove(v)``): the held
    object is not known to be a container, its method may do anything."""
    if isinstance(node, ast.Delete):
        return bool(node.targets) and all(
            isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) for t in node.targets
        )
    if isinstance(node, ast.Call):
        func = node.func
        return (
            isinstance(func, ast.Attribute)
            and func.attr in REMOVING_METHODS
            and isinstance(func.value, ast.Name)
        )
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and filtered_copy_of(node.value, target)
        )
    return False


def filtered_copy_of(value: ast.AST, entry: ast.expr) -> bool:
    """``value`` is a comprehension keeping some of the items of ``entry`` as they are
    (``[m for m in X[k] if m != v]``, ``{k: v for k, v in X[k].items() if ...}``)."""
    if not isinstance(value, (ast.ListComp, ast.SetComp, ast.DictComp)):
        return False
    if len(value.generators) != 1 or not value.generators[0].ifs:
        return False
    gen = value.generators[0]
    try:
        source = ast.unparse(entry)
    except (ValueError, RecursionError):  # pragma: no cover - a tree ast made
        return False
    if isinstance(value, ast.DictComp):
        it = gen.iter
        pair = gen.target
        return (
            isinstance(it, ast.Call)
            and not it.args
            and isinstance(it.func, ast.Attribute)
            and it.func.attr == "items"
            and ast.unparse(it.func.value) == source
            and isinstance(pair, ast.Tuple)
            and len(pair.elts) == 2
            and all(isinstance(e, ast.Name) for e in pair.elts)
            and isinstance(value.key, ast.Name)
            and isinstance(value.value, ast.Name)
            and [value.key.id, value.value.id]
            == [e.id for e in pair.elts if isinstance(e, ast.Name)]
        )
    return (
        isinstance(gen.target, ast.Name)
        and isinstance(value.elt, ast.Name)
        and value.elt.id == gen.target.id
        and ast.unparse(gen.iter) == source
    )


# what builds a weak reference: a store holding only these keeps nothing alive
WEAK_REFERENCE_CALLS = frozenset({"weakref.ref", "weakref.proxy", "weakref.WeakMethod"})
# adding methods and the index of the argument they store (None: every argument)
_ADDING_ARGUMENT: dict[str, int | None] = {
    "append": 0,
    "appendleft": 0,
    "add": 0,
    "insert": 1,
    "setdefault": 1,
    "extend": None,
    "extendleft": None,
    "update": None,
}


def weak_only_store(tree: ast.AST, name: str, resolve: Resolver) -> bool:
    """Every value the module stores in its container ``name`` is a weak reference
    (``X[k] = weakref.ref(obj)``, ``X.append(weakref.proxy(obj))``; ``resolve`` gives a
    callee's absolute name), and it stores at least one: the store keeps no object
    alive (who holds a weak reference reads ``None`` once the owner drops it)."""

    def weak(value: ast.AST | None) -> bool:
        return isinstance(value, ast.Call) and resolve(value.func) in WEAK_REFERENCE_CALLS

    def held(value: ast.AST | None) -> list[ast.AST | None]:
        """What a binding of ``name`` starts with, or [None] when not known."""
        if isinstance(value, ast.Dict):
            return list(value.values)
        if isinstance(value, (ast.List, ast.Set, ast.Tuple)):
            return list(value.elts)
        if isinstance(value, ast.Call) and not value.args and not value.keywords:
            return []
        return [None]

    found = False
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and t.id == name and node.value is not None:
                    if not all(weak(v) for v in held(node.value)):
                        return False
                    continue
                if (
                    isinstance(t, ast.Subscript)
                    and isinstance(container_root(t.value), ast.Name)
                    and getattr(container_root(t.value), "id", None) == name
                ):
                    if not isinstance(node, ast.Assign) or not weak(node.value):
                        return False
                    found = True
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _ADDING_ARGUMENT
        ):
            root = container_root(node.func.value)
            if not isinstance(root, ast.Name) or root.id != name:
                continue
            if root is not node.func.value:
                return False  # ``X[k].append(v)``: it holds containers
            index = _ADDING_ARGUMENT[node.func.attr]
            if index is None or node.keywords:
                return False
            if node.func.attr == "setdefault" and len(node.args) < 2:
                continue  # ``X.setdefault(k)`` stores None
            if len(node.args) <= index or not weak(node.args[index]):
                return False
            found = True
    return found


# the words of a function that checks the application rather than serving anyone: a
# health or readiness probe, a smoke or self test, a self-validation
PROBE_WORDS = frozenset(
    {"health", "healthcheck", "healthz", "liveness", "readiness", "probe", "selftest", "smoke"}
)
PROBE_PREFIXES = frozenset({"validate", "verify"})
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def name_words(name: str) -> list[str]:
    """The lower-case words of an identifier (``validate_factory_health`` ->
    ``validate factory health``, ``runSelfTest`` -> ``run self test``)."""
    return [w.lower() for w in _WORD.findall(name)]


def probe_function(name: str) -> bool:
    """``name`` says its function checks the application (a health or readiness probe,
    a self test, a self-validation: ``validate_factory_health``, ``readiness``,
    ``run_self_test``, ``validate_components``), not that it serves a user."""
    words = name_words(name)
    if not words:
        return False
    pairs = {a + b for a, b in zip(words, words[1:])}
    return bool(PROBE_WORDS & (set(words) | pairs)) or words[0] in PROBE_PREFIXES


def _absent(test: ast.expr, name: str) -> bool:
    """``test`` true means ``name`` is missing: ``not name``, ``name is None``,
    ``name == None``, or an ``and`` holding one of these."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return isinstance(test.operand, ast.Name) and test.operand.id == name
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_absent(v, name) for v in test.values)
    return _compared_to_none(test, name, (ast.Is, ast.Eq))


def _present(test: ast.expr, name: str) -> bool:
    """``test`` false means ``name`` is missing: ``name``, ``name is not None``, or an
    ``or`` holding one of these."""
    if isinstance(test, ast.Name):
        return test.id == name
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        return any(_present(v, name) for v in test.values)
    return _compared_to_none(test, name, (ast.IsNot, ast.NotEq))


def _compared_to_none(test: ast.expr, name: str, ops: tuple[type, ...]) -> bool:
    return (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ops)
        and isinstance(test.left, ast.Name)
        and test.left.id == name
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    )


def fallback_for_missing(fn: FunctionNode, node: ast.AST, name: str) -> bool:
    """``node`` (in ``fn``) runs only when ``fn``'s parameter ``name`` is missing: in
    the branch of an ``if`` (or ``x if c else y``) taken without it (``if not name:``,
    ``if name is None:``, the ``else`` of ``if name:``), or after it in an ``or``
    (``name or Default()``)."""
    parent_of = parent_map(scope_nodes(fn))
    chain = [node]  # node and its ancestors, outermost first
    while id(chain[-1]) in parent_of:
        chain.append(parent_of[id(chain[-1])])
    chain.reverse()
    for up, below in zip(chain, chain[1:]):
        if isinstance(up, (ast.If, ast.IfExp)):
            body = up.body if isinstance(up.body, list) else [up.body]
            orelse = up.orelse if isinstance(up.orelse, list) else [up.orelse]
            if (below in body and _absent(up.test, name)) or (
                below in orelse and _present(up.test, name)
            ):
                return True
        elif isinstance(up, ast.BoolOp) and isinstance(up.op, ast.Or):
            earlier = up.values[: up.values.index(below)] if below in up.values else []
            if any(_present(v, name) for v in earlier):
                return True
    return False


def kept_in_function(fn: FunctionNode, value: ast.expr) -> bool:
    """``value`` (a call in ``fn``) never leaves ``fn``: it is an argument of a call, or
    bound to a local name that is neither returned nor yielded nor stored anywhere
    but in other locals' calls (``ctx = Ctx(...)``; ``probe(ctx)``)."""
    parent_of = parent_map(scope_nodes(fn))
    parent = parent_of.get(id(value))
    if isinstance(parent, (ast.Call, ast.keyword)):
        # an argument: kept unless the statement it is in hands a result out
        up: ast.AST | None = parent
        while up is not None and not isinstance(up, ast.stmt):
            if isinstance(up, (ast.Yield, ast.YieldFrom)):
                return False
            up = parent_of.get(id(up))
        return not isinstance(up, ast.Return)
    if not (
        isinstance(parent, ast.Assign)
        and len(parent.targets) == 1
        and isinstance(parent.targets[0], ast.Name)
    ):
        return False
    name = parent.targets[0].id
    for node in scope_nodes(fn):
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return False
        if (
            isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom))
            and node.value is not None
            and any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node.value))
        ):
            return False
        if (
            isinstance(node, (ast.Assign, ast.AnnAssign))
            and isinstance(node.value, ast.Name)
            and node.value.id == name
        ):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(not isinstance(t, ast.Name) for t in targets):
                return False  # ``self.context = ctx``: kept beyond the call
    return True


def context_guarded(fn: FunctionNode, name: str) -> bool:
    """``fn`` reads its parameter ``name`` only under a test that mentions it (in the
    test, or in the branch taken when the test holds: ``if user_context and
    user_context.run_id: ...``), and reads it at least once: it has a way through
    without it."""
    guarded: set[int] = set()
    loads: list[ast.Name] = []
    for node in scope_nodes(fn):
        if isinstance(node, (ast.If, ast.IfExp, ast.While)) and any(
            isinstance(n, ast.Name) and n.id == name for n in ast.walk(node.test)
        ):
            body = node.body if isinstance(node.body, list) else [node.body]
            for part in (node.test, *body):
                guarded.update(id(n) for n in ast.walk(part))
        elif isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
            loads.append(node)
    return bool(loads) and all(id(n) in guarded for n in loads)


def handed_on(fn: FunctionNode, call: ast.Call) -> str | None:
    """Where the object ``call`` builds goes when ``fn`` does not keep it to itself:
    returned or yielded (also inside what is returned: ``return Client(manager)``,
    ``return {"svc": Service()}``), or stored on an object (``self._helper = ...``,
    ``app.state.svc = ...``), directly or through locals, or kept in a module global
    (``global _x; _x = X()``: "global", shared by everyone); None when it is only used
    in ``fn`` (``svc = Service(); await svc.run()``: calling its methods does not hand
    it on)."""
    globals_: set[str] = set()
    for node in scope_nodes(fn):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            globals_.update(node.names)
    names: set[str] = set()

    def carries(expr: ast.AST | None) -> bool:
        if expr is None:
            return False
        if expr is call:
            return True
        if isinstance(expr, ast.Name):
            return expr.id in names
        if isinstance(expr, ast.Call):
            return any(carries(a) for a in expr.args) or any(
                carries(k.value) for k in expr.keywords
            )
        if isinstance(expr, (ast.Await, ast.Starred, ast.NamedExpr)):
            return carries(expr.value)
        if isinstance(expr, ast.Dict):
            return any(carries(v) for v in expr.values)
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            return any(carries(e) for e in expr.elts)
        if isinstance(expr, ast.IfExp):
            return carries(expr.body) or carries(expr.orelse)
        if isinstance(expr, ast.BoolOp):
            return any(carries(v) for v in expr.values)
        return False

    for _ in range(4):  # locals assigned from locals, to a small fixed point
        before = len(names)
        for node in scope_nodes(fn):
            if isinstance(node, ast.Return) and carries(node.value):
                return "returned"
            if isinstance(node, (ast.Yield, ast.YieldFrom)) and carries(node.value):
                return "yielded"
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and carries(node.value):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    if isinstance(t, ast.Attribute):
                        return f"stored on `{dotted_name(t) or t.attr}`"
                    if isinstance(t, ast.Name):
                        if t.id in globals_:
                            return "global"  # a module global: shared by every user
                        names.add(t.id)
        if len(names) == before:
            break
    return None


def function_label(node: ast.AST) -> str:
    return getattr(node, "name", None) or "<lambda>"


def runtime_function(ctx: Context) -> ast.AST | None:
    """The innermost function (def or lambda) the current node runs in, or None at
    import time (module level, a module-level class body or comprehension)."""
    for scope in reversed(ctx.scopes):
        if scope.kind in ("function", "lambda"):
            return scope.node
    return None


def in_async_code(ctx: Context) -> bool:
    """Inside an ``async def`` (or a function nested in one)."""
    return any(isinstance(scope.node, ast.AsyncFunctionDef) for scope in ctx.scopes)


def _decorated_with(fn: ast.AST, name: str) -> bool:
    """A decorator of ``fn`` is ``name`` or ``<anything>.name``."""
    return any(
        (dotted_name(d) or "").rpartition(".")[2] == name for d in getattr(fn, "decorator_list", ())
    )


def is_staticmethod(fn: ast.AST) -> bool:
    return isinstance(fn, FUNCTION_TYPES) and _decorated_with(fn, "staticmethod")


def self_param(fn: ast.AST) -> str | None:
    """Name of the first parameter of a method (``self`` / ``cls``), None for a
    staticmethod or a function without positional parameters. The one check of
    ``self``/``cls`` every rule uses."""
    if not isinstance(fn, FUNCTION_TYPES) or is_staticmethod(fn):
        return None
    params = params_of(fn)
    if not params or params[0].kind not in ("pos", "posonly"):
        return None
    return params[0].name


IMPLICIT_CLASSMETHODS = frozenset({"__new__", "__init_subclass__", "__class_getitem__"})


def is_classmethod(fn: ast.AST) -> bool:
    """A method whose first parameter is the class (``@classmethod``, ``__new__``...)."""
    if not isinstance(fn, FUNCTION_TYPES):
        return False
    return fn.name in IMPLICIT_CLASSMETHODS or _decorated_with(fn, "classmethod")


def is_classvar(annotation: ast.AST | None) -> bool:
    return any(n.rpartition(".")[2] == "ClassVar" for n in annotation_names(annotation))


def class_name(name: str) -> bool:
    """``CapWords``, as PEP 8 names classes (not an ``UPPER_CASE`` constant)."""
    return name[:1].isupper() and not name.isupper()


def is_constant(value: ast.AST | None) -> bool:
    """A literal (``None``, ``0``, ``"x"``, ``-1``, a tuple of literals) or the name of
    a constant (``MAX_SIZE``, ``Mode.FAST``): a reset or a fixed mode, not a request's
    value."""
    if isinstance(value, ast.Constant):
        return True
    if isinstance(value, ast.UnaryOp):
        return is_constant(value.operand)
    if isinstance(value, ast.Tuple):
        return all(is_constant(e) for e in value.elts)
    if isinstance(value, ast.Name):
        return value.id.isupper()
    if isinstance(value, ast.Attribute):
        return value.attr.isupper()
    return False


def _slot(node: ast.AST) -> str | None:
    """The dotted name ``node`` reads: ``x.a``, also as ``getattr(x, "a", ...)`` or
    ``hasattr(x, "a")``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("getattr", "hasattr")
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    ):
        base = dotted_name(node.args[0])
        return f"{base}.{node.args[1].value}" if base else None
    return dotted_name(node)


def _polarity(test: ast.expr, names: set[str]) -> set[bool]:
    """What ``test`` says about one of ``names`` (dotted) when it holds: ``True`` for
    "still unset" (``x is None``, ``x == None``, ``not x``, ``not hasattr(o, "a")``),
    ``False`` for "set" (``x is not None``, ``x != None``, ``x``, ``hasattr(o, "a")``,
    ``getattr(o, "a", None)``); both or neither for the operands of ``and``/``or``."""
    if isinstance(test, ast.BoolOp):
        return set().union(*(_polarity(v, names) for v in test.values))
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return {not p for p in _polarity(test.operand, names)}
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        sides = [test.left, test.comparators[0]]
        if any(_slot(x) in names for x in sides) and any(
            isinstance(x, ast.Constant) and x.value is None for x in sides
        ):
            if isinstance(test.ops[0], (ast.Is, ast.Eq)):
                return {True}
            if isinstance(test.ops[0], (ast.IsNot, ast.NotEq)):
                return {False}
        return set()
    return {False} if _slot(test) in names else set()


def _only_when_unset(test: ast.expr, names: set[str]) -> bool:
    """The branch of ``test`` is taken only while one of ``names`` is unset: not
    ``if not x or changed(y):`` (taken again when ``x`` is set: a rebinding)."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        return all(_only_when_unset(v, names) for v in test.values)
    if isinstance(test, ast.BoolOp):
        return any(_only_when_unset(v, names) for v in test.values)
    return True in _polarity(test, names)


def _ends_block(body: list[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], (ast.Return, ast.Raise))


def _guards(fn: FunctionNode, target: ast.stmt) -> Iterator[tuple[ast.If, str]]:
    """The ``if`` statements of ``fn`` around ``target`` with the branch holding it
    (``"body"``, ``"orelse"``), then those before it in the same function
    (``"before"``). One walk of ``fn`` answers for all its statements (memoised)."""
    found, ifs = node_memo(fn, "_nws_guards", None, lambda: _guard_map(fn))
    hit = found.get(id(target))
    if hit is None:
        return
    around, seen = hit
    yield from around
    for guard in ifs[:seen]:
        yield guard, "before"


_Around = tuple[tuple[ast.If, str], ...]


def _guard_map(fn: FunctionNode) -> tuple[dict[int, tuple[_Around, int]], list[ast.If]]:
    """Every statement of ``fn``'s own scope, by ``id``: the ``if`` statements around
    it with their branches, and how many ``if`` statements the walk met before it;
    and those ``if`` statements in the order met (depth first, in source order)."""
    stack: list[tuple[ast.stmt, _Around]] = [(s, ()) for s in reversed(fn.body)]
    ifs: list[ast.If] = []
    found: dict[int, tuple[_Around, int]] = {}
    while stack:
        stmt, around = stack.pop()
        found.setdefault(id(stmt), (around, len(ifs)))
        if isinstance(stmt, (*FUNCTION_TYPES, ast.ClassDef)):
            continue
        if isinstance(stmt, ast.If):
            ifs.append(stmt)
            stack.extend((c, (*around, (stmt, "orelse"))) for c in reversed(stmt.orelse))
            stack.extend((c, (*around, (stmt, "body"))) for c in reversed(stmt.body))
            continue
        children: list[ast.stmt] = []
        for name in ("body", "orelse", "finalbody"):
            children += getattr(stmt, name, None) or []
        for handler in getattr(stmt, "handlers", ()):
            children += handler.body
        for case in getattr(stmt, "cases", ()):
            children += case.body
        stack.extend((c, around) for c in reversed(children))
    return found, ifs


def _local_aliases(fn: FunctionNode) -> dict[str, list[str]]:
    """The names bound in ``fn`` (at any depth) by ``name = dotted.value``, by the
    dotted name they are given (``inst = _instance``); one walk per function,
    memoised on it (a function's statements each ask)."""

    def compute() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for node in walk(fn):
            if (
                node.__class__ is ast.Assign
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
            ):
                value = dotted_name(node.value)
                if value is not None:
                    found.setdefault(value, []).append(node.targets[0].id)
        return found

    return node_memo(fn, "_nws_local_aliases", None, compute)


def lazy_initialisation(fn: FunctionNode, stmt: ast.stmt, target: str) -> bool:
    """``stmt`` binds ``target`` (a dotted name) only while it is unset: in the branch
    of an ``if`` taken when it is unset (``if target is None:``, ``if not target:``,
    the ``else`` of ``if target is not None:``; also through a local holding it),
    after an early ``if target is not None: return target``, or as ``target = target
    or build()`` (the lazy singleton shape, NWS104's; a per-thread cache for NWS208).
    Not after ``if target is None: raise ...``: there it is set, and rebound."""
    value = getattr(stmt, "value", None)
    if (
        isinstance(value, ast.BoolOp)
        and isinstance(value.op, ast.Or)
        and dotted_name(value.values[0]) == target
    ):
        return True
    names = {target, *_local_aliases(fn).get(target, ())}
    for guard, branch in _guards(fn, stmt):
        says = _polarity(guard.test, names)
        if branch == "body" and True in says and _only_when_unset(guard.test, names):
            return True
        if branch == "orelse" and False in says:
            return True
        if branch == "before" and False in says and _ends_block(guard.body):
            return True
    return False


def returns_name(fn: FunctionNode, name: str) -> bool:
    """``fn`` returns the variable ``name`` (also as ``typing.cast(T, name)``), in its
    own scope."""
    for node in iter_child_stmts_no_scopes(fn.body):
        if isinstance(node, ast.Return) and node.value is not None:
            value = node.value
            if (
                isinstance(value, ast.Call)
                and dotted_name(value.func) in ("cast", "typing.cast")
                and len(value.args) == 2
            ):
                value = value.args[1]
            if isinstance(value, ast.Name) and value.id == name:
                return True
    return False


# calls that compute plain values (immutable, or containers: NWS2 rules cover those),
# not objects worth listing as singletons (NWS104 and the inferred singleton getters)
VALUE_CALLS = frozenset(
    {
        "bool",
        "int",
        "float",
        "complex",
        "str",
        "bytes",
        "tuple",
        "frozenset",
        "len",
        "repr",
        "list",
        "dict",
        "set",
        "sorted",
        "re.compile",
        "re.escape",
    }
)


VALUE_METHODS = frozenset(
    {
        "join",
        "format",
        "strip",
        "lstrip",
        "rstrip",
        "split",
        "rsplit",
        "splitlines",
        "lower",
        "upper",
        "casefold",
        "replace",
        "encode",
        "decode",
        "partition",
        "rpartition",
    }
)


def global_stores(fn: FunctionNode, names: set[str]) -> Iterator[tuple[ast.stmt, str, ast.expr]]:
    """``(statement, name, value)`` for each ``name = value`` binding one of the
    ``global`` ``names`` in ``fn``'s own scope (a walrus: its statement)."""
    if not names:
        return
    stack: list[tuple[ast.AST, ast.stmt | None]] = [(s, None) for s in reversed(fn.body)]
    while stack:
        node, stmt = stack.pop()
        if isinstance(node, ast.stmt):
            stmt = node
        if isinstance(node, (*FUNCTION_TYPES, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name) and t.id in names:
                    yield node, t.id, node.value
        elif (
            isinstance(node, (ast.AnnAssign, ast.NamedExpr))
            and stmt is not None
            and node.value is not None
            and isinstance(node.target, ast.Name)
            and node.target.id in names
        ):
            yield stmt, node.target.id, node.value
        stack.extend((c, stmt) for c in reversed(list(ast.iter_child_nodes(node))))


def lazy_singleton_store(fn: FunctionNode, stmt: ast.stmt, var: str) -> bool:
    """``stmt``, binding the module global ``var`` in ``fn`` (``global var``), makes
    ``fn`` a singleton getter: ``fn`` returns ``var``, or ``stmt`` runs only while
    ``var`` is unset (:func:`lazy_initialisation`). Not a startup hook storing what it
    opened (``lifespan``: ``_pool = await create_pool()``), a setup function, a
    function keeping a process it started: they neither hand the object out nor
    build it once."""
    if lazy_initialisation(fn, stmt, var):
        return True
    return returns_name(fn, var) and not rebuilt_from_arguments(fn, getattr(stmt, "value", None))


def rebuilt_from_arguments(fn: FunctionNode, value: ast.AST | None) -> bool:
    """``value``, stored in a module global on every call of ``fn`` (not only while it
    is unset), is built from ``fn``'s parameters (``_logger = Logger(run_id)``, also
    through a local): a setter of the current object, rebuilt per call (a rebinding for
    NWS207 when its arguments come from a request), not a singleton."""
    if value is None:
        return False
    params = {
        a.arg
        for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)
        if a.arg not in ("self", "cls")
    }
    if fn.args.vararg is not None:
        params.add(fn.args.vararg.arg)
    if fn.args.kwarg is not None:
        params.add(fn.args.kwarg.arg)
    if not params:
        return False
    todo: list[ast.AST] = [value]
    seen: set[str] = set()
    while todo:
        node = todo.pop()
        for sub in ast.walk(node):
            if not isinstance(sub, ast.Name):
                continue
            if sub.id in params:
                return True
            if sub.id in seen:
                continue
            seen.add(sub.id)
            for stmt in iter_child_stmts_no_scopes(fn.body):
                if isinstance(stmt, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == sub.id for t in stmt.targets
                ):
                    todo.append(stmt.value)
    return False


class _ClassInfo:
    """What NWS204 needs to know about one class, computed once."""

    def __init__(
        self,
        node: ast.ClassDef,
        containers: dict[str, tuple[ast.AST, bool, bool]],
        init_rebinds: set[str],
        bases: list[ast.ClassDef],
        is_model: bool,
    ) -> None:
        self.node = node
        # attr -> (binding statement, annotated with ClassVar, annotated at all)
        self.containers = containers
        self.init_rebinds = init_rebinds
        self.bases = bases  # same-module base classes
        self.is_model = is_model
