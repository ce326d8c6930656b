"""Download a report by URL into an on-disk cache: resumable, size- and type-checked, never half written.

Cache layout under ``cache_dir`` (all names derived, nothing to configure)::

    objects/ab/abcdef....pdf    one file per distinct content (sha256 of the bytes), so identical
                                content under two URLs is stored once
    urls/<key>.json             what a URL gave last time: object, validators (ETag, Last-Modified),
                                content type, size, when fetched
    partial/<key>.part (+.json) a download in progress; resumed with an HTTP Range request

A file only ever appears under ``objects/`` complete: bytes go to ``partial/``, are flushed and
fsynced, checked (size, type), hashed, then renamed into place. A dropped connection leaves the part
(to resume from) and nothing where a complete file is expected.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from ingest.fetch_types import (
    ConnectionDropped,
    FetchError,
    FetchSettings,
    HTTPStatusError,
    InvalidURL,
    Progress,
    ProgressCallback,
    TooLarge,
    UnsupportedType,
)
from ingest.httpclient import PoliteClient, Response, check_url
from ingest.readers import sniff_format
from ingest.types import IngestError

__all__ = ["FORMATS", "Downloaded", "download", "place", "read_url_list"]

FORMATS: dict[str, str] = {"pdf": ".pdf", "html": ".html", "text": ".txt"}
"""Formats a download may be (from its bytes), with the suffix its cached file gets."""

_DECLARED: dict[str, str | None] = {
    "application/pdf": "pdf", "application/x-pdf": "pdf", "text/html": "html", "application/xhtml+xml": "html",
    "text/plain": "text", "": None, "application/octet-stream": None, "binary/octet-stream": None,
    "application/download": None, "application/force-download": None, "application/x-download": None,
}
"""Content-Type -> the format it promises; None: the bytes decide. Any other type is refused unread."""

_SNIFF_BYTES = 8192
_PROGRESS_STEP = 256 * 1024


@dataclass(frozen=True)
class Downloaded:
    """A document fetched (or confirmed unchanged) and stored complete in the cache."""

    url: str
    final_url: str
    path: Path
    content_type: str
    format: str
    content_hash: str
    size: int
    fetched_at: str
    from_cache: bool = False
    etag: str | None = None
    last_modified: str | None = None

    @property
    def name(self) -> str:
        """A readable file name made from the final URL, ending in the format's suffix.

        '/wp-content/uploads/peel-police-efficiency-2016-norfolk.pdf' gives that file's name;
        a page address such as '/peel-assessments/peel-2016/norfolk/' gives
        'peel-assessments-peel-2016-norfolk.html', so the pages of one site do not share a name.
        """
        parts = urlsplit(self.final_url)
        segments = [unquote(s) for s in parts.path.split("/") if s]
        suffix = FORMATS[self.format]
        last = PurePosixPath(segments[-1]) if segments else None
        if last is not None and last.suffix.lower() in (".pdf", ".html", ".htm", ".txt"):
            stem = last.stem
        else:
            stem = "-".join(segments) or (parts.hostname or self.content_hash[:12])
        stem = re.sub(r"[^\w.-]+", "-", stem).strip("-.")[:150] or self.content_hash[:12]
        return stem + suffix

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "final_url": self.final_url, "path": str(self.path), "content_type": self.content_type,
                "format": self.format, "content_hash": self.content_hash, "size": self.size,
                "fetched_at": self.fetched_at, "from_cache": self.from_cache, "etag": self.etag,
                "last_modified": self.last_modified}


def place(downloaded: Downloaded, folder: str | Path, name: str | None = None) -> Path:
    """Put a copy of a downloaded file in ``folder`` as ``name`` (default ``downloaded.name``), for
    tools that read reports from a folder. A hard link when the cache is on the same disk, else a
    copy; either way the file appears complete or not at all.

    Raises:
        FetchError: the folder cannot be written.
    """
    import shutil

    folder = Path(folder)
    target = folder / (name or downloaded.name)
    tmp = folder / f".{target.name}.{os.getpid()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp.unlink(missing_ok=True)
        try:
            os.link(downloaded.path, tmp)
        except OSError:
            shutil.copyfile(downloaded.path, tmp)
            with open(tmp, "rb+") as handle:
                _sync(handle)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise FetchError(str(folder), f"cannot write {target.name} here ({exc.strerror}): choose a writable "
                                      "folder") from None
    return target


def read_url_list(path: str | Path) -> list[str]:
    """The URLs in a ``--urls`` file: one per line; blank lines and lines starting with '#' are skipped.

    Raises:
        InvalidURL: a line is not an http(s) URL (the message names the file and line).
        OSError: the file cannot be read.
    """
    urls: list[str] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8-sig").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            urls.append(check_url(line))
        except InvalidURL:
            raise InvalidURL(line, f"line {number} of {path} is not a web address: give one http(s) URL per "
                                   "line") from None
    return list(dict.fromkeys(urls))


def download(url: str, cache_dir: str | Path, settings: FetchSettings | None = None, *,
             client: PoliteClient | None = None, progress: ProgressCallback | None = None) -> Downloaded:
    """Fetch ``url`` into the cache under ``cache_dir`` (or confirm the cached copy is current).

    Args:
        url: an http(s) URL of a PDF, an HTML page or a plain-text file.
        cache_dir: the cache folder (created if missing).
        settings: limits, timeouts and politeness; ignored when ``client`` is given (its settings rule).
        client: a client shared by a batch, so the rate limit and robots.txt span all its downloads.
        progress: called with each step (when no ``client`` is given; a client has its own).

    Returns:
        Where the complete file is, what the server said about it, and whether the cache served it.

    Raises:
        FetchError: one of its subclasses (InvalidURL, RobotsDisallowed, OfflineError, FetchTimeout,
            NotFound, HTTPStatusError, ServerError, RateLimited, TooLarge, UnsupportedType,
            ConnectionDropped); each message names the URL and says what to do.
    """
    url = check_url(url)
    client = client or PoliteClient(settings, progress=progress)
    cfg = client.settings
    cache = _Cache(Path(cache_dir))
    key = hashlib.sha256(url.encode()).hexdigest()[:32]
    cached = cache.lookup(key)
    if cached is not None and not cfg.revalidate:
        client.report(Progress("cached", url, done=cached.size, total=cached.size))
        return cached
    with cache.locked(key):  # another process fetching the same address waits, then finds it cached
        return _fetch(url, key, cache, client)


def _fetch(url: str, key: str, cache: _Cache, client: PoliteClient) -> Downloaded:
    """The request loop of :func:`download`, under the address's lock."""
    cfg = client.settings
    cached = cache.lookup(key)
    drops = restarts = 0
    while True:
        part = cache.partial(key)
        headers = _request_headers(part, cached)
        response = client.open(url, headers, accept=(416,))
        with response:
            if response.status == 304 and cached is not None:
                client.report(Progress("cached", url, done=cached.size, total=cached.size))
                return cached
            if response.status == 416 or (response.status == 206 and not _resumable(response, part)):
                cache.drop_partial(key)  # the part does not match what the server has now: start over
                restarts += 1
                if restarts > 2:
                    raise FetchError(url, "the server keeps answering partial requests wrongly: delete the "
                                          "cache's partial folder and try again")
                continue
            if response.status not in (200, 203, 206):
                raise HTTPStatusError(url, f"unexpected answer (HTTP {response.status}): try again later",
                                      response.status)
            try:
                kind = _declared_format(response)
            except UnsupportedType:
                cache.drop_partial(key)
                raise
            offset = part.size if response.status == 206 else 0
            total = _total_size(response, offset)
            if total is not None and total > cfg.max_bytes:
                cache.drop_partial(key)
                raise _too_large(url, total, cfg.max_bytes, "the server says it is")
            cache.start_partial(key, {"url": url, "final_url": response.url, "content_type": response.content_type,
                                      "etag": response.headers.get("ETag"),
                                      "last_modified": response.headers.get("Last-Modified"), "total": total})
            try:
                received = _stream(response, cache.part_path(key), offset, total, cfg.max_bytes, kind, client)
            except _Dropped as drop:
                drops += 1
                if drops > cfg.retries:
                    raise ConnectionDropped(url, f"the connection dropped after {drop.size:,} of "
                                                 f"{'?' if total is None else f'{total:,}'} bytes: run the same "
                                                 "command again to resume") from None
                client.backoff(drops - 1, url, "connection dropped mid-download")
                continue
            except (TooLarge, UnsupportedType):
                cache.drop_partial(key)
                raise
        result = cache.complete(key, url, response, received, kind)
        client.report(Progress("done", url, done=result.size, total=result.size))
        return result


