"""Ingest of PDF and HTML versions of a report: sections, pages, footnotes, tables, page furniture.

The PDF is drawn with reportlab the way inspection reports are laid out: bold paragraphs as
headings (no bookmarks, so nothing but the text tells where a heading is), a running header and
a page number on every page but the cover, footnote markers as raised digits (which the PDF
reader reads as plain digits glued to the word) with the footnote at the foot of the page, a
paragraph cut by a page break, and a table.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunk import chunk_report
from ingest.clean import clean_document
from ingest.pipeline import ingest_path
from ingest.types import PageSpan, RawDocument, Report, Section

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = (ROOT / "reports" / "001_c0284af982d288b6.txt").read_text(encoding="utf-8")
RUNNING_HEADER = "PEEL: Police effectiveness 2015 – Hertfordshire Constabulary"
Q_PREVENT = "How effective is the force at preventing crime and anti-social behaviour, and keeping people safe?"
Q_RESOURCES = "How well are resources allocated to prevent crime and anti-social behaviour?"
Q_INVESTIGATE = "How effective is the force at investigating crime and managing offenders?"
OVERVIEW = "Overview – How effective is the force at keeping people safe and reducing crime?"
FOOTNOTE = ("A distraction burglary is where the offender tricks or dupes the occupant or distracts them, allowing "
            "the other person they are working with to gain access to the property and commit burglary.")


def sample_paragraph(start: str) -> str:
    """The sample report's paragraph that starts with ``start``."""
    return SAMPLE[SAMPLE.index(start):].split("\n\n")[0]


def figure2_rows() -> list[list[str]]:
    block = SAMPLE[SAMPLE.index("Rates per 1,000 population\t"):].split("\n\n")[0]
    return [line.split("\t") for line in block.split("\n")]


def make_pdf(path: Path) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import BaseDocTemplate, Frame, PageBreak, PageTemplate, Paragraph, Table

    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    bold = ParagraphStyle("BoldHeading", parent=body, fontName="Helvetica-Bold", fontSize=11, leading=14)
    small = ParagraphStyle("Footnote", parent=body, fontSize=7, leading=8)
    footnotes = {3: "\u00b9 " + FOOTNOTE}  # the PDF's standard fonts have no superscript digits past 3

    def header(canv: object, doc: object) -> None:
        if doc.page > 1:
            canv.setFont("Helvetica", 8)
            canv.drawString(2 * cm, A4[1] - 1.2 * cm, RUNNING_HEADER)

    def footer(canv: object, doc: object) -> None:
        if doc.page in footnotes:
            note = Paragraph(footnotes[doc.page], small)
            note.wrapOn(canv, A4[0] - 4 * cm, 3 * cm)
            note.drawOn(canv, 2 * cm, 1.5 * cm)
        if doc.page > 1:
            canv.setFont("Helvetica", 8)
            canv.drawCentredString(A4[0] / 2, 1 * cm, str(doc.page))

    def para(start: str) -> Paragraph:
        return Paragraph(sample_paragraph(start), body)

    manhunt = sample_paragraph("The constabulary has developed individual prevention").replace(
        "taken place.\u2074", "taken place.<super>1</super>")
    story = [
        Paragraph("PEEL: Police effectiveness 2015", styles["Title"]),
        Paragraph("An inspection of Hertfordshire Constabulary", body),
        Paragraph("February 2016", body),
        Paragraph("\u00a9 HMIC 2016", body),
        PageBreak(),
        Paragraph(OVERVIEW, bold), Paragraph("Good", bold),
        para("HMIC judges Hertfordshire Constabulary to be good overall"),
        para("It is good at preventing crime and anti-social behaviour."),
        PageBreak(),
        Paragraph(Q_PREVENT, bold), Paragraph("Good", bold),
        para("The police's ability to prevent crime"),
        Paragraph(Q_RESOURCES, bold),
        para("The constabulary effectively allocates officers"),
        Paragraph("Figure 2: Police recorded crime rates (per 1,000 population) for the 12 months to 30 June 2015",
                  body),
        Table(figure2_rows()),
        Paragraph("Source: Home Office data, HMIC data return", body),
        Paragraph(manhunt, body),
        para("HMIC found that local officers and staff are carrying"),
        para("In one area, police and partner organisations"),
        para("HMIC saw good examples of innovative initiatives"),  # cut by the page break
        para("In HMIC's 2014 crime inspection, we recommended"),
        PageBreak(),
        Paragraph(Q_INVESTIGATE, bold), Paragraph("Good", bold),
        para("When a crime occurs, the public must have"),
        para("HMIC referred to national standards"),
    ]
    doc = BaseDocTemplate(str(path), pagesize=A4, title="PEEL: Police effectiveness 2015")
    frame = Frame(2 * cm, 2.8 * cm, A4[0] - 4 * cm, A4[1] - 4.8 * cm)
    doc.addPageTemplates([PageTemplate("page", [frame], onPage=header, onPageEnd=footer)])
    doc.build(story)
    return path


