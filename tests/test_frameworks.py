"""Request handlers known by their framework (analysis/frameworks.py): which functions
serve one request, on realistic snippets of each framework, what they call in the same
module, configured decorators, Django views registered by another module's urls.py
(project mode) and whether a project is served over ASGI."""

from __future__ import annotations

import ast
from pathlib import Path

from netra_ws_lint.analysis.frameworks import (
    Handler,
    asgi_project,
    request_paths,
    route_references,
)
from netra_ws_lint.analysis.project import ProjectIndex, module_name
from netra_ws_lint.engine.facts import ModuleId, facts_from_tree
from netra_ws_lint.analysis.semantic import Context
from netra_ws_lint.config import Settings, apply_options


def context(source: str, path: str = "app/x.py", **options: object) -> Context:
    settings = Settings()
    if options:
        settings = apply_options(settings, options, "test")
    return Context(ast.parse(source), source, path, settings)


def handlers(source: str, **options: object) -> dict[str, Handler]:
    paths = request_paths(context(source, **options))
    return {fn.name: h for fn, h in paths.handlers.items()}


def names(source: str, **options: object) -> set[str]:
    return set(handlers(source, **options))


def test_fastapi_routes_websockets_and_dependencies() -> None:
    src = (
        "from fastapi import APIRouter, Depends, FastAPI, WebSocket\n"
        "app = FastAPI()\n"
        "router = APIRouter(prefix='/users')\n"
        "def get_db():\n"
        "    yield make_session()\n"
        "def current_user(db=Depends(get_db)):\n"
        "    return db.user\n"
        "@app.get('/health')\n"
        "def health():\n"
        "    return {'ok': True}\n"
        "@router.post('/{user_id}')\n"
        "async def update(user_id: str, user=Depends(current_user)):\n"
        "    return await save(user)\n"
        "@app.websocket('/ws')\n"
        "async def ws(websocket: WebSocket):\n"
        "    await websocket.accept()\n"
        "@app.api_route('/any', methods=['GET', 'POST'])\n"
        "def anything():\n"
        "    pass\n"
        "@app.middleware('http')\n"
        "async def add_header(request, call_next):\n"
        "    return await call_next(request)\n"
        "@app.on_event('startup')\n"
        "async def startup():\n"
        "    pass\n"
        "def listed():\n"
        "    pass\n"
        "app.add_api_route('/listed', listed, methods=['GET'])\n"
        "def save_later(x):\n"
        "    pass\n"
    )
    found = handlers(src)
    assert set(found) == {
        "health", "update", "ws", "anything", "add_header", "listed",
        "current_user", "get_db",  # named in Depends(...) of a handler
    }
    assert found["update"] == Handler("fastapi", True, "@router.post")
    assert found["get_db"].how == "called by update"
    assert "startup" not in found  # a startup hook is not a request path


def test_starlette_routes_and_endpoints() -> None:
    src = (
        "from starlette.applications import Starlette\n"
        "from starlette.endpoints import HTTPEndpoint, WebSocketEndpoint\n"
        "from starlette.routing import Route, WebSocketRoute\n"
        "async def homepage(request):\n"
        "    return render(request)\n"
        "class Users(HTTPEndpoint):\n"
        "    async def get(self, request):\n"
        "        return self.page(request)\n"
        "    def page(self, request):\n"
        "        return 1\n"
        "    def unrelated(self):\n"
        "        return 2\n"
        "class Echo(WebSocketEndpoint):\n"
        "    async def on_receive(self, websocket, data):\n"
        "        await websocket.send_text(data)\n"
        "routes = [Route('/', homepage), Route('/users', endpoint=Users),\n"
        "          WebSocketRoute('/ws', Echo)]\n"
        "app = Starlette(routes=routes)\n"
    )
    found = handlers(src)
    assert set(found) == {"homepage", "get", "page", "on_receive"}
    assert found["homepage"].framework == "starlette" and found["homepage"].event_loop


def test_flask_routes_blueprints_hooks_and_method_views() -> None:
    src = (
        "from flask import Blueprint, Flask, g, request\n"
        "from flask.views import MethodView\n"
        "app = Flask(__name__)\n"
        "bp = Blueprint('orders', __name__)\n"
        "@app.route('/')\n"
        "def index():\n"
        "    return helper(request.args)\n"
        "def helper(args):\n"
        "    return deeper(args)\n"
        "def deeper(args):\n"
        "    return args\n"
        "@bp.get('/orders')\n"
        "def orders():\n"
        "    return []\n"
        "@app.before_request\n"
        "def load_user():\n"
        "    g.user = request.headers.get('X-User')\n"
        "@app.errorhandler(404)\n"
        "def not_found(e):\n"
        "    return 'no', 404\n"
        "class ItemAPI(MethodView):\n"
        "    def get(self, item_id):\n"
        "        return item_id\n"
        "def export():\n"
        "    pass\n"
        "app.add_url_rule('/export', view_func=export)\n"
        "app.add_url_rule('/items/<int:item_id>', view_func=ItemAPI.as_view('item'))\n"
        "def cli_main():\n"
        "    app.run()\n"
    )
    found = handlers(src)
    assert set(found) == {
        "index", "helper", "deeper", "orders", "load_user", "not_found", "get", "export",
    }
    assert found["index"] == Handler("flask", False, "@app.route")
    assert found["deeper"].how == "called by index"


