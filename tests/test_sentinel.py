"""The pytest plugin (``--nws-sentinel``): run-time confirmation of the findings.

Each scenario project is run by a real pytest in a subprocess (the plugin wraps module
globals, so it must not run inside this test process)."""

from __future__ import annotations

import copy
import json
import os
import pickle
import subprocess
import sys
import textwrap
import threading
from collections import Counter, OrderedDict, defaultdict, deque
from pathlib import Path
from typing import Any

import pytest

from netra_ws_lint.config import ConfigError, apply_options
from netra_ws_lint.config import Settings as Config
from netra_ws_lint.sentinel.identity import nws_user
from netra_ws_lint.sentinel.wrappers import RECORDER, Target, wrap_container

pytestmark = pytest.mark.slow  # subprocess-heavy: `.ci/run` runs it with -m slow

ROOT = Path(__file__).resolve().parent.parent

STORE = """
import functools
from collections import deque

CACHE: dict = {}
SESSIONS: dict = {"by_user": {}}
EVENTS: dict = {}
OWN: dict = {}
QUEUE: deque = deque()
TASKS: list = []
NOTES: list = []
UNUSED: dict = {}


def remember(user_id, value):
    CACHE["last"] = value


def join(user_id, room):
    SESSIONS["by_user"][user_id] = room


def rooms():
    return list(SESSIONS["by_user"].values())


def log_event(user_id, event):
    EVENTS.setdefault("all", []).append(event)


def own_put(user_id, value):
    OWN[user_id] = value


def own_get(user_id):
    return OWN.get(user_id)


def enqueue(user_id, job):
    QUEUE.append(job)


def dequeue():
    return QUEUE.popleft()


async def record(user_id, item):
    TASKS.append(item)


async def read_tasks():
    return list(TASKS)


def note(user_id, text):
    NOTES.append(text)


def notes():
    return list(NOTES)


def touch_unused(user_id):
    UNUSED[user_id] = 1


@functools.lru_cache(maxsize=None)
def settings_for(team, user_id=None):
    return {"team": team, "owner": user_id}


@functools.lru_cache(maxsize=None)
def profile(user_id):
    return {"user": user_id}


class ChatWebSocketManager:
    def __init__(self):
        self.sent = []

    def send_to_user(self, user_id, message):
        self.sent.append((user_id, message))


_instance = None


def get_manager():
    global _instance
    if _instance is None:
        _instance = ChatWebSocketManager()
    return _instance


def _build():
    return ChatWebSocketManager()


backup = _build()  # no rule sees this one: a leak through it is "not predicted"


class SessionEmitter:
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def emit_event(self, user_id):
        return user_id
"""

WHO = """
import contextvars

CURRENT = contextvars.ContextVar("who", default=None)


def current():
    return CURRENT.get()
"""

SCENARIOS = """
import asyncio
import contextvars
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from app import store, who
from app.store import CACHE as C


def test_alias(nws_user):
    with nws_user("alice"):
        store.remember("alice", "alice's secret")
    with nws_user("bob"):
        assert C["last"] == "alice's secret"  # ALIAS READ


def test_nested(nws_user):
    with nws_user("alice"):
        store.join("alice", "room-a")
    with nws_user("bob"):
        assert store.rooms() == ["room-a"]


def test_setdefault_append(nws_user):
    with nws_user("alice"):
        store.log_event("alice", "a")
    with nws_user("bob"):
        store.log_event("bob", "b")


def test_threads(nws_user):
    with nws_user("alice"):
        t = threading.Thread(target=store.enqueue, args=("alice", "job"))
        t.start()
        t.join()
    with ThreadPoolExecutor(1) as pool, nws_user("bob"):
        assert pool.submit(store.dequeue).result() == "job"


def test_tasks(nws_user):
    async def scenario():
        with nws_user("alice"):
            await asyncio.create_task(store.record("alice", "a"))
        with nws_user("bob"):
            return await asyncio.create_task(store.read_tasks())

    assert asyncio.run(scenario()) == ["a"]


def test_cache_shared_key(nws_user):
    with nws_user("alice"):
        store.settings_for("red")
    with nws_user("bob"):
        store.settings_for("red")


def test_cache_per_user(nws_user):
    for user in ("alice", "bob", "alice", "bob"):
        with nws_user(user):
            assert store.profile(user) == {"user": user}


def test_singleton(nws_user):
    with nws_user("alice"):
        store.get_manager().send_to_user("alice", "hi")
    with nws_user("bob"):
        store.get_manager().send_to_user("bob", "hi")


def test_unflagged_instance(nws_user):
    for user in ("alice", "bob"):
        with nws_user(user):
            store.backup.send_to_user(user, "hi")


def test_class_singleton(nws_user):
    for user in ("alice", "bob"):
        with nws_user(user):
            store.SessionEmitter().emit_event(user)


def test_own_keys(nws_user):
    for user in ("alice", "bob"):
        with nws_user(user):
            store.own_put(user, user + "'s data")
    for user in ("bob", "alice"):
        with nws_user(user):
            assert store.own_get(user) == user + "'s data"


def test_identity_getter():
    def act(user, fn, *args):
        def run():
            who.CURRENT.set(user)
            return fn(*args)

        return contextvars.copy_context().run(run)

    act("erin", store.note, "erin", "x")
    assert act("frank", store.notes) == ["x"]


def test_no_user():
    store.touch_unused("carol")
    assert store.UNUSED == {"carol": 1}


def test_wrapped_types():
    assert isinstance(store.CACHE, dict) and type(store.CACHE) is not dict
    assert C is store.CACHE
"""


