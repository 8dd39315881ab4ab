"""NWS102 deprecated-accessor-import."""

from __future__ import annotations

import ast

from netra_ws_lint.rules.base import Rule, register


@register
class DeprecatedAccessorImport(Rule):
    """
    ## What it does
    Flags an import of a deprecated process-wide accessor
    (`from app.websocket_core import get_websocket_manager`), once per import
    statement, aliased or not, at module level or inside a function — only when no
    call through the import is reported in the import's scope (a re-export, a function
    object handed on, an unused import): an import followed by its reported call is
    one finding, the call's (NWS101). Not flagged: an accessor the project migrated in
    place (its definition takes a user-context parameter; see NWS101): importing it is
    importing a per-user factory.

    Audit only (`--audit`, or selecting NWS102): an import whose scope never reads the
    name, an unused import or a re-export (a package `__init__` keeping old imports
    working): the modules that import it from there and call it are where to act, and
    the import goes with the last of them.

    ## Why is this bad?
    While the name is imported, the process-wide manager is one call away, and new
    code copies the old pattern. Removing the import finishes the migration of a
    module.

    ## Example
    ```python
    from app.websocket_core import get_websocket_manager, WebSocketMessage
    ```

    ## Use instead
    ```python
    from app.websocket_core import create_websocket_manager, WebSocketMessage
    ```

    ## Fix
    Updated together with the NWS101 fix of the last call that uses the import.

    ## Options
    `deprecated-accessors`.
    """

    code = "NWS102"
    name = "deprecated-accessor-import"
    serves_requests = "An import of the accessor matters only in code that runs."
    message = "import of deprecated process-wide accessor `{name}`"
    summary = "Import of a deprecated process-wide accessor."
    trigger = ("{accessors}",)
    migration = True
    migration_advice = "the import stays while the sites above still use the accessor"
    options = ("deprecated-accessors",)

    INVALID = [
        # the accessor handed on as a value: a dependency, a callback
        """
        from fastapi import Depends
        from app.websocket_core import get_websocket_manager  # expect: NWS102@1

        async def send(user_id: str, manager=Depends(get_websocket_manager)):
            await manager.send_to_user(user_id, {})
        """,
        """
        from app.websocket_core import (  # expect: NWS102
            WebSocketMessage,
            get_websocket_manager as gwm,
        )

        HOOKS = {"manager": gwm, "message": WebSocketMessage}
        """,
        """
        def handler():
            from .core import get_websocket_manager  # expect: NWS102@5
            return get_websocket_manager  # not a call
        """,
        """
        try:
            from app.ws import get_websocket_manager  # expect: NWS102@5
        except ImportError:
            from legacy.ws import get_websocket_manager  # expect: NWS102@5

        register_provider(get_websocket_manager)
        """,
    ]
    VALID = [
        # an unused import and a package's re-export (audit: the modules calling it
        # are where to act)
        """
        # file: app/__init__.py
        # file: app/websocket_core/__init__.py
        from .manager import get_websocket_manager, WebSocketManager

        __all__ = ["get_websocket_manager", "WebSocketManager"]
        # file: app/websocket_core/manager.py
        def get_websocket_manager():
            return WebSocketManager.instance()
        # file: app/health.py
        from app.websocket_core import get_websocket_manager
        """,
        # an accessor migrated in place (it takes the user context), re-exported or
        # imported for calls that pass one
        """
        # file: app/__init__.py
        # file: app/ws.py
        def get_websocket_manager(user_context=None):
            return _managers.for_user(user_context)
        # file: app/compat.py
        from app.ws import get_websocket_manager
        # file: app/use.py
        from .ws import get_websocket_manager as get_manager

        async def notify(user_id, event):
            ctx = await load_session(user_id)
            await get_manager(ctx).send_to_user(user_id, event)
        """,
        """
        from app.websocket_core import create_websocket_manager
        """,
        # a function-local import directly followed by its call: NWS101 reports the call
        """
        def handler(user_id):
            from app.ws import get_websocket_manager
            return get_websocket_manager().send_to_user(user_id, {})
        """,
        # importing the module is not importing the accessor
        """
        import app.websocket_core as wc
        """,
        """
        from app.websocket_core import get_websocket_manager_stats
        """,
        """
        from app import get_websocket_manager_v2 as get_websocket
        """,
    ]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        for alias in node.names:
            if self.ctx.is_deprecated_accessor(f"{module}.{alias.name}"):
                if self.ctx.imported_accessor_takes_context(node, alias):
                    return  # migrated in place: a factory taking the user context
                bound = alias.asname or alias.name
                if not self._call_reported(bound):
                    self.report(node, audit=not self._used(bound), name=alias.name)
                return

    def _used(self, bound: str) -> bool:
        """The import's scope reads the imported name (hands the accessor on, calls it)."""
        return any(
            isinstance(n, ast.Name) and n.id == bound and isinstance(n.ctx, ast.Load)
            for n in ast.walk(self.ctx.scope.node)
        )

    def _call_reported(self, bound: str) -> bool:
        """NWS101 reports a call through the imported name in the import's scope
        (then that call is the one finding for the import)."""
        ctx = self.ctx
        if not ctx.reports("NWS101"):
            return False
        return any(
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Name)
            and n.func.id == bound
            and not ctx.passes_user_context(n)
            for n in ast.walk(ctx.scope.node)
        )
