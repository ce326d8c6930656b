"""Find the headed sections of an inspection report.

Headings come from four kinds of evidence, strongest first: the file's markup (HTML and DOCX
headings), the report's own table of contents, the fixed vocabulary of inspection reports
(inspection questions, 'Summary of findings', 'Areas for improvement', annexes, ...), and
the shape of a line (short, no closing punctuation, followed by body text).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, replace

from ingest.clean import Block, CleanDocument, clean_document, grade_of
from ingest.furniture import is_date_label, is_furniture
from ingest.textutil import FOOTNOTE_MARKER_RE, marker_numbers
from ingest.types import Figure, Footnote, PageSpan, RawDocument, Section

_QUESTION_RE = re.compile(
    r"^(?:overview\s*[–—-]\s*)?(?:how|to what extent|what|why|is|are|does|do|has|have|can|which|where|when|who)\b.*\?$",
    re.I,
)
# The graded questions of PEEL and the crime inspections ask how effective / efficient /
# legitimate / well-led a force is; sub-questions ask how well it does one part of that.
_PRIMARY_QUESTION_RE = re.compile(
    r"^(?:overview\s*[–—-]\s*)?(?:how (?:effective|efficient|legitimate|well[- ]led)\s+(?:is|are)\s+(?:the\s+)?"
    r"(?:force|constabulary|service|police))",
    re.I,
)
_KNOWN = {
    # normalised heading -> kind
    "overview": "overview",
    "summary": "summary",
    "executive summary": "summary",
    "key findings": "summary",
    "main findings": "summary",
    "findings": "summary",
    "introduction": "introduction",
    "foreword": "introduction",
    "background": "introduction",
    "about this inspection": "introduction",
    "methodology": "introduction",
    "force in numbers": "data",
    "contents": "contents",
    "table of contents": "contents",
    "summary of findings": "summary_of_findings",
    "areas for improvement": "areas_for_improvement",
    "area for improvement": "areas_for_improvement",
    "recommendations": "recommendations",
    "recommendation": "recommendations",
    "causes of concern": "causes_of_concern",
    "cause of concern": "causes_of_concern",
    "innovative practice": "other",
    "promising practice": "other",
    "notable practice": "other",
    "good practice": "other",
    "conclusion": "other",
    "conclusions": "other",
    "next steps": "other",
    "glossary": "annex",
}
_CHILD_KINDS = {"summary_of_findings", "areas_for_improvement", "recommendations", "causes_of_concern"}
_ANNEX_RE = re.compile(r"^(?:annex|appendix)\b", re.I)
_CLOSING_RE = re.compile(r"^(?:yours (?:sincerely|faithfully)|kind regards|dear\s)", re.I)
_DATE_LINE_RE = re.compile(
    r"^(?:\d{1,2}(?:st|nd|rd|th)?\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{4}$", re.I
)
_NOT_HEADING_RE = re.compile(r"^(?:©|isbn|www\.|https?://|page \d|source\b|copied to|(?:to be|not yet|not) graded$|ungraded$)",
                             re.I)


def _norm(text: str) -> str:
    text = FOOTNOTE_MARKER_RE.sub("", text)
    text = re.sub(r"\s*\.{2,}\s*\d*$", "", text)  # dot leaders
    return " ".join(text.replace("’", "'").split()).strip().rstrip(":").lower()


def _is_single_line(block: Block) -> bool:
    return "\n" not in block.text and "\t" not in block.text and len(block.text) <= 220


_FUNCTION_WORDS = {"the", "a", "an", "of", "and", "or", "in", "to", "with", "for", "on", "by", "at", "from", "that"}
_LABELS = {"overall judgment", "overall judgement", "judgment", "judgement"}


def _looks_like_body(block: Block | None) -> bool:
    if block is None or block.joined:
        return False
    if block.kind == "bullet":
        return True
    text = block.text.rstrip()
    return block.kind == "para" and (len(text.split()) >= 25 or text.endswith((".", ":", ".”", ".'", ".’", ';')))


def heading_kind(block: Block, toc: set[str], next_block: Block | None = None) -> str | None:
    """The kind of heading ``block`` is, or None when it is not a heading."""
    if block.kind not in {"para"} or not _is_single_line(block):
        return None
    text = block.text.strip()
    norm = _norm(text)
    if not norm or norm in _LABELS or _NOT_HEADING_RE.match(norm) or _CLOSING_RE.match(norm) or _DATE_LINE_RE.match(norm):
        return None
    if is_date_label(text) or is_furniture(text):  # 'Last updated 03/11/2016', 'Read more about Kent'
        return None
    if next_block is not None and next_block.joined:
        return None  # the line is the first half of a paragraph cut by a page break
    if norm in _KNOWN:
        return _KNOWN[norm]
    if _ANNEX_RE.match(norm) and len(norm.split()) <= 14:
        return "annex"
    if norm.startswith("overview"):
        return "overview"
    words = len(norm.split())
    if _QUESTION_RE.match(norm) and words <= 40:
        return "question"
    if block.hint_level is not None:
        return "other"
    if norm in toc:
        return "other"
    # A title with a subtitle ('Core business: An inspection of ...') may run a little longer.
    limit = 18 if re.search(r"\w: \w", text) else 12
    last_word = norm.split()[-1]
    shaped = words <= limit and len(text) <= 140 and not text.endswith(tuple(".,;:!")) and text[:1].isupper()
    if shaped and last_word not in _FUNCTION_WORDS and next_block is not None and (
        grade_of(next_block.text) or _looks_like_body(next_block) or is_date_label(next_block.text)
    ):  # a web page dates each heading's section: 'Investigating crime' / 'Last updated 01/03/2017'
        return "other"
    return None


@dataclass
class _Heading:
    index: int
    text: str
    kind: str
    rank: int
    judgment: str | None = None


_OVERALL_SUMMARIES = {"summary", "executive summary", "overall summary"}
_SENTENCE_GRADED = {"other", "question", "summary_of_findings"}
_GRADE_SENTENCE_RE = re.compile(  # the first sentence under a graded area states its grade
    r"^[^.?!\n]{0,120}?\b(?:(?:is|are|was|were|remains?|(?:has been|was) (?:judged|graded)(?: as| to be)?)\s+"
    r"(outstanding|good|adequate|inadequate)|(requires? improvement))\s+(?:at|in)\b",
    re.I,
)


def _stated_grade(blocks: list[Block], index: int, kinds: dict[int, str], sentences: bool) -> str | None:
    """The grade printed just below heading ``index``: a grade line (perhaps under an 'Overall judgment'
    label), or when ``sentences`` and the heading is no question, a first sentence stating one
    ('Kent Police requires improvement at investigating crime.')."""
    sentences = sentences and not blocks[index].text.rstrip().endswith("?")
    for k in range(index + 1, min(index + 4, len(blocks))):
        if k in kinds:
            return None
        if grade := grade_of(blocks[k].text):
            return grade
        if sentences and blocks[k].kind == "para" and (match := _GRADE_SENTENCE_RE.match(blocks[k].text)):
            return grade_of(match.group(1) or match.group(2))
        if _norm(blocks[k].text) not in _LABELS and not is_date_label(blocks[k].text):
            return None
    return None


_OVERALL_RE = re.compile(r"keeping people safe and reducing crime|^overview|overall", re.I)


def _primary_questions(blocks: list[Block], kinds: dict[int, str], toc: set[str]) -> set[int]:
    """Indexes of the graded top-level questions.

    Effectiveness, efficiency and legitimacy reports ask 'How effective is the force at ...?'
    under one overall question; where no such question exists (efficiency reports ask 'How
    well does the force understand demand?'), the questions listed in the contents (or all
    questions) are the top level.
    """
    questions = {i: _norm(blocks[i].text) for i, k in kinds.items() if k == "question"}
    strict = {i for i, q in questions.items() if _PRIMARY_QUESTION_RE.match(q) and not _OVERALL_RE.search(q)}
    if strict:
        return strict
    listed = {i for i, q in questions.items() if q in toc and not _OVERALL_RE.search(q)}
    return listed or {i for i, q in questions.items() if not _OVERALL_RE.search(q)}


def _rank_headings(blocks: list[Block], kinds: dict[int, str], toc: set[str]) -> list[_Heading]:
    """Give each heading a depth: 1 for document parts and graded questions, 2 for
    sub-questions and the findings under a question, 3 for questions under those."""
    hinted = [i for i in sorted(kinds) if blocks[i].hint_level is not None]
    hint_levels = sorted({blocks[i].hint_level for i in hinted})
    if len(hint_levels) > 1 and [blocks[i].hint_level for i in hinted].count(hint_levels[0]) == 1 \
            and blocks[hinted[0]].hint_level == hint_levels[0]:
        hint_levels.pop(0)  # a single top heading first (a web page's h1) is the title: rank from the next level
    primaries = _primary_questions(blocks, kinds, toc)
    headings: list[_Heading] = []
    in_summary = False  # overview pages repeat the graded questions with their grades
    remaining = Counter(_norm(blocks[i].text) for i in kinds)  # a heading still to come again is a repeat
    parent_kind: str | None = None  # kind of the current depth-1 heading
    for index in sorted(kinds):
        block, kind = blocks[index], kinds[index]
        text = block.text.strip()
        norm = _norm(text)
        nxt = blocks[index + 1] if index + 1 < len(blocks) else None
        graded_next = nxt is not None and grade_of(nxt.text) is not None
        if kind == "other" and not graded_next:  # 'Kent Police is adequate at investigating crime.'
            graded_next = _stated_grade(blocks, index, kinds, sentences=True) is not None
        remaining[norm] -= 1
        repeated_later = remaining[norm] > 0
        if kind == "other" and graded_next:
            kind = "question"  # graded areas without a question mark, as in PEEL 2021/22
        if block.hint_level is not None and hint_levels:
            rank = min(3, hint_levels.index(block.hint_level) + 1) if block.hint_level in hint_levels else 1
        elif kind == "summary" and norm not in _OVERALL_SUMMARIES and parent_kind == "question":
            rank = 2  # 'Main findings' of a graded area
        elif kind in {"overview", "summary", "introduction", "contents", "data", "annex"}:
            rank = 1
        elif kind == "question" and (index in primaries or (graded_next and not _OVERALL_RE.search(norm))):
            rank = 2 if in_summary and repeated_later else 1
        elif kind == "question" and _OVERALL_RE.search(norm):
            rank, kind = 1, "overview"
        elif kind == "question":
            listed = not toc or norm in toc
            rank = 3 if parent_kind == "question" and not listed else 2 if parent_kind else 1
        elif kind in _CHILD_KINDS:
            rank = 2 if parent_kind in {"question", "overview", "summary"} else 1
        else:  # known only by its shape: nests under a document part, else stands alone
            rank = 2 if parent_kind in {"question", "data", "annex", "introduction"} else 1
        if rank == 1:
            parent_kind = kind
            in_summary = kind in {"overview", "summary"}
        headings.append(_Heading(index=index, text=text, kind=kind, rank=rank))
    return headings


def _section_id(source: str, path: tuple[str, ...], ordinal: int) -> str:
    digest = hashlib.sha1(f"{source}\x1f{' > '.join(path)}\x1f{ordinal}".encode()).hexdigest()[:12]
    return f"s-{digest}"


def _compose(blocks: list[Block]) -> tuple[str, list[tuple[int, int]], tuple[PageSpan, ...]]:
    """Join blocks into the report's display text; return each block's span and the page map."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    pages: list[PageSpan] = []
    offset = 0
    for n, block in enumerate(blocks):
        sep = "" if n == 0 else (" " if block.joined else "\n\n")
        parts.append(sep + block.text)
        start = offset + len(sep)
        end = start + len(block.text)
        spans.append((start, end))
        if block.page is not None:
            if pages and pages[-1].page == block.page and pages[-1].end >= offset:
                pages[-1] = PageSpan(pages[-1].start, end, block.page)
            else:
                pages.append(PageSpan(offset if pages else 0, end, block.page))
        offset = end
    return "".join(parts), spans, tuple(pages)