def _project(tmp: Path, scenarios: str = SCENARIOS) -> Path:
    (tmp / "app").mkdir()
    (tmp / "app" / "__init__.py").write_text("")
    (tmp / "app" / "store.py").write_text(STORE)
    (tmp / "app" / "who.py").write_text(WHO)
    (tmp / "tests").mkdir()
    (tmp / "tests" / "test_scenarios.py").write_text(scenarios)
    (tmp / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    (tmp / "pyproject.toml").write_text(
        '[tool.netra-ws-lint]\nsentinel-identity = "app.who:current"\n'
    )
    return tmp


def _pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def scenario_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str, Path]:
    root = _project(tmp_path_factory.mktemp("sentinel"))
    proc = _pytest(root, "--nws-sentinel", "--nws-sentinel-report", "report.json")
    assert "passed" in proc.stdout, proc.stdout + proc.stderr
    return proc, proc.stdout, root


def _report(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / "report.json").read_text())
    return data


def _leaks(root: Path) -> dict[str, dict[str, Any]]:
    return {leak["object"]: leak for leak in _report(root)["leaks"]}


def test_every_scenario_test_passes_and_leaks_fail_the_run(scenario_run: Any) -> None:
    proc, out, _ = scenario_run
    assert "failed" not in out.splitlines()[-1]
    assert proc.returncode == 1  # the tests pass, the leaks fail the run
    assert "confirmed leaks: 10 (run failed)" in out


def test_container_imported_under_another_name(scenario_run: Any) -> None:
    root = scenario_run[2]
    leak = _leaks(root)["app.store.CACHE"]
    assert (leak["writer"]["user"], leak["reader"]["user"]) == ("alice", "bob")
    assert leak["writer"]["location"].endswith("store.py:16")
    line = SCENARIOS.splitlines().index(
        next(x for x in SCENARIOS.splitlines() if "ALIAS READ" in x)
    )
    assert leak["reader"]["location"].endswith(f"test_scenarios.py:{line + 1}")
    assert [p["code"] for p in leak["predicted"]] == ["NWS201"]
    assert leak["predicted"][0]["location"].endswith("store.py:16:5")


def test_nested_container(scenario_run: Any) -> None:
    leak = _leaks(scenario_run[2])["app.store.SESSIONS"]
    assert leak["writer"]["location"].endswith("store.py:20")
    assert leak["reader"]["location"].endswith("store.py:24")


def test_setdefault_append(scenario_run: Any) -> None:
    leak = _leaks(scenario_run[2])["app.store.EVENTS"]
    assert leak["writer"]["location"] == leak["reader"]["location"]
    assert leak["reader"]["location"].endswith("store.py:28")
    assert (leak["writer"]["user"], leak["reader"]["user"]) == ("alice", "bob")


