"""Cited answers: every marker resolves, every quote is verbatim, abstention, year order, figures.

The citation properties are checked over every development question twice: with the keyword
encoder (fast) and with the real bundled encoder (slow).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import DEV_QUESTIONS

from eval.metrics import load_questions
from search.answer.abstain import ABSTAIN_MESSAGE
from search.answer.extractive import Candidate, compose, has_number, select, wants_number
from search.answer.router import answer
from search.errors import QueryError
from search.types import Answer

MARKER_RE = re.compile(r"\[(\d+)\]")
QUESTIONS = load_questions(DEV_QUESTIONS)
BY_ID = {q.id: q for q in QUESTIONS}
HERTS = "Hertfordshire Constabulary"

SEARCHERS = ["fake_searcher", pytest.param("real_searcher", marks=pytest.mark.slow)]


@pytest.fixture(params=SEARCHERS)
def searcher(request: pytest.FixtureRequest):
    return request.getfixturevalue(request.param)


def check_answer(searcher, result: Answer) -> None:
    """The properties every answer has, whatever the question."""
    if result.abstained:
        assert result.text.startswith(ABSTAIN_MESSAGE)
        assert result.reason
        assert result.citations == ()
        assert MARKER_RE.search(result.text) is None
        return
    assert result.citations, "an answer that does not abstain cites something"
    n = len(result.citations)
    # every [n] marker resolves to a returned citation, and every citation is used
    assert {int(m) for m in MARKER_RE.findall(result.text)} == set(range(1, n + 1))
    assert [c.n for c in result.citations] == list(range(1, n + 1))
    passages = {h.chunk_id: h for h in result.passages}
    for c in result.citations:
        # the citation's chunk is one of the returned passages, with the same metadata
        assert c.chunk_id in passages
        hit = passages[c.chunk_id]
        assert (c.source, c.title, c.force, c.year, c.section, c.page, c.section_id) == (
            hit.source, hit.title, hit.force, hit.year, hit.section, hit.page, hit.section_id)
        # the quote is verbatim: in its passage and in its section's text at [start:end]
        assert c.quote.strip()
        assert c.passage == hit.text
        assert c.passage[c.passage_start:c.passage_end] == c.quote
        assert c.quote in hit.text
        assert searcher.section(c.section_id)["text"][c.start:c.end] == c.quote
        assert hit.start <= c.start < c.end <= hit.end
        if result.mode == "extractive" and "\t" not in c.quote:
            assert c.quote.strip() in result.text  # prose is quoted as is; table rows read with their column names
    years = [c.year or 0 for c in result.citations]
    assert years == sorted(years), "quotes are ordered oldest first"


# ---------------------------------------------------------------- every development question


@pytest.mark.parametrize("qid", [q.id for q in QUESTIONS])
def test_every_dev_answer_cites_verbatim_and_resolves(searcher, qid: str) -> None:
    question = BY_ID[qid]
    result = answer(searcher, question.question)
    check_answer(searcher, result)
    assert result.question == question.question
    if not result.abstained:
        assert result.mode in {"extractive", "grades"}  # no language model configured


@pytest.mark.parametrize("qid", [q.id for q in QUESTIONS if q.filters])
def test_dev_answers_with_the_questions_filters_stay_inside_them(fake_searcher, qid: str) -> None:
    question = BY_ID[qid]
    try:
        result = answer(fake_searcher, question.question, filters=question.filters)
    except Exception as exc:  # a filter may name a force that is not indexed: that is an empty result
        pytest.fail(f"{qid}: {exc}")
    check_answer(fake_searcher, result)
    year = question.filters.get("year")
    for c in result.citations:
        assert c.force == question.filters.get("force", c.force)
        assert year is None or c.year == year


# ---------------------------------------------------------------- abstention


@pytest.mark.parametrize("question", [
    "Did HMIC's 2014 Core business letter to Essex Police say officers attend every burglary?",
    "What overall effectiveness grade did Bedfordshire Police get in PEEL 2015?",
    "How does Kent Police handle missing children?",
])
def test_a_question_about_a_force_that_is_not_indexed_abstains_and_says_what_is_covered(
        searcher, question: str) -> None:
    result = answer(searcher, question)
    check_answer(searcher, result)
    assert result.abstained and result.passages == ()
    assert "No indexed report is about" in result.reason
    assert HERTS in result.text and "2014" in result.text and "2015" in result.text


def test_a_question_about_a_year_that_is_not_indexed_abstains(searcher) -> None:
    result = answer(searcher, "What did HMIC find in Hertfordshire in 2019?")
    check_answer(searcher, result)
    assert result.abstained
    assert "2019" in result.reason and HERTS in result.text
    assert "2014" in result.text and "2015" in result.text


def test_a_topic_the_reports_never_discuss_abstains_with_the_closest_passages(searcher) -> None:
    result = answer(searcher, "What did HMIC say about Hertfordshire's use of Taser?")
    check_answer(searcher, result)
    assert result.abstained and "Taser" in result.reason
    assert result.passages, "the closest passages are returned, labelled as not answering"
    assert "do not answer" in result.text


@pytest.mark.slow
@pytest.mark.parametrize("question", [
    "警方如何处理失踪儿童？",
    "What is the capital of France?",
    "zzqx wvvy plorth",
    "Tell me about bananas",
    "How do I bake sourdough bread?",
    "ما هو معدل الجريمة في هيرتفوردشاير؟",
])
def test_a_question_nothing_resembles_abstains(real_searcher, question: str) -> None:
    """The evidence thresholds are calibrated for the real encoder's similarities."""
    result = answer(real_searcher, question)
    check_answer(real_searcher, result)
    assert result.abstained and "loosely related" in result.reason


