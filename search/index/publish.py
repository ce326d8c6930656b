"""Publishing a generation: the build lock, the atomic switch of ``manifest.json`` and the
removal of half-written builds and old generations.

A build writes its generation into ``.tmp-gen-...``, syncs it to disk, renames it into place
and then replaces ``manifest.json`` in one ``os.replace``: a crash or Ctrl-C at any point
leaves the previous index usable. The lock file keeps two builds of one folder from
interleaving (docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import shutil
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from search.errors import IndexError_, IndexLockedError, IndexMissingError, IndexWriteError, RollbackError
from search.index.layout import MANIFEST, read_manifest

logger = logging.getLogger(__name__)

LOCK = ".lock"
TMP_PREFIX = ".tmp-"
KEEP_GENERATIONS = 2
"""The live generation and the one before it are kept by default (searches in flight may still read it,
and `inspectqa rollback` restores it); ``IndexSettings.keep_generations`` sets it."""


_LOCK_FLAGS = os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)


def _open_lock(lock_path: Path) -> int:
    """The lock file's descriptor: created with O_EXCL, or the existing one opened with O_NOFOLLOW;
    never a symbolic link or anything but a regular file (its target would be overwritten).

    Raises:
        IndexLockedError: the lock file is a link or not a regular file.
        OSError: the folder cannot be written.
    """
    try:
        fd = os.open(lock_path, _LOCK_FLAGS | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        try:
            fd = os.open(lock_path, _LOCK_FLAGS)
        except OSError as exc:
            if exc.errno == errno.ELOOP or lock_path.is_symlink():
                raise IndexLockedError(
                    f"{lock_path} is a symbolic link, not a lock file: remove it (`rm {lock_path}`) and run the "
                    "build again") from None
            raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise IndexLockedError(f"{lock_path} is not a regular file: remove it and run the build again")
    return fd


@contextlib.contextmanager
def index_lock(index_dir: Path, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the index folder's build lock, or raise IndexLockedError.

    ``wait_seconds`` > 0 waits that long for another build to finish first.

    Raises:
        IndexLockedError: another build holds the lock, or ``.lock`` is a link or not a regular file.
        IndexWriteError: the folder cannot be written.
    """
    lock_path = index_dir / LOCK
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fd = _open_lock(lock_path)
    except OSError as exc:
        raise IndexWriteError(f"cannot write to the index folder {index_dir} ({exc.strerror or exc}): choose a "
                              "writable folder with --index-dir") from exc
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
                    raise IndexLockedError(
                        f"{index_dir} is being updated by {holder}: wait for that build to finish, "
                        "or pass --wait SECONDS"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def staging_dir(index_dir: Path, generation: str) -> Path:
    """Where a build writes a generation before publishing it."""
    return index_dir / f"{TMP_PREFIX}{generation}"


def publish(index_dir: Path, staged: Path, generation: str, manifest: dict[str, Any]) -> None:
    """Make the staged generation live: write its manifest, sync it, move it into place and
    switch ``manifest.json`` atomically."""
    (staged / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    fsync_tree(staged)
    os.replace(staged, index_dir / generation)
    write_json_atomic(index_dir / MANIFEST, manifest)
    logger.info("published %s in %s", generation, index_dir)


def discard(index_dir: Path, staged: Path, generation: str) -> None:
    """Remove what a failed build left: its staging folder, and its generation folder if it was
    moved into place but not published."""
    shutil.rmtree(staged, ignore_errors=True)
    try:
        live = read_manifest(index_dir).get("generation")
    except IndexError_:
        live = None
    if live != generation:
        shutil.rmtree(index_dir / generation, ignore_errors=True)


def fsync_tree(folder: Path) -> None:
    """Flush to disk every file a build wrote into ``folder``, then every folder in it, innermost
    first (so the names of its files are on disk too).

    A file with more than one link is a hard link to a file of the live generation (a segment or
    trail file listed again): its bytes were flushed when that generation was published, and its
    new name is flushed with its folder. Flushing it again would only commit the link count it
    gained, one journal commit per file (most of a small build's time in the sync here).
    """
    for root, _dirs, files in os.walk(folder, topdown=False):
        for name in files:
            path = os.path.join(root, name)
            if os.lstat(path).st_nlink > 1:
                continue
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        fd = os.open(root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Replace ``path`` by ``data`` as JSON in one rename (readers see the old or the new file)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def generations(index_dir: Path) -> list[str]:
    """Generation folders of ``index_dir``, oldest first (names sort by creation time)."""
    return sorted(e.name for e in index_dir.iterdir() if e.is_dir() and e.name.startswith("gen-"))


def clean_stale(index_dir: Path, keep_generations: int = KEEP_GENERATIONS) -> None:
    """Remove half-written builds, generations never published (newer than the live one) and all but
    the newest ``keep_generations`` published ones (the live one and those before it)."""
    for entry in index_dir.iterdir():
        if entry.name.startswith(f"{TMP_PREFIX}gen-") or entry.name.startswith(f".{MANIFEST}."):
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
            logger.debug("removed the unfinished %s", entry.name)
    try:
        live = read_manifest(index_dir)["generation"]
    except IndexError_:
        return  # nothing published, or a damaged manifest: keep every generation for a rollback
    names = generations(index_dir)
    if live not in names:
        return
    older = names[:names.index(live)]
    keep = {live, *older[len(older) - (keep_generations - 1):]} if keep_generations > 1 else {live}
    for name in names:
        if name not in keep:
            shutil.rmtree(index_dir / name, ignore_errors=True)
            logger.debug("removed the generation %s", name)


def rollback(index_dir: Path, wait_seconds: float = 0.0) -> tuple[str, str]:
    """Make the newest kept generation older than the live one live again; (from, to).

    Its files are checked against their checksums first, so a damaged generation is never restored.

    Raises:
        IndexMissingError: no index in ``index_dir``.
        RollbackError: no earlier generation is kept, or the one kept is damaged.
        IndexLockedError: a build holds the folder.
    """
    from search.index.integrity import verify_all
    from search.index.layout import load_manifest_file

    index_dir = Path(index_dir)
    with index_lock(index_dir, wait_seconds):
        try:
            live = read_manifest(index_dir)["generation"]
        except IndexMissingError:
            raise
        except IndexError_:
            live = None  # a damaged live manifest: restore the newest good generation
        names = generations(index_dir)
        candidates = [n for n in names if live is None or n < live][::-1]
        if not candidates:
            raise RollbackError(f"the index in {index_dir} keeps no generation before {live}: nothing to roll back "
                                "to (builds keep the previous one; see IndexSettings.keep_generations)")
        target = candidates[0]
        try:
            manifest = load_manifest_file(index_dir / target / MANIFEST, index_dir)
            if manifest.get("generation") != target:
                raise RollbackError(f"the manifest kept in {target} names another generation")
            verify_all(index_dir / target, manifest["files"], index_dir)
        except IndexError_ as exc:
            raise RollbackError(f"the previous generation {target} of {index_dir} cannot be restored ({exc})") from exc
        write_json_atomic(index_dir / MANIFEST, manifest)
    logger.info("rolled %s back from %s to %s", index_dir, live, target)
    return str(live), target


__all__ = ["clean_stale", "discard", "fsync_tree", "generations", "index_lock", "publish", "rollback", "staging_dir",
           "write_json_atomic"]
