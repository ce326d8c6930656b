"""What the app tests share: the app index (the bundled reports plus made-up Kent Police reports,
one stating grades), starting the app with AppTest on it, opening pages and reading what they show.

The app loads the real bundled encoder (it has no test switch), so the tests that run it are
marked slow; they share one index per session, and tests that change it work on their own copy.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"

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

KENT_GRADED = """PEEL: Police effectiveness, efficiency and legitimacy 2016

An inspection of Kent Police

March 2017

Overall summary

How effective is the force at keeping people safe and reducing crime?

The extent to which Kent Police is effective at keeping people safe and reducing crime is inadequate.

Kent Police does not always identify vulnerable victims of burglary when they first call, and some
investigations into burglary are not supervised well enough.

How efficient is the force at keeping people safe and reducing crime?

The extent to which Kent Police is efficient at keeping people safe and reducing crime is good.

The force understands the demand for its services and plans well for the future.

How legitimate is the force at keeping people safe and reducing crime?

The extent to which Kent Police is legitimate at keeping people safe and reducing crime is good.

Officers treat the public with fairness and respect.
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

KENT_2015 = "kent_peel_2015.txt"
KENT_2016 = "kent_peel_2016.txt"


@pytest.fixture(scope="session")
def app_index(tmp_path_factory: pytest.TempPathFactory, real_index: Path, real_embedder) -> Path:
    """The bundled reports (copied from the session index) plus two made-up Kent Police reports."""
    from search.index.build import build_index

    index_dir = tmp_path_factory.mktemp("app") / "index"
    shutil.copytree(real_index, index_dir)
    folder = tmp_path_factory.mktemp("app-reports")
    (folder / KENT_2015).write_text(KENT_REPORT, encoding="utf-8")
    (folder / KENT_2016).write_text(KENT_GRADED, encoding="utf-8")
    result = build_index([folder / KENT_2015, folder / KENT_2016], index_dir, embedder=real_embedder,
                         keep_existing=True)
    assert not result.errors and result.reports == 4
    return index_dir


@pytest.fixture
def own_index(app_index: Path, tmp_path: Path) -> Path:
    """A copy of the app index that a test may change."""
    index_dir = tmp_path / "index"
    shutil.copytree(app_index, index_dir)
    return index_dir


def start_app(monkeypatch: pytest.MonkeyPatch, index_dir: Path, upload_dir: Path, query: dict | None = None):
    """The app on ``index_dir`` after its first run, opened at an address with ``query``."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("INSPECTQA_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("INSPECTQA_UPLOAD_DIR", str(upload_dir))
    at = AppTest.from_file(str(APP), default_timeout=300)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


PAGES = {"ask": ("Ask", "Ask the inspection reports"), "search": ("Search", "Search passages"),
         "grades": ("Grades", "Grades"), "compare": ("Compare years", "Compare years"),
         "reports": ("Reports", "Reports"), "add": ("Add reports", "Add reports"), "export": ("Export", "Export"),
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
    at.text_input(key="q").input(question)
    at.button(key="ask_button").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def search(at, query: str):
    at.text_input(key="sq").input(query).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def markdown_values(at) -> list[str]:
    return [m.value for m in at.main.markdown]


def captions(at) -> list[str]:
    return [c.value for c in at.main.caption]


def hit_forces(at) -> list[str]:
    """The force each shown search result card names (its caption starts with the force)."""
    return [c.value.split(" · ")[0] for c in at.main.caption if "match" in c.value and " · " in c.value]


def scope_line(at) -> str:
    """The 'Searched' line above an answer or a result list."""
    lines = [v for v in markdown_values(at) if v.startswith("**Searched**")]
    assert len(lines) == 1, markdown_values(at)[:5]
    return lines[0].replace("\\", "")


def last_answer(at):
    return at.session_state["last_answer"][1][0]


def manifest(index_dir: Path) -> dict:
    return json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
