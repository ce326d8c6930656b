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
        ("It is outstanding at preventing crime and tackling anti-social behaviour, at managing offenders and at "
         "protecting vulnerable people.",
         {("preventing_crime", 2016): OUT, ("managing_offenders", 2016): OUT, ("vulnerability", 2016): OUT}),
        ("The force requires improvement in two areas: managing offenders and suspects, and protecting vulnerable "
         "people.", {("managing_offenders", 2016): RI, ("vulnerability", 2016): RI}),
        ("Following our inspection we have been rated as outstanding for efficiency and good at investigating "
         "crime.", {("efficiency", 2016): OUT, ("investigating_crime", 2016): GOOD}),  # 'and' starts a new grade
        ("The force is good at investigating crime and at working with partners.",  # a part naming no area
         {("investigating_crime", 2016): GOOD}),
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


def test_a_year_followed_by_a_comma_still_dates_the_grade() -> None:
    text = ("The force is now good at investigating crime. That is a step up from 2015, when we judged that "
            "its investigation of crime required improvement.\n\nIn 2014, HMIC judged the force's legitimacy to be "
            "outstanding.")
    assert grades_of(text) == {("investigating_crime", 2016): GOOD, ("investigating_crime", 2015): RI,
                               ("legitimacy", 2014): OUT}


def test_a_label_line_naming_an_earlier_inspection_keeps_its_year() -> None:
    text = ("Grades from earlier inspections\n\n2019 crime data integrity inspection (March 2019): requires "
            "improvement\n\nIn 2015 the force's efficiency required improvement.")
    assert grades_of(text, title="Kent PEEL 2021/22") == {("crime_recording", 2019): RI, ("efficiency", 2015): RI}


def test_a_table_with_a_period_over_each_grade_column_gives_each_grade_its_period() -> None:
    text = ("Our judgments\n\nArea\tGrade in 2017\tGrade in 2018/19\nInvestigating crime\tRequires improvement\tGood\n"
            "Responding to the public\tGood\tGood\n\nThe force is good at investigating crime.")
    assert grades_of(text, title="Kent 2018/19") == {
        ("investigating_crime", 2017): RI, ("investigating_crime", 2018): GOOD,
        ("responding_to_public", 2017): GOOD, ("responding_to_public", 2018): GOOD}


def test_a_grade_cited_with_the_next_sentence_when_it_compares_an_earlier_year() -> None:
    """The change is part of the statement; a sentence about anything else is not."""
    report = report_of("Investigating crime\n\nThe force is good at investigating crime. That is a step up from "
                       "2015, when we judged that its investigation of crime required improvement. Officers are well "
                       "trained.\n\nResponding to the public\n\nThe force is good at responding to the public. "
                       "Officers are well trained.")
    cited = {(g.area_key, g.year_from): report.text[g.start:g.end] for g in report.grades}
    assert cited[("investigating_crime", 2016)] == ("The force is good at investigating crime. That is a step up from "
                                                   "2015, when we judged that its investigation of crime required "
                                                   "improvement.")
    assert cited[("responding_to_public", 2016)] == "The force is good at responding to the public."


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


# ---------------------------------------------------------------- one grade stated several times: citation and alternatives


def _quotes(report: Report, key: str, year: int = 2016) -> tuple[str, list[str]]:
    grade = next(g for g in report.grades if (g.area_key, g.year_from) == (key, year))
    return report.text[grade.start:grade.end], [report.text[a:b] for a, b in grade.also]


def test_the_sections_opening_sentence_is_cited_and_the_other_statements_are_alternatives() -> None:
    report = report_of("""
The degree to which the constabulary protects people and cuts crime through effective policing is rated good.

The constabulary is efficient; the extent to which it is efficient at keeping people safe and reducing crime is good.

HMI's observations

Most of all, the constabulary is good at investigating crime: its detectives are thorough.

Investigating crime

Last updated 01/03/2017

Good

Kent Police is good at investigating crime. Its detectives supervise cases closely and keep victims informed.

We reviewed 80 files and found that Kent Police is good at investigating crime, including burglary.

Our judgments

Investigating crime\tGood

Annex A – What the grades mean

A force that is good at investigating crime finds the offender in most cases it can.
""")
    cited, also = _quotes(report, "investigating_crime")
    assert cited == "Kent Police is good at investigating crime."
    assert also == ["Most of all, the constabulary is good at investigating crime: its detectives are thorough.",
                    "We reviewed 80 files and found that Kent Police is good at investigating crime, including burglary.",
                    "Investigating crime\tGood"]  # text order, at most three; the annex and the heading left out


def test_alternatives_are_worded_differently_and_never_from_findings_lists() -> None:
    report = report_of("""
Kent Police is good at responding to the public.

Responding to the public

Good

Kent Police is good at responding to the public.

Kent Police answers 999 calls quickly. Inspectors found it to be good at responding to the public in every district.

Areas for improvement

- The force should remain good at responding to the public by training new call handlers.
""")
    cited, also = _quotes(report, "responding_to_public")
    assert cited == "Kent Police is good at responding to the public."
    assert report.text.count(cited) == 2 and report.text.index(cited) < report.text.index("Responding to the public\n")
    assert also == ["Inspectors found it to be good at responding to the public in every district."]


def test_a_table_row_in_an_annex_is_never_an_alternative() -> None:
    report = report_of("""
Responding to the public

Last updated 01/03/2017

Good

Kent Police is good at responding to the public.

Annex B – How we grade

Responding to the public (an example row)\tGood
""")
    assert _quotes(report, "responding_to_public") == ("Kent Police is good at responding to the public.", [])


def test_another_grade_or_period_is_never_an_alternative() -> None:
    report = report_of("""
Efficiency

Last updated 03/11/2016

Good

Kent Police is good in the efficiency with which it keeps people safe and reduces crime.

In 2015 we judged Kent Police to be outstanding in the efficiency with which it keeps people safe and reduces crime.

Elsewhere the report says the efficiency with which the force keeps people safe is requires improvement.
""")
    cited, also = _quotes(report, "efficiency")
    assert cited.startswith("Kent Police is good in the efficiency") and also == []
    assert _quotes(report, "efficiency", 2015)[1] == []


def test_a_grade_stated_once_has_no_alternatives() -> None:
    report = report_of("Kent Police is judged to be outstanding at planning for the future.")
    assert [g.also for g in report.grades] == [()]
