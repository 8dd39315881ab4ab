"""The flake8 plugin (entry point ``NWS``): a thin adapter over the engine.

Options come from the same ``[tool.netra-ws-lint]`` / ``[netra-ws-lint]`` tables as
the CLI (found by walking up from each checked file), and flake8's own option system
can override them: ``--nws-select``, ``--nws-ignore``, ``--nws-extend-select``,
``--nws-audit`` and ``--nws-<word-list>`` flags, or the same keys without ``--`` in
``[flake8]`` (``nws-context-names = req_ctx, ctx``). Codes named in flake8's own
``--select`` / ``--extend-select`` (``--extend-select NWS202``) enable the matching
audit rules. flake8 applies ``# noqa`` itself; an exception inside a rule becomes an
NWS901 finding for that file and never aborts flake8.

Each file goes through the same pipeline as the CLI, against the same project model:
the facts of every module of the file's project root (configuration root, else git
root), read from the project's cache (``.netra-ws-lint-cache``) or built once per
process, with the file's own facts taken from the text flake8 gives (stdin, an
editor's buffer). So flake8 reports what ``netra-ws-lint check`` reports, cross-module
findings included. Files that ``exclude`` / ``extend-exclude`` exclude are not checked.
"""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from netra_ws_lint import __version__
from netra_ws_lint.config import WORD_LISTS, ConfigCache, ConfigError, Settings
from netra_ws_lint.engine.discovery import (
    is_excluded,
    project_files,
    project_root,
    rule_codes,
    walk_key,
)
from netra_ws_lint.engine.runner import Run, folder_files, new_run

RULE_CRASHED = "NWS901"  # (engine.pipeline's, not imported before a file is checked)
LIST_OPTIONS = ("select", "ignore", "extend-select", "deprecated-accessors", *WORD_LISTS)


