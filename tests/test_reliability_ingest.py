"""Reliability of ingest and indexing on bad input: nothing crashes, each bad file gets one clear
error that names it and says what to do, and the good files of the same run are indexed.

Every hostile file is generated here, in tmp_path: random and mutated bytes (hypothesis),
truncated and byte-flipped PDFs, PDFs with broken cross-reference tables, deeply nested and
huge HTML, a zip bomb named .docx, unusual text encodings, empty and one-byte files, a very
long line and file names with spaces, unicode and shell metacharacters.
"""

from __future__ import annotations

import os
import random
import re
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import LETTER, PEEL_2015, ROOT, KeywordEmbedder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.chunk import chunk_report, sentence_units
from ingest.pipeline import ingest_path, ingest_paths
from ingest.types import IngestError, Report

LETTER_TEXT = LETTER.read_text(encoding="utf-8")
PEEL_TEXT = PEEL_2015.read_text(encoding="utf-8")
LETTER_PHRASE = "strong preventative policing ethos"
ACTIONS = ("re-download", "export", "run ocr", "remove", "split", "raise", "check", "convert", "save", "pass ",
           "make the file", "copy", "clean copy", "open it", "report this file", "rename")
NASTY_NAMES = [
    "report with spaces.txt",
    "rapport d’inspection – Zoë ünïcödé 報告 ☃.txt",
    "$(touch pwned); `id` & echo | cat > x ; 'q' \"d\" *?[a].txt",
    "-rf --help.txt",
    "tab\there.txt",
    "new\nline.txt",
    "..\\..\\windows.txt",
    "<img src=x onerror=alert(1)>.txt",
]


def assert_clear_error(message: str | None, name: str) -> None:
    """One line that names the file and says what to do."""
    assert message, "expected an error message"
    assert _display(name) in message, (name, message)
    assert "\n" not in message and "Traceback" not in message
    reason = message.split(": ", 1)[1] if ": " in message else message
    assert any(action in reason.lower() for action in ACTIONS), message


def _display(name: str) -> str:
    """How an error message shows a file name: control characters escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)


def assert_report_or_clear_error(path: Path) -> Report | None:
    """ingest_path either gives a report whose chunks are verbatim, or a clear IngestError."""
    try:
        report = ingest_path(path)
    except IngestError as error:
        assert_clear_error(str(error), path.name)
        assert "could not be structured" not in str(error), f"a structuring bug: {error}"
        return None
    assert report.text.strip()
    chunks = chunk_report(report)
    sections = {s.section_id: s for s in report.sections}
    for chunk in chunks:
        assert sections[chunk.section_id].text[chunk.start:chunk.end] == chunk.text
        sentence_units(chunk)
    return report


# ---------------------------------------------------------------- fixture builders


def make_pdf(path: Path, text: str = LETTER_TEXT) -> Path:
    """A PDF of ``text``, one paragraph per blank-line-separated block."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    body = getSampleStyleSheet()["BodyText"]
    story = [Paragraph(p.replace("&", "&amp;").replace("<", "&lt;"), body) for p in text.split("\n\n") if p.strip()]
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    return path


