"""The Force profile page: one force's grades over time and the findings each report set, with
their trail through later reports."""

from __future__ import annotations

import streamlit as st

from search.errors import FilterError, FindingsUnavailableError
from search.findings.api import findings, grades
from search.present import area_label
from ui.cards import passage_card, published_dates
from ui.resources import Context, page_link
from ui.text import md_text

STATUS_ICONS = {"addressed": "✅", "in progress": "🔄", "not addressed": "⚠️", "unclear": "❔"}


def page_profile(ctx: Context) -> None:
    import altair as alt
    import pandas as pd

    st.title("Force profile")
    st.caption("Graded judgments over time, and the areas for improvement, recommendations and causes of "
               "concern each report set, with where later reports revisit them.")
    forces = ctx.searcher.coverage()["forces"]
    if not forces:
        st.info("No indexed report names a force.")
        return
    force = st.selectbox("Force", forces, key="profile_force")
    try:
        graded = grades(ctx.searcher, force)
        items = findings(ctx.searcher, force)
    except (FindingsUnavailableError, FilterError) as exc:
        st.warning(md_text(str(exc)))
        return
    published = published_dates(ctx.searcher)

    st.subheader("Grades over time")
    if not graded:
        st.info("No indexed report on this force states a graded judgment.")
    else:
        rows = [{"Year": g.year, "Period": g.period, "Area": area_label(g), "Grade": g.grade, "Level": g.level,
                 "Scale": g.scale,
                 "Comparable with the previous grade": "—" if g.previous_comparable is None
                 else ("yes" if g.previous_comparable else "no (different scale)"),
                 "Report": g.title, "Page": g.citation.page} for g in graded]
        frame = pd.DataFrame(rows)
        chart = alt.Chart(frame).mark_line(point=True).encode(
            x=alt.X("Year:O", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("Level:Q", scale=alt.Scale(domain=[1, 5]), title="Grade",
                    axis=alt.Axis(values=[1, 2, 3, 4, 5], labelExpr="['', 'Inadequate', 'Requires improvement', "
                                  "'Adequate', 'Good', 'Outstanding'][datum.value]")),
            color=alt.Color("Area:N"), tooltip=["Period", "Area", "Grade", "Scale", "Report"])
        st.altair_chart(chart, width="stretch")
        st.dataframe(frame.drop(columns=["Level"]), hide_index=True, width="stretch")
        if any(g.previous_comparable is False for g in graded):
            st.caption("PEEL used four grades until 2020 and five (with Adequate) from 2021/22: grades from "
                       "different scales are not directly comparable.")
        page_link("grades", "Compare with other forces on the Grades page", {"g_force": [force]},
                  icon=":material/grid_on:")
        with st.expander("Where each grade is stated"):
            for n, g in enumerate(graded):
                passage_card(ctx.searcher, f"{g.period} · {area_label(g)}: {g.grade}", g.citation,
                             published=published.get(g.source), key=f"profile_grade_{n}")

    st.subheader("Findings and their trail")
    if not items:
        st.info("No areas for improvement, recommendations or causes of concern were found for this force.")
        return
    for year in sorted({item.finding.year or 0 for item in items}):
        st.markdown(f"#### {year or 'Undated'}")
        for item in (i for i in items if (i.finding.year or 0) == year):
            f = item.finding
            status = item.latest_status
            label = f.kind.replace("_", " ").capitalize() + (f" · latest: {status}" if status else " · not revisited")
            passage_card(ctx.searcher, f"{STATUS_ICONS.get(status or '', '•')} {label}:", f.citation,
                         "recalled by a later report" if f.recalled else "")
            for link in item.trail:
                strength = "explicit reference" if link.method == "explicit" else "matched by meaning"
                passage_card(ctx.searcher, f"↳ {link.later.year}: {link.status} ({strength})",
                             link.later, f"cue: {link.cue}" if link.cue else "")
