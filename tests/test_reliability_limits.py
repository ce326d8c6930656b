"""Bounded cost per file: each hostile file of the reliability review fails alone, quickly, with a
one-line error naming the limit and the setting that raises it, and never stalls the caller.

Only the long-standing entry points are used here (``ingest_path``, ``ingest_paths``, ``discover``,
``read_document``, ``build_index``) and limits are set through their environment variables, so
each test runs unchanged against older code. Every bomb is generated in tmp_path, sized (with the
limits lowered) to keep the suite fast.
"""

from __future__ import annotations

import errno
import io
import os
import re
import socket
import zipfile
from pathlib import Path

import pytest
from conftest import LETTER, PEEL_2015, KeywordEmbedder

from ingest.pipeline import discover, ingest_path, ingest_paths
from ingest.readers import read_document
from ingest.types import IngestError

LETTER_TEXT = LETTER.read_text(encoding="utf-8")
PEEL_TEXT = PEEL_2015.read_text(encoding="utf-8")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def refusal(path: Path) -> str:
    """The one-line message ``ingest_path`` refuses ``path`` with (fails if it is read)."""
    with pytest.raises(IngestError) as caught:
        ingest_path(path)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message, message
    return message


def assert_names_limit(message: str, setting: str) -> None:
    assert "limit" in message and f"raise {setting}" in message, message


# ---------------------------------------------------------------- builders


