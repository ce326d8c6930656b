"""Graded judgments read by grammar, on wordings the rules were not written from.

The shapes come from real reports (issue 13); every sentence here is worded differently from the
examples the grammar was built on: other verbs ('rated', 'found', 'deemed'), other subjects,
quotes and colons, other clause orders. Each test would fail if the grammar matched fixed phrases.
"""

from __future__ import annotations

import hashlib

import pytest

from ingest.areas import area_key, names_pillars
from ingest.grades import extract_grades
from ingest.pipeline import build_report
from ingest.types import RawDocument, Report

RI, GOOD, OUT, ADQ, INADQ = "Requires improvement", "Good", "Outstanding", "Adequate", "Inadequate"


def report_of(text: str, title: str = "Kent 2016") -> Report:
    body = f"{title}\n\n{text.strip()}\n"
    raw = RawDocument(source="page.txt", path="page.txt", format="text", text=body,
                      content_hash=hashlib.sha256(body.encode()).hexdigest())
    return build_report(raw)


def grades_of(text: str, title: str = "Kent 2016") -> dict[tuple[str, int | None], str | None]:
    return {(g.area_key, g.year_from): g.grade for g in report_of(text, title).grades}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # subject names the area, predicate, grade
        ("The degree to which Kent Police is efficient at keeping people safe and reducing crime is outstanding.",
         {("efficiency", 2016): OUT}),
        ("How legitimately the force keeps people safe and reduces crime was rated 'good'.",
         {("legitimacy", 2016): GOOD}),
        ("Kent Police's effectiveness in keeping people safe and reducing crime: requires improvement.",
         {("effectiveness", 2016): RI}),
        ("The force's planning for the future is deemed to be good.", {("planning_for_future", 2016): GOOD}),
        ("Its approach to tackling serious and organised crime remains outstanding.",
         {("serious_organised_crime", 2016): OUT}),
        # subject is the force; the complement names the area
        ("We rated Kent Police inadequate at responding to the public.", {("responding_to_public", 2016): INADQ}),
        ("Inspectors found the constabulary to be good in the way it protects vulnerable people.",
         {("vulnerability", 2016): GOOD}),
        ("The force has been assessed as requiring improvement for how it manages offenders.",
         {("managing_offenders", 2016): RI}),
        ("Overall, we judge Kent Police to be good.", {("overall", 2016): GOOD}),
        # one predicate, several grades
        ("The force is outstanding at preventing crime, good at investigating crime and adequate at protecting "
         "vulnerable people.",
         {("preventing_crime", 2016): OUT, ("investigating_crime", 2016): GOOD, ("vulnerability", 2016): ADQ}),
        ("We have graded Kent Police as good in each of the three pillars.",
         {("effectiveness", 2016): GOOD, ("efficiency", 2016): GOOD, ("legitimacy", 2016): GOOD}),
        ("The constabulary was judged 'requires improvement' for both effectiveness and legitimacy.",
         {("effectiveness", 2016): RI, ("legitimacy", 2016): RI}),
        # crime data integrity
        ("After our return visit the overall graded judgment for Kent Police remains as requires improvement.",
         {("overall", 2016): RI}),
    ],
)
def test_sentences(sentence: str, expected: dict[tuple[str, int], str]) -> None:
    assert grades_of(sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "The force has a good understanding of the people it serves.",
        "Inspectors saw some outstanding work with schools and youth clubs.",
        "Officers told us that morale is good.",
        "The force is good at working with local councils.",  # no graded area named
        "It would be good at investigating crime if it had more detectives.",
        "We will decide whether the force is good at protecting vulnerable people next year.",
        "At our last inspection the force was judged good at investigating crime.",  # an earlier, undated grade
        "Kent Police and Essex Police were judged outstanding.",  # no area
    ],
)
def test_sentences_that_state_no_grade(sentence: str) -> None:
    assert grades_of(sentence) == {}