def make_zip_bomb(path: Path) -> Path:
    """A .docx-named ZIP whose document part inflates 1000-fold (8 MB from about 8 KB)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (8 * 1024 * 1024))
    return path


@pytest.fixture(scope="module")
def letter_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return make_pdf(tmp_path_factory.mktemp("pdf") / "letter.pdf").read_bytes()


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# ---------------------------------------------------------------- property tests

PREFIXES = [b"", b"%PDF-1.4\n", b"PK\x03\x04", b"<html><body><h1>", b"\xef\xbb\xbf", b"\xff\xfe", b"<p>",
            b"{\\rtf1", b"\x89PNG"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=4096),
       name=st.sampled_from(["x.txt", "x.pdf", "x.docx", "x.html", "x", "x.md"]))
def test_random_bytes_give_a_report_or_a_clear_error(fuzz_dir: Path, prefix: bytes, body: bytes, name: str) -> None:
    path = fuzz_dir / name
    path.write_bytes(prefix + body)
    results = list(ingest_paths([path]))
    assert len(results) == 1
    if results[0].report is None:
        assert_clear_error(results[0].error, name)
    else:
        assert_report_or_clear_error(path)


_REPORT_LINES = [line for line in (LETTER_TEXT + "\n" + PEEL_TEXT).splitlines() if line.strip()]
_PIECES = st.one_of(
    st.sampled_from(_REPORT_LINES), st.text(max_size=120),
    st.sampled_from(["", "\t", "¹", "²³", "- ", "Figure 1: Crime rates", "Source: Home Office", "\f", "Summary",
                     "Areas for improvement", "Good", "Requires improvement", "Contents", "1", "Page 3 of 12",
                     "Hertfordshire Constabulary", "PEEL: Police effectiveness 2015", "a\tb\tc"]),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.tuples(_PIECES, st.sampled_from(["\n", "\n\n", " ", "\t", "\r\n", "\n\n\n"])),
                      max_size=60),
       as_html=st.booleans())
def test_report_like_text_is_structured_and_chunked(fuzz_dir: Path, parts: list[tuple[str, str]],
                                                    as_html: bool) -> None:
    """Shuffled report lines and arbitrary unicode go through sections, metadata and chunking."""
    if as_html:
        from html import escape

        body = "".join(f"<h2>{escape(p)}</h2>" if i % 5 == 0 else f"<p>{escape(p)}</p>"
                       for i, (p, _sep) in enumerate(parts))
        text, name = f"<html><body>{body}</body></html>", "fuzz.html"
    else:
        text, name = "".join(p + sep for p, sep in parts), "fuzz.txt"
    path = fuzz_dir / name
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    assert_report_or_clear_error(path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.floats(0.0, 1.0), flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), max_size=12))
def test_truncated_and_corrupted_pdfs(fuzz_dir: Path, letter_pdf: bytes, cut: float,
                                      flips: list[tuple[float, int]]) -> None:
    data = bytearray(letter_pdf[: max(1, int(len(letter_pdf) * cut))] if cut < 1.0 else letter_pdf)
    for where, value in flips:
        data[min(len(data) - 1, int(where * len(data)))] = value
    path = fuzz_dir / "damaged.pdf"
    path.write_bytes(bytes(data))
    assert_report_or_clear_error(path)


# ---------------------------------------------------------------- PDFs with broken cross-references


def _break_xref(pdf: bytes, how: str) -> bytes:
    start = re.search(rb"startxref\s+(\d+)", pdf)
    table = pdf.rindex(b"\nxref\n") + 1
    trailer = pdf.index(b"trailer", table)
    if how == "startxref points elsewhere":
        return pdf[: start.start(1)] + b"999" + pdf[start.end(1):]
    if how == "startxref is zero":
        return pdf[: start.start(1)] + b"0" + pdf[start.end(1):]
    if how == "offsets garbled":
        return pdf[:table] + re.sub(rb"\d{10} \d{5}", b"0000000001 00000", pdf[table:trailer]) + pdf[trailer:]
    if how == "table missing":
        return pdf[:table] + pdf[trailer:]
    if how == "table and trailer missing":
        return pdf[:table]
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["startxref points elsewhere", "startxref is zero", "offsets garbled",
                                 "table missing"])
def test_pdf_with_broken_xref_is_repaired_with_a_warning(tmp_path: Path, letter_pdf: bytes, how: str) -> None:
    path = tmp_path / "broken xref.pdf"
    path.write_bytes(_break_xref(letter_pdf, how))
    report = assert_report_or_clear_error(path)
    assert report is not None, "the objects are intact, so the text can be recovered"
    assert LETTER_PHRASE in " ".join(report.text.split())
    assert any("PDF has problems" in w and "check the text is complete" in w for w in report.warnings)


def test_pdf_without_trailer_is_refused_clearly(tmp_path: Path, letter_pdf: bytes) -> None:
    path = tmp_path / "no trailer.pdf"
    path.write_bytes(_break_xref(letter_pdf, "table and trailer missing"))
    assert assert_report_or_clear_error(path) is None


# ---------------------------------------------------------------- HTML


def _letter_html() -> str:
    from html import escape

    return "".join(f"<p>{escape(p)}</p>" for p in LETTER_TEXT.split("\n\n") if p.strip())


@pytest.mark.parametrize("shape", ["closed", "unclosed", "mixed tags"])
def test_deeply_nested_html(tmp_path: Path, shape: str) -> None:
    depth = 50_000
    body = _letter_html()
    markup = {
        "closed": "<div>" * depth + body + "</div>" * depth,
        "unclosed": "<div>" * depth + body,
        "mixed tags": "<div><section><b>" * (depth // 3) + body,
    }[shape]
    path = tmp_path / "nested.html"
    path.write_text(f"<!DOCTYPE html><html><body>{markup}</body></html>", encoding="utf-8")
    report = assert_report_or_clear_error(path)
    assert report is not None and LETTER_PHRASE in report.text
    assert "<div>" not in report.text


def test_nested_markup_without_html_element_is_read_as_html(tmp_path: Path) -> None:
    """A page saved as a fragment (no <html>, only <div>s) is markup, not text full of tags."""
    path = tmp_path / "fragment.html"
    path.write_text("<div>" * 2000 + _letter_html() + "</div>" * 2000, encoding="utf-8")
    report = assert_report_or_clear_error(path)
    assert report is not None and LETTER_PHRASE in report.text
    assert "<div>" not in report.text


@pytest.mark.slow
def test_huge_html(tmp_path: Path) -> None:
    """About 5 MB: the letter's paragraphs repeated, plus a million empty inline tags."""
    body = _letter_html()
    path = tmp_path / "huge.html"
    path.write_text("<html><body>" + body * 400 + "<b></b>" * 100_000 + "</body></html>", encoding="utf-8")
    assert path.stat().st_size > 3_000_000
    report = ingest_path(path)
    assert LETTER_PHRASE in report.text and "<b>" not in report.text


