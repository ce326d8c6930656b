"""Reading real publications right: periods, dates, site furniture, titles and forces in every name form."""

from __future__ import annotations

import hashlib

import pytest

from ingest.dates import Period, find_periods, format_period, labelled_date, parse_date, parse_period
from ingest.forces import find_forces
from ingest.furniture import (
    is_banner,
    is_date_label,
    is_furniture,
    is_site_name,
    page_top,
    split_site_lines,
    strip_skip_link,
)
from ingest.metadata import REPORT_TYPES, document_facts, resolve_report_type
from ingest.pipeline import build_report
from ingest.types import RawDocument, ReportMeta

BODY = ("Officers and staff told us that they understand what the force is trying to achieve, and partner "
        "organisations spoke well of the way it shares information with them.")


def facts(text: str):
    return document_facts(text.strip() + "\n", ())


# ---------------------------------------------------------------- periods and dates


@pytest.mark.parametrize(
    ("text", "period"),
    [("PEEL 2014", (2014, 2014)), ("Norfolk 2018/19", (2018, 2019)), ("PEEL 2021/22", (2021, 2022)),
     ("PEEL 2023–2025: An inspection of Kent Police", (2023, 2025)), ("PEEL 2023–25", (2023, 2025)),
     ("PEEL 2023 - 2025", (2023, 2025)), ("the 2015-16 financial year", (2015, 2016)),
     ("#003/2013 Police custody in Essex", None), ("a budget of £2015 million", None),
     ("between 2012 and 2019", (2012, 2012)), ("from 2015–2022 crime rose", (2015, 2015))],
)
def test_parse_period(text: str, period: tuple[int, int] | None) -> None:
    found = parse_period(text)
    assert (found.year_from, found.year_to) == period if found else period is None


def test_find_periods_gives_offsets() -> None:
    text = "PEEL 2018/19 followed PEEL 2017."
    assert [(p.year_from, p.year_to, text[a:b]) for p, a, b in find_periods(text)] == [
        (2018, 2019, "2018/19"), (2017, 2017, "2017")]


@pytest.mark.parametrize(("years", "shown"), [((2016, 2016), "2016"), ((2021, 2022), "2021/22"),
                                              ((2023, 2025), "2023–25"), ((2016, None), "2016"), ((None, None), "")])
def test_format_period(years: tuple[int | None, int | None], shown: str) -> None:
    assert format_period(*years) == shown


def test_period_overlap_and_order() -> None:
    assert Period(2021, 2022).overlaps(2022) and Period(2021, 2022).overlaps(None, 2021)
    assert not Period(2021, 2022).overlaps(2023, 2024) and not Period(2018, 2019).overlaps(None, 2017)
    with pytest.raises(ValueError, match="swap the years"):
        Period(2020, 2019)


def test_report_meta_period() -> None:
    meta = ReportMeta(source="a", title="t", force=None, year=2021, year_to=2022)
    assert (meta.year, meta.year_to, meta.period) == (2021, 2022, "2021/22")
    single = ReportMeta(source="a", title="t", force=None, year=2016)
    assert (single.year_to, single.period) == (2016, "2016")
    assert ReportMeta(source="a", title="t", force=None, year=None).period == ""


@pytest.mark.parametrize(
    ("line", "iso", "update"),
    [("Last updated 03/11/2016", "2016-11-03", True), ("Published: 12 March 2019", "2019-03-12", False),
     ("Published on: 9 June 2023", "2023-06-09", False), ("Date of meeting: 4 July 2018", "2018-07-04", False),
     ("Last updated 3.11.2016", "2016-11-03", True)],
)
def test_labelled_dates_in_uk_order(line: str, iso: str, update: bool) -> None:
    found = labelled_date(line)
    assert found is not None and (found.iso, found.is_update) == (iso, update)
    assert is_date_label(line)


def test_dates_are_day_first_and_checked() -> None:
    assert parse_date("on 12/01/2017") == "2017-01-12"
    assert parse_date("on 31/02/2017") is None
    assert labelled_date("Last updated by the press office") is None


