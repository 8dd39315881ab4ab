"""From static findings to the run-time objects they point at, and their wrapping.

:func:`lint_project` is the one place that calls the linter (its public pipeline:
discovery, then the multi-file runner in project mode, audit rules included).
:class:`Watcher` turns each watched finding into a path of names inside a module
(``CACHE``, ``Manager._connections``, ``get_manager``) by reading the flagged line's
syntax tree, then, once the module is imported, wraps the object found there and
replaces every reference to the original in loaded modules' globals and class dicts.
"""

from __future__ import annotations

import ast
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType, ModuleType
from typing import Any

from netra_ws_lint.analysis.idioms import MUTATING_METHODS
from netra_ws_lint.sentinel.wrappers import (
    CONTAINER_TYPES,
    THREAD_LOCAL_NAME,
    CacheProxy,
    FindingRef,
    Target,
    getter_proxy,
    init_tracker,
    is_functools_cache,
    is_trackable_instance,
    track_instance,
    track_thread_local,
    tracked_classes,
    tracked_targets,
    why_not_swappable,
    wrap_container,
)

CONTAINER_CODES = ("NWS201", "NWS202", "NWS204")
CACHE_CODES = ("NWS203",)
INSTANCE_CODES = ("NWS103", "NWS104", "NWS105")
THREAD_LOCAL_CODES = ("NWS208",)
# a module global rebound through ``global``: a read of it is a plain LOAD_GLOBAL, which
# only tracing the interpreter (STORE_GLOBAL/LOAD_GLOBAL) could watch
NOT_WATCHABLE = {
    "NWS207": "a global rebound through `global` is not watchable at run time "
    "without tracing STORE_GLOBAL",
}
WATCHED = CONTAINER_CODES + CACHE_CODES + INSTANCE_CODES + THREAD_LOCAL_CODES
# what a statement can call on a flagged container: the mutations the rules know, and
# the read that `setdefault`-style code pairs with them
MUTATORS = MUTATING_METHODS | {"get"}


@dataclass(frozen=True)
class Project:
    """What the linter says about the project under test."""

    findings: list[FindingRef]  # the watched ones
    files: frozenset[str]  # every checked file (real paths)
    user_scoped_types: tuple[str, ...]  # the configured name patterns
    identity: str | None  # the configured identity getter


def lint_project(paths: list[str]) -> Project:
    """Lint the project under ``paths`` (audit rules included): the one call of the
    linter's pipeline."""
    from netra_ws_lint.engine.cache import Cache, default_directory
    from netra_ws_lint.engine.discovery import discover
    from netra_ws_lint.engine.runner import check_targets

    targets, _problems = discover(paths, {"audit": True})
    targets = [t for t in targets if t.path.suffix == ".py"]
    results = check_targets(
        [(t.path, t.display, t.settings) for t in targets],
        jobs=0,  # the runner stays in-process for a few files, else spreads them
        cache=Cache(default_directory()),  # the CLI's result cache: warm runs only stat
        project=True,
    )
    found = [
        FindingRef(f.code, str(t.path), f.line, f.col, f.message)
        for t, r in zip(targets, results)
        for f in r.findings
        if f.code in WATCHED or f.code in NOT_WATCHABLE
    ]
    settings = targets[0].settings if targets else None
    return Project(
        found,
        frozenset(os.path.realpath(t.path) for t in targets),
        settings.words.user_scoped_types if settings else (),
        settings.sentinel_identity if settings else None,
    )


@dataclass(frozen=True)
class Site:
    """Where a finding points inside its module: ``names`` from the module's globals
    (``("Cls", "attr")``) and what to do with the object found there."""

    names: tuple[str, ...]
    action: str  # container, cache, instance, getter, class, thread-local


def _positions(tree: ast.AST) -> Iterator[tuple[ast.AST, tuple[ast.AST, ...]]]:
    """Every node with its ancestors."""
    stack: list[tuple[ast.AST, tuple[ast.AST, ...]]] = [(tree, ())]
    while stack:
        node, parents = stack.pop()
        yield node, parents
        for child in ast.iter_child_nodes(node):
            stack.append((child, (*parents, node)))


def _dotted(node: ast.AST) -> tuple[str, ...] | None:
    if isinstance(node, ast.Name):
        return (node.id,)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else (*base, node.attr)
    return None


