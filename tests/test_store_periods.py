"""The chunk store keeps each report's period, address and stated grades, and knows which sentences
several reports print alike; year filters match any overlap of a report's period."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from search.filters import Filters
from search.findings.api import grades
from search.findings.model import Grade
from search.index.build import build_index
from search.index.layout import CHUNKS_DB, generation_dir, read_manifest
from search.index.store import ChunkStore, sentence_key
from search.retrieve.searcher import Searcher
from tests.conftest import KeywordEmbedder, index_of_pages

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

How efficient is the force at keeping people safe and reducing crime?

Good

Suffolk Constabulary is good in the efficiency with which it keeps people safe and reduces crime.
""",
}


@pytest.fixture(scope="module")
def period_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_of_pages(tmp_path_factory, PAGES, "period")


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


def _statements(store: ChunkStore, source: str) -> dict[str, tuple[str, list[str]]]:
    """area key -> (the quote cited, the alternative quotes), read back from the store's grade rows."""
    texts = {s["section_id"]: s["text"] for s in store.sections(source)}
    return {row["area_key"]: (texts[row["section_id"]][row["start"]:row["end"]],
                              [texts[section][a:b] for section, a, b in row["also"]])
            for row in store.grade_rows(source)}


def test_the_store_keeps_each_grades_alternative_citations(period_searcher: Searcher) -> None:
    stated = _statements(period_searcher.snapshot.store, "suffolk_2016.txt")
    assert stated["efficiency"] == (
        "Suffolk Constabulary is good in the efficiency with which it keeps people safe and reduces crime.",
        ["The extent to which Suffolk Constabulary is efficient at keeping people safe and reducing crime is good."])
    assert all(not also for _, also in _statements(period_searcher.snapshot.store, "dorset_2021.txt").values())


def test_reports_copy_from_a_store_written_before_alternatives(period_index: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite"
    shutil.copy(next(generation_dir(period_index, read_manifest(period_index)).glob("seg-*")) / CHUNKS_DB, old)
    con = sqlite3.connect(old)
    con.execute("ALTER TABLE grades DROP COLUMN also")
    con.commit()
    con.close()
    ChunkStore.copy_reports([(old, ["suffolk_2016.txt"])], tmp_path / "new.sqlite")
    stated = _statements(ChunkStore.open(tmp_path / "new.sqlite"), "suffolk_2016.txt")
    assert stated["efficiency"][0].startswith("Suffolk Constabulary is good in the efficiency") and \
        stated["efficiency"][1] == []
    ChunkStore.copy_reports([(next(generation_dir(period_index, read_manifest(period_index)).glob("seg-*")) / CHUNKS_DB,
                              ["suffolk_2016.txt"])], tmp_path / "same.sqlite")
    assert _statements(ChunkStore.open(tmp_path / "same.sqlite"), "suffolk_2016.txt")["efficiency"][1] != []


def test_a_grade_carries_its_alternative_citations_verbatim(period_searcher: Searcher) -> None:
    found = {(g.force, g.area_key): g for g in grades(period_searcher)}
    efficiency = found["Suffolk Constabulary", "efficiency"]
    assert efficiency.citation.quote.startswith("Suffolk Constabulary is good in the efficiency")
    assert [c.quote for c in efficiency.also] == [
        "The extent to which Suffolk Constabulary is efficient at keeping people safe and reducing crime is good."]
    for g in found.values():
        for c in (g.citation, *g.also):
            assert period_searcher.section(c.section_id)["text"][c.start:c.end] == c.quote
            assert (c.source, c.force) == (g.source, g.force)
    assert Grade.from_dict(efficiency.to_dict()) == efficiency
    row = efficiency.grid_row()
    assert [(a["quote"], a["start"], a["end"]) for a in row["also"]] == [
        (c.quote, c.start, c.end) for c in efficiency.also]
    assert found["Dorset Police", "investigating_crime"].also == ()
