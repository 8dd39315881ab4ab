"""Project mode: an index of every module, so that rules see across modules.

One pass over the files builds, per module, plain data (cached per file content, like
results)::

    {"module": "pkg.core", "package": false,
     "defs": {"create_manager": {"kind": "function", "ctx": ["user_context", "pos", 0,
                                                            false, false],
                                 "singleton": false}},
     "imports": {"get_mgr": "pkg.core.get_websocket_manager", ...}}

``defs`` holds the module's top-level functions and classes that take a user context
(``ctx``: name, kind, position, has a default, default is ``None``) or that NWS104
reports as a singleton getter of a user-scoped type; ``imports`` the module-level
imports with absolute names (relative imports resolved against the module's package),
which is what makes re-exports through ``__init__`` and aliases work. A module's name
comes from its path: the directories up to the first one without ``__init__.py`` are
its packages.

:meth:`ProjectIndex.find` follows a qualified name through imports and re-exports to
the definition. The rules ask through ``Context.project`` (None per file).
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from netra_ws_lint.analysis.scopes import FUNCTION_TYPES, Param
from netra_ws_lint.analysis.semantic import Context
from netra_ws_lint.analysis.vocabulary import ProjectVocabulary, absolute_import, module_facts
from netra_ws_lint.config import Settings
from netra_ws_lint.engine.pipeline import (
    SKIP_FILE_RE,
    RuleSet,
    Walker,
    normalize_newlines,
    parse_source,
    run_rules,
    select_findings,
)
from netra_ws_lint.engine.prefilter import Prefilter, pattern_words
from netra_ws_lint.model import Finding

SIGNATURE_KEEPING = frozenset(
    {
        "staticmethod",
        "classmethod",
        "wraps",
        "lru_cache",
        "cache",
        "cached",
        "alru_cache",
        "contextmanager",
        "asynccontextmanager",
        "abstractmethod",
        "overload",
        "final",
        "override",
        "no_type_check",
        "deprecated",
        "singledispatch",
    }
)


def module_name(path: Path) -> tuple[str, bool]:
    """``(dotted module name, is a package __init__)`` from the file's location."""
    path = path.absolute()
    is_package = path.stem == "__init__"
    package = _package_of(str(path.parent))
    if is_package:
        return package or path.parent.name, True
    return (f"{package}.{path.stem}" if package else path.stem), False


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


def _decorator_last(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    while isinstance(target, ast.Attribute):
        return target.attr
    return target.id if isinstance(target, ast.Name) else ""


def build_entry(
    tree: ast.Module, source: str, path: str, module: str, is_package: bool, settings: Settings
) -> dict[str, Any]:
    """The index entry (plain data) of one parsed module."""
    ctx = Context(tree, source, path, settings)
    defs: dict[str, dict[str, Any]] = {}
    imports: dict[str, str] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    imports[alias.asname] = alias.name
        elif isinstance(stmt, ast.ImportFrom):
            base = absolute_import(module, is_package, stmt.level or 0, stmt.module)
            for alias in stmt.names:
                if alias.name != "*":
                    qual = f"{base}.{alias.name}" if base else alias.name
                    imports[alias.asname or alias.name] = qual
        elif isinstance(stmt, (*FUNCTION_TYPES, ast.ClassDef)):
            if not all(
                _decorator_last(d) in SIGNATURE_KEEPING for d in stmt.decorator_list
            ) and not isinstance(stmt, ast.ClassDef):
                continue  # a decorator may change the signature
            if isinstance(stmt, ast.ClassDef):
                cp = ctx.class_context_param(stmt)
            else:
                cp = ctx.context_param(stmt)
            if cp is not None:
                p = cp.param
                defs[stmt.name] = {
                    "kind": "class" if isinstance(stmt, ast.ClassDef) else "function",
                    "ctx": [p.name, p.kind, p.index, cp.has_default, cp.default_is_none],
                    "singleton": False,
                }
    # singleton getters of user-scoped types: what NWS104 reports (not its audit findings)
    from netra_ws_lint.rules.nws1_singletons.singleton_definition import SingletonDefinition

    if Prefilter(settings, [SingletonDefinition.code]).can_fire(source):
        ctx2 = Context(tree, source, path, settings)
        Walker(ctx2, [SingletonDefinition(ctx2)]).walk(tree)
        code = SingletonDefinition.code
        lines = {f.line for f in ctx2.findings if f.code == code and not f.audit}
        for stmt in tree.body:
            if isinstance(stmt, FUNCTION_TYPES) and stmt.lineno in lines:
                entry = defs.setdefault(stmt.name, {"kind": "function", "ctx": None})
                entry["singleton"] = True
    entry = {"module": module, "package": is_package, "defs": defs, "imports": imports}
    entry["vocab"] = vocabulary_facts(tree, settings, path, module, is_package)
    return entry


def vocabulary_facts(
    tree: ast.Module, settings: Settings, path: str, module: str, is_package: bool
) -> dict[str, Any]:
    """The module's part of the inferred vocabulary (none for test files)."""
    if settings.is_test_path(settings.relpath(path)) or settings.is_test_path(Path(path).name):
        tree = ast.Module(body=[], type_ignores=[])
    return module_facts(tree, settings, module, is_package)


_IMPORT_LINE = re.compile(r"^(?:from[ \t]+(\.*)[ \t]*([\w.]*)[ \t]+import\b|import\b)(.*)$", re.M)
_DOTTED = re.compile(r"^[^\W\d][\w.]*$")


def imports_entry(source: str, module: str, is_package: bool) -> dict[str, Any]:
    """The entry of a module that defines nothing of interest (none of the vocabulary
    is in its text, so no def takes a user context and NWS104 cannot fire): only its
    top-level imports, read from the text without parsing (unindented ``import`` /
    ``from ... import`` statements, parenthesised or continued)."""
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
            base = absolute_import(module, is_package, len(m.group(1) or ""), m.group(2) or None)
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
    empty = {"imports": imports, "functions": [], "vocabulary": {}}
    return {"module": module, "package": is_package, "defs": {}, "imports": imports, "vocab": empty}


def _valid_entry(data: Any) -> bool:
    if not isinstance(data, dict) or not isinstance(data.get("module"), str):
        return False
    defs, imports = data.get("defs"), data.get("imports")
    if not isinstance(defs, dict) or not isinstance(imports, dict):
        return False
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in imports.items()):
        return False
    vocab = data.get("vocab")
    if not isinstance(vocab, dict) or not isinstance(vocab.get("vocabulary"), dict):
        return False
    for d in defs.values():
        if not isinstance(d, dict) or d.get("kind") not in ("function", "class"):
            return False
        cp = d.get("ctx")
        if cp is not None and not (
            isinstance(cp, list)
            and len(cp) == 5
            and isinstance(cp[0], str)
            and isinstance(cp[1], str)
            and type(cp[2]) is int
            and type(cp[3]) is bool
            and type(cp[4]) is bool
        ):
            return False
        if type(d.get("singleton")) is not bool:
            return False
    return True


