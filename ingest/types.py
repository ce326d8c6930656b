"""Typed values handed from one ingest stage to the next.

Every value is a frozen dataclass so a stage cannot change what an earlier one produced.
Character offsets are half-open ``[start, end)`` ranges into ``Report.text`` unless a field
says otherwise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

GRADES: tuple[str, ...] = ("Outstanding", "Good", "Adequate", "Requires improvement", "Inadequate")
"""Graded judgments, best first. PEEL used four (no 'Adequate') until 2020 and five from 2021/22."""


class IngestError(Exception):
    """A file could not be read as a report. The message names the file and says what to do."""

    def __init__(self, source: str, message: str) -> None:
        shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in source)  # a name may hold a newline
        super().__init__(f"{shown}: {message}")
        self.source = source
        self.reason = message


@dataclass(frozen=True)
class PageSpan:
    """Characters ``[start, end)`` of a document's text came from printed page ``page`` (1-based)."""

    start: int
    end: int
    page: int


@dataclass(frozen=True)
class HeadingHint:
    """A heading that the file's markup states (HTML h1-h4, DOCX heading styles, PDF outline)."""

    start: int
    end: int
    level: int


@dataclass(frozen=True)
class RawDocument:
    """A file's text as read, before any section finding.

    ``text`` has paragraphs separated by blank lines and table rows as tab-separated lines.
    """

    source: str = field(metadata={"doc": "file name, without folders"})
    path: str = field(metadata={"doc": "path the file was read from"})
    format: str = field(metadata={"doc": "pdf | html | text | docx, detected from the bytes"})
    text: str
    content_hash: str = field(metadata={"doc": "sha256 of the file's bytes"})
    pages: tuple[PageSpan, ...] = ()
    headings: tuple[HeadingHint, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Footnote:
    """A footnote taken out of the flow of the text and linked to its marker."""

    number: int
    text: str
    start: int = field(metadata={"doc": "where the footnote is shown in Report.text (end of its section)"})
    end: int
    section_id: str | None = field(default=None, metadata={"doc": "section whose text carries the marker"})
    marker_start: int | None = field(default=None, metadata={"doc": "offset of the marker in Report.text"})
    page: int | None = None


@dataclass(frozen=True)
class Figure:
    """A figure or table caption. ``rows`` is empty for a figure whose image was not extracted."""

    caption: str
    start: int
    end: int
    rows: tuple[tuple[str, ...], ...] = ()
    source_note: str | None = field(default=None, metadata={"doc": "the 'Source: ...' line under it"})
    page: int | None = None


@dataclass(frozen=True)
class Section:
    """A headed part of a report. ``text`` is ``Report.text[start:end]``, the heading excluded."""

    section_id: str
    heading: str
    path: tuple[str, ...] = field(metadata={"doc": "headings from the top level down to this one"})
    level: int
    kind: str = field(
        metadata={
            "doc": "front_matter | contents | overview | summary | introduction | question | "
            "summary_of_findings | areas_for_improvement | recommendations | causes_of_concern | "
            "annex | letter_heading | data | other"
        }
    )
    start: int
    end: int
    text: str
    question: str | None = field(default=None, metadata={"doc": "the inspection question it answers"})
    theme: str = "general"
    judgment: str | None = field(default=None, metadata={"doc": "grade stated beside this heading"})
    page: int | None = None
    figures: tuple[Figure, ...] = ()


@dataclass(frozen=True)
class ReportMeta:
    """What a report is, all read from its text (never from its file name).

    ``year``..``year_to`` is the inspection period, both years included: 'PEEL 2016' is 2016..2016,
    'PEEL 2021/22' 2021..2022, 'PEEL 2023–25' 2023..2025. ``year`` stays the first year of the period
    (what older code and indexes read); ``year_to`` is None only when ``year`` is.
    """

    source: str
    title: str
    force: str | None
    year: int | None = field(metadata={"doc": "first year of the inspection period"})
    published: str | None = field(default=None, metadata={"doc": "ISO date, 'YYYY-MM' or 'YYYY-MM-DD'"})
    report_type: str = "other"
    content_hash: str = ""
    format: str = "text"
    year_to: int | None = field(default=None, metadata={"doc": "last year of the inspection period (inclusive)"})
    about_type: str | None = field(
        default=None, metadata={"doc": "for a news release or panel paper: the type of the report it is about"})
    url: str | None = field(default=None, metadata={"doc": "the address the report was fetched from, if any"})

    def __post_init__(self) -> None:
        if self.year is not None and (self.year_to is None or self.year_to < self.year):
            object.__setattr__(self, "year_to", self.year)  # a single year unless a longer period is stated

    @property
    def period(self) -> str:
        """The period as reports write it: '2016', '2021/22', '2023–25' ('' when unknown)."""
        from ingest.dates import format_period

        return format_period(self.year, self.year_to)


GRADE_SCALES: tuple[str, ...] = ("four-grade", "five-grade", "crime-data-integrity")
"""PEEL graded on four levels to 2020 and on five from 2021/22; crime data integrity inspections
(2014-2020) gave their own graded judgments (outstanding to inadequate) on crime recording."""


@dataclass(frozen=True)
class GradeStatement:
    """One graded judgment a report states: an area's (pillar, question, PEEL area or overall) grade
    for one period, with the sentence that states it.

    ``text[start:end]`` of the report is the citation. An area the text says is not graded for the
    period ('not yet graded', 'To be graded', 'is not graded') has ``grade`` None and ``status``
    'not_graded', so that a page saved before a pillar was published is not read as missing it.
    """

    area: str = field(metadata={"doc": "the area as the text states it, e.g. 'Investigating crime'"})
    area_key: str = field(metadata={"doc": "canonical key, e.g. 'effectiveness', 'investigating_crime', 'overall'"})
    grade: str | None = field(metadata={"doc": "one of GRADES; None when not yet graded"})
    scale: str = field(metadata={"doc": "one of GRADE_SCALES"})
    year_from: int | None = field(metadata={"doc": "first year of the period the grade is for"})
    year_to: int | None
    start: int = field(metadata={"doc": "offset in Report.text of the sentence stating the grade"})
    end: int
    force: str | None = field(default=None, metadata={"doc": "the force graded (the report's unless the text names another)"})
    status: str = field(default="graded", metadata={"doc": "graded | not_graded"})
    pillar: str | None = field(default=None, metadata={"doc": "effectiveness | efficiency | legitimacy | leadership, if any"})


@dataclass(frozen=True)
class Report:
    meta: ReportMeta
    text: str = field(metadata={"doc": "cleaned display text; footnote markers kept, footnotes moved out"})
    sections: tuple[Section, ...]
    footnotes: tuple[Footnote, ...] = ()
    pages: tuple[PageSpan, ...] = ()
    warnings: tuple[str, ...] = ()
    grades: tuple[GradeStatement, ...] = field(
        default=(), metadata={"doc": "graded judgments stated in the text, one per area and period"})

    def page_at(self, offset: int) -> int | None:
        """Printed page of the character at ``offset`` in ``text`` (None when not paginated)."""
        for span in self.pages:
            if span.start <= offset < span.end:
                return span.page
        return self.pages[-1].page if self.pages and offset >= self.pages[-1].end else None


@dataclass(frozen=True)
class Chunk:
    """The unit that is embedded and retrieved.

    ``text`` is verbatim ``Section.text[start:end]`` (footnote markers kept, for display and
    quoting); ``embed_text`` is what the encoder sees: a short context prefix and the text with
    footnote markers removed.
    """

    chunk_id: str = field(metadata={"doc": "stable: same input and chunking, same id"})
    source: str
    section_id: str
    text: str
    embed_text: str
    start: int = field(metadata={"doc": "offset into the section's text"})
    end: int
    title: str = ""
    force: str | None = None
    year: int | None = None
    year_to: int | None = None
    report_type: str = "other"
    heading: str = ""
    path: tuple[str, ...] = ()
    kind: str = "other"
    question: str | None = None
    theme: str = "general"
    judgment: str | None = None
    page: int | None = None
    is_table: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = list(self.path)
        return data