# ---------------------------------------------------------------- one response


class _Dropped(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


@dataclass(frozen=True)
class _Part:
    size: int
    meta: dict[str, Any]


def _request_headers(part: _Part, cached: Downloaded | None) -> dict[str, str]:
    """Range + If-Range to resume a part that has a strong validator; else conditional headers to
    revalidate a cached copy; else nothing."""
    etag = part.meta.get("etag")
    validator = etag if etag and not str(etag).startswith("W/") else part.meta.get("last_modified")  # strong only
    if part.size and validator:
        return {"Range": f"bytes={part.size}-", "If-Range": validator}
    headers: dict[str, str] = {}
    if cached is not None:
        if cached.etag:
            headers["If-None-Match"] = cached.etag
        if cached.last_modified:
            headers["If-Modified-Since"] = cached.last_modified
    return headers


def _resumable(response: Response, part: _Part) -> bool:
    """A 206 resumes the part only if it starts exactly where the part ends; a 416 never does."""
    if response.status != 206:
        return False
    match = re.match(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", response.headers.get("Content-Range") or "")
    return bool(match) and int(match.group(1)) == part.size


def _total_size(response: Response, offset: int) -> int | None:
    if response.status == 206:
        match = re.match(r"bytes\s+\d+-\d+/(\d+)", response.headers.get("Content-Range") or "")
        return int(match.group(1)) if match else None
    return response.length if offset == 0 else None


def _declared_format(response: Response) -> str | None:
    """The format the Content-Type promises; refuses types that are never a report before reading."""
    declared = response.content_type
    if declared not in _DECLARED:
        raise UnsupportedType(response.url, f"is {declared or 'an unknown type'}, not a PDF, HTML page or "
                                            "text file: give the address of the report itself")
    return _DECLARED[declared]


def _check_bytes(url: str, head: bytes, kind: str | None) -> str:
    """The format the bytes show; refuses what the reader cannot read or what contradicts the header."""
    try:
        found = sniff_format(head)
    except IngestError as exc:
        raise UnsupportedType(url, f"is not a report file ({exc.reason.split(':')[0]}): give the address of "
                                   "the PDF or web page itself") from None
    if found not in FORMATS:
        raise UnsupportedType(url, f"is a {found} file, not a PDF, HTML page or text file: download it and "
                                   "add the file instead")
    if kind == "pdf" and found != "pdf":
        raise UnsupportedType(url, f"the server calls it a PDF but sent {found}: open the address in a browser "
                                   "and check it is the report")
    return found


def _stream(response: Response, path: Path, offset: int, total: int | None, limit: int, kind: str | None,
            client: PoliteClient) -> int:
    """Write the body to ``path`` from ``offset``; flush and fsync whatever arrived. Returns bytes on disk.

    Raises:
        _Dropped: the body ended before ``total`` or the connection failed mid-body.
        TooLarge, UnsupportedType: the body went past ``limit``, or its first bytes are not a report.
    """
    size = offset
    head = b""
    next_report = size + _PROGRESS_STEP
    with open(path, "r+b" if offset else "wb") as out:
        out.seek(offset)
        out.truncate()
        try:
            while chunk := response.read(65536):
                size += len(chunk)
                if size > limit:
                    raise _too_large(response.url, size, limit, "it grew past")
                if offset == 0 and len(head) < _SNIFF_BYTES:
                    head += chunk
                    if len(head) >= _SNIFF_BYTES:
                        _check_bytes(response.url, head, kind)  # refuse early, not after 50 MB
                out.write(chunk)
                if size >= next_report:
                    client.report(Progress("download", response.url, done=size, total=total))
                    next_report = size + _PROGRESS_STEP
        except (OSError, http.client.HTTPException, ValueError):  # reset, timeout, IncompleteRead, closed
            _sync(out)
            raise _Dropped(size) from None
        _sync(out)
    if total is not None and size < total:
        raise _Dropped(size)
    return size


def _sync(handle: Any) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _too_large(url: str, size: int, limit: int, how: str) -> TooLarge:
    return TooLarge(url, f"{how} {size / 1048576:.1f} MB, over the {limit / 1048576:.1f} MB limit: raise "
                         "INSPECTQA_MAX_FILE_MB if this really is one report")


# ---------------------------------------------------------------- the cache


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically (temporary name, fsync, rename, fsync the folder)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
        _sync(handle)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class _Cache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects, self.urls, self.parts = root / "objects", root / "urls", root / "partial"
        for folder in (self.objects, self.urls, self.parts):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise FetchError(str(root), f"cannot create the download cache ({exc.strerror}): choose a "
                                            "writable cache folder") from None

    @contextmanager
    def locked(self, key: str) -> Iterator[None]:
        """Hold an exclusive lock on one address's entries (a no-op where file locks are unavailable)."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            yield
            return
        with open(self.parts / f"{key}.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def part_path(self, key: str) -> Path:
        return self.parts / f"{key}.part"

    def partial(self, key: str) -> _Part:
        path, meta_path = self.part_path(key), self.parts / f"{key}.json"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            return _Part(path.stat().st_size, meta if isinstance(meta, dict) else {})
        except (OSError, ValueError):
            return _Part(0, {})

    def start_partial(self, key: str, meta: dict[str, Any]) -> None:
        _write_json(self.parts / f"{key}.json", meta)

    def drop_partial(self, key: str) -> None:
        for path in (self.part_path(key), self.parts / f"{key}.json"):
            path.unlink(missing_ok=True)

    def lookup(self, key: str) -> Downloaded | None:
        """The cached download of a URL, if its record and complete object are both there."""
        try:
            record = json.loads((self.urls / f"{key}.json").read_text(encoding="utf-8"))
            path = self.root / record["object"]
            if path.stat().st_size != record["size"]:
                return None
            return Downloaded(url=record["url"], final_url=record["final_url"], path=path,
                              content_type=record["content_type"], format=record["format"],
                              content_hash=record["content_hash"], size=record["size"],
                              fetched_at=record["fetched_at"], from_cache=True, etag=record.get("etag"),
                              last_modified=record.get("last_modified"))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def complete(self, key: str, url: str, response: Response, size: int, kind: str | None) -> Downloaded:
        """Check the finished part, move it under its content hash, record the URL."""
        part = self.part_path(key)
        meta = self.partial(key).meta
        digest = hashlib.sha256()
        with open(part, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
            digest.update(head)
            while block := handle.read(1 << 20):
                digest.update(block)
        try:
            fmt = _check_bytes(response.url, head, kind)
        except UnsupportedType:
            self.drop_partial(key)
            raise
        if size == 0:
            self.drop_partial(key)
            raise UnsupportedType(response.url, "the server sent an empty file: check the address in a browser")
        content_hash = digest.hexdigest()
        folder = self.objects / content_hash[:2]
        folder.mkdir(exist_ok=True)
        target = folder / f"{content_hash}{FORMATS[fmt]}"
        if target.exists() and target.stat().st_size == size:
            part.unlink()  # the same bytes came from another URL (or earlier): keep one copy
        else:
            os.replace(part, target)
            _fsync_dir(folder)
        result = Downloaded(url=url, final_url=meta.get("final_url") or response.url, path=target,
                            content_type=meta.get("content_type") or response.content_type, format=fmt,
                            content_hash=content_hash, size=size,
                            fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
                            etag=meta.get("etag"), last_modified=meta.get("last_modified"))
        record = result.to_dict() | {"object": str(target.relative_to(self.root))}
        del record["path"], record["from_cache"]
        _write_json(self.urls / f"{key}.json", record)
        self.drop_partial(key)
        return result
