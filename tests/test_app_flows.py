"""The app's flows for analysts, each against a problem the old app had (all slow: the app loads
the real encoder): grades across forces, filters you can see, answers you can cite, links and
history, and the report manager."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.app_support import (
    KENT_2015,
    KENT_2016,
    KENT_GRADED,
    KENT_REPORT,
    ask,
    captions,
    manifest,
    markdown_values,
    open_page,
    scope_line,
    search,
    start_app,
)

pytestmark = pytest.mark.slow
HERTS = "Hertfordshire Constabulary"
KENT = "Kent Police"


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch):
    """Reads what a download button offers: AppTest keeps downloads in a media store it drops after
    each run, so the store is recorded when it is made."""
    import streamlit.testing.v1.app_test as app_test
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    stores: list[MemoryMediaFileStorage] = []

    class Kept(MemoryMediaFileStorage):
        def __init__(self, endpoint: str) -> None:
            super().__init__(endpoint)
            stores.append(self)

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", Kept)

    def read(at, key: str) -> str:
        button = next(b for b in at.get("download_button") if b.proto.id.endswith(key))
        return stores[-1].get_file(button.proto.url.rsplit("/", 1)[1]).content.decode("utf-8")

    return read


def warnings(at) -> list[str]:
    return [w.value.replace("\\", "") for w in at.warning]


# --- 1. grades across forces ----------------------------------------------------------------------
def test_a_which_forces_question_shows_every_force_in_a_table_linked_to_the_grades_page(
        monkeypatch, app_index, tmp_path) -> None:
    at = ask(start_app(monkeypatch, app_index, tmp_path / "up"), "Which forces were graded good?")
    reply = at.session_state["last_answer"][1][0]
    assert reply.mode == "grades"
    table = at.main.dataframe[0].value  # the answer's table of grades
    assert {HERTS, KENT} <= set(table["Force"]) and set(table["Grade"]) == {"Good"}
    line = scope_line(at)
    assert "Force: all forces" in line and "Judgment: Good (from the question)" in line  # not scoped to one force
    link = next(p for p in at.get("page_link") if p.proto.page == "grades")
    assert link.proto.query_string == "g_grade=Good"
    groups = [v for v in markdown_values(at) if v.startswith("**20")]
    assert any("Kent Police" in g for g in groups) and any("Hertfordshire" in g for g in groups)


def test_the_grades_page_compares_forces_and_a_cell_opens_its_cited_sentence(
        monkeypatch, app_index, tmp_path, downloads) -> None:
    at = open_page(start_app(monkeypatch, app_index, tmp_path / "up"), "grades")
    frame = next(d for d in at.dataframe if d.key == "grades_matrix").value
    assert {HERTS, KENT} <= set(frame["Force"])
    kent = frame[(frame["Force"] == KENT) & (frame["Period"] == "2016")].index[0]
    assert frame.loc[kent, "Effectiveness"] == "Inadequate" and frame.loc[kent, "Efficiency"] == "Good"
    assert any("Select a grade cell" in i.value for i in at.info)

    at.session_state["grades_matrix"] = {"selection": {"rows": [], "columns": [],
                                                       "cells": [[int(kent), "Effectiveness"]]}}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(markdown_values(at)).replace("\\", "")
    assert "Kent Police · 2016 · Effectiveness: Inadequate" in shown
    assert ("> The extent to which Kent Police is effective at keeping people safe and reducing crime is "
            "inadequate.") in shown
    assert any(":orange-background[**The extent to which Kent Police is effective" in v for v in markdown_values(at))

    rows = list(csv.DictReader(io.StringIO(downloads(at, "grades_csv"))))
    kent_rows = {(r["force"], r["period"], r["area"]): r for r in rows if r["force"] == KENT}
    effectiveness = kent_rows[(KENT, "2016", "Effectiveness")]
    assert effectiveness["grade"] == "Inadequate" and "effective at keeping people safe" in effectiveness["quote"]
    assert {"start", "end", "section_id", "chunk_id"}.isdisjoint(effectiveness)


def test_the_grades_page_is_filtered_from_its_address(monkeypatch, app_index, tmp_path) -> None:
    at = open_page(start_app(monkeypatch, app_index, tmp_path / "up", {"g_grade": "Inadequate"}), "grades")
    frame = next(d for d in at.dataframe if d.key == "grades_matrix").value
    assert frame[["Force", "Period"]].values.tolist() == [[KENT, "2016"]]
    at.multiselect(key="g_force").set_value([HERTS]).run()
    assert any("No stated grade matches the force and grade" in w for w in warnings(at))


# --- 2. filters you can see -----------------------------------------------------------------------
def test_the_answer_says_what_was_searched_and_where_each_filter_came_from(monkeypatch, app_index, tmp_path) -> None:
    at = start_app(monkeypatch, app_index, tmp_path / "up")
    at.sidebar.multiselect(key="force").set_value([KENT]).run()
    at = ask(at, "How are victims of burglary helped?")
    assert "Force: Kent Police (from the sidebar)" in scope_line(at) and "Period: all years" in scope_line(at)
    assert {h.force for h in at.session_state["last_answer"][1][0].passages} == {KENT}

    at = ask(at, "How does Hertfordshire help victims of burglary?")  # the question names another force
    assert "Force: Hertfordshire Constabulary (from the question)" in scope_line(at)
    assert any("Your question names the force Hertfordshire Constabulary, the sidebar says Kent Police: searching "
               "Hertfordshire Constabulary" in w for w in warnings(at))
    assert {h.force for h in at.session_state["last_answer"][1][0].passages} == {HERTS}

    at.button(key="prefer_sidebar_ask").click().run()  # the user chooses the sidebar
    assert "Force: Kent Police (from the sidebar)" in scope_line(at)
    assert {h.force for h in at.session_state["last_answer"][1][0].passages} == {KENT}
    assert at.sidebar.radio(key="context").value == "filters"


def test_a_year_in_the_question_wins_over_the_sidebar_year(monkeypatch, app_index, tmp_path) -> None:
    at = start_app(monkeypatch, app_index, tmp_path / "up")
    at.sidebar.slider(key="years").set_range(2014, 2014).run()
    at = ask(at, "What did HMIC find about missing children in 2015?")
    reply = at.session_state["last_answer"][1][0]
    assert reply.filters_used["years"] == [2015, 2015]
    assert not reply.abstained and {c.year for c in reply.citations} == {2015}
    assert "Period: 2015 (from the question)" in scope_line(at)
    assert any("the sidebar says 2014: searching 2015" in w for w in warnings(at))


def test_a_filter_change_runs_the_answer_again(monkeypatch, app_index, tmp_path) -> None:
    at = ask(start_app(monkeypatch, app_index, tmp_path / "up"), "How are victims of burglary helped?")
    before = at.session_state["last_answer"][1][0]
    assert "Force: all forces" in scope_line(at)
    at.sidebar.multiselect(key="force").set_value([KENT]).run()
    after = at.session_state["last_answer"][1][0]
    assert after is not before and after.filters_used["forces"] == [KENT]
    assert "Force: Kent Police (from the sidebar)" in scope_line(at)  # the line and the answer agree


def test_an_empty_result_names_the_filters_that_emptied_it_once(monkeypatch, app_index, tmp_path) -> None:
    at = start_app(monkeypatch, app_index, tmp_path / "up")
    at.sidebar.multiselect(key="force").set_value([KENT]).run()
    at.sidebar.slider(key="years").set_range(2014, 2014).run()
    at = ask(at, "How are victims of burglary helped?")
    page = " ".join([*markdown_values(at), *captions(at), *warnings(at), *[i.value for i in at.info]])
    assert page.count("No passage matches") + page.count("No indexed passage matches") == 1
    message = next(w for w in warnings(at) if "No passage matches" in w)
    assert "force Kent Police (from the sidebar)" in message and "period 2014 (from the sidebar)" in message
    assert "Force, Years in the sidebar" in message


def test_no_dropdown_offers_select_all(monkeypatch, app_index, tmp_path) -> None:
    at = start_app(monkeypatch, app_index, tmp_path / "up")
    assert [m.proto.select_all for m in at.sidebar.multiselect] == [0, 0, 0, 0]
    at = open_page(at, "grades")
    assert all(m.proto.select_all == 0 for m in at.main.multiselect)


# --- 3. answers you can cite ----------------------------------------------------------------------
def test_an_answer_exports_full_citations_with_question_filters_and_date(monkeypatch, app_index, tmp_path,
                                                                         downloads) -> None:
    at = start_app(monkeypatch, app_index, tmp_path / "up")
    at.sidebar.multiselect(key="force").set_value([HERTS]).run()
    at = ask(at, "What is a distraction burglary?")
    markdown = downloads(at, "ask_export_md")
    assert markdown.startswith("# What is a distraction burglary?")
    assert "- Searched: Force: Hertfordshire Constabulary (from the sidebar)" in markdown
    assert re.search(r"- Date: \d\d \w+ 20\d\d, \d\d:\d\d UTC", markdown)
    assert "?q=What+is+a+distraction+burglary%3F&force=Hertfordshire+Constabulary" in markdown
    assert "PEEL: Police effectiveness 2015 – An inspection of Hertfordshire Constabulary. Hertfordshire " \
           "Constabulary, 2015 (published" in markdown
    rows = list(csv.DictReader(io.StringIO(downloads(at, "ask_export_csv"))))
    assert rows and all(r["report"] and r["section"] and r["citation"] for r in rows)
    assert {"start", "end", "chunk_id", "source_hash"}.isdisjoint(rows[0])
    page = downloads(at, "ask_export_html")
    assert page.startswith("<!DOCTYPE html>") and "distraction burglary" in page
    for text in (markdown, page, *[v for r in rows for v in r.values()]):
        assert not re.search(r"[0-9a-f]{16}:\d+|[0-9a-f]{40,}|characters \d+-\d+", text), text[:200]


def test_a_figure_question_states_the_kind_of_figure_first(monkeypatch, app_index, tmp_path) -> None:
    at = ask(start_app(monkeypatch, app_index, tmp_path / "up"),
             "What percentage of victims were satisfied with the service in Hertfordshire?")
    values = markdown_values(at)
    assert values.index(next(v for v in values if v.startswith("**Figure asked for:**"))) < \
        values.index(next(v for v in values if "\\[1\\]" in v and "satisf" in v))


def test_search_results_give_relevance_in_words(monkeypatch, app_index, tmp_path) -> None:
    at = search(open_page(start_app(monkeypatch, app_index, tmp_path / "up"), "search"), "missing children")
    shown = captions(at)
    assert any("strong match" in c for c in shown)
    assert not any(re.search(r"score \d|similarity \d|keywords \d", c) for c in shown)


def test_a_corrected_address_and_date_appear_in_citations(monkeypatch, own_index, tmp_path) -> None:
    url = "https://hmicfrs.justiceinspectorates.gov.uk/peel-assessments/peel-2016/kent/"
    at = open_page(start_app(monkeypatch, own_index, tmp_path / "up"), "reports")
    at.selectbox(key="manage_report").select(KENT_2016).run()
    at.text_input(key=f"fix_url_{KENT_2016}").input(url)
    at.text_input(key=f"fix_published_{KENT_2016}").input("2 March 2017")
    next(b for b in at.get("form_submit_button") if "Save" in b.label).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("re\\-indexed" in s.value and "kent\\_peel\\_2016\\.txt corrected" in s.value for s in at.success)
    assert manifest(own_index)["reports"][KENT_2016]["url"] == url
    at = ask(open_page(at, "ask"), "Which forces were graded inadequate?")
    shown = " ".join(captions(at)).replace("\\", "")
    assert "published 2 March 2017" in shown and url in shown


# --- 4. links and history -------------------------------------------------------------------------
def test_a_link_reproduces_the_query(monkeypatch, app_index, tmp_path) -> None:
    at = start_app(monkeypatch, app_index, tmp_path / "up",
                   {"q": "How are victims of burglary helped?", "force": [KENT], "years": ["2015", "2016"]})
    assert at.text_input(key="q").value == "How are victims of burglary helped?"
    assert at.sidebar.multiselect(key="force").value == [KENT]
    line = scope_line(at)
    assert "Force: Kent Police (from the sidebar)" in line and "Period: 2015–2016 (from the sidebar)" in line
    assert {h.force for h in at.session_state["last_answer"][1][0].passages} == {KENT}


def test_the_question_survives_leaving_the_page_and_joins_the_history(monkeypatch, app_index, tmp_path) -> None:
    at = ask(start_app(monkeypatch, app_index, tmp_path / "up"), "What is a distraction burglary?")
    at = ask(at, "How are victims of burglary helped?")
    at = open_page(open_page(at, "search"), "ask")
    assert at.text_input(key="q").value == "How are victims of burglary helped?"
    assert any(v.startswith("**Searched**") for v in markdown_values(at))  # the answer is back too
    links = [p for p in at.sidebar.get("page_link")] if hasattr(at.sidebar, "get") else []
    links = links or [p for p in at.get("page_link") if p.proto.page == "" or "q=" in p.proto.query_string]
    labels = [p.proto.label.replace("\\", "") for p in links]
    assert labels[:2] == ["How are victims of burglary helped?", "What is a distraction burglary?"]
    assert links[1].proto.query_string == "q=What+is+a+distraction+burglary%3F"


# --- 5. the report manager ------------------------------------------------------------------------
def test_the_first_screen_says_what_the_index_holds(monkeypatch, app_index, tmp_path) -> None:
    at = start_app(monkeypatch, app_index, tmp_path / "up")
    assert "The index holds 4 reports on 2 forces, 2014–2016" in captions(at)[0].replace("\\", "")


def test_a_report_can_be_deleted(monkeypatch, own_index, tmp_path) -> None:
    at = open_page(start_app(monkeypatch, own_index, tmp_path / "up"), "reports")
    at.selectbox(key="manage_report").select(KENT_2015).run()
    assert at.button(key=f"delete_{KENT_2015}").disabled  # asks for confirmation first
    at.checkbox(key=f"delete_sure_{KENT_2015}").check().run()
    at.button(key=f"delete_{KENT_2015}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert KENT_2015 not in manifest(own_index)["reports"]
    assert any("was deleted" in s.value for s in at.success)
    assert KENT_2015 not in set(at.dataframe[0].value["File"])


def test_a_report_can_be_corrected_and_only_it_is_indexed_again(monkeypatch, own_index, tmp_path) -> None:
    before = manifest(own_index)
    at = open_page(start_app(monkeypatch, own_index, tmp_path / "up"), "reports")
    at.selectbox(key="manage_report").select(KENT_2015).run()
    at.text_input(key=f"fix_year_{KENT_2015}").input("2015/16")
    at.text_input(key=f"fix_title_{KENT_2015}").input("PEEL 2015/16 – Kent Police")
    next(b for b in at.get("form_submit_button") if "Save" in b.label).click().run()
    assert not at.exception, [e.value for e in at.exception]
    after = manifest(own_index)
    kent = after["reports"][KENT_2015]
    assert kent["title"] == "PEEL 2015/16 – Kent Police" and (kent["year"], kent["year_to"]) == (2015, 2016)
    unchanged = [s for s in before["reports"] if s != KENT_2015]
    assert all(after["reports"][s]["content_hash"] == before["reports"][s]["content_hash"] for s in unchanged)
    corrections = json.loads((own_index / "corrections.json").read_text(encoding="utf-8"))
    assert KENT_2015 in json.dumps(corrections)
    table = at.dataframe[0].value
    assert table[table["File"] == KENT_2015].iloc[0]["Period"] == "2015/16"


def test_duplicates_are_flagged(monkeypatch, own_index, tmp_path, real_embedder) -> None:
    from search.index.build import build_index

    copy = tmp_path / "kent_copy.txt"
    copy.write_text(KENT_REPORT, encoding="utf-8")
    assert not build_index([copy], own_index, embedder=real_embedder, keep_existing=True).errors
    at = open_page(start_app(monkeypatch, own_index, tmp_path / "up"), "reports")
    flagged = [w for w in warnings(at) if "Possible duplicates" in w]
    assert len(flagged) == 1 and "kent_copy.txt" in flagged[0] and KENT_2015 in flagged[0]


def test_an_upload_shows_what_was_detected_takes_corrections_and_shows_what_was_extracted(
        monkeypatch, own_index, tmp_path) -> None:
    uploads = tmp_path / "up"
    text = KENT_GRADED.replace("Kent Police", "Essex Police").replace("2016", "2017")
    at = open_page(start_app(monkeypatch, own_index, uploads), "add")
    at.file_uploader[0].set_value(("essex_peel.txt", text.encode(), "text/plain"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    detected = " ".join(captions(at)).replace("\\", "")
    assert "Detected: Essex Police · 2017 · PEEL assessment" in detected and "3 grades" in detected
    assert "effective at keeping people safe and reducing crime: Inadequate" in detected
    assert at.selectbox(key="add_force_0").value == "Essex Police"
    at.text_input(key="add_title_0").input("Essex PEEL 2017 (corrected title)")
    at.button(key="add_uploads").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert manifest(own_index)["reports"]["essex_peel.txt"]["title"] == "Essex PEEL 2017 (corrected title)"
    assert json.loads((uploads / "essex_peel.txt.meta.json").read_text()) == {
        "title": "Essex PEEL 2017 (corrected title)"}
    extracted = " ".join(markdown_values(at) + captions(at)).replace("\\", "")
    assert "Extracted from essex_peel.txt" in extracted and "3 grades" in extracted
    assert "Effectiveness: Inadequate" in extracted
