"""Reading and writing files safely.

Reading: every file of the checked repository (sources, ``.gitignore``, configuration,
baselines, cache entries) is read by :func:`read_regular_file`: opened non-blocking,
checked with ``fstat`` on the open descriptor (a FIFO, a device such as ``/dev/zero``
or a socket is never read, not even through a symbolic link) and read up to a size cap.

Writing: a file the tool rewrites is never left half-written, keeps its owner, group,
mode and hard links, is never one the user could not write, and is left alone when it
changed since it was read (:func:`rewrite_file`). A file the tool creates (cache,
reports, backups, baselines) is never written through a symbolic link that leaves the
directory it belongs to (:func:`write_new_file`).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

MiB = 1024 * 1024
SOURCE_LIMIT = 256 * MiB  # a Python file to check or fix
SMALL_LIMIT = 16 * MiB  # .gitignore, configuration, pre-commit configuration
DATA_LIMIT = 256 * MiB  # baselines, cache entries


class NotRegularFile(OSError):
    """A FIFO, a device or a socket: reading it could block forever or never end, so it
    is not read."""


class TooLarge(OSError):
    """A file over the size cap of what is read from it."""


class FileChanged(OSError):
    """The file changed since it was read: it is left as it was."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "a device"


def read_regular_file(path: str | os.PathLike[str], limit: int = SOURCE_LIMIT) -> bytes:
    """The bytes of the regular file ``path`` (symbolic links followed); an
    :class:`OSError` whose ``strerror`` fits a one-line message for anything else
    (:class:`NotRegularFile`, :class:`TooLarge` over ``limit`` bytes)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(
                errno.EINVAL, f"not a regular file ({_kind(st.st_mode)}); not read", str(path)
            )
        too_large = TooLarge(errno.EFBIG, f"larger than {limit // MiB} MiB; not read", str(path))
        if st.st_size > limit:
            raise too_large
        data = f.read(limit + 1)  # the file may grow after the fstat
        if len(data) > limit:
            raise too_large
        return data


def read_text_file(path: str | os.PathLike[str], limit: int = SMALL_LIMIT) -> str:
    """:func:`read_regular_file` decoded as UTF-8 (``UnicodeDecodeError`` if it is not)."""
    return read_regular_file(path, limit).decode("utf-8")


# ---------------------------------------------------------------- rewriting a file


def may_write(st: os.stat_result) -> bool:
    """The permission bits let this user write the file (root counts as the owner: a
    0444 file is read-only for root too)."""
    if not hasattr(os, "geteuid"):  # Windows: the read-only attribute
        return bool(st.st_mode & stat.S_IWRITE)
    uid = os.geteuid()
    if uid == 0 or uid == st.st_uid:
        return bool(st.st_mode & stat.S_IWUSR)
    if st.st_gid == os.getegid() or st.st_gid in os.getgroups():
        return bool(st.st_mode & stat.S_IWGRP)
    return bool(st.st_mode & stat.S_IWOTH)


def rewrite_file(path: Path, old: bytes, new: bytes) -> None:
    """Replace the contents of the existing file ``path``, which held ``old`` when it
    was read, with ``new``.

    Raises :class:`FileChanged` when the file no longer holds ``old`` (an edit made
    meanwhile is never lost), :class:`PermissionError` when the user could not write
    it (a 0444 file), :class:`NotRegularFile` for a symbolic link or an odd file.
    Owner, group, mode and hard links are kept: a file with one link whose owner and
    group can be kept is replaced atomically (a temporary file and ``os.replace``);
    any other is verified and written in place through the descriptor it was
    verified on."""
    flags = os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_BINARY", 0) | getattr(os, "O_NOCTTY", 0)
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise NotRegularFile(errno.ELOOP, "is a symbolic link; left as it was", str(path))
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(errno.EINVAL, f"not a regular file ({_kind(st.st_mode)})", str(path))
    if not may_write(st):
        raise PermissionError(errno.EACCES, "read-only file; left as it was", str(path))
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(errno.EINVAL, "not a regular file", str(path))
        if _read_all(fd) != old:
            raise FileChanged(errno.EAGAIN, "changed since it was read; left as it was", str(path))
        if st.st_nlink == 1 and _replace(path, st, old, new):
            return
        os.lseek(fd, 0, os.SEEK_SET)
        view = memoryview(new)
        while view:
            view = view[os.write(fd, view) :]
        os.ftruncate(fd, len(new))
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks: list[bytes] = []
    while True:
        chunk = os.read(fd, MiB)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _replace(path: Path, st: os.stat_result, old: bytes, new: bytes) -> bool:
    """Replace ``path`` atomically by a copy with its owner, group and mode; False
    (nothing done) when the owner or group cannot be kept."""
    fd, tmp = tempfile.mkstemp(dir=path.absolute().parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(new)
            f.flush()
            tst = os.fstat(f.fileno())
            if hasattr(os, "fchown") and (tst.st_uid, tst.st_gid) != (st.st_uid, st.st_gid):
                try:
                    os.fchown(f.fileno(), st.st_uid, st.st_gid)
                except OSError:
                    os.unlink(tmp)
                    return False
            os.chmod(tmp, stat.S_IMODE(st.st_mode))  # after chown, which clears set-id bits
            os.fsync(f.fileno())
        if read_regular_file(path) != old:  # one last look, just before the swap
            raise FileChanged(errno.EAGAIN, "changed since it was read; left as it was", str(path))
        os.replace(tmp, path)
        return True
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------- creating files


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


def ensure_directory(directory: Path, top: Path) -> None:
    """Create ``directory`` (below ``top``) as needed, refusing any existing part of it
    below ``top`` that is not a real directory (a symbolic link could lead anywhere)."""
    directory, top = directory.absolute(), top.absolute()
    try:
        parts = directory.relative_to(top).parts
    except ValueError:
        raise NotRegularFile(
            errno.EINVAL, f"{directory} is not inside {top}", str(directory)
        ) from None
    current = top
    for part in parts:
        current = current / part
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            try:
                current.mkdir()
                continue
            except FileExistsError:  # made meanwhile (a worker of the same run)
                st = os.lstat(current)
        if stat.S_ISLNK(st.st_mode):
            raise NotRegularFile(
                errno.ELOOP,
                f"{current} is a symbolic link; nothing written through it",
                str(current),
            )
        if not stat.S_ISDIR(st.st_mode):
            raise NotADirectoryError(errno.ENOTDIR, f"{current} is not a directory", str(current))


def write_new_file(path: Path, data: bytes, top: Path) -> None:
    """Write a file the tool owns (cache entry, report, backup, baseline) at ``path``,
    atomically, never through a symbolic link below ``top``: the directories on the
    way are created or must be real, and a symbolic link at ``path`` is refused."""
    ensure_directory(path.absolute().parent, top)
    if path.is_symlink():
        raise NotRegularFile(
            errno.ELOOP, f"{path} is a symbolic link; nothing written through it", str(path)
        )
    write_atomic(path, data)


def resolved(path: Path) -> Path:
    """``path.resolve()``, or the absolute path when it cannot be resolved (a symbolic
    link loop raises ``RuntimeError`` before Python 3.13, ``OSError`` after)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


