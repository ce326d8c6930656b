"""The question parser: context, focus, answer type and scope, on wordings written for this test."""

from __future__ import annotations

import pytest

from search.errors import QueryError
from search.retrieve.question import AnswerType, Scope
from search.retrieve.question import parse_question as _parse
from search.types import YearRange


def parse_question(text: str):
    return _parse(text, 2000)


@pytest.mark.parametrize(("text", "expects"), [
    ("How many special constables does Essex have?", AnswerType.COUNT),
    ("what number of 999 calls were abandoned", AnswerType.COUNT),
    ("What proportion of burglaries were solved in Surrey?", AnswerType.SHARE),
    ("what was the detection rate for robbery", AnswerType.SHARE),
    ("How much did the new control room cost?", AnswerType.MONEY),
    ("How much money has Avon and Somerset saved since 2010?", AnswerType.MONEY),
    ("What grade did Wiltshire get for legitimacy?", AnswerType.GRADE),
    ("How was Gwent rated on treating the public fairly?", AnswerType.GRADE),
    ("Was the Met judged inadequate?", AnswerType.GRADE),
    ("When did the inspectors visit the custody suites?", AnswerType.DATE),
    ("By when must the force put the plan in place?", AnswerType.DATE),
    ("How long do victims wait for an officer?", AnswerType.DATE),
    ("Why did the inspectorate raise a cause of concern about Northumbria?", AnswerType.REASON),
    ("What led to the fall in arrests?", AnswerType.REASON),
    ("Which partners does the force work with on knife crime?", AnswerType.LIST),
    ("What were its recommendations on call handling?", AnswerType.LIST),
    ("Does Suffolk have a dedicated team for online child abuse?", AnswerType.YESNO),
    ("Is the force's approach to cybercrime better than last year?", AnswerType.COMPARISON),
    ("What does the constabulary do to stop reoffending?", AnswerType.DESCRIPTION),
    ("What is meant by a problem profile?", AnswerType.DESCRIPTION),
])
def test_answer_type_from_the_form_of_the_question(text: str, expects: AnswerType) -> None:
    assert parse_question(text).expects is expects


@pytest.mark.parametrize(("text", "expects"), [
    ("When the inspectors returned to Gwent in 2017, why was call handling still slow?", AnswerType.REASON),
    ("After the 2016 review, how many custody suites did Sussex keep open?", AnswerType.COUNT),
    ("According to the 2019 report, what did Dorset do about missing children?", AnswerType.DESCRIPTION),
    ("Since 2015, has Avon and Somerset got better at answering 101 calls?", AnswerType.COMPARISON),
    ("When did Suffolk open its new control room?", AnswerType.DATE),
])
def test_a_leading_clause_is_context_and_the_question_after_it_decides(text: str, expects: AnswerType) -> None:
    assert parse_question(text).expects is expects


def test_how_much_a_force_has_changed_is_a_degree_not_an_amount() -> None:
    assert parse_question("How much has Gwent's crime recording improved since 2014?").expects is AnswerType.COMPARISON
    assert parse_question("How much did Gwent's new crime recording system cost?").expects is AnswerType.MONEY
    assert parse_question("How much of Gwent's crime goes unrecorded?").expects is AnswerType.SHARE


@pytest.mark.parametrize(("text", "polar"), [
    ("Did Dorset record more than 90% of the crimes in the audit?", True),
    ("In 2018, was the budget for Dorset's control room over £2m?", True),
    ("How many officers did Dorset have in 2018?", False),
    ("What percentage of crimes did Dorset record?", False),
])
def test_a_yes_or_no_question_is_known_by_its_form(text: str, polar: bool) -> None:
    assert parse_question(text).polar is polar


def test_context_is_read_and_kept_out_of_the_focus() -> None:
    q = parse_question("What concern did HMICFRS raise in Cheshire's 2019 PEEL inspection about missing people?")
    assert q.forces == ("Cheshire Constabulary",)
    assert q.years == (2019,)
    assert "peel" in q.report_families
    focus = q.focus.lower().split()
    assert "concern" in focus and "missing" in focus and "people" in focus
    for context in ("cheshire", "2019", "peel", "hmicfrs", "inspection", "s"):
        assert context not in focus


@pytest.mark.parametrize(("text", "focus"), [
    ("What did the 2015 custody inspection in Dorset say about food for detainees?", "food detainees"),
    ("What did HMIC's vetting report of 2019 find about checks on new recruits in Essex?", "checks new recruits"),
    ("What did inspectors make of Dorset's call handling?", "call handling"),
    ("What did the custody inspection find?", "custody"),  # nothing after it: the source is what is asked
])
def test_the_report_a_question_names_as_its_source_is_context(text: str, focus: str) -> None:
    assert parse_question(text).focus == focus


def test_a_period_written_as_one_covers_every_year_of_it() -> None:
    assert parse_question("Surrey PEEL 2021/22 findings on vetting").years == (2021, 2022)
    assert parse_question("PEEL 2023–2025 in Dorset").years == (2023, 2024, 2025)
    assert parse_question("Dorset in PEEL 2023-25").scope is Scope.SINGLE


def test_open_periods_have_no_sentinels() -> None:
    since = parse_question("Has Derbyshire improved its crime recording since 2016?")
    assert since.period == YearRange(2016, None)
    assert since.scope is Scope.CROSS_YEAR
    after = parse_question("inspections of Dorset after 2016").period
    assert after == YearRange(2017, None)
    # an event of a year: what followed (or preceded) it may be of the same year
    assert parse_question("What did Dorset change after the 2016 inspection?").period == YearRange(2016, None)
    assert parse_question("What did Dorset plan before the 2016 report?").period == YearRange(None, 2016)
    before = parse_question("grades for Dorset before 2018").period
    assert before == YearRange(None, 2017)
    assert before.contains(2015) and not before.contains(2018)
    between = parse_question("Dorset between 2015 and 2017").period
    assert between == YearRange(2015, 2017) and between.overlaps(2017, 2018)


def test_a_data_period_after_a_month_is_not_a_report_year() -> None:
    assert parse_question("Crime in the 12 months to June 2015 in Dorset").years == ()


def test_cross_force_questions_name_no_force_and_ask_about_forces() -> None:
    q = parse_question("Which forces were rated requires improvement for efficiency in 2016?")
    assert q.scope is Scope.CROSS_FORCE and q.forces == ()
    assert q.grades == ("Requires improvement",)
    assert q.expects is AnswerType.GRADE
    assert parse_question("Compare Dorset and Devon and Cornwall on call handling").scope is Scope.CROSS_FORCE


def test_grade_words_are_grades_only_where_used_as_grades() -> None:
    assert parse_question("Was Dorset graded good at preventing crime?").grades == ("Good",)
    assert parse_question("Is there a good example of partnership work in Dorset?").grades == ()
    assert parse_question("outstanding cases in the Dorset backlog").grades == ()


def test_cross_year_from_change_words_or_two_separate_years() -> None:
    assert parse_question("Has Dorset got worse at answering emergency calls?").scope is Scope.CROSS_YEAR
    assert parse_question("Dorset in 2015 and in 2017: neighbourhood policing").scope is Scope.CROSS_YEAR


def test_control_characters_are_cleaned_and_empty_input_refused() -> None:
    q = parse_question("\x00what\x1b[31m about\u200b custody\x00")
    assert "\x00" not in q.text and "\x1b" not in q.text and "\u200b" not in q.text
    for empty in (None, "", " \x00 "):
        with pytest.raises(QueryError):
            parse_question(empty)  # type: ignore[arg-type]
