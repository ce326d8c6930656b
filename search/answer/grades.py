"""Answers from the structured grades, for questions about graded judgments or counts of them
('which questions was Hertfordshire graded requires improvement on?', 'what grade did it get for
investigating crime in 2015?'), citing the words that state each grade (docs/findings.md).
"""

from __future__ import annotations

import re
from dataclasses import replace

from ingest.metadata import THEMES, canonical_grade, theme_scores
from search.config import GradeSettings
from search.embed import Embedder
from search.filters import Filters
from search.findings.api import grades
from search.findings.model import Grade
from search.index.snapshot import IndexSnapshot
from search.retrieve.question import Question
from search.retrieve.searcher import Searcher
from search.types import Answer, Citation, Hit, YearRange

_YEAR_RE = re.compile(r"(?<![\d/£$,.])((?:19|20)\d\d)(?![\d%])")


_GRADE_WORDS_RE = re.compile(r"\b(?:grades?|graded|grading|rated|ratings?)\b", re.I)
_JUDGMENT_RE = re.compile(r"\b(?:what|which|overall)\s+(?:\w+\s+){0,2}judg(?:e)?ments?\b|"
                          r"\bjudg(?:e)?ments?\s+(?:did|does|do|was|were|for|on|of the force|given)\b|\bjudged\b",
                          re.I)
_GRADE_NAME_RE = re.compile(
    r"\brequires? improvement\b|\b(?:graded|rated|judged|assessed|found to be|considered)\s+(?:as\s+)?(?:being\s+)?"
    r"(?:outstanding|good|adequate|inadequate)\b|\b(?:is|was|were|are)\s+(?:\w+\s+){0,5}?"
    r"(?:outstanding|adequate|inadequate)\s+(?:at|in|for|overall)\b|"
    r"\b(?:is|was|were|are)\s+(?:\w+\s+){0,5}?good\s+(?:at|overall)\b", re.I)
_COUNT_RE = re.compile(r"\bhow many (?:questions|areas|grades|judg(?:e)?ments)\b", re.I)
_NOT_LOOKUP_RE = re.compile(r"\bmean(?:s|ing|t)?\b|\bdefin\w*|\bwhat is an?\b\s+['\"‘“]?(?:outstanding|good|"
                            r"adequate|requires|inadequate)|\bcriteria\b|\bscale\b(?!.*\bforce\b)", re.I)
_ASKED_GRADE_RE = re.compile(r"\b(outstanding|good|adequate|requires? improvement|inadequate)\b", re.I)
_STOP_WORDS = """what which how did does do was were is are the it its their they get got receive received given give
for on in at of and a an to by with from police force forces constabulary service hmic hmicfrs inspection inspections
peel grade grades graded grading rated rating ratings judgment judgments judgement judgements judged questions question
many overall year years get this that these those awarded award score scored result results whether same
has have had been be there what's since compared change changed"""
_STOP = frozenset(_STOP_WORDS.split())


def is_grade_question(question: str) -> bool:
    """Whether a question asks for graded judgments or counts of them (not what a grade means)."""
    if not question or _NOT_LOOKUP_RE.search(question):
        return False
    return bool(_GRADE_WORDS_RE.search(question) or _JUDGMENT_RE.search(question)
                or _GRADE_NAME_RE.search(question) or _COUNT_RE.search(question))


def _asked_grades(question: str) -> list[str]:
    """Grades the question names as grades ('graded requires improvement on', 'rated good')."""
    names = []
    for match in _ASKED_GRADE_RE.finditer(question):
        name = canonical_grade(match.group(1))
        if name is None:
            continue
        if name in ("Good", "Adequate", "Outstanding", "Inadequate"):
            before = question[max(0, match.start() - 40):match.start()].lower()
            if not re.search(r"(?:graded|rated|judged|assessed|as|were|was|received?|got|given|an?)\s*$", before):
                continue
        names.append(name)
    return list(dict.fromkeys(names))


def _residual(question: Question) -> str:
    """The question's topic words: without forces, years, grade vocabulary and function words."""
    text, mentions = question.text, question.force_mentions
    for mention in reversed(mentions):
        text = text[:mention.start] + " " + text[mention.end:]
    text = _YEAR_RE.sub(" ", text)
    text = re.sub(r"\brequires? improvement\b|\boutstanding\b|\binadequate\b|\badequate\b|\bgood\b", " ", text,
                  flags=re.I)
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", text) if w.lower() not in _STOP and len(w) > 2]
    return " ".join(words)


