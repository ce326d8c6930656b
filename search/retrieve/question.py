"""The question, parsed once: cleaned text, the forces and years it names, and its word tokens.

Search and answers both read the ``Question`` made here; neither parses the string again.
Forces come from ingest's force names and aliases; years and periods ('since 2014', 'between
2014 and 2016') from the patterns below; tokens are those of the lexical index (stemmed, stop
words removed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ingest.forces import ForceMention, find_forces
from search.errors import QueryError
from search.index.lexical import tokenize
from search.types import YearRange

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_INVISIBLE_RE = re.compile(r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]")

_MONTHS = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_YEAR = r"(?:19[89]\d|20[0-4]\d)"
_DATED_RE = re.compile(rf"\b{_MONTHS}\s*$", re.I)  # "June 2015", "31 March 2015": a data period, not a report
_SINCE_RE = re.compile(rf"\b(since|after|from|starting in)\s+(?:the\s+)?({_YEAR})\b", re.I)
_BEFORE_RE = re.compile(rf"\b(?:before|until|up to|prior to)\s+(?:the\s+)?({_YEAR})\b", re.I)
_BETWEEN_RE = re.compile(rf"\bbetween\s+({_YEAR})\s+and\s+({_YEAR})\b|\b({_YEAR})\s*(?:-|–|to)\s*({_YEAR})\b", re.I)
_YEAR_RE = re.compile(rf"(?<![\d/])({_YEAR})(?:\s*/\s*\d\d)?(?![\d])")


def clean_query(query: str) -> str:
    """``query`` without what carries no meaning and can break the tokenizer: control characters
    (null bytes, terminal escapes) become spaces; zero-width, bidi-control and lone surrogate
    characters (from a bad byte on the command line) are dropped."""
    return _CONTROL_RE.sub(" ", _INVISIBLE_RE.sub("", query))


@dataclass(frozen=True)
class Question:
    """A user's question as every stage reads it.

    ``years`` are the years it names as report or inspection years (a year after a month, as in
    '12 months to June 2015', is a data period and is left out); ``period`` is the range of
    'since 2014' (2014 on), 'after 2014' (2015 on), 'before 2016' (up to 2015) or 'between 2014
    and 2016'.
    """

    asked: str  # as typed, cleaned of control and invisible characters
    text: str  # asked with single spaces, cut to the longest question searched
    forces: tuple[str, ...] = ()
    force_mentions: tuple[ForceMention, ...] = ()  # where ``text`` names them (offsets into text)
    years: tuple[int, ...] = ()
    period: YearRange | None = None
    tokens: tuple[str, ...] = ()  # lexical tokens of ``asked``
    lexical_tokens: tuple[str, ...] = ()  # lexical tokens of ``lexical_text``

    @property
    def lexical_text(self) -> str:
        """``text`` with force aliases spelled as the reports spell them ('Herts' -> 'Hertfordshire
        Constabulary'), so that the lexical index can match them."""
        text = self.text
        for m in reversed(self.force_mentions):
            if m.matched != m.force:
                text = text[:m.start] + m.force + text[m.end:]
        return text

    def understood(self) -> dict[str, Any]:
        """What the question names by itself, as JSON (a search result's ``understood``)."""
        return {"forces": list(self.forces), "years": list(self.years),
                "period": list(self.period) if self.period else None}


def parse_question(query: object, max_chars: int) -> Question:
    """Parse a question once for search and answers.

    Raises:
        QueryError: the question is empty (or not text).
    """
    asked = clean_query(query) if isinstance(query, str) else ""
    if not asked.strip():
        raise QueryError("the question is empty: type a question, e.g. \"How well does the force protect "
                         "vulnerable people?\"")
    text = " ".join(asked.split())[:max_chars]
    mentions = tuple(find_forces(text))
    question = Question(asked=asked, text=text, forces=tuple(dict.fromkeys(m.force for m in mentions)),
                        force_mentions=mentions, years=_years(text), period=_period(text))
    asked_tokens, lexical_tokens = tokenize([asked, question.lexical_text])
    return Question(**{**question.__dict__, "tokens": tuple(asked_tokens), "lexical_tokens": tuple(lexical_tokens)})


def _years(text: str) -> tuple[int, ...]:
    years: list[int] = []
    for match in _YEAR_RE.finditer(text):
        if _DATED_RE.search(text[max(0, match.start() - 14):match.start()]):
            continue
        years.append(int(match.group(1)))
    return tuple(dict.fromkeys(years))


def _period(text: str) -> YearRange | None:
    if between := _BETWEEN_RE.search(text):
        a, b = [int(x) for x in between.groups() if x]
        return YearRange(min(a, b), max(a, b))
    if since := _SINCE_RE.search(text):
        year = int(since.group(2))
        return YearRange(year + 1 if since.group(1).lower() == "after" else year, None)
    if before := _BEFORE_RE.search(text):
        return YearRange(None, int(before.group(1)) - 1)
    return None


__all__ = ["Question", "clean_query", "parse_question"]
