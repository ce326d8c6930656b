"""One loaded index generation: manifest, chunk store, vector and lexical indexes, sentence
vectors, query expander and (on first use) findings.

A snapshot never changes once loaded. A ``Searcher`` swaps in a new snapshot when a new
generation is published; a search, and the answer composed from it, keep the snapshot they
started on, so their rows, sentences and texts always belong together.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from ingest.chunk import ChunkingParams
from search.embed import Embedder
from search.errors import IndexCorruptError, rebuild_hint
from search.filters import Filters
from search.findings.storage import FindingsIndex
from search.index.dense import RowFile, VectorIndex, dequantize, open_vector_index
from search.index.expansion import QueryExpander
from search.index.layout import (
    CHUNKS_DB,
    DENSE,
    LEXICAL,
    SENTENCES,
    VECTORS,
    check_compatible,
    generation_dir,
    read_manifest,
)
from search.index.lexical import LexicalIndex
from search.index.store import ChunkStore

logger = logging.getLogger(__name__)
T = TypeVar("T")

DAMAGE = (sqlite3.Error, OSError, ValueError, EOFError)
"""What reading damaged index files raises (numpy and bm25s raise ValueError, FAISS's errors are
turned into ValueError by ``search.index.dense``); anything else is a programming error."""


@dataclass
class IndexSnapshot:
    """Everything loaded from one generation."""

    index_dir: Path
    folder: Path
    manifest: dict[str, Any]
    store: ChunkStore
    dense: VectorIndex
    lexical: LexicalIndex
    sentences: RowFile = field(metadata={"doc": "int8 sentence vectors; chunk r owns store.sentence_ptr[r:r+2]"})
    expander: QueryExpander | None = None
    common_masks: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _findings: FindingsIndex | None = field(default=None, repr=False)
    _findings_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _derived: dict[str, Any] = field(default_factory=dict, repr=False)
    _derived_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def generation(self) -> str:
        return str(self.manifest["generation"])

    def findings(self) -> FindingsIndex:
        """Grades, findings and trails of this generation, read on first use."""
        with self._findings_lock:
            if self._findings is None:
                self._findings = FindingsIndex.load(self.folder)
            return self._findings

    def derived(self, name: str, build: Callable[[IndexSnapshot], T]) -> T:
        """What ``build`` derives from this generation, built on first use and kept with it (a later
        layer's lookup tables, e.g. where each chunk sits in its report)."""
        with self._derived_lock:
            if name not in self._derived:
                self._derived[name] = build(self)
            return self._derived[name]

    def sentence_vectors(self, ids: np.ndarray | list[int]) -> np.ndarray:
        """Unit float32 vectors of the given sentence ids."""
        return dequantize(self.sentences[np.asarray(ids, dtype=np.int64)])

    def mask(self, filters: Filters) -> np.ndarray | None:
        """Rows that pass resolved ``filters`` (None: no filter); one-force masks are made at load."""
        if filters.is_empty():
            return None
        if len(filters.forces) == 1 and not (filters.years or filters.themes or filters.report_types
                                              or filters.judgments or filters.sources):
            cached = self.common_masks.get(filters.forces[0])
            if cached is not None:
                return cached
        return self.store.mask(filters)

    def coverage(self) -> dict[str, Any]:
        """What the generation holds: forces, years, report types, themes, judgments, reports, chunks."""
        vocab = self.store.vocab
        return {"forces": list(vocab["force"]), "years": list(vocab["year"]),
                "report_types": list(vocab["report_type"]), "themes": list(vocab["theme"]),
                "judgments": list(vocab["judgment"]), "reports": len(self.manifest["reports"]),
                "chunks": self.store.size}

    def describe_coverage(self) -> str:
        cov = self.coverage()
        forces = ", ".join(cov["forces"]) or "no named force"
        years = ", ".join(str(y) for y in cov["years"]) or "no dated report"
        return f"The index covers {cov['reports']} report(s) on {forces}, from {years}."


def open_snapshot(index_dir: str | Path, embedder: Embedder, params: ChunkingParams) -> IndexSnapshot:
    """Load the live generation of ``index_dir``.

    Raises:
        IndexMissingError, IndexIncompatibleError: from the manifest checks.
        IndexCorruptError: a file is missing, damaged or disagrees with the others (with the rebuild command).
    """
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    check_compatible(manifest, embedder, params, index_dir)
    folder = generation_dir(index_dir, manifest)
    rebuild = rebuild_hint(index_dir)
    try:
        vectors = np.load(folder / VECTORS, mmap_mode="r", allow_pickle=False)
        store = ChunkStore.open(folder / CHUNKS_DB)
        expected = int(manifest["counts"]["chunks"])
        if vectors.ndim != 2 or len(vectors) != expected or store.size != expected:
            raise IndexCorruptError(f"the index in {index_dir} is inconsistent ({store.size} chunks, {len(vectors)} "
                                    f"vectors, manifest says {expected}): {rebuild}")
        if vectors.shape[1] != embedder.dim:
            raise IndexCorruptError(f"the vectors in {index_dir} have {vectors.shape[1]} dimensions, the model "
                                    f"{embedder.dim}: {rebuild}")
        dense = open_vector_index(folder / DENSE, vectors, manifest["index_type"])
        lexical = LexicalIndex.load(folder / LEXICAL, store.size)
        sentences = RowFile(folder / SENTENCES)
        if len(sentences) != int(store.sentence_ptr[-1]) or (len(sentences) and sentences.shape[1] != embedder.dim):
            raise IndexCorruptError(f"the sentence vectors in {index_dir} do not match the chunk store: {rebuild}")
        expander = QueryExpander.load(folder)
    except DAMAGE as exc:
        raise IndexCorruptError(f"the index in {index_dir} is damaged ({type(exc).__name__}: "
                                f"{str(exc)[:200]}): {rebuild}") from exc
    snapshot = IndexSnapshot(index_dir=index_dir, folder=folder, manifest=manifest, store=store, dense=dense,
                             lexical=lexical, sentences=sentences, expander=expander)
    # Masks for the filter most users set (one force) are made once, here.
    for force in store.vocab["force"]:
        snapshot.common_masks[force] = store.mask(Filters(forces=(force,)))
    logger.info("loaded %s: %d chunks of %d reports", snapshot.generation, store.size, len(manifest["reports"]))
    return snapshot


__all__ = ["DAMAGE", "IndexSnapshot", "open_snapshot"]
