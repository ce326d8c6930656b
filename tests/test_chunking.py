"""Chunk boundaries: sections, tables, footnotes, offsets and ids (tokenizer only, no model)."""

from __future__ import annotations

import hashlib
import itertools
import re

import pytest

from ingest.chunk import ENCODER_MAX_TOKENS, ChunkingParams, chunk_report, count_tokens, sentence_units
from ingest.pipeline import build_report
from ingest.types import Chunk, RawDocument, Report

SENTENCES = [
    "The force has improved the way it investigates crime and keeps victims informed of progress.",
    "Supervisors review investigation plans regularly, and we found evidence of this in the case files.",
    "Officers told us that heavy workloads sometimes delay enquiries into lower-risk crimes.",
    "The force works well with partner organisations to protect vulnerable people from harm.",
    "Victim satisfaction has remained above the average for England and Wales for several years.",
]


def paragraph(n: int, sentences: int = 6) -> str:
    """Sentences that never repeat exactly (a piece's text is found at one place only)."""
    return " ".join(SENTENCES[(n + k) % len(SENTENCES)].replace(".", f" (case {n}-{k}).")
                    for k in range(sentences))


ROWS = [f"Offence group {n}\t{1000 + 37 * n:,}\t{(n % 9) + 0.5:.1f}\t{(n % 7) + 1.2:.1f}" for n in range(60)]

TEXT = "\n\n".join([
    "PEEL: Police effectiveness 2016",
    "An inspection of Kent Police",
    "March 2017",
    "How effective is the force at investigating crime and managing offenders?",
    "Good",
    *(paragraph(n) for n in range(4)),
    paragraph(4, 18),  # one paragraph longer than a chunk: cut between sentences, with overlap
    "Officers use body-worn video routinely.³ " + paragraph(7, 2),
    "How well does the force bring offenders to justice?",
    paragraph(8, 3),
    "Figure 4: Outcomes recorded in the 12 months to 30 June 2016 by offence group\n"
    "Offence group\tNumber of outcomes\tRate\tEngland and Wales rate\n" + "\n".join(ROWS),
    "Source: Home Office crime outcomes data",
    "³ Body-worn video cameras record what officers see and hear during incidents.",
    "How effective is the force at protecting from harm those who are vulnerable?",
    "Requires improvement",
    paragraph(9, 2),
])


def make_report(text: str = TEXT) -> Report:
    raw = RawDocument(source="kent.txt", path="kent.txt", format="text", text=text,
                      content_hash=hashlib.sha256(text.encode()).hexdigest())
    return build_report(raw)


@pytest.fixture(scope="module")
def report() -> Report:
    return make_report()


@pytest.fixture(scope="module")
def chunks(report: Report) -> list[Chunk]:
    return chunk_report(report)


def section_of(report: Report, chunk: Chunk):
    return next(s for s in report.sections if s.section_id == chunk.section_id)


def test_offsets_are_verbatim_and_inside_one_section(report: Report, chunks: list[Chunk]) -> None:
    for chunk in chunks:
        section = section_of(report, chunk)
        assert 0 <= chunk.start < chunk.end <= len(section.text)
        assert chunk.text == section.text[chunk.start:chunk.end]
        assert report.text[section.start + chunk.start:section.start + chunk.end] == chunk.text
        assert (chunk.heading, chunk.path, chunk.kind) == (section.heading, section.path, section.kind)


def test_long_section_is_cut_into_prose_chunks_within_budget(report: Report, chunks: list[Chunk]) -> None:
    params = ChunkingParams()
    first = report.sections[1]
    assert first.heading.startswith("How effective is the force at investigating crime")
    prose = [c for c in chunks if c.section_id == first.section_id and not c.is_table
             and not c.text.startswith("³")]
    assert len(prose) >= 3
    for chunk in prose:
        assert count_tokens(chunk.text) <= params.chunk_tokens + 4  # markers are not counted in the budget
    # Consecutive pieces overlap by at most the overlap budget, and together cover the section's text.
    overlaps = 0
    for before, after in itertools.pairwise(prose):
        assert after.start <= before.end + 2
        if after.start < before.end:
            overlaps += 1
            assert count_tokens(first.text[after.start:before.end]) <= params.overlap_tokens
            assert re.match(r"[A-Z]", after.text)  # an overlapping piece starts at a sentence
    assert overlaps >= 1
    covered = set().union(*(range(c.start, c.end) for c in chunks if c.section_id == first.section_id))
    assert all(i in covered for i, ch in enumerate(first.text) if not ch.isspace())


