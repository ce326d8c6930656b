"""``answer()``: a cited answer to a question, or an honest abstention.

The question is parsed once (``search.retrieve.question``). A question about graded judgments is
answered from the structured grades when they hold one in its scope (for one force, followed by
any likely sentence the grades do not already quote); any other from the retrieved passages:
their sentences are scored as evidence (``search.answer.evidence``), the product abstains when none is likely to answer (``search.answer.abstain``), and otherwise quotes the
likeliest verbatim with [n] markers (``search.answer.extractive``), or, when a language model is
configured, answers in its words with each sentence's citation checked. The whole answer is read
from one index generation: the one its search ran on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ingest.textutil import normalise_for_match
from search.answer.abstain import abstention, evidence_gap, missing_years, outside_index, said_elsewhere
from search.answer.evidence import Candidate, counts_asked, gather, score
from search.answer.extractive import choose, citation, compose, expand, states_asked_fact, uncovered
from search.answer.grades import grade_answer
from search.answer.llm import LLMClient, written_answer
from search.config import AnswerSettings
from search.embed import Embedder
from search.filters import Filters
from search.index.snapshot import IndexSnapshot
from search.retrieve.question import AnswerType, Question, Scope
from search.retrieve.result import SearchResult
from search.retrieve.searcher import Searcher
from search.types import Answer, Citation, Hit


@dataclass
class Evidence:
    """A question's search and its scored candidate sentences."""

    result: SearchResult
    quotable: tuple[Hit, ...]  # the chunks whose sentences may be quoted (the search's ranked chunks)
    candidates: list[Candidate]
    rows: np.ndarray  # their features (search.answer.evidence.FEATURES)


def collect(searcher: Searcher, question: Question, filters: Filters | dict | None, *, use_understanding: bool,
            snapshot: IndexSnapshot, k: int) -> Evidence:
    """Search for ``question`` and score the sentences of the passages that may be quoted."""
    settings = searcher.settings
    searched, quoted = _breadth(settings.answer, question)
    result = searcher.search(question, k=max(k, searched), filters=filters, use_understanding=use_understanding,
                             snapshot=snapshot)
    if not result.chunks or result.vector is None or result.focus_vector is None:
        return Evidence(result, (), [], np.zeros((0, 0)))
    quotable = _merged(_fan_out(searcher, question, filters, snapshot, result), result.chunks[:quoted])
    ranks: dict[int, int] = {}
    for hit in (*quotable, *result.chunks):
        ranks[hit.row] = min(ranks.get(hit.row, hit.rank), hit.rank)
    found = gather(snapshot, quotable, result.vector, result.focus_vector)
    rows = score(question, found, snapshot, ranks, settings.evidence, settings.answer.figure_window)
    if question.counted and question.expects is AnswerType.COUNT and not question.polar:
        vectors = _word_vectors(snapshot, searcher.embedder)
        for c in found:  # a number stating the count asked must count what is asked ('in four districts' counts no officers)
            if states_asked_fact(c, question):
                c.states = counts_asked(expand(c, AnswerType.COUNT).text, question.counted, vectors,
                                        settings.answer.count_window, settings.answer.count_similarity)
    return Evidence(result, quotable, found, rows)


def _word_vectors(snapshot: IndexSnapshot, embedder: Embedder) -> Callable[[list[str]], np.ndarray]:
    """Unit vectors of words: the index's own for report words, the encoder's for the rest."""
    def vectors(words: list[str]) -> np.ndarray:
        known = snapshot.expander.vectors_of(words) if snapshot.expander is not None else [None] * len(words)
        missing = [w for w, v in zip(words, known, strict=True) if v is None]
        fresh = iter(embedder.encode(missing)) if missing else iter(())
        return np.stack([v if v is not None else next(fresh) for v in known])
    return vectors


def _breadth(settings: AnswerSettings, question: Question) -> tuple[int, int]:
    """Passages searched and passages quoted from: more for a question across years or forces."""
    if question.scope is Scope.SINGLE:
        return settings.search_k, settings.passages
    return settings.cross_search_k, settings.cross_passages


