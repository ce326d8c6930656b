"""What a search is restricted to: the sidebar's filters and what the question names, combined
field by field with the question winning conflicts unless kept; and naming the filter that left
nothing to search."""

from __future__ import annotations

from dataclasses import replace

import pytest

from search.answer.plan import EmptyScope, Origin, emptied_by, plan_search
from search.errors import FilterError
from search.filters import Filters
from search.retrieve.question import AnswerType, parse_question
from search.types import YearRange

HERTS = "Hertfordshire Constabulary"


def q(text: str):
    return parse_question(text, 2000)


def test_without_filters_the_question_speaks_and_a_named_year_is_a_preference() -> None:
    plan = plan_search(q("What did HMIC find about missing children in Hertfordshire in 2015?"), Filters())
    assert plan.filters is None and plan.use_understanding
    assert plan.part("forces").values == (HERTS,) and plan.part("forces").origin is Origin.QUESTION
    years = plan.part("years")
    assert years.values == ("2015",) and years.origin is Origin.QUESTION and years.preferred
    assert plan.applied() == Filters(forces=(HERTS,))  # a preferred year is not required
    assert not plan.conflicts


def test_a_question_year_wins_over_a_sidebar_year_and_the_conflict_is_stated() -> None:
    sidebar = Filters(years=(2014, 2014), themes=("vulnerability",))
    plan = plan_search(q("What did HMIC find about missing children in 2015?"), sidebar)
    assert plan.filters.years == YearRange(2015, 2015) and plan.filters.themes == ("vulnerability",)
    assert [(c.field, c.filters, c.question, c.winner) for c in plan.conflicts] == [
        ("years", ("2014",), ("2015",), Origin.QUESTION)]
    assert plan.part("years").origin is Origin.QUESTION
    assert plan.part("themes").origin is Origin.FILTERS


def test_the_sidebar_wins_a_conflict_when_the_user_keeps_it() -> None:
    sidebar = Filters(years=(2014, 2014))
    plan = plan_search(q("What did HMIC find about missing children in 2015?"), sidebar, keep_filters=("years",))
    assert plan.filters.years == YearRange(2014, 2014)
    assert plan.conflicts[0].winner is Origin.FILTERS and plan.part("years").origin is Origin.FILTERS


def test_fields_set_by_one_side_only_come_from_that_side() -> None:
    plan = plan_search(q("How does Kent Police prevent burglary?"), Filters(years=(2015, 2016)))
    assert plan.filters == Filters(forces=("Kent Police",), years=(2015, 2016))
    assert plan.part("forces").origin is Origin.QUESTION and plan.part("years").origin is Origin.FILTERS
    assert not plan.conflicts


def test_agreeing_sides_are_no_conflict() -> None:
    plan = plan_search(q("How does Kent Police prevent burglary?"), Filters(forces=("Kent",)))
    assert not plan.conflicts and plan.part("forces").origin is Origin.FILTERS
    assert plan.filters.forces == ("Kent Police",)


def test_ignoring_the_question_applies_only_the_filters() -> None:
    plan = plan_search(q("How does Kent Police prevent burglary in 2015?"), Filters(themes=("vulnerability",)),
                       ignore_question=True)
    assert plan.question_ignored and not plan.use_understanding
    assert plan.filters == Filters(themes=("vulnerability",))
    assert [p.field for p in plan.parts] == ["themes"]
    assert plan_search(q("Kent burglary"), Filters(), ignore_question=True).filters is None


def test_grades_named_in_a_grade_question_are_part_of_the_scope_only_there() -> None:
    graded = plan_search(q("Which forces were graded inadequate?"), Filters(judgments=("Good",)))
    assert graded.filters.judgments == ("Inadequate",)
    assert graded.conflicts[0].field == "judgments"
    # A question that names a grade but asks for a description: the grade word does not filter.
    description = replace(q("Which forces were graded inadequate?"), expects=AnswerType.DESCRIPTION)
    described = plan_search(description, Filters(judgments=("Good",)))
    assert described.filters.judgments == ("Good",) and not described.conflicts


def test_unknown_filter_names_are_refused() -> None:
    with pytest.raises(FilterError):
        plan_search(q("burglary"), Filters(forces=("Atlantis Police",)))


def test_emptied_by_names_the_filter_that_matches_nothing(fake_searcher) -> None:
    snapshot = fake_searcher.snapshot
    assert emptied_by(snapshot, None) is None and emptied_by(snapshot, Filters()) is None
    assert emptied_by(snapshot, Filters(forces=(HERTS,))) is None
    alone = emptied_by(snapshot, Filters(forces=(HERTS,), years=(2030, 2031)))
    assert alone == EmptyScope(("years",), together=False)
    assert emptied_by(snapshot, Filters(forces=("Kent Police",))) == EmptyScope(("forces",), together=False)


def test_emptied_by_says_when_filters_only_fail_together(fake_searcher) -> None:
    snapshot = fake_searcher.snapshot
    # A judgment and a year that each match passages, but no passage of that year carries that judgment.
    found = None
    for judgment in snapshot.store.vocab["judgment"]:
        for year in snapshot.store.vocab["year"]:
            f = Filters(judgments=(judgment,), years=(year, year))
            if not snapshot.mask(f.resolved()).any():
                found = f
                break
        if found:
            break
    assert found is not None, "the sample reports should hold a judgment missing from one year"
    assert emptied_by(snapshot, found) == EmptyScope(("years", "judgments"), together=True)
