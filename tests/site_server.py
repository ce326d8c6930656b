"""A local stand-in for the inspectorate's site: serves tests/fixtures/site on 127.0.0.1.

Paths map to files the way the site's addresses look: ``/police-forces/norfolk/`` is
``police-forces/norfolk/index.html``; ``/x/report.pdf`` is a PDF rendered from ``x/report.pdf.txt``
(one line per paragraph, so fixtures stay readable text). Responses carry a strong ETag and a
Last-Modified, answer If-None-Match with 304 and ``Range: bytes=N-`` (with If-Range) with 206.

Switches, set on ``SiteServer`` between requests:

- ``plan(path, Plan(...), ...)``: the next requests of ``path`` get these answers, in order:
  an error status (404, 503 with Retry-After, 429, ...), a body cut off after ``drop_after`` bytes
  (the connection is closed mid-body), a delay before answering, or an oversized body
  (``oversize`` bytes, with or without Content-Length);
- ``bodies[path] = (bytes, content_type)``: serve these bytes instead of (or as well as) a file;
- ``redirects[path] = target``: answer 301;
- ``ignore_range``: answer Range requests with the whole body (200), as some servers do.

``requests`` records every request (path, headers) in order.
"""

from __future__ import annotations

import hashlib
import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ingest.fetch_types import FetchSettings
from ingest.httpclient import PoliteClient

FIXTURE_SITE = Path(__file__).resolve().parent / "fixtures" / "site"
LAST_MODIFIED = "Thu, 03 Nov 2016 09:30:00 GMT"


@dataclass
class Plan:
    """One planned answer to the next request of a path."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    drop_after: int | None = None
    delay: float = 0.0
    oversize: int | None = None
    send_length: bool = True


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


def render_pdf(text: str) -> bytes:
    """A one-page PDF with one line of text per line of ``text`` (deterministic bytes)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    y = 800
    for line in text.splitlines():
        pdf.drawString(60, y, line)
        y -= 16
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


class SiteServer:
    def __init__(self, root: Path = FIXTURE_SITE) -> None:
        self.root = root
        self.requests: list[Seen] = []
        self.bodies: dict[str, tuple[bytes, str]] = {}
        self.redirects: dict[str, str] = {}
        self.ignore_range = False
        self._plans: dict[str, list[Plan]] = {}
        self._pdfs: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.url = ""

    def plan(self, path: str, *plans: Plan) -> None:
        with self._lock:
            self._plans.setdefault(path, []).extend(plans)

    def next_plan(self, path: str) -> Plan | None:
        with self._lock:
            queue = self._plans.get(path)
            return queue.pop(0) if queue else None

    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]

    def content(self, path: str) -> tuple[bytes, str] | None:
        """The body and content type served at ``path``, or None (404)."""
        if path in self.bodies:
            return self.bodies[path]
        relative = path.lstrip("/")
        if ".." in Path(relative).parts:
            return None
        if path.endswith("/") or not relative:
            file = self.root / relative / "index.html"
            return (file.read_bytes(), "text/html; charset=utf-8") if file.is_file() else None
        if path.endswith(".pdf"):
            source = self.root / f"{relative}.txt"
            if not source.is_file():
                return None
            with self._lock:
                if path not in self._pdfs:
                    self._pdfs[path] = render_pdf(source.read_text(encoding="utf-8"))
                return self._pdfs[path], "application/pdf"
        file = self.root / relative
        if file.is_file():
            kind = "text/plain; charset=utf-8" if file.suffix == ".txt" else "text/html; charset=utf-8"
            return file.read_bytes(), kind
        return None


def _handler(site: SiteServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "FixtureSite/1.0"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            site.requests.append(Seen(path, {k.lower(): v for k, v in self.headers.items()}))
            plan = site.next_plan(path) or Plan()
            if plan.delay:
                time.sleep(plan.delay)
            if plan.status != 200:
                body = f"status {plan.status}".encode()
                self.send_response(plan.status)
                for name, value in plan.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            if plan.oversize is not None:
                self.send_response(200)
                self.send_header("Content-Type", "application/pdf")
                if plan.send_length:
                    self.send_header("Content-Length", str(plan.oversize))
                self.end_headers()
                chunk = b"%PDF-1.4\n" + b"0" * 65527
                sent = 0
                try:
                    while sent < plan.oversize:
                        piece = chunk[: plan.oversize - sent]
                        self.wfile.write(piece)
                        sent += len(piece)
                except OSError:  # the client hung up, as it should
                    pass
                return
            if path in site.redirects:
                self.send_response(301)
                self.send_header("Location", site.redirects[path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            found = site.content(path)
            if found is None:
                self.send_error(404)
                return
            body, kind = found
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            start = 0
            ranged = self.headers.get("Range", "")
            if_range = self.headers.get("If-Range")
            if ranged.startswith("bytes=") and not site.ignore_range and if_range in (None, etag, LAST_MODIFIED):
                start = int(ranged[6:].split("-")[0])
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
            part = body[start:]
            self.send_response(206 if start else 200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(part)))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", LAST_MODIFIED)
            self.send_header("Accept-Ranges", "bytes")
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            self.end_headers()
            if plan.drop_after is not None:
                self.wfile.write(part[: plan.drop_after])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            self.wfile.write(part)

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client hanging up mid-answer (timeouts, refusals) is expected here, not an error."""


@contextmanager
def serve_site(root: Path = FIXTURE_SITE) -> Iterator[SiteServer]:
    """Serve ``root`` on 127.0.0.1 (a free port) in a thread for the duration of the block."""
    site = SiteServer(root)
    server = _QuietServer(("127.0.0.1", 0), _handler(site))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class FakeClock:
    """A clock whose ``sleep`` advances time instantly and records each wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_client(site: SiteServer, **settings: Any) -> tuple[PoliteClient, FakeClock]:
    """A PoliteClient for ``site`` on a fake clock (no real waiting); no rate limit unless asked."""
    clock = FakeClock()
    values: dict[str, Any] = {"site_url": site.url, "min_interval": 0.0, **settings}
    return PoliteClient(FetchSettings(**values), clock=clock, sleep=clock.sleep), clock