def test_a_grade_for_an_earlier_year_keeps_its_year() -> None:
    text = ("In 2015 we found Kent Police to be good at tackling serious and organised crime. However, this year "
            "the force requires improvement in this area.\n\nLast year, HMIC rated the force's efficiency as "
            "outstanding, and this year we judge it good in respect of efficiency.")
    assert grades_of(text) == {("serious_organised_crime", 2015): GOOD, ("serious_organised_crime", 2016): RI,
                               ("efficiency", 2015): OUT, ("efficiency", 2016): GOOD}


def test_since_a_year_is_not_the_grade_s_year() -> None:
    assert grades_of("Since our 2014 inspection the force has improved and is now good at investigating crime.") == {
        ("investigating_crime", 2016): GOOD}


def test_headings_with_grade_lines_and_labels() -> None:
    text = ("How well does the force use its resources?\n\nLast updated 04/03/2017\n\nRequires improvement\n\n"
            "The force cannot yet match its officers to the demand it faces.\n\nPlanning for the future\n\n"
            "Overall judgement\n\nGood\n\nThe force has realistic plans.")
    report = report_of(text)
    assert [(g.area_key, g.grade) for g in report.grades] == [("use_of_resources", RI), ("planning_for_future", GOOD)]
    first = report.grades[0]
    assert report.text[first.start:first.end].startswith("How well does the force use its resources?")
    assert report.text[first.start:first.end].endswith("Requires improvement")


def test_not_yet_graded_is_recorded_and_a_grade_wins_over_it() -> None:
    report = report_of("Efficiency\n\nTo be graded\n\nEffectiveness\n\nNot yet graded\n\nThe extent to which the "
                       "force is efficient at keeping people safe and reducing crime is good.")
    got = {(g.area_key, g.status): g.grade for g in report.grades}
    assert got == {("efficiency", "graded"): GOOD, ("effectiveness", "not_graded"): None}


def test_rows_tables_and_label_lines() -> None:
    text = ("Area\tJudgment\nInvestigating crime\tInadequate\nPreventing crime and anti-social behaviour\tGood\n\n"
            "- Responding to the public: Requires improvement\n\n- Leadership and force management – ‘Adequate’")
    assert grades_of(text, "Kent PEEL 2021/22") == {
        ("investigating_crime", 2021): INADQ, ("preventing_crime", 2021): GOOD, ("responding_to_public", 2021): RI,
        ("leadership_management", 2021): ADQ}


def test_a_judgments_table_copied_as_lines() -> None:
    text = ("We graded the force in seven areas as follows:\n\nOutstanding\n\nGood\n\nInvestigating crime\n\n"
            "Managing offenders and suspects\n\nAdequate\n\nResponding to the public\n\nRequires improvement\n\n"
            "Inadequate\n\nProtecting vulnerable people\n\nThe force has made progress since our last visit.")
    assert grades_of(text, "PEEL 2023–25 An inspection of Kent Police") == {
        ("investigating_crime", 2023): GOOD, ("managing_offenders", 2023): GOOD, ("responding_to_public", 2023): ADQ,
        ("vulnerability", 2023): INADQ}


def test_a_count_and_a_list_of_areas() -> None:
    text = ("The inspectorate rated Kent Police good in four areas and found it requires improvement in these areas:"
            "\n\n- recording data about crime;\n\n- developing a positive workplace.\n\nThe force has a new plan.")
    got = report_of(text, "PEEL 2021/22 An inspection of Kent Police").grades
    assert {(g.area_key, g.grade) for g in got} == {("crime_recording", RI), ("workforce", RI)}
    assert all("requires improvement" in report_of(text).text[g.start:g.end] for g in got)


def test_a_list_under_a_force_lead_line() -> None:
    text = ("Inspectors concluded that Essex Police:\n\n- is ‘outstanding’ at how it plans for the future;\n\n"
            "- ‘requires improvement’ at using its resources to meet demand.")
    got = report_of(text, "Essex 2017").grades
    assert {(g.area_key, g.grade, g.force) for g in got} == {("planning_for_future", OUT, "Essex Police"),
                                                            ("use_of_resources", RI, "Essex Police")}


def test_findings_sections_are_not_grades() -> None:
    text = ("Causes of concern\n\nThe force's response to missing children is inadequate and leaves them at risk.\n\n"
            "Areas for improvement\n\n- The force's use of stop and search is good but it should record more.")
    assert grades_of(text) == {}


