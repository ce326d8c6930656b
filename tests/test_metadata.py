"""Report metadata (title, force, year, publication date, type) and section grades and themes for
the whole family of HMIC / HMICFRS reports.

Each fixture is synthetic front matter plus a few body paragraphs, written the way these reports
read once extracted from their PDFs: cover lines, 'Contents' with dot leaders, dates such as
'February 2016', '© HMICFRS 2019', ISBNs and the inspectorate's web address. Some covers are
given as one merged line, as the PDF reader leaves them when it cannot see the line breaks.
"""

from __future__ import annotations

import hashlib
import time

import pytest

from ingest.metadata import THEMES, classify_theme, document_facts
from ingest.pipeline import build_report
from ingest.types import RawDocument, Report, Section

BODY = ("HMIC found that the force has a good understanding of the demand it faces and uses its resources "
        "well to meet that demand. Officers and staff told us that they understand the priorities.")


def ingest_text(text: str, source: str = "report.txt") -> Report:
    raw = RawDocument(source=source, path=source, format="text", text=text.strip() + "\n",
                      content_hash=hashlib.sha256(text.encode()).hexdigest())
    return build_report(raw)


def graded(report: Report) -> list[tuple[str, str | None, str]]:
    """(heading, judgment, theme) of the level-1 graded sections of the report's body."""
    return [(s.heading, s.judgment, s.theme) for s in report.sections
            if s.kind == "question" and s.level == 1]


def section(report: Report, heading: str) -> Section:
    return next(s for s in report.sections if s.heading == heading)


# ---------------------------------------------------------------- PEEL 2015-2017 pillar reports

PEEL_EFFICIENCY_2016 = f"""
PEEL: Police efficiency 2016

An inspection of Kent Police

November 2016

© HMIC 2016

ISBN: 978-1-78655-239-4

www.justiceinspectorates.gov.uk/hmic

Contents

Overview – How efficient is the force at keeping people safe and reducing crime? ............ 4
How well does the force understand demand? ............................................. 8
How well does the force use its resources? .............................................. 13
How well is the force planning for the future? ......................................... 18
Annex A – HMIC judgments ................................................................. 22

Overview – How efficient is the force at keeping people safe and reducing crime?

Overall judgement¹

Good

HMIC found that Kent Police is good at keeping people safe and reducing crime efficiently. {BODY}

¹ Outstanding, Good, Requires improvement or Inadequate – see Annex A.

How well does the force understand demand?

Good

Kent Police has a good understanding of the current demand for its services. {BODY}

How well does the force use its resources?

Requires improvement

The force does not yet match its workforce to demand. {BODY}

Areas for improvement

- The force should develop a better understanding of the skills of its workforce.

How well is the force planning for the future?

Good

The force has sound financial plans and a clear understanding of future demand. {BODY}

Annex A – HMIC judgments

The categories are: outstanding; good; requires improvement; and inadequate.
"""

PEEL_LEGITIMACY_2017 = f"""
PEEL: Police legitimacy 2017

An inspection of West Yorkshire Police

December 2017

© HMICFRS 2017

ISBN: 978-1-78655-517-3

www.justiceinspectorates.gov.uk/hmicfrs

Contents

Introduction ........ 3
Force in numbers ........ 5
Overview – How legitimate is the force at keeping people safe and reducing crime? ........ 6

Introduction

As part of our annual inspections of police effectiveness, efficiency and legitimacy (PEEL), HMICFRS
assesses the legitimacy of police forces across England and Wales. {BODY}

Overview – How legitimate is the force at keeping people safe and reducing crime?

Overall judgement

Good

West Yorkshire Police is judged to be good in the way it treats the public and its workforce. {BODY}

To what extent does the force treat all of the people it serves with fairness and respect?

Good

The force understands the importance of treating people with fairness and respect. {BODY}

How well does the force ensure that its workforce behaves ethically and lawfully?

Good

The force has a clear approach to ethical behaviour and its counter-corruption unit is well resourced. {BODY}

To what extent does the force treat its workforce with fairness and respect?

Requires improvement

The force does not yet treat its workforce fairly in the way it handles grievances. {BODY}
"""

# The PDF reader ran the cover lines together.
PEEL_LEADERSHIP_2017 = f"""
PEEL: Police leadership 2017 An inspection of Cumbria Constabulary December 2017 © HMICFRS 2017

ISBN: 978-1-78655-534-0

Contents

Introduction 3

How well does the force understand, develop and display leadership? 5

Introduction

Leadership is a key element of how a force is run. {BODY}

How well does the force understand, develop and display leadership?

Cumbria Constabulary has a good understanding of the leadership skills it needs. {BODY}
"""

PEEL_VULNERABILITY_2016 = f"""
PEEL: Police effectiveness 2016

(Vulnerability)

An inspection of Thames Valley Police

December 2016

© HMIC 2016

www.justiceinspectorates.gov.uk/hmic

How effective is the force at protecting from harm those who are vulnerable, and supporting victims?

Good

Thames Valley Police is good at protecting from harm those who are vulnerable, and supporting victims.
The force has improved its response to domestic abuse and to missing children. {BODY}
"""


