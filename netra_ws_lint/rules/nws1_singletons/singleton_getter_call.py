"""NWS105 singleton-getter-call."""

from __future__ import annotations

import ast

from netra_ws_lint.rules.base import Rule, register


@register
class SingletonGetterCall(Rule):
    """
    ## What it does
    In project mode (the CLI checking a directory), flags a call, in any module, of a
    function that NWS104 reports as a singleton getter of a user-scoped type, however
    it is reached: imported under an alias, re-exported through a package's
    `__init__`, called as `module.get_x()`, or called in its own module.

    ## Why is this bad?
    NWS104 flags the getter once, where it is defined; the leak happens at every place
    that calls it. Each call hands the caller the one object shared by every user, so a
    call in a request handler sends one user's events through everybody's manager.

    ## Example
    ```python
    # app/websocket/__init__.py
    from .core import get_manager as manager

    # app/handlers.py
    from app.websocket import manager

    async def handle(user_context: UserExecutionContext) -> None:
        await manager().send_event("started")
    ```

    ## Use instead
    ```python
    from app.websocket import create_websocket_manager

    async def handle(user_context: UserExecutionContext) -> None:
        await create_websocket_manager(user_context).send_event("started")
    ```

    ## Fix
    No automatic fix: build the object per request from the user's context (a context
    factory), then delete the getter once nothing calls it.

    ## Options
    The words of NWS104 (`user-scoped-types`, `allowed-singletons`, the deprecated
    accessors and context factories). Project mode only: the flake8 plugin and a check
    of single files (`--no-project`) do not see other modules.
    """

    code = "NWS105"
    name = "singleton-getter-call"
    message = "call of `{name}()`, a process-wide singleton getter of a user-scoped object"
    summary = "(Project mode) Call of a singleton getter of a user-scoped type, in any module."
    trigger = ("{user-scoped}",)
    migration = True
    migration_advice = "call of a singleton getter: build the object from the user's context"
    project_only = True
    options = ("user-scoped-types", "allowed-singletons")

    # Examples span modules: a line `# file: PATH` starts each module (tests/examples.py)
    INVALID = [
        # imported under an alias, re-exported through a package __init__
        "# file: app/__init__.py\n"
        "# file: app/websocket/__init__.py\n"
        "from .core import get_manager as manager\n"
        "# file: app/websocket/core.py\n"
        "_manager = None\n"
        "\n"
        "def get_manager():\n"
        "    global _manager\n"
        "    if _manager is None:\n"
        "        _manager = UnifiedWebSocketManager()\n"
        "    return _manager\n"
        "# file: app/handlers.py\n"
        "from app.websocket import manager as mgr\n"
        "\n"
        "async def handle(user_context):\n"
        "    await mgr().send_event('started')  # expect: NWS105@11\n",
        # module attribute call, and a call in the defining module itself
        "# file: svc/__init__.py\n"
        "# file: svc/bridge.py\n"
        "from functools import lru_cache\n"
        "\n"
        "@lru_cache\n"
        "def bridge():\n"
        "    return AgentWebSocketBridge()\n"
        "\n"
        "def warm_up():\n"
        "    bridge()  # expect: NWS105@5\n"
        "# file: svc/run.py\n"
        "import svc.bridge as b\n"
        "\n"
        "def run(user_id):\n"
        "    return b.bridge().emit_event(user_id)  # expect: NWS105@12\n",
        # relative import two levels up, nested function
        "# file: core/__init__.py\n"
        "# file: core/ws.py\n"
        "_emitter = None\n"
        "\n"
        "def get_emitter():\n"
        "    global _emitter\n"
        "    if _emitter is None:\n"
        "        _emitter = EventEmitter()\n"
        "    return _emitter\n"
        "# file: core/api/__init__.py\n"
        "# file: core/api/routes.py\n"
        "from ..ws import get_emitter\n"
        "\n"
        "def route():\n"
        "    def inner():\n"
        "        return get_emitter()  # expect: NWS105@16\n"
        "    return inner\n",
        # a deprecated accessor defined as a singleton in the project (also NWS101)
        "# file: legacy/__init__.py\n"
        "from legacy.ws import get_websocket_manager\n"
        "# file: legacy/ws.py\n"
        "_m = None\n"
        "\n"
        "def get_websocket_manager():\n"
        "    global _m\n"
        "    if _m is None:\n"
        "        _m = Manager()\n"
        "    return _m\n"
        "# file: main.py\n"
        "import legacy\n"
        "\n"
        "manager = legacy.get_websocket_manager()  # expect: NWS105@11, NWS101, NWS103\n",
    ]
    VALID = [
        # a getter of a type that is not user-scoped (NWS104 audit only): not flagged
        "# file: db/__init__.py\n"
        "# file: db/engine.py\n"
        "_engine = None\n"
        "\n"
        "def get_engine():\n"
        "    global _engine\n"
        "    if _engine is None:\n"
        "        _engine = create_engine('sqlite://')\n"
        "    return _engine\n"
        "# file: db/use.py\n"
        "from db.engine import get_engine\n"
        "\n"
        "def query(user_id):\n"
        "    return get_engine().execute(user_id)\n",
        # a factory taking the context is not a singleton getter
        "# file: app/__init__.py\n"
        "# file: app/ws.py\n"
        "def create_manager(user_context):\n"
        "    return UnifiedWebSocketManager(user_context)\n"
        "# file: app/h.py\n"
        "from app.ws import create_manager\n"
        "\n"
        "async def handle(user_context):\n"
        "    await create_manager(user_context).send_event('x')\n",
        # a same-named function of another module is not the getter
        "# file: a/__init__.py\n"
        "# file: a/ws.py\n"
        "_m = None\n"
        "\n"
        "def get_manager():\n"
        "    global _m\n"
        "    if _m is None:\n"
        "        _m = UnifiedWebSocketManager()\n"
        "    return _m\n"
        "# file: b/__init__.py\n"
        "# file: b/ws.py\n"
        "def get_manager(user_context):\n"
        "    return build(user_context)\n"
        "# file: b/use.py\n"
        "from b.ws import get_manager\n"
        "\n"
        "def f(user_context):\n"
        "    return get_manager(user_context)\n",
        # an allowed singleton; a reference that is not a call
        '# options: {"allowed-singletons": ["get_hub"]}\n'
        "# file: h/__init__.py\n"
        "# file: h/hub.py\n"
        "_hub = None\n"
        "\n"
        "def get_hub():\n"
        "    global _hub\n"
        "    if _hub is None:\n"
        "        _hub = HubWebSocketManager()\n"
        "    return _hub\n"
        "# file: h/use.py\n"
        "from h.hub import get_hub\n"
        "\n"
        "HOOK = get_hub\n"
        "\n"
        "def f():\n"
        "    return get_hub()\n",
    ]

    def visit_Call(self, node: ast.Call) -> None:
        project = self.ctx.project
        if project is None:
            return
        found = project.definition(self.ctx, node.func)
        if found is None or not found.get("singleton"):
            return
        func = node.func
        label = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "?")
        self.report(node, name=label)
