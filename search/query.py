"""Read a force, a year or a period out of a free-text question."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.forces import find_forces

_MONTHS = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_YEAR = r"(?:19[89]\d|20[0-4]\d)"
_DATED_RE = re.compile(rf"\b{_MONTHS}\s*$", re.I)  # "June 2015", "31 March 2015": a data period, not a report
_SINCE_RE = re.compile(rf"\b(since|after|from|starting in)\s+(?:the\s+)?({_YEAR})\b", re.I)
_BEFORE_RE = re.compile(rf"\b(?:before|until|up to|prior to)\s+(?:the\s+)?({_YEAR})\b", re.I)
_BETWEEN_RE = re.compile(rf"\bbetween\s+({_YEAR})\s+and\s+({_YEAR})\b|\b({_YEAR})\s*(?:-|–|to)\s*({_YEAR})\b", re.I)
_YEAR_RE = re.compile(rf"(?<![\d/])({_YEAR})(?:\s*/\s*\d\d)?(?![\d])")


@dataclass(frozen=True)
class Understanding:
    """What a question names by itself.

    ``years`` are the years it names as report or inspection years (a year after a month, as
    in '12 months to June 2015', is a data period and is left out); ``period`` is a range
    from 'since 2014' (2014 on), 'after 2014' (2015 on), 'before 2016' (up to 2015) or
    'between 2014 and 2016'.
    """

    forces: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    period: tuple[int, int] | None = None

    def describe(self) -> str:
        parts = list(self.forces)
        if self.period:
            first, last = self.period
            parts.append(f"{first}–{last}" if last < 9999 else f"{first} onwards")
        elif self.years:
            parts.append(", ".join(str(y) for y in self.years))
        return ", ".join(parts)


def understand(query: str) -> Understanding:
    """Forces and years named in ``query``."""
    forces = tuple(dict.fromkeys(m.force for m in find_forces(query)))
    years: list[int] = []
    for match in _YEAR_RE.finditer(query):
        if _DATED_RE.search(query[max(0, match.start() - 14):match.start()]):
            continue
        years.append(int(match.group(1)))
    period: tuple[int, int] | None = None
    if between := _BETWEEN_RE.search(query):
        a, b = [int(x) for x in between.groups() if x]
        period = (min(a, b), max(a, b))
    elif since := _SINCE_RE.search(query):
        year = int(since.group(2))
        period = (year + 1 if since.group(1).lower() == "after" else year, 9999)
    elif before := _BEFORE_RE.search(query):
        period = (0, int(before.group(1)) - 1)
    return Understanding(forces=forces, years=tuple(dict.fromkeys(years)), period=period)
