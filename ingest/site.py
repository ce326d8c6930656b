"""Find a force's reports on the inspectorate's public site.

The site (``FetchSettings.site_url``, by default https://hmicfrs.justiceinspectorates.gov.uk) is
organised the same way for every force:

- ``/police-forces/`` lists the forces; ``/police-forces/<slug>/`` is a force's page, listing its
  PEEL assessments and other inspections (older pages continue on ``.../page/2/``);
- ``/peel-assessments/peel-<year>/<slug>/`` (2014 to 2018/19) and ``/peel-reports/<slug>-2021-22/``
  (and ``-2023-25``) are PEEL pages: a report in HTML that also links its PDFs;
- ``/publications/<name>/`` is a publication's landing page: a summary and a "Download the full
  report" link to the PDF (on the site or its asset host); ``/publication-html/<name>/`` is a report
  published as a web page.

:func:`discover_reports` reads the force's page (found through the force list, so no slug needs
guessing), follows each PEEL or publication link once, and returns the documents it links:
every PDF, plus PEEL and HTML-report pages themselves. Links that are not report pages (news, about
us, search) are never followed; documents that name another force or no force (national reports
listed beside the force's own) are left out. All requests go through one :class:`PoliteClient`:
robots.txt, the rate limit and retries apply to discovery as to downloads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

from ingest.fetch_types import (
    FetchError,
    FetchSettings,
    NotFound,
    OfflineError,
    Progress,
    ProgressCallback,
    RobotsDisallowed,
)
from ingest.forces import canonical_force
from ingest.httpclient import PoliteClient
from ingest.metadata import REPORT_TYPES, resolve_report_type
from ingest.urlmeta import MetaHint, hint_from_url, hint_from_words, period_label

__all__ = ["Discovery", "ForcePageNotFound", "SiteDocument", "Skipped", "UnknownForce", "UnknownReportType",
           "discover_reports", "force_slug", "parse_years"]

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", ""})
_NEXT_TEXT = re.compile(r"^(?:next(?: page)?|older(?: posts)?|more)\s*[›»>]*$|^[›»]$", re.I)
_DOWNLOAD_TEXT = re.compile(r"\((?:pdf|html)[^)]*\)|\bpdf document\b|^download (?:the )?(?:full )?report\b[:\s–-]*",
                            re.I)
_FORCE_SUFFIX = re.compile(r"\s+(?:police service|police|constabulary)$", re.I)


class UnknownForce(ValueError):
    """The force asked for is not one we know."""


class UnknownReportType(ValueError):
    """A report type asked for is not one we know."""


class ForcePageNotFound(FetchError):
    """The site has no page for the force where its structure says there should be one."""


@dataclass(frozen=True)
class SiteDocument:
    """A report document found on the site, ready to download.

    Attributes:
        url: the document's address (a PDF, or a web page that is itself the report).
        title: the link's text or the page's heading.
        force: canonical name of the force it is about.
        year: first year of its period, when the address or title states one.
        year_to: last year of its period.
        report_type: a report type id guessed from the address and title, or None.
        format: "pdf" or "html", from the link (the download checks the bytes).
        found_on: the page that links it.
    """

    url: str
    title: str
    force: str
    year: int | None
    year_to: int | None
    report_type: str | None
    format: str
    found_on: str

    @property
    def period(self) -> str:
        return period_label(self.year, self.year_to)

    def hint(self) -> MetaHint:
        """What the site says about the document, to fill what its text leaves empty."""
        return MetaHint(url=self.url, force=self.force, year=self.year, year_to=self.year_to,
                        report_type=self.report_type, title=self.title or None)


@dataclass(frozen=True)
class Skipped:
    """A link discovery did not follow or a document it left out, and why."""

    url: str
    reason: str


@dataclass(frozen=True)
class Discovery:
    """The outcome of :func:`discover_reports`."""

    force: str
    force_page: str
    documents: tuple[SiteDocument, ...]
    skipped: tuple[Skipped, ...]
    pages_read: int


def force_slug(force: str) -> str:
    """The site's usual slug for a force: its name without Police/Constabulary, hyphenated ('norfolk',
    'metropolitan', 'avon-and-somerset'). Discovery uses it only when the force list cannot be read."""
    name = _FORCE_SUFFIX.sub("", canonical_force(force) or force).replace("&", "and")
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def parse_years(text: str) -> frozenset[int]:
    """Years from '2016', '2016,2018', '2016 2018' or '2014-2017' (both ends included).

    Raises:
        ValueError: something other than years and ranges; the message shows the accepted forms.
    """
    years: set[int] = set()
    for part in re.split(r"[,\s]+", text.strip()):
        if not part:
            continue
        match = re.fullmatch(r"((?:19|20)\d\d)(?:[-–]((?:19|20)\d\d))?", part)
        if not match or (match.group(2) and int(match.group(2)) < int(match.group(1))):
            raise ValueError(f"years {text!r}: write years like 2016, a list like 2016,2018 or a range like "
                             "2014-2017")
        years.update(range(int(match.group(1)), int(match.group(2) or match.group(1)) + 1))
    if not years:
        raise ValueError("no years given: write years like 2016, 2016,2018 or 2014-2017")
    return frozenset(years)


def _resolve_types(report_types: Iterable[str] | None) -> frozenset[str] | None:
    if report_types is None:
        return None
    resolved = set()
    for name in report_types:
        rtype = resolve_report_type(name)
        if rtype is None:
            raise UnknownReportType(f"report type {name!r} is not known: use one of {', '.join(REPORT_TYPES)}")
        resolved.add(rtype)
    return frozenset(resolved)


def _type_matches(rtype: str | None, wanted: frozenset[str] | None) -> bool:
    if wanted is None:
        return True
    if rtype is None:
        return False
    return rtype in wanted or ("peel" in wanted and rtype.startswith("peel"))


def _years_match(year: int | None, year_to: int | None, wanted: frozenset[int] | None) -> bool:
    if wanted is None:
        return True
    if year is None:
        return False
    return any(y in wanted for y in range(year, (year_to or year) + 1))


def _clean_title(text: str) -> str:
    return " ".join(_DOWNLOAD_TEXT.sub(" ", text).split()).strip(" –-:")


def _strip_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


class _Crawl:
    """One discovery run: the client, the budget, what was found and skipped."""

    def __init__(self, client: PoliteClient, force: str, years: frozenset[int] | None,
                 types: frozenset[str] | None) -> None:
        self.client, self.force, self.years, self.types = client, force, years, types
        self.base = client.settings.site_url.rstrip("/")
        self.site_host = urlsplit(self.base).netloc.lower()
        self.pages_read = 0
        self.documents: dict[str, SiteDocument] = {}
        self.skipped: dict[str, Skipped] = {}

    # ------------------------------------------------------------ reading pages

    def read_page(self, url: str) -> tuple[str, list[tuple[str, str]], str] | None:
        """(final URL, links as (absolute URL, text), heading) of an HTML page; None when over budget."""
        from bs4 import BeautifulSoup

        if self.pages_read >= self.client.settings.max_pages:
            self.skip(url, f"page limit of {self.client.settings.max_pages} reached: raise max_pages to read more")
            return None
        self.pages_read += 1
        self.client.report(Progress("page", url))
        with self.client.open(url) as response:
            if response.content_type not in _HTML_TYPES:
                self.skip(url, f"not a web page ({response.content_type})")
                return None
            limit = self.client.settings.max_page_bytes
            body = response.read(limit + 1)
            while len(body) <= limit and (more := response.read(limit + 1 - len(body))):
                body += more
            if len(body) > limit:
                self.skip(url, "page larger than max_page_bytes")
                return None
            final, charset = response.url, response.charset
        soup = BeautifulSoup(body.decode(charset or "utf-8", "replace"), "lxml")
        links = []
        for anchor in soup.find_all("a", href=True):
            href = str(anchor["href"]).strip()
            if not href or href.startswith(("#", "mailto:", "javascript:", "tel:")):
                continue
            target = _strip_fragment(urljoin(final, href))
            if urlsplit(target).scheme in ("http", "https"):
                rel = anchor.get("rel") or []
                text = " ".join(anchor.get_text(" ", strip=True).split())
                links.append((target, "next" if "next" in rel else text))
        heading = soup.find("h1")
        title = " ".join(heading.get_text(" ", strip=True).split()) if heading else ""
        return final, links, title

    def skip(self, url: str, reason: str) -> None:
        if url not in self.skipped and url not in self.documents:
            self.skipped[url] = Skipped(url, reason)
            self.client.report(Progress("skip", url, detail=reason))

    # ------------------------------------------------------------ classifying

    def on_site(self, url: str) -> bool:
        return urlsplit(url).netloc.lower() == self.site_host

    @staticmethod
    def kind(url: str) -> str | None:
        path = urlsplit(url).path.lower()
        if path.endswith(".pdf"):
            return "pdf"
        if re.search(r"/peel-assessments/peel-\d{4}[^/]*/[^/]+/?$|/peel-reports/[^/]+-\d{4}[^/]*/?$", path):
            return "peel"
        if re.search(r"/publication-html/[^/]+/?$", path):
            return "html_report"
        if re.search(r"/publications/[^/]+/?$", path):
            return "publication"
        return None

    def wanted(self, url: str, hint: MetaHint, *, page: bool = False) -> str | None:
        """Why a link or document is not wanted (another force, outside the years or types), or None.

        A PEEL page (``page``) may hold the reports of single pillars, so it is wanted for any PEEL type.
        """
        if hint.force is not None and hint.force != self.force:
            return f"about {hint.force}"
        if hint.year is not None and not _years_match(hint.year, hint.year_to, self.years):
            return f"period {hint.period} is outside the years asked for"
        if hint.report_type is not None and not _type_matches(hint.report_type, self.types):
            holds_pillars = page and hint.report_type == "peel" and any(t.startswith("peel") for t in self.types or ())
            if not holds_pillars:
                return f"type {hint.report_type} is not among the types asked for"
        return None

    def add(self, url: str, title: str, hint: MetaHint, fmt: str, found_on: str) -> None:
        """Keep a document when it is this force's and matches the filters; else record why not."""
        if hint.force is None:
            self.skip(url, "names no force: a national or thematic report")
            return
        if (reason := self.wanted(url, hint)) is not None:
            self.skip(url, reason)
            return
        if not _years_match(hint.year, hint.year_to, self.years):
            self.skip(url, "states no year, and years were asked for")
            return
        if not _type_matches(hint.report_type, self.types):
            self.skip(url, "type not recognised, and types were asked for")
            return
        if self.on_site(url) and not self.client.allowed(url):
            self.skip(url, "disallowed by robots.txt")
            return
        self.skipped.pop(url, None)
        self.documents.setdefault(url, SiteDocument(
            url=url, title=title, force=self.force, year=hint.year, year_to=hint.year_to,
            report_type=hint.report_type, format=fmt, found_on=found_on))

    # ------------------------------------------------------------ the walk

    def report_page(self, url: str, link_hint: MetaHint) -> None:
        """Collect the documents a PEEL or publication page holds or links."""
        try:
            page = self.read_page(url)
        except (OfflineError, ForcePageNotFound):
            raise
        except FetchError as exc:
            self.skip(url, exc.reason)
            return
        if page is None:
            return
        final, links, heading = page
        page_hint = hint_from_url(final).merged(hint_from_words(heading)).merged(link_hint)
        kind = self.kind(final)
        found = 0
        for target, text in links:
            target_kind = self.kind(target)
            if target_kind not in ("pdf", "html_report") or target == final:
                continue
            own = hint_from_url(target).merged(hint_from_words(text))
            if own.report_type == "thematic" or (own.force is not None and own.force != self.force):
                self.skip(target, "a national report or another force's")
                continue
            self.add(target, _clean_title(text) or heading, own.merged(page_hint), target_kind.replace(
                "html_report", "html"), final)
            found += 1
        if kind in ("peel", "html_report"):
            self.add(final, heading, page_hint, "html", final)
        elif not found:
            self.skip(final, "no report document linked from the page")

    def walk(self, force_page: str) -> None:
        pending, seen = [force_page], {force_page}
        while pending:
            listing = pending.pop(0)
            try:
                page = self.read_page(listing)
            except NotFound:
                if listing == force_page:
                    raise ForcePageNotFound(force_page, f"the site has no page for {self.force} here: check "
                                                        "site_url, or open the site's police forces page in a "
                                                        "browser") from None
                self.skip(listing, "listing page not found")
                continue
            except OfflineError:
                raise
            except FetchError as exc:
                if listing == force_page:
                    raise
                self.skip(listing, exc.reason)
                continue
            if page is None:
                continue
            final, links, _ = page
            for target, text in links:
                kind = self.kind(target)
                if kind is None:
                    next_page = (text == "next" or _NEXT_TEXT.match(text)) and self.on_site(target) and \
                        urlsplit(target).path.startswith(urlsplit(force_page).path)
                    if next_page and target not in seen:
                        seen.add(target)
                        pending.append(target)
                    continue
                hint = hint_from_url(target).merged(hint_from_words(text))
                if kind == "pdf":
                    self.add(target, _clean_title(text), hint, "pdf", final)
                    continue
                if target in seen:
                    continue
                seen.add(target)
                if (reason := self.wanted(target, hint, page=True)) is not None:
                    self.skip(target, reason)
                    continue
                if self.on_site(target) and not self.client.allowed(target):
                    self.skip(target, "disallowed by robots.txt")
                    continue
                self.report_page(target, hint)


