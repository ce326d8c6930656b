"""The line above each answer and result list: what was searched (force, period, theme, type,
judgment), whether each came from the sidebar or from the question, how to change it, conflicts
between the two, and, when nothing was left to search, the filter that emptied it (said once)."""

from __future__ import annotations

import streamlit as st

from search.answer.plan import FIELDS, EmptyScope, Origin, SearchPlan
from search.present import FIELD_LABELS, field_values
from ui.sidebar import CONTEXT_KEY
from ui.text import md_text

ALL = {"forces": "all forces", "years": "all years", "themes": "all themes", "report_types": "all report types",
       "judgments": "any judgment"}
SIDEBAR_CONTROL = {"forces": "Force", "years": "Years", "themes": "Theme", "report_types": "Report type",
                   "judgments": "Judgment", "sources": "Reports"}


def part_text(plan: SearchPlan, field: str) -> str:
    """'Force: Kent Police (from the question)', 'Period: 2015 (from the question, preferred)',
    'Theme: all themes' (plain text)."""
    part = plan.part(field)
    label = FIELD_LABELS[field]
    if part is None:
        return f"{label}: {ALL[field]}"
    origin = "from the question" if part.origin is Origin.QUESTION else "from the sidebar"
    if part.preferred:
        origin += ", preferred, other years may follow"
    return f"{label}: {', '.join(field_values(field, part.values))} ({origin})"


def scope_summary(plan: SearchPlan) -> str:
    """The whole line as plain text (exports record it too)."""
    return " · ".join(part_text(plan, f) for f in FIELDS)


def set_context(value: str) -> None:
    st.session_state[CONTEXT_KEY] = value


def show_scope(plan: SearchPlan, page: str) -> None:
    """The line above an answer: what was searched and how to change it; conflicts stated."""
    with st.container(border=True, key=f"scope_{page}"):
        st.markdown("**Searched** · " + md_text(scope_summary(plan)))
        from_question = [p for p in plan.parts if p.origin is Origin.QUESTION]
        for conflict in plan.conflicts:
            label = FIELD_LABELS[conflict.field].lower()
            mine = ", ".join(field_values(conflict.field, conflict.filters))
            theirs = ", ".join(field_values(conflict.field, conflict.question))
            if conflict.winner is Origin.QUESTION:
                st.warning(md_text(f"Your question names the {label} {theirs}, the sidebar says {mine}: searching "
                                   f"{theirs}, as the question says."), icon=":material/call_split:")
            else:
                st.warning(md_text(f"Your question names the {label} {theirs}, the sidebar says {mine}: searching "
                                   f"{mine}, as you chose in the sidebar."), icon=":material/call_split:")
        how = "Change the filters in the sidebar"
        if from_question:
            how += ", or reword the question"
        st.caption(how + ".")
        row = st.container(horizontal=True)
        left = right = row
        if plan.conflicts and all(c.winner is Origin.QUESTION for c in plan.conflicts):
            left.button("Use the sidebar's filters instead", key=f"prefer_sidebar_{page}", on_click=set_context,
                        args=("filters",))
        elif plan.conflicts:
            left.button("Let the question win", key=f"prefer_question_{page}", on_click=set_context,
                        args=("question",))
        if from_question:
            right.button("Search without what the question names", key=f"ignore_question_{page}",
                         on_click=set_context, args=("off",))
        elif plan.question_ignored and _names_context(plan):
            right.button("Apply what the question names", key=f"apply_question_{page}", on_click=set_context,
                         args=("question",))


def _names_context(plan: SearchPlan) -> bool:
    q = plan.question
    return bool(q.forces or q.years or q.period)


def empty_message(empty: EmptyScope, plan: SearchPlan) -> str:
    """One sentence naming the filter(s) that left nothing to search, and what to loosen."""
    def named(field: str) -> str:
        part = plan.part(field)
        values = ", ".join(field_values(field, part.values)) if part else ""
        where = "the question" if part is not None and part.origin is Origin.QUESTION else "the sidebar"
        return f"{FIELD_LABELS[field].lower()} {values} (from {where})".replace("  ", " ")

    names = [named(f) for f in empty.fields if f in FIELD_LABELS]
    loosen = ", ".join(dict.fromkeys(SIDEBAR_CONTROL.get(f, f) for f in empty.fields))
    if empty.together:
        return (f"No passage matches these filters together: {'; '.join(names)}. Each matches reports on its own: "
                f"loosen one of them ({loosen} in the sidebar, or the question's wording).")
    subject = "this filter" if len(names) == 1 else "these filters"
    return (f"No indexed passage matches {subject}: {'; '.join(names)}. Loosen it ({loosen} in the sidebar, or "
            "the question's wording).")