def test_threads_and_pools_act_as_the_user_who_started_them(scenario_run: Any) -> None:
    leak = _leaks(scenario_run[2])["app.store.QUEUE"]
    assert leak["writer"] == {"user": "alice", "location": leak["writer"]["location"]}
    assert leak["writer"]["location"].endswith("store.py:40")
    assert leak["reader"]["user"] == "bob"
    assert leak["reader"]["location"].endswith("store.py:44")


def test_asyncio_tasks_act_as_the_user_who_started_them(scenario_run: Any) -> None:
    leak = _leaks(scenario_run[2])["app.store.TASKS"]
    assert (leak["writer"]["user"], leak["reader"]["user"]) == ("alice", "bob")


def test_user_keyed_lru_cache(scenario_run: Any) -> None:
    root = scenario_run[2]
    leak = _leaks(root)["app.store.settings_for"]
    assert leak["what"] == "cached result"
    assert leak["predicted"][0]["code"] == "NWS203"
    quiet = {f["object"] for f in _report(root)["exercised_without_leak"]}
    assert "app.store.profile" in quiet  # each user gets only what was computed for them


def test_singleton_manager_used_by_two_users(scenario_run: Any) -> None:
    leaks = _leaks(scenario_run[2])
    leak = leaks["app.store.get_manager()"]  # built on first call, after wrapping
    assert leak["what"] == "instance"
    # `ChatWebSocketManager` resolves to the project's class, which keeps no user (it sends
    # to any user id): not user-scoped, so its getter is NWS104's audit finding and its
    # calls are no NWS105; the sentinel still sees the one instance serve two users
    assert {p["code"] for p in leak["predicted"]} == {"NWS104"}
    assert (leak["writer"]["user"], leak["reader"]["user"]) == ("alice", "bob")


def test_class_singleton_used_by_two_users(scenario_run: Any) -> None:
    leak = _leaks(scenario_run[2])["app.store.SessionEmitter instance"]
    assert [p["code"] for p in leak["predicted"]] == ["NWS104"]


def test_a_leak_no_finding_names_is_not_predicted(scenario_run: Any) -> None:
    leak = _leaks(scenario_run[2])["app.store.backup"]
    assert leak["predicted"] == "not predicted"
    assert (leak["writer"]["user"], leak["reader"]["user"]) == ("alice", "bob")


def test_per_user_keyed_dict_read_by_its_own_user_is_no_leak(scenario_run: Any) -> None:
    root = scenario_run[2]
    assert "app.store.OWN" not in _leaks(root)
    assert "app.store.OWN" in {f["object"] for f in _report(root)["exercised_without_leak"]}


def test_configured_identity_getter(scenario_run: Any) -> None:
    leak = _leaks(scenario_run[2])["app.store.NOTES"]
    assert (leak["writer"]["user"], leak["reader"]["user"]) == ("erin", "frank")


def test_a_test_without_a_user_reports_nothing(scenario_run: Any) -> None:
    root = scenario_run[2]
    assert "app.store.UNUSED" not in _leaks(root)
    never = {f["object"]: f for f in _report(root)["never_exercised"]}
    assert never["app.store.UNUSED"]["code"] == "NWS201"


def test_warn_mode_reports_without_failing(tmp_path: Path) -> None:
    root = _project(tmp_path)
    proc = _pytest(root, "--nws-sentinel=warn")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "confirmed leaks: 10 (warn only)" in proc.stdout
    assert "LEAK app.store.CACHE (value)" in proc.stdout


