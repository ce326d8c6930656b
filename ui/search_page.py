"""The Search page: ranked passages for a query, without an answer, with what was searched and
each passage's relevance in words."""

from __future__ import annotations

import streamlit as st

from search.answer.plan import emptied_by
from search.errors import FilterError, QueryError
from search.present import relevance_words
from search.retrieve.result import SearchResult
from ui.ask import plan_for
from ui.cards import hit_card, published_dates
from ui.exports import Record, download_buttons, hits_csv, hits_html, hits_markdown
from ui.resources import Context, remembered
from ui.scope import empty_message, scope_summary, show_scope
from ui.text import md_text


def page_search(ctx: Context) -> None:
    st.title("Search passages")
    st.caption("Ranked passages for a query, without an answer: for reading widely. The sidebar filters apply.")
    query = st.text_input("Search", key="sq", bind="query-params", placeholder="e.g. missing children")
    k = st.select_slider("Passages", [5, 10, 20, 30, 50], value=10, key="sk")
    asked = (query or "").strip()
    if not asked:
        return
    try:
        plan = plan_for(ctx, asked)
        result: SearchResult = remembered(
            "search", (asked, k, plan.filters, plan.use_understanding, ctx.searcher.generation),
            lambda: ctx.searcher.search(plan.question, k=k, filters=plan.filters,
                                        use_understanding=plan.use_understanding))
    except (QueryError, FilterError) as exc:
        st.error(md_text(str(exc)))
        return
    show_scope(plan, "search")
    empty = emptied_by(ctx.searcher.snapshot, plan.applied()) if not result.hits else None
    if empty is not None:
        st.warning(md_text(empty_message(empty, plan)), icon=":material/filter_alt_off:")
        return
    for notice in result.notices:
        st.caption(md_text(notice))
    st.caption(f"{len(result.hits)} passages, best first")
    published = published_dates(ctx.searcher)
    for hit, words in zip(result.hits, relevance_words(result.hits, ctx.searcher.settings.relevance), strict=True):
        hit_card(ctx.searcher, hit, f"{hit.rank}.", words, published.get(hit.source), key="search")
    if result.hits:
        st.session_state["search_shown"] = (asked, plan, result)
        record = Record(scope=scope_summary(plan), published=published)
        download_buttons("inspectqa-search", "search_export", hits_markdown(asked, result.hits, record),
                         hits_csv(asked, result.hits, record), hits_html(asked, result.hits, record))
