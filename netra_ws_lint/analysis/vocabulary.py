"""The vocabulary a project teaches by itself: which of its classes are user-scoped,
which are multi-tenant registries, which of its functions are context factories,
which are singleton getters.

One module at a time (:func:`infer_module`), from its syntax tree alone, into plain
data with the reason for each entry::

    {"types":      {"ReportSession": "`__init__` keeps the user identity `user_id`
                                      on `self.user_id`"},
     "registries": {"ReportService": "keys `self._per_user[user_id]` by a user identity"},
     "factories":  {"create_report_client": "takes `user_context` and returns
                                              `ReportClient(...)` built from it"},
     "getters":    {"get_report_service": {"reason": "lazy `global _service` getter",
                                           "builds": "pkg.reports.ReportService"}}}

A type is user-scoped by *ownership*: its instances belong to one user, because its
``__init__`` takes a user context, or takes a user identity and keeps it on ``self``
(or it derives from such a type, or every construction of it in the project passes a
user context, or it is configured). A class that keys its containers by identities
(``self._per_user[user_id] = ...``) holds many users' entries: a multi-tenant registry
(a connection pool, a routing table, a session store, a per-user metric collector),
process-wide by design, so *not* user-scoped; a class that only sends to a user given
by argument (``send_to_user(user_id, ...)``) serves any user, and a factory whose
methods build a new object per call owns none of them: neither is user-scoped. Name
patterns (``*WebSocketManager``) only decide names that resolve to no project class.

A getter's ``builds`` is the absolute name of what it keeps (through the module's
imports), so the project model can tell, across modules, whether a getter keeps a
user-scoped object (:mod:`.project` joins them). Test code (test files, ``Test*``
classes) teaches nothing.

The words come from the settings: identity names, context names and types, send
methods. Configuration adds to what is inferred (``user-scoped-types``,
``context-factories``) or removes from it (``allowed-singletons``).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from typing import Any

from netra_ws_lint.analysis.idioms import (
    MUTATING_METHODS,
    REMOVING_METHODS,
    VALUE_CALLS,
    VALUE_METHODS,
    container_kind,
    find_cache_decorator,
    global_stores,
    lazy_singleton_store,
)
from netra_ws_lint.analysis.scopes import (
    functions_in,
    nested_scopes,
    node_memo,
    parent_map,
    scope_nodes,
    walk,
)
from netra_ws_lint.config import WORD_LISTS, Settings, Words, matches_any

FUNCTION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
DEFAULT_USER_SCOPED = frozenset(WORD_LISTS["user-scoped-types"])


def _last(name: str) -> str:
    return name.rpartition(".")[2]


def dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _annotation_names(node: ast.AST | None) -> Iterator[str]:
    if node is None:
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except (SyntaxError, ValueError, RecursionError):
            return
    for sub in walk(node):
        name = dotted(sub)
        if name is not None and isinstance(sub, (ast.Name, ast.Attribute)):
            yield name


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg]:
    a = fn.args
    return [*a.posonlyargs, *a.args, *a.kwonlyargs]


def context_param_name(fn: ast.FunctionDef | ast.AsyncFunctionDef, words: Words) -> str | None:
    """The parameter that is a user context (a context type annotation, or a context
    name), as :meth:`Context.is_context_param` decides it, from the tree alone."""
    for p in _params(fn):
        names = set(_annotation_names(p.annotation))
        if any(matches_any(n, words.context_types) for n in names):
            return p.arg
        if p.arg in words.context_names and not names - _VAGUE:
            return p.arg
    return None


_VAGUE = frozenset({"Any", "typing.Any", "object", "Optional", "typing.Optional", "None"})


def is_identity_value(node: ast.AST, words: Words, extra: frozenset[str] = frozenset()) -> bool:
    """An expression that names one user: an identity or context name, an attribute
    that is one (``msg.user_id``), anything read through a context
    (``context.session.id``), or ``str()`` of one of these."""
    if isinstance(node, ast.Call) and dotted(node.func) == "str" and len(node.args) == 1:
        return is_identity_value(node.args[0], words, extra)
    if isinstance(node, ast.Name):
        return node.id in words.identity_names or node.id in words.context_names or node.id in extra
    if isinstance(node, ast.Attribute):
        if node.attr in words.identity_names:
            return True
        root: ast.AST = node
        while isinstance(root, ast.Attribute):
            root = root.value
        return isinstance(root, ast.Name) and root.id in words.context_names
    return False


def _self_name(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    if any(dotted(d) in ("staticmethod", "classmethod") for d in fn.decorator_list):
        return None
    params = [*fn.args.posonlyargs, *fn.args.args]
    return params[0].arg if params else None


def _is_self_attr(node: ast.AST, self_name: str) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == self_name
    )


def user_state_reason(cls: ast.ClassDef, words: Words) -> str | None:
    """Why instances of ``cls`` belong to one user (ownership), or None: its
    ``__init__`` takes a user context, or takes a user identity and keeps it on
    ``self``. Keys and send methods are no evidence (see :func:`registry_reason`)."""
    return node_memo(cls, "_nws_user_state", words, lambda: _user_state_reason(cls, words))


def registry_reason(cls: ast.ClassDef, words: Words) -> str | None:
    """Why ``cls`` is a multi-tenant registry (it keys a container of ``self`` by user
    identities: ``self._x[user_id] = ...``, ``self._x.setdefault(session_id, ...)``),
    or None. One instance serves many users by design: not a user-scoped type."""
    return node_memo(cls, "_nws_registry", words, lambda: _registry_reason(cls, words))


_SELF_STATE_NODES = (ast.Assign, ast.AnnAssign, ast.Call)
_INIT_NAMES = ("__init__", "__post_init__")


def _inits(cls: ast.ClassDef) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [s for s in cls.body if isinstance(s, FUNCTION_TYPES) and s.name in _INIT_NAMES]


def _user_state_reason(cls: ast.ClassDef, words: Words) -> str | None:
    for init in _inits(cls):
        if init.name == "__init__":
            cp = context_param_name(init, words)
            if cp is not None:
                return f"`__init__` takes the user context `{cp}`"
    for init in _inits(cls):
        kept = _kept_identity(init, words)
        if kept is not None:
            param, attr = kept
            return f"`{init.name}` keeps the user identity `{param}` on `self.{attr}`"
    return None


def keeps_context_as_label(cls: ast.ClassDef, words: Words, shared: frozenset[str]) -> bool:
    """``cls`` (a user-scoped type whose ``__init__`` takes a user context) keeps that
    context only as a label of its own state: wherever its methods read the context
    (``self._<attr>``, a private attribute where ``__init__`` stores it, or the
    parameter in ``__init__``), it is formatted into a string (``f"{self._ctx.user_id}:
    {key}"``, a log line) or tested (``if self._ctx:``), some method does so, and no
    method touches process-wide state (a ``global``, a module-level container, lazy
    slot or instance: ``shared``). Built without the context, an instance then only
    lacks the label: it falls back to nothing shared."""
    inits = [s for s in cls.body if isinstance(s, FUNCTION_TYPES) and s.name == "__init__"]
    param = context_param_name(inits[0], words) if inits else None
    if param is None:
        return False
    init = inits[0]
    attrs: set[str] = set()
    for node in scope_nodes(init):
        value = node.value if isinstance(node, ast.Assign) else None
        if isinstance(node, ast.Assign) and isinstance(value, ast.Name) and value.id == param:
            attrs.update(getattr(t, "attr", "") for t in node.targets if _is_self_attr(t, "self"))
    if not attrs or not all(a.startswith("_") for a in attrs):
        return False  # a public attribute: other code may read the context from it
    labelled = False
    for method in cls.body:
        if not isinstance(method, FUNCTION_TYPES):
            continue
        me = _self_name(method)
        nodes = walk(method)
        parents = parent_map(nodes)
        for node in nodes:
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                return False
            if isinstance(node, ast.Name) and node.id in shared:
                return False
            context = (method is init and isinstance(node, ast.Name) and node.id == param) or (
                isinstance(node, ast.Attribute)
                and node.attr in attrs
                and isinstance(node.value, ast.Name)
                and node.value.id == me
                and isinstance(node.ctx, ast.Load)
            )
            if context:
                if not _as_label(node, parents, attrs):
                    return False
                labelled = labelled or method is not init
    return labelled


def _as_label(node: ast.AST, parents: dict[int, ast.AST], attrs: set[str]) -> bool:
    """The context read at ``node`` is formatted into a string (inside an f-string,
    through attribute reads, slices and conditional expressions), tested, or stored on
    ``self`` by ``__init__`` (``self._ctx = ctx``): a label, not a use."""
    up = parents.get(id(node))
    while isinstance(up, (ast.Attribute, ast.Subscript, ast.Slice, ast.BoolOp)):
        node, up = up, parents.get(id(up))  # (``a or b`` may be the context itself)
    if isinstance(up, (ast.If, ast.IfExp, ast.While, ast.Assert)) and node is up.test:
        return True
    if isinstance(up, ast.Compare) or (isinstance(up, ast.UnaryOp) and isinstance(up.op, ast.Not)):
        return True  # a boolean, not the context
    if isinstance(up, ast.Assign) and all(
        _is_self_attr(t, "self") and getattr(t, "attr", None) in attrs for t in up.targets
    ):
        return True
    while isinstance(up, (ast.Attribute, ast.Subscript, ast.Slice, ast.IfExp, ast.BoolOp)):
        up = parents.get(id(up))
    return isinstance(up, (ast.FormattedValue, ast.JoinedStr))


# module-level calls that build no shared state (type variables, constants, patterns)
_PLAIN_BUILDS = frozenset(
    {"TypeVar", "NewType", "ParamSpec", "TypeVarTuple", "namedtuple", "compile", "frozenset",
     "tuple", "object", "field", "Field"}
)  # fmt: skip


def _shared_names(tree: ast.Module, none_slots: set[str]) -> frozenset[str]:
    """Module-level names a method may share state through: mutable containers,
    ``None`` slots (lazy globals, ``none_slots``) and what calls build at import time
    (not loggers)."""
    out = set(none_slots)
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            value = stmt.value
            callee = (dotted(value.func) or "") if isinstance(value, ast.Call) else ""
            built = bool(callee) and "log" not in callee.lower()
            built = built and callee.rpartition(".")[2] not in _PLAIN_BUILDS
            if built or container_kind(value, dotted) is not None:
                out.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(out)


def factory_candidate(cls: ast.ClassDef, words: Words) -> dict[str, Any] | None:
    """What may make ``cls`` a shared factory, or None: its ``__init__`` needs no
    user of its own (a user context or kept identity, if any, has a default) and some
    of its methods take a user context or identity and return a new object they build
    (``create_user_emitter(ctx)`` returning ``Emitter(...)``). ``{"builds": [[method,
    given parameter, callee as written], ...]}``: the project model decides (the callee
    must build a per-user object: a user-scoped type or a context factory)."""
    return node_memo(cls, "_nws_factory", words, lambda: _factory_candidate(cls, words))


def _factory_candidate(cls: ast.ClassDef, words: Words) -> dict[str, Any] | None:
    for init in _inits(cls):
        cp = context_param_name(init, words) if init.name == "__init__" else None
        if cp is not None and not _has_default(init, cp):
            return None  # built for one user: it owns that user
        kept = _kept_identity(init, words)
        if kept is not None and not _has_default(init, kept[0]):
            return None
    builds = [
        found
        for stmt in cls.body
        if isinstance(stmt, FUNCTION_TYPES) and stmt.name not in _INIT_NAMES
        for found in _built_per_call(stmt, words)
    ]
    return {"builds": builds} if builds else None


def _has_default(fn: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    a = fn.args
    positional = [*a.posonlyargs, *a.args]
    with_defaults = positional[len(positional) - len(a.defaults) :] if a.defaults else []
    if any(p.arg == name for p in with_defaults):
        return True
    return any(p.arg == name and d is not None for p, d in zip(a.kwonlyargs, a.kw_defaults))


def _built_per_call(fn: ast.FunctionDef | ast.AsyncFunctionDef, words: Words) -> list[list[str]]:
    """``[fn's name, the user parameter, callee]`` for each object ``fn`` builds and
    returns (a call, directly or through a local), when it takes a user context or
    identity; when ``fn`` is annotated to return a type (``-> "Emitter"``), that type
    too, as what the call builds (a helper's or another factory's result)."""
    given = context_param_name(fn, words)
    if given is None:
        given = next((p.arg for p in _params(fn) if p.arg in words.identity_names), None)
    if given is None:
        return []
    local = _local_values(fn)
    # (an instance method's annotation only: a classmethod returning ``cls(...)`` is
    # an alternative constructor of the class itself, not a factory of others)
    me = _self_name(fn)  # (None for a classmethod or staticmethod)
    returns = (
        [n for n in _annotation_names(fn.returns) if n not in _VAGUE]
        if me is not None and not _stores_on(fn, me)
        else []
    )
    out: list[list[str]] = []
    for value in _returned(fn):
        call = _built_call(value, local)
        name = dotted(call.func) if call is not None else None
        if name is not None and not name.startswith(("self.", "cls.")):
            out.append([fn.name, given, name])
            if name not in ("cls", "self", "type"):
                out.extend([fn.name, given, r] for r in returns if r != name)
    return out


def _stores_on(fn: ast.FunctionDef | ast.AsyncFunctionDef, me: str) -> bool:
    """``fn`` keeps something in its object's state (``self.x = ...``,
    ``self._cache[k] = ...``): what it returns may be a kept one, not a new one."""
    for node in scope_nodes(fn):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        for t in targets:
            while isinstance(t, ast.Subscript):
                t = t.value
            if _is_self_attr(t, me):
                return True
    return False


def _kept_identity(
    fn: ast.FunctionDef | ast.AsyncFunctionDef, words: Words
) -> tuple[str, str] | None:
    """``(parameter, attribute)`` when ``fn`` stores one of its identity parameters
    on ``self`` (``self.user_id = user_id``, ``self._owner = str(user_id)``). An
    identity the object mints itself when none is given (``self.run_id = run_id`` in
    one branch, ``self.run_id = new_id()`` in the other; ``run_id or new_id()``) is
    its own, not a caller's user's."""
    self_name = _self_name(fn)
    if self_name is None:
        return None
    others = _other_typed_context_names(fn, words)
    identity = {
        p.arg
        for p in _params(fn)
        if p.arg != self_name
        and p.arg not in others
        and (p.arg in words.identity_names or p.arg in words.context_names)
    }
    if not identity:
        return None
    kept: list[tuple[str, str]] = []
    minted: set[str] = set()  # attributes also given a value of the object's own
    for node in scope_nodes(fn):
        if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        attrs = [t.attr for t in targets if _is_self_attr(t, self_name)]  # type: ignore[attr-defined]
        if not attrs:
            continue
        value = node.value
        if isinstance(value, ast.Call) and dotted(value.func) == "str" and len(value.args) == 1:
            value = value.args[0]
        if isinstance(value, ast.Name) and value.id in identity:
            kept.extend((value.id, attr) for attr in attrs)
        elif not (
            (isinstance(value, ast.Constant) and value.value is None)
            or is_identity_value(value, words)
        ):
            minted.update(attrs)
    return next(((p, a) for p, a in kept if a not in minted), None)


NEVER_REMOVED = "; its entries are added and never removed"


def _registry_reason(cls: ast.ClassDef, words: Words) -> str | None:
    for stmt in cls.body:
        if not isinstance(stmt, FUNCTION_TYPES):
            continue
        self_name = _self_name(stmt)
        if self_name is None:
            continue
        others = _other_typed_context_names(stmt, words)
        for scope in nested_scopes(stmt):
            for node in scope_nodes(scope):
                if isinstance(node, _SELF_STATE_NODES):
                    reason = _keyed_state(node, self_name, words, others)
                    if reason is not None:
                        attr = reason.split("`")[1].partition("[")[0].partition(".")[2]
                        return reason + ("" if _removes_from(cls, attr) else NEVER_REMOVED)
    return None


def _removes_from(cls: ast.ClassDef, attr: str) -> bool:
    """A method of ``cls`` removes entries of ``self.<attr>`` (``pop``, ``discard``,
    ``remove``, ``clear``, ``del self.attr[k]``) or rebinds it outside ``__init__``."""
    for stmt in cls.body:
        if not isinstance(stmt, FUNCTION_TYPES):
            continue
        self_name = _self_name(stmt)
        if self_name is None:
            continue
        for node in walk(stmt):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in REMOVING_METHODS
                and _is_self_attr(node.func.value, self_name)
                and node.func.value.attr == attr  # type: ignore[attr-defined]
            ):
                return True
            if isinstance(node, ast.Delete) and any(
                isinstance(t, ast.Subscript)
                and _is_self_attr(t.value, self_name)
                and t.value.attr == attr  # type: ignore[attr-defined]
                for t in node.targets
            ):
                return True
            if (
                stmt.name not in _INIT_NAMES
                and isinstance(node, ast.Assign)
                and any(
                    _is_self_attr(t, self_name) and t.attr == attr  # type: ignore[attr-defined]
                    for t in node.targets
                )
            ):
                return True
    return False


def _other_typed_context_names(
    fn: ast.FunctionDef | ast.AsyncFunctionDef, words: Words
) -> frozenset[str]:
    """Parameters named like a context but annotated with another type
    (``ctx: ssl.SSLContext``): not user contexts (as :func:`context_param_name`)."""
    out = set()
    for p in _params(fn):
        names = set(_annotation_names(p.annotation))
        if (
            p.arg in words.context_names
            and names - _VAGUE
            and not any(matches_any(n, words.context_types) for n in names)
        ):
            out.add(p.arg)
    return frozenset(out)


def _keyed_state(
    node: ast.AST, self_name: str, words: Words, others: frozenset[str] = frozenset()
) -> str | None:
    """``keys `self.x[k]` by a user identity`` when ``node`` stores into a container of
    ``self`` under an identity key, else None."""
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:
            if (
                isinstance(t, ast.Subscript)
                and _is_self_attr(t.value, self_name)
                and is_identity_value(t.slice, words)
                and not _rooted_in(t.slice, others)
            ):
                assert isinstance(t.value, ast.Attribute)
                key = ast.unparse(t.slice)
                return f"keys `{self_name}.{t.value.attr}[{key}]` by a user identity"
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "setdefault"
        and _is_self_attr(node.func.value, self_name)
        and node.args
        and is_identity_value(node.args[0], words)
        and not _rooted_in(node.args[0], others)
    ):
        container = node.func.value
        assert isinstance(container, ast.Attribute)
        key = ast.unparse(node.args[0])
        return f"keys `{self_name}.{container.attr}[{key}]` by a user identity"
    return None


def _rooted_in(node: ast.AST, names: frozenset[str]) -> bool:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return isinstance(node, ast.Name) and node.id in names


def _returned(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.expr]:
    for node in scope_nodes(fn):
        if isinstance(node, ast.Return) and node.value is not None:
            yield node.value


def _local_values(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, list[ast.expr]]:
    out: dict[str, list[ast.expr]] = {}
    for node in scope_nodes(fn):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    out.setdefault(t.id, []).append(node.value)
        elif (
            isinstance(node, (ast.AnnAssign, ast.NamedExpr))
            and node.value is not None
            and isinstance(node.target, ast.Name)
        ):
            out.setdefault(node.target.id, []).append(node.value)
    return out


def _unwrap(value: ast.expr) -> ast.expr:
    while isinstance(value, ast.Await):
        value = value.value
    return value


def factory_reason(fn: ast.FunctionDef | ast.AsyncFunctionDef, words: Words) -> str | None:
    """Why ``fn`` is a context factory (it takes a user context and returns a call
    built from it, directly or through a local), or None."""
    cp = context_param_name(fn, words)
    if cp is None:
        return None
    local = _local_values(fn)
    for value in _returned(fn):
        value = _unwrap(value)
        candidates = [value]
        if isinstance(value, ast.Name):
            candidates = [_unwrap(v) for v in local.get(value.id, [])]
        for c in candidates:
            if isinstance(c, ast.Call) and _builds(c, cp, words):
                label = dotted(c.func) or "..."
                return f"takes `{cp}` and returns `{label}(...)` built from it"
    return None


_BUILDER_PREFIXES = ("create_", "build_", "make_", "new_", "get_or_create_")


def _builds(call: ast.Call, param: str, words: Words) -> bool:
    """``call`` builds an object from the context: it is given the context itself
    and calls a class (a capitalised name) or a builder (``create_*``, ``build_*``,
    ``make_*``, ``new_*``, a configured context factory)."""
    given = any(
        isinstance(a, ast.Name) and a.id == param
        for a in [*call.args, *(k.value for k in call.keywords)]
    )
    name = dotted(call.func)
    if not given or name is None:
        return False
    last = _last(name)
    return (
        last[:1].isupper()
        or last.startswith(_BUILDER_PREFIXES)
        or matches_any(name, words.context_factories)
    )


def _module_none_slots(tree: ast.Module) -> set[str]:
    out: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant):
            if stmt.value.value is None:
                out.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
        elif (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and (
                stmt.value is None
                or (isinstance(stmt.value, ast.Constant) and stmt.value.value is None)
            )
        ):
            out.add(stmt.target.id)
    return out


def _module_instances(tree: ast.Module) -> dict[str, ast.Call]:
    out: dict[str, ast.Call] = {}
    for stmt in tree.body:
        targets: list[ast.expr]
        value: ast.expr | None
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            targets, value = [stmt.target], stmt.value
        else:
            continue
        built = _built_call(value, {}) if isinstance(value, ast.Call) else None
        if built is not None:
            for t in targets:
                if isinstance(t, ast.Name):
                    out[t.id] = built
    return out


def _built_call(value: ast.expr, local: dict[str, list[ast.expr]]) -> ast.Call | None:
    """The call building the object ``value`` evaluates to, through ``await``, a
    walrus, ``a if c else b``, ``a or b``, ``typing.cast(T, x)`` and the values of a
    local (``local``); calls computing plain values (``VALUE_CALLS``, ``"".join()``...)
    build nothing (as for NWS104)."""
    todo: list[ast.expr] = [value]
    seen = 0
    while todo and seen < 64:
        seen += 1
        v = todo.pop(0)
        if isinstance(v, (ast.Await, ast.NamedExpr)):
            todo.append(v.value)
        elif isinstance(v, ast.IfExp):
            todo += (v.body, v.orelse)
        elif isinstance(v, ast.BoolOp):
            todo += v.values
        elif isinstance(v, ast.Name):
            todo += local.get(v.id, [])
            local = {}  # a local's own locals are not followed
        elif isinstance(v, ast.Call):
            name = dotted(v.func)
            if name in ("cast", "typing.cast") and len(v.args) == 2:
                todo.append(v.args[1])
            elif (
                name is not None
                and name not in VALUE_CALLS
                and not (isinstance(v.func, ast.Attribute) and v.func.attr in VALUE_METHODS)
            ):
                return v
    return None


def getter_facts(
    fn: ast.FunctionDef | ast.AsyncFunctionDef,
    none_slots: set[str],
    instances: dict[str, ast.Call],
    qualify: Callable[[str], str] = lambda name: name,
    bound: Callable[[str], bool] = lambda name: False,
) -> tuple[str, ast.Call, str | None] | None:
    """``(how, call, global)`` when ``fn`` is a singleton getter, in the shapes NWS104
    knows: lazy (``global _x`` bound to what it builds, also through a local variable
    first, under a lock or not, where ``fn`` returns ``_x`` or binds it only while it
    is unset: :func:`lazy_singleton_store`), a zero-argument cached factory (any cache
    decorator NWS104 knows; ``qualify`` gives a name's absolute name through the
    module's imports, ``bound`` whether the module binds it), or eager (every
    ``return`` returns the same module-level instance)."""
    globals_: set[str] = set()
    for node in scope_nodes(fn):
        if isinstance(node, ast.Global):
            globals_.update(node.names)
    local = {k: v for k, v in _local_values(fn).items() if k not in globals_}
    for stmt, var, value in global_stores(fn, globals_ & none_slots):
        if not lazy_singleton_store(fn, stmt, var):
            continue  # a startup hook or setup function storing what it opened
        call = _built_call(value, local)
        if call is not None:
            return f"lazy `global {var}` getter", call, var
    if _params(fn) or fn.args.vararg or fn.args.kwarg:
        return None
    returned = list(_returned(fn))

    def resolve(node: ast.AST) -> str | None:
        name = dotted(node)
        return qualify(name) if name is not None else None

    if find_cache_decorator(fn, resolve, bound) is not None:
        for r in returned:
            call = _built_call(r, local)
            if call is not None:
                return "zero-argument cached factory", call, None
    names = {r.id for r in returned if isinstance(r, ast.Name)}
    if returned and len(names) == 1 and all(isinstance(r, ast.Name) for r in returned):
        name = names.pop()
        if name in instances and name not in local:
            return f"returns the module-level instance `{name}`", instances[name], name
    return None


def is_test_class(cls: ast.ClassDef) -> bool:
    return cls.name.startswith("Test")


def infer_module(
    tree: ast.Module, settings: Settings, imports: dict[str, str] | None = None
) -> dict[str, Any]:
    """The vocabulary one module defines (see the module docstring). ``imports``
    maps the module's top-level names to absolute names, to qualify what getters
    build (without it, names stay as written)."""
    words = settings.words
    types: dict[str, str] = {}
    registries: dict[str, str] = {}
    factory_classes: dict[str, dict[str, list[list[str]]]] = {}
    factories: dict[str, str] = {}
    getters: dict[str, dict[str, str]] = {}
    none_slots = _module_none_slots(tree)
    instances = _module_instances(tree)
    imports = imports or {}
    labels: list[str] = []  # user-scoped types keeping their context only as a label
    shared: frozenset[str] | None = None

    def qualify(name: str) -> str:
        head, _, rest = name.partition(".")
        base = imports.get(head)
        if base is None:
            return name
        return f"{base}.{rest}" if rest else base

    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef) and not is_test_class(stmt):
            candidate = factory_candidate(stmt, words)
            if candidate is not None:
                factory_classes[stmt.name] = {
                    "builds": [[m, g, qualify(c)] for m, g, c in candidate["builds"]]
                }
            reason = user_state_reason(stmt, words)
            if reason is not None:
                types[stmt.name] = reason
                if shared is None:
                    shared = _shared_names(tree, none_slots)
                if keeps_context_as_label(stmt, words, shared):
                    labels.append(stmt.name)
                continue
            reason = registry_reason(stmt, words)
            if reason is not None:
                registries[stmt.name] = reason
        elif isinstance(stmt, FUNCTION_TYPES) and not stmt.name.startswith("test_"):
            reason = factory_reason(stmt, words)
            if reason is not None:
                factories[stmt.name] = reason
            found = getter_facts(stmt, none_slots, instances, qualify, imports.__contains__)
            if found is None:
                continue
            how, call, var = found
            built = dotted(call.func) or ""
            allowed = [stmt.name, var, built, _last(built), qualify(built)]
            if not any(n and matches_any(n, words.allowed_singletons) for n in allowed):
                getters[stmt.name] = {
                    "reason": f"{how} building `{built}()`",
                    "builds": qualify(built),
                }
    classes = {
        stmt.name: [qualify(b) for b in map(dotted, stmt.bases) if b]
        for stmt in tree.body
        if isinstance(stmt, ast.ClassDef)
    }
    return {
        "types": types,
        "registries": registries,
        "factory_classes": factory_classes,
        "factories": factories,
        "getters": getters,
        "classes": classes,
        "labels": labels,
    }


def absolute_import(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute module of ``from <level dots><target> import ...`` in ``module``."""
    if not level:
        return target or ""
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    if target:
        parts.append(target)
    return ".".join(parts)


def module_facts(
    tree: ast.Module,
    settings: Settings,
    module: str,
    is_package: bool,
    source: str | None = None,
) -> dict[str, Any]:
    """What the project model keeps of one module for the vocabulary: its absolute
    top-level imports, the names of its top-level functions, and :func:`infer_module`
    (getters' ``builds`` qualified through those imports; a name defined in the module
    is qualified with the module). ``source``: the tree's text, when at hand (a module
    whose text has no ``initializer`` hands none to a worker pool: not walked for it)."""
    imports: dict[str, str] = {}
    defined: dict[str, str] = {}
    functions: list[str] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    imports[alias.asname] = alias.name
                else:
                    top = alias.name.partition(".")[0]
                    imports.setdefault(top, top)
        elif isinstance(stmt, ast.ImportFrom):
            base = absolute_import(module, is_package, stmt.level or 0, stmt.module)
            for alias in stmt.names:
                if alias.name != "*":
                    qual = f"{base}.{alias.name}" if base else alias.name
                    imports[alias.asname or alias.name] = qual
        elif isinstance(stmt, (*FUNCTION_TYPES, ast.ClassDef)):
            defined[stmt.name] = f"{module}.{stmt.name}" if module else stmt.name
            if not isinstance(stmt, ast.ClassDef):
                functions.append(stmt.name)
    names = {**imports, **defined}
    vocabulary = infer_module(tree, settings, names)

    def qualify(name: str) -> str:
        head, _, rest = name.partition(".")
        base = names.get(head, head)
        return f"{base}.{rest}" if rest else base

    vocabulary["fanout"] = identity_loop_calls(tree, settings.words, qualify)
    # (a non-ASCII text may spell it with characters NFKC folds into it)
    initializers = (
        worker_initializers(tree)
        if source is None or "initializer" in source or not source.isascii()
        else set()
    )
    vocabulary["initializers"] = {qualify(n): True for n in sorted(initializers)}
    vocabulary["evicts"] = {
        imports.get(n, f"{module}.{n}" if module else n): sorted(fns)
        for n, fns in evicted_containers(tree).items()
    }
    uses: dict[str, str | None] = {}
    for stmt in tree.body:
        if not isinstance(stmt, (*FUNCTION_TYPES, ast.ClassDef)):
            continue
        fn = stmt if isinstance(stmt, FUNCTION_TYPES) else None
        if isinstance(stmt, ast.ClassDef):
            fn = next(
                (s for s in stmt.body if isinstance(s, FUNCTION_TYPES) and s.name == "__init__"),
                None,
            )
        if fn is None:
            continue
        cp = context_param_name(fn, settings.words)
        if cp is not None:
            uses[stmt.name] = context_use(fn, cp, settings.words)
    vocabulary["context_uses"] = uses
    return {"imports": imports, "functions": functions, "vocabulary": vocabulary}


def worker_initializers(tree: ast.Module) -> set[str]:
    """Names (as written) of the callables the module hands to a worker pool as its
    ``initializer=`` (``multiprocessing.Pool``, ``concurrent.futures``'
    ``ProcessPoolExecutor``/``ThreadPoolExecutor``): each runs once per worker process
    or thread, for no user, and what it builds is that worker's own."""
    return node_memo(tree, "_nws_initializers", None, lambda: _worker_initializers(tree))


def _worker_initializers(tree: ast.Module) -> set[str]:
    out: set[str] = set()
    for node in walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                name = dotted(kw.value) if kw.arg == "initializer" else None
                if name is not None and not name.startswith(("self.", "cls.")):
                    out.add(name)
    return out


_EVICTING = frozenset({"pop", "discard", "remove"})


def evicted_containers(tree: ast.Module) -> dict[str, set[str]]:
    """Module-level or imported names whose entries some function of the module
    removes by a computed key (``STORE.pop(session.id)``, ``del STORE[sid]``,
    ``LIVE.discard(sid)``; not ``RECENT.pop(0)``) in a cleanup function (one that
    does not also add to it): stores with a lifecycle. Each name -> the names of
    those functions."""
    return node_memo(tree, "_nws_evicted", None, lambda: _evicted_containers(tree))


def _evicted_containers(tree: ast.Module) -> dict[str, set[str]]:
    top: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            top.update((a.asname or a.name).partition(".")[0] for a in stmt.names)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            top.update(t.id for t in targets if isinstance(t, ast.Name))
    out: dict[str, set[str]] = {}
    if not top:
        return out
    removals = (ast.Call, ast.Delete)
    for fn in functions_in(tree):
        nodes = scope_nodes(fn)
        removed = {
            name for node in nodes if isinstance(node, removals) for name in keyed_removals(node)
        } & top
        if not removed:
            continue
        added = {name for node in nodes for name in _additions(node)}
        for container in removed - added:
            out.setdefault(container, set()).add(fn.name)
    return out


def _additions(node: ast.AST) -> Iterator[str]:
    """Names ``node`` stores into (``X[k] = v``, ``X[k] += 1``, ``X.append(v)``,
    ``X.setdefault(k, [])``...), other than by removing."""
    targets: list[ast.AST] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        targets = [node.target]
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in MUTATING_METHODS - _EVICTING
    ):
        targets = [node.func]
    for t in targets:
        while isinstance(t, (ast.Subscript, ast.Attribute)):
            t = t.value
            if isinstance(t, ast.Name):
                yield t.id


