"""Grades, findings and trail links as data: what extraction makes, storage keeps and the API returns.

Every item quotes the reports with a ``search.types.Citation`` (the quote and where it is).
``to_dict()`` is the JSON the command line prints and storage keeps; ``from_dict()`` reads it back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ingest.types import GRADES
from search.types import Citation

FIVE_GRADE_FROM = 2021
"""PEEL graded on four levels (no 'Adequate') up to 2020 and on five from 2021/22."""
STATUSES = ("addressed", "in progress", "not addressed", "unclear")
FINDING_KINDS = ("area_for_improvement", "recommendation", "cause_of_concern", "critical_finding")
FINDING_SECTION_KINDS = {"areas_for_improvement": "area_for_improvement", "recommendations": "recommendation",
                         "causes_of_concern": "cause_of_concern"}
"""Section kinds whose items are findings, and the kind of finding each item is."""
SKIPPED_SECTION_KINDS = frozenset({"front_matter", "contents", "annex", "data", "introduction", "letter_heading"})
"""Section kinds that neither recall nor revisit findings."""


@dataclass(frozen=True)
class Grade:
    """A graded judgment: the overall one (``question`` None) or one inspection question's."""

    force: str | None
    year: int | None
    report_type: str
    source: str
    title: str
    question: str | None = field(metadata={"doc": "the graded question; None for the overall judgment"})
    theme: str
    grade: str = field(metadata={"doc": "Outstanding | Good | Adequate | Requires improvement | Inadequate"})
    scale: str = field(metadata={"doc": "four-grade (PEEL to 2020) | five-grade (from 2021/22)"})
    citation: Citation
    previous_comparable: bool | None = field(
        default=None,
        metadata={"doc": "False when the force's previous grade on the same question/theme used the other "
                         "scale (not directly comparable); None when there is no earlier grade"})
    year_to: int | None = field(default=None, metadata={"doc": "last year of the period the grade is for"})
    area_key: str | None = field(default=None, metadata={"doc": "canonical area (ingest.areas), 'overall' for the "
                                                                "overall judgment"})
    pillar: str | None = field(default=None, metadata={"doc": "the PEEL pillar the area sits under, if any"})

    @property
    def period(self) -> str:
        """'2016', '2018/19', '2023–25'."""
        from ingest.dates import format_period

        return format_period(self.year, self.year_to)

    @property
    def level(self) -> int:
        """5 (Outstanding) down to 1 (Inadequate): higher is better, for charts."""
        return len(GRADES) - GRADES.index(self.grade)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``level`` added for charts); ``from_dict`` reads it back."""
        return {**asdict(self), "citation": self.citation.location(), "level": self.level}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Grade:
        values = {k: v for k, v in data.items() if k != "level"}
        return cls(**{**values, "citation": Citation.from_location(data["citation"])})

    def grid_row(self) -> dict[str, Any]:
        """The line ``inspectqa grades --json`` prints."""
        c = self.citation
        return {"force": self.force, "year": self.year, "year_to": self.year_to, "period": self.period,
                "area_key": self.area_key, "pillar": self.pillar, "report_type": self.report_type, "question": self.question,
                "theme": self.theme, "grade": self.grade, "scale": self.scale, "source": self.source,
                "section": c.section, "page": c.page, "title": self.title, "quote": c.quote,
                "section_id": c.section_id, "start": c.start, "end": c.end,
                "previous_comparable": self.previous_comparable, "url": c.url}


@dataclass(frozen=True)
class Finding:
    """An area for improvement, recommendation, cause of concern or critical finding.

    ``recalled`` findings are earlier inspections' recommendations that a later report quotes
    ('HMIC's crime inspection in 2014 recommended that ...'): ``year`` is the earlier
    inspection's year while ``citation`` is in the later report.
    """

    finding_id: str
    kind: str = field(metadata={"doc": "area_for_improvement | recommendation | cause_of_concern | critical_finding"})
    text: str = field(metadata={"doc": "verbatim, == citation.quote"})
    force: str | None
    year: int | None = field(metadata={"doc": "the year the finding was made"})
    report_type: str
    source: str
    title: str
    question: str | None
    theme: str
    citation: Citation
    recalled: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "citation": self.citation.location()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(**{**data, "citation": Citation.from_location(data["citation"])})


@dataclass(frozen=True)
class TrailLink:
    """A later passage that revisits a finding, with what it says about progress."""

    finding_id: str
    status: str = field(metadata={"doc": "addressed | in progress | not addressed | unclear"})
    method: str = field(metadata={"doc": "semantic (matched by meaning) | explicit (the report refers back to it)"})
    score: float = field(metadata={"doc": "match score (explicit links: 1.0)"})
    cue: str | None = field(metadata={"doc": "the words that decided the status (verbatim in later.quote)"})
    earlier: Citation
    later: Citation

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "earlier": self.earlier.location(), "later": self.later.location()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrailLink:
        return cls(**{**data, "earlier": Citation.from_location(data["earlier"]),
                      "later": Citation.from_location(data["later"])})


@dataclass(frozen=True)
class FindingWithTrail:
    """A finding and the later passages that revisit it."""

    finding: Finding
    trail: tuple[TrailLink, ...] = field(metadata={"doc": "links ordered by later year, best first within a year"})

    @property
    def latest_status(self) -> str | None:
        """What the latest report that revisits the finding says (None when none does)."""
        if not self.trail:
            return None
        latest = max(link.later.year or 0 for link in self.trail)
        stated = [x for x in self.trail if (x.later.year or 0) == latest and x.status != "unclear"]
        return max(stated, key=lambda x: x.score).status if stated else "unclear"

    def to_dict(self) -> dict[str, Any]:
        return {**self.finding.to_dict(), "latest_status": self.latest_status,
                "trail": [link.to_dict() for link in self.trail]}


def comparable(a: Grade, b: Grade) -> bool:
    """Whether two grades are on the same scale and so directly comparable."""
    return a.scale == b.scale

