"""Writing files safely: a file the tool rewrites is never left half-written."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` through a temporary file in the same directory,
    keeping the file's permission bits (a new file gets the umask's)."""
    fd, tmp = tempfile.mkstemp(dir=path.absolute().parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def refuse_to_write(path: Path, roots: Sequence[Path]) -> str | None:
    """Why the tool must not rewrite the checked file ``path``, or None.

    A file is rewritten only where it is: never through a symbolic link (replacing the
    link would turn it into a copy; following it could leave the checked tree), and
    never when its real path lies outside every checked root (a directory reached
    through a symbolic link to elsewhere)."""
    if path.is_symlink():
        return "is a symbolic link; left as it was (edit the file it points to)"
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        return f"cannot resolve: {getattr(exc, 'strerror', None) or exc}"
    for root in roots:
        try:
            top = root.resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        if real == top or top in real.parents:
            return None
    return "lies outside the checked paths (reached through a symbolic link); left as it was"