class Plugin:
    name = "netra-ws-lint"
    version = __version__

    overrides: dict[str, Any] = {}
    _configs = ConfigCache(rule_codes)
    # process-wide on purpose: one project model per project root and settings
    _runs: ClassVar[dict[tuple[Path, Settings], Run]] = {}
    # and the run that answers from the cache while the project's snapshot holds
    _cached: ClassVar[dict[tuple[Path, Settings], Run | None]] = {}
    _files: ClassVar[dict[tuple[Path, Settings], set[str]]] = {}

    def __init__(
        self, tree: ast.AST, filename: str = "stdin", lines: list[str] | None = None
    ) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, parser: Any) -> None:
        for key in LIST_OPTIONS:
            parser.add_option(
                f"--nws-{key}",
                default=None,
                parse_from_config=True,
                # flake8 also splits lists on white space, which "old -> new" needs
                comma_separated_list=key != "deprecated-accessors",
                help=f"netra-ws-lint `{key}` (overrides the [tool.netra-ws-lint] table)",
            )
        parser.add_option(
            "--nws-audit",
            action="store_true",
            default=False,
            parse_from_config=True,
            help="netra-ws-lint: also run the audit rules",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        overrides: dict[str, Any] = {}
        for key in LIST_OPTIONS:
            value = getattr(options, f"nws_{key.replace('-', '_')}", None)
            if value:
                overrides[key] = value
        if getattr(options, "nws_audit", False):
            overrides["audit"] = True
        # flake8's own --select / --extend-select naming NWS codes opt into audit rules
        extra = [
            c
            for attr in ("select", "extend_select")
            for c in (getattr(options, attr, None) or [])
            if isinstance(c, str) and c.upper().startswith("NWS") and len(c) > 3
        ]
        if extra:
            overrides["extend-select"] = list(overrides.get("extend-select", [])) + extra
        try:
            cls._configs = ConfigCache(rule_codes)
            cls._runs = {}
            cls._cached = {}
            cls._configs.settings_for(Path.cwd(), overrides)  # validate once, up front
        except ConfigError as exc:
            print(f"netra-ws-lint: error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        cls.overrides = overrides

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        source = "".join(self.lines) if self.lines is not None else _read(self.filename)
        stdin = self.filename in ("-", "stdin")
        path = Path.cwd() / "stdin" if stdin else Path(self.filename).absolute()
        try:
            settings = self._configs.settings_for(path if not stdin else Path.cwd(), self.overrides)
        except ConfigError as exc:
            yield 1, 0, f"{RULE_CRASHED} configuration error: {exc}", type(self)
            return
        if not isinstance(self.tree, ast.Module):
            return
        try:
            # (a file the project's walk found is not excluded)
            result = None if stdin else self._from_cache(path, settings, source)
            if result is None:
                if not stdin and _excluded(path, settings):
                    return
                result = self._run_for(path, settings).recheck(
                    path, self.filename, settings, source=source, tree=self.tree, apply_noqa=False
                )
        except Exception as exc:  # never abort flake8
            yield 1, 0, f"{RULE_CRASHED} netra-ws-lint crashed on this file: {exc!r}", type(self)
            return
        for f in result.findings:
            yield f.line, f.col, f"{f.code} {f.message}", type(self)

    @classmethod
    def _from_cache(cls, path: Path, settings: Settings, source: str) -> Any:
        """The file's cached result, when flake8's text is the file's on disk and
        nothing in its project changed since ``netra-ws-lint check`` walked it (the
        project's snapshot, checked once per process: no walk, no facts, no join), or
        None."""
        root = project_root(path, settings) or path.parent
        key = (root, settings)
        if key not in cls._cached:
            run: Run | None = new_run(root, True, lambda _p, _s: root, jobs=1)
            assert run is not None
            snap = None
            if run.cache is not None:
                walk = walk_key(cls.overrides, None, True, root, settings)
                snap = run.cache.snapshot(str(root), walk)
            if snap is None:
                run = None
            else:
                run.fast[str(root)] = snap
            cls._cached[key] = run
        found = cls._cached[key]
        return found.cached(path, str(path), settings, source) if found is not None else None

    @classmethod
    def _run_for(cls, path: Path, settings: Settings) -> Run:
        """The run of ``path``'s project (its facts loaded once per process); a file
        outside the project's files (in an excluded folder) also sees its folder's."""
        root = project_root(path, settings) or path.parent
        key = (root, settings)
        run = cls._runs.get(key)
        if run is None:
            run = new_run(root, True, lambda _p, _s: root, jobs=1)
            files = project_files(root, cls.overrides)
            run.check([], [(t.path, t.display, t.settings) for t in files])
            cls._runs[key] = run
            cls._files[key] = {os.path.realpath(t.path) for t in files}
        if os.path.realpath(path) not in cls._files[key]:
            folder = (root, settings, path.parent)
            run = cls._runs.get(folder)  # type: ignore[arg-type]
            if run is None:
                run = new_run(root, True, lambda _p, _s: root, jobs=1)
                files = project_files(root, cls.overrides)
                extra = folder_files(path, cls.overrides, None)
                run.check([], [(t.path, t.display, t.settings) for t in files] + extra)
                cls._runs[folder] = run  # type: ignore[index]
        return run


def _dir_excluded(directory: Path, settings: Settings) -> bool:
    root = settings.root.absolute()
    return any(
        is_excluded(d, settings, True) for d in (directory, *directory.parents) if root in d.parents
    )


def _excluded(path: Path, settings: Settings) -> bool:
    """``path`` or one of its directories (below the configuration root) is excluded,
    as the CLI's discovery finds it; run from inside an excluded folder (as when the
    CLI is given that folder), paths are matched relative to it."""
    cwd = Path.cwd()
    top = cwd if cwd in path.parents and _dir_excluded(cwd, settings) else None
    if is_excluded(path, settings, False, top):
        return True
    stop = top or settings.root.absolute()
    return any(is_excluded(d, settings, True, top) for d in path.parents if stop in d.parents)


def _read(filename: str) -> str:
    from netra_ws_lint.engine.pipeline import DecodeError, decode_source, read_source_bytes

    try:  # a regular file only: a FIFO or a device never blocks flake8
        return decode_source(read_source_bytes(Path(filename)))
    except (OSError, DecodeError):
        return ""
