"""Cited answers: what every answer guarantees, abstention outside the index, and the pure steps of
evidence selection (kinds of answer, furniture, quote choice, composition) on wordings written here.

Quality on the question bank (citation recall, abstention, wrong abstention) is checked with the
real encoder in tests/test_answer_bank.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from search.answer.abstain import ABSTAIN_MESSAGE, evidence_gap
from search.answer.evidence import Candidate, figure_near, is_furniture, satisfies
from search.answer.extractive import choose, compose, expand, uncovered
from search.answer.router import answer
from search.config import AnswerSettings
from search.errors import QueryError
from search.index.lexical import stem
from search.retrieve.question import AnswerType, parse_question
from search.types import Answer

MARKER_RE = re.compile(r"\[(\d+)\]")
HERTS = "Hertfordshire Constabulary"


def check_cited(searcher, result: Answer) -> None:
    """An answer that does not abstain: every [n] resolves, every quote is verbatim where it says."""
    assert not result.abstained, f"answered questions must not abstain: {result.reason}"
    assert result.citations, "an answer cites something"
    n = len(result.citations)
    assert {int(m) for m in MARKER_RE.findall(result.text)} == set(range(1, n + 1))
    assert [c.n for c in result.citations] == list(range(1, n + 1))
    passages = {h.chunk_id: h for h in result.passages}
    for c in result.citations:
        assert c.quote.strip()
        assert searcher.section(c.section_id)["text"][c.start:c.end] == c.quote
        assert c.passage[c.passage_start:c.passage_end] == c.quote
        if c.chunk_id in passages:
            hit = passages[c.chunk_id]
            assert (c.source, c.force, c.year) == (hit.source, hit.force, hit.year)


def check_abstained(result: Answer) -> None:
    assert result.abstained
    assert result.text.startswith(ABSTAIN_MESSAGE) and result.reason
    assert result.citations == () and MARKER_RE.search(result.text) is None


# ---------------------------------------------------------------- the whole answer (keyword encoder)


def test_an_answer_cites_verbatim_and_every_marker_resolves(fake_searcher) -> None:
    result = answer(fake_searcher, "How does Hertfordshire Constabulary tackle serious and organised crime?")
    check_cited(fake_searcher, result)
    assert result.generation == fake_searcher.generation


@pytest.mark.parametrize("question", [
    "Did HMIC's 2014 Core business letter to Essex Police say officers attend every burglary?",
    "How does Kent Police handle missing children?",
])
def test_a_force_that_is_not_indexed_is_outside_the_index(fake_searcher, question: str) -> None:
    result = answer(fake_searcher, question)
    check_abstained(result)
    assert result.passages == () and "No indexed report is about" in result.reason
    assert HERTS in result.text


def test_a_year_that_is_not_indexed_is_outside_the_index(fake_searcher) -> None:
    result = answer(fake_searcher, "What did HMIC find in Hertfordshire in 2019?")
    check_abstained(result)
    assert "2019" in result.reason and HERTS in result.text


def test_filters_that_match_nothing_abstain_and_say_so(fake_searcher) -> None:
    result = answer(fake_searcher, "How does the force protect vulnerable people?", filters={"year": 2019})
    check_abstained(result)
    assert "No passage matches these filters" in result.reason


@pytest.mark.parametrize("question", ["", "   \n\t "])
def test_an_empty_question_is_an_error(fake_searcher, question: str) -> None:
    with pytest.raises(QueryError, match="empty"):
        answer(fake_searcher, question)


def test_a_very_long_question_is_answered(fake_searcher) -> None:
    result = answer(fake_searcher, "How does the force deal with missing children? " * 2200)
    assert result.abstained or result.citations


def test_answer_to_dict_shape(fake_searcher) -> None:
    result = answer(fake_searcher, "How does Hertfordshire Constabulary tackle serious and organised crime?")
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert {"question", "answer", "abstained", "reason", "citations", "table"} <= set(data)
    assert data["answer"] == result.text
    with_passages = result.to_dict(with_passages=True)
    assert len(with_passages["passages"]) == len(result.passages)


# ---------------------------------------------------------------- kinds of answer and furniture


@pytest.mark.parametrize(("kind", "text", "holds"), [
    (AnswerType.SHARE, "Around 84 percent of victims were satisfied with the service.", True),
    (AnswerType.SHARE, "Two in three callers waited more than ten minutes.", True),
    (AnswerType.SHARE, "Victims were mostly satisfied in 2016.", False),
    (AnswerType.COUNT, "The team arrested 212 people last year.", True),
    (AnswerType.COUNT, "In the 12 months to 30 June 2016 the force changed its model.", True),
    (AnswerType.COUNT, "In June 2016 the force changed its model.", False),
    (AnswerType.MONEY, "The force must save £12.4m by 2020.", True),
    (AnswerType.MONEY, "The force must save a great deal.", False),
    (AnswerType.DATE, "The plan must be in place by the end of March.", True),
    (AnswerType.DATE, "The plan must be in place soon.", False),
    (AnswerType.GRADE, "The force was judged to be good at preventing crime.", True),
    (AnswerType.GRADE, "The force has good links with schools.", False),
    (AnswerType.REASON, "Response times rose because the control room was short of staff.", True),
    (AnswerType.LIST, "The force works with three partners:", True),
])
def test_a_sentence_is_of_the_kind_asked_for_or_not(kind: AnswerType, text: str, holds: bool) -> None:
    assert satisfies(kind, text) is holds


def test_a_figure_counts_only_near_a_focus_word() -> None:
    focus = {stem("officers")}
    assert figure_near("The force employs 1,950 police officers and 300 staff.", focus, 8)
    assert not figure_near("In 2016 the force reviewed how its officers are deployed.", focus, 8)
    assert not figure_near("It recorded 4,000 burglaries, and in a separate review of shift patterns across "
                           "the whole county for the year the officers said morale was low.", focus, 8)


@pytest.mark.parametrize(("text", "furniture"), [
    ("Download the full report", True),
    ("How effective is the force at keeping people safe", True),
    ("Investigating crime ........ 23", True),
    ("Neighbourhood policing", True),
    # a sentence that asks, such as an inspection question heading, states nothing
    ("How well does the force understand the demand it faces from people who go missing from home "
     "and from care, and how does it use what it knows?", True),
    ("Is the force efficient at keeping people safe and reducing crime?", True),
    ("The force has cut the number of neighbourhood officers.", False),
    ("- how well forces are preventing crime;", False),
    ("Investigating crime\tGood", False),
    # references to other publications, links to documents and the licence line
    ("² Keeping children safe: a thematic inspection, HMICFRS, October 2019.", True),
    ("Home Office (2016) Crime Outcomes in England and Wales: year ending March 2016.", True),
    ("PEEL 2016 – Gwent Police – effectiveness (PDF document)", True),
    ("Annual assessment of policing in England and Wales (PDF, 2.4 MB)", True),
    ("Available from: www.example.gov.uk/publications/gwent-2016", True),
    ("This document is licensed under the Open Government Licence v3.0.", True),
    ("© HMICFRS 2021", True),
    ("⁴ Gwent was inspected in May 2016; its report was published in March 2017 (available from "
     "www.example.gov.uk/gwent).", False),
    ("The Home Office (2016) figures show that Gwent recorded 12% more crime.", False),
    ("In March 2016, HMIC found that Gwent recorded crime accurately.", False),
])
def test_headings_links_and_contents_lines_are_never_answers(text: str, furniture: bool) -> None:
    assert is_furniture(text) is furniture


# ---------------------------------------------------------------- choosing and composing quotes


def _hit(fake_searcher, text: str, *, source: str, year: int, force: str = HERTS, row: int = 0):
    base = fake_searcher.search("crime", k=1, use_understanding=False).hits[0]
    return replace(base, text=text, source=source, year=year, year_to=year, force=force, title=f"Report {year}",
                   start=0, end=len(text), row=row)


def _candidate(hit, p: float, start: int = 0, end: int | None = None) -> Candidate:
    return Candidate(hit, start, len(hit.text) if end is None else end, 0, 0.5, 0.5, probability=p)


def test_one_report_gets_its_best_sentence_and_those_nearly_as_likely(fake_searcher) -> None:
    text = "Victims wait too long. Officers arrive within an hour. The estate is old."
    hit = _hit(fake_searcher, text, source="a.txt", year=2016)
    parts = [(0, 22), (23, 54), (55, len(text))]
    found = [_candidate(hit, p, a, b) for p, (a, b) in zip((0.5, 0.9, 0.2), parts, strict=True)]
    question = parse_question("How quickly do officers arrive?", 2000)
    settings = AnswerSettings(abstain_below=0.3, extra_quote_ratio=0.5)
    chosen = choose(question, found, settings)
    assert [c.text for c in chosen] == ["Victims wait too long. Officers arrive within an hour."]  # neighbours merge
    settings = AnswerSettings(abstain_below=0.3, extra_quote_ratio=0.9)
    assert [c.text for c in choose(question, found, settings)] == ["Officers arrive within an hour."]


def test_across_years_each_report_gets_its_best_sentence_oldest_first(fake_searcher) -> None:
    old = _hit(fake_searcher, "Teams were moved to response work.", source="a.txt", year=2014, row=1)
    new = _hit(fake_searcher, "Teams now keep pace with demand.", source="b.txt", year=2017, row=2)
    weak = _hit(fake_searcher, "The weather was mild.", source="c.txt", year=2016, row=3)
    question = parse_question("Has Hertfordshire's neighbourhood policing improved since 2014?", 2000)
    chosen = choose(question, [_candidate(new, 0.8), _candidate(old, 0.6), _candidate(weak, 0.05)],
                    AnswerSettings(abstain_below=0.1, per_report_ratio=0.3))
    text, ordered = compose(question, chosen)
    assert [c.hit.year for c in ordered] == [2014, 2017]
    assert text.index("2014 (Report 2014)") < text.index("2017 (Report 2017)")
    assert MARKER_RE.findall(text) == ["1", "2"]
    reports = [{"source": s, "force": HERTS, "year": y, "year_to": y, "title": f"Report {y}"}
               for s, y in (("a.txt", 2014), ("c.txt", 2016), ("b.txt", 2017))]
    assert uncovered(question, ordered, reports) == ["The 2016 report (Report 2016) does not cover this."]


def test_across_forces_each_force_gets_its_best_sentence(fake_searcher) -> None:
    one = _hit(fake_searcher, "Calls are answered quickly.", source="a.txt", year=2021, force="Dorset Police", row=1)
    two = _hit(fake_searcher, "Most calls are answered within ten seconds.", source="b.txt", year=2021,
               force="Surrey Police", row=2)
    more = _hit(fake_searcher, "Calls are answered in time.", source="c.txt", year=2021, force="Dorset Police", row=3)
    question = parse_question("Which forces answer emergency calls quickly?", 2000)
    chosen = choose(question, [_candidate(one, 0.7), _candidate(two, 0.6), _candidate(more, 0.65)],
                    AnswerSettings(abstain_below=0.1, per_report_ratio=0.3))
    assert sorted(c.hit.force for c in chosen) == ["Dorset Police", "Surrey Police"]
    assert {c.hit.source for c in chosen} == {"a.txt", "b.txt"}


def test_the_same_words_are_quoted_once(fake_searcher) -> None:
    a = _hit(fake_searcher, "The force has a strong ethical culture.", source="a.txt", year=2017, row=1)
    b = _hit(fake_searcher, "The force has a strong ethical culture.", source="b.txt", year=2017, row=2)
    question = parse_question("What is the force's culture like?", 2000)
    assert len(choose(question, [_candidate(a, 0.8), _candidate(b, 0.79)], AnswerSettings())) == 1


# ---------------------------------------------------------------- abstaining from evidence


def test_no_likely_sentence_means_no_answer_and_the_reason_names_the_kind(fake_searcher) -> None:
    hit = _hit(fake_searcher, "Officers are deployed across three districts.", source="a.txt", year=2016)
    question = parse_question("How many officers does the force have?", 2000)
    settings = AnswerSettings(abstain_below=0.4)
    unlikely = [replace(_candidate(hit, 0.1), type_ok=False)]
    reason = evidence_gap(question, unlikely, (), settings)
    assert reason is not None and "count" in reason and "officers" in reason
    likely = [replace(_candidate(hit, 0.6), type_ok=True)]
    assert evidence_gap(question, likely, (), settings) is None
    assert evidence_gap(question, [], (), settings) is not None


def test_a_figure_question_abstains_when_only_sentences_without_a_figure_are_likely(fake_searcher) -> None:
    vague = _hit(fake_searcher, "A significant number of officers had not been vetted to the level their "
                 "posts required.", source="a.txt", year=2019, row=1)
    question = parse_question("How many officers had not been vetted in 2019?", 2000)
    settings = AnswerSettings(abstain_below=0.3)
    reason = evidence_gap(question, [_candidate(vague, 0.9)], (), settings)
    assert reason is not None and "count" in reason and "vetted" in reason
    stated = _hit(fake_searcher, "At the time, 312 officers had not been vetted.", source="b.txt", year=2019, row=2)
    found = [_candidate(vague, 0.9), replace(_candidate(stated, 0.4), type_ok=True)]
    assert evidence_gap(question, found, (), settings) is None
    assert [c.text for c in choose(question, found, settings)] == [stated.text]  # the figure is quoted, not the vague
    polar = parse_question("Had more than 300 officers not been vetted in 2019?", 2000)
    assert evidence_gap(polar, [_candidate(vague, 0.9)], (), settings) is None  # yes or no: any likely sentence


def test_a_date_question_accepts_the_date_in_the_next_sentence_of_the_paragraph(fake_searcher) -> None:
    text = "The force set up a new missing persons team. It began work in March 2018."
    hit = _hit(fake_searcher, text, source="a.txt", year=2018)
    question = parse_question("When did the force's missing persons team start?", 2000)
    first = _candidate(hit, 0.8, 0, 44)
    assert evidence_gap(question, [first], (), AnswerSettings(abstain_below=0.3)) is None
    assert [c.text for c in choose(question, [first], AnswerSettings(abstain_below=0.3))] == [text]


def test_a_question_in_words_the_reports_never_use_abstains(fake_searcher) -> None:
    hit = _hit(fake_searcher, "Officers are deployed across three districts.", source="a.txt", year=2016)
    question = parse_question("sourdough starter hydration", 2000)
    reason = evidence_gap(question, [_candidate(hit, 0.9)], ("sourdough", "starter", "hydration"), AnswerSettings())
    assert reason is not None and "no words like" in reason


def test_a_why_question_quotes_the_fact_with_the_sentence_that_follows_it(fake_searcher) -> None:
    text = ("Burglary in Gwent rose by a fifth in 2016. Officers had been moved to answer calls in the city.\n"
            "A new team started in May.")
    hit = _hit(fake_searcher, text, source="a.txt", year=2016)
    why = parse_question("Why did burglary go up in Gwent in 2016?", 2000).expects
    fact = _candidate(hit, 0.9, 0, text.index(" Officers"))
    assert expand(fact, why).text == text.split("\n")[0]  # the explanation, in words of no fixed kind
    assert expand(fact, AnswerType.DESCRIPTION).text == "Burglary in Gwent rose by a fifth in 2016."
    last = _candidate(hit, 0.9, text.index("Officers"), text.index("\n"))
    assert expand(last, why).text == "Officers had been moved to answer calls in the city."  # not past its paragraph


@pytest.mark.parametrize("text, quoted, expected", [
    # a sentence after the quote that points back at it is quoted with it, up to the first that does not
    ("Project Atlas is a tagging scheme for burglars. The force intends to extend this to stalkers. Funding ends "
     "in 2019.", "Project Atlas is a tagging scheme for burglars.",
     "Project Atlas is a tagging scheme for burglars. The force intends to extend this to stalkers."),
    ("In May 2016, 90 offenders were on the scheme. All of these had burgled homes.",
     "In May 2016, 90 offenders were on the scheme.",
     "In May 2016, 90 offenders were on the scheme. All of these had burgled homes."),
    ("Recorded crime rose by a fifth. However, the force now records crime more accurately.",
     "Recorded crime rose by a fifth.",
     "Recorded crime rose by a fifth. However, the force now records crime more accurately."),
    # 'this report' names the publication; a new paragraph starts afresh
    ("Officers visit every school. This report sets out what we found.", "Officers visit every school.",
     "Officers visit every school."),
    ("Officers visit every school.\nThis is rare among forces.", "Officers visit every school.",
     "Officers visit every school."),
    # a sentence pointing back at the one before it is quoted with it
    ("Response times are published monthly. In 2016 victims waited 40 minutes on average. This is longer than "
     "in most forces.", "This is longer than in most forces.",
     "In 2016 victims waited 40 minutes on average. This is longer than in most forces."),
    ("No foster places were free that winter. As a result, two boys stayed in the cells overnight.",
     "As a result, two boys stayed in the cells overnight.",
     "No foster places were free that winter. As a result, two boys stayed in the cells overnight."),
    # 'this' standing for what the sentence before says, anywhere in the quote; back twice at most
    ("Custody records were often incomplete. We raised this with the force in March.",
     "We raised this with the force in March.",
     "Custody records were often incomplete. We raised this with the force in March."),
    ("Records were often incomplete. This meant that risks were missed. As a result, this was a cause of concern.",
     "As a result, this was a cause of concern.",
     "Records were often incomplete. This meant that risks were missed. As a result, this was a cause of concern."),
    ("Cells were cleaned daily. Records were often incomplete. As a result, this was a cause of concern.",
     "As a result, this was a cause of concern.",
     "Records were often incomplete. As a result, this was a cause of concern."),
    # 'this report', 'this year': the publication or its time, not the sentence before
    ("Cells were cleaned daily. This report sets out what we found in 2016.",
     "This report sets out what we found in 2016.", "This report sets out what we found in 2016."),
    # a self-contained sentence, or one opening its paragraph, stays as it is
    ("Response times are published monthly. Victims waited 40 minutes on average.",
     "Victims waited 40 minutes on average.", "Victims waited 40 minutes on average."),
    ("Waiting times\nThis is longer than in most forces.", "This is longer than in most forces.",
     "This is longer than in most forces."),
])
def test_a_quote_takes_the_sentences_around_it_that_point_back(fake_searcher, text: str, quoted: str,
                                                              expected: str) -> None:
    hit = _hit(fake_searcher, text, source="a.txt", year=2016)
    start = text.index(quoted)
    assert expand(_candidate(hit, 0.9, start, start + len(quoted))).text == expected
