"""A figure question about one time is not answered by a figure stated only for a later time: 'in the
year to 31 March 2025' does not say how a force did in 2021/22. Earlier years do not disqualify a
sentence (reports compare with them), and a 'when' question is answered by any date.

The page is written for these tests in the shape of a PEEL force page (made-up figures).
"""

from __future__ import annotations

import pytest

from search.answer.evidence import later_than_asked, stated_years
from search.answer.router import answer
from search.retrieve.searcher import Searcher
from tests.conftest import KeywordEmbedder, index_of_pages


@pytest.mark.parametrize("text, years", [
    ("In the year to 31 March 2025, the force answered 88 percent of emergency calls.", {2025}),
    ("In PEEL 2021/22 the force was graded adequate.", {2021, 2022}),
    ("Our 2023–2025 inspection found 1,200 cases.", {2023, 2024, 2025}),
    ("The force answered most calls quickly.", set()),
])
def test_years_a_sentence_names(text: str, years: set[int]) -> None:
    assert stated_years(text) == years


@pytest.mark.parametrize("question, text, later", [
    ("What share of emergency calls did Gwent answer in 2021/22?",
     "In the year to 31 March 2025, the force answered 88 percent of emergency calls.", True),
    ("What share of emergency calls did Gwent answer in 2021/22?",  # a year's grace: last year's figures
     "In the year to 31 March 2023, the force answered 81 percent of emergency calls.", False),
    ("How many suspects were waiting to be arrested in 2021?",  # an earlier year is a comparison
     "The force cut the number of suspects waiting from 1,400 at our 2018 inspection to 700.", False),
    ("How many suspects were waiting to be arrested?",  # no time asked
     "In the year to 31 March 2025, 700 suspects were waiting.", False),
])
def test_a_figure_stated_only_for_a_later_time(searcher: Searcher, question: str, text: str, later: bool) -> None:
    assert later_than_asked(text, searcher.question(question)) is later


PAGE = """Gwent Police PEEL 2023–2025

Published: 14 May 2025

Responding to the public

In the year to 31 March 2025, Gwent Police answered 88 percent of emergency calls within ten seconds.

The force opened a new control room in Cwmbran in 2024.
"""


EARLIER = """Gwent Police PEEL 2021/22

Published: 3 March 2022

Responding to the public

Gwent Police requires improvement at responding to the public. Call handlers do not always assess the risk to callers.
"""


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    pages = {"gwent_2025.txt": PAGE, "gwent_2022.txt": EARLIER}
    return Searcher.load(index_of_pages(tmp_path_factory, pages, "figure-time"),
                         embedder=KeywordEmbedder())


def test_a_later_figure_does_not_answer_an_earlier_time(searcher: Searcher) -> None:
    reply = answer(searcher, "What percentage of emergency calls did Gwent Police answer within ten seconds in 2021?")
    assert reply.abstained and reply.citations == ()
    assert any("88 percent" in p.text for p in reply.passages)  # found, and judged not to answer


def test_the_figure_of_the_time_asked_is_quoted(searcher: Searcher) -> None:
    reply = answer(searcher, "What percentage of emergency calls did Gwent Police answer within ten seconds in 2025?")
    assert not reply.abstained
    assert "88 percent" in reply.citations[0].quote


def test_a_when_question_is_answered_by_any_date(searcher: Searcher) -> None:
    reply = answer(searcher, "When did Gwent Police open its new control room?")
    assert not reply.abstained
    assert "2024" in " ".join(c.quote for c in reply.citations)
