"""Python 3.9-3.13 syntax: each interpreter parses the syntax it supports, and the
rules see the code inside the new constructs. `.ci/run` runs this on every
interpreter from 3.9 to 3.13."""

from __future__ import annotations

import sys

import pytest

from netra_ws_lint.config import Settings
from netra_ws_lint.engine.pipeline import check_source

CASES = [
    ((3, 9), "decorators-any-expression", (
        "handlers = {}\n"
        "@handlers['x'].register\n"
        "def f():\n"
        "    return get_websocket_manager()  # L4\n"
    )),
    ((3, 9), "walrus-async-comprehension", (
        "async def f(users):\n"
        "    if (m := get_websocket_manager()):  # L2\n"
        "        return [u async for u in m.stream() if (x := get_websocket_manager())]  # L3\n"
    )),
    ((3, 9), "posonly-lambda-fstring", (
        "def f(a, /, b, *, c=lambda: get_websocket_manager()):  # L1\n"
        "    return f'{get_websocket_manager()!r:>10}'  # L2\n"
    )),
    ((3, 10), "match", (
        "def route(event):\n"
        "    match event:\n"
        "        case {'type': 'send', **rest} if get_websocket_manager():  # L3\n"
        "            get_websocket_manager().send_to_user(rest)  # L4\n"
        "        case [first, *others]:\n"
        "            pass\n"
        "        case Point(x=0) | None:\n"
        "            get_websocket_manager()  # L8\n"
    )),
    # official in 3.10, but the 3.9 PEG parser already accepts it
    ((3, 9), "parenthesized-context-managers", (
        "async def f():\n"
        "    async with (\n"
        "        get_websocket_manager() as a,  # L3\n"
        "        lock as b,\n"
        "    ):\n"
        "        pass\n"
    )),
    ((3, 11), "except-star-and-star-unpack", (
        "def f(*args: *tuple[int, ...]):\n"
        "    try:\n"
        "        pass\n"
        "    except* ValueError:\n"
        "        get_websocket_manager()  # L5\n"
    )),
    ((3, 12), "pep695-generics-and-type-alias", (
        "type Handler[T] = Callable[[T], None]\n"
        "class Box[T: (int, str)]:\n"
        "    def get[U](self, u: U) -> T:\n"
        "        return get_websocket_manager()  # L4\n"
        "def first[T](xs: list[T]) -> T:\n"
        "    return f'{get_websocket_manager()}'  # L6\n"
    )),
    ((3, 12), "pep701-fstrings", (
        "def f(user):\n"
        "    return f\"{f\"{get_websocket_manager()}\"}\"  # L2\n"
    )),
    ((3, 13), "type-param-defaults", (
        "class Box[T = int]:\n"
        "    def send(self):\n"
        "        get_websocket_manager()  # L3\n"
    )),
]


@pytest.mark.parametrize(("minimum", "name", "source"), CASES, ids=[c[1] for c in CASES])
def test_new_syntax_is_parsed_and_checked(minimum: tuple[int, int], name: str, source: str) -> None:
    if sys.version_info < minimum:
        pytest.skip(f"{name} needs Python {minimum[0]}.{minimum[1]}")
    findings = check_source(source, "x.py", Settings(select=("NWS101", "NWS9")))
    expected = sorted(
        i for i, line in enumerate(source.split("\n"), 1) if line.endswith(f"# L{i}")
    )
    assert [f.code for f in findings if f.code != "NWS101"] == []
    assert sorted({f.line for f in findings}) == expected


def test_newer_syntax_on_an_older_interpreter_is_a_syntax_error_not_a_crash() -> None:
    newest = [c for c in CASES if sys.version_info < c[0]]
    if not newest:
        pytest.skip("this interpreter parses every case")
    for _, _, source in newest:
        findings = check_source(source, "x.py", Settings())
        assert [f.code for f in findings] == ["NWS900"]
