"""Writing segments: a new segment for the reports a build reads, merged segments, and the choice
of which segments to merge.

A segment folder holds the rows of some reports: chunk store, chunk and sentence vectors, lexical
postings, the reports' words, their grades, findings and explicit trail links, and an HNSW or IVF
index when the index type is one of those. Its files never change once written; a later
generation lists the segment again (its files hard-linked into the new generation folder) and
tombstones the rows of reports removed or changed since. A merge writes one segment from the live
rows of several, without reading or embedding any report again.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.types import Chunk, Report
from search.embed import Embedder
from search.findings.storage import count_findings, merge_segment_findings, write_segment_findings
from search.index.dense import FaissIndex, quantize_unit
from search.index.expansion import QueryExpander, SegmentVocabulary
from search.index.layout import CHUNKS_DB, DENSE, LEXICAL, SENTENCES, VECTORS
from search.index.lexical import LexicalSegment, lexical_text
from search.index.store import ChunkStore

logger = logging.getLogger(__name__)
ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Written:
    """What a segment holds: its rows, sentences and findings, and each report's rows and sentences
    (local, ``[start, end)``)."""

    rows: int
    sentences: int
    findings: int
    encoded_findings: int
    reports: dict[str, dict[str, Any]]


def report_spans(folder: Path) -> tuple[int, int, dict[str, dict[str, Any]]]:
    """(rows, sentences, {source: {"rows": [a, b], "sentences": [a, b], "findings": n}}) of a written
    segment."""
    store = ChunkStore.open(folder / CHUNKS_DB)
    counted = count_findings(folder)
    try:
        spans: dict[str, dict[str, Any]] = {}
        codes = store.source
        for code, label in enumerate(store.vocab["source"]):
            rows = np.flatnonzero(codes == code)
            a, b = int(rows[0]), int(rows[-1]) + 1
            spans[label] = {"rows": [a, b], "sentences": [int(store.sentence_ptr[a]), int(store.sentence_ptr[b])],
                            "findings": counted.get(label, 0)}
        for label in store.manifest_reports():  # a report without chunks holds no rows
            spans.setdefault(label, {"rows": [store.size, store.size], "sentences": [int(store.sentence_ptr[-1])] * 2,
                                     "findings": counted.get(label, 0)})
        return store.size, int(store.sentence_ptr[-1]), spans
    finally:
        store.close()


def write_segment(folder: Path, reports: Sequence[tuple[Report, str]], chunks: Sequence[Chunk],
                  counts: dict[str, int], sentences: Sequence[tuple[int, int, int]], vectors: np.ndarray,
                  sentence_vectors: np.ndarray, index_type: str, embedder: Embedder,
                  known_words: QueryExpander | None, progress: ProgressFn | None = None) -> Written:
    """Write a segment of ``reports`` (with their ``chunks``, in order, and ``sentences``: (chunk
    index, start, end)) and the vectors embedded for them into ``folder``."""
    folder.mkdir(parents=True)
    ChunkStore.write(folder / CHUNKS_DB, [r for r, _ in reports], {r.meta.source: p for r, p in reports}, chunks,
                     counts, sentences=sentences)
    np.save(folder / VECTORS, np.ascontiguousarray(vectors, dtype=np.float32))
    np.save(folder / SENTENCES, quantize_unit(sentence_vectors))
    if progress:
        progress("index", 0, 1)
    LexicalSegment.build([lexical_text(c.embed_text) for c in chunks]).save(folder / LEXICAL)
    texts: dict[str, list[str]] = {r.meta.source: [] for r, _ in reports}
    for chunk in chunks:
        texts[chunk.source].append(chunk.embed_text)
    SegmentVocabulary.build(texts, embedder, known_words).save(folder)
    if index_type != "flat":
        FaissIndex.build(vectors, index_type).save(folder / DENSE)
    if progress:
        progress("index", 1, 1)
    store = ChunkStore.open(folder / CHUNKS_DB)
    try:
        findings, encoded = write_segment_findings(store, folder, embedder, progress)
    finally:
        store.close()
    rows, n_sentences, spans = report_spans(folder)
    return Written(rows, n_sentences, findings, encoded, spans)


def merge_segments(folder: Path, parts: Sequence[tuple[Path, Sequence[str]]], index_type: str,
                   embedder: Embedder, *, extract_findings: bool = False,
                   progress: ProgressFn | None = None) -> Written:
    """Write into ``folder`` one segment of the reports each part (a segment folder) keeps, in the
    parts' order; nothing is read from report files or embedded again. ``extract_findings``
    extracts grades and findings from the merged store instead of copying them (a damaged
    findings store, or another extractor version)."""
    folder.mkdir(parents=True)
    copied = ChunkStore.copy_reports([(part / CHUNKS_DB, sources) for part, sources in parts], folder / CHUNKS_DB)
    vectors, sentences, lexical, vocab = [], [], [], []
    for (part, sources), (old_rows, old_sids) in zip(parts, copied, strict=True):
        rows, sids = np.asarray(old_rows, dtype=np.int64), np.asarray(old_sids, dtype=np.int64)
        vectors.append(np.asarray(np.load(part / VECTORS, mmap_mode="r", allow_pickle=False)[rows]))
        sentences.append(np.asarray(np.load(part / SENTENCES, mmap_mode="r", allow_pickle=False)[sids]))
        lexical.append((LexicalSegment.load(part / LEXICAL), rows))
        vocab.append((SegmentVocabulary.load(part), sources))
    matrix = np.vstack(vectors).astype(np.float32)
    np.save(folder / VECTORS, matrix)
    np.save(folder / SENTENCES, np.vstack(sentences).astype(np.int8))
    LexicalSegment.merge(lexical).save(folder / LEXICAL)
    SegmentVocabulary.merge(vocab).save(folder)
    if index_type != "flat":
        FaissIndex.build(matrix, index_type).save(folder / DENSE)
    encoded = 0
    if extract_findings:
        store = ChunkStore.open(folder / CHUNKS_DB)
        try:
            findings, encoded = write_segment_findings(store, folder, embedder, progress)
        finally:
            store.close()
    else:
        findings = merge_segment_findings(parts, folder, embedder)
    rows, n_sentences, spans = report_spans(folder)
    return Written(rows, n_sentences, findings, encoded, spans)


def link_file(source: Path, target: Path) -> None:
    """``target`` as a hard link to ``source`` (a copy where the filesystem has no hard links)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        shutil.copy2(source, target)