def test_flask_app_factory_and_unresolved_blueprint() -> None:
    src = (
        "from flask import Flask\n"
        "from .blueprints import api\n"
        "def create_app():\n"
        "    app = Flask(__name__)\n"
        "    @app.route('/ping')\n"
        "    def ping():\n"
        "        return 'pong'\n"
        "    return app\n"
        "@api.route('/users/<user>')\n"  # imported blueprint: known by the path literal
        "def user(user):\n"
        "    return user\n"
        "@api.route(name)\n"  # no path literal, unknown object: not assumed
        "def dynamic():\n"
        "    pass\n"
        "cache = {}\n"
        "@cache.get\n"
        "def not_a_route():\n"
        "    pass\n"
    )
    found = handlers(src)
    assert set(found) == {"ping", "user"}
    assert found["user"].framework == "flask"  # the one framework the module imports
    assert "create_app" not in found


def test_django_views_decorators_and_class_based_views() -> None:
    src = (
        "from django.contrib.auth.decorators import login_required\n"
        "from django.http import JsonResponse\n"
        "from django.views import View\n"
        "from django.views.generic import ListView\n"
        "from rest_framework import viewsets\n"
        "from rest_framework.decorators import action, api_view\n"
        "def index(request):\n"
        "    return JsonResponse({})\n"
        "@login_required\n"
        "def profile(req):\n"
        "    return JsonResponse({})\n"
        "@api_view(['GET'])\n"
        "def ping(r):\n"
        "    return JsonResponse({})\n"
        "class OrderView(View):\n"
        "    def post(self, request):\n"
        "        return self.render(request)\n"
        "    def render(self, request):\n"
        "        return JsonResponse({})\n"
        "class Base(ListView):\n"
        "    pass\n"
        "class Orders(Base):\n"
        "    def get_queryset(self):\n"
        "        return []\n"
        "class OrderViewSet(viewsets.ModelViewSet):\n"
        "    def list(self, request):\n"
        "        return []\n"
        "    @action(detail=True)\n"
        "    def cancel(self, request, pk=None):\n"
        "        return []\n"
        "    def helper_not_called(self):\n"
        "        return []\n"
        "def utility(x):\n"
        "    return x\n"
    )
    found = handlers(src)
    assert set(found) == {
        "index", "profile", "ping", "post", "render", "get_queryset", "list", "cancel",
    }
    assert found["index"].framework == "django" and not found["index"].event_loop


def test_django_channels_consumer_is_on_the_event_loop() -> None:
    src = (
        "from channels.generic.websocket import AsyncWebsocketConsumer\n"
        "class Chat(AsyncWebsocketConsumer):\n"
        "    async def receive(self, text_data=None, bytes_data=None):\n"
        "        await self.send(text_data)\n"
    )
    assert handlers(src)["receive"] == Handler("django", True, "receive of class-based view Chat")


def test_django_urls_same_module_and_references() -> None:
    src = (
        "from django.urls import include, path, re_path\n"
        "from django.views.decorators.csrf import csrf_exempt\n"
        "from . import views\n"
        "from .api import OrderView\n"
        "def local(request):\n"
        "    return None\n"
        "urlpatterns = [\n"
        "    path('', views.index, name='index'),\n"
        "    re_path(r'^orders/$', OrderView.as_view()),\n"
        "    path('hook/', csrf_exempt(views.hook)),\n"
        "    path('local/', local),\n"
        "    path('api/', include('api.urls')),\n"
        "]\n"
    )
    ctx = context(src, "mysite/urls.py")
    assert {fn.name for fn in request_paths(ctx).handlers} == {"local"}
    assert route_references(ctx) == [
        ("views.index", "django"), ("OrderView", "django"), ("views.hook", "django"),
    ]


def project(files: dict[Path, str]) -> ProjectIndex:
    entries = []
    for p, text in files.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    for p, text in files.items():
        module, is_package = module_name(p)
        entries.append(
            facts_from_tree(ast.parse(text), text, str(p), ModuleId(module, is_package), Settings())
        )
    return ProjectIndex(entries)


