"""The project's call graph, for the migration: who calls a function, whether the user
context is in scope at each call, and the call chains up to a context or an entry point.

Functions are the module-level ``def``s and the methods of module-level classes, named
``module.func`` / ``module.Class.method``. A call resolves when it names a function of
the same module, an imported one (through aliases and re-exports), ``module.func`` of an
imported module, or ``self.method`` in a method of the same class. Any other call that
ends in a function's name (``obj.notify(...)``) is *unresolved*: it may be a call of
that function, so nothing that depends on knowing every caller (context threading) is
done to it. The tool reads the code; it never imports it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from netra_ws_lint.analysis.semantic import FUNCTION_TYPES, Context, FunctionNode, params_of
from netra_ws_lint.config import Settings

CONTEXT_AVAILABLE = "context available"
CONTEXT_MISSING = "context must be created"
MAX_CHAINS = 50  # chains listed per function (the rest are counted)


@dataclass
class Function:
    qualname: str
    module: str
    path: str  # as displayed
    node: FunctionNode
    cls: ast.ClassDef | None
    context: str | None  # the user context in scope in its body (its source text)
    context_optional: bool = False  # the context parameter defaults to None


@dataclass
class CallSite:
    caller: Function | None  # None: module level or a nested function
    callee: Function
    path: str
    call: ast.Call

    @property
    def line(self) -> int:
        return self.call.lineno

    @property
    def context(self) -> str | None:
        if self.caller is None or self.caller.context_optional:
            return None
        return self.caller.context


@dataclass
class Chain:
    """Call sites from a caller down to the function (``sites[0]`` calls the function)."""

    sites: list[CallSite]
    status: str  # CONTEXT_AVAILABLE or CONTEXT_MISSING
    entry: str  # where the chain starts: the caller with a context, or the entry point

    def names(self, function: Function) -> list[str]:
        out = [self.entry]
        for site in reversed(self.sites):
            out.append(site.callee.qualname)
        return out if self.sites else [function.qualname]


@dataclass
class Module:
    name: str
    is_package: bool
    path: str
    tree: ast.Module
    ctx: Context
    imports: dict[str, str] = field(default_factory=dict)  # local name -> absolute name
    functions: dict[str, Function] = field(default_factory=dict)  # local dotted -> Function


def _absolute(module: str, is_package: bool, level: int, target: str | None) -> str:
    from netra_ws_lint.analysis.vocabulary import absolute_import

    return absolute_import(module, is_package, level, target)


def _self_name(fn: FunctionNode) -> str | None:
    params = params_of(fn)
    if any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in fn.decorator_list):
        return None
    return params[0].name if params and params[0].kind in ("pos", "posonly") else None


class CallGraph:
    def __init__(self) -> None:
        self.modules: dict[str, Module] = {}
        self.functions: dict[str, Function] = {}
        self.callers: dict[str, list[CallSite]] = {}
        self.unresolved: dict[str, list[tuple[str, int]]] = {}  # qualname -> (path, line)
        self.referenced: dict[str, list[tuple[str, int]]] = {}  # used as a value
        self._at: dict[tuple[str, int], Function] | None = None
        self.all_modules: list[Module] = []
        self.ambiguous: set[str] = set()  # module names that two files have

    # -------------------------------------------------------------- building
    @classmethod
    def build(cls, files: Iterable[tuple[Path, str, ast.Module, str, Settings]]) -> CallGraph:
        """From ``(real path, display, tree, source, settings)`` of every file."""
        from netra_ws_lint.analysis.project import module_name

        graph = cls()
        for real, display, tree, source, settings in files:
            name, is_package = module_name(real)
            graph._add_module(
                Module(name, is_package, display, tree, Context(tree, source, display, settings))
            )
        for mod in graph.all_modules:
            graph._collect_calls(mod)
        return graph

    def _add_module(self, mod: Module) -> None:
        self.all_modules.append(mod)
        duplicate = mod.name in self.modules
        if duplicate:
            # two files, one module name (two source roots): the calls of both are
            # collected (the second one's as module-level code), names resolve to the
            # first, and nothing of that module is threaded
            self.ambiguous.add(mod.name)
        else:
            self.modules[mod.name] = mod
        for stmt in mod.tree.body:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname:
                        mod.imports[alias.asname] = alias.name
                    else:
                        top = alias.name.partition(".")[0]
                        mod.imports[top] = top
            elif isinstance(stmt, ast.ImportFrom):
                base = _absolute(mod.name, mod.is_package, stmt.level or 0, stmt.module)
                for alias in stmt.names:
                    if alias.name != "*":
                        qual = f"{base}.{alias.name}" if base else alias.name
                        mod.imports[alias.asname or alias.name] = qual
            elif duplicate:
                continue
            elif isinstance(stmt, FUNCTION_TYPES):
                self._add_function(mod, stmt, None)
            elif isinstance(stmt, ast.ClassDef):
                for sub in stmt.body:
                    if isinstance(sub, FUNCTION_TYPES):
                        self._add_function(mod, sub, stmt)

    def _add_function(self, mod: Module, fn: FunctionNode, cls: ast.ClassDef | None) -> None:
        local = f"{cls.name}.{fn.name}" if cls is not None else fn.name
        context: str | None = None
        optional = False
        cp = mod.ctx.context_param(fn)
        if cp is not None:
            context, optional = cp.param.name, cp.default_is_none
        elif cls is not None:
            ccp = mod.ctx.class_context_param(cls)
            attr = mod.ctx.self_context_attr(cls, ccp) if ccp is not None else None
            self_name = _self_name(fn)
            if attr and self_name and fn.name != "__init__":
                context, optional = f"{self_name}.{attr}", ccp is not None and ccp.default_is_none
        f = Function(f"{mod.name}.{local}", mod.name, mod.path, fn, cls, context, optional)
        mod.functions[local] = f
        self.functions[f.qualname] = f

    def resolve_name(self, qualname: str) -> Function | None:
        """The function an absolute name refers to, through imports and re-exports."""
        seen: set[str] = set()
        while qualname not in seen and len(seen) < 32:
            seen.add(qualname)
            if qualname in self.functions:
                return self.functions[qualname]
            module, _, attr = qualname.rpartition(".")
            mod = self.modules.get(module)
            if mod is None:
                return None
            nxt = mod.imports.get(attr)
            if nxt is None:
                return None
            qualname = nxt
        return None

    def _resolve_call(
        self, mod: Module, func: ast.expr, cls: ast.ClassDef | None, self_name: str | None
    ) -> Function | None:
        if isinstance(func, ast.Name):
            if func.id in mod.functions:
                return mod.functions[func.id]
            qual = mod.imports.get(func.id)
            return self.resolve_name(qual) if qual else None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            base = func.value.id
            if cls is not None and base == self_name:
                return mod.functions.get(f"{cls.name}.{func.attr}")
            qual = mod.imports.get(base)
            if qual:
                return self.resolve_name(f"{qual}.{func.attr}")
        return None

    def _collect_calls(self, mod: Module) -> None:
        last_names = {f.node.name for f in self.functions.values()}
        for caller, body, cls in self._bodies(mod):
            self_name = _self_name(caller.node) if caller is not None and cls is not None else None
            calls: set[int] = set()
            for node in body:
                if isinstance(node, ast.Call):
                    calls.add(id(node.func))
                    target = self._resolve_call(mod, node.func, cls, self_name)
                    if target is not None:
                        self.callers.setdefault(target.qualname, []).append(
                            CallSite(caller, target, mod.path, node)
                        )
                        continue
                    name = node.func.attr if isinstance(node.func, ast.Attribute) else None
                    if name in last_names:
                        for f in self.functions.values():
                            if f.node.name == name:
                                self.unresolved.setdefault(f.qualname, []).append(
                                    (mod.path, node.lineno)
                                )
            for node in body:
                if (
                    isinstance(node, (ast.Name, ast.Attribute))
                    and isinstance(node.ctx, ast.Load)
                    and id(node) not in calls
                ):
                    target = self._resolve_call(mod, node, cls, self_name)
                    if target is not None and (caller is None or target is not caller):
                        self.referenced.setdefault(target.qualname, []).append(
                            (mod.path, node.lineno)
                        )

    def _bodies(
        self, mod: Module
    ) -> Iterator[tuple[Function | None, list[ast.AST], ast.ClassDef | None]]:
        """Each function's own nodes (not those of nested defs/lambdas, which count as
        module level: no context of theirs is known), and the rest of the module."""
        owned: set[int] = set()
        for f in mod.functions.values():
            nodes = list(_own_nodes(f.node))
            owned.update(id(n) for n in nodes)
            yield f, nodes, f.cls
        rest = [n for n in ast.walk(mod.tree) if id(n) not in owned]
        yield None, rest, None

    # -------------------------------------------------------------- questions
    def function_at(self, path: str, line: int) -> Function | None:
        """The function whose ``def`` is at ``line`` of ``path`` (where NWS302 reports)."""
        if self._at is None:
            self._at = {(f.path, f.node.lineno): f for f in self.functions.values()}
        return self._at.get((path, line))

    def chains(self, function: Function, limit: int = MAX_CHAINS) -> tuple[list[Chain], int]:
        """The call chains that reach ``function``, each ending where a user context is
        in scope or at an entry point (a function nobody in the project calls, or module
        level code); and how many more there were than ``limit``."""
        out: list[Chain] = []
        more = 0

        def up(fn: Function, path: list[CallSite], seen: set[str]) -> None:
            nonlocal more
            sites = self.callers.get(fn.qualname, [])
            if not sites:
                if len(out) < limit:
                    out.append(Chain(path, CONTEXT_MISSING, fn.qualname))
                else:
                    more += 1
                return
            for site in sites:
                chain = [*path, site]
                if site.context is not None or site.caller is None:
                    status = CONTEXT_AVAILABLE if site.context is not None else CONTEXT_MISSING
                    entry = site.caller.qualname if site.caller else f"{site.path} (module level)"
                    if len(out) < limit:
                        out.append(Chain(chain, status, entry))
                    else:
                        more += 1
                elif site.caller.qualname not in seen:
                    up(site.caller, chain, seen | {site.caller.qualname})

        up(function, [], {function.qualname})
        return out, more


def _own_nodes(fn: FunctionNode) -> Iterator[ast.AST]:
    stack: list[ast.AST] = list(fn.body)  # decorators and defaults run at definition
    while stack:
        node = stack.pop()
        if isinstance(node, (*FUNCTION_TYPES, ast.Lambda, ast.ClassDef)):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))
