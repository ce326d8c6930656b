"""Inspection periods and dates as reports print them.

A report covers an inspection *period* of one or more whole years, ``year_from..year_to``
inclusive: 'PEEL 2016' is 2016–2016, 'PEEL 2018/19' and 'PEEL 2021/22' two years, 'PEEL 2023–2025'
(or '2023–25') three. A *date* (a letter's date, 'Published: 12 March 2019', 'Last updated
03/11/2016') says when a text was published, which is often the year after the inspection.

Numeric dates are read in UK order, day first: '03/11/2016' is 3 November 2016.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

from ingest.textutil import sentence_spans

MAX_PERIOD_YEARS = 4
"""'2015-2022' is two years named in passing, not one inspection period: periods span at most this many years."""
MAX_STATED_YEARS = 11
"""A period a person states in a correction ('2014 to 2024') may span this many years."""
PEEL_CYCLES: dict[int, int] = {2018: 2019, 2021: 2022, 2023: 2025}
"""Since 2018 PEEL runs in cycles of several years: first year -> last ('PEEL 2018' is PEEL 2018/19)."""
FIRST_YEAR, LAST_YEAR = 1990, 2100
"""Years a correction may state."""

_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december")
MONTHS: dict[str, int] = {m: i for i, m in enumerate(_MONTH_NAMES, start=1)} | {
    m[:3]: i for i, m in enumerate(_MONTH_NAMES, start=1)} | {"sept": 9}
MONTH_RE = r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
_DAY_RE = r"\d{1,2}(?:st|nd|rd|th)?"
DATE_RE = re.compile(  # '3 September 2014', 'February 2016', and ranges '12–23 March 2018', '28 Feb – 9 March 2018'
    rf"(?<![\w])(?P<range>{_DAY_RE}(?:\s+{MONTH_RE}(?:\s+(?:19|20)\d\d)?)?\s*(?:[–—-]|to)\s*)?"
    rf"(?:(?P<day>{_DAY_RE})\s+)?(?P<month>{MONTH_RE})\s+(?P<year>(?:19|20)\d\d)\b", re.I)
_NUMERIC_DATE_RE = re.compile(r"(?<![\d/])(\d{1,2})[/.](\d{1,2})[/.]((?:19|20)\d\d)(?![\d/])")
_PERIOD_RE = re.compile(  # a comma may follow a year ('In 2015, we found'), not a digit group ('2015,000')
    r"(?<![\d/£$,.#\w])((?:19|20)\d\d)(?:\s*(?:/|[–—-]|to)\s*((?:19|20)?\d\d)(?![\d%]|,\d))?(?![\d%]|,\d|/\d)")
_WHOLE_PERIOD_RE = re.compile(r"(\d{4})(?:\s*(?:/|[–—-]|to)\s*(\d{4}|\d\d))?", re.I)
_LABELLED_RE = re.compile(
    r"^\W*(?P<label>last updated|updated|published(?: on)?|publication date|date published|date of publication|"
    r"date of (?:meeting|report|issue)|date|issued)\b\s*(?:on\b)?\s*[:.–-]?\s*(?P<rest>.{4,40})$", re.I)


_FIELDWORK_RE = re.compile(  # a sentence saying when the inspectors did their work
    r"\b(?:field\s?work|inspection visits?|on-?site (?:work|visits?|inspection)"
    r"|(?:(?:re-?)?inspection|inspectors?|we|our (?:team|inspectors?)|visits?|HMIC\w*)\b[^.\n]{0,60}?"
    r"\b(?:took place|(?:was|were) (?:carried out|conducted|undertaken|completed)|carried out|conducted|undertook"
    r"|visited|completed in)\b"
    # 'following an inspection in January 2017': an inspection dated by its month is the fieldwork
    r"|\binspection (?:visits? )?(?:in|during) (?:early |late |mid-)?"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+(?:19|20)\d\d\b"
    # 'we inspected all 43 forces between October and December 2013': a window of months is the fieldwork
    # ('in 2017 we inspected the force', in a revisit letter, is the earlier inspection)
    r"|\b(?:we|inspectors?|our (?:team|inspectors?))\s+inspected\b[^.\n]{0,80}?\b(?:between|from)\s+(?:\d{1,2}\s+)?"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)", re.I)


@dataclass(frozen=True)
class Period:
    """An inspection period: whole years ``year_from`` to ``year_to``, both included."""

    year_from: int
    year_to: int

    def __post_init__(self) -> None:
        if self.year_to < self.year_from:
            raise ValueError(f"period {self.year_from}–{self.year_to} ends before it starts: swap the years")

    def overlaps(self, year_from: int | None, year_to: int | None = None) -> bool:
        """True when any year of this period is in ``year_from..year_to`` (open ends allowed)."""
        return (year_from is None or self.year_to >= year_from) and (year_to is None or self.year_from <= year_to)

    def display(self) -> str:
        return format_period(self.year_from, self.year_to)


def format_period(year_from: int | None, year_to: int | None = None) -> str:
    """How a period is written: '2016', '2021/22' for two years, '2023–25' for longer; '' when unknown."""
    if year_from is None:
        return ""
    if year_to is None or year_to <= year_from:
        return str(year_from)
    if year_to == year_from + 1:
        return f"{year_from}/{year_to % 100:02d}"
    return f"{year_from}–{year_to % 100:02d}" if year_to // 100 == year_from // 100 else f"{year_from}–{year_to}"


def second_year(first: int, second: str | int) -> int:
    """The last year a period's second part names: '19' after 2018 is 2019, '00' after 1999 is 2000,
    '2025' is 2025 (compare with ``first`` to see whether it is a period at all)."""
    text = str(second)
    if len(text) == 4:
        return int(text)
    year = first // 100 * 100 + int(text)
    return year + 100 if year <= first else year


def period_of(first: int | str, second: str | int | None = None, *, max_years: int = MAX_PERIOD_YEARS) -> Period:
    """The period that a year and an optional second part name, as reports and addresses write it.

    '2018' and '19' give 2018–2019, '2023' and '2025' give 2023–2025. When the second part is not a
    later year within ``max_years`` (counting both ends), the two numbers are not one period and the
    first year stands alone: '2015' and '2022' give 2015. This is the one rule for periods in text
    (:func:`find_periods`), in addresses (``ingest.urlmeta``) and, checked strictly, in corrections
    (:func:`read_period`).
    """
    year = int(first)
    if second is None or str(second) == "":
        return Period(year, year)
    last = second_year(year, second)
    return Period(year, last) if year < last <= year + max_years - 1 else Period(year, year)


def find_periods(text: str) -> list[tuple[Period, int, int]]:
    """Every period written in ``text`` with its offsets: '2018/19', 'PEEL 2023–2025', '2014'.

    A year glued to a slash, a number or a currency sign is not one ('#003/2013', '£2015', '12/2016').
    """
    found = []
    for match in _PERIOD_RE.finditer(text):
        period = period_of(match.group(1), match.group(2))
        if match.group(2) and period.year_to == period.year_from:  # '2015–2022': the first year alone
            found.append((period, match.start(1), match.end(1)))
        else:
            found.append((period, match.start(), match.end()))
    return found


def fieldwork_years(text: str) -> list[int]:
    """The years named in sentences that say when the inspection's work was done ('Our fieldwork
    took place between November 2017 and January 2018', 'we visited the force in March 2016'),
    in the order written."""
    years: list[int] = []
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        if _FIELDWORK_RE.search(sentence):
            for period, _, _ in find_periods(sentence):
                years.extend(range(period.year_from, period.year_to + 1))
    return years


def parse_period(text: str) -> Period | None:
    """The first period written in ``text``, or None: 'PEEL 2021/22' -> 2021–2022."""
    periods = find_periods(text)
    return periods[0][0] if periods else None


def read_period(text: str | int, *, max_years: int = MAX_STATED_YEARS) -> Period:
    """A value that is one year or one period and nothing else, as a person types it in a correction:
    '2016', '2018/19', '2018/2019', '2023-25', '2023–2025', '2021 to 2022', '1999/00'.

    Same grammar as :func:`find_periods`; a period may span up to ``max_years`` years here, since the
    person says it is one.

    Raises:
        ValueError: not a year or period, a year outside 1990–2100, or a last year not after the
            first (or too far after it); the message says what to write instead.
    """
    raw = " ".join(str(text).split())
    match = _WHOLE_PERIOD_RE.fullmatch(raw)
    if not match:
        raise ValueError(f"year {raw!r} is not a year or period: write e.g. 2016, 2018/19 or 2023-25")
    first = int(match.group(1))
    if not FIRST_YEAR <= first <= LAST_YEAR:
        raise ValueError(f"year {raw!r} is outside {FIRST_YEAR}–{LAST_YEAR}: check the year")
    period = period_of(first, match.group(2), max_years=max_years)
    if match.group(2) and period.year_to == period.year_from:
        raise ValueError(f"period {raw!r} does not end after it starts: write the first year then the last, "
                         "e.g. 2018/19")
    return period


def iso_from_match(match: re.Match[str]) -> str:
    """'3 September 2014' -> '2014-09-03'; 'February 2016' -> '2016-02' (a DATE_RE match)."""
    month = MONTHS[match.group("month").lower()]
    day = re.match(r"\d+", match.group("day") or "")
    return f"{match.group('year')}-{month:02d}" + (f"-{int(day.group()):02d}" if day else "")


def parse_date(text: str) -> str | None:
    """The first date in ``text`` as an ISO string ('YYYY-MM-DD' or 'YYYY-MM'); UK day-first numbers."""
    written = DATE_RE.search(text)
    numeric = _NUMERIC_DATE_RE.search(text)
    if numeric and (written is None or numeric.start() < written.start()):
        day, month, year = (int(g) for g in numeric.groups())
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return None
    return iso_from_match(written) if written else None


@dataclass(frozen=True)
class LabelledDate:
    """A date printed after a label: 'Last updated 03/11/2016', 'Published: 12 March 2019'."""

    label: str = ""
    iso: str = ""

    @property
    def is_update(self) -> bool:
        return "updated" in self.label


def labelled_date(line: str) -> LabelledDate | None:
    """The labelled date a short line states, or None ('Published on: 9 June 2023')."""
    match = _LABELLED_RE.match(" ".join(line.split()))
    if not match:
        return None
    iso = parse_date(match.group("rest"))
    return LabelledDate(match.group("label").lower(), iso) if iso else None


def year_of(iso: str | None) -> int | None:
    return int(iso[:4]) if iso else None


_REPORT_BEFORE_RE = re.compile(r"\b(?:inspection|report|assessment|audit)s?\W{0,3}$", re.I)
_REPORT_AFTER_RE = re.compile(r"^\s+(?:HMIC\w*\s+)?(?:PEEL\s+)?(?:inspection|report|assessment|audit)s?\b", re.I)


def report_year_period(text: str) -> Period | None:
    """The period the text most often names for an inspection or a report ('the most recent
    inspection (2018/19)', 'their 2018/19 report'; the latest on a tie): for a page dated by
    nothing else, such as a force's own page about its last inspection."""
    found = Counter(period for period, start, end in find_periods(text)
                    if _REPORT_BEFORE_RE.search(text[max(0, start - 20):start]) or _REPORT_AFTER_RE.match(text[end:end + 40]))
    return max(found, key=lambda p: (found[p], p.year_to, p.year_from)) if found else None
