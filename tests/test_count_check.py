"""A 'how many' question is answered only by a number that counts what it asks: '… in four
districts' states no number of police officers, and '5,400 crimes a year' no number of rapes.

The page is written for these tests in the shape of a crime data integrity news release (made-up figures).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from search.answer.evidence import counts_asked
from search.answer.router import answer
from search.retrieve.question import counted_words
from search.retrieve.searcher import Searcher
from tests.conftest import KeywordEmbedder, index_of_pages


@pytest.mark.parametrize("question, words", [
    ("How many police officers did Avon and Somerset have in 2018/19?", ("police", "officers")),
    ("How many of the recommendations had the force met?", ("recommendations",)),
    ("how many seized phones and laptops were waiting?", ("seized", "phones")),
    ("Out of the children refused bail, how many were moved?", ()),
    ("What share of crimes were recorded?", ()),
])
def test_what_a_how_many_question_counts(question: str, words: tuple[str, ...]) -> None:
    assert counted_words(question) == words


_AXES = {"officers": 0, "staff": 0, "laptops": 1, "devices": 1, "areas": 2}


def _vectors(words: list[str]) -> np.ndarray:
    """Unit word vectors where 'devices' is 0.6 close to 'laptops' and unrelated words are orthogonal."""
    out = np.zeros((len(words), 8), dtype=np.float32)
    for i, word in enumerate(words):
        out[i, _AXES.get(word, 3 + hash(word) % 5)] = 1.0
        if word == "devices":
            out[i] = [0.0, 0.6, 0.0, 0.0, 0.0, 0.0, 0.0, 0.8]
    return out


@pytest.mark.parametrize("text, counted, similarity, counts", [
    ("Response times were weaker in four districts.", ("police", "officers"), 0.45, False),
    ("The force had 1,200 police officers and 800 staff.", ("police", "officers"), 0.45, True),
    ("Officers numbered about 1,200 at the time.", ("officers",), 0.45, True),  # the noun just before the number
    ("At the time, 412 devices were waiting to be examined.", ("laptops",), 0.45, True),  # a word standing for it
    ("At the time, 412 devices were waiting to be examined.", ("laptops",), 0.7, False),
    ("In 2019 officers were moved to response teams.", ("officers",), 0.45, False),  # a year is no count
    ("Kent was graded good for the fourth successive year.", ("years",), 0.45, True),
])
def test_a_number_counts_what_is_asked(text: str, counted: tuple[str, ...], similarity: float, counts: bool) -> None:
    assert counts_asked(text, counted, _vectors, window=4, similarity=similarity) is counts


PAGE = """Surrey Police: crime data integrity inspection 2018

Published: 15 August 2018

Inspectors examined reports of crime made to Surrey Police over six months. They estimate that the force fails to record more than 5,400 reported crimes a year.

The force has three custody suites and a central crime recording team.
"""


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    return Searcher.load(index_of_pages(tmp_path_factory, {"surrey_2018.txt": PAGE}, "count"),
                         embedder=KeywordEmbedder())


def test_a_count_of_something_else_does_not_answer(searcher: Searcher) -> None:
    reply = answer(searcher, "How many rapes did Surrey Police fail to record a year?")
    assert reply.abstained and reply.citations == ()
    # any word standing for the noun: the rule off (and the topic check, which also stops it), the
    # crimes figure is quoted
    settings = searcher.settings
    off = dataclasses.replace(settings, answer=dataclasses.replace(settings.answer, count_similarity=-1.0,
                                                                   topic_cosine=-1.0))
    loose = Searcher(searcher.index_dir, searcher.embedder, searcher.snapshot, searcher.params, off)
    assert not answer(loose, "How many rapes did Surrey Police fail to record a year?").abstained


def test_the_count_asked_is_quoted(searcher: Searcher) -> None:
    reply = answer(searcher, "How many reported crimes a year does Surrey Police fail to record?")
    assert not reply.abstained
    assert "5,400 reported crimes" in reply.citations[0].quote


def test_report_words_take_the_index_s_vectors_and_other_words_none() -> None:
    from search.index.expansion import QueryExpander

    words = ["custody", "officers", "suites"]
    vectors = np.eye(3, dtype=np.float16)
    found = QueryExpander(words, vectors).vectors_of(["suites", "rapes", "custody"])
    assert found[1] is None
    assert np.array_equal(found[0], [0, 0, 1]) and np.array_equal(found[2], [1, 0, 0])
