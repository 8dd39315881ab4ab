"""NWS1: process-wide singletons of user-scoped objects."""

from __future__ import annotations

import ast

from ..rule import Rule, register


@register
class DeprecatedAccessorCall(Rule):
    """
    ## What it does
    Flags every call of a deprecated process-wide accessor such as
    `get_websocket_manager()`, however it is imported or aliased
    (`from pkg import get_websocket_manager as g; g()`,
    `import pkg.websocket_core as wc; wc.get_websocket_manager()`, method calls).

    ## Why is this bad?
    The accessor returns one object shared by the whole process. A WebSocket manager
    shared by every user delivers one user's events to whoever is registered on it:
    with many users at once, a message for user A can reach user B.

    ## Example
    ```python
    async def run_agent(user_context: UserExecutionContext) -> None:
        manager = get_websocket_manager()
        await manager.send_event("agent_started")
    ```

    ## Use instead
    ```python
    async def run_agent(user_context: UserExecutionContext) -> None:
        manager = create_websocket_manager(user_context)
        await manager.send_event("agent_started")
    ```

    ## Fix
    Safe fix when a user context is in scope (a parameter, `self.user_context`, or a
    local bound from one): the call becomes the configured replacement called with
    that context, and the import is updated. Without a context in scope the site
    needs manual work.

    ## Options
    `deprecated-accessors` (`old -> replacement` pairs), `context-names`, `context-types`.
    """

    code = "NWS101"
    name = "deprecated-accessor-call"
    message = "call of deprecated process-wide accessor `{name}()`; use `{replacement}`"
    summary = "Call of a deprecated process-wide accessor such as `get_websocket_manager()`."
    options = ("deprecated-accessors",)

    INVALID = [
        # plain import, inside an async function
        (
            "from app.websocket_core import get_websocket_manager\n"
            "\n"
            "async def run_agent(user_context):\n"
            "    manager = get_websocket_manager()  # expect: NWS101@15\n"
            "    await manager.send_event('started')\n"
        ),
        # alias and module import, nested function and lambda
        (
            "import app.websocket_core as wc\n"
            "from app.websocket_core import get_websocket_manager as gwm\n"
            "\n"
            "def outer():\n"
            "    def inner():\n"
            "        return wc.get_websocket_manager()  # expect: NWS101@16\n"
            "    later = lambda: gwm()  # expect: NWS101@21\n"
            "    return inner, later\n"
        ),
        # module level (also NWS103), method call on an attribute, decorator argument
        (
            "manager = get_websocket_manager()  # expect: NWS101@11, NWS103\n"
            "\n"
            "class Handler:\n"
            "    @retry(on=services.get_websocket_manager())  # expect: NWS101@15\n"
            "    async def handle(self, message):\n"
            "        await self.registry.get_websocket_manager().broadcast(message)"
            "  # expect: NWS101@15\n"
        ),
        # odd formatting, comprehension, await of the result
        (
            "async def fan_out(users):\n"
            "    return [\n"
            "        await (\n"
            "            get_websocket_manager  # expect: NWS101@13\n"
            "            (\n"
            "            )\n"
            "        ).send_to_user(u, 'hi')\n"
            "        for u in users\n"
            "    ]\n"
        ),
        # a configured accessor of the team's own
        (
            '# options: {"extend-deprecated-accessors": ["get_event_bridge -> create_event_bridge"]}\n'
            "from app.bridge import get_event_bridge\n"
            "bridge = get_event_bridge()  # expect: NWS101\n"
        ),
    ]
    VALID = [
        "async def run_agent(user_context):\n"
        "    manager = create_websocket_manager(user_context)\n"
        "    await manager.send_event('started')\n",
        # only mentioned, never called; strings and comments are not code
        "from app import websocket_core\n"
        "HOOK = websocket_core.get_websocket_manager\n"
        "doc = 'call get_websocket_manager() never'\n"
        "# get_websocket_manager()\n",
        # a local parameter that shadows the name is not the accessor
        "def build(get_websocket_manager):\n"
        "    return get_websocket_manager()\n",
        # similar but different names
        "def f(user_context):\n"
        "    get_websocket_manager_factory()\n"
        "    manager.get_websocket_managers()\n",
    ]

    def visit_Call(self, node: ast.Call) -> None:
        name = self.ctx.callee(node)
        if not self.ctx.is_deprecated_accessor(name):
            return
        assert name is not None
        short = name.rpartition(".")[2]
        replacement = self.ctx.accessor_replacement(name) or "a per-request factory"
        self.report(node, name=short, replacement=replacement)


@register
class DeprecatedAccessorImport(Rule):
    """
    ## What it does
    Flags an import of a deprecated process-wide accessor
    (`from app.websocket_core import get_websocket_manager`), once per import
    statement, aliased or not, at module level or inside a function.

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
    message = "import of deprecated process-wide accessor `{name}`"
    summary = "Import of a deprecated process-wide accessor."
    options = ("deprecated-accessors",)

    INVALID = [
        "from app.websocket_core import get_websocket_manager  # expect: NWS102@1\n",
        "from app.websocket_core import (  # expect: NWS102\n"
        "    WebSocketMessage,\n"
        "    get_websocket_manager as gwm,\n"
        ")\n",
        "def handler():\n"
        "    from .core import get_websocket_manager  # expect: NWS102@5\n"
        "    return get_websocket_manager  # not a call\n",
        "try:\n"
        "    from app.ws import get_websocket_manager  # expect: NWS102@5\n"
        "except ImportError:\n"
        "    from legacy.ws import get_websocket_manager  # expect: NWS102@5\n",
    ]
    VALID = [
        "from app.websocket_core import create_websocket_manager\n",
        # importing the module is not importing the accessor
        "import app.websocket_core as wc\n",
        "from app.websocket_core import get_websocket_manager_stats\n",
        "from app import get_websocket_manager_v2 as get_websocket\n",
    ]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        for alias in node.names:
            if self.ctx.is_deprecated_accessor(f"{module}.{alias.name}"):
                self.report(node, name=alias.name)
                return