def test_application_object_imported_from_another_module(tmp_path: Path) -> None:
    pkg = tmp_path / "chat"
    socket = (
        "from .server import sio, api\n"
        "@sio.on('connect')\n"
        "async def connect(sid, environ):\n"
        "    pass\n"
        "@api.get('/me')\n"  # known by its path literal anyway
        "def me():\n"
        "    pass\n"
    )
    index = project(
        {
            pkg / "__init__.py": "",
            pkg / "server.py": (
                "import socketio\nfrom fastapi import FastAPI\n"
                "sio = socketio.AsyncServer(async_mode='asgi')\napi = FastAPI()\n"
            ),
            pkg / "socket.py": socket,
        }
    )
    assert index.apps == {
        "chat.server.sio": ("socketio", True),
        "chat.server.api": ("fastapi", True),
    }
    alone = request_paths(context(socket, str(pkg / "socket.py"))).handlers
    assert {fn.name: h.framework for fn, h in alone.items()} == {"me": "web"}
    ctx = context(socket, str(pkg / "socket.py"))
    ctx.project, ctx.module_name = index, "chat.socket"
    found = {fn.name: h for fn, h in request_paths(ctx).handlers.items()}
    assert found["connect"] == Handler("socketio", True, "@sio.on")
    assert found["me"] == Handler("fastapi", True, "@api.get")


def test_registration_arguments_built_at_run_time() -> None:
    src = (
        "from starlette.applications import Starlette\n"
        "from . import constants\n"
        "async def ping(request):\n"
        "    pass\n"
        "async def health(request):\n"
        "    pass\n"
        "def setup(api: Starlette):\n"
        "    api.add_route(str(constants.PING), ping, methods=['GET'])\n"
        "    api.add_route(f'/{constants.HEALTH}', health)\n"
        "    api.add_route(constants.UPLOAD, make_upload(api))\n"  # a factory: unknown
    )
    ctx = context(src)
    assert {fn.name for fn in request_paths(ctx).handlers} == {"ping", "health"}
    assert route_references(ctx) == []


def test_django_view_registered_by_another_module_in_project_mode(tmp_path: Path) -> None:
    pkg = tmp_path / "shop"
    (pkg / "views").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    urls = (
        "from django.urls import path\n"
        "from shop import views\n"
        "urlpatterns = [path('', views.checkout), path('x/', views.Cart.as_view())]\n"
    )
    # views/__init__.py re-exports from views/pages.py: the real definition is found
    (pkg / "views" / "__init__.py").write_text("from .pages import Cart, checkout\n")
    pages = (
        "import json\n"
        "def checkout(r):\n"  # no `request` parameter, no decorator: only urls.py says so
        "    return finish(r)\n"
        "def finish(r):\n"
        "    return json.dumps(r)\n"
        "class Cart:\n"
        "    def get(self, r):\n"
        "        return r\n"
        "def unrelated(r):\n"
        "    return r\n"
    )
    files = {pkg / "urls.py": urls, pkg / "views" / "pages.py": pages}
    for p, text in files.items():
        p.write_text(text)
    entries = []
    for p in [*files, pkg / "views" / "__init__.py", pkg / "__init__.py"]:
        text = p.read_text()
        module, is_package = module_name(p)
        entries.append(
            facts_from_tree(ast.parse(text), text, str(p), ModuleId(module, is_package), Settings())
        )
    urls_entry = entries[0]
    assert urls_entry["routes"] == {"shop.views.checkout": "django", "shop.views.Cart": "django"}
    index = ProjectIndex(entries)
    assert index.routes == {"shop.views.pages.checkout": "django", "shop.views.pages.Cart": "django"}
    ctx = context(pages, str(pkg / "views" / "pages.py"))
    assert {fn.name for fn in request_paths(ctx).handlers} == set()  # alone: unknown
    ctx = context(pages, str(pkg / "views" / "pages.py"))
    ctx.project, ctx.module_name = index, "shop.views.pages"
    assert {fn.name for fn in request_paths(ctx).handlers} == {"checkout", "finish", "get"}


def test_aiohttp_route_table_functions_and_router() -> None:
    src = (
        "from aiohttp import web\n"
        "routes = web.RouteTableDef()\n"
        "@routes.get('/')\n"
        "async def hello(request):\n"
        "    return web.Response(text='hi')\n"
        "@routes.view('/items')\n"
        "class Items(web.View):\n"
        "    async def post(self):\n"
        "        return web.Response()\n"
        "async def listed(request):\n"
        "    return web.Response()\n"
        "async def added(request):\n"
        "    return web.Response()\n"
        "async def on_startup(app):\n"
        "    pass\n"
        "def make_app():\n"
        "    app = web.Application()\n"
        "    app.add_routes([web.get('/listed', listed)])\n"
        "    app.router.add_post('/added', added)\n"
        "    app.on_startup.append(on_startup)\n"
        "    return app\n"
    )
    found = handlers(src)
    assert set(found) == {"hello", "post", "listed", "added"}
    assert found["added"] == Handler("aiohttp", True, "app.router.add_post()")


