"""Tests for ingest.readers: every fixture is generated in tmp_path at test time."""

from __future__ import annotations

import hashlib
import io
import random
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import readers
from ingest.read_pdf import rebuild_paragraphs
from ingest.readers import read_document, sniff_format
from ingest.types import IngestError, RawDocument

HINTS = ("re-download", "export", "run ocr", "remove", "split", "raise", "check", "convert", "save", "pass ",
         "make the file", "copy", "clean copy", "open it")

LOREM = ("The force has improved the way it investigates crime and keeps victims informed. Officers told us "
         "that supervisors review investigations regularly, and we found evidence of this in the case files "
         "we examined. ")


def assert_actionable(error: IngestError, name: str) -> None:
    """The message names the file, is one line, and says what to do after a colon."""
    message = str(error)
    assert name in message
    assert "\n" not in message
    assert ": " in error.reason
    assert any(hint in error.reason.lower() for hint in HINTS), error.reason


def refused(path: Path, **kwargs: object) -> IngestError:
    with pytest.raises(IngestError) as caught:
        read_document(path, **kwargs)
    assert_actionable(caught.value, path.name)
    return caught.value


def paragraphs(text: str) -> list[str]:
    return text.split("\n\n")


# ---------------------------------------------------------------- fixture builders


def make_report_pdf(path: Path) -> Path:
    """Three pages: headings (also as bookmarks), wrapped paragraphs, bullets and a footnote line."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    class Doc(SimpleDocTemplate):
        def afterFlowable(self, flowable: object) -> None:
            if isinstance(flowable, Paragraph) and flowable.style.name.startswith("Heading"):
                key = f"h{id(flowable)}"
                self.canv.bookmarkPage(key)
                self.canv.addOutlineEntry(flowable.getPlainText(), key, level=int(flowable.style.name[-1]) - 1)

    styles = getSampleStyleSheet()
    body, h1, h2 = styles["BodyText"], styles["Heading1"], styles["Heading2"]
    story = [
        Paragraph("Overview of the inspection", h1),
        Paragraph(LOREM * 3 + "Paragraph one ends here.", body),
        Paragraph("Second paragraph starts here and covers neighbourhood policing. " + LOREM * 2, body),
        Paragraph("Preventing crime", h2),
        Paragraph("Alpha phrase on page one. " + LOREM, body),
        Paragraph("\u00b9 This footnote explains the source of the data used in this section.", body),
        PageBreak(),
        Paragraph("Investigating crime", h1),
        Paragraph("Bravo phrase on page two. " + LOREM * 2, body),
        Paragraph("\u2022 First bullet about victims", body),
        Paragraph("\u2022 Second bullet about offenders", body),
        PageBreak(),
        Paragraph("Protecting vulnerable people", h2),
        Paragraph("Charlie phrase on page three. " + LOREM * 2, body),
    ]
    Doc(str(path), pagesize=A4).build(story)
    return path


def make_canvas_pdf(path: Path, pages: list[str], **canvas_kwargs: object) -> Path:
    """A simple PDF with one line of text per page (an empty string draws only a rectangle)."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), **canvas_kwargs)
    for line in pages:
        pdf.rect(50, 50, 200, 200)
        if line:
            pdf.drawString(72, 720, line)
        pdf.showPage()
    pdf.save()
    return path


