"""NWS3: every request builds its user-scoped objects from the user's own context.

The five rules share one per-file helper (:class:`_Facts`, one per checked file):
word matches, signatures of same-module callables and singleton getters are worked
out once per name or definition and reused by every call site.

Which rule gets a call that does not pass a user context (one call never gets both):

- NWS301 when the callee *must* be given one: a configured context factory, a
  configured user-scoped type, a same-module class whose ``__init__`` takes a user
  context (a user-scoped type by definition), or a same-module function whose
  user-context parameter has no default. Flagged whatever is in scope.
- NWS303 when the callee is a same-module function (or a method of the enclosing
  class) whose user-context parameter has a default, and a user context is in scope.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Union

from netra_ws_lint.analysis.semantic import (
    FUNCTION_TYPES,
    Context,
    ContextParam,
    FunctionNode,
    Param,
    dotted_name,
    params_of,
)
from netra_ws_lint.analysis.vocabulary import context_use, passes_identity_fields
from netra_ws_lint.config import matches_any
from netra_ws_lint.model import Fix
from netra_ws_lint.rules.base import Rule, register
from netra_ws_lint.rules.fixes import SAFE, UNSAFE, add_context_fix, manual

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
CACHE_DECORATORS = frozenset({"lru_cache", "cache", "cached", "alru_cache"})


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    name = dotted_name(target) or ""
    return name.rpartition(".")[2]


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
        if all(_decorator_name(d) in SIGNATURE_KEEPING for d in fn.decorator_list):
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
                params = params_of(method)
                static = any(_decorator_name(d) == "staticmethod" for d in method.decorator_list)
                if params and params[0].kind in ("pos", "posonly") and not static:
                    table = {s.name: s for s in parent.node.body if isinstance(s, FUNCTION_TYPES)}
                    result = (params[0].name, table)
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
        binding = self.ctx.lookup(func.value.id)
        if binding is None or binding.kind != "param":
            return None, 0
        method = info[1].get(func.attr)
        if method is None:
            return None, 0
        static = any(_decorator_name(d) == "staticmethod" for d in method.decorator_list)
        return method, 0 if static else 1

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
            binding = ctx.lookup(func.id)
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
            if external["kind"] == "class":
                return _Target(_call_label(call), True, "user-scoped type", param, 1, use)
            inferred = self._inferred_factory(qualname)
            must = not external["ctx"][3] or inferred
            what = "context factory" if factory or inferred else "function"
            return _Target(_call_label(call), must, what, param, 0, use)
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
            return _Target(label, True, "user-scoped type", cp.param, offset, use)
        if factory or (cp.has_default and self._inferred_factory(name)):
            return _Target(label, True, "context factory", cp.param, offset, use)
        return _Target(label, not cp.has_default, "function", cp.param, offset, use)

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
        return MISSING

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
            binding = self.ctx.lookup(node.id)
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
        binding = self.ctx.lookup(func.id)
        if binding is None or binding.kind not in ("def", "class"):
            return False
        node = binding.node
        key = id(node)
        if key not in self._singletons:
            self._singletons[key] = self._is_singleton_definition(node)
        return self._singletons[key]

    @staticmethod
    def _is_singleton_definition(node: ast.AST) -> bool:
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
        if any(_decorator_name(d) in CACHE_DECORATORS for d in node.decorator_list):
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
        if self.ctx.is_deprecated_accessor(name):
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
            binding = ctx.lookup(node.id)
            if binding is None:
                return None
            if ctx.binding_scope(node.id) is ctx.module_scope:
                if binding.kind in ("def", "class") or (
                    binding.kind == "import" and isinstance(binding.node, ast.Import)
                ):
                    return None  # a module or a class: a function call, not an object
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
                binding = ctx.lookup(root.id)
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


class _NWS3Rule(Rule):
    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        # one _Facts per checked file, shared by the NWS3 rules of that file
        facts = ctx.rule_state.get("nws3")
        if not isinstance(facts, _Facts):
            facts = _Facts(ctx)
            ctx.rule_state["nws3"] = facts
        self.facts = facts


# --------------------------------------------------------------------------- NWS301


@register
class FactoryWithoutContext(_NWS3Rule):
    """
    ## What it does
    Flags a call that must be given a user context but is not: a configured context
    factory (`create_websocket_manager`), the constructor of a user-scoped type
    (`*WebSocketManager`, `*WebSocketBridge`, `*WebSocketNotifier`, `*Emitter`, or a
    class of this module whose `__init__` takes a user context), or a function of this
    module whose user-context parameter has no default — called without the context,
    or with a literal `None` for it. Flagged whatever is in scope: without a context at
    hand, the call site is where one is missing.

    A user context is a parameter annotated with a context type or named with a
    context name. For a callee defined in this module the arguments are bound to its
    parameters (positional or keyword); for one defined elsewhere, any positional
    argument or a keyword named like a context counts as passing it. A forwarded
    `*args` or `**kwargs` is assumed to hold it. A function with a decorator that may
    change its signature (anything but `staticmethod`, `lru_cache`, `wraps`,
    `contextmanager`...) is only checked if its name is configured.

    One call never gets both NWS301 and NWS303: a callee that must be given a context
    is NWS301; a function whose context parameter has a default is NWS303.

    ## Why is this bad?
    A factory called without the user's context builds an object that belongs to no
    user (or to whoever registers first): the per-request manager silently turns back
    into a shared one, and events can reach the wrong user.

    ## Example
    ```python
    async def handle(user_context: UserExecutionContext) -> None:
        manager = create_websocket_manager()
        await manager.send_event("agent_started")
    ```

    ## Use instead
    ```python
    async def handle(user_context: UserExecutionContext) -> None:
        manager = create_websocket_manager(user_context)
        await manager.send_event("agent_started")
    ```

    ## Fix
    Safe fix when a user context is in scope: a configured factory gets it as its first
    argument (`create_websocket_manager()` -> `create_websocket_manager(user_context)`,
    when the call has no other positional argument), a function or class of this module
    by keyword (`build(x)` -> `build(x, user_context=user_context)`). A literal `None`
    given for the context is replaced by it: an unsafe fix (`--unsafe-fixes`). Without
    a context in scope, or for a user-scoped type whose signature is not known here,
    no edit: which context the object belongs to is a design decision at the call site.

    ## Options
    `context-factories`, `user-scoped-types`, `context-names`, `context-types`.
    """

    code = "NWS301"
    name = "factory-without-context"
    message = "{what} `{name}` called {how}"
    summary = "Context factory or user-scoped type built without a user context (or with `None`)."
    options = ("context-factories", "user-scoped-types", "context-names", "context-types")

    INVALID = [
        # aliases, module import, positional and keyword None, async
        (
            "import app.ws as ws\n"
            "from app.ws import create_websocket_manager as make_manager\n"
            "\n"
            "async def handle(user_context):\n"
            "    a = ws.create_websocket_manager()  # expect: NWS301@9\n"
            "    b = make_manager(user_context=None)  # expect: NWS301@9\n"
            "    c = await make_manager(None).connect()  # expect: NWS301@15\n"
            "    d = ws.create_websocket_manager(user_context)\n"
            "    return a, b, c, d\n"
        ),
        # user-scoped type constructors in a method and in a lambda; self.user_context
        (
            "from app.ws import UnifiedWebSocketManager, AgentEventEmitter\n"
            "\n"
            "class AgentService:\n"
            "    def __init__(self, user_context):\n"
            "        self.user_context = user_context\n"
            "        self.manager = UnifiedWebSocketManager()  # expect: NWS301@24\n"
            "        self.emitter = lambda: AgentEventEmitter(timeout=5)  # expect: NWS301@32\n"
            "\n"
            "    async def run(self):\n"
            "        def build():\n"
            "            return UnifiedWebSocketManager(self.user_context)\n"
            "        return build()\n"
        ),
        # same-module callables: decorated def (signature kept), class, odd formatting
        (
            "import functools\n"
            "\n"
            "@functools.lru_cache(maxsize=None)\n"
            "def build_notifier(channel, user_context: UserExecutionContext):\n"
            "    return channel, user_context\n"
            "\n"
            "class RunTracker:\n"
            "    def __init__(self, *, context):\n"
            "        self.context = context\n"
            "\n"
            "def setup():\n"
            "    notifier = build_notifier(  # expect: NWS301@16\n"
            "        'events',\n"
            "        user_context = None,\n"
            "    )\n"
            "    return notifier, RunTracker(context=None), RunTracker()"
            "  # expect: NWS301@22, NWS301@48\n"
        ),
        # a method of the enclosing class, through self, context not passed
        (
            "class Pipeline:\n"
            "    def build_manager(self, user_context, *, retries=3):\n"
            "        return create_websocket_manager(user_context)\n"
            "\n"
            "    async def start(self, user_context):\n"
            "        return self.build_manager(retries=1)  # expect: NWS301@16\n"
        ),
        # a closure that requires the context, given None positionally
        (
            "def outer(user_context):\n"
            "    def send(event, user_context):\n"
            "        return event, user_context\n"
            "    return send('x', None)  # expect: NWS301@12\n"
        ),
        # a factory of the team's own (config), in a comprehension; module level too
        (
            '# options: {"extend-context-factories": ["make_bridge"]}\n'
            "from app.bridges import make_bridge\n"
            "\n"
            "def wire(ctx):\n"
            "    return [make_bridge() for _ in range(2)]  # expect: NWS301@13\n"
            "\n"
            "bridge = make_bridge(timeout=3)  # expect: NWS301@10\n"
        ),
        # a context factory inferred from its body (it builds what it returns from the
        # context), whatever its default, called without a context and with None
        (
            "class ReportClient:\n"
            "    def __init__(self, user_context=None):\n"
            "        self.user_context = user_context\n"
            "\n"
            "def create_report_client(user_context=None):\n"
            "    return ReportClient(user_context)\n"
            "\n"
            "def startup(app):\n"
            "    app.state.reports = create_report_client()  # expect: NWS301@25\n"
            "    app.state.backup = create_report_client(None)  # expect: NWS301@24\n"
        ),
    ]
    VALID = [
        # a class matching a name pattern whose constructor takes no context: the user
        # binding happens through a method (a resolved constructor decides)
        "class NotificationBridge:\n"
        "    def __init__(self, transport=None):\n"
        "        self.transport = transport\n"
        "\n"
        "    def for_user(self, user_context):\n"
        "        return UserChannel(self.transport, user_context)\n"
        "\n"
        "def handle(user_context):\n"
        "    bridge = NotificationBridge()\n"
        "    return bridge.for_user(user_context)\n",
        # the context's identity fields passed one by one count as passing it
        "class Engine:\n"
        "    def __init__(self, user_context=None, *, user_id=None, thread_id=None):\n"
        "        self.user_context = user_context\n"
        "\n"
        "def run(ctx):\n"
        "    return Engine(user_id=ctx.user_id, thread_id=ctx.thread_id)\n",
        # a context name annotated with another type is not a user context
        "import ssl\n"
        "class TLSClient:\n"
        "    def __init__(self, host: str, context: ssl.SSLContext | None = None):\n"
        "        self.context = context\n"
        "def connect(host):\n"
        "    return TLSClient(host)\n",
        # passed: positional, keyword, self.user_context, forwarded *args / **kwargs
        "import app.ws as ws\n"
        "from app.ws import create_websocket_manager as make\n"
        "\n"
        "class Service:\n"
        "    def __init__(self, user_context):\n"
        "        self.user_context = user_context\n"
        "        self.manager = ws.create_websocket_manager(self.user_context)\n"
        "\n"
        "def forward(*args, **kwargs):\n"
        "    a = make(*args)\n"
        "    b = make(**kwargs)\n"
        "    c = ws.create_websocket_manager(user_context=kwargs['user_context'])\n"
        "    return a, b, c\n",
        # a parameter shadowing the factory; references; similar names
        "def build(create_websocket_manager):\n"
        "    return create_websocket_manager()\n"
        "\n"
        "FACTORY = create_websocket_manager\n"
        "\n"
        "def other():\n"
        "    return create_websocket_manager_for_tests(), WebSocketManagerConfig()\n",
        # an optional context (NWS303's business, no context here); a decorator that
        # may inject the context makes the signature unknown
        "def render(data, user_context=None):\n"
        "    return data\n"
        "\n"
        "@inject_user_context\n"
        "def handler(payload, user_context):\n"
        "    return payload\n"
        "\n"
        "def job():\n"
        "    return render({'a': 1}), handler({'a': 1})\n",
        # a local user-scoped class: keyword order, super().__init__, classmethods
        "class TenantWebSocketManager(BaseWebSocketManager):\n"
        "    def __init__(self, user_context, *, ttl=30):\n"
        "        super().__init__(user_context)\n"
        "        self.ttl = ttl\n"
        "\n"
        "def make(ctx):\n"
        "    return TenantWebSocketManager(ttl=5, user_context=ctx)\n"
        "\n"
        "def from_request(request):\n"
        "    return TenantWebSocketManager.from_request(request)\n",
        # unknown signatures: any positional argument counts; async and lambda
        "import asyncio\n"
        "\n"
        "async def connect(websocket, user_context):\n"
        "    manager = await asyncio.to_thread(lambda: create_websocket_manager(user_context))\n"
        "    emitter = AgentEventEmitter(manager, websocket)\n"
        "    return emitter, isinstance(manager, WebSocketManager)\n",
        # the context under another keyword name, recognised by its value or annotation
        "def wire(uc: UserExecutionContext, user_context):\n"
        "    a = create_websocket_manager(current=uc)\n"
        "    b = create_websocket_manager(owner=user_context)\n"
        "    return a, b\n",
    ]

    def visit_Call(self, node: ast.Call) -> None:
        facts = self.facts
        target = facts.target(node)
        if target is None or not target.must:
            return
        status = facts.status(node, target)
        if status == PASSED:
            return
        how = "with `None` for its user context" if status == NONE else "without a user context"
        self.report(
            node, what=target.what, name=target.label, how=how, fix=self._fix(node, target, status)
        )

    def _fix(self, node: ast.Call, target: _Target, status: str) -> Fix:
        """Safe: the missing context of a configured factory or of a callee whose
        signature is known; unsafe: a literal ``None`` replaced by the context."""
        param = target.param
        if status == NONE:
            return add_context_fix(
                self.ctx, node, None, None, UNSAFE, none_arg=_none_arg(node, target, self.facts)
            )
        if param is None and target.what != "context factory":
            return manual(f"the signature of `{target.label}` is not known here")
        return add_context_fix(
            self.ctx, node, param.name if param else None, param.kind if param else None, SAFE
        )


# --------------------------------------------------------------------------- NWS302


@register
class UserActionWithoutContext(_NWS3Rule):
    """
    ## What it does
    Flags a function that acts for one user — it has a user-identity parameter
    (`user_id`, `session_id`, `thread_id`, `run_id`, `connection_id`, `websocket`) and
    calls a send method (`send_*`, `emit_*`, `broadcast*`, `notify*`, `push_*`) on a
    shared object — but has no user-context parameter (neither it nor an enclosing
    function; for a method, its class's `__init__` takes none either).

    A shared object is a module-level name (a module variable, an imported object,
    `state.manager`), the result of a deprecated accessor
    (`get_websocket_manager().send_to_user(...)`, or a local assigned from it), or a
    singleton (`Hub.instance()`, a zero-argument `@lru_cache` or lazy `global` getter
    of this module). Reported once, at the `def` of the innermost function with the
    identity parameter.

    ## Why is this bad?
    Routing by a bare user id through a process-wide manager is exactly how one user's
    events reach another: the id is looked up in state every user shares, and nothing
    ties the delivery to the request's own context.

    ## Example
    ```python
    async def notify_run(user_id: str, payload: dict) -> None:
        await manager.send_to_user(user_id, payload)
    ```

    ## Use instead
    ```python
    async def notify_run(user_context: UserExecutionContext, payload: dict) -> None:
        await create_websocket_manager(user_context).send_to_user(payload)
    ```

    ## Fix
    No automatic fix: the function's callers must pass the user context down.

    ## Options
    `identity-names`, `send-methods`, `context-names`, `context-types`,
    `deprecated-accessors`.
    """

    code = "NWS302"
    name = "user-action-without-context"
    message = (
        "`{name}` acts for one user (`{identity}`) and calls `{method}` on {target}, "
        "but takes no user context"
    )
    summary = "Function sends to one user through a shared object but takes no user context."
    options = (
        "identity-names",
        "send-methods",
        "context-names",
        "context-types",
        "deprecated-accessors",
    )

    INVALID = [
        # an imported module-level manager, async
        (
            "from app.ws import manager\n"
            "\n"
            "async def notify_run(user_id, payload):  # expect: NWS302@1\n"
            "    await manager.send_to_user(user_id, payload)\n"
        ),
        # the deprecated accessor's result, directly and through a local; module alias
        (
            "import app.websocket_core as wc\n"
            "\n"
            "def push_status(session_id, status):  # expect: NWS302@1\n"
            "    mgr = wc.get_websocket_manager()\n"
            "    mgr.emit_status(session_id, status)\n"
            "\n"
            "def ping(thread_id):  # expect: NWS302@1\n"
            "    wc.get_websocket_manager().broadcast({'thread': thread_id})\n"
        ),
        # a decorated method of a class without a context: reported at the def
        (
            "class Notifier:\n"
            "    def __init__(self, channel):\n"
            "        self.channel = channel\n"
            "\n"
            "    @staticmethod\n"
            "    @log_calls\n"
            "    async def alert(run_id, text):  # expect: NWS302@5\n"
            "        await EVENTS.notify_user(run_id, text)\n"
            "\n"
            "EVENTS = EventHub()\n"
        ),
        # singletons: a cached zero-argument getter, Hub.instance(), a module attribute
        (
            "import functools\n"
            "import app.state as state\n"
            "\n"
            "@functools.lru_cache()\n"
            "def get_hub():\n"
            "    return Hub()\n"
            "\n"
            "def deliver(connection_id, msg):  # expect: NWS302@1\n"
            "    hub = get_hub()\n"
            "    hub.push_message(connection_id, msg)\n"
            "\n"
            "def fanout(websocket, msg):  # expect: NWS302@1\n"
            "    Hub.instance().broadcast_all(msg)\n"
            "\n"
            "def relay(user_id, msg):  # expect: NWS302@1\n"
            "    state.manager.send_to_user(user_id, msg)\n"
        ),
        # the send is in a nested function: reported at the def with the identity
        (
            "async def run_agent(user_id, prompt):  # expect: NWS302@1\n"
            "    async def _tell(text):\n"
            "        await get_websocket_manager().send_to_user(user_id, text)\n"
            "    await _tell(prompt)\n"
        ),
        # a lazy global getter of this module
        (
            "_manager = None\n"
            "\n"
            "def manager_instance():\n"
            "    global _manager\n"
            "    if _manager is None:\n"
            "        _manager = Manager()\n"
            "    return _manager\n"
            "\n"
            "class Handlers:\n"
            "    async def on_message(self, websocket, data):  # expect: NWS302@5\n"
            "        await manager_instance().send_to(websocket, data)\n"
        ),
    ]
    VALID = [
        # a system-wide fan-out helper: every caller loops over identities and serves
        # no single user
        "manager = NotificationHub()\n"
        "\n"
        "async def push_update(user_id, payload):\n"
        "    await manager.send_to_user(user_id, payload)\n"
        "\n"
        "async def broadcast_maintenance(subscribers, payload):\n"
        "    for user_id in subscribers:\n"
        "        await push_update(user_id, payload)\n",
        # a user-context parameter
        "from app.ws import manager\n"
        "\n"
        "async def notify(user_id, user_context):\n"
        "    await manager.send_to_user(user_id, {})\n",
        # a method of a class whose __init__ takes the context
        "class Service:\n"
        "    def __init__(self, user_context):\n"
        "        self.user_context = user_context\n"
        "\n"
        "    async def notify(self, run_id):\n"
        "        await MANAGER.send_to_user(run_id, {})\n"
        "\n"
        "MANAGER = Manager()\n",
        # per-request objects: the websocket itself, a local built by the factory
        "async def reply(websocket, text):\n"
        "    await websocket.send_text(text)\n"
        "\n"
        "async def relay(user_id, request):\n"
        "    mgr = create_websocket_manager(request.state.user_context)\n"
        "    await mgr.send_to_user(user_id, {})\n",
        # no identity parameter; not a send method; a module's function
        "import smtp_utils\n"
        "from app.ws import manager\n"
        "\n"
        "async def announce(message):\n"
        "    await manager.broadcast(message)\n"
        "\n"
        "def mail(user_id):\n"
        "    smtp_utils.send_mail(user_id)\n"
        "    return manager.get_stats(user_id)\n",
        # the context is a parameter of the enclosing function (closure)
        "from app.ws import manager\n"
        "\n"
        "def outer(user_context):\n"
        "    def inner(user_id):\n"
        "        manager.send_to_user(user_id, {})\n"
        "    return inner\n",
        # a context annotated by type under another name; configured identity names
        '# options: {"identity-names": ["tenant_id"]}\n'
        "from app.ws import manager\n"
        "\n"
        "async def a(user_id, msg):\n"
        "    await manager.send_to_user(user_id, msg)\n"
        "\n"
        "async def b(tenant_id, uc: 'UserExecutionContext'):\n"
        "    await manager.send_to_user(tenant_id, {})\n",
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._identity: dict[int, str | None] = {}
        self._reported: set[int] = set()

    def _identity_param(self, fn: FunctionNode) -> str | None:
        key = id(fn)
        if key not in self._identity:
            names = self.ctx.words.identity_names
            self._identity[key] = next(
                (p.name for p in params_of(fn) if p.name in names and p.kind != "kwarg"), None
            )
        return self._identity[key]

    def _has_context(self) -> bool:
        """A user-context parameter of an enclosing def/lambda, or of the class."""
        ctx = self.ctx
        scopes = ctx.scopes
        for i in range(len(scopes) - 1, 0, -1):
            node = scopes[i].node
            if scopes[i].kind == "class":
                return False
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                if ctx.context_param(node) is not None:
                    return True
                parent = scopes[i - 1].node
                if isinstance(parent, ast.ClassDef):
                    return ctx.class_context_param(parent) is not None
        return False

    def _fanout_helper(self, fn: FunctionNode) -> bool:
        """A module-level function every caller in the project calls inside a loop over
        identities, serving no single user (a system-wide fan-out)."""
        ctx = self.ctx
        if ctx.module_functions.get(fn.name) is not fn:
            return False
        vocab = ctx.vocabulary()
        return any(vocab.is_fanout_helper(n) for n in ctx.vocabulary_names(fn.name))

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if not isinstance(func, ast.Attribute):
            return
        if not self.facts.matches(func.attr, "send_methods"):
            return
        fn, identity = None, None
        for candidate in self.ctx.enclosing_functions():
            identity = self._identity_param(candidate)
            if identity is not None:
                fn = candidate
                break
        if fn is None or id(fn) in self._reported or self._has_context():
            return
        target = self.facts.shared_receiver(func.value)
        if target is None or self._fanout_helper(fn):
            return
        self._reported.add(id(fn))
        self.report(fn, name=fn.name, identity=identity, method=func.attr, target=target)


# --------------------------------------------------------------------------- NWS303


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
    assumed to hold the context.

    Callees that must be given a context (configured factories, user-scoped types, a
    context parameter without default) are NWS301 instead: one call never gets both.

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
    message = "call of `{name}` does not pass the user context in scope (`{context}`) as `{param}`"
    summary = "A user context is in scope but a callee accepting one is called without it."
    options = ("context-names", "context-types")

    INVALID = [
        # a module function with an optional context, async
        (
            "async def send_progress(event, user_context=None):\n"
            "    return await create_websocket_manager(user_context).send_event(event)\n"
            "\n"
            "async def run(user_context):\n"
            "    await send_progress('started')  # expect: NWS303@11\n"
            "    await send_progress('done', user_context)\n"
        ),
        # a method through self, self.user_context in scope; keyword-only parameter
        (
            "class AgentService:\n"
            "    def __init__(self, user_context):\n"
            "        self.user_context = user_context\n"
            "\n"
            "    def _audit(self, message, *, context=None):\n"
            "        return audit_log.write(context.user_id if context else None, message)\n"
            "\n"
            "    async def execute(self, prompt):\n"
            "        self._audit(prompt)  # expect: NWS303@9\n"
            "        return self._audit(prompt, context=self.user_context)\n"
        ),
        # a closure and a lambda inside a function with the context; explicit None
        (
            "def load(key, ctx=None):\n"
            "    if ctx is None:\n"
            "        return SHARED_CACHE.get(key)\n"
            "    return store_for(ctx).get(key)\n"
            "\n"
            "def handler(ctx):\n"
            "    def inner():\n"
            "        return load('a')  # expect: NWS303@16\n"
            "    cb = lambda: load('b', None)  # expect: NWS303@18\n"
            "    return inner, cb\n"
        ),
        # a lambda taking the context; odd formatting
        (
            "def fetch(item, user_context=None):\n"
            "    return repo.fetch(item, owner=user_context.user_id)\n"
            "\n"
            "HANDLERS = {\n"
            "    'fetch': lambda user_context: fetch(  # expect: NWS303@35\n"
            "        'x'\n"
            "    ),\n"
            "}\n"
        ),
        # a configured context name; an alias of the function
        (
            '# options: {"extend-context-names": ["req_ctx"]}\n'
            "def log_event(name, req_ctx=None):\n"
            "    return sink.write(name, req_ctx)\n"
            "\n"
            "async def endpoint(req_ctx):\n"
            "    log = log_event\n"
            "    log('hit')  # expect: NWS303@5\n"
        ),
        # parameters recognised by their annotation, under other names
        (
            "from typing import Optional\n"
            "\n"
            "def enrich(payload, *, owner: Optional['UserExecutionContext'] = DEFAULT):\n"
            "    return {**payload, 'user': owner.user_id}\n"
            "\n"
            "async def handle(payload, current: UserExecutionContext):\n"
            "    return enrich(payload, **{})  # forwarded: assumed passed\n"
            "\n"
            "async def handle2(payload, current: UserExecutionContext):\n"
            "    return enrich(payload)  # expect: NWS303@12\n"
        ),
    ]
    VALID = [
        # the callee uses its optional context only to decorate its output
        "def reply(text, user_context=None):\n"
        "    if user_context is not None and user_context.cost:\n"
        "        text += f' (cost: {user_context.cost:.2f})'\n"
        "    return text\n"
        "\n"
        "async def handle(user_context, text):\n"
        "    return reply(text)\n",
        # passed positionally, by keyword, through *args / **kwargs
        "def helper(a, user_context=None):\n"
        "    return a\n"
        "\n"
        "def run(user_context, *args, **kwargs):\n"
        "    helper(1, user_context)\n"
        "    helper(1, user_context=user_context)\n"
        "    helper(*args)\n"
        "    helper(1, **kwargs)\n",
        # no user context in scope
        "def helper(a, user_context=None):\n    return a\n\ndef cron():\n    return helper(1)\n",
        # callees not known to take a context: imported, another object's method
        "from app.util import helper\n"
        "\n"
        "def local(a, user_context=None):\n"
        "    return a\n"
        "\n"
        "def run(user_context, client):\n"
        "    return helper(1), client.local(1)\n",
        # a decorator that may change the signature
        "@retry(times=3)\n"
        "def helper(a, user_context=None):\n"
        "    return a\n"
        "\n"
        "async def run(user_context):\n"
        "    return helper(1)\n",
        # callees that must get a context are NWS301, never NWS303
        "def build(user_context):\n"
        "    return user_context\n"
        "\n"
        "def run(user_context):\n"
        "    return build(), create_websocket_manager()\n",
        # a parameter shadows the module function
        "def helper(a, user_context=None):\n"
        "    return a\n"
        "\n"
        "def run(user_context, helper):\n"
        "    return helper(1)\n",
    ]

    def visit_Call(self, node: ast.Call) -> None:
        facts = self.facts
        target = facts.target(node)
        if target is None or target.must or target.param is None or target.use is None:
            return  # (a callee that only decorates output with its context)
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
        self.report(node, name=target.label, context=context, param=param.name, fix=fix)


# --------------------------------------------------------------------------- NWS304


@register
class PlaceholderContext(_NWS3Rule):
    """
    ## What it does
    Flags a user context (a call of a context type, `UserExecutionContext(...)`)
    built with a literal user id — `"system"`, `"anonymous"`, `0`, an f-string without
    placeholders, passed by keyword `user_id=` or in `user_id`'s position — outside
    test files (`test-paths`); and any user context built at import time (at module
    level or in a class body, default values and decorators included), in any file.
    A block under `if __name__ == "__main__":` does not run at import time.

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
    `context-types`, `test-paths`.
    """

    code = "NWS304"
    name = "placeholder-context"
    message = "user context `{name}(...)` built {how}"
    summary = "User context built with a literal user id, or built at import time."
    options = ("context-types", "test-paths")

    INVALID = [
        # a literal user id by keyword, in a function
        (
            "from app.context import UserExecutionContext\n"
            "\n"
            "async def nightly():\n"
            "    ctx = UserExecutionContext(user_id='system', thread_id='t')  # expect: NWS304@11\n"
            "    return ctx\n"
        ),
        # import time: module level, class body, a default value (any user id)
        (
            "import os\n"
            "import app.context as c\n"
            "\n"
            "DEFAULT = c.UserExecutionContext(user_id=load_id(), run_id='r')  # expect: NWS304@11\n"
            "\n"
            "class Jobs:\n"
            "    ctx = c.UserExecutionContext(user_id=os.environ['UID'])  # expect: NWS304@11\n"
            "\n"
            "def run(uid, ctx=c.UserExecutionContext(uid)):  # expect: NWS304@18\n"
            "    return ctx\n"
        ),
        # positional, f-string without placeholders, numbers; an alias
        (
            "from app.context import UserExecutionContext as UEC\n"
            "\n"
            "def a():\n"
            "    return UEC('anonymous')  # expect: NWS304@12\n"
            "\n"
            "def b():\n"
            "    return UEC(f'system', 't')  # expect: NWS304@12\n"
            "\n"
            "def c():\n"
            "    return [UEC(user_id=0), UEC(user_id=-1)]  # expect: NWS304@13, NWS304@29\n"
        ),
        # a local dataclass: user_id is its second field
        (
            "from dataclasses import dataclass\n"
            "\n"
            "@dataclass\n"
            "class UserExecutionContext:\n"
            "    tenant: str\n"
            "    user_id: str\n"
            "\n"
            "def job(tenant):\n"
            "    return UserExecutionContext(tenant, 'system')  # expect: NWS304@12\n"
        ),
        # a comprehension at module level runs at import time
        (
            "CONTEXTS = [UserExecutionContext(user_id=u) for u in load_users()]"
            "  # expect: NWS304@13\n"
        ),
        # a configured context type, odd formatting
        (
            '# options: {"extend-context-types": ["RequestScope"]}\n'
            "async def warmup():\n"
            "    return await prime(\n"
            "        RequestScope(  # expect: NWS304@9\n"
            '            user_id="admin",\n'
            "        )\n"
            "    )\n"
        ),
    ]
    VALID = [
        # the real user's id
        "async def handle(request):\n"
        "    return UserExecutionContext(user_id=request.user.id, thread_id='main')\n",
        # a script's main block is not import time
        "import sys\n"
        "\n"
        "if __name__ == '__main__':\n"
        "    ctx = UserExecutionContext(user_id=sys.argv[1])\n"
        "    main(ctx)\n",
        # lambdas and functions at module level run later
        "make_ctx = lambda uid: UserExecutionContext(user_id=uid)\n"
        "\n"
        "def factory(uid, *args, **kwargs):\n"
        "    return UserExecutionContext(uid, *args, **kwargs)\n",
        # an f-string with a placeholder; forwarded keywords
        "def f(n, data):\n"
        "    a = UserExecutionContext(user_id=f'user-{n}')\n"
        "    b = UserExecutionContext(**data)\n"
        "    return a, b\n",
        # other callables with similar names
        "def g(ctx):\n"
        "    a = UserExecutionContextFactory('system')\n"
        "    b = UserExecutionContext.from_token('abc')\n"
        "    return a, b, ctx.with_user('system')\n",
        # ids declared as deliberate system contexts; a test class in application code
        '# options: {"system-user-ids": ["scheduler", "health-check"]}\n'
        "def nightly():\n"
        "    return UserExecutionContext(user_id='scheduler', thread_id='nightly')\n"
        "\n"
        "def probe():\n"
        "    return UserExecutionContext('health-check')\n"
        "\n"
        "class TestChatHandler:\n"
        "    def test_reply(self):\n"
        "        return UserExecutionContext(user_id='system', thread_id='t')\n",
        # test files may use literal ids (here every file is a test file)
        '# options: {"test-paths": ["*.py"]}\n'
        "def make_test_context():\n"
        "    return UserExecutionContext(user_id='test-user', thread_id='t1')\n",
    ]

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
        if literal is not None and not self._system_id(value):
            self.report(node, name=label, how=f"with the literal user id {literal}")

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


# --------------------------------------------------------------------------- NWS305


@register
class OptionalContextParameter(_NWS3Rule):
    """
    ## What it does
    *Audit.* Flags a context factory or a user-scoped `__init__` whose user-context
    parameter defaults to `None`: a function of the module (top level) or a
    configured factory (`context-factories`, methods included) taking a user context,
    or the `__init__` of any class (taking a user context makes it user-scoped).
    Reported at the `def`.

    ## Why is this bad?
    An optional context invites callers to leave it out, and the code then falls back
    to shared state (`self.user_context = None`, a process-wide manager): the very leak
    the factory pattern removes. NWS301/NWS303 catch the calls; this catches the
    signature that allows them.

    ## Example
    ```python
    class WebSocketManager:
        def __init__(self, user_context: UserExecutionContext | None = None) -> None:
            self.user_context = user_context
    ```

    ## Use instead
    ```python
    class WebSocketManager:
        def __init__(self, user_context: UserExecutionContext) -> None:
            self.user_context = user_context
    ```

    ## Fix
    No automatic fix: making the parameter required breaks the callers that omit it
    (NWS301 shows them).

    ## Options
    `context-factories`, `context-names`, `context-types`.
    """

    code = "NWS305"
    name = "optional-context-parameter"
    message = "`{name}` takes an optional user context: `{param}` defaults to `None`"
    summary = "Context factory or user-scoped `__init__` whose user context defaults to `None`."
    audit = True
    options = ("context-factories", "context-names", "context-types")

    INVALID = [
        # a module-level factory, annotated Optional
        (
            '# options: {"audit": true}\n'
            "from typing import Optional\n"
            "\n"
            "def create_websocket_manager(user_context: Optional[UserExecutionContext] = None):"
            "  # expect: NWS305@1\n"
            "    return WebSocketManager(user_context)\n"
        ),
        # a user-scoped __init__, decorated, keyword-only: reported at the def
        (
            '# options: {"audit": true}\n'
            "class SessionWebSocketManager:\n"
            "    @log_calls\n"
            "    def __init__(self, websocket, *, user_context=None):  # expect: NWS305@5\n"
            "        self.websocket = websocket\n"
        ),
        # any class whose __init__ takes a context by name
        (
            '# options: {"audit": true}\n'
            "class Tracker:\n"
            "    def __init__(self, ctx=None):  # expect: NWS305@5\n"
            "        self.ctx = ctx\n"
        ),
        # an async module function, a string annotation with a union
        (
            '# options: {"audit": true}\n'
            "async def build_bridge(run_id, owner: 'UserExecutionContext | None' = None):"
            "  # expect: NWS305@1\n"
            "    return run_id, owner\n"
        ),
        # a configured factory as a method; odd formatting
        (
            '# options: {"audit": true}\n'
            "class Factory:\n"
            "    def create_websocket_manager(  # expect: NWS305@5\n"
            "        self,\n"
            "        user_context\n"
            "        =\n"
            "        None,\n"
            "    ):\n"
            "        return user_context\n"
        ),
    ]
    VALID = [
        # required context
        '# options: {"audit": true}\n'
        "def create_websocket_manager(user_context: UserExecutionContext):\n"
        "    return WebSocketManager(user_context)\n",
        # a default that is not None
        '# options: {"audit": true}\n'
        "class Job:\n"
        "    def __init__(self, context=DEFAULT_CONTEXT):\n"
        "        self.context = context\n",
        # other methods and nested functions are not factories
        '# options: {"audit": true}\n'
        "class Manager:\n"
        "    def send(self, message, user_context=None):\n"
        "        def inner(ctx=None):\n"
        "            return ctx\n"
        "        return inner\n",
        # *args / **kwargs named like a context are not a context parameter; lambdas
        '# options: {"audit": true}\n'
        "def f(*context, **ctx):\n"
        "    return context, ctx\n"
        "\n"
        "g = lambda user_context=None: user_context\n",
        # no context parameter at all; None defaults of other parameters
        '# options: {"audit": true}\n'
        "async def create_websocket_manager_pool(size=None, user_id=None):\n"
        "    return size, user_id\n",
    ]

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        args = node.args
        if not any(_is_none(d) for d in (*args.defaults, *args.kw_defaults) if d is not None):
            return
        cp = self.ctx.context_param(node)
        if cp is None or not cp.default_is_none:
            return
        scope = self.ctx.scope
        if scope.kind == "class" and isinstance(scope.node, ast.ClassDef):
            if cp.param.index == 0:
                return  # the context would be ``self``
            if node.name == "__init__":
                name = f"{scope.node.name}.__init__"
            elif self.facts.matches(node.name, "context_factories"):
                name = f"{scope.node.name}.{node.name}"
            else:
                return
        elif scope.kind == "module" or self.facts.matches(node.name, "context_factories"):
            name = node.name
        else:
            return
        if any(_decorator_name(d) == "overload" for d in node.decorator_list):
            return
        self.report(node, name=name, param=cp.param.name)

    visit_AsyncFunctionDef = visit_FunctionDef
