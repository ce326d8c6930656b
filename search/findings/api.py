"""What the command line and the app ask of findings: graded judgments and findings with their
trails, as data. Nothing here builds an answer or formats text (search.answer.grades and
search.present do).
"""

from __future__ import annotations

from dataclasses import replace

from ingest.metadata import THEMES, resolve_theme
from search.errors import FilterError, FindingsUnavailableError
from search.filters import resolve_force
from search.findings.model import FindingWithTrail, Grade, comparable
from search.findings.storage import FindingsIndex
from search.index.snapshot import IndexSnapshot
from search.retrieve.searcher import Searcher


def loaded(index: Searcher | IndexSnapshot) -> FindingsIndex:
    """The findings of the generation a searcher has loaded (or of one snapshot).

    Raises:
        FindingsUnavailableError: the index predates findings (the message says how to update it).
    """
    snapshot = index.snapshot if isinstance(index, Searcher) else index
    found = snapshot.findings()
    if not found.available:
        raise FindingsUnavailableError(
            f"the index in {snapshot.index_dir} was built before grades and findings were extracted: update it "
            f"with `inspectqa index reports/ --index-dir {snapshot.index_dir}` (nothing is embedded again)")
    return found


def _grade_key(g: Grade) -> tuple[str | None, str]:
    return g.force, "overall" if g.question is None else g.theme


def grades(index: Searcher | IndexSnapshot, force: str | None = None) -> list[Grade]:
    """Every graded judgment in the index (of one force, name or alias), by force, year and
    report order, with ``previous_comparable`` set against the force's previous grade on the
    same theme (overall with overall).

    Raises:
        FindingsUnavailableError: the index predates findings (the message says how to update it).
        FilterError: unknown force.
    """
    wanted = resolve_force(force)
    items = [g for g in loaded(index).grades if wanted is None or g.force == wanted]
    out = list(items)
    last: dict[tuple[str | None, str], Grade] = {}
    for n in sorted(range(len(items)), key=lambda n: (items[n].force or "", items[n].year or 0)):
        g = items[n]
        previous = last.get(_grade_key(g))
        if previous is not None and (previous.year or 0) < (g.year or 0):
            out[n] = replace(g, previous_comparable=comparable(previous, g))
        if previous is None or (previous.year or 0) < (g.year or 0):
            last[_grade_key(g)] = g
    return out


def findings(index: Searcher | IndexSnapshot, force: str | None = None, theme: str | None = None
             ) -> list[FindingWithTrail]:
    """Areas for improvement, recommendations, causes of concern and critical findings (of one
    force and/or theme), oldest first, each with its trail through later reports.

    Raises:
        FindingsUnavailableError, FilterError: as ``grades``; FilterError also for an unknown theme.
    """
    wanted = resolve_force(force)
    theme_id = None
    if theme:
        theme_id = resolve_theme(theme)
        if theme_id is None:
            raise FilterError(f"unknown theme {theme!r}: choose one of {', '.join(THEMES)}")
    found = loaded(index)
    items = [f for f in found.findings
             if (wanted is None or f.force == wanted) and (theme_id is None or f.theme == theme_id)]
    items.sort(key=lambda f: (f.force or "", f.year or 0, f.citation.year or 0, f.source))
    return [FindingWithTrail(f, found.links.get(f.finding_id, ())) for f in items]

