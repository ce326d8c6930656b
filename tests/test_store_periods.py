"""The chunk store keeps each report's period, address and stated grades, and knows which sentences
several reports print alike; year filters match any overlap of a report's period."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from search.filters import Filters
from search.findings.api import grades
from search.index.build import build_index
from search.index.store import ChunkStore, sentence_key
from search.retrieve.searcher import Searcher
from tests.conftest import KeywordEmbedder

TEMPLATE = "PEEL is how we tell the public about the performance of their local police service each year."
PAGES = {
    "dorset_2021.txt": f"""PEEL 2021/22: An inspection of Dorset Police

Published 14 June 2022

{TEMPLATE}

Dorset Police is good at investigating crime. Detectives close most burglary cases within six weeks.

The force is adequate at responding to the public. It answers most emergency calls quickly.
""",
    "suffolk_2016.txt": f"""Suffolk 2016

{TEMPLATE}

The extent to which Suffolk Constabulary is efficient at keeping people safe and reducing crime is good.

The force has a detailed plan for its estate and shares a control room with a neighbouring force.
""",
}


@pytest.fixture(scope="module")
def period_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("period-reports")
    for name, text in PAGES.items():
        (folder / name).write_text(text, encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("period-index")
    build_index([folder], index_dir, embedder=KeywordEmbedder())
    return index_dir


@pytest.fixture(scope="module")
def period_searcher(period_index: Path) -> Searcher:
    return Searcher.load(period_index, embedder=KeywordEmbedder())


def _sources(searcher: Searcher, years: tuple[int | None, int | None]) -> set[str]:
    mask = searcher.snapshot.store.mask(Filters(years=years))
    store = searcher.snapshot.store
    return {store.vocab["source"][code] for code in store.source[mask]}


def test_a_report_period_matches_any_year_it_covers(period_searcher: Searcher) -> None:
    assert _sources(period_searcher, (2022, 2022)) == {"dorset_2021.txt"}
    assert _sources(period_searcher, (2021, 2021)) == {"dorset_2021.txt"}
    assert _sources(period_searcher, (2016, 2021)) == {"dorset_2021.txt", "suffolk_2016.txt"}
    assert _sources(period_searcher, (2023, None)) == set()
    assert _sources(period_searcher, (None, 2016)) == {"suffolk_2016.txt"}
    assert period_searcher.snapshot.store.vocab["year"] == [2016, 2021, 2022]


def test_reports_keep_their_period(period_searcher: Searcher) -> None:
    reports = {r["source"]: r for r in period_searcher.snapshot.store.reports()}
    assert (reports["dorset_2021.txt"]["year"], reports["dorset_2021.txt"]["year_to"]) == (2021, 2022)
    assert (reports["suffolk_2016.txt"]["year"], reports["suffolk_2016.txt"]["year_to"]) == (2016, 2016)
    hit = period_searcher.search("detectives burglary cases", k=1).hits[0]
    assert (hit.source, hit.year, hit.year_to) == ("dorset_2021.txt", 2021, 2022)


def test_a_sentence_printed_in_two_reports_is_counted_as_repeated(period_searcher: Searcher) -> None:
    store = period_searcher.snapshot.store
    repeated = {}
    for row in range(store.size):
        text = store.chunks([row])[0]["text"]
        for sid, start, end in store.sentence_spans(row):
            repeated[text[start:end]] = int(store.repeated[sid])
    assert repeated[TEMPLATE] == 1
    assert all(count == 0 for sentence, count in repeated.items() if sentence != TEMPLATE)
    assert sentence_key(TEMPLATE) == sentence_key(TEMPLATE.upper().replace(" ", "  "))


def test_stated_grades_are_stored_and_cited_verbatim(period_searcher: Searcher) -> None:
    found = {(g.force, g.area_key, g.year, g.year_to): g for g in grades(period_searcher)}
    assert set(found) == {("Dorset Police", "investigating_crime", 2021, 2022),
                          ("Dorset Police", "responding_to_public", 2021, 2022),
                          ("Suffolk Constabulary", "efficiency", 2016, 2016)}
    assert found["Dorset Police", "responding_to_public", 2021, 2022].grade == "Adequate"
    for g in found.values():
        section = period_searcher.section(g.citation.section_id)
        assert section["text"][g.citation.start:g.citation.end] == g.citation.quote
        assert g.grade.lower() in g.citation.quote.lower()


def test_an_incremental_build_keeps_the_grades_and_keys_of_unchanged_reports(period_index: Path,
                                                                           tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    for name, text in PAGES.items():
        (folder / name).write_text(text, encoding="utf-8")
    index_dir = tmp_path / "index"
    embedder = KeywordEmbedder()
    build_index([folder], index_dir, embedder=embedder)
    (folder / "dorset_2021.txt").write_text(PAGES["dorset_2021.txt"] + "\nA new paragraph about cells.\n",
                                            encoding="utf-8")
    build_index([folder], index_dir, embedder=embedder)
    fresh = Searcher.load(index_dir, embedder=embedder)
    scratch = Searcher.load(period_index, embedder=embedder)
    assert {replace(g, citation=None) for g in grades(fresh)} == {replace(g, citation=None) for g in grades(scratch)}
    store: ChunkStore = fresh.snapshot.store
    assert int(store.repeated.max()) == 1  # the template sentence is still known as shared
