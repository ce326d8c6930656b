"""What a report's address (or a link's text) says about it: force, period and report type.

The inspectorate's site names its pages systematically, so a URL often says what the text of a
saved page no longer does (its heading lost among navigation lines, a PDF with a bare cover):

    /peel-assessments/peel-2016/norfolk/            Norfolk Constabulary, 2016, PEEL
    /peel-assessments/peel-2016/norfolk/efficiency/  ... PEEL efficiency
    /peel-assessments/peel-2018/norfolk/            2018/19 (the integrated PEEL assessment)
    /peel-reports/norfolk-2021-22/                  2021/22, PEEL (also -2023-25)
    /police-forces/norfolk/                         the force's page: force only
    /publications/peel-police-effectiveness-2016-norfolk/, .../uploads/<name>.pdf
                                                    read from the words of the last segment

Older addresses carry a ``/hmic/`` or ``/hmicfrs/`` prefix on www.justiceinspectorates.gov.uk; the
shapes are matched anywhere in the path, so both forms read alike.

A :class:`MetaHint` only fills what the text left empty (:func:`apply_hint`); detection from the
text and overrides (``ingest.overrides``) always win over it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from ingest.dates import find_periods, format_period, period_of
from ingest.forces import canonical_force, find_forces
from ingest.types import ReportMeta

__all__ = ["MetaHint", "apply_hint", "hint_from_url", "hint_from_words", "period_label"]

_PILLARS = ("effectiveness", "efficiency", "legitimacy", "leadership")
_PEEL_PAGE = re.compile(r"/peel-assessments/peel-(?P<year>(?:19|20)\d\d)(?:-(?P<to>\d\d))?/(?P<slug>[a-z0-9-]+)"
                        r"(?:/(?P<pillar>[a-z-]+))?/?$")
_PEEL_REPORT = re.compile(r"/peel-reports/(?P<slug>[a-z0-9-]+?)-(?P<year>(?:19|20)\d\d)(?:-(?P<to>\d\d(?:\d\d)?))?"
                          r"(?:/[a-z0-9-]+)?/?$")
_FORCE_PAGE = re.compile(r"/police-forces/(?P<slug>[a-z0-9-]+)(?:/page/\d+)?/?$")
_SLUG_PERIOD = re.compile(r"(?<![\d])((?:19|20)\d\d)[-_]((?:19|20)?\d\d)(?![\d])")

INTEGRATED_PEEL_YEAR = 2018
"""The site files the integrated PEEL assessment of 2018/19 under ``peel-2018``: a two-year period."""


@dataclass(frozen=True)
class MetaHint:
    """Metadata suggested by where a report came from, used only where the text is silent.

    Attributes:
        url: the address the report was fetched from (kept as its source URL).
        force: canonical force name, or None.
        year: first year of the period, or None.
        year_to: last year of the period (equal to ``year`` for a single year), or None.
        report_type: a report type id (``ingest.metadata.REPORT_TYPES``), or None.
        title: a title given by the site (a link's text), or None.
    """

    url: str | None = None
    force: str | None = None
    year: int | None = None
    year_to: int | None = None
    report_type: str | None = None
    title: str | None = None

    def merged(self, other: MetaHint) -> MetaHint:
        """This hint with its empty fields filled from ``other`` (a period is taken whole)."""
        values = {f.name: getattr(self, f.name) if getattr(self, f.name) is not None else getattr(other, f.name)
                  for f in fields(self) if f.name not in ("year", "year_to")}
        period = (self.year, self.year_to) if self.year is not None else (other.year, other.year_to)
        return MetaHint(**values, year=period[0], year_to=period[1])

    @property
    def period(self) -> str:
        return period_label(self.year, self.year_to)


period_label = format_period
"""'2016', '2021/22', '2023–25' or '' (``ingest.dates.format_period``)."""


def _period(year: str, to: str | None) -> tuple[int, int]:
    """(first, last) year from '2018' and '19' / '2019' / None (``ingest.dates.period_of``)."""
    period = period_of(year, to)
    return period.year_from, period.year_to


def _slug_force(slug: str) -> str | None:
    """The force a URL segment names ('norfolk', 'avon-and-somerset', 'metropolitan'), or None."""
    words = slug.replace("-", " ").replace("_", " ").strip()
    if not words:
        return None
    # 'metropolitan' is the Metropolitan Police Service with its suffix dropped, as the site writes it
    return canonical_force(words) or canonical_force(f"{words} police") or _one_force(words)


def _one_force(text: str) -> str | None:
    """The single force ``text`` names (full names preferred); None for none or several."""
    found = find_forces(text)
    named = {m.force for m in found if m.full_name} or {m.force for m in found}
    return next(iter(named)) if len(named) == 1 else None


def _report_type(words: str) -> str | None:
    """Report type from title or slug words, by the names the inspectorate gives its report families."""
    t = f" {words.lower()} "
    if re.search(r"\bnational (?:overview|report|thematic|inspection)\b|state of policing|\bthematic\b", t):
        return "thematic"
    if "custody" in t:
        return "custody"
    if re.search(r"crime[- ]data[- ]integrity|crime[- ]recording|\bdata integrity\b", t):
        return "crime_data_integrity"
    if re.search(r"\bpeel\b|police (?:effectiveness|efficiency|legitimacy|leadership)", t):
        if "vulnerability" in t:
            return "vulnerability"
        pillars = [p for p in _PILLARS if re.search(rf"\b{p}\b", t)]
        return f"peel_{pillars[0]}" if len(pillars) == 1 else "peel"
    if re.search(r"vulnerab|domestic abuse|child protection|missing children|sexual exploitation", t):
        return "vulnerability"
    if re.search(r"core business|crime inspection", t):
        return "crime_inspection"
    if re.search(r"\bletter\b", t):
        return "letter"
    return None


def hint_from_words(text: str, *, url: str | None = None) -> MetaHint:
    """Force, period and report type from a title, a link's text or a URL segment's words.

    'PEEL: Police effectiveness 2016 – Norfolk Constabulary' and 'peel-police-effectiveness-2016-norfolk'
    both give Norfolk Constabulary, 2016, peel_effectiveness. Periods are read as in a report's text
    (``ingest.dates.find_periods``): '2018/19', '2023-25', '2021 to 2022'; a slug's '2018-19' too.
    """
    words = " ".join(re.sub(r"[-_+]+", " ", _SLUG_PERIOD.sub(r"\1/\2", text)).split())
    periods = find_periods(words)
    period = periods[0][0] if periods else None
    return MetaHint(url=url, force=_one_force(words), year=period.year_from if period else None,
                    year_to=period.year_to if period else None, report_type=_report_type(words))


def hint_from_url(url: str) -> MetaHint:
    """What the address of a report on the inspectorate's site says about it (see the module doc).

    Any other address is read from the words of its last path segment, which finds what a descriptive
    file name states ('norfolk-crime-data-integrity-2016.pdf') and nothing from an opaque one.
    """
    path = unquote(urlsplit(url).path).lower()
    if match := _PEEL_PAGE.search(path):
        to = match.group("to") or ("19" if int(match.group("year")) == INTEGRATED_PEEL_YEAR else None)
        first, last = _period(match.group("year"), to)
        pillar = match.group("pillar")
        rtype = f"peel_{pillar}" if pillar in _PILLARS else "peel"
        return MetaHint(url=url, force=_slug_force(match.group("slug")), year=first, year_to=last, report_type=rtype)
    if match := _PEEL_REPORT.search(path):
        first, last = _period(match.group("year"), match.group("to"))
        return MetaHint(url=url, force=_slug_force(match.group("slug")), year=first, year_to=last,
                        report_type="peel")
    if match := _FORCE_PAGE.search(path):
        return MetaHint(url=url, force=_slug_force(match.group("slug")))
    segment = PurePosixPath(path.rstrip("/")).name
    stem = re.sub(r"\.(?:pdf|html?|txt)$", "", segment)
    return hint_from_words(stem, url=url) if stem else MetaHint(url=url)


_GENERIC_TITLES = frozenset({"", "untitled report"})


def apply_hint(meta: ReportMeta, hint: MetaHint) -> ReportMeta:
    """``meta`` with the fields its text left empty filled from ``hint``; what the text found stays.

    Fills: force when None; year (and ``year_to`` when ReportMeta has it) when year is None; the
    report type when it is 'other', or 'thematic' only because no force was found (the hint's force
    now says otherwise); the title when empty; ``url`` when ReportMeta has that field and it is empty.
    """
    names = {f.name for f in fields(meta)}
    values: dict[str, object] = {}
    if meta.force is None and hint.force:
        values["force"] = hint.force
    if meta.year is None and hint.year is not None:
        values["year"] = hint.year
        if "year_to" in names:
            values["year_to"] = hint.year_to if hint.year_to is not None else hint.year
    if hint.report_type and (meta.report_type == "other" or (meta.report_type == "thematic" and "force" in values)):
        values["report_type"] = hint.report_type
    if hint.title and meta.title.strip().lower() in _GENERIC_TITLES:
        values["title"] = hint.title
    if hint.url and "url" in names and not getattr(meta, "url", None):
        values["url"] = hint.url
    return replace(meta, **values) if values else meta