def keyed_removals(node: ast.AST) -> list[str]:
    """The names whose entries ``node`` removes by a computed key
    (``X.pop(k)``, ``X.discard(k)``, ``X.remove(k)``, ``del X[k]``)."""
    pairs: list[tuple[ast.AST, ast.AST]] = []
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _EVICTING
        and node.args
    ):
        pairs.append((node.func.value, node.args[0]))
    elif isinstance(node, ast.Delete):
        pairs += [(t.value, t.slice) for t in node.targets if isinstance(t, ast.Subscript)]
    return [
        c.id for c, key in pairs if isinstance(c, ast.Name) and not isinstance(key, ast.Constant)
    ]


class ProjectVocabulary:
    """The vocabulary of every module, joined: user-scoped types through their bases
    and across modules, and which singleton getters keep a user-scoped object.

    ``modules``: module name -> :func:`module_facts` (``""`` for a file checked on its
    own); a module known by several names (an alias from its ``__init__.py`` chain) is
    in it under each. ``own`` maps each of those names to the module's own name (default:
    itself): every definition is recorded once, under its module's own name, and
    :meth:`resolve` leads a name through an alias to it. Names are absolute
    (``pkg.mod.Name``)."""

    def __init__(
        self,
        modules: dict[str, dict[str, Any]],
        settings: Settings,
        own: dict[str, str] | None = None,
    ) -> None:
        self.modules = modules
        self.own = own or {}
        self.words = settings.words
        self.types: dict[str, str] = {}
        self.registries: dict[str, str] = {}  # multi-tenant: not user-scoped
        self.factory_classes: dict[str, str] = {}  # shared factories: not user-scoped
        self.factories: dict[str, str] = {}
        self.getters: dict[str, dict[str, str | None]] = {}
        self.classes: dict[str, list[str]] = {}
        # user-scoped types keeping their context only as a label of their own state
        self.labels: set[str] = set()
        candidates: dict[str, list[list[str]]] = {}  # classes that may be factories
        # each module once, under its own name (not once per alias)
        distinct = {m: f for m, f in modules.items() if self.own.get(m, m) == m}
        for module, facts in distinct.items():
            vocab = facts["vocabulary"]
            for name, bases in vocab.get("classes", {}).items():
                self.classes[self._qual(module, name)] = bases
            self.labels.update(self._qual(module, name) for name in vocab.get("labels", ()))
            for name, reason in vocab.get("types", {}).items():
                self.types[self._qual(module, name)] = reason
            for name, reason in vocab.get("registries", {}).items():
                self.registries[self._qual(module, name)] = reason
            for name, candidate in vocab.get("factory_classes", {}).items():
                candidates[self._qual(module, name)] = candidate["builds"]
            for name, reason in vocab.get("factories", {}).items():
                self.factories[self._qual(module, name)] = reason
        self._factories_of(candidates)
        self._inherit()
        self.fanout: dict[str, bool] = {}  # callee -> all its calls are fan-out calls
        self.initializers: set[str] = set()  # worker pools' `initializer=` callables
        self.evicted: dict[str, set[str]] = {}
        for facts in distinct.values():
            for container, fns in facts["vocabulary"].get("evicts", {}).items():
                self.evicted.setdefault(container, set()).update(fns)
        self.context_uses: dict[str, str | None] = {}
        for module, facts in distinct.items():
            for callee, fanout in facts["vocabulary"].get("fanout", {}).items():
                self.fanout[callee] = self.fanout.get(callee, True) and fanout
            self.initializers.update(facts["vocabulary"].get("initializers", {}))
            for name, use in facts["vocabulary"].get("context_uses", {}).items():
                self.context_uses[self._qual(module, name)] = use
        for module, facts in distinct.items():
            for name, g in facts["vocabulary"].get("getters", {}).items():
                builds = g["builds"]
                self.getters[self._qual(module, name)] = {
                    "reason": g["reason"],
                    "builds": builds,
                    "user": self._user_reason(builds),
                }

    @staticmethod
    def _qual(module: str, name: str) -> str:
        return f"{module}.{name}" if module else name

    def resolve(self, qualname: str) -> str | None:
        """The absolute name of the project definition ``qualname`` leads to, through
        imports, re-exports and module aliases (named by its module's own name), or None
        (not defined in the project)."""
        seen: set[str] = set()
        while qualname not in seen and len(seen) < 32:
            seen.add(qualname)
            if qualname in self.classes:
                return qualname
            module, _, attr = qualname.rpartition(".")
            facts = self.modules.get(module)
            if facts is None:
                return None
            home = self._qual(self.own.get(module, module), attr)
            if home in self.classes or attr in facts["functions"]:
                return home
            nxt = facts["imports"].get(attr)
            if nxt is None:
                return None
            qualname = nxt
        return None

    def _factories_of(self, candidates: dict[str, list[list[str]]]) -> None:
        """A candidate class (see :func:`factory_candidate`) one of whose methods builds
        a per-user object (a user-scoped type, or what a context factory returns) is a
        shared factory: not user-scoped, whatever its optional context."""
        for cls, builds in sorted(candidates.items()):
            for method, given, callee in builds:
                target = self.resolve(callee) or callee
                built = target in self.types or (
                    target not in self.classes
                    and (
                        target in self.factories
                        or matches_any(callee, self.words.context_factories)
                        or matches_any(callee, self.words.user_scoped_types)
                    )
                )
                if built:
                    self.factory_classes[cls] = (
                        f"`{method}({given})` builds a new `{_last(callee)}` on each call"
                    )
                    self.types.pop(cls, None)
                    self.registries.pop(cls, None)
                    break

    def _inherit(self) -> None:
        """Subclasses of user-scoped types are user-scoped (of an unresolved base
        matching a ``user-scoped-types`` pattern too, unless the class keys its own
        containers by identities); subclasses of registries are registries."""
        changed = True
        while changed:
            changed = False
            for cls, bases in self.classes.items():
                if cls in self.types or cls in self.factory_classes:
                    continue
                for base in bases:
                    target = self.resolve(base)
                    if target is not None and target in self.types:
                        self.types[cls] = f"subclass of `{_last(target)}`"
                        self.registries.pop(cls, None)
                    elif (
                        target is None
                        and cls not in self.registries
                        and matches_any(base, self.words.user_scoped_types)
                    ):
                        self.types[cls] = f"subclass of `{_last(base)}` (a user-scoped name)"
                    elif target is not None and target in self.registries:
                        if cls in self.registries:
                            continue
                        self.registries[cls] = f"subclass of `{_last(target)}`"
                    else:
                        continue
                    changed = True
                    break

    def type_reason(self, name: str) -> str | None:
        """Why ``name`` (absolute) is a user-scoped type, or None. A name that resolves
        to a project class is decided by what the class does (and by exact names in
        ``user-scoped-types``); a glob pattern only decides names that do not resolve."""
        target = self.resolve(name)
        if target is not None:
            if target in self.types:
                return self.types[target]
            # the configuration adds: exact names, and patterns beyond the defaults
            added = [
                p
                for p in self.words.user_scoped_types
                if not any(c in p for c in "*?[") or p not in DEFAULT_USER_SCOPED
            ]
            return "listed in `user-scoped-types`" if matches_any(target, added) else None
        return (
            "matches `user-scoped-types`"
            if matches_any(name, self.words.user_scoped_types)
            else None
        )

    def leaking_registry(self, name: str) -> str | None:
        """Why ``name`` (absolute) is a multi-tenant registry whose entries are added and
        never removed (what is really wrong with a registry: an audit finding), or None."""
        target = self.resolve(name)
        reason = self.registries.get(target) if target is not None else None
        return reason if reason is not None and reason.endswith(NEVER_REMOVED) else None

    def is_factory_class(self, name: str) -> bool:
        """``name`` (absolute) resolves to a shared factory class of the project (see
        :func:`factory_class_reason`): built without a user context on purpose."""
        target = self.resolve(name)
        return target is not None and target in self.factory_classes

    def keeps_context_as_label(self, name: str) -> bool:
        """``name`` (absolute) resolves to a user-scoped type of the project that keeps
        its context only as a label of its own state (see :func:`keeps_context_as_label`)."""
        target = self.resolve(name)
        return target is not None and target in self.labels

    def is_project_class(self, name: str) -> bool:
        target = self.resolve(name)
        return target is not None and target in self.classes

    def _user_reason(self, builds: str | None) -> str | None:
        if not builds:
            return None
        reason = self.type_reason(builds)
        if reason is not None:
            return f"keeps `{_last(builds)}`, a user-scoped type ({reason})"
        target = self.resolve(builds) or builds
        if target in self.factories or matches_any(builds, self.words.context_factories):
            return f"keeps what the context factory `{_last(builds)}` builds"
        if matches_any(builds, self.words.deprecated_accessors):
            return f"keeps what the deprecated accessor `{_last(builds)}` returns"
        return None

    def is_evicted(self, name: str) -> bool:
        """A cleanup function of the project removes entries of the module-level
        container ``name`` (absolute) by a computed key (see :func:`evicted_containers`)."""
        return name in self.evicted

    def is_worker_initializer(self, name: str) -> bool:
        """``name`` (absolute) is handed to a worker pool as its ``initializer=``
        somewhere in the project (see :func:`worker_initializers`)."""
        return name in self.initializers

    def is_fanout_helper(self, name: str) -> bool:
        """Every call of ``name`` in the project is a fan-out call (in a loop over
        identities, in a function serving no single user); there is at least one."""
        return self.fanout.get(name, False)

    def context_use(self, name: str) -> tuple[bool, str | None]:
        """``(known, how)``: whether ``name`` resolves to a project callable taking a
        user context, and how it uses it (None: only to decorate output, or not)."""
        target = self.resolve(name)
        if target is None or target not in self.context_uses:
            return False, None
        return True, self.context_uses[target]

    def getter(self, name: str) -> dict[str, str | None] | None:
        target = self.resolve(name)
        return self.getters.get(target) if target is not None else None

    def names(self) -> set[str]:
        """The last components of every inferred type, factory, user-scoped getter and
        container cleaned up by key (words the prefilter must look for)."""
        found = [*self.types, *self.factories, *self.evicted]
        found += [k for k, v in self.getters.items() if v["user"] is not None]
        return {_last(n) for n in found}

    def as_dict(self) -> dict[str, Any]:
        """Everything inferred, with reasons (what ``show-vocabulary`` prints)."""
        return {
            "user-scoped-types": dict(sorted(self.types.items())),
            "multi-tenant-registries": dict(sorted(self.registries.items())),
            "shared-factories": dict(sorted(self.factory_classes.items())),
            "context-labels": {
                name: "keeps its context only as a label of its own state (its own keys, logs)"
                for name in sorted(self.labels)
            },
            "context-factories": dict(sorted(self.factories.items())),
            "singleton-getters": {
                k: v for k, v in sorted(self.getters.items()) if v["user"] is not None
            },
            "other-singleton-getters": {
                k: v for k, v in sorted(self.getters.items()) if v["user"] is None
            },
        }


