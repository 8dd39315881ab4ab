"""Callee resolution for the user-context rules: what a call reaches and how it
treats the callee's user-context parameter (the NWS3 rules)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Union

from netra_ws_lint.analysis.idioms import (
    cache_decorator,
    class_name,
    context_guarded,
    is_staticmethod,
    self_param,
)
from netra_ws_lint.analysis.scopes import (
    FUNCTION_TYPES,
    FunctionNode,
    Param,
    dotted_name,
    params_of,
)
from netra_ws_lint.analysis.semantic import Context, ContextParam
from netra_ws_lint.analysis.vocabulary import (
    context_use,
    is_identity_value,
    passes_identity_fields,
)
from netra_ws_lint.config import matches_any

Definition = Union[ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef]


# How a call treats the callee's user-context parameter.
PASSED, NONE, MISSING = "passed", "none", "missing"


# Decorators known to keep a function's signature; any other decorator may add or
# inject parameters (``@inject_user_context``), so the signature is unknown.
SIGNATURE_KEEPING = frozenset(
    {
        "staticmethod",
        "classmethod",
        "wraps",
        "lru_cache",
        "cache",
        "cached",
        "alru_cache",
        "contextmanager",
        "asynccontextmanager",
        "abstractmethod",
        "overload",
        "final",
        "override",
        "no_type_check",
        "deprecated",
        "singledispatch",
        "singledispatchmethod",
    }
)


# Zero-argument calls returning a process-wide instance, and attributes holding one.
SINGLETON_GETTERS = frozenset({"instance", "get_instance", "getInstance", "shared_instance"})


SINGLETON_ATTRS = frozenset({"_instance", "instance", "_singleton", "__instance"})


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    name = dotted_name(target) or ""
    return name.rpartition(".")[2]


def keeps_signature(fn: FunctionNode) -> bool:
    """No decorator of ``fn`` may change its signature (see :data:`SIGNATURE_KEEPING`)."""
    return all(_decorator_name(d) in SIGNATURE_KEEPING for d in fn.decorator_list)


def _first_of_or(value: ast.expr) -> ast.expr:
    """``ctx`` in ``ctx or fallback`` (the value given when there is one); else ``value``."""
    if isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or):
        return value.values[0]
    return value


def _none_arg(call: ast.Call, target: _Target, facts: _Facts) -> ast.expr | None:
    """The literal ``None`` given for the user context (see :meth:`_Facts.status`)."""
    param = target.param
    names = {param.name} if param is not None else set(facts.words.context_names)
    for kw in call.keywords:
        if kw.arg in names and _is_none(kw.value):
            return kw.value
    if param is not None:
        index = param.index - target.offset
        if param.kind in ("pos", "posonly") and 0 <= index < len(call.args):
            return call.args[index] if _is_none(call.args[index]) else None
        return None
    return next((a for a in call.args if _is_none(a)), None)


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _literal_text(node: ast.AST) -> str | None:
    """Source of a literal constant (``"system"``, ``0``, ``-1``, ``f"anon"``), else None."""
    if isinstance(node, ast.Constant):
        text = repr(node.value)
    elif isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values):
        text = repr("".join(str(v.value) for v in node.values))  # type: ignore[attr-defined]
    elif (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, (ast.USub, ast.UAdd))
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, (int, float, complex))
    ):
        text = ("-" if isinstance(node.op, ast.USub) else "+") + repr(node.operand.value)
    else:
        return None
    return text if len(text) <= 40 else text[:37] + "..."


def _call_label(call: ast.Call) -> str:
    func = call.func
    name = dotted_name(func)
    if name:
        return name
    return func.attr if isinstance(func, ast.Attribute) else "<call>"


class _MatchCache(dict[str, bool]):
    """Results of ``matches_any(name, patterns)``, shared by every file checked with
    the same patterns (a name is matched once per run, not once per file)."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        super().__init__()
        self.patterns = patterns


_MATCH_CACHES: dict[tuple[str, ...], _MatchCache] = {}


def _match_cache(patterns: tuple[str, ...]) -> _MatchCache:
    cache = _MATCH_CACHES.get(patterns)
    if cache is None or len(cache) > 200_000:  # bounded in long-lived processes
        if len(_MATCH_CACHES) > 64:
            _MATCH_CACHES.clear()  # noqa: NWS202  (a cache of pure results, on purpose)
        cache = _MATCH_CACHES[patterns] = _MatchCache(patterns)  # noqa: NWS202
    return cache


