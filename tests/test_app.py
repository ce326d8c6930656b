"""The Streamlit app through streamlit.testing.v1.AppTest: every page starts, asks and searches
cite the right reports, report text stays text, uploads fail alone. The flows for comparing
forces, visible filters, citing, links and the report manager are in tests/test_app_flows.py."""

from __future__ import annotations

import re

import pytest

from tests.app_support import (
    ESSEX_REPORT,
    ask,
    captions,
    hit_forces,
    manifest,
    markdown_values,
    open_page,
    search,
    start_app,
)
from tests.conftest import PEEL_2015

HERTS_PEEL_TITLE = "PEEL: Police effectiveness 2015 – An inspection of Hertfordshire Constabulary"


# --- fast: the helpers that keep report text from becoming markup ---------------------------
def test_md_text_escapes_markup_from_reports() -> None:
    from ui.text import md_text

    shown = md_text("<script>alert(1)</script> [x](https://evil.example) **b** :red[c] $x$ &amp;")
    assert "<script>" not in shown and "](" not in shown and "**" not in shown
    assert "\\<script\\>" in shown and "\\[x\\]\\(https\\:" in shown and "\\:red\\[c\\]" in shown
    assert "\\$x\\$" in shown and "\\&amp;" in shown


def test_highlighted_marks_only_the_quote_and_escapes_the_rest() -> None:
    from ui.text import highlighted

    text = "Before <b>bold</b>. The quote [1] here.\nNext line."
    start = text.index("The quote")
    end = text.index(" here.")
    shown = highlighted(text, start, end)
    assert shown.startswith("Before \\<b\\>bold\\</b\\>\\. ")
    assert ":orange-background[**The quote \\[1\\]**] here\\." in shown
    assert shown.endswith("  \nNext line\\.")
    assert highlighted("abc", 2, 2) == "abc"


