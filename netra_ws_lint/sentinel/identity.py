"""Who is acting: the sentinel's own context variable, set by ``nws_user``.

``with nws_user("alice"): ...`` runs the block as user ``alice``, in sync and async
code; asyncio tasks started inside copy the context (asyncio does that), and while the
sentinel is on, so do threads (``threading.Thread.start``) and thread pools
(``ThreadPoolExecutor.submit``, hence ``loop.run_in_executor``). An application that
keeps its own notion of the current user can name a getter instead
(``sentinel-identity = "myapp.context:current_user_id"``), asked when no ``nws_user``
block is active.
"""

from __future__ import annotations

import contextvars
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

_USER: contextvars.ContextVar[str | None] = contextvars.ContextVar("nws_user", default=None)
_getter: Callable[[], object] | None = None
_getter_failed: list[str] = []  # the first error of the configured getter, for the report


@contextmanager
def nws_user(user: str) -> Iterator[str]:
    """Act as ``user`` inside the block."""
    token = _USER.set(str(user))
    try:
        yield str(user)
    finally:
        _USER.reset(token)


def current_user() -> str | None:
    """The user acting now: the innermost ``nws_user`` block, else the configured getter."""
    user = _USER.get()
    if user is not None or _getter is None:
        return user
    try:
        found = _getter()
    except Exception as exc:  # an app's getter outside a request: nobody is acting
        if not _getter_failed:
            _getter_failed.append(f"{type(exc).__name__}: {exc}")
        return None
    return None if found is None else str(found)


def set_identity_getter(reference: str | None) -> None:
    """Use ``"module:function"`` as the identity getter (found in ``sys.modules`` when
    first needed: until the tests import that module, nobody is acting)."""
    global _getter
    if reference is None:
        _getter = None
        return
    module_name, _, attr = reference.partition(":")
    resolved: list[Callable[[], object]] = []

    def lazy() -> object:
        if not resolved:
            # the application's own module, once its tests have imported it: the
            # sentinel imports nothing itself
            obj: Any = sys.modules.get(module_name)
            if obj is None:
                return None
            for part in attr.split("."):
                obj = getattr(obj, part)
            resolved.append(obj)
        return resolved[0]()

    _getter = lazy


# ------------------------------------------------------------ threads and pools

_saved: dict[str, Any] = {}


def propagate_to_threads() -> None:
    """Threads and pool jobs started inside an ``nws_user`` block run as that user."""
    if _saved:
        return
    start = _saved["start"] = threading.Thread.start
    submit = _saved["submit"] = ThreadPoolExecutor.submit

    def thread_start(self: threading.Thread) -> None:
        if _USER.get() is not None:
            ctx = contextvars.copy_context()
            run = self.run
            self.run = lambda: ctx.run(run)  # type: ignore[method-assign]
        start(self)

    def pool_submit(self: ThreadPoolExecutor, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        if _USER.get() is not None:
            return submit(self, contextvars.copy_context().run, fn, *args, **kwargs)
        return submit(self, fn, *args, **kwargs)

    threading.Thread.start = thread_start  # type: ignore[method-assign]
    ThreadPoolExecutor.submit = pool_submit  # type: ignore[method-assign,assignment]


def stop_propagating() -> None:
    if _saved:
        threading.Thread.start = _saved.pop("start")  # type: ignore[method-assign]
        ThreadPoolExecutor.submit = _saved.pop("submit")  # type: ignore[method-assign]