def test_peel_efficiency_2016() -> None:
    report = ingest_text(PEEL_EFFICIENCY_2016)
    meta = report.meta
    assert meta.title == "PEEL: Police efficiency 2016 – An inspection of Kent Police"
    assert (meta.force, meta.year, meta.published, meta.report_type) == ("Kent Police", 2016, "2016-11",
                                                                         "peel_efficiency")
    assert report.warnings == ()
    assert next(s for s in report.sections if s.kind == "overview").judgment == "Good"
    assert graded(report) == [
        ("How well does the force understand demand?", "Good", "efficiency"),
        ("How well does the force use its resources?", "Requires improvement", "efficiency"),
        ("How well is the force planning for the future?", "Good", "efficiency"),
    ]
    area = section(report, "Areas for improvement")
    assert area.path == ("How well does the force use its resources?", "Areas for improvement")


def test_peel_legitimacy_2017() -> None:
    report = ingest_text(PEEL_LEGITIMACY_2017)
    meta = report.meta
    assert meta.title == "PEEL: Police legitimacy 2017 – An inspection of West Yorkshire Police"
    assert (meta.force, meta.year, meta.published, meta.report_type) == ("West Yorkshire Police", 2017,
                                                                         "2017-12", "peel_legitimacy")
    assert [(h[1], h[2]) for h in graded(report)] == [("Good", "legitimacy"), ("Good", "legitimacy"),
                                                      ("Requires improvement", "legitimacy")]


def test_peel_leadership_2017_cover_on_one_line() -> None:
    meta = ingest_text(PEEL_LEADERSHIP_2017).meta
    assert meta.title == "PEEL: Police leadership 2017 – An inspection of Cumbria Constabulary"
    assert (meta.force, meta.year, meta.published, meta.report_type) == ("Cumbria Constabulary", 2017, "2017-12",
                                                                         "peel_leadership")


def test_peel_effectiveness_vulnerability_2016() -> None:
    report = ingest_text(PEEL_VULNERABILITY_2016)
    meta = report.meta
    assert meta.title == "PEEL: Police effectiveness 2016 (Vulnerability) – An inspection of Thames Valley Police"
    assert (meta.force, meta.year, meta.published, meta.report_type) == ("Thames Valley Police", 2016,
                                                                         "2016-12", "vulnerability")
    assert graded(report)[0][1:] == ("Good", "vulnerability")


# ---------------------------------------------------------------- PEEL 2018/19, 2021/22 and 2023-25

PEEL_2018 = f"""
PEEL: Police effectiveness, efficiency and legitimacy 2018/19

An inspection of Kent Police

May 2019

© HMICFRS 2019

ISBN: 978-1-78655-792-4

www.justiceinspectorates.gov.uk/hmicfrs

Contents

Force in context ..... 3
Overall summary ..... 4
Effectiveness ..... 6

Force in context

Kent Police serves a population of 1.8 million people. {BODY}

Overall summary

Kent Police is good at keeping people safe and reducing crime. {BODY}

Effectiveness

Good

How effectively does the force reduce crime and keep people safe?

Good

Kent Police is good at reducing crime and keeping people safe. {BODY}

Efficiency

Good

Kent Police is good at operating efficiently and sustainably. The force understands demand. {BODY}

Legitimacy

Outstanding

Kent Police is outstanding at treating the public and its workforce legitimately. {BODY}
"""

PEEL_2021 = f"""
PEEL 2021/22

Police effectiveness, efficiency and legitimacy

An inspection of Greater Manchester Police

Contents

About us ..... i
Overall summary ..... 1
Providing a service to victims of crime ..... 8
Investigating crime ..... 12
Protecting vulnerable people ..... 16
Responding to the public ..... 20
Building, supporting and protecting the workforce ..... 24
Strategic planning, organisational management and value for money ..... 28

Overall summary

Our judgments

Our inspection assessed how good Greater Manchester Police is in ten policing areas. We make graded
judgments in nine of these ten as follows:

Outstanding\tGood\tAdequate\tRequires improvement\tInadequate
\tBuilding, supporting and protecting the workforce\tProtecting vulnerable people\tInvestigating crime\tResponding to the public
\t\tStrategic planning, organisational management and value for money\t\t

We also inspected how effective a service Greater Manchester Police gives to victims of crime. We don't make
a graded judgment in this overall area.

HM Inspector's observations

I have concerns about the performance of Greater Manchester Police in keeping people safe and reducing crime.
{BODY}

Providing a service to victims of crime

We inspected how well the force records crime and how it treats victims when they first contact it. {BODY}

Investigating crime

Requires improvement

Greater Manchester Police requires improvement at investigating crime.

Main findings

The force does not always investigate crime well. Too many investigations lack supervision and are closed
without all reasonable lines of enquiry being followed. {BODY}

Areas for improvement

- The force should make sure that investigations are effectively supervised.

Innovative practice

The force has set up a digital investigation team to support officers investigating online offending.

Protecting vulnerable people

Greater Manchester Police is adequate at protecting vulnerable people.

Main findings

The force identifies vulnerable people well when they first call. {BODY}

Responding to the public

Inadequate

Greater Manchester Police is inadequate at responding to the public.

Main findings

Too many 999 calls are not answered quickly enough and the force does not attend incidents promptly.
{BODY}

Building, supporting and protecting the workforce

Good

Greater Manchester Police is good at building, supporting and protecting the workforce. {BODY}

Strategic planning, organisational management and value for money

Adequate

Greater Manchester Police is adequate at strategic planning, organisational management and value for money.
{BODY}
"""

