"""A generated project for speed measurements and tests: ``n`` modules in packages of
100, with re-export chains (each package's ``__init__`` re-exports its first module's
factory and the previous package's), cross-module calls (a module calls the factory of
the module before it, through the re-exports), singleton getters called from other
modules, and one module in four without any of the vocabulary (what the prefilter and
the text-only facts skip).

    python benchmarks/gen_project.py DIR N
"""

from __future__ import annotations

import sys
from pathlib import Path

PER_PACKAGE = 100

CORE = '''"""Module {i}."""
from app.p{pkg} import create_notifier_{first}
from app.p{prev_pkg} import create_notifier_{prev_first} as upstream
from .m{prev} import get_manager_{prev}, helper_{prev}

_manager_{i} = None


def get_manager_{i}():
    global _manager_{i}
    if _manager_{i} is None:
        _manager_{i} = UnifiedWebSocketManager()
    return _manager_{i}


def create_notifier_{i}(user_context, channel):
    return Notifier(user_context, channel)


def helper_{i}(user_context, value):
    return helper_{prev}(user_context, value + {i})


class Tracker{i}:
    def __init__(self, user_context: UserExecutionContext) -> None:
        self.user_context = user_context

    async def run(self, event):
        await get_manager_{prev}().send_event(event)
        return create_notifier_{first}(None, "c{i}"), upstream(self.user_context, "u")


async def handle_{i}(user_context, event):
    note = create_notifier_{first}(user_context, "x")
    return note, helper_{i}(user_context, len(event))
'''

PLAIN = '''"""Module {i}: no user context here."""
import os
from .m{prev} import helper_{prev}


def compute_{i}(values):
    total = 0
    for v in values:
        total += v * {i}
    return os.sep.join(str(t) for t in (total, len(values)))


def helper_{i}(user_context, value):
    return helper_{prev}(user_context, value)


class Point{i}:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def norm(self):
        return (self.x ** 2 + self.y ** 2) ** 0.5
'''


def module_text(i: int, per_package: int = PER_PACKAGE) -> str:
    pkg, j = divmod(i, per_package)
    prev = j - 1 if j else 0
    first = pkg * per_package
    prev_pkg = max(pkg - 1, 0)
    fields = dict(
        i=i, pkg=pkg, prev=prev + first, first=first, prev_pkg=prev_pkg,
        prev_first=prev_pkg * per_package,
    )
    if j == 0:  # the first module of a package: no import of itself
        return CORE.format(**fields).replace(
            f"from .m{first} import get_manager_{first}, helper_{first}\n", ""
        ).replace(f"from app.p{pkg} import create_notifier_{first}\n", "").replace(
            f"return helper_{first}(user_context", "return (user_context"
        ).replace(f"await get_manager_{first}()", f"await get_manager_{i}()")
    return (PLAIN if i % 4 == 3 else CORE).format(**fields)


def make_project(root: Path, n: int, per_package: int = PER_PACKAGE) -> Path:
    """Write the ``n``-module project under ``root`` (returned), ``per_package``
    modules to a package."""
    app = root / "app"
    app.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[project]\nname = "app"\n\n[tool.netra-ws-lint]\n')
    (app / "__init__.py").write_text("")
    for pkg in range((n + per_package - 1) // per_package):
        d = app / f"p{pkg}"
        d.mkdir(exist_ok=True)
        first = pkg * per_package
        init = f"from .m{first} import create_notifier_{first}\n"
        if pkg:  # the chain: each package re-exports the previous one's factory
            prev = (pkg - 1) * per_package
            init += f"from app.p{pkg - 1} import create_notifier_{prev}\n"
        (d / "__init__.py").write_text(init)
        for i in range(first, min(first + per_package, n)):
            (d / f"m{i}.py").write_text(module_text(i, per_package))
    return root


if __name__ == "__main__":
    make_project(Path(sys.argv[1]), int(sys.argv[2]))
