"""InspectQA in the browser: ask, search, compare years, browse, add and export.

Streamlit UI only: retrieval and answering are the calls the command line makes
(``Searcher.search``, ``answer``, ``build_index``). The encoder and the index are loaded once
per process (``st.cache_resource``) and reloaded only when a new index generation is
published. Report text is untrusted: everything taken from a report or an upload is shown
through ``md_text`` (Markdown and HTML escaped); nothing here uses ``unsafe_allow_html``.

Run it with ``make run`` or ``streamlit run app.py``; ``INSPECTQA_INDEX_DIR`` names the index
folder (default ``index``), ``INSPECTQA_UPLOAD_DIR`` the folder uploads are saved in (default
``uploads`` beside the index folder).
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from ingest.metadata import REPORT_TYPES, THEMES
from ingest.pipeline import REPORT_SUFFIXES
from ingest.readers import MAX_FILE_BYTES
from ingest.types import GRADES
from search.answer.llm import LLMClient, client_from_env
from search.answer.router import answer
from search.embed import Embedder, default_embedder
from search.errors import FilterError, FindingsUnavailableError, IndexError_, QueryError
from search.filters import Filters
from search.findings.api import findings, grades
from search.index.build import BuildResult, build_index
from search.index.layout import MANIFEST
from search.present import describe_filters
from search.retrieve.result import SearchResult
from search.retrieve.searcher import Searcher
from search.types import Answer, Citation, Hit

ROOT = Path(__file__).resolve().parent
BUNDLED_REPORTS = ROOT / "reports"
UPLOAD_TYPES = sorted(s.lstrip(".") for s in REPORT_SUFFIXES)
EXAMPLES = (
    "What is a distraction burglary?",
    "How well does Hertfordshire protect vulnerable people?",
    "What did HMIC find about missing children in 2014?",
    "What was the victim satisfaction rate in Hertfordshire?",
)
GRADE_COLOURS = ("#1a7f37", "#4c9a2a", "#bf8700", "#d1670b", "#cf222e")  # GRADES order, best first
BUILD_STAGES = {"read": "reading reports", "embed": "encoding passages", "index": "writing the index"}
T = TypeVar("T")


# --- showing untrusted text -----------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&:=^\"'@%])")


def md_text(text: str | None) -> str:
    """``text`` as Markdown that shows exactly these characters: every ASCII punctuation mark
    that Markdown, HTML or Streamlit's extensions could read is backslash-escaped, so report
    text or a file name cannot make links, HTML, images, formulas or formatting. Line breaks are
    kept; tabs (table cells) are shown as '|'."""
    lines = (re.sub(r"\s+", " ", line.replace("\t", " | ")) for line in (text or "").split("\n"))
    return "  \n".join(_MD_SPECIAL.sub(r"\\\1", line) for line in lines)


def highlighted(text: str, start: int, end: int) -> str:
    """``text`` as escaped Markdown with ``text[start:end]`` highlighted (line by line, so a
    highlight never spans a paragraph break)."""
    start, end = max(0, start), min(len(text), end)
    if start >= end:
        return md_text(text)
    marked = []
    for line in md_text(text[start:end]).split("  \n"):
        core = line.strip()  # emphasis must not start or end with a space
        marked.append(line.replace(core, f":orange-background[**{core}**]", 1) if core else line)
    return md_text(text[:start]) + "  \n".join(marked) + md_text(text[end:])


def safe_csv_cell(value: Any) -> Any:
    """A cell that a spreadsheet will not run as a formula ('=', '+', '-', '@' lead-ins)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def safe_upload_name(name: str) -> str | None:
    """The base name of an uploaded file with control characters removed, or None when
    nothing usable is left (empty, '.', '..', only separators)."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip().lstrip(".").strip()
    return base[:200] or None


def file_size(size: int) -> str:
    return f"{size / 2**20:.1f} MB".replace(".0 MB", " MB") if size >= 2**20 / 10 else f"{size:,} bytes"


# --- paths and cached resources -------------------------------------------------------------
def index_dir() -> Path:
    return Path(os.environ.get("INSPECTQA_INDEX_DIR") or "index")


def upload_dir() -> Path:
    configured = os.environ.get("INSPECTQA_UPLOAD_DIR")
    return Path(configured) if configured else index_dir().absolute().parent / "uploads"


@st.cache_resource(show_spinner="Loading the encoder…")
def load_embedder() -> Embedder:
    """The bundled encoder, loaded (and warmed up) once per process."""
    embedder = default_embedder()
    embedder.encode(["warm up"])
    return embedder


@st.cache_resource(show_spinner="Opening the index…")
def load_searcher(folder: str) -> Searcher:
    """The index in ``folder``, opened once per process; ``reload_if_changed`` swaps in new builds."""
    return Searcher.load(folder, embedder=load_embedder())


@st.cache_resource
def load_llm() -> LLMClient | None:
    """A language model for written answers when INSPECTQA_LLM_URL/MODEL are set (as the CLI)."""
    return client_from_env()


def build_with_progress(paths: Sequence[Path], label: str, **options: Any) -> BuildResult:
    """``build_index`` into the app's index folder with a progress bar."""
    bar = st.progress(0.0, text=label)

    def progress(stage: str, done: int, total: int) -> None:
        bar.progress(min(1.0, done / total) if total else 0.0,
                     text=f"{label}: {BUILD_STAGES.get(stage, stage)} ({done}/{total})")

    try:
        return build_index(paths, index_dir(), embedder=load_embedder(), progress=progress, wait_seconds=600,
                           **options)
    finally:
        bar.empty()


