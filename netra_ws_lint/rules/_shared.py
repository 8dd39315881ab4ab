"""Helpers shared by the rules of a family: base classes that hold what several rules do."""

from __future__ import annotations

import ast
from collections.abc import Sequence

from netra_ws_lint.analysis.idioms import (
    ASSIGNMENTS,
    MUTATING_METHODS,
    container_kind,
    container_root,
    in_async_code,
    item_target_roots,
    module_qualname,
    runtime_function,
)
from netra_ws_lint.analysis.resolution import (
    _Facts,
)
from netra_ws_lint.analysis.semantic import Context
from netra_ws_lint.rules.base import Rule


class _BindingRule(Rule):
    """Hands every binding of a value to :meth:`on_binding`: each target of an
    assignment, an annotated assignment with a value, an augmented assignment."""

    def on_binding(self, stmt: ast.stmt, target: ast.expr, value: ast.expr) -> None:
        raise NotImplementedError

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self.on_binding(node, target, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.on_binding(node, node.target, node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.on_binding(node, node.target, node.value)


class _MutationRule(Rule):
    """Finds every mutation of a container (item assignment, ``del``, augmented item
    assignment, mutating method call, on the container or on what it holds) and hands
    the mutated expression to :meth:`on_mutation`."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._reported: set[tuple[int, int]] = set()

    def on_mutation(self, node: ast.AST, root: ast.AST) -> bool:
        """Handle a mutation of ``root`` at ``node``; True when reported."""
        raise NotImplementedError

    def active(self) -> bool:
        """False when nothing in this file can be reported (checked first, cheaply)."""
        return True

    def _targets(self, node: ast.AST, targets: Sequence[ast.AST]) -> None:
        for target in targets:
            if type(target) is ast.Name:  # the common case, no item assignment
                continue
            if not self.active():
                return
            for root in item_target_roots(target):
                if self.on_mutation(node, root):
                    return  # one finding per statement

    def visit_Assign(self, node: ast.Assign) -> None:
        self._targets(node, node.targets)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._targets(node, (node.target,))

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._targets(node, (node.target,))

    def visit_Delete(self, node: ast.Delete) -> None:
        self._targets(node, node.targets)

    def visit_For(self, node: ast.For) -> None:
        self._targets(node, (node.target,))

    def visit_AsyncFor(self, node: ast.AsyncFor) -> None:
        self._targets(node, (node.target,))

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if type(func) is ast.Attribute and func.attr in MUTATING_METHODS and self.active():
            self.on_mutation(node, container_root(func.value))

    def _report_once(self, node: ast.AST, audit: bool = False, **fields: str) -> bool:
        pos = (getattr(node, "lineno", 1), getattr(node, "col_offset", 0))
        if pos in self._reported:
            return True
        self._reported.add(pos)
        self.report(pos, audit=audit, **fields)
        return True


class _ModuleContainerRule(_MutationRule):
    """Mutations of module-level containers, split by where they run."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._containers: dict[str, str] | None = None

    def containers(self) -> dict[str, str]:
        """Module-level names bound to a mutable container: name -> kind."""
        if self._containers is None:
            ctx = self.ctx
            out: dict[str, str] = {}
            for name, binding in ctx.module_scope.bindings.items():
                if binding.kind != "assign" or not isinstance(binding.node, ASSIGNMENTS):
                    continue
                kind = container_kind(binding.value, lambda n: module_qualname(ctx, n))
                if kind is not None:
                    out[name] = kind
            self._containers = out
        return self._containers

    def active(self) -> bool:
        return bool(self.containers())

    def user_path(self) -> bool:
        return in_async_code(self.ctx) or self.ctx.has_user_identity()

    def container_name(self, root: ast.AST) -> str | None:
        """The module-level container ``root`` refers to from here (through a local
        alias ``c = CACHE`` too), or None."""
        if not isinstance(root, ast.Name):
            return None
        containers = self.containers()
        if not containers:
            return None
        name = root.id if root.id in containers else self.ctx.resolve(root)
        if name is None or name not in containers or not self.ctx.is_module_global(name):
            return None
        return name

    def on_mutation(self, node: ast.AST, root: ast.AST) -> bool:
        name = self.container_name(root)
        if name is None:
            return False
        fn = runtime_function(self.ctx)
        if fn is None:  # import time: registration at module level
            return False
        return self.on_runtime_mutation(node, name, fn)

    def on_runtime_mutation(self, node: ast.AST, name: str, fn: ast.AST) -> bool:
        raise NotImplementedError


class _NWS3Rule(Rule):
    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        # one _Facts per checked file, shared by the NWS3 rules of that file
        facts = ctx.rule_state.get("nws3")
        if not isinstance(facts, _Facts):
            facts = _Facts(ctx)
            ctx.rule_state["nws3"] = facts
        self.facts = facts