def _fan_out(searcher: Searcher, question: Question, filters: Filters | dict | None, snapshot: IndexSnapshot,
             result: SearchResult) -> list[Hit]:
    """For a question across years about named forces, the best passages of each of their reports in
    the period; for one comparing named forces, each force's: so that every report or force the
    question spans is looked at, not only those the single search ranks first. Explicit filters are
    left as the user set them."""
    if not Filters.coerce(filters).is_empty() or result.vector is None:
        return []
    settings = searcher.settings.answer
    span = question.span
    if question.scope is Scope.CROSS_FORCE and len(question.forces) > 1:
        groups = [Filters(forces=(force,), years=span) for force in question.forces]
    elif question.scope is Scope.CROSS_YEAR and question.forces:
        groups = [Filters(sources=(r["source"],)) for r in snapshot.store.report_rows()
                  if r["force"] in question.forces and (span is None or span.overlaps(r["year"], r["year_to"]))]
    else:
        return []
    hits: list[Hit] = []
    for group in groups[:settings.fan_out_groups]:
        hits.extend(searcher.search(question, k=settings.fan_out_passages, filters=group, use_understanding=False,
                                    snapshot=snapshot, encoded=result).chunks)
    return hits


def _other_forces(searcher: Searcher, question: Question, snapshot: IndexSnapshot,
                  result: SearchResult) -> list[Candidate]:
    """The sentences of the passages that the same search over every report ranks first, from the
    reports of forces the question does not name."""
    if result.vector is None or result.focus_vector is None:
        return []
    searched, quoted = _breadth(searcher.settings.answer, question)
    everywhere = searcher.search(question, k=searched, use_understanding=False, snapshot=snapshot, encoded=result)
    hits = [h for h in everywhere.chunks[:quoted] if h.force not in question.forces]
    return gather(snapshot, hits, result.vector, result.focus_vector)


def _merged(first: Sequence[Hit], then: Sequence[Hit]) -> tuple[Hit, ...]:
    """``first`` then ``then``, each passage once."""
    seen: set[int] = set()
    out = []
    for hit in (*first, *then):
        if hit.row not in seen:
            seen.add(hit.row)
            out.append(hit)
    return tuple(out)