def _figures(blocks: list[Block], spans: list[tuple[int, int]], lo: int, hi: int) -> tuple[Figure, ...]:
    """Captions with their table rows and source line, for blocks ``lo..hi-1``."""
    figures: list[Figure] = []
    i = lo
    while i < hi:
        block = blocks[i]
        if block.kind == "caption" or (block.kind == "table" and (i == lo or blocks[i - 1].kind != "caption")):
            caption = block.text if block.kind == "caption" else ""
            j = i + 1 if block.kind == "caption" else i
            rows: list[tuple[str, ...]] = []
            while j < hi and blocks[j].kind == "table":
                rows.extend(tuple(c.strip() for c in line.split("\t")) for line in blocks[j].text.split("\n"))
                j += 1
            source_note = None
            end = spans[j - 1][1]
            # Notes printed under a table ('Source: ...', '*Rate per 1,000 households ...').
            while j < hi and (blocks[j].kind == "source" or (rows and blocks[j].text.lstrip().startswith("*"))):
                source_note = blocks[j].text if source_note is None else f"{source_note}\n{blocks[j].text}"
                end = spans[j][1]
                j += 1
            figures.append(
                Figure(caption=caption, start=spans[i][0], end=end, rows=tuple(rows), source_note=source_note,
                       page=block.page)
            )
            i = max(j, i + 1)
            continue
        i += 1
    return tuple(figures)