def test_every_embed_text_fits_the_encoder(chunks: list[Chunk]) -> None:
    for chunk in chunks:
        assert count_tokens(chunk.embed_text) <= ENCODER_MAX_TOKENS - 2
        assert chunk.embed_text.startswith("Kent Police 2016 PEEL effectiveness.")
        assert not re.search("[⁰¹²³⁴⁵⁶⁷⁸⁹]", chunk.embed_text)


def test_table_is_cut_between_rows_with_caption_and_header_repeated(report: Report, chunks: list[Chunk]) -> None:
    pieces = [c for c in chunks if c.is_table]
    assert len(pieces) >= 2, "a 60-row table does not fit one chunk"
    rows_seen: list[str] = []
    for piece in pieces:
        rows = [line for line in piece.text.split("\n") if "\t" in line]
        assert all(line.count("\t") == 3 for line in rows)  # whole rows only
        rows_seen += [r for r in rows if not r.startswith("Offence group\t")]
        body = piece.embed_text.split("\n", 1)[1]
        assert body.startswith("Figure 4: Outcomes recorded in the 12 months to 30 June 2016 by offence group\n"
                               "Offence group | Number of outcomes | Rate | England and Wales rate\n")
    assert rows_seen == ROWS  # every row once, in order, none cut
    assert pieces[0].text.startswith("Figure 4:") and pieces[-1].text.rstrip().endswith("outcomes data")
    section = section_of(report, pieces[0])
    [figure] = section.figures
    assert len(figure.rows) == 61 and figure.source_note == "Source: Home Office crime outcomes data"


def test_small_table_stays_whole() -> None:
    text = TEXT.replace("\n".join(ROWS), "\n".join(ROWS[:4]))
    pieces = [c for c in chunk_report(make_report(text)) if c.is_table]
    assert len(pieces) == 1
    assert pieces[0].text.count("\n") >= 5 and "Source: Home Office" in pieces[0].embed_text


def test_footnote_is_its_own_chunk_with_its_marker_sentence(report: Report, chunks: list[Chunk]) -> None:
    [note] = [c for c in chunks if c.text.startswith("³ ")]
    assert note.text == "³ Body-worn video cameras record what officers see and hear during incidents."
    assert note.embed_text.endswith("(Footnote to: Officers use body-worn video routinely.)")
    marker = report.footnotes[0]
    assert marker.number == 3 and report.text[marker.marker_start] == "³"
    assert note.section_id == marker.section_id
    assert not any("³ Body-worn" in c.text for c in chunks if c is not note)


def test_chunks_never_cross_sections(report: Report, chunks: list[Chunk]) -> None:
    headings = [s.heading for s in report.sections if s.kind != "front_matter"]
    for chunk in chunks:
        for heading in headings:
            assert heading not in chunk.text or heading == chunk.heading


def test_chunk_ids_are_stable_and_depend_on_parameters(report: Report, chunks: list[Chunk]) -> None:
    assert [c.chunk_id for c in chunk_report(make_report())] == [c.chunk_id for c in chunks]
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    default = {c.chunk_id for c in chunks}
    smaller = chunk_report(report, ChunkingParams(chunk_tokens=96, overlap_tokens=16))
    assert len(smaller) > len(chunks)
    assert default.isdisjoint(c.chunk_id for c in smaller)
    other_overlap = chunk_report(report, ChunkingParams(overlap_tokens=0))
    assert default.isdisjoint(c.chunk_id for c in other_overlap)


def test_ids_change_with_the_file(report: Report, chunks: list[Chunk]) -> None:
    edited = chunk_report(make_report(TEXT.replace("March 2017", "April 2017")))
    assert {c.chunk_id for c in edited}.isdisjoint(c.chunk_id for c in chunks)


