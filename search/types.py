"""The typed values handed between stages: year ranges, retrieved passages, citations and answers.

``Citation`` is the one citation type: answers, grades, findings and trail links all quote the
reports with it. Nothing here imports another module of the package.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple


class YearRange(NamedTuple):
    """An inclusive range of report years; ``None`` leaves an end open ('since 2014', 'before 2016')."""

    first: int | None
    last: int | None

    @classmethod
    def single(cls, year: int) -> YearRange:
        return cls(year, year)

    def contains(self, year: int | None) -> bool:
        """Whether a report of ``year`` is in the range (an undated report never is)."""
        if year is None:
            return False
        return (self.first is None or year >= self.first) and (self.last is None or year <= self.last)

    def overlaps(self, first: int | None, last: int | None) -> bool:
        """Whether a report of the period ``first``..``last`` (a single year when ``last`` is None) falls
        in the range in any of its years (an undated report never does)."""
        if first is None:
            return False
        last = first if last is None else last
        return (self.first is None or last >= self.first) and (self.last is None or first <= self.last)

    def describe(self) -> str:
        """'2015', '2014–2016', '2014 onwards' or 'up to 2015'."""
        if self.first is not None and self.first == self.last:
            return str(self.first)
        if self.last is None:
            return f"{self.first} onwards"
        if self.first is None:
            return f"up to {self.last}"
        return f"{self.first}–{self.last}"


@dataclass(frozen=True)
class Hit:
    """One retrieved passage with everything needed to show and cite it.

    A search returns passages grown from its best chunks (``search.retrieve.passages``): ``text`` is
    the passage, verbatim from the report, and ``text[highlight_start:highlight_end]`` the chunk it
    grew from, which is ``section_text[start:end]`` of its section. Every other field (section,
    row, chunk id, scores) is that chunk's; ``rows`` are the chunks the passage spans. A passage of
    one chunk has the highlight over its whole text.
    """

    rank: int
    score: float
    text: str
    source: str
    title: str
    force: str | None
    year: int | None
    report_type: str
    section: str
    path: tuple[str, ...]
    question: str | None
    theme: str
    judgment: str | None
    page: int | None
    start: int = field(metadata={"doc": "offset of the chunk in its section's text"})
    end: int
    chunk_id: str
    section_id: str
    kind: str = "other"
    is_table: bool = False
    dense_score: float | None = None
    lexical_score: float | None = None
    row: int = field(default=-1, metadata={"doc": "row of the chunk in its index generation"})
    year_to: int | None = field(default=None, metadata={"doc": "last year of the report's period"})
    url: str | None = field(default=None, metadata={"doc": "where the report was fetched from, if known"})
    highlight_start: int = field(default=0, metadata={"doc": "where the chunk starts in text"})
    highlight_end: int | None = field(default=None, metadata={"doc": "where the chunk ends in text (None: its end)"})
    rows: tuple[int, ...] = field(default=(), metadata={"doc": "rows of the chunks the passage spans, in order"})

    def __post_init__(self) -> None:
        if self.highlight_end is None:
            object.__setattr__(self, "highlight_end", len(self.text))
        if not self.rows and self.row >= 0:
            object.__setattr__(self, "rows", (self.row,))

    @property
    def highlight(self) -> str:
        """The chunk the passage grew from (``section_text[start:end]``)."""
        return self.text[self.highlight_start:self.highlight_end]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = list(self.path)
        data["rows"] = list(self.rows)
        return data


_BRIEF = ("n", "quote", "source", "title", "force", "year", "year_to", "section", "page", "start", "end", "chunk_id",
          "url")
_LOCATION = ("quote", "source", "title", "force", "year", "report_type", "section", "section_id", "page", "start",
             "end", "chunk_id", "year_to", "url")


@dataclass(frozen=True)
class Citation:
    """A verbatim quote and where it is: ``quote == section_text[start:end]``.

    Answers number their citations (``n``, the [n] in the answer text) and give the passage the
    quote was taken from (``passage[passage_start:passage_end] == quote``); grades, findings and
    trail links leave those at their defaults.
    """

    quote: str
    source: str
    title: str
    force: str | None
    year: int | None = field(metadata={"doc": "year of the report the quote is in"})
    report_type: str
    section: str = field(metadata={"doc": "section heading"})
    section_id: str
    page: int | None
    start: int
    end: int
    chunk_id: str | None = field(default=None, metadata={"doc": "the chunk holding the quote, if one does"})
    n: int = field(default=0, metadata={"doc": "the citation's number in an answer ([n]); 0 outside answers"})
    path: tuple[str, ...] = field(default=(), metadata={"doc": "the section's heading path"})
    passage: str = field(default="", metadata={"doc": "the text the quote was taken from (answers)"})
    passage_start: int = 0
    passage_end: int = 0
    year_to: int | None = field(default=None, metadata={"doc": "last year of the report's period"})
    url: str | None = field(default=None, metadata={"doc": "where the report was fetched from, if known"})

    def to_dict(self, with_passage: bool = False) -> dict[str, Any]:
        """An answer's citation as JSON: number, quote and where it is; ``with_passage`` adds every field."""
        data = asdict(self)
        data["path"] = list(self.path)
        return data if with_passage else {key: data[key] for key in _BRIEF}

    def location(self) -> dict[str, Any]:
        """The quote and where it is, without an answer's numbering or passage (grades, findings, trails)."""
        return {key: getattr(self, key) for key in _LOCATION}

    @classmethod
    def from_location(cls, data: dict[str, Any]) -> Citation:
        """The inverse of ``location()``."""
        return cls(**{key: data.get(key) for key in _LOCATION})


@dataclass(frozen=True)
class Answer:
    """A cited answer, or an abstention with the closest passages and the reason."""

    question: str
    text: str
    citations: tuple[Citation, ...]
    passages: tuple[Hit, ...]
    abstained: bool
    reason: str | None = None
    mode: str = field(default="extractive", metadata={"doc": "extractive | llm | grades"})
    filters_used: dict[str, Any] = field(default_factory=dict)
    understood: dict[str, Any] = field(default_factory=dict)
    notices: tuple[str, ...] = ()
    generation: str = field(default="", compare=False,
                            metadata={"doc": "the index generation the answer was computed on"})
    table: tuple[dict[str, Any], ...] = field(
        default=(), metadata={"doc": "for an answer from the grades: one row per grade (force, period, area, "
                                     "grade, scale, n: its citation)"})

    def to_dict(self, with_passages: bool = False) -> dict[str, Any]:
        data = {
            "question": self.question, "answer": self.text, "abstained": self.abstained, "reason": self.reason,
            "mode": self.mode, "filters_used": self.filters_used, "notices": list(self.notices),
            "citations": [c.to_dict(with_passages) for c in self.citations], "table": list(self.table),
        }
        if with_passages:
            data["passages"] = [h.to_dict() for h in self.passages]
        return data


__all__ = ["Answer", "Citation", "Hit", "YearRange"]
