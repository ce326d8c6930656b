"""Grade answers cite each grade's own sentence and its alternative ([n][m]), and show one row per
force, area and period when a later report recalls an earlier year's grade.

The pages are written for these tests in the shape of PEEL 2015 and 2016 force pages (made-up grades).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from search.answer.grades import asked_area, grade_answer, one_per_period
from search.answer.router import answer
from search.findings.api import grades
from search.findings.model import Grade
from search.retrieve.question import parse_question
from search.retrieve.searcher import Searcher
from search.types import Citation
from tests.conftest import KeywordEmbedder, index_of_pages

PAGES = {
    "cumbria_2015.txt": """Cumbria 2015

This is HMIC's second PEEL assessment of Cumbria Constabulary, telling the public how well their force keeps them safe.

The extent to which Cumbria Constabulary is effective at keeping people safe and reducing crime is good.

The extent to which Cumbria Constabulary is efficient at keeping people safe and reducing crime is outstanding.

How effective is the force at keeping people safe and reducing crime?

Last updated 18/02/2016

Good

Cumbria Constabulary is good at keeping people safe and reducing crime.

Its neighbourhood officers know their areas well and work with councils to stop problems recurring.

How efficient is the force at keeping people safe and reducing crime?

Last updated 15/10/2015

Outstanding

The force plans its spending carefully and shares its control room costs with a neighbouring service.
""",
    "cumbria_2016.txt": """Cumbria 2016

This is HMIC's third PEEL assessment of Cumbria Constabulary, telling the public how well their force keeps them safe.

The extent to which Cumbria Constabulary is effective at keeping people safe and reducing crime is good.

How effective is the force at keeping people safe and reducing crime?

Last updated 02/03/2017

Good

Cumbria Constabulary is good at keeping people safe and reducing crime. In 2015 we judged its effectiveness to be good.

Rural patrols have been kept despite the smaller budget.

How efficient is the force at keeping people safe and reducing crime?

Last updated 03/11/2016

Good

Cumbria Constabulary is good in the efficiency with which it keeps people safe and reduces crime. In 2015 we judged its efficiency to be outstanding.
""",
    "cumbria_2021.txt": """PEEL 2021/22: An inspection of Cumbria Constabulary

Investigating crime

Last updated 20/05/2022

Adequate

Detectives close most burglary cases within six weeks and keep victims informed.

Preventing crime

Cumbria Constabulary is inadequate at preventing crime. This is a fall of two grades since our last inspection. Neighbourhood teams were cut in 2020.

Our judgments

Investigating crime\tAdequate
""",
}


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    return Searcher.load(index_of_pages(tmp_path_factory, PAGES, "grade"), embedder=KeywordEmbedder())


def ask(searcher: Searcher, question: str):
    reply = grade_answer(searcher.snapshot, searcher.embedder, searcher.question(question))
    assert reply is not None and reply.mode == "grades"
    for c in reply.citations:  # every citation, alternatives too, is verbatim at its offsets
        assert searcher.section(c.section_id)["text"][c.start:c.end] == c.quote
        assert c.passage[c.passage_start:c.passage_end] == c.quote
    return reply


def test_a_grade_row_cites_its_sentence_and_the_page_top_line(searcher: Searcher) -> None:
    reply = ask(searcher, "What grade did Cumbria get for effectiveness in 2016?")
    assert reply.text.endswith("[1][2].") and len(reply.citations) == 2
    # the sentence after it compares the earlier year's grade: the change is quoted with the grade
    assert reply.citations[0].quote == ("Cumbria Constabulary is good at keeping people safe and reducing crime. "
                                        "In 2015 we judged its effectiveness to be good.")
    assert reply.citations[1].quote.startswith("The extent to which Cumbria Constabulary is effective")
    assert {c.source for c in reply.citations} == {"cumbria_2016.txt"}
    assert [(row["n"], row["also_n"]) for row in reply.table] == [(1, 2)]


def test_a_grade_s_quote_takes_the_sentences_that_carry_it_on(searcher: Searcher) -> None:
    """As a passage's quote does: 'This is a fall …' belongs with the grade; the next fact does not."""
    reply = ask(searcher, "What grade did Cumbria get for preventing crime in 2021/22?")
    assert [row["grade"] for row in reply.table] == ["Inadequate"]
    assert reply.citations[0].quote == ("Cumbria Constabulary is inadequate at preventing crime. "
                                        "This is a fall of two grades since our last inspection.")