def test_without_the_option_nothing_is_imported_or_wrapped(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        textwrap.dedent(
            """
            import sys
            from app import store

            def test_untouched(nws_user):
                with nws_user("alice"):
                    store.remember("alice", 1)
                assert type(store.CACHE) is dict
                assert not [m for m in sys.modules if m.startswith("netra_ws_lint.engine")]
                assert "netra_ws_lint.sentinel.wrappers" not in sys.modules
            """
        ),
    )
    proc = _pytest(root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "sentinel" not in proc.stdout


@pytest.mark.parametrize(("example", "code"), [("legacy_service", 1), ("factory_service", 0)])
def test_example_services(example: str, code: int, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    proc = _pytest(
        ROOT, f"examples/{example}", "--nws-sentinel", "--nws-sentinel-report", str(report)
    )
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "5 passed" in proc.stdout  # the suite's own assertions pass on both
    data = json.loads(report.read_text())
    if example == "factory_service":
        assert data["leaks"] == [] and data["never_exercised"] == []
        return
    leaks = {leak["object"].rsplit(".", 1)[-1]: leak for leak in data["leaks"]}
    assert sorted(leaks) == ["_connections", "manager"]
    manager = leaks["manager"]  # one process-wide manager serves both users
    assert (manager["what"], manager["writer"]["user"], manager["reader"]["user"]) == (
        "instance",
        "alice",
        "bob",
    )
    predicted = {(p["code"], p["location"].split("/")[-1]) for p in manager["predicted"]}
    assert {("NWS103", "agent_service.py:14:1"), ("NWS104", "websocket_manager.py:35:1")} <= (
        predicted
    )
    connections = leaks["_connections"]  # alice's report reads bob's connections
    assert (connections["writer"]["user"], connections["reader"]["user"]) == ("bob", "alice")
    assert connections["writer"]["location"].endswith("websocket_manager.py:20")
    assert connections["reader"]["location"].endswith("websocket_manager.py:27")
    assert [(p["code"], p["location"].split("/")[-1]) for p in connections["predicted"]] == [
        ("NWS204", "websocket_manager.py:13:5")
    ]
    quiet = {f["object"].rsplit(".", 1)[-1] for f in data["exercised_without_leak"]}
    # the handler's thread-local is written under each user, never read back
    assert quiet == {"load_agent_settings", "_run_results", "_request_state"}
    assert [(f["code"], f["location"].split("/")[-1]) for f in data["not_watchable"]] == [
        ("NWS207", "handlers.py:30:5")
    ]


# ---------------------------------------------------------------- in-process units

ORIGINALS = [
    {"a": [1], "b": {"c": 2}},
    [1, [2, 3]],
    {1, 2},
    deque([1, 2], 3),
    OrderedDict(a=1, b=2),
    defaultdict(list, a=[1]),
    Counter("aab"),
]


@pytest.mark.parametrize("original", ORIGINALS, ids=lambda o: type(o).__name__)
def test_wrapped_containers_behave_as_their_type(original: Any) -> None:
    wrapped = wrap_container(original, Target("t.C", "container"))
    assert type(wrapped) is not type(original)
    assert isinstance(wrapped, type(original))
    assert wrapped == original and repr(wrapped) == repr(original)
    for clone in (pickle.loads(pickle.dumps(wrapped)), copy.copy(wrapped), copy.deepcopy(wrapped)):
        assert type(clone) is type(original) and clone == original


def test_nested_containers_are_wrapped_at_wrap_time() -> None:
    wrapped = wrap_container({"inner": {"x": []}}, Target("t.N", "container"))
    assert type(wrapped["inner"]) is not dict and type(wrapped["inner"]["x"]) is not list


def test_list_writers_follow_sort_and_deque_eviction() -> None:
    RECORDER.leaks.clear()
    lst = wrap_container([], Target("t.L", "container"))
    with nws_user("alice"):
        lst.extend([1, 2])
    with nws_user("bob"):
        lst.append(3)
        lst.sort(reverse=True)
        assert lst[0] == 3 and not RECORDER.leaks  # bob's own element, now first
        assert lst[1] == 2 and RECORDER.leaks
    RECORDER.leaks.clear()
    dq = wrap_container(deque(maxlen=2), Target("t.Q", "container"))
    with nws_user("alice"):
        dq.append(1)
    with nws_user("bob"):
        dq.extend([2, 3])  # alice's element is pushed out
        assert list(dq) == [2, 3] and not RECORDER.leaks


def test_sentinel_identity_config_key() -> None:
    s = apply_options(Config(), {"sentinel-identity": "myapp.context:current_user_id"}, None)
    assert s.sentinel_identity == "myapp.context:current_user_id"
    with pytest.raises(ConfigError, match="sentinel-identity"):
        apply_options(Config(), {"sentinel-identity": "no colon"}, None)


class _Manager:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, text: str) -> None:
        self.sent.append(text)


def test_tracked_instance_keeps_its_class_for_isinstance_copy_and_pickle() -> None:
    from netra_ws_lint.sentinel.wrappers import track_instance

    RECORDER.leaks.clear()
    manager = _Manager()
    assert track_instance(manager, Target("t.manager", "instance")) is not None
    assert isinstance(manager, _Manager) and type(manager) is not _Manager
    for clone in (pickle.loads(pickle.dumps(manager)), copy.copy(manager)):
        assert type(clone) is _Manager
    with nws_user("alice"):
        manager.send("a")
    assert not RECORDER.leaks
    with nws_user("bob"):
        manager.send("b")
        manager.send("c")
    (leak,) = RECORDER.leaks.values()
    assert (leak.writer[0], leak.reader[0], leak.what) == ("alice", "bob", "instance")
    RECORDER.leaks.clear()


# ---------------------------------------------------------------- thread-locals (NWS208)

TLS = """
import threading

_local = threading.local()
_own = threading.local()
_per_thread = threading.local()
extra = threading.local()
_local.ready = True
_current_user = None


class RequestState(threading.local):
    def __init__(self):
        self.user = None


state = RequestState()


class Tenant:
    current = threading.local()


async def bind(user_id):
    _local.user = user_id


async def whoami():
    return getattr(_local, "user", None)


async def own_set(user_id):
    _own.user = user_id


async def own_get(user_id):
    return _own.user if hasattr(_own, "user") else None


async def thread_set(user_id):
    _per_thread.user = user_id


async def thread_get(user_id):
    return getattr(_per_thread, "user", None)


async def remember(user_id):
    state.user = user_id


async def recall(user_id):
    return state.user


async def set_tenant(user_id):
    Tenant.current.tenant = user_id


async def tenant(user_id):
    return Tenant.current.tenant


def put_extra(key, value):
    setattr(extra, key, value)


def get_extra(key):
    return getattr(extra, key, None)


def stash(key, value):
    setattr(_local, key, value)


def unstash(key):
    return getattr(_local, key, None)


async def handle(user_id):
    global _current_user
    _current_user = user_id
    return _current_user
"""

TLS_SCENARIOS = """
import asyncio
import threading

from app import tls


def as_tasks(nws_user, *steps):
    async def scenario():
        out = []
        for user, fn in steps:
            with nws_user(user):
                out.append(await asyncio.create_task(fn(user)))
        return out

    return asyncio.run(scenario())


def test_tasks_share_the_thread_local(nws_user):
    assert as_tasks(nws_user, ("alice", tls.bind), ("bob", lambda u: tls.whoami())) == [
        None,
        "alice",
    ]


def test_same_user_writes_and_reads(nws_user):
    for user in ("alice", "bob"):
        assert as_tasks(nws_user, (user, tls.own_set), (user, tls.own_get)) == [None, user]


def test_threads_of_two_users(nws_user):
    seen = []

    def run(user):
        seen.append(asyncio.run(tls.thread_get(user)))
        asyncio.run(tls.thread_set(user))
        seen.append(asyncio.run(tls.thread_get(user)))

    for user in ("alice", "bob"):
        with nws_user(user):
            t = threading.Thread(target=run, args=(user,))
            t.start()
            t.join()
    assert seen == [None, "alice", None, "bob"]


def test_subclass_instance(nws_user):
    assert isinstance(tls.state, tls.RequestState) and type(tls.state) is not tls.RequestState
    assert isinstance(tls._local, threading.local) and tls._local.ready is True
    assert as_tasks(nws_user, ("alice", tls.remember), ("bob", tls.recall)) == [None, "alice"]
    box = []
    t = threading.Thread(target=lambda: box.append(tls.state.user))
    t.start()
    t.join()
    assert box == [None]  # a new thread runs __init__ on its own storage


def test_class_attribute(nws_user):
    assert as_tasks(nws_user, ("carol", tls.set_tenant), ("dave", tls.tenant)) == [None, "carol"]


def test_unflagged(nws_user):
    with nws_user("alice"):
        tls.put_extra("token", "alice's token")
    with nws_user("bob"):
        assert tls.get_extra("token") == "alice's token"


def test_unflagged_attribute(nws_user):
    with nws_user("alice"):
        tls.stash("theme", "alice's theme")
    with nws_user("bob"):
        assert tls.unstash("theme") == "alice's theme"


def test_global(nws_user):
    with nws_user("alice"):
        assert asyncio.run(tls.handle("alice")) == "alice"
"""


@pytest.fixture(scope="module")
def tls_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    root = tmp_path_factory.mktemp("sentinel_tls")
    (root / "app").mkdir()
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "tls.py").write_text(TLS)
    (root / "tests").mkdir()
    (root / "tests" / "test_tls.py").write_text(TLS_SCENARIOS)
    (root / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    proc = _pytest(root, "--nws-sentinel=warn", "--nws-sentinel-report", "report.json")
    assert proc.returncode == 0 and "8 passed" in proc.stdout, proc.stdout + proc.stderr
    return proc.stdout, root


def _tls_line(text: str) -> int:
    return TLS.splitlines().index(text) + 1


def test_thread_local_shared_by_asyncio_tasks_of_two_users_leaks(tls_run: Any) -> None:
    (leak,) = [
        x
        for x in _report(tls_run[1])["leaks"]
        if (x["object"], x["what"]) == ("app.tls._local", "thread-local attribute 'user'")
    ]
    assert (leak["writer"]["user"], leak["reader"]["user"]) == ("alice", "bob")
    assert leak["kind"] == "thread-local" and leak["what"] == "thread-local attribute 'user'"
    assert leak["writer"]["location"].endswith(f"tls.py:{_tls_line('    _local.user = user_id')}")
    read = _tls_line('    return getattr(_local, "user", None)')
    assert leak["reader"]["location"].endswith(f"tls.py:{read}")
    predicted = {(p["code"], p["location"].split("/")[-1]) for p in leak["predicted"]}
    # the one finding at the binding, whose message names the read
    assert predicted == {("NWS208", f"tls.py:{_tls_line('_local = threading.local()')}:1")}
    assert f"`_local.user` read in `async def whoami` (line {read})" in leak["predicted"][0][
        "message"
    ]
    assert {p["code"] for p in leak["predicted"]} == {"NWS208"}
    assert "LEAK app.tls._local (thread-local attribute 'user')" in tls_run[0]


def test_thread_local_attribute_no_finding_names_is_not_predicted(tls_run: Any) -> None:
    by_what = {
        leak["what"]: leak
        for leak in _report(tls_run[1])["leaks"]
        if leak["object"] == "app.tls._local"
    }
    assert sorted(by_what) == ["thread-local attribute 'theme'", "thread-local attribute 'user'"]
    theme = by_what["thread-local attribute 'theme'"]  # set through setattr(x, key, v)
    assert theme["predicted"] == "not predicted"
    assert (theme["writer"]["user"], theme["reader"]["user"]) == ("alice", "bob")
    user = by_what["thread-local attribute 'user'"]  # only the findings naming `user`
    assert all("`_local.user`" in p["message"] for p in user["predicted"])


def test_thread_local_written_and_read_by_the_same_user_is_no_leak(tls_run: Any) -> None:
    root = tls_run[1]
    assert "app.tls._own" not in _leaks(root)
    assert "app.tls._own" in {f["object"] for f in _report(root)["exercised_without_leak"]}


def test_threads_started_by_two_users_keep_their_own_thread_local(tls_run: Any) -> None:
    root = tls_run[1]
    assert "app.tls._per_thread" not in _leaks(root)
    quiet = {f["object"] for f in _report(root)["exercised_without_leak"]}
    assert "app.tls._per_thread" in quiet


def test_thread_local_subclass_instance_leaks(tls_run: Any) -> None:
    leak = _leaks(tls_run[1])["app.tls.state"]
    assert (leak["writer"]["user"], leak["reader"]["user"]) == ("alice", "bob")
    assert leak["writer"]["location"].endswith(f"tls.py:{_tls_line('    state.user = user_id')}")
    assert {p["code"] for p in leak["predicted"]} == {"NWS208"}


def test_thread_local_class_attribute_leaks(tls_run: Any) -> None:
    leak = _leaks(tls_run[1])["app.tls.Tenant.current"]
    assert (leak["writer"]["user"], leak["reader"]["user"]) == ("carol", "dave")
    assert {p["code"] for p in leak["predicted"]} == {"NWS208"}


def test_thread_local_no_finding_names_is_not_predicted(tls_run: Any) -> None:
    leak = _leaks(tls_run[1])["app.tls.extra"]
    assert leak["predicted"] == "not predicted"
    assert (leak["writer"]["user"], leak["reader"]["user"]) == ("alice", "bob")


def test_rebound_global_is_listed_as_not_watchable(tls_run: Any) -> None:
    out, root = tls_run
    (entry,) = _report(root)["not_watchable"]
    assert entry["code"] == "NWS207" and "STORE_GLOBAL" in entry["reason"]
    assert "NWS207" not in {f["code"] for f in _report(root)["never_exercised"]}
    assert "findings not watchable at run time: 1" in out
    assert len(_report(root)["leaks"]) == 5


class _NeedsArgs(threading.local):
    def __init__(self, user: str) -> None:
        self.user = user


def test_thread_local_whose_init_needs_arguments_is_not_rebuilt() -> None:
    from netra_ws_lint.sentinel.wrappers import track_thread_local

    assert track_thread_local(_NeedsArgs("x"), Target("t.needs", "thread-local")) is None
    plain = threading.local()
    plain.ready = True
    tracked = track_thread_local(plain, Target("t.plain", "thread-local"))
    assert isinstance(tracked, threading.local) and tracked.ready is True
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(getattr(tracked, "ready", None)))
    worker.start()
    worker.join()
    assert seen == [None]  # another thread has its own storage


