"""Force, period and report type on publication formats beyond the core report families: follow-ups
(post-inspection reviews, re-inspections), PEEL pages headed by a single year of a longer cycle,
news items and releases with no date line, council minutes pages, PCC and force pages, and an
inspectorate page that lists every force's report.

The fixtures are written for these tests in the shape such publications take (their headings,
labels, dates and the facts they state); none is a copy of a real one.
"""

from __future__ import annotations

import hashlib

import pytest

from ingest.pipeline import build_report
from ingest.types import RawDocument, ReportMeta


def meta_of(text: str) -> ReportMeta:
    raw = RawDocument(source="doc.txt", path="doc.txt", format="text", text=text.strip() + "\n",
                      content_hash=hashlib.sha256(text.encode()).hexdigest())
    return build_report(raw).meta


def reading(text: str) -> tuple[str | None, int | None, int | None, str]:
    meta = meta_of(text)
    return meta.force, meta.year, meta.year_to, meta.report_type


# ---------------------------------------------------------------- follow-ups cover the inspection they follow

PIR_LETTER = """
His Majesty's Inspectorate of Constabulary and Fire & Rescue Services
Globe House
London

Jo Farrell QPM
Chief Constable
Durham Constabulary
Aykley Heads

14 March 2019

Dear Jo

Durham Constabulary – National child protection inspection: post-inspection review

1. This letter sets out what we found when we reviewed the force's child protection work. It will be
published on our website.

Background

2. In February 2018 we inspected the force under our national child protection programme and made
nine recommendations to improve how it protects children.

3. Our team went back to the force between 4 and 8 February 2019, looked at 40 cases and talked to
officers, staff and partner agencies about the changes made since then.

Yours sincerely

Wendy Williams
HM Inspector of Constabulary
"""

REINSPECTION_PAGE = """
Norfolk – National child protection re‑inspection

Published on: 3 May 2022

Contents

Summary
2021 inspection
2022 re-inspection

Summary

2021 inspection

In April 2021, we looked at how well Norfolk Constabulary keeps children safe and made seven
recommendations to the force.

2022 re-inspection

In February 2022 we returned to Norfolk Constabulary to find out how far it had acted on them. The
force has made good progress with most of our recommendations.
"""

CDI_REINSPECTION_NEWS = """
Crime recording re-inspection

In June 2018, HMICFRS conducted a crime data integrity inspection of Suffolk Constabulary. That report \
made recommendations to improve the way the force records crime.

A re-inspection, completed in September 2019, looked at the progress made since the 2018 report.

The Commissioner said he was pleased that the force now records more of the crimes reported to it.
"""


@pytest.mark.parametrize("text, expected", [
    (PIR_LETTER, ("Durham Constabulary", 2018, 2019, "letter")),
    (REINSPECTION_PAGE, ("Norfolk Constabulary", 2021, 2022, "vulnerability")),
    (CDI_REINSPECTION_NEWS, ("Suffolk Constabulary", 2018, 2019, "crime_data_integrity")),
])
def test_a_follow_up_covers_the_inspection_it_follows(text: str, expected: tuple) -> None:
    assert reading(text) == expected


def test_only_a_review_or_re_inspection_reaches_back() -> None:
    # a revisit letter (a cause of concern revisited) is about the revisit alone
    revisit = PIR_LETTER.replace("National child protection inspection: post-inspection review",
                                 "PEEL: Cause of concern revisit")
    assert (reading(PIR_LETTER)[1:3], reading(revisit)[1:3]) == ((2018, 2019), (2019, 2019))


# ---------------------------------------------------------------- a PEEL page headed by the first year of its cycle

PEEL_2018_PAGE = """
Skip to content

Kent PEEL 2018

How efficiently does the force operate and how sustainable are its services?

Last updated 02/05/2019

Kent Police is good at operating efficiently and providing sustainable services to the public.

Questions for Efficiency

How well does the force plan for the future?

This question was not inspected in detail in 2018/19, and the judgment from our 2017 efficiency
inspection has been carried over.
"""

PEEL_2016_PAGE = """
Skip to content

Kent 2016

How efficient is the force at keeping people safe and reducing crime?

Last updated 03/11/2016

This is HMIC's third PEEL assessment of Kent Police, made under HMIC's 2016/17 inspection programme.
The force plans to save £11m in 2016/17 and has a good understanding of demand.
"""


