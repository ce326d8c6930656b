"""The Streamlit app through streamlit.testing.v1.AppTest.

The app loads the real bundled encoder (it has no test switch), so the tests that run it are
marked slow; they share one index per session: the bundled reports plus a made-up Kent Police
report, so that a force filter has something to choose between. Tests that add reports work
on their own copy of that index.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import PEEL_2015, ROOT

APP = ROOT / "app.py"
HERTS_PEEL_TITLE = "PEEL: Police effectiveness 2015 – An inspection of Hertfordshire Constabulary"

KENT_REPORT = """PEEL: Police effectiveness 2015

An inspection of Kent Police

February 2016

Summary

Kent Police works well with partners to prevent burglary. Neighbourhood officers visit streets where
a burglary has happened to give residents crime prevention advice and to fit window locks for older people.

The force has a dedicated team that investigates burglary and handling stolen goods, and it shares
intelligence about travelling burglars with neighbouring forces.

How effective is the force at protecting from harm those who are vulnerable, and supporting victims?

Kent Police identifies vulnerable victims of burglary at the first point of contact. Call handlers ask set
questions to assess the risk to the victim, and officers refer older victims to a partner charity.

The force needs to improve how it records the outcome of these referrals so that it can tell whether
the advice prevented repeat victimisation.
"""

ESSEX_REPORT = """PEEL: Police legitimacy 2016

An inspection of Essex Police

December 2016

Custody

