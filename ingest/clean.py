"""Repair the usual damage of text extracted from PDFs, one paragraph block at a time.

``clean_document`` turns a ``RawDocument`` into ``Block`` values: paragraphs, table rows,
captions and so on, with footnotes taken out of the flow and paragraphs that page or column
breaks cut in two rejoined where that is safe. Nothing is dropped: every character of the
input ends up in a block or in a footnote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ingest.textutil import FOOTNOTE_MARKER_RE, SUPERSCRIPT_DIGITS, collapse_spaces, superscript_to_int
from ingest.types import GRADES, HeadingHint, PageSpan, RawDocument

_GRADE_SET = {g.lower() for g in GRADES}
_FOOTNOTE_RE = re.compile(rf"^([{SUPERSCRIPT_DIGITS}]+)\s*(\S.*)$", re.S)
_CAPTION_RE = re.compile(r"^(?:Figure|Table|Chart|Graph|Map)\s+\d+[A-Za-z]?\s*[:.–—-]\s*\S", re.I)
_SOURCE_RE = re.compile(r"^(?:Source|Sources|Note|Notes)\s*:", re.I)
_BULLET_RE = re.compile(r"^\s*(?:[-•–·▪●*]|\(?[a-z0-9]{1,3}[.)])\s+\S")
_TERMINAL = tuple(".?!:;)\"'’”") + tuple(SUPERSCRIPT_DIGITS) + ("}",)
_TOC_LINE_RE = re.compile(r"^(?P<title>.+?)(?:\s*\.{2,}\s*|\s*\t\s*|\s+)(?P<page>\d{1,3})\s*$")
_GRADE_LINE_RE = re.compile(
    r"^(?:(?:overall\s+)?judg(?:e)?ment\s*[:–-]\s*)?(outstanding|good|adequate|requires improvement|inadequate)$",
    re.I,
)


@dataclass
class Block:
    """One paragraph-like unit of a document.

    kind: para | bullet | table | caption | source | grade | toc | heading_hint
    """

    text: str
    kind: str
    page: int | None = None
    hint_level: int | None = None
    joined: bool = field(default=False, metadata={"doc": "continues the previous block"})


@dataclass(frozen=True)
class CleanFootnote:
    number: int
    text: str
    page: int | None
    after: Block | None = field(default=None, compare=False, metadata={"doc": "block it followed in the flow"})


@dataclass(frozen=True)
class CleanDocument:
    blocks: list[Block]
    footnotes: list[CleanFootnote]
    toc: list[str]


def _page_of(pages: tuple[PageSpan, ...], offset: int) -> int | None:
    for span in pages:
        if span.start <= offset < span.end:
            return span.page
    return None


def _hint_level(hints: tuple[HeadingHint, ...], start: int, end: int) -> int | None:
    for hint in hints:
        if hint.start < end and start < hint.end:
            return hint.level
    return None


def grade_of(text: str) -> str | None:
    """'Requires improvement' / 'Overall judgment: Good' -> canonical grade, else None."""
    cleaned = FOOTNOTE_MARKER_RE.sub("", text).strip().rstrip(".").strip()
    match = _GRADE_LINE_RE.match(" ".join(cleaned.split()))
    if not match:
        return None
    word = match.group(1).lower()
    return next(g for g in GRADES if g.lower() == word)


def _classify(text: str) -> str:
    lines = text.split("\n")
    if grade_of(text):
        return "grade"
    if _CAPTION_RE.match(text):
        return "caption"
    if _SOURCE_RE.match(text):
        return "source"
    if sum("\t" in line for line in lines) >= max(2, len(lines) // 2 + 1) or (
        len(lines) == 1 and text.count("\t") >= 2
    ):
        return "table"
    if _BULLET_RE.match(text):
        return "bullet"
    return "para"


def _split_paragraphs(raw: RawDocument) -> list[Block]:
    """Blank-line separated paragraphs; footnote lines and table rows become their own blocks."""
    blocks: list[Block] = []
    for match in re.finditer(r"\S(?:.|\n(?!\s*\n))*", raw.text):
        start, chunk = match.start(), match.group()
        # A paragraph may mix prose lines with footnote lines or table rows: split at those.
        pieces: list[tuple[int, list[str]]] = []
        offset = start
        for line in chunk.split("\n"):
            is_special = bool(_FOOTNOTE_RE.match(line.strip())) or "\t" in line
            prev_special = bool(pieces) and (
                bool(_FOOTNOTE_RE.match(pieces[-1][1][0].strip())) or "\t" in pieces[-1][1][-1]
            )
            if not pieces or is_special != prev_special or _FOOTNOTE_RE.match(line.strip()):
                pieces.append((offset, [line]))
            else:
                pieces[-1][1].append(line)
            offset += len(line) + 1
        for piece_start, lines in pieces:
            text = "\n".join(collapse_spaces(line) if "\t" not in line else line.strip() for line in lines)
            text = text.strip()
            if not text:
                continue
            block = Block(
                text=text,
                kind=_classify(text),
                page=_page_of(raw.pages, piece_start),
                hint_level=_hint_level(raw.headings, piece_start, piece_start + len(text)),
            )
            blocks.append(block)
    return blocks


def _take_toc(blocks: list[Block]) -> tuple[list[Block], list[str]]:
    """Find a table of contents (a 'Contents' line and entries ending in page numbers)."""
    for i, block in enumerate(blocks[:80]):
        if block.text.strip().lower() not in {"contents", "table of contents"}:
            continue
        entries: list[str] = []
        j = i + 1
        while j < len(blocks):
            lines = blocks[j].text.split("\n")
            parsed = [_TOC_LINE_RE.match(line.strip()) for line in lines]
            if not all(parsed):
                break
            entries.extend(" ".join(p.group("title").rstrip(". ").split()) for p in parsed if p)
            j += 1
        if entries:
            toc_block = Block(text="\n".join(b.text for b in blocks[i + 1 : j]), kind="toc", page=blocks[i].page)
            return [*blocks[: i + 1], toc_block, *blocks[j:]], entries
    return blocks, []


def _take_footnotes(blocks: list[Block]) -> tuple[list[Block], list[CleanFootnote]]:
    kept: list[Block] = []
    notes: list[CleanFootnote] = []
    for block in blocks:
        match = _FOOTNOTE_RE.match(block.text)
        if match and block.kind in {"para", "bullet"}:
            number = superscript_to_int(match.group(1))
            if number is not None:
                after = kept[-1] if kept else None
                notes.append(CleanFootnote(number, " ".join(match.group(2).split()), block.page, after))
                continue
        kept.append(block)
    return kept, notes


def _dangles(block: Block) -> bool:
    text = block.text.rstrip()
    # Cut mid-sentence: ends in a lower-case word or a comma, not in a title or a number.
    words = text.split()
    return block.kind in {"para", "bullet"} and len(words) >= 3 and (
        (words[-1][:1].islower() and words[-1][-1:].isalpha()) or text.endswith(",")
    )


def _is_orphan(block: Block) -> bool:
    text = block.text
    return block.kind == "para" and text[:1].islower() and not text.startswith(("www.", "http")) and " " in text


def _rejoin(blocks: list[Block], structural: set[int], window: int = 30) -> list[Block]:
    """Rejoin paragraphs cut by page or column breaks.

    A body paragraph that stops mid-sentence is continued by the next body paragraph that
    starts in lower case. When two-column pages interleave several cut paragraphs, they are
    matched first-in first-out, and the continuation carries the body paragraphs that follow
    it (up to the next heading, cut paragraph or continuation). ``structural`` holds the
    indexes of headings, captions and tables, which are never joined.
    """
    groups: list[list[Block]] = []
    pending: list[tuple[int, int]] = []  # (group index, block index) of cut paragraphs, oldest first
    i = 0
    while i < len(blocks):
        block = blocks[i]
        pending = [(g, at) for g, at in pending if i - at <= window]
        if i not in structural and _is_orphan(block) and pending:
            target, _ = pending.pop(0)
            run = [replace(block, joined=True)]
            j = i + 1
            if pending or target != len(groups) - 1:
                while (
                    j < len(blocks)
                    and j not in structural
                    and blocks[j].kind in {"para", "bullet"}
                    and not _is_orphan(blocks[j])
                    and not _dangles(run[-1])
                ):
                    run.append(blocks[j])
                    j += 1
            groups[target].extend(run)
            if _dangles(run[-1]):
                pending.insert(0, (target, j - 1))
            i = j
            continue
        groups.append([block])
        if i not in structural and _dangles(block):
            pending.append((len(groups) - 1, i))
            pending = pending[-4:]
        i += 1
    return [block for group in groups for block in group]


def clean_document(raw: RawDocument, is_heading: callable | None = None) -> CleanDocument:
    """Split ``raw`` into blocks, take out the contents list and footnotes, rejoin cut paragraphs.

    ``is_heading(block, toc)`` lets the section finder say which blocks are headings, so that
    a paragraph is never joined across one.
    """
    blocks = _split_paragraphs(raw)
    blocks, toc = _take_toc(blocks)
    blocks, footnotes = _take_footnotes(blocks)
    structural = {
        i
        for i, b in enumerate(blocks)
        if b.kind not in {"para", "bullet"} or (is_heading is not None and is_heading(b, toc))
    }
    blocks = _rejoin(blocks, structural)
    return CleanDocument(blocks=blocks, footnotes=footnotes, toc=toc)
