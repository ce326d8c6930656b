"""The Reports page and its report manager: what the index holds, duplicates, and for one report:
correct its metadata (only that report is read and embedded again), re-index it from its file, or
delete it. The work is search.reports' (correct_report, remove_reports, duplicates)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ingest.dates import format_period
from ingest.forces import all_forces
from ingest.metadata import REPORT_TYPES
from ingest.overrides import OverrideError
from search.errors import IndexError_, ReportNotFoundError
from search.reports import correct_report, duplicates, remove_reports
from ui.resources import Context, build_with_progress, index_dir, load_embedder, page_link
from ui.sidebar import index_summary
from ui.text import md_text, plural

MESSAGE_KEY = "manager_messages"


def _label(report: dict[str, Any]) -> str:
    period = format_period(report["year"], report.get("year_to")) or "undated"
    return f"{period} · {report['force'] or 'no force named'} · {report['title']} ({report['source']})"


def _grade_counts(ctx: Context) -> dict[str, int]:
    counts: dict[str, int] = {}
    for g in ctx.stated_grades():
        counts[g.source] = counts.get(g.source, 0) + 1
    return counts


def reports_table(ctx: Context, reports: list[dict[str, Any]]) -> None:
    import pandas as pd

    counts = _grade_counts(ctx)
    rows = [{"Force": r["force"] or "—", "Period": format_period(r["year"], r.get("year_to")) or "—",
             "Type": REPORT_TYPES.get(r["report_type"], r["report_type"]), "Title": r["title"],
             "Published": r.get("published") or "", "Address": r.get("url") or "", "Grades": counts.get(r["source"], 0),
             "Sections": r["n_sections"], "Passages": r["n_chunks"], "File": r["source"]} for r in reports]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="reports_table",
                 column_config={"Address": st.column_config.LinkColumn()})


def show_duplicates() -> None:
    try:
        groups = duplicates(index_dir())
    except IndexError_ as exc:
        st.caption(md_text(f"Duplicates could not be checked: {exc}"))
        return
    if not groups:
        st.caption("No duplicates: no two reports have the same content, or the same force, period and title.")
        return
    for group in groups:
        st.warning(md_text(f"Possible duplicates ({group.reason}): {', '.join(group.sources)}. Keep one and delete "
                           "the others below."), icon=":material/content_copy:")


def _done(level: str, message: str) -> None:
    st.session_state[MESSAGE_KEY] = [(level, message)]


def correction_form(ctx: Context, report: dict[str, Any]) -> None:
    """Fields prefilled with what the index records; only changed fields are sent."""
    source = report["source"]
    forces = [f.name for f in all_forces()]
    types = list(REPORT_TYPES)
    period = format_period(report["year"], report.get("year_to"))
    with st.form(f"correct_{source}"):
        st.markdown("**Correct its metadata**")
        left, right = st.columns(2)
        force = left.selectbox("Force", [None, *forces], index=(forces.index(report["force"]) + 1)
                               if report["force"] in forces else 0,
                               format_func=lambda f: "No force (a national report)" if f is None else f,
                               key=f"fix_force_{source}")
        year = right.text_input("Year or period", period, help="'2016', or a period such as '2018/19' or '2023–25'",
                                key=f"fix_year_{source}")
        rtype = left.selectbox("Report type", types, index=types.index(report["report_type"])
                               if report["report_type"] in types else types.index("other"),
                               format_func=REPORT_TYPES.__getitem__, key=f"fix_type_{source}")
        published = right.text_input("Published", report.get("published") or "", key=f"fix_published_{source}")
        title = st.text_input("Title", report["title"], key=f"fix_title_{source}")
        url = st.text_input("Address (URL)", report.get("url") or "", key=f"fix_url_{source}")
        submitted = st.form_submit_button("Save and re-index this report", type="primary")
    if not submitted:
        return
    wanted = {"force": force or "", "year": year.strip(), "report_type": rtype, "title": title.strip(),
              "url": url.strip(), "published": published.strip()}
    before = {"force": report["force"] or "", "year": period, "report_type": report["report_type"],
              "title": report["title"], "url": report.get("url") or "", "published": report.get("published") or ""}
    changed = {k: v for k, v in wanted.items() if v != before[k]}
    if not changed:
        st.info("Nothing changed: edit a field, then save.")
        return
    try:
        with st.spinner(f"Re-indexing {source}…"):
            done = correct_report(index_dir(), source, embedder=load_embedder(), wait_seconds=120, **changed)
    except (OverrideError, ReportNotFoundError, IndexError_) as exc:
        st.error(md_text(f"{source} was not changed: {exc}"))
        return
    ctx.searcher.reload_if_changed()
    fields = ", ".join(f"{k.replace('_', ' ')} → {v or '(as detected)'}" for k, v in changed.items())
    _done("success", f"{source} corrected ({fields}) and re-indexed: {done.build.embedded_chunks} passages embedded "
                     "again, the other reports copied as they were.")
    st.rerun()


def delete_control(ctx: Context, report: dict[str, Any]) -> None:
    source = report["source"]
    sure = st.checkbox(f"Yes, delete {source} from the index", key=f"delete_sure_{source}",
                       help="Its passages, grades and findings leave the index; a file you gave is not deleted.")
    if st.button("Delete this report", key=f"delete_{source}", disabled=not sure, icon=":material/delete:"):
        try:
            with st.spinner(f"Deleting {source}…"):
                remove_reports(index_dir(), [source], embedder=load_embedder(), wait_seconds=120)
        except (ReportNotFoundError, IndexError_) as exc:
            st.error(md_text(f"{source} was not deleted: {exc}"))
            return
        ctx.searcher.reload_if_changed()
        _done("success", f"{source} was deleted from the index.")
        st.session_state.pop("manage_report", None)
        st.rerun()


def reindex_control(ctx: Context, report: dict[str, Any]) -> None:
    source, path = report["source"], report.get("path")
    if st.button("Re-index from its file", key=f"reindex_{source}", icon=":material/refresh:",
                 help="Reads the file again if it or its corrections changed; otherwise nothing is embedded."):
        if not path:
            st.error(md_text(f"{source} has no file on record: add it again on the Add reports page."))
            return
        try:
            result = build_with_progress([path], f"Re-indexing {source}", keep_existing=True)
        except IndexError_ as exc:
            st.error(md_text(f"{source} was not re-indexed: {exc}"))
            return
        outcome = next((f for f in result.files if f.source == source), None)
        ctx.searcher.reload_if_changed()
        if outcome is None or outcome.status == "error":
            _done("error", f"{source} could not be re-indexed: {outcome.error if outcome else 'its file is gone'}")
        elif outcome.status == "unchanged":
            _done("info", f"{source} is up to date: its file and corrections have not changed.")
        else:
            _done("success", f"{source} re-indexed ({outcome.status}, {plural(outcome.chunks, 'passage')}).")
        st.rerun()


def page_reports(ctx: Context) -> None:
    st.title("Reports")
    st.caption(md_text(f"The index holds {index_summary(ctx.searcher)}."))
    for level, message in st.session_state.pop(MESSAGE_KEY, []):
        getattr(st, level)(md_text(message))
    reports = ctx.searcher.reports()
    show_duplicates()
    reports_table(ctx, reports)
    page_link("grades", "Every stated grade, force by force, on the Grades page", icon=":material/grid_on:")

    st.subheader("Manage a report")
    if not reports:
        st.info("The index holds no report: add some on the Add reports page.")
        return
    by_source = {r["source"]: r for r in reports}
    source = st.selectbox("Report", list(by_source), format_func=lambda s: _label(by_source[s]), index=None,
                          placeholder="Choose a report to correct, re-index or delete", key="manage_report")
    if source is None:
        return
    report = by_source[source]
    if report.get("warnings"):
        st.caption(md_text("Read with warnings: " + "; ".join(report["warnings"])))
    correction_form(ctx, report)
    left, right = st.columns(2)
    with left:
        reindex_control(ctx, report)
    with right:
        delete_control(ctx, report)