@dataclass(frozen=True)
class _Target:
    """A callee that takes (or must take) a user context."""

    label: str  # as written at the call site
    must: bool  # must be given one (NWS301) rather than accepting one (NWS303)
    what: str  # "context factory", "user-scoped type", "function"
    param: Param | None  # the user-context parameter, when the signature is known
    offset: int  # leading parameters the call does not supply (``self``)
    # how the callee uses its context for identity or routing (see vocabulary.py);
    # None: only to decorate output, or not at all (NWS303 then has nothing to say)
    use: str | None = "unknown"
    # the context parameter has a default: the callee runs without one (another
    # branch, a fallback), so passing it changes what it does
    optional: bool = False
    # (a function of this module) it reads its context only under a test that it is
    # set (``if user_context and ...``): ``None`` is a value it takes on purpose
    guarded: bool = False
    # (a user-scoped type) it keeps its context only as a label of its own state
    label_only: bool = False


class _Facts:
    """Per-file facts the NWS3 rules share (see the module docstring)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.words = ctx.words
        self._matches: dict[str, _MatchCache] = {}
        self._index: _Index | None = None
        self._context_params: dict[tuple[int, int], ContextParam | None] = {}
        self._singletons: dict[int, bool] = {}
        self._methods: dict[int, tuple[str, dict[str, FunctionNode]] | None] = {}
        self._last: tuple[ast.Call, _Target | None] | None = None
        self._main_guards: list[tuple[int, int]] | None = None
        self._test_file: bool | None = None

    # ----------------------------------------------------------------- words
    def matches(self, name: str, words: str) -> bool:
        """``name`` matches the word list ``words`` (a :class:`Words` attribute, or
        ``"callables"``/``"types"``: the last components of the configured factories
        and user-scoped types / of the context types, for the cheap gates)."""
        cache = self._matches.get(words)
        if cache is None:
            if words == "callables":
                patterns = tuple(
                    p.rpartition(".")[2]
                    for p in (*self.words.context_factories, *self.words.user_scoped_types)
                )
            elif words == "types":
                patterns = tuple(p.rpartition(".")[2] for p in self.words.context_types)
            else:
                patterns = tuple(getattr(self.words, words))
            cache = self._matches[words] = _match_cache(patterns)
        hit = cache.get(name)
        if hit is None:
            hit = cache[name] = matches_any(name, cache.patterns)
        return hit

    @property
    def index(self) -> _Index:
        if self._index is None:
            self._index = _Index(self)
        return self._index

    def is_test_file(self) -> bool:
        if self._test_file is None:
            self._test_file = self.ctx.is_test_file()
        return self._test_file

    # ----------------------------------------------------------------- signatures
    def context_param(self, fn: FunctionNode | None, skip_first: bool) -> ContextParam | None:
        """The user-context parameter of ``fn`` (None when its signature is unknown:
        a decorator that may change it); ``skip_first`` ignores ``self``/``cls``."""
        if fn is None:
            return None
        key = (id(fn), skip_first)
        if key in self._context_params:
            return self._context_params[key]
        cp: ContextParam | None = None
        if keeps_signature(fn):
            cp = self.ctx.context_param(fn)
            if cp is not None and skip_first and cp.param.index == 0:
                cp = None
        self._context_params[key] = cp
        return cp

    def init_context_param(self, cls: ast.ClassDef) -> ContextParam | None:
        return self.context_param(self.ctx.init_of(cls), skip_first=True)

    def _method_table(self) -> tuple[str, dict[str, FunctionNode]] | None:
        """In a method (or a function nested in one): the name of its ``self``/``cls``
        parameter and the methods of its class, by name."""
        scopes = self.ctx.scopes
        key = id(scopes[-1].node)
        if key in self._methods:
            return self._methods[key]
        result = None
        for i in range(len(scopes) - 1, 0, -1):
            if scopes[i].kind == "class":
                break
            parent = scopes[i - 1]
            method = scopes[i].node
            if isinstance(method, FUNCTION_TYPES) and isinstance(parent.node, ast.ClassDef):
                first = self_param(method)
                if first is not None:
                    table = {s.name: s for s in parent.node.body if isinstance(s, FUNCTION_TYPES)}
                    result = (first, table)
                break
        self._methods[key] = result
        return result

    def _self_method(self, func: ast.Attribute) -> tuple[FunctionNode | None, int]:
        """``self.method`` / ``cls.method`` -> the method of the enclosing class."""
        if not isinstance(func.value, ast.Name):
            return None, 0
        info = self._method_table()
        if info is None or info[0] != func.value.id:
            return None, 0
        binding = self.ctx.lookup(func.value.id, func.value)
        if binding is None or binding.kind != "param":
            return None, 0
        method = info[1].get(func.attr)
        if method is None:
            return None, 0
        return method, 0 if is_staticmethod(method) else 1

    # ----------------------------------------------------------------- callees
    def target(self, call: ast.Call) -> _Target | None:
        """What ``call`` calls, if it takes a user context (cached for the call site:
        NWS301 and NWS303 ask about the same call one after the other)."""
        last = self._last
        if last is not None and last[0] is call:
            return last[1]
        result = self._target(call)
        self._last = (call, result)
        return result

    def _target(self, call: ast.Call) -> _Target | None:
        func = call.func
        if isinstance(func, ast.Name):
            last = func.id
        elif isinstance(func, ast.Attribute):
            last = func.attr
        else:
            return None
        project = self.ctx.project
        if (
            last not in self.index.callables
            and not self.matches(last, "callables")
            and (project is None or last not in project.known_names)
        ):
            return None  # cannot take a context: settled without resolving anything
        ctx = self.ctx
        definition: Definition | None = None
        offset = 0
        if isinstance(func, ast.Name):
            binding = ctx.lookup(func.id, func)
            if binding is None:
                name: str | None = func.id  # builtin or unknown global
            elif binding.kind in ("def", "class") and isinstance(
                binding.node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
            ):
                name, definition = func.id, binding.node
            elif binding.kind == "param":
                return None  # a callable given by the caller: unknown
            else:
                name = ctx.resolve(func)
                if name is not None and binding.kind != "import":
                    definition = ctx.local_definition(name)  # ``g = helper; g()``
        else:
            name = ctx.resolve(func)
            if name is None:  # a method of some object
                name = func.attr
                definition, offset = self._self_method(func)
        if name is None:
            return None
        factory = self.matches(name, "context_factories")
        scoped = not factory and self.matches(name, "user_scoped_types")
        qualname = project.qualname(ctx, func) if project is not None else None
        if (
            definition is None
            and project is not None
            and (
                not (factory or scoped)
                or (qualname is not None and project.vocabulary.resolve(qualname) is not None)
            )
        ):
            # project mode: a function or class of another module; its real signature
            # decides (a name pattern only decides names the project does not define)
            external = project.definition(ctx, func)
            param = project.context_param(external) if external is not None else None
            if external is None or param is None:
                return None
            _, use = project.vocabulary.context_use(qualname) if qualname else (False, None)
            optional = bool(external["ctx"][3])
            if external["kind"] == "class":
                if optional and qualname and project.vocabulary.is_factory_class(qualname):
                    return None  # a shared factory, built without a user on purpose
                only = qualname is not None and project.vocabulary.keeps_context_as_label(qualname)
                return _Target(
                    _call_label(call), True, "user-scoped type", param, 1, use, optional,
                    label_only=only,
                )  # fmt: skip
            inferred = self._inferred_factory(qualname)
            must = not optional or inferred
            what = "context factory" if factory or inferred else "function"
            return _Target(_call_label(call), must, what, param, 0, use, optional)
        cp: ContextParam | None
        fn: FunctionNode | None
        if isinstance(definition, ast.ClassDef):
            cp = self.init_context_param(definition)
            fn = ctx.init_of(definition)
            offset = 1
        else:
            cp = self.context_param(definition, skip_first=offset == 1)
            fn = definition
        label = _call_label(call)
        use = context_use(fn, cp.param.name, self.words) if fn is not None and cp else None
        if (factory or scoped) and definition is None:
            what = "context factory" if factory else "user-scoped type"
            return _Target(label, True, what, cp.param if cp else None, offset)
        if cp is None:
            return None  # a resolved callee that takes no context
        if isinstance(definition, ast.ClassDef):
            if cp.has_default and self._factory_class(name):
                return None  # a shared factory, built without a user on purpose
            return _Target(
                label, True, "user-scoped type", cp.param, offset, use, cp.has_default,
                label_only=self._label_class(name),
            )  # fmt: skip
        if factory or (cp.has_default and self._inferred_factory(name)):
            return _Target(label, True, "context factory", cp.param, offset, use, cp.has_default)
        guarded = fn is not None and context_guarded(fn, cp.param.name)
        return _Target(label, not cp.has_default, "function", cp.param, offset, use, False, guarded)

    def _factory_class(self, name: str) -> bool:
        """A same-module class the vocabulary finds is a shared factory."""
        vocab = self.ctx.vocabulary()
        return any(vocab.is_factory_class(n) for n in self.ctx.vocabulary_names(name))

    def _label_class(self, name: str) -> bool:
        """A same-module class the vocabulary finds keeps its context only as a label."""
        vocab = self.ctx.vocabulary()
        return any(vocab.keeps_context_as_label(n) for n in self.ctx.vocabulary_names(name))

    def _inferred_factory(self, name: str | None) -> bool:
        """A project (or same-module) function that builds what it returns from its
        user context: NWS301 whatever its context's default."""
        if name is None:
            return False
        vocab = self.ctx.vocabulary()
        return any(vocab.resolve(n) in vocab.factories for n in self.ctx.vocabulary_names(name))

    def status(self, call: ast.Call, target: _Target) -> str:
        """PASSED, NONE (a literal ``None`` for the context) or MISSING."""
        param = target.param
        if passes_identity_fields(call, self.words):
            return PASSED  # ``user_id=ctx.user_id, thread_id=ctx.thread_id``
        if target.what == "user-scoped type" and self._gives_owner(call):
            return PASSED  # ``Emitter(manager, user_id=user_id)``: built for its user
        if param is None:
            return self._status_unknown(call)
        for kw in call.keywords:
            if kw.arg is not None and kw.arg == param.name and param.kind != "posonly":
                return NONE if _is_none(kw.value) else PASSED
        if param.kind in ("pos", "posonly"):
            index = param.index - target.offset
            if index < 0:
                return PASSED
            for i, arg in enumerate(call.args):
                if isinstance(arg, ast.Starred):
                    return PASSED  # ``*args`` forwarded: assume it holds the context
                if i == index:
                    return NONE if _is_none(arg) else PASSED
        if param.kind != "posonly" and any(kw.arg is None for kw in call.keywords):
            return PASSED  # ``**kwargs`` forwarded
        if any(
            isinstance(a, (ast.Name, ast.Call)) and self.ctx.is_context_value(a)
            for a in [*call.args, *(kw.value for kw in call.keywords)]
            for a in [_first_of_or(a)]
        ):
            # a context built here handed to another parameter (``Engine(ctx, f)`` where
            # the first takes a context or a registry), also with a fallback
            # (``user_context or {}``): it is given one
            return PASSED
        return MISSING

    def _gives_owner(self, call: ast.Call) -> bool:
        """The call gives the object the user it belongs to: a keyword named like a user
        identity whose value is one (``user_id=user_id``, ``run_id=msg.run_id``)."""
        return any(
            kw.arg in self.words.identity_names
            and not _is_none(kw.value)
            and is_identity_value(kw.value, self.words)
            for kw in call.keywords
        )

    def _status_unknown(self, call: ast.Call) -> str:
        """Signature unknown (defined elsewhere): a keyword named like a context, any
        positional argument, or a forwarded ``*args``/``**kwargs`` passes one, unless
        it is a literal ``None``."""
        names = self.words.context_names
        for kw in call.keywords:
            if kw.arg is not None and kw.arg in names:
                return NONE if _is_none(kw.value) else PASSED
        if any(kw.arg is None for kw in call.keywords):
            return PASSED
        if any(isinstance(a, ast.Starred) or not _is_none(a) for a in call.args):
            return PASSED
        if any(self.is_context_value(kw.value) for kw in call.keywords):
            return PASSED
        return NONE if call.args else MISSING

    def is_context_value(self, node: ast.AST) -> bool:
        """``user_context``, ``self.ctx``, a parameter annotated with a context type."""
        names = self.words.context_names
        if isinstance(node, ast.Attribute):
            return node.attr in names
        if isinstance(node, ast.Name):
            if node.id in names:
                return True
            binding = self.ctx.lookup(node.id, node)
            return (
                binding is not None
                and binding.kind == "param"
                and isinstance(binding.node, ast.arg)
                and self.ctx.is_context_annotation(binding.node.annotation)
            )
        return False

    # ----------------------------------------------------------------- shared objects
    def is_singleton_call(self, call: ast.Call) -> bool:
        """A call returning a process-wide instance: ``Hub.instance()``, a zero-argument
        ``@lru_cache`` getter or a lazy ``global`` getter of this module, a class of
        this module caching ``cls._instance`` in ``__new__``."""
        func = call.func
        last = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if not call.args and not call.keywords and last in SINGLETON_GETTERS:
            return True
        if not isinstance(func, ast.Name):
            return False
        binding = self.ctx.lookup(func.id, func)
        if binding is None or binding.kind not in ("def", "class"):
            return False
        node = binding.node
        key = id(node)
        if key not in self._singletons:
            self._singletons[key] = self._is_singleton_definition(node)
        return self._singletons[key]

    def _is_singleton_definition(self, node: ast.AST) -> bool:
        if isinstance(node, ast.ClassDef):
            if any(
                "singleton" in (dotted_name(k.value) or "").lower()
                for k in node.keywords
                if k.arg == "metaclass"
            ):
                return True
            new = next(
                (s for s in node.body if isinstance(s, FUNCTION_TYPES) and s.name == "__new__"),
                None,
            )
            return new is not None and any(
                isinstance(n, ast.Attribute) and n.attr in SINGLETON_ATTRS for n in ast.walk(new)
            )
        if not isinstance(node, FUNCTION_TYPES):
            return False
        if any(
            p.default is None and p.kind in ("pos", "posonly", "kwonly") for p in params_of(node)
        ):
            return False  # takes an argument: not a process-wide getter
        if cache_decorator(self.ctx, node) is not None:
            return True
        declared: set[str] = set()
        returned: set[str] = set()
        for n in ast.walk(node):
            if isinstance(n, ast.Global):
                declared.update(n.names)
            elif isinstance(n, ast.Return) and isinstance(n.value, ast.Name):
                returned.add(n.value.id)
        return bool(declared & returned)

    def shared_call(self, call: ast.Call) -> str | None:
        name = self.ctx.callee(call)
        short = (name or _call_label(call)).rpartition(".")[2]
        if self.ctx.is_deprecated_accessor(name) and not self.ctx.accessor_given_context(call):
            return f"the result of `{short}()`"
        if self.is_singleton_call(call):
            return f"the singleton `{short}()`"
        return None

    def shared_receiver(self, node: ast.expr) -> str | None:
        """How ``node`` (the object a send method is called on) is shared by every
        user, or None: a module-level name, the result of a deprecated accessor or of
        a singleton getter (directly or through a local variable)."""
        ctx = self.ctx
        if isinstance(node, ast.Await):
            node = node.value
        if isinstance(node, ast.Call):
            return self.shared_call(node)
        if isinstance(node, ast.Name):
            binding = ctx.lookup(node.id, node)
            if binding is None:
                return None
            if ctx.binding_scope(node.id) is ctx.module_scope:
                if binding.kind in ("def", "class") or (
                    binding.kind == "import"
                    and (isinstance(binding.node, ast.Import) or class_name(node.id))
                ):
                    # a module or a class (an imported ``CapWords`` name, by PEP 8): a
                    # function call, not an object; the state it uses is reported where
                    # it lives
                    return None
                return f"module-level `{node.id}`"
            value = binding.value if binding.kind == "assign" else None
            if isinstance(value, ast.Await):
                value = value.value
            if isinstance(value, ast.Call):
                shared = self.shared_call(value)
                if shared:
                    return f"`{node.id}` ({shared})"
            return None
        if isinstance(node, ast.Attribute):
            label = dotted_name(node) or node.attr
            if node.attr in SINGLETON_ATTRS:
                return f"the singleton `{label}`"
            root: ast.expr = node
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and ctx.binding_scope(root.id) is ctx.module_scope:
                binding = ctx.lookup(root.id, root)
                if binding is not None and binding.kind != "def":
                    return f"module-level `{label}`"
        return None

    # ----------------------------------------------------------------- import time
    def in_main_guard(self, line: int) -> bool:
        """``line`` is inside a module-level ``if __name__ == "__main__":`` block."""
        if self._main_guards is None:
            self._main_guards = []
            for stmt in self.ctx.tree.body:
                if isinstance(stmt, ast.If) and _is_main_test(stmt.test):
                    end = getattr(stmt, "end_lineno", None) or stmt.lineno
                    self._main_guards.append((stmt.lineno, end))
        return any(start <= line <= end for start, end in self._main_guards)

    def user_id_position(self, name: str) -> int | None:
        """Position of ``user_id`` among a context type's positional parameters: from
        its definition in this module (``__init__`` or dataclass fields), else 0."""
        cls = self.ctx.module_classes.get(name) if "." not in name else None
        if cls is None:
            return 0
        init = self.ctx.init_of(cls)
        if init is not None:
            fields = [p.name for p in params_of(init)[1:] if p.kind in ("pos", "posonly")]
        else:
            fields = [
                s.target.id
                for s in cls.body
                if isinstance(s, ast.AnnAssign)
                and isinstance(s.target, ast.Name)
                and "ClassVar" not in ast.dump(s.annotation)
            ]
        return fields.index("user_id") if "user_id" in fields else None


