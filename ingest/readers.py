"""Read one report file (PDF, HTML, DOCX or plain text) into a :class:`RawDocument`.

The format is sniffed from the bytes, never trusted from the extension. Every failure is an
:class:`IngestError` whose one-line message says what went wrong and what to do about it.
What one file may cost is bounded by :class:`~ingest.limits.ReadLimits`: its size before it is
read, its pages and objects (PDF), its characters and the longest run without whitespace (before
anything downstream tokenizes it); a file over a limit is a :class:`~ingest.limits.LimitExceeded`.
Text conventions for every format: paragraphs are separated by a blank line, list items start
with ``"- "``, table rows are tab-separated lines, footnote markers are Unicode superscripts.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ingest.blocks import MIN_TEXT_CHARS, Blocks, Parsed, brief, too_many_chars, visible_chars
from ingest.files import read_regular_file
from ingest.limits import LimitSettingError, ReadLimits, human_bytes
from ingest.read_pdf import read_pdf
from ingest.types import IngestError, RawDocument

__all__ = ["MAX_FILE_BYTES", "MIN_TEXT_CHARS", "read_document", "sniff_format"]

_MB = 1024 * 1024
DEFAULT_MAX_FILE_MB = 50


def _limit_from_env() -> int:
    """Bytes allowed by INSPECTQA_MAX_FILE_MB (a positive number of MB), else 50 MB."""
    try:
        return ReadLimits.from_env({"INSPECTQA_MAX_FILE_MB": os.environ.get("INSPECTQA_MAX_FILE_MB", "")}
                                   ).max_file_bytes
    except LimitSettingError:
        return DEFAULT_MAX_FILE_MB * _MB


MAX_FILE_BYTES: int = _limit_from_env()
"""Largest file the app accepts for upload: 50 MB unless INSPECTQA_MAX_FILE_MB says otherwise (read at
import); :func:`read_document` reads the variable again for each file through :class:`ReadLimits`."""

_SNIFF_BYTES = 8192
_ZIP_MAX_TOTAL, _ZIP_MAX_RATIO = 500 * _MB, 200
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xef\xbb\xbf", "utf-8-sig"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_CLEAN_ENCODINGS = frozenset({"utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"})
_BINARY_MAGIC = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
                 (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"), (b"\x1f\x8b", "a gzip archive"),
                 (b"\xd0\xcf\x11\xe0", "an old Word/Excel file (.doc/.xls)"), (b"Rar!", "a RAR archive"),
                 (b"7z\xbc\xaf", "a 7-Zip archive"), (b"\x7fELF", "a program"), (b"MZ", "a Windows program"))
_TEXT_LIKE_UNSUPPORTED = ((b"{\\rtf", "an RTF document"), (b"%!PS", "a PostScript file"))
_HTML_START = re.compile(r"(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.S)
_HTML_TAG = re.compile(r"<(?:html|head|body|h[1-4]|p|div|section|article|main|table|ul|ol)(?:\s[^<>]*)?>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


class _NotText(ValueError):
    """The bytes do not decode to text."""


# ---------------------------------------------------------------- public API


def read_document(path: str | Path, *, max_bytes: int | None = None,
                  limits: ReadLimits | None = None) -> RawDocument:
    """Read one report file, within ``limits``.

    Args:
        path: the file to read; it must be a regular file (checked before it is opened).
        max_bytes: refuse larger files; overrides ``limits.max_file_bytes``; checked before reading.
        limits: what reading may cost (default :meth:`ReadLimits.from_env`). Time and memory
            limits are applied by the caller's worker process, not here.

    Returns:
        The text (paragraphs separated by blank lines) with page spans for PDFs and heading
        hints from HTML headings, DOCX heading styles and PDF bookmarks.

    Raises:
        IngestError: whatever stops the file being read (``LimitExceeded`` for a limit);
            never any other exception.
    """
    path = Path(path)
    source = path.name or str(path)
    limits = ReadLimits.from_env() if limits is None else limits
    if max_bytes is not None:
        limits = replace(limits, max_file_bytes=max_bytes)
    data = _read_bytes(path, source, limits.max_file_bytes)
    fmt = "unknown"
    try:
        fmt = sniff_format(data, source)
        parsed = _READERS[fmt](data, source, limits)
    except IngestError:
        raise
    except MemoryError:  # the worker's memory limit: not a damaged file
        raise
    except Exception as exc:  # a parser bug must reach the caller as an IngestError too
        raise IngestError(source, f"could not read this {fmt} file ({brief(exc)}): re-export it, or convert it "
                                  "to PDF or plain text, and add it again") from exc
    if not parsed.text.strip():
        raise IngestError(source, f"no text found in this {fmt} file: check it is the full report, not a "
                                  "cover page or an image")
    if (visible := visible_chars(parsed.text)) < MIN_TEXT_CHARS:
        raise IngestError(source, f"too short to be a report ({visible} characters): check it is the full "
                                  "report and add it again")
    _check_text(parsed.text, source, limits)
    # Control characters (terminal escapes, NULs) become spaces: offsets stay valid and nothing
    # shown later (CLI, app, exports) can carry an escape sequence out of a report.
    return RawDocument(source=source, path=str(path), format=fmt, text=_CONTROL.sub(" ", parsed.text),
                       content_hash=hashlib.sha256(data).hexdigest(), pages=parsed.pages,
                       headings=parsed.headings, warnings=parsed.warnings)


def sniff_format(head: bytes, name: str = "") -> str:
    """Detect a file's format from its bytes.

    Args:
        head: the file's first bytes; pass the whole file for ZIPs so their contents can be listed.
        name: the file name, to name it in errors and to refuse a ``.pdf``/``.docx`` that is not one.

    Returns:
        ``"pdf"``, ``"html"``, ``"docx"`` or ``"text"``.

    Raises:
        IngestError: a binary or ZIP-based format that is not supported, or a misnamed file.
    """
    source = name or "document"
    fmt, looks_like = _classify(head)
    expected = {".pdf": "pdf", ".docx": "docx"}.get(Path(name).suffix.lower())
    if expected and fmt != expected:
        kind = "PDF" if expected == "pdf" else "Word document (.docx)"
        raise IngestError(source, f"is not a {kind} (its bytes look like {looks_like}): re-download or export "
                                  "it again")
    if fmt == "zip":
        raise IngestError(source, f"unsupported ZIP-based format ({looks_like}): save it as PDF or DOCX and "
                                  "add it again")
    if not fmt:
        raise IngestError(source, f"unsupported format (its bytes look like {looks_like}): convert it to PDF, "
                                  "DOCX, HTML or plain text and add it again")
    return fmt


# ---------------------------------------------------------------- bytes, sniffing, decoding


def _read_bytes(path: Path, source: str, limit: int) -> bytes:
    """The file's bytes, once it is known to be a regular, non-empty file within ``limit``."""
    try:
        data = read_regular_file(path, source, max_bytes=limit)
    except ValueError as exc:  # an embedded NUL in the path
        raise IngestError(source, f"cannot open the file ({brief(exc)}): check the path") from None
    if not data.strip():
        raise IngestError(source, "empty file: nothing to ingest; re-download it or remove it")
    return data


