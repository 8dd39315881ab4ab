"""Configuration: one loader for every front end.

Settings come from ``[tool.netra-ws-lint]`` in ``pyproject.toml`` or ``[netra-ws-lint]``
in ``setup.cfg``, found by walking up from the checked file; command-line (or flake8)
options are applied on top. Every key is validated; a bad key, type, code or glob is
a :class:`ConfigError` naming the file and the key.
"""

from __future__ import annotations

import fnmatch
import keyword
import os
import re
import sys
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from netra_ws_lint.engine.fsutil import SMALL_LIMIT, read_text_file, real_directory, real_path

if TYPE_CHECKING:
    import pathspec

SECTION = "netra-ws-lint"


class ConfigError(Exception):
    """A configuration problem; the message names the file and the key."""


# Word lists: key -> default. All are lists of names or glob patterns (fnmatch).
WORD_LISTS: dict[str, tuple[str, ...]] = {
    "context-factories": ("create_websocket_manager",),
    "context-types": ("UserExecutionContext",),
    "context-names": (
        "user_context",
        "context",
        "ctx",
        "execution_context",
        "user_execution_context",
    ),
    "identity-names": (
        "user_id",
        "session_id",
        "thread_id",
        "run_id",
        "connection_id",
        "websocket",
    ),
    "user-scoped-types": (
        "*WebSocketManager",
        "*WebSocketBridge",
        "*WebSocketNotifier",
        "*Emitter",
    ),
    "send-methods": ("send_*", "emit_*", "broadcast*", "notify*", "push_*"),
    "allowed-singletons": (),
    # literal user ids of deliberate system contexts (a scheduler, a health check)
    "system-user-ids": (),
    "test-paths": (
        "test_*.py",
        "*_test.py",
        "tests/",
        "test/",
        "conftest.py",
    ),
    # decorators (resolved names or patterns) that register a function as serving one
    # request, beside the frameworks known by analysis/frameworks.py
    "request-handler-decorators": (),
}
DEFAULT_ACCESSORS: dict[str, str] = {"get_websocket_manager": "create_websocket_manager"}

SELECTION_KEYS = ("select", "ignore", "extend-select", "extend-ignore")
PATH_KEYS = ("exclude", "extend-exclude")
DEFAULT_EXCLUDE = (
    ".git",
    ".hg",
    ".svn",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    "__pycache__",
    "build",
    "dist",
    "node_modules",
    "*.egg-info",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
)
KNOWN_KEYS = frozenset(
    [
        *SELECTION_KEYS,
        *PATH_KEYS,
        "per-file-ignores",
        "audit",
        "async-project",
        "deprecated-accessors",
        "extend-deprecated-accessors",
        "patterns",
        "src",
        "sentinel-identity",
        *WORD_LISTS,
        *(f"extend-{k}" for k in WORD_LISTS),
    ]
)


@dataclass(frozen=True)
class Words:
    """The configurable vocabulary the rules use (see the spec's "Words used")."""

    deprecated_accessors: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ACCESSORS))
    context_factories: tuple[str, ...] = WORD_LISTS["context-factories"]
    context_types: tuple[str, ...] = WORD_LISTS["context-types"]
    context_names: tuple[str, ...] = WORD_LISTS["context-names"]
    identity_names: tuple[str, ...] = WORD_LISTS["identity-names"]
    user_scoped_types: tuple[str, ...] = WORD_LISTS["user-scoped-types"]
    send_methods: tuple[str, ...] = WORD_LISTS["send-methods"]
    allowed_singletons: tuple[str, ...] = WORD_LISTS["allowed-singletons"]
    system_user_ids: tuple[str, ...] = WORD_LISTS["system-user-ids"]
    test_paths: tuple[str, ...] = WORD_LISTS["test-paths"]
    request_handler_decorators: tuple[str, ...] = WORD_LISTS["request-handler-decorators"]

    def __hash__(self) -> int:
        return hash(
            tuple(sorted(self.deprecated_accessors.items()))
            + tuple(getattr(self, k.replace("-", "_")) for k in WORD_LISTS)
        )