def _container_root(node: ast.AST) -> tuple[str, ...] | None:
    """``X`` in ``X[k].append(v)``, ``X.setdefault(k, []).append(v)``, ``del X[k]``..."""
    while True:
        if isinstance(node, (ast.Expr, ast.Await, ast.Return)) and node.value is not None:
            node = node.value
        elif isinstance(node, (ast.Assign, ast.Delete)):
            node = node.targets[0]
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            node = node.target
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript) or (
            isinstance(node, ast.Attribute) and node.attr in MUTATORS
        ):
            node = node.value
        else:
            return _dotted(node)


def _class_path(parents: tuple[ast.AST, ...]) -> tuple[str, ...] | None:
    """The class names enclosing a node, or None inside a function."""
    names: list[str] = []
    for p in parents:
        if isinstance(p, ast.ClassDef):
            names.append(p.name)
        elif isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return None
    return tuple(names)


def _binding_name(node: ast.AST) -> str | None:
    target = None
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
    elif isinstance(node, ast.AnnAssign):
        target = node.target
    return target.id if isinstance(target, ast.Name) else None


def _function_in(parents: tuple[ast.AST, ...]) -> ast.AST | None:
    return next(
        (p for p in reversed(parents) if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef))),
        None,
    )


def sites_of(finding: FindingRef, tree: ast.AST) -> list[Site]:
    """What ``finding`` points at in ``tree``, the parsed source of its file."""
    if finding.code in THREAD_LOCAL_CODES:
        # the message names the object as the module does: ``_local``, ``Holder.state``
        named = THREAD_LOCAL_NAME.search(finding.message)
        return [Site(tuple(named.group(1).split(".")), "thread-local")] if named else []
    out: list[Site] = []
    for node, parents in _positions(tree):
        if getattr(node, "lineno", None) != finding.line:
            continue
        classes = _class_path(parents)
        code = finding.code
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if classes is None or code not in ("NWS203", "NWS104"):
                continue
            names = (*classes, node.name)
            if code == "NWS203":
                out.append(Site(names, "cache"))
            elif isinstance(node, ast.ClassDef):
                out.append(Site(names, "class"))
            else:
                out.append(Site(names, "getter"))
                for sub in ast.walk(node):  # a lazy getter's instance, if built already
                    if isinstance(sub, ast.Global):
                        out.extend(Site((n,), "instance") for n in sub.names)
            return out
        if not isinstance(node, ast.stmt) or getattr(node, "col_offset", -1) > finding.col:
            continue
        if code in ("NWS204", "NWS103") and classes is not None:
            name = _binding_name(node)
            if name is not None:
                action = "container" if code == "NWS204" else "instance"
                return [Site((*classes, name), action)]
        elif code in ("NWS201", "NWS202"):
            # the flagged mutation itself, else the statement that holds it
            exact = [
                sub
                for sub in ast.walk(node)
                if (getattr(sub, "lineno", 0), getattr(sub, "col_offset", -1))
                == (finding.line, finding.col)
            ]
            root = next(filter(None, map(_container_root, exact)), None) or _container_root(node)
            if root is not None:
                # a name bound in a class body is reached through the class
                return [Site(root, "container")]
        elif code == "NWS105":
            for sub in ast.walk(node):  # `g().send()` and `g()` start at one column
                if (
                    isinstance(sub, ast.Call)
                    and (sub.lineno, sub.col_offset) == (finding.line, finding.col)
                    and _dotted(sub.func)
                ):
                    return [Site(_dotted(sub.func) or (), "getter")]
    return out


def _parse(path: str) -> ast.AST | None:
    try:
        with open(path, "rb") as f:
            return ast.parse(f.read(), path)
    except (OSError, SyntaxError, ValueError):
        return None


def _lookup(module: ModuleType, names: tuple[str, ...]) -> tuple[Any, Any, str] | None:
    """(owner, value, attribute) for ``names`` from ``module``'s globals."""
    owner: Any = module
    for name in names[:-1]:
        owner = owner.__dict__.get(name) if hasattr(owner, "__dict__") else None
        if owner is None:
            return None
    d = getattr(owner, "__dict__", None)
    if d is None or names[-1] not in d:
        return None
    return owner, d[names[-1]], names[-1]


def _qualname(owner: Any, attr: str) -> str:
    if isinstance(owner, ModuleType):
        return f"{owner.__name__}.{attr}"
    return f"{owner.__module__}.{owner.__qualname__}.{attr}"