@dataclass(frozen=True)
class SectionedText:
    text: str
    sections: tuple[Section, ...]
    footnotes: tuple[Footnote, ...]
    pages: tuple[PageSpan, ...]
    toc: tuple[str, ...]


def _detect_headings(blocks: list[Block], toc: set[str]) -> dict[int, str]:
    kinds: dict[int, str] = {}
    for i, block in enumerate(blocks):
        kind = heading_kind(block, toc, blocks[i + 1] if i + 1 < len(blocks) else None)
        if kind is not None:
            kinds[i] = kind
    return kinds


def _place_footnotes(cleaned: CleanDocument, kinds: dict[int, str]) -> list[Block]:
    """Blocks with each footnote moved to the end of the section whose text carries its marker
    (or, when no marker is found, of the section it was printed in)."""
    blocks = list(cleaned.blocks)
    heading_at = sorted(kinds)
    inserts: dict[int, list[Block]] = {}
    first_marker: dict[int, int] = {}  # footnote number -> first block carrying its marker
    for i, block in enumerate(blocks):
        if block.kind != "toc":
            for match in FOOTNOTE_MARKER_RE.finditer(block.text):
                for number in marker_numbers(match.group()):
                    first_marker.setdefault(number, i)
    position = {id(b): i for i, b in enumerate(blocks)}
    for note in sorted(cleaned.footnotes, key=lambda n: n.number):
        home = first_marker.get(note.number)
        if home is None and note.after is not None:
            home = position.get(id(note.after))
        home = len(blocks) - 1 if home is None else home
        slot = next((h for h in heading_at if h > home), len(blocks))
        inserts.setdefault(slot, []).append(
            Block(text=f"{_superscript(note.number)} {note.text}", kind="footnote", page=note.page)
        )
    out: list[Block] = []
    for i in range(len(blocks) + 1):
        out.extend(inserts.get(i, []))
        if i < len(blocks):
            out.append(blocks[i])
    return out


