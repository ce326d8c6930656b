"""A polite HTTP client for bringing reports in: robots.txt, a rate limit per host, an identifying
User-Agent, retries with exponential backoff (honouring Retry-After) and typed, one-line errors
(``ingest.fetch_types``).

Standard library only (``http.client``): it gives separate connect and read timeouts, no silent
redirects to other schemes and no content decoding, which the downloader relies on to resume and
hash exactly the bytes the server sent.
"""

from __future__ import annotations

import email.utils
import http.client
import socket
import ssl
import time
import urllib.robotparser
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from email.message import Message
from urllib.parse import urljoin, urlsplit, urlunsplit

from ingest.fetch_types import (
    ConnectionDropped,
    FetchError,
    FetchSettings,
    FetchTimeout,
    HTTPStatusError,
    InvalidURL,
    NotFound,
    OfflineError,
    Progress,
    ProgressCallback,
    RateLimited,
    RequestRecord,
    RobotsDisallowed,
    ServerError,
    TooManyRedirects,
)

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_ACCEPT = "application/pdf, text/html;q=0.9, application/xhtml+xml;q=0.9, text/plain;q=0.8, */*;q=0.1"


class Response:
    """An open response. Read the body with :meth:`read`; close it (or use ``with``) when done."""

    def __init__(self, url: str, status: int, headers: Message, raw: http.client.HTTPResponse | None,
                 conn: http.client.HTTPConnection | None) -> None:
        self.url = url
        self.status = status
        self.headers = headers
        self._raw = raw
        self._conn = conn

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-cased ('' when not sent)."""
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        return self.headers.get_content_charset() if self.headers.get("Content-Type") else None

    @property
    def length(self) -> int | None:
        """Content-Length as a number, or None when absent or malformed."""
        raw = (self.headers.get("Content-Length") or "").strip()
        return int(raw) if raw.isdigit() else None

    def read(self, size: int = 65536) -> bytes:
        """Up to ``size`` bytes of the body; b"" at its end (or when the connection closed early)."""
        return self._raw.read(size) if self._raw is not None else b""

    def close(self) -> None:
        for closable in (self._raw, self._conn):
            try:
                if closable is not None:
                    closable.close()
            except OSError:
                pass
        self._raw = self._conn = None

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_url(url: str) -> str:
    """``url`` without its fragment, once it is an http(s) URL with a host.

    Raises:
        InvalidURL: another scheme, no host, or spaces/line breaks in it.
    """
    text = url.strip() if isinstance(url, str) else ""
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in text):
        raise InvalidURL(str(url), "is not a web address: give a full http:// or https:// URL")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise InvalidURL(text, "has an invalid port number: check the address") from None
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path or "/", parts.query, ""))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _retry_after(value: str | None, now: float) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now) if when is not None else None


@dataclass
class _Host:
    last_request: float | None = None
    robots: urllib.robotparser.RobotFileParser | None = None
    robots_read: bool = False


class PoliteClient:
    """Sends GET requests the way a well-behaved crawler does.

    One client keeps, per host, the time of its last request (for the rate limit) and the parsed
    robots.txt, so use one client for a whole batch (from one thread: it holds no locks). ``clock`` and ``sleep`` are injectable so a
    test can count waits without waiting; ``history`` records every request sent.
    """

    def __init__(self, settings: FetchSettings | None = None, *, progress: ProgressCallback | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings or FetchSettings()
        self.progress = progress
        self.clock = clock
        self.sleep = sleep
        self.history: list[RequestRecord] = []
        self._hosts: dict[str, _Host] = {}

    # ------------------------------------------------------------ public

    def open(self, url: str, headers: dict[str, str] | None = None, *, accept: Iterable[int] = ()) -> Response:
        """GET ``url``, following redirects, retrying 429/5xx, timeouts and drops before the headers.

        Args:
            url: an http(s) URL.
            headers: extra request headers (Range, If-None-Match, ...).
            accept: 4xx statuses to hand back instead of raising (the downloader takes 416).

        Returns:
            An open 2xx or 304 response (or one whose status is in ``accept``); ``response.url`` is the
            URL after redirects.

        Raises:
            FetchError: a subclass saying what went wrong (robots, offline, timeout, 404, 5xx, ...).
        """
        url = check_url(url)
        accepted = frozenset(accept)
        for _ in range(self.settings.max_redirects + 1):
            self._check_robots(url)
            response = self._with_retries(url, headers or {})
            if response.status in _REDIRECT_STATUSES and response.headers.get("Location"):
                location = response.headers["Location"]
                response.close()
                url = check_url(urljoin(url, location))
                continue
            if response.status < 400 or response.status in accepted:
                return response
            response.close()
            raise self._status_error(url, response.status)
        raise TooManyRedirects(url, f"redirected more than {self.settings.max_redirects} times: open the address "
                                    "in a browser and give the final one")

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets this client fetch ``url`` (True when robots are not honoured)."""
        try:
            self._check_robots(check_url(url))
        except RobotsDisallowed:
            return False
        return True

    def backoff(self, attempt: int, url: str, reason: str, seconds: float | None = None) -> None:
        """Wait before attempt ``attempt + 1``: ``seconds`` if given, else base × 2^attempt, capped."""
        delay = seconds if seconds is not None else min(self.settings.backoff_max,
                                                        self.settings.backoff_base * 2 ** attempt)
        self.report(Progress("retry", url, seconds=delay, detail=reason))
        self.sleep(delay)

    def report(self, event: Progress) -> None:
        """Pass ``event`` to the progress callback, if there is one."""
        if self.progress is not None:
            self.progress(event)

    # ------------------------------------------------------------ internals

    def _host(self, url: str) -> _Host:
        return self._hosts.setdefault(_origin(url), _Host())

    def _check_robots(self, url: str) -> None:
        if not self.settings.respect_robots:
            return
        host = self._host(url)
        if not host.robots_read:
            try:
                host.robots = self._read_robots(_origin(url) + "/robots.txt")
            except FetchError as exc:  # name the address asked for, not robots.txt
                raise type(exc)(url, exc.reason) from None
            host.robots_read = True
        if host.robots is not None and not host.robots.can_fetch(self.settings.agent, url):
            raise RobotsDisallowed(url, "the site's robots.txt asks crawlers not to fetch this: download it in "
                                        "a browser and add the file instead")

    def _read_robots(self, robots_url: str) -> urllib.robotparser.RobotFileParser | None:
        """The parsed robots.txt; None (everything allowed) when the site has none.

        As ``urllib.robotparser`` does: 401/403 disallow everything, other 4xx and 5xx allow everything.
        """
        self.report(Progress("robots", robots_url))
        parser = urllib.robotparser.RobotFileParser(robots_url)
        try:
            response = self._with_retries(robots_url, {})
        except (ServerError, RateLimited, FetchTimeout, ConnectionDropped):
            return None
        with response:
            if response.status in (401, 403):
                parser.disallow_all = True
                return parser
            if response.status != 200:
                return None
            body = self._read_capped(response, 512 * 1024)
        parser.parse(body.decode("utf-8", "replace").splitlines())
        return parser

    @staticmethod
    def _read_capped(response: Response, limit: int) -> bytes:
        chunks, size = [], 0
        while size < limit and (chunk := response.read(min(65536, limit - size))):
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)

    def _interval(self, url: str) -> float:
        interval = self.settings.min_interval
        host = self._host(url)
        if host.robots is not None:
            delay = host.robots.crawl_delay(self.settings.agent)
            if delay:
                interval = max(interval, float(delay))
        return interval

    def _wait_turn(self, url: str) -> None:
        host = self._host(url)
        if host.last_request is not None:
            wait = host.last_request + self._interval(url) - self.clock()
            if wait > 0:
                self.report(Progress("wait", url, seconds=wait))
                self.sleep(wait)
        host.last_request = self.clock()

    def _with_retries(self, url: str, headers: dict[str, str]) -> Response:
        retries = self.settings.retries
        for attempt in range(retries + 1):
            try:
                response = self._send(url, headers)
            except (FetchTimeout, ConnectionDropped) as exc:
                if attempt == retries:
                    raise
                self.backoff(attempt, url, exc.reason)
                continue
            if response.status not in _RETRY_STATUSES:
                return response
            asked = _retry_after(response.headers.get("Retry-After"), time.time())
            response.close()
            if asked is not None and asked > self.settings.max_retry_after:
                raise self._gave_up(url, response.status, f"asks us to wait {asked:.0f} s before trying again: "
                                                          "run the command again later")
            if attempt == retries:
                raise self._gave_up(url, response.status, f"still failing after {retries + 1} attempts: try "
                                                          "again later")
            self.backoff(attempt, url, f"HTTP {response.status}", asked)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _gave_up(url: str, status: int, message: str) -> FetchError:
        if status == 429:
            return RateLimited(url, f"the server says too many requests (HTTP 429) and {message}")
        return ServerError(url, f"the server failed (HTTP {status}) and is {message}")

    @staticmethod
    def _status_error(url: str, status: int) -> FetchError:
        if status in (404, 410):
            return NotFound(url, f"not found (HTTP {status}): check the address, or find the report's current "
                                 "page on the site")
        hint = {401: "it needs a login: download it in a browser and add the file",
                403: "access is refused: download it in a browser and add the file",
                }.get(status, "check the address")
        return HTTPStatusError(url, f"the server refused the request (HTTP {status}): {hint}", status)

    def _send(self, url: str, headers: dict[str, str]) -> Response:
        """One request, after waiting for this host's turn. Maps socket errors to FetchErrors."""
        parts = urlsplit(url)
        self._wait_turn(url)
        record = RequestRecord(url, self.clock())
        self.history.append(record)
        self.report(Progress("request", url))
        host = parts.hostname or ""
        if parts.scheme == "https":
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                host, parts.port, timeout=self.settings.connect_timeout, context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(host, parts.port, timeout=self.settings.connect_timeout)
        where = parts.netloc
        try:
            conn.connect()
        except socket.gaierror:
            conn.close()
            raise OfflineError(url, f"cannot find the host {host!r}: check your internet connection and the "
                                    "address") from None
        except TimeoutError:
            conn.close()
            raise FetchTimeout(url, f"no connection to {where} within {self.settings.connect_timeout:g} s: check "
                                    "your internet connection, or raise the connect timeout") from None
        except ssl.SSLError as exc:
            conn.close()
            raise FetchError(url, f"secure connection to {where} failed ({exc.reason or exc}): check the "
                                  "address and your system's certificates") from None
        except OSError as exc:  # refused, unreachable, reset during connect
            conn.close()
            raise OfflineError(url, f"cannot connect to {where} ({exc.strerror or type(exc).__name__}): check "
                                    "your internet connection and the address") from None
        assert conn.sock is not None
        conn.sock.settimeout(self.settings.read_timeout)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        sent = {"User-Agent": self.settings.agent, "Accept": _ACCEPT, "Accept-Encoding": "identity",
                "Connection": "close", **headers}
        try:
            conn.request("GET", target, headers=sent)
            raw = conn.getresponse()
        except TimeoutError:
            conn.close()
            raise FetchTimeout(url, f"no answer within {self.settings.read_timeout:g} s: try again later, or "
                                    "raise the read timeout") from None
        except (http.client.HTTPException, OSError) as exc:
            conn.close()
            raise ConnectionDropped(url, f"the connection closed before an answer ({type(exc).__name__}): try "
                                         "again later") from None
        self.history[-1] = replace(record, status=raw.status)
        return Response(url, raw.status, raw.msg, raw, conn)