def _is_main_test(test: ast.expr) -> bool:
    if not (
        isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)
    ):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


class _Index:
    """Names a call must have (as its last component) to concern NWS301/303/304,
    from one pass over the file's statements (expressions are not entered)."""

    def __init__(self, facts: _Facts) -> None:
        # defs/classes (any scope, methods included) taking a user context, and
        # local aliases of them or of configured factories / user-scoped types
        self.callables: set[str] = set()
        # local aliases of context types (``import ... as UEC``, ``UEC = ...``)
        self.type_aliases: set[str] = set()
        aliases: list[tuple[str, str]] = []
        names = frozenset(facts.words.context_names)
        for node in _all_statements(facts.ctx.tree):
            if isinstance(node, FUNCTION_TYPES):
                if (
                    _may_take_context(node, names)
                    and facts.context_param(node, skip_first=False) is not None
                ):
                    self.callables.add(node.name)
            elif isinstance(node, ast.ClassDef):
                if facts.init_context_param(node) is not None:
                    self.callables.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.asname:
                        aliases.append((alias.asname, alias.name.rpartition(".")[2]))
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
                last = (
                    value.attr if isinstance(value, ast.Attribute) else getattr(value, "id", None)
                )
                if isinstance(target, ast.Name) and isinstance(last, str):
                    aliases.append((target.id, last))
        for alias_name, original in aliases:
            if original in self.callables or facts.matches(original, "callables"):
                self.callables.add(alias_name)
            if facts.matches(original, "types"):
                self.type_aliases.add(alias_name)


