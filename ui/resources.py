"""What every page shares: the index folder, the encoder and the index loaded once per process,
building with a progress bar, and the app's pages (so one page can link to another)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from search.answer.llm import LLMClient, client_from_env
from search.embed import Embedder, default_embedder
from search.errors import FindingsUnavailableError, IndexError_
from search.findings.api import grades
from search.findings.model import Grade
from search.index.build import BuildResult, build_index
from search.index.layout import MANIFEST
from search.retrieve.searcher import Searcher
from ui.text import md_text

ROOT = Path(__file__).resolve().parent.parent
BUNDLED_REPORTS = ROOT / "reports"
BUILD_STAGES = {"read": "reading reports", "embed": "encoding passages", "index": "writing the index"}
T = TypeVar("T")


def index_dir() -> Path:
    """``INSPECTQA_INDEX_DIR``, default ``index``."""
    return Path(os.environ.get("INSPECTQA_INDEX_DIR") or "index")


def upload_dir() -> Path:
    """``INSPECTQA_UPLOAD_DIR``, default ``uploads`` beside the index folder."""
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
    """``build_index`` into the app's index folder with a progress bar (files are read in the
    build's bounded workers, so a bad file fails alone)."""
    bar = st.progress(0.0, text=label)
    page_thread = threading.get_ident()
    latest: list[tuple[str, int, int]] = []

    def progress(stage: str, done: int, total: int) -> None:
        # The build reports from its worker threads too; only the page's own thread may draw, so a
        # worker's figures are shown at the page thread's next report.
        latest[:] = [(stage, done, total)]
        if threading.get_ident() != page_thread:
            return
        stage, done, total = latest[0]
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


PAGES: dict[str, Any] = {}
"""The app's st.Page objects by url path ('ask', 'grades', ...), set by app.py, for page links."""


def page_link(name: str, label: str, query: dict[str, Any] | None = None, icon: str | None = None) -> None:
    """A link to another page of the app (with its query parameters), when that page exists."""
    page = PAGES.get(name)
    if page is not None:
        st.page_link(page, label=label, icon=icon, query_params=query or None)


@dataclass(frozen=True)
class Context:
    """What a page gets: the loaded index and the sidebar's choices."""

    searcher: Searcher
    sidebar: Any  # ui.sidebar.SidebarChoice

    def stated_grades(self) -> list[Grade]:
        """Every grade the index states; none when its findings cannot be read (the pages that
        only enrich a view with grades show it without them)."""
        try:
            return grades(self.searcher)
        except FindingsUnavailableError:
            return []
