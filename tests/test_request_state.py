"""Request state in globals and thread-locals (NWS207, NWS208), request handlers
treated like functions with a user identity by the NWS2 rules, and NWS208's ContextVar
rewrite: applied to a module with five thread-local attributes, the rewritten module's
own functions run concurrently in asyncio tasks without seeing each other's values."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from netra_ws_lint.config import Settings, apply_options
from netra_ws_lint.engine.pipeline import check_source
from netra_ws_lint.engine.runner import check_targets
from netra_ws_lint.fix.apply import fix_text
from netra_ws_lint.model import Finding


def run(source: str, audit: bool = False, path: str = "app/x.py", **options: object) -> list[Finding]:
    settings = Settings(audit=audit)
    if options:
        settings = apply_options(settings, options, "test")
    findings = check_source(textwrap.dedent(source), path, settings)
    assert not [f for f in findings if f.code == "NWS901"], findings
    return findings


def codes(findings: list[Finding]) -> list[tuple[int, str]]:
    return sorted((f.line, f.code) for f in findings)


ISSUE_SNIPPET = """\
import threading
_current_user = None
_local = threading.local()

async def handle(user_id: str, request) -> dict:
    global _current_user
    _current_user = user_id          # every concurrent request overwrites it
    _local.user = user_id            # coroutines share the thread: shared by every request
    return await render()
"""


def test_issue_snippet_gives_nws207_and_nws208() -> None:
    found = run(ISSUE_SNIPPET)
    # NWS208 once, at the thread-local's binding, naming the use that makes it unsafe
    assert codes(found) == [(3, "NWS208"), (7, "NWS207")]
    nws208, nws207 = sorted(found)
    assert "`_current_user`" in nws207.message and "`handle`" in nws207.message
    assert "`_local.user` written in `async def handle` (line 8)" in nws208.message
    assert not nws207.audit and not nws208.audit


def test_flask_sync_view_appending_request_data_gives_nws201() -> None:
    src = """\
    from flask import Flask, request

    app = Flask(__name__)
    RECENT = []

    @app.route("/comment", methods=["POST"])
    def comment():
        RECENT.append(request.form["text"])
        return "ok"

    def maintenance():
        RECENT.clear()
    """
    assert codes(run(src)) == [(8, "NWS201")]
    # the same module without the route: a plain function is not a request path
    plain = textwrap.dedent(src).replace('@app.route("/comment", methods=["POST"])\n', "")
    assert codes(run(plain)) == []


def test_request_handler_counts_as_identity_for_other_nws2_rules() -> None:
    src = """\
    import asyncio
    from aiohttp import web

    routes = web.RouteTableDef()
    LOCK = asyncio.Lock()

    @routes.post("/pay")
    def pay(request):
        with LOCK:
            return charge(request)
    """
    assert codes(run(src)) == [(9, "NWS205")]


DJANGO_VIEWS = """\
import threading
from django.http import JsonResponse

class RequestState(threading.local):
    user = None

state = RequestState()

def profile(request):
    state.user = request.user
    return JsonResponse({"name": state.user.username})
