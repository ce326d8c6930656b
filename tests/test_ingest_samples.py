"""End-to-end ingest of the two bundled sample reports (no model: only the bundled tokenizer).

reports/000_*.txt is HMIC's 2014 'Core business' letter to Hertfordshire Constabulary and
reports/001_*.txt the PEEL: Police effectiveness 2015 report on the same force.
"""

from __future__ import annotations

import json
import re
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from ingest.chunk import ENCODER_MAX_TOKENS, chunk_report, count_tokens
from ingest.pipeline import ingest_path
from ingest.textutil import normalise_for_match
from ingest.types import Chunk, Report, Section

ROOT = Path(__file__).resolve().parent.parent
LETTER, PEEL = "000_5fe6c616d4e4f80a.txt", "001_c0284af982d288b6.txt"


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    return {name: ingest_path(ROOT / "reports" / name) for name in (LETTER, PEEL)}


@pytest.fixture(scope="module")
def chunks(reports: dict[str, Report]) -> dict[str, list[Chunk]]:
    return {name: chunk_report(report) for name, report in reports.items()}


@pytest.fixture(scope="module")
def peel(reports: dict[str, Report]) -> Report:
    return reports[PEEL]


def body_sections(report: Report) -> list[Section]:
    """Sections after the overview pages: from the first level-1 question on."""
    first = next(i for i, s in enumerate(report.sections) if s.kind == "question" and s.level == 1)
    return list(report.sections[first:])


def section_named(report: Report, prefix: str) -> Section:
    return next(s for s in report.sections if s.heading.startswith(prefix))


# ---------------------------------------------------------------- metadata


@pytest.mark.parametrize(
    ("name", "year", "report_type", "published"),
    [(LETTER, 2014, "letter", "2014-09-03"), (PEEL, 2015, "peel_effectiveness", "2016-02")],
)
def test_report_metadata(reports: dict[str, Report], name: str, year: int, report_type: str,
                         published: str) -> None:
    meta = reports[name].meta
    assert meta.force == "Hertfordshire Constabulary"
    assert (meta.year, meta.report_type, meta.published) == (year, report_type, published)
    assert meta.source == name and meta.format == "text" and len(meta.content_hash) == 64
    assert reports[name].warnings == ()


def test_titles_are_clean(reports: dict[str, Report]) -> None:
    assert reports[PEEL].meta.title == "PEEL: Police effectiveness 2015 – An inspection of Hertfordshire Constabulary"
    assert reports[LETTER].meta.title.startswith("Core business: An inspection of crime prevention")


# ---------------------------------------------------------------- sections


QUESTIONS = {
    "How effective is the force at preventing crime": "Good",
    "How effective is the force at investigating crime": "Good",
    "How effective is the force at protecting from harm those who are vulnerable": "Requires improvement",
    "How effective is the force at tackling serious and organised crime": "Good",
}


def test_four_graded_questions(peel: Report) -> None:
    top = [s for s in body_sections(peel) if s.kind == "question" and s.level == 1]
    assert len(top) == 4
    for section, (prefix, grade) in zip(top, QUESTIONS.items(), strict=True):
        assert section.heading.startswith(prefix) and section.heading.endswith("?")
        assert section.judgment == grade, section.heading
        assert section.path == (section.heading,) and section.question == section.heading
    themes = [s.theme for s in top]
    assert themes == ["preventing_crime", "investigating_crime", "vulnerability", "serious_organised_crime"]


def test_overview_carries_overall_judgment(peel: Report) -> None:
    overview = next(s for s in peel.sections if s.kind == "overview")
    assert overview.heading.startswith("Overview") and overview.level == 1
    assert overview.judgment == "Good"


