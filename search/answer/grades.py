"""Answers from the structured grades, for questions about graded judgments: one force's grade for
an area ('how did inspectors rate Kent on protecting vulnerable people in 2018/19?'), every grade of
a report, or every force graded as asked ('which forces were graded inadequate for responding to
the public in 2021/22?'), each grade citing the sentence that states it and, when the report states
the grade again in another sentence (a page-top line, a table row), that one too ([n][m]), with the
rows as a table. A grade a later report recalls ('In 2015 we judged ... good') is one row with the
earlier report's own: it cites the report whose period it is.

The area asked about is read from the question's focus with ingest's area vocabulary, else matched
to the graded areas by embedding similarity; a question naming no area gets every grade in scope.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ingest.areas import AREAS, PILLARS, area_key
from ingest.dates import format_period
from search.answer.extractive import carry_on
from search.config import GradeSettings
from search.embed import Embedder
from search.filters import Filters
from search.findings.api import grades
from search.findings.model import Grade
from search.index.snapshot import IndexSnapshot
from search.retrieve.question import AnswerType, Question, Scope
from search.types import Answer, Citation, Hit, YearRange


def asks_for_grades(question: Question) -> bool:
    """Whether the structured grades can answer ``question``: it asks for a grade, or names a grade
    and asks which, how many or whether."""
    return question.expects is AnswerType.GRADE or (bool(question.grades) and question.expects in (
        AnswerType.LIST, AnswerType.COUNT, AnswerType.YESNO))


def grade_answer(snapshot: IndexSnapshot, embedder: Embedder, question: Question,
                 filters: Filters | dict | None = None, *, use_understanding: bool = True,
                 settings: GradeSettings | None = None, one_area: bool = False) -> Answer | None:
    """An answer from the structured grades, or None when the question is not about grades or no
    stored grade is in its scope (the caller then answers from passages). With ``one_area``, also
    None unless the question names one graded area (by the area vocabulary or, failing that, by
    the closeness of its focus to the areas' names).

    Raises:
        FilterError: a filter names an unknown force, theme, report type or judgment.
    """
    if not asks_for_grades(question) or (filters is not None and not isinstance(filters, dict | Filters)):
        return None
    found = snapshot.findings()
    if not found.available or not found.grades:
        return None
    given = Filters.coerce(filters).resolved()
    forces = given.forces or (question.forces if use_understanding else ())
    span = given.years if (given.years is not None or not given.is_empty() or not use_understanding) else question.span
    pool = _in_scope(grades(snapshot), given, forces, span)
    if not pool:
        return None
    areas = _areas(question, pool, embedder, snapshot, settings or GradeSettings())
    if one_area and (areas is None or areas <= {"overall"}):
        return None
    asked = list(given.judgments) or list(question.grades) if use_understanding else list(given.judgments)
    selected = one_per_period([g for g in pool if (areas is None or g.area_key in areas)
                               and (not asked or g.grade in asked)])
    understood = question.understood() if use_understanding else {"forces": [], "years": [], "period": None}
    base: dict[str, Any] = {"question": question.asked, "mode": "grades", "understood": understood, "notices": (),
                            "generation": snapshot.generation}
    if not selected:
        held = one_per_period([g for g in pool if g.area_key in areas]) if asked and areas else []
        return _none_graded(snapshot, question, held, asked, forces, span, base) if held else None
    text, citations, hits, table = _compose(snapshot, question, selected, asked, pool, by_grade=areas is None)
    others = _named_others(selected, pool, areas, asked, forces)
    if others:  # 'which of Kent, Cleveland and Norfolk were graded outstanding …?': the rest's grades follow
        more, cited, shown, rows = _compose(snapshot, question, others, [], pool, by_grade=False, first=len(citations))
        text = f"{text} The other forces named: {more}"
        citations, table = [*citations, *cited], [*table, *rows]
        hits += [h for h in shown if all(h.row != k.row for k in hits)]
        selected = [*selected, *others]
    return Answer(text=text, citations=tuple(citations), passages=tuple(hits), abstained=False,
                  filters_used=_used(selected, span), table=tuple(table), **base)


def _named_others(selected: list[Grade], pool: list[Grade], areas: set[str] | None, asked: list[str],
                  forces: tuple[str, ...]) -> list[Grade]:
    """For a question naming several forces and a grade for one area, the grades in that area of
    the named forces that did not get it (the answer shows every force the user named)."""
    if len(forces) < 2 or not asked or not areas or areas <= {"overall"}:
        return []
    got = {g.force for g in selected}
    return one_per_period([g for g in pool if g.area_key in areas and g.force not in got])


def _used(shown: list[Grade], span: YearRange | None) -> dict[str, Any]:
    used: dict[str, Any] = {"forces": sorted({g.force for g in shown if g.force})}
    if span is not None:
        used["years"] = list(span)
    return used


def _none_graded(snapshot: IndexSnapshot, question: Question, held: list[Grade], asked: list[str],
                 forces: tuple[str, ...], span: YearRange | None, base: dict[str, Any]) -> Answer:
    """The answer when the grades in scope hold the area asked about but none of the grade asked:
    about named forces ('was Kent graded inadequate at …?'), no, with the grades they got cited;
    about every force ('which forces were graded inadequate at …?'), an abstention that cites no
    force (none qualifies), says so and lists the grades the reports do give for the area."""
    who = " or ".join(forces) if forces else "No force in the indexed reports"
    period = f" in {format_period(span.first, span.last)}" if span is not None and span.first is not None else ""
    lead = (f"{'No: ' + who if forces else who} was {'not ' if forces else ''}graded {' or '.join(asked)} "
            f"{_what(held[0])}{period}.")
    text, citations, hits, table = _compose(snapshot, question, held, [], held, by_grade=False)
    if forces:
        return Answer(text=f"{lead} {text}", citations=tuple(citations), passages=tuple(hits), abstained=False,
                      filters_used=_used(held, span), table=tuple(table), **base)
    listed = "; ".join(f"{row['force'] or 'the force'}: {row['grade']} ({row['period']})" for row in table)
    return Answer(text=f"{lead} The grades the reports give for it: {listed}.", citations=(), passages=tuple(hits),
                  abstained=True, reason=f"no indexed report grades a force {' or '.join(asked)} {_what(held[0])}",
                  filters_used=_used(held, span), table=tuple(table), **base)


def _in_scope(items: list[Grade], given: Filters, forces: tuple[str, ...], span: YearRange | None) -> list[Grade]:
    """The grades of the forces, period and report filters asked about."""
    return [g for g in items
            if (not forces or g.force in forces)
            and (span is None or span.overlaps(g.year, g.year_to))
            and (not given.themes or g.theme in given.themes or g.question is None)
            and (not given.report_types or g.report_type in given.report_types)
            and (not given.sources or g.source in given.sources)]


def _own_period(g: Grade) -> bool:
    """The grade is for the period of the report that states it (not recalled from an earlier one)."""
    c = g.citation
    return (c.year, c.year_to if c.year_to is not None else c.year) == (g.year, g.year_to if g.year_to is not None
                                                                         else g.year)


def one_per_period(items: list[Grade]) -> list[Grade]:
    """One grade per force, area and period: a later report that recalls an earlier year's grade ('In
    2015 we judged ... good') and the earlier report itself state the same grade. The grade of the
    report whose own period it is stands (else the first stated); a recalling report is cited as its
    alternative when it has none of its own. In the order given."""
    groups: dict[tuple[str | None, str | None, int | None, int | None], list[Grade]] = {}
    for g in items:
        key = g.area_key or g.question or "overall"
        groups.setdefault((g.force, key, g.year, g.year_to), []).append(g)
    kept: dict[int, Grade] = {}
    for group in groups.values():
        own = next((g for g in group if _own_period(g)), group[0])
        others = [g for g in group if g is not own and g.source != own.source and g.grade == own.grade]
        kept[id(own)] = replace(own, also=(others[0].citation,)) if others and not own.also else own
    return [kept[id(g)] for g in items if id(g) in kept]


def asked_area(question: Question) -> str | None:
    """The graded area a question names: read from its focus, unless its whole wording names a more
    specific one (the focus drops function words, so 'systems and processes' loses its 'and')."""
    key = area_key(question.focus) if question.focus else None
    whole = area_key(question.text)
    if whole is not None and whole != key and (key in (None, "overall", *PILLARS) or whole.startswith(f"{key}_")):
        return whole
    return key


def _label(g: Grade) -> str:
    return AREAS.get(g.area_key or "", "") or g.question or "overall"


def _areas(question: Question, pool: list[Grade], embedder: Embedder, snapshot: IndexSnapshot,
           settings: GradeSettings) -> set[str] | None:
    """The graded areas the question is about; None when it names none (every grade in scope)."""
    if not question.focus:
        return None
    key = asked_area(question)
    present = {g.area_key for g in pool if g.area_key}
    if key is not None and key != "overall":
        return {key}
    labels = sorted({(g.area_key, _label(g)) for g in pool if g.area_key})
    if not labels:
        return None
    cache = snapshot.findings().question_vectors
    missing = [label for _, label in labels if label not in cache]
    if missing:
        cache.update(zip(missing, embedder.encode(missing), strict=True))
    query = embedder.encode([question.focus])[0]
    cosines = np.array([float(cache[label] @ query) for _, label in labels])
    best = int(np.argmax(cosines))
    if cosines[best] < settings.question_cosine:
        return {"overall"} & present if key == "overall" else None
    return {labels[best][0]}


def _where(g: Grade) -> str:
    period = format_period(g.year, g.year_to)
    title = g.citation.title or g.source
    return f"in {period} ({title})" if period and period not in title else f"in {title}"


def _what(g: Grade) -> str:
    return "overall" if g.area_key == "overall" or (g.question is None and not g.area_key) else f"for {_label(g).lower()}"


def _counts(selected: list[Grade], pool: list[Grade], asked: list[str]) -> list[str]:
    """'In <report> (<period>), <force> was graded <grade> on k of n graded areas.' per report."""
    out = []
    for force, source, year in dict.fromkeys((g.force, g.source, g.year) for g in selected):
        areas = [g for g in pool if (g.force, g.source, g.year) == (force, source, year) and g.question is not None]
        hits = [g for g in areas if g.grade in asked]
        title = next(g.citation.title for g in selected if g.source == source)
        out.append(f"In {title} ({format_period(year, year)}), {force or 'the force'} was graded "
                   f"{' or '.join(asked)} on {len(hits)} of {len(areas)} graded areas.")
    return out


def _compose(snapshot: IndexSnapshot, question: Question, selected: list[Grade], asked: list[str],
             pool: list[Grade], by_grade: bool, first: int = 0
             ) -> tuple[str, list[Citation], list[Hit], list[dict[str, Any]]]:
    """The answer's sentences (a lead naming how many forces qualify when several may, or how many
    of a report's areas got the grade asked about), one per grade with its [n]; the citations, the
    passages they quote, and the rows as a table. Numbering starts after ``first`` citations, and
    then no lead is written (the rows follow an earlier list)."""
    ordered = sorted(selected, key=lambda g: (g.force or "", g.year or 0, g.source, _label(g)))
    citations: list[Citation] = []
    hits: list[Hit] = []
    table: list[dict[str, Any]] = []
    parts: list[str] = []
    forces = list(dict.fromkeys(g.force for g in ordered if g.force))
    if not first and (question.scope is Scope.CROSS_FORCE or len(forces) > 1):
        graded = " or ".join(asked) if asked else "as listed"
        if len(question.forces) > 1:
            parts.append(f"{len(forces)} of the {len(question.forces)} forces named "
                         f"{'was' if len(forces) == 1 else 'were'} graded {graded}:" if asked
                         else f"The grades of the {len(question.forces)} forces named:")
        else:
            parts.append(f"{len(forces)} force{'s' if len(forces) != 1 else ''} in the indexed reports "
                         f"{'was' if len(forces) == 1 else 'were'} graded {graded}:")
    elif not first and asked and by_grade:
        parts.extend(_counts(ordered, pool, asked))
    for g in ordered:
        marks = []
        for quoted in (g.citation, *_other_sentence(g)):
            citation, hit = _cite(snapshot, first + len(citations) + 1, quoted)
            citations.append(citation)
            marks.append(citation.n)
            if hit is not None and all(h.row != hit.row for h in hits):
                hits.append(hit)
        parts.append(f"{g.force or 'The force'} was graded {g.grade} {_what(g)} {_where(g)} "
                     f"{''.join(f'[{n}]' for n in marks)}.")
        table.append({"n": marks[0], "also_n": marks[1] if len(marks) > 1 else None, "force": g.force,
                      "period": format_period(g.year, g.year_to), "year": g.year, "year_to": g.year_to,
                      "area": _label(g), "area_key": g.area_key, "grade": g.grade, "scale": g.scale,
                      "title": g.citation.title, "source": g.source})
    if len({g.scale for g in ordered}) > 1:
        parts.append("Grades on the four-grade scale (PEEL up to 2020, no 'Adequate') and the five-grade scale "
                     "(from 2021/22) are not directly comparable.")
    return " ".join(parts), citations, hits, table


def _other_sentence(g: Grade) -> tuple[Citation, ...]:
    """The grade's first alternative citation, when it quotes another sentence than the primary."""
    c = g.citation
    first = g.also[0] if g.also else None
    if first is None or (first.source == c.source and first.section_id == c.section_id
                         and first.start < c.end and c.start < first.end):
        return ()
    return (first,)


def _cite(snapshot: IndexSnapshot, n: int, c: Citation) -> tuple[Citation, Hit | None]:
    """Citation [n] of a grade's quote, and the passage (Hit) it quotes when a chunk holds the quote."""
    row = snapshot.store.row_of(c.chunk_id)
    records = snapshot.store.chunks([row]) if row is not None else []
    record = records[0] if records else None
    section = snapshot.store.section(c.section_id) or {}
    text = section.get("text") or ""
    end = carry_on(text, c.end) if text[c.start:c.end] == c.quote else c.end
    if end > c.end and (record is None or end <= record["end"]):  # as a passage's quote takes the sentences
        c = replace(c, end=end, quote=text[c.start:end])  # that carry it on ('This is a fall of two grades …')
    path = tuple(section.get("path") or (c.section,))
    hit = None
    if record is not None and record["start"] <= c.start and c.end <= record["end"]:
        passage, lo = record["text"], c.start - record["start"]
        hit = Hit(rank=n, score=1.0, text=record["text"], source=c.source, title=c.title, force=c.force,
                  year=c.year, report_type=c.report_type, section=c.section, path=path,
                  question=record["question"], theme=record["theme"], judgment=record["judgment"],
                  page=record["page"], start=record["start"], end=record["end"], chunk_id=record["chunk_id"],
                  section_id=c.section_id, kind=record["kind"], is_table=record["is_table"], row=record["row"],
                  year_to=record.get("year_to"), url=record.get("url"))
    else:
        passage, lo = section.get("text", c.quote), c.start if section else 0
    citation = replace(c, n=n, path=path, chunk_id=c.chunk_id or "", passage=passage, passage_start=lo,
                       passage_end=lo + len(c.quote))
    return citation, hit
