"""Per-file facts: what the project model (:mod:`netra_ws_lint.analysis.project`) knows
of a module, as plain data, extracted from a file's tree by the same pipeline call that
checks it (or, for a file that is not checked, from its text alone).

Adding a fact about a top-level function or class is one change, here: append a
:class:`DefFact` to :data:`DEF_FACTS` (its key in the ``defs`` entry, how to read it off
the statement, the value meaning "no fact", how to validate a cached value). A def with
any fact gets an entry ``{"kind": "function" | "class", <key>: <value>, ...}``; the rules
read it through ``ProjectIndex.find`` / ``definition``. The cache key covers the tool's
own source, so a new fact invalidates old entries by itself.

A file whose text holds none of the vocabulary (:func:`needs_tree`) can define nothing
of interest: its facts are its imports, read from the text without parsing.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from netra_ws_lint.analysis.project import ModuleId as ModuleId
from netra_ws_lint.analysis.project import valid_entry
from netra_ws_lint.config import Settings
from netra_ws_lint.model import Finding

# The analysis (frameworks, scopes, the rules, the parser) is imported by the functions
# that extract facts: checking cached facts (valid_facts) and naming modules (ModuleId)
# need none of it, and that is all a warm run does here.
if TYPE_CHECKING:
    from netra_ws_lint.analysis.semantic import Context

SINGLETON_RULE = "NWS104"


class FactScan:
    """What the fact extractors of one file share."""

    def __init__(
        self,
        tree: ast.Module,
        source: str,
        path: str,
        settings: Settings,
        walked: Sequence[Finding] | None,
        ctx: Context | None = None,
    ) -> None:
        from netra_ws_lint.analysis.semantic import Context

        self.tree = tree
        self.source = source
        self.settings = settings
        self.ctx = ctx or Context(tree, source, path, settings)
        self._walked = walked
        self._singleton_lines: frozenset[int] | None = None

    def singleton_lines(self) -> frozenset[int]:
        """Lines of the singleton getters of user-scoped types NWS104 reports (not its
        audit findings): from the check's own walk when it ran NWS104, else its own."""
        if self._singleton_lines is None:
            findings = self._walked
            if findings is None:
                from netra_ws_lint.analysis.semantic import Context
                from netra_ws_lint.engine.prefilter import Prefilter
                from netra_ws_lint.engine.walker import Walker
                from netra_ws_lint.rules.base import all_rules

                rule = all_rules()[SINGLETON_RULE]
                findings = []
                if Prefilter(self.settings, [SINGLETON_RULE]).can_fire(self.source):
                    ctx = Context(self.tree, self.source, self.ctx.path, self.settings)
                    Walker(ctx, [rule(ctx)]).walk(self.tree)
                    ctx.release()
                    findings = ctx.findings
            self._singleton_lines = frozenset(
                f.line for f in findings if f.code == SINGLETON_RULE and not f.audit
            )
        return self._singleton_lines


DefNode = Any  # ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass(frozen=True)
class DefFact:
    """One fact about a top-level function or class (see the module docstring)."""

    key: str
    extract: Callable[[FactScan, DefNode], Any]
    valid: Callable[[Any], bool]
    absent: Any = None


def _context_param_fact(scan: FactScan, stmt: DefNode) -> list[Any] | None:
    """``[name, kind, index, has default, default is None]`` of the user-context
    parameter (a class's: its ``__init__``'s); None when a decorator may change it."""
    from netra_ws_lint.analysis.resolution import keeps_signature

    if isinstance(stmt, ast.ClassDef):
        cp = scan.ctx.class_context_param(stmt)
    elif keeps_signature(stmt):
        cp = scan.ctx.context_param(stmt)
    else:
        return None
    if cp is None:
        return None
    p = cp.param
    return [p.name, p.kind, p.index, cp.has_default, cp.default_is_none]


def _valid_context_param(cp: Any) -> bool:
    return cp is None or (
        isinstance(cp, list)
        and len(cp) == 5
        and isinstance(cp[0], str)
        and isinstance(cp[1], str)
        and type(cp[2]) is int
        and type(cp[3]) is bool
        and type(cp[4]) is bool
    )


def _singleton_fact(scan: FactScan, stmt: DefNode) -> bool:
    from netra_ws_lint.analysis.scopes import FUNCTION_TYPES

    return isinstance(stmt, FUNCTION_TYPES) and stmt.lineno in scan.singleton_lines()


