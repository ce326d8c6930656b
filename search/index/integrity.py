"""SHA-256 checksums of every file of a generation: written into the manifest by the build,
checked when a generation is loaded and before a build reuses a file of an earlier one.

A file whose bytes changed since it was written (a scrambled array, an edited database, a
truncated copy) is refused with ``IndexIntegrityError`` and the rebuild command. Files are
checked on two background threads started when a generation is opened (``start``): files parsed at load are awaited before they are
parsed, arrays read on demand before their first use, so warm searches never pay for it. A file
checked once in a process is not hashed again while its size, inode and modification time stay
the same (a reload of a generation that reuses files costs nothing).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from search.errors import IndexIntegrityError, ManifestError, rebuild_hint

BLOCK = 4 * 1024 * 1024

_SETTLED_NS = 3_000_000_000
"""A check is remembered only for a file last modified longer ago than this: a change made within
the same tick of the filesystem's clock would leave its size and time as they were (as git treats
"racily clean" files)."""
_checked: dict[tuple[int, int, int, int, str], bool] = {}
_checked_lock = threading.Lock()


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes, read in large blocks."""
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def record(folder: Path, names: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """{relative path: {"sha256", "bytes"}} of every file under ``folder`` (or of ``names``), sorted."""
    folder = Path(folder)
    if names is None:
        names = (str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != "manifest.json")
    out = {}
    for name in sorted(names):
        path = folder / name
        out[name] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    return out


def files_problem(files: Any) -> str | None:
    """What is wrong with a manifest's ``files`` entry, or None."""
    if not isinstance(files, dict) or not files:
        return "files is not an object of checksums"
    for name, entry in files.items():
        if (not isinstance(name, str) or not name or name.startswith(("/", "\\")) or ".." in Path(name).parts
                or not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str)
                or len(entry["sha256"]) != 64 or not isinstance(entry.get("bytes"), int)
                or isinstance(entry.get("bytes"), bool)):
            return f"the checksum of {name!r} is not a {{sha256, bytes}} object"
    return None


def _key(path: Path, sha: str) -> tuple[int, int, int, int, str]:
    info = os.stat(path)
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, sha)


def verify(folder: Path, name: str, expected: dict[str, Any], index_dir: Path | str) -> None:
    """Check one file of a generation against its recorded checksum.

    Raises:
        IndexIntegrityError: the file is missing, has another size or other bytes.
    """
    path = Path(folder) / name
    sha = str(expected.get("sha256"))
    try:
        key = _key(path, sha)
    except OSError as exc:
        raise IndexIntegrityError(f"{name} of the index in {index_dir} is missing ({exc.strerror or exc}): "
                                  f"{rebuild_hint(index_dir)}") from exc
    with _checked_lock:
        if _checked.get(key):
            return
    if key[2] != expected.get("bytes"):
        raise IndexIntegrityError(f"{name} of the index in {index_dir} has {key[2]} bytes, its manifest says "
                                  f"{expected.get('bytes')} (the file changed since it was written): "
                                  f"{rebuild_hint(index_dir)}")
    try:
        actual = sha256_file(path)
    except OSError as exc:
        raise IndexIntegrityError(f"{name} of the index in {index_dir} cannot be read ({exc.strerror or exc}): "
                                  f"{rebuild_hint(index_dir)}") from exc
    if actual != sha:
        raise IndexIntegrityError(f"{name} of the index in {index_dir} does not match its checksum (the file "
                                  f"changed since it was written): {rebuild_hint(index_dir)}")
    if time.time_ns() - key[3] > _SETTLED_NS:  # a file changed within a clock tick of now keeps its stamp
        with _checked_lock:
            _checked[key] = True


def verify_all(folder: Path, files: dict[str, dict[str, Any]], index_dir: Path | str,
               names: Iterable[str] | None = None) -> None:
    """Check ``names`` (default: every file the manifest lists) of a generation, on the background
    threads, and wait for them.

    Raises:
        IndexIntegrityError: the first file that does not match.
    """
    pending = [check_later(folder, name, files[name], index_dir) for name in (files if names is None else names)]
    for check in pending:
        check.wait()


class LazyCheck:
    """The check of one file, run on a small shared pool of background threads; ``wait()`` blocks
    until it is done and raises what it found. One check per file and checksum in a process."""

    def __init__(self, future: Future[None], name: str) -> None:
        self.name = name
        self._future = future

    @property
    def done(self) -> bool:
        return self._future.done()

    def wait(self) -> None:
        """Block until the file is verified.

        Raises:
            IndexIntegrityError: it does not match its checksum.
        """
        self._future.result()


_pool: ThreadPoolExecutor | None = None
_pending: dict[tuple[str, str], LazyCheck] = {}


def check_later(folder: Path, name: str, expected: dict[str, Any], index_dir: Path | str) -> LazyCheck:
    """Start checking one file in the background (or return the check already running for it)."""
    global _pool
    key = (os.path.realpath(Path(folder) / name), str(expected.get("sha256")))
    with _checked_lock:
        running = _pending.get(key)
        if running is not None and not running.done:
            return running  # finished checks are not reused: ``verify`` looks at the file's stamp again
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="verify")
        check = LazyCheck(_pool.submit(verify, Path(folder), name, expected, index_dir), name)
        _pending[key] = check
        return check


def start(folder: Path, manifest: dict[str, Any], index_dir: Path | str) -> dict[str, LazyCheck]:
    """Start checking every file a generation's manifest lists; {name: check}.

    Raises:
        ManifestError: the manifest has no usable checksums.
    """
    files = manifest.get("files")
    problem = files_problem(files)
    if problem:
        raise ManifestError(f"the manifest of {index_dir} is damaged ({problem}): {rebuild_hint(index_dir)}")
    # Largest first: the pool's two threads finish together.
    order = sorted(files, key=lambda name: -int(files[name]["bytes"]))
    return {name: check_later(folder, name, files[name], index_dir) for name in order}


def prefetch(index_dir: Path) -> None:
    """Start verifying the live generation of ``index_dir`` in the background, if its manifest can be
    read (a process about to load the index calls it first; problems are reported by the load)."""
    try:
        manifest = json.loads((Path(index_dir) / "manifest.json").read_text(encoding="utf-8"))
        name = str(manifest["generation"])
        folder = Path(index_dir) / name
        if (files_problem(manifest.get("files")) is None and name and "/" not in name and "\\" not in name
                and not name.startswith(".") and folder.is_dir()):
            start(folder, manifest, index_dir)
    except (OSError, ValueError, KeyError, TypeError):
        return


def forget() -> None:
    """Drop the record of files checked in this process (tests)."""
    with _checked_lock:
        _checked.clear()
        _pending.clear()


__all__ = ["LazyCheck", "check_later", "files_problem", "forget", "prefetch", "record", "sha256_file", "start",
           "verify", "verify_all"]
