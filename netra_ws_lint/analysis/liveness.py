"""Liveness: the code no live part of an application reaches.

A finding of a rule that asks "does this code serve one user or request?" (the rules
whose ``serves_requests`` says why) is only urgent where the code runs: in a function
nothing calls, a module nothing imports or a router never mounted, the shape is true
but dead. Such findings become *audit* findings (``--audit`` shows them, their message
says why), in project mode (:func:`unreached_at`, called by ``Rule.report``).

**Facts** (:func:`liveness_facts`, the entry ``"live"`` of a module's facts, see
:mod:`netra_ws_lint.engine.facts`): what each *scope* of the module refers to. A scope
is the module level (``""``: the statements run at import, class bodies and decorators
included), a top-level function (``"f"``) or a method of a top-level class (``"C.m"``);
nested functions and classes belong to the scope around them. A scope keeps only what
the module level does not refer to already. References are:

- a load of a name a module-level ``from`` import binds, as ``^local`` (resolved by
  the project model through the module's ``imports`` and re-exports to the one
  definition it names); of a name an import in the scope binds, as ``^=abs.name``;
- other loads (``f()``, ``x = f``), attributes (``mod.f``, and ``.m`` for ``obj.m``,
  ``self.m``) and the strings a lookup takes (``getattr(self, "m")``,
  ``methodcaller("m")``), by name; a nested def or class is a local of its function.
  Other identifier-like strings (a list of patterns, a log message, a deprecation
  label) name nothing, unless the module looks a name up by a computed string
  (``getattr(obj, name)``, ``globals()``, ``vars()``, ``__dict__``), where any of its
  strings may flow into the lookup, or they are capitalised (a class named by a
  string: a forward reference, an ORM model);
- the modules the scope imports, at any depth, and dotted strings (``"pkg.main:app"``),
  as ``@pkg.mod`` or ``@pkg:a,b`` (``pkg`` and those of ``a``, ``b`` that are modules).

Locals, builtins, a function's own name, an import alone and ``__all__`` entries are
no references. Also kept: each top-level class's bases (absolute names through the
imports), the scopes that are roots (``keep``: a decorator registers them (any but
plain wrappers such as ``property`` or ``lru_cache``), the framework calls them (the
module's handlers, :mod:`.frameworks`), or they build or mount an application: a server
calls the factory), whether the module is a script (``if __name__ == "__main__":``) and
whether it builds or mounts an application (``FastAPI()``, ``Flask()``,
``include_router``, ``register_blueprint``...) and whether it looks a name up by a
computed string (``dynamic``: the classes calling ``getattr(self, f"on_{kind}")``, whose
methods are then all live, and ``""`` when it calls ``globals()``: its functions).
``instances``: the names module-level assignments bind to a call's result (an instance
nothing live may read).

**The model** (:class:`Liveness`, built when the project is joined): a mark from the
roots to a fixed point. Entry modules are live: ``__main__``, scripts, modules named as
a server or a framework loads them (``main``, ``asgi``, ``wsgi``, ``app``, ``urls``,
``views``, ``settings``...) or placed as a framework loads them (Django's
``management/commands``, ``migrations``), modules building or mounting an application (a server
imports them), top-level modules and packages, and modules with no import
to or from another module of the project (a standalone script is no part of the
application); never tests, examples, demos or scripts (:func:`dead_module`). A live
module makes its module level and the modules it imports live; a live scope makes what
it refers to live. A top-level function or class of a live module is live when a live
scope names it through an import, or by name, or it is a root, a route of another
module names it, or it is a dunder; a method of a live class when its name is live, it
is a dunder or a root, or its class derives (through the project's classes) from a
class outside the project, whose code may call it (``dispatch``, ``run``, ``handle``).
Attributes and strings match by name whatever their object: a method called anywhere
live keeps every method so named; a private name (``_send``, ``self._notify()``) only
those of the module the reference is in (by convention no other module uses it). An
attribute read from an object (``self``, a local or parameter, a module-level
variable, a call's result: kept as ``.name``) names a method only; read from a name
an import binds (a module, perhaps) or one bound nowhere in the module, it may also
name a module-level function or class.

A class one of whose methods the framework calls (a handler) or that builds or mounts
an application (``self.app = Flask(...)`` in ``__init__``) is a root: whatever runs
the application makes its instance.

**Only applications**: a project that builds or mounts no application (a library)
exposes public API that outside code calls; there nothing is unreached here
(:func:`.requests.unreached` still covers a function only tests or examples import).
An application object in a module that imports no other module of the project and
that none imports (a project template shipped by a library, a standalone demo) does
not make the project an application.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from netra_ws_lint.analysis.semantic import Context

# module name parts of code that serves no user: tests, examples, demos, scripts
_DEAD_PARTS = re.compile(
    r"^(tests?|test_.*|.*_tests?|.*examples?.*|demos?|.*_demo|scripts?|docs?)$"
)


def dead_module(name: str) -> bool:
    """A module of tests, examples, demos or scripts (by its dotted name): what it
    calls is not called for a request."""
    return any(_DEAD_PARTS.match(part) for part in name.split("."))


FACT = "live"
# the key (in the ``live`` fact) of the names module-level assignments bind to a call's
# result (``svc = Service()``): an instance nothing live may read
INSTANCES = "instances"
MODULE_SCOPE = ""
_BUILTINS = frozenset(dir(builtins))
# decorators that only wrap (the function stays called by name): any other registers it
WRAPPERS = frozenset(
    {
        "staticmethod",
        "classmethod",
        "property",
        "setter",
        "getter",
        "deleter",
        "cached_property",
        "abstractmethod",
        "abstractproperty",
        "lru_cache",
        "cache",
        "wraps",
        "overload",
        "override",
        "final",
        "contextmanager",
        "asynccontextmanager",
        "deprecated",
        "total_ordering",
        "dataclass",
        "runtime_checkable",
        "unique",
    }
)
# bases whose code calls no method of a subclass by a name of the subclass's choosing
PLAIN_BASES = frozenset(
    {
        "object",
        "ABC",
        "Protocol",
        "Generic",
        "NamedTuple",
        "TypedDict",
        "Enum",
        "IntEnum",
        "StrEnum",
        "Flag",
        "IntFlag",
        "Exception",
        "BaseException",
        "BaseModel",
        "RuntimeError",
        "ValueError",
        "TypeError",
        "KeyError",
        "dict",
        "list",
        "str",
        "int",
    }
)
# calls that build or mount an application: the project is an application
APP_BUILDERS = frozenset(
    {
        "FastAPI",
        "Flask",
        "Starlette",
        "Quart",
        "Sanic",
        "Litestar",
        "get_asgi_application",
        "get_wsgi_application",
        "include_router",
        "register_blueprint",
    }
)
# modules a framework or a server loads by convention (never imported by the project)
ENTRY_NAMES = frozenset(
    {
        "__main__",
        "main",
        "asgi",
        "wsgi",
        "app",
        "application",
        "server",
        "manage",
        "cli",
        "settings",
        "urls",
        "views",
        "models",
        "admin",
        "apps",
        "tasks",
        "signals",
        "consumers",
        "routing",
        "celery",
        "worker",
        "conftest",
    }
)
APP = "\x00app"  # (in a walk's modules) a call builds or mounts an application
APP_FACTORY = "\x00factory"  # (in a scope's names, while collecting) the same
# a lookup by a computed name (``getattr(self, f"on_{kind}")``, ``globals()[name]``):
# any function or method of the module may be called so
DYNAMIC = "\x00dynamic"  # ``globals()``: the module's functions
DYNAMIC_SELF = "\x00self"  # ``getattr(self, name)``: the methods of the class
DYNAMIC_LOOKUPS = frozenset({"getattr", "hasattr", "globals"})
# calls that look a name up by a string (``getattr(obj, "m")``, ``attrgetter("m")``):
# the position of the name among their arguments
NAME_LOOKUPS = {
    "getattr": 1,
    "hasattr": 1,
    "setattr": 1,
    "delattr": 1,
    "attrgetter": 0,
    "methodcaller": 0,
    "import_module": 0,
    "__import__": 0,
    "import_string": 0,
}
# calls that hand out a namespace a computed name may be looked up in
NAMESPACES = frozenset({"globals", "vars", "locals"})
# packages whose modules a framework loads by their place (Django's management
# commands and migrations)
ENTRY_PARTS = frozenset({"management", "commands", "migrations"})
_DOTTED = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?::[A-Za-z_][\w.]*)?$")
MAX_STRING = 80
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPE_DEFS = (*_DEFS, ast.ClassDef)


def _last(node: ast.expr) -> str:
    while isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _registers(decorators: list[ast.expr]) -> bool:
    return any(_last(d) not in WRAPPERS for d in decorators)


def _absolute(module: str, is_package: bool, level: int, target: str | None) -> str:
    from netra_ws_lint.analysis.vocabulary import absolute_import

    return absolute_import(module, is_package, level, target)


class _Refs(NamedTuple):
    loads: set[str]  # variables loaded
    attrs: set[str]  # names looked up by a literal string (and the walk's markers)
    strings: set[str]  # other identifier-like strings
    computed: bool  # a lookup by a computed name (any string may flow into it)
    members: set[tuple[str, str]]  # attributes loaded: (the chain's root name or "", name)
    modules: set[str]  # modules imported (``pkg.mod``, ``pkg:a,b``)
    bound: dict[str, str]  # names the walked imports bind -> what (see _refers)
    local: set[str]  # a function's locals and parameters


def _refers(
    nodes: Iterable[ast.AST],
    module: str,
    is_package: bool,
    function: bool,
    walk: Callable[[ast.AST], list[ast.AST]],
) -> _Refs:
    """The variables ``nodes`` load, the attributes they load (with the name at the root
    of each chain: ``a.b.c`` is ``c`` and ``b`` of ``a``), the identifier-like strings,
    the modules they import (``@pkg.mod``) and the names their imports bind, in one
    walk; a function's parameters and the names it binds are its locals, not
    references (unless declared ``global``)."""
    loads: set[str] = set()
    attrs: set[str] = set()
    strings: set[str] = set()
    computed = False
    members: set[tuple[str, str]] = set()
    bound: dict[str, str] = {}  # local name -> what a ``from`` import binds ("": other)
    literal_loops: set[str] = set()  # loop variables over literal strings
    literal_lists: set[str] = set()  # names bound to a literal list of strings
    stores: set[str] = set()
    declared: set[str] = set()
    modules: set[str] = set()
    for top in nodes:
        for node in walk(top):
            t = type(node)
            if t is ast.Name:
                if isinstance(node.ctx, ast.Load):  # type: ignore[attr-defined]
                    loads.add(node.id)  # type: ignore[attr-defined]
                elif function:
                    stores.add(node.id)  # type: ignore[attr-defined]
            elif t is ast.Attribute:
                if isinstance(node.ctx, ast.Load):  # type: ignore[attr-defined]
                    root = node.value  # type: ignore[attr-defined]
                    while type(root) is ast.Attribute:
                        root = root.value
                    head = root.id if type(root) is ast.Name else ""
                    members.add((head, node.attr))  # type: ignore[attr-defined]
                    computed = computed or node.attr == "__dict__"  # type: ignore[attr-defined]
            elif t is ast.Constant:
                text = node.value  # type: ignore[attr-defined]
                if type(text) is str and len(text) <= MAX_STRING:
                    if text.isidentifier():
                        strings.add(text)
                    elif "." in text and _DOTTED.match(text):  # "pkg.mod:app"
                        head, _, last = text.split(":", 1)[0].rpartition(".")
                        modules.add(f"{head}:{last}")
            elif t is ast.arg:
                stores.add(node.arg)  # type: ignore[attr-defined]
            elif function and node is not top and t in _SCOPE_DEFS:
                stores.add(node.name)  # type: ignore[attr-defined]  # a nested def: a local
            elif t is ast.Import:
                modules.update(a.name for a in node.names)  # type: ignore[attr-defined]
                bound.update((a.asname or a.name, "") for a in node.names)  # type: ignore[attr-defined]
            elif t is ast.ImportFrom:
                imp: ast.ImportFrom = node  # type: ignore[assignment]
                base = _absolute(module, is_package, imp.level or 0, imp.module)
                bound.update(
                    (a.asname or a.name, f"{base}.{a.name}" if base else "") for a in imp.names
                )
                if base:  # ``@pkg:a,b``: the module, and names that may be submodules
                    names = ",".join(a.name for a in imp.names if a.name != "*")
                    modules.add(f"{base}:{names}" if names else base)
            elif t is ast.For or t is ast.AsyncFor:
                loop: ast.For = node  # type: ignore[assignment]
                if isinstance(loop.target, ast.Name) and (
                    _literal_strings(loop.iter)
                    or (isinstance(loop.iter, ast.Name) and loop.iter.id in literal_lists)
                ):  # ``for name in ("a", "b"): getattr(self, name)``: the strings say which
                    literal_loops.add(loop.target.id)
            elif t is ast.Assign:
                assign: ast.Assign = node  # type: ignore[assignment]
                target = assign.targets[0]
                if isinstance(target, ast.Name) and _literal_strings(assign.value):
                    literal_lists.add(target.id)
            elif t is ast.Global or t is ast.Nonlocal:
                declared.update(node.names)  # type: ignore[attr-defined]
            elif t is ast.Call:
                func = node.func  # type: ignore[attr-defined]
                called = func.attr if type(func) is ast.Attribute else getattr(func, "id", "")
                where = NAME_LOOKUPS.get(called)
                if where is not None:
                    args = node.args  # type: ignore[attr-defined]
                    name = args[where] if len(args) > where else None
                    if type(name) is ast.Constant:
                        if type(name.value) is str and name.value.isidentifier():
                            attrs.add(name.value)
                    elif name is not None:
                        computed = True
                elif called in NAMESPACES:
                    computed = True
                if called in APP_BUILDERS:
                    modules.add(APP)
                elif called in DYNAMIC_LOOKUPS:
                    args = node.args  # type: ignore[attr-defined]
                    if called == "globals":
                        modules.add(DYNAMIC)
                    elif (
                        len(args) > 1
                        and isinstance(args[0], ast.Name)
                        and args[0].id in ("self", "cls")
                        and not isinstance(args[1], ast.Constant)
                        and not (isinstance(args[1], ast.Name) and args[1].id in literal_loops)
                    ):
                        modules.add(DYNAMIC_SELF)
    local = stores - declared if function else set()
    return _Refs(
        loads - local - _BUILTINS, attrs, strings, computed, members, modules, bound, local
    )


def _literal_strings(node: ast.expr) -> bool:
    """``node`` is a literal list, tuple or set of constants."""
    return isinstance(node, (ast.List, ast.Tuple, ast.Set)) and all(
        isinstance(e, ast.Constant) for e in node.elts
    )


def _is_all(stmt: ast.stmt) -> bool:
    """``__all__ = [...]`` (or ``+=``): a re-export list is no use."""
    if isinstance(stmt, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == "__all__" for t in stmt.targets)
    if isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
        return isinstance(stmt.target, ast.Name) and stmt.target.id == "__all__"
    return False


def _main_guard(stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.If) or not isinstance(stmt.test, ast.Compare):
        return False
    parts = [stmt.test.left, *stmt.test.comparators]
    return any(isinstance(p, ast.Name) and p.id == "__name__" for p in parts) and any(
        isinstance(p, ast.Constant) and p.value == "__main__" for p in parts
    )


def liveness_facts(
    tree: ast.Module, module: str, is_package: bool, handlers: Collection[ast.AST] = ()
) -> dict[str, Any]:
    """The module's liveness facts (see the module docstring). A scope keeps only the
    names the module level does not refer to already (it runs whenever a scope can)."""
    # (imported here: the project model imports this module, and a warm run needs no
    # scope analysis)
    from netra_ws_lint.analysis.scopes import dotted_name, walk

    aliases: dict[str, str] = {}
    imported: dict[str, str] = {}  # module-level imports: local name -> absolute
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            imported.update((a.asname or a.name, a.name) for a in stmt.names)
        elif isinstance(stmt, ast.ImportFrom):
            base = _absolute(module, is_package, stmt.level or 0, stmt.module)
            imported.update(
                (a.asname or a.name, f"{base}.{a.name}" if base else a.name) for a in stmt.names
            )
    top: list[ast.AST] = []
    scopes: dict[str, list[ast.AST]] = {}
    classes: dict[str, list[str]] = {}
    keep: list[str] = []
    entry = False
    defined = {s.name for s in tree.body if isinstance(s, ast.ClassDef)}

    def qualified(node: ast.expr) -> str:
        """A base class's absolute name (through the imports), or as written."""
        written = dotted_name(node) or ""
        head, _, rest = written.partition(".")
        if head in imported:
            return imported[head] + (f".{rest}" if rest else "")
        if head in defined:
            return f"{module}.{written}"
        return written

    # classes whose methods the framework calls or that build an application: their
    # instance is made by whatever runs the application (a launcher outside the project)
    served: set[str] = set()

    def function(key: str, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        top.extend(fn.decorator_list)  # run when the module (or class body) runs
        if _registers(fn.decorator_list) or fn in handlers:
            keep.append(key)
        if fn in handlers and "." in key:
            served.add(key.partition(".")[0])
        scopes.setdefault(key, []).append(fn)

    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function(stmt.name, stmt)
        elif isinstance(stmt, ast.ClassDef):
            classes[stmt.name] = [q for q in map(qualified, stmt.bases) if q]
            top.extend([*stmt.decorator_list, *stmt.bases, *stmt.keywords])
            if _registers(stmt.decorator_list):
                keep.append(stmt.name)
            for item in stmt.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    function(f"{stmt.name}.{item.name}", item)
                elif not _is_all(item):
                    top.append(item)
        elif not _is_all(stmt):
            entry = entry or _main_guard(stmt)
            top.append(stmt)
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for a in stmt.names:
                if a.asname and a.asname != a.name:
                    aliases[a.asname] = a.name.rpartition(".")[2]

    app = False
    # names the module binds itself (a load of one is no load of an import)
    own = {
        n.id
        for stmt in tree.body
        if not isinstance(stmt, (ast.Import, ast.ImportFrom, ast.ClassDef, *_DEFS))
        for n in walk(stmt)
        if type(n) is ast.Name and isinstance(n.ctx, ast.Store)
    } | {s.name for s in tree.body if isinstance(s, (*_DEFS, ast.ClassDef))}
    # module-level ``from`` imports (and aliased ones), whose loads are kept as
    # ``^local``: the project model resolves them to the one definition they name
    qualifiable = {
        a.asname or a.name
        for stmt in tree.body
        if isinstance(stmt, (ast.ImportFrom, ast.Import))
        for a in stmt.names
        if isinstance(stmt, ast.ImportFrom) or a.asname
    } - own

    dynamic: set[str] = set()
    top_found = _refers(top, module, is_package, False, walk)
    scope_found = {key: _refers(fns, module, is_package, True, walk) for key, fns in scopes.items()}
    # a string names a function only where a lookup may take it: a lookup by a
    # computed name anywhere in the module (the string may flow into it); else only a
    # capitalised one (a class named by a string: a forward reference, an ORM model)
    computed = top_found.computed or any(f.computed for f in scope_found.values())

    def names(found: _Refs) -> set[str]:
        nonlocal app
        loads, attrs, modules, bound = found.loads, set(found.attrs), found.modules, found.bound
        attrs.update(s for s in found.strings if computed or s[0].isupper())
        # an attribute of what may be a module (a name an import binds, or one bound
        # nowhere here: a star import) may name a module-level function or class; an
        # attribute of an object (``self``, a local, a parameter, a module-level
        # variable, a call's result) names a method or an attribute: ``.name``
        for head, attr in found.members:
            objects = head == "" or head in found.local or (head in own and head not in imported)
            attrs.add("." + attr if objects and head not in bound else attr)
        if APP in modules:
            modules.discard(APP)
            app = True
            attrs.add(APP_FACTORY)
        if DYNAMIC in modules:
            modules.discard(DYNAMIC)
            dynamic.add(MODULE_SCOPE)
        if DYNAMIC_SELF in modules:
            modules.discard(DYNAMIC_SELF)
            attrs.add(DYNAMIC_SELF)
        # a name a ``from`` import in the scope binds: ``^=absolute.name``
        inner = {n for n in loads if bound.get(n)}
        qualify = (loads & qualifiable) - bound.keys()
        plain = loads - qualify - inner
        plain.update(aliases[n] for n in plain & aliases.keys())
        out = plain | attrs | {"@" + m for m in modules}
        out.update("^" + n for n in qualify)
        out.update("^=" + bound[n] for n in inner)
        return out

    module_refs = names(top_found)
    module_refs.discard(APP_FACTORY)
    module_refs.discard(DYNAMIC_SELF)
    refs: dict[str, list[str]] = {MODULE_SCOPE: sorted(module_refs)}
    for key, one in scope_found.items():
        found = names(one)
        if APP_FACTORY in found:
            keep.append(key)  # an application factory: a server calls it
            if "." in key:
                served.add(key.partition(".")[0])
            found.discard(APP_FACTORY)
        if DYNAMIC_SELF in found:
            dynamic.add(key.partition(".")[0] if "." in key else MODULE_SCOPE)
            found.discard(DYNAMIC_SELF)
        # a method's own name (``self.m()`` inside it) is no call from elsewhere
        found.discard(key.rpartition(".")[2])
        refs[key] = sorted(found - module_refs)
    keep.extend(sorted(served - set(keep)))
    out: dict[str, Any] = {"refs": refs}
    if classes:
        out["classes"] = classes
    if keep:
        out["keep"] = keep
    if entry:
        out["entry"] = True
    if app:
        out["app"] = True
    if dynamic:
        out["dynamic"] = sorted(dynamic)
    instances = sorted(n for _, _, key, names in _spans(tree) if key is None for n in names)
    if instances:
        out[INSTANCES] = instances
    return out


def text_facts(source: str, module: str, is_package: bool) -> dict[str, Any]:
    """The liveness facts of a module read without its tree (it defines nothing):
    parsed here (such modules are small); every identifier of the text when it does
    not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        names = set(re.findall(r"[A-Za-z_]\w*", source))
        return {"refs": {MODULE_SCOPE: sorted(names)}}
    try:
        return liveness_facts(tree, module, is_package)
    except RecursionError:
        names = set(re.findall(r"[A-Za-z_]\w*", source))
        return {"refs": {MODULE_SCOPE: sorted(names)}}


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def valid_live(value: Any) -> bool:
    """A cached ``live`` fact has the shape :class:`Liveness` reads."""
    if value is None:
        return True
    if not isinstance(value, dict):
        return False
    refs, classes = value.get("refs"), value.get("classes", {})
    if not isinstance(refs, dict) or not all(
        isinstance(k, str) and _str_list(v) for k, v in refs.items()
    ):
        return False
    if not isinstance(classes, dict) or not all(
        isinstance(k, str) and _str_list(v) for k, v in classes.items()
    ):
        return False
    return (
        _str_list(value.get("keep", []))
        and _str_list(value.get(INSTANCES, []))
        and type(value.get("entry", False)) is bool
        and type(value.get("app", False)) is bool
        and _str_list(value.get("dynamic", []))
    )


def _dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _private(name: str) -> bool:
    """``_name`` (not a dunder): by convention used only by its own module, so a
    reference by that name reaches only the definitions of the module it is in (a
    ``self._send()`` elsewhere does not keep this module's ``_send`` live)."""
    return name.startswith("_") and not _dunder(name) and name.isidentifier()


class Liveness:
    """Which modules, scopes and names of an application's live code reach (see the
    module docstring); :meth:`of` asks it from the project."""

    def __init__(
        self,
        modules: dict[str, dict[str, Any]],
        routes: Iterable[str] = (),
        follow: Callable[[str], str] = lambda q: q,
    ) -> None:
        own: dict[str, dict[str, Any]] = {}
        for e in modules.values():
            fact = e.get(FACT)
            if isinstance(fact, dict):
                own.setdefault(str(e["module"]), fact)
        self.facts = own
        self.follow = follow
        # module-level imports (local name -> absolute): what ``^local`` names
        self.imports: dict[str, dict[str, str]] = {
            str(e["module"]): e.get("imports") or {} for e in modules.values()
        }
        # definitions (module, key) a live scope names through an import
        self.qualified: set[tuple[str, str]] = set()
        self.module_names: dict[str, str] = {m: str(e["module"]) for m, e in modules.items()}
        self.routes = frozenset(routes)
        self.modules: set[str] = set()
        self.names: set[str] = set()
        self.scopes: set[tuple[str, str]] = set()
        self.classes: set[tuple[str, str]] = set()
        # name -> the (module, scope or class) so named
        self._by_name: dict[str, list[tuple[str, str]]] = {}
        project_classes: dict[str, list[str]] = {}  # "module.Class" -> its bases, so named
        for m, fact in own.items():
            for key in fact["refs"]:
                if key:
                    self._by_name.setdefault(key.rpartition(".")[2], []).append((m, key))
            for cls, bases in fact.get("classes", {}).items():
                self._by_name.setdefault(cls, []).append((m, cls))
                project_classes[f"{m}.{cls}"] = bases
        self._outside = self._outside_bases(project_classes, follow)
        self._connected = self._connections()
        self._mark()

    def _targets(self, ref: str) -> list[str]:
        """The project's modules an ``@`` reference names (``a.b:c,d``: ``a.b`` and
        its submodules ``c``, ``d``; or the deepest module of a dotted name)."""
        base, _, names = ref.partition(":")
        out = [
            self.module_names[f"{base}.{n}"]
            for n in names.split(",")
            if n and f"{base}.{n}" in self.module_names
        ]
        parts = base.split(".")
        for i in range(len(parts), 0, -1):
            m = self.module_names.get(".".join(parts[:i]))
            if m is not None:
                out.append(m)
                break
        return out

    def _connections(self) -> set[str]:
        """Modules that import another module of the project or are imported by one:
        part of some module graph. A module with neither (a standalone script, an
        example file) is no part of the application and is taken as live."""
        out: set[str] = set()
        for m, fact in self.facts.items():
            for names in fact["refs"].values():
                for name in names:
                    if name.startswith("@"):
                        for t in self._targets(name[1:]):
                            if t != m:
                                out.update((m, t))
        return out

    def _definition(self, module: str, local: str) -> tuple[tuple[str, str] | None, str]:
        """The top-level function or class of the project that ``local``, imported at
        module level in ``module`` (``=absolute.name``: imported in the scope), names
        (through re-exports), or None; and the name to match by when it is none (a
        variable, or what does not resolve)."""
        qual = local[1:] if local.startswith("=") else self.imports.get(module, {}).get(local)
        if qual is None:
            return None, local
        where, _, name = self.follow(qual).rpartition(".")
        fact = self.facts.get(where)
        if fact is not None and name and (name in fact.get("classes", {}) or name in fact["refs"]):
            return (where, name), name
        return None, name

    @staticmethod
    def _outside_bases(
        classes: dict[str, list[str]], follow: Callable[[str], str]
    ) -> frozenset[tuple[str, str]]:
        """Classes (module, name) deriving, through the project's classes, from a
        class the project does not define (whose code may call their methods)."""
        memo: dict[str, bool] = {}

        def outside(qual: str, depth: int) -> bool:
            if qual in memo:
                return memo[qual]
            memo[qual] = False  # a cycle
            found = False
            for base in classes.get(qual, ()):
                if base.rpartition(".")[2] in PLAIN_BASES:
                    continue
                target = follow(base) if "." in base else base
                if target not in classes or depth > 32 or outside(target, depth + 1):
                    found = True
                    break
            memo[qual] = found
            return found

        return frozenset(
            (qual.rpartition(".")[0], qual.rpartition(".")[2])
            for qual in classes
            if outside(qual, 0)
        )

    def _entry(self, module: str) -> bool:
        if dead_module(module):
            return False
        last = module.rpartition(".")[2]
        fact = self.facts[module]
        return (
            "." not in module
            or last in ENTRY_NAMES
            or not ENTRY_PARTS.isdisjoint(module.split("."))
            or bool(fact.get("entry") or fact.get("app"))
            or module not in self._connected
        )

    def _mark(self) -> None:
        todo_modules = [m for m in self.facts if self._entry(m)]
        todo_names: list[str] = []
        todo_scopes: list[tuple[str, str]] = []

        def module_live(ref: str) -> None:
            # ``@a.b``: a module; ``@a.b:c,d``: it and those of its names that are
            # submodules; every package on the way runs
            base, _, names = ref.partition(":")
            for name in names.split(","):
                if name and f"{base}.{name}" in self.module_names:
                    module_live(f"{base}.{name}")
            parts = base.split(".")
            for i in range(1, len(parts) + 1):
                m = self.module_names.get(".".join(parts[:i]))
                if (
                    m is not None
                    and m not in self.modules
                    and m in self.facts
                    and (not dead_module(m))
                ):
                    todo_modules.append(m)

        def try_def(m: str, key: str) -> None:
            if m not in self.modules:
                return
            fact = self.facts[m]
            cls, _, name = key.rpartition(".")
            if key in fact.get("classes", {}):
                named = key in self.names or f"{m}:{key}" in self.names
                if (m, key) not in self.classes and (
                    named or (m, key) in self.qualified or key in fact.get("keep", ())
                ):
                    self.classes.add((m, key))
                    for k in fact["refs"]:
                        if k.startswith(key + "."):
                            try_def(m, k)
                return
            if (m, key) in self.scopes or key not in fact["refs"]:
                return
            if cls and (m, cls) not in self.classes:
                return
            plain, attr = name, "." + name
            if _private(name):  # named from its own module only (see _private)
                plain, attr = f"{m}:{name}", f"{m}:.{name}"
            live = (
                plain in self.names
                or (bool(cls) and attr in self.names)
                or (cls or MODULE_SCOPE) in fact.get("dynamic", ())
                or (not cls and (m, key) in self.qualified)
                or _dunder(name)
                or key in fact.get("keep", ())
                or (not cls and f"{m}.{key}" in self.routes)
                or (bool(cls) and (m, cls) in self._outside)
            )
            if live:
                self.scopes.add((m, key))
                todo_scopes.append((m, key))

        for _ in range(100_000):
            if todo_modules:
                m = todo_modules.pop()
                if m in self.modules:
                    continue
                self.modules.add(m)
                todo_scopes.append((m, MODULE_SCOPE))
                self.scopes.add((m, MODULE_SCOPE))
                fact = self.facts[m]
                for key in (*fact.get("classes", {}), *fact["refs"]):
                    if key:
                        try_def(m, key)
            elif todo_scopes:
                m, key = todo_scopes.pop()
                for name in self.facts[m]["refs"].get(key, ()):
                    if name.startswith("@"):
                        module_live(name[1:])
                        continue
                    if name.startswith("^"):
                        target, name = self._definition(m, name[1:])
                        if target is not None:
                            if target not in self.qualified:
                                self.qualified.add(target)
                                try_def(*target)
                            continue
                    if _private(name.lstrip(".")):
                        name = f"{m}:{name}"
                    if name not in self.names:
                        self.names.add(name)
                        todo_names.append(name)
            elif todo_names:
                name = todo_names.pop()
                where, _, name = name.rpartition(":")
                self._by_name_live(name, where, try_def)
            else:
                break

    def _by_name_live(self, name: str, where: str, try_def: Callable[[str, str], None]) -> None:
        """Try the definitions a live reference by name may reach: methods only for an
        attribute of an object (``.m``); only those of module ``where`` for a private
        name."""
        method = name.startswith(".")  # an attribute of an object: methods only
        for m, key in self._by_name.get(name[1:] if method else name, ()):
            if (not method or "." in key) and (not where or m == where):
                try_def(m, key)

    # ---------------------------------------------------------------- questions
    def module_unreached(self, module: str) -> bool:
        return module in self.facts and module not in self.modules

    def unreached(self, module: str, key: str) -> str | None:
        """Why the scope ``key`` of ``module`` is unreached (for a message), or None."""
        if module not in self.facts:
            return None
        if module not in self.modules:
            return f"module `{module}` is imported by no live module"
        fact = self.facts[module]
        cls = key.rpartition(".")[0]
        if cls and cls in fact.get("classes", {}) and (module, cls) not in self.classes:
            return f"nothing live refers to the class `{cls}`"
        if key in fact["refs"] and (module, key) not in self.scopes:
            return f"nothing live calls `{key}` or refers to it"
        return None

    def unread(self, module: str, names: Iterable[str]) -> str | None:
        """Why the module-level variables ``names`` are unreached, or None."""
        if module not in self.facts:
            return None
        if module not in self.modules:
            return f"module `{module}` is imported by no live module"
        names = list(names)
        if names and not any(n in self.names or f"{module}:{n}" in self.names for n in names):
            return f"nothing live reads `{names[0]}`"
        return None

    def unreached_names(self) -> set[str]:
        """The names of the functions, methods, classes and module-level instances
        (:data:`INSTANCES`) that nothing live reaches: the files holding them are checked
        with the project (see ``ProjectIndex``), where the findings of request-serving
        rules in them become audit. (From the facts alone, never from a check's
        findings: every front end takes the same decision.)"""
        out: set[str] = set()
        for m, fact in self.facts.items():
            for key in (*fact["refs"], *fact.get("classes", {})):
                if key and self.unreached(m, key) is not None:
                    out.add(key.rpartition(".")[2])
            for name in fact.get(INSTANCES, ()):
                if self.unread(m, [name]) is not None:
                    out.add(name)
        return out

    @staticmethod
    def of(project: Any) -> Liveness | None:
        """The project's liveness, when it is an application (else None); memoised."""
        found = project.__dict__.get("_liveness", False)
        if found is not False:
            return found  # type: ignore[no-any-return]
        modules: dict[str, dict[str, Any]] = project.modules
        apps = {
            str(e["module"])
            for m, e in modules.items()
            if isinstance(e.get(FACT), dict) and e[FACT].get("app") and not dead_module(m)
        }
        live: Liveness | None = None
        if apps:
            live = Liveness(modules, project.routes, project.follow)
            if live._connected.isdisjoint(apps):
                # an application object in a module tied to no other module of the
                # project (a project template, a standalone demo) is not its application
                live = None
        project.__dict__["_liveness"] = live
        return live


# ---------------------------------------------------------------- in one file
def unreached_at(ctx: Context, line: int) -> str | None:
    """Why the code at ``line`` of the file of ``ctx`` is reached by nothing live, in
    project mode for an application; None when it is reached (or unknown)."""
    project, module = ctx.project, ctx.module_name
    if project is None or not module:
        return None
    live = Liveness.of(project)
    if live is None:
        return None
    spans = ctx.rule_state.get("liveness-spans")
    if not isinstance(spans, list):
        spans = _spans(ctx.tree)
        ctx.rule_state["liveness-spans"] = spans
    key: str | None = None
    assigned: list[str] | None = None
    for start, end, k, names in spans:
        if start <= line <= end:
            if k is None:
                assigned = names
            elif key is None or "." in k:
                key = k  # a method's span lies inside its class's
    if key is not None:
        return live.unreached(module, key)
    if assigned is not None:
        return live.unread(module, assigned)
    if live.module_unreached(module):
        return f"module `{module}` is imported by no live module"
    return None


def _spans(tree: ast.Module) -> list[tuple[int, int, str | None, list[str]]]:
    """The line spans of the top-level functions, the methods of top-level classes
    (their scope key) and the module-level assignments of a call's result to names
    (their names)."""
    out: list[tuple[int, int, str | None, list[str]]] = []

    def span(node: ast.stmt) -> tuple[int, int]:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
        return first, node.end_lineno or node.lineno

    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append((*span(stmt), stmt.name, []))
        elif isinstance(stmt, ast.ClassDef):
            for item in stmt.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out.append((*span(item), f"{stmt.name}.{item.name}", []))
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Call):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if names:
                out.append((*span(stmt), None, names))
    return out