DEF_FACTS: tuple[DefFact, ...] = (
    DefFact("ctx", _context_param_fact, _valid_context_param, None),
    DefFact("singleton", _singleton_fact, lambda v: type(v) is bool, False),
)


def valid_def(entry: dict[str, Any]) -> bool:
    if entry.get("kind") not in ("function", "class"):
        return False
    return all(f.key in entry and f.valid(entry[f.key]) for f in DEF_FACTS)


def _str_map(value: Any, valid: Callable[[Any], bool]) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and valid(v) for k, v in value.items()
    )


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _valid_getter(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("reason"), str)
        and (value.get("builds") is None or isinstance(value.get("builds"), str))
    )


def _valid_factory_class(value: Any) -> bool:
    builds = value.get("builds") if isinstance(value, dict) else None
    return isinstance(builds, list) and all(
        isinstance(b, list) and len(b) == 3 and all(isinstance(x, str) for x in b) for b in builds
    )


# the module's part of the inferred vocabulary (analysis.vocabulary.module_facts): each
# key's value, when present, must have this shape (a cache entry may be corrupt)
_VOCABULARY_FIELDS: dict[str, Callable[[Any], bool]] = {
    "types": lambda v: _str_map(v, _is_str),
    "registries": lambda v: _str_map(v, _is_str),
    "factory_classes": lambda v: _str_map(v, _valid_factory_class),
    "factories": lambda v: _str_map(v, _is_str),
    "getters": lambda v: _str_map(v, _valid_getter),
    "classes": lambda v: _str_map(v, _str_list),
    "labels": _str_list,
    "fanout": lambda v: _str_map(v, lambda b: type(b) is bool),
    "evicts": lambda v: _str_map(v, _str_list),
    "context_uses": lambda v: _str_map(v, lambda u: u is None or isinstance(u, str)),
}


def valid_vocab(vocab: Any) -> bool:
    """``vocab`` (a facts entry's ``vocab``) has the types its readers expect."""
    if not isinstance(vocab, dict):
        return False
    if not _str_map(vocab.get("imports", {}), _is_str):
        return False
    if not _str_list(vocab.get("functions", [])):
        return False
    vocabulary = vocab.get("vocabulary")
    if not isinstance(vocabulary, dict):
        return False
    return all(
        valid(vocabulary[key]) for key, valid in _VOCABULARY_FIELDS.items() if key in vocabulary
    )


def valid_facts(data: Any) -> bool:
    """A cached facts entry is well-formed throughout (a ``null`` or a wrong type
    anywhere makes it a cache miss: the file's facts are extracted again)."""
    from netra_ws_lint.analysis.liveness import FACT, valid_live

    return (
        valid_entry(data, valid_def)
        and valid_vocab(data.get("vocab"))
        and valid_live(data.get(FACT))
    )


def _entry(
    module: ModuleId,
    defs: dict[str, Any],
    imports: dict[str, str],
    vocab: dict[str, Any],
    ctx: Context | None = None,
    live: dict[str, Any] | None = None,
) -> dict[str, Any]:
    if vocab.get("imports") == imports:  # one object (pickled and kept once)
        vocab["imports"] = imports
    out: dict[str, Any] = {
        "module": module.name,
        "package": module.is_package,
        "aliases": list(module.aliases),
        "defs": defs,
        "imports": imports,
        "vocab": vocab,  # the module's part of the inferred vocabulary (analysis.vocabulary)
    }
    if live is not None:  # the names each scope refers to (analysis.liveness)
        out["live"] = live
    if ctx is not None:  # request handlers and application objects (analysis.frameworks)
        from netra_ws_lint.analysis.frameworks import app_objects

        routes = _routes(ctx, imports)
        if routes:
            out["routes"] = routes
        apps = app_objects(ctx)
        if apps:
            out["apps"] = {name: [fw, loop] for name, (fw, loop) in apps.items()}
        from netra_ws_lint.analysis.requests import shared_instance_calls

        calls = shared_instance_calls(ctx, imports, module.name)
        if calls:
            out["shared_calls"] = calls
    return out


def _routes(ctx: Context, imports: dict[str, str]) -> dict[str, str]:
    """Handlers this module registers that other modules define (Django's ``urls.py``),
    by absolute name: ``{"pkg.views.index": "django"}``."""
    from netra_ws_lint.analysis.frameworks import route_references

    out: dict[str, str] = {}
    for dotted, framework in route_references(ctx):
        head, _, rest = dotted.partition(".")
        base = imports.get(head)
        if base is None:
            binding = ctx.module_scope.bindings.get(head)
            if binding is not None and binding.kind == "import" and binding.qualname:
                base = binding.qualname  # ``import pkg.views``: absolute already
            else:
                continue
        out[f"{base}.{rest}" if rest else base] = framework
    return out