def test_areas_for_improvement_belong_to_their_question(peel: Report) -> None:
    areas = [s for s in body_sections(peel) if s.kind == "areas_for_improvement"]
    assert [a.question[:50] for a in areas] == [
        "How effective is the force at preventing crime and",
        "How effective is the force at investigating crime ",
    ]
    for area in areas:
        assert area.level == 2 and area.path == (area.question, "Areas for improvement")
        assert area.text.lstrip().startswith("- The force should")


def test_heading_paths_nest_sub_questions(peel: Report) -> None:
    sub = section_named(peel, "How well are resources allocated")
    assert sub.path == (
        "How effective is the force at preventing crime and anti-social behaviour, and keeping people safe?",
        "How well does the force work to prevent crime and anti-social behaviour, and keep people safe?",
        "How well are resources allocated to prevent crime and anti-social behaviour?",
    )
    assert sub.question == sub.path[0] and sub.theme == "preventing_crime"
    soc = section_named(peel, "How well does the force understand the threat")
    assert soc.path[0].startswith("How effective is the force at tackling serious") and len(soc.path) == 2


def test_letter_headings(reports: dict[str, Report]) -> None:
    headings = [s.heading for s in reports[LETTER].sections]
    for heading in ("Preventing Crime", "Attending crimes and incidents", "Freeing up time"):
        assert heading in headings
    assert "Yours sincerely" not in headings and "Dear Andy" not in headings


@pytest.mark.parametrize("name", [LETTER, PEEL])
def test_section_text_is_a_slice_of_report_text(reports: dict[str, Report], name: str) -> None:
    report = reports[name]
    ends = 0
    for section in report.sections:
        assert section.text == report.text[section.start:section.end]
        assert section.start >= ends - 1  # in reading order, never overlapping
        ends = section.end
    assert len({s.section_id for s in report.sections}) == len(report.sections)


# ---------------------------------------------------------------- footnotes, tables, rejoined text


def test_footnote_linked_to_its_marker(peel: Report) -> None:
    note = next(f for f in peel.footnotes if f.number == 4)
    assert note.text.startswith("A distraction burglary is where the offender tricks")
    assert peel.text[note.start:note.end].startswith("⁴ A distraction burglary")
    assert note.marker_start is not None and peel.text[note.marker_start] == "⁴"
    assert peel.text[:note.marker_start].endswith("distraction burglaries have taken place.")
    home = next(s for s in peel.sections if s.section_id == note.section_id)
    assert home.heading.startswith("How well are resources allocated")
    assert home.start <= note.marker_start < note.start < home.end
    assert [f.number for f in peel.footnotes] == list(range(1, 30))


def test_footnote_chunks(peel: Report, chunks: dict[str, list[Chunk]]) -> None:
    note = next(c for c in chunks[PEEL] if c.text.startswith("⁴ A distraction burglary"))
    assert "(Footnote to:" in note.embed_text and "distraction burglaries have taken place" in note.embed_text
    assert "⁴" not in note.embed_text


def test_figures_are_whole_tables(peel: Report) -> None:
    figures = {f.caption.split(":")[0]: f for s in peel.sections for f in s.figures}
    fig2, fig4 = figures["Figure 2"], figures["Figure 4"]
    assert len(fig2.rows) == 7 and fig2.rows[0] == ("Rates per 1,000 population", "Hertfordshire Constabulary",
                                                    "England and Wales")
    assert fig2.source_note and fig2.source_note.startswith("Source: Home Office data")
    assert len(fig4.rows) == 10 and fig4.rows[0][0] == "Outcome type/group"
    assert fig4.rows[-1] == ("Community resolution", "744", "1.3", "117,951", "3.3")
    assert all(len(row) == 5 for row in fig4.rows)
    # Figures whose image was not extracted keep their caption, without rows.
    assert figures["Figure 1"].rows == () and figures["Figure 5"].rows == ()


