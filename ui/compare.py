"""The Compare years page: what each year's report on one force says about a theme or a typed
question, oldest first. A typed question replaces the theme (it is not combined with it)."""

from __future__ import annotations

import streamlit as st

from ingest.dates import format_period
from ingest.metadata import THEMES
from search.answer.router import answer
from search.errors import FilterError, QueryError
from search.filters import Filters
from search.present import area_label
from ui.cards import citation_groups, hit_card
from ui.resources import Context, load_llm, remembered
from ui.text import md_text


def report_judgments(ctx: Context, source: str) -> dict[str, str]:
    """Area label -> grade stated in one report ('Overall judgment' and the theme labels)."""
    out: dict[str, str] = {}
    for g in ctx.stated_grades():
        if g.source == source:
            out.setdefault(area_label(g), g.grade)
            out.setdefault(THEMES.get(g.theme, g.theme), g.grade)
    return out


def page_compare(ctx: Context) -> None:
    st.title("Compare years")
    st.caption("What each year's report on a force says about a theme or a question, oldest first.")
    reports = ctx.searcher.reports()
    forces = sorted({r["force"] for r in reports if r["force"]})
    if not forces:
        st.info("No indexed report names a force.")
        return
    left, right = st.columns(2)
    force = left.selectbox("Force", forces, key="compare_force")
    themes = [t for t in ctx.searcher.coverage()["themes"] if t != "general"]
    typed = st.text_input("Or a question (it replaces the theme)", key="compare_question",
                          placeholder="e.g. How well does the force investigate burglary?").strip()
    theme = right.selectbox("Theme", [None, *themes], key="compare_theme", disabled=bool(typed),
                            format_func=lambda t: "Choose a theme" if t is None else THEMES.get(t, t))
    if typed:
        theme = None
        st.caption(md_text(f"Comparing the answers to “{typed}” in each report on {force}; the theme is not "
                           "applied while a question is typed."))
    if not typed and theme is None:
        st.info("Pick a theme or type a question.")
        return
    question = typed or f"What did the inspection find about {THEMES.get(theme, theme).lower()}?"
    periods = sorted({(r["year"], r.get("year_to")) for r in reports if r["force"] == force and r["year"]})
    if not periods:
        st.info(md_text(f"No indexed report on {force} is dated."))
        return
    for column, (year, year_to) in zip(st.columns(len(periods)), periods, strict=True):
        with column:
            st.subheader(format_period(year, year_to))
            for r in reports:
                if r["force"] == force and (r["year"], r.get("year_to")) == (year, year_to):
                    judged = report_judgments(ctx, r["source"])
                    grade = judged.get(THEMES.get(theme, theme) if theme else "Overall judgment")
                    st.caption(md_text(r["title"] + (f" · judged {grade}" if grade else "")))
            filters = Filters(forces=(force,), years=(year, year_to or year), themes=(theme,) if theme else ())
            try:
                reply = remembered(f"compare_{year}_{year_to}", (question, filters, ctx.searcher.generation),
                                   lambda f=filters: answer(ctx.searcher, question, f, llm=load_llm()))
            except (QueryError, FilterError) as exc:
                st.error(md_text(str(exc)))
                continue
            if reply.abstained:
                st.warning(md_text(f"The {format_period(year, year_to)} report does not answer this."))
                for hit in reply.passages[:2]:
                    hit_card(ctx.searcher, hit, "Closest:", "does not answer the question", key=f"cmp{year}")
                continue
            st.markdown(md_text(reply.text))
            citation_groups(ctx.searcher, reply.citations, key=f"compare_{year}")
