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
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from search.errors import IndexError_, IndexLockedError, IndexWriteError
from search.index.layout import MANIFEST, read_manifest

logger = logging.getLogger(__name__)

LOCK = ".lock"
TMP_PREFIX = ".tmp-"
KEEP_GENERATIONS = 2
"""The live generation and the one before it are kept (searches in flight may still read it)."""


@contextlib.contextmanager
def index_lock(index_dir: Path, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the index folder's build lock, or raise IndexLockedError.

    ``wait_seconds`` > 0 waits that long for another build to finish first.

    Raises:
        IndexLockedError: another build holds the lock.
        IndexWriteError: the folder cannot be written.
    """
    lock_path = index_dir / LOCK
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        handle = lock_path.open("a+")
    except OSError as exc:
        raise IndexWriteError(f"cannot write to the index folder {index_dir} ({exc.strerror or exc}): choose a "
                              "writable folder with --index-dir") from exc
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise IndexLockedError(
                        f"{index_dir} is being updated by {holder}: wait for that build to finish, "
                        "or pass --wait SECONDS"
                    ) from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


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
    """Flush every file of ``folder`` and the folder itself to disk."""
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                os.fsync(handle.fileno())
    fd = os.open(folder, os.O_RDONLY)
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


def clean_stale(index_dir: Path, keep: set[str]) -> None:
    """Remove half-written builds and generations older than the newest ``KEEP_GENERATIONS``."""
    for entry in index_dir.iterdir():
        if entry.name.startswith(f"{TMP_PREFIX}gen-") or entry.name.startswith(f".{MANIFEST}."):
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
            logger.debug("removed the unfinished %s", entry.name)
    generations = sorted((e for e in index_dir.iterdir() if e.is_dir() and e.name.startswith("gen-")),
                         key=lambda e: e.name)
    for entry in generations[:-KEEP_GENERATIONS]:
        if entry.name not in keep:
            shutil.rmtree(entry, ignore_errors=True)
            logger.debug("removed the old generation %s", entry.name)


__all__ = ["clean_stale", "discard", "fsync_tree", "index_lock", "publish", "staging_dir", "write_json_atomic"]
