"""Read a PDF's text layer with pypdf, within the page, object and character limits.

pypdf gives each page's lines without paragraph breaks; they are rebuilt here from line lengths,
sentence ends, bullets, footnote markers and bookmark titles. The page tree is counted before any
page is read, so a file listing one page thousands of times is refused (or read once) at once.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

from ingest.blocks import MIN_TEXT_CHARS, Blocks, Parsed, brief, visible_chars
from ingest.limits import ReadLimits
from ingest.types import HeadingHint, IngestError, PageSpan

__all__ = ["read_pdf", "rebuild_paragraphs"]

_SENTENCE_END = re.compile(r"[.?!:][\"'’”)\]]*$")
_BULLET_GLYPH = re.compile(r"^[•●▪■◦·\x7f\uf0b7\uf0a7]\s*")  # pypdf reads reportlab's bullet as \x7f
_BULLET = re.compile(r"^(?:[*-]|–|\d{1,2}[.)]\s|\([a-z0-9]{1,3}\)\s)")
_FOOTNOTE_START = re.compile(r"^[⁰¹²³⁴⁵⁶⁷⁸⁹]")
_KEEP_HYPHEN = frozenset({"anti", "non", "self", "well", "cross", "multi", "co"})


def read_pdf(data: bytes, source: str, limits: ReadLimits) -> Parsed:
    """A PDF's text with page spans and bookmark headings.

    Raises:
        IngestError: encrypted, damaged or without a text layer; ``LimitExceeded`` over the page,
            object or character limit. Any MemoryError is left to the caller's memory limit.
    """
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    encrypted = "encrypted PDF: remove the password (e.g. qpdf --decrypt in.pdf out.pdf) and add it again"
    with _pypdf_log() as log:
        reader = None
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise IngestError(source, encrypted)
            _check_pdf_structure(reader, source, limits)
            pages = list(reader.pages)
            if len(pages) > limits.max_pdf_pages:  # in case the page tree walk was cut short by damage
                raise _too_many_pages(source, limits, f"it has {len(pages):,} pages")
        except IngestError:
            raise
        except MemoryError:  # the worker's memory limit: not a damaged file
            raise
        except Exception as exc:
            if isinstance(exc, FileNotDecryptedError | DependencyError) or (reader and reader.is_encrypted):
                raise IngestError(source, f"{encrypted} ({brief(exc)})") from exc
            raise IngestError(source, f"damaged PDF ({brief(exc)}): re-download or re-export it") from exc
        outline = _outline_entries(reader)
        blocks, spans, empty = Blocks(source, limits), [], []
        first_use: dict[tuple[int, int], int] = {}  # page object -> the page number it was first read as
        repeats: list[int] = []
        for number, page in enumerate(pages, start=1):
            ref = page.indirect_reference
            if ref is not None and first_use.setdefault((ref.idnum, ref.generation), number) != number:
                repeats.append(number)  # the page tree lists this page object again: read it once
                continue
            try:
                raw = page.extract_text() or ""
            except MemoryError:  # the worker's memory limit: not a damaged file
                raise
            except Exception as exc:
                log.append(f"page {number}: {brief(exc)}")
                raw = ""
            start, count = blocks.length + (2 if blocks.parts else 0), len(blocks.parts)
            titles = {title.lower() for page_number, _, title in outline if page_number == number}
            for paragraph in rebuild_paragraphs(raw, titles):
                blocks.add(paragraph)
            if len(blocks.parts) > count:
                spans.append(PageSpan(start, blocks.length, number))
            else:
                empty.append(number)
        text = "\n\n".join(blocks.parts)
        if visible_chars(text) < MIN_TEXT_CHARS * max(len(pages) - len(repeats), 1):
            if log:  # pypdf had to skip broken parts, so damage is likelier than a scan
                raise IngestError(source, f"damaged PDF ({log[0]}): re-download or re-export it (if it is a "
                                          "scan, run OCR first, e.g. ocrmypdf)")
            raise IngestError(source, "no text layer: run OCR first (e.g. ocrmypdf) and add the OCR'd PDF")
    warnings = []
    if empty:
        listed = ", ".join(map(str, empty[:10])) + (f" and {len(empty) - 10} more" if len(empty) > 10 else "")
        warnings.append(f"no text on page(s) {listed}: they may be images; OCR them if they matter")
    if repeats:
        warnings.append(f"the page list repeats {len(repeats):,} page(s) (from page {repeats[0]}): each was read "
                        "once; check the PDF is the full report")
    if log:
        warnings.append(f"PDF has problems ({log[0]}; {len(log)} message(s)): check the text is complete")
    return Parsed(text, tuple(spans), _outline_headings(outline, text, spans), tuple(warnings))


def _too_many_pages(source: str, limits: ReadLimits, found: str) -> IngestError:
    return limits.exceeded(source, "max_pdf_pages", found, "split the PDF into parts")


def _check_pdf_structure(reader: Any, source: str, limits: ReadLimits) -> None:
    """Refuse a PDF with more objects, or more page references, than the limits allow.

    Runs before pypdf builds its page list. The page tree is walked without reading any page:
    each node is visited once (a tree that loops back on itself ends), and the walk stops at the
    first page reference over the limit, so a file listing one page 99,999 times fails at once.
    A tree too damaged to walk is left to pypdf, whose page count is checked after it.
    """
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    objects = sum(len(table) for table in reader.xref.values()) + len(reader.xref_objStm)
    if objects > limits.max_pdf_objects:
        raise limits.exceeded(source, "max_pdf_objects", f"it has {objects:,} objects",
                              "re-export it (e.g. print it to a new PDF)")
    try:
        stack: list[Any] = [reader.trailer["/Root"].get_object()["/Pages"]]
    except Exception:
        return
    nodes: set[Any] = set()
    references = 0
    while stack:
        item = stack.pop()
        try:
            node = item.get_object() if isinstance(item, IndirectObject) else item
            kids = node.get("/Kids") if isinstance(node, DictionaryObject) else None
            kids = kids.get_object() if isinstance(kids, IndirectObject) else kids
        except Exception:
            return
        if not isinstance(node, DictionaryObject):
            continue
        if node.get("/Type") == "/Page" or not isinstance(kids, ArrayObject):
            references += 1
            if references > limits.max_pdf_pages:
                raise _too_many_pages(source, limits, f"its page tree lists at least {references:,} pages")
            continue
        key = (item.idnum, item.generation) if isinstance(item, IndirectObject) else id(node)
        if key not in nodes:
            nodes.add(key)
            stack.extend(reversed(kids))


@contextmanager
def _pypdf_log() -> Iterator[list[str]]:
    """Collect pypdf's logged warnings (repairs of damaged files) instead of printing them."""
    messages: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if len(messages) < 100:
                messages.append(" ".join(record.getMessage().split())[:160])

    handler, logger = _Collect(logging.WARNING), logging.getLogger("pypdf")
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