# The PDF reader ran the three cover lines together.
PEEL_2023 = f"""
PEEL 2023–25 Police effectiveness, efficiency and legitimacy An inspection of Dyfed-Powys Police

Contents

Overall summary 1
Police powers and public treatment 5
Preventing crime 8
Managing offenders 12
Developing a positive workplace 15
Leadership and force management 18

Overall summary

Our judgments

This is the first time we have graded forces against the characteristics of good performance. {BODY}

Police powers and public treatment

Good

Dyfed-Powys Police is good at police powers and public treatment. The force uses stop and search fairly.
{BODY}

Preventing crime

Adequate

Dyfed-Powys Police is adequate at preventing crime. Neighbourhood teams work well on problem-solving.
{BODY}

Managing offenders

Dyfed-Powys Police requires improvement at managing offenders. The force does not manage registered sex
offenders well enough. {BODY}

Developing a positive workplace

Outstanding

Dyfed-Powys Police is outstanding at developing a positive workplace. {BODY}

Leadership and force management

Good

Dyfed-Powys Police is good at leadership and force management. {BODY}
"""


def test_peel_2018_19() -> None:
    report = ingest_text(PEEL_2018)
    meta = report.meta
    assert meta.title == "PEEL: Police effectiveness, efficiency and legitimacy 2018/19 – An inspection of Kent Police"
    assert (meta.force, meta.year, meta.published, meta.report_type) == ("Kent Police", 2018, "2019-05", "peel")
    grades = {heading: grade for heading, grade, _ in graded(report)}
    assert grades == {"Effectiveness": "Good", "How effectively does the force reduce crime and keep people safe?": "Good",
                      "Efficiency": "Good", "Legitimacy": "Outstanding"}
    themes = {heading: theme for heading, _, theme in graded(report)}
    assert themes["Efficiency"] == "efficiency" and themes["Legitimacy"] == "legitimacy"


def test_peel_2018_19_title_on_one_line() -> None:
    text = ("PEEL: Police effectiveness, efficiency and legitimacy 2018/19 – An inspection of Kent Police\n\n"
            "February 2020\n\n© HMICFRS 2020\n\n" + BODY)
    meta = ingest_text(text).meta
    assert meta.title == "PEEL: Police effectiveness, efficiency and legitimacy 2018/19 – An inspection of Kent Police"
    assert (meta.year, meta.published, meta.report_type) == (2018, "2020-02", "peel")


def test_peel_2021_22_graded_areas() -> None:
    report = ingest_text(PEEL_2021)
    meta = report.meta
    assert meta.title == ("PEEL 2021/22 – Police effectiveness, efficiency and legitimacy – "
                          "An inspection of Greater Manchester Police")
    assert (meta.force, meta.year, meta.published, meta.report_type) == ("Greater Manchester Police", 2021, None,
                                                                         "peel")
    assert graded(report) == [
        ("Investigating crime", "Requires improvement", "investigating_crime"),
        ("Protecting vulnerable people", "Adequate", "vulnerability"),
        ("Responding to the public", "Inadequate", "responding_to_public"),
        ("Building, supporting and protecting the workforce", "Good", "leadership_workforce"),
        ("Strategic planning, organisational management and value for money", "Adequate", "efficiency"),
    ]
    victims = section(report, "Providing a service to victims of crime")
    assert victims.level == 1 and victims.judgment is None
    findings = [s for s in report.sections if s.heading == "Main findings"]
    assert [s.path[0] for s in findings] == ["Investigating crime", "Protecting vulnerable people",
                                             "Responding to the public"]
    assert all(s.level == 2 and s.theme == t for s, t in
               zip(findings, ["investigating_crime", "vulnerability", "responding_to_public"], strict=True))
    area = section(report, "Areas for improvement")
    assert area.path == ("Investigating crime", "Areas for improvement") and area.question == "Investigating crime"
    assert section(report, "Innovative practice").path == ("Investigating crime", "Innovative practice")
    assert section(report, "Our judgments").judgment is None


