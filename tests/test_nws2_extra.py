"""NWS2 (shared state) behaviour the VALID / INVALID examples cannot show: audit vs
default status of one finding, one place flagged once, options, noqa on the reported
line, and the rules on syntax of Python 3.9-3.13."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest

from netra_ws_lint.config import Settings, apply_options
from netra_ws_lint.engine.pipeline import check_source
from netra_ws_lint.model import Finding


def run(source: str, audit: bool = False, **options: object) -> list[Finding]:
    settings = Settings(audit=audit)
    if options:
        settings = apply_options(settings, options, "test")
    findings = check_source(source, "app/x.py", settings)
    assert not [f for f in findings if f.code == "NWS901"], findings
    return [f for f in findings if f.code.startswith("NWS2")]


def places(findings: list[Finding]) -> list[tuple[int, int, str]]:
    return sorted((f.line, f.col + 1, f.code) for f in findings)


def test_one_statement_is_one_finding() -> None:
    src = (
        "CACHE = {}\n"
        "async def f(k, j):\n"
        "    CACHE.setdefault(k, {}).setdefault(j, []).append(1)\n"
        "    CACHE[k], CACHE[j] = 1, 2\n"
        "    del CACHE[k][0], CACHE[j][0]\n"
    )
    assert places(run(src)) == [(3, 5, "NWS201"), (4, 5, "NWS201"), (5, 5, "NWS201")]


def test_nws201_and_nws202_never_flag_the_same_place() -> None:
    src = (
        "CACHE = []\n"
        "def register(x):\n"
        "    CACHE.append(x)\n"
        "async def handle(x):\n"
        "    CACHE.append(x)\n"
        "def for_user(user_id):\n"
        "    CACHE.append(user_id)\n"
        "CACHE.append(0)\n"
    )
    assert places(run(src, audit=True)) == [
        (3, 5, "NWS202"), (5, 5, "NWS201"), (7, 5, "NWS201"),
    ]
    # without --audit only the default rule reports
    assert places(run(src)) == [(5, 5, "NWS201"), (7, 5, "NWS201")]


def test_identity_names_option_moves_a_mutation_to_nws201() -> None:
    src = "STATE = {}\ndef save(tenant_id, v):\n    STATE[tenant_id] = v\n"
    assert places(run(src, audit=True)) == [(3, 5, "NWS202")]
    found = run(src, audit=True, **{"extend-identity-names": ["tenant_id"]})
    assert places(found) == [(3, 5, "NWS201")]


def test_user_scoped_types_option_for_nws203() -> None:
    src = (
        "import functools\n"
        "class TenantSession:\n"
        "    @functools.lru_cache\n"
        "    def rights(self):\n"
        "        return 1\n"
    )
    assert run(src) == []
    found = run(src, **{"extend-user-scoped-types": ["*Session"]})
    assert places(found) == [(4, 5, "NWS203")]


def test_nws204_classvar_is_audit_and_a_default_finding_wins() -> None:
    src = (
        "from typing import ClassVar\n"
        "class Registry:\n"
        "    items: ClassVar[list] = []\n"
        "    def add(self, x):\n"
        "        self.items.append(x)\n"
    )
    assert run(src) == []
    (finding,) = run(src, audit=True)
    assert (finding.line, finding.code, finding.audit) == (3, "NWS204", True)
    # mutated from a user-scoped subclass too: reported once, by default
    src += (
        "class UserWebSocketManager(Registry):\n"
        "    def __init__(self, user_context):\n"
        "        self.user_context = user_context\n"
        "    def connect(self, ws):\n"
        "        self.items.append(ws)\n"
    )
    for audit in (False, True):
        (finding,) = run(src, audit=audit)
        assert (finding.line, finding.code, finding.audit) == (3, "NWS204", False)
        assert "UserWebSocketManager.connect" in finding.message


def test_nws204_base_init_rebinding_and_noqa_on_the_binding_line() -> None:
    rebound = (
        "class Base:\n"
        "    def __init__(self):\n"
        "        self.items = []\n"
        "class Child(Base):\n"
        "    items = []\n"
        "    def add(self, x):\n"
        "        self.items.append(x)\n"
    )
    assert run(rebound) == []
    # `cls.x` mutates the class attribute whatever __init__ does; mutated only through
    # the class (a classmethod registry), it is an audit finding
    via_cls = rebound + (
        "    @classmethod\n"
        "    def seed(cls, x):\n"
        "        cls.items.append(x)\n"
    )
    assert run(via_cls) == []
    assert places(run(via_cls, audit=True)) == [(5, 5, "NWS204")]
    suppressed = via_cls.replace("    items = []\n", "    items = []  # noqa: NWS204\n")
    assert run(suppressed, audit=True) == []


def test_nws203_reported_at_def_keyword_not_decorator() -> None:
    src = (
        "from functools import lru_cache\n"
        "class Cache:\n"
        "    @lru_cache(\n"
        "        maxsize=1,\n"
        "    )\n"
        "    async def load(self, *, user_id):\n"
        "        return user_id\n"
    )
    assert places(run(src)) == [(6, 5, "NWS203")]


def test_messages_name_the_symbol() -> None:
    src = (
        "import asyncio, contextvars\n"
        "SEEN = set()\n"
        "LOCK = asyncio.Semaphore(3)\n"
        "VAR = contextvars.ContextVar('request', default=[])\n"
        "async def f(user_id):\n"
        "    SEEN.add(user_id)\n"
        "    async with LOCK:\n"
        "        await asyncio.sleep(1)\n"
    )
    messages = {f.code: f.message for f in run(src)}
    assert "`SEEN`" in messages["NWS201"] and "`f`" in messages["NWS201"]
    assert "`LOCK`" in messages["NWS205"] and "asyncio.Semaphore" in messages["NWS205"]
    assert "'request'" in messages["NWS206"]


ODD_SHAPES = [
    "del ()\n[].append(1)\nf()[0] = 1\n(lambda: 0)().append(1)\nx = [][0] = 1\n",
    "X = {}\ndef f(user_id):\n    X[()] = 1\n    X[...][1:2] = 3\n"
    "    for X[user_id] in range(3):\n        pass\n",
    "X = {}\nasync def f(user_id):\n    [X.update(a=1) async for _ in aiter()]\n"
    "    (y := X).clear()\n    print(*[X.pop(1)], **X.setdefault(2, {}))\n",
    "class A:\n    x = []\n    f = lambda self: self.x.append(1)\n    y = x.append(2)\n"
    "    def g(self):\n        class B:\n            z = {}\n            def h(s):\n"
    "                A.x.append(1)\n                s.z[1] = 2\n        return B\n",
    "import asyncio\nL = asyncio.Lock()\ndef f(user_id):\n    with L as a, L:\n        pass\n"
    "    L.acquire\n    (L).acquire()\n    getattr(L, 'acquire')()\n",
    "from contextvars import ContextVar\nContextVar()\nContextVar(default=[])\n"
    "ContextVar(*a, **k)\nContextVar[int][str]('x', default={})\n",
    "from functools import lru_cache\n@lru_cache\n@(lambda f: f)\n"
    "def g(*user_id, **ctx):\n    pass\n",
    "X = [" + "[" * 50 + "]" * 50 + "]\ndef f(user_id):\n    X" + "[0]" * 300 + " = 1\n",
]


@pytest.mark.parametrize("source", ODD_SHAPES)
def test_odd_shapes_do_not_crash(source: str) -> None:
    run(source, audit=True)


NEW_SYNTAX = [
    ((3, 10), (
        "CACHE = {}\n"
        "def route(event, user_id):\n"
        "    match event:\n"
        "        case {'type': 'add', **rest}:\n"
        "            CACHE[user_id] = rest  # L5\n"
        "        case [first, *others] if CACHE.pop(user_id, None):  # L6\n"
        "            pass\n"
    ), [(5, "NWS201"), (6, "NWS201")]),
    ((3, 11), (
        "import asyncio\n"
        "LOCK = asyncio.Lock()\n"
        "async def f(session_id):\n"
        "    try:\n"
        "        pass\n"
        "    except* ValueError:\n"
        "        async with LOCK:  # L7\n"
        "            await report(session_id)\n"
    ), [(7, "NWS205")]),
    ((3, 12), (
        "type Alias[T] = dict[str, T]\n"
        "class Box[T]:\n"
        "    items: list[T] = []  # L3\n"
        "    def put[U](self, x: U) -> None:\n"
        "        self.items.append(x)\n"
        "REG: dict[str, int] = {}\n"
        "async def f[T](x: T) -> None:\n"
        "    REG[f'{x}'] = 1  # L8\n"
    ), [(3, "NWS204"), (8, "NWS201")]),
    ((3, 13), (
        "from functools import cache\n"
        "class Q[T = int]:\n"
        "    @cache\n"
        "    def m(self, user_id: T) -> T:  # L4\n"
        "        return user_id\n"
    ), [(4, "NWS203")]),
]


@pytest.mark.parametrize(("minimum", "source", "expected"), NEW_SYNTAX)
def test_new_syntax(minimum: tuple[int, int], source: str,
                    expected: list[tuple[int, str]]) -> None:
    if sys.version_info < minimum:
        pytest.skip(f"needs Python {minimum[0]}.{minimum[1]}")
    assert sorted((f.line, f.code) for f in run(source, audit=True)) == expected


def test_settings_are_not_mutated() -> None:
    s = Settings()
    before = replace(s)
    check_source("X = {}\nasync def f():\n    X[1] = 2\n", "x.py", s)
    assert s == before
