"""Typed values for bringing reports in over the web: the fetch settings, progress events, request
records and the errors every fetch step raises.

Every failure is a :class:`FetchError` (an :class:`~ingest.types.IngestError`, so a batch that
collects ingest errors per item collects these too) whose one-line message names the URL and says
what to do next.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ingest.types import IngestError

DEFAULT_SITE_URL = "https://hmicfrs.justiceinspectorates.gov.uk"
"""The inspectorate's public site; discovery starts here unless ``FetchSettings.site_url`` says otherwise."""

_MB = 1024 * 1024


# ---------------------------------------------------------------- errors


class FetchError(IngestError):
    """A URL could not be fetched. ``source`` is the URL; the message says what to do next."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(url, message)
        self.url = url


class InvalidURL(FetchError):
    """Not an http(s) URL with a host."""


class OfflineError(FetchError):
    """The host's name did not resolve or the connection was refused: no network, or a wrong address."""


class FetchTimeout(FetchError):
    """Connecting or reading took longer than the timeout, on every attempt."""


class NotFound(FetchError):
    """404 Not Found or 410 Gone."""


class HTTPStatusError(FetchError):
    """Another 4xx answer (401, 403, 405, ...). ``status`` holds the code."""

    def __init__(self, url: str, message: str, status: int) -> None:
        super().__init__(url, message)
        self.status = status


class ServerError(FetchError):
    """5xx answers on every attempt."""


class RateLimited(FetchError):
    """429 Too Many Requests on every attempt, or a Retry-After longer than we are willing to wait."""


class TooLarge(FetchError):
    """The body is larger than ``FetchSettings.max_bytes`` (from Content-Length, or while streaming)."""


class UnsupportedType(FetchError):
    """The body is not a PDF, an HTML page or plain text."""


class RobotsDisallowed(FetchError):
    """The site's robots.txt asks crawlers not to fetch this path."""


class TooManyRedirects(FetchError):
    """More redirects than ``FetchSettings.max_redirects``."""


class ConnectionDropped(FetchError):
    """The connection closed mid-body on every attempt; the part received is kept to resume from."""


class SettingsError(ValueError):
    """A fetch setting is out of range; the message names it and the allowed values."""


# ---------------------------------------------------------------- settings


def _package_version() -> str:
    try:
        from importlib.metadata import version

        return version("inspectqa")
    except Exception:  # not installed (running from a source tree)
        return "0"


@dataclass(frozen=True)
class FetchSettings:
    """Everything that governs fetching, with its default. Validated on creation.

    Attributes:
        site_url: base URL of the inspectorate's site, where discovery starts (tests use a local server).
        contact: an e-mail address or URL put in the User-Agent so site owners can reach the operator.
        user_agent: the whole User-Agent, replacing the one built from ``contact`` when set.
        connect_timeout: seconds to wait for a connection (and TLS handshake).
        read_timeout: seconds to wait for any bytes once connected.
        max_bytes: largest document downloaded; refused from Content-Length or while streaming.
        max_page_bytes: largest listing page read during discovery.
        min_interval: seconds between two requests to one host (robots.txt Crawl-delay wins when longer).
        retries: further attempts after a 429, a 5xx, a timeout or a dropped connection.
        backoff_base: first wait between attempts in seconds; doubles on each further attempt.
        backoff_max: longest wait between attempts when the server does not say.
        max_retry_after: longest Retry-After we wait for; a longer one is reported, not waited out.
        max_redirects: redirects followed per request.
        respect_robots: honour robots.txt (on by default; turn off only for your own server).
        revalidate: ask the server whether a cached URL changed (ETag / Last-Modified) instead of
            serving the cache without a request.
        max_pages: pages discovery may read for one force (listing pages and report pages).
    """

    site_url: str = DEFAULT_SITE_URL
    contact: str = ""
    user_agent: str = ""
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_bytes: int = 50 * _MB
    max_page_bytes: int = 5 * _MB
    min_interval: float = 1.0
    retries: int = 3
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    max_retry_after: float = 300.0
    max_redirects: int = 5
    respect_robots: bool = True
    revalidate: bool = True
    max_pages: int = 80

    def __post_init__(self) -> None:
        parts = urlsplit(self.site_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(f"site_url {self.site_url!r} is not an http(s) URL: give one such as "
                                f"{DEFAULT_SITE_URL}")
        for name in ("connect_timeout", "read_timeout", "backoff_base", "backoff_max", "max_retry_after"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise SettingsError(f"{name} is {value!r}: give a positive number of seconds")
        if not (math.isfinite(self.min_interval) and self.min_interval >= 0):
            raise SettingsError(f"min_interval is {self.min_interval!r}: give 0 or more seconds")
        for name in ("max_bytes", "max_page_bytes", "max_pages"):
            if not (isinstance(getattr(self, name), int) and getattr(self, name) > 0):
                raise SettingsError(f"{name} is {getattr(self, name)!r}: give a positive whole number")
        for name in ("retries", "max_redirects"):
            if not (isinstance(getattr(self, name), int) and getattr(self, name) >= 0):
                raise SettingsError(f"{name} is {getattr(self, name)!r}: give 0 or a positive whole number")
        if any(c in self.contact + self.user_agent for c in "\r\n"):
            raise SettingsError("contact and user_agent must be one line: remove the line break")

    @property
    def agent(self) -> str:
        """The User-Agent sent with every request: names InspectQA, its version and the contact."""
        if self.user_agent:
            return self.user_agent
        contact = f"+{self.contact}" if self.contact else "no contact set"
        return f"InspectQA/{_package_version()} (police inspection report search; {contact})"

    @classmethod
    def from_env(cls, **overrides: Any) -> FetchSettings:
        """Defaults, then the environment, then ``overrides``.

        Reads INSPECTQA_SITE_URL, INSPECTQA_CONTACT, INSPECTQA_FETCH_INTERVAL (seconds between requests
        to one host) and INSPECTQA_MAX_FILE_MB (shared with the file reader).

        Raises:
            SettingsError: a variable is not a number where one is needed, or a value is out of range.
        """
        values: dict[str, Any] = {}
        if site := os.environ.get("INSPECTQA_SITE_URL"):
            values["site_url"] = site
        if contact := os.environ.get("INSPECTQA_CONTACT"):
            values["contact"] = contact
        for var, name, convert in (("INSPECTQA_FETCH_INTERVAL", "min_interval", float),
                                   ("INSPECTQA_MAX_FILE_MB", "max_bytes", lambda v: int(float(v) * _MB))):
            if (raw := os.environ.get(var)) is not None:
                try:
                    values[name] = convert(raw)
                except ValueError:
                    raise SettingsError(f"{var}={raw!r} is not a number: set it to a number or unset it") from None
        values.update(overrides)
        return cls(**values)




@dataclass(frozen=True)
class Progress:
    """One step of fetching, for a progress display.

    ``stage`` is one of: "robots" (reading a site's robots.txt), "wait" (rate limit; ``seconds``),
    "request", "retry" (``seconds`` until the next attempt, ``detail`` why), "download" (``done`` of
    ``total`` bytes), "cached" (served from or confirmed by the cache), "done", "skip" (``detail`` why),
    "page" (discovery read a page).
    """

    stage: str
    url: str
    done: int = 0
    total: int | None = None
    seconds: float = 0.0
    detail: str = ""


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class RequestRecord:
    """One request sent: when (on the client's clock), to what, and the status it got (0: none)."""

    url: str
    at: float
    status: int = 0
