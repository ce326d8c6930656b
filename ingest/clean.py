"""Repair the usual damage of text extracted from PDFs, one paragraph block at a time.

``clean_document`` turns a ``RawDocument`` into ``Block`` values: paragraphs, table rows,
captions and so on, with footnotes taken out of the flow and paragraphs that page or column
breaks cut in two rejoined where that is safe. Nothing is dropped but page furniture (page
numbers and running headers or footers of paginated documents, and the site navigation of saved
web pages, see ``ingest.furniture``; all listed in ``CleanDocument.furniture``): every other
character of the input ends up in a block or a footnote.

Paginated (PDF) text gets four more repairs, because the PDF reader only sees lines: page
furniture is taken out, plain-digit footnote markers ('taken place.4 Together') become
superscripts when the page carries that footnote, tables read one cell per line are rebuilt
into tab-separated rows, and an inspection question run into its first paragraph is split off.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ingest.furniture import page_top_of_blocks, split_site_lines, unwrapped_lines
from ingest.textutil import FOOTNOTE_MARKER_RE, SUPERSCRIPT_DIGITS, collapse_spaces, superscript_to_int
from ingest.types import GRADES, HeadingHint, PageSpan, RawDocument

_FOOTNOTE_RE = re.compile(rf"^([{SUPERSCRIPT_DIGITS}]+)\s*(\S.*)$", re.S)
_CAPTION_RE = re.compile(r"^(?:Figure|Table|Chart|Graph|Map)\s+\d+[A-Za-z]?\s*[:.–—-]\s*\S", re.I)
_SOURCE_RE = re.compile(r"^(?:Source|Sources|Note|Notes)\s*:", re.I)
LIST_ITEM_RE = re.compile(r"^\s*(?:[-•–·▪●*]|\(?[a-z0-9]{1,3}[.)])\s+\S")
_TOC_LINE_RE = re.compile(r"^(?P<title>.+?)(?:\s*\.{2,}\s*|\s*\t\s*|\s+)(?P<page>\d{1,3})\s*$")
_SHORT_CUT_WORDS = 16
_GRADE_LINE_RE = re.compile(
    r"^(?:(?:overall\s+)?judg(?:e)?ment\s*[:–-]\s*)?(outstanding|good|adequate|requires improvement|inadequate)$",
    re.I,
)


@dataclass
class Block:
    """One paragraph-like unit of a document.

    kind: para | bullet | table | caption | source | grade | toc | furniture
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
    furniture: list[Block] = field(default_factory=list, metadata={"doc": "page numbers, running headers"})


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
    if LIST_ITEM_RE.match(text):
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
        one_a_line = not raw.pages and unwrapped_lines(chunk) is not None  # a page copied with no blank lines
        for line in chunk.split("\n"):
            is_special = bool(_FOOTNOTE_RE.match(line.strip())) or "\t" in line
            prev_special = bool(pieces) and (
                bool(_FOOTNOTE_RE.match(pieces[-1][1][0].strip())) or "\t" in pieces[-1][1][-1]
            )
            if not pieces or one_a_line or is_special != prev_special or _FOOTNOTE_RE.match(line.strip()):
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


def _leading_note(block: Block) -> tuple[int, str] | None:
    """(number, text) of a footnote paragraph: '⁴ A distraction ...', or a list item '- ⁴ A ...'."""
    if block.kind not in {"para", "bullet"}:
        return None
    match = _FOOTNOTE_RE.match(block.text[2:] if block.text.startswith("- ") else block.text)
    number = superscript_to_int(match.group(1)) if match else None
    return None if number is None else (number, " ".join(match.group(2).split()))