def needs_tree(source: str, settings: Settings) -> bool:
    """The module may hold a fact beyond its imports: a definition of interest, a
    request handler registration or an application object (else the imports are read
    from the text, without parsing)."""
    from netra_ws_lint.analysis.frameworks import APP_TEXT, REGISTRATION_TEXT

    return (
        may_define(source, settings)
        or REGISTRATION_TEXT.search(source) is not None
        or APP_TEXT.search(source) is not None
    )


def vocabulary_facts(
    tree: ast.Module, settings: Settings, path: str, module: ModuleId, source: str | None = None
) -> dict[str, Any]:
    """The module's part of the inferred vocabulary (none for test files); ``source``:
    the tree's text (see :func:`.vocabulary.module_facts`)."""
    from netra_ws_lint.analysis.vocabulary import module_facts

    if settings.is_test_path(settings.relpath(path)) or settings.is_test_path(Path(path).name):
        tree = ast.Module(body=[], type_ignores=[])
    return module_facts(tree, settings, module.name, module.is_package, source)


def facts_from_tree(
    tree: ast.Module,
    source: str,
    path: str,
    module: ModuleId,
    settings: Settings,
    walked: Sequence[Finding] | None = None,
    ctx: Context | None = None,
) -> dict[str, Any]:
    """The facts of one parsed module. ``walked``: the findings of a walk that ran
    NWS104 on this tree (saves walking it again); ``ctx``: that walk's Context, when it
    had no project (its analyses of the tree are shared; its owner releases it)."""
    from netra_ws_lint.analysis.liveness import liveness_facts
    from netra_ws_lint.analysis.scopes import FUNCTION_TYPES

    if not needs_tree(source, settings):
        return imports_entry(source, module, tree)
    defs: dict[str, dict[str, Any]] = {}
    scan = FactScan(tree, source, path, settings, walked, ctx)
    for stmt in tree.body:
        if isinstance(stmt, (*FUNCTION_TYPES, ast.ClassDef)):
            values = {f.key: f.extract(scan, stmt) for f in DEF_FACTS}
            if any(values[f.key] != f.absent for f in DEF_FACTS):
                kind = "class" if isinstance(stmt, ast.ClassDef) else "function"
                defs[stmt.name] = {"kind": kind, **values}
    vocab = vocabulary_facts(tree, settings, path, module, source)
    try:
        from netra_ws_lint.analysis.frameworks import request_paths

        handlers = request_paths(scan.ctx).handlers  # the framework calls them
        live = liveness_facts(tree, module.name, module.is_package, handlers)
        return _entry(module, defs, tree_imports(tree, module), vocab, scan.ctx, live)
    finally:
        if ctx is None:
            scan.ctx.release()


def tree_imports(tree: ast.Module, module: ModuleId) -> dict[str, str]:
    """The module-level imports of a tree: local name -> absolute name."""
    from netra_ws_lint.analysis.vocabulary import absolute_import

    imports: dict[str, str] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    imports[alias.asname] = alias.name
        elif isinstance(stmt, ast.ImportFrom):
            base = absolute_import(module.name, module.is_package, stmt.level or 0, stmt.module)
            for alias in stmt.names:
                if alias.name != "*":
                    qual = f"{base}.{alias.name}" if base else alias.name
                    imports[alias.asname or alias.name] = qual
    return imports


def facts_from_source(
    source: str, path: str, module: ModuleId, settings: Settings
) -> dict[str, Any] | None:
    """The facts of one module's text (None: it does not parse)."""
    from netra_ws_lint.engine.walker import parse_source

    if not needs_tree(source, settings):
        return imports_entry(source, module)
    tree = parse_source(source, path)
    if isinstance(tree, Finding):
        return None
    try:
        return facts_from_tree(tree, source, path, module, settings)
    except (RecursionError, MemoryError):
        return None


_IMPORT_LINE = re.compile(r"^(?:from[ \t]+(\.*)[ \t]*([\w.]*)[ \t]+import\b|import\b)(.*)$", re.M)
_DOTTED = re.compile(r"^[^\W\d][\w.]*$")


