"""The vocabulary inferred from a project (analysis/vocabulary.py) and
``netra-ws-lint show-vocabulary``."""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path

import pytest

from netra_ws_lint.analysis.vocabulary import (
    ProjectVocabulary,
    context_use,
    infer_module,
    is_own_id_tracking,
    module_facts,
    passes_identity_fields,
)
from netra_ws_lint.cli.main import main
from netra_ws_lint.config import Settings, apply_options
from netra_ws_lint.engine.pipeline import check_source

from .examples import all_examples

WORDS = Settings().words


def infer(source: str) -> dict[str, dict[str, object]]:
    return infer_module(ast.parse(textwrap.dedent(source)), Settings())


def test_user_scoped_types_and_their_reasons() -> None:
    # ownership: an instance belongs to one user when `__init__` takes a user context,
    # or takes a user identity and keeps it on `self`; keys and sends are no ownership
    found = infer(
        """
        class Takes:
            def __init__(self, user_context): ...

        class Keeps:
            def __init__(self, user_id=None, *, label=""):
                self._owner = str(user_id)

        class BindsLater:  # a method storing an identity: shared state, not ownership
            def bind(self, user_id):
                self.owner = user_id

        class Keys:  # a multi-tenant registry
            def add(self, conn, session_id):
                self._conns[session_id] = conn

        class Sends:  # serves whichever user it is given
            async def send_to_user(self, user_id, msg): ...

        class Plain:
            def __init__(self, transport):
                self.transport = transport

        class TlsClient:  # a context of another type
            def __init__(self, ctx: ssl.SSLContext):
                self.ctx = ctx

        class TestSomething:
            def __init__(self, user_context): ...

        class FlowLog:  # mints its own run id when none is given: its own, not a user's
            def __init__(self, run_id=None):
                if run_id:
                    self.run_id = run_id
                else:
                    self.run_id = new_run_id()

        class Tracked:  # the same attribute later read from a message stays the user's
            def __init__(self, user_id=None, message=None):
                self.user_id = user_id
                if message is not None:
                    self.user_id = message.user_id
        """
    )
    types = found["types"]
    assert "FlowLog" not in types
    assert types.pop("Tracked") == "`__init__` keeps the user identity `user_id` on `self.user_id`"
    assert set(types) == {"Takes", "Keeps"}  # not a test class
    assert types["Takes"] == "`__init__` takes the user context `user_context`"
    assert types["Keeps"] == "`__init__` keeps the user identity `user_id` on `self._owner`"
    assert found["registries"] == {
        "Keys": "keys `self._conns[session_id]` by a user identity"
        "; its entries are added and never removed"
    }


def test_registries_whose_entries_are_never_removed_say_so(tmp_path: Path) -> None:
    found = infer(
        """
        class Keeps:
            def save(self, run_id, state):
                self._states[run_id] = state

        class Evicts:
            def add(self, connection_id, ws):
                self._live[connection_id] = ws

            def drop(self, connection_id):
                del self._live[connection_id]
        """
    )["registries"]
    assert found["Keeps"].endswith("; its entries are added and never removed")
    assert found["Evicts"] == "keys `self._live[connection_id]` by a user identity"
    source = textwrap.dedent(
        """
        class Keeps:
            def save(self, run_id, state):
                self._states[run_id] = state

        _k = None

        def get_keeps():
            global _k
            if _k is None:
                _k = Keeps()
            return _k

        keeps = Keeps()
        """
    )
    audit = apply_options(Settings(), {"audit": True}, "test")
    got = {(f.code, f.audit, f.message) for f in check_source(source, "x.py", audit)}
    assert any(
        c == "NWS104" and a and "`Keeps` is a multi-tenant registry whose entries" in m
        for c, a, m in got
    )
    assert any(c == "NWS103" and a and "never removed" in m for c, a, m in got)
    assert not [f for f in check_source(source, "x.py", Settings()) if f.code.startswith("NWS1")]


def test_a_registry_that_owns_a_user_is_user_scoped() -> None:
    # ownership wins over keys: a per-user object keying its own entries
    found = infer(
        """
        class UserCache:
            def __init__(self, user_context):
                self.context = user_context

            def put(self, thread_id, value):
                self._by_thread[thread_id] = value
        """
    )
    assert set(found["types"]) == {"UserCache"} and found["registries"] == {}