@dataclass(frozen=True)
class PatternRule:
    """A custom rule from ``[[tool.netra-ws-lint.patterns]]`` (run by :mod:`.patterns`)."""

    code: str  # NWS5xx
    pattern: str  # an ast-grep pattern, with $METAVARS
    message: str  # may use the pattern's $METAVARS
    example: str  # code the rule must match (its self-test)
    inside: str | None = None
    not_inside: str | None = None
    fix: str | None = None  # replacement template, may use $METAVARS
    fix_applicability: str = "safe"


PATTERN_CODE_RE = re.compile(r"^NWS5\d\d$")
PATTERN_KEYS = frozenset(
    {"code", "pattern", "message", "example", "inside", "not-inside", "fix", "fix-applicability"}
)


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    """True when ``name`` matches one of ``patterns`` (exact or fnmatch glob).

    A dotted pattern matches a dotted name on a dot boundary from the right
    (``websocket.get_manager`` matches ``pkg.websocket.get_manager``); a plain
    pattern matches the last component.
    """
    last = name.rpartition(".")[2]
    for pattern in patterns:
        if "." in pattern:
            if (
                name == pattern
                or name.endswith("." + pattern)
                or fnmatch.fnmatchcase(name, pattern)
            ):
                return True
        elif last == pattern or (
            any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(last, pattern)
        ):
            return True
    return False