def corpus_paths() -> list[Path]:
    """What a new index is built from: the bundled reports and the uploads folder."""
    return [BUNDLED_REPORTS] + ([upload_dir()] if upload_dir().is_dir() else [])


def open_index() -> Searcher | None:
    """The loaded index; on first start, build it from the bundled reports (and any uploads)."""
    folder = index_dir()
    if not (folder / MANIFEST).exists():
        st.info(f"First start: indexing the bundled reports into {md_text(str(folder))}. This takes a minute.")
        try:
            result = build_with_progress(corpus_paths(), "Building the index")
        except IndexError_ as exc:
            st.error(md_text(f"The index could not be built: {exc}"))
            return None
        for outcome in result.errors:
            st.warning(md_text(f"Skipped {outcome.source}: {outcome.error}"))
        if not (folder / MANIFEST).exists():
            st.error(md_text(f"No report could be indexed from {BUNDLED_REPORTS}: check that the folder holds "
                             "inspection reports (PDF, HTML, DOCX or text)."))
            return None
    try:
        searcher = load_searcher(str(folder))
        searcher.reload_if_changed()  # a build by the CLI or another session; reads manifest.json only
    except IndexError_ as exc:
        st.error(md_text(f"The index cannot be opened: {exc}"))
        if st.button("Rebuild the index from the bundled reports and uploads"):
            try:
                build_with_progress(corpus_paths(), "Rebuilding the index", rebuild=True)
            except IndexError_ as build_error:
                st.error(md_text(f"The index could not be rebuilt: {build_error}"))
                return None
            load_searcher.clear()
            st.rerun()
        return None
    return searcher


def remembered(name: str, key: tuple, compute: Callable[[], T]) -> T:
    """``compute()`` for ``key``, kept in the session until the key changes (one slot per name),
    so that reruns (opening a card, downloading) do not search again."""
    slot = st.session_state.get(f"last_{name}")
    if slot is None or slot[0] != key:
        slot = (key, compute())
        st.session_state[f"last_{name}"] = slot
    return slot[1]


@dataclass(frozen=True)
class Context:
    searcher: Searcher
    filters: Filters