HTML = """<!DOCTYPE html>
<html lang="en"><head><title>PEEL 2015 | HMICFRS</title>
<script>window.dataLayer = ["SCRIPT TEXT"];</script></head>
<body>
<nav class="site-nav"><ul><li><a href="/">NAV HOME</a></li><li><a href="/publications">NAV PUBLICATIONS</a></li>
</ul></nav>
<main>
<h1>PEEL: Police effectiveness 2015 – An inspection of Hertfordshire Constabulary</h1>
<p>Published February 2016</p>
<h2>{overview}</h2>
<p><strong>Good</strong></p>
<p>HMIC judges Hertfordshire Constabulary to be good overall in the way it keeps people safe and reduces crime.
Improvement is needed in the way vulnerable people<sup>2</sup> are protected from harm.</p>
<h2>{q_prevent}</h2>
<p>Good</p>
<p>{prevent}</p>
<h3>{q_resources}</h3>
<p>A good example is Operation Manhunt, where PCSOs visit elderly people in areas where distraction burglaries
have taken place.<sup><a href="#fn4">4</a></sup> Together with local partners, they put appropriate safeguarding
measures in place.</p>
<table><caption>Figure 2: Police recorded crime rates (per 1,000 population) for the 12 months to 30 June 2015
</caption>
<thead><tr><th>Rates per 1,000 population</th><th>Hertfordshire Constabulary</th><th>England and Wales</th></tr>
</thead><tbody><tr><td>Recorded crime (excluding fraud)</td><td>50.2</td><td>63.0</td></tr>
<tr><td>Victim-based crime</td><td>43.7</td><td>56.0</td></tr></tbody></table>
<p>Source: Home Office data</p>
<h2>{q_investigate}</h2>
<p>Requires improvement</p>
<p>{investigate}</p>
<h2>Footnotes</h2>
<ol class="footnotes">
<li>A statement about footnote one, which no marker in this page cites.</li>
<li id="fn2">A vulnerable person is someone who is in need of special care, support, or protection.</li>
<li>Question 3 was inspected between June and August 2015.</li>
<li id="fn4">{footnote}</li>
</ol>
</main>
<footer>FOOTER TEXT © HMICFRS</footer>
</body></html>
"""


