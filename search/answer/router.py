"""``answer()``: a cited answer to a question, or an honest abstention.

A question about graded judgments is answered from the structured grades; any other from the
retrieved passages, extractively (verbatim quotes with [n] markers) or, when a local language
model is configured, in the model's words with each sentence's citation checked. The whole
answer is read from one index generation: the one its search ran on.
"""

from __future__ import annotations

from search.answer.abstain import absent_topics, abstention, missing_years, outside_index, weak_evidence
from search.answer.extractive import (
    asks_about_change,
    attach_headers,
    candidates,
    citation,
    compose,
    select,
    wants_number,
)
from search.answer.grades import grade_answer
from search.answer.llm import LLMClient, written_answer
from search.filters import Filters
from search.retrieve.searcher import Searcher
from search.types import Answer


def answer(searcher: Searcher, question: str, filters: Filters | dict | None = None, *, k: int = 8,
           llm: LLMClient | None = None, use_understanding: bool = True) -> Answer:
    """Answer ``question`` from the index with cited verbatim quotes, or abstain.

    Args:
        searcher: a loaded index.
        question: the user's question.
        filters: explicit filters (as for ``Searcher.search``).
        k: passages retrieved and returned with the answer.
        llm: a client for written answers (None: extractive only).
        use_understanding: apply the forces and years the question names (as ``Searcher.search``).

    Raises:
        QueryError, FilterError: as ``Searcher.search``.
    """
    settings = searcher.settings.answer
    parsed = searcher.question(question)
    snapshot = searcher.snapshot  # every step below reads this one generation
    graded = grade_answer(searcher, parsed, filters, use_understanding=use_understanding, snapshot=snapshot)
    if graded is not None:
        return graded
    result = searcher.search(parsed, k=max(k, settings.search_k), filters=filters,
                             use_understanding=use_understanding, snapshot=snapshot)
    base = {"question": parsed.asked, "filters_used": result.filters_used, "understood": result.understood,
            "notices": result.notices, "generation": snapshot.generation}
    outside = outside_index(result, base)
    if outside is not None:
        return outside
    pool = result.hits  # searched with at least search_k, so a topic is looked for widely enough
    passages = pool[:k]
    years = missing_years(result, passages)
    if years:
        reason = f"No indexed report is from {', '.join(map(str, years))}. {snapshot.describe_coverage()}"
        return abstention(reason, reason, passages, base)
    absent = absent_topics(parsed.asked, pool)
    if absent:
        return abstention(f"The indexed reports (within the filters used) do not discuss {' or '.join(absent)}; "
                          "the closest passages are listed below and do not answer it.",
                          f"none of the passages that come closest mention {' or '.join(absent)}", passages, base)

    assert result.vector is not None  # set on every search that returns hits
    found = candidates(snapshot, passages[:settings.passages], result.vector, snapshot.lexical.idf(parsed.tokens))
    attach_headers(snapshot.store, found)
    years_named = set(result.understood.get("years") or [])
    cross_year = len(years_named) > 1 or asks_about_change(parsed.asked)
    chosen = select(found, wants_number(parsed.asked), cross_year, years_named, settings)
    weak = weak_evidence(found, chosen, result.foreign_words, len(parsed.tokens), settings)
    if weak is not None:
        return abstention("The closest passages are listed below; they do not answer it.", weak, passages, base)

    if llm is not None:
        written = written_answer(llm, parsed.asked, passages[:settings.passages], found)
        if written is not None:
            text, cited = written
            return Answer(text=text, citations=tuple(cited), passages=passages, abstained=False, mode="llm", **base)
    text, ordered = compose(chosen)
    return Answer(text=text, citations=tuple(citation(n, c) for n, c in enumerate(ordered, start=1)),
                  passages=passages, abstained=False, **base)


__all__ = ["answer"]