# directory (absolute, as given) -> str(resolved(directory)), for one run
_REAL_DIRS: dict[str, str] = {}
_MAX_REAL_DIRS = 65536


_ABSOLUTE: dict[str, str] = {}  # absolute path -> its normal form


def clear_real_paths() -> None:
    """Forget the directories :func:`real_path` resolved (a new run looks afresh)."""
    _REAL_DIRS.clear()
    _ABSOLUTE.clear()


def absolute_path(path: str) -> str:
    """``os.path.abspath(path)``, remembered for absolute paths (their normal form does
    not depend on the working directory; a run asks for each many times)."""
    found = _ABSOLUTE.get(path)
    if found is None:
        found = os.path.abspath(path)
        if os.path.isabs(path):
            if len(_ABSOLUTE) >= _MAX_REAL_DIRS:
                _ABSOLUTE.clear()
            _ABSOLUTE[path] = found
    return found


def real_path(path: str | os.PathLike[str], is_link: bool | None = None) -> str:
    """``str(resolved(Path(path)))``, at the cost of one ``lstat`` (none when
    ``is_link`` is known, as a directory walk knows it) for a file that is not itself
    a symbolic link: its directory's resolution is remembered for the run. ``path``
    with a ``..`` part, and a link, are resolved in full."""
    text = os.fspath(path)
    if ".." in text and ".." in text.replace(os.sep, "/").split("/"):
        return str(resolved(Path(text)))
    absolute = absolute_path(text)
    if is_link is None:
        is_link = os.path.islink(absolute)
    directory, name = os.path.split(absolute)
    if is_link or not name:
        return str(resolved(Path(absolute)))
    return os.path.join(real_directory(directory), name)


def real_directory(directory: str | os.PathLike[str]) -> str:
    """``str(resolved(Path(directory)))``, remembered for the run (see
    :func:`clear_real_paths`)."""
    key = os.path.abspath(directory)
    real = _REAL_DIRS.get(key)
    if real is None:
        if len(_REAL_DIRS) >= _MAX_REAL_DIRS:
            _REAL_DIRS.clear()
        real = _REAL_DIRS[key] = str(resolved(Path(key)))
    return real


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