_RUNS: dict[int, re.Pattern[str]] = {}


def _check_text(text: str, source: str, limits: ReadLimits) -> None:
    """Refuse text over the character limit, or holding a run without whitespace over the run limit.

    Runs like these (a megabyte of dots, encoded data pasted as text) are not prose, and a word-piece
    tokenizer turns each of their characters into a token, so they are refused before any tokenizer
    sees them. The search starts only where a run starts, so it is linear in the text's length.
    """
    if len(text) > limits.max_report_chars:
        raise too_many_chars(source, limits, f"{len(text):,}")
    longest = limits.max_run_chars + 1
    pattern = _RUNS.get(longest) or _RUNS.setdefault(longest, re.compile(rf"(?<!\S)\S{{{longest}}}"))
    if run := pattern.search(text):
        end = re.compile(r"\s").search(text, run.end())
        length = (end.start() if end else len(text)) - run.start()
        raise limits.exceeded(source, "max_run_chars", f"it holds {length:,} characters in a row without a space "
                                                        f"(from character {run.start():,})",
                              "remove that run (it is not prose: encoded data or a damaged export)")


def _classify(head: bytes) -> tuple[str, str]:
    """(format, "zip" for other ZIP formats or "" for unsupported ones; what the bytes look like)."""
    stripped = head[:1024].lstrip(b" \t\r\n\f\x00\xef\xbb\xbf\xff\xfe")
    if stripped.startswith(b"%PDF-"):
        return "pdf", "a PDF"
    if head.startswith(b"PK\x03\x04"):
        return _classify_zip(head)
    for magic, looks_like in _TEXT_LIKE_UNSUPPORTED:
        if stripped.startswith(magic):
            return "", looks_like
    try:
        sample, _ = _decode(head[:_SNIFF_BYTES], final=len(head) <= _SNIFF_BYTES)
    except _NotText:
        return "", next((looks_like for magic, looks_like in _BINARY_MAGIC if head.startswith(magic)), "binary data")
    lowered = sample.lstrip("\ufeff \t\r\n").lower()
    if _HTML_START.match(lowered[:4096]) or _HTML_TAG.search(lowered[:2048]):
        return "html", "an HTML page"
    return "text", "plain text"