def answer(searcher: Searcher, question: str | Question, filters: Filters | dict | None = None, *, k: int = 8,
           llm: LLMClient | None = None, use_understanding: bool = True) -> Answer:
    """Answer ``question`` from the index with cited verbatim quotes, or abstain.

    Args:
        searcher: a loaded index.
        question: the user's question (or one parsed by ``searcher.question``).
        filters: explicit filters (as for ``Searcher.search``).
        k: passages returned with the answer.
        llm: a client for written answers (None: extractive only).
        use_understanding: apply the forces and years the question names (as ``Searcher.search``).

    Raises:
        QueryError, FilterError: as ``Searcher.search``.
    """
    settings = searcher.settings
    parsed = question if isinstance(question, Question) else searcher.question(question)
    snapshot = searcher.snapshot  # every step below reads this one generation
    graded = grade_answer(snapshot, searcher.embedder, parsed, filters, use_understanding=use_understanding,
                          settings=settings.grades)
    if graded is not None and (parsed.scope is not Scope.SINGLE or graded.abstained):
        return graded
    evidence = collect(searcher, parsed, filters, use_understanding=use_understanding, snapshot=snapshot, k=k)
    result, quotable, found = evidence.result, evidence.quotable, evidence.candidates
    base = {"question": parsed.asked, "filters_used": result.filters_used, "understood": result.understood,
            "notices": result.notices, "generation": snapshot.generation}
    outside = outside_index(result, base)
    passages = result.chunks[:k]  # the ranked chunks quotes come from (the search shows them grown into passages)
    years = missing_years(parsed, result, passages) if outside is None else []
    gap = evidence_gap(parsed, found, result.foreign_words, settings.answer) if outside is None and not years else None
    if graded is not None and (outside is not None or years or gap is not None):
        return graded  # the passages add nothing to the grades
    if outside is not None:
        return outside
    if years:
        reason = f"No indexed report is from {', '.join(map(str, years))}. {snapshot.describe_coverage()}"
        return abstention(reason, reason, passages, base)
    area = _area_grades(searcher, snapshot, parsed, filters, use_understanding) if graded is None else None
    elsewhere = None  # only a question naming forces, with its found sentences, is compared with other forces'
    if (graded is None and area is None and found and parsed.forces and use_understanding
            and Filters.coerce(filters).is_empty()):
        elsewhere = said_elsewhere(parsed, found, _other_forces(searcher, parsed, snapshot, result), settings.answer)
    if elsewhere is not None:
        named = " or ".join(parsed.forces)
        reason = (f"the reports on {named} say little about {parsed.focus or 'it'}; other forces' reports say more, "
                  f"such as {elsewhere.hit.title}")
        shown = _merged([elsewhere.hit], passages)[:k]
        return abstention(f"The reports on {named} do not discuss it; the closest passages, from other forces' "
                          "reports first, are listed below.", reason, shown, base)
    if gap is not None and area is not None:
        return area  # the passages do not say it in words; the area's grades do
    if gap is not None:
        return abstention("The closest passages are listed below; they do not answer it.", gap, passages, base)

    if llm is not None and graded is None:
        written = written_answer(llm, parsed.asked, quotable, found)
        if written is not None:
            text, cited = written
            return Answer(text=text, citations=tuple(cited), passages=passages, abstained=False, mode="llm", **base)
    chosen = choose(parsed, found, settings.answer)
    if graded is not None:  # the grades' own sentences are not quoted twice
        chosen = [c for c in chosen if not _repeats(c, graded.citations)]
        if not chosen:
            return graded
    text, ordered = compose(parsed, chosen)
    notes = uncovered(parsed, ordered, snapshot.store.report_rows())
    quoted = Answer(text=" ".join([text, *notes]), citations=tuple(citation(n, c) for n, c in enumerate(ordered, 1)),
                    passages=passages, abstained=False, **base)
    if graded is not None:  # 'was it the first force rated inadequate ...?': the grades, then what the text says
        return replace(_joined(graded, quoted), mode=graded.mode)
    return quoted if area is None else _joined(area, quoted)


def _area_grades(searcher: Searcher, snapshot: IndexSnapshot, question: Question, filters: Filters | dict | None,
                 use_understanding: bool) -> Answer | None:
    """The grades of the area a question names when it asks how a force changed over the years in it
    ('has Kent got better at investigating crime since 2015?') or compares named forces in it ('how
    did Kent and Cleveland compare on investigating crime?'): they come before the quotes, or stand
    alone when no passage says it in words. None for other questions, or an area the reports do not
    grade."""
    over_years = question.scope is Scope.CROSS_YEAR and bool(question.forces)
    between_forces = (question.scope is Scope.CROSS_FORCE and len(question.forces) > 1
                      and question.expects is AnswerType.COMPARISON)
    if not (over_years or between_forces):
        return None
    return grade_answer(snapshot, searcher.embedder, replace(question, expects=AnswerType.GRADE), filters,
                        use_understanding=use_understanding, settings=searcher.settings.grades, one_area=True)


def _repeats(candidate: Candidate, citations: Sequence[Citation]) -> bool:
    """Whether a candidate quote says what one of the citations already quotes (either holds the other)."""
    words = normalise_for_match(candidate.text)
    return any(words in (said := normalise_for_match(c.quote)) or said in words for c in citations)


def _joined(graded: Answer, quoted: Answer) -> Answer:
    """The grades' sentences and table first, then the quotes, numbered on."""
    shift = len(graded.citations)
    text = re.sub(r"\[(\d+)\]", lambda m: f"[{int(m.group(1)) + shift}]", quoted.text)
    citations = (*graded.citations, *(replace(c, n=c.n + shift) for c in quoted.citations))
    passages = tuple({h.row: h for h in (*graded.passages, *quoted.passages)}.values())
    return replace(quoted, text=f"{graded.text} {text}", citations=citations, passages=passages, table=graded.table)


__all__ = ["Evidence", "answer", "collect"]
