"""The per-file context the rules share (:class:`Context`): the scopes of the walk,
import resolution, and the "words" of the spec (user context, user identity,
factories, user-scoped types), and whether a user context is in scope.

Module-level facts are collected before the walk, so a function body sees module
bindings defined below it. Scopes and bindings themselves are in :mod:`.scopes`
(its names are re-exported here for the code that imports them from this module).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netra_ws_lint.analysis.frameworks import serving_request
from netra_ws_lint.analysis.idioms import self_param
from netra_ws_lint.analysis.scopes import (
    COMPREHENSIONS,
    FUNCTION_TYPES,
    SCOPE_TYPES,
    Binding,
    FunctionNode,
    Param,
    Scope,
    annotation_names,
    comprehension_binds,
    dotted_name,
    is_optional_annotation,
    iter_child_stmts_no_scopes,
    iter_statements_no_scopes,
    params_of,
    reaches,
    rebindings,
)
from netra_ws_lint.config import Settings, matches_any

if TYPE_CHECKING:
    from netra_ws_lint.analysis.project import ProjectIndex
    from netra_ws_lint.analysis.vocabulary import ProjectVocabulary
    from netra_ws_lint.model import Finding

__all__ = [
    "COMPREHENSIONS",
    "FUNCTION_TYPES",
    "SCOPE_TYPES",
    "Binding",
    "Context",
    "ContextParam",
    "FunctionNode",
    "Param",
    "Scope",
    "annotation_names",
    "dotted_name",
    "iter_child_stmts_no_scopes",
    "iter_statements_no_scopes",
    "params_of",
]

_VAGUE_ANNOTATIONS = frozenset(
    {"Any", "typing.Any", "object", "Optional", "typing.Optional", "None"}
)


@dataclass
class ContextParam:
    """A function's user-context parameter."""

    param: Param
    has_default: bool
    default_is_none: bool


_REBOUND = {
    "assignment": "reassigned",
    "loop": "rebound by a `for` loop",
    "del": "deleted",
    "walrus": "rebound by `:=`",
    "with": "rebound by `with ... as`",
    "except": "rebound by `except ... as`",
    "import": "rebound by an import",
    "def": "redefined",
    "class": "redefined",
    "match": "rebound by a `match` pattern",
    "global": "declared global",
}