def _classify_zip(data: bytes) -> tuple[str, str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except Exception:  # only the head, or a damaged archive: look at the local file headers
        return ("docx", "a Word document") if b"word/document.xml" in data else ("zip", "a ZIP archive")
    if "word/document.xml" in names:
        return "docx", "a Word document"
    if "xl/workbook.xml" in names or any(name.startswith("ppt/") for name in names):
        return "zip", "an Excel or PowerPoint file"
    return "zip", "an OpenDocument or EPUB file" if "mimetype" in names else "a ZIP archive"


def _decode(data: bytes, *, final: bool = True) -> tuple[str, str | None]:
    """Decode text bytes to (text, warning or None); raise _NotText for binary data.

    BOMs are honoured and BOM-less UTF-16 is recognised by its NULs; otherwise UTF-8 (tolerating a
    few bad bytes in clearly UTF-8 text), then cp1252, then latin-1. ``final=False`` allows a cut tail.
    """
    declared = next((enc for bom, enc in _BOMS if data.startswith(bom)), None) or _bomless_utf16(data)
    text, label = None, ""
    for encoding in [declared] * bool(declared) + ["utf-8", "cp1252", "latin-1"]:
        try:
            text, label = codecs.getincrementaldecoder(encoding)("strict").decode(data, final=final), encoding
            break
        except UnicodeDecodeError:
            if encoding in ("cp1252", "latin-1"):
                continue
            lenient = codecs.getincrementaldecoder(encoding)("replace").decode(data, final=final)
            bad = lenient.count("\ufffd")
            if bad * 100 <= len(lenient) and (encoding != "utf-8" or len(_NON_ASCII.findall(lenient)) > 2 * bad):
                text, label = lenient, f"{encoding} with {bad} undecodable byte(s) replaced"
                break
    if text is None:
        raise _NotText(f"not valid {declared}")
    if (controls := len(_CONTROL.findall(text))) * 50 > len(text):
        raise _NotText(f"{controls} control characters")
    return text, None if label in _CLEAN_ENCODINGS else f"decoded as {label}: check special characters"


def _bomless_utf16(data: bytes) -> str | None:
    even, odd = data[0:4096:2], data[1:4096:2]
    if len(odd) >= 4 and odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if len(odd) >= 4 and even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


# ---------------------------------------------------------------- text


def _read_text(data: bytes, source: str, limits: ReadLimits) -> Parsed:
    try:
        text, warning = _decode(data)
    except _NotText as exc:
        raise IngestError(source, f"does not look like text ({exc}): convert it to PDF, DOCX, HTML or UTF-8 "
                                  "text and add it again") from None
    if not text.strip():
        raise IngestError(source, "empty file: nothing to ingest (only whitespace); re-download it or remove it")
    if len(text) > limits.max_report_chars:
        raise too_many_chars(source, limits, f"{len(text):,}")
    return Parsed(text.replace("\r\n", "\n").replace("\r", "\n"), warnings=(warning,) if warning else ())


# ---------------------------------------------------------------- HTML

_NEVER_TEXT = frozenset({"script", "style", "noscript", "template", "head", "title", "svg", "iframe", "select",
                         "button", "form"})
_CHROME_TAGS = frozenset({"nav", "footer", "aside", "dialog"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "search"})
_NOTICE_NAMES = re.compile(r"(?:^|[\s_-])(?:cookies?|breadcrumbs?|skip-?link)(?:$|[\s_-])", re.I)
_CHROME_NAMES = re.compile(r"(?:^|[\s_-])(?:nav|navbar|navigation|menu|footer|banner)(?:$|[\s_-])", re.I)
_HEADER_NAMES = re.compile(r"(?:^|[\s_-])(?:header|masthead)(?:$|[\s_-])", re.I)
_BLOCK_TAGS = frozenset({"address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "div",
                         "dl", "dt", "fieldset", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5",
                         "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "ul",
                         "tr", "td", "th", "tbody", "thead"})
_HEADING_LEVEL = {"h1": 1, "h2": 2, "h3": 3, "h4": 4}


def _read_html(data: bytes, source: str, limits: ReadLimits) -> Parsed:
    from bs4 import BeautifulSoup

    try:
        markup, warning = _decode(data)
    except _NotText as exc:
        raise IngestError(source, f"HTML that does not decode as text ({exc}): save it again as UTF-8 "
                                  "and add it again") from None
    try:
        soup = BeautifulSoup(markup, "lxml")
    except Exception:
        soup = BeautifulSoup(markup, "html.parser")
    for sup in soup.find_all("sup"):  # footnote markers: <sup>4</sup> or <sup>[4]</sup> -> ⁴
        if (marker := sup.get_text().strip().strip("[]()")).isdigit() and marker.isascii():
            sup.string = marker.translate(_SUPERSCRIPT)
    articles = soup.find_all("article", limit=2)
    main = soup.find("main") or soup.find(attrs={"role": "main"}) or (articles[0] if len(articles) == 1 else None)
    keep = _heading_ancestors(soup)
    blocks = Blocks()
    for root, strict in ((main, True), (main, False), (soup.body or soup, True), (soup.body or soup, False)):
        if root is not None:  # widen the net when the filters or <main> missed the content
            blocks = _html_blocks(root, keep, strict, Blocks(source, limits))
            if visible_chars("".join(blocks.parts)) >= MIN_TEXT_CHARS:
                break
    return blocks.parsed(warning)


def _heading_ancestors(soup: Any) -> dict[int, int]:
    """id of each element holding a heading -> 2 when it holds an h1, else 1 (one pass, no recursion)."""
    ranks: dict[int, int] = {}
    for heading in soup.find_all(["h1", "h2", "h3", "h4"]):
        rank = 2 if heading.name == "h1" else 1
        for parent in heading.parents:
            if ranks.get(id(parent), 0) >= rank:
                break
            ranks[id(parent)] = rank
    return ranks


def _is_chrome(tag: Any, keep: dict[int, int], strict: bool) -> bool:
    """Script and forms, and when ``strict`` site chrome: cookie notices, navigation, banners, footers.

    ``keep`` (from :func:`_heading_ancestors`) protects a page's title: an element holding an h1 is
    never chrome, and a header (tag or class name) holding any heading is kept.
    """
    if tag.name in _NEVER_TEXT:
        return True
    if not strict:
        return False
    classes = tag.get("class") or []
    label = " ".join([*(classes if isinstance(classes, list) else [classes]), str(tag.get("id", ""))])
    if _NOTICE_NAMES.search(label):
        return True
    if tag.name == "header" or _HEADER_NAMES.search(label):
        return id(tag) not in keep
    return keep.get(id(tag)) != 2 and (tag.name in _CHROME_TAGS or bool(_CHROME_NAMES.search(label))
                                       or str(tag.get("role", "")).lower() in _CHROME_ROLES)


def _html_blocks(root: Any, keep: dict[int, int], strict: bool, blocks: Blocks) -> Blocks:
    """Walk the DOM in order with an explicit stack (no recursion limit), adding text to ``blocks``."""
    from bs4 import NavigableString, Tag
    from bs4.element import PreformattedString

    buffer: list[str] = []
    level: int | None = None
    prefix = ""

    def flush() -> None:
        nonlocal prefix
        text = re.sub(r" *\n *", "\n", re.sub(r"[^\S\n]+", " ", "".join(buffer))).strip()
        buffer.clear()
        if text and level:
            blocks.add(" ".join(text.split()), level)
        elif text:
            blocks.add(prefix + text)
            prefix = ""

    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            flush()
            level = None if node.name in _HEADING_LEVEL else level
        elif isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):  # comments, doctype, CDATA
                buffer.append(re.sub(r"\s+", " ", node))
        elif not isinstance(node, Tag) or (node is not root and _is_chrome(node, keep, strict)):
            continue
        elif node.name == "br":
            buffer.append("\n")
        elif node.name == "table" and not node.find(["h1", "h2", "h3", "h4", "table"]):  # not a layout table
            flush()
            blocks.add(_html_table(node))
        else:
            if node.name in _BLOCK_TAGS:
                flush()
                level = _HEADING_LEVEL.get(node.name, level)
                prefix = "- " if node.name == "li" else prefix
                stack.append((node, True))  # flush again when the block ends
            stack.extend((child, False) for child in reversed(node.contents))
    flush()
    return blocks


