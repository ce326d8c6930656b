"""Metadata from a report's address and a link's text, and filling only what the text left empty."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from ingest.types import ReportMeta
from ingest.urlmeta import MetaHint, apply_hint, hint_from_url, hint_from_words, period_label

NORFOLK = "Norfolk Constabulary"
HAS_YEAR_TO = "year_to" in {f.name for f in fields(ReportMeta)}


@pytest.mark.parametrize(("url", "force", "year", "year_to", "rtype"), [
    ("https://hmicfrs.justiceinspectorates.gov.uk/peel-assessments/peel-2016/norfolk/", NORFOLK, 2016, 2016, "peel"),
    ("http://www.justiceinspectorates.gov.uk/hmic/peel-assessments/peel-2014/norfolk/legitimacy/", NORFOLK, 2014,
     2014, "peel_legitimacy"),
    ("https://www.justiceinspectorates.gov.uk/hmicfrs/peel-assessments/peel-2017/lancashire/", "Lancashire Constabulary",
     2017, 2017, "peel"),
    ("https://hmicfrs.justiceinspectorates.gov.uk/peel-assessments/peel-2018/norfolk/?", NORFOLK, 2018, 2019, "peel"),
    ("https://hmicfrs.justiceinspectorates.gov.uk/peel-reports/norfolk-2021-22/", NORFOLK, 2021, 2022, "peel"),
    ("https://hmicfrs.justiceinspectorates.gov.uk/peel-reports/avon-and-somerset-2023-25/",
     "Avon and Somerset Constabulary", 2023, 2025, "peel"),
    ("https://hmicfrs.justiceinspectorates.gov.uk/police-forces/metropolitan/", "Metropolitan Police Service", None,
     None, None),
    ("https://hmicfrs.justiceinspectorates.gov.uk/publications/peel-police-effectiveness-2016-norfolk/", NORFOLK,
     2016, 2016, "peel_effectiveness"),
    ("https://www.justiceinspectorates.gov.uk/hmicfrs/wp-content/uploads/norfolk-crime-data-integrity-inspection-2016.pdf",
     NORFOLK, 2016, 2016, "crime_data_integrity"),
    ("https://hmicfrs.justiceinspectorates.gov.uk/publications/report-on-an-unannounced-inspection-visit-to-police-"
     "custody-suites-in-west-midlands/", "West Midlands Police", None, None, "custody"),
    ("https://assets-hmicfrs.justiceinspectorates.gov.uk/uploads/peel-assessment-2018-19-greater-manchester.pdf",
     "Greater Manchester Police", 2018, 2019, "peel"),
    ("https://hmicfrs.justiceinspectorates.gov.uk/publications/peel-police-effectiveness-2016-national-overview/",
     None, 2016, 2016, "thematic"),
    ("https://hmicfrs.justiceinspectorates.gov.uk/about-us/what-we-do/", None, None, None, None),
    ("https://assets-hmicfrs.justiceinspectorates.gov.uk/uploads/report.pdf", None, None, None, None),
    ("https://hmicfrs.justiceinspectorates.gov.uk/peel-assessments/peel-2016/atlantis/", None, 2016, 2016, "peel"),
])
def test_hint_from_url(url: str, force: str | None, year: int | None, year_to: int | None, rtype: str | None) -> None:
    hint = hint_from_url(url)
    assert (hint.force, hint.year, hint.year_to, hint.report_type) == (force, year, year_to, rtype)
    assert hint.url == url


@pytest.mark.parametrize(("text", "force", "period", "rtype"), [
    ("PEEL: Police effectiveness 2016 – Norfolk Constabulary (PDF document)", NORFOLK, "2016", "peel_effectiveness"),
    ("PEEL: Police effectiveness, efficiency and legitimacy 2018/19 – Kent Police", "Kent Police", "2018/19", "peel"),
    ("PEEL 2023–25: An inspection of Dyfed-Powys Police", "Dyfed-Powys Police", "2023–25", "peel"),
    ("Police custody in the West Midlands, 2021 to 2022", "West Midlands Police", "2021/22", "custody"),
    ("Crime data integrity inspection 2016 2012 Norfolk", NORFOLK, "2016", "crime_data_integrity"),
    ("Joint inspection of Kent Police and Essex Police 2019", None, "2019", None),
    ("State of Policing 2016", None, "2016", "thematic"),
    ("Read more", None, "", None),
])
def test_hint_from_words(text: str, force: str | None, period: str, rtype: str | None) -> None:
    hint = hint_from_words(text)
    assert (hint.force, hint.period, hint.report_type) == (force, period, rtype)


def test_period_label() -> None:
    assert [period_label(*p) for p in [(2016, 2016), (2018, 2019), (2023, 2025), (None, None), (2016, None)]] == [
        "2016", "2018/19", "2023–25", "", "2016"]


def test_merged_fills_gaps_and_takes_a_period_whole() -> None:
    link = MetaHint(url="u", force=None, year=2018, year_to=2019, title="Link text")
    page = MetaHint(url="p", force=NORFOLK, year=2016, year_to=2016, report_type="peel", title="Page")
    merged = link.merged(page)
    assert (merged.url, merged.force, merged.year, merged.year_to, merged.report_type, merged.title) == (
        "u", NORFOLK, 2018, 2019, "peel", "Link text")
    assert MetaHint().merged(page).year_to == 2016


def meta(**values) -> ReportMeta:
    base = {"source": "x.html", "title": "Norfolk 2016", "force": None, "year": None, "report_type": "other",
            "content_hash": "abc", "format": "html"}
    return ReportMeta(**(base | values))


def test_apply_hint_fills_only_what_the_text_left_empty() -> None:
    hint = hint_from_url("https://hmicfrs.justiceinspectorates.gov.uk/peel-assessments/peel-2018/norfolk/")
    filled = apply_hint(meta(), hint)
    assert (filled.force, filled.year, filled.report_type, filled.title) == (NORFOLK, 2018, "peel", "Norfolk 2016")
    if HAS_YEAR_TO:
        assert filled.year_to == 2019
    detected = meta(force="Suffolk Constabulary", year=2017, report_type="peel_efficiency", published="2017-11")
    assert apply_hint(detected, hint) == replace(detected, url=hint.url)  # only the source address is added
    assert filled.url == hint.url
    assert apply_hint(replace(detected, url="https://elsewhere.example/x.pdf"), hint).url == "https://elsewhere.example/x.pdf"
    assert (filled.content_hash, filled.format, filled.source) == ("abc", "html", "x.html")


def test_apply_hint_corrects_thematic_that_only_meant_no_force_was_found() -> None:
    hint = MetaHint(force=NORFOLK, report_type="crime_data_integrity")
    assert apply_hint(meta(report_type="thematic"), hint).report_type == "crime_data_integrity"
    # a report whose text named its force keeps the type it was given
    assert apply_hint(meta(force=NORFOLK, report_type="thematic"), hint).report_type == "thematic"


def test_apply_hint_replaces_only_a_missing_title() -> None:
    hint = MetaHint(title="PEEL 2021/22: An inspection of Norfolk Constabulary")
    assert apply_hint(meta(title="Untitled report"), hint).title == hint.title
    assert apply_hint(meta(title="Norfolk 2016"), hint).title == "Norfolk 2016"
