"""A generated backend of the shape the migration meets in real projects (no copied
code): ``n`` modules in packages of 100, each with a function acting for one user
without a context (NWS302) reached from a handler that has one (threadable), classes
whose methods share common names (``handle``, ``process``: calls through objects of
unknown type), a context class defined twice (the right one is the one the callers
import; the other sits under a directory that is no package), entry points without a
context (left to a person) and, in one module in seven, the accessor imported late at
the bottom of the file (an import cycle).

    python benchmarks/migration/gen_backend.py DIR N [EVERY]

Only one module in EVERY (default 1: all) has the user-facing chain; the others hold
the classes and plain functions (a real backend has few such chains among many
modules).
"""

from __future__ import annotations

import sys
from pathlib import Path

PER_PACKAGE = 100

MODELS = '''"""The user context."""
from dataclasses import dataclass


@dataclass
class UserExecutionContext:
    user_id: str
'''

OTHER_CONTEXT = '''"""An admin tool's own context class of the same name (not the callers' one)."""


class UserExecutionContext:
    pass
'''

MANAGER = '''"""The process-wide manager and its factory."""
_manager = None


def get_websocket_manager():
    return _manager


def create_websocket_manager(user_context):
    return _manager
'''

TOP = '''"""Module {i}."""
import logging
{early}
logger = logging.getLogger(__name__)


class Service{i}:
    def __init__(self, store):
        self.store = store

    def handle(self, item):
        return self.process(item)

    def process(self, item):
        return self.store.process(item)


async def notify_{i}(user_id, text):
    await get_websocket_manager().send_to_user(user_id, text)


async def step_{i}(user_id, text):
    await notify_{i}(user_id, text)
'''

HANDLERS_TOP = '''"""The package's request handlers: they have the user's context."""
from app.models import UserExecutionContext
'''

HANDLER = """from .m{i} import Service{i}, step_{i}


async def handle_{i}(user_context: UserExecutionContext, text):
    await step_{i}(user_context.user_id, text)
    return Service{i}(None).handle(text)
"""

JOB = """

async def job_{i}(user_id):
    await notify_{i}(user_id, "nightly")
"""

LATE = """

from app.manager import get_websocket_manager  # noqa: E402  (an import cycle)
"""


PLAIN = '''"""Module {i}: no user here."""
import logging

logger = logging.getLogger(__name__)


class Service{i}:
    def __init__(self, store):
        self.store = store

    def handle(self, item):
        return self.process(item)

    def process(self, item):
        return self.store.process(item)


def compute_{i}(values):
    return [Service{i}(v).handle(v) for v in values]
'''


def module_text(i: int, chain: bool = True) -> str:
    if not chain:
        return PLAIN.format(i=i)
    late = i % 7 == 3
    early = "" if late else "from app.manager import get_websocket_manager\n"
    text = TOP.format(i=i, early=early)
    if i % 5 == 0:
        text += JOB.format(i=i)
    if late:
        text += LATE
    return text


def make_backend(root: Path, n: int, every: int = 1) -> Path:
    app = root / "app"
    app.mkdir(parents=True, exist_ok=True)
    (app / "__init__.py").write_text("", encoding="utf-8")
    (app / "models.py").write_text(MODELS, encoding="utf-8")
    (app / "manager.py").write_text(MANAGER, encoding="utf-8")
    admin = app / "admin" / "corpus"  # app/admin has no __init__.py
    admin.mkdir(parents=True, exist_ok=True)
    (admin / "__init__.py").write_text("", encoding="utf-8")
    (admin / "unified_corpus_admin.py").write_text(OTHER_CONTEXT, encoding="utf-8")
    handlers: dict[Path, list[str]] = {}
    for i in range(n):
        pkg = app / f"p{i // PER_PACKAGE}"
        if not pkg.exists():
            pkg.mkdir()
            (pkg / "__init__.py").write_text("", encoding="utf-8")
        chain = i % every == 0
        (pkg / f"m{i}.py").write_text(module_text(i, chain), encoding="utf-8")
        if chain:
            handlers.setdefault(pkg, []).append(HANDLER.format(i=i))
    for pkg, parts in handlers.items():
        text = HANDLERS_TOP + "".join("\n\n" + p for p in parts)
        (pkg / "handlers.py").write_text(text, encoding="utf-8")
    return root


if __name__ == "__main__":
    make_backend(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1)