def grade_answer(searcher: Searcher, question: str | Question, filters: Filters | dict | None = None, *,
                 use_understanding: bool = True, snapshot: IndexSnapshot | None = None) -> Answer | None:
    """An answer from the structured grades for a question about grades, or None when the
    question is not about grades or the index holds no grade it could be about (the caller then
    answers from passages).

    ``use_understanding=False`` ignores the forces and years the question names (as
    ``Searcher.search``); ``snapshot`` is the generation to read (default: the one loaded now).

    Raises:
        FilterError: a filter names an unknown force, theme, report type or judgment.
    """
    if not isinstance(question, Question):
        if not isinstance(question, str) or not question.strip():
            return None
        question = searcher.question(question)
    if not is_grade_question(question.text):
        return None
    if filters is not None and not isinstance(filters, dict | Filters):
        return None  # Searcher.search explains what filters must be
    snapshot = snapshot or searcher.snapshot
    embedder, settings = searcher.embedder, searcher.settings.grades
    found = snapshot.findings()
    if not found.available or not found.grades:
        return None
    given = Filters.coerce(filters).resolved()
    years = _years(given, question, use_understanding)
    candidates = _candidates(grades(snapshot), given, given.forces or (question.forces if use_understanding else ()),
                             years)
    if not candidates:
        return None
    asked = list(given.judgments) or _asked_grades(question.text)
    overall_asked = bool(re.search(r"\boverall\b|keeping people safe and reducing crime", question.text, re.I))
    selected, mode = _selected(snapshot, embedder, question, asked, overall_asked, candidates, settings)
    text, citations, hits, shown = _compose(snapshot, selected, mode, asked, overall_asked, candidates)
    used: dict[str, list] = {"forces": sorted({g.force for g in shown if g.force})}
    if years:
        used["years"] = list(years)
    understood = question.understood() if use_understanding else {"forces": [], "years": [], "period": None}
    return Answer(question=question.asked, text=text, citations=tuple(citations), passages=tuple(hits),
                  abstained=False, mode="grades", filters_used=used, understood=understood, notices=(),
                  generation=snapshot.generation)


def _years(given: Filters, question: Question, use_understanding: bool) -> YearRange | None:
    """The years asked about: the filter's, else (with no filter at all) those the question names."""
    if given.years is not None or not given.is_empty() or not use_understanding:
        return given.years
    if question.period:
        return question.period
    return YearRange(min(question.years), max(question.years)) if question.years else None


def _candidates(items: list[Grade], given: Filters, forces: tuple[str, ...], years: YearRange | None
                ) -> list[Grade]:
    """The grades within the forces, years and filters asked about."""
    return [g for g in items
            if (not forces or g.force in forces)
            and (years is None or years.contains(g.year))
            and (not given.themes or g.theme in given.themes or g.question is None)
            and (not given.report_types or g.report_type in given.report_types)
            and (not given.sources or g.source in given.sources)]


def _selected(snapshot: IndexSnapshot, embedder: Embedder, question: Question, asked: list[str],
              overall_asked: bool, candidates: list[Grade], settings: GradeSettings) -> tuple[list[Grade], str]:
    """The grades to state and how: 'by_grade' (those graded as asked), 'specific' (the graded
    question the words are about, or the overall judgment) or 'all'."""
    if asked:
        return [g for g in candidates if g.grade in asked and (g.question is not None or overall_asked)], "by_grade"
    residual = _residual(question)
    if overall_asked and not residual.replace("effectiveness", "").strip():
        return [g for g in candidates if g.question is None], "specific"
    matched = _match_question(snapshot, embedder, residual, candidates, settings) if residual else []
    return (matched, "specific") if matched else (candidates, "all")