def test_the_clearest_statement_is_kept() -> None:
    text = ("Investigating crime\n\nRequires improvement\n\nThe force must supervise investigations better.\n\n"
            "Summary\n\nThe force is good at investigating crime involving young people.")
    report = report_of(text, "Kent PEEL 2021/22")
    assert [(g.area_key, g.grade) for g in report.grades] == [("investigating_crime", RI)]


def test_pillar_from_the_heading_above_a_generic_sentence() -> None:
    text = ("How efficient is the force at keeping people safe and reducing crime?\n\nThe constabulary is good at "
            "keeping people safe and reducing crime, and it plans its budget carefully.")
    assert grades_of(text) == {("efficiency", 2016): GOOD}


def test_area_vocabulary_on_unseen_wordings() -> None:
    assert area_key("How effective is the force at protecting vulnerable people from harm?") == "vulnerability"
    assert area_key("How well does the force understand the demand for its services?") == "understanding_demand"
    assert area_key("How legitimately does the force treat the public and its workforce?") == "legitimacy"
    assert area_key("To what extent does the force treat all of the people it serves with fairness and respect?") \
        == "public_treatment"
    assert area_key("How effective is the force at keeping people safe and reducing crime?") == "effectiveness"
    assert area_key("Disrupting serious organised crime") == "serious_organised_crime"
    assert area_key("How good is the force's service for victims of crime?") == "victim_service"
    assert area_key("Working with partners") is None
    assert names_pillars("in all three areas: effectiveness, efficiency and legitimacy") == [
        "effectiveness", "efficiency", "legitimacy"]
    assert names_pillars("in how it investigates crime") == []


def test_extract_grades_on_a_built_report_is_what_the_pipeline_attached() -> None:
    report = report_of("The extent to which the force is legitimate at keeping people safe and reducing crime is good.")
    assert extract_grades(report) == report.grades and len(report.grades) == 1


def test_a_pillar_page_with_earlier_years_and_a_question_grade() -> None:
    text = ("How effectively does the force reduce crime and keep people safe?\n\nLast updated 14/06/2019\n\n"
            "We found that Kent Police is good at reducing crime and keeping people safe. In 2017 we judged the "
            "force as good at investigating crime. In 2016 we judged it to be outstanding at tackling serious and "
            "organised crime.\n\nQuestions for Effectiveness\n\nHow effective is the force at preventing crime, "
            "tackling anti-social behaviour and keeping people safe?\n\nRequires improvement\n\nAreas for "
            "improvement\n\n- The force should evaluate its crime prevention work.")
    assert grades_of(text, "Kent PEEL 2018/19") == {
        ("effectiveness", 2018): GOOD, ("investigating_crime", 2017): GOOD, ("serious_organised_crime", 2016): OUT,
        ("preventing_crime", 2018): RI}


def test_a_pillar_not_graded_this_year() -> None:
    report = report_of("The extent to which the force is efficient at keeping people safe and reducing crime is "
                       "not graded.", "Essex 2017")
    assert [(g.area_key, g.grade, g.status) for g in report.grades] == [("efficiency", None, "not_graded")]


def test_a_national_report_grades_no_force_unless_it_names_one() -> None:
    text = ("We inspected all 43 police forces. Of these, 30 were judged good at preventing crime and 13 were "
            "judged to require improvement at investigating crime. Durham Constabulary is outstanding at "
            "preventing crime.")
    report = report_of(text, "PEEL: Police effectiveness 2016 – A national overview")
    assert report.meta.force is None
    assert [(g.force, g.area_key, g.grade) for g in report.grades] == [
        ("Durham Constabulary", "preventing_crime", OUT)]


def test_a_year_after_the_grade_in_its_complement() -> None:
    text = ("The force was judged good at investigating crime in 2015. Kent Police is good at preventing crime, "
            "as it was in 2015.")
    assert grades_of(text) == {("investigating_crime", 2015): GOOD, ("preventing_crime", 2016): GOOD}