# --- sidebar ----------------------------------------------------------------------------------
def sidebar(searcher: Searcher) -> Filters:
    """Filters (from what the index holds) and the index status; returns the chosen filters."""
    cov = searcher.coverage()
    bar = st.sidebar
    bar.header("Filters")
    bar.caption("They apply to Ask and Search.")
    forces = bar.multiselect("Force", cov["forces"], key="filter_forces")
    years: tuple[int, int] | None = None
    if len(cov["years"]) > 1:
        first, last = min(cov["years"]), max(cov["years"])
        chosen = bar.slider("Years", first, last, (first, last), key="filter_years")
        years = None if tuple(chosen) == (first, last) else (chosen[0], chosen[1])
    elif cov["years"]:
        bar.caption(f"All indexed reports are from {cov['years'][0]}.")
    themes = bar.multiselect("Theme", cov["themes"], format_func=lambda t: THEMES.get(t, t), key="filter_themes")
    types = bar.multiselect("Report type", cov["report_types"], format_func=lambda t: REPORT_TYPES.get(t, t),
                            key="filter_types")
    grades = bar.multiselect("Judgment", [g for g in GRADES if g in cov["judgments"]], key="filter_judgments")

    manifest = searcher.manifest
    bar.divider()
    bar.subheader("Index")
    bar.caption(md_text(
        f"{cov['reports']} reports, {cov['chunks']} passages\n"
        f"model {manifest['model']['name']}\n"
        f"built {manifest['created'][:16].replace('T', ' ')} UTC in {manifest['build_seconds']:.0f} s"))
    return Filters(forces=tuple(forces), years=years, themes=tuple(themes), report_types=tuple(types),
                   judgments=tuple(grades))


# --- cards ------------------------------------------------------------------------------------
def where(item: Hit | Citation) -> str:
    """'Force · year · section path · p. N' for a Hit or a Citation, escaped."""
    parts = [item.force or "no force named", str(item.year or "undated"), " › ".join(item.path) or item.section]
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


def source_card(searcher: Searcher, label: str, item: Hit | Citation, passage: str, mark: tuple[int, int] | None,
                section_mark: tuple[int, int], note: str = "") -> None:
    """A passage with where it comes from; opens its full section in place."""
    with st.container(border=True):
        st.markdown(f"**{md_text(label)}** {md_text(item.title or item.source)}")
        st.caption(where(item) + (f" · {md_text(note)}" if note else ""))
        st.markdown(highlighted(passage, *mark) if mark else md_text(passage))
        with st.expander("Read the full section"):
            show_section(searcher, item.section_id, *section_mark)


def hit_card(searcher: Searcher, hit: Hit, label: str, note: str = "") -> None:
    mark = (hit.highlight_start, hit.highlight_end) if len(hit.rows) > 1 else None
    source_card(searcher, label, hit, hit.text, mark, (hit.start, hit.end), note)


def show_understanding(page: str, query: str, result: Answer | SearchResult, filters: Filters,
                       undone: bool) -> None:
    """What the question itself set (a force, years), with a button to undo it or apply it again.
    ``st.session_state["undo_<page>"]`` holds (question, what was undone) while undone."""
    if undone:
        applied = st.session_state[f"undo_{page}"][1]
        st.info(md_text(f"Searching all reports: not applying {applied} from the question."))
        st.button("Apply it again", key=f"redo_{page}", on_click=st.session_state.pop, args=(f"undo_{page}", None))
    elif filters.is_empty() and result.filters_used:
        applied = describe_filters(result.filters_used)
        st.info(md_text(f"Searching {applied} (read from the question)."))
        st.button("Undo: search all reports", key=f"undo_btn_{page}",
                  on_click=st.session_state.__setitem__, args=(f"undo_{page}", (query, applied)))
    for notice in result.notices:
        st.caption(md_text(notice))


# --- exports ----------------------------------------------------------------------------------
def answer_markdown(reply: Answer) -> str:
    lines = [f"# {reply.question}", "", reply.text, ""]
    if reply.citations:
        lines += ["## Sources", ""]
        for c in reply.citations:
            page = f", p. {c.page}" if c.page else ""
            lines += [f"[{c.n}] {c.title} ({c.force}, {c.year}{page}), {' > '.join(c.path) or c.section}",
                      "", *[f"> {line}" for line in c.quote.strip().split("\n")], "",
                      f"{c.source}, characters {c.start}-{c.end} of the section", ""]
    elif reply.passages:
        lines += ["## Closest passages (they do not answer the question)", ""]
        lines += [f"- {h.title} ({h.force}, {h.year}), {h.section}: {' '.join(h.text.split())[:300]}"
                  for h in reply.passages[:5]]
    return "\n".join(lines) + "\n"


def answer_csv(reply: Answer) -> str:
    rows = [{"question": reply.question, "answer": reply.text, "abstained": reply.abstained, "n": c.n,
             "quote": c.quote, "title": c.title, "force": c.force, "year": c.year, "section": c.section,
             "page": c.page, "source": c.source, "start": c.start, "end": c.end} for c in reply.citations]
    return _csv(rows or [{"question": reply.question, "answer": reply.text, "abstained": reply.abstained}])


