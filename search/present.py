"""Library results as text and JSON for people: the one place the command line and the app take
filter descriptions, hit and citation JSON, and the grades grid and findings listing from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ingest.metadata import REPORT_TYPES, THEMES
from search.findings.model import FindingWithTrail, Grade
from search.types import Citation, Hit, YearRange


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