class Watcher:
    """The watched findings, the objects wrapped for them, and the ones still to find."""

    def __init__(self, project: Project) -> None:
        self.project = project
        findings = project.findings
        self.targets: dict[int, Target] = {}  # id(wrapped or tracked object) -> target
        self.unresolved: dict[FindingRef, str] = {}
        self._keep: list[Any] = []  # what the ids above refer to
        self._pending: list[tuple[FindingRef, Site]] = []
        self.not_watchable = [f for f in findings if f.code in NOT_WATCHABLE]
        self.findings = findings = [f for f in findings if f.code not in NOT_WATCHABLE]
        for f in findings:
            tree = _parse(f.path)
            sites = sites_of(f, tree) if tree is not None else []
            if not sites:
                self.unresolved[f] = "the flagged code names no object the sentinel can watch"
            self._pending.extend((f, s) for s in sites)
        self._modules_seen = -1
        self._scanned: set[str] = set()
        self._stand_ins: set[str] = set()  # names in sys.modules bound to non-modules
        # id(original) -> its copy made in this pass, checked with the others at its end
        self._candidates: dict[int, _Candidate] = {}

    def not_imported(self, f: FindingRef) -> str:
        """Why no object of ``f``'s module was found: never imported, or imported as
        an object that is not a module (a lazy stand-in the sentinel leaves alone)."""
        stem = os.path.splitext(os.path.realpath(f.path))[0]
        if stem.endswith(os.sep + "__init__"):
            stem = stem[: -len("__init__") - 1]
        for name in sorted(self._stand_ins):
            if stem.endswith(os.sep + name.replace(".", os.sep)):
                return (
                    f"not watched, because sys.modules[{name!r}] is not a module "
                    "(a lazy stand-in: its attributes are left alone)"
                )
        return "its module was never imported"

    def _modules_by_file(self) -> dict[str, ModuleType]:
        """The imported modules by real path. Read from their dicts, never by
        attribute: a module's ``__getattr__`` (a lazy module) may raise anything; an
        object in ``sys.modules`` that is not a module is left alone."""
        out: dict[str, ModuleType] = {}
        entries: list[tuple[Any, Any]] = list(sys.modules.items())  # not all are modules
        for name, m in entries:
            if not isinstance(m, ModuleType):
                if isinstance(name, str):
                    self._stand_ins.add(name)
                continue
            file = _module_dict(m).get("__file__")
            if isinstance(file, str):
                out[os.path.realpath(file)] = m
        return out

    def wrap_loaded(self) -> None:
        """Wrap what the findings point at in the modules imported so far."""
        if len(sys.modules) == self._modules_seen:
            return
        self._modules_seen = len(sys.modules)
        by_file = self._modules_by_file()
        replaced: dict[int, tuple[Any, Any]] = {}
        still: list[tuple[FindingRef, Site]] = []
        for f, site in self._pending:
            module = by_file.get(os.path.realpath(f.path))
            if module is None:
                still.append((f, site))
                continue
            self._wrap(f, site, module, replaced)
        self._pending = still
        self._take_candidates(replaced)
        if replaced:
            replace_references(replaced)
        self._watch_unflagged(by_file)

    def _take_candidates(self, replaced: dict[int, tuple[Any, Any]]) -> None:
        """The copies made in this pass that nothing else would miss replace their
        originals; the others are dropped, and their findings say why."""
        candidates = list(self._candidates.values())
        self._candidates.clear()
        if not candidates:
            return
        try:
            reasons = _replaceable([c.mine for c in candidates])
        except Exception as exc:  # never an error for the session: nothing replaced
            reasons = [f"could not be checked ({type(exc).__name__})"] * len(candidates)
        for c, why in zip(candidates, reasons):
            if why is not None:  # a copy some object would not see: left as it is
                for f in c.findings:
                    self._not_watched(f, f"{c.name} {why}")
                continue
            replaced.update(c.mine)
            for f in c.findings:
                self._register(c.new, c.target, f)

    def _watch_unflagged(self, by_file: dict[str, ModuleType]) -> None:
        """Module-level instances of user-scoped types that no finding names: a leak
        through one of them is "not predicted" (a gap in the rules)."""
        from netra_ws_lint.config import matches_any

        classes = set(tracked_classes()) | {t for t in self._keep if isinstance(t, type)}
        replaced: dict[int, tuple[Any, Any]] = {}
        # thread-locals and their copies: id(original) -> (original, copy)
        found: list[tuple[dict[int, tuple[Any, Any]], Target]] = []
        for path in sorted(self.project.files):
            module = by_file.get(path)
            if module is None or path in self._scanned:
                continue
            self._scanned.add(path)
            globals_ = _module_dict(module)
            prefix = globals_.get("__name__", "?")
            for name in list(globals_):  # (not items: a pair would hold the value)
                value = globals_.get(name)
                if id(value) in self.targets:
                    continue
                cls = type(value)  # never ``value.__class__``: an object may lie
                if issubclass(cls, threading.local):
                    target = Target(f"{prefix}.{name}", "thread-local")
                    new = track_thread_local(value, target)
                    if new is not None:  # (the pair: not a holder of the original)
                        found.append(({id(value): (value, new)}, target))
                    continue
                if not is_trackable_instance(value):
                    continue
                if cls in classes or matches_any(cls.__name__, self.project.user_scoped_types):
                    watched = track_instance(value, Target(f"{prefix}.{name}", "instance"))
                    if watched is not None:
                        self.targets[id(value)] = watched
                        self._keep.append(value)
        if found:
            try:
                reasons = _replaceable([group for group, _ in found])
            except Exception as exc:
                reasons = [type(exc).__name__] * len(found)
            for (group, target), why in zip(found, reasons):
                if why is None:
                    for _, new in group.values():
                        self.targets[id(new)] = target
                        self._keep.append(new)
                    replaced.update(group)
            found.clear()
        if replaced:
            replace_references(replaced)

    def _register(self, obj: Any, target: Target, f: FindingRef) -> Target:
        """``obj`` watched as ``target`` (or as the target it already has) for ``f``."""
        known = self.targets.get(id(obj))
        if known is None:
            known = self.targets[id(obj)] = target
            self._keep.append(obj)
        known.add(f)
        return known

    def all_targets(self) -> list[Target]:
        out = {id(t): t for t in self.targets.values()}
        out.update((id(t), t) for t in tracked_targets())
        return list(out.values())

    def _not_watched(self, f: FindingRef, why: str) -> None:
        self.unresolved.setdefault(f, f"not watched, because {why}")

    def _wrap(
        self, f: FindingRef, site: Site, module: ModuleType, replaced: dict[int, tuple[Any, Any]]
    ) -> None:
        """Wrap what ``site`` names (never an error for the session: what cannot be
        wrapped without changing what the program sees is left as it is, and said)."""
        try:
            self._wrap_site(f, site, module, replaced)
        except Exception as exc:
            self._not_watched(f, f"wrapping it failed ({type(exc).__name__}: {exc})")

    def _wrap_site(
        self, f: FindingRef, site: Site, module: ModuleType, replaced: dict[int, tuple[Any, Any]]
    ) -> None:
        found = _lookup(module, site.names)
        if found is None:
            self.unresolved.setdefault(f, f"{'.'.join(site.names)} not found in {module.__name__}")
            return
        owner, value, attr = found
        del found  # a holder of the value: only the module and class dicts may hold it
        hit = replaced.get(id(value))
        if hit is not None and hit[0] is value:  # wrapped in this pass for another finding
            value = hit[1]
        name = _qualname(owner, attr)
        if id(value) in self.targets:
            self._register(value, self.targets[id(value)], f)
            return
        if site.action == "container":
            if type(value) not in CONTAINER_TYPES:
                what = type(value).__name__
                self.unresolved.setdefault(f, f"{name} is a {what}, not one of the wrapped types")
                return
            known = self._candidates.get(id(value))
            if known is not None:  # copied in this pass for another finding
                known.findings.append(f)
                return
            target = Target(name, "container")
            mine: dict[int, tuple[Any, Any]] = {}
            new = wrap_container(value, target, replaced=mine)
            self._candidates[id(value)] = _Candidate(name, target, new, mine, [f])
        elif site.action == "cache":
            if not is_functools_cache(value):
                self.unresolved.setdefault(f, f"{name} is not a functools cache")
                return
            proxy = CacheProxy(value, Target(name, "cache"))
            self._register(proxy, proxy._nws_target, f)
            replaced[id(value)] = (value, proxy)
        elif site.action == "getter":
            if getattr(value, "_nws_getter", False) or not callable(value):
                return
            target = Target(f"{name}()", "instance")
            getter = getter_proxy(value, target)
            self._register(getter, target, f)
            replaced[id(value)] = (value, getter)
        elif site.action == "class":
            if isinstance(value, type) and not issubclass(value, type):
                why = why_not_swappable(value)
                if why is not None:
                    self._not_watched(f, why)
                    return
                target = Target(f"{name} instance", "instance")
                init_tracker(value, self._register(value, target, f))
        elif site.action == "thread-local":
            if not isinstance(value, threading.local):
                what = type(value).__name__
                self.unresolved.setdefault(f, f"{name} is a {what}, not a threading.local")
                return
            target = Target(name, "thread-local")
            new = track_thread_local(value, target)
            if new is None:
                self.unresolved.setdefault(f, f"{name}'s class cannot be built without arguments")
                return
            self._candidates[id(value)] = _Candidate(
                name, target, new, {id(value): (value, new)}, [f]
            )
        elif site.action == "instance" and is_trackable_instance(value):
            target = Target(name, "instance")
            watched = track_instance(value, target)
            if watched is not None:
                self._register(value, watched, f)
            elif target.not_watched:
                self._not_watched(f, target.not_watched)