HTML_PAGE = """<!DOCTYPE html>
<html lang="en"><head><title>Page title</title><style>body {color: red}</style>
<script>var tracking = "SCRIPT TEXT";</script></head>
<body>
<div class="govuk-cookie-banner" role="region"><h2>COOKIE BANNER</h2> We use cookies. <button>Accept</button></div>
<a class="govuk-skip-link" href="#content">SKIP LINK</a>
<header class="govuk-header" role="banner"><a href="/">SITE HEADER</a></header>
<nav><h2>NAV CONTENTS</h2><ul><li><a href="/a">NAV LINK</a></li></ul></nav>
<div class="govuk-breadcrumbs"><ol><li>BREADCRUMB HOME</li></ol></div>
<main id="content">
  <h1>Police effectiveness 2017</h1>
  <p>The force is   good at
     keeping people safe.<sup><a href="#fn4">4</a></sup></p>
  <div class="section-header"><h2>Summary</h2></div>
  <p>First line<br>second line</p>
  <ul><li>Point one</li><li>Point two</li></ul>
  <h3>Force in numbers</h3>
  <table><caption>Figure 1: Calls for service</caption>
    <thead><tr><th>Measure</th><th>Force</th><th>England and Wales</th></tr></thead>
    <tbody><tr><td>999 calls</td><td>12.5</td><td>11.0</td></tr></tbody>
  </table>
  <noscript>NOSCRIPT TEXT</noscript>
</main>
<footer class="govuk-footer" role="contentinfo">FOOTER TEXT Crown copyright</footer>
</body></html>
"""


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Inspection of Anyshire Police", level=0)
    document.add_heading("Summary", level=1)
    paragraph = document.add_paragraph("The force is good at keeping people safe and reducing crime in Anyshire.")
    paragraph.add_run("2").font.superscript = True
    document.add_paragraph("Victims are kept informed", style="List Bullet")
    document.add_heading("Force in numbers", level=2)
    table = document.add_table(rows=2, cols=3)
    for row, values in zip(table.rows, [("Measure", "Force", "National"), ("999 calls", "12.5", "11.0")],
                           strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("Text after the table.")
    document.save(str(path))
    return path


# ---------------------------------------------------------------- PDF


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory: pytest.TempPathFactory) -> RawDocument:
    return read_document(make_report_pdf(tmp_path_factory.mktemp("pdf") / "report.pdf"))


def test_pdf_page_spans_map_phrases_to_pages(report_pdf: RawDocument) -> None:
    doc = report_pdf
    assert doc.format == "pdf" and doc.source == "report.pdf"
    assert [span.page for span in doc.pages] == [1, 2, 3]
    for phrase, page in [("Alpha phrase", 1), ("Overview of the inspection", 1), ("Bravo phrase", 2),
                         ("Second bullet", 2), ("Charlie phrase", 3)]:
        offset = doc.text.index(phrase)
        assert [span.page for span in doc.pages if span.start <= offset < span.end] == [page], phrase
    assert doc.pages[-1].end == len(doc.text)
    assert doc.warnings == ()


def test_pdf_paragraphs_are_rebuilt(report_pdf: RawDocument) -> None:
    paras = paragraphs(report_pdf.text)
    assert "Overview of the inspection" in paras and "Preventing crime" in paras
    first = next(p for p in paras if p.startswith("The force has improved"))
    assert first.endswith("Paragraph one ends here.") and "\n" not in first
    assert any(p.startswith("Second paragraph starts here") for p in paras)
    assert any(p.startswith("\u00b9 This footnote explains") for p in paras)
    assert "- First bullet about victims" in paras and "- Second bullet about offenders" in paras


def test_pdf_outline_gives_heading_hints(report_pdf: RawDocument) -> None:
    found = {report_pdf.text[h.start:h.end]: h.level for h in report_pdf.headings}
    assert found == {"Overview of the inspection": 1, "Preventing crime": 2, "Investigating crime": 1,
                     "Protecting vulnerable people": 2}


def test_rebuild_paragraphs_joins_hyphenation_and_splits_bullets() -> None:
    page = ("Summary of findings\n"
            "The force has made good progress in how it carries out investi-\n"
            "gation of crime, and its work on anti-\n"
            "social behaviour is COVID-\n"
            "19 aware. Good.\n"
            "• It keeps victims informed\n"
            "1. It supervises cases")
    assert rebuild_paragraphs(page) == [
        "Summary of findings",
        "The force has made good progress in how it carries out investigation of crime, and its work on "
        "anti-social behaviour is COVID-19 aware. Good.",
        "- It keeps victims informed",
        "1. It supervises cases",
    ]