def _find_force_page(crawl: _Crawl) -> str:
    """The force's page, from the site's list of forces; the usual slug when the list cannot be read."""
    index = f"{crawl.base}/police-forces/"
    try:
        page = crawl.read_page(index)
    except (NotFound, RobotsDisallowed):
        page = None
    if page is not None:
        _, links, _ = page
        for target, text in links:
            match = re.search(r"/police-forces/([a-z0-9-]+)/?$", urlsplit(target).path.lower())
            if match and crawl.force in (canonical_force(text) if text else None, hint_from_url(target).force):
                return target
    return f"{crawl.base}/police-forces/{force_slug(crawl.force)}/"


def discover_reports(force: str, *, years: Iterable[int] | None = None, report_types: Iterable[str] | None = None,
                     client: PoliteClient | None = None, settings: FetchSettings | None = None,
                     progress: ProgressCallback | None = None) -> Discovery:
    """The documents of ``force``'s reports on the site, optionally only some years and types.

    Args:
        force: a force's canonical name or any alias ('Norfolk', 'the Met').
        years: keep documents whose period overlaps any of these years (None: all years).
        report_types: keep these report types, ids or labels ('peel' also keeps peel_effectiveness and
            the other pillars; None: all types).
        client: a client shared with the downloads that follow (its settings rule).
        settings: used to make a client when none is given.
        progress: called with each step when no client is given.

    Returns:
        The documents found (sorted by period, then address) and every link left out, with why.

    Raises:
        UnknownForce, UnknownReportType: the force or a type is not known (message lists the fix).
        ForcePageNotFound: the site has no page for the force.
        FetchError: the force page could not be read (offline, robots, 5xx, ...).
    """
    canonical = canonical_force(force) if isinstance(force, str) else None
    if canonical is None:
        raise UnknownForce(f"force {force!r} is not a police force we know: give a name such as 'Norfolk "
                           "Constabulary' or 'Norfolk'")
    wanted_years = frozenset(years) if years is not None else None
    crawl = _Crawl(client or PoliteClient(settings, progress=progress), canonical, wanted_years,
                   _resolve_types(report_types))
    force_page = _find_force_page(crawl)
    crawl.walk(force_page)
    documents = sorted(crawl.documents.values(), key=lambda d: (d.year or 0, d.year_to or 0, d.url))
    return Discovery(force=canonical, force_page=force_page, documents=tuple(documents),
                     skipped=tuple(crawl.skipped.values()), pages_read=crawl.pages_read)
