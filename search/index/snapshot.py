"""One loaded index generation: its segments read as one chunk store, vector index, lexical
index, sentence vectors and query expander, and (on first use) its findings.

A snapshot never changes once loaded. A ``Searcher`` swaps in a new snapshot when a new
generation is published; a search, and the answer composed from it, keep the snapshot they
started on, so their rows, sentences and texts always belong together. What a segment holds is
loaded once per process: a new generation that lists a segment again reuses it (its chunk store
re-opened in the new generation's folder), so following a publish costs the new segment only.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ingest.chunk import ChunkingParams
from search.embed import Embedder
from search.errors import IndexCorruptError, rebuild_hint
from search.filters import Filters
from search.findings.storage import FINDINGS_DB, FINDINGS_VECTORS, FindingsIndex
from search.index import integrity
from search.index.dense import FaissIndex, FlatVectors, RowFile, SegmentedVectors, dequantize
from search.index.expansion import QueryExpander, SegmentVocabulary, merged_expander
from search.index.generation import live_rows, sources_by_segment
from search.index.integrity import LazyCheck
from search.index.layout import (
    CHUNKS_DB,
    DENSE,
    LEXICAL,
    SENTENCES,
    TRAILS,
    VECTORS,
    check_compatible,
    generation_dir,
    read_manifest,
)
from search.index.lexical import LexicalIndex, LexicalSegment
from search.index.segments import SegmentedRows, SegmentedStore
from search.index.store import ChunkStore

logger = logging.getLogger(__name__)
T = TypeVar("T")

_ON_DEMAND = (SENTENCES, FINDINGS_DB, FINDINGS_VECTORS)
"""Files not parsed when a generation is opened: verified in the background before first use."""

DAMAGE = (sqlite3.Error, OSError, ValueError, EOFError)
"""What reading damaged index files raises (numpy raises ValueError, FAISS's errors are turned
into ValueError by ``search.index.dense``); anything else is a programming error."""


@dataclass(eq=False)
class LoadedSegment:
    """What one segment holds, loaded."""

    name: str
    store: ChunkStore
    vectors: FlatVectors | FaissIndex
    lexical: LexicalSegment
    sentences: RowFile
    vocabulary: SegmentVocabulary


_loaded: weakref.WeakValueDictionary[tuple[str, int, int], LoadedSegment] = weakref.WeakValueDictionary()
_loaded_lock = threading.Lock()


@dataclass
class IndexSnapshot:
    """Everything loaded from one generation."""

    index_dir: Path
    folder: Path
    manifest: dict[str, Any]
    store: SegmentedStore
    dense: SegmentedVectors
    lexical: LexicalIndex
    sentences: SegmentedRows = field(metadata={"doc": "int8 sentence vectors; chunk r owns store.sentence_ptr[r:r+2]"})
    expander: QueryExpander | None = None
    segments: list[LoadedSegment] = field(default_factory=list, repr=False)
    common_masks: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    pending: dict[str, LazyCheck] = field(default_factory=dict, repr=False)  # checksums still being verified
    _findings: FindingsIndex | None = field(default=None, repr=False)
    _findings_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _verified: bool = field(default=False, repr=False)
    _derived: dict[str, Any] = field(default_factory=dict, repr=False)
    _derived_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def generation(self) -> str:
        return str(self.manifest["generation"])

    def verified(self) -> None:
        """Wait until every file of the generation matches its checksum (checked in the background
        since load; a no-op once done, so warm searches pay nothing).

        Raises:
            IndexIntegrityError: a file changed since it was written (with the rebuild command).
        """
        if self._verified:
            return
        for check in self.pending.values():
            check.wait()
        self._verified = True

    def findings(self) -> FindingsIndex:
        """Grades, findings and trails of this generation, read on first use.

        Raises:
            IndexCorruptError: the findings store is missing or damaged.
        """
        self.verified()
        with self._findings_lock:
            if self._findings is None:
                by_segment = sources_by_segment(self.manifest)
                self._findings = FindingsIndex.load(
                    self.folder, [(self.folder / s["name"], by_segment[s["name"]]) for s in self.manifest["segments"]],
                    [self.folder / t["file"] for t in self.manifest["trails"].values()])
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
        """Live rows that pass resolved ``filters`` (None: no filter and no tombstone); one-force
        masks are made at load."""
        if filters.is_empty():
            return self.store.live
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
                "chunks": int(self.manifest["counts"]["chunks"])}

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
    if not folder.is_dir():
        raise IndexCorruptError(f"the generation {manifest['generation']} named by the manifest of {index_dir} is "
                                f"missing: {rebuild}")
    checks = integrity.start(folder, manifest, index_dir)
    # Files parsed now are verified before they are parsed; arrays read on demand, the findings
    # and trails (read on first use) finish in the background (IndexSnapshot.verified).
    pending = {name: check for name, check in checks.items()
               if name.endswith(_ON_DEMAND) or name.startswith(f"{TRAILS}/")}
    try:
        segments = [_segment(folder, entry, manifest, checks, embedder) for entry in manifest["segments"]]
        masks = [live_rows(manifest, entry) for entry in manifest["segments"]]
        for entry, mask in zip(manifest["segments"], masks, strict=True):
            if int(entry["rows"]) - int(np.count_nonzero(mask)) != int(entry["deleted"]):
                raise ValueError(f"segment {entry['name']}: the manifest's reports leave {entry['rows'] - mask.sum()} "
                                 f"rows deleted, its entry says {entry['deleted']}")
        live = np.concatenate(masks) if masks else np.zeros(0, dtype=bool)
        live_mask = None if live.all() else live
        by_segment = sources_by_segment(manifest)
        # Each segment's chunk store is read in this generation's folder (a folder of a generation
        # removed later must never be needed); its arrays are shared with any earlier load.
        stores = [dataclasses.replace(s.store, path=folder / s.name / CHUNKS_DB, _local=threading.local())
                  for s in segments]
        store = SegmentedStore(stores, [set(by_segment[s.name]) for s in segments], live_mask)
        dense = SegmentedVectors([s.vectors for s in segments], manifest["index_type"], embedder.dim, live_mask)
        lexical = LexicalIndex([s.lexical for s in segments], live=live_mask)
        sentences = SegmentedRows([s.sentences for s in segments])
        expander = merged_expander([(s.vocabulary, by_segment[s.name] if not m.all() else None)
                                    for s, m in zip(segments, masks, strict=True)])
    except DAMAGE as exc:
        raise IndexCorruptError(f"the index in {index_dir} is damaged ({type(exc).__name__}: "
                                f"{str(exc)[:200]}): {rebuild}") from exc
    snapshot = IndexSnapshot(index_dir=index_dir, folder=folder, manifest=manifest, store=store, dense=dense,
                             lexical=lexical, sentences=sentences, expander=expander, pending=pending,
                             segments=segments)
    # Masks for the filter most users set (one force) are made once, here.
    for force in store.vocab["force"]:
        snapshot.common_masks[force] = store.mask(Filters(forces=(force,)))
    logger.info("loaded %s: %d chunks of %d reports in %d segment(s)", snapshot.generation,
                int(manifest["counts"]["chunks"]), len(manifest["reports"]), len(segments))
    return snapshot


def _segment(folder: Path, entry: dict[str, Any], manifest: dict[str, Any], checks: dict[str, LazyCheck],
             embedder: Embedder) -> LoadedSegment:
    """A segment of the generation in ``folder``: the one loaded before in this process when it is
    the same segment (same files), else loaded now, its files verified first."""
    name = entry["name"]
    seg = folder / name
    info = os.stat(seg / CHUNKS_DB)
    key = (name, info.st_ino, info.st_size)
    with _loaded_lock:
        known = _loaded.get(key)
    for file, check in checks.items():  # the files parsed below (cheap when known: checked before)
        if file.startswith(f"{name}/") and not file.endswith(_ON_DEMAND):
            check.wait()
    if known is not None:
        return known
    store = ChunkStore.open(seg / CHUNKS_DB)
    if manifest["index_type"] == "flat":
        vectors: FlatVectors | FaissIndex = FlatVectors(RowFile(seg / VECTORS))
        shape = vectors.shape
    else:
        mapped = np.load(seg / VECTORS, mmap_mode="r", allow_pickle=False)
        vectors = FaissIndex.load(seg / DENSE, mapped, manifest["index_type"])
        shape = mapped.shape
    lexical = LexicalSegment.load(seg / LEXICAL)
    sentences = RowFile(seg / SENTENCES)
    vocabulary = SegmentVocabulary.load(seg)
    rows = int(entry["rows"])
    if len(shape) != 2 or shape[0] != rows or store.size != rows or lexical.size != rows:
        raise ValueError(f"segment {name} is inconsistent ({store.size} chunks, {shape[0] if shape else 0} vectors, "
                         f"{lexical.size} lexical rows, manifest says {rows})")
    if shape[1] != embedder.dim or (len(sentences) and sentences.shape[1] != embedder.dim):
        raise ValueError(f"segment {name} holds {shape[1]}-dimensional vectors, the model {embedder.dim}")
    if len(sentences) != int(store.sentence_ptr[-1]) or len(sentences) != int(entry["sentences"]):
        raise ValueError(f"the sentence vectors of segment {name} do not match its chunk store")
    loaded = LoadedSegment(name, store, vectors, lexical, sentences, vocabulary)
    with _loaded_lock:
        _loaded[key] = loaded
    return loaded


__all__ = ["DAMAGE", "IndexSnapshot", "LoadedSegment", "open_snapshot"]