def test_a_recalled_grade_is_one_row_citing_the_report_of_its_year(searcher: Searcher) -> None:
    stated = [g for g in grades(searcher) if (g.area_key, g.year) == ("effectiveness", 2015)]
    assert {g.source for g in stated} == {"cumbria_2015.txt", "cumbria_2016.txt"}  # stated twice
    reply = ask(searcher, "What grade did Cumbria get for effectiveness in 2015?")
    assert len(reply.table) == 1 and reply.table[0]["grade"] == "Good"
    assert reply.citations[0].source == "cumbria_2015.txt"
    assert reply.citations[0].quote == "Cumbria Constabulary is good at keeping people safe and reducing crime."
    assert reply.citations[1].source == "cumbria_2015.txt"  # the report's own alternative, not the recall


def test_the_recalling_report_is_the_alternative_when_the_grade_has_none(searcher: Searcher) -> None:
    reply = ask(searcher, "What grade did Cumbria get for efficiency in 2015?")
    assert len(reply.table) == 1 and reply.table[0]["grade"] == "Outstanding"
    assert [c.source for c in reply.citations] == ["cumbria_2015.txt", "cumbria_2016.txt"]
    assert reply.citations[1].quote == "In 2015 we judged its efficiency to be outstanding."


def _grade(source: str, year: int, report_year: int, grade: str = "Good", also: tuple[Citation, ...] = ()) -> Grade:
    citation = Citation(quote=f"{source} says {grade}", source=source, title=source, force="Kent Police",
                        year=report_year, report_type="peel", section="s", section_id=f"{source}-s", page=None,
                        start=0, end=10, year_to=report_year)
    return Grade(force="Kent Police", year=year, report_type="peel", source=source, title=source, question=None,
                 theme="overall", grade=grade, scale="four-grade", citation=citation, year_to=year,
                 area_key="effectiveness", also=also)


def test_one_per_period_keeps_the_report_of_the_grades_own_year() -> None:
    recalled, own = _grade("kent_2016", 2015, 2016), _grade("kent_2015", 2015, 2015)
    kept = one_per_period([recalled, own, _grade("kent_2016", 2016, 2016)])
    assert [(g.source, g.year) for g in kept] == [("kent_2015", 2015), ("kent_2016", 2016)]
    assert kept[0].also == (recalled.citation,)
    alternative = replace(own.citation, quote="another line", start=20, end=32)
    kept = one_per_period([recalled, replace(own, also=(alternative,))])
    assert kept[0].also == (alternative,)
    only_recalled = one_per_period([recalled, _grade("kent_2017", 2015, 2017)])
    assert [g.source for g in only_recalled] == ["kent_2016"]
    differ = one_per_period([own, _grade("kent_2016", 2015, 2016, grade="Outstanding")])
    assert [(g.source, g.grade, g.also) for g in differ] == [("kent_2015", "Good", ())]


def test_a_grade_line_alone_gives_way_to_a_statement_that_says_more(searcher: Searcher) -> None:
    stated = next(g for g in grades(searcher) if (g.area_key, g.year) == ("investigating_crime", 2021))
    assert stated.citation.quote == "Investigating crime\tAdequate" and stated.also == ()


@pytest.mark.parametrize("asked, area", [
    # the whole wording names a more specific area than the focus words left after dropping 'and'
    ("What grade did Kent get for how well its systems and processes support accurate crime recording?",
     "crime_recording_systems"),
    ("How did inspectors rate Kent on protecting vulnerable people?", "vulnerability"),
    ("How effective is Kent Police?", "effectiveness"),
    ("What grade did Kent get in 2016?", None),
])
def test_the_area_asked_about(asked: str, area: str | None) -> None:
    assert asked_area(parse_question(asked, 2000)) == area


def test_a_change_over_years_in_words_the_area_vocabulary_lacks_gets_that_area_s_grades(searcher: Searcher) -> None:
    """The area comes from the closeness of the question's focus to the graded areas' names when
    the vocabulary names none; a focus close to no graded area gets quotes only."""
    from search.answer.router import answer

    reply = answer(searcher, "Has Cumbria's effect on crime changed since 2015?")
    assert [(row["area_key"], row["period"]) for row in reply.table] == [("effectiveness", "2015"),
                                                                        ("effectiveness", "2016")]
    assert reply.citations[0].source == "cumbria_2015.txt" and not reply.abstained
    assert answer(searcher, "Has Cumbria changed its rural patrols since 2015?").table == ()