def test_filters_that_match_nothing_abstain(fake_searcher) -> None:
    result = answer(fake_searcher, "How does the force protect vulnerable people?", filters={"year": 2019})
    check_answer(fake_searcher, result)
    assert result.abstained and "No passage matches these filters" in result.reason


def test_explicit_filters_and_understanding_switch(fake_searcher) -> None:
    question = "What did HMIC say about Essex Police and neighbourhood crime prevention?"
    assert answer(fake_searcher, question).abstained
    result = answer(fake_searcher, question, use_understanding=False)
    check_answer(fake_searcher, result)
    assert not result.abstained and result.filters_used == {}
    only_2014 = answer(fake_searcher, question, filters={"year": 2014})
    check_answer(fake_searcher, only_2014)
    assert {c.year for c in only_2014.citations} == {2014}


@pytest.mark.parametrize("question", ["", "   \n\t "])
def test_an_empty_question_is_an_error(fake_searcher, question: str) -> None:
    with pytest.raises(QueryError, match="empty"):
        answer(fake_searcher, question)


def test_a_very_long_question_is_answered(fake_searcher) -> None:
    result = answer(fake_searcher, "How does the force deal with missing children? " * 2200)
    check_answer(fake_searcher, result)
    assert not result.abstained


# ---------------------------------------------------------------- composition


def _synthetic_hit(hit, text: str, year: int, title: str):
    return replace(hit, text=text, year=year, title=title, start=0, end=len(text))


def test_compose_orders_by_year_and_names_the_years(fake_searcher) -> None:
    base = fake_searcher.search("crime", k=1, use_understanding=False).hits[0]
    later = _synthetic_hit(base, "Neighbourhood teams now keep pace with demand.", 2015, "PEEL 2015")
    earlier = _synthetic_hit(base, "Neighbourhood teams were often moved to response work.", 2014, "Letter 2014")
    chosen = [Candidate(later, 0, len(later.text), 0.6, 0.5), Candidate(earlier, 0, len(earlier.text), 0.5, 0.5)]
    text, ordered = compose(chosen)
    assert [c.hit.year for c in ordered] == [2014, 2015]
    assert text == ("In 2014 (Letter 2014): Neighbourhood teams were often moved to response work. [1] "
                    "By 2015 (PEEL 2015): Neighbourhood teams now keep pace with demand. [2]")
    same_year, _ = compose([Candidate(later, 0, len(later.text), 0.6, 0.5)])
    assert same_year == "Neighbourhood teams now keep pace with demand. [1]"  # one year: no year named


def test_wants_number() -> None:
    assert wants_number("How many sexual offence prevention orders did the force issue?") == "count"
    assert wants_number("What percentage of victims were satisfied?") == "percent"
    assert wants_number("By how much did crime fall?") == "percent"
    assert wants_number("What is 'safety net'?") is None


def test_a_number_question_prefers_the_sentence_with_a_figure(fake_searcher) -> None:
    base = fake_searcher.search("orders", k=1, use_understanding=False).hits[0]
    text = "The force has a strong focus on preventing sexual offending. It issued 73 orders in the year."
    hit = _synthetic_hit(base, text, 2015, "PEEL 2015")
    split = text.index(" It ")
    def candidates() -> list[Candidate]:
        return [Candidate(hit, 0, split, 0.70, 0.0), Candidate(hit, split + 1, len(text), 0.55, 0.0)]

    assert select(candidates(), None, False)[0].text.startswith("The force")
    chosen = select(candidates(), "count", False)
    assert chosen[0].text == "It issued 73 orders in the year."
    assert has_number(chosen[0].text, "count")
    assert not has_number("In the 12 months to 30 June 2015 the force did well.", "count")  # dates are not figures


@pytest.mark.slow
@pytest.mark.parametrize("qid", [q.id for q in QUESTIONS if q.kind == "number"])
def test_dev_number_questions_quote_a_figure_of_the_kind_asked(real_searcher, qid: str) -> None:
    question = BY_ID[qid]
    kind = wants_number(question.question)
    assert kind, f"{qid} asks for a figure"
    result = answer(real_searcher, question.question)
    check_answer(real_searcher, result)
    assert not result.abstained
    assert any(has_number(c.quote, kind) for c in result.citations)


@pytest.mark.slow
def test_a_question_spanning_2014_and_2015_is_answered_in_year_order(real_searcher) -> None:
    question = BY_ID["d037"]  # integrated offender management, 2014 letter and 2015 PEEL
    assert question.kind == "cross_year"
    result = answer(real_searcher, question.question)
    check_answer(real_searcher, result)
    years = [c.year for c in result.citations]
    assert years == sorted(years) and {2014, 2015} <= set(years)
    assert result.text.index("In 2014") < result.text.index("By 2015")


# ---------------------------------------------------------------- output shape


def test_answer_to_dict_shape(fake_searcher) -> None:
    result = answer(fake_searcher, BY_ID["d023"].question)
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert {"question", "answer", "abstained", "reason", "citations"} <= set(data)
    assert data["answer"] == result.text and data["abstained"] is False
    for citation in data["citations"]:
        assert set(citation) >= {"n", "quote", "source", "title", "force", "year", "section", "page", "start", "end",
                                 "chunk_id"}
    with_passages = result.to_dict(with_passages=True)
    assert len(with_passages["passages"]) == len(result.passages)
    assert with_passages["citations"][0]["passage"] == result.citations[0].passage


def test_dev_questions_file_is_the_shipped_one() -> None:
    assert Path(DEV_QUESTIONS).exists() and len(QUESTIONS) >= 40
    assert {"fact", "number", "footnote", "table", "cross_year", "unanswerable"} <= {q.kind for q in QUESTIONS}
