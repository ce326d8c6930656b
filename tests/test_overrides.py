"""Corrections to detected metadata: sidecar <file>.meta.json and the --meta CSV."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from ingest.overrides import (
    MetaOverride,
    OverrideError,
    apply_override,
    correct_meta,
    load_meta_csv,
    load_sidecar,
    parse_period,
    parse_published,
    resolve_override,
    sidecar_path,
)
from ingest.pipeline import ingest_path
from ingest.types import ReportMeta
from ingest.urlmeta import MetaHint

HAS_YEAR_TO = "year_to" in {f.name for f in fields(ReportMeta)}
HAS_URL = "url" in {f.name for f in fields(ReportMeta)}


def meta(**values) -> ReportMeta:
    base = {"source": "report.pdf", "title": "Skip to content", "force": "Suffolk Constabulary", "year": 2015,
            "published": "2016-02", "report_type": "other", "content_hash": "abc", "format": "pdf"}
    return ReportMeta(**(base | values))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- value parsers


@pytest.mark.parametrize(("text", "period"), [
    ("2016", (2016, 2016)), (2016, (2016, 2016)), ("2018/19", (2018, 2019)), ("2018/2019", (2018, 2019)),
    ("2023-25", (2023, 2025)), ("2023–2025", (2023, 2025)), ("2021 to 2022", (2021, 2022)),
    ("1999/00", (1999, 2000)),
])
def test_parse_period(text, period) -> None:
    assert parse_period(text) == period


@pytest.mark.parametrize(("text", "advice"), [
    ("20166", "2018/19"), ("sixteen", "2018/19"), ("2019/18", "first year then the last"),
    ("2016-2040", "first year then the last"), ("1850", "outside"),
])
def test_parse_period_refuses_with_advice(text, advice) -> None:
    with pytest.raises(ValueError, match=advice):
        parse_period(text)


@pytest.mark.parametrize(("text", "iso"), [
    ("2016-11-03", "2016-11-03"), ("2016-11", "2016-11"), ("3 November 2016", "2016-11-03"),
    ("November 2016", "2016-11"), ("03/11/2016", "2016-11-03"), ("1st  march 2019", "2019-03-01"),
])
def test_parse_published(text, iso) -> None:
    assert parse_published(text) == iso


@pytest.mark.parametrize(("text", "advice"), [("31/02/2016", "not a real date"), ("2016", "2016-11-03"),
                                              ("Nov 2016", "2016-11-03"), ("2016-13-01", "not a real date")])
def test_parse_published_refuses_with_advice(text, advice) -> None:
    with pytest.raises(ValueError, match=advice):
        parse_published(text)


# ---------------------------------------------------------------- sidecars


def test_a_sidecar_overrides_only_the_fields_it_gives(tmp_path: Path) -> None:
    report = write(tmp_path / "norfolk.pdf", "")
    write(sidecar_path(report), json.dumps({"force": "norfolk", "year": "2018/19", "report_type": "PEEL effectiveness",
                                            "title": "  PEEL 2018/19 –\n Norfolk ", "published": "3 May 2019",
                                            "url": "https://example.org/peel-2018/norfolk/"}))
    assert sidecar_path(report).name == "norfolk.pdf.meta.json"
    override = load_sidecar(report)
    assert override == MetaOverride(origin="norfolk.pdf.meta.json", force="Norfolk Constabulary", year=2018,
                                    year_to=2019, report_type="peel_effectiveness", title="PEEL 2018/19 – Norfolk",
                                    url="https://example.org/peel-2018/norfolk/", published="2019-05-03")
    corrected = apply_override(meta(), override)
    assert (corrected.force, corrected.year, corrected.report_type, corrected.title, corrected.published) == (
        "Norfolk Constabulary", 2018, "peel_effectiveness", "PEEL 2018/19 – Norfolk", "2019-05-03")
    assert (corrected.source, corrected.content_hash, corrected.format) == ("report.pdf", "abc", "pdf")
    if HAS_YEAR_TO:
        assert corrected.year_to == 2019
    if HAS_URL:
        assert corrected.url == "https://example.org/peel-2018/norfolk/"


def test_a_partial_sidecar_keeps_the_rest_as_detected(tmp_path: Path) -> None:
    report = write(tmp_path / "letter.txt", "")
    write(sidecar_path(report), '{"year": 2017, "title": "", "force": null}')
    corrected = apply_override(meta(), load_sidecar(report))
    assert corrected == meta(year=2017)
    assert corrected.force == "Suffolk Constabulary" and corrected.title == "Skip to content"


def test_no_sidecar_is_no_override(tmp_path: Path) -> None:
    assert load_sidecar(tmp_path / "report.pdf") is None
    assert apply_override(meta(), None) == meta()


@pytest.mark.parametrize(("content", "advice"), [
    ("{not json", "not valid JSON (line 1"),
    ('["Norfolk", 2016]', "must be a JSON object"),
    ('{"force": "Norfok"}', "did you mean 'Norfolk Constabulary'"),
    ('{"force": "Atlantis Police"}', "use a name such as"),
    ('{"report_type": "annual accounts"}', "peel_effectiveness"),
    ('{"year": "20166"}', "2018/19"),
    ('{"year": true}', "not a year"),
    ('{"published": "31/02/2016"}', "not a real date"),
    ('{"url": "www.example.org/report"}', "http(s)://"),
    ('{"forse": "Norfolk"}', "unknown field 'forse': use force, year"),
    ('{"title": 42}', "not text"),
])
def test_a_bad_sidecar_names_the_file_and_the_fix(tmp_path: Path, content: str, advice: str) -> None:
    report = write(tmp_path / "norfolk.pdf", "")
    write(sidecar_path(report), content)
    with pytest.raises(OverrideError) as caught:
        load_sidecar(report)
    assert "norfolk.pdf.meta.json" in str(caught.value)
    assert advice in str(caught.value)


def test_every_problem_in_a_sidecar_is_reported_at_once(tmp_path: Path) -> None:
    report = write(tmp_path / "x.pdf", "")
    write(sidecar_path(report), '{"force": "Norfok", "year": "soon", "type": "PEEL"}')
    with pytest.raises(OverrideError) as caught:
        load_sidecar(report)
    assert len(caught.value.problems) == 2  # force and year; 'type' is an accepted name for report_type
    assert str(caught.value).startswith("2 problems")


# ---------------------------------------------------------------- the --meta CSV


CSV = """source,force,year,report_type,title,url,published
norfolk-2016.pdf,Norfolk,2016,PEEL,,,
reports/2016/kent.pdf,Kent,2016/17,,Kent 2016,,
kent.pdf,Kent Police,2015,,,,
https://example.org/peel-reports/essex-2021-22/,Essex,2021/22,peel,,,24 June 2022
"""


def test_csv_rows_match_by_file_name_path_ending_or_url(tmp_path: Path) -> None:
    table = load_meta_csv(write(tmp_path / "meta.csv", CSV))
    assert table.for_report("/data/in/norfolk-2016.pdf").force == "Norfolk Constabulary"
    assert table.for_report("/home/me/reports/2016/kent.pdf").title == "Kent 2016"  # the longer match
    assert table.for_report("/elsewhere/kent.pdf").year == 2015
    row = table.for_report(None, url="https://example.org/peel-reports/essex-2021-22")
    assert (row.force, row.year, row.year_to, row.published) == ("Essex Police", 2021, 2022, "2022-06-24")
    assert table.for_report("/data/norfolk-2017.pdf") is None
    assert table.for_report("/data/norfolk-2016.pdf").origin == "meta.csv row 2"


def test_csv_headers_may_be_written_loosely(tmp_path: Path) -> None:
    text = "\ufeffSource,Force,Report type,Year\nx.pdf,the Met,Custody inspection,2019\n"
    row = load_meta_csv(write(tmp_path / "m.csv", text)).for_report("x.pdf")
    assert (row.force, row.report_type, row.year) == ("Metropolitan Police Service", "custody", 2019)


def test_bad_csv_rows_are_all_reported_by_row_number(tmp_path: Path) -> None:
    text = ("source,force,year,report_type\n"
            "a.pdf,Norfolk,2016,peel\n"
            "b.pdf,Norfok,2016,\n"
            "\n"
            "c.pdf,Kent,2016-2040,\n"
            ",Kent,2016,\n"
            "a.pdf,Kent,2017,\n"
            "d.pdf,Kent,2017,annual accounts,extra\n")
    path = write(tmp_path / "meta.csv", text)
    with pytest.raises(OverrideError) as caught:
        load_meta_csv(path)
    problems = caught.value.problems
    assert [p.split(": ")[0] for p in problems] == [f"{path} row {n}" for n in (3, 5, 6, 7, 8)]
    assert "did you mean 'Norfolk Constabulary'" in problems[0]
    assert "first year then the last" in problems[1]
    assert "empty source" in problems[2]
    assert "already on row 2" in problems[3]
    assert "quote values" in problems[4]


@pytest.mark.parametrize(("text", "advice"), [
    ("", "first row must name the columns"),
    ("force,year\nNorfolk,2016\n", "no 'source' column"),
    ("source,forces\nx.pdf,Norfolk\n", "unknown column 'forces'"),
])
def test_a_csv_with_bad_columns_says_which(tmp_path: Path, text: str, advice: str) -> None:
    with pytest.raises(OverrideError, match=advice):
        load_meta_csv(write(tmp_path / "meta.csv", text))


def test_a_missing_csv_says_to_check_the_path(tmp_path: Path) -> None:
    with pytest.raises(OverrideError, match="check the path"):
        load_meta_csv(tmp_path / "nope.csv")


# ---------------------------------------------------------------- precedence


def test_the_csv_row_wins_over_the_sidecar_field_by_field(tmp_path: Path) -> None:
    report = write(tmp_path / "kent.pdf", "")
    write(sidecar_path(report), '{"force": "Kent", "year": "2016", "title": "From the sidecar"}')
    table = load_meta_csv(write(tmp_path / "meta.csv", "source,year\nkent.pdf,2018/19\n"))
    combined = resolve_override(report, table)
    assert (combined.force, combined.year, combined.year_to, combined.title) == (
        "Kent Police", 2018, 2019, "From the sidecar")
    assert combined.origin == "kent.pdf.meta.json, then meta.csv row 2"


def test_detection_then_hint_then_override(tmp_path: Path) -> None:
    report = write(tmp_path / "page.html", "")
    write(sidecar_path(report), '{"title": "Norfolk 2016"}')
    detected = meta(force=None, year=None, report_type="other", title="Skip to content")
    hint = MetaHint(url="https://example.org/peel-assessments/peel-2016/norfolk/", force="Norfolk Constabulary",
                    year=2016, year_to=2016, report_type="peel", title="A link's text")
    corrected = correct_meta(detected, report, hint=hint)
    assert (corrected.force, corrected.year, corrected.report_type, corrected.title) == (
        "Norfolk Constabulary", 2016, "peel", "Norfolk 2016")
    # an override beats both the text and the hint
    table = load_meta_csv(write(tmp_path / "m.csv", f"source,force\n{hint.url},Suffolk\n"))
    assert correct_meta(detected, report, hint=hint, table=table).force == "Suffolk Constabulary"


def test_corrections_reach_a_report_read_by_the_pipeline(tmp_path: Path) -> None:
    report = write(tmp_path / "panel-paper.txt",
                   "Police and Crime Panel\n\nItem 7: the latest inspection report\n\n"
                   "The panel discussed the inspectorate's findings on how the force answers calls from the public "
                   "and how quickly officers attend.\n")
    write(sidecar_path(report), '{"force": "Norfolk", "year": "2017", "report_type": "peel_effectiveness"}')
    read = ingest_path(report)
    corrected = correct_meta(read.meta, report)
    assert (corrected.force, corrected.year, corrected.report_type) == ("Norfolk Constabulary", 2017,
                                                                         "peel_effectiveness")
    assert corrected.content_hash == read.meta.content_hash