def _take_footnotes(blocks: list[Block]) -> tuple[list[Block], list[CleanFootnote]]:
    """Take footnote paragraphs out of the flow.

    The plain items of a list under a 'Footnotes' / 'Endnotes' / 'Notes' heading (web pages print
    footnotes as a numbered list) are footnotes 1, 2, ... when that numbers every marker left
    without one.
    """
    found = {i: note for i, b in enumerate(blocks) if (note := _leading_note(b))}
    numbers = {n for n, _ in found.values()}
    markers = {n for i, b in enumerate(blocks) if i not in found for m in FOOTNOTE_MARKER_RE.finditer(b.text)
               if (n := superscript_to_int(m.group())) is not None}
    for i, block in enumerate(blocks[:-1]):
        if "\n" in block.text or not _NOTES_HEADING_RE.match(block.text.strip()):
            continue
        items = list(range(i + 1, len(blocks)))
        items = items[:next((k for k, j in enumerate(items) if blocks[j].kind != "bullet"), len(items))]
        if items and markers - numbers and markers - numbers <= set(range(1, len(items) + 1)):
            found |= {j: (n, blocks[j].text[2:].strip()) for n, j in enumerate(items, start=1) if j not in found}
    kept: list[Block] = []
    notes: list[CleanFootnote] = []
    for i, block in enumerate(blocks):
        if i in found:
            notes.append(CleanFootnote(*found[i], block.page, kept[-1] if kept else None))
        else:
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
    indexes of headings, captions and tables, which are never joined. A short cut paragraph
    (under a line of text, like a cover line 'visit to police custody suites in') is only
    continued by the block right after it.
    """
    groups: list[list[Block]] = []
    pending: list[tuple[int, int]] = []  # (group index, block index) of cut paragraphs, oldest first
    i = 0
    while i < len(blocks):
        block = blocks[i]
        pending = [(g, at) for g, at in pending
                   if i - at <= (window if len(blocks[at].text.split()) >= _SHORT_CUT_WORDS else 1)]
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


# ---------------------------------------------------------------- paginated (PDF) repairs

_PAGE_NUMBER_RE = re.compile(r"^(?:[Pp]age\s+)?(\d{1,4}|[ivxl]{1,6})(?:\s*(?:of|/)\s*\d{1,4})?$")
_EDGE_PAGE_NUMBER_RE = re.compile(r"^(\d{1,4})(?![/\d])|(?<![/\d])(\d{1,4})$")
_TRAILING_NUMBER_RE = re.compile(r"^(.*\S)\s+(\d{1,4})$", re.S)
_LEADING_NUMBER_RE = re.compile(r"^(\d{1,4})\s+(\S.*)$", re.S)
_PLAIN_FOOTNOTE_RE = re.compile(r"^(\d{1,3})\s+(?=[A-Z*‘'\"“(])")
_CELL_NUMBER_RE = re.compile(r"^(?:[-–+]?[£$]?\d[\d,.]*\s*%?\*?|n/a|[-–—*])$", re.I)
_RUN_IN_QUESTION_RE = re.compile(
    r"^((?:How|To what extent|What|Why|Is|Are|Does|Do|Has|Have|Can|Which)\b[^.?!\n]{10,240}\?)\s+(?=[A-Z‘'\"“])"
)
_NOTES_HEADING_RE = re.compile(r"^(?:foot|end)?notes:?$", re.I)
_SUPERSCRIPT = str.maketrans("0123456789", SUPERSCRIPT_DIGITS)


def _one_line(block: Block, words: int) -> bool:
    return block.kind == "para" and "\n" not in block.text and len(block.text.split()) <= words


def _words_key(words: list[str]) -> str:
    """Running headers and footers compare equal whatever page number they carry."""
    return re.sub(r"\d+", "#", " ".join(words).lower())


def _edge_runs(blocks: list[Block], pages: dict[int, list[int]], need: float) -> dict[int, tuple[int, int]]:
    """Block index -> (words to cut at the start, words to cut at the end) for running headers and
    footers that the reader ran into the first or last paragraph of a page: the longest run of
    four or more words that starts (ends) the first (last) paragraph of at least ``need`` pages."""
    counts: Counter[tuple[int, str]] = Counter()
    edges: list[tuple[int, int, list[str]]] = []  # (block index, side, words read from that side)
    for idx in pages.values():
        for i, side in ((idx[0], 0), (idx[-1], 1)):
            words = blocks[i].text.split()[:16] if side == 0 else blocks[i].text.split()[::-1][:16]
            edges.append((i, side, words))
            counts.update({(side, _words_key(words[:k] if side == 0 else words[:k][::-1]))
                           for k in range(4, len(words) + 1)})
    cuts: dict[int, tuple[int, int]] = {}
    for i, side, words in edges:
        best = max((k for k in range(4, len(words))
                    if counts[side, _words_key(words[:k] if side == 0 else words[:k][::-1])] >= need), default=0)
        cut = words[:best] if side == 0 else words[:best][::-1]
        if best and blocks[i].kind == "para" and not cut[-1].endswith((".", ",", ";", ":", "?", "!")):
            head, tail = cuts.get(i, (0, 0))
            cuts[i] = (best, tail) if side == 0 else (head, best)
    return cuts


def _drop_furniture(blocks: list[Block]) -> tuple[list[Block], list[Block]]:
    """Take out page furniture at the top and bottom of pages: lines that are only a page number;
    lines that repeat (numbers aside) on at least max(3, a quarter of the) pages; running headers
    and footers that the reader ran into a paragraph (four or more words starting or ending the
    first or last paragraph of at least half the pages); and page numbers run into a paragraph
    ('... escalation. 12'), once the standalone page numbers show which number each page carries.

    The first page (the cover, which often repeats the running header's title) loses only page numbers.
    """
    pages: dict[int, list[int]] = {}
    for i, block in enumerate(blocks):
        if block.page is not None:
            pages.setdefault(block.page, []).append(i)
    if len(pages) < 3:
        return blocks, []
    cover = min(pages)
    lines: dict[str, set[int]] = {}
    for page, idx in pages.items():
        for i in {*idx[:2], *idx[-2:]}:
            if _one_line(blocks[i], 15):
                lines.setdefault(_words_key(blocks[i].text.split()), set()).add(page)

    def whole_line(i: int, page: int) -> bool:
        if not _one_line(blocks[i], 15):
            return False
        return bool(_PAGE_NUMBER_RE.match(blocks[i].text.strip())) or (
            page != cover and len(lines[_words_key(blocks[i].text.split())]) >= max(3, len(pages) / 4))

    dropped: set[int] = set()
    for page, idx in pages.items():
        for order in (idx, idx[::-1]):
            for i in order[:2]:
                if not whole_line(i, page):
                    break
                dropped.add(i)
    cuts = _edge_runs(blocks, {page: idx for page, idx in pages.items() if page != cover}, max(3, len(pages) / 2))
    rest = {page: kept for page, idx in pages.items() if page != cover and (kept := [i for i in idx if i not in dropped])}
    cuts |= _edge_runs(blocks, rest, max(3, len(pages) / 2))
    numbers = Counter(int(m.group(1) or m.group(2)) - blocks[i].page for i in dropped
                      if (m := _EDGE_PAGE_NUMBER_RE.search(blocks[i].text.strip())))
    offset = numbers.most_common(1)[0][0] if numbers and numbers.most_common(1)[0][1] >= 2 else None
    firsts, lasts = {idx[0] for idx in rest.values()}, {idx[-1] for idx in rest.values()}
    kept, furniture = [], [replace(blocks[i], kind="furniture") for i in sorted(dropped)]
    for i, block in enumerate(blocks):
        if i in dropped:
            continue
        text = block.text
        head, tail = cuts.get(i, (0, 0))
        if head or tail:
            words = re.match(rf"^((?:\S+\s+){{{head}}})(.*?)((?:\s+\S+){{{tail}}})$", text, re.S)
            if words and words.group(2).strip():
                furniture += [Block(x.strip(), "furniture", block.page) for x in (words.group(1), words.group(3)) if x]
                text = words.group(2)
        if offset is not None and block.kind == "para" and (i in firsts or i in lasts):
            for pattern, number_at, text_at, edge in ((_LEADING_NUMBER_RE, 1, 2, firsts),
                                                      (_TRAILING_NUMBER_RE, 2, 1, lasts)):
                match = pattern.match(text) if i in edge else None
                if match and int(match.group(number_at)) == block.page + offset:
                    furniture.append(Block(match.group(number_at), "furniture", block.page))
                    text = match.group(text_at)
        kept.append(block if text == block.text else replace(block, text=text.strip()))
    return kept, furniture


def _link_plain_markers(blocks: list[Block]) -> list[Block]:
    """Footnote markers that the PDF reader left as plain digits glued to a word ('taken place.4
    Together') become superscripts when the same page carries footnote 4, and so does the number
    of a footnote line printed with a plain digit ('4 A distraction burglary is ...') when it
    follows its marker on the page."""
    blocks = list(blocks)
    present = {n for b in blocks for m in FOOTNOTE_MARKER_RE.finditer(b.text)  # markers, not footnotes' numbers
               if m.start() > 0 and (n := superscript_to_int(m.group())) is not None}

    def glued(number: int) -> re.Pattern[str]:
        return re.compile(rf"(?:(?<=[a-z])|(?<=[a-z][.,;:)’”'\"])){number}(?=[\s)]|$)")

    for i, block in enumerate(blocks):
        match = _FOOTNOTE_RE.match(block.text)
        number = superscript_to_int(match.group(1)) if match else None
        plain = None if match else _PLAIN_FOOTNOTE_RE.match(block.text)
        if plain and block.kind in {"para", "bullet"}:
            number = int(plain.group(1))
        if number is None or number in present:
            continue
        first = i
        while first > 0 and blocks[first - 1].page == block.page:
            first -= 1
        for k in range(first, i):
            if blocks[k].kind not in {"para", "bullet"} or not (found := glued(number).search(blocks[k].text)):
                continue
            text = blocks[k].text
            blocks[k] = replace(blocks[k], text=text[:found.start()] + str(number).translate(_SUPERSCRIPT)
                                + text[found.end():])
            if plain:
                blocks[i] = replace(block, text=str(number).translate(_SUPERSCRIPT) + block.text[plain.end(1):])
            present.add(number)
            break
    return blocks


def _cell_rows(cells: list[str]) -> list[list[str]] | None:
    """Rows of a table read one cell per line: the fewest columns (2-8) for which every row after
    the header is a label followed by numbers. A header one cell short (the label column's head
    ran into the caption) gets an empty first cell."""
    for columns in range(2, 9):
        header_size = columns if len(cells) % columns == 0 else columns - 1
        if (len(cells) - header_size) % columns or len(cells) - header_size < columns:
            continue
        body = [cells[k:k + columns] for k in range(header_size, len(cells), columns)]
        if all(not _CELL_NUMBER_RE.match(row[0]) and all(_CELL_NUMBER_RE.match(c) for c in row[1:]) for row in body):
            return [[""] * (columns - header_size) + cells[:header_size], *body]
    return None


def _rebuild_cell_tables(blocks: list[Block]) -> list[Block]:
    """Runs of six or more one-cell lines on a page, a third of them numbers, become one table block."""
    out: list[Block] = []
    i = 0
    while i < len(blocks):
        j = i
        while j < len(blocks) and _one_line(blocks[j], 8) and blocks[j].page == blocks[i].page \
                and not blocks[j].text.rstrip().endswith((".", ":", "?")):
            j += 1
        cells = [b.text.strip() for b in blocks[i:j]]
        rows = None
        if len(cells) >= 6 and sum(bool(_CELL_NUMBER_RE.match(c)) for c in cells) * 3 >= len(cells):
            # A short heading may come just before the table, or one just after it.
            for skip, trim in ((lead, tail) for lead in range(3) for tail in range(3)):
                if rows := _cell_rows(cells[skip:len(cells) - trim]):
                    table = Block("\n".join("\t".join(row) for row in rows), "table", blocks[i].page)
                    out.extend([*blocks[i:i + skip], table, *blocks[j - trim:j]])
                    break
        if not rows:
            out.extend(blocks[i:max(j, i + 1)])
        i = max(j, i + 1)
    return out


def _split_run_in_questions(blocks: list[Block]) -> list[Block]:
    """'How well are resources allocated ...? The constabulary ...' -> the question and its paragraph."""
    out: list[Block] = []
    for block in blocks:
        match = _RUN_IN_QUESTION_RE.match(block.text) if block.kind == "para" else None
        rest = block.text[match.end():] if match else ""
        if match and len(rest.split()) >= 8:
            out.extend([replace(block, text=match.group(1)), replace(block, text=rest, hint_level=None)])
        else:
            out.append(block)
    return out


def _drop_site_furniture(blocks: list[Block]) -> tuple[list[Block], list[Block]]:
    """Take out lines of site navigation and page furniture and split date labels and lone grade
    lines off the lines around them (``ingest.furniture.split_site_lines``)."""
    top = page_top_of_blocks([block.text for block in blocks])
    kept: list[Block] = []
    dropped: list[Block] = []
    for i, block in enumerate(blocks):
        if block.kind not in {"para", "bullet", "grade"}:
            kept.append(block)
            continue
        pieces, removed = split_site_lines(block.text, i, len(blocks), separate=grade_of, drop=top.get(i, ()))
        dropped += [Block(line, "furniture", block.page) for line in removed]
        if pieces == [block.text]:
            kept.append(block)
            continue
        kept += [replace(block, text=text, kind=_classify(text), joined=block.joined and n == 0)
                 for n, text in enumerate(pieces)]
    return kept, dropped


def clean_document(raw: RawDocument, is_heading: Callable[[Block, list[str]], bool] | None = None) -> CleanDocument:
    """Split ``raw`` into blocks, take out the contents list and footnotes, rejoin cut paragraphs.

    ``is_heading(block, toc)`` lets the section finder say which blocks are headings, so that
    a paragraph is never joined across one.
    """
    blocks = _split_paragraphs(raw)
    furniture: list[Block] = []
    if raw.pages:
        blocks, furniture = _drop_furniture(blocks)
        blocks = _split_run_in_questions(_rebuild_cell_tables(_link_plain_markers(blocks)))
    blocks, site = _drop_site_furniture(blocks)
    furniture += site
    blocks, toc = _take_toc(blocks)
    blocks, footnotes = _take_footnotes(blocks)
    structural = {
        i
        for i, b in enumerate(blocks)
        if b.kind not in {"para", "bullet"} or (is_heading is not None and is_heading(b, toc))
    }
    blocks = _rejoin(blocks, structural)
    return CleanDocument(blocks=blocks, footnotes=footnotes, toc=toc, furniture=furniture)