def _compose(snapshot: IndexSnapshot, selected: list[Grade], mode: str, asked: list[str], overall_asked: bool,
             candidates: list[Grade]) -> tuple[str, list[Citation], list[Hit], list[Grade]]:
    """The answer's sentences, one group per force and report, each grade followed by its [n];
    its citations, the passages they quote, and the grades stated."""
    citations: list[Citation] = []
    hits: list[Hit] = []
    parts: list[str] = []

    def cite(g: Grade) -> str:
        citation, hit = _cite(snapshot, len(citations) + 1, g)
        citations.append(citation)
        if hit is not None:
            hits.append(hit)
        return f"[{citation.n}]"

    if mode == "by_grade" and not selected:
        named = " or ".join(sorted({g.force or "the force" for g in candidates}))
        parts.append(f"No indexed report grades {named} {' or '.join(asked)}"
                     f"{'' if overall_asked else ' on any question'}.")
        selected, mode = candidates, "all"
    groups: dict[tuple[str, str, int | None], list[Grade]] = {}
    for g in selected:
        groups.setdefault((g.force or "the force", g.source, g.year), []).append(g)
    for (force, source, _year), items in groups.items():
        title = _title_with_year(items[0])
        if mode == "by_grade":
            graded = sum(1 for g in candidates if g.source == source and g.question is not None
                         and g.year == items[0].year)
            asked_questions = [g for g in items if g.question is not None]
            listing = "; ".join(f"{'overall' if g.question is None else '“' + g.question + '”'} {cite(g)}"
                                for g in items)
            where = f"on {len(asked_questions)} of {graded} graded questions" if asked_questions else "overall"
            parts.append(f"In {title}, {force} was graded {' or '.join(dict.fromkeys(g.grade for g in items))} "
                         f"{where}: {listing}.")
        elif mode == "specific":
            parts.extend(f"In {_title_with_year(g)}, {force} was graded {g.grade} {_what(g)} {cite(g)}."
                         for g in items)
        else:
            listing = "; ".join(f"{g.grade} {_what(g)} {cite(g)}" for g in items)
            parts.append(f"In {title}, {force} was graded {listing}.")
    if len({g.scale for g in selected}) > 1:
        parts.append("Grades on the four-grade scale (PEEL up to 2020, no 'Adequate') and the five-grade scale "
                     "(from 2021/22) are not directly comparable.")
    return " ".join(p for p in parts if p), citations, hits, selected


def _match_question(snapshot: IndexSnapshot, embedder: Embedder, residual: str, candidates: list[Grade],
                    settings: GradeSettings) -> list[Grade]:
    """The graded question each report asks that the user's words are about: by theme words and
    by embedding similarity to the question wording. Empty when nothing matches well enough."""
    questions = sorted({g.question for g in candidates if g.question})
    if not questions:
        return []
    scores = theme_scores(residual)
    theme, strength = scores.most_common(1)[0] if scores else (None, 0)
    theme = theme if strength >= settings.theme_strength else None
    cache = snapshot.findings().question_vectors
    missing = [q for q in questions if q not in cache]
    if missing:
        texts = [f"{q} {THEMES.get(_theme_of(q, candidates), '')}" for q in missing]
        cache.update(zip(missing, embedder.encode(texts), strict=True))
    query = embedder.encode([residual])[0]
    cosine = {q: float(cache[q] @ query) for q in questions}
    chosen = []
    by_report: dict[str, list[Grade]] = {}
    for g in candidates:
        if g.question:
            by_report.setdefault(g.source, []).append(g)
    for items in by_report.values():
        ranked = sorted(items, key=lambda g: -(cosine[g.question] + (settings.theme_bonus if theme and g.theme == theme
                                                                      else 0)))
        best = ranked[0]
        if cosine[best.question] >= settings.question_cosine or (theme and best.theme == theme):
            chosen.append(best)
    return chosen


def _theme_of(question: str, candidates: list[Grade]) -> str:
    return next((g.theme for g in candidates if g.question == question), "general")


def _title_with_year(g: Grade) -> str:
    return g.title if g.year is None or str(g.year) in g.title else f"{g.title} ({g.year})"


def _what(g: Grade) -> str:
    return "overall" if g.question is None else f"for “{g.question}”"


def _cite(snapshot: IndexSnapshot, n: int, g: Grade) -> tuple[Citation, Hit | None]:
    """Citation [n] of a grade, and the passage (Hit) it quotes when a chunk holds the quote."""
    c = g.citation
    row = snapshot.store.row_of(c.chunk_id)
    records = snapshot.store.chunks([row]) if row is not None else []
    record = records[0] if records else None
    section = snapshot.store.section(c.section_id) or {}
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