def test_peel_2023_25_merged_cover() -> None:
    report = ingest_text(PEEL_2023)
    meta = report.meta
    assert meta.title == ("PEEL 2023–25 – Police effectiveness, efficiency and legitimacy – "
                          "An inspection of Dyfed-Powys Police")
    assert (meta.force, meta.year, meta.report_type) == ("Dyfed-Powys Police", 2023, "peel")
    assert graded(report) == [
        ("Police powers and public treatment", "Good", "legitimacy"),
        ("Preventing crime", "Adequate", "preventing_crime"),
        ("Managing offenders", "Requires improvement", "investigating_crime"),
        ("Developing a positive workplace", "Outstanding", "leadership_workforce"),
        ("Leadership and force management", "Good", "leadership_workforce"),
    ]


# ---------------------------------------------------------------- custody, crime data integrity, crime inspections

CUSTODY = """
Report on an unannounced inspection visit to police custody suites in

Essex

by HM Inspectorate of Prisons and HM Inspectorate of Constabulary and Fire & Rescue Services

12–23 March 2018

Contents

Introduction 5
Section 1. Summary 7
Section 2. Leadership, accountability and partnerships 13

Introduction

This report is one in a series of inspections of police custody carried out jointly by HM Inspectorate of
Prisons and HM Inspectorate of Constabulary and Fire & Rescue Services. We inspected the custody suites of
Essex Police at Basildon, Chelmsford and Colchester, where detainees are held in police custody.

Section 1. Summary

1.1 Essex Police had a clear focus on custody and detainees were generally treated well. The custody suites
were clean but some cells had ligature points.

Causes of concern

1.6 Detainees who were strip-searched were not always protected: the force did not record why a strip
search was carried out or who was present.

Recommendations

1.7 The force should make sure that detainees are only strip-searched when this is justified and recorded.

Areas for improvement

1.8 The force should improve the quality of pre-release risk assessments for detainees.

Section 2. Leadership, accountability and partnerships

Expected outcomes: there is a strategic focus on custody that promotes the safe and respectful treatment
of detainees.

2.1 Custody was overseen by a chief inspector. The care of detainees was monitored through a custody
performance meeting, and healthcare in the custody suites was commissioned from a private provider.
Custody staff told us that detainees with mental health needs waited too long for an assessment.
"""

CUSTODY_MERGED = ("Report on an unannounced inspection visit to police custody suites in Essex by HM Inspectorate "
                  "of Prisons and HM Inspectorate of Constabulary and Fire & Rescue Services 12–23 March 2018\n\n"
                  "Contents\n\nIntroduction 5\n\nIntroduction\n\nEssex Police held 25,000 detainees in custody. "
                  + BODY)

CDI_2019 = f"""
Hertfordshire Constabulary

Crime Data Integrity inspection 2019

October 2019

© HMICFRS 2019

ISBN: 978-1-78655-888-4

www.justiceinspectorates.gov.uk/hmicfrs

Contents

Summary ..... 3
Causes of concern ..... 5

Summary

Overall judgment

Good

Hertfordshire Constabulary records 94.3 percent of reported crime, in line with the Home Office Counting
Rules. The force has improved its crime recording since our 2014 inspection. {BODY}

Causes of concern

The force does not record all reports of rape as quickly as the National Crime Recording Standard requires.

Areas for improvement

- The force should improve how it records crimes reported by other agencies.
"""

FORCE_LIST = ("Avon and Somerset Constabulary, Bedfordshire Police, Cambridgeshire Constabulary, Cheshire "
              "Constabulary, Cleveland Police, Cumbria Constabulary, Derbyshire Constabulary, Devon and Cornwall "
              "Police, Dorset Police, Durham Constabulary, Dyfed-Powys Police, Essex Police, Gloucestershire "
              "Constabulary, Greater Manchester Police, Gwent Police, Hampshire Constabulary, Hertfordshire "
              "Constabulary, Humberside Police, Kent Police, Lancashire Constabulary, Leicestershire Police, "
              "Lincolnshire Police, Merseyside Police and the Metropolitan Police Service")

CRIME_RECORDING_2014 = f"""
Crime-recording: making the victim

count

The final report of an inspection of crime data integrity in police forces in England and Wales

November 2014

© HMIC 2014

ISBN: 978-1-78246-569-8

www.justiceinspectorates.gov.uk/hmic

Contents

Executive summary ..... 5

Executive summary

We inspected the crime-recording practices of all 43 police forces in England and Wales. We found that
the police under-record crime by 19 percent. Forces inspected included {FORCE_LIST}.

The Metropolitan Police Service under-recorded violent crime, as did Kent Police. The Metropolitan Police
Service has since improved. The Metropolitan Police Service has a new crime registrar.
"""

CRIME_INSPECTION_2014 = f"""
Crime inspection 2014

Hertfordshire Constabulary

November 2014

© HMIC 2014

ISBN: 978-1-78246-574-2

Contents

How effective is the force at cutting crime? ..... 3

How effective is the force at cutting crime?

Overall judgment

Good

Hertfordshire Constabulary is good at cutting crime. {BODY}

How effective is the force at reducing crime and preventing offending?

Good

The force has a strong focus on preventing crime and anti-social behaviour. {BODY}

How effective is the force at investigating offending?

Requires improvement

The force needs to improve the supervision of investigations. {BODY}
"""