def link_segment(source: Path, target: Path) -> None:
    """Make ``target`` a folder of hard links to the files of the segment ``source``: a new
    generation lists the segment without copying it."""
    for path in sorted(source.rglob("*")):
        if path.is_file():
            link_file(path, target / path.relative_to(source))


def choose_merge(segments: Sequence[dict[str, Any]], *, max_segments: int, merge_rows: int,
                 optimize: bool = False) -> list[str]:
    """The segments a build merges into one (none, or at least two unless one is mostly tombstones).

    ``optimize`` merges every segment (dropping all tombstoned rows). Otherwise, when there are more
    than ``max_segments``, the smallest are merged, as many as fit in ``merge_rows`` live rows, so a
    build's own merge stays bounded; a segment more than half tombstones is rewritten when it fits.
    """
    if optimize:
        return [s["name"] for s in segments] if len(segments) > 1 or any(s["deleted"] for s in segments) else []
    live = {s["name"]: s["rows"] - s["deleted"] for s in segments}
    chosen: list[str] = []
    budget = merge_rows
    if len(segments) > max_segments:
        need = len(segments) - max_segments + 1
        for entry in sorted(segments, key=lambda s: live[s["name"]]):
            if live[entry["name"]] > budget:
                break
            chosen.append(entry["name"])
            budget -= live[entry["name"]]
        if len(chosen) < min(2, need):
            chosen = []
            budget = merge_rows
    for entry in segments:  # mostly tombstones: rewrite it while it is cheap
        if entry["name"] not in chosen and entry["deleted"] * 2 > entry["rows"] and live[entry["name"]] <= budget:
            chosen.append(entry["name"])
            budget -= live[entry["name"]]
    order = [s["name"] for s in segments]
    return sorted(chosen, key=order.index)


__all__ = ["Written", "choose_merge", "link_file", "link_segment", "merge_segments", "report_spans",
           "write_segment"]