def test_a_last_updated_date_is_the_published_date_not_the_year() -> None:
    found = facts("Kent 2016\n\nRead more about Kent 2016\n\nThis is HMIC's third PEEL assessment of Kent Police. "
                  + BODY + "\n\nLast updated 02/03/2017\n\nLast updated 09/11/2016")
    assert (found.title, found.year, found.year_to, found.published) == ("Kent 2016", 2016, 2016, "2017-03-02")


def test_published_label_beats_the_cover_date() -> None:
    found = facts("Crime inspection 2014\n\nKent Police\n\nNovember 2014\n\nPublished: 27 November 2014\n\n" + BODY)
    assert (found.year, found.published) == (2014, "2014-11-27")


def test_with_nothing_better_the_published_year_is_the_year() -> None:
    found = facts("Skip to content\n\nHMI's observations\n\nI am pleased with the way Suffolk Constabulary has "
                  "improved. " + BODY + "\n\nLast updated 22/03/2018")
    assert (found.title, found.force, found.year, found.published) == (
        "HMI's observations", "Suffolk Constabulary", 2018, "2018-03-22")


# ---------------------------------------------------------------- site furniture


@pytest.mark.parametrize(
    "line",
    ["Skip to content", "Skip to main content", "English Cymraeg", "Read more about Kent 2016",
     "Download the full report", "Get the report", "Get the report : Evaluation of PEEL inspections",
     "Contact Zoë Billingham", "Contact HMICFRS", "URL: https://www.example.org/peel-2016/kent/", "Contact Wendy Williams (e-mail address)", "Share this page",
     "Print this document", "Home > PEEL assessments > PEEL 2016 > Kent",
     "We use cookies to collect information about how you use this site.", "URL", "Inspection area",
     "View the five questions for effectiveness", "Os hoffech chi ddarllen hwn trwy’r Gymraeg (PDF document)",
     "Publication types: Press releases"],
)
def test_furniture_lines(line: str) -> None:
    assert is_furniture(line)


@pytest.mark.parametrize(
    "line",
    ["Norfolk 2016", "Lancashire PEEL 2015", "How effective is the force at keeping people safe and reducing crime?",
     "Contact management and call handling", "Contact Management Centre", "Read the report's recommendations carefully before acting on them, "
     "because several of them depend on one another and on national work that is still going on across England.",
     "Accessibility", "Summary of findings", "Last updated 03/11/2016", "Notes to editors"],
)
def test_not_furniture(line: str) -> None:
    assert not is_furniture(line)


def test_footer_words_and_banners_are_furniture_only_at_the_edges() -> None:
    for line in ("Accessibility", "© Crown copyright", "HMICFRS is consulting on its proposed inspection programmes",
                 "Please give us your views on these programmes by 5pm on Monday 19 February 2018."):
        assert is_furniture(line, edge=True) and not is_furniture(line, edge=False), line


def test_skip_link_run_into_the_heading() -> None:
    assert strip_skip_link("Skip to content Norfolk 2016") == "Norfolk 2016"
    assert strip_skip_link("Norfolk 2016") == "Norfolk 2016"


def test_copied_page_keeps_every_paragraph() -> None:
    paragraphs = ["Gwent 2015", "This is HMIC's second PEEL assessment of Gwent Police. " + BODY,
                  "The extent to which Gwent Police is effective at keeping people safe and reducing crime is good.",
                  "Wendy Williams, Her Majesty's Inspector of Constabulary", "HMI's observations", BODY]
    text = "Skip to content\n\nEnglish Cymraeg\n\nRead more about Gwent\n\n" + "\n\n".join(paragraphs) + \
        "\n\nContact Wendy Williams\n\nShare this page\n\nCookies\n\nPrivacy notice\n"
    raw = RawDocument(source="gwent.txt", path="gwent.txt", format="text", text=text,
                      content_hash=hashlib.sha256(text.encode()).hexdigest())
    report = build_report(raw)
    assert all(p in report.text for p in paragraphs)
    assert not any(x in report.text for x in ("Skip to", "Cymraeg", "Read more", "Contact Wendy", "Share this",
                                              "Privacy"))
    assert (report.meta.title, report.meta.force, report.meta.year, report.meta.report_type) == (
        "Gwent 2015", "Gwent Police", 2015, "peel")