def test_a_peel_page_headed_by_the_first_year_of_a_cycle_takes_the_cycle() -> None:
    assert reading(PEEL_2018_PAGE) == ("Kent Police", 2018, 2019, "peel")
    # an inspection programme's or a budget's business year is not the cycle
    assert reading(PEEL_2016_PAGE)[1:3] == (2016, 2016)


# ---------------------------------------------------------------- releases and news items

UNDATED_RELEASE = """
Forces are getting better at protecting people who go missing, say inspectors

In 2015, HMIC reported that the police response to missing people varied too much. Between March and May
2016, HMIC visited every police force in England and Wales to see what had changed since then.

The findings, published today in a national report, show that most forces now treat missing people as a
priority.

Notes to editors
1. HMIC inspected all 43 forces in England and Wales.
"""

RELEASE_ABOUT_LAST_YEAR = """
News release

12 February 2020

Avon and Somerset Constabulary must improve its crime recording, says HMICFRS

Avon and Somerset Constabulary records most reported crime but must do better, according to a report
published today by HM Inspectorate of Constabulary and Fire & Rescue Services.

The inspection, carried out in November 2019, found that the constabulary records about 89 percent of
the crimes reported to it.

Notes to editors
1. The report is published on the inspectorate's website.
"""


def test_an_undated_release_takes_the_year_of_its_fieldwork() -> None:
    assert reading(UNDATED_RELEASE) == (None, 2016, 2016, "news_release")


def test_a_release_about_last_years_inspection_takes_that_year() -> None:
    meta = meta_of(RELEASE_ABOUT_LAST_YEAR)
    assert (meta.force, meta.year, meta.year_to, meta.published) == ("Avon and Somerset Constabulary", 2019, 2019,
                                                                     "2020-02-12")
    # the release's date line is not its headline
    assert meta.title == "Avon and Somerset Constabulary must improve its crime recording, says HMICFRS"


# ---------------------------------------------------------------- a consultation banner over a force page

BANNERED_PAGE = """
Skip to content

Proposed policing inspection programme and framework 2025–29: For consultation

We would like your views on whether these plans cover the areas of policing that matter most to you.

Durham 2016

Read more about Durham

This is HMIC's third assessment of the effectiveness, efficiency and legitimacy with which Durham Constabulary keeps people safe and reduces crime.

The extent to which Durham Constabulary is effective at keeping people safe and reducing crime is outstanding.
"""


def test_a_banner_asking_for_views_does_not_date_the_page() -> None:
    meta = meta_of(BANNERED_PAGE)
    assert (meta.title, meta.force, meta.year, meta.year_to) == ("Durham 2016", "Durham Constabulary", 2016, 2016)


# ---------------------------------------------------------------- whose page it is, and what kind

NATIONAL_LIST_PAGE = """
PEEL: Police legitimacy 2016
This report sets out what we found when we inspected how fairly and ethically the 43 police forces in England and Wales treat the people they serve and their own workforce.
Get the national report
PEEL: Police legitimacy 2016 – A national overview (PDF document)
Get the force reports
Police legitimacy 2016 – Cumbria Constabulary
Police legitimacy 2016 – Dorset Police
Police legitimacy 2016 – Essex Police
Police legitimacy 2016 – Gwent Police
"""

PCC_CDI_PAGE = """
skip to main content

2019 Crime Data Integrity Inspection

In 2014 HMIC inspected how each of the 43 police forces in England and Wales records crime, and it has since inspected every force again in a rolling programme.

The latest crime data integrity inspection for Cumbria was published in August 2019.

Read the 'Crime Data Integrity inspection 2019' report on the HMICFRS website.
"""

PCC_PEEL_PAGE = """
HMICFRS – PEEL Assessment 2018/19

In 2018/19, HMICFRS brought the effectiveness, efficiency and legitimacy parts of PEEL together in a single inspection of each force.

The report gives an overall assessment of the Force's performance and its graded judgments.

The Dorset report can be read here.

PCC's response
"""

SPELT_OUT_PAGE = """
Skip to content

Gwent 2015

Read more about Gwent

This is HMIC's second assessment of the effectiveness, efficiency and legitimacy with which Gwent Police keeps people safe and reduces crime.

The extent to which Gwent Police is effective at keeping people safe and reducing crime is requires improvement.
"""

MINUTES_PAGE = """
Agendas, Meetings and Minutes - Agenda item

Agenda item

HMICFRS Inspection Report: PEEL 2021/22 - An Inspection of Cleveland Police

Minutes:

The Commissioner introduced the report, which set out the action taken in response to the inspectorate's findings (published in September 2022).

A Member asked how the force would improve the way it answers calls from the public.
"""

