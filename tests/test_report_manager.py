"""The report manager's library: what a file is detected as, correcting one report (only it is read
and embedded again), removing reports, and duplicates. Keyword encoder; fixture reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import KeywordEmbedder

from ingest.overrides import OverrideError
from ingest.types import IngestError
from ingest.urlmeta import MetaHint
from search.errors import ReportNotFoundError
from search.index.build import build_index
from search.index.corrections import (
    SourceRecord,
    downloads_dir,
    read_corrections,
    read_sources,
    record_source,
)
from search.index.layout import read_manifest
from search.reports import correct_report, detected, duplicates, remove_reports
from search.retrieve.searcher import Searcher

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "reports"
NAMES = ("peel2015_lancashire.txt", "peel2018_norfolk.txt", "cdi_2020_gmp.txt")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    for name in NAMES:
        (folder / name).write_bytes((FIXTURES / name).read_bytes())
    return folder


@pytest.fixture
def embedder() -> KeywordEmbedder:
    return KeywordEmbedder()


@pytest.fixture
def built(corpus: Path, tmp_path: Path, embedder: KeywordEmbedder) -> Path:
    index_dir = tmp_path / "index"
    build_index([corpus], index_dir, embedder=embedder)
    return index_dir


def reports(index_dir: Path) -> dict[str, dict]:
    return read_manifest(index_dir)["reports"]


# ---------------------------------------------------------------- detected


def test_detected_reads_a_file_in_the_bounded_worker() -> None:
    found = detected(FIXTURES / "peel2018_norfolk.txt")
    assert (found.force, found.year, found.year_to, found.period, found.report_type) == (
        "Norfolk Constabulary", 2018, 2019, "2018/19", "peel")
    assert found.title == "Norfolk 2018/19" and found.url is None
    assert found.grades == len([g for g in found.grade_list if g[1]]) > 0
    assert found.sections > 0
    assert json.loads(json.dumps(found.to_dict()))["period"] == "2018/19"


def test_detected_counts_findings() -> None:
    assert detected(FIXTURES / "letter_2022_gmp_cause_of_concern.txt").findings >= 1
    assert detected(FIXTURES / "peel2015_lancashire.txt").findings == 0


class FakeUpload:
    """What Streamlit hands over for an uploaded file."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name, self._data = name, data

    def getvalue(self) -> bytes:
        return self._data


def test_detected_reads_an_upload_and_fills_gaps_from_its_address() -> None:
    data = (FIXTURES / "peel2015_lancashire.txt").read_bytes()
    found = detected(FakeUpload("../lancs 2015.txt", data))
    assert (found.source, found.force, found.period) == ("lancs 2015.txt", "Lancashire Constabulary", "2015")
    url = "https://hmicfrs.justiceinspectorates.gov.uk/peel-assessments/peel-2015/lancashire/"
    assert detected(("lancs.txt", data), url=url).url == url


def test_detected_names_a_file_that_is_not_a_report(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"empty\.txt"):
        detected(empty)


# ---------------------------------------------------------------- correct_report


def test_correct_report_reindexes_only_that_report(built: Path, corpus: Path, embedder: KeywordEmbedder) -> None:
    before = reports(built)
    done = correct_report(built, "peel2015_lancashire.txt", embedder=embedder, force="Cumbria", year="2016/17",
                          report_type="custody")
    statuses = {f.source: f.status for f in done.build.files}
    assert statuses["peel2015_lancashire.txt"] == "updated"
    assert {s for s, status in statuses.items() if status == "kept"} == {"peel2018_norfolk.txt", "cdi_2020_gmp.txt"}
    assert done.build.embedded_chunks == before["peel2015_lancashire.txt"]["chunks"]
    assert (done.report["force"], done.report["year"], done.report["report_type"]) == (
        "Cumbria Constabulary", 2016, "custody")
    assert done.fields == {"force": "Cumbria", "year": "2016/17", "report_type": "custody"}
    assert read_corrections(built)["peel2015_lancashire.txt"] == done.fields

    searcher = Searcher.load(built, embedder=embedder)
    hits = searcher.search("effective keeping people safe", k=5, filters={"force": "Cumbria"}).hits
    assert hits and {h.source for h in hits} == {"peel2015_lancashire.txt"}
    assert {h.year for h in hits} == {2016}

    # The correction is kept: a later build of the same files changes nothing.
    again = build_index([corpus], built, embedder=embedder)
    assert not again.published and again.embedded_chunks == 0
    assert reports(built)["peel2015_lancashire.txt"]["force"] == "Cumbria Constabulary"