def test_a_banner_with_another_year_does_not_date_the_page() -> None:
    found = facts("Skip to content\n\nHMICFRS is consulting on its inspection programme for 2019/20\n\n"
                  "Please give us your views by 5pm on Friday 8 February 2019.\n\nSurrey 2018/19\n\n"
                  "Read more about Surrey\n\nThis is HMICFRS's fifth PEEL assessment of Surrey Police. " + BODY)
    assert (found.title, found.force, found.year, found.year_to, found.published) == (
        "Surrey 2018/19", "Surrey Police", 2018, 2019, None)


# ---------------------------------------------------------------- forces in every name form


@pytest.mark.parametrize(
    ("text", "force"),
    [
        ("News\n\nInspectors praise the Merseyside force\n\nThe Merseyside force has cut the time victims wait for "
         "an officer. " + BODY, "Merseyside Police"),
        ("Thematic findings\n\nWe looked at how the force in Essex handles stalking cases and found that it "
         "takes them seriously. " + BODY, "Essex Police"),
        ("#014/2013 Police custody in Suffolk – improvements needed\n\nCustody in Suffolk needed work. " + BODY,
         "Suffolk Constabulary"),
        ("Cumbria Police and Crime Panel\n\nAgenda item 7\n\nHMICFRS Inspection Report: PEEL Police Legitimacy 2017: "
         "An Inspection of Cumbria Constabulary\n\nPurpose of report\n\n" + BODY, "Cumbria Constabulary"),
        ("Adroddiad\n\nMae Heddlu Gogledd Cymru wedi gwella. " + BODY, "North Wales Police"),
        ("HMI's observations\n\nI am pleased with the work of Heddlu De Cymru this year. " + BODY, "South Wales Police"),
        ("Stop and search in London\n\nWe inspected how the Met uses its powers. " + BODY,
         "Metropolitan Police Service"),
        ("Update\n\nThe MPS has acted on our recommendations. " + BODY, "Metropolitan Police Service"),
        ("PEEL 2018/19\n\nAn inspection of the City of London Police\n\n" + BODY, "City of London Police"),
        ("PEEL: Police effectiveness, efficiency and legitimacy 2018/19\n\nAn inspection of British Transport Police"
         "\n\n" + BODY, "British Transport Police"),
    ],
)
def test_force_in_every_name_form(text: str, force: str) -> None:
    assert facts(text).force == force


def test_national_report_has_no_force_unless_about_one() -> None:
    national = facts("Policing and mental health: picking up the pieces\n\nNovember 2018\n\nWe inspected all 43 "
                     "police forces. Kent Police and Essex Police gave us case studies. " + BODY)
    assert (national.force, national.report_type) == (None, "thematic")
    one = facts("An inspection of the Metropolitan Police Service's counter-corruption arrangements\n\n"
                "March 2022\n\n" + BODY)
    assert one.force == "Metropolitan Police Service"


def test_welsh_names_are_full_force_names() -> None:
    assert [(m.force, m.full_name) for m in find_forces("Heddlu Gwent a Heddlu Dyfed-Powys")] == [
        ("Gwent Police", True), ("Dyfed-Powys Police", True)]


def test_report_type_vocabulary_has_the_new_families() -> None:
    assert {"news_release", "panel_paper"} <= set(REPORT_TYPES)
    assert resolve_report_type("News release") == "news_release"
    assert resolve_report_type("police and crime panel paper") == "panel_paper"