# ---------------------------------------------------------------- the flag and its mode


def test_the_flag_takes_no_value_and_the_mode_is_its_own_option(tmp_path: Path) -> None:
    root = _project(tmp_path)
    # the flag before the path: the path is not taken for a mode
    proc = _pytest(root, "--nws-sentinel", "tests")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the scenarios leak
    assert "invalid choice" not in proc.stderr
    assert "confirmed leaks: 10 (run failed)" in proc.stdout
    proc = _pytest(root, "--nws-sentinel", "--nws-sentinel-mode", "warn", "tests")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "confirmed leaks: 10 (warn only)" in proc.stdout
    # the ini key, and the command line over it
    (root / "pytest.ini").write_text("[pytest]\npythonpath = .\nnws_sentinel_mode = warn\n")
    assert _pytest(root, "--nws-sentinel", "tests").returncode == 0
    proc = _pytest(root, "--nws-sentinel", "--nws-sentinel-mode=fail", "tests")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # the mode alone does not turn the sentinel on
    proc = _pytest(root, "--nws-sentinel-mode=fail", "tests")
    assert "sentinel" not in proc.stdout


# ---------------------------------------------------------------- hostile projects

HOSTILE = {
    "registry.py": """
        _REGISTRY = {}


        class Plugin:
            def __init_subclass__(cls, **kwargs):
                super().__init_subclass__(**kwargs)
                if cls.__name__ in _REGISTRY:
                    raise ValueError(f"duplicate plugin {cls.__name__}")
                _REGISTRY[cls.__name__] = cls


        class ChatWebSocketManager(Plugin):
            def __init__(self):
                self.sent = []

            def send_to_user(self, user_id, message):
                self.sent.append((user_id, message))


        _instance = None


        def get_manager():
            global _instance
            if _instance is None:
                _instance = ChatWebSocketManager()
            return _instance


        default_manager = ChatWebSocketManager()  # built at import time
        """,
    "lazy.py": """
        import sys
        import types

        CACHE: dict = {}


        def remember(user_id, value):
            CACHE["last"] = value


        def __getattr__(name):
            raise RuntimeError(f"lazy module: {name} is not loaded")


        def _refuse(name):
            raise RuntimeError(f"plugin {name} is not loaded")


        _plugins = types.ModuleType("app.lazy_plugins")  # no __file__
        _plugins.__getattr__ = _refuse
        sys.modules["app.lazy_plugins"] = _plugins


        class _Proxy:
            def __getattr__(self, name):
                raise LookupError(name)


        sys.modules["app.lazy_proxy"] = _Proxy()
        """,
    "holder.py": """
        SESSIONS: dict = {}


        class Store:
            def __init__(self, data):
                self.data = data

            def put(self, key, value):
                self.data[key] = value


        STORE = Store(SESSIONS)  # holds the module's dict, not a copy of it


        def join(user_id, room):
            SESSIONS[user_id] = room


        NAMES: dict = {}


        def rename(user_id, name, into=NAMES):  # a default argument holds it too
            into[user_id] = name


        def forget(user_id):
            NAMES.pop(user_id, None)
        """,
    "slotted.py": """
        from typing import final


        class SlottedWebSocketManager:
            __slots__ = ("sent",)

            def __init__(self):
                self.sent = []

            def send_to_user(self, user_id, message):
                self.sent.append((user_id, message))


        _instance = None


        def get_manager():
            global _instance
            if _instance is None:
                _instance = SlottedWebSocketManager()
            return _instance


        @final
        class FinalWebSocketManager:
            def __init_subclass__(cls, **kwargs):
                raise TypeError("FinalWebSocketManager cannot be subclassed")

            def __init__(self):
                self.sent = []

            def send_to_user(self, user_id, message):
                self.sent.append((user_id, message))


        _final = None


        def get_final_manager():
            global _final
            if _final is None:
                _final = FinalWebSocketManager()
            return _final
        """,
}