def many_page_references(count: int, text: str = LETTER_TEXT[:1500]) -> bytes:
    """A small PDF whose page tree lists one page object ``count`` times (about 6 bytes a reference)."""
    words = " ".join(text.encode("ascii", "ignore").decode().split()).replace("\\", "").replace("(", "")
    words = words.replace(")", "")
    lines = [words[i:i + 90] for i in range(0, len(words), 90)]
    stream = ("BT /F1 10 Tf 40 800 Td 12 TL\n" + "\n".join(f"({line}) Tj T*" for line in lines) + "\nET").encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b" ".join([b"3 0 R"] * count) + b"] /Count %d >>" % count,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def many_styles_docx(styles: int, paragraphs: int) -> bytes:
    """A .docx with ``styles`` custom paragraph styles; its paragraphs use a few of them, and the
    first is a 'Heading 1'."""
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    for i in range(styles):
        document.styles.element.append(parse_xml(f'<w:style {nsdecls("w")} w:type="paragraph" '
                                                 f'w:styleId="Custom{i}"><w:name w:val="Custom {i}"/></w:style>'))
    document.add_heading("Hertfordshire Constabulary inspection", 1)
    sentences = [" ".join(s.split()) for s in LETTER_TEXT.split(". ") if len(s) > 40]
    for i in range(paragraphs):
        paragraph = document.add_paragraph(sentences[i % len(sentences)] + ".")
        paragraph._p.style = f"Custom{styles - 1 - i % 3}"  # the last styles: a full scan each time
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def prose(chars: int) -> str:
    """Report paragraphs repeated to ``chars`` characters."""
    return ((PEEL_TEXT + "\n\n") * (chars // len(PEEL_TEXT) + 1))[:chars]


def one_line(chars: int) -> str:
    words = "Hertfordshire Constabulary has improved the way it investigates crime and keeps victims informed "
    return (words * (chars // len(words) + 1))[:chars]


# ---------------------------------------------------------------- row 2: DOCX with thousands of styles


def test_docx_style_lookups_are_made_once_per_style(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """python-docx scans every style for each lookup: a file with 12,000 styles took 1,069 s when
    every paragraph asked. The reader must ask once per style, and still see the headings."""
    from docx.styles.styles import Styles

    lookups: list[str | None] = []
    real_get_by_id = Styles.get_by_id

    def counting(self: Styles, style_id: str | None, style_type: object) -> object:
        lookups.append(style_id)
        return real_get_by_id(self, style_id, style_type)

    path = tmp_path / "many styles.docx"
    path.write_bytes(many_styles_docx(styles=2000, paragraphs=300))
    monkeypatch.setattr(Styles, "get_by_id", counting)
    document = read_document(path)  # in this process, so the counting lookup is the one used
    assert len(document.text.split("\n\n")) == 301
    assert [document.text[h.start:h.end] for h in document.headings] == ["Hertfordshire Constabulary inspection"]
    assert len(lookups) <= 4, f"{len(lookups)} style lookups for 4 distinct styles"


# ---------------------------------------------------------------- row 3: PDF page references


@pytest.mark.timeout(120)
def test_pdf_listing_one_page_99999_times_fails_fast(tmp_path: Path) -> None:
    """The page tree is counted before any page is read: refused at the first reference over the
    limit, not after minutes of reading the same page again."""
    path = tmp_path / "refs.pdf"
    path.write_bytes(many_page_references(99_999))
    assert path.stat().st_size < 700_000
    message = refusal(path)
    assert "refs.pdf" in message and "pages" in message
    assert_names_limit(message, "INSPECTQA_MAX_PDF_PAGES")


@pytest.mark.timeout(120)
def test_pdf_page_references_over_a_lowered_limit_are_refused(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSPECTQA_MAX_PDF_PAGES", "100")
    path = tmp_path / "refs.pdf"
    path.write_bytes(many_page_references(1000))
    assert_names_limit(refusal(path), "INSPECTQA_MAX_PDF_PAGES")


def test_pdf_repeating_one_page_within_the_limit_is_read_once(tmp_path: Path) -> None:
    path = tmp_path / "repeats.pdf"
    path.write_bytes(many_page_references(200))
    report = ingest_path(path)
    phrase = "HM Inspector of Constabulary, Eastern Region"
    assert phrase in LETTER_TEXT[:1500] and " ".join(report.text.split()).count(phrase) == 1
    assert any("repeats 199 page(s)" in warning for warning in report.warnings), report.warnings


def test_pdf_over_the_object_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSPECTQA_MAX_PDF_OBJECTS", "4")
    path = tmp_path / "objects.pdf"
    path.write_bytes(many_page_references(1))
    message = refusal(path)
    assert "5 objects" in message
    assert_names_limit(message, "INSPECTQA_MAX_PDF_OBJECTS")


# ---------------------------------------------------------------- row 4: text within the file size limit


@pytest.mark.timeout(120)
def test_twelve_megabytes_of_prose_fail_fast_on_the_character_limit(tmp_path: Path) -> None:
    """48 MB of prose took 115 s and 5.7 GB; anything over the character limit is refused as soon
    as it is decoded."""
    path = tmp_path / "prose.txt"
    path.write_text(prose(12_000_000), encoding="utf-8")
    message = refusal(path)
    assert "12,000,000 characters" in message
    assert_names_limit(message, "INSPECTQA_MAX_REPORT_CHARS")


@pytest.mark.timeout(120)
def test_a_megabyte_of_dots_never_reaches_the_tokenizer(tmp_path: Path) -> None:
    """16 MB of dots aborted the process in the tokenizer (a 3.5 GB allocation). A run without
    whitespace longer than the run limit is refused when the file is read."""
    path = tmp_path / "dots.txt"
    path.write_text(LETTER_TEXT + "\n\n" + "." * 1_000_000 + "\n\nEnd of report.\n", encoding="utf-8")
    message = refusal(path)
    assert "1,000,000 characters in a row without a space" in message
    assert_names_limit(message, "INSPECTQA_MAX_RUN_CHARS")


@pytest.mark.timeout(120)
def test_sixteen_megabytes_of_dots_fail_with_a_limit_even_with_the_character_limit_raised(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSPECTQA_MAX_REPORT_CHARS", "20000000")
    path = tmp_path / "dots.txt"
    path.write_text(LETTER_TEXT + "\n\n" + "." * (16 * 2**20), encoding="utf-8")
    assert_names_limit(refusal(path), "INSPECTQA_MAX_RUN_CHARS")


@pytest.mark.timeout(120)
def test_a_file_over_the_memory_limit_fails_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Structuring a long single line needs far more memory than its size; with the memory limit
    lowered it fails with the limit's message, and the next file of the run is read."""
    monkeypatch.setenv("INSPECTQA_MAX_REPORT_CHARS", "20000000")
    monkeypatch.setenv("INSPECTQA_FILE_MEMORY_MB", "250")
    bomb = tmp_path / "a long line.txt"
    bomb.write_text(one_line(4_000_000), encoding="utf-8")
    good = tmp_path / "b letter.txt"
    good.write_text(LETTER_TEXT, encoding="utf-8")
    results = list(ingest_paths([tmp_path]))
    assert [Path(r.path).name for r in results] == ["a long line.txt", "b letter.txt"]
    assert results[0].report is None and "a long line.txt" in results[0].error
    assert_names_limit(results[0].error, "INSPECTQA_FILE_MEMORY_MB")
    assert results[1].report is not None and results[1].report.meta.force == "Hertfordshire Constabulary"


@pytest.mark.timeout(120)
def test_a_file_over_the_time_limit_is_stopped_and_the_caller_goes_on(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSPECTQA_MAX_REPORT_CHARS", "20000000")
    ingest_path(LETTER)  # the reading process is up, so only reading counts against the time
    monkeypatch.setenv("INSPECTQA_FILE_SECONDS", "0.2")
    slow = tmp_path / "slow.txt"
    slow.write_text(one_line(4_000_000), encoding="utf-8")
    assert_names_limit(refusal(slow), "INSPECTQA_FILE_SECONDS")
    monkeypatch.delenv("INSPECTQA_FILE_SECONDS")
    assert ingest_path(LETTER).meta.force == "Hertfordshire Constabulary"


# ---------------------------------------------------------------- row 5: pipes and devices


def _special_files(folder: Path) -> list[str]:
    """A FIFO, a link to /dev/zero and (where the path is short enough) a socket, named as reports."""
    os.mkfifo(folder / "pipe.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    names = ["pipe.txt", "zero.txt"]
    if len(str(folder / "sock.txt")) < 100:
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(folder / "sock.txt"))
        server.close()
        names.append("sock.txt")
    return names


@pytest.mark.timeout(60)
def test_index_with_a_fifo_and_dev_zero_in_the_folder_does_not_hang(tmp_path: Path) -> None:
    """The index hashed files before checking their type and hung on a FIFO, holding the lock."""
    from search.index.build import build_index

    corpus = tmp_path / "c"
    corpus.mkdir()
    special = _special_files(corpus)
    (corpus / "letter.txt").write_text(LETTER_TEXT, encoding="utf-8")
    result = build_index([corpus], tmp_path / "index", embedder=KeywordEmbedder())
    assert result.published and [f.source for f in result.files if f.status == "added"] == ["letter.txt"]
    errors = {f.source: f.error for f in result.errors}
    assert set(errors) == set(special), errors
    for name in special:
        assert "not a regular file" in errors[name] and "copy the report" in errors[name], errors[name]


@pytest.mark.timeout(60)
def test_ingest_refuses_pipes_and_devices_without_blocking(tmp_path: Path) -> None:
    special = _special_files(tmp_path)
    for name in special:  # named one by one, and found in a folder
        assert "not a regular file" in refusal(tmp_path / name)
    results = {Path(r.path).name: r.error for r in ingest_paths([tmp_path])}
    assert set(results) == set(special)
    assert all("not a regular file" in message for message in results.values())


# ---------------------------------------------------------------- row 10: control characters in file names

ESCAPE_NAME = "report \x1b[2J\x1b]0;owned\x07 new\nline.txt"
SHOWN = "report \\x1b[2J\\x1b]0;owned\\x07 new\\nline.txt"


@pytest.mark.timeout(60)
def test_file_names_in_errors_have_control_characters_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "folder \x1b[31m"
    folder.mkdir()
    os.mkfifo(folder / ESCAPE_NAME)
    (folder / ("empty " + ESCAPE_NAME)).write_bytes(b"")
    missing = tmp_path / ("missing " + ESCAPE_NAME)
    messages = [r.error for r in ingest_paths([folder, missing])]
    assert len(messages) == 3
    for message in messages:
        assert message and not CONTROL.search(message), repr(message)
        assert SHOWN in message, message


# ---------------------------------------------------------------- row 14: what was left out, and why


def test_discover_lists_hidden_files_and_folders_it_leaves_out(tmp_path: Path) -> None:
    (tmp_path / ".drafts").mkdir()
    (tmp_path / ".drafts" / "draft.txt").write_text(LETTER_TEXT, encoding="utf-8")
    (tmp_path / ".hidden report.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / ".DS_Store").write_bytes(b"\0")
    (tmp_path / "letter.txt").write_text(LETTER_TEXT, encoding="utf-8")
    found = discover([tmp_path])
    files, errors = found
    assert [f.name for f in files] == ["letter.txt"] and not errors
    skipped = {Path(s.path).name: s.error for s in found.skipped}
    assert set(skipped) == {".drafts", ".hidden report.pdf"}
    assert all("left out" in message and "dot" in message for message in skipped.values())


def test_an_unreadable_folder_is_reported_with_advice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """os.walk skipped folders it could not list without a word. (The denial is simulated: the
    tests may run as root, who can list anything.)"""
    private = tmp_path / "private"
    private.mkdir()
    (private / "secret.txt").write_text(LETTER_TEXT, encoding="utf-8")
    (tmp_path / "letter.txt").write_text(LETTER_TEXT, encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path: object = ".") -> object:
        if Path(os.fsdecode(path)) == private:
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    files, errors = discover([tmp_path])
    assert [f.name for f in files] == ["letter.txt"]
    assert len(errors) == 1 and "private" in errors[0].error
    assert "permission denied" in errors[0].error and "chmod" in errors[0].error


def _permissions_enforced(folder: Path) -> bool:
    """False for a user who reads files whatever their mode (root, unless its capabilities are dropped)."""
    probe = folder / "probe"
    probe.write_text("x")
    probe.chmod(0)
    try:
        probe.read_text()
    except PermissionError:
        return True
    finally:
        probe.unlink()
    return False


def test_unreadable_folder_and_file_for_real(tmp_path: Path) -> None:
    if not _permissions_enforced(tmp_path):
        pytest.skip("this user reads every file whatever its mode (run as non-root, or as root without "
                    "CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH)")
    private = tmp_path / "private"
    private.mkdir()
    (private / "secret.txt").write_text(LETTER_TEXT, encoding="utf-8")
    locked = tmp_path / "locked.txt"
    locked.write_text(LETTER_TEXT, encoding="utf-8")
    private.chmod(0)
    locked.chmod(0)
    try:
        messages = [r.error for r in ingest_paths([tmp_path])]
    finally:
        private.chmod(0o755)
        locked.chmod(0o644)
    assert len(messages) == 2 and all("permission denied" in m and "chmod" in m for m in messages), messages


@pytest.mark.timeout(60)
def test_index_gives_advice_for_looping_and_unreadable_files(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The index printed a bare '[Errno 40]' or '[Errno 13]' for these (hashing them first)."""
    from search.index.build import build_index

    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "loop.txt").symlink_to("loop.txt")
    (corpus / "dangling.txt").symlink_to("nowhere.txt")
    locked = corpus / "locked.txt"
    locked.write_text(PEEL_TEXT, encoding="utf-8")
    (corpus / "letter.txt").write_text(LETTER_TEXT, encoding="utf-8")
    real_open = os.open

    def denying_open(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if Path(os.fsdecode(path)) == locked:  # root ignores chmod: deny the way the kernel would
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denying_open)
    result = build_index([corpus], tmp_path / "index", embedder=KeywordEmbedder())
    errors = {f.source: f.error for f in result.errors}
    assert set(errors) == {"loop.txt", "dangling.txt", "locked.txt"}, errors
    assert "loops" in errors["loop.txt"] and "fix or delete the link" in errors["loop.txt"]
    assert "does not exist" in errors["dangling.txt"] and "nowhere.txt" in errors["dangling.txt"]
    assert "permission denied" in errors["locked.txt"] and "chmod" in errors["locked.txt"]
    assert not any("[Errno" in message for message in errors.values()), errors


# ---------------------------------------------------------------- limits are settings


def test_a_limit_set_to_nonsense_is_refused_with_its_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSPECTQA_MAX_PDF_PAGES", "lots")
    with pytest.raises(IngestError) as caught:
        list(ingest_paths([LETTER]))
    assert "INSPECTQA_MAX_PDF_PAGES" in str(caught.value) and "whole number" in str(caught.value)


def test_zip_bomb_in_a_docx_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (8 * 1024 * 1024))
    assert "ZIP bomb" in refusal(path)