def test_python_socketio_events() -> None:
    src = (
        "import socketio\n"
        "sio = socketio.AsyncServer(async_mode='asgi')\n"
        "@sio.event\n"
        "async def connect(sid, environ):\n"
        "    pass\n"
        "@sio.on('chat message')\n"
        "async def chat(sid, data):\n"
        "    await sio.emit('reply', data, to=sid)\n"
        "def typed(sid, data):\n"
        "    pass\n"
        "sio.on('typing', typed)\n"
        "class Room(socketio.AsyncNamespace):\n"
        "    async def on_join(self, sid, data):\n"
        "        pass\n"
        "@sio.get('/not-a-socket-thing')\n"
        "def wrong():\n"
        "    pass\n"
    )
    found = handlers(src)
    assert set(found) == {"connect", "chat", "typed", "on_join"}
    assert found["chat"] == Handler("socketio", True, "@sio.on")
    sync = handlers("import socketio\nsio = socketio.Server()\n@sio.event\ndef message(sid, d):\n    pass\n")
    assert sync["message"] == Handler("socketio", False, "@sio.event")


def test_flask_socketio_and_aliases() -> None:
    src = (
        "from flask import Flask\n"
        "from flask_socketio import SocketIO as IO\n"
        "import fastapi as fa\n"
        "app = Flask(__name__)\n"
        "socketio = IO(app)\n"
        "api = fa.FastAPI()\n"
        "route = api.post\n"
        "@socketio.on('message')\n"
        "def handle_message(data):\n"
        "    pass\n"
        "@api.put('/x')\n"
        "def aliased(): ...\n"
    )
    assert names(src) == {"handle_message", "aliased"}


def test_annotated_application_parameter() -> None:
    src = (
        "from fastapi import FastAPI\n"
        "def register(app: FastAPI) -> None:\n"
        "    @app.get('/status')\n"
        "    def status():\n"
        "        return 1\n"
    )
    assert names(src) == {"status"}


def test_configured_request_handler_decorators() -> None:
    src = (
        "from myframework import handler\n"
        "from mybus import bus\n"
        "@handler('orders.created')\n"
        "def on_order(event):\n"
        "    pass\n"
        "@bus.subscribe\n"
        "def on_message(msg):\n"
        "    pass\n"
        "@other\n"
        "def plain():\n"
        "    pass\n"
    )
    assert names(src) == set()
    assert names(
        src, **{"request-handler-decorators": ["myframework.handler", "bus.subscribe"]}
    ) == {"on_order", "on_message"}


def test_ordinary_code_has_no_handlers() -> None:
    src = (
        "import functools\n"
        "class Cache:\n"
        "    def get(self, key):\n"
        "        return key\n"
        "class TreeView:\n"
        "    def get(self):\n"
        "        return 1\n"
        "@functools.lru_cache\n"
        "def load(request):\n"
        "    return request\n"
        "d = {}\n"
        "@d.get('/x')\n"  # a path literal on something that is not a route method... still a get
        "def odd():\n"
        "    pass\n"
    )
    # without a framework import, a first ``request`` parameter is not a Django view;
    # a ``get('/x')`` decorator with a path literal is taken for a route
    assert names(src) == {"odd"}


def test_asgi_project() -> None:
    src = "x = 1\n"
    assert not asgi_project(context(src))
    assert asgi_project(context(src, **{"async-project": True}))
    assert asgi_project(context(src, "mysite/asgi.py"))
    index = ProjectIndex(
        [{"module": "mysite.asgi", "package": False, "defs": {}, "imports": {}}]
    )
    ctx = context(src)
    ctx.project = index
    assert asgi_project(ctx)
    ctx.project = ProjectIndex(
        [{"module": "mysite.wsgi", "package": False, "defs": {}, "imports": {}}]
    )
    assert not asgi_project(ctx)


def test_hostile_shapes_do_not_crash() -> None:
    src = (
        "from fastapi import FastAPI\n"
        "app = FastAPI()\n"
        "@app.get()\n"
        "def no_args(): ...\n"
        "@app\n"
        "def bare(): ...\n"
        "@(lambda f: f)\n"
        "def lam(): ...\n"
        "app.add_api_route()\n"
        "app.add_api_route('/x', lambda: 1)\n"
        "def rec():\n"
        "    return rec()\n"
        "@app.get('/r')\n"
        "def r():\n"
        "    return rec()\n"
    )
    assert names(src) == {"no_args", "rec", "r"}