# ---------------------------------------------------------------- encodings


def _encoded(encoding: str) -> tuple[bytes, str]:
    """The letter in ``encoding`` plus a line the encoding can carry; returns (bytes, that line)."""
    extra = {
        "utf-16": "Zoë’s “review” — £100 報告",
        "utf-16-le": "Zoë’s “review” — £100 報告",
        "cp1252": "Zoë’s “review” — £100",
        "latin-1": "Zoë's review £100 café",
        "shift_jis": "報告書のテキスト",
    }[encoding]
    return LETTER_TEXT.encode(encoding, "replace") + ("\n\n" + extra + "\n").encode(encoding), extra


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "cp1252", "latin-1", "shift_jis"])
def test_unusual_encodings(tmp_path: Path, encoding: str) -> None:
    data, extra = _encoded(encoding)
    path = tmp_path / f"letter-{encoding}.txt"
    path.write_bytes(data)
    report = assert_report_or_clear_error(path)
    assert report is not None
    assert LETTER_PHRASE in report.text and report.meta.force == "Hertfordshire Constabulary"
    if encoding.startswith("utf-16"):
        assert extra in report.text
    elif encoding == "shift_jis":  # not recognisable: read with a warning rather than refused
        assert any("check special characters" in w for w in report.warnings)
    else:
        assert extra in report.text
        assert any("check special characters" in w for w in report.warnings)


