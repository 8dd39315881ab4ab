"""Finding the files to check: directories are walked (``.gitignore``, ``exclude`` and
``extend-exclude`` respected); files named explicitly are always checked unless
``--force-exclude`` is given. Symlink loops and unreadable directories are reported,
never fatal. A FIFO, socket or device file is reported and never read (reading it could
block or never end)."""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from netra_ws_lint.config import ConfigCache, ConfigError, Settings, is_repository_root
from netra_ws_lint.engine.fsutil import (
    SMALL_LIMIT,
    clear_real_paths,
    read_regular_file,
    real_directory,
)

if TYPE_CHECKING:
    import pathspec

PYTHON_SUFFIXES = (".py", ".pyi")
# files in a walked directory that decide what is checked, and how
WATCHED_NAMES = frozenset({".gitignore", "pyproject.toml", "setup.cfg"})


@dataclass
class Walk:
    """What one walk of a directory looked at, for a later run to tell whether the same
    walk would find the same files with the same settings without walking again (see
    :meth:`.cache.Cache.snapshot`): every directory walked with its ``mtime_ns`` (a file
    added, removed or renamed in it changes it), every ``.gitignore`` consulted and
    every configuration file present in a walked directory with its identity (size,
    ``mtime_ns``; None: absent), and the Python files found (absolute paths)."""

    key: str
    started: int  # time.time_ns() before the walk: later mtimes are not trusted
    dirs: dict[str, int] = field(default_factory=dict)
    names: dict[str, list[str]] = field(default_factory=dict)  # dir -> its entries
    watch: dict[str, list[int] | None] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


def walk_key(
    overrides: dict[str, object] | None,
    config_file: Path | None,
    respect_gitignore: bool,
    top: Path,
    settings: Settings,
) -> str:
    """What, besides the files, decides the result of a walk of ``top`` (whose settings
    are ``settings``) and the settings it gives: the working directory too when there
    is no configuration file (the settings' root is the working directory) or no git
    repository (the ``.gitignore`` files apply up to the working directory)."""
    items = sorted((str(k), repr(v)) for k, v in (overrides or {}).items())
    cwd = ""
    if settings.source is None or _git_root(os.path.abspath(top)) is None:
        cwd = os.getcwd()
    return repr((items, str(config_file), respect_gitignore, cwd))