@pytest.mark.parametrize(("name", "expected"), [
    ("report.pdf", "report.pdf"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\me\\herts.txt", "herts.txt"),
    ("..", None),
    ("a/b/", None),
    (".hidden.txt", "hidden.txt"),
    ("bad\x00\x1fname\n.txt", "badname.txt"),
])
def test_safe_upload_name_keeps_only_a_base_name(name: str, expected: str | None) -> None:
    from ui.text import safe_upload_name

    assert safe_upload_name(name) == expected


def test_csv_cells_cannot_run_as_formulas() -> None:
    from ui.text import csv_text, safe_csv_cell

    assert safe_csv_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert safe_csv_cell("-12") == "'-12"
    assert safe_csv_cell("Good") == "Good"
    assert safe_csv_cell(3) == 3
    assert csv_text([{"a": "=1+1"}]).splitlines() == ["a", "'=1+1"]


# --- slow: the app itself --------------------------------------------------------------------
@pytest.mark.slow
def test_every_page_starts_and_the_sidebar_shows_the_index(monkeypatch, app_index, tmp_path) -> None:
    at = start_app(monkeypatch, app_index, tmp_path / "uploads")
    status = " ".join(c.value for c in at.sidebar.caption)
    assert "4 reports on 2 forces, 2014–2016" in status and "all\\-MiniLM\\-L6\\-v2" in status
    assert at.sidebar.multiselect(key="force").options == ["Hertfordshire Constabulary", "Kent Police"]
    for name in ("search", "grades", "compare", "reports", "profile", "add", "export", "ask"):
        open_page(at, name)


@pytest.mark.slow
def test_a_question_gets_an_answer_citing_the_right_report(monkeypatch, app_index, tmp_path) -> None:
    at = ask(start_app(monkeypatch, app_index, tmp_path / "uploads"), "What is a distraction burglary?")
    assert not at.warning, [w.value for w in at.warning]
    reply = at.session_state["last_answer"][1][0]
    answer_text = [v for v in markdown_values(at) if "distraction burglary" in v and "\\[1\\]" in v]
    assert answer_text
    groups = [v for v in markdown_values(at) if v.startswith("**20")]  # '**2015 · <report title>**'
    assert groups and all("PEEL\\: Police effectiveness 2015" in g for g in groups)
    assert reply.citations[0].source == PEEL_2015.name
    # The quote is highlighted inside its passage, and its section can be opened in place.
    assert any(":orange-background[**" in v and "distraction burglary" in v for v in markdown_values(at))
    assert any(e.label == "Read the full section" for e in at.main.expander)
    assert at.get("download_button")  # Markdown, CSV and printable page


@pytest.mark.slow
def test_an_unanswerable_question_is_answered_with_an_abstention(monkeypatch, app_index, tmp_path) -> None:
    at = ask(start_app(monkeypatch, app_index, tmp_path / "uploads"),
             "What did HMIC say about Hertfordshire's use of sourdough starters and drone racing?")
    assert any("do not answer this" in w.value for w in at.warning)
    assert "Closest passages: they do not answer the question" in [s.value for s in at.main.subheader]
    assert not any(v.startswith("**20") for v in markdown_values(at))  # no citation groups
    assert any("does not answer the question" in c and ("match" in c or "related" in c) for c in captions(at))


@pytest.mark.slow
def test_a_force_filter_changes_the_passages_shown(monkeypatch, app_index, tmp_path) -> None:
    at = start_app(monkeypatch, app_index, tmp_path / "uploads")
    at = search(open_page(at, "search"), "burglary prevention advice for older people")
    unfiltered = hit_forces(at)
    assert "Hertfordshire Constabulary" in unfiltered
    at.sidebar.multiselect(key="force").set_value(["Kent Police"]).run()
    filtered = hit_forces(at)
    assert filtered and set(filtered) == {"Kent Police"}
    at.sidebar.multiselect(key="force").set_value(["Hertfordshire Constabulary"]).run()
    assert set(hit_forces(at)) == {"Hertfordshire Constabulary"}


@pytest.mark.slow
def test_compare_years_shows_each_year_in_order_with_citations(monkeypatch, app_index, tmp_path) -> None:
    at = open_page(start_app(monkeypatch, app_index, tmp_path / "uploads"), "compare")
    at.selectbox(key="compare_force").select("Hertfordshire Constabulary").run()
    at.selectbox(key="compare_theme").select("vulnerability").run()
    assert not at.exception
    assert [s.value for s in at.main.subheader] == ["2014", "2015"]
    assert any("judged Requires improvement" in c for c in captions(at))
    assert any(v.startswith("**\\[1\\]") for v in markdown_values(at))


@pytest.mark.slow
def test_compare_years_replaces_the_theme_with_a_typed_question(monkeypatch, app_index, tmp_path) -> None:
    at = open_page(start_app(monkeypatch, app_index, tmp_path / "uploads"), "compare")
    at.selectbox(key="compare_force").select("Hertfordshire Constabulary").run()
    at.selectbox(key="compare_theme").select("vulnerability").run()
    at.text_input(key="compare_question").input("How does the force investigate burglary?").run()
    assert not at.exception, [e.value for e in at.exception]
    used = [at.session_state[f"last_compare_{y}_{y}"][0][1] for y in (2014, 2015)]
    assert used and all(f.themes == () for f in used)  # the theme is not combined with the question
    assert at.selectbox(key="compare_theme").disabled
    assert any("the theme is not applied" in c for c in captions(at))


@pytest.mark.slow
def test_reports_page_lists_reports_with_grades(monkeypatch, app_index, tmp_path) -> None:
    at = open_page(start_app(monkeypatch, app_index, tmp_path / "uploads"), "reports")
    table = at.dataframe[0].value
    assert sorted(table["Force"]) == ["Hertfordshire Constabulary", "Hertfordshire Constabulary", "Kent Police",
                                      "Kent Police"]
    herts_2015 = table[table["File"] == PEEL_2015.name].iloc[0]
    assert herts_2015["Grades"] > 0 and herts_2015["Passages"] > 0 and herts_2015["Sections"] > 0
    assert herts_2015["Period"] == "2015"


@pytest.mark.slow
def test_force_profile_shows_grades_over_time_and_findings_with_trails(monkeypatch, app_index, tmp_path) -> None:
    at = open_page(start_app(monkeypatch, app_index, tmp_path / "uploads"), "profile")
    at.selectbox(key="profile_force").select("Hertfordshire Constabulary").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    grades_2015 = dict(zip(table[table["Year"] == 2015]["Area"], table[table["Year"] == 2015]["Grade"], strict=True))
    assert grades_2015["Protecting vulnerable people"] == "Requires improvement"
    assert [s.value for s in at.main.markdown if s.value.startswith("#### ")][:2] == ["#### 2014", "#### 2015"]
    labels = markdown_values(at)
    assert any("Area for improvement" in v for v in labels)
    assert any(v.startswith("**↳ 2015") for v in labels)  # a 2014 finding revisited by the 2015 report
    assert not any(re.search(r"\d\.\d\d\)", v) for v in labels)  # no raw match scores


@pytest.mark.slow
def test_a_junk_upload_shows_an_error_and_leaves_the_index_intact(monkeypatch, own_index, tmp_path) -> None:
    uploads = tmp_path / "uploads"
    before = manifest(own_index)
    at = open_page(start_app(monkeypatch, own_index, uploads), "add")
    at.file_uploader[0].set_value(("junk.pdf", b"\x00\x01\x02 this is not a PDF \xff" * 20, "application/pdf"))
    at.run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "junk\\.pdf" in errors[0]
    assert at.button(key="add_uploads").disabled
    after = manifest(own_index)
    assert after["generation"] == before["generation"]
    assert not (uploads / "junk.pdf").exists()


@pytest.mark.slow
def test_an_upload_over_the_size_limit_is_refused(monkeypatch, own_index, tmp_path) -> None:
    uploads = tmp_path / "uploads"
    before = manifest(own_index)
    monkeypatch.setattr("ingest.readers.MAX_FILE_BYTES", 1000)
    at = open_page(start_app(monkeypatch, own_index, uploads), "add")
    at.file_uploader[0].set_value(("big.txt", ESSEX_REPORT.encode() * 3, "text/plain"))
    at.run()
    assert len(at.error) == 1 and "big\\.txt" in at.error[0].value and "limit" in at.error[0].value
    assert not (uploads / "big.txt").exists()
    assert manifest(own_index)["generation"] == before["generation"]


@pytest.mark.slow
def test_a_valid_upload_is_added_beside_a_bad_one_and_shown_as_text(monkeypatch, own_index, tmp_path) -> None:
    uploads = tmp_path / "uploads"
    before = manifest(own_index)
    at = open_page(start_app(monkeypatch, own_index, uploads), "add")
    at.file_uploader[0].set_value([("../essex_custody.txt", ESSEX_REPORT.encode(), "text/plain"),
                                   ("empty.txt", b"   \n", "text/plain")])
    at.run()
    assert [e.value for e in at.error] and "empty\\.txt" in at.error[0].value
    at.button(key="add_uploads").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("essex\\_custody\\.txt" in s.value and "added" in s.value for s in at.success)
    assert (uploads / "essex_custody.txt").is_file() and not (tmp_path / "essex_custody.txt").exists()
    after = manifest(own_index)
    assert after["generation"] != before["generation"]
    assert set(after["reports"]) == set(before["reports"]) | {"essex_custody.txt"}
    assert "5 reports" in " ".join(c.value for c in at.sidebar.caption)  # the app reloaded the index

    # The new report is searchable, and its <script> and Markdown link are shown as text.
    at = search(open_page(at, "search"), "Essex Police custody detainees leaflet")
    assert hit_forces(at)[0] == "Essex Police"
    shown = markdown_values(at)
    assert any("\\<script\\>alert\\(\\'injected\\'\\)\\</script\\>" in v for v in shown)
    assert any("\\[click here for the detainee leaflet\\]\\(https\\://evil\\.example/steal\\)" in v for v in shown)
    assert not any(re.search(r"(?<!\\)<script|(?<!\\)\]\(", v) for v in shown)  # nothing unescaped


@pytest.mark.slow
def test_first_start_builds_the_index_from_the_bundled_reports(monkeypatch, tmp_path, real_embedder) -> None:
    index_dir = tmp_path / "new-index"
    at = start_app(monkeypatch, index_dir, tmp_path / "uploads")
    assert (index_dir / "manifest.json").is_file()
    assert manifest(index_dir)["counts"]["reports"] == 2
    assert at.title[0].value == "Ask the inspection reports"
    assert "2 reports" in " ".join(c.value for c in at.sidebar.caption)
