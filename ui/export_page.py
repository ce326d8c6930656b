"""The Export page: the last answer and the last result list of this session as Markdown, CSV or a
printable page, with the question, what was searched, the date and full citations."""

from __future__ import annotations

import streamlit as st

from ui.cards import published_dates
from ui.exports import (
    Record,
    answer_csv,
    answer_html,
    answer_markdown,
    download_buttons,
    hits_csv,
    hits_html,
    hits_markdown,
)
from ui.resources import Context
from ui.scope import scope_summary
from ui.text import md_text


def page_export(ctx: Context) -> None:
    st.title("Export")
    st.caption("Download the last answer or search results, with the question, the filters, the date and full "
               "citations (report, force, period, published date, section, page and address).")
    answered = st.session_state.get("ask_shown")
    searched = st.session_state.get("search_shown")
    published = published_dates(ctx.searcher)
    if answered:
        asked, plan, reply = answered
        record = Record(scope=scope_summary(plan), published=published)
        st.subheader("Answer")
        st.caption(md_text(asked))
        download_buttons("inspectqa-answer", "export_answer", answer_markdown(reply, record),
                         answer_csv(reply, record), answer_html(reply, record))
    if searched:
        query, plan, result = searched
        record = Record(scope=scope_summary(plan), published=published)
        st.subheader("Search results")
        st.caption(md_text(f"{query} ({len(result.hits)} passages)"))
        download_buttons("inspectqa-search", "export_search", hits_markdown(query, result.hits, record),
                         hits_csv(query, result.hits, record), hits_html(query, result.hits, record))
    if not answered and not searched:
        st.info("Ask a question or search first; the answer and the results can then be downloaded here.")