class Context:
    """Per-file state shared by all rules during the single walk."""

    def __init__(self, tree: ast.Module, source: str, path: str, settings: Settings) -> None:
        self.tree = tree
        self.source = source
        self.path = path
        self.settings = settings
        self.words = settings.words
        self.findings: list[Finding] = []
        self.module_scope = Scope("module", tree, has_walrus=":=" in source)
        self.scopes: list[Scope] = [self.module_scope]
        # stack of enclosing nodes (the walker keeps it), innermost last
        self.node_stack: list[ast.AST] = []
        self._resolving: set[str] = set()  # local aliases being followed
        # per-file facts several rules share, keyed by the family that owns them
        # (lives as long as this Context: nothing outlives the file)
        self.rule_state: dict[str, object] = {}
        # project mode (see project.py): the index of every module, and this file's
        # module; None / unset when a file is checked on its own
        self.project: ProjectIndex | None = None
        self.module_name: str | None = None
        self.is_package = False
        self._vocabulary: ProjectVocabulary | None = None

    def release(self) -> None:
        """Drop the per-file state the rules shared: some of it refers back to this
        Context, and without the cycle the file's tree and analysis are freed as soon
        as the check is done (not by the cyclic garbage collector, later)."""
        self.rule_state.clear()

    # ----------------------------------------------------------------- reporting
    def add_finding(self, finding: Finding) -> None:
        self.findings.append(finding)

    # ----------------------------------------------------------------- scopes
    @property
    def scope(self) -> Scope:
        return self.scopes[-1]

    @property
    def at_module_level(self) -> bool:
        return self.scope.kind == "module"

    @property
    def in_class_body(self) -> bool:
        return self.scope.kind == "class"

    def enclosing_function(self) -> FunctionNode | None:
        """Innermost enclosing ``def`` / ``async def`` (lambdas and comprehensions skipped)."""
        for scope in reversed(self.scopes):
            if isinstance(scope.node, FUNCTION_TYPES):
                return scope.node
            if scope.kind == "class":
                return None
        return None

    def enclosing_functions(self) -> list[FunctionNode]:
        """Every enclosing def, innermost first (stops at a class body)."""
        out: list[FunctionNode] = []
        for scope in reversed(self.scopes):
            if isinstance(scope.node, FUNCTION_TYPES):
                out.append(scope.node)
            elif scope.kind == "class":
                break
        return out

    def enclosing_class(self) -> ast.ClassDef | None:
        """The innermost class around here: the class whose body we are in, or the
        class of the method (or of the method around the nested function) we are in."""
        for scope in reversed(self.scopes):
            if isinstance(scope.node, ast.ClassDef):
                return scope.node
        return None

    def at_import_time(self) -> bool:
        """Code here runs when the module is imported: module level or a class body
        (comprehensions, decorators and default values there included), not inside a
        function or lambda body."""
        return not any(scope.kind in ("function", "lambda") for scope in self.scopes)

    def in_async_function(self) -> bool:
        fn = self.enclosing_function()
        return isinstance(fn, ast.AsyncFunctionDef)

    def lookup(self, name: str, at: ast.AST | None = None) -> Binding | None:
        """The binding ``name`` refers to from the current scope, or None (builtin/unknown).
        With ``at`` (the node of the use), the binding in force there in source order
        (see :meth:`Scope.binding_at`); without it, the scope's last binding."""
        current = self.scope
        for scope in reversed(self.scopes):
            if scope.kind == "class" and scope is not current:
                continue
            if scope.kind != "module" and name in scope.globals:
                module = self.module_scope
                return module.bindings.get(name) if at is None else module.binding_at(name, at)
            binding = scope.bindings.get(name) if at is None else scope.binding_at(name, at)
            if binding is not None:
                return binding
        return None

    def binding_scope(self, name: str) -> Scope | None:
        """The scope that binds ``name`` as seen from the current scope."""
        current = self.scope
        for scope in reversed(self.scopes):
            if scope.kind == "class" and scope is not current:
                continue
            if scope.kind != "module" and name in scope.globals:
                return self.module_scope if name in self.module_scope.bindings else None
            if name in scope.bindings:
                return scope
        return None

    def is_module_global(self, name: str) -> bool:
        """``name`` refers to a module-level binding from here."""
        return self.binding_scope(name) is self.module_scope

    # ----------------------------------------------------------------- names
    def resolve(self, node: ast.AST) -> str | None:
        """Qualified name of a Name/Attribute chain through imports and aliases.

        ``from x import get_websocket_manager as g``: ``g`` -> ``x.get_websocket_manager``;
        ``import pkg.core as wc``: ``wc.get`` -> ``pkg.core.get``; a module-level def or
        an unknown name resolves to its own name; a local variable resolves to None.
        """
        if isinstance(node, ast.Name):
            binding = self.lookup(node.id, node)
            if binding is None:
                return node.id
            if binding.kind == "import":
                return binding.qualname
            if binding.kind in ("def", "class") or self.binding_scope(node.id) is self.module_scope:
                return node.id
            if binding.kind == "assign" and isinstance(binding.value, (ast.Name, ast.Attribute)):
                # a local alias of something else: ``g = get_websocket_manager``
                # (followed once: ``x = x.body`` must not loop)
                target = binding.value
                if node.id not in self._resolving:
                    self._resolving.add(node.id)
                    try:
                        return self.resolve(target)
                    finally:
                        self._resolving.discard(node.id)
            return None
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def callee(self, call: ast.Call) -> str | None:
        """Name of what ``call`` calls: its qualified name, or for a method call on an
        unknown object (``self.x.get_websocket_manager()``) the attribute name."""
        name = self.resolve(call.func)
        if name is None and isinstance(call.func, ast.Attribute):
            return call.func.attr
        return name

    # ----------------------------------------------------------------- words
    def is_deprecated_accessor(self, name: str | None) -> bool:
        return name is not None and matches_any(name, self.words.deprecated_accessors)

    def accessor_context_param(self, func: ast.AST) -> Param | None:
        """The user-context parameter of the deprecated accessor ``func`` names, when the
        project defines it with one (same module, or in project mode anywhere): an
        accessor migrated in place, which builds per user from the context it is given,
        is judged by that signature. None when it takes none or is not defined here."""
        name = self.resolve(func)
        if not self.is_deprecated_accessor(name):
            return None
        local = self.local_definition(name)
        if isinstance(local, FUNCTION_TYPES):
            cp = self.context_param(local)
            return cp.param if cp is not None else None
        if self.project is None:
            return None
        return self._project_function_context(self.project.definition(self, func))

    def imported_accessor_takes_context(self, node: ast.ImportFrom, alias: ast.alias) -> bool:
        """``from m import <accessor>`` imports a deprecated accessor the project
        defines with a user-context parameter (see :meth:`accessor_context_param`)."""
        if self.project is None:
            return False
        from netra_ws_lint.analysis.vocabulary import absolute_import

        module = self.module_name or ""
        base = absolute_import(module, self.is_package, node.level or 0, node.module)
        qual = f"{base}.{alias.name}" if base else alias.name
        return self._project_function_context(self.project.find(qual)) is not None

    def _project_function_context(self, found: dict[str, Any] | None) -> Param | None:
        if found is None or found.get("kind") != "function":
            return None
        assert self.project is not None
        return self.project.context_param(found)

    def accessor_given_context(self, call: ast.Call) -> bool:
        """``call`` calls a deprecated accessor that takes a user context (see
        :meth:`accessor_context_param`) and gives that parameter a value other than a
        literal ``None`` (by position or keyword, or by forwarding ``*args``/``**kwargs``):
        the call gets that user's object, not a process-wide one."""
        param = self.accessor_context_param(call.func)
        if param is None:
            return False
        for kw in call.keywords:
            if kw.arg is None:
                return True
            if kw.arg == param.name and param.kind != "posonly":
                return not _is_none_literal(kw.value)
        if param.kind in ("pos", "posonly"):
            for i, arg in enumerate(call.args):
                if isinstance(arg, ast.Starred):
                    return True
                if i == param.index:
                    return not _is_none_literal(arg)
        return False

    def accessor_replacement(self, name: str) -> str | None:
        last = name.rpartition(".")[2]
        for old, new in self.words.deprecated_accessors.items():
            if old == last or name.endswith("." + old) or name == old:
                return new or None
        return None

    def is_context_annotation(self, annotation: ast.AST | None) -> bool:
        return any(matches_any(n, self.words.context_types) for n in annotation_names(annotation))

    def is_context_param(self, p: Param) -> bool:
        if p.kind in ("vararg", "kwarg"):
            return False
        annotation = p.node.annotation
        if annotation is not None and self.is_context_annotation(annotation):
            return True
        if p.name not in self.words.context_names:
            return False
        # a context name annotated with another type (``ctx: ssl.SSLContext``) is not
        # a user context; unannotated or vaguely annotated ones are
        return annotation is None or set(annotation_names(annotation)) <= _VAGUE_ANNOTATIONS

    def is_context_value(self, value: ast.AST | None) -> bool:
        """An expression that evaluates to a user context: a context-named variable or
        attribute (``request.user_context``), a call of a context type, or a local
        name the function binds to such a call (``system_ctx = UserExecutionContext(...)``
        then ``Engine(system_ctx, ...)``)."""
        if isinstance(value, ast.Name):
            if value.id in self.words.context_names:
                return True
            binding = self.lookup(value.id, value)
            return (
                binding is not None
                and binding.kind == "assign"
                and isinstance(binding.value, ast.Call)
                and self.is_context_value(binding.value)
            )
        if isinstance(value, ast.Attribute):
            # ``self.ctx`` is a user context only when the class takes one (see
            # user_context_expr); ``request.user_context`` is one
            base = value.value
            if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                return False
            return value.attr in self.words.context_names
        if isinstance(value, ast.Call):
            name = self.resolve(value.func)
            return name is not None and matches_any(name, self.words.context_types)
        return False

    def context_param(self, fn: FunctionNode | ast.Lambda | None) -> ContextParam | None:
        """The user-context parameter of ``fn`` (annotated with a context type or named
        with a context name), or None."""
        if fn is None:
            return None
        for p in params_of(fn):
            if self.is_context_param(p):
                d = p.default
                return ContextParam(
                    p, d is not None, isinstance(d, ast.Constant) and d.value is None
                )
        return None

    def init_of(self, cls: ast.ClassDef) -> FunctionNode | None:
        for stmt in cls.body:
            if isinstance(stmt, FUNCTION_TYPES) and stmt.name == "__init__":
                return stmt
        return None

    def class_context_param(self, cls: ast.ClassDef) -> ContextParam | None:
        return self.context_param(self.init_of(cls))

    @cached_property
    def module_functions(self) -> dict[str, FunctionNode]:
        return {
            name: b.node  # type: ignore[misc]
            for name, b in self.module_scope.bindings.items()
            if b.kind == "def"
        }

    @cached_property
    def module_classes(self) -> dict[str, ast.ClassDef]:
        return {
            name: b.node
            for name, b in self.module_scope.bindings.items()
            if b.kind == "class" and isinstance(b.node, ast.ClassDef)
        }

    def local_definition(self, name: str | None) -> FunctionNode | ast.ClassDef | None:
        """The module-level def/class a resolved name refers to (same module)."""
        if name is None or "." in name:
            return None
        return self.module_functions.get(name) or self.module_classes.get(name)

    def is_user_scoped_type(self, name: str | None) -> bool:
        """A user-scoped type: a class of the project whose instances hold per-user
        state or whose ``__init__`` takes a user context (inferred, see vocabulary.py),
        an exact name in ``user-scoped-types``, or, for a name that does not resolve to
        a project class, a ``user-scoped-types`` pattern."""
        return name is not None and self.user_scoped_reason(name) is not None

    def user_scoped_reason(self, name: str) -> str | None:
        vocab = self.vocabulary()
        for candidate in self.vocabulary_names(name):
            if vocab.resolve(candidate) is not None:
                return vocab.type_reason(candidate)
        if matches_any(name, self.words.user_scoped_types):
            return "matches `user-scoped-types`"
        return None

    def leaking_registry(self, name: str | None) -> str | None:
        """Why the class ``name`` (as :meth:`resolve` gives it) is a multi-tenant
        registry whose entries are added and never removed, or None."""
        if name is None:
            return None
        vocab = self.vocabulary()
        for candidate in self.vocabulary_names(name):
            if vocab.resolve(candidate) is not None:
                return vocab.leaking_registry(candidate)
        return None

    def vocabulary(self) -> ProjectVocabulary:
        """The vocabulary in force here: the project's (project mode) or this module's."""
        if self.project is not None:
            return self.project.vocabulary
        if self._vocabulary is None:
            from netra_ws_lint.analysis.vocabulary import ProjectVocabulary, module_facts

            tree = self.tree if not self.is_test_file() else ast.Module(body=[], type_ignores=[])
            facts = module_facts(tree, self.settings, "", False, self.source)
            self._vocabulary = ProjectVocabulary({"": facts}, self.settings)
        return self._vocabulary

    def vocabulary_names(self, name: str) -> list[str]:
        """The absolute names ``name`` (as :meth:`resolve` gives it) may stand for in
        the vocabulary: a definition of this module is qualified with the module, a
        relatively imported one may live in this module's package."""
        module = self.module_name if self.project is not None else None
        if not module:
            return [name]
        if "." not in name and name in self.module_scope.bindings:
            binding = self.module_scope.bindings[name]
            if binding.kind in ("def", "class"):
                return [f"{module}.{name}"]
        package = module if self.is_package else module.rpartition(".")[0]
        return [name, f"{package}.{name}"] if package else [name]

    def is_worker_initializer(self, fn: FunctionNode | None) -> bool:
        """``fn`` is a module-level function a worker pool runs as its
        ``initializer=`` (in this module, or in project mode anywhere): once per worker
        process, for no user; what it keeps in a module global is that worker's own."""
        if fn is None or self.module_functions.get(fn.name) is not fn:
            return False
        vocab = self.vocabulary()
        return any(vocab.is_worker_initializer(n) for n in self.vocabulary_names(fn.name))

    def is_context_factory(self, name: str | None) -> bool:
        """A configured context factory, or a def/class of this module taking a user context."""
        if name is None:
            return False
        if matches_any(name, self.words.context_factories):
            return True
        return self.callable_context_param(name) is not None

    def callable_context_param(self, name: str | None) -> ContextParam | None:
        """The user-context parameter of the same-module function/class ``name``."""
        target = self.local_definition(name)
        if isinstance(target, ast.ClassDef):
            return self.class_context_param(target)
        return self.context_param(target)

    # ----------------------------------------------------------------- user context in scope
    def user_context_expr(self) -> str | None:
        """Source text of a user context usable here, or None: a context parameter of
        an enclosing function, a local bound from one, or ``self.<context name>`` in a
        method of a class whose ``__init__`` takes one."""
        for scope in reversed(self.scopes):  # defs and lambdas, innermost first
            if scope.kind == "class":
                break
            if isinstance(scope.node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                cp = self.context_param(scope.node)
                if cp is not None:
                    return cp.param.name
        for scope in reversed(self.scopes):
            if isinstance(scope.node, FUNCTION_TYPES):
                for name, b in scope.bindings.items():
                    if (
                        b.kind == "assign"
                        and name in self.words.context_names
                        and self.is_context_value(b.value)
                    ):
                        return name
                    if (
                        b.kind == "assign"
                        and b.value is not None
                        and isinstance(b.node, ast.AnnAssign)
                        and self.is_context_annotation(b.node.annotation)
                    ):
                        return name
        fns = self.enclosing_functions()
        if fns:
            method = fns[-1]
            cls = self._class_of_method(method)
            if cls is not None:
                self_name = self_param(method)
                cp = self.class_context_param(cls)
                if self_name and cp is not None:
                    attr = self.self_context_attr(cls, cp)
                    if attr:
                        return f"{self_name}.{attr}"
        return None

    # ------------------------------------------------------- proofs (for the fixes)
    def context_not_proven(self, expr: str, use: ast.AST) -> str | None:
        """Why the user context ``expr`` (from :meth:`user_context_expr`) is not proven
        to hold the user's context at ``use``, or None when it is: the name resolves,
        in source order, to the context parameter (or the one local bound from a
        context), not to a comprehension variable, a local of a nested function, or a
        rebinding (assignment, loop, ``del``, walrus, ``with``/``except`` target,
        import, def) that may run before the use."""
        name = expr.partition(".")[0]
        owner: Scope | None = None
        nested = False
        for scope in reversed(self.scopes):
            if scope.kind == "class" and scope is not self.scope:
                continue
            if scope.kind == "module":
                break
            if scope.kind == "comprehension":
                gen = comprehension_binds(scope.node, name)
                if gen is not None:
                    return (
                        f"`{name}` here is the comprehension's variable (line "
                        f"{gen.target.lineno}), not the user's context"
                    )
                continue
            if name in scope.bindings or rebindings(scope.node, name):
                owner = scope
                break
            nested = nested or scope.kind in ("function", "lambda")
        if owner is None:
            return f"`{name}` is not a name of the enclosing function"
        fn = owner.node
        fn_name = getattr(fn, "name", "lambda")
        found = rebindings(fn, name)
        allowed: ast.AST | None = None
        if "." in expr:
            proper = isinstance(fn, FUNCTION_TYPES) and self_param(fn) == name
        else:
            cp = self.context_param(fn) if isinstance(fn, (*FUNCTION_TYPES, ast.Lambda)) else None
            proper = cp is not None and cp.param.name == name
        if not proper:
            b = owner.bindings.get(name)
            if (
                b is not None
                and b.kind == "assign"
                and len(found) == 1
                and found[0].node is b.node
                and (
                    self.is_context_value(b.value)
                    or (
                        isinstance(b.node, ast.AnnAssign)
                        and self.is_context_annotation(b.node.annotation)
                    )
                )
            ):
                allowed = b.node
                used_at = (getattr(use, "lineno", 0), getattr(use, "col_offset", 0))
                if not nested and b.position > used_at:
                    return f"the user context `{name}` is bound after this call"
            else:
                line = found[0].line if found else getattr(fn, "lineno", 0)
                return (
                    f"`{name}` here is a local name of `{fn_name}` (line {line}), not the "
                    "user's context"
                )
        for r in found:
            if r.node is not allowed and reaches(r, use, nested):
                return f"`{name}` is {_REBOUND[r.how]} at line {r.line}"
        return None

    def local_shadow(self, name: str) -> str | None:
        """Why ``name`` here does not refer to the module-level name: a parameter,
        comprehension variable or other local binding of an enclosing scope; or None."""
        for scope in reversed(self.scopes):
            if scope.kind == "class" and scope is not self.scope:
                continue
            if scope.kind == "module" or name in scope.globals:
                return None
            if scope.kind == "comprehension":
                gen = comprehension_binds(scope.node, name)
                if gen is not None:
                    return f"`{name}` is a comprehension variable here (line {gen.target.lineno})"
                continue
            if isinstance(scope.node, (*FUNCTION_TYPES, ast.Lambda)):
                for p in params_of(scope.node):
                    if p.name == name:
                        owner = getattr(scope.node, "name", "lambda")
                        return f"`{name}` is a parameter of `{owner}` here (line {p.node.lineno})"
            found = rebindings(scope.node, name)
            if found:
                return f"`{name}` is a local name here ({found[0].how} at line {found[0].line})"
        return None

    def optional_context(self, expr: str) -> str | None:
        """Why the user context ``expr`` may be ``None`` (its parameter defaults to
        ``None`` or is annotated as optional), or None."""
        name, _, attr = expr.partition(".")
        cp: ContextParam | None = None
        for scope in reversed(self.scopes):
            if isinstance(scope.node, (*FUNCTION_TYPES, ast.Lambda)):
                if attr and isinstance(scope.node, FUNCTION_TYPES):
                    cls = self._class_of_method(scope.node)
                    cp = self.class_context_param(cls) if cls is not None else None
                    break
                found = self.context_param(scope.node)
                if found is not None and found.param.name == name:
                    cp = found
                    break
        if cp is None:
            return None
        what = f"`{cp.param.name}`" + (f" (kept as `{expr}`)" if attr else "")
        if cp.default_is_none:
            return f"{what} defaults to `None`"
        if is_optional_annotation(cp.param.node.annotation):
            return f"{what} is annotated as optional"
        return None

    def self_context_attr(self, cls: ast.ClassDef, cp: ContextParam) -> str | None:
        """The attribute ``__init__`` keeps the context in (``self.user_context = ...``)."""
        init = self.init_of(cls)
        if init is None:
            return None
        for node in ast.walk(init):
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                value = node.value
                if isinstance(value, ast.Name) and value.id == cp.param.name:
                    for t in targets:
                        if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name):
                            return t.attr
        return None

    def _class_of_method(self, method: FunctionNode) -> ast.ClassDef | None:
        for i, scope in enumerate(self.scopes):
            if scope.node is method and i > 0:
                parent = self.scopes[i - 1]
                return parent.node if isinstance(parent.node, ast.ClassDef) else None
        return None

    def passes_user_context(self, call: ast.Call) -> bool:
        """The call is given a user context: an argument that is one (a context-named
        variable or attribute, the context in scope), a keyword named like a context
        that is not ``None``, or the context's identity fields one by one."""
        from netra_ws_lint.analysis.vocabulary import passes_identity_fields

        in_scope = self.user_context_expr()
        for kw in call.keywords:
            if kw.arg in self.words.context_names and not (
                isinstance(kw.value, ast.Constant) and kw.value.value is None
            ):
                return True
        for value in [*call.args, *(kw.value for kw in call.keywords)]:
            if self.is_context_value(value):
                return True
            if in_scope is not None and dotted_name(value) == in_scope:
                return True
        return passes_identity_fields(call, self.words)

    def reports(self, code: str) -> bool:
        """Findings of rule ``code`` are reported for this file (enabled, and not
        ignored for it by ``per-file-ignores``): when a site could get two codes, the
        other rule defers only to a code that is reported."""
        settings = self.settings
        if not settings.is_enabled(code):
            return False
        ignored = settings.ignored_for(settings.relpath(self.path))
        return not any(code.startswith(prefix) for prefix in ignored)

    def in_test_code(self) -> bool:
        """Test code: a test path, or inside a ``Test*`` class."""
        return self.is_test_file() or any(
            isinstance(s.node, ast.ClassDef) and s.node.name.startswith("Test") for s in self.scopes
        )

    def has_user_context(self) -> bool:
        return self.user_context_expr() is not None

    def has_user_identity(self) -> bool:
        """A user identity is in scope: an identity-named parameter or local of an
        enclosing function, or a user context; or the code serves one request (a
        request handler known by its framework, or what one calls in this module:
        see :mod:`.frameworks`), which the rules treat the same way."""
        return self.acts_for_a_user() or serving_request(self) is not None

    def acts_for_a_user(self) -> bool:
        """An enclosing function names a user: an identity-named (or user-scoped)
        parameter or local, or a user context in scope (unlike
        :meth:`has_user_identity`, serving a request is not enough: a health or status
        endpoint acts for no user)."""
        identity = set(self.words.identity_names)
        for fn in self.enclosing_functions():
            if any(p.name in identity or self.is_user_scoped_param(p) for p in params_of(fn)):
                return True
        for scope in reversed(self.scopes):
            if scope.kind == "module" or scope.kind == "class":
                break
            if identity & scope.bindings.keys():
                return True
        return self.has_user_context()

    def is_user_scoped_param(self, p: Param) -> bool:
        """A parameter annotated with a user-scoped type (``client: Client`` where
        ``Client`` holds one user's state): the function serves that user."""
        if p.kind in ("vararg", "kwarg") or p.node.annotation is None:
            return False
        for name in annotation_names(p.node.annotation):
            if name in _VAGUE_ANNOTATIONS:
                continue
            try:
                node = ast.parse(name, mode="eval").body
            except (SyntaxError, ValueError, RecursionError):
                continue
            if self.is_user_scoped_type(self.resolve(node)):
                return True
        return False

    def is_test_file(self) -> bool:
        return self.settings.is_test_path(
            self.settings.relpath(self.path)
        ) or self.settings.is_test_path(Path(self.path).name)


def _is_none_literal(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None