@dataclass(frozen=True)
class Settings:
    """Everything that decides which findings a file gets."""

    select: tuple[str, ...] = ("NWS",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    audit: bool = False
    async_project: bool = False  # served over ASGI (else: known from an ``asgi.py``)
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    words: Words = field(default_factory=Words)
    patterns: tuple[PatternRule, ...] = ()  # custom NWS5xx rules
    # source roots, relative to the project root: where module names start (like ruff's)
    src: tuple[str, ...] = (".", "src")
    root: Path = field(default_factory=Path.cwd)  # directory globs are relative to
    source: str | None = None  # the config file these came from
    # "module:function" returning the acting user id (the pytest plugin's identity getter)
    sentinel_identity: str | None = None

    # -- rule selection (ruff semantics: the most specific selector wins) --
    def is_enabled(self, code: str) -> bool:
        sel = _longest_prefix(code, self.select + self.extend_select)
        ign = _longest_prefix(code, self.ignore)
        return sel > 0 and sel > ign

    def audit_enabled(self, code: str) -> bool:
        """Audit findings need ``--audit`` or a selector more specific than ``NWS``."""
        if self.audit:
            return True
        return _longest_prefix(code, self.select + self.extend_select) > len("NWS")

    def ignored_for(self, relpath: str) -> frozenset[str]:
        """Codes (prefixes) ignored for this file by ``per-file-ignores``."""
        out: set[str] = set()
        for pattern, codes in self.per_file_ignores:
            if _glob_spec(pattern).match_file(relpath):
                out.update(codes)
        return frozenset(out)

    def exclude_spec(self) -> pathspec.GitIgnoreSpec:
        return _exclude_spec(self.exclude + self.extend_exclude)

    def is_test_path(self, relpath: str) -> bool:
        return _exclude_spec(self.words.test_paths).match_file(relpath)

    def relpath(self, path: str | os.PathLike[str], is_link: bool | None = None) -> str:
        """``path`` relative to :attr:`root`, both resolved (``/`` separators); ``path``
        itself when it lies outside. ``is_link``: whether ``path`` is a symbolic link,
        when known (see :func:`.fsutil.real_path`)."""
        real, root = real_path(path, is_link), real_directory(self.root)
        if real == root:
            return "."
        top = root if root.endswith(os.sep) else root + os.sep
        if real.startswith(top):
            rel = real[len(top) :]
            return rel if os.sep == "/" else rel.replace(os.sep, "/")
        return Path(path).as_posix()


def _longest_prefix(code: str, selectors: Iterable[str]) -> int:
    return max((len(s) for s in selectors if code.startswith(s)), default=0)


@lru_cache(maxsize=256)
def _glob_spec(pattern: str) -> pathspec.GitIgnoreSpec:
    from netra_ws_lint.engine.globs import glob_spec  # (pathspec: imported when first used)

    return glob_spec([pattern])


@lru_cache(maxsize=64)
def _exclude_spec(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    from netra_ws_lint.engine.globs import glob_spec

    return glob_spec(patterns)


# ---------------------------------------------------------------- parsing values


CODE_FORM_RE = re.compile(r"^NWS\d{0,3}$")


def code_prefixes(codes: Iterable[str]) -> frozenset[str]:
    """Every prefix of ``codes`` a selector may use (``NWS``, ``NWS1``, ``NWS10``, ``NWS101``)."""
    return frozenset(code[:i] for code in codes for i in range(3, len(code) + 1))


# the rules' codes, or a function giving them (called only when a selector is checked:
# a run whose configuration selects nothing never imports the rules for it)
KnownCodes = Union[Iterable[str], Callable[[], Iterable[str]]]


class _Prefixes:
    """:func:`code_prefixes` of :data:`KnownCodes`, made when first asked."""

    def __init__(self, codes: KnownCodes) -> None:
        self._codes = codes
        self._prefixes: frozenset[str] | None = None

    def __contains__(self, code: object) -> bool:
        if self._prefixes is None:
            codes = self._codes() if callable(self._codes) else self._codes
            self._prefixes = code_prefixes(codes)
        return code in self._prefixes


def _where(source: str | None, key: str) -> str:
    return f"{source}: key '{key}'" if source else f"option '{key}'"


def _as_list(value: Any, key: str, source: str | None) -> list[str]:
    if isinstance(value, str):
        items = [v.strip() for v in re.split(r"[,\n]", value)]
        return [v for v in items if v]
    if isinstance(value, (list, tuple)):
        bad = next((v for v in value if not isinstance(v, str)), None)
        if bad is None:
            return [v.strip() for v in value if v.strip()]
        raise ConfigError(
            f"{_where(source, key)}: expected a list of strings, got a list holding "
            f"{type(bad).__name__} {bad!r}"
        )
    raise ConfigError(
        f"{_where(source, key)}: expected a list of strings, got {type(value).__name__}"
    )


def _codes(
    value: Any, key: str, source: str | None, known: Container[str] | None
) -> tuple[str, ...]:
    """Rule codes or prefixes; each must be a prefix of a ``known`` code (the caller
    knows the rules: this module imports nothing of them) or, without ``known``, of
    the form of one (``NWS`` and up to three digits)."""
    codes = [c.upper() for c in _as_list(value, key, source)]
    for c in codes:
        # NWS5xx: the custom pattern rules (configured per project)
        ok = c in known if known is not None else bool(CODE_FORM_RE.match(c))
        if not ok and not re.match(r"^NWS5\d{0,2}$", c):
            raise ConfigError(f"{_where(source, key)}: unknown rule code or prefix {c!r}")
    return tuple(codes)


def _globs(value: Any, key: str, source: str | None) -> tuple[str, ...]:
    globs = tuple(_as_list(value, key, source))
    for g in globs:
        try:
            _glob_spec(g)
        except Exception as exc:  # pathspec raises assorted errors on bad patterns
            raise ConfigError(f"{_where(source, key)}: invalid glob {g!r}: {exc}") from None
    return globs


def _bool(value: Any, key: str, source: str | None) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{_where(source, key)}: expected true or false, got {value!r}")


IDENT_RE = re.compile(r"^[A-Za-z_*?\[\]][A-Za-z0-9_.*?\[\]]*$")


def _import_path(value: Any, key: str, source: str | None) -> str:
    """A ``"package.module:function"`` reference."""
    module, sep, attr = value.partition(":") if isinstance(value, str) else ("", "", "")
    parts = [*module.split("."), *attr.split(".")]
    if not sep or not all(p.isidentifier() for p in parts):
        raise ConfigError(
            f"{_where(source, key)}: expected 'package.module:function', got {value!r}"
        )
    return str(value)


def _names(value: Any, key: str, source: str | None) -> tuple[str, ...]:
    if key.endswith("test-paths"):  # gitignore-style path globs, not names
        return _globs(value, key, source)
    if key.endswith("system-user-ids"):  # literal ids, any text
        return tuple(_as_list(value, key, source))
    names = tuple(_as_list(value, key, source))
    for n in names:
        if not IDENT_RE.match(n):
            raise ConfigError(f"{_where(source, key)}: {n!r} is not a name or name pattern")
    return names


def _accessors(value: Any, key: str, source: str | None) -> dict[str, str]:
    """``{old = "new"}`` (TOML table) or a list of ``"old -> new"`` strings."""
    pairs: dict[str, str] = {}
    if isinstance(value, Mapping):
        items = list(value.items())
    else:
        items = []
        for entry in _as_list(value, key, source):
            old, sep, new = entry.partition("->")
            if not sep:
                old, sep, new = entry.partition(":")
            items.append((old.strip(), new.strip()))
    for old, new in items:
        if isinstance(new, str):
            # ``await create_x``: the replacement is a coroutine function (the fix awaits it)
            new = " ".join(new.split())
            name = new[len("await ") :] if new.startswith("await ") else new
        if (
            not isinstance(new, str)
            or not IDENT_RE.match(str(old))
            or (new and not IDENT_RE.match(name))
            or any(c in name for c in "*?[]")
            or any(keyword.iskeyword(part) for part in name.split("."))
        ):
            raise ConfigError(
                f"{_where(source, key)}: entries must map a name to its replacement "
                f"('get_x -> create_x', or 'get_x -> await create_x' for a coroutine "
                f"function), got {old!r}: {new!r}"
            )
        pairs[str(old)] = new
    return pairs


def _patterns(value: Any, key: str, source: str | None) -> tuple[PatternRule, ...]:
    """``[[tool.netra-ws-lint.patterns]]`` tables, each checked against its own
    ``example`` with ast-grep (a pattern that does not parse or matches nothing there is
    an error naming the table's key)."""
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ConfigError(
            f"{_where(source, key)}: expected [[tool.{SECTION}.patterns]] tables "
            "(pyproject.toml only)"
        )
    out: list[PatternRule] = []
    seen: set[str] = set()
    for i, table in enumerate(value):
        where = f"{key}[{i}]"
        unknown = sorted(set(table) - PATTERN_KEYS)
        if unknown:
            raise ConfigError(
                f"{_where(source, f'{where}.{unknown[0]}')}: unknown key (known keys: "
                f"{', '.join(sorted(PATTERN_KEYS))})"
            )
        for required in ("code", "pattern", "message", "example"):
            if required not in table:
                raise ConfigError(f"{_where(source, f'{where}.{required}')}: missing")
        for name, v in table.items():
            if not isinstance(v, str) or (not v.strip() and name != "fix"):
                raise ConfigError(
                    f"{_where(source, f'{where}.{name}')}: expected a non-empty string"
                )
        code = table["code"].strip().upper()
        if not PATTERN_CODE_RE.match(code):
            raise ConfigError(
                f"{_where(source, f'{where}.code')}: custom rules use codes NWS500-NWS599, "
                f"got {table['code']!r}"
            )
        if code in seen:
            raise ConfigError(f"{_where(source, f'{where}.code')}: {code} is used twice")
        seen.add(code)
        applicability = table.get("fix-applicability", "safe")
        if applicability not in ("safe", "unsafe"):
            raise ConfigError(
                f"{_where(source, f'{where}.fix-applicability')}: expected 'safe' or 'unsafe'"
            )
        rule = PatternRule(
            code,
            table["pattern"],
            table["message"],
            table["example"],
            table.get("inside"),
            table.get("not-inside"),
            table.get("fix"),
            applicability,
        )
        from netra_ws_lint.analysis.astgrep import self_test  # ast-grep is loaded only for these

        problem = self_test(rule)
        if problem is not None:
            field_name, message = problem
            raise ConfigError(f"{_where(source, f'{where}.{field_name}')}: {message}")
        out.append(rule)
    return tuple(out)


def _per_file_ignores(
    value: Any, key: str, source: str | None, known: Container[str] | None
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """TOML table ``{"glob" = ["NWS101"]}`` or flake8 style ``glob:CODE,CODE`` lines."""
    out: list[tuple[str, tuple[str, ...]]] = []
    if isinstance(value, Mapping):
        for glob, codes in value.items():
            out.append((_globs([glob], key, source)[0], _codes(codes, key, source, known)))
        return tuple(out)
    if not isinstance(value, str):
        value = "\n".join(_as_list(value, key, source))
    # flake8 format: "path/*.py:NWS101,NWS102 other.py:NWS2"
    for token in re.split(r"\s+", value.strip()):
        if not token:
            continue
        glob, sep, codes = token.rpartition(":")
        if not sep or not glob:
            # "glob: CODE, CODE" split on whitespace: attach codes to the previous glob
            if out and re.match(r"^[A-Z0-9,]+$", token):
                g, prev = out[-1]
                out[-1] = (g, prev + _codes(token, key, source, known))
                continue
            raise ConfigError(
                f"{_where(source, key)}: expected 'glob:CODE,...' entries, got {token!r}"
            )
        out.append(
            (_globs([glob], key, source)[0], _codes(codes, key, source, known) if codes else ())
        )
    return tuple(out)


def _source_roots(value: Any, key: str, source: str | None) -> tuple[str, ...]:
    roots = tuple(_as_list(value, key, source))
    for r in roots:
        if not r or Path(r).is_absolute() or ".." in Path(r).parts:
            raise ConfigError(
                f"{_where(source, key)}: {r!r} must be a directory relative to the project root"
            )
    return roots


def apply_options(
    settings: Settings,
    options: Mapping[str, Any],
    source: str | None,
    known_codes: KnownCodes | _Prefixes | None = None,
) -> Settings:
    """Return ``settings`` updated by ``options`` (config keys, kebab-case).
    ``known_codes``: the codes of the rules, which selectors must be prefixes of
    (without them, only the form of a code is checked)."""
    known: _Prefixes | None = None
    if known_codes is not None:
        known = known_codes if isinstance(known_codes, _Prefixes) else _Prefixes(known_codes)
    unknown = sorted(set(options) - KNOWN_KEYS)
    if unknown:
        keys = ", ".join(sorted(KNOWN_KEYS))
        raise ConfigError(f"{_where(source, unknown[0])}: unknown key (known keys: {keys})")
    s = settings
    words = s.words
    for key, value in options.items():
        if key == "select":
            s = replace(s, select=_codes(value, key, source, known))
        elif key in ("extend-select",):
            s = replace(s, extend_select=s.extend_select + _codes(value, key, source, known))
        elif key in ("ignore", "extend-ignore"):
            s = replace(s, ignore=s.ignore + _codes(value, key, source, known))
        elif key == "audit":
            s = replace(s, audit=_bool(value, key, source))
        elif key == "async-project":
            s = replace(s, async_project=_bool(value, key, source))
        elif key == "exclude":
            s = replace(s, exclude=_globs(value, key, source))
        elif key == "extend-exclude":
            s = replace(s, extend_exclude=s.extend_exclude + _globs(value, key, source))
        elif key == "per-file-ignores":
            s = replace(
                s,
                per_file_ignores=s.per_file_ignores + _per_file_ignores(value, key, source, known),
            )
        elif key == "patterns":
            s = replace(s, patterns=_patterns(value, key, source))
        elif key == "src":
            s = replace(s, src=_source_roots(value, key, source))
        elif key == "sentinel-identity":
            s = replace(s, sentinel_identity=_import_path(value, key, source))
        elif key == "deprecated-accessors":
            words = replace(words, deprecated_accessors=_accessors(value, key, source))
        elif key == "extend-deprecated-accessors":
            words = replace(
                words,
                deprecated_accessors={
                    **words.deprecated_accessors,
                    **_accessors(value, key, source),
                },
            )
        else:
            base = key[len("extend-") :] if key.startswith("extend-") else key
            attr = base.replace("-", "_")
            new = _names(value, key, source)
            if key.startswith("extend-"):
                new = tuple(dict.fromkeys(getattr(words, attr) + new))
            words = replace(words, **{attr: new})  # type: ignore[arg-type]
    return replace(s, words=words)


# ---------------------------------------------------------------- finding files


def read_config_file(path: Path) -> dict[str, Any] | None:
    """The tool's table in ``pyproject.toml`` / ``setup.cfg``, or None if it has none.

    A ``.toml`` file (``--config ci.toml``) is TOML; any other file is INI."""
    try:
        # a regular file of sane size only (a FIFO or /dev/zero must not hang the run)
        text = read_text_file(path, SMALL_LIMIT)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if SECTION not in text:  # not ours: never parsed (nor the parsers imported)
        return None
    return _parse_config(path, text)


def _parse_config(path: Path, text: str) -> dict[str, Any] | None:
    import configparser

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.9/3.10
        import tomli as tomllib

    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
            tool = data.get("tool", {})
            if not isinstance(tool, dict):
                raise ConfigError(f"{path}: key 'tool' must be a table, got {type(tool).__name__}")
            table = tool.get(SECTION)
            if table is None:
                return None
            if not isinstance(table, dict):
                raise ConfigError(f"{path}: [tool.{SECTION}] must be a table")
            return table
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(text, str(path))
        if not parser.has_section(SECTION):
            return None
        return dict(parser.items(SECTION))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except configparser.Error as exc:
        msg = str(exc).splitlines()[0]
        raise ConfigError(f"{path}: invalid INI: {msg}") from None
    except RecursionError:  # tomllib recurses on nested arrays and tables
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None


def is_repository_root(directory: Path) -> bool:
    """``directory`` holds ``.git`` (a directory, or a file in a worktree or submodule)."""
    return os.path.lexists(directory / ".git")


class ConfigCache:
    """Config files found and parsed during one run (a new run, a new cache).
    ``known_codes``: the rules' codes, to check selectors against (see apply_options)."""

    def __init__(self, known_codes: KnownCodes | None = None) -> None:
        self.known_codes = _Prefixes(known_codes) if known_codes is not None else None
        self._found: dict[Path, Path | None] = {}
        self._loaded: dict[Path, Settings] = {}

    def find(self, start: Path) -> Path | None:
        """Nearest ``pyproject.toml``/``setup.cfg`` holding our table, walking up to
        the repository root (the directory holding ``.git``) at most."""
        directory = start.absolute() if start.is_dir() else start.absolute().parent
        walked = []
        found: Path | None = None
        while True:
            if directory in self._found:
                found = self._found[directory]
                break
            walked.append(directory)
            hit = next(
                (
                    directory / name
                    for name in ("pyproject.toml", "setup.cfg")
                    if (directory / name).is_file()
                    and read_config_file(directory / name) is not None
                ),
                None,
            )
            # the repository root is as far as the search goes: a file above it
            # belongs to someone else
            if hit is not None or directory.parent == directory or is_repository_root(directory):
                found = hit
                break
            directory = directory.parent
        for d in walked:
            self._found[d] = found
        return found

    def load(self, path: Path) -> Settings:
        if path not in self._loaded:
            table = read_config_file(path)
            if table is None:  # only a file named with --config can lack it
                where = (
                    f"[tool.{SECTION}] table" if path.suffix == ".toml" else f"[{SECTION}] section"
                )
                raise ConfigError(f"{path}: no {where}")
            self._loaded[path] = apply_options(
                Settings(root=path.parent.absolute(), source=str(path)),
                table,
                str(path),
                self.known_codes,
            )
        return self._loaded[path]

    def settings_for(
        self,
        path: Path,
        overrides: Mapping[str, Any] | None = None,
        config_file: Path | None = None,
    ) -> Settings:
        """The settings that apply to ``path``: its config file, then ``overrides``."""
        cfg = config_file if config_file is not None else self.find(path)
        base = self.load(cfg) if cfg is not None else Settings()
        if overrides:
            base = apply_options(base, overrides, None, self.known_codes)
        return base


def settings_for(
    path: Path,
    overrides: Mapping[str, Any] | None = None,
    config_file: Path | None = None,
    known_codes: KnownCodes | None = None,
) -> Settings:
    """One-off lookup (no cache kept between calls)."""
    return ConfigCache(known_codes).settings_for(path, overrides, config_file)
