"""Open report files safely: regular files only, checked before any byte is read.

A path may name a FIFO (opening it blocks until someone writes), a device (``/dev/zero`` never
ends), a socket, a symbolic link that loops, or a file the user cannot read. Everything here looks
at the file's type first, opens with ``O_NONBLOCK`` and checks the type again on the open
descriptor, so nothing blocks and each problem is a one-line :class:`IngestError` with advice.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from pathlib import Path

from ingest.limits import LimitExceeded, human_bytes
from ingest.types import IngestError

__all__ = ["display_name", "file_kind", "file_sha256", "read_regular_file", "regular_file_problem", "too_big"]

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_HASH_BLOCK = 1024 * 1024
_SETTLED_NS = 3_000_000_000
_HASHED_MAX = 200_000
_hashed: dict[tuple[int, int, int, int, int], str] = {}
"""Digests of files hashed in this process, by (device, inode, size, mtime, ctime)."""


def display_name(name: str | os.PathLike[str]) -> str:
    """``name`` safe to print: control and other non-printable characters escaped (ESC -> ``\\x1b``)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(name))


def file_kind(mode: int) -> str:
    """What a non-regular file is, for messages: 'a named pipe (FIFO)', 'a device', ..."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _not_regular(source: str, mode: int) -> IngestError:
    if stat.S_ISDIR(mode):
        return IngestError(source, "is a folder, not a file: pass the report files inside it one by one")
    return IngestError(source, f"is {file_kind(mode)}, not a regular file: copy the report to an ordinary file "
                               "first")


def _os_problem(source: str, path: Path, exc: OSError) -> IngestError:
    """An OSError from stat or open as advice instead of a bare '[Errno N]'."""
    if exc.errno == errno.ELOOP:
        return IngestError(source, "is a symbolic link that loops (it points back to itself): fix or delete the "
                                   "link")
    if exc.errno == errno.ENOENT:
        if os.path.islink(path):
            try:
                target = display_name(os.readlink(path))
            except OSError:
                target = "?"
            return IngestError(source, f"is a symbolic link to '{target}', which does not exist: fix or delete "
                                       "the link")
        return IngestError(source, f"file not found at '{display_name(path)}': check the path")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return IngestError(source, "permission denied: make the file readable (e.g. chmod a+r) and its folders "
                                   "searchable (chmod a+x), or leave it out")
    if exc.errno == errno.ENXIO:
        return IngestError(source, "is a socket or a device without a reader, not a regular file: copy the "
                                   "report to an ordinary file first")
    if exc.errno == errno.ENAMETOOLONG:
        return IngestError(source, "the path is too long for the system: move or rename the file")
    reason = display_name(exc.strerror or type(exc).__name__)
    return IngestError(source, f"cannot open the file ({reason}): check the path and that the disk is readable")


def regular_file_problem(path: str | os.PathLike[str], source: str | None = None) -> IngestError | None:
    """Why ``path`` cannot be read as a report file, or None when it is a readable regular file.

    Looks at the type (following symbolic links) before opening; opens with ``O_NONBLOCK`` only to
    check that it can be read. Never blocks and never reads a byte.
    """
    path = Path(path)
    source = source or path.name or str(path)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            return _not_regular(source, info.st_mode)
        os.close(os.open(path, _OPEN_FLAGS))
    except OSError as exc:
        return _os_problem(source, path, exc)
    return None


def _open_regular(path: Path, source: str, max_bytes: int | None) -> tuple[int, int]:
    """An open descriptor of a regular file within ``max_bytes``, and its size."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(source, info.st_mode)
        if max_bytes is not None and info.st_size > max_bytes:
            raise too_big(source, info.st_size, max_bytes)
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise _os_problem(source, path, exc) from None
    try:
        info = os.fstat(fd)  # the path may have been swapped for a pipe or device since the stat
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(source, info.st_mode)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd, info.st_size


def too_big(source: str, size: int, limit: int) -> IngestError:
    """The error for a file over the size limit (INSPECTQA_MAX_FILE_MB)."""
    return LimitExceeded(source, f"file is {human_bytes(size)}, over the {human_bytes(limit)} limit: split it or "
                                 "raise INSPECTQA_MAX_FILE_MB", "INSPECTQA_MAX_FILE_MB")


def read_regular_file(path: str | os.PathLike[str], source: str | None = None, *, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``.

    Raises:
        IngestError: not a regular file (pipe, device, socket, folder), a broken or looping link,
            permission denied, or over ``max_bytes`` (then a ``LimitExceeded``); checked before reading.
    """
    path = Path(path)
    source = source or path.name or str(path)
    fd, _size = _open_regular(path, source, max_bytes)
    try:
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise _os_problem(source, path, exc) from None
    if len(data) > max_bytes:  # it grew after the stat
        raise too_big(source, len(data), max_bytes)
    return data


def file_sha256(path: str | os.PathLike[str], source: str | None = None) -> str:
    """SHA-256 of a regular file's bytes, read in blocks; the same checks as :func:`read_regular_file`.

    A file hashed before in this process is not read again while its device, inode, size,
    modification and change times stay the same (the change time cannot be set back by hand; a
    file changed within ``_SETTLED_NS`` of being hashed is always read again, as git treats
    "racily clean" files).

    Raises:
        IngestError: the path is not a readable regular file.
    """
    path = Path(path)
    source = source or path.name or str(path)
    fd, _size = _open_regular(path, source, None)
    try:
        info = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        raise _os_problem(source, path, exc) from None
    key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    known = _hashed.get(key)
    if known is not None:
        os.close(fd)
        return known
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "rb") as handle:
            while block := handle.read(_HASH_BLOCK):
                digest.update(block)
    except OSError as exc:
        raise _os_problem(source, path, exc) from None
    if time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) > _SETTLED_NS:
        if len(_hashed) >= _HASHED_MAX:
            _hashed.clear()
        _hashed[key] = digest.hexdigest()
    return digest.hexdigest()