def may_define(source: str, settings: Settings) -> bool:
    """The file's text holds what a def taking a user context, a user-scoped class or a
    singleton getter NWS104 reports needs: a configured accessor, factory, user-scoped
    type or context type, or a context name followed by what follows a parameter name
    (``:``, ``=``, ``,`` or ``)``)."""
    if "class" in source or "def" in source:
        return True  # the inferred vocabulary may be there (see vocabulary.py)
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


def index_source(
    data: bytes, path: Path, display: str, settings: Settings
) -> dict[str, Any] | None:
    """The index entry of one file's bytes (None: unreadable or does not parse)."""
    from netra_ws_lint.engine.pipeline import DecodeError, decode_source

    try:
        source = decode_source(data)
    except DecodeError:
        return None
    module, is_package = module_name(path)
    if not may_define(source, settings):
        return imports_entry(source, module, is_package)
    tree = parse_source(source, display)
    if isinstance(tree, Finding):
        return None
    try:
        return build_entry(tree, source, display, module, is_package, settings)
    except (RecursionError, MemoryError):
        return None


class ProjectIndex:
    """Every module's entry, and name resolution across them."""

    def __init__(self, entries: Iterable[dict[str, Any]], settings: Settings | None = None) -> None:
        settings = settings or Settings()
        self.modules: dict[str, dict[str, Any]] = {}
        for e in entries:
            self.modules.setdefault(e["module"], e)
        blob = json.dumps(sorted(self.modules.items()), sort_keys=True)
        self.digest = hashlib.sha256(blob.encode()).hexdigest()
        # names (last components) that may lead to a definition of interest
        self.vocabulary = ProjectVocabulary(
            {m: e["vocab"] for m, e in self.modules.items() if e.get("vocab")}, settings
        )
        names: set[str] = set(self.vocabulary.names())
        for e in self.modules.values():
            names.update(e["defs"])
        changed = True
        while changed:  # aliases of those names, through any number of imports
            changed = False
            for e in self.modules.values():
                for local, qual in e["imports"].items():
                    if qual.rpartition(".")[2] in names and local not in names:
                        names.add(local)
                        changed = True
        self.known_names = frozenset(names)

    def find(self, qualname: str) -> dict[str, Any] | None:
        """The def entry ``qualname`` names, through imports and re-exports."""
        seen: set[str] = set()
        while qualname not in seen and len(seen) < 32:
            seen.add(qualname)
            module, _, attr = qualname.rpartition(".")
            entry = self.modules.get(module)
            if entry is None or not attr:
                return None
            found = entry["defs"].get(attr)
            if found is not None:
                return found  # type: ignore[no-any-return]
            nxt = entry["imports"].get(attr)
            if nxt is None:
                return None
            qualname = nxt
        return None

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
        return Param(name, ast.arg(arg=name), None, kind, index)

    # -------------------------------------------------------------- checking
    def check_source(
        self, source: str, path: str, settings: Settings, rule_set: RuleSet, real_path: str
    ) -> list[Finding]:
        """As :func:`engine.check_source`, with this index attached to the Context."""
        source = normalize_newlines(source)
        if "skip-file" in source and SKIP_FILE_RE.search(source):
            return []
        tree = parse_source(source, path)
        if isinstance(tree, Finding):
            return select_findings([tree], source, path, settings)
        module, is_package = module_name(Path(real_path))

        def setup(ctx: Context) -> None:
            ctx.project = self
            ctx.module_name, ctx.is_package = module, is_package

        findings = run_rules(tree, source, path, settings, rule_set, setup)
        return select_findings(findings, source, path, settings)