def identity(path: str) -> list[int] | None:
    """``[size, mtime_ns]`` of the file at ``path`` (links followed), None when absent."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


# the last walk of each (absolute top directory, walk_key): what a run checking a whole
# project records so that the next run can skip the walk
WALKS: dict[tuple[str, str], Walk] = {}


@dataclass(frozen=True)
class Target:
    path: Path
    display: str  # how the path is shown in output
    settings: Settings


@dataclass(frozen=True)
class Problem:
    display: str
    message: str


class GitIgnores:
    """``.gitignore`` files read during one run."""

    def __init__(self, walk: Walk | None = None) -> None:
        self.walk = walk
        self._specs: dict[Path, pathspec.GitIgnoreSpec | None] = {}
        self.problems: list[Problem] = []  # .gitignore files that could not be read
        self._roots: dict[Path, Path | None] = {}
        # directory -> the .gitignore specs that apply in it, nearest first, each with
        # the directory it is in
        self._chains: dict[str, tuple[tuple[str, pathspec.GitIgnoreSpec], ...]] = {}
        self._cwd = Path.cwd()

    def _spec(self, directory: Path) -> pathspec.GitIgnoreSpec | None:
        if directory not in self._specs:
            path = directory / ".gitignore"
            spec = None
            if self.walk is not None:
                self.walk.watch[str(path)] = identity(str(path))
            if os.path.lexists(path):
                from netra_ws_lint.engine.globs import glob_spec

                try:  # a regular file only: a FIFO or /dev/zero here must not hang the run
                    data = read_regular_file(path, SMALL_LIMIT)
                    spec = glob_spec(data.decode("utf-8", "replace").splitlines())
                except OSError as exc:
                    self.problems.append(
                        Problem(_display(path), f"{exc.strerror or exc}; its patterns are not used")
                    )
            self._specs[directory] = spec
        return self._specs[directory]

    def _root(self, directory: Path) -> Path | None:
        walked = []  # iterative: a tree 1,000 levels deep must not overflow the stack
        while directory not in self._roots:
            walked.append(directory)
            if is_repository_root(directory):
                found: Path | None = directory
                break
            if directory.parent == directory:
                found = None
                break
            directory = directory.parent
        else:
            found = self._roots[directory]
        for d in walked:
            self._roots[d] = found
        return found

    def ignored(self, path: Path, is_dir: bool) -> bool:
        """``path`` is ignored by a ``.gitignore`` in one of its directories, up to the
        repository root (outside a repository: up to the working directory)."""
        absolute = str(path.absolute())
        directory = os.path.dirname(absolute)
        chain = self._chains.get(directory)
        if chain is None:
            chain = self._chains[directory] = self._chain(Path(directory))
        suffix = "/" if is_dir else ""
        for top, spec in chain:
            rel = absolute[len(top) :].lstrip(os.sep)
            if os.sep != "/":
                rel = rel.replace(os.sep, "/")
            if spec.match_file(rel + suffix):
                return True
        return False

    def _chain(self, directory: Path) -> tuple[tuple[str, pathspec.GitIgnoreSpec], ...]:
        """The specs of the ``.gitignore`` files from ``directory`` up to its root."""
        root = self._root(directory)
        if root is None:
            cwd = self._cwd
            root = cwd if cwd == directory or cwd in directory.parents else directory
        out = []
        while True:
            spec = self._spec(directory)
            if spec is not None:
                out.append((str(directory), spec))
            if directory == root or directory.parent == directory:
                return tuple(out)
            directory = directory.parent


def is_excluded(
    path: Path,
    settings: Settings,
    is_dir: bool,
    top: Path | None = None,
    is_link: bool | None = None,
    rel: str | None = None,
) -> bool:
    """``path`` matches ``exclude``/``extend-exclude`` (relative to the config root).

    Below a directory named on the command line that is itself excluded (the user
    asked for it), paths are matched relative to that directory instead. ``is_link``:
    whether ``path`` is a symbolic link, and ``rel`` its path relative to the config
    root (``settings.relpath``), when the caller knows.
    """
    suffix = "/" if is_dir else ""
    spec = settings.exclude_spec()
    if spec.match_file(path.name + suffix):
        return True
    if top is not None:
        return spec.match_file(path.relative_to(top).as_posix() + suffix)
    return spec.match_file((rel if rel is not None else settings.relpath(path, is_link)) + suffix)


def file_problem(path: Path) -> str | None:
    """Why the file at ``path`` cannot be checked (follows symbolic links), or None."""
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        if os.path.islink(path):
            return "broken symbolic link"
        return f"cannot read: {exc.strerror or exc}"
    if stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode):
        return None
    kind = (
        "a FIFO"
        if stat.S_ISFIFO(st.st_mode)
        else "a socket"
        if stat.S_ISSOCK(st.st_mode)
        else "a device"
    )
    return f"not a regular file ({kind}); not read"


def _display(path: Path, cwd: str | None = None) -> str:
    """How ``path`` is shown: relative to the working directory (``cwd``, when the
    caller has it) when it lies below it, else as given."""
    if cwd is not None and os.sep == "/":
        absolute = os.path.abspath(path)
        top = cwd if cwd.endswith("/") else cwd + "/"
        if absolute.startswith(top):
            rel = absolute[len(top) :]
            return rel if not rel.startswith("..") else path.as_posix()
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path.as_posix()
    return Path(rel).as_posix() if not rel.startswith("..") else path.as_posix()


def rule_codes() -> list[str]:
    """The codes of every rule (imported only when a configuration selects some)."""
    from netra_ws_lint.rules.base import all_rules

    return list(all_rules())


def discover(
    paths: list[str],
    overrides: dict[str, object] | None = None,
    config_file: Path | None = None,
    force_exclude: bool = False,
    respect_gitignore: bool = True,
    skip_broken: bool = False,
) -> tuple[list[Target], list[Problem]]:
    """The files to check under ``paths``, sorted and unique, and the problems met.

    Raises :class:`ConfigError` for a broken configuration; with ``skip_broken``, the
    folders under a broken configuration are left out instead.
    """
    targets: dict[str, Target] = {}
    problems: list[Problem] = []
    clear_real_paths()  # a run looks at the directories afresh

    cache = ConfigCache(rule_codes)
    memo: dict[Path, Settings | None] = {}

    def settings(p: Path) -> Settings | None:
        # apply_options on every file would be slow: one Settings per directory
        directory = p if p.is_dir() else p.parent
        if directory not in memo:
            try:
                memo[directory] = cache.settings_for(directory, overrides, config_file)
            except ConfigError:
                if not skip_broken:
                    raise
                memo[directory] = None
        return memo[directory]

    # one directory walked: what it looked at is recorded (see Walk)
    walk: Walk | None = None
    if len(paths) == 1 and not force_exclude and os.path.isdir(paths[0]):
        top_settings = settings(Path(paths[0]))
        if top_settings is not None:
            key = walk_key(overrides, config_file, respect_gitignore, Path(paths[0]), top_settings)
            walk = Walk(key, time.time_ns())
    gitignores = GitIgnores(walk) if respect_gitignore else None

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            top_settings = settings(path)
            if top_settings is None:
                continue
            if force_exclude and is_excluded(path.absolute(), top_settings, True):
                continue
            for target in _walk(path, settings, problems, gitignores, walk):
                targets.setdefault(target.display, target)
        elif path.exists() or path.is_symlink():
            problem = file_problem(path)
            if problem is not None:
                problems.append(Problem(raw, problem))
                continue
            s = settings(path)
            if s is None:
                continue
            if force_exclude and (
                is_excluded(path.absolute(), s, False)
                or (gitignores is not None and gitignores.ignored(path, False))
            ):
                continue
            targets.setdefault(_display(path), Target(path, _display(path), s))
        else:
            problems.append(Problem(raw, "no such file or directory"))
    if gitignores is not None:
        problems.extend(gitignores.problems)
    if walk is not None:
        top = os.path.abspath(paths[0])
        WALKS.pop((top, walk.key), None)
        if not problems:  # (a walk that met a problem is not trusted to be repeatable)
            walk.files = [os.path.abspath(t.path) for t in targets.values()]
            WALKS[(top, walk.key)] = walk
    return [targets[k] for k in sorted(targets)], problems


def _walk(
    top: Path,
    settings_of: Callable[[Path], Settings | None],
    problems: list[Problem],
    gitignores: GitIgnores | None,
    walk: Walk | None = None,
) -> Iterator[Target]:
    seen: set[tuple[int, int]] = set()
    top = top.absolute()
    top_settings = settings_of(top)
    if top_settings is None:
        return
    explicit = is_excluded(top, top_settings, True)
    stack = [top]
    cwd = os.getcwd()
    while stack:
        directory = stack.pop()
        try:
            st = directory.stat()
        except OSError as exc:
            problems.append(Problem(_display(directory), f"cannot read: {exc.strerror}"))
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:  # a symlink loop
            continue
        seen.add(key)
        if walk is not None:
            walk.dirs[str(directory)] = st.st_mtime_ns
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            problems.append(Problem(_display(directory), f"cannot read: {exc.strerror}"))
            continue
        if walk is not None:
            walk.names[str(directory)] = [e.name for e in entries]
        found = settings_of(directory)
        if found is None:  # under a broken configuration (skip_broken)
            continue
        s: Settings = found
        subdirs = []
        # what every file here that is not a link shares: its path relative to the config
        # root and its display start with the directory's (None: worked out per file)
        rel_dir = _relative_directory(directory, s) if _PREFIXES else None
        shown_dir = _shown_directory(directory, cwd) if _PREFIXES else None
        for entry in entries:
            if walk is not None and entry.name in WATCHED_NAMES:
                walk.watch[entry.path] = identity(entry.path)
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if not is_dir and not entry.name.endswith(PYTHON_SUFFIXES):
                continue
            path = Path(entry.path)
            try:
                is_link: bool | None = entry.is_symlink()
                regular = entry.is_file(follow_symlinks=False)  # no problem to look for
            except OSError:
                is_link, regular = None, False
            rel = None
            if rel_dir is not None and is_link is False:
                rel = rel_dir + entry.name
            if is_dir:
                if is_excluded(path, s, True, top if explicit else None, is_link, rel) or (
                    gitignores is not None and gitignores.ignored(path, True)
                ):
                    continue
                subdirs.append(path)
                continue
            problem = None if regular else file_problem(path)
            if problem is not None:
                problems.append(Problem(_display(path, cwd), problem))
                continue
            if is_excluded(path, s, False, top if explicit else None, is_link, rel) or (
                gitignores is not None and gitignores.ignored(path, False)
            ):
                continue
            if shown_dir is not None:
                shown = shown_dir + entry.name
                if shown.startswith(".."):
                    shown = path.as_posix()
            else:
                shown = _display(path, cwd)
            yield Target(path, shown, s)
        stack.extend(reversed(subdirs))


_PREFIXES = True  # (off in a test: every path worked out on its own)


def snapshot_targets(files: Iterable[str], settings: Settings) -> list[Target]:
    """The targets of a walk that found ``files`` (absolute paths, each below a walked
    directory given as the walk gives it) with ``settings``: each shown as
    :func:`_walk` shows it from the working directory, in :func:`discover`'s order."""
    cwd = os.getcwd()
    shown_dirs: dict[str, str | None] = {}
    found: dict[str, Target] = {}
    for file in files:
        directory, name = os.path.split(file)
        path = Path(file)
        shown_dir = shown_dirs.get(directory, "")
        if shown_dir == "" and directory not in shown_dirs:
            shown_dir = shown_dirs[directory] = (
                _shown_directory(Path(directory), cwd) if _PREFIXES else None
            )
        if shown_dir is not None:
            shown = shown_dir + name
            if shown.startswith(".."):
                shown = path.as_posix()
        else:
            shown = _display(path, cwd)
        found.setdefault(shown, Target(path, shown, settings))
    return [found[k] for k in sorted(found)]