DOMESTIC_ABUSE_2014 = f"""
Hertfordshire Constabulary’s approach to tackling domestic abuse

March 2014

© HMIC 2014

ISBN: 978-1-78246-381-6

Contents

Domestic abuse in Hertfordshire ..... 3

Domestic abuse in Hertfordshire

Domestic abuse accounts for 8 percent of all recorded crime in Hertfordshire. {BODY}

How well does the force identify those victims that are at risk from domestic abuse?

The force identifies repeat victims of domestic abuse well. {BODY}
"""


def test_custody_report() -> None:
    report = ingest_text(CUSTODY)
    meta = report.meta
    assert meta.title == "Report on an unannounced inspection visit to police custody suites in Essex"
    assert (meta.force, meta.year, meta.published, meta.report_type) == ("Essex Police", 2018, None, "custody")
    kinds = {s.heading: s.kind for s in report.sections}
    assert kinds["Causes of concern"] == "causes_of_concern" and kinds["Recommendations"] == "recommendations"
    assert kinds["Areas for improvement"] == "areas_for_improvement"
    for heading in ("Section 1. Summary", "Causes of concern", "Section 2. Leadership, accountability and partnerships"):
        assert section(report, heading).theme == "custody", heading


def test_custody_report_with_merged_cover() -> None:
    meta = ingest_text(CUSTODY_MERGED).meta
    assert meta.title == "Report on an unannounced inspection visit to police custody suites in Essex"
    assert (meta.force, meta.year, meta.report_type) == ("Essex Police", 2018, "custody")


def test_crime_data_integrity_2019() -> None:
    report = ingest_text(CDI_2019)
    meta = report.meta
    assert meta.title == "Hertfordshire Constabulary – Crime Data Integrity inspection 2019"
    assert (meta.force, meta.year, meta.published, meta.report_type) == ("Hertfordshire Constabulary", 2019,
                                                                         "2019-10", "crime_data_integrity")
    assert section(report, "Summary").judgment == "Good"
    assert section(report, "Causes of concern").theme == "crime_recording"


def test_national_crime_recording_report() -> None:
    report = ingest_text(CRIME_RECORDING_2014)
    meta = report.meta
    assert meta.title == "Crime-recording: making the victim count"
    assert (meta.force, meta.year, meta.published, meta.report_type) == (None, 2014, "2014-11",
                                                                         "crime_data_integrity")
    assert any("no single police force" in w for w in report.warnings)


def test_crime_inspection_2014() -> None:
    report = ingest_text(CRIME_INSPECTION_2014)
    meta = report.meta
    assert meta.title == "Crime inspection 2014 – Hertfordshire Constabulary"
    assert (meta.force, meta.year, meta.published, meta.report_type) == ("Hertfordshire Constabulary", 2014,
                                                                         "2014-11", "crime_inspection")
    grades = [(h, g) for h, g, _ in graded(report)]
    assert grades[1:] == [("How effective is the force at reducing crime and preventing offending?", "Good"),
                          ("How effective is the force at investigating offending?", "Requires improvement")]


def test_domestic_abuse_force_report() -> None:
    meta = ingest_text(DOMESTIC_ABUSE_2014).meta
    assert meta.title == "Hertfordshire Constabulary’s approach to tackling domestic abuse"
    assert (meta.force, meta.year, meta.published, meta.report_type) == ("Hertfordshire Constabulary", 2014,
                                                                         "2014-03", "vulnerability")


# ---------------------------------------------------------------- national thematic reports

STATE_OF_POLICING = f"""
State of Policing

The Annual Assessment of Policing in England and Wales

2016

Her Majesty's Chief Inspector of Constabulary

Presented to Parliament pursuant to section 54(4A) of the Police Act 1996

April 2017

© HMIC 2017

ISBN: 978-1-78655-354-4

Contents

Foreword ..... 3

Foreword

This is my fifth State of Policing report. In our PEEL inspections we graded {FORCE_LIST} and the remaining
forces. Kent Police and Durham Constabulary were judged outstanding. The Metropolitan Police Service, the
largest force, was judged good.
"""

STOP_AND_SEARCH = f"""
Stop and search powers: are the police using them

effectively and fairly?

July 2013

© HMIC 2013

ISBN: 978-1-78246-168-3

www.hmic.gov.uk

Contents

Executive summary ..... 3

Executive summary

We inspected all 43 police forces in England and Wales. In Bedfordshire Police, Cleveland Police and the
Metropolitan Police Service we reviewed 8,783 stop and search records. The Metropolitan Police Service
has reduced its use of stop and search. In the Metropolitan Police Service, officers record the grounds.
{BODY}
"""

