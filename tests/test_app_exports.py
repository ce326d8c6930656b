"""What the app shows and exports, without running it: full citations with no internal ids,
quotes grouped by report and deduplicated, relevance in words, the grades matrix and its colour
scale."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from itertools import pairwise

from search.findings.model import Grade
from search.present import citation_text, group_citations, near_same, relevance_words
from search.types import Answer, Citation, Hit

TITLE = "PEEL: Police effectiveness 2015 – An inspection of Hertfordshire Constabulary"
URL = "https://hmicfrs.justiceinspectorates.gov.uk/peel-assessments/peel-2015/hertfordshire/"
CHUNK_ID = "c0284af982d288b6:17"
HASH = "e84178b6027c5ecc04aa877183143ec850c273ad01cd1759b8ea7605b64b16cf"


def cite(n: int, quote: str, *, source: str = "herts_2015.txt", year: int = 2015, start: int = 120,
         title: str = TITLE, url: str | None = URL, page: int | None = 14) -> Citation:
    passage = f"Before. {quote} After."
    return Citation(quote=quote, source=source, title=title, force="Hertfordshire Constabulary", year=year,
                    report_type="peel_effectiveness", section="Summary of findings", section_id=f"{source}#s3",
                    page=page, start=start, end=start + len(quote), chunk_id=CHUNK_ID, n=n,
                    path=("How effective is the force at protecting from harm those who are vulnerable?",
                          "Summary of findings"),
                    passage=passage, passage_start=8, passage_end=8 + len(quote), year_to=year, url=url)


def hit(rank: int, score: float) -> Hit:
    return Hit(rank=rank, score=score, text="Officers visit burglary victims.", source="herts_2015.txt", title=TITLE,
               force="Hertfordshire Constabulary", year=2015, report_type="peel", section="Summary", path=("Summary",),
               question=None, theme="general", judgment=None, page=3, start=4012, end=4050, chunk_id=CHUNK_ID,
               section_id="s#1", dense_score=0.4123, lexical_score=2.5934, year_to=2015, url=URL)


MISSING_A = ("There is a risk that Hertfordshire may not be managing effectively its investigations into missing "
             "children.")
MISSING_B = ("This poses a risk that Hertfordshire may not be managing effectively its investigations into missing "
             "children.")
OTHER = "The force has a dedicated team that investigates burglary."


def reply() -> Answer:
    citations = (cite(1, MISSING_A), cite(2, OTHER, start=900), cite(3, MISSING_B, start=2000),
                 cite(4, "Missing children were a priority.", source="herts_2014.txt", year=2014, url=None, page=None))
    return Answer(question="What did HMIC find about missing children?",
                  text=f"{MISSING_A} [1] {OTHER} [2] {MISSING_B} [3] Missing children were a priority. [4]",
                  citations=citations, passages=(), abstained=False, filters_used={"forces": ["Hertfordshire "
                                                                                               "Constabulary"]})


def record():
    from ui.exports import Record

    return Record(scope="Force: Hertfordshire Constabulary (from the sidebar) · Period: all years",
                  when=datetime(2026, 3, 2, 10, 30, tzinfo=UTC),
                  published={"herts_2015.txt": "25 February 2016"}, link="http://127.0.0.1:8501/?q=missing")


INTERNAL = re.compile(rf"{CHUNK_ID}|{HASH}|\b120\b|\b4012\b|chunk|offset|characters \d|score 0\.|0\.4123|2\.5934|"
                      r"section_id|s#1|#s3")


# --- citations and grouping ---------------------------------------------------------------------
def test_a_citation_needs_no_further_lookup() -> None:
    text = citation_text(cite(1, MISSING_A), "25 February 2016")
    assert text == (f"{TITLE}. Hertfordshire Constabulary, 2015 (published 25 February 2016). Section: How effective "
                    "is the force at protecting from harm those who are vulnerable? › Summary of findings. Page 14. "
                    f"{URL}")
    bare = citation_text(cite(1, OTHER, url=None, page=None))
    assert "Page" not in bare and bare.endswith("File: herts_2015.txt") and "published" not in bare


def test_quotes_are_grouped_by_report_oldest_first_and_near_repeats_shown_once() -> None:
    groups = group_citations(reply().citations)
    assert [(g.source, g.period) for g in groups] == [("herts_2014.txt", "2014"), ("herts_2015.txt", "2015")]
    assert [q.numbers for q in groups[1].quotes] == [(1, 3), (2,)]
    assert groups[1].quotes[0].shown.quote == MISSING_A
    assert [q.numbers for q in group_citations(reply().citations, merge=False)[1].quotes] == [(1,), (2,), (3,)]


def test_near_same_quotes_are_told_from_different_ones() -> None:
    assert near_same(MISSING_A, MISSING_B) and near_same(OTHER, OTHER + " It meets weekly.")
    assert not near_same(MISSING_A, OTHER)


def test_relevance_is_given_in_words_from_the_share_of_the_top_score() -> None:
    words = relevance_words([hit(1, 0.060), hit(2, 0.058), hit(3, 0.052), hit(4, 0.030)])
    assert words == ["strong match", "strong match", "close match", "related"]
    assert relevance_words([]) == []


# --- exports ------------------------------------------------------------------------------------
def test_the_markdown_export_has_the_question_filters_date_and_full_citations_only() -> None:
    from ui.exports import answer_markdown

    text = answer_markdown(reply(), record())
    assert text.startswith("# What did HMIC find about missing children?")
    assert "Searched: Force: Hertfordshire Constabulary (from the sidebar)" in text
    assert "Date: 02 March 2026, 10:30 UTC" in text and "Link: http://127.0.0.1:8501/?q=missing" in text
    assert f"[1], [3] {TITLE}. Hertfordshire Constabulary, 2015 (published 25 February 2016)" in text
    assert "Page 14." in text and URL in text and "File: herts_2014.txt" in text
    assert text.index("### 2014") < text.index("### 2015")
    assert not INTERNAL.search(text), INTERNAL.search(text)


def test_the_csv_export_keeps_the_whole_section_path_and_no_internal_ids() -> None:
    from ui.exports import answer_csv

    rows = list(csv.DictReader(io.StringIO(answer_csv(reply(), record()))))
    assert len(rows) == 4
    first = rows[0]
    assert first["section"] == ("How effective is the force at protecting from harm those who are vulnerable? > "
                                "Summary of findings")
    assert first["page"] == "14" and first["url"] == URL and first["published"] == "25 February 2016"
    assert first["searched"].startswith("Force: Hertfordshire") and first["date"] == "02 March 2026, 10:30 UTC"
    assert {"start", "end", "chunk_id", "content_hash", "score"}.isdisjoint(first)
    assert not any(INTERNAL.search(value) for row in rows for value in row.values())


def test_the_printable_page_escapes_report_text() -> None:
    from ui.exports import answer_html

    hostile = Answer(question="<script>alert(1)</script>?", text="<img src=x onerror=alert(1)> [1]",
                     citations=(cite(1, "<b>bold</b> & more"),), passages=(), abstained=False)
    page = answer_html(hostile, record())
    assert page.startswith("<!DOCTYPE html>") and "@media print" in page
    assert "<script>alert" not in page and "<img src" not in page and "<b>bold" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;bold&lt;/b&gt; &amp; more" in page
    assert "Page 14." in page and "published 25 February 2016" in page


def test_search_exports_give_relevance_in_words_not_scores() -> None:
    from ui.exports import hits_csv, hits_markdown

    hits = [hit(1, 0.06), hit(2, 0.03)]
    text = hits_markdown("burglary", hits, record())
    assert "(strong match)" in text and "(related)" in text and not INTERNAL.search(text)
    rows = list(csv.DictReader(io.StringIO(hits_csv("burglary", hits, record()))))
    assert [r["relevance"] for r in rows] == ["strong match", "related"]
    assert {"score", "dense", "lexical", "chunk_id"}.isdisjoint(rows[0])


# --- grades -------------------------------------------------------------------------------------
def grade(force: str, year: int, area_key: str, question: str | None, value: str, year_to: int | None = None,
          pillar: str | None = None) -> Grade:
    c = cite(0, f"{force} is {value.lower()}.", source=f"{force[:4]}_{year}.txt", year=year)
    return Grade(force=force, year=year, report_type="peel", source=c.source, title=f"PEEL {year}: {force}",
                 question=question, theme="general", grade=value, scale="four-grade", citation=c,
                 year_to=year_to or year, area_key=area_key, pillar=pillar)


def test_the_grades_matrix_has_a_row_per_force_and_period_and_a_column_per_area() -> None:
    from ui.grades_page import matrix, selected

    items = [grade("Kent Police", 2016, "effectiveness", "Effectiveness", "Inadequate", pillar="effectiveness"),
             grade("Kent Police", 2016, "efficiency", "Efficiency", "Good", pillar="efficiency"),
             grade("Kent Police", 2018, "vulnerability", "Protecting vulnerable people", "Good", 2019,
                   pillar="effectiveness"),
             grade("Essex Police", 2016, "overall", None, "Good")]
    frame, cells = matrix(items)
    assert list(frame.columns) == ["Force", "Period", "Overall judgment", "Effectiveness",
                                   "Protecting vulnerable people", "Efficiency"]
    assert frame[["Force", "Period"]].values.tolist() == [["Essex Police", "2016"], ["Kent Police", "2016"],
                                                          ["Kent Police", "2018/19"]]
    assert frame.loc[1, "Effectiveness"] == "Inadequate" and frame.loc[2, "Protecting vulnerable people"] == "Good"
    assert frame.loc[0, "Effectiveness"] == ""
    assert [g.grade for g in cells[(1, "Efficiency")]] == ["Good"]
    assert selected(items, ["Kent Police"], ["2018/19"], [], []) == [items[2]]
    assert selected(items, [], [], [], ["Inadequate"]) == [items[0]]
    assert selected(items, [], [], ["crime_data_integrity"], []) == []


def test_the_colour_scale_separates_all_five_grades_for_every_reader() -> None:
    from ui.grade_scale import GRADE_COLOURS, GRADE_TEXT, contrast, grade_style

    colours = list(GRADE_COLOURS.values())
    assert len(set(colours)) == 5

    def lightness(colour: str) -> float:  # what a reader without colour vision sees
        r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
        return 0.299 * r + 0.587 * g + 0.114 * b

    steps = [lightness(c) for c in colours]
    assert steps == sorted(steps) and min(b - a for a, b in pairwise(steps)) > 25
    assert all(contrast(GRADE_COLOURS[g], GRADE_TEXT[g]) >= 4.5 for g in GRADE_COLOURS)
    assert grade_style("Good").startswith("background-color: #3f4d6b") and grade_style("Good / Inadequate") == ""