def _module_dict(module: ModuleType) -> dict[str, Any]:
    """A module's globals, read without its ``__getattr__`` or ``__getattribute__``."""
    try:
        d = object.__getattribute__(module, "__dict__")
    except Exception:
        return {}
    return d if isinstance(d, dict) else {}


@dataclass
class _Candidate:
    """A copy made for findings, not yet in place of its original."""

    name: str
    target: Target
    new: Any
    mine: dict[int, tuple[Any, Any]]  # id(original) -> (original, copy), nested ones too
    findings: list[FindingRef]


def _replaceable(groups: list[dict[int, tuple[Any, Any]]]) -> list[str | None]:
    """For each group of originals and their copies (id -> (original, copy)): why
    they cannot be swapped without changing what the program sees, or None. Only
    module globals and class attributes are repointed (:func:`replace_references`);
    any other holder of an original (an object built at import time, a default
    argument, a closure, another container) would keep writing to and reading from
    it while the module sees the copy. Two scans of the heap for all the groups."""
    import gc

    # the call's own arguments are a tuple of the originals (a referrer on 3.13)
    originals = tuple(old for group in groups for old, _ in group.values())
    own = {id(old) for old in originals}
    own.update(id(pair) for group in groups for pair in group.values())
    own.update(id(group) for group in groups)
    own.update((id(groups), id(originals)))
    modules = {id(_module_dict(m)) for m in list(sys.modules.values()) if isinstance(m, ModuleType)}
    holders = [
        h
        for h in gc.get_referrers(*originals)
        if id(h) not in own and id(h) not in modules and not isinstance(h, FrameType)
    ]
    del originals
    dicts = tuple(h for h in holders if type(h) is dict)
    class_dicts: set[int] = set()
    owners: dict[int, Any] = {}  # id(dict) -> an object holding it
    if dicts:
        wanted = {id(d) for d in dicts}
        for o in gc.get_referrers(*dicts):
            if isinstance(o, FrameType) or o is dicts or o is holders or type(o) is tuple:
                continue
            for r in gc.get_referents(o):
                if id(r) in wanted:
                    if isinstance(o, type):
                        class_dicts.add(id(r))
                    owners.setdefault(id(r), o)
    reasons: list[str | None] = [None] * len(groups)
    for holder in holders:
        if id(holder) in class_dicts:
            continue
        what = type(holder).__qualname__
        if id(holder) in owners:
            what = f"{type(owners[id(holder)]).__qualname__}'s attributes"
        held = {id(r) for r in gc.get_referents(holder)}
        for k, group in enumerate(groups):
            if reasons[k] is None and not held.isdisjoint(group):
                reasons[k] = (
                    f"is also held by another object (a {what}), which would not see a copy"
                )
    return reasons