"""


def test_django_view_thread_local_subclass_audit_unless_asgi(tmp_path: Path) -> None:
    assert codes(run(DJANGO_VIEWS)) == []
    audit = run(DJANGO_VIEWS, audit=True)
    assert codes(audit) == [(7, "NWS208")]  # once, at the binding of `state`
    assert "`state.user` written in `profile` (line 10)" in audit[0].message
    assert "`state.user` read" not in audit[0].message  # a function's first use only
    assert all(f.audit for f in audit)
    # configured ASGI project: default findings
    assert codes(run(DJANGO_VIEWS, **{"async-project": True})) == [(7, "NWS208")]
    # a project with an asgi.py (checked as a directory, in project mode)
    site = tmp_path / "mysite"
    site.mkdir()
    (site / "__init__.py").write_text("")
    (site / "views.py").write_text(DJANGO_VIEWS)
    (site / "wsgi.py").write_text("application = get_wsgi_application()\n")
    targets = [(p, p.name, Settings(root=tmp_path)) for p in sorted(site.glob("*.py"))]

    def project_findings() -> list[tuple[str, int, str]]:
        results = check_targets(targets, jobs=1, project=True)
        return [(r.path, f.line, f.code) for r in results for f in r.findings]

    assert project_findings() == []  # WSGI only
    (site / "asgi.py").write_text("application = get_asgi_application()\n")
    targets.append((site / "asgi.py", "asgi.py", Settings(root=tmp_path)))
    assert project_findings() == [("views.py", 7, "NWS208")]


def test_django_view_from_urls_py_serves_a_request(tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "__init__.py").write_text("")
    (shop / "urls.py").write_text(
        "from django.urls import path\nfrom shop import views\n"
        "urlpatterns = [path('cart/', views.add_to_cart)]\n"
    )
    (shop / "views.py").write_text(
        "import json\n"
        "CARTS = {}\n"
        "def add_to_cart(r):\n"  # no `request`, no decorator: urls.py says it is a view
        "    CARTS[r.session.session_key] = json.loads(r.body)\n"
    )
    targets = [(p, p.name, Settings(root=tmp_path)) for p in sorted(shop.glob("*.py"))]
    results = check_targets(targets, jobs=1, project=True)
    assert [(r.path, f.line, f.code) for r in results for f in r.findings] == [
        ("views.py", 4, "NWS201")
    ]
    alone = check_targets(targets, jobs=1, project=False)
    assert [f for r in alone for f in r.findings] == []


def test_lazy_engine_getter_and_startup_counter_are_not_request_state() -> None:
    src = """\
    from fastapi import FastAPI

    app = FastAPI()
    _engine = None
    _starts = 0

    def get_engine():
        global _engine
        if _engine is None:
            _engine = create_engine()
        return _engine

    @app.on_event("startup")
    def startup():
        global _starts
        _starts = _starts + 1

    @app.get("/users/{user_id}")
    def user(user_id: str):
        return get_engine().get(user_id)
    """
    found = run(src, audit=True)
    assert [c for c in codes(found) if c[1] in ("NWS207", "NWS208")] == []
    assert codes(found) == [(7, "NWS104")]  # the lazy getter is NWS104's (audit)


# ---------------------------------------------------------------- the ContextVar rewrite

FIVE_ATTRIBUTES = """\
import asyncio
import threading

_local = threading.local()


def bind(user_id, tenant, request_id, locale, trace):
    _local.user = user_id
    _local.tenant = tenant
    _local.request_id = request_id
    _local.locale = locale
    _local.trace = trace


def snapshot():
    return [
        _local.user,
        _local.tenant,
        _local.request_id,
        getattr(_local, "locale", "en"),
        getattr(_local, "trace", None),
    ]


async def handle(user_id):
    bind(user_id, "t-" + user_id, "r-" + user_id, "l-" + user_id, "x-" + user_id)
    await asyncio.sleep(0.01)
    first = snapshot()
    await asyncio.sleep(0.01)
    return first + [_local.user]
"""

HARNESS = """\
import asyncio, importlib.util, json, sys
spec = importlib.util.spec_from_file_location("rewritten", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)

async def main():
    users = [f"u{i}" for i in range(20)]
    results = await asyncio.gather(*(asyncio.create_task(module.handle(u)) for u in users))
    print(json.dumps(dict(zip(users, results))))