def test_context_factories_build_what_they_return_from_the_context() -> None:
    found = infer(
        """
        def create_client(user_context=None):
            return ReportClient(user_context)

        def make(ctx):
            client = build_client(ctx)
            return client

        def lookup(key, ctx=None):
            return store_for(ctx).get(key)  # a value fetched, not an object built

        def forward(name, ctx=None):
            return sink.write(name, ctx)  # not a class or a builder
        """
    )["factories"]
    assert set(found) == {"create_client", "make"}
    assert found["create_client"] == (
        "takes `user_context` and returns `ReportClient(...)` built from it"
    )


def test_singleton_getters_lazy_eager_cached() -> None:
    found = infer(
        """
        import functools, threading
        _lock = threading.Lock()
        _svc = None
        _hub = Hub()

        def get_svc():
            global _svc
            if _svc is None:
                with _lock:
                    if _svc is None:
                        svc = Service()
                        _svc = svc
            return _svc

        def get_hub():
            return _hub

        @functools.lru_cache
        def get_settings():
            return Settings()

        def not_a_getter(x):
            return _hub
        """
    )["getters"]
    assert set(found) == {"get_svc", "get_hub", "get_settings"}
    assert found["get_svc"]["reason"] == "lazy `global _svc` getter building `Service()`"
    assert found["get_hub"]["builds"] == "Hub"
    assert "cached factory" in str(found["get_settings"]["reason"])


def _facts(module: str, source: str) -> dict[str, object]:
    return module_facts(ast.parse(textwrap.dedent(source)), Settings(), module, False)


def test_joined_across_modules_resolution_before_patterns() -> None:
    vocab = ProjectVocabulary(
        {
            "app.state": _facts(
                "app.state",
                """
                class Tracker:
                    def __init__(self, run_id=None):
                        self.run_id = run_id

                class SubTracker(Tracker):
                    pass

                class QuietEmitter:  # matches *Emitter, but resolves: what it does decides
                    def __init__(self, channel):
                        self.channel = channel

                class Pool:
                    def add(self, connection_id, ws):
                        self._live[connection_id] = ws

                class PoolWebSocketManager(Pool):  # a registry, whatever its name
                    pass
                """,
            ),
            "app.registry": _facts(
                "app.registry",
                """
                from app.state import SubTracker, QuietEmitter, PoolWebSocketManager
                _t = None
                _e = None
                _p = None

                def get_tracker():
                    global _t
                    if _t is None:
                        _t = SubTracker()
                    return _t

                def get_emitter():
                    global _e
                    if _e is None:
                        _e = QuietEmitter(None)
                    return _e

                def get_pool():
                    global _p
                    if _p is None:
                        _p = PoolWebSocketManager()
                    return _p
                """,
            ),
        },
        Settings(),
    )
    assert vocab.type_reason("app.state.SubTracker") == "subclass of `Tracker`"
    assert vocab.type_reason("app.state.QuietEmitter") is None
    assert vocab.type_reason("app.state.PoolWebSocketManager") is None
    assert vocab.registries["app.state.PoolWebSocketManager"] == "subclass of `Pool`"
    assert vocab.type_reason("elsewhere.LoudEmitter") == "matches `user-scoped-types`"
    tracker = vocab.getter("app.registry.get_tracker")
    assert tracker is not None and "a user-scoped type" in str(tracker["user"])
    for name in ("get_emitter", "get_pool"):
        other = vocab.getter(f"app.registry.{name}")
        assert other is not None and other["user"] is None
    assert "get_tracker" in vocab.names() and "get_emitter" not in vocab.names()
    assert "get_pool" not in vocab.names()


def test_shared_factories_build_a_per_user_object_per_call() -> None:
    # a class whose own user context is optional and whose method builds a per-user
    # object (a user-scoped type of another module) is a shared factory, not
    # user-scoped; one that builds a plain result is not a factory; one whose `__init__`
    # requires the context owns its user
    vocab = ProjectVocabulary(
        {
            "app.clients": _facts(
                "app.clients",
                """
                class UserClient:
                    def __init__(self, user_id):
                        self.user_id = user_id
                """,
            ),
            "app.factory": _facts(
                "app.factory",
                """
                from app.clients import UserClient

                class ClientFactory:
                    def __init__(self, user_context=None):
                        self.user_context = user_context

                    def create_user_client(self, user_context):
                        client = UserClient(user_context.user_id)
                        return client

                class Checker:
                    def __init__(self, user_context=None):
                        self.user_context = user_context

                    def check(self, user_id):
                        return Result(ok=True)

                class OwnFactory:
                    def __init__(self, user_context):
                        self.user_context = user_context

                    def child(self, user_context):
                        return UserClient(user_context.user_id)
                """,
            ),
        },
        Settings(),
    )
    assert vocab.is_factory_class("app.factory.ClientFactory")
    assert vocab.factory_classes["app.factory.ClientFactory"] == (
        "`create_user_client(user_context)` builds a new `UserClient` on each call"
    )
    assert vocab.type_reason("app.factory.ClientFactory") is None
    assert not vocab.is_factory_class("app.factory.Checker")
    assert vocab.type_reason("app.factory.Checker") is not None  # optional context kept
    assert not vocab.is_factory_class("app.factory.OwnFactory")
    assert vocab.type_reason("app.factory.OwnFactory") is not None
    assert "shared-factories" in vocab.as_dict()