def test_a_grade_question_asking_more_gets_the_grade_then_the_sentence_that_says_the_rest(searcher: Searcher) -> None:
    from search.answer.router import answer

    reply = answer(searcher, "Was Cumbria rated good for effectiveness in 2016 despite the smaller budget for rural "
                             "patrols?")
    assert [row["grade"] for row in reply.table] == ["Good"]
    assert reply.citations[-1].quote == "Rural patrols have been kept despite the smaller budget."
    # a plain grade question gets the grade alone: its sentence is not quoted a second time
    reply = answer(searcher, "What grade did Cumbria get for effectiveness in 2016?")
    assert reply.mode == "grades" and len(reply.citations) == 2


NONE_PAGES = {
    "cumbria_2016.txt": PAGES["cumbria_2016.txt"],
    "durham_2016.txt": """Durham 2016

This is HMIC's third PEEL assessment of Durham Constabulary, telling the public how well their force keeps them safe.

The extent to which Durham Constabulary is effective at keeping people safe and reducing crime is outstanding.

How effective is the force at keeping people safe and reducing crime?

Last updated 02/03/2017

Outstanding

Durham Constabulary is outstanding at keeping people safe and reducing crime.
""",
}


@pytest.fixture(scope="module")
def two_forces(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    return Searcher.load(index_of_pages(tmp_path_factory, NONE_PAGES, "none-graded"), embedder=KeywordEmbedder())


def test_which_forces_got_a_grade_none_got_cites_no_force_and_lists_the_grades_given(two_forces: Searcher) -> None:
    reply = answer(two_forces, "Which forces were graded inadequate for effectiveness in 2016?")
    assert reply.abstained and reply.mode == "grades" and reply.citations == ()
    assert reply.text.startswith("No force in the indexed reports was graded Inadequate for effectiveness in 2016.")
    assert {(row["force"], row["grade"]) for row in reply.table} == {("Cumbria Constabulary", "Good"),
                                                                     ("Durham Constabulary", "Outstanding")}
    assert {h.source for h in reply.passages} == set(NONE_PAGES)  # the grades' passages are shown


def test_was_a_force_given_a_grade_it_did_not_get_is_answered_no_citing_the_grade_it_got(two_forces: Searcher) -> None:
    reply = answer(two_forces, "Was Cumbria graded inadequate for effectiveness in 2016?")
    assert not reply.abstained and reply.mode == "grades"
    assert reply.text.startswith("No: Cumbria Constabulary was not graded Inadequate for effectiveness in 2016.")
    assert [(row["force"], row["grade"]) for row in reply.table] == [("Cumbria Constabulary", "Good")]
    assert reply.citations[0].source == "cumbria_2016.txt"
    assert reply.citations[0].quote.startswith("Cumbria Constabulary is good at keeping people safe")


def test_the_forces_that_got_the_grade_are_still_listed_and_cited(two_forces: Searcher) -> None:
    reply = answer(two_forces, "Which forces were graded outstanding for effectiveness in 2016?")
    assert not reply.abstained and [row["force"] for row in reply.table] == ["Durham Constabulary"]
    assert {c.source for c in reply.citations} == {"durham_2016.txt"}


def test_the_app_leads_a_no_with_the_grade_that_was_not_given(two_forces: Searcher) -> None:
    from ui.answer_view import grade_lead

    no = answer(two_forces, "Was Cumbria graded inadequate for effectiveness in 2016?")
    assert grade_lead(no) == "Cumbria Constabulary: not graded Inadequate; 1 grade in the indexed reports, Good."
    yes = answer(two_forces, "Was Durham graded outstanding for effectiveness in 2016?")
    assert grade_lead(yes) == "Durham Constabulary: 1 grade in the indexed reports, Outstanding."


def test_which_of_the_forces_named_got_a_grade_also_shows_the_grades_of_the_rest(two_forces: Searcher) -> None:
    reply = answer(two_forces, "Which of Cumbria and Durham were graded outstanding for effectiveness in 2016?")
    assert reply.text.startswith("1 of the 2 forces named was graded Outstanding: Durham Constabulary")
    assert "The other forces named: Cumbria Constabulary was graded Good" in reply.text
    assert [(row["force"], row["grade"]) for row in reply.table] == [("Durham Constabulary", "Outstanding"),
                                                                     ("Cumbria Constabulary", "Good")]
    assert [c.n for c in reply.citations] == list(range(1, len(reply.citations) + 1))
    assert {c.source for c in reply.citations} == set(NONE_PAGES)


def test_forces_compared_on_a_graded_area_get_its_grades_first(two_forces: Searcher) -> None:
    reply = answer(two_forces, "How did Cumbria and Durham compare on effectiveness in 2016?")
    assert reply.text.startswith("The grades of the 2 forces named:")
    assert {(row["force"], row["grade"]) for row in reply.table} == {("Cumbria Constabulary", "Good"),
                                                                     ("Durham Constabulary", "Outstanding")}
