"""Library results as text and JSON for people: the one place the command line and the app take
filter descriptions, hit and citation JSON, and the grades grid and findings listing from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ingest.areas import AREA_PILLAR, AREAS, PILLARS
from ingest.dates import format_period
from ingest.metadata import REPORT_TYPES, THEMES
from search.config import RelevanceSettings
from search.findings.model import FindingWithTrail, Grade
from search.types import Citation, Hit, YearRange

FIELD_LABELS = {"forces": "Force", "years": "Period", "themes": "Theme", "report_types": "Report type",
                "judgments": "Judgment", "sources": "Report"}
"""How filter fields are named for people."""


def describe_filters(used: dict[str, Any]) -> str:
    """What a search or answer was restricted to, for people: 'Hertfordshire Constabulary,
    Investigating crime, 2014 onwards, preferring 2015 reports' (from ``filters_used``)."""
    parts = list(used.get("forces", []))
    parts += [THEMES.get(t, t) for t in used.get("themes", [])]
    parts += [REPORT_TYPES.get(t, t) for t in used.get("report_types", [])]
    parts += [f"judged {g}" for g in used.get("judgments", [])]
    if used.get("years"):
        parts.append(YearRange(*used["years"]).describe())
    if used.get("prefer_years"):
        parts.append("preferring " + ", ".join(map(str, used["prefer_years"])) + " reports")
    return ", ".join(parts)


def field_values(field: str, values: Sequence[str]) -> list[str]:
    """A filter field's values as people read them: theme and report type ids become their labels."""
    labels = {"themes": THEMES, "report_types": REPORT_TYPES}.get(field, {})
    return [labels.get(v, v) for v in values]


def area_label(g: Grade) -> str:
    """A grade's area as people name it: 'Overall judgment', 'Protecting vulnerable people', or the
    report's own wording of an area the vocabulary does not know."""
    if g.area_key in AREAS:
        return AREAS[g.area_key]
    return g.question or "Overall judgment"


def area_order(g: Grade) -> tuple[int, int, str]:
    """Sort key for a grades matrix: overall first, then each PEEL pillar followed by its areas, then
    other areas by name."""
    key = g.area_key or ""
    pillar = g.pillar or AREA_PILLAR.get(key) or (key if key in PILLARS else "")
    if key == "overall":
        return (0, 0, "")
    if pillar in PILLARS:
        return (1 + PILLARS.index(pillar), 0 if key == pillar else 1, area_label(g))
    return (len(PILLARS) + 1, 0, area_label(g))


def relevance_words(hits: Sequence[Hit], settings: RelevanceSettings | None = None) -> list[str]:
    """Each hit's relevance in words ('strong match', 'close match', 'related'), from its fused score
    as a share of the first hit's (``RelevanceSettings``)."""
    settings = settings or RelevanceSettings()
    if not hits:
        return []
    top = max(h.score for h in hits) or 1.0
    out = []
    for h in hits:
        share = h.score / top
        out.append("strong match" if share >= settings.strong_share
                   else "close match" if share >= settings.close_share else "related")
    return out


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def published_text(published: str | None) -> str:
    """A published date as people write it: '2017-03-02' -> '2 March 2017', '2017-03' -> 'March 2017'
    (anything else as stored)."""
    if not published:
        return ""
    match = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", published.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        return published
    year, month, day = match.groups()
    return f"{int(day)} {_MONTHS[int(month) - 1]} {year}" if day else f"{_MONTHS[int(month) - 1]} {year}"


def citation_text(c: Citation | Hit, published: str | None = None) -> str:
    """A full citation, needing no further lookup: 'Title. Force, period (published DATE).
    Section: A › B. Page N. URL' (page, date and URL when known)."""
    period = format_period(c.year, c.year_to)
    who = ", ".join(p for p in (c.force, period) if p)
    when = f" (published {published_text(published)})" if published else ""
    path = " › ".join(c.path) if c.path else c.section
    parts = [f"{c.title or c.source}.", f"{who}{when}." if who or when else "", f"Section: {path}." if path else "",
             f"Page {c.page}." if c.page else "", c.url or f"File: {c.source}"]
    return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class QuoteGroup:
    """One quote as shown, with the answer's citations that quote the same or nearly the same words."""

    citations: tuple[Citation, ...]

    @property
    def shown(self) -> Citation:
        return self.citations[0]

    @property
    def numbers(self) -> tuple[int, ...]:
        return tuple(c.n for c in self.citations)


@dataclass(frozen=True)
class ReportCitations:
    """An answer's quotes from one report, in the order the answer cites them."""

    source: str
    title: str
    force: str | None
    year: int | None
    year_to: int | None
    url: str | None
    quotes: tuple[QuoteGroup, ...]

    @property
    def period(self) -> str:
        return format_period(self.year, self.year_to)


_WORD_RE = re.compile(r"[^\W_]+")
NEAR_SAME = 0.8
"""Two quotes of one report are shown once when this share of the shorter one's words is in the other."""
NEAR_SAME_WORDS = 6
"""...and the shorter one has at least this many words (shorter quotes must be contained verbatim)."""


def _words(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _WORD_RE.findall(text))