def _html_table(table: Any) -> str:
    """A caption line, then one line per row with cells joined by tabs."""
    lines = [" ".join(table.caption.get_text(" ").split())] if table.caption else []
    for row in table.find_all("tr"):
        cells = [" ".join(cell.get_text(" ").split()) for cell in row.find_all(["td", "th"], recursive=False)]
        if any(cells) and row.find_parent("table") is table:
            lines.append("\t".join(cells))
    return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------- DOCX


def _read_docx(data: bytes, source: str, limits: ReadLimits) -> Parsed:
    import docx
    from docx.table import Table

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            total = sum(member.file_size for member in members)
            ratio = max((m.file_size / max(m.compress_size, 1) for m in members if m.file_size > _MB), default=0)
            if total > min(20 * limits.max_file_bytes, _ZIP_MAX_TOTAL) or ratio > _ZIP_MAX_RATIO:
                raise IngestError(source, f"ZIP bomb suspected (unpacks to {human_bytes(total)}, compression "
                                          f"ratio up to {ratio:.0f}x): do not open it; get a clean copy")
        document = docx.Document(io.BytesIO(data))
        blocks, numbers, styles = Blocks(source, limits), {}, {}
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                blocks.add("\n".join(row for row in map(_docx_row, item.rows) if row.strip()))
                continue
            style = _docx_style_name(item, styles)
            heading = re.fullmatch(r"Heading (\d)", style)
            level = 1 if style == "Title" else int(heading.group(1)) if heading else None
            text = _docx_paragraph_text(item, numbers)
            is_list = style.startswith("List") or (item._p.pPr is not None and item._p.pPr.numPr is not None)
            blocks.add(" ".join(text.split()) if level else "- " + text.strip() if is_list else text, level)
    except IngestError:
        raise
    except MemoryError:  # the worker's memory limit: not a damaged file
        raise
    except Exception as exc:
        raise IngestError(source, f"damaged Word document ({brief(exc)}): open it in Word and save it again, "
                                  "or export it as PDF") from exc
    return blocks.parsed()