# --------------------------------------------------------------------------- call facts
def is_context_expr(node: ast.AST, words: Words) -> bool:
    """A context-named variable or attribute (``ctx``, ``self.user_context``,
    ``request.context``)."""
    if isinstance(node, ast.Name):
        return node.id in words.context_names
    return isinstance(node, ast.Attribute) and node.attr in words.context_names


def passes_identity_fields(call: ast.Call, words: Words) -> bool:
    """The call passes a user context's identity fields one by one, by keyword
    (``Engine(user_id=ctx.user_id, thread_id=ctx.thread_id)``): that is passing it."""
    return any(
        k.arg in words.identity_names
        and isinstance(k.value, ast.Attribute)
        and k.value.attr in words.identity_names
        and is_context_expr(k.value.value, words)
        for k in call.keywords
    )


_FORMATTING = frozenset(
    {"str", "repr", "format", "print", "len", "bool", "isinstance", "getattr", "hasattr"}
)
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical"})


def context_use(fn: ast.FunctionDef | ast.AsyncFunctionDef, param: str, words: Words) -> str | None:
    """How ``fn`` uses its user-context parameter ``param`` for identity or routing,
    or None when it only decorates output with it (or ignores it): reads one of its
    identity fields, passes it (or a field of it) to a call that is not formatting or
    logging, keeps it (assigns or returns it), or falls back to shared state without
    it (``if ctx is None: return get_manager()``)."""
    for node in walk(fn):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == param
            and node.attr in words.identity_names
            and isinstance(node.ctx, ast.Load)
        ):
            return f"reads `{param}.{node.attr}`"
        if isinstance(node, ast.Call):
            callee = dotted(node.func) or ""
            if callee in _FORMATTING or _last(callee) in _LOG_METHODS:
                continue
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                root: ast.AST = arg
                while isinstance(root, ast.Attribute):
                    root = root.value
                if isinstance(root, ast.Name) and root.id == param:
                    return f"passes `{ast.unparse(arg)}` to `{callee or '...'}()`"
        if (
            isinstance(node, (ast.Assign, ast.AnnAssign, ast.Return))
            and isinstance(node.value, ast.Name)
            and node.value.id == param
        ):
            return f"keeps `{param}`"
        if (
            isinstance(node, ast.If)
            and _tests_none(node.test, param)
            and any(isinstance(n, (ast.Call, ast.Subscript)) for b in node.body for n in walk(b))
        ):
            return f"falls back to other state when `{param}` is None"
    return None