def _relative_directory(directory: Path, settings: Settings) -> str | None:
    """``settings.relpath`` of ``directory``'s files, less their names (``""`` at the
    config root, ``"a/b/"`` below it), or None when it lies outside the root."""
    real, root = real_directory(directory), real_directory(settings.root)
    if real == root:
        return ""
    top = root if root.endswith(os.sep) else root + os.sep
    if not real.startswith(top):
        return None
    return real[len(top) :].replace(os.sep, "/") + "/"


def _shown_directory(directory: Path, cwd: str) -> str | None:
    """How the files of ``directory`` are shown, less their names, when it lies below
    the working directory (``""`` in it); None otherwise (shown as given)."""
    text = str(directory)
    if os.sep != "/" or os.path.abspath(text) != text:
        return None
    if text == cwd:
        return ""
    top = cwd if cwd.endswith("/") else cwd + "/"
    return text[len(top) :] + "/" if text.startswith(top) else None


def project_root(path: Path, settings: Settings) -> Path | None:
    """The project ``path`` belongs to: the directory of the configuration file that
    configures it, else the git repository root, else None (the caller falls back to
    the common directory of what it checks)."""
    if settings.source is not None:
        return Path(settings.source).absolute().parent
    directory = path.absolute()
    return _git_root(str(directory if directory.is_dir() else directory.parent))


@lru_cache(maxsize=1024)
def _git_root(directory: str) -> Path | None:
    for d in (Path(directory), *Path(directory).parents):
        if (d / ".git").exists():
            return d
    return None


def project_files(
    root: Path,
    overrides: dict[str, object] | None = None,
    config_file: Path | None = None,
    respect_gitignore: bool = True,
) -> list[Target]:
    """Every Python file of the project at ``root`` (what ``check ROOT`` would check;
    folders under a broken configuration are left out: they are reported when checked)."""
    targets, _ = discover(
        [str(root)], overrides, config_file, False, respect_gitignore, skip_broken=True
    )
    return [t for t in targets if t.path.name.endswith(PYTHON_SUFFIXES)]


__all__ = ["ConfigError", "Problem", "Target", "discover", "project_files", "project_root"]