def hits_markdown(result: SearchResult) -> str:
    lines = [f"# Search: {result.query}", ""]
    for h in result.hits:
        page = f", p. {h.page}" if h.page else ""
        lines += [f"## {h.rank}. {h.title} ({h.force}, {h.year}{page})", "",
                  f"{' > '.join(h.path) or h.section} · score {h.score:.4f} · {h.source}", "",
                  *[f"> {line}" for line in h.text.strip().split("\n")], ""]
    return "\n".join(lines) + "\n"


def hits_csv(result: SearchResult) -> str:
    return _csv([{"query": result.query, "rank": h.rank, "score": h.score, "dense": h.dense_score,
                  "lexical": h.lexical_score, "title": h.title, "force": h.force, "year": h.year,
                  "report_type": h.report_type, "section": h.section, "page": h.page, "source": h.source,
                  "chunk_id": h.chunk_id, "text": h.text} for h in result.hits])


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows({k: safe_csv_cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def export_buttons(name: str, markdown: str, table: str, key: str) -> None:
    left, right = st.columns(2)
    left.download_button("Download as Markdown", markdown, file_name=f"{name}.md", mime="text/markdown",
                         key=f"{key}_md", on_click="ignore")
    right.download_button("Download as CSV", table, file_name=f"{name}.csv", mime="text/csv",
                          key=f"{key}_csv", on_click="ignore")


# --- pages ------------------------------------------------------------------------------------
def page_ask(ctx: Context) -> None:
    st.title("Ask the inspection reports")
    st.caption("Answers are quotes from the reports, each with its source. When the reports do not answer, "
               "InspectQA says so.")

    def ask(question: str) -> None:
        st.session_state["ask_question"] = question
        st.session_state["ask_asked"] = question

    with st.form("ask_form"):
        question = st.text_input("Question", key="ask_question",
                                 placeholder="e.g. How does the force deal with distraction burglary?")
        if st.form_submit_button("Ask", type="primary"):
            st.session_state["ask_asked"] = question
    st.caption("Examples")
    for column, example in zip(st.columns(len(EXAMPLES)), EXAMPLES, strict=True):
        column.button(example, key=f"example_{example}", on_click=ask, args=(example,), width="stretch")

    asked = (st.session_state.get("ask_asked") or "").strip()
    if not asked:
        return
    undone = (st.session_state.get("undo_ask") or ("",))[0] == asked
    try:
        reply = remembered("answer", (asked, ctx.filters, undone, ctx.searcher.generation),
                           lambda: answer(ctx.searcher, asked, None if ctx.filters.is_empty() else ctx.filters,
                                          llm=load_llm(), use_understanding=not undone))
    except (QueryError, FilterError) as exc:
        st.error(md_text(str(exc)))
        return
    show_understanding("ask", asked, reply, ctx.filters, undone)
    if reply.abstained:
        st.warning(md_text(reply.text))
        if reply.passages:
            st.subheader("Closest passages: they do not answer the question")
            for n, hit in enumerate(reply.passages[:5], start=1):
                hit_card(ctx.searcher, hit, f"{n}.", "does not answer the question")
    else:
        with st.container(border=True):
            st.markdown(md_text(reply.text))
            if reply.mode == "llm":
                st.caption("Written by a language model from the quoted passages; check the sources.")
        st.subheader("Sources")
        for c in reply.citations:
            source_card(ctx.searcher, f"[{c.n}]", c, c.passage, (c.passage_start, c.passage_end), (c.start, c.end))
    export_buttons("inspectqa-answer", answer_markdown(reply), answer_csv(reply), "ask_export")


def page_search(ctx: Context) -> None:
    st.title("Search passages")
    st.caption("Ranked passages for a query, without an answer: for reading widely.")
    with st.form("search_form"):
        query = st.text_input("Search", key="search_query", placeholder="e.g. missing children")
        k = st.slider("Passages", 5, 50, 10, step=5, key="search_k")
        if st.form_submit_button("Search", type="primary"):
            st.session_state["search_asked"] = query
    asked = (st.session_state.get("search_asked") or "").strip()
    if not asked:
        return
    undone = (st.session_state.get("undo_search") or ("",))[0] == asked
    try:
        result = remembered("search", (asked, k, ctx.filters, undone, ctx.searcher.generation),
                            lambda: ctx.searcher.search(asked, k=k, filters=ctx.filters,
                                                        use_understanding=not undone))
    except (QueryError, FilterError) as exc:
        st.error(md_text(str(exc)))
        return
    show_understanding("search", asked, result, ctx.filters, undone)
    st.caption(f"{len(result.hits)} passages")
    for hit in result.hits:
        scores = f"score {hit.score:.4f}"
        if hit.dense_score is not None:
            scores += f" (similarity {hit.dense_score:.2f}"
            scores += f", keywords {hit.lexical_score:.2f})" if hit.lexical_score is not None else ")"
        hit_card(ctx.searcher, hit, f"{hit.rank}.", scores)
    if result.hits:
        export_buttons("inspectqa-search", hits_markdown(result), hits_csv(result), "search_export")


def report_judgments(searcher: Searcher, source: str) -> list[tuple[str, str]]:
    """(area, grade) stated in a report: 'Overall', else the graded question's theme label."""
    try:
        stated = grades(searcher)
    except FindingsUnavailableError:
        return []
    return [("Overall" if g.question is None else THEMES.get(g.theme, g.theme), g.grade)
            for g in stated if g.source == source]


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
    theme = right.selectbox("Theme", [None, *themes], key="compare_theme",
                            format_func=lambda t: "Any theme" if t is None else THEMES.get(t, t))
    typed = st.text_input("Or a question", key="compare_question",
                          placeholder="e.g. How well does the force investigate burglary?").strip()
    if not typed and theme is None:
        st.info("Pick a theme or type a question.")
        return
    question = typed or f"What did the inspection find about {THEMES.get(theme, theme).lower()}?"
    years = sorted({r["year"] for r in reports if r["force"] == force and r["year"]})
    for column, year in zip(st.columns(len(years)), years, strict=True):
        with column:
            st.subheader(str(year))
            for r in reports:
                if r["force"] == force and r["year"] == year:
                    grades = dict(report_judgments(ctx.searcher, r["source"]))
                    grade = grades.get(THEMES.get(theme, theme) if theme else "Overall")
                    st.caption(md_text(r["title"] + (f" · judged {grade}" if grade else "")))
            filters = Filters(forces=(force,), years=(year, year), themes=(theme,) if theme else ())
            try:
                reply = remembered(f"compare_{year}", (question, filters, ctx.searcher.generation),
                                   lambda f=filters: answer(ctx.searcher, question, f, llm=load_llm()))
            except (QueryError, FilterError) as exc:
                st.error(md_text(str(exc)))
                continue
            if reply.abstained:
                st.warning(md_text(f"The {year} report does not answer this."))
                for hit in reply.passages[:2]:
                    hit_card(ctx.searcher, hit, "Closest:", "does not answer the question")
                continue
            st.markdown(md_text(reply.text))
            for c in reply.citations:
                source_card(ctx.searcher, f"[{c.n}]", c, c.passage, (c.passage_start, c.passage_end),
                            (c.start, c.end))


def page_reports(ctx: Context) -> None:
    import altair as alt
    import pandas as pd

    st.title("Reports")
    rows, grades = [], []
    for r in ctx.searcher.reports():
        judged = report_judgments(ctx.searcher, r["source"])
        rows.append({"Force": r["force"] or "—", "Year": r["year"], "Type": REPORT_TYPES.get(r["report_type"]),
                     "Title": r["title"], "Sections": r["n_sections"], "Passages": r["n_chunks"],
                     "Judgments": "; ".join(f"{area}: {grade}" for area, grade in judged), "File": r["source"]})
        grades += [{"Force": r["force"] or "—", "Year": r["year"], "Area": area, "Judgment": grade,
                    "Report": r["title"]} for area, grade in judged]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.subheader("Graded judgments by year")
    if not grades:
        st.info("No indexed report states a graded judgment.")
        return
    base = alt.Chart(pd.DataFrame(grades)).encode(
        x=alt.X("Year:O", axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("Area:N", title=None, axis=alt.Axis(labelLimit=360)),
        tooltip=["Force", "Year", "Area", "Judgment", "Report"],
    )
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color("Judgment:N", scale=alt.Scale(domain=list(GRADES), range=list(GRADE_COLOURS))))
    chart = alt.layer(cells, base.mark_text(color="white").encode(text="Judgment:N")).properties(
        width=alt.Step(150))
    if len({g["Force"] for g in grades}) > 1:
        chart = chart.facet(row=alt.Row("Force:N", title=None))
    st.altair_chart(chart, width="content")


STATUS_ICONS = {"addressed": "✅", "in progress": "🔄", "not addressed": "⚠️", "unclear": "❔"}


def passage_card(searcher: Searcher, label: str, passage: Citation, note: str = "") -> None:
    """A quoted passage of a grade, finding or trail link; opens its section in place."""
    with st.container(border=True):
        st.markdown(f"**{md_text(label)}** {md_text(passage.title or passage.source)}")
        page = f" · p. {passage.page}" if passage.page else ""
        st.caption(md_text(f"{passage.force or 'no force named'} · {passage.year or 'undated'} · "
                           f"{passage.section}{page}") + (f" · {md_text(note)}" if note else ""))
        st.markdown(f"> {md_text(' '.join(passage.quote.split()))}")
        with st.expander("Read the full section"):
            show_section(searcher, passage.section_id, passage.start, passage.end)


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

    st.subheader("Grades over time")
    if not graded:
        st.info("No indexed report on this force states a graded judgment.")
    else:
        rows = [{"Year": g.year, "Question": g.question or "Overall", "Theme": THEMES.get(g.theme, g.theme),
                 "Grade": g.grade, "Level": g.level, "Scale": g.scale,
                 "Comparable with the previous grade": "—" if g.previous_comparable is None
                 else ("yes" if g.previous_comparable else "no (different scale)"),
                 "Report": g.title, "Page": g.citation.page} for g in graded]
        frame = pd.DataFrame(rows)
        chart = alt.Chart(frame).mark_line(point=True).encode(
            x=alt.X("Year:O", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("Level:Q", scale=alt.Scale(domain=[1, 5]), title="Grade",
                    axis=alt.Axis(values=[1, 2, 3, 4, 5], labelExpr="['', 'Inadequate', 'Requires improvement', "
                                  "'Adequate', 'Good', 'Outstanding'][datum.value]")),
            color=alt.Color("Theme:N"), tooltip=["Year", "Question", "Grade", "Scale", "Report"])
        st.altair_chart(chart, width="stretch")
        st.dataframe(frame.drop(columns=["Level"]), hide_index=True, width="stretch")
        if any(g.previous_comparable is False for g in graded):
            st.caption("PEEL used four grades until 2020 and five (with Adequate) from 2021/22: grades from "
                       "different scales are not directly comparable.")
        with st.expander("Where each grade is stated"):
            for g in graded:
                passage_card(ctx.searcher, f"{g.year} · {g.question or 'Overall'}: {g.grade}", g.citation)

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
                passage_card(ctx.searcher, f"↳ {link.later.year}: {link.status} ({link.method}, {link.score:.2f})",
                             link.later, f"cue: {link.cue}" if link.cue else "")


def add_uploads(searcher: Searcher, files: Sequence[Any]) -> list[tuple[str, str]]:
    """Save uploads in the upload folder and add them to the index; (level, message) per file."""
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    indexed = searcher.manifest["reports"]
    hashes = {info.get("content_hash"): name for name, info in indexed.items()}
    messages: list[tuple[str, str]] = []
    saved: dict[str, Path] = {}
    for upload in files:
        name = safe_upload_name(upload.name)
        target = (folder / name) if name else None
        if target is None or target.resolve().parent != folder.resolve():
            messages.append(("error", f"{upload.name}: this file name cannot be used: rename the file and "
                                      "upload it again"))
        elif upload.size > MAX_FILE_BYTES:
            messages.append(("error", f"{name}: the file is {file_size(upload.size)}, over the "
                                      f"{file_size(MAX_FILE_BYTES)} limit: split it or set INSPECTQA_MAX_FILE_MB"))
        elif Path(name).suffix.lower() not in REPORT_SUFFIXES:
            messages.append(("error", f"{name}: not a report file type: upload PDF, HTML, DOCX or text "
                                      f"({', '.join(UPLOAD_TYPES)})"))
        elif (digest := hashlib.sha256(upload.getvalue()).hexdigest()) in hashes:
            messages.append(("info", f"{name}: already indexed (as {hashes[digest]})"))
        elif name in indexed or target.exists() or name in saved:
            messages.append(("error", f"{name}: a report with this file name is already indexed or uploaded: "
                                      "rename the file and upload it again"))
        else:
            with target.open("xb") as handle:
                handle.write(upload.getvalue())
            saved[name] = target
    if not saved:
        return messages
    try:
        result = build_with_progress(list(saved.values()), "Adding reports", keep_existing=True)
    except IndexError_ as exc:
        for path in saved.values():
            path.unlink(missing_ok=True)
        return [*messages, ("error", f"Nothing was added: {exc}")]
    for outcome in result.files:
        if outcome.source not in saved:
            continue
        if outcome.status == "error":
            saved[outcome.source].unlink(missing_ok=True)
            messages.append(("error", f"{outcome.source} was not added: {outcome.error}"))
        else:
            messages.append(("success", f"{outcome.source}: {outcome.status}, {outcome.chunks} passages"))
    searcher.reload_if_changed()
    return messages


def page_add(ctx: Context) -> None:
    st.title("Add reports")
    st.markdown(md_text(
        f"Upload inspection reports (PDF, HTML, DOCX or text, up to {file_size(MAX_FILE_BYTES)} each). "
        f"They are saved in {upload_dir()} and added to the index; the reports already indexed stay."))
    for level, message in st.session_state.pop("upload_messages", []):
        getattr(st, level)(md_text(message))
    generation = st.session_state.setdefault("uploader_generation", 0)
    files = st.file_uploader("Reports", type=UPLOAD_TYPES, accept_multiple_files=True, key=f"uploader_{generation}",
                             max_upload_size=max(1, math.ceil(MAX_FILE_BYTES / 2**20)))
    if st.button("Add to the index", type="primary", disabled=not files, key="add_uploads"):
        st.session_state["upload_messages"] = add_uploads(ctx.searcher, files)
        st.session_state["uploader_generation"] = generation + 1  # a fresh, empty uploader
        st.rerun()


def page_export(ctx: Context) -> None:
    st.title("Export")
    st.caption("Download the current answer or search results, with their sources.")
    answered = st.session_state.get("last_answer")
    searched = st.session_state.get("last_search")
    if answered:
        reply: Answer = answered[1]
        st.subheader("Answer")
        st.caption(md_text(reply.question))
        export_buttons("inspectqa-answer", answer_markdown(reply), answer_csv(reply), "export_answer")
    if searched:
        result: SearchResult = searched[1]
        st.subheader("Search results")
        st.caption(md_text(f"{result.query} ({len(result.hits)} passages)"))
        export_buttons("inspectqa-search", hits_markdown(result), hits_csv(result), "export_search")
    if not answered and not searched:
        st.info("Ask a question or search first; the answer and the results can then be downloaded here.")


def main() -> None:
    st.set_page_config(page_title="InspectQA", page_icon=":material/policy:", layout="wide")
    searcher = open_index()
    if searcher is None:
        st.stop()
    navigation = st.navigation([
        st.Page(lambda: page_ask(ctx), title="Ask", url_path="ask", icon=":material/question_answer:",
                default=True),
        st.Page(lambda: page_search(ctx), title="Search", url_path="search", icon=":material/search:"),
        st.Page(lambda: page_compare(ctx), title="Compare years", url_path="compare", icon=":material/compare:"),
        st.Page(lambda: page_reports(ctx), title="Reports", url_path="reports", icon=":material/description:"),
        st.Page(lambda: page_profile(ctx), title="Force profile", url_path="profile", icon=":material/timeline:"),
        st.Page(lambda: page_add(ctx), title="Add reports", url_path="add", icon=":material/upload_file:"),
        st.Page(lambda: page_export(ctx), title="Export", url_path="export", icon=":material/download:"),
    ])
    ctx = Context(searcher, sidebar(searcher))
    navigation.run()


if __name__ == "__main__":
    main()