def imports_entry(source: str, module: ModuleId, tree: ast.Module | None = None) -> dict[str, Any]:
    """The entry of a module that defines nothing of interest (none of the vocabulary
    is in its text, so no def takes a user context and NWS104 cannot fire): its
    top-level imports, read from the text without parsing (unindented ``import`` /
    ``from ... import`` statements, parenthesised or continued), and the names it
    refers to (:mod:`~netra_ws_lint.analysis.liveness`: from ``tree`` when given, else
    parsed there: such a module is small)."""
    from netra_ws_lint.analysis.liveness import liveness_facts, text_facts
    from netra_ws_lint.analysis.vocabulary import absolute_import

    imports: dict[str, str] = {}
    for m in _IMPORT_LINE.finditer(source):
        rest = m.group(3)
        end = m.end()
        if rest.lstrip().startswith("("):
            parts: list[str] = []
            for line in source[m.start(3) :].split("\n", 200):
                code = line.split("#", 1)[0]
                if ")" in code:
                    parts.append(code.split(")", 1)[0])
                    break
                parts.append(code)
            else:
                continue
            rest = "\n".join(parts).replace("(", " ")
        else:
            while rest.rstrip().endswith("\\") and end < len(source):
                nxt = source.find("\n", end + 1)
                nxt = len(source) if nxt < 0 else nxt
                rest = rest.rstrip()[:-1] + " " + source[end + 1 : nxt]
                end = nxt
            rest = rest.split(";", 1)[0]
        rest = "\n".join(line.split("#", 1)[0] for line in rest.split("\n"))
        base = None
        if m.group(1) is not None or m.group(2) is not None:
            base = absolute_import(
                module.name, module.is_package, len(m.group(1) or ""), m.group(2) or None
            )
        for part in rest.replace("\n", " ").split(","):
            words = part.split()
            if not words:
                continue
            if len(words) == 3 and words[1] == "as":
                name, alias = words[0], words[2]
            elif len(words) == 1:
                name, alias = words[0], None
            else:
                continue
            if not _DOTTED.match(name) or (alias is not None and not _DOTTED.match(alias)):
                continue
            if base is None:  # import a.b as c
                if alias is not None:
                    imports[alias] = name
            elif name != "*" and "." not in name:
                imports[alias or name] = f"{base}.{name}" if base else name
    if tree is not None:
        live = liveness_facts(tree, module.name, module.is_package)
    else:
        live = text_facts(source, module.name, module.is_package)
    vocab: dict[str, Any] = {"imports": imports, "functions": [], "vocabulary": {}}
    return _entry(module, {}, imports, vocab, live=live)


def may_define(source: str, settings: Settings) -> bool:
    """The file's text holds what a def taking a user context, a user-scoped class or a
    singleton getter NWS104 reports needs: a configured accessor, factory, user-scoped
    type or context type, or a context name followed by what follows a parameter name
    (``:``, ``=``, ``,`` or ``)``); or any class or def (the inferred vocabulary may
    be there, see analysis.vocabulary)."""
    if "class" in source or "def" in source:
        return True
    words, exact_names = _definition_words(settings)
    if not source.isascii():
        source = unicodedata.normalize("NFKC", source)
    if words is None or any(w in source for w in words):
        return True
    if not exact_names:
        return True
    return any(_param_like(source, n) for n in settings.words.context_names)


def _param_like(source: str, name: str) -> bool:
    """``name`` occurs as a whole identifier followed by ``:``, ``=``, ``,`` or ``)``
    (what follows a parameter's name; white space between)."""
    n = len(name)
    pos = source.find(name)
    while pos >= 0:
        before = source[pos - 1] if pos else " "
        if not (before.isalnum() or before == "_"):
            after = source[pos + n : pos + n + 80].lstrip()
            if after[:1] in (":", "=", ",", ")"):
                return True
        pos = source.find(name, pos + n)
    return False


@lru_cache(maxsize=32)
def _definition_words(settings: Settings) -> tuple[frozenset[str] | None, bool]:
    from netra_ws_lint.engine.prefilter import pattern_words

    w = settings.words
    groups = [
        pattern_words(p)
        for p in (w.deprecated_accessors, w.context_factories, w.user_scoped_types, w.context_types)
    ]
    words = None if any(g is None for g in groups) else frozenset().union(*groups)  # type: ignore[arg-type]
    names = w.context_names
    if any(c in n for n in names for c in "*?[]."):
        return words, False  # glob names: any identifier may be one
    return words, True