def test_table_chunks_repeat_caption_and_header(chunks: dict[str, list[Chunk]]) -> None:
    pieces = [c for c in chunks[PEEL] if c.is_table and "Outcome type/group" in c.embed_text]
    assert pieces, "Figure 4 became no table chunk"
    rows = [line for c in pieces for line in c.text.split("\n") if "\t" in line]
    assert len(rows) == len(set(rows)) == 10  # every row once, none cut or repeated in the display text
    for chunk in pieces:
        assert "Figure 4: Outcomes recorded" in chunk.embed_text
        assert "Outcome type/group | Hertfordshire Constabulary" in chunk.embed_text
        assert all(line.count("\t") == 4 for line in chunk.text.split("\n") if "\t" in line)  # whole rows


def test_paragraphs_rejoined_across_footnotes_and_columns(peel: Report) -> None:
    text = peel.text
    assert "after the initial response, the quality of subsequent investigations" in text
    assert "commitment is well understood throughout the workforce" in text
    assert "disruptive tactics, advice and equipment" in section_named(
        peel, "How well is the force using a broad range").text


# ---------------------------------------------------------------- chunks


@pytest.mark.parametrize("name", [LETTER, PEEL])
def test_chunk_text_is_a_slice_of_section_text(reports: dict[str, Report], chunks: dict[str, list[Chunk]],
                                               name: str) -> None:
    sections = {s.section_id: s for s in reports[name].sections}
    assert chunks[name]
    for chunk in chunks[name]:
        section = sections[chunk.section_id]
        assert chunk.text == section.text[chunk.start:chunk.end]
        assert (chunk.heading, chunk.path, chunk.question) == (section.heading, section.path, section.question)
        assert chunk.force == "Hertfordshire Constabulary" and chunk.source == name


def test_chunk_ids_are_stable_across_runs(chunks: dict[str, list[Chunk]]) -> None:
    for name, first in chunks.items():
        again = chunk_report(ingest_path(ROOT / "reports" / name))
        assert [c.chunk_id for c in again] == [c.chunk_id for c in first]
        assert len({c.chunk_id for c in first}) == len(first)


def test_embed_text_fits_the_encoder(chunks: dict[str, list[Chunk]]) -> None:
    limit = ENCODER_MAX_TOKENS - 2  # [CLS] and [SEP]
    for chunk in (c for cs in chunks.values() for c in cs):
        assert count_tokens(chunk.embed_text) <= limit, chunk.chunk_id
        assert not re.search("[⁰¹²³⁴⁵⁶⁷⁸⁹]", chunk.embed_text)


# ---------------------------------------------------------------- the dev set's gold passages


def _golds() -> list[tuple[str, str, str]]:
    """(question id, file, normalised gold) for every gold passage of the dev set."""
    out = []
    for line in (ROOT / "eval" / "dev_questions.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            for gold in item.get("gold", []):
                source, text = gold.split("::", 1) if "::" in gold else (item["doc"], gold)
                out.append((item["id"], source, normalise_for_match(text)))
    return out


def _contains_run(gold: str, passage: str, share: float = 0.6) -> bool:
    """The relevance rule of eval/RELEVANCE.md (eval.metrics.is_relevant when importable)."""
    if gold in passage:
        return True
    match = SequenceMatcher(None, gold, passage, autojunk=False).find_longest_match(0, len(gold), 0, len(passage))
    return match.size >= share * len(gold)


def test_every_gold_passage_is_reachable(chunks: dict[str, list[Chunk]]) -> None:
    try:
        from eval.metrics import Gold, is_relevant
    except ImportError:
        def reachable(source: str, gold: str, chunk: Chunk) -> bool:
            return chunk.source == source and _contains_run(gold, normalise_for_match(chunk.text))
    else:
        def reachable(source: str, gold: str, chunk: Chunk) -> bool:
            return is_relevant(Gold(source, gold), chunk.source, chunk.text)

    golds = _golds()
    assert len(golds) >= 40
    missing = [(qid, source, gold[:80]) for qid, source, gold in golds
               if not any(reachable(source, gold, c) for c in chunks.get(source, []))]
    assert not missing, missing
