"""Paths as the reports show them: relative to the repository root (baselines,
fingerprints, SARIF, the diff gate). Light to import: a run that only prints findings
needs no more of the report package than this and :mod:`.output`."""

from __future__ import annotations

import os
from pathlib import Path

from netra_ws_lint.engine.fsutil import real_directory, real_path


def project_root(start: Path | None = None) -> Path:
    """The repository root: the nearest directory at or above ``start`` (the working
    directory) holding ``.git``; ``start`` itself outside a repository."""
    here = (start or Path.cwd()).absolute()
    for directory in (here, *here.parents):
        if (directory / ".git").exists():
            return directory
    return here


def _below(path: str, top: str) -> str | None:
    """``path`` relative to ``top`` (both absolute and normalised), ``/`` separators;
    None when it lies outside."""
    if path == top:
        return "."
    prefix = top if top.endswith(os.sep) else top + os.sep
    if not path.startswith(prefix):
        return None
    rel = path[len(prefix) :]
    return rel if os.sep == "/" else rel.replace(os.sep, "/")


def root_relative(path: str, root: Path) -> str:
    """``path`` (as shown in the output, relative to the working directory) relative to
    ``root``, with ``/`` separators; unchanged when it lies outside ``root`` (compared
    as given, then with symbolic links resolved)."""
    if path == "-":
        return path
    absolute = os.path.abspath(path)
    found = _below(absolute, str(root))
    if found is None:
        found = _below(real_path(absolute), real_directory(root))
    return found if found is not None else Path(path).as_posix()
