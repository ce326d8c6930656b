"""The sidebar: filters for Ask and Search (kept in the page address, so a link reproduces them),
what wins when the question names a force or year too, what the index holds, and this session's
questions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from ingest.metadata import REPORT_TYPES, THEMES
from ingest.types import GRADES
from search.filters import Filters
from search.retrieve.searcher import Searcher
from ui.text import md_text, plural

FILTER_KEYS = ("force", "years", "theme", "type", "judgment")
"""Session keys (and address parameters) of the sidebar filters."""
CONTEXT_KEY = "context"
CONTEXT_CHOICES = {"question": "The question wins", "filters": "The sidebar wins",
                   "off": "Ignore forces and years in the question"}


@dataclass(frozen=True)
class SidebarChoice:
    """The sidebar's filters and what to do when the question names a force, year or grade too."""

    filters: Filters
    context: str  # a key of CONTEXT_CHOICES


def index_summary(searcher: Searcher) -> str:
    """'48 reports on 23 forces, 2013–2025' (plain text)."""
    reports = searcher.reports()
    forces = {r["force"] for r in reports if r["force"]}
    years = [y for r in reports for y in (r["year"], r.get("year_to")) if y]
    span = ""
    if years:
        span = f", {min(years)}–{max(years)}" if min(years) != max(years) else f", {min(years)}"
    return f"{plural(len(reports), 'report')} on {plural(len(forces), 'force')}{span}"


def year_bounds(searcher: Searcher) -> tuple[int, int] | None:
    """The first and last year any indexed report covers."""
    years = [y for r in searcher.reports() for y in (r["year"], r.get("year_to")) if y]
    return (min(years), max(years)) if years else None


def clear_filters() -> None:
    for key in FILTER_KEYS:
        st.session_state.pop(key, None)


def sidebar(searcher: Searcher) -> SidebarChoice:
    """Draw the sidebar; returns the chosen filters."""
    cov = searcher.coverage()
    bar = st.sidebar
    bar.header("Filters for Ask and Search")
    bar.caption("Kept in the page address, so a copied link reproduces them.")
    forces = bar.multiselect("Force", cov["forces"], key="force", bind="query-params", select_all=False,
                             placeholder="All forces")
    years: tuple[int, int] | None = None
    bounds = year_bounds(searcher)
    if bounds and bounds[0] < bounds[1]:
        chosen = bar.slider("Years", bounds[0], bounds[1], bounds, key="years", bind="query-params")
        years = None if tuple(chosen) == bounds else (chosen[0], chosen[1])
    elif bounds:
        bar.caption(f"All indexed reports are from {bounds[0]}.")
    themes = bar.multiselect("Theme", cov["themes"], format_func=lambda t: THEMES.get(t, t), key="theme",
                             bind="query-params", select_all=False, placeholder="All themes")
    types = bar.multiselect("Report type", cov["report_types"], format_func=lambda t: REPORT_TYPES.get(t, t),
                            key="type", bind="query-params", select_all=False, placeholder="All report types")
    judged = bar.multiselect("Judgment", [g for g in GRADES if g in cov["judgments"]], key="judgment",
                             bind="query-params", select_all=False, placeholder="Any judgment")
    filters = Filters(forces=tuple(forces), years=years, themes=tuple(themes), report_types=tuple(types),
                      judgments=tuple(judged))
    if not filters.is_empty():
        bar.button("Clear filters", on_click=clear_filters, key="clear_filters", icon=":material/filter_alt_off:")
    context = bar.radio("When the question names a force, year or grade", list(CONTEXT_CHOICES),
                        format_func=CONTEXT_CHOICES.__getitem__, key=CONTEXT_KEY, bind="query-params",
                        help="By default a force, year or grade your question names is searched, even when the "
                             "sidebar says otherwise; the line above each answer says which applied.")

    manifest = searcher.manifest
    bar.divider()
    bar.subheader("Index")
    bar.caption(md_text(
        f"{index_summary(searcher)}, {cov['chunks']:,} passages\n"
        f"model {manifest['model']['name']}\n"
        f"built {manifest['created'][:16].replace('T', ' ')} UTC in {manifest['build_seconds']:.0f} s"))
    show_history(bar)
    return SidebarChoice(filters, context or "question")


# --- this session's questions -----------------------------------------------------------------
HISTORY_KEY = "history"
HISTORY_LENGTH = 12


def address(question: str, filters: Filters, context: str, bounds: tuple[int, int] | None = None) -> dict[str, Any]:
    """The page-address parameters that reproduce a question with these filters on the Ask page."""
    params: dict[str, Any] = {"q": question}
    if filters.forces:
        params["force"] = list(filters.forces)
    if filters.years is not None and (bounds is None or tuple(filters.years) != bounds):
        params["years"] = [str(filters.years.first), str(filters.years.last)]
    if filters.themes:
        params["theme"] = list(filters.themes)
    if filters.report_types:
        params["type"] = list(filters.report_types)
    if filters.judgments:
        params["judgment"] = list(filters.judgments)
    if context != "question":
        params[CONTEXT_KEY] = context
    return params


def remember(question: str, choice: SidebarChoice) -> None:
    """Put a question asked with these filters first in the session's history (once)."""
    entry = {"question": question, "filters": choice.filters, "context": choice.context}
    history = [h for h in st.session_state.get(HISTORY_KEY, []) if h != entry]
    st.session_state[HISTORY_KEY] = [entry, *history][:HISTORY_LENGTH]


def show_history(bar: Any) -> None:
    from ui.resources import PAGES

    history = st.session_state.get(HISTORY_KEY) or []
    if not history or "ask" not in PAGES:
        return
    bar.divider()
    bar.subheader("This session's questions")
    for entry in history:
        label = entry["question"] if len(entry["question"]) <= 60 else entry["question"][:59] + "…"
        if not entry["filters"].is_empty():
            label += " (filtered)"
        bar.page_link(PAGES["ask"], label=md_text(label), query_params=address(entry["question"], entry["filters"],
                                                                               entry["context"]),
                      icon=":material/history:")