def _tests_none(test: ast.AST, param: str) -> bool:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return isinstance(test.operand, ast.Name) and test.operand.id == param
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == param
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Is)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    )


def own_id_key(key: ast.AST | None, self_name: str | None, params: set[str]) -> bool:
    """``key`` is the instance's own id: ``self.id``, ``id(self)``, or a parameter
    the method also stores on ``self`` (checked by the caller through ``params``)."""
    if key is None or self_name is None:
        return False
    if _is_self_attr(key, self_name):
        return True
    if (
        isinstance(key, ast.Call)
        and dotted(key.func) == "id"
        and len(key.args) == 1
        and isinstance(key.args[0], ast.Name)
        and key.args[0].id == self_name
    ):
        return True
    return isinstance(key, ast.Name) and key.id in params


def is_own_id_tracking(node: ast.AST, fn: ast.AST) -> bool:
    """A mutation that adds or removes the instance itself under its own id
    (``registry[self.id] = self``, ``live.add(id(self))``, ``live.discard(self.id)``,
    ``registry.pop(self.id, None)``): instance tracking, not per-user state."""
    if not isinstance(fn, FUNCTION_TYPES):
        return False
    self_name = _self_name(fn)
    if self_name is None:
        return False
    stored = {
        n.value.id
        for n in walk(fn)
        if isinstance(n, ast.Assign)
        and isinstance(n.value, ast.Name)
        and any(_is_self_attr(t, self_name) for t in n.targets)
    }
    if isinstance(node, ast.Assign):
        return (
            isinstance(node.value, ast.Name)
            and node.value.id == self_name
            and all(isinstance(t, ast.Subscript) for t in node.targets)
        )
    if isinstance(node, ast.Delete):
        return all(
            isinstance(t, ast.Subscript) and own_id_key(t.slice, self_name, stored)
            for t in node.targets
        )
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        method = node.func.attr
        if method in ("add", "discard", "remove", "append", "pop") and node.args:
            first = node.args[0]
            if isinstance(first, ast.Name) and first.id == self_name:
                return True
            return own_id_key(first, self_name, stored)
    return False