def test_fan_out_helpers_are_called_only_in_identity_loops() -> None:
    vocab = ProjectVocabulary(
        {
            "m": _facts(
                "m",
                """
                def push(user_id, msg): ...
                def notify(user_id, msg): ...

                async def broadcast(subscribers, msg):
                    for user_id in subscribers:
                        push(user_id, msg)
                        notify(user_id, msg)

                async def handle(user_id, msg):
                    notify(user_id, msg)
                """,
            )
        },
        Settings(),
    )
    assert vocab.is_fanout_helper("m.push")
    assert not vocab.is_fanout_helper("m.notify")  # one caller serves one user
    assert not vocab.is_fanout_helper("m.handle")  # never called


def _fn(source: str) -> ast.FunctionDef:
    node = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def test_context_use_identity_routing_or_decoration() -> None:
    assert context_use(_fn("def f(x, ctx=None):\n    return ctx.user_id\n"), "ctx", WORDS)
    assert context_use(_fn("def f(x, ctx=None):\n    return make(ctx)\n"), "ctx", WORDS)
    fallback = "def f(x, ctx=None):\n    if ctx is None:\n        return SHARED[x]\n    return 1\n"
    assert context_use(_fn(fallback), "ctx", WORDS) == (
        "falls back to other state when `ctx` is None"
    )
    decorate = "def f(t, ctx=None):\n    if ctx:\n        t += f' ({ctx.cost})'\n    return t\n"
    assert context_use(_fn(decorate), "ctx", WORDS) is None
    assert context_use(_fn("def f(x, ctx=None):\n    log.info('%s', ctx)\n"), "ctx", WORDS) is None


def test_identity_fields_by_keyword_count_as_the_context() -> None:
    def call(text: str) -> ast.Call:
        node = ast.parse(text, mode="eval").body
        assert isinstance(node, ast.Call)
        return node

    assert passes_identity_fields(call("Engine(user_id=ctx.user_id, run_id=ctx.run_id)"), WORDS)
    assert not passes_identity_fields(call("emit(self.user_context.run_id, 10)"), WORDS)
    assert not passes_identity_fields(call("Engine(user_id=request.user_id)"), WORDS)


def test_own_id_tracking() -> None:
    cls = ast.parse(
        textwrap.dedent(
            """
            class Session:
                def open(self, sid):
                    self.sid = sid
                    LIVE[sid] = self
                    SEEN.add(id(self))
                    OTHER[sid] = sid
                def close(self):
                    LIVE.pop(self.sid, None)
            """
        )
    ).body[0]
    assert isinstance(cls, ast.ClassDef)
    open_, close = cls.body
    stmts = [s for s in open_.body if not isinstance(s, ast.Assign) or s is not open_.body[0]]
    register, seen, other = stmts
    assert is_own_id_tracking(register, open_)
    assert isinstance(seen, ast.Expr) and is_own_id_tracking(seen.value, open_)
    assert not is_own_id_tracking(other, open_)
    pop = close.body[0]
    assert isinstance(pop, ast.Expr) and is_own_id_tracking(pop.value, close)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    (tmp_path / "svc" / "reports.py").write_text(
        "class ReportService:\n"
        "    def __init__(self, user_id=None):\n"
        "        self.user_id = user_id\n"
        "\n"
        "class ReportIndex:\n"
        "    def record(self, user_id, item):\n"
        "        self._per_user[user_id] = item\n"
        "\n"
        "def create_report_client(user_context=None):\n"
        "    return ReportClient(user_context)\n"
    )
    (tmp_path / "svc" / "registry.py").write_text(
        "from svc.reports import ReportService\n"
        "_s = None\n"
        "\n"
        "def get_reports():\n"
        "    global _s\n"
        "    if _s is None:\n"
        "        s = ReportService()\n"
        "        _s = s\n"
        "    return _s\n"
    )
    # the project root: names resolve from here even when only `svc` is named
    (tmp_path / "pyproject.toml").write_text("[tool.netra-ws-lint]\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text(
        "class FakeService:\n    def send_to_user(self, user_id, m): ...\n"
    )
    return tmp_path