def _superscript(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def find_sections(raw: RawDocument) -> SectionedText:
    """Split a document into sections with heading paths, judgments, figures and footnotes.

    Themes are filled in later by ``ingest.metadata``; here ``question`` is the graded
    (top-level) question heading above a section, if any.
    """

    def is_heading(block: Block, toc: list[str]) -> bool:
        return heading_kind(block, set(toc), None) is not None or block.kind == "grade"

    cleaned: CleanDocument = clean_document(raw, is_heading=is_heading)
    toc = {_norm(entry) for entry in cleaned.toc}
    blocks = _place_footnotes(cleaned, _detect_headings(cleaned.blocks, toc))
    kinds = _detect_headings(blocks, toc)
    text, spans, pages = _compose(blocks)
    headings = _rank_headings(blocks, kinds, toc)

    for h in headings:
        h.judgment = _stated_grade(blocks, h.index, kinds, sentences=h.kind in _SENTENCE_GRADED)

    sections: list[Section] = []
    stack: list[_Heading] = []
    bounds = [h.index for h in headings] + [len(blocks)]
    if bounds[0] > 0:
        end_block = bounds[0]
        sections.append(
            Section(
                section_id=_section_id(raw.source, ("Front matter",), 0),
                heading="Front matter", path=("Front matter",), level=1, kind="front_matter",
                start=spans[0][0], end=spans[end_block - 1][1], text=text[spans[0][0]:spans[end_block - 1][1]],
                page=blocks[0].page, figures=_figures(blocks, spans, 0, end_block),
            )
        )
    for n, h in enumerate(headings):
        while stack and stack[-1].rank >= h.rank:
            stack.pop()
        stack.append(h)
        path = tuple(x.text for x in stack)
        lo, hi = h.index + 1, bounds[n + 1]
        start = spans[lo][0] if lo < hi else spans[h.index][1]
        end = spans[hi - 1][1] if lo < hi else spans[h.index][1]
        questions = [x for x in stack if x.kind == "question"]
        sections.append(
            Section(
                section_id=_section_id(raw.source, path, n + 1),
                heading=h.text, path=path, level=h.rank, kind=h.kind,
                start=start, end=end, text=text[start:end],
                question=questions[0].text if questions else None,
                judgment=h.judgment, page=blocks[h.index].page,
                figures=_figures(blocks, spans, lo, hi),
            )
        )
        # A question's grade is often printed only in its 'Summary of findings'.
        if h.kind == "summary_of_findings" and h.judgment and len(stack) > 1:
            parent = stack[-2]
            if parent.judgment is None and parent.kind == "question":
                parent.judgment = h.judgment
                parent_path = tuple(x.text for x in stack[:-1])
                for i, sec in enumerate(sections):
                    if sec.path == parent_path and sec.judgment is None:
                        sections[i] = replace(sec, judgment=h.judgment)

    # Overview pages often print a question's grade that the body leaves to a missing image.
    graded = {_norm(x.heading): x.judgment for x in sections if x.kind == "question" and x.judgment}
    for i, sec in enumerate(sections):
        if sec.kind == "question" and sec.judgment is None and _norm(sec.heading) in graded:
            sections[i] = replace(sec, judgment=graded[_norm(sec.heading)])

    footnotes = _link_footnotes(blocks, spans, text, sections)
    return SectionedText(text=text, sections=tuple(sections), footnotes=footnotes, pages=pages,
                         toc=tuple(cleaned.toc))


def _link_footnotes(
    blocks: list[Block], spans: list[tuple[int, int]], text: str, sections: list[Section]
) -> tuple[Footnote, ...]:
    """Footnote records: where each is shown, and the first marker with its number."""
    markers: dict[int, int] = {}
    for match in FOOTNOTE_MARKER_RE.finditer(text):
        if text[max(0, match.start() - 2):match.start()].endswith("\n\n") or match.start() == 0:
            continue  # the footnote's own number at the start of its paragraph
        for number in marker_numbers(match.group()):
            markers.setdefault(number, match.start())
    notes: list[Footnote] = []
    for block, (start, end) in zip(blocks, spans, strict=True):
        if block.kind != "footnote":
            continue
        number = marker_numbers(FOOTNOTE_MARKER_RE.match(block.text).group())[0]
        body = block.text.split(" ", 1)[1] if " " in block.text else ""
        section_id = next((s.section_id for s in sections if s.start <= start < s.end), None)
        notes.append(Footnote(number=number, text=body, start=start, end=end, section_id=section_id,
                              marker_start=markers.get(number), page=block.page))
    return tuple(notes)
