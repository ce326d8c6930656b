"""An answer as people read and cite it: a lead for grade, figure and date answers, the answer,
the table of grades for grade answers (with a link to the Grades page filtered the same way), and
the quotes grouped by report and year; for an abstention, why, and the closest passages in words
of relevance."""

from __future__ import annotations

from typing import Any

import streamlit as st

from search.answer.plan import EmptyScope, SearchPlan
from search.present import relevance_words
from search.retrieve.searcher import Searcher
from search.types import Answer
from ui.cards import citation_groups, hit_card, published_dates
from ui.grade_scale import grade_style
from ui.resources import page_link
from ui.scope import empty_message
from ui.text import md_text, plural

ASKED_KIND = {"share": "a percentage, proportion or rate", "count": "a number", "money": "a sum of money",
              "date": "a date, year or period"}
"""The answer types whose kind is stated above the quotes ('Figure asked for: ...')."""


def lead(reply: Answer) -> str | None:
    """What kind of answer the question asked for, when it is a figure or a date (plain text)."""
    kind = ASKED_KIND.get(str(reply.understood.get("expects") or ""))
    if kind is None or reply.mode != "extractive":
        return None
    what = "Date asked for" if reply.understood.get("expects") == "date" else "Figure asked for"
    return f"{what}: {kind}. The quotes below are the reports' own words; the figure is in the quote marked first."


def grade_lead(reply: Answer) -> str:
    """The lead of a grade answer, from its table: how many forces and grades, and which grades."""
    forces = sorted({r["force"] for r in reply.table if r.get("force")})
    named = sorted({r["grade"] for r in reply.table}, key=lambda g: -len(g))
    graded = " or ".join(named) if len(named) <= 2 else "as listed"
    asked = [g for g in reply.understood.get("grades") or () if g not in named]
    if asked and len(forces) == 1:  # 'was Kent graded inadequate …?' when it was not
        return (f"{forces[0]}: not graded {' or '.join(asked)}; {plural(len(reply.table), 'grade')} in the "
                f"indexed reports, {graded}.")
    if len(forces) == 1:
        return f"{forces[0]}: {plural(len(reply.table), 'grade')} in the indexed reports, {graded}."
    return (f"{plural(len(forces), 'force')} graded {graded} in the indexed reports "
            f"({plural(len(reply.table), 'graded area')}):")


def grades_query(reply: Answer, plan: SearchPlan) -> dict[str, Any]:
    """Grades page parameters that show the same grades as a grade answer."""
    query: dict[str, Any] = {}
    forces = plan.part("forces")
    if forces is not None:
        query["g_force"] = list(forces.values)
    judgments = plan.part("judgments")
    if judgments is not None:
        query["g_grade"] = list(judgments.values)
    periods = sorted({r["period"] for r in reply.table if r.get("period")})
    if plan.part("years") is not None and periods:
        query["g_period"] = periods
    return query


def grade_table(reply: Answer) -> None:
    import pandas as pd

    frame = pd.DataFrame([{"[n]": f"[{r['n']}]", "Force": r["force"] or "—", "Period": r["period"], "Area": r["area"],
                           "Grade": r["grade"], "Scale": r["scale"], "Report": r["title"]} for r in reply.table])
    st.dataframe(frame.style.map(grade_style, subset=["Grade"]), hide_index=True, width="stretch",
                 key="answer_grades")


def show_answer(searcher: Searcher, reply: Answer, plan: SearchPlan, empty: EmptyScope | None, key: str) -> None:
    """The answer below its scope line."""
    if empty is not None:
        st.warning(md_text(empty_message(empty, plan)), icon=":material/filter_alt_off:")
        st.caption(md_text(searcher.describe_coverage()))
        return
    notices = [n for n in reply.notices if n not in reply.text]
    for notice in notices:
        st.caption(md_text(notice))
    if reply.abstained:
        st.warning(md_text(reply.text), icon=":material/block:")
        if reply.passages:
            st.subheader("Closest passages: they do not answer the question")
            published = published_dates(searcher)
            hits = reply.passages[:5]
            for n, (hit, words) in enumerate(zip(hits, relevance_words(hits), strict=True), start=1):
                hit_card(searcher, hit, f"{n}.", f"{words}, but does not answer the question",
                         published.get(hit.source), key=f"{key}_closest")
        return
    if reply.table:
        with st.container(border=True, key=f"{key}_answer"):
            st.markdown(f"**{md_text(grade_lead(reply))}**")
            grade_table(reply)
            page_link("grades", "Open these grades on the Grades page, beside every other force's",
                      grades_query(reply, plan), icon=":material/grid_on:")
            with st.expander("The answer in sentences, with citation numbers"):
                st.markdown(md_text(reply.text))
    else:
        first = lead(reply)
        if first:
            st.markdown(f"**{md_text(first.split(': ', 1)[0])}:** {md_text(first.split(': ', 1)[1])}")
        with st.container(border=True, key=f"{key}_answer"):
            st.markdown(md_text(reply.text))
            if reply.mode == "llm":
                st.caption("Written by a language model from the quoted passages; check the sources.")
    st.subheader("Sources")
    st.caption("Grouped by report, oldest first; a quote repeated in one report is shown once.")
    labels = {int(r["n"]): f"{r['area']}: {r['grade']}" for r in reply.table if r.get("n")}
    citation_groups(searcher, reply.citations, key, labels)