def test_split_site_lines_keeps_text_and_separates_date_and_grade() -> None:
    text = "Skip to content Kent 2016\nRead more about Kent\nHow efficient is the force?\nLast updated 03/11/2016\nGood"
    pieces, dropped = split_site_lines(text, 0, 30, separate=lambda line: line == "Good")
    assert pieces == ["Kent 2016", "How efficient is the force?", "Last updated 03/11/2016", "Good"]
    assert dropped == ["Read more about Kent"]
    middle, none = split_site_lines("Accessibility\nThe suites were accessible to disabled detainees.", 15, 40)
    assert (middle, none) == (["Accessibility\nThe suites were accessible to disabled detainees."], [])


def test_period_of_the_peel_assessment_a_page_responds_to() -> None:
    found = facts("Commissioner welcomes inspection\n\nThe Commissioner has responded to the inspectorate's PEEL "
                  "(police effectiveness, efficiency and legitimacy) assessment of Suffolk Constabulary for 2023–25, "
                  "published this week.\n\n" + BODY)
    assert (found.force, found.year, found.year_to, found.report_type) == ("Suffolk Constabulary", 2023, 2025, "peel")


def test_a_page_saved_with_its_address_keeps_its_heading() -> None:
    found = facts("URL\n\nhttps://www.justiceinspectorates.gov.uk/hmicfrs/peel-assessments/peel-2017/essex/\n\n"
                  "Inspection area\n\nEssex 2017\n\nThis is HMICFRS' fourth PEEL assessment of Essex Police. " + BODY)
    assert (found.title, found.force, found.year, found.report_type) == ("Essex 2017", "Essex Police", 2017, "peel")


# ---------------------------------------------------------------- the top of a copied page: menus, banners, headings

MENU = "HMICFRS\nHis Majesty's Inspectorate of Constabulary and Fire & Rescue Services\nSearch this site\nHome\nAbout us\n" \
       "Our work\nPublications\nPEEL assessments\nNews\nContact us\n"


def _report(text: str, name: str = "page.txt"):
    raw = RawDocument(source=name, path=name, format="text", text=text,
                      content_hash=hashlib.sha256(text.encode()).hexdigest())
    return build_report(raw)


def test_copied_page_heading_after_menu_and_breadcrumb_lines() -> None:
    text = ("Skip to content\n" + MENU + "Home\nPEEL assessments\nPEEL 2017\nSuffolk\nSuffolk 2017\n"
            "Read more about Suffolk\nThis is HMICFRS's fourth PEEL assessment of Suffolk Constabulary. " + BODY + "\n")
    found = facts(text)
    assert (found.title, found.force, found.year, found.year_to, found.report_type) == (
        "Suffolk 2017", "Suffolk Constabulary", 2017, 2017, "peel")


def test_a_consultation_banner_above_the_menu_gives_neither_title_nor_period() -> None:
    text = ("Skip to content\nProposed policing inspection programme and framework 2025–29: for consultation\n"
            "Have your say on what we inspect next. The consultation closes on 28 March 2025.\n" + MENU +
            "Home\nPEEL assessments\nPEEL 2018/19\nWiltshire 2018/19\nRead more about Wiltshire\n"
            "This is HMICFRS's fifth PEEL assessment of Wiltshire Police. " + BODY + "\n")
    found = facts(text)
    assert (found.title, found.year, found.year_to) == ("Wiltshire 2018/19", 2018, 2019)
    report = _report(text)
    assert (report.meta.title, report.meta.year, report.meta.year_to) == ("Wiltshire 2018/19", 2018, 2019)
    for gone in ("consultation", "Have your say", "About us", "Search this site", "Our work", "Majesty"):
        assert gone not in report.text, gone
    assert "This is HMICFRS's fifth PEEL assessment of Wiltshire Police." in report.text