def test_contents_and_bare_captions_make_no_chunks() -> None:
    text = "\n\n".join([
        "PEEL: Police efficiency 2016", "An inspection of Kent Police", "Contents",
        "How well does the force understand demand? ..... 4\nHow well does the force use its resources? ..... 8",
        "How well does the force understand demand?", "Good", paragraph(1, 3),
        "Figure 1: Calls for service per 1,000 population", "Source: Home Office data", paragraph(2, 2),
        "How well does the force use its resources?", "Good", paragraph(3, 2),
    ])
    report = make_report(text)
    chunks = chunk_report(report)
    kinds = {s.section_id: s.kind for s in report.sections}
    assert "contents" in kinds.values()
    assert all(kinds[c.section_id] != "contents" for c in chunks)
    assert not any(c.text.startswith("Figure 1:") for c in chunks)


def test_pieces_of_repetitive_text_keep_their_own_offsets() -> None:
    sentence = "The force should make sure that investigations are supervised."
    text = "\n\n".join(["PEEL: Police effectiveness 2016", "How effective is the force at investigating crime?",
                        "Good", " ".join([sentence] * 40)])
    report = make_report(text)
    prose = [c for c in chunk_report(report) if c.heading.startswith("How effective")]
    assert len(prose) >= 2
    for before, after in itertools.pairwise(prose):
        assert after.start >= before.end - 200  # no more overlap than the 32-token budget allows


def test_a_table_of_one_long_header_row_is_one_piece_cut_to_the_budget() -> None:
    from ingest.chunk import _table_pieces, count_tokens

    text = "\t".join(f"column heading number {i} with several words" for i in range(80))
    pieces = _table_pieces(text, 64)
    assert len(pieces) == 1
    assert pieces[0][:2] == (0, len(text))
    # cut to the budget in word pieces; decoding and counting again may move a boundary by one
    assert count_tokens(pieces[0][2]) <= 64 + 2 < count_tokens(text)


def test_a_figures_box_is_indexed_and_each_label_holds_its_figures() -> None:
    """A force-in-context box (each label, its figures on the line below) is text a question can
    find: it makes a chunk, and each label with its figures is one sentence."""
    box = ("Victim-based crime per 1,000 population, 12 months to 31 December 2018\n"
           "Kent: 64.1          England and Wales: 75.2\n\n"
           "Repeat victims of domestic abuse, as a share of all victims, 12 months to 31 March 2019\n"
           "Kent: 29%           England and Wales: 32%¹")
    text = "\n\n".join(["PEEL 2018/19: An inspection of Kent Police", "Force in context", box,
                        "How effectively does the force reduce crime?", "Good", paragraph(1, 3)])
    chunks = chunk_report(make_report(text))
    held = [c for c in chunks if "Kent: 29%" in c.text]
    assert len(held) == 1
    units = [u for _s, _e, u in sentence_units(held[0])]
    assert ("Repeat victims of domestic abuse, as a share of all victims, 12 months to 31 March 2019\n"
            "Kent: 29% England and Wales: 32%") in units


@pytest.mark.parametrize("text, spans", [
    ("Spending in 2019\n£8.7 million", ["Spending in 2019\n£8.7 million"]),
    ("Officers per head\nKent: 2.1   England and Wales: 2.3", ["Officers per head\nKent: 2.1   England and Wales: 2.3"]),
    ("Effectiveness\n4", ["Effectiveness", "4"]),  # a page number under a heading is no figure of it
    ("The force did well.\nKent: 90%", ["The force did well.", "Kent: 90%"]),  # a sentence is no label
    ("Officers per head\nKent: 2.1\nEngland and Wales: 2.3", ["Officers per head\nKent: 2.1\nEngland and Wales: 2.3"]),
])
def test_a_line_of_figures_joins_the_label_above_it(text: str, spans: list[str]) -> None:
    from ingest.textutil import sentence_spans

    assert [text[a:b] for a, b in sentence_spans(text)] == spans
