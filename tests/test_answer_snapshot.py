"""An answer is composed from the index generation its search ran on, even when a new generation
is published and loaded in between.

Two corpora whose chunks sit at different rows: the second has one more report, sorted first,
so every row of the others moves. Answers computed on each alone are the reference. Reading a
quote's sentence spans from the newer generation at the rows the older one returned gives
other quotes, so an answer that mixed generations differs from both references.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from conftest import LETTER, PEEL_2015, KeywordEmbedder

from search.answer.router import answer
from search.index.build import build_index
from search.retrieve.searcher import Searcher
from search.types import Answer

QUESTIONS = [
    "What is a distraction burglary?",
    "How well does Hertfordshire protect vulnerable people?",
    "What did HMIC find about missing children in 2014?",
    "How does the force use its resources?",
    "What did the inspection find about domestic abuse?",
]
FIRST_REPORT = """PEEL: Police efficiency 2016

An inspection of Essex Police

November 2016

How well does the force understand demand?

The force has a good understanding of the demand for its services. It analyses calls for service every week and moves officers to where they are needed.

How well does the force use its resources?

The force has reduced its spending on buildings and invested the savings in detective training. Officers told us that new mobile devices save them an hour on each shift.
"""


def corpora(tmp_path: Path) -> tuple[Path, Path]:
    one, two = tmp_path / "one", tmp_path / "two"
    for folder in (one, two):
        folder.mkdir()
        shutil.copy(LETTER, folder)
        shutil.copy(PEEL_2015, folder)
    (two / "000_0_essex_2016.txt").write_text(FIRST_REPORT, encoding="utf-8")  # sorts first: later rows move
    return one, two


def shown(reply: Answer) -> tuple:
    """What a reader sees of an answer: its text and each citation's quote and place."""
    return reply.text, reply.abstained, tuple(c.to_dict(with_passage=True) for c in reply.citations)


def reference_answers(corpus: Path, index_dir: Path) -> tuple[dict[str, tuple], dict[str, int]]:
    """What each question is answered on ``corpus`` alone, and the row of every chunk."""
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    searcher = Searcher.load(index_dir, embedder=KeywordEmbedder())
    replies = {q: answer(searcher, q) for q in QUESTIONS}
    for reply in replies.values():
        assert_verbatim(searcher, reply)
    rows = {c["chunk_id"]: c["row"] for c in searcher.store.all_chunks()}
    return {q: shown(reply) for q, reply in replies.items()}, rows


def assert_verbatim(searcher: Searcher, reply: Answer) -> None:
    """Every quote is its section's text at its offsets, in the generation the answer names."""
    snapshot = searcher.snapshot
    assert reply.generation == snapshot.generation
    for c in reply.citations:
        section = snapshot.store.section(c.section_id)
        assert section is not None and section["text"][c.start:c.end] == c.quote
        assert c.passage[c.passage_start:c.passage_end] == c.quote


@pytest.fixture
def references(tmp_path: Path) -> tuple[Path, Path, dict[str, tuple], dict[str, tuple]]:
    one, two = corpora(tmp_path)
    (first, rows_one), (second, rows_two) = (reference_answers(one, tmp_path / "ref-one"),
                                             reference_answers(two, tmp_path / "ref-two"))
    cited = {c["chunk_id"] for _text, _abstained, citations in first.values() for c in citations}
    assert cited, "the check needs answers with quotes"
    assert all(rows_one[chunk] != rows_two[chunk] for chunk in cited)  # every cited chunk moved
    return one, two, first, second


def test_a_generation_published_during_an_answer_does_not_change_it(references, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    one, two, first, second = references
    index_dir = tmp_path / "index"
    build_index([one], index_dir, embedder=KeywordEmbedder())
    searcher = Searcher.load(index_dir, embedder=KeywordEmbedder())
    live = {"corpus": one}
    real_search = Searcher.search

    def search_then_publish(self: Searcher, *args, **kwargs):
        """The search runs, then another build publishes and this searcher loads it."""
        result = real_search(self, *args, **kwargs)
        live["corpus"] = two if live["corpus"] == one else one
        build_index([live["corpus"]], index_dir, embedder=KeywordEmbedder(), rebuild=True)
        assert self.reload_if_changed()
        return result

    monkeypatch.setattr(Searcher, "search", search_then_publish)
    for question in QUESTIONS:
        searched_on = first if live["corpus"] == one else second
        before = searcher.generation
        reply = answer(searcher, question)
        assert searcher.generation != before  # a new generation was loaded while answering
        assert reply.generation == before
        assert shown(reply) == searched_on[question], question


@pytest.mark.slow
def test_answers_stay_verbatim_while_generations_are_published_and_reloaded(references, tmp_path: Path) -> None:
    """Two threads answer while a third rebuilds, publishes and reloads, alternating the corpora."""
    one, two, first, second = references
    index_dir = tmp_path / "index"
    expected = {build_index([one], index_dir, embedder=KeywordEmbedder()).generation: first}
    searcher = Searcher.load(index_dir, embedder=KeywordEmbedder())
    replies: list[Answer] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def publisher() -> None:
        try:
            for n in range(6):
                corpus, reference = (two, second) if n % 2 == 0 else (one, first)
                result = build_index([corpus], index_dir, embedder=KeywordEmbedder(), rebuild=True)
                expected[result.generation] = reference
                searcher.reload_if_changed()
        except BaseException as exc:  # recorded: the test fails on any error
            errors.append(exc)
        finally:
            done.set()

    def asker(offset: int) -> None:
        n = offset
        try:
            while not done.is_set():
                replies.append(answer(searcher, QUESTIONS[n % len(QUESTIONS)]))
                n += 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=publisher), *(threading.Thread(target=asker, args=(i,)) for i in range(2))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors, errors[:3]
    generations = {reply.generation for reply in replies}
    assert len(generations) >= 3, generations  # answers ran on several generations while they changed
    for reply in replies:
        assert shown(reply) == expected[reply.generation][reply.question], (reply.generation, reply.question)
    assert_verbatim(searcher, answer(searcher, QUESTIONS[0]))