def test_correct_report_grades_follow_the_corrected_force_and_period(tmp_path: Path,
                                                                      embedder: KeywordEmbedder) -> None:
    """Grades stated of 'the force' take the corrected force and period; the others are unchanged."""
    from search.findings.api import grades

    index_dir = tmp_path / "graded"
    report = tmp_path / "kent.txt"
    report.write_text("Kent 2016\n\nThis is HMIC's PEEL assessment of Kent Police.\n\n"
                      "The extent to which the force is effective at keeping people safe and reducing crime is good."
                      "\n\nThe extent to which the force is efficient at keeping people safe and reducing crime is "
                      "outstanding.\n", encoding="utf-8")
    build_index([report], index_dir, embedder=embedder)
    stated = grades(Searcher.load(index_dir, embedder=embedder), force="Kent")
    assert {(g.year, g.grade) for g in stated} == {(2016, "Good"), (2016, "Outstanding")}
    correct_report(index_dir, "kent.txt", embedder=embedder, force="Cumbria", year="2017")
    searcher = Searcher.load(index_dir, embedder=embedder)
    assert {(g.year, g.grade) for g in grades(searcher, force="Cumbria")} == {(2017, "Good"), (2017, "Outstanding")}
    assert not grades(searcher, force="Kent")


def test_a_correction_given_as_none_goes_back_to_what_was_detected(built: Path, embedder: KeywordEmbedder) -> None:
    correct_report(built, "peel2018_norfolk.txt", embedder=embedder, force="Suffolk", title="Suffolk 2018")
    done = correct_report(built, "peel2018_norfolk.txt", embedder=embedder, force=None)
    assert done.fields == {"title": "Suffolk 2018"}
    assert (done.report["force"], done.report["title"]) == ("Norfolk Constabulary", "Suffolk 2018")


@pytest.mark.parametrize(("fields", "words"), [
    ({"force": "Gotham"}, "not a police force"), ({"year": "2019/18"}, "does not end after it starts"),
    ({"colour": "blue"}, "unknown field"), ({}, "at least one field"),
])
def test_a_bad_correction_changes_nothing(built: Path, embedder: KeywordEmbedder, fields: dict, words: str) -> None:
    generation = read_manifest(built)["generation"]
    with pytest.raises(OverrideError, match=words):
        correct_report(built, "peel2018_norfolk.txt", embedder=embedder, **fields)
    assert read_manifest(built)["generation"] == generation and not read_corrections(built)


def test_correcting_an_unknown_report_or_a_gone_file(built: Path, corpus: Path, embedder: KeywordEmbedder) -> None:
    with pytest.raises(ReportNotFoundError, match="inspectqa status"):
        correct_report(built, "nope.pdf", embedder=embedder, force="Kent")
    (corpus / "cdi_2020_gmp.txt").unlink()
    with pytest.raises(ReportNotFoundError, match="no longer there"):
        correct_report(built, "cdi_2020_gmp.txt", embedder=embedder, force="Kent")


# ---------------------------------------------------------------- remove_reports


def test_remove_reports_embeds_nothing_and_forgets_their_records(built: Path, embedder: KeywordEmbedder) -> None:
    folder = downloads_dir(built)
    folder.mkdir(parents=True)
    copy = folder / "peel2018_norfolk.txt"  # as if it had been downloaded
    copy.write_bytes((FIXTURES / "peel2018_norfolk.txt").read_bytes())
    record_source(built, copy.name, SourceRecord("https://example.org/n.txt", "https://example.org/n.txt", "h", "t",
                                                 MetaHint(url="https://example.org/n.txt")))
    correct_report(built, "cdi_2020_gmp.txt", embedder=embedder, title="GMP crime data")
    result = remove_reports(built, ["peel2018_norfolk.txt", "cdi_2020_gmp.txt"], embedder=embedder)
    assert result.published and result.embedded_chunks == 0
    assert sorted(result.removed) == ["cdi_2020_gmp.txt", "peel2018_norfolk.txt"]
    assert set(reports(built)) == {"peel2015_lancashire.txt"}
    assert not copy.exists() and not read_sources(built) and not read_corrections(built)


def test_removing_an_unknown_report_removes_nothing(built: Path, embedder: KeywordEmbedder) -> None:
    with pytest.raises(ReportNotFoundError):
        remove_reports(built, ["peel2018_norfolk.txt", "nope.pdf"], embedder=embedder)
    assert len(reports(built)) == 3


# ---------------------------------------------------------------- duplicates


def test_duplicates_by_content_and_by_force_period_and_title(corpus: Path, tmp_path: Path,
                                                             embedder: KeywordEmbedder) -> None:
    (corpus / "norfolk-copy.txt").write_bytes((corpus / "peel2018_norfolk.txt").read_bytes())
    resaved = (corpus / "peel2015_lancashire.txt").read_text(encoding="utf-8") + "\nPrinted from the website.\n"
    (corpus / "lancashire-saved-again.txt").write_text(resaved, encoding="utf-8")
    index_dir = tmp_path / "dups"
    build_index([corpus], index_dir, embedder=embedder)
    groups = {(g.reason, g.sources) for g in duplicates(index_dir)}
    assert groups == {("same content", ("norfolk-copy.txt", "peel2018_norfolk.txt")),
                      ("same force, period and title", ("lancashire-saved-again.txt", "peel2015_lancashire.txt"))}


def test_no_duplicates_in_distinct_reports(built: Path) -> None:
    assert duplicates(built) == []