BEST_USE_OF_TIME = f"""
Making best use of police time

An inspection of crime prevention, police attendance and use of police time

September 2014

© HMIC 2014

ISBN: 978-1-78246-522-3

Contents

Summary ..... 3

Summary

Between January and April 2014, HMIC carried out inspection fieldwork across all 43 forces in England
and Wales. Kent Police and Essex Police provided case studies. {BODY}
"""


@pytest.mark.parametrize(
    ("text", "title", "year", "published"),
    [
        (STATE_OF_POLICING, "State of Policing – The Annual Assessment of Policing in England and Wales 2016", 2016,
         "2017-04"),
        (STOP_AND_SEARCH, "Stop and search powers: are the police using them effectively and fairly?", 2013,
         "2013-07"),
        (BEST_USE_OF_TIME, "Making best use of police time – An inspection of crime prevention, police attendance "
                           "and use of police time", 2014, "2014-09"),
    ],
)
def test_national_thematic_reports(text: str, title: str, year: int, published: str) -> None:
    report = ingest_text(text)
    meta = report.meta
    assert (meta.title, meta.force, meta.year, meta.published, meta.report_type) == (title, None, year, published,
                                                                                     "thematic")
    assert report.warnings == ("no single police force recognised in the text: force left empty",)


# ---------------------------------------------------------------- letters

LETTER_2014 = f"""
Dru Sharpling CBE
HM Inspector of Constabulary

12 November 2014

Mr Simon Prince QPM
Chief Constable – Dyfed-Powys Police

Dear Chief Constable

Crime data integrity inspection: Dyfed-Powys

Between January and April 2014, HMIC carried out an inspection of crime data integrity in all 43 forces in
England and Wales. The findings that relate to your force are set out in this letter. {BODY}

Findings

- The force records most crimes correctly.

Yours sincerely

Dru Sharpling
HM Inspector of Constabulary
"""

LETTER_HMICFRS = f"""
Sir Thomas Winsor
HM Chief Inspector of Constabulary
HM Chief Inspector of Fire & Rescue Services

Mark Collins
Chief Constable
Dyfed-Powys Police
Police Headquarters
PO Box 99
Carmarthen SA31 2PF

Email: hmicfrs.correspondence@hmicfrs.gov.uk

6 March 2020

Dear Chief Constable,

I am writing to you about the findings of our inspection of the force's response to our 2019 recommendations.
As you know, we inspected all 43 forces. {BODY}

Yours sincerely,

Sir Thomas Winsor
HM Chief Inspector of Constabulary
"""

LETTER_MET = f"""
Zoë Billingham
HM Inspector of Constabulary

27 June 2018

Cressida Dick CBE QPM
Commissioner of Police of the Metropolis
New Scotland Yard

Dear Commissioner

Use of stop and search by the MPS: a revisit

In 2017 we inspected the use of stop and search in the Metropolitan Police Service. {BODY}

Yours sincerely

Zoë Billingham
HM Inspector of Constabulary
"""


def test_letter_to_another_force() -> None:
    report = ingest_text(LETTER_2014)
    meta = report.meta
    assert meta.title == "Crime data integrity inspection: Dyfed-Powys"
    assert (meta.force, meta.year, meta.published, meta.report_type) == ("Dyfed-Powys Police", 2014, "2014-11-12",
                                                                         "letter")
    assert "Findings" in [s.heading for s in report.sections]


def test_hmicfrs_letter_without_a_subject_line() -> None:
    meta = ingest_text(LETTER_HMICFRS).meta
    assert meta.title == "Letter to Dyfed-Powys Police"
    assert (meta.force, meta.year, meta.published, meta.report_type) == ("Dyfed-Powys Police", 2020, "2020-03-06",
                                                                         "letter")


def test_letter_to_the_met_by_alias() -> None:
    meta = ingest_text(LETTER_MET).meta
    assert meta.title == "Use of stop and search by the MPS: a revisit"
    assert (meta.force, meta.year, meta.published, meta.report_type) == ("Metropolitan Police Service", 2018,
                                                                         "2018-06-27", "letter")


# ---------------------------------------------------------------- titles and forces in awkward shapes


@pytest.mark.parametrize(
    ("cover", "title", "force"),
    [
        ("PEEL: Police efficiency 2017\n\nAn inspection of the\n\nMetropolitan Police Service\n\nNovember 2017",
         "PEEL: Police efficiency 2017 – An inspection of the Metropolitan Police Service",
         "Metropolitan Police Service"),
        ("PEEL: Police efficiency 2016 An inspection of Kent Police November 2016 © HMIC 2016 ISBN: 978-1-78655-239-4",
         "PEEL: Police efficiency 2016 – An inspection of Kent Police", "Kent Police"),
        ("HMICFRS\n\nPEEL: Police effectiveness 2017²\n\nAn inspection of Avon and Somerset Constabulary\n\nMarch 2018",
         "PEEL: Police effectiveness 2017 – An inspection of Avon and Somerset Constabulary",
         "Avon and Somerset Constabulary"),
        ("Stop and search in the MPS: a review of progress\n\nJune 2016", "Stop and search in the MPS: a review of "
                                                                             "progress", "Metropolitan Police Service"),
    ],
)
def test_titles_and_forces(cover: str, title: str, force: str) -> None:
    meta = ingest_text(cover + "\n\n" + BODY).meta
    assert (meta.title, meta.force) == (title, force)
    assert "..." not in meta.title and not meta.title[-1:].isdigit()