Essex Police treats detainees in custody with respect. <script>alert('injected')</script> Inspectors saw
custody staff check on detainees every hour, and [click here for the detainee leaflet](https://evil.example/steal)
was printed on the custody suite wall.

The force should improve how it records the use of force in its custody suites.
"""


# --- fast: the helpers that keep report text from becoming markup ---------------------------
def test_md_text_escapes_markup_from_reports() -> None:
    import app

    shown = app.md_text("<script>alert(1)</script> [x](https://evil.example) **b** :red[c] $x$ &amp;")
    assert "<script>" not in shown and "](" not in shown and "**" not in shown
    assert "\\<script\\>" in shown and "\\[x\\]\\(https\\:" in shown and "\\:red\\[c\\]" in shown
    assert "\\$x\\$" in shown and "\\&amp;" in shown


def test_highlighted_marks_only_the_quote_and_escapes_the_rest() -> None:
    import app

    text = "Before <b>bold</b>. The quote [1] here.\nNext line."
    start = text.index("The quote")
    end = text.index(" here.")
    shown = app.highlighted(text, start, end)
    assert shown.startswith("Before \\<b\\>bold\\</b\\>\\. ")
    assert ":orange-background[**The quote \\[1\\]**] here\\." in shown
    assert shown.endswith("  \nNext line\\.")
    assert app.highlighted("abc", 2, 2) == "abc"


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
    import app

    assert app.safe_upload_name(name) == expected


def test_csv_cells_cannot_run_as_formulas() -> None:
    import app

    assert app.safe_csv_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert app.safe_csv_cell("-12") == "'-12"
    assert app.safe_csv_cell("Good") == "Good"
    assert app.safe_csv_cell(3) == 3


# --- slow: the app itself --------------------------------------------------------------------
@pytest.fixture(scope="session")
def app_index(tmp_path_factory: pytest.TempPathFactory, real_index: Path, real_embedder) -> Path:
    """The bundled reports (copied from the session index) plus a made-up Kent Police report."""
    from search.index.build import build_index

    index_dir = tmp_path_factory.mktemp("app") / "index"
    shutil.copytree(real_index, index_dir)
    extra = tmp_path_factory.mktemp("app-reports") / "kent_peel_2015.txt"
    extra.write_text(KENT_REPORT, encoding="utf-8")
    result = build_index([extra], index_dir, embedder=real_embedder, keep_existing=True)
    assert not result.errors and result.reports == 3
    return index_dir


@pytest.fixture
def own_index(app_index: Path, tmp_path: Path) -> Path:
    """A copy of the app index that a test may add reports to."""
    index_dir = tmp_path / "index"
    shutil.copytree(app_index, index_dir)
    return index_dir


def start_app(monkeypatch: pytest.MonkeyPatch, index_dir: Path, upload_dir: Path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("INSPECTQA_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("INSPECTQA_UPLOAD_DIR", str(upload_dir))
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


PAGES = {"ask": ("Ask", "Ask the inspection reports"), "search": ("Search", "Search passages"),
         "compare": ("Compare years", "Compare years"), "reports": ("Reports", "Reports"),
         "add": ("Add reports", "Add reports"), "export": ("Export", "Export"),
         "profile": ("Force profile", "Force profile")}


def open_page(at, name: str):
    """Open a page of the app's st.navigation. AppTest.switch_page only finds file pages and the
    app's pages are functions, so this sets the page hash AppTest sends, found by the page's
    navigation title in AppTest's registry; the page's heading confirms the switch."""
    nav_title, heading = PAGES[name]
    hashes = [h for h, info in at._registered_pages.items() if info.get("page_name") == nav_title]
    assert len(hashes) == 1, f"no page {nav_title!r} registered: {at._registered_pages}"
    at._page_hash = hashes[0]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == heading
    return at


def ask(at, question: str):
    at.text_input(key="ask_question").input(question)
    at.form_submit_button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def search(at, query: str):
    at.text_input(key="search_query").input(query)
    at.form_submit_button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def markdown_values(at) -> list[str]:
    return [m.value for m in at.main.markdown]


def hit_forces(at) -> list[str]:
    """The force each shown search result card names (its caption starts with the force)."""
    return [c.value.split(" · ")[0] for c in at.main.caption if " · score " in c.value]


def manifest(index_dir: Path) -> dict:
    return json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_every_page_starts_and_the_sidebar_shows_the_index(monkeypatch, app_index, tmp_path) -> None:
    at = start_app(monkeypatch, app_index, tmp_path / "uploads")
    status = " ".join(c.value for c in at.sidebar.caption)
    assert "3 reports" in status and "all\\-MiniLM\\-L6\\-v2" in status
    assert at.sidebar.multiselect(key="filter_forces").options == ["Hertfordshire Constabulary", "Kent Police"]
    for name in ("search", "compare", "reports", "profile", "add", "export", "ask"):
        open_page(at, name)


@pytest.mark.slow
def test_a_question_gets_an_answer_citing_the_right_report(monkeypatch, app_index, tmp_path) -> None:
    at = ask(start_app(monkeypatch, app_index, tmp_path / "uploads"), "What is a distraction burglary?")
    assert not at.warning, [w.value for w in at.warning]
    answer_text = markdown_values(at)[0]
    assert "distraction burglary" in answer_text and "\\[1\\]" in answer_text
    cards = [v for v in markdown_values(at) if v.startswith("**\\[")]
    assert cards and all("PEEL\\: Police effectiveness 2015" in card for card in cards)
    assert any("Hertfordshire Constabulary" in card for card in cards)
    reply = at.session_state["last_answer"][1]
    assert reply.citations[0].source == PEEL_2015.name
    # The export carries the same answer and citations.
    import app

    exported = app.answer_markdown(reply)
    assert reply.text in exported and "[1] " + HERTS_PEEL_TITLE in exported and PEEL_2015.name in exported
    rows = list(csv.DictReader(io.StringIO(app.answer_csv(reply))))
    assert len(rows) == len(reply.citations) and rows[0]["source"] == PEEL_2015.name
    assert rows[0]["quote"] == reply.citations[0].quote
    # The quote is highlighted inside its passage, and its section can be opened in place.
    assert any(":orange-background[**" in v and "distraction burglary" in v for v in markdown_values(at))
    assert any(e.label == "Read the full section" for e in at.main.expander)


@pytest.mark.slow
def test_query_understanding_is_shown_and_can_be_undone(monkeypatch, app_index, tmp_path) -> None:
    at = ask(start_app(monkeypatch, app_index, tmp_path / "uploads"),
             "How does Kent Police prevent burglary?")
    assert any("Searching Kent Police" in i.value for i in at.info)
    assert {c.force for c in at.session_state["last_answer"][1].passages} == {"Kent Police"}
    at.button(key="undo_btn_ask").click().run()
    assert any("Searching all reports" in i.value for i in at.info)
    assert "Hertfordshire Constabulary" in {c.force for c in at.session_state["last_answer"][1].passages}
    at.button(key="redo_ask").click().run()
    assert any("Searching Kent Police" in i.value for i in at.info)


@pytest.mark.slow
def test_an_unanswerable_question_is_answered_with_an_abstention(monkeypatch, app_index, tmp_path) -> None:
    at = ask(start_app(monkeypatch, app_index, tmp_path / "uploads"),
             "What did HMIC say about Hertfordshire's use of sourdough starters and drone racing?")
    assert any("do not answer this" in w.value for w in at.warning)
    assert "Closest passages: they do not answer the question" in [s.value for s in at.main.subheader]
    assert not any(v.startswith("**\\[") for v in markdown_values(at))  # no citation cards


@pytest.mark.slow
def test_a_force_filter_changes_the_passages_shown(monkeypatch, app_index, tmp_path) -> None:
    at = start_app(monkeypatch, app_index, tmp_path / "uploads")
    at = search(open_page(at, "search"), "burglary prevention advice for older people")
    unfiltered = hit_forces(at)
    assert "Hertfordshire Constabulary" in unfiltered
    at.sidebar.multiselect(key="filter_forces").set_value(["Kent Police"]).run()
    filtered = hit_forces(at)
    assert filtered and set(filtered) == {"Kent Police"}
    at.sidebar.multiselect(key="filter_forces").set_value(["Hertfordshire Constabulary"]).run()
    assert set(hit_forces(at)) == {"Hertfordshire Constabulary"}


@pytest.mark.slow
def test_compare_years_shows_each_year_in_order_with_citations(monkeypatch, app_index, tmp_path) -> None:
    at = open_page(start_app(monkeypatch, app_index, tmp_path / "uploads"), "compare")
    at.selectbox(key="compare_force").select("Hertfordshire Constabulary").run()
    at.selectbox(key="compare_theme").select("vulnerability").run()
    assert not at.exception
    assert [s.value for s in at.main.subheader] == ["2014", "2015"]
    assert any("judged Requires improvement" in c.value for c in at.main.caption)
    assert any(v.startswith("**\\[1\\]**") for v in markdown_values(at))


@pytest.mark.slow
def test_reports_page_lists_reports_with_judgments(monkeypatch, app_index, tmp_path) -> None:
    at = open_page(start_app(monkeypatch, app_index, tmp_path / "uploads"), "reports")
    table = at.dataframe[0].value
    assert sorted(table["Force"]) == ["Hertfordshire Constabulary", "Hertfordshire Constabulary", "Kent Police"]
    herts_2015 = table[table["File"] == PEEL_2015.name].iloc[0]
    assert "Protecting vulnerable people and supporting victims: Requires improvement" in herts_2015["Judgments"]
    assert herts_2015["Passages"] > 0 and herts_2015["Sections"] > 0


@pytest.mark.slow
def test_force_profile_shows_grades_over_time_and_findings_with_trails(monkeypatch, app_index, tmp_path) -> None:
    at = open_page(start_app(monkeypatch, app_index, tmp_path / "uploads"), "profile")
    at.selectbox(key="profile_force").select("Hertfordshire Constabulary").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    grades_2015 = dict(zip(table[table["Year"] == 2015]["Theme"], table[table["Year"] == 2015]["Grade"], strict=True))
    assert grades_2015["Protecting vulnerable people and supporting victims"] == "Requires improvement"
    assert grades_2015["Investigating crime and managing offenders"] == "Good"
    assert [s.value for s in at.main.markdown if s.value.startswith("#### ")][:2] == ["#### 2014", "#### 2015"]
    labels = markdown_values(at)
    assert any("Area for improvement" in v for v in labels)
    assert any(v.startswith("**↳ 2015") for v in labels)  # a 2014 finding revisited by the 2015 report


@pytest.mark.slow
def test_a_junk_upload_shows_an_error_and_leaves_the_index_intact(monkeypatch, own_index, tmp_path) -> None:
    uploads = tmp_path / "uploads"
    before = manifest(own_index)
    at = open_page(start_app(monkeypatch, own_index, uploads), "add")
    at.file_uploader[0].set_value(("junk.pdf", b"\x00\x01\x02 this is not a PDF \xff" * 20, "application/pdf"))
    at.run()
    at.button(key="add_uploads").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "junk\\.pdf" in errors[0]
    after = manifest(own_index)
    assert after["generation"] == before["generation"]
    assert sorted(after["reports"]) == sorted(before["reports"])
    assert not (uploads / "junk.pdf").exists()


@pytest.mark.slow
def test_an_upload_over_the_size_limit_is_refused(monkeypatch, own_index, tmp_path) -> None:
    uploads = tmp_path / "uploads"
    before = manifest(own_index)
    monkeypatch.setattr("ingest.readers.MAX_FILE_BYTES", 1000)
    at = open_page(start_app(monkeypatch, own_index, uploads), "add")
    at.file_uploader[0].set_value(("big.txt", ESSEX_REPORT.encode() * 3, "text/plain"))
    at.run()
    at.button(key="add_uploads").click().run()
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
    at.button(key="add_uploads").click().run()
    assert not at.exception
    assert [e.value for e in at.error] and "empty\\.txt" in at.error[0].value
    assert any("essex\\_custody\\.txt" in s.value and "added" in s.value for s in at.success)
    assert (uploads / "essex_custody.txt").is_file() and not (tmp_path / "essex_custody.txt").exists()
    after = manifest(own_index)
    assert after["generation"] != before["generation"]
    assert set(after["reports"]) == set(before["reports"]) | {"essex_custody.txt"}
    assert "4 reports" in " ".join(c.value for c in at.sidebar.caption)  # the app reloaded the index

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