def test_mixed_encodings_in_one_file(tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    path.write_bytes(LETTER_TEXT[:3000].encode() + " café £5 ".encode("latin-1") + LETTER_TEXT[3000:].encode()
                     + " 報告".encode("shift_jis"))
    report = assert_report_or_clear_error(path)
    assert report is not None and LETTER_PHRASE in report.text
    path.write_bytes(LETTER_TEXT[:3000].encode() + LETTER_TEXT[3000:6000].encode("utf-16"))
    assert_report_or_clear_error(path)  # half UTF-16: refused as binary or read; never a crash


# ---------------------------------------------------------------- sizes and names


@pytest.mark.parametrize("data", [b"", b"x", b"\n", b"\0", b"%", b"\xff", b"PK"], ids=repr)
def test_zero_and_one_byte_files(tmp_path: Path, data: bytes) -> None:
    for name in ("tiny.txt", "tiny.pdf", "tiny.docx", "tiny.html"):
        path = tmp_path / name
        path.write_bytes(data)
        assert assert_report_or_clear_error(path) is None


def _long_line(size: int) -> bytes:
    words = "Hertfordshire Constabulary has improved the way it investigates crime and keeps victims informed "
    return (words * (size // len(words) + 1)).encode()[:size]


def test_long_single_line(tmp_path: Path) -> None:
    path = tmp_path / "one line.txt"
    path.write_bytes(_long_line(300_000))
    report = assert_report_or_clear_error(path)
    assert report is not None and len(report.text) == 300_000 and "\n" not in report.text.strip()


def test_long_word_without_spaces(tmp_path: Path) -> None:
    path = tmp_path / "one word.txt"
    path.write_bytes(b"Hertfordshire " + b"x" * 60_000)
    assert assert_report_or_clear_error(path) is not None


@pytest.mark.slow
def test_ten_megabyte_single_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the character limit raised over its 5,000,000 default (and within the default memory and
    time limits), a 10 MB file with no line break is read, structured and chunked."""
    monkeypatch.setenv("INSPECTQA_MAX_REPORT_CHARS", "11000000")
    path = tmp_path / "ten mb.txt"
    path.write_bytes(_long_line(10 * 1024 * 1024))
    report = ingest_path(path)
    assert len(report.text) == 10 * 1024 * 1024
    chunks = chunk_report(report)
    assert chunks and all(len(c.embed_text) < 3000 for c in chunks)


@pytest.mark.parametrize("name", NASTY_NAMES, ids=range(len(NASTY_NAMES)))
def test_odd_file_names(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(LETTER_TEXT, encoding="utf-8")
    report = ingest_path(path)
    assert report.meta.source == name and LETTER_PHRASE in report.text
    assert not (tmp_path / "pwned").exists()
    bad = tmp_path / ("broken " + name.replace(".txt", ".pdf"))
    bad.write_bytes(b"%PDF-1.4\n" + random.Random(1).randbytes(500))
    assert assert_report_or_clear_error(bad) is None


# ---------------------------------------------------------------- a whole run with bad and good files


def _bad_files(folder: Path, letter_pdf: bytes) -> list[str]:
    """Write one file of each bad kind into ``folder``; return their names."""
    rng = random.Random(8)
    files = {
        "empty.txt": b"",
        "one byte.txt": b"x",
        "random bytes.pdf": rng.randbytes(5000),
        "random bytes.txt": bytes(rng.randrange(0, 32) for _ in range(3000)),
        "truncated.pdf": letter_pdf[: len(letter_pdf) // 3],
        "no trailer.pdf": _break_xref(letter_pdf, "table and trailer missing"),
        "image.html": b"\x89PNG\r\n\x1a\n" + rng.randbytes(2000),
        "spreadsheet $(id).docx": b"PK\x03\x04" + rng.randbytes(300),
        "half utf16.txt": LETTER_TEXT[:3000].encode() + LETTER_TEXT[3000:6000].encode("utf-16"),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    make_zip_bomb(folder / "bomb.docx")
    return [*files, "bomb.docx"]


def test_build_index_with_bad_files_indexes_the_good_ones(tmp_path: Path, letter_pdf: bytes) -> None:
    from search.index.build import build_index
    from search.retrieve.searcher import Searcher

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    bad = _bad_files(corpus, letter_pdf)
    nasty = NASTY_NAMES[2]
    (corpus / nasty).write_text(LETTER_TEXT, encoding="utf-8")
    (corpus / "peel 2015 ünï.txt").write_text(PEEL_TEXT, encoding="utf-8")
    (corpus / "letter.pdf").write_bytes(letter_pdf)

    result = build_index([corpus], tmp_path / "index", embedder=KeywordEmbedder())

    assert result.published
    errors = {f.source: f.error for f in result.errors}
    assert set(errors) == set(bad)
    for name in bad:
        assert_clear_error(errors[name], name)
    good = {f.source for f in result.files if f.status == "added"}
    assert good == {nasty, "peel 2015 ünï.txt", "letter.pdf"}
    searcher = Searcher.load(tmp_path / "index", embedder=KeywordEmbedder())
    hits = searcher.search("strong preventative policing ethos chief officers", k=5).hits
    assert hits and hits[0].source in {nasty, "letter.pdf"} and LETTER_PHRASE in hits[0].text
    assert LETTER_PHRASE in searcher.search(LETTER_PHRASE, k=1, filters={"sources": [nasty]}).hits[0].text
    assert searcher.search("missing children", k=3, filters={"sources": ["peel 2015 ünï.txt"]}).hits


def test_a_report_that_fails_to_chunk_does_not_stop_the_build(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The chunker refuses to store a chunk that is not verbatim; that must cost one file, not the run."""
    import ingest.chunk
    import ingest.isolation
    import search.index.build as index_build
    from search.retrieve.searcher import Searcher

    real_chunk_report = ingest.chunk.chunk_report

    def failing(report: Report, params: object = None) -> list:
        if report.meta.source == "bad.txt":
            raise ValueError("chunk text not found in section 'Summary'")
        return real_chunk_report(report, params)

    def in_this_process(function, *args, returns=None, **_limits):  # the bounded worker, without its process
        return function(*args)

    monkeypatch.setattr(ingest.isolation, "run_bounded", in_this_process)
    monkeypatch.setattr(ingest.chunk, "chunk_report", failing)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(LETTER_TEXT, encoding="utf-8")
    (corpus / "bad.txt").write_text(PEEL_TEXT, encoding="utf-8")
    result = index_build.build_index([corpus], tmp_path / "index", embedder=KeywordEmbedder())
    assert result.published
    assert [f.source for f in result.errors] == ["bad.txt"]
    assert_clear_error(result.errors[0].error, "bad.txt")
    searcher = Searcher.load(tmp_path / "index", embedder=KeywordEmbedder())
    assert {r["source"] for r in searcher.reports()} == {"good.txt"}


def test_cli_index_reports_each_bad_file_on_one_line(tmp_path: Path, letter_pdf: bytes,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import search.embed
    from search.cli import main

    monkeypatch.setattr(search.embed, "default_embedder", KeywordEmbedder)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    bad = _bad_files(corpus, letter_pdf)
    (corpus / "letter.txt").write_text(LETTER_TEXT, encoding="utf-8")
    assert main(["index", str(corpus), "--index-dir", str(tmp_path / "index")]) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("inspectqa: ")]
    assert len(err) == len(bad), err
    for name in bad:
        assert sum(name in line for line in err) == 1, (name, err)
    capsys.readouterr()
    assert main(["index", str(corpus / "empty.txt"), "--index-dir", str(tmp_path / "index2")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "empty.txt is empty" in err[0] and "nothing was indexed" in err[0]
    assert main(["index", str(corpus / "bomb.docx"), "--index-dir", str(tmp_path / "index2")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert any("bomb.docx" in line for line in err) and any("no report could be indexed" in line for line in err)


# ---------------------------------------------------------------- terminal escapes in report text

ESCAPES = "\x1b[2J\x1b]0;owned\x07\x1b[31m\x00\x08\x9b"


@pytest.mark.parametrize("kind", ["txt", "html"])
def test_control_characters_in_report_text_become_spaces(tmp_path: Path, kind: str) -> None:
    text = LETTER_TEXT.replace("preventative policing", f"preventative{ESCAPES}policing")
    path = tmp_path / f"escapes.{kind}"
    if kind == "html":
        text = "<html><body>" + "".join(f"<p>{p}</p>" for p in text.split("\n\n")) + "</body></html>"
    path.write_text(text, encoding="utf-8")
    report = ingest_path(path)
    assert not re.search(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]", report.text)
    assert re.search(r"preventative\s+\[2J\s+\]0;owned\s+\[31m\W+policing", report.text)  # lxml: NUL -> U+FFFD


def test_cli_never_prints_escape_sequences_from_a_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    import search.embed
    import search.retrieve.searcher
    from search.cli import main

    monkeypatch.setattr(search.embed, "default_embedder", KeywordEmbedder)
    monkeypatch.setattr(search.retrieve.searcher, "default_embedder", KeywordEmbedder)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "letter.txt").write_text(LETTER_TEXT.replace("preventative policing", f"preventative{ESCAPES}policing"),
                                       encoding="utf-8")
    index = str(tmp_path / "index")
    assert main(["index", str(corpus), "--index-dir", index]) == 0
    for command in ("search", "ask"):
        for json_flag in ([], ["--json"]):
            assert main([command, "strong preventative policing ethos", "--index-dir", index, *json_flag]) == 0
            out = capsys.readouterr().out
            assert "owned" in out and not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out)


# ---------------------------------------------------------------- hostile content in the app

HOSTILE_REPORT = """PEEL: Police legitimacy 2016

An inspection of Essex Police

December 2016

Custody

Essex Police treats detainees in custody with respect. <script>alert('xss')</script> Custody staff check on
detainees every hour. <img src=x onerror=alert(1)> The custody <b>suite</b> was clean.
<iframe src="https://evil.example/frame"></iframe>

Detainees can read [the detainee leaflet](javascript:alert(1)) and ![tracker](https://evil.example/t.png) on
the wall. See www.evil.example or <https://evil.example/login> for more. :red[Coloured] :material/warning:
$x^2$ **bold** _italic_ ~~struck~~ `code` &amp; &lt;tag&gt;

# Not a heading in custody
> Not a quotation about detainees
| not | a table |
|---|---|
Control characters \x1b[31mred\x1b[0m, a bell\x07 and a null\x00 in the custody record.
"""
HOSTILE_SHOWN = ["<script>alert('xss')</script>", "<img src=x onerror=alert(1)>", "<b>suite</b>",
                 "[the detainee leaflet](javascript:alert(1))", "![tracker](https://evil.example/t.png)",
                 ":red[Coloured]", "$x^2$", "**bold**"]
HOSTILE_NAME = "<img src=x onerror=alert(1)> [x](javascript:alert(1)) $y$ :red[z].txt"
_ALLOWED_TAGS = re.compile(r"</?(?:p|br|strong|em)\s*/?>")
_STREAMLIT_SYNTAX = re.compile(r"(?<!\\)\$|(?<!\\):(?!orange-background\[)[a-z][a-z/_-]*[\[:]|(?<!\\)\]\(")


def rendered_text(markdown: str) -> str:
    """What a CommonMark renderer (raw HTML allowed, tables and strikethrough on) makes of
    ``markdown``, as visible text; fails if it would make any element but paragraphs, line
    breaks and the app's own bold labels."""
    import html

    markdown_it = pytest.importorskip("markdown_it")
    shown = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(markdown)
    tags = set(re.findall(r"<[^>]*>", _ALLOWED_TAGS.sub("", shown)))
    assert not tags, f"{tags} made from {markdown!r}"
    assert not _STREAMLIT_SYNTAX.search(markdown), markdown  # colour, icon, formula, any link target
    return html.unescape(re.sub(r"<[^>]*>", "", shown))


@pytest.mark.parametrize("markup", ["<script>alert(1)</script>", "[a](javascript:x)", "[a](https://x)",
                                    "![i](x.png)", "# h",
                                    "> q", ":red[x]", "$x$", "<b>b</b>"])
def test_rendered_text_catches_unescaped_markup(markup: str) -> None:
    """The check the app tests rely on fails on markup that was not escaped."""
    with pytest.raises(AssertionError):
        rendered_text(markup)


def shown_markdown(at) -> list[str]:
    """Every text element the app shows that Streamlit renders as Markdown."""
    values = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "subheader", "title"):
        values += [element.value for element in getattr(at, kind)]
    return values


@pytest.fixture
def hostile_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The app (AppTest) over an index of a report full of markup, with the keyword encoder."""
    pytest.importorskip("streamlit")
    import streamlit as st

    import search.embed
    from search.index.build import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "essex custody.txt").write_text(HOSTILE_REPORT, encoding="utf-8")
    (corpus / "herts letter.txt").write_text(LETTER_TEXT, encoding="utf-8")
    index_dir = tmp_path / "index"
    assert not build_index([corpus], index_dir, embedder=KeywordEmbedder()).errors
    monkeypatch.setattr(search.embed, "default_embedder", KeywordEmbedder)
    monkeypatch.setattr("ui.resources.default_embedder", KeywordEmbedder)  # the app's own binding
    monkeypatch.setenv("INSPECTQA_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("INSPECTQA_UPLOAD_DIR", str(tmp_path / "uploads"))
    st.cache_resource.clear()  # the app caches the encoder per process: not another test's
    yield _start_app, tmp_path
    st.cache_resource.clear()


def _start_app():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open_page(at, title: str):
    """Open one of the app's st.navigation pages by its title (AppTest.switch_page needs files)."""
    hashes = [h for h, info in at._registered_pages.items() if info.get("page_name") == title]
    assert len(hashes) == 1, at._registered_pages
    at._page_hash = hashes[0]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_app_shows_report_markup_as_text(hostile_app) -> None:
    start, _tmp = hostile_app
    at = _open_page(start(), "Search")
    at.text_input(key="sq").input("detainees custody leaflet tracker respect").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["last_search"][1].hits[0].source == "essex custody.txt"
    for expander in at.expander:  # open every "Read the full section" too
        expander.proto.expanded = True
    visible = " ".join(rendered_text(value) for value in shown_markdown(at))
    for fragment in HOSTILE_SHOWN:
        assert fragment in visible, fragment
    assert not re.search(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", visible)

    at = _open_page(at, "Ask")
    at.text_input(key="q").input("How does Essex Police treat detainees in custody?")
    at.button(key="ask_button").click().run()
    assert not at.exception, [e.value for e in at.exception]
    visible = " ".join(rendered_text(value) for value in shown_markdown(at))
    assert "<script>alert('xss')</script>" in visible


@pytest.mark.parametrize("name", [
    HOSTILE_NAME, "../../escaped.txt", "..\\..\\escaped.txt", "/tmp/escaped.txt", "a/../../escaped.txt",
    "....//escaped.txt", "..", "./", "\x00escaped.txt", "bell\x07 escape\x1b[2J.txt", "x" * 300 + ".txt",
], ids=repr)
def test_app_upload_names_stay_in_the_upload_folder_and_show_as_text(hostile_app, name: str) -> None:
    start, tmp_path = hostile_app
    before = {p for p in tmp_path.rglob("*") if "uploads" not in p.parts and "index" not in p.parts}
    at = _open_page(start(), "Add reports")
    at.file_uploader[0].set_value((name, LETTER_TEXT.replace("Hertfordshire", "Kent").encode(), "text/plain"))
    at.run()
    if "\x00" in name:  # Streamlit itself refuses the upload before the app sees it
        assert [e.value for e in at.exception] == ["Filename cannot contain null bytes."]
        assert not (tmp_path / "uploads").exists()
        return
    if not at.button(key="add_uploads").disabled:  # a refused name leaves nothing to add
        at.button(key="add_uploads").click().run()
    assert not at.exception, [e.value for e in at.exception]
    after = {p for p in tmp_path.rglob("*") if "uploads" not in p.parts and "index" not in p.parts}
    assert after == before, after - before  # nothing written outside the upload folder
    uploads = tmp_path / "uploads"
    saved = [p for p in uploads.rglob("*") if p.is_file()] if uploads.exists() else []
    assert all(p.parent == uploads for p in saved)
    assert all(not re.search(r"[\x00-\x1f/\\]", p.name) and not p.name.startswith(".") for p in saved)
    messages = [v for v in shown_markdown(at) if "Kent" in v or "txt" in v or "name" in v]
    assert messages, shown_markdown(at)
    for message in messages:
        rendered_text(message)
    if name == HOSTILE_NAME:
        assert [p.name for p in saved] == [HOSTILE_NAME]
        assert any(HOSTILE_NAME in rendered_text(m) for m in messages)


def test_app_refuses_an_oversized_upload_without_reading_it(hostile_app, monkeypatch: pytest.MonkeyPatch) -> None:
    """The uploader tells Streamlit the documented limit (it refuses bigger uploads before they
    reach the app); a file over the limit that gets through is refused from its size alone."""
    import math

    from streamlit.runtime.uploaded_file_manager import UploadedFile

    from ingest import readers

    start, tmp_path = hostile_app
    at = _open_page(start(), "Add reports")
    assert at.file_uploader[0].proto.max_upload_size_mb == math.ceil(readers.MAX_FILE_BYTES / 2**20)
    assert readers.MAX_FILE_BYTES == readers.DEFAULT_MAX_FILE_MB * 2**20 or "INSPECTQA_MAX_FILE_MB" in os.environ

    read: list[str] = []  # uploads whose bytes the app's own code asked for

    def spy(method):
        def wrapper(self, *args, **kwargs):
            caller = Path(sys._getframe(1).f_code.co_filename)
            if caller == ROOT / "app.py" or caller.parent == ROOT / "ui":
                read.append(self.name)
            return method(self, *args, **kwargs)
        return wrapper

    for method in ("getvalue", "read", "getbuffer", "readlines"):
        monkeypatch.setattr(UploadedFile, method, spy(getattr(UploadedFile, method)))
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 4000)
    at = _open_page(start(), "Add reports")
    at.file_uploader[0].set_value([("big.txt", LETTER_TEXT.encode(), "text/plain"),
                                   ("small.txt", LETTER_TEXT[:3000].replace("Hertfordshire", "Kent").encode(),
                                    "text/plain")])
    at.run()
    at.button(key="add_uploads").click().run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [rendered_text(e.value) for e in at.error]
    assert any("big.txt" in e and "limit" in e for e in errors), errors
    assert "big.txt" not in read and "small.txt" in read
    assert not (tmp_path / "uploads" / "big.txt").exists()
