"""The inspection period of one document, from what its title, opening paragraphs and dates say.

``ingest.dates`` reads periods and dates as they are written; this module decides which of them is
the document's own inspection period (docs/ingest-metadata.md, section 4). In order:

1. the period the title (or the subject line of a panel paper) names; a single year there is the
   first year of a longer PEEL cycle when the title says 'PEEL' and the year a cycle starts
   (``ingest.dates.PEEL_CYCLES``: 'Cheshire PEEL 2018' is 2018/19), or when the opening paragraphs
   name that cycle for the inspection ('not inspected in detail in 2018/19');
2. a 'PEEL … <period>' in the first paragraphs (not for letters);
3. the year of a letter's date or of the first date on the cover, the copyright year, a release
   number's year or the publication year; the period starts a year earlier when the inspectors'
   own work ('our fieldwork took place …', 'HMIC visited every force between …') was done then. A
   news release or panel paper discusses a report: when all that report's fieldwork was the year
   before, that year alone is the period. A text dated by none of these takes the latest year of
   its fieldwork;
4. else the period the text most often names for an inspection or report.

A follow-up (a post-inspection review or re-inspection) covers the inspection it follows as well as
its own work: its period starts at the year of that inspection when the opening names it ('Our 2022
inspection', 'In January 2017 we inspected the force') within ``PeriodSettings.follow_up_years``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.dates import MONTH_RE, PEEL_CYCLES, Period, fieldwork_years, find_periods, parse_period, report_year_period, year_of
from ingest.textutil import sentence_spans


@dataclass(frozen=True)
class PeriodSettings:
    """How far the readings of a document's period look."""

    follow_up_years: int = 3
    """A follow-up names the inspection it follows at most this many years before its own year."""
    opening_chars: int = 3000
    """A follow-up names the inspection it follows in this many first characters of its text."""
    cycle_context_chars: int = 30
    """A PEEL cycle ('2018/19') counts when an inspection word stands this close before or after it."""


SETTINGS = PeriodSettings()

_COPYRIGHT_RE = re.compile(r"^(?:©|\(c\)|crown copyright)\s*(?:[A-Za-z&' ]+\s)?((?:19|20)\d\d)", re.I)
_LEAD_PEEL_PERIOD_RE = re.compile(
    r"\bPEEL\b[^.\n]{0,120}?(?<![\d/#])((?:19|20)\d\d(?:\s*[/–-]\s*\d\d(?:\d\d)?)?)", re.I)
_PEEL_RE = re.compile(r"\bPEEL\b")
_CYCLE_BEFORE_RE = re.compile(r"\b(?:PEEL|inspect(?:ion|ed)s?|assessments?)\b(?![^.\n]*\bprogrammes?\b)[^.\n]*$", re.I)
_CYCLE_AFTER_RE = re.compile(r"^\s*(?:PEEL\s+)?(?:inspections?|assessments?|reports?|cycle)\b(?!\s+programmes?\b)", re.I)
_FOLLOW_UP_RE = re.compile(r"\bpost[-‐‑ ]inspection review\b|\bre[-‐‑]?inspection\b", re.I)
_EARLIER_AFTER_RE = re.compile(r"^\s+(?:[\w-]+\s+){0,4}?(?:inspection|report)\b", re.I)
_INSPECTED_RE = re.compile(r"\binspect(?:ed|ion)\b", re.I)
_MONTH_YEAR_RE = re.compile(rf"\b{MONTH_RE}\s+((?:19|20)\d\d)\b", re.I)


def _cycle(lead: str, year: int, settings: PeriodSettings) -> Period | None:
    """The PEEL cycle of several years starting in ``year`` that the first paragraphs name for an
    inspection ('PEEL 2018/19', 'not subject to detailed inspection in 2018/19', 'the 2018/19
    assessment'); never an inspection programme's business year ('our 2016/17 inspection programme')."""
    width = settings.cycle_context_chars
    for period, start, end in find_periods(lead):
        if period.year_from == year and period.year_to > year and (
                _CYCLE_BEFORE_RE.search(lead[max(0, start - width):start])
                or _CYCLE_AFTER_RE.match(lead[end:end + width])):
            return period
    return None


def _earlier_inspection(text: str, year: int, settings: PeriodSettings) -> int | None:
    """The year of the inspection a follow-up follows, as its opening names it: 'Our 2022 inspection',
    'the 2017 report', 'In January 2017 we inspected the force'; the latest such year before
    ``year`` and no more than ``settings.follow_up_years`` before it."""
    opening = text[:settings.opening_chars]
    found: set[int] = set()
    for period, _, end in find_periods(opening):
        if period.year_from == period.year_to and _EARLIER_AFTER_RE.match(opening[end:end + 60]):
            found.add(period.year_from)
    for start, end in sentence_spans(opening):
        sentence = opening[start:end]
        if _INSPECTED_RE.search(sentence):
            found.update(int(m.group(1)) for m in _MONTH_YEAR_RE.finditer(sentence))
    earlier = [y for y in found if year - settings.follow_up_years <= y < year]
    return max(earlier) if earlier else None


def _dated(text: str, year: int | None, discusses: bool) -> Period | None:
    """The period of a document dated ``year`` (None: not dated), from when its fieldwork was done."""
    work = fieldwork_years(text)
    if not year:
        return Period(max(work), max(work)) if work else None
    if discusses and work and all(y == year - 1 for y in work):  # a release about last year's inspection
        return Period(year - 1, year - 1)
    return Period(year - 1 if year - 1 in work else year, year)


def inspection_period(text: str, title: str, lead: str | None, subject: str | None, lines: list[str],
                      first_date_year: int | None, published: str | None, release_year: int | None, *,
                      discusses: bool = False, settings: PeriodSettings = SETTINGS) -> Period | None:
    """The inspection period of a document (module docstring), or None when nothing dates it.

    Args:
        text: the document's text.
        title: its title; ``subject``: a panel paper's item line (or None).
        lead: its first paragraphs, or None for a letter (whose opening recalls earlier work).
        lines: its cover or front lines (for a copyright line).
        first_date_year: the year of a letter's date or of the first date on the cover.
        published: its publication date (ISO); ``release_year``: a release number's year.
        discusses: a news release or panel paper, which discusses another report.
    """
    found = None
    for place in (title, subject or ""):
        if found := parse_period(place):
            year = found.year_from
            if found.year_to == year and re.search(rf"\bPEEL\s+{year}\b(?!\s*[/–-]\s*\d)", title) and year in PEEL_CYCLES:
                found = Period(year, PEEL_CYCLES[year])  # 'Kent PEEL 2018': the 2018/19 cycle
            elif found.year_to == year and lead and (_PEEL_RE.search(title) or _PEEL_RE.search(lead)):
                found = _cycle(lead, year, settings) or found
            break
    if found is None and (peel := _LEAD_PEEL_PERIOD_RE.search(lead or "")):
        found = parse_period(peel.group(1))
    if found is None:
        year = first_date_year or next((int(m.group(1)) for line in lines if (m := _COPYRIGHT_RE.match(line))), None)
        found = _dated(text, year or release_year or year_of(published), discusses) or report_year_period(text)
    if found and _FOLLOW_UP_RE.search(title + "\n" + (lead or text)[:settings.opening_chars // 2]):
        if (earlier := _earlier_inspection(text, found.year_from, settings)) is not None:
            found = Period(earlier, found.year_to)
    return found