def test_a_banner_above_the_heading_of_a_copy_without_navigation() -> None:
    text = ("Proposed policing inspection programme and framework 2025–29: for consultation\n"
            "Have your say on what we inspect next. The consultation closes on 28 March 2025.\n"
            "Norfolk 2016\nHMIC's PEEL assessment of Norfolk Constabulary is now in its third year. " + BODY + "\n")
    for found in (facts(text), _report(text).meta):
        assert (found.title, found.year, found.year_to) == ("Norfolk 2016", 2016, 2016)
    assert "consultation" not in _report(text).text
    cover = _report("Consultation on the policing inspection programme and framework 2025–29\n\nMarch 2025\n\n"
                    "We are asking the public and the police which areas of policing we should inspect. " + BODY + "\n")
    assert cover.text.startswith("Consultation on the policing inspection programme")


def test_a_maintenance_banner_is_site_furniture() -> None:
    text = ("Website maintenance\nParts of this website may be unavailable on Saturday 4 May 2019 while we carry "
            "out planned work.\n" + MENU + "Home\nPolice forces\nDurham Constabulary\nPEEL 2023–2025\n"
            "PEEL 2023–2025: An inspection of Durham Constabulary\nPublished: 9 May 2024\n"
            "PEEL 2023–2025 – An inspection of Durham Constabulary (PDF document)\n"
            "Durham Constabulary: PEEL 2023–2025 infographic (PDF document)\n"
            "Our inspection assessed how good Durham Constabulary is in nine areas of policing. " + BODY + "\n")
    report = _report(text)
    assert (report.meta.title, report.meta.year, report.meta.year_to, report.meta.published) == (
        "PEEL 2023–2025: An inspection of Durham Constabulary", 2023, 2025, "2024-05-09")
    assert "maintenance" not in report.text and "planned work" not in report.text


def test_a_page_about_a_consultation_keeps_its_own_heading() -> None:
    text = ("Skip to content\nHome\nPublications\nInspection programme and framework 2025–29: consultation\n"
            "Published: 10 February 2025\nWe are asking the public and the police what we should inspect in the "
            "next four years, and how. " + BODY + "\n")
    report = _report(text)
    assert report.meta.title == "Inspection programme and framework 2025–29: consultation"
    assert report.text.startswith("Inspection programme and framework 2025–29: consultation")


def test_a_publisher_line_on_a_cover_is_kept_without_site_navigation() -> None:
    report = _report("HMIC\n\nPEEL: Police efficiency 2015\n\nAn inspection of Suffolk Constabulary\n\n"
                     "October 2015\n\n" + BODY + "\n")
    assert report.text.startswith("HMIC\n")
    assert report.meta.title == "PEEL: Police efficiency 2015 – An inspection of Suffolk Constabulary"


def test_page_top_lines() -> None:
    lines = ["Skip to content", "Have your say on our plans for 2025–29. The consultation closes on 3 March 2025.",
             "HMICFRS", "Home", "About us", "Publications", "Home", "PEEL assessments", "PEEL 2016", "Norfolk",
             "Norfolk 2016", "HMIC's PEEL assessment of Norfolk Constabulary is now in its third year, and this page "
             "brings its findings together.", "Home"]
    assert page_top(lines) == {1, 2, 3, 4, 5, 6, 7}
    assert page_top(["HMIC", "PEEL: Police efficiency 2015", "An inspection of Kent Police"]) == set()
    assert page_top(["Have your say on our plans. The consultation closes on 3 March 2025.", "March 2025"]) == set()
    assert is_banner("Proposed inspection programme and framework 2025–29: for consultation")
    assert not is_banner("Norfolk 2016") and is_site_name("Her Majesty's Inspectorate of Constabulary")