def test_show_vocabulary_text_and_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show-vocabulary"]) == 0
    out = capsys.readouterr().out
    assert "user-scoped types (1):\n  svc.reports.ReportService: `__init__` keeps" in out
    assert (
        "multi-tenant registries (process-wide by design, not user-scoped) (1):\n"
        "  svc.reports.ReportIndex: keys `self._per_user[user_id]` by a user identity;"
        " its entries are added and never removed\n"
    ) in out
    assert "context factories (1):\n  svc.reports.create_report_client: takes" in out
    assert "singleton getters of user-scoped objects (1):\n  svc.registry.get_reports:" in out
    assert "FakeService" not in out  # test code teaches nothing
    assert main(["show-vocabulary", "--output-format", "json", "svc"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data["user-scoped-types"]) == ["svc.reports.ReportService"]
    assert list(data["multi-tenant-registries"]) == ["svc.reports.ReportIndex"]
    getter = data["singleton-getters"]["svc.registry.get_reports"]
    assert getter["builds"] == "svc.reports.ReportService"
    assert getter["reason"] == "lazy `global _s` getter building `ReportService()`"
    # configuration removes a getter from what is inferred
    (project / "pyproject.toml").write_text(
        '[tool.netra-ws-lint]\nallowed-singletons = ["get_reports"]\n'
    )
    assert main(["show-vocabulary", "--output-format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["singleton-getters"] == {}


def test_inferred_singleton_is_reported_across_modules(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "app.py").write_text(
        "from svc.registry import get_reports\n"
        "from svc.reports import create_report_client\n"
        "\n"
        "def handle(user_id):\n"
        "    get_reports().record(user_id, 1)\n"
        "\n"
        "def startup(app):\n"
        "    app.state.client = create_report_client()\n"
    )
    main(["check", "--no-cache", "--select", "NWS104,NWS105,NWS301", "."])
    lines = capsys.readouterr().out.splitlines()
    codes = {(line.split(":")[0], line.split()[1]) for line in lines}
    assert ("svc/registry.py", "NWS104") in codes
    assert ("app.py", "NWS105") in codes
    assert ("app.py", "NWS301") in codes  # an inferred factory, whatever its default


def test_a_per_user_store_cleaned_up_in_another_module_is_audit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "store.py").write_text(
        "SESSIONS = {}\n"
        "HISTORY = {}\n"
        "\n"
        "async def remember(session_id, data):\n"
        "    SESSIONS[session_id] = data\n"
        "    HISTORY[session_id] = data\n"
    )
    (tmp_path / "app" / "socket.py").write_text(
        "from app.store import SESSIONS, HISTORY\n"
        "\n"
        "async def disconnect(session_id):\n"
        "    SESSIONS.pop(session_id, None)\n"
        "\n"
        "async def trim(session_id):\n"
        "    HISTORY.pop(session_id)\n"
        "    HISTORY[session_id] = {}\n"  # re-added: not a cleanup
    )
    facts = _facts("app.socket", (tmp_path / "app" / "socket.py").read_text())
    assert facts["vocabulary"]["evicts"] == {"app.store.SESSIONS": ["disconnect"]}  # type: ignore[index]
    main(["check", "--no-cache", "."])  # the default rules: audit findings hidden
    out = capsys.readouterr().out
    assert "NWS201 module-level container `HISTORY`" in out
    assert "`SESSIONS`" not in out
    main(["check", "--no-cache", "--audit", "."])
    assert "NWS201 module-level container `SESSIONS`" in capsys.readouterr().out


def test_cleanup_found_through_a_module_alias(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the project root is the folder checked; the package sits below it, beside its own
    # pyproject.toml, so its modules are known by two names (`pkg.store`, an alias)
    monkeypatch.chdir(tmp_path)
    pkg = tmp_path / "backend" / "pkg"
    pkg.mkdir(parents=True)
    (tmp_path / "backend" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (pkg / "__init__.py").write_text("")
    (pkg / "store.py").write_text(
        "SESSIONS = {}\n\nasync def remember(session_id, data):\n    SESSIONS[session_id] = data\n"
    )
    (pkg / "socket.py").write_text(
        "from pkg.store import SESSIONS\n\n"
        "async def disconnect(session_id):\n    SESSIONS.pop(session_id, None)\n"
    )
    assert main(["check", "--no-cache", "."]) == 0, capsys.readouterr().out


def test_show_vocabulary_lists_a_module_known_by_two_names_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `backend/` is no package: every module of `pkg` is `backend.pkg.x` (from the
    # project root) and `pkg.x` (its `__init__.py` chain); each definition is one entry,
    # under the module's own name, and still resolves through the other name
    monkeypatch.chdir(tmp_path)
    pkg = tmp_path / "backend" / "pkg"
    pkg.mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("[tool.netra-ws-lint]\n")
    (pkg / "__init__.py").write_text("")
    (pkg / "reports.py").write_text(
        "class ReportService:\n"
        "    def __init__(self, user_id=None):\n"
        "        self.user_id = user_id\n"
        "\n"
        "class DailyReports(ReportService):\n"
        "    pass\n"
        "\n"
        "def create_report_client(user_context):\n"
        "    return ReportClient(user_context)\n"
    )
    (pkg / "registry.py").write_text(
        "from pkg.reports import DailyReports\n"
        "_s = None\n"
        "_e = None\n"
        "\n"
        "def get_reports():\n"
        "    global _s\n"
        "    if _s is None:\n"
        "        _s = DailyReports()\n"
        "    return _s\n"
        "\n"
        "def get_engine():\n"
        "    global _e\n"
        "    if _e is None:\n"
        "        _e = create_engine()\n"
        "    return _e\n"
    )
    assert main(["show-vocabulary"]) == 0
    out = capsys.readouterr().out
    assert "user-scoped types (2):\n" in out
    assert "  backend.pkg.reports.ReportService: `__init__` keeps the user identity" in out
    assert "  backend.pkg.reports.DailyReports: subclass of `ReportService`" in out
    assert "context factories (1):\n  backend.pkg.reports.create_report_client: takes" in out
    assert "singleton getters of user-scoped objects (1):\n" in out
    assert "  backend.pkg.registry.get_reports: lazy `global _s` getter" in out
    assert "keeps `DailyReports`, a user-scoped type (subclass of `ReportService`)" in out
    assert "other singleton getters (shared on purpose?) (1):\n" in out
    assert out.count("get_reports") == 1 and out.count("ReportService:") == 1
    assert "\n  pkg." not in out  # no entry under the alias
    assert main(["show-vocabulary", "--output-format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data["user-scoped-types"]) == [
        "backend.pkg.reports.DailyReports",
        "backend.pkg.reports.ReportService",
    ]
    assert list(data["singleton-getters"]) == ["backend.pkg.registry.get_reports"]
    assert list(data["other-singleton-getters"]) == ["backend.pkg.registry.get_engine"]


def _getter_defs_both_ways(source: str, settings: Settings) -> tuple[set[str], set[str]]:
    """The top-level functions NWS104 reports as lazy getters or cached factories
    (under audit), and those the vocabulary infers as singleton getters (not eager)."""
    tree = ast.parse(source)
    top = {
        s.lineno: s.name
        for s in tree.body
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    audit = apply_options(settings, {"audit": True}, "test")
    reported = {
        top[f.line]
        for f in check_source(source, "example.py", audit)
        if f.code == "NWS104" and f.line in top and "module global set by" not in f.message
    }
    getters = module_facts(tree, settings, "example", False)["vocabulary"]["getters"]
    inferred = {n for n, g in getters.items() if "module-level instance" not in g["reason"]}
    return reported, inferred


def test_inferred_getters_are_what_nws104_reports_as_getters() -> None:
    # one notion of a singleton getter: NWS104's lazy-global and cached-factory shapes
    # (every example of the rule) are the getters the vocabulary infers, and the
    # non-getter shapes (startup hooks, setup functions...) are neither
    examples = [e for e in all_examples() if e.rule.code == "NWS104" and not e.files]
    seen: set[str] = set()
    for example in examples:
        reported, inferred = _getter_defs_both_ways(example.source, example.settings())
        assert reported == inferred, (example.id, reported, inferred)
        seen |= reported
    # the comparison is not empty: lazy getters (lock, local, falsy guard, `else` of a
    # set-test, `or`), cached factories (aliased decorator, alru_cache), allowed ones out
    assert {"get_websocket_manager", "get_bridge", "get_tracker", "ensure_manager"} <= seen
    assert {"init_notifier", "get_emitter", "manager_factory", "notifier_factory"} <= seen
    assert not seen & {"lifespan", "setup", "pytest_configure", "run_frontend", "cpu_bound"}
    assert "startup" not in seen  # reported by NWS104 as a module global, not as a getter


def test_lazy_getter_needs_a_return_or_a_guard() -> None:
    found = infer(
        """
        import contextlib
        _pool = None
        _proc = None
        _a = None
        _b = None
        _c = None

        @contextlib.asynccontextmanager
        async def lifespan(app):
            global _pool
            _pool = await create_pool()
            yield

        def start(cmd):
            global _proc
            _proc = spawn(cmd)

        def rebuild():
            global _a
            if _a is None:
                raise RuntimeError("not set up")
            _a = Pool()

        def get_a():
            global _a
            if _a is not None:
                return _a
            _a = Pool()
            return _a

        def init_b():
            global _b
            if not _b:
                _b = Hub()

        def restart_c():
            global _c
            _c = Hub()
            return _c
        """
    )["getters"]
    assert set(found) == {"get_a", "init_b", "restart_c"}


def test_types_keeping_their_context_only_as_a_label() -> None:
    found = infer(
        """
        import logging
        from typing import TypeVar

        T = TypeVar("T")
        logger = logging.getLogger(__name__)
        _SHARED = {}

        class Labels:  # formats and tests its private context only
            def __init__(self, user_context=None):
                self._ctx = user_context
                self._cache = {}

            def key(self, k):
                return f"{self._ctx.user_id[:8] if self._ctx else 'anon'}:{k}"

            def log(self):
                logger.info(f"for {self._ctx.user_id}")

        class Keys:  # the label keys process-wide state
            def __init__(self, user_context=None):
                self._ctx = user_context

            def put(self, k, v):
                _SHARED[f"{self._ctx.user_id}:{k}"] = v

        class Routes:  # hands its context on
            def __init__(self, user_context=None):
                self._ctx = user_context

            def manager(self):
                return create_websocket_manager(self._ctx)

        class Public:  # others may read it
            def __init__(self, user_context=None):
                self.user_context = user_context

            def name(self):
                return f"{self.user_context.user_id}"

        class Unread:  # never read: nothing says what it is for
            def __init__(self, user_context=None):
                self._ctx = user_context

        class OrFallback:  # `ctx or default` is the context itself, handed on
            def __init__(self, user_context=None):
                self._ctx = user_context

            def manager(self):
                if self._ctx and self._ctx.user_id:
                    return create_websocket_manager(self._ctx or DEFAULT)
        """
    )
    assert set(found["types"]) == {"Labels", "Keys", "Routes", "Public", "Unread", "OrFallback"}
    assert found["labels"] == ["Labels"]


def test_a_factory_method_annotated_to_return_a_user_scoped_type() -> None:
    # the method returns another factory's result, annotated as a user-scoped type
    # (`*Emitter`): a new per-user object per call; a classmethod building the class
    # itself, or a method keeping what it returns on the object, is no such factory
    vocab = ProjectVocabulary(
        {
            "app.bridge": _facts(
                "app.bridge",
                """
                class Bridge:
                    def __init__(self, user_context=None):
                        self.user_context = user_context

                    async def create_user_emitter(self, user_context) -> "UserEmitter":
                        emitter = EmitterFactory.create_scoped(self.manager, user_context)
                        return emitter

                class Agent:
                    def __init__(self, user_context=None):
                        self.user_context = user_context

                    @classmethod
                    def for_context(cls, user_context) -> "Agent":
                        return cls(user_context)

                class Cached:
                    def __init__(self, user_context=None):
                        self.user_context = user_context

                    def emitter(self, user_context) -> "UserEmitter":
                        emitter = EmitterFactory.create_scoped(None, user_context)
                        self._emitters[user_context.user_id] = emitter
                        return emitter
                """,
            ),
        },
        Settings(),
    )
    assert vocab.factory_classes["app.bridge.Bridge"] == (
        "`create_user_emitter(user_context)` builds a new `UserEmitter` on each call"
    )
    assert not vocab.is_factory_class("app.bridge.Agent")
    assert not vocab.is_factory_class("app.bridge.Cached")