def test_year_is_the_inspection_year_named_in_the_title() -> None:
    facts = document_facts("PEEL: Police effectiveness 2015\n\nAn inspection of Kent Police\n\nMarch 2016\n\n"
                           + BODY, ())
    assert (facts.year, facts.published) == (2015, "2016-03")
    facts = document_facts("Crime-recording: making the victim count\n\nNovember 2014\n\n" + BODY, ())
    assert facts.year == 2014


def test_year_from_copyright_when_no_date() -> None:
    facts = document_facts("Inspection of Kent Police's custody arrangements\n\n© HMICFRS 2019\n\n" + BODY, ())
    assert (facts.year, facts.published, facts.force) == (2019, None, "Kent Police")


METHOD = "\n\nAbout this inspection\n\n{sentence} " + BODY


@pytest.mark.parametrize("front, sentence, period", [
    # a thematic dated by its publication, its fieldwork the year before: the period starts then
    ("Holding the line: an inspection of how police forces handle stalking\n\nPublished: March 2019",
     "Our fieldwork took place between October 2018 and January 2019 in six forces.", (2018, 2019)),
    ("Holding the line: an inspection of how police forces handle stalking\n\n© HMICFRS 2020",
     "Inspection visits to the six forces were carried out during the autumn of 2019.", (2019, 2020)),
    ("Holding the line: an inspection of how police forces handle stalking\n\nPublished: March 2019",
     "Inspectors visited each force for a week in November 2018.", (2018, 2019)),
    ("Holding the line: an inspection of how police forces handle stalking\n\nPublished: March 2019",
     "We inspected the six forces between October and December 2018.", (2018, 2019)),
    # 'we inspected' with no window of months is an earlier inspection (a revisit's), not this fieldwork
    ("Holding the line: an inspection of how police forces handle stalking\n\nPublished: March 2019",
     "In 2018 we inspected how the six forces handle stalking.", (2019, 2019)),
    # fieldwork in the year of publication, or further back than a year, leaves it alone
    ("Holding the line: an inspection of how police forces handle stalking\n\nPublished: March 2019",
     "Our fieldwork took place in January 2019.", (2019, 2019)),
    ("Holding the line: an inspection of how police forces handle stalking\n\nPublished: March 2019",
     "We last visited these forces in 2016 for the first inspection of stalking.", (2019, 2019)),
    # a year the text names for anything but the inspectors' own work does not count
    ("Holding the line: an inspection of how police forces handle stalking\n\nPublished: March 2019",
     "In 2018 the six forces recorded 12,000 stalking offences between them.", (2019, 2019)),
    # a period the title names is the period, whenever the fieldwork was
    ("PEEL: Police effectiveness 2017\n\nAn inspection of Kent Police\n\nMarch 2018",
     "Our fieldwork took place in 2016 and 2017.", (2017, 2017)),
])
def test_fieldwork_the_year_before_publication_starts_the_period(front: str, sentence: str,
                                                                period: tuple[int, int]) -> None:
    facts = document_facts(front + METHOD.format(sentence=sentence), ())
    assert (facts.year, facts.year_to) == period


def test_theme_vocabulary_for_graded_areas() -> None:
    expected = {
        "Preventing crime and anti-social behaviour": "preventing_crime",
        "Responding to the public": "responding_to_public",
        "Investigating crime": "investigating_crime",
        "Protecting vulnerable people": "vulnerability",
        "Managing offenders and suspects": "investigating_crime",
        "Disrupting serious organised crime": "serious_organised_crime",
        "Building, supporting and protecting the workforce": "leadership_workforce",
        "Strategic planning, organisational management and value for money": "efficiency",
        "Engaging with and treating the public with fairness and respect": "legitimacy",
        "Police powers and public treatment": "legitimacy",
        "Recording data about crime": "crime_recording",
        "Developing a positive workplace": "leadership_workforce",
        "Leadership and force management": "leadership_workforce",
    }
    assert {heading: classify_theme(heading) for heading in expected} == expected
    assert set(expected.values()) <= set(THEMES)


def test_metadata_is_fast_on_a_long_report() -> None:
    text = PEEL_EFFICIENCY_2016 + "\n\n".join([BODY + " Kent Police has improved."] * 3000)  # ~100 pages
    started = time.perf_counter()
    facts = document_facts(text, ())
    assert time.perf_counter() - started < 0.5
    assert facts.force == "Kent Police"


