"""Filters: parsing, resolution, masks, and filtered ranking against brute-force references.

The fake index (keyword encoder) holds the two bundled reports on Hertfordshire: the 2014
'Core business' letter and the 2015 PEEL effectiveness report, so a year or a report type
filter splits it in two.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest.metadata import REPORT_TYPES, THEMES
from ingest.types import GRADES
from search.errors import FilterError
from search.filters import Filters, parse_years
from search.index import dense as dense_module
from search.index.dense import FaissIndex, dequantize
from search.index.layout import generation_dir
from search.retrieve.searcher import best_sentence_scores

HERTS = "Hertfordshire Constabulary"
QUERY = "How well does the force prevent crime and respond to the public?"


# ---------------------------------------------------------------- Filters.from_dict


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, Filters()),
        ({}, Filters()),
        ({"force": "Herts"}, Filters(forces=("Herts",))),
        ({"force": ["Herts", "Essex Police"]}, Filters(forces=("Herts", "Essex Police"))),
        ({"forces": ["Kent Police"], "force": "Herts"}, Filters(forces=("Herts", "Kent Police"))),
        ({"force": ["Herts", "  "]}, Filters(forces=("Herts",))),
        ({"year": 2015}, Filters(years=(2015, 2015))),
        ({"year": "2015"}, Filters(years=(2015, 2015))),
        ({"years": "2014-2016"}, Filters(years=(2014, 2016))),
        ({"years": "2014–2016"}, Filters(years=(2014, 2016))),
        ({"years": [2014, 2016]}, Filters(years=(2014, 2016))),
        ({"years": [2016, 2014]}, Filters(years=(2014, 2016))),
        ({"years": "2016"}, Filters(years=(2016, 2016))),
        ({"year": None, "years": None}, Filters()),
        ({"theme": "vulnerability", "report_type": ["letter"], "judgment": "Good"},
         Filters(themes=("vulnerability",), report_types=("letter",), judgments=("Good",))),
    ],
)
def test_filters_from_dict(data: dict | None, expected: Filters) -> None:
    assert Filters.from_dict(data) == expected


@pytest.mark.parametrize("data", [{"year": "last year"}, {"years": "abc-def"},
                                  {"years": [None]}, {"year": [2014]}, {"years": ["x", 2015]}])
def test_bad_years_raise_filter_error_with_a_hint(data: dict) -> None:
    with pytest.raises(FilterError) as info:
        Filters.from_dict(data)
    assert "2015" in str(info.value) and "2014-2016" in str(info.value)


def test_filters_must_be_an_object() -> None:
    with pytest.raises(FilterError, match="JSON object"):
        Filters.from_dict(["Herts"])  # type: ignore[arg-type]


def test_parse_years() -> None:
    assert parse_years(2014) == (2014, 2014)
    assert parse_years(None, "2013 - 2015") == (2013, 2015)
    assert parse_years(None, None) is None
    assert parse_years("", []) is None


def test_to_dict_and_is_empty() -> None:
    assert Filters().is_empty() and Filters().to_dict() == {}
    filters = Filters(forces=("Herts",), years=(2014, 2015))
    assert not filters.is_empty()
    assert filters.to_dict() == {"forces": ["Herts"], "years": [2014, 2015]}


# ---------------------------------------------------------------- resolve


def test_resolve_turns_aliases_and_labels_into_canonical_names(fake_searcher) -> None:
    resolved = Filters(
        forces=("Herts", "hertfordshire constabulary"), themes=("Protecting vulnerable people and supporting victims",),
        report_types=("PEEL effectiveness",), judgments=("requires  improvement", "GOOD"), years=(2014, 2015)).resolved()
    assert resolved.forces == (HERTS,)  # alias and full name are one force
    assert resolved.themes == ("vulnerability",)
    assert resolved.report_types == ("peel_effectiveness",)
    assert resolved.judgments == ("Requires improvement", "Good")
    assert resolved.years == (2014, 2015)


def test_resolve_accepts_a_real_force_that_is_not_indexed(fake_searcher) -> None:
    assert Filters(forces=("Essex",)).resolved().forces == ("Essex Police",)


def test_unknown_force_is_an_error_that_says_what_to_type(fake_searcher) -> None:
    with pytest.raises(FilterError) as info:
        Filters(forces=("Gotham City Police",)).resolved()
    message = str(info.value)
    assert "Gotham City Police" in message and "Herts" in message


@pytest.mark.parametrize(
    ("filters", "name", "choices"),
    [
        (Filters(themes=("astrology",)), "astrology", list(THEMES)),
        (Filters(report_types=("novel",)), "novel", list(REPORT_TYPES)),
        (Filters(judgments=("Excellent",)), "Excellent", list(GRADES)),
    ],
)
def test_unknown_theme_type_or_judgment_lists_the_choices(fake_searcher, filters: Filters, name: str,
                                                          choices: list[str]) -> None:
    with pytest.raises(FilterError) as info:
        filters.resolved()
    message = str(info.value)
    assert name in message
    assert all(choice in message for choice in choices)


def test_search_with_an_unknown_filter_raises(fake_searcher) -> None:
    with pytest.raises(FilterError):
        fake_searcher.search(QUERY, filters={"theme": "astrology"})


# ---------------------------------------------------------------- masks and filtered search


def matches(record: dict, filters: Filters) -> bool:
    """The meaning of a (resolved) filter, written out for one chunk record."""
    if filters.forces and record["force"] not in filters.forces:
        return False
    if filters.years and not (record["year"] is not None and filters.years[0] <= record["year"] <= filters.years[1]):
        return False
    if filters.themes and record["theme"] not in filters.themes:
        return False
    if filters.report_types and record["report_type"] not in filters.report_types:
        return False
    return not (filters.judgments and record["judgment"] not in filters.judgments)


FILTER_CASES = [
    {"year": 2014},
    {"year": 2015},
    {"years": "2015-2020"},
    {"report_type": "letter"},
    {"force": "Herts", "year": 2014},
    {"theme": "vulnerability"},
    {"judgment": "Requires improvement"},
    {"theme": ["preventing_crime", "efficiency"], "years": [2013, 2014]},
]


@pytest.mark.parametrize("data", FILTER_CASES)
def test_mask_matches_the_records(fake_searcher, data: dict) -> None:
    store = fake_searcher.store
    filters = Filters.from_dict(data).resolved()
    expected = np.array([matches(r, filters) for r in store.all_chunks()])
    assert expected.any(), f"the fake index has no chunk for {data}: choose another case"
    mask = store.mask(filters)
    assert mask is not None and mask.dtype == bool
    assert mask.tolist() == expected.tolist()


def test_no_filter_means_no_mask(fake_searcher) -> None:
    assert fake_searcher.store.mask(Filters()) is None


@pytest.mark.parametrize("data", FILTER_CASES)
def test_filtered_search_returns_only_matches_and_still_k_of_them(fake_searcher, data: dict) -> None:
    store = fake_searcher.store
    filters = Filters.from_dict(data).resolved()
    matching = {r["chunk_id"] for r in store.all_chunks() if matches(r, filters)}
    matching_rows = {r["row"] for r in store.all_chunks() if matches(r, filters)}
    for k in sorted({1, min(5, len(matching)), len(matching), len(matching) + 7}):
        result = fake_searcher.search(QUERY, k=k, filters=data)
        assert len(result.chunks) == min(k, len(matching))  # k ranked chunks whenever k match
        assert {h.chunk_id for h in result.chunks} <= matching
        # k passages, or fewer when the matching chunks are all shown in fewer; never a chunk twice
        shown = [row for h in result.hits for row in h.rows]
        assert len(shown) == len(set(shown)) and set(shown) <= matching_rows
        assert len(result.hits) == k or set(shown) == matching_rows
        assert {h.chunk_id for h in result.hits} <= matching
        assert [h.rank for h in result.hits] == list(range(1, len(result.hits) + 1))
        scores = [h.score for h in result.hits]
        assert scores == sorted(scores, reverse=True)
    assert result.filters_used == filters.to_dict()  # explicit filters: nothing read from the question


def test_a_narrow_filter_still_fills_k_when_the_words_do_not_match(fake_searcher) -> None:
    """Lexical search finds nothing for this query; the filtered dense ranking still gives k hits."""
    letter_chunks = [r for r in fake_searcher.store.all_chunks() if r["report_type"] == "letter"]
    result = fake_searcher.search("zzqx wvvy", k=len(letter_chunks), filters={"report_type": "letter"})
    assert len(result.chunks) == len(letter_chunks)
    assert {h.report_type for h in result.hits} == {"letter"}
    assert sorted(row for h in result.hits for row in h.rows) == sorted(r["row"] for r in letter_chunks)


def test_unfiltered_search_returns_k_hits_and_no_more_than_the_corpus(fake_searcher) -> None:
    size = fake_searcher.store.size
    assert len(fake_searcher.search(QUERY, k=10, use_understanding=False).hits) == 10
    everything = fake_searcher.search(QUERY, k=size + 50, use_understanding=False)
    assert len(everything.chunks) == size
    assert sorted(row for h in everything.hits for row in h.rows) == list(range(size))  # each chunk shown once


def test_filter_on_a_force_that_is_not_indexed_returns_nothing_with_a_notice(fake_searcher) -> None:
    result = fake_searcher.search(QUERY, k=5, filters={"force": "Essex Police"})
    assert result.hits == ()
    assert result.filters_used == {"forces": ["Essex Police"]}
    notice = " ".join(result.notices)
    assert "No passage matches these filters" in notice and HERTS in notice


def test_filter_on_a_year_that_is_not_indexed_returns_nothing_with_a_notice(fake_searcher) -> None:
    result = fake_searcher.search(QUERY, k=5, filters={"year": 2019})
    assert result.hits == ()
    assert any("2014" in n and "2015" in n for n in result.notices)


def test_explicit_filters_switch_off_query_understanding(fake_searcher) -> None:
    question = "What did HMIC say about Essex Police in 2015?"
    understood = fake_searcher.search(question, k=5)
    assert understood.out_of_scope and understood.hits == ()

    explicit = fake_searcher.search(question, k=5, filters={"year": 2014})
    assert not explicit.out_of_scope
    assert explicit.filters_used == {"years": [2014, 2014]}  # no force, no preferred year from the text
    assert len(explicit.hits) == 5 and {h.year for h in explicit.hits} == {2014}

    off = fake_searcher.search(question, k=5, use_understanding=False)
    assert not off.out_of_scope and off.filters_used == {} and len(off.hits) == 5


def test_query_understanding_reads_an_alias_and_a_year(fake_searcher) -> None:
    result = fake_searcher.search("How do Herts police protect missing children in 2015?", k=5)
    assert result.filters_used["forces"] == [HERTS]
    assert result.filters_used["prefer_years"] == [2015]
    assert HERTS in result.understood["forces"] and 2015 in result.understood["years"]
    assert all(h.force == HERTS for h in result.hits)


# ---------------------------------------------------------------- brute-force references


def stored_vectors(searcher) -> np.ndarray:
    return searcher.snapshot.dense.vectors(np.arange(searcher.store.size))


def brute_force_top(vectors: np.ndarray, query: np.ndarray, rows: np.ndarray, k: int) -> tuple[list[int], np.ndarray]:
    scores = vectors[rows] @ query
    order = np.argsort(-scores, kind="stable")[:k]
    return rows[order].tolist(), scores[order]


@pytest.mark.parametrize("data", [None, {"year": 2014}, {"year": 2015}, {"theme": "vulnerability"}])
def test_filtered_dense_ranking_matches_brute_force(fake_searcher, data: dict | None) -> None:
    store = fake_searcher.store
    mask = store.mask(Filters.from_dict(data).resolved())
    vectors = stored_vectors(fake_searcher)
    rows = np.arange(store.size) if mask is None else np.flatnonzero(mask)
    rng = np.random.default_rng(7)
    for _ in range(5):
        query = rng.normal(size=vectors.shape[1]).astype(np.float32)
        query /= np.linalg.norm(query)
        k = min(12, len(rows))
        scores, ids = fake_searcher.snapshot.dense.search(query[None, :], k, mask)
        expected_rows, expected_scores = brute_force_top(vectors, query, rows, k)
        assert ids[0].tolist() == expected_rows
        np.testing.assert_allclose(scores[0], expected_scores, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_large_filtered_search_uses_the_faiss_selector_and_keeps_to_the_mask(monkeypatch, kind: str) -> None:
    """Above the brute-force threshold the mask goes to FAISS as a bitmap selector."""
    monkeypatch.setattr(dense_module, "_BRUTE_FORCE_ROWS", 10)
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(1200, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = FaissIndex.build(vectors, kind)
    mask = rng.random(len(vectors)) < 0.3
    rows = np.flatnonzero(mask)
    target = int(rows[len(rows) // 2])
    query = vectors[target] + 0.05 * rng.normal(size=32).astype(np.float32)
    query /= np.linalg.norm(query)
    _scores, ids = index.search(query[None, :], 20, mask)
    found = [i for i in ids[0].tolist() if i >= 0]
    assert found and all(mask[i] for i in found)
    expected, _ = brute_force_top(vectors, query, rows, 20)
    assert expected[0] == target
    if kind == "flat":
        assert found == expected
    elif kind == "hnsw":  # approximate: most of the true neighbours, never a row outside the mask
        assert found[0] == target and len(set(found) & set(expected)) >= 10
    else:  # ivf probes a few cells: the nearest row is found, and nothing outside the mask
        assert found[0] == target


def test_lexical_search_with_a_mask_matches_brute_force(fake_searcher) -> None:
    lexical = fake_searcher.snapshot.lexical
    store = fake_searcher.store
    mask = store.mask(Filters(years=(2015, 2015)).resolved())
    tokens = lexical.query_tokens(QUERY)
    assert tokens
    all_scores = lexical.scores(tokens)
    scores, rows = lexical.search(QUERY, 15, mask)
    assert len(rows) and all(mask[r] for r in rows)
    np.testing.assert_allclose(scores, all_scores[rows], rtol=1e-5)
    eligible = np.where(mask & (all_scores > 0), all_scores, -np.inf)
    kth = np.sort(eligible)[::-1][len(rows) - 1]
    assert scores.min() == pytest.approx(kth, rel=1e-5)
    assert list(scores) == sorted(scores, reverse=True)
    # Tokens made once by query_tokens search the same as the question they came from.
    again_scores, again_rows = lexical.search(tokens, 15, mask)
    assert again_rows.tolist() == rows.tolist() and np.array_equal(again_scores, scores)


def test_lexical_coverage_weights_words_by_rarity() -> None:
    from search.index.lexical import LexicalIndex

    lexical = LexicalIndex.build([
        "police officers attend burglary reports",      # police, burglary
        "police officers patrol the town centre",       # police only
        "burglary victims are visited by police staff",  # police, burglary
        "schools and youth clubs",                      # neither
        "police police police",                         # police only
    ])
    rows = np.arange(5)
    covered = lexical.coverage("police burglary", rows)
    tokens = lexical.query_tokens("police burglary")
    idf = lexical.idf(tokens)
    police, burglary = (idf[t] for t in tokens)
    assert covered[0] == pytest.approx(1.0) and covered[2] == pytest.approx(1.0)
    assert covered[3] == 0.0
    assert covered[1] == pytest.approx(police / (police + burglary))
    assert covered[4] == pytest.approx(covered[1])  # repeating a word does not cover more of the question
    assert burglary > police and covered[1] < 0.5  # the rarer word carries more of the question
    assert lexical.coverage("gardens and flowers", rows).tolist() == [0.0] * 5  # no indexed word
    assert lexical.coverage("police burglary", np.array([], dtype=np.int64)).shape == (0,)


def test_lexical_coverage_matches_brute_force(fake_searcher) -> None:
    from search.index.lexical import lexical_text, tokenize

    lexical = fake_searcher.snapshot.lexical
    records = fake_searcher.store.all_chunks()
    words = [set(tokens) for tokens in tokenize([lexical_text(r["embed_text"]) for r in records])]
    tokens = list(dict.fromkeys(lexical.query_tokens(QUERY)))
    idf = lexical.idf(tokens)
    rows = np.arange(len(records))[::-1]  # any order
    got = lexical.coverage(QUERY, rows)
    for row, value in zip(rows, got, strict=True):
        expected = sum(w for t, w in idf.items() if t in words[row]) / sum(idf.values())
        assert value == pytest.approx(expected)
    assert got.max() > got.min()
    np.testing.assert_array_equal(lexical.coverage(lexical.query_tokens(QUERY), rows), got)


def test_best_sentence_scores_match_brute_force(fake_searcher) -> None:
    state = fake_searcher.snapshot
    sentences = dequantize(state.sentences[np.arange(len(state.sentences))])
    query = fake_searcher.encode_query("missing children vulnerable victims")
    rows = np.arange(state.store.size)
    got = best_sentence_scores(state, rows, query)
    for row in rows:
        spans = state.store.sentence_spans(int(row))
        expected = max((float(sentences[sid] @ query) for sid, _, _ in spans), default=-1.0)
        assert got[row] == pytest.approx(expected, abs=1e-5)


def test_int8_sentence_vectors_keep_cosines() -> None:
    from search.index.dense import quantize_unit

    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((500, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    stored = quantize_unit(vectors)
    assert stored.dtype == np.int8 and stored.shape == vectors.shape
    restored = dequantize(stored)
    assert np.allclose(np.linalg.norm(restored, axis=1), 1.0, atol=1e-5)
    assert (np.sum(restored * vectors, axis=1) > 0.999).all()
    query = vectors[0]
    assert np.abs(restored @ query - vectors @ query).max() < 0.01
    assert np.array_equal(quantize_unit(dequantize(stored)), stored)  # re-storing copied rows changes nothing


def test_row_file_reads_rows_in_the_order_asked(tmp_path: Path) -> None:
    from search.index.dense import RowFile

    rows = np.arange(40 * 6, dtype=np.int8).reshape(40, 6)
    np.save(tmp_path / "rows.npy", rows)
    table = RowFile(tmp_path / "rows.npy")
    assert table.shape == (40, 6) and len(table) == 40
    ids = [7, 8, 9, 0, 39, 3, 4]  # runs and single rows, out of order
    assert np.array_equal(table[ids], rows[ids])
    assert table[[]].shape == (0, 6)
    with pytest.raises(IndexError):
        table[[40]]
    (tmp_path / "short.npy").write_bytes((tmp_path / "rows.npy").read_bytes()[:-5])
    with pytest.raises(ValueError):
        RowFile(tmp_path / "short.npy")
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError):
        RowFile(tmp_path / "objects.npy")


def test_replicated_store_holds_every_report_once_per_copy(fake_index: Path, tmp_path: Path) -> None:
    """ChunkStore.replicate (the benchmarks' large indexes): renamed reports, suffixed ids, rows in order."""
    from search.index.layout import CHUNKS_DB, read_manifest
    from search.index.store import ChunkStore, Replica

    manifest = read_manifest(fake_index)
    source = generation_dir(fake_index, manifest) / manifest["segments"][0]["name"] / CHUNKS_DB
    original = ChunkStore.open(source)
    reports = original.report_rows()
    replicas = [Replica(source=r["source"], name=f"{n}_{r['source']}", force="Kent Police", year=2020 + n,
                        content_hash=f"h{n}", path=f"/x/{n}", copy=n, title=f"copy {n}")
                for n in range(2) for r in reports]
    counts = ChunkStore.replicate(source, tmp_path / CHUNKS_DB, replicas, copies=2)
    copy = ChunkStore.open(tmp_path / CHUNKS_DB)
    assert counts["chunks"] == original.size and copy.size == 2 * original.size
    assert len(copy.reports()) == 2 * len(reports) and copy.vocab["force"] == ["Kent Police"]
    first, second = original.all_chunks(), copy.all_chunks()
    assert [c["row"] for c in second] == list(range(2 * original.size))
    for n in range(2):
        block = second[n * original.size:(n + 1) * original.size]
        assert [c["chunk_id"] for c in block] == [f"{c['chunk_id']}~{n}" for c in first]
        assert [c["text"] for c in block] == [c["text"] for c in first]
        assert {c["year"] for c in block} == {2020 + n}
    assert int(copy.sentence_ptr[-1]) == 2 * int(original.sentence_ptr[-1])
    row = original.size + 3  # a chunk of the second copy has the sentences of its original
    assert [s[1:] for s in copy.sentence_spans(row)] == [s[1:] for s in original.sentence_spans(3)]
    assert copy.section(f"{first[3]['section_id']}~1")["text"] == original.section(first[3]["section_id"])["text"]
