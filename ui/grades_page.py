"""The Grades page: every stated grade in one force × period × area matrix, filterable by force,
period, report family and grade (kept in the page address); each cell opens the sentence that
states its grade, highlighted in its section, with page and address; a colour scale readable
without colour vision (five steps of cividis, and the grade in words in every cell); CSV export."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from ingest.metadata import REPORT_TYPES
from ingest.types import GRADES
from search.errors import FindingsUnavailableError
from search.findings.api import grades
from search.findings.model import Grade
from search.present import area_label, area_order, citation_text
from ui.cards import copy_button, published_dates, show_section, source_line
from ui.exports import Record, grades_csv
from ui.grade_scale import GRADE_COLOURS, grade_style
from ui.resources import Context
from ui.text import md_text, plural

MATRIX_KEY = "grades_matrix"
ROW_FIELDS = ("Force", "Period")


def selected(items: Sequence[Grade], forces: Sequence[str], periods: Sequence[str], families: Sequence[str],
             wanted: Sequence[str]) -> list[Grade]:
    """The grades that pass the page's filters (an empty filter passes everything)."""
    return [g for g in items
            if (not forces or g.force in forces) and (not periods or g.period in periods)
            and (not families or g.report_type in families) and (not wanted or g.grade in wanted)]


def matrix(items: Sequence[Grade]) -> tuple[Any, dict[tuple[int, str], list[Grade]]]:
    """The force × period rows and area columns (overall first, then pillar by pillar), each cell the
    grade in words; and the grades behind each (row, column) cell."""
    import pandas as pd

    areas = sorted({area_label(g): area_order(g) for g in items}.items(), key=lambda kv: kv[1])
    columns = [label for label, _ in areas]
    rows = sorted({(g.force or "No force named", g.period or "Undated", g.year or 0) for g in items},
                  key=lambda r: (r[0], r[2], r[1]))
    index = {(force, period): n for n, (force, period, _) in enumerate(rows)}
    cells: dict[tuple[int, str], list[Grade]] = {}
    for g in items:
        cells.setdefault((index[(g.force or "No force named", g.period or "Undated")], area_label(g)), []).append(g)
    records = []
    for n, (force, period, _) in enumerate(rows):
        record: dict[str, Any] = {"Force": force, "Period": period}
        for column in columns:
            found = cells.get((n, column), [])
            record[column] = " / ".join(dict.fromkeys(g.grade for g in found)) if found else ""
        records.append(record)
    return pd.DataFrame(records, columns=[*ROW_FIELDS, *columns]), cells


def legend() -> None:
    """The colour scale, best grade first, each colour with its grade's name."""
    cells = "".join(f"<span style='{grade_style(g)}; padding: 0.25rem 0.8rem; border-radius: 0.3rem; "
                    f"margin-right: 0.4rem; display: inline-block'>{g}</span>" for g in GRADES)
    st.html(f"<div aria-label='Colour scale of the grades'>{cells}</div>")  # fixed text, nothing from a report
    st.caption("Colours run from dark blue (Outstanding) to yellow (Inadequate), readable with any colour vision "
               "and in print; every cell also names its grade. PEEL used four grades (no Adequate) until 2020 and "
               "five from 2021/22: grades on different scales are not directly comparable.")


def chosen_cell(frame: Any, event: Any) -> tuple[int, str] | None:
    """The (row, area) of the cell the user selected, if it is a grade cell."""
    cells = (event or {}).get("selection", {}).get("cells") if isinstance(event, dict) else \
        getattr(getattr(event, "selection", None), "cells", None)
    if not cells:
        return None
    row, column = cells[0][0], cells[0][1]
    if isinstance(column, int):
        column = frame.columns[column]
    if column in ROW_FIELDS or not (0 <= int(row) < len(frame)):
        return None
    return int(row), str(column)


