"""Passages and citations as cards: where a quote comes from (report, force, period, published
date, section path, page, address), the quote highlighted in its passage, its full section in
place, and a button that copies the full citation."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from ingest.dates import format_period
from search.present import ReportCitations, citation_text, group_citations, published_text
from search.retrieve.searcher import Searcher
from search.types import Citation, Hit
from ui.text import highlighted, md_text

_COPY_JS = """
export default function (component) {
  const { data, parentElement } = component;
  const button = parentElement.querySelector("button");
  const label = data.label || "Copy citation";
  button.textContent = label;
  button.onclick = async () => {
    let done = false;
    try {
      await navigator.clipboard.writeText(data.text);
      done = true;
    } catch (err) {
      const area = document.createElement("textarea");
      area.value = data.text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      try { done = document.execCommand("copy"); } catch (e) { done = false; }
      area.remove();
    }
    button.textContent = done ? "Copied" : "Select the citation below and copy it";
    button.dataset.copied = done ? "yes" : "no";
    setTimeout(() => { button.textContent = label; }, 2500);
  };
}
"""
_COPY_CSS = """
button { font: inherit; font-size: 0.85rem; padding: 0.2rem 0.7rem; border-radius: 0.5rem; cursor: pointer;
         border: 1px solid rgba(49, 51, 63, 0.3); background: transparent; color: inherit; }
button:hover { border-color: #1c6e8c; color: #1c6e8c; }
"""
_copy_button = None


def copy_button(text: str, key: str, label: str = "Copy citation") -> None:
    """A button that copies ``text`` to the clipboard. The text goes to the page as data, never as
    HTML, so report text cannot add markup."""
    global _copy_button
    if _copy_button is None:
        _copy_button = st.components.v2.component("inspectqa_copy", html="<button type='button'>Copy</button>",
                                                  css=_COPY_CSS, js=_COPY_JS)
    _copy_button(data={"text": text, "label": label}, key=key)


def published_dates(searcher: Searcher) -> dict[str, str | None]:
    """Each indexed report's published date, by source (the citations do not carry it)."""
    return {r["source"]: r.get("published") for r in searcher.reports()}


def where(item: Hit | Citation) -> str:
    """'Force · period · section path · p. N' for a hit or a citation, escaped."""
    parts = [item.force or "no force named", format_period(item.year, item.year_to) or "undated",
             " › ".join(item.path) or item.section]
    if item.page:
        parts.append(f"p. {item.page}")
    return md_text(" · ".join(parts))


def show_section(searcher: Searcher, section_id: str, start: int, end: int) -> None:
    """A section's full text with ``[start, end)`` highlighted."""
    section = searcher.section(section_id)
    if section is None:
        st.caption("This section is no longer in the index.")
        return
    st.markdown(highlighted(section["text"], start, end))


def source_line(title: str, url: str | None, published: str | None, source: str) -> None:
    """The report's address (a link) or its file, and its published date."""
    bits = []
    if published:
        bits.append(f"published {md_text(published_text(published))}")
    if url:
        bits.append(f"[{md_text(url)}]({url.replace(')', '%29').replace(' ', '%20')})")
    else:
        bits.append(f"file {md_text(source)}")
    st.caption(" · ".join(bits))


def report_group(searcher: Searcher, group: ReportCitations, published: str | None, key: str,
                 labels: dict[int, str] | None = None) -> None:
    """One report's quotes in an answer: its title, period, force, date and address once, then
    each distinct quote with its [n] numbers, section path and page."""
    with st.container(border=True):
        period = group.period or "undated"
        st.markdown(f"**{md_text(period)} · {md_text(group.title or group.source)}**")
        source_line(group.title, group.url, published, group.source)
        for quote in group.quotes:
            c = quote.shown
            numbers = ", ".join(f"[{n}]" for n in quote.numbers)
            path = " › ".join(c.path) or c.section
            page = f" · p. {c.page}" if c.page else ""
            label = (labels or {}).get(c.n)
            st.markdown(f"**{md_text(numbers)}{md_text(' ' + label) if label else ''}** · " + md_text(f"{path}{page}"))
            st.markdown(highlighted(c.passage, c.passage_start, c.passage_end) if c.passage
                        else f"> {md_text(' '.join(c.quote.split()))}")
            left, right = st.columns([1, 3])
            with left:
                copy_button(f"“{' '.join(c.quote.split())}” {citation_text(c, published)}", key=f"{key}_copy_{c.n}")
            with right.expander("Read the full section"):
                show_section(searcher, c.section_id, c.start, c.end)
            if len(quote.citations) > 1:
                st.caption(f"Shown once: {numbers} quote the same words.")


def citation_groups(searcher: Searcher, citations: Sequence[Citation], key: str,
                    labels: dict[int, str] | None = None) -> None:
    """An answer's citations, grouped by report and year, repeated quotes shown once (``labels``:
    what each citation states, by number, e.g. a grade answer's 'Effectiveness: Inadequate'; those
    are never merged)."""
    published = published_dates(searcher)
    for n, group in enumerate(group_citations(citations, merge=not labels)):
        report_group(searcher, group, published.get(group.source), f"{key}_{n}", labels)


def hit_card(searcher: Searcher, hit: Hit, label: str, note: str = "", published: str | None = None,
             key: str = "") -> None:
    """A retrieved passage with where it comes from; opens its full section in place."""
    with st.container(border=True):
        st.markdown(f"**{md_text(label)}** {md_text(hit.title or hit.source)}")
        st.caption(where(hit) + (f" · {md_text(note)}" if note else ""))
        source_line(hit.title, hit.url, published, hit.source)
        st.markdown(highlighted(hit.text, hit.highlight_start, hit.highlight_end or len(hit.text))
                    if len(hit.rows) > 1 else md_text(hit.text))
        left, right = st.columns([1, 3])
        with left:
            copy_button(citation_text(hit, published), key=f"copy_hit_{key}_{hit.rank}")
        with right.expander("Read the full section"):
            show_section(searcher, hit.section_id, hit.start, hit.end)


def passage_card(searcher: Searcher, label: str, passage: Citation, note: str = "",
                 published: str | None = None, key: str | None = None) -> None:
    """A quoted passage of a grade, finding or trail link; opens its section in place."""
    with st.container(border=True):
        st.markdown(f"**{md_text(label)}** {md_text(passage.title or passage.source)}")
        st.caption(where(passage) + (f" · {md_text(note)}" if note else ""))
        st.markdown(f"> {md_text(' '.join(passage.quote.split()))}")
        if key:
            copy_button(f"“{' '.join(passage.quote.split())}” {citation_text(passage, published)}", key=key)
        with st.expander("Read the full section"):
            show_section(searcher, passage.section_id, passage.start, passage.end)