def rebuild_paragraphs(page_text: str, titles: Collection[str] = ()) -> list[str]:
    """Join pypdf's lines (no blank lines between paragraphs) back into paragraphs.

    A line break ends a paragraph before a bullet or footnote line, around a heading-like line
    (short, capitalised, unpunctuated, or a bookmark title in ``titles``), and after a line that ends
    a sentence well short of the page's usual line length when the next line starts a new sentence.
    """
    lines = [_BULLET_GLYPH.sub("- ", " ".join(line.split())) for line in page_text.splitlines()]
    lengths = sorted(len(line) for line in lines if line)
    typical = max(lengths[int(0.9 * (len(lengths) - 1))], 20) if lengths else 20

    def capital(line: str) -> bool:  # anything but a lowercase continuation: 'The', '2015', '©', '- item'
        return bool(line) and not line[0].islower()

    def heading(i: int) -> bool:
        line, after = lines[i], lines[i + 1] if i + 1 < len(lines) else ""
        return line.lower() in titles or (len(line) < 0.6 * typical and capital(line) and (not after or capital(after))
                                          and not _SENTENCE_END.search(line) and not line.endswith((",", ";", "-")))

    def starts_paragraph(i: int) -> bool:
        line, previous = lines[i], lines[i - 1]
        ends = bool(_SENTENCE_END.search(previous))
        return bool(_BULLET.match(line) or _FOOTNOTE_START.match(line) or heading(i - 1)
                    or (heading(i) and (ends or len(previous) < 0.6 * typical))
                    or (ends and capital(line) and len(previous) < 0.75 * typical))

    paragraphs, current = [], ""
    for i, line in enumerate(lines):
        if current and line and not starts_paragraph(i):
            current = _join_lines(current, line)
            continue
        paragraphs.append(current)
        current = line
    paragraphs.append(current)
    return [paragraph for paragraph in paragraphs if paragraph]


def _join_lines(current: str, line: str) -> str:
    """Join a wrapped line, undoing end-of-line hyphenation ('investi-' + 'gation')."""
    match = re.search(r"(?:^|\s)([^\W_]+)-$", current)
    if not match or not line[:1].isalnum():
        return f"{current} {line}"
    word = match.group(1)
    if line[:1].islower() and re.fullmatch(r"[A-Za-z]*[a-z]", word) and word.lower() not in _KEEP_HYPHEN:
        return current[:-1] + line
    return current + line  # a real hyphen ('COVID-19', 'anti-social'): keep it, no space


def _outline_entries(reader: Any) -> list[tuple[int, int, str]]:
    """(1-based page, level, title) for each PDF bookmark; empty when there are none or they are broken."""
    entries: list[tuple[int, int, str]] = []
    try:
        stack: list[tuple[Any, int]] = [(item, 1) for item in reversed(reader.outline or [])]
        while stack and len(entries) < 5000:
            item, level = stack.pop()
            if isinstance(item, list):  # the children of the entry before it
                stack.extend((child, level + 1) for child in reversed(item))
            elif title := " ".join(str(item.title or "").split()):
                entries.append((reader.get_destination_page_number(item) + 1, level, title))
    except Exception:
        return entries
    return entries


def _outline_headings(outline: list[tuple[int, int, str]], text: str,
                      spans: list[PageSpan]) -> tuple[HeadingHint, ...]:
    """Heading hints for the bookmarks whose title is found on their page (best effort)."""
    by_page = {span.page: span for span in spans}
    hints: dict[int, HeadingHint] = {}
    for page, level, title in outline:
        if span := by_page.get(page):
            pattern = r"\s+".join(map(re.escape, title.split()))
            found = (re.compile(rf"(?m)^{pattern}", re.I).search(text, span.start, span.end)
                     or re.compile(pattern, re.I).search(text, span.start, span.end))
            if found and found.start() not in hints:
                hints[found.start()] = HeadingHint(found.start(), found.end(), level)
    return tuple(sorted(hints.values(), key=lambda hint: hint.start))