def near_same(a: str, b: str) -> bool:
    """Whether two quotes say the same thing in nearly the same words: one holds the other verbatim,
    or ``NEAR_SAME`` of the shorter one's words (at least ``NEAR_SAME_WORDS`` of them) are in the other."""
    x, y = " ".join(a.lower().split()), " ".join(b.lower().split())
    if x in y or y in x:
        return True
    wa, wb = _words(a), _words(b)
    shorter = min(len(wa), len(wb))
    return shorter >= NEAR_SAME_WORDS and len(wa & wb) / shorter >= NEAR_SAME


def group_citations(citations: Sequence[Citation], merge: bool = True) -> list[ReportCitations]:
    """An answer's citations grouped by report (oldest report first, then as cited), with quotes
    of one report that repeat each other shown once under all their numbers (unless ``merge`` is
    False: a grade answer's citations each state a different grade, however alike their words)."""
    by_report: dict[str, list[list[Citation]]] = {}
    for c in citations:
        groups = by_report.setdefault(c.source, [])
        same = next((g for g in groups if near_same(g[0].quote, c.quote)), None) if merge else None
        if same is None:
            groups.append([c])
        else:
            same.append(c)
    firsts = {c.source: c for c in reversed(citations)}
    order = sorted(by_report, key=lambda s: (firsts[s].year or 0, firsts[s].year_to or 0,
                                             min(c.n for g in by_report[s] for c in g)))
    return [ReportCitations(source=s, title=firsts[s].title, force=firsts[s].force, year=firsts[s].year,
                            year_to=firsts[s].year_to, url=firsts[s].url,
                            quotes=tuple(QuoteGroup(tuple(g)) for g in by_report[s])) for s in order]


def hit_json(hit: Hit) -> dict[str, Any]:
    """A hit as ``inspectqa search --json`` prints it."""
    return {"rank": hit.rank, "score": hit.score, "text": hit.text, "source": hit.source, "title": hit.title,
            "force": hit.force, "year": hit.year, "report_type": hit.report_type, "section": hit.section,
            "question": hit.question, "theme": hit.theme, "judgment": hit.judgment, "page": hit.page,
            "start": hit.start, "end": hit.end, "chunk_id": hit.chunk_id, "url": hit.url,
            "highlight": [hit.highlight_start, hit.highlight_end]}


def format_grades(items: Sequence[Grade]) -> str:
    """The force × year × question grid: one block per force, one column per report."""
    lines: list[str] = []
    by_force: dict[str, list[Grade]] = {}
    for g in items:
        by_force.setdefault(g.force or "(no force)", []).append(g)
    for force, force_grades in by_force.items():
        reports = list(dict.fromkeys((g.year, g.source) for g in force_grades))
        rows: dict[str, dict[tuple[int | None, str], Grade]] = {}
        for g in force_grades:
            label = "Overall" if g.question is None else THEMES.get(g.theme, g.theme)
            if (g.year, g.source) in rows.get(label, {}):
                label = g.question or label
            rows.setdefault(label, {})[(g.year, g.source)] = g
        width = min(60, max(len(r) for r in rows) + 2)
        col = max(22, *(len(str(y)) + 2 for y, _ in reports))
        lines.append(force)
        lines.append("  " + " " * width + "".join(f"{y or '?':<{col}}" for y, _ in reports))
        for label, cells in rows.items():
            shown = label if len(label) <= width - 2 else label[:width - 3] + "…"
            lines.append("  " + f"{shown:<{width}}" + "".join(
                f"{cells[r].grade if r in cells else '-':<{col}}" for r in reports))
        scale_cells = []
        for r in reports:
            scale = next(g.scale for g in force_grades if (g.year, g.source) == r)
            scale_cells.append(f"({scale})")
        lines.append("  " + f"{'scale':<{width}}" + "".join(f"{s:<{col}}" for s in scale_cells))
        if len({g.scale for g in force_grades}) > 1:
            lines.append("  note: four-grade and five-grade judgments are not directly comparable")
        lines.append("  sources:")
        for year, source in reports:
            g = next(x for x in force_grades if x.source == source)
            lines.append(f"    {year}: {g.title} [{source}]")
        lines.append("")
    return "\n".join(lines).rstrip()


def _where(p: Citation) -> str:
    page = f", p. {p.page}" if p.page else ""
    return f"{p.title} ({p.year}{page}) § {p.section} [{p.source}, chars {p.start}-{p.end}]"


def format_findings(items: Sequence[FindingWithTrail]) -> str:
    """Findings by year with their trails and citations."""
    lines: list[str] = []
    year = object()
    for item in items:
        f = item.finding
        if f.year != year:
            year = f.year
            lines.append(f"{f.year}")
        recalled = f" (recalled by the {f.citation.year} report)" if f.recalled else ""
        theme = THEMES.get(f.theme, f.theme)
        lines.append(f"  [{f.kind.replace('_', ' ')}{recalled}] {theme}")
        lines.append(f"    “{' '.join(f.text.split())}”")
        lines.append(f"    {_where(f.citation)}")
        for link in item.trail:
            cue = f" (“{link.cue}”)" if link.cue else ""
            lines.append(f"    -> {link.later.year}: {link.status}{cue}, {link.method} match {link.score:.2f}")
            lines.append(f"       “{' '.join(link.later.quote.split())}”")
            lines.append(f"       {_where(link.later)}")
        if not item.trail:
            lines.append("    -> not revisited by a later indexed report")
    return "\n".join(lines)