asyncio.run(main())
"""


def run_concurrently(source: str, tmp_path: Path) -> dict[str, list[str]]:
    module = tmp_path / "service.py"
    module.write_text(source)
    proc = subprocess.run(
        [sys.executable, "-c", HARNESS, str(module)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, list[str]] = json.loads(proc.stdout)
    return result


def expected(user: str) -> list[str]:
    return [user, f"t-{user}", f"r-{user}", f"l-{user}", f"x-{user}", user]


def test_contextvar_rewrite_of_five_attributes_isolates_concurrent_tasks(tmp_path: Path) -> None:
    before = run_concurrently(FIVE_ATTRIBUTES, tmp_path)
    # the thread-local leaks: tasks read the values the last task wrote
    assert any(values != expected(user) for user, values in before.items())

    found = [f for f in run(FIVE_ATTRIBUTES) if f.code == "NWS208"]
    # one finding, at the binding, default (read in `async def handle`), with the fix
    assert [(f.line, f.audit) for f in found] == [(4, False)]
    assert found[0].fix is not None and found[0].fix.applicability == "unsafe"
    assert "and 6 more" in found[0].message  # 11 uses: one per attribute shown
    settings = Settings()
    safe, _ = fix_text(FIVE_ATTRIBUTES, "service.py", settings)
    assert safe == FIVE_ATTRIBUTES  # unsafe: only on request
    fixed, applied = fix_text(FIVE_ATTRIBUTES, "service.py", settings, unsafe=True)
    assert applied
    assert "threading" not in fixed
    assert "from contextvars import ContextVar" in fixed
    for attr in ("user", "tenant", "request_id", "locale", "trace"):
        assert f'_local_{attr} = ContextVar("_local_{attr}")' in fixed
    assert "_local_user.set(user_id)" in fixed
    assert '_local_locale.get("en")' in fixed and "_local_trace.get(None)" in fixed
    assert [f for f in run(fixed, audit=True) if f.code == "NWS208"] == []

    after = run_concurrently(fixed, tmp_path)
    assert after == {user: expected(user) for user in after}
    assert len(after) == 20


def test_rewrite_keeps_an_import_other_code_uses() -> None:
    src = """\
    import threading

    _local = threading.local()
    _lock = threading.Lock()

    async def handle(user_id):
        _local.user = user_id
        return _local.user
    """
    fixed, _ = fix_text(textwrap.dedent(src), "x.py", Settings(), unsafe=True)
    assert fixed == textwrap.dedent(
        """\
        import threading
        from contextvars import ContextVar

        _local_user = ContextVar("_local_user")
        _lock = threading.Lock()

        async def handle(user_id):
            _local_user.set(user_id)
            return _local_user.get()
        """
    )


def test_no_rewrite_when_a_use_has_another_shape() -> None:
    shapes = {
        "del _local.user": "deleted or assigned in another way",
        "_local.count += 1": "deleted or assigned in another way",
        "register(_local)": "used in another way",
        "_local.__dict__.clear()": "`_local.__dict__` is used",
    }
    for extra, reason in shapes.items():
        src = (
            "import threading\n_local = threading.local()\n"
            f"async def handle(user_id):\n    _local.user = user_id\n    {extra}\n"
        )
        found = [f for f in run(src) if f.code == "NWS208"]
        assert found, extra
        fix = found[0].fix
        assert fix is not None and fix.applicability == "manual", extra
        assert reason in fix.message, (extra, fix.message)
        assert found[0].line == 2  # the binding
        assert "`_local.user`" in fix.message and "`contextvars.ContextVar`" in fix.message
    public = "import threading\nstate = threading.local()\nasync def f(user_id):\n    state.user = user_id\n"
    fix = run(public)[0].fix
    assert fix is not None and fix.applicability == "manual" and "public" in fix.message


def test_migrate_plans_one_entry_per_thread_local() -> None:
    from netra_ws_lint.fix.migrate import analyse

    src = (
        "import threading\n"
        "class State(threading.local):\n"
        "    pass\n"
        "state = State()\n"
        "async def login(user_id):\n"
        "    state.user = user_id\n"
        "    state.tenant = 't'\n"
        "async def whoami(user_id):\n"
        "    return state.user, state.tenant\n"
        "_local = threading.local()\n"
        "async def trace(user_id):\n"
        "    _local.span = user_id\n"
    )
    report, fixed = analyse(src.encode(), "svc.py", Settings(), None, unsafe=False)
    assert fixed is None
    entries = [(s.code, s.fix, s.reason) for s in report.manual]
    # one entry per thread-local (its one finding), naming every attribute to move
    assert [(c, k) for c, k, _ in entries] == [("NWS208", "manual"), ("NWS208", "unsafe")]
    assert "`state.user`" in entries[0][2] and "`state.tenant`" in entries[0][2]
    assert "subclass instance" in entries[0][2]
    assert "LookupError" in entries[1][2]
    report, fixed = analyse(src.encode(), "svc.py", Settings(), None, unsafe=True)
    assert fixed is not None and b"_local_span = ContextVar" in fixed
    assert len(report.manual) == 1  # the subclass's attributes stay manual


def test_noqa_on_the_binding_silences_the_one_finding() -> None:
    src = (
        "import threading\n"
        "_local = threading.local()  # noqa: NWS208\n"
        "async def handle(user_id):\n"
        "    _local.user = user_id\n"
    )
    assert [f for f in run(src) if f.code == "NWS208"] == []
    at_use = src.replace("  # noqa: NWS208", "").replace("= user_id\n", "= user_id  # noqa\n")
    assert codes(run(at_use)) == [(2, "NWS208")]  # a use's line does not silence it


def test_thread_local_held_by_an_object_is_reported_at_its_init_binding() -> None:
    src = """\
    import threading

    class Lock:
        def __init__(self, name):
            self.name = name
            self.local = threading.local()

        async def acquire(self, token):
            self.local.token = token

        def owned(self, token):
            return self.local.token == token
    """
    (found,) = run(src)
    assert (found.line, found.col, found.code, found.audit) == (6, 8, "NWS208", False)
    assert found.message.startswith("thread-local `Lock.local` is per thread")
    assert "`Lock.local.token` written in `async def acquire` (line 9)" in found.message
    assert "`Lock.local.token` read in `owned` (line 12)" in found.message
    assert found.fix is not None and found.fix.applicability == "manual"
