"""The project model: every module's facts, joined to answer cross-module questions.

A module's *facts* are plain data (JSON), extracted by the pass that checks the file
(see :mod:`netra_ws_lint.engine.facts`, which also says how to add a fact) and cached per
file::

    {"module": "pkg.core", "package": false, "aliases": ["core"],
     "defs": {"create_manager": {"kind": "function",
                                 "ctx": ["user_context", "pos", 0, false, false],
                                 "singleton": false}},
     "imports": {"get_mgr": "pkg.core.get_websocket_manager", ...}}

``defs`` holds the module's top-level functions and classes with at least one fact
(``ctx``: the user-context parameter as name, kind, position, has a default, default is
``None``; ``singleton``: a singleton getter NWS104 reports); ``imports`` the module-level
imports with absolute names (relative imports resolved against the module's package),
which is what makes re-exports through ``__init__`` and aliases work. ``routes`` (when
not empty) names the request handlers the module registers that other modules define
(``path("", views.index)`` in a Django ``urls.py``: ``{"pkg.views.index": "django"}``),
``apps`` its module-level application objects (``{"sio": ["socketio", true]}``:
framework, served from an event loop), see :mod:`.frameworks`. ``live`` holds what each
scope of the module refers to (:mod:`.liveness`): in an application, the code nothing
live reaches is known from it, and the files where it holds a finding of a
request-serving rule are checked with the project (their names join ``known_names``).

Module names (:func:`module_names`) come from the *source roots* (the ``src`` setting,
relative to the project root; default: the root itself and ``src/``), so PEP 420
namespace packages without ``__init__.py`` resolve, and from ``__init__.py`` chains
(an alias when it differs). The project is the configuration root, not the files named,
so checking one file or a sub-folder resolves names against the whole project.

:meth:`ProjectIndex.find` follows a qualified name through imports and re-exports to the
definition, memoised: a chain of N re-exports costs O(N) once for the whole run. Nothing
here parses a file: cross-module questions are answered by joining facts. The rules ask
through ``Context.project`` (None when a file is checked on its own).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from netra_ws_lint.analysis.liveness import Liveness, dead_module
from netra_ws_lint.config import Settings
from netra_ws_lint.engine.fsutil import absolute_path

__all__ = ["ModuleId", "ProjectIndex", "dead_module", "module_names", "valid_entry"]

if TYPE_CHECKING:  # imported where used: a warm run never joins, so never needs them
    from netra_ws_lint.analysis.scopes import Param
    from netra_ws_lint.analysis.semantic import Context
    from netra_ws_lint.analysis.vocabulary import ProjectVocabulary


def module_names(
    path: Path | str, source_roots: Sequence[Path | str] = ()
) -> tuple[str, bool, tuple[str, ...]]:
    """``(module name, is a package __init__, other names)`` of the file at ``path``.

    The name is the path relative to the deepest source root holding the file (PEP 420:
    no ``__init__.py`` needed); a file under no source root is named by its
    ``__init__.py`` chain. The chain's name, when different, is another name of the
    module (``src/app/x.py`` with a package ``app`` is ``app.x`` either way)."""
    # normalised: no ``..`` from a sub-folder's view
    directory, filename = os.path.split(absolute_path(os.fspath(path)))
    dot = filename.rfind(".")
    stem = filename[:dot] if 0 < dot < len(filename) - 1 else filename
    is_package = stem == "__init__"
    names: list[str] = []
    for parts in _parts_below(directory, _ordered_roots(tuple(map(str, source_roots)))):
        if not is_package:
            parts = (*parts, stem)
        if parts and all(p.isidentifier() for p in parts):
            names.append(".".join(parts))
    package = _package_of(directory)
    if is_package:
        chain = package or os.path.basename(directory)
    else:
        chain = f"{package}.{stem}" if package else stem
    names.append(chain)
    unique = list(dict.fromkeys(names))
    return unique[0], is_package, tuple(unique[1:])


@lru_cache(maxsize=256)
def _ordered_roots(roots: tuple[str, ...]) -> tuple[str, ...]:
    """The source roots, normalised as paths are (``root/.`` is ``root``), deepest
    first (a stable order among equals)."""
    paths = [Path(r) for r in roots]
    return tuple(str(p) for p in sorted(paths, key=lambda r: -len(r.parts)))


@lru_cache(maxsize=8192)
def _parts_below(directory: str, roots: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """For each of ``roots`` (in order) that holds ``directory``, the parts of
    ``directory`` below it."""
    out: list[tuple[str, ...]] = []
    for root in roots:
        if directory == root:
            out.append(())
        else:
            top = root if root.endswith(os.sep) else root + os.sep
            if directory.startswith(top):
                out.append(tuple(directory[len(top) :].split(os.sep)))
    return tuple(out)


@dataclass(frozen=True)
class ModuleId:
    """Where a file sits in its project: its module name(s)."""

    name: str
    is_package: bool
    aliases: tuple[str, ...] = ()

    @classmethod
    def of(cls, path: Path | str, root: Path | str | None, settings: Settings) -> ModuleId:
        roots = _source_roots(str(root), settings.src) if root is not None else ()
        name, is_package, aliases = module_names(path, roots)
        return cls(name, is_package, aliases)

    def key(self) -> str:
        return f"{self.name} {self.is_package} {' '.join(self.aliases)}"


@lru_cache(maxsize=256)
def _source_roots(root: str, src: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(str(Path(root) / s) for s in src)


def module_name(path: Path) -> tuple[str, bool]:
    """``(dotted module name, is a package __init__)`` from ``__init__.py`` chains only."""
    name, is_package, _ = module_names(path)
    return name, is_package


def clear_package_cache() -> None:
    _package_of.cache_clear()


@lru_cache(maxsize=4096)
def _package_of(directory: str) -> str:
    """The dotted package a directory is (``""``: not a package); memoised per run
    (a long-lived process sees the packages as they were first seen)."""
    d = Path(directory)
    if d.parent == d or not (d / "__init__.py").exists():
        return ""
    parent = _package_of(str(d.parent))
    return f"{parent}.{d.name}" if parent else d.name


def valid_entry(data: Any, def_valid: Callable[[dict[str, Any]], bool]) -> bool:
    """``data`` is a well-formed facts entry (from a cache that may be corrupt);
    ``def_valid`` checks one ``defs`` value (see engine.facts)."""
    if not isinstance(data, dict) or not isinstance(data.get("module"), str):
        return False
    if type(data.get("package")) is not bool:
        return False
    aliases = data.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        return False
    defs, imports = data.get("defs"), data.get("imports")
    if not isinstance(defs, dict) or not isinstance(imports, dict):
        return False
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in imports.items()):
        return False
    vocab = data.get("vocab")
    if not isinstance(vocab, dict) or not isinstance(vocab.get("vocabulary"), dict):
        return False
    routes, apps = data.get("routes", {}), data.get("apps", {})
    if not isinstance(routes, dict) or not isinstance(apps, dict):
        return False
    calls = data.get("shared_calls", {})
    if not isinstance(calls, dict) or not all(
        isinstance(k, str)
        and isinstance(v, dict)
        and all(isinstance(m, str) and isinstance(w, str) for m, w in v.items())
        for k, v in calls.items()
    ):
        return False
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in routes.items()):
        return False
    if not all(
        isinstance(k, str)
        and isinstance(v, list)
        and len(v) == 2
        and isinstance(v[0], str)
        and type(v[1]) is bool
        for k, v in apps.items()
    ):
        return False
    return all(isinstance(k, str) and isinstance(d, dict) and def_valid(d) for k, d in defs.items())


class ProjectIndex:
    """Every module's facts, and name resolution across them (joins, no parsing).

    The join is made when first needed: a warm run whose files all have cached results
    asks only for :attr:`digest` and :attr:`names_digest`, which the cache may already
    know for the same facts (given here, they are trusted)."""

    # attributes the join makes (see __getattr__)
    _JOINED = frozenset(
        {"modules", "vocabulary", "known_names", "routes", "asgi", "apps", "shared_calls", "_found"}
    )
    modules: dict[str, dict[str, Any]]
    vocabulary: ProjectVocabulary
    known_names: frozenset[str]
    routes: dict[str, str]
    asgi: bool
    apps: dict[str, tuple[str, bool]]
    # methods called on module-level instances from request paths, by class (requests.py)
    shared_calls: dict[str, dict[str, str]]
    _found: dict[str, dict[str, Any] | None]
    digest: str  # of the joined facts
    names_digest: str  # of the known names
    entries: list[dict[str, Any]]
    _load: Callable[[], Iterable[dict[str, Any]]]

    def __init__(
        self,
        entries: Iterable[dict[str, Any]] | Callable[[], Iterable[dict[str, Any]]],
        settings: Settings | None = None,
        *,
        digest: str | None = None,
        names_digest: str | None = None,
    ) -> None:
        """``entries``: the modules' facts, or a function that gives them when first
        needed (a warm run whose digests are known never reads them)."""
        self.settings = settings or Settings()
        if callable(entries):
            self._load = entries
        else:
            self.entries = [e for e in entries if e is not None]
        if digest is not None:
            self.digest = digest
        if names_digest is not None:
            self.names_digest = names_digest

    def __getattr__(self, name: str) -> Any:
        # only called for an attribute not set yet: the joined ones are made at once
        if name == "entries":
            self.entries = [e for e in self._load() if e is not None]
            del self._load  # (a function need not travel to worker processes)
        elif name in ProjectIndex._JOINED:
            self._join()
        elif name == "digest":
            digest = hashlib.sha256()  # module by module: never the whole project in one string
            for module in sorted(self.modules):
                digest.update(json.dumps([module, self.modules[module]], sort_keys=True).encode())
            self.digest = digest.hexdigest()
        elif name == "names_digest":
            names = "\n".join(sorted(self.known_names))
            self.names_digest = hashlib.sha256(names.encode()).hexdigest()
        else:
            raise AttributeError(name)
        return self.__dict__[name]

    @property
    def joined(self) -> bool:
        """The modules' facts have been joined (for tests and profiles)."""
        return "modules" in self.__dict__

    def join(self) -> ProjectIndex:
        """Join the facts now (before worker processes start: else each would)."""
        if not self.joined:
            self._join()
        return self

    def _join(self) -> None:
        modules: dict[str, dict[str, Any]] = {}
        for e in self.entries:  # a module's own name wins over another's alias
            modules.setdefault(e["module"], e)
        for e in self.entries:
            for alias in e.get("aliases", ()):
                modules.setdefault(alias, e)
        self.modules = modules
        self._found = {}
        # the inferred vocabulary (user-scoped types, factories, getters), joined; each
        # module's definitions once, under the first name it is known by here (its own)
        from netra_ws_lint.analysis.vocabulary import ProjectVocabulary

        first: dict[int, str] = {}
        for m, e in modules.items():
            first.setdefault(id(e), m)
        self.vocabulary = ProjectVocabulary(
            {m: e["vocab"] for m, e in modules.items() if e.get("vocab")},
            self.settings,
            own={m: first[id(e)] for m, e in modules.items()},
        )
        # containers cleaned up by key and fan-out callees (named as their callers
        # import them), named by their defining module's own name
        evicted: dict[str, set[str]] = {}
        for qual, fns in self.vocabulary.evicted.items():
            evicted.setdefault(self.follow(qual), set()).update(fns)
        self.vocabulary.evicted = evicted
        fanout: dict[str, bool] = {}
        for qual, flag in self.vocabulary.fanout.items():
            target = self.follow(qual)
            fanout[target] = fanout.get(target, True) and flag
        self.vocabulary.fanout = fanout
        self.vocabulary.initializers = {self.follow(q) for q in self.vocabulary.initializers}
        self.known_names = frozenset(self._known_names())
        # handlers registered by other modules (see frameworks.py), by absolute name
        # after re-exports, and whether the project is served over ASGI
        self.routes = {}
        for e in modules.values():
            for qual, framework in e.get("routes", {}).items():
                self.routes[self.follow(qual)] = framework
        self.asgi = any(m.rpartition(".")[2] == "asgi" for m in modules)
        # methods of a class called on a module-level instance of it by code serving a
        # request (analysis/requests.py), by the class's defining module
        self.shared_calls = {}
        for e in modules.values():
            for qual, methods in e.get("shared_calls", {}).items():
                known = self.shared_calls.setdefault(self.follow(qual), {})
                for method, where in methods.items():
                    known.setdefault(method, where)
        # in an application, the files defining what nothing live reaches are checked
        # with the project (their findings of request-serving rules become audit)
        live = Liveness.of(self)
        if live is not None:
            self.known_names = self.known_names | live.unreached_names()
        # module-level application objects (``sio = AsyncServer()``), by absolute name
        self.apps = {
            f"{module}.{name}": (fw, loop)
            for module, e in modules.items()
            for name, (fw, loop) in e.get("apps", {}).items()
        }

    def _known_names(self) -> set[str]:
        """Names (last components) that may lead to a definition with facts: the defs'
        names and, through any number of imports, their aliases (each import once)."""
        importers: dict[str, list[str]] = {}  # last component imported -> local names
        for e in self.entries:
            for local, qual in e["imports"].items():
                importers.setdefault(qual.rpartition(".")[2], []).append(local)
        names: set[str] = set(self.vocabulary.names())
        for e in self.entries:
            names.update(e["defs"])
            # what tests and examples import (a function only they call serves no
            # request), and classes whose module-level instances serve requests
            # (analysis/requests.py): the files defining them need the project
            if dead_module(e["module"]):
                names.update(q.rpartition(".")[2] for q in e["imports"].values())
            names.update(q.rpartition(".")[2] for q in e.get("shared_calls", {}))
            # request handlers other modules register, and application objects: the
            # prefilter looks for these names too (frameworks.py)
            names.update(q.rpartition(".")[2] for q in e.get("routes", {}))
            names.update(e.get("apps", {}))
        todo = list(names)
        while todo:
            for local in importers.get(todo.pop(), ()):
                if local not in names:
                    names.add(local)
                    todo.append(local)
        return names

    def follow(self, qualname: str) -> str:
        """``qualname`` after the imports that re-export it (``pkg.views.index`` when
        ``pkg/views/__init__.py`` imports ``index`` from ``pkg.views.pages``: the
        latter), with the defining module's own name (not one of its aliases)."""
        seen: set[str] = set()
        while qualname not in seen and len(seen) < 32:
            seen.add(qualname)
            module, _, attr = qualname.rpartition(".")
            entry = self.modules.get(module)
            nxt = entry["imports"].get(attr) if entry is not None else None
            if nxt is None:  # defined here: named by the module's own name, not an alias
                return f"{entry['module']}.{attr}" if entry is not None else qualname
            qualname = nxt
        return qualname

    def with_entry(self, entry: dict[str, Any] | None) -> ProjectIndex:
        """This project with one module's facts replaced (a file read from stdin, or an
        editor's unsaved text); ``self`` when they are the same."""
        if entry is None or self.modules.get(entry["module"]) == entry:
            return self
        return ProjectIndex(
            [e for e in self.entries if e["module"] != entry["module"]] + [entry], self.settings
        )

    def find(self, qualname: str) -> dict[str, Any] | None:
        """The def entry ``qualname`` names, through imports and re-exports; every name
        met on the way is memoised, so each link of a chain is followed once."""
        path: list[str] = []
        on_path: set[str] = set()
        found: dict[str, Any] | None = None
        name = qualname
        while True:
            if name in self._found:
                found = self._found[name]
                break
            if name in on_path:  # an import cycle
                break
            path.append(name)
            on_path.add(name)
            module, _, attr = name.rpartition(".")
            entry = self.modules.get(module)
            if entry is None or not attr:
                break
            found = entry["defs"].get(attr)
            if found is not None:
                break
            nxt = entry["imports"].get(attr)
            if nxt is None:
                break
            name = nxt
        for n in path:
            self._found[n] = found
        return found

    # -------------------------------------------------------------- from a Context
    def qualname(self, ctx: Context, node: ast.AST) -> str | None:
        """Absolute name of a Name/Attribute chain in the file of ``ctx``."""
        if isinstance(node, ast.Attribute):
            base = self.qualname(ctx, node.value)
            return f"{base}.{node.attr}" if base else None
        if not isinstance(node, ast.Name):
            return None
        binding = ctx.lookup(node.id, node)
        module = getattr(ctx, "module_name", None)
        if binding is None:
            return None
        if binding.kind == "import":
            imp = binding.node
            if isinstance(imp, ast.ImportFrom) and imp.level and module is not None:
                from netra_ws_lint.analysis.vocabulary import absolute_import

                base = absolute_import(
                    module, bool(getattr(ctx, "is_package", False)), imp.level, imp.module
                )
                for alias in imp.names:
                    if (alias.asname or alias.name) == node.id:
                        return f"{base}.{alias.name}" if base else alias.name
                return None
            return binding.qualname
        if binding.kind in ("def", "class") and ctx.binding_scope(node.id) is ctx.module_scope:
            return f"{module}.{node.id}" if module else None
        resolved = ctx.resolve(node)  # a local alias: ``g = get_manager``
        if resolved is not None and resolved != node.id:
            return resolved
        return None

    def definition(self, ctx: Context, func: ast.AST) -> dict[str, Any] | None:
        last = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if last not in self.known_names:
            return None
        name = self.qualname(ctx, func)
        return self.find(name) if name else None

    @staticmethod
    def context_param(found: dict[str, Any]) -> Param | None:
        cp = found.get("ctx")
        if not cp:
            return None
        name, kind, index, _, _ = cp
        from netra_ws_lint.analysis.scopes import Param

        return Param(name, ast.arg(arg=name), None, kind, index)
