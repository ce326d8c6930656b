"""The Ask page: a question (kept in the page address with the filters, so a link or a reload
reproduces it), what was searched, the cited answer and its exports."""

from __future__ import annotations

import streamlit as st

from search.answer.plan import EmptyScope, SearchPlan, emptied_by, plan_search
from search.answer.router import answer
from search.errors import FilterError, QueryError
from search.types import Answer
from ui.answer_view import show_answer
from ui.cards import copy_button, published_dates
from ui.exports import Record, answer_csv, answer_html, answer_markdown, download_buttons
from ui.resources import Context, load_llm, remembered
from ui.scope import scope_summary, show_scope
from ui.sidebar import SidebarChoice, address, index_summary, remember, year_bounds
from ui.text import md_text

EXAMPLES = (
    "What is a distraction burglary?",
    "How well does Hertfordshire protect vulnerable people?",
    "Which forces were graded inadequate?",
    "What was the victim satisfaction rate in Hertfordshire?",
)


def plan_for(ctx: Context, question: str) -> SearchPlan:
    """The search plan of ``question`` under the sidebar's choices (QueryError, FilterError)."""
    choice: SidebarChoice = ctx.sidebar
    parsed = ctx.searcher.question(question)
    keep = ("forces", "years", "judgments") if choice.context == "filters" else ()
    return plan_search(parsed, choice.filters, keep_filters=keep, ignore_question=choice.context == "off")


def answered(ctx: Context, plan: SearchPlan) -> tuple[Answer, EmptyScope | None]:
    """The answer for a plan (kept until the question, a filter or the index changes) and, when
    nothing was left to search, the filters that emptied it."""
    searcher = ctx.searcher
    key = (plan.question.asked, plan.filters, plan.use_understanding, searcher.generation)

    def compute() -> tuple[Answer, EmptyScope | None]:
        reply = answer(searcher, plan.question, plan.filters, llm=load_llm(), use_understanding=plan.use_understanding)
        empty = emptied_by(searcher.snapshot, plan.applied()) if reply.abstained and not reply.passages else None
        return reply, empty

    return remembered("answer", key, compute)


def share_link(params: dict) -> str:
    """The address of the Ask page with these parameters (a link that reproduces the query)."""
    from urllib.parse import urlencode

    from ui.resources import PAGES

    base = (st.context.url or "").split("?")[0].rstrip("/")
    if base.rsplit("/", 1)[-1] in PAGES:
        base = base.rsplit("/", 1)[0]
    return f"{base}/?{urlencode(params, doseq=True)}"  # Ask is the app's default page


def page_ask(ctx: Context) -> None:
    st.title("Ask the inspection reports")
    st.caption(md_text(f"The index holds {index_summary(ctx.searcher)}. Answers are quotes from the reports, each "
                       "with its source; when the reports do not answer, InspectQA says so."))
    question = st.text_input("Question", key="q", bind="query-params",
                             placeholder="e.g. How does the force deal with distraction burglary?")
    st.button("Ask", type="primary", key="ask_button")
    st.caption("Or try one of these:")
    for column, example in zip(st.columns(len(EXAMPLES)), EXAMPLES, strict=True):
        column.button(example, key=f"example_{example}", on_click=st.session_state.__setitem__, args=("q", example),
                      width="stretch")

    asked = (question or "").strip()
    if not asked:
        return
    try:
        plan = plan_for(ctx, asked)
        reply, empty = answered(ctx, plan)
    except (QueryError, FilterError) as exc:
        st.error(md_text(str(exc)))
        return
    remember(asked, ctx.sidebar)
    st.session_state["ask_shown"] = (asked, plan, reply)
    show_scope(plan, "ask")
    show_answer(ctx.searcher, reply, plan, empty, "ask")

    params = address(asked, ctx.sidebar.filters, ctx.sidebar.context, year_bounds(ctx.searcher))
    record = Record(scope=scope_summary(plan), published=published_dates(ctx.searcher), link=share_link(params))
    st.divider()
    st.markdown("**Keep or share this answer**")
    st.caption("The page address holds the question and the filters: share it to reproduce this query, or reload "
               "to see it again.")
    copy_button(record.link, key="ask_copy_link", label="Copy the link to this answer")
    download_buttons("inspectqa-answer", "ask_export", answer_markdown(reply, record), answer_csv(reply, record),
                     answer_html(reply, record))