NEWS_ITEM = """
Bedfordshire Police is getting better at protecting children, but more remains to be done

HMICFRS has today published a report on the child protection work of Bedfordshire Police, following an inspection in October 2019. It is one of a rolling programme of child protection inspections of every force.

Get the report

Bedfordshire – National child protection inspection
"""


@pytest.mark.parametrize("text, expected", [
    (NATIONAL_LIST_PAGE, (None, 2016, 2016, "thematic")),
    (PCC_CDI_PAGE, ("Cumbria Constabulary", 2019, 2019, "crime_data_integrity")),
    (PCC_PEEL_PAGE, ("Dorset Police", 2018, 2019, "peel")),
    (SPELT_OUT_PAGE, ("Gwent Police", 2015, 2015, "peel")),
    (MINUTES_PAGE, ("Cleveland Police", 2021, 2022, "panel_paper")),
    (NEWS_ITEM, ("Bedfordshire Police", 2019, 2019, "news_release")),
], ids=["national-list", "pcc-inspection-for", "pcc-county-report", "peel-spelt-out", "minutes", "today"])
def test_whose_page_and_what_kind(text: str, expected: tuple) -> None:
    assert reading(text) == expected


def test_minutes_and_news_items_carry_the_type_they_discuss() -> None:
    assert (meta_of(MINUTES_PAGE).about_type, meta_of(NEWS_ITEM).about_type) == ("peel", "vulnerability")
    assert meta_of(MINUTES_PAGE).title == "HMICFRS Inspection Report: PEEL 2021/22 - An Inspection of Cleveland Police"


# ---------------------------------------------------------------- PEEL cycles since 2018, and news from the inspectorate

PEEL_2018_DETAIL_PAGE = """
Skip to content

Surrey PEEL 2018


How effectively does the force reduce crime and keep people safe?

Last updated 27/09/2019
Good

Surrey Police is good at reducing crime and keeping people safe.

The force works well with partner organisations to prevent crime and anti-social behaviour.
"""

INSPECTORATE_NEWS = """
Merseyside Police must get better at answering calls from the public
The way Merseyside Police answers calls for help must improve, the police inspectorate has said.
Get the report
PEEL 2023–2025: An inspection of Merseyside Police
His Majesty's Inspectorate of Constabulary and Fire & Rescue Services graded the force's performance across nine areas of policing.
The force was found to be good at investigating crime and at protecting vulnerable people.
"""


def test_a_peel_page_of_an_integrated_cycle_year_takes_the_cycle() -> None:
    assert reading(PEEL_2018_DETAIL_PAGE) == ("Surrey Police", 2018, 2019, "peel")
    # a year that starts no cycle stays one year
    assert reading(PEEL_2018_DETAIL_PAGE.replace("PEEL 2018", "PEEL 2017").replace("2019", "2018"))[1:3] == (2017, 2017)


def test_news_of_what_the_inspectorate_said_is_a_news_release() -> None:
    meta = meta_of(INSPECTORATE_NEWS)
    assert (meta.force, meta.year, meta.year_to, meta.report_type, meta.about_type) == (
        "Merseyside Police", 2023, 2025, "news_release", "peel")
    assert meta.title == "Merseyside Police must get better at answering calls from the public"


# ---------------------------------------------------------------- a release number on its own line; links to other documents

NUMBERED_RELEASE = """
News release

#034/2016

Lincolnshire Police is good at keeping people safe, says HMIC

Lincolnshire Police is good at keeping people safe and reducing crime, according to a report published today by HMIC. The inspection took place in the autumn of 2015.

Notes to editors
"""

NATIONAL_WITH_RESPONSES = """
PEEL spotlight report: Themes from the PEEL inspections of 2018/19
This report draws together the themes we found in our PEEL inspections of all 43 force inspections this year.
Get the report
Get the police and crime commissioners' responses to the report
Cleveland PCC's response (PDF document)
Durham PCC's response (PDF document)
"""


def test_a_release_number_on_its_own_line_is_not_the_headline() -> None:
    meta = meta_of(NUMBERED_RELEASE)
    assert meta.title == "Lincolnshire Police is good at keeping people safe, says HMIC"
    assert (meta.force, meta.year, meta.year_to, meta.report_type) == ("Lincolnshire Police", 2015, 2015, "news_release")


def test_download_links_do_not_name_the_pages_force() -> None:
    assert reading(NATIONAL_WITH_RESPONSES) == (None, 2018, 2019, "thematic")
