"""A question about something no passage is about abstains: no sentence of the passages is close to
its focus in meaning and none holds its words ('drones' on a page about a control room and
neighbourhood teams). A question about what the page does discuss is answered.

The page is written for these tests in the shape of a PEEL force page (made-up findings).
"""

from __future__ import annotations

import dataclasses

import pytest

from search.answer.router import answer
from search.retrieve.searcher import Searcher
from tests.conftest import KeywordEmbedder, index_of_pages

PAGE = """Gwent Police PEEL 2021/22

Published: 3 March 2022

This page says what the inspectors found about Gwent Police and what they did to gather evidence.

Responding to the public

Gwent Police requires improvement at responding to the public. Call handlers in the control room do not always assess the risk to callers, and some emergency calls wait too long to be answered.

Preventing crime

The force is good at preventing crime. Its neighbourhood teams know their communities and work with councils to tackle anti-social behaviour in town centres.
"""

ABSENT = "What did the inspectors say about the helicopter and drone flights of Gwent Police?"


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    return Searcher.load(index_of_pages(tmp_path_factory, {"gwent_2022.txt": PAGE}, "topic-absent"),
                         embedder=KeywordEmbedder())


def test_a_topic_no_passage_is_about_abstains(searcher: Searcher) -> None:
    reply = answer(searcher, ABSENT)
    assert reply.abstained and reply.citations == ()
    assert "no passage is about" in reply.reason
    assert reply.passages  # the closest passages are still shown


def test_without_the_check_the_closest_sentence_is_quoted(searcher: Searcher) -> None:
    settings = searcher.settings
    off = dataclasses.replace(settings, answer=dataclasses.replace(settings.answer, topic_cosine=-1.0))
    loose = Searcher(searcher.index_dir, searcher.embedder, searcher.snapshot, searcher.params, off)
    assert "no passage is about" not in (answer(loose, ABSENT).reason or "")


def test_a_topic_the_page_discusses_is_answered(searcher: Searcher) -> None:
    reply = answer(searcher, "What did the inspectors say about the neighbourhood teams of Gwent Police?")
    assert not reply.abstained
    assert "neighbourhood teams" in reply.citations[0].quote
