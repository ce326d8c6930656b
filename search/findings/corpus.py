"""The text of a generation as extraction and trails read it: reports, sections, chunk spans and
prose sentences, all through the chunk store's API, plus citations located in their chunks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from search.index.store import ChunkStore
from search.types import Citation


class Corpus:
    """Read access to a generation's chunk store for extraction and trails."""

    def __init__(self, store: ChunkStore) -> None:
        self.store = store
        self.reports: list[dict[str, Any]] = store.report_rows()
        self._chunks: dict[str, list[tuple[int, int, str, int | None]]] = {}
        self._read: set[str] = set()  # reports whose chunk spans are in _chunks (read on first citation)

    def sections(self, sources: Iterable[str]) -> list[dict[str, Any]]:
        return self.store.sections_of(sources)

    def sentence_rows(self, sources: Iterable[str]) -> list[tuple[int, str, int, int]]:
        """(sentence id, section id, start, end) of the prose sentences of ``sources``."""
        return self.store.prose_sentences(sources)

    def locate(self, section_id: str, start: int, end: int, source: str | None = None) -> tuple[str | None, int | None]:
        """The chunk holding ``[start, end)`` of a section (else the one holding ``start``) and its page.
        ``source`` names the section's report (its chunks are read then; else every report's are)."""
        wanted = [source] if source is not None else [r["source"] for r in self.reports]
        todo = [s for s in wanted if s not in self._read]
        if todo:
            self._chunks.update(self.store.chunk_spans(todo))
            self._read.update(todo)
        chunks = self._chunks.get(section_id, [])
        for a, b, chunk_id, page in chunks:
            if a <= start and end <= b:
                return chunk_id, page
        for a, b, _chunk_id, page in chunks:
            if a <= start < b:
                return None, page
        return None, None

    def citation(self, report: dict[str, Any], section: dict[str, Any], start: int, end: int) -> Citation:
        """A citation of ``section["text"][start:end]``, with the chunk and page that hold it."""
        chunk_id, page = self.locate(section["section_id"], start, end, report["source"])
        return Citation(quote=section["text"][start:end], source=report["source"], title=report["title"],
                        force=report["force"], year=report["year"], report_type=report["report_type"],
                        section=section["heading"], section_id=section["section_id"],
                        page=page if page is not None else section["page"], start=start, end=end, chunk_id=chunk_id,
                        year_to=report.get("year_to"), url=report.get("url"))
