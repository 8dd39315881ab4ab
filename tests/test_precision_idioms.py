"""The shapes NWS201, NWS301 and NWS304 use to tell a user's path from code acting for
nobody (analysis/idioms.py): removals, weak stores, probes, objects handed on, contexts
that a callee checks before reading."""

from __future__ import annotations

import ast
import textwrap

import pytest

from netra_ws_lint.analysis.idioms import (
    context_guarded,
    handed_on,
    kept_in_function,
    name_words,
    probe_function,
    pure_removal,
    weak_only_store,
)


def _stmt(code: str) -> ast.AST:
    node = ast.parse(code).body[0]
    return node.value if isinstance(node, ast.Expr) else node


def _fn(code: str) -> ast.FunctionDef:
    fn = ast.parse(textwrap.dedent(code)).body[0]
    assert isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
    return fn  # type: ignore[return-value]


def _call(fn: ast.AST, name: str) -> ast.Call:
    return next(
        n
        for n in ast.walk(fn)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name
    )


@pytest.mark.parametrize(
    "code",
    [
        "del X[k]",
        "X.pop(k, None)",
        "X.popitem()",
        "X.discard(v)",
        "X.remove(v)",
        "X.clear()",
        "X[k] = [m for m in X[k] if m != v]",
        "X[k] = {a: b for a, b in X[k].items() if a != v}",
    ],
)
def test_pure_removals(code: str) -> None:
    assert pure_removal(_stmt(code))


@pytest.mark.parametrize(
    "code",
    [
        "X[k].remove(v)",  # a method of what the store holds: anything
        "del X[k][j]",
        "X[k] = [m for m in X[k]]",  # a copy, nothing filtered
        "X[k] = [m.copy() for m in X[k] if m]",  # new values
        "X[k] = [m for m in Y[k] if m != v]",  # another entry's items
        "X.append(v)",
        "X[k] = v",
    ],
)
def test_not_pure_removals(code: str) -> None:
    assert not pure_removal(_stmt(code))


def _weak(code: str) -> bool:
    tree = ast.parse(textwrap.dedent(code))
    return weak_only_store(tree, "LIVE", lambda n: ast.unparse(n))


def test_weak_only_store() -> None:
    assert _weak("LIVE = {}\ndef f(k, o):\n    LIVE[k] = weakref.ref(o)\n")
    assert _weak("LIVE = []\ndef f(o):\n    LIVE.append(weakref.proxy(o))\n")
    assert not _weak("LIVE = {}\ndef f(k, o):\n    LIVE[k] = weakref.ref(o)\n    LIVE['x'] = o\n")
    assert not _weak("LIVE = {'a': object()}\ndef f(k, o):\n    LIVE[k] = weakref.ref(o)\n")
    assert not _weak("LIVE = {}\ndef f(k, o):\n    LIVE.setdefault(k, []).append(weakref.ref(o))\n")
    assert not _weak("LIVE = {}\n")  # stores nothing: nothing to say


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("validate_factory_health", ["validate", "factory", "health"]),
        ("runSelfTest", ["run", "self", "test"]),
        ("HTTPHealthz", ["http", "healthz"]),
    ],
)
def test_name_words(name: str, words: list[str]) -> None:
    assert name_words(name) == words


@pytest.mark.parametrize(
    ("name", "probe"),
    [
        ("validate_factory_health", True),
        ("health_check", True),
        ("readiness", True),
        ("run_self_test", True),
        ("validate_components", True),
        ("verify_setup", True),
        ("smoke", True),
        ("warmup", False),
        ("nightly", False),
        ("handle_message", False),
        ("revalidate_token", False),
        ("healthy_users", False),
    ],
)
def test_probe_function(name: str, probe: bool) -> None:
    assert probe_function(name) is probe


def test_kept_in_function() -> None:
    fn = _fn(
        """
        async def health(self):
            ctx = Ctx('h')
            async with self.make(ctx) as x:
                await x.ping()
            self.make(Ctx('i'))
            return {'ok': True}
        """
    )
    calls = [
        n for n in ast.walk(fn) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "Ctx"
    ]
    assert all(kept_in_function(fn, c) for c in calls)
    for code in (
        "def health(self):\n    ctx = Ctx('h')\n    return ctx\n",
        "def health(self):\n    ctx = Ctx('h')\n    self.ctx = ctx\n",
        "def health(self):\n    return self.make(Ctx('h'))\n",
        "def health(self):\n    yield Ctx('h')\n",
    ):
        fn = _fn(code)
        assert not kept_in_function(fn, _call(fn, "Ctx")), code


@pytest.mark.parametrize(
    ("code", "where"),
    [
        ("def f():\n    m = M()\n    return m\n", "returned"),
        ("def f():\n    return Client(M(), timeout=3)\n", "returned"),
        ("def f():\n    return {'m': M()}\n", "returned"),
        ("def f(self):\n    self._m = M()\n", "stored on `self._m`"),
        (
            "async def f(app):\n    m = M()\n    n = m\n    app.state.m = n\n",
            "stored on `app.state.m`",
        ),
        ("def f():\n    yield M()\n", "yielded"),
        ("def f():\n    global _m\n    _m = M()\n    return _m\n", "global"),
        ("async def f(k):\n    m = M()\n    return await m.get(k)\n", None),
        ("async def f(k):\n    m = M()\n    await m.delete(k)\n", None),
    ],
)
def test_handed_on(code: str, where: str | None) -> None:
    fn = _fn(code)
    assert handed_on(fn, _call(fn, "M")) == where


def test_context_guarded() -> None:
    guarded = _fn(
        """
        async def cleanup(ws, manager, user_context):
            if manager and user_context and user_context.cid:
                await manager.remove(user_context.cid)
            await ws.close()
        """
    )
    assert context_guarded(guarded, "user_context")
    bare = _fn("def send(event, user_context):\n    return user_context.user_id, event\n")
    assert not context_guarded(bare, "user_context")
    half = _fn(
        "def f(user_context):\n    if user_context:\n        a = user_context.x\n"
        "    return user_context.y\n"
    )
    assert not context_guarded(half, "user_context")
    unused = _fn("def f(user_context):\n    return 1\n")
    assert not context_guarded(unused, "user_context")