def test_pdf_owner_password_only_opens(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    plain = make_canvas_pdf(tmp_path / "plain.pdf", ["This page has plenty of readable text on it."])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    locked = tmp_path / "locked.pdf"
    with open(locked, "wb") as handle:
        writer.write(handle)
    assert "plenty of readable text" in read_document(locked).text


# ---------------------------------------------------------------- HTML


def test_html_structure(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(HTML_PAGE, encoding="utf-8")
    doc = read_document(path)
    assert doc.format == "html" and doc.pages == ()
    hints = [(doc.text[h.start:h.end], h.level) for h in doc.headings]
    assert hints == [("Police effectiveness 2017", 1), ("Summary", 2), ("Force in numbers", 3)]
    for junk in ("SCRIPT TEXT", "NAV LINK", "NAV CONTENTS", "FOOTER TEXT", "COOKIE BANNER", "SKIP LINK",
                 "BREADCRUMB", "SITE HEADER", "NOSCRIPT", "color: red", "Page title"):
        assert junk not in doc.text
    paras = paragraphs(doc.text)
    assert "The force is good at keeping people safe.\u2074" in paras
    assert "First line\nsecond line" in paras
    assert "- Point one" in paras and "- Point two" in paras
    assert ("Figure 1: Calls for service\nMeasure\tForce\tEngland and Wales\n999 calls\t12.5\t11.0") in paras


def test_html_without_main_keeps_body_and_header_with_title(tmp_path: Path) -> None:
    path = tmp_path / "old.htm"
    path.write_text("<html><body><nav>Menu items</nav><article><header><h1>Report title</h1></header>"
                    "<p>Body text of the report about crime prevention.</p></article></body></html>")
    doc = read_document(path)
    assert paragraphs(doc.text) == ["Report title", "Body text of the report about crime prevention."]


def test_html_falls_back_when_filters_take_everything(tmp_path: Path) -> None:
    path = tmp_path / "wrapped.html"
    path.write_text("<html><body><div id='menu-wrapper'><p>Report text wrapped in an oddly named element, "
                    "footnote<sup>[7]</sup>.</p></div></body></html>")
    assert read_document(path).text == "Report text wrapped in an oddly named element, footnote\u2077."


def test_deeply_nested_html_does_not_crash(tmp_path: Path) -> None:
    depth = 30_000
    path = tmp_path / "deep.html"
    path.write_text("<html><body><h1>Deep page</h1>" + "<div>" * depth + "<p>Text at the very bottom of "
                    "the nesting.</p>" + "</div>" * depth + "</body></html>")
    assert "Text at the very bottom" in read_document(path).text


# ---------------------------------------------------------------- DOCX


def test_docx_headings_lists_and_tables(tmp_path: Path) -> None:
    doc = read_document(make_docx(tmp_path / "report.docx"))
    assert doc.format == "docx"
    hints = [(doc.text[h.start:h.end], h.level) for h in doc.headings]
    assert hints == [("Inspection of Anyshire Police", 1), ("Summary", 1), ("Force in numbers", 2)]
    paras = paragraphs(doc.text)
    assert "The force is good at keeping people safe and reducing crime in Anyshire.\u00b2" in paras
    assert "- Victims are kept informed" in paras
    table = paras.index("Measure\tForce\tNational\n999 calls\t12.5\t11.0")
    assert paras[table + 1] == "Text after the table."


def test_docx_named_txt_is_still_docx(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "report.docx").rename(tmp_path / "misnamed.txt")
    assert read_document(path).format == "docx"


# ---------------------------------------------------------------- text


TEXT = "Overview\n\nThe force is good at keeping people safe – and it’s café-friendly.\n\nMeasure\tForce\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le"])
def test_text_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "report.txt"
    path.write_bytes(TEXT.replace("\n", "\r\n").encode(encoding))
    doc = read_document(path)
    assert doc.format == "text" and doc.text == TEXT and doc.warnings == () and doc.pages == ()
    assert doc.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_text_cp1252_warns(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes(TEXT.encode("cp1252"))
    doc = read_document(path)
    assert doc.text == TEXT
    assert doc.warnings == ("decoded as cp1252: check special characters",)


def test_text_mostly_utf8_with_a_stray_byte(tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    path.write_bytes(TEXT.encode("utf-8") + b"Stray \x92 byte.\n")
    doc = read_document(path)
    assert doc.text.startswith(TEXT) and "\ufffd" in doc.text
    assert doc.warnings == ("decoded as utf-8 with 1 undecodable byte(s) replaced: check special characters",)


def test_odd_file_name_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "a b;$(x)é.txt"
    path.write_text(TEXT, encoding="utf-8")
    doc = read_document(str(path))
    assert doc.source == "a b;$(x)é.txt" and doc.path == str(path)


# ---------------------------------------------------------------- sniffing


@pytest.mark.parametrize(("head", "expected"), [
    (b"\xef\xbb\xbf \n%PDF-1.7\n", "pdf"),
    (b"<!DOCTYPE html><html><body>x</body></html>", "html"),
    (b"\n\n  <html lang='en'>", "html"),
    (b"Report title\n<p>A paragraph</p>", "html"),
    (b"Plain report text with a < sign and <b> tag\n", "text"),
])
def test_sniff_format(head: bytes, expected: str) -> None:
    assert sniff_format(head) == expected


def test_sniff_refuses_non_docx_zip() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(IngestError, match="unsupported ZIP-based format"):
        sniff_format(buffer.getvalue(), "data.xlsx")


def test_max_file_mb_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSPECTQA_MAX_FILE_MB", "2")
    assert readers._limit_from_env() == 2 * 1024 * 1024
    monkeypatch.setenv("INSPECTQA_MAX_FILE_MB", "lots")
    assert readers._limit_from_env() == 50 * 1024 * 1024


# ---------------------------------------------------------------- bad inputs


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert "empty file" in refused(path).reason


def test_whitespace_only(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_bytes(b" \n\t\r\n  \n")
    assert "empty file" in refused(path).reason


def test_one_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "tiny.txt"
    path.write_bytes(b"x")
    assert "too short to be a report (1 characters)" in refused(path).reason


def test_odd_file_name_in_error(tmp_path: Path) -> None:
    path = tmp_path / "a b;$(x)é.txt"
    path.write_bytes(b"")
    refused(path)


def test_binary_junk_named_pdf(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + random.Random(1).randbytes(2048))
    reason = refused(path).reason
    assert "is not a PDF (its bytes look like a PNG image)" in reason


def test_html_error_page_named_pdf(tmp_path: Path) -> None:
    path = tmp_path / "download.pdf"
    path.write_text("<html><body><h1>403 Forbidden</h1><p>Access denied to this resource.</p></body></html>")
    assert "look like an HTML page" in refused(path).reason


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.bin"
    path.write_bytes(random.Random(2).randbytes(4096))
    assert "unsupported format" in refused(path).reason


def test_unknown_binary_format(tmp_path: Path) -> None:
    path = tmp_path / "legacy.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8)
    assert "old Word/Excel" in refused(path).reason


def test_rtf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "letter.rtf"
    path.write_text("{\\rtf1\\ansi Some letter text that is long enough to be a report.}")
    assert "an RTF document" in refused(path).reason


def test_spreadsheet_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert "unsupported ZIP-based format" in refused(path).reason


def test_truncated_pdf(tmp_path: Path) -> None:
    whole = make_report_pdf(tmp_path / "whole.pdf").read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(whole[: len(whole) // 3])
    reason = refused(path).reason
    assert "damaged PDF" in reason or "no text layer" in reason


def test_garbage_after_pdf_magic(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n" + random.Random(3).randbytes(2048))
    assert "damaged PDF" in refused(path).reason


def test_encrypted_pdf(tmp_path: Path) -> None:
    path = make_canvas_pdf(tmp_path / "secret.pdf", ["Confidential text of the report on this page."],
                           encrypt="secret")
    assert "encrypted PDF: remove the password" in refused(path).reason


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    path = make_canvas_pdf(tmp_path / "scan.pdf", ["", "", ""])
    assert "no text layer: run OCR first" in refused(path).reason


def test_zip_bomb_named_docx(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (8 * 1024 * 1024))
    assert "ZIP bomb suspected" in refused(path).reason


def test_corrupt_docx(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<not really xml")
    assert "damaged Word document" in refused(path).reason


def test_oversize_file(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text(TEXT * 50)
    reason = refused(path, max_bytes=100).reason
    assert "over the 100 bytes limit: split it or raise INSPECTQA_MAX_FILE_MB" in reason


def test_directory(tmp_path: Path) -> None:
    assert "folder" in refused(tmp_path).reason


def test_missing_path(tmp_path: Path) -> None:
    assert "file not found" in refused(tmp_path / "nowhere.pdf").reason


# ---------------------------------------------------------------- property


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


PREFIXES = [b"", b"%PDF-1.4\n", b"PK\x03\x04", b"<html><body><h1>", b"\xef\xbb\xbf", b"\xff\xfe", b"<p>"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=4096),
       name=st.sampled_from(["x.txt", "x.pdf", "x.docx", "x.html", "x"]))
def test_any_bytes_give_document_or_ingest_error(fuzz_dir: Path, prefix: bytes, body: bytes, name: str) -> None:
    path = fuzz_dir / name
    path.write_bytes(prefix + body)
    try:
        doc = read_document(path)
    except IngestError as error:
        assert_actionable(error, name)
    else:
        assert isinstance(doc, RawDocument) and doc.text.strip()
