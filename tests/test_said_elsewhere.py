"""A question about a named force's reports on a topic only other forces' reports discuss abstains,
saying so and showing the other forces' passage first; a topic its own reports discuss is answered.

The pages are written for these tests in the shape of PEEL 2016 force pages (made-up findings).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from search.answer.abstain import said_elsewhere
from search.answer.router import answer
from search.config import AnswerSettings
from search.retrieve.question import parse_question
from search.retrieve.searcher import Searcher
from tests.conftest import KeywordEmbedder, index_of_pages

PAGES = {
    "gwent_2016.txt": """PEEL: Police effectiveness 2016 – An inspection of Gwent Police

Gwent Police is good at keeping people safe and reducing crime.

Neighbourhood teams in Gwent know their communities well and meet residents every month to agree local priorities.

The force answers most emergency calls within ten seconds, and callers are kept informed.
""",
    "dyfed_powys_2016.txt": """PEEL: Police effectiveness 2016 – An inspection of Dyfed-Powys Police

Dyfed-Powys Police is good at keeping people safe and reducing crime.

Every use of Taser by officers is reviewed by a supervisor within a week, and officers who carry Taser repeat their training each year.

Rural crime teams work with farmers to prevent the theft of machinery.
""",
}


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    return Searcher.load(index_of_pages(tmp_path_factory, PAGES, "elsewhere"), embedder=KeywordEmbedder())


def test_a_topic_only_other_forces_reports_discuss_abstains_and_shows_them(searcher: Searcher) -> None:
    reply = answer(searcher, "What did inspectors say about Gwent Police's use of Taser by officers?")
    assert reply.abstained and not reply.citations
    assert "Gwent Police" in reply.text and "do not discuss it" in reply.text
    assert "other forces' reports say more" in reply.reason
    assert reply.passages[0].source == "dyfed_powys_2016.txt" and "Taser" in reply.passages[0].text


def test_a_topic_the_named_force_s_reports_discuss_is_answered(searcher: Searcher) -> None:
    reply = answer(searcher, "What did inspectors say about Gwent's neighbourhood teams and local priorities?")
    assert not reply.abstained
    assert reply.citations[0].source == "gwent_2016.txt"


def test_without_the_question_s_forces_applied_nothing_is_abstained_for_it(searcher: Searcher) -> None:
    reply = answer(searcher, "What did inspectors say about Gwent Police's use of Taser by officers?",
                   use_understanding=False)
    assert "do not discuss it" not in reply.text


def _candidate(searcher: Searcher, focus_cosine: float):
    from search.answer.evidence import Candidate

    hit = searcher.search("Taser", k=1, use_understanding=False).chunks[0]
    return Candidate(hit, 0, 10, 0, 0.5, focus_cosine)


@pytest.mark.parametrize("own, other, abstains", [(0.30, 0.55, True), (0.40, 0.55, False), (0.50, 0.45, False)])
def test_the_margin_decides(searcher: Searcher, own: float, other: float, abstains: bool) -> None:
    question = parse_question("What did inspectors say about Gwent Police's use of Taser?", 2000)
    settings = replace(AnswerSettings(), elsewhere_margin=0.2)
    found = said_elsewhere(question, [_candidate(searcher, own)], [_candidate(searcher, other)], settings)
    assert (found is not None) is abstains
    assert said_elsewhere(replace(question, forces=()), [_candidate(searcher, own)], [_candidate(searcher, other)],
                          settings) is None  # a question naming no force is about every force



def test_the_search_over_every_report_reuses_the_question_s_encoding(searcher: Searcher) -> None:
    counting = KeywordEmbedder()  # counts its texts
    again = Searcher(searcher.index_dir, counting, searcher.snapshot, searcher.params, searcher.settings)
    reply = answer(again, "What did inspectors say about Gwent Police's use of Taser by officers?")
    assert reply.abstained and "do not discuss it" in reply.text  # both searches ran
    assert counting.calls == 1  # the question and its focus, in one pass for both searches