def identity_loop_calls(tree: ast.Module, words: Words, qualify: Any) -> dict[str, bool]:
    """Every callee (a plain or dotted name, made absolute by ``qualify``) of the
    module's functions -> whether all its calls here are fan-out calls (inside ``for
    <identity> in ...`` in a function that serves no single user: no identity or
    context parameter)."""
    out: dict[str, bool] = {}
    for name, fanout in node_memo(tree, "_nws_loop_calls", words, lambda: _loop_calls(tree, words)):
        callee = qualify(name)
        out[callee] = out.get(callee, True) and fanout
    methods = node_memo(tree, "_nws_method_loops", words, lambda: _method_loop_calls(tree, words))
    for name, fanout in methods:
        callee = qualify(name)
        out[callee] = out.get(callee, True) and fanout
    return out


def _loop_calls(tree: ast.Module, words: Words) -> list[tuple[str, bool]]:
    """Each call of the module's functions by a plain or dotted name (not through
    ``self``/``cls``), as written, and whether it is a fan-out call."""
    out: list[tuple[str, bool]] = []
    for fn in functions_in(tree):
        serves_one = any(
            p.arg in words.identity_names or p.arg in words.context_names for p in _params(fn)
        )
        loop_calls: set[int] = set()
        nodes = scope_nodes(fn)
        for node in nodes:
            if isinstance(node, (ast.For, ast.AsyncFor)) and _binds_identity(node.target, words):
                for sub in node.body:
                    loop_calls.update(id(c) for c in walk(sub) if isinstance(c, ast.Call))
        for node in nodes:
            if isinstance(node, ast.Call):
                name = dotted(node.func)
                if name is None or name.startswith(("self.", "cls.")):
                    continue
                out.append((name, id(node) in loop_calls and not serves_one))
    return out