def replace_references(replaced: dict[int, tuple[Any, Any]]) -> None:
    """Point every global and class attribute that holds an original at its wrapper."""
    seen: set[int] = set()
    modules: list[Any] = list(sys.modules.values())
    for module in modules:
        if not isinstance(module, ModuleType):
            continue  # a lazy stand-in: its attributes are not touched
        d = _module_dict(module)
        _replace_in(d, replaced, str(d.get("__name__", "")), seen)


def _replace_in(
    d: dict[str, Any], replaced: dict[int, tuple[Any, Any]], module: str, seen: set[int]
) -> None:
    for key, value in list(d.items()):
        hit = replaced.get(id(value))
        if hit is not None and hit[0] is value:
            d[key] = hit[1]
        elif isinstance(value, type) and getattr(value, "__module__", None) == module:
            _replace_in_class(value, replaced, module, seen)


def _replace_in_class(
    cls: type, replaced: dict[int, tuple[Any, Any]], module: str, seen: set[int]
) -> None:
    if id(cls) in seen:
        return
    seen.add(id(cls))
    for attr, value in list(vars(cls).items()):
        hit = replaced.get(id(value))
        if hit is not None and hit[0] is value:
            try:
                setattr(cls, attr, hit[1])
            except (AttributeError, TypeError):  # a class that refuses new attributes
                continue
        elif isinstance(value, type) and getattr(value, "__module__", None) == module:
            _replace_in_class(value, replaced, module, seen)