def make_html(path: Path) -> Path:
    path.write_text(HTML.format(
        overview=OVERVIEW, q_prevent=Q_PREVENT, q_resources=Q_RESOURCES, q_investigate=Q_INVESTIGATE,
        prevent=sample_paragraph("The police's ability to prevent crime"),
        investigate=sample_paragraph("When a crime occurs, the public must have"), footnote=FOOTNOTE,
    ), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pdf_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return ingest_path(make_pdf(tmp_path_factory.mktemp("pdf") / "peel-2015.pdf"))


@pytest.fixture(scope="module")
def html_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return ingest_path(make_html(tmp_path_factory.mktemp("html") / "peel-2015.html"))


def named(report: Report, heading: str) -> Section:
    return next(s for s in report.sections if s.heading == heading)


# ---------------------------------------------------------------- PDF


def test_pdf_metadata(pdf_report: Report) -> None:
    meta = pdf_report.meta
    assert meta.format == "pdf" and meta.force == "Hertfordshire Constabulary"
    assert (meta.year, meta.report_type, meta.published) == (2015, "peel_effectiveness", "2016-02")
    assert meta.title == "PEEL: Police effectiveness 2015 – An inspection of Hertfordshire Constabulary"


def test_pdf_bold_headings_become_sections(pdf_report: Report) -> None:
    outline = [(s.heading, s.level, s.kind, s.judgment) for s in pdf_report.sections if s.kind != "front_matter"]
    assert outline == [
        (OVERVIEW, 1, "overview", "Good"),
        (Q_PREVENT, 1, "question", "Good"),
        (Q_RESOURCES, 2, "question", None),
        (Q_INVESTIGATE, 1, "question", "Good"),
    ]
    assert named(pdf_report, Q_RESOURCES).path == (Q_PREVENT, Q_RESOURCES)
    for section in pdf_report.sections:
        assert section.text == pdf_report.text[section.start:section.end]


def test_pdf_page_numbers_of_sections_and_chunks(pdf_report: Report) -> None:
    pages = {s.heading: s.page for s in pdf_report.sections}
    assert pages == {"Front matter": 1, OVERVIEW: 2, Q_PREVENT: 3, Q_RESOURCES: 3, Q_INVESTIGATE: 5}
    chunks = chunk_report(pdf_report)
    assert {c.page for c in chunks if "When a crime occurs, the public must have" in c.text} == {5}
    assert {c.page for c in chunks if "The constabulary has developed individual" in c.text} == {3}
    assert {c.page for c in chunks if c.is_table} == {3}
    for chunk in chunks:
        section = next(s for s in pdf_report.sections if s.section_id == chunk.section_id)
        assert chunk.page == pdf_report.page_at(section.start + chunk.start)
        assert chunk.page is not None


def test_pdf_page_furniture_is_dropped(pdf_report: Report) -> None:
    paragraphs = pdf_report.text.split("\n\n")
    assert RUNNING_HEADER not in pdf_report.text
    assert not [p for p in paragraphs if p.strip().isdigit()]
    # The cover's title is not taken for a running header.
    assert pdf_report.text.startswith("PEEL: Police effectiveness 2015")


def test_pdf_paragraph_cut_by_page_break_is_rejoined(pdf_report: Report) -> None:
    assert "plans to create an innovation hub where good ideas will be recorded" in pdf_report.text
    section = named(pdf_report, Q_RESOURCES)
    assert "innovation hub" in section.text


def test_pdf_footnote_marker_is_linked(pdf_report: Report) -> None:
    [note] = pdf_report.footnotes
    assert note.number == 1 and note.text == FOOTNOTE and note.page == 3
    assert note.marker_start is not None
    assert pdf_report.text[:note.marker_start + 1].endswith("distraction burglaries have taken place.¹")
    assert note.section_id == named(pdf_report, Q_RESOURCES).section_id
    assert "place.1 Together" not in pdf_report.text


def test_pdf_table_read_cell_by_cell_is_rebuilt(pdf_report: Report) -> None:
    [figure] = named(pdf_report, Q_RESOURCES).figures
    assert figure.caption.startswith("Figure 2: Police recorded crime rates")
    expected = [tuple(row) for row in figure2_rows()]
    assert figure.rows[1:] == tuple(expected[1:])
    assert figure.rows[0][1:] == expected[0][1:]  # the label column's head ran into the caption
    assert figure.source_note == "Source: Home Office data, HMIC data return"
    [table] = [c for c in chunk_report(pdf_report) if c.is_table]
    assert "Victim-based crime | 43.7 | 56.0" in table.embed_text


# ---------------------------------------------------------------- HTML


def test_html_sections_and_metadata(html_report: Report) -> None:
    meta = html_report.meta
    assert (meta.format, meta.force, meta.year, meta.report_type, meta.published) == (
        "html", "Hertfordshire Constabulary", 2015, "peel_effectiveness", "2016-02")
    outline = [(s.heading, s.level, s.judgment) for s in html_report.sections]
    assert outline[:5] == [
        ("PEEL: Police effectiveness 2015 – An inspection of Hertfordshire Constabulary", 1, None),
        (OVERVIEW, 1, "Good"),
        (Q_PREVENT, 1, "Good"),
        (Q_RESOURCES, 2, None),
        (Q_INVESTIGATE, 1, "Requires improvement"),
    ]
    assert named(html_report, Q_RESOURCES).path == (Q_PREVENT, Q_RESOURCES)
    assert all(s.page is None for s in html_report.sections)


def test_html_navigation_and_script_are_absent(html_report: Report) -> None:
    for junk in ("SCRIPT TEXT", "NAV HOME", "NAV PUBLICATIONS", "FOOTER TEXT", "dataLayer"):
        assert junk not in html_report.text
        assert not any(junk in c.text for c in chunk_report(html_report))


def test_html_sup_markers_and_footnote_list_are_linked(html_report: Report) -> None:
    notes = {f.number: f for f in html_report.footnotes}
    assert notes[4].text == FOOTNOTE and notes[2].text.startswith("A vulnerable person")
    marker = notes[4].marker_start
    assert marker is not None and html_report.text[marker] == "⁴"
    assert notes[4].section_id == named(html_report, Q_RESOURCES).section_id
    assert notes[2].section_id == named(html_report, OVERVIEW).section_id
    assert "- A distraction burglary" not in html_report.text


def test_html_table_is_tab_separated(html_report: Report) -> None:
    [figure] = named(html_report, Q_RESOURCES).figures
    assert figure.rows == (("Rates per 1,000 population", "Hertfordshire Constabulary", "England and Wales"),
                           ("Recorded crime (excluding fraud)", "50.2", "63.0"), ("Victim-based crime", "43.7", "56.0"))
    start = html_report.text.index("Rates per 1,000 population\t")
    assert html_report.text[start:].startswith("Rates per 1,000 population\tHertfordshire Constabulary\tEngland and Wales\n"
                                               "Recorded crime (excluding fraud)\t50.2\t63.0")


# ---------------------------------------------------------------- page furniture, unit level


def paginated(pages: list[list[str]]) -> RawDocument:
    """A RawDocument whose pages hold the given paragraphs, as the PDF reader produces them."""
    text, spans = "", []
    for number, paragraphs in enumerate(pages, start=1):
        start = len(text) + (2 if text else 0)
        text = "\n\n".join([text, *paragraphs]) if text else "\n\n".join(paragraphs)
        spans.append(PageSpan(start, len(text), number))
    return RawDocument(source="x.pdf", path="x.pdf", format="pdf", text=text, content_hash="0", pages=tuple(spans))


BODY = "The force has improved the way it investigates crime and keeps victims informed of progress."
OPENINGS = ["Officers told us", "We found that", "In 2019 the force", "Supervisors review", "Victims said",
            "The constabulary", "Staff told us"]


def body(n: int) -> str:
    """A body paragraph whose opening words differ from page to page."""
    return f"{OPENINGS[n % len(OPENINGS)]} that the force has improved the way it investigates crime."


def kept_texts(pages: list[list[str]]) -> list[str]:
    return [b.text for b in clean_document(paginated(pages)).blocks]


def test_page_numbers_and_repeated_headers_are_furniture() -> None:
    pages = [["Kent Police inspection report", "March 2019"]]
    pages += [["Kent Police inspection report", body(n), f"Page {n} of 6"] for n in range(2, 7)]
    cleaned = clean_document(paginated(pages))
    texts = [b.text for b in cleaned.blocks]
    assert texts[:2] == ["Kent Police inspection report", "March 2019"]  # the cover keeps its title
    assert texts[2:] == [body(n) for n in range(2, 7)]
    assert {b.kind for b in cleaned.furniture} == {"furniture"} and len(cleaned.furniture) == 10


def test_running_footer_with_page_number_and_merged_page_numbers() -> None:
    pages = [["Cover"]] + [[body(n), f"PEEL 2021/22 – Kent Police {n}"] for n in range(2, 5)]
    pages += [[body(5) + " 5"], [body(6) + " 6"]]  # the reader ran the page number into the paragraph
    assert kept_texts(pages) == ["Cover"] + [body(n) for n in range(2, 7)]


def test_running_header_run_into_a_paragraph_is_cut_off() -> None:
    header = "Crime Data Integrity inspection 2019 – Kent Police"
    pages = [["Cover"]] + [[header, body(n)] for n in range(2, 5)]
    pages += [[header + " and keeps victims informed.", body(5)]]
    assert kept_texts(pages)[-2:] == ["and keeps victims informed.", body(5)]


def test_headings_repeated_on_a_few_page_tops_are_not_furniture() -> None:
    pages = [["Cover"]] + [[body(n)] for n in range(15)]
    for n in (3, 7, 11):
        pages[n] = ["Summary of findings", body(n)]
    assert kept_texts(pages).count("Summary of findings") == 3


def test_text_without_pages_is_untouched() -> None:
    raw = RawDocument(source="x.txt", path="x.txt", format="text", text="12\n\n" + BODY + "\n\n13",
                      content_hash="0")
    assert [b.text for b in clean_document(raw).blocks] == ["12", BODY, "13"]


def test_table_read_one_cell_per_line_with_heading_after_it() -> None:
    cells = ["Figure 3: Victim satisfaction", "Measure", "Kent Police", "England and Wales", "Satisfied", "87.6",
             "83.8", "Kept informed", "79.0", "75.1", "Areas for improvement"]
    pages = [["Cover"], [body(1), *cells, "- The force should keep victims informed."], [body(2)]]
    blocks = clean_document(paginated(pages)).blocks
    table = next(b for b in blocks if b.kind == "table")
    assert table.text == ("Measure\tKent Police\tEngland and Wales\nSatisfied\t87.6\t83.8\n"
                          "Kept informed\t79.0\t75.1")
    texts = [b.text for b in blocks]
    assert texts.index("Figure 3: Victim satisfaction") + 1 == texts.index(table.text)
    assert texts[texts.index(table.text) + 1] == "Areas for improvement"


def test_plain_digit_footnote_at_the_foot_of_a_page() -> None:
    pages = [["Cover"],
             ["PCSOs visit elderly people where distraction burglaries have taken place.4 Together with partners, "
              "they put safeguarding measures in place.", "4 A distraction burglary is where the offender tricks "
              "the occupant."],
             [body(3) + " In 2019.5 Staff said so."]]
    cleaned = clean_document(paginated(pages))
    assert [(f.number, f.text) for f in cleaned.footnotes] == [
        (4, "A distraction burglary is where the offender tricks the occupant.")]
    assert "taken place.⁴ Together" in cleaned.blocks[1].text
    assert "2019.5 Staff" in cleaned.blocks[2].text  # no footnote 5: the digits stay as they are