HOSTILE_TESTS = """
from app import holder, lazy, registry, slotted


def test_registry(nws_user):
    with nws_user("alice"):
        registry.get_manager().send_to_user("alice", "hi")
        registry.default_manager.send_to_user("alice", "hi")
    assert sorted(registry._REGISTRY) == ["ChatWebSocketManager"]
    assert type(registry.default_manager) is registry.ChatWebSocketManager


def test_lazy(nws_user):
    with nws_user("alice"):
        lazy.remember("alice", 1)


def test_holder(nws_user):
    holder.STORE.put("bob", "room")
    assert holder.SESSIONS == {"bob": "room"}
    with nws_user("alice"):
        holder.join("alice", "r1")
    assert holder.STORE.data["alice"] == "r1"
    holder.rename("carol", "c")
    assert holder.NAMES == {"carol": "c"}
    with nws_user("carol"):
        holder.forget("carol")
    assert holder.NAMES == {}


def test_slotted(nws_user):
    with nws_user("alice"):
        slotted.get_manager().send_to_user("alice", "hi")
        slotted.get_final_manager().send_to_user("alice", "hi")
    with nws_user("bob"):
        slotted.get_manager().send_to_user("bob", "hi")
        slotted.get_final_manager().send_to_user("bob", "hi")
"""