def _may_take_context(fn: FunctionNode, names: frozenset[str]) -> bool:
    """Cheap pre-check: a parameter named like a context, or any annotation."""
    a = fn.args
    return any(
        arg.arg in names or arg.annotation is not None
        for arg in (*a.posonlyargs, *a.args, *a.kwonlyargs)
    )


_BODIES: dict[type, tuple[str, ...]] = {
    ast.FunctionDef: ("body",),
    ast.AsyncFunctionDef: ("body",),
    ast.ClassDef: ("body",),
    ast.If: ("body", "orelse"),
    ast.For: ("body", "orelse"),
    ast.AsyncFor: ("body", "orelse"),
    ast.While: ("body", "orelse"),
    ast.With: ("body",),
    ast.AsyncWith: ("body",),
    ast.Try: ("body", "handlers", "orelse", "finalbody"),
    ast.ExceptHandler: ("body",),
}


for _name in ("TryStar",):  # Python 3.11+
    if hasattr(ast, _name):
        _BODIES[getattr(ast, _name)] = ("body", "handlers", "orelse", "finalbody")


def _all_statements(tree: ast.Module) -> Iterator[ast.AST]:
    """Every statement of the file, nested bodies included (no expressions)."""
    stack: list[ast.AST] = list(tree.body)
    bodies = _BODIES
    while stack:
        node = stack.pop()
        yield node
        fields = bodies.get(type(node))
        if fields is not None:
            for name in fields:
                stack.extend(getattr(node, name))
        elif type(node).__name__ == "Match":
            for case in node.cases:  # type: ignore[attr-defined]
                stack.extend(case.body)
