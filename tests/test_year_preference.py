"""A year the question names prefers the reports whose period holds it: a 2018/19 report is a 2019
report too, and a thematic published in 2014 on fieldwork of 2013 is a 2013 report too."""

from __future__ import annotations

import pytest

from search.retrieve.searcher import Searcher
from tests.conftest import KeywordEmbedder, index_of_pages

BODY = "The force answers most emergency calls within ten seconds and attends urgent incidents promptly.\n"
PAGES = {
    "peel_2017.txt": "PEEL: Police effectiveness 2017\n\nAn inspection of Kent Police\n\n" + BODY,
    "peel_2018_19.txt": "PEEL 2018/19: An inspection of Kent Police\n\n" + BODY,
    "peel_2021_22.txt": "PEEL 2021/22: An inspection of Kent Police\n\n" + BODY,
}


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    return Searcher.load(index_of_pages(tmp_path_factory, PAGES, "years"), embedder=KeywordEmbedder())


def _preferred(searcher: Searcher, question: str) -> set[str]:
    signals = searcher.signals(question)
    year = next(r for r in signals.rankings if r.signal == "year")
    return {searcher.snapshot.store.chunks([int(row)])[0]["source"] for row in year.rows}


@pytest.mark.parametrize("question, sources", [
    ("How quickly did Kent answer emergency calls in 2019?", {"peel_2018_19.txt"}),  # the period's second year
    ("How quickly did Kent answer emergency calls in 2018?", {"peel_2018_19.txt"}),
    ("How quickly did Kent answer emergency calls in 2017?", {"peel_2017.txt"}),
    ("How quickly did Kent answer emergency calls in 2022?", {"peel_2021_22.txt"}),
])
def test_a_named_year_prefers_every_report_whose_period_holds_it(searcher: Searcher, question: str,
                                                                 sources: set[str]) -> None:
    assert _preferred(searcher, question) == sources