def _method_loop_calls(tree: ast.Module, words: Words) -> list[tuple[str, bool]]:
    """Each call of a method through ``self`` in the methods of the module's top-level
    classes (``Cls.method``), and whether it is a fan-out call (as :func:`_loop_calls`)."""
    out: list[tuple[str, bool]] = []
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        for fn in cls.body:
            if not isinstance(fn, FUNCTION_TYPES):
                continue
            self_name = _self_name(fn)
            if self_name is None:
                continue
            serves_one = any(
                p.arg in words.identity_names or p.arg in words.context_names for p in _params(fn)
            )
            nodes = scope_nodes(fn)
            loop_calls: set[int] = set()
            for node in nodes:
                if isinstance(node, (ast.For, ast.AsyncFor)) and _binds_identity(
                    node.target, words
                ):
                    for sub in node.body:
                        loop_calls.update(id(c) for c in walk(sub) if isinstance(c, ast.Call))
            for node in nodes:
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == self_name
                ):
                    fanout = id(node) in loop_calls and not serves_one
                    out.append((f"{cls.name}.{node.func.attr}", fanout))
    return out


def _binds_identity(target: ast.AST, words: Words) -> bool:
    return any(
        isinstance(n, ast.Name) and (n.id in words.identity_names or n.id.endswith("_id"))
        for n in walk(target)
    )