def show_cell(ctx: Context, found: Sequence[Grade], published: dict[str, str | None]) -> None:
    """The sentence that states each grade of a cell, highlighted in its section."""
    for n, g in enumerate(found):
        c = g.citation
        with st.container(border=True, key=f"grade_citation_{n}"):
            st.markdown(f"**{md_text(g.force or 'No force named')} · {md_text(g.period or 'undated')} · "
                        f"{md_text(area_label(g))}: {md_text(g.grade)}**")
            st.caption(md_text(f"{g.title} · {c.section}" + (f" · p. {c.page}" if c.page else "") +
                               f" · {g.scale} scale"))
            source_line(g.title, c.url, published.get(g.source), g.source)
            st.markdown(f"> {md_text(' '.join(c.quote.split()))}")
            st.caption("In its section:")
            with st.container(height=260):
                show_section(ctx.searcher, c.section_id, c.start, c.end)
            copy_button(f"“{' '.join(c.quote.split())}” {citation_text(c, published.get(g.source))}",
                        key=f"grade_copy_{n}")


def page_grades(ctx: Context) -> None:
    import pandas as pd  # noqa: F401  (the matrix is a DataFrame)

    st.title("Grades")
    st.caption("Every graded judgment the indexed reports state, force by force and period by period. Select a "
               "cell to read the sentence that states it. The sidebar's filters do not apply here: use these.")
    try:
        items = grades(ctx.searcher)
    except FindingsUnavailableError as exc:
        st.warning(md_text(str(exc)))
        return
    if not items:
        st.info("No indexed report states a graded judgment. Add PEEL or crime data integrity reports on the Add "
                "reports page.")
        return
    forces = sorted({g.force for g in items if g.force})
    periods = sorted({g.period for g in items if g.period}, key=lambda p: (int(p[:4]), p))
    families = sorted({g.report_type for g in items})
    left, middle, right, last = st.columns(4)
    chosen_forces = left.multiselect("Force", forces, key="g_force", bind="query-params", select_all=False,
                                     placeholder="All forces")
    chosen_periods = middle.multiselect("Period", periods, key="g_period", bind="query-params", select_all=False,
                                        placeholder="All periods")
    chosen_families = right.multiselect("Report family", families, format_func=lambda t: REPORT_TYPES.get(t, t),
                                        key="g_family", bind="query-params", select_all=False,
                                        placeholder="All report families")
    wanted = last.multiselect("Grade", [g for g in GRADES if g in {x.grade for x in items}], key="g_grade",
                              bind="query-params", select_all=False, placeholder="Any grade")
    shown = selected(items, chosen_forces, chosen_periods, chosen_families, wanted)
    filtered = [name for name, value in (("force", chosen_forces), ("period", chosen_periods),
                                         ("report family", chosen_families), ("grade", wanted)) if value]
    if not shown:
        st.warning(md_text(f"No stated grade matches the {' and '.join(filtered)} chosen above: clear one of "
                           "them."), icon=":material/filter_alt_off:")
        return
    st.caption(md_text(f"{plural(len(shown), 'grade')} for {plural(len({g.force for g in shown}), 'force')}"
                       + (f" (filtered by {', '.join(filtered)})" if filtered else "")))
    frame, cells = matrix(shown)
    styled = frame.style.map(grade_style, subset=[c for c in frame.columns if c not in ROW_FIELDS])
    event = st.dataframe(styled, hide_index=True, width="stretch", key=MATRIX_KEY, on_select="rerun",
                         height=min(600, 38 + 35 * len(frame)),
                         selection_mode="single-cell", column_config={
                             "Force": st.column_config.TextColumn(pinned=True),
                             "Period": st.column_config.TextColumn(pinned=True)})
    legend()
    published = published_dates(ctx.searcher)
    record = Record(scope="; ".join(f"{label}: {', '.join(map(str, value))}" for label, value in (
        ("force", chosen_forces), ("period", chosen_periods), ("report family", chosen_families),
        ("grade", wanted)) if value) or "all stated grades", published=published)
    st.download_button("Download these grades as CSV", grades_csv(shown, record), file_name="inspectqa-grades.csv",
                       mime="text/csv", key="grades_csv", on_click="ignore", icon=":material/table:")

    st.subheader("Where the grade is stated")
    cell = chosen_cell(frame, event)
    if cell is None or cell not in cells:
        st.info("Select a grade cell in the table above to read the sentence that states it.")
        return
    show_cell(ctx, cells[cell], published)


__all__ = ["GRADE_COLOURS", "matrix", "page_grades", "selected"]