@pytest.mark.parametrize(
    ("cover", "title", "year", "report_type"),
    [
        ("Hertfordshire Constabulary Crime Data Integrity inspection 2019 October 2019 © HMICFRS 2019",
         "Hertfordshire Constabulary – Crime Data Integrity inspection 2019", 2019, "crime_data_integrity"),
        ("Crime inspection 2014 Hertfordshire Constabulary November 2014",
         "Crime inspection 2014 – Hertfordshire Constabulary", 2014, "crime_inspection"),
        ("PEEL: Police effectiveness\n\n2017\n\nAn inspection of Hertfordshire Constabulary\n\nMarch 2018",
         "PEEL: Police effectiveness 2017 – An inspection of Hertfordshire Constabulary", 2017, "peel_effectiveness"),
        ("PEEL: Police effectiveness 2015 (Vulnerability)\nAn inspection of Hertfordshire Constabulary\nDecember 2015",
         "PEEL: Police effectiveness 2015 (Vulnerability) – An inspection of Hertfordshire Constabulary", 2015,
         "vulnerability"),
        ("Crime data integrity\n\nInspection of Hertfordshire Constabulary\n\nSeptember 2014",
         "Crime data integrity – Inspection of Hertfordshire Constabulary", 2014, "crime_data_integrity"),
    ],
)
def test_covers_split_or_merged(cover: str, title: str, year: int, report_type: str) -> None:
    meta = ingest_text(cover + "\n\n" + BODY).meta
    assert (meta.title, meta.force, meta.year, meta.report_type) == (title, "Hertfordshire Constabulary", year,
                                                                     report_type)


def test_peel_efficiency_including_leadership_is_an_efficiency_report() -> None:
    meta = ingest_text("PEEL: Police efficiency (including leadership) 2017\n\nAn inspection of Hertfordshire "
                       "Constabulary\n\nNovember 2017\n\n" + BODY).meta
    assert meta.title == ("PEEL: Police efficiency (including leadership) 2017 – An inspection of Hertfordshire "
                          "Constabulary")
    assert (meta.year, meta.report_type) == (2017, "peel_efficiency")


def test_national_peel_overview_is_thematic() -> None:
    text = ("PEEL: Police effectiveness 2016\n\nA national overview\n\nMarch 2017\n\n© HMIC 2017\n\nWe inspected all 43 "
            "forces. Kent Police, Essex Police and Durham Constabulary were judged outstanding. Kent Police was "
            "praised. Kent Police improved.")
    meta = ingest_text(text).meta
    assert (meta.title, meta.force, meta.year, meta.report_type) == (
        "PEEL: Police effectiveness 2016 – A national overview", None, 2016, "thematic")


def test_letter_to_a_police_and_crime_commissioner() -> None:
    text = ("Zoë Billingham\nHM Inspector of Constabulary\n\n3 September 2014\n\nMs Katy Bourne\nPolice and Crime "
            "Commissioner for Sussex\n\nDear Katy\n\n" + BODY + "\n\nYours sincerely\n\nZoë Billingham")
    meta = ingest_text(text).meta
    assert (meta.title, meta.force, meta.year, meta.report_type) == ("Letter to Sussex Police", "Sussex Police", 2014,
                                                                     "letter")


# ---------------------------------------------------------------- what the text leaves unnamed


FORCE_OWN_PAGE = """
Our inspection results

Every year the inspectorate looks at how well we keep people safe, how we use our money and how fairly
we treat the public and our own people.

After the latest inspection (2017/18), we were rated good at keeping people safe and reducing crime.

The 2017/18 report also said that we should do more to understand future demand. Read the full report.
"""


@pytest.mark.parametrize("name", ["gwent-police-peel-2017-18.html", "our-results.html"])
def test_a_page_dated_by_nothing_else_takes_the_period_it_names_for_a_report(name: str) -> None:
    meta = ingest_text(FORCE_OWN_PAGE, source=name).meta
    assert (meta.year, meta.year_to) == (2017, 2018)
    assert meta.force is None  # read from the text alone: the file's name is never consulted
    named = ingest_text(FORCE_OWN_PAGE.replace("we were rated good", "Gwent Police was rated good"), source=name)
    assert named.meta.force == "Gwent Police"


def test_a_page_dated_by_nothing_at_all_has_no_period() -> None:
    undated = FORCE_OWN_PAGE.replace(" (2017/18)", "").replace("The 2017/18 report", "The report")
    assert ingest_text(undated, source="peel2016_gwent.txt").meta.year is None


def test_the_period_a_text_most_often_names_for_a_report() -> None:
    from ingest.dates import report_year_period
    text = ("Our 2015 report found gaps. The most recent inspection (2018/19) found progress, and the 2018/19 "
            "report praised the control room.")
    found = report_year_period(text)
    assert found is not None and (found.year_from, found.year_to) == (2018, 2019)
    assert report_year_period("Crime fell by 4% in 2016 and rose in 2017.") is None  # years, not reports