def test_news_release_headline_not_the_site_name() -> None:
    text = ("HMIC\nHer Majesty's Inspectorate of Constabulary\nHome\nAbout us\nPublications\nNews\nNews releases\n"
            "Search\nHome\nNews\nNews releases\n#031/2013 – Police custody in Cumbria – safe but stretched\n\n"
            "Published: 3 September 2013\n\nPolice custody in Cumbria was safe, said the inspectorates as they "
            "published the report of an unannounced inspection. " + BODY + "\n\nNotes to editors\n\n1. The report "
            "is on the inspectorates' websites.\n")
    found = facts(text)
    assert (found.title, found.force, found.year, found.report_type, found.about_type) == (
        "Police custody in Cumbria – safe but stretched", "Cumbria Constabulary", 2013, "news_release", "custody")
    bare = facts("HMICFRS\n\nWest Mercia Police records crime more accurately\n\nPublished: 5 June 2019\n\n"
                 "HMICFRS has today published its inspection of crime recording in West Mercia Police. It estimates "
                 "that the force now records 94 percent of the crimes reported to it. " + BODY +
                 "\n\nNotes to editors\n\n1. The report is on our website.\n")
    assert (bare.title, bare.report_type, bare.about_type) == (
        "West Mercia Police records crime more accurately", "news_release", "crime_data_integrity")


def test_a_crime_recording_inspection_is_typed_by_its_opening_paragraph() -> None:
    opening = ("Northamptonshire Police: the service it gives to victims of crime\n\nMarch 2020\n\n"
               "Introduction\n\nThis inspection examined how accurately Northamptonshire Police records the crimes "
               "reported to it. We audited 1,200 crime records and incident records from the six months to "
               "31 August 2019, and we estimate a recording rate of 88 percent. " + BODY + "\n")
    assert facts(opening).report_type == "crime_data_integrity"
    named = facts("Victims of crime in Essex\n\nJune 2019\n\nThis crime data integrity inspection looked at Essex "
                  "Police. " + BODY + "\n")
    assert named.report_type == "crime_data_integrity"
    recalled = facts("Kent 2018/19\n\nThis is HMICFRS's fifth PEEL assessment of Kent Police. " + BODY + " " + BODY +
                     "\n\nOur 2017 crime data integrity inspection found weaknesses; the force now records crime "
                     "accurately, as our audit of crime records showed.\n")
    assert recalled.report_type == "peel"
    victims = facts("Northamptonshire Police: the service it gives to victims of crime\n\nMarch 2020\n\n"
                    "This inspection looked at how Northamptonshire Police supports victims after they report a "
                    "crime. " + BODY + "\n")
    assert victims.report_type == "other"


def test_a_letter_shown_as_a_page_is_a_letter() -> None:
    found = facts("Dorset Police: PEEL cause of concern revisit letter\n\nPublished on: 2 March 2023\n\nFrom:\n\n"
                  "Jane Smith\n\nTo:\n\nThe Chief Constable\n\nBackground\n\n" + BODY + "\n\nYours sincerely,\n\n"
                  "Jane Smith\n")
    assert (found.report_type, found.force) == ("letter", "Dorset Police")
    page = facts("Dorset 2016\n\nThis is HMIC's third PEEL assessment of Dorset Police. " + BODY + "\n")
    assert page.report_type == "peel"


def test_one_paragraph_a_line_copy_is_cut_into_paragraphs() -> None:
    long = BODY + " " + BODY
    text = ("Skip to content\n" + MENU + "Home\nPEEL assessments\nPEEL 2016\nSuffolk\nSuffolk 2016\n"
            "This is HMIC's third PEEL assessment of Suffolk Constabulary. " + long + "\nHMI's observations\n"
            + long + "\n" + long + "\nEffectiveness\nHow effective is the force at keeping people safe and reducing "
            "crime?\nLast updated 02/03/2017\nGood\nSuffolk Constabulary is good at keeping people safe and reducing "
            "crime. " + BODY + "\n" + long + "\n")
    report = _report(text)
    headings = [s.heading for s in report.sections]
    assert "HMI's observations" in headings
    assert "How effective is the force at keeping people safe and reducing crime?" in headings
    assert report.meta.title == "Suffolk 2016"
    wrapped = _report("Introduction\n\nThe force has a plan for the money it must save and\nit has made most of "
                      "the savings it needs. It works with\nneighbouring forces to share the cost of support\n"
                      "services and it plans to do more of that\nin the next two years, as its budget falls.\n")
    assert "save and\nit has made" in wrapped.text  # a wrapped paragraph stays one paragraph