def test_a_hostile_project_runs_as_without_the_sentinel(tmp_path: Path) -> None:
    """A registry of subclasses refusing duplicates, lazy modules whose ``__getattr__``
    raises, a module dict an import-time object holds, ``__slots__`` and final
    classes: every test passes as it does without the sentinel, and each object it
    left alone is reported as not watched, with the reason."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    for name, text in HOSTILE.items():
        (tmp_path / "app" / name).write_text(textwrap.dedent(text))
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_hostile.py").write_text(HOSTILE_TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    plain = _pytest(tmp_path, "tests")
    assert plain.returncode == 0, plain.stdout + plain.stderr
    proc = _pytest(tmp_path, "--nws-sentinel", "--nws-sentinel-report", "report.json", "tests")
    assert "INTERNALERROR" not in proc.stdout + proc.stderr
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 passed" in proc.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["error"] is None
    reasons = {
        (f["code"], f["location"].split(":")[0].rsplit("/", 1)[-1]): f["reason"]
        for f in report["never_exercised"]
    }
    assert "never imported" not in " ".join(reasons.values())
    (held,) = [f["reason"] for f in report["never_exercised"] if "SESSIONS" in f["message"]]
    assert held.startswith("not watched, because app.holder.SESSIONS is also held")
    assert "a Store" in held
    (names,) = [f["reason"] for f in report["never_exercised"] if "NAMES" in f["message"]]
    assert names.startswith("not watched, because app.holder.NAMES is also held"), names
    assert "__init_subclass__" in reasons[("NWS104", "registry.py")]
    slotted = [f["reason"] for f in report["never_exercised"] if "slotted.py" in f["location"]]
    assert any("has __slots__" in r for r in slotted), slotted
    # @final marks the class itself from Python 3.11 on; its __init_subclass__ refuses
    assert any("is final" in r or "FinalWebSocketManager.__init_subclass__" in r for r in slotted)
