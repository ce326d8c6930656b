"""Every family of HMIC / HMICFRS publication, read from fixtures written for these tests.

The fixtures under tests/fixtures/reports/ copy the *structure* of real publications (saved web
pages with the site's navigation, copied page text, news releases, police and crime panel papers,
text extracted from PDFs) and their facts (forces, years, grades, dates), in our own words. Two
more PDFs are drawn here with reportlab. Each has its expected force, period, type, publication
date, title and graded judgments asserted below.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import ingest_path
from ingest.types import GRADE_SCALES, GRADES, Report

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "reports"

RI, GOOD, OUT, ADQ, INADQ = "Requires improvement", "Good", "Outstanding", "Adequate", "Inadequate"

# file -> (title, force, (year_from, year_to), report_type, about_type, published)
EXPECTED_META: dict[str, tuple[str, str | None, tuple[int, int], str, str | None, str | None]] = {
    "peel2014_dyfed_powys.txt": ("Dyfed-Powys 2014", "Dyfed-Powys Police", (2014, 2014), "peel", None, None),
    "peel2015_lancashire.txt": ("Lancashire 2015", "Lancashire Constabulary", (2015, 2015), "peel", None, None),
    "peel2016_norfolk.html": ("Norfolk 2016", "Norfolk Constabulary", (2016, 2016), "peel", None, "2016-12-08"),
    "peel2017_dyfed_powys.html": ("Dyfed-Powys 2017", "Dyfed-Powys Police", (2017, 2017), "peel", None,
                                  "2017-12-12"),
    # copied page text, one paragraph a line, with the site's banner, menu and breadcrumb (grades made up)
    "peel2017_suffolk_copied.txt": ("Suffolk 2017", "Suffolk Constabulary", (2017, 2017), "peel", None, "2018-03-22"),
    "peel2017_lancashire_legitimacy.txt": ("Lancashire PEEL 2017", "Lancashire Constabulary", (2017, 2017), "peel",
                                           None, "2017-12-12"),
    "peel2018_norfolk.txt": ("Norfolk 2018/19", "Norfolk Constabulary", (2018, 2019), "peel", None, "2019-05-02"),
    "hmi_observations_norfolk.txt": ("HMI's observations", "Norfolk Constabulary", (2019, 2019), "other", None,
                                     "2019-05-02"),
    "peel2021_gmp.txt": ("PEEL 2021/22 – Police effectiveness, efficiency and legitimacy – An inspection of Greater "
                         "Manchester Police", "Greater Manchester Police", (2021, 2022), "peel", None, "2022-03"),
    "peel2023_merseyside.txt": ("PEEL 2023–2025 – Police effectiveness, efficiency and legitimacy – An inspection of "
                                "Merseyside Police", "Merseyside Police", (2023, 2025), "peel", None, None),
    "cdi_2020_gmp.txt": ("Greater Manchester Police – Crime Data Integrity inspection 2020", "Greater Manchester Police",
                         (2020, 2020), "crime_data_integrity", None, "2020-12"),
    "release_2013_custody_gwent.txt": ("Police custody in Gwent – generally positive", "Gwent Police", (2013, 2013),
                                       "news_release", "custody", None),
    "release_2017_effectiveness_avon.txt": ("PEEL: police effectiveness 2016 – force press release",
                                            "Avon and Somerset Constabulary", (2016, 2016), "news_release",
                                            "peel_effectiveness", "2017-03-02"),
    "release_2022_peel_gmp.txt": ("Greater Manchester Police has made progress, but significant challenges remain",
                                  "Greater Manchester Police", (2021, 2022), "news_release", "peel", "2022-03-04"),
    "panel_2017_leicestershire.txt": ("Her Majesty's Inspectorate of Constabulary (HMIC) Inspection Report: PEEL Police "
                                      "Effectiveness 2016: An Inspection of Leicestershire Police",
                                      "Leicestershire Police", (2016, 2016), "panel_paper", "peel_effectiveness",
                                      "2017-03"),
    "panel_2019_west_mercia.html": ("Her Majesty's Inspectorate of Constabulary and Fire and Rescue Services (HMICFRS) "
                                    "Inspection Report - 'PEEL: Police effectiveness, efficiency and legitimacy 2018/19 "
                                    "An inspection of West Mercia Police", "West Mercia Police", (2018, 2019),
                                    "panel_paper", "peel", None),
    "thematic_2022_state_of_policing.html": ("State of Policing: The Annual Assessment of Policing in England and "
                                             "Wales 2022", None, (2022, 2022), "thematic", None, "2023-06-09"),
    "letter_2022_gmp_cause_of_concern.txt": ("PEEL: Cause of concern revisit", "Greater Manchester Police",
                                             (2022, 2022), "letter", None, "2022-10-28"),
}

# file -> {(area_key, year_from, year_to): grade (None: stated as not graded)}
EXPECTED_GRADES: dict[str, dict[tuple[str, int, int], str | None]] = {
    "peel2014_dyfed_powys.txt": {("preventing_crime", 2014, 2014): GOOD, ("investigating_crime", 2014, 2014): GOOD,
                                 ("anti_social_behaviour", 2014, 2014): GOOD, ("effectiveness", 2014, 2014): GOOD,
                                 ("efficiency", 2014, 2014): GOOD},
    "peel2015_lancashire.txt": {("effectiveness", 2015, 2015): GOOD, ("efficiency", 2015, 2015): OUT,
                                ("legitimacy", 2015, 2015): GOOD},
    "peel2016_norfolk.html": {("effectiveness", 2016, 2016): None, ("efficiency", 2016, 2016): GOOD,
                              ("legitimacy", 2016, 2016): GOOD, ("understanding_demand", 2016, 2016): OUT,
                              ("efficiency", 2015, 2015): OUT},
    "peel2017_dyfed_powys.html": {("effectiveness", 2017, 2017): None, ("efficiency", 2017, 2017): RI,
                                  ("legitimacy", 2017, 2017): GOOD, ("understanding_demand", 2017, 2017): GOOD,
                                  ("use_of_resources", 2017, 2017): RI, ("planning_for_future", 2017, 2017): RI},
    "peel2017_suffolk_copied.txt": {("effectiveness", 2017, 2017): GOOD, ("effectiveness", 2016, 2016): GOOD,
                                    ("efficiency", 2017, 2017): GOOD, ("legitimacy", 2017, 2017): RI,
                                    ("leadership", 2017, 2017): None},
    "peel2017_lancashire_legitimacy.txt": {("legitimacy", 2017, 2017): GOOD, ("legitimacy", 2016, 2016): GOOD,
                                           ("public_treatment", 2017, 2017): GOOD,
                                           ("workforce_treatment", 2017, 2017): RI,
                                           ("ethical_workforce", 2017, 2017): GOOD},
    "peel2018_norfolk.txt": {("effectiveness", 2018, 2019): GOOD, ("efficiency", 2018, 2019): OUT,
                             ("legitimacy", 2018, 2019): GOOD, ("investigating_crime", 2017, 2017): GOOD},
    "hmi_observations_norfolk.txt": {},
    "peel2021_gmp.txt": {("responding_to_public", 2021, 2022): INADQ, ("investigating_crime", 2021, 2022): INADQ,
                         ("workforce", 2021, 2022): INADQ},
    "peel2023_merseyside.txt": {("public_treatment", 2023, 2025): GOOD, ("preventing_crime", 2023, 2025): GOOD,
                                ("workforce", 2023, 2025): GOOD, ("responding_to_public", 2023, 2025): ADQ,
                                ("investigating_crime", 2023, 2025): ADQ, ("leadership_management", 2023, 2025): ADQ,
                                ("vulnerability", 2023, 2025): RI, ("managing_offenders", 2023, 2025): RI},
    "cdi_2020_gmp.txt": {("overall", 2020, 2020): INADQ, ("crime_recording", 2020, 2020): INADQ},
    "release_2013_custody_gwent.txt": {},
    "release_2017_effectiveness_avon.txt": {("effectiveness", 2016, 2016): GOOD, ("preventing_crime", 2016, 2016): GOOD,
                                            ("investigating_crime", 2016, 2016): GOOD,
                                            ("vulnerability", 2016, 2016): GOOD,
                                            ("serious_organised_crime", 2016, 2016): RI},
    "release_2022_peel_gmp.txt": {("investigating_crime", 2021, 2022): INADQ,
                                  ("responding_to_public", 2021, 2022): INADQ, ("workforce", 2021, 2022): INADQ},
    "panel_2017_leicestershire.txt": {("effectiveness", 2016, 2016): RI},
    "panel_2019_west_mercia.html": {("effectiveness", 2018, 2019): RI, ("efficiency", 2018, 2019): RI,
                                    ("legitimacy", 2018, 2019): RI},
    "thematic_2022_state_of_policing.html": {},
    "letter_2022_gmp_cause_of_concern.txt": {},  # a cause of concern is a finding, not a grade
}

EXPECTED_SCALE = {"peel2023_merseyside.txt": "five-grade", "peel2021_gmp.txt": "five-grade", "release_2022_peel_gmp.txt": "five-grade",
                  "cdi_2020_gmp.txt": "crime-data-integrity"}


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    return {name: ingest_path(FIXTURES / name) for name in EXPECTED_META}


def test_every_fixture_is_listed() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir()) == sorted(EXPECTED_META)
    assert set(EXPECTED_GRADES) == set(EXPECTED_META)


@pytest.mark.parametrize("name", sorted(EXPECTED_META))
def test_metadata(reports: dict[str, Report], name: str) -> None:
    meta = reports[name].meta
    title, force, period, report_type, about, published = EXPECTED_META[name]
    assert meta.title == title
    assert meta.force == force
    assert (meta.year, meta.year_to) == period
    assert (meta.report_type, meta.about_type) == (report_type, about)
    assert meta.published == published


@pytest.mark.parametrize("name", sorted(EXPECTED_GRADES))
def test_grades(reports: dict[str, Report], name: str) -> None:
    report = reports[name]
    got = {(g.area_key, g.year_from, g.year_to): g.grade for g in report.grades}
    assert got == EXPECTED_GRADES[name]
    for grade in report.grades:
        assert grade.scale == EXPECTED_SCALE.get(name, "four-grade")
        assert grade.force == report.meta.force
        assert (grade.status == "graded") == (grade.grade is not None)


@pytest.mark.parametrize("name", sorted(EXPECTED_GRADES))
def test_each_grade_cites_the_words_that_state_it(reports: dict[str, Report], name: str) -> None:
    report = reports[name]
    for grade in report.grades:
        quote = report.text[grade.start:grade.end].lower().replace("’", "'")
        stated = "graded" if grade.grade is None else grade.grade.lower()
        if grade.grade == RI:
            stated = "requir"
        assert stated in quote, (grade.area_key, quote)
        assert grade.grade in (None, *GRADES) and grade.scale in GRADE_SCALES


@pytest.mark.parametrize("name", sorted(EXPECTED_GRADES))
def test_alternative_citations_state_the_same_grade(reports: dict[str, Report], name: str) -> None:
    report = reports[name]
    for grade in report.grades:
        assert len(grade.also) <= 3 and list(grade.also) == sorted(grade.also)
        quotes = [" ".join(report.text[a:b].split()).lower() for a, b in [(grade.start, grade.end), *grade.also]]
        assert len(set(quotes)) == len(quotes), quotes
        for a, b in grade.also:
            assert not (a < grade.end and grade.start < b)
            quote = quotes[[(grade.start, grade.end), *grade.also].index((a, b))].replace("’", "'")
            assert ("requir" if grade.grade == RI else (grade.grade or "graded").lower()) in quote, quote


def test_a_grade_cites_its_sections_opening_sentence_and_the_page_top_line(reports: dict[str, Report]) -> None:
    report = reports["peel2017_suffolk_copied.txt"]
    by_key = {(g.area_key, g.year_from): g for g in report.grades}
    for key, opening, top in (
            ("effectiveness", "Suffolk Constabulary is good at keeping people safe and reducing crime.",
             "The extent to which the constabulary is effective at keeping people safe and reducing crime is good."),
            ("legitimacy", "Suffolk Constabulary requires improvement in how legitimately it keeps people safe",
             "The extent to which the constabulary is legitimate at keeping people safe and reducing crime requires")):
        grade = by_key[key, 2017]
        assert report.text[grade.start:grade.end].startswith(opening)
        assert report.text[grade.also[0][0]:grade.also[0][1]].startswith(top)
    assert by_key["effectiveness", 2016].also == ()


def test_no_area_gets_two_grades_for_one_period(reports: dict[str, Report]) -> None:
    for report in reports.values():
        slots = [(g.force, g.area_key, g.year_from, g.year_to) for g in report.grades]
        assert len(slots) == len(set(slots)), report.meta.source


def test_site_furniture_is_dropped_and_the_page_text_kept(reports: dict[str, Report]) -> None:
    page = reports["peel2016_norfolk.html"]
    for furniture in ("Skip to content", "Read more about", "Contact Zoë", "We use cookies", "Home >", "Share this page",
                      "Privacy notice", "Crown copyright", "Promoting improvements"):
        assert furniture not in page.text, furniture
    for kept in ("This page holds HMIC's third yearly PEEL", "Findings from the efficiency and legitimacy inspections",
                 "Zoë Billingham, Her Majesty's Inspector of Constabulary", "Last updated 03/11/2016",
                 "Officers and staff treat the people they serve fairly"):
        assert kept in page.text, kept
    banner = reports["peel2017_dyfed_powys.html"]
    assert "consulting" not in banner.text and "5pm on Monday" not in banner.text
    assert "Os hoffech" not in banner.text and "Heddlu Dyfed-Powys treats the public" in banner.text
    headings = {s.heading for r in reports.values() for s in r.sections}
    assert not {"Skip to content", "URL", "Inspection area", "Last updated 03/11/2016", "To be graded"} & headings


def test_a_page_updated_after_its_year_keeps_its_year(reports: dict[str, Report]) -> None:
    page = reports["peel2016_norfolk.html"].meta  # last updated in December 2016 / published in 2017 elsewhere
    assert (page.year, page.published) == (2016, "2016-12-08")
    lancs = reports["peel2017_lancashire_legitimacy.txt"].meta
    assert lancs.period == "2017"
    assert reports["peel2018_norfolk.txt"].meta.period == "2018/19"
    assert reports["peel2023_merseyside.txt"].meta.period == "2023–25"


# ---------------------------------------------------------------- PDFs drawn with reportlab


def _pdf(path: Path, pages: list[list[tuple[str, str]]], title: str) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import BaseDocTemplate, Frame, PageBreak, PageTemplate, Paragraph

    styles = getSampleStyleSheet()

    def footer(canv: object, doc: object) -> None:
        if doc.page > 1:
            canv.setFont("Helvetica", 8)
            canv.drawCentredString(A4[0] / 2, 1 * cm, str(doc.page))

    story: list[object] = []
    for n, page in enumerate(pages):
        if n:
            story.append(PageBreak())
        story.extend(Paragraph(text, styles[style]) for style, text in page)
    doc = BaseDocTemplate(str(path), pagesize=A4, title=title)
    doc.addPageTemplates([PageTemplate("page", [Frame(2 * cm, 2.5 * cm, A4[0] - 4 * cm, A4[1] - 4.5 * cm)],
                                       onPageEnd=footer)])
    doc.build(story)
    return path


BODY = ("The force has a clear plan for the money it must save and it has already made most of the savings it needs. "
        "It works with neighbouring forces to share the cost of support services.")


def test_pdf_peel_pillar_report(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "efficiency.pdf", [
        [("Title", "PEEL: Police efficiency 2015"), ("BodyText", "An inspection of Lancashire Constabulary"),
         ("BodyText", "October 2015"), ("BodyText", "© HMIC 2015")],
        [("Heading2", "Overview – How efficient is the force at keeping people safe and reducing crime?"),
         ("BodyText", "Overall judgement"), ("Heading3", "Outstanding"),
         ("BodyText", "HMIC found that Lancashire Constabulary is outstanding at keeping people safe and reducing "
                      "crime efficiently. " + BODY)],
        [("Heading2", "How well does the force use its resources to meet its demand?"), ("BodyText", BODY),
         ("BodyText", BODY)],
    ], "PEEL: Police efficiency 2015")
    report = ingest_path(pdf)
    meta = report.meta
    assert meta.format == "pdf"
    assert meta.title == "PEEL: Police efficiency 2015 – An inspection of Lancashire Constabulary"
    assert (meta.force, meta.year, meta.year_to, meta.published, meta.report_type) == (
        "Lancashire Constabulary", 2015, 2015, "2015-10", "peel_efficiency")
    assert [(g.area_key, g.grade, g.year_from, g.scale) for g in report.grades] == [
        ("efficiency", OUT, 2015, "four-grade")]
    assert "outstanding" in report.text[report.grades[0].start:report.grades[0].end].lower()


def test_pdf_custody_report(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "custody.pdf", [
        [("Title", "Report on an unannounced inspection visit to police custody suites in North Wales"),
         ("BodyText", "by HM Inspectorate of Prisons and HM Inspectorate of Constabulary"),
         ("BodyText", "29 September – 3 October 2014")],
        [("Heading2", "Section 1. Introduction"),
         ("BodyText", "This report is one of a series on police custody carried out jointly by the two inspectorates. "
                      "North Wales Police had three designated custody suites at the time of the visit. " + BODY)],
        [("Heading2", "Section 2. Background and key findings"),
         ("BodyText", "Detainees we spoke to were positive about how staff treated them, but the force's custody "
                      "records were not always complete. " + BODY)],
    ], "North Wales police custody suites")
    report = ingest_path(pdf)
    meta = report.meta
    assert meta.title == "Report on an unannounced inspection visit to police custody suites in North Wales"
    assert (meta.force, meta.year, meta.year_to, meta.report_type) == ("North Wales Police", 2014, 2014, "custody")
    assert report.grades == ()


def test_sample_peel_report_grades() -> None:
    """The bundled PEEL: Police effectiveness 2015 report: the overall grade, its four questions, and two
    grades it recalls from the 2014 crime inspection with their own year."""
    report = ingest_path(FIXTURES.parent.parent.parent / "reports" / "001_c0284af982d288b6.txt")
    got = {(g.area_key, g.year_from): g.grade for g in report.grades}
    assert got == {("effectiveness", 2015): GOOD, ("preventing_crime", 2015): GOOD,
                   ("investigating_crime", 2015): GOOD, ("vulnerability", 2015): RI,
                   ("serious_organised_crime", 2015): GOOD, ("preventing_crime", 2014): GOOD,
                   ("investigating_crime", 2014): GOOD}
    assert all(g.scale == "four-grade" and g.pillar == "effectiveness" for g in report.grades)
    letter = ingest_path(FIXTURES.parent.parent.parent / "reports" / "000_5fe6c616d4e4f80a.txt")
    assert letter.grades == ()