def _docx_style_name(paragraph: Any, names: dict[str | None, str]) -> str:
    """The name of a paragraph's style, looked up once per style id and kept in ``names``.

    python-docx finds a style by scanning every style in the document, so asking each paragraph
    costs paragraphs x styles; a file with thousands of styles took many minutes that way.
    """
    style_id = paragraph._p.style  # the w:pStyle value, or None for the default paragraph style
    if style_id not in names:
        style = paragraph.style
        names[style_id] = (style.name if style is not None else "") or ""
    return names[style_id]


def _docx_row(row: Any) -> str:
    cells, seen = [], set()
    for cell in row.cells:  # a merged cell is repeated for every grid column it spans
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            cells.append(" ".join(cell.text.split()))
    return "\t".join(cells)


def _docx_paragraph_text(paragraph: Any, numbers: dict[str, int]) -> str:
    """Paragraph text; superscript digits and footnote references become Unicode superscripts.

    ``numbers`` maps footnote ids to their printed numbers, in order of first reference.
    """
    from docx.oxml.ns import qn

    parts = []
    for item in paragraph.iter_inner_content():
        for run in getattr(item, "runs", [item]):
            text = run.text
            if run.font.superscript and text.strip().isdigit():
                text = text.strip().translate(_SUPERSCRIPT)
            for ref in run._r.iter(qn("w:footnoteReference")):
                number = numbers.setdefault(str(ref.get(qn("w:id"))), len(numbers) + 1)
                text += str(number).translate(_SUPERSCRIPT)
            parts.append(text)
    return "".join(parts)


_READERS: dict[str, Callable[[bytes, str, ReadLimits], Parsed]] = {
    "pdf": read_pdf, "html": _read_html, "docx": _read_docx, "text": _read_text,
}
