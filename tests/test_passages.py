"""Small to big: ranked chunks grown into passages of their report (search/retrieve/passages.py), and
the passages a search returns."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.retrieve.passages import Layout, Passage, grow, passages


def layout(*reports: list[tuple[int, int]]) -> Layout:
    """Reports given as lists of (section, length) per chunk; chunks follow each other with one
    character between them, sections coded per report."""
    report, section, start, end = [], [], [], []
    for r, chunks in enumerate(reports):
        at = 0
        for s, length in chunks:
            report.append(r)
            section.append(r * 100 + s)
            start.append(at)
            end.append(at + length)
            at += length + 1
    return Layout(np.array(report), np.array(section), np.array(start), np.array(end))


# report 0: section 0 has rows 0-2, section 1 rows 3-5; report 1: rows 6-7
LAYOUT = layout([(0, 100), (0, 100), (0, 100), (1, 100), (1, 100), (1, 100)], [(0, 100), (0, 100)])


def test_a_chunk_grows_within_its_section_before_crossing_a_heading() -> None:
    p = grow(2, LAYOUT, max_chars=303)  # room for two more chunks: the section's, not the next section's
    assert (p.first, p.last) == (0, 2)
    assert (p.start, p.end) == (0, 302)
    wider = grow(2, LAYOUT, max_chars=404)
    assert (wider.first, wider.last) == (0, 3)


def test_the_chunk_after_comes_before_the_chunk_before() -> None:
    assert grow(1, LAYOUT, max_chars=202).rows == (1, 2)


def test_a_passage_never_leaves_its_report_nor_exceeds_its_length() -> None:
    p = grow(5, LAYOUT, max_chars=10_000)
    assert p.rows == (0, 1, 2, 3, 4, 5)
    assert grow(6, LAYOUT, max_chars=10_000).rows == (6, 7)
    assert grow(4, LAYOUT, max_chars=50).rows == (4,)  # a chunk longer than the limit stays itself


def test_taken_or_filtered_out_rows_stop_the_growth() -> None:
    assert grow(1, LAYOUT, max_chars=10_000, taken={3}).rows == (0, 1, 2)
    allowed = np.array([True] * 8)
    allowed[0] = False
    assert grow(2, LAYOUT, max_chars=10_000, allowed=allowed).rows == (1, 2, 3, 4, 5)


def test_rows_out_of_reading_order_are_not_joined() -> None:
    shuffled = Layout(LAYOUT.report, LAYOUT.section, LAYOUT.start[[0, 2, 1, 3, 4, 5, 6, 7]],
                      LAYOUT.end[[0, 2, 1, 3, 4, 5, 6, 7]])
    assert 2 not in grow(1, shuffled, max_chars=10_000).rows


def test_passages_never_show_a_chunk_twice_and_stop_at_k() -> None:
    found = passages([1, 2, 0, 6, 4, 7, 3, 5], LAYOUT, max_chars=303, k=10)
    assert [p.seed for p in found] == [1, 6, 4]
    assert [p.rows for p in found] == [(0, 1, 2), (6, 7), (3, 4, 5)]
    assert len(passages([1, 2, 0, 6, 4], LAYOUT, max_chars=303, k=2)) == 2


def test_without_growth_every_passage_is_its_chunk() -> None:
    found = passages([3, 1, 3], LAYOUT, max_chars=0, k=5)
    assert found == [Passage(3, 3, 3, 303, 403), Passage(1, 1, 1, 101, 201)]


def test_a_layout_needs_one_entry_per_row() -> None:
    with pytest.raises(ValueError, match="one report, section, start and end per row"):
        Layout(np.zeros(3), np.zeros(3), np.zeros(2), np.zeros(3))


chunk_lists = st.lists(st.lists(st.tuples(st.integers(0, 3), st.integers(1, 400)), min_size=1, max_size=8),
                       min_size=1, max_size=4)


@settings(max_examples=150, deadline=None)
@given(chunk_lists, st.integers(0, 1500), st.data())
def test_a_grown_passage_is_a_maximal_run_of_its_report_within_the_limit(reports, max_chars, data) -> None:
    reports = [sorted(chunks, key=lambda c: c[0]) for chunks in reports]  # sections in reading order
    lay = layout(*reports)
    seed = data.draw(st.integers(0, lay.size - 1))
    taken = set(data.draw(st.lists(st.integers(0, lay.size - 1), max_size=3))) - {seed}
    p = grow(seed, lay, max_chars, taken)
    rows = list(p.rows)
    assert seed in rows and not taken & set(rows)
    assert len({int(lay.report[r]) for r in rows}) == 1
    assert (p.start, p.end) == (lay.start[p.first], lay.end[p.last])
    assert len(rows) == 1 or p.end - p.start <= max_chars
    for neighbour, lo, hi in ((p.first - 1, p.first - 1, p.last), (p.last + 1, p.first, p.last + 1)):
        can_join = (0 <= neighbour < lay.size and lay.report[neighbour] == lay.report[seed]
                    and neighbour not in taken and lay.end[hi] - lay.start[lo] <= max_chars)
        assert not can_join, f"row {neighbour} fits but was left out of {rows}"


# --- the passages a search returns (fake encoder) -------------------------------------------------
QUESTION = "How does the force protect missing children?"


def test_a_passage_is_verbatim_from_its_report_and_highlights_its_chunk(fake_searcher) -> None:
    result = fake_searcher.search(QUESTION, k=8)
    assert len(result.hits) == 8
    store = fake_searcher.store
    grown = 0
    for hit in result.hits:
        section = fake_searcher.section(hit.section_id)
        assert hit.highlight == section["text"][hit.start:hit.end]  # the chunk, as its section prints it
        assert hit.text in store.report_text(hit.source)
        assert hit.row in hit.rows and list(hit.rows) == list(range(hit.rows[0], hit.rows[-1] + 1))
        assert len(hit.text) <= fake_searcher.settings.retrieval.passage_chars or len(hit.rows) == 1
        grown += len(hit.rows) > 1
    assert grown  # small chunks are shown with their neighbours
    shown = [row for hit in result.hits for row in hit.rows]
    assert len(shown) == len(set(shown))


def test_the_ranked_chunks_stay_available_for_answers(fake_searcher) -> None:
    result = fake_searcher.search(QUESTION, k=8)
    assert len(result.chunks) == 8
    assert [h.rank for h in result.chunks] == list(range(1, 9))
    assert result.hits[0].chunk_id == result.chunks[0].chunk_id  # the best chunk starts the first passage
    for chunk in result.chunks:
        assert chunk.text == chunk.highlight and chunk.rows == (chunk.row,)
        assert fake_searcher.section(chunk.section_id)["text"][chunk.start:chunk.end] == chunk.text


def test_a_theme_filter_keeps_whole_passages_inside_it(fake_searcher) -> None:
    result = fake_searcher.search(QUESTION, k=6, filters={"theme": "vulnerability"})
    assert result.hits
    themes = {r["row"]: r["theme"] for r in fake_searcher.store.all_chunks()}
    assert {themes[row] for hit in result.hits for row in hit.rows} == {"vulnerability"}


def test_passage_chars_zero_returns_the_chunks_themselves(fake_index, fake_embedder) -> None:
    from search.config import RetrievalSettings, Settings
    from search.retrieve.searcher import Searcher

    chunks_only = Searcher.load(fake_index, embedder=fake_embedder,
                                settings=Settings(retrieval=RetrievalSettings(passage_chars=0)))
    result = chunks_only.search(QUESTION, k=6)
    assert [h.text for h in result.hits] == [h.text for h in result.chunks]
