"""Building an index generation: read and chunk new or changed reports, embed them, copy what is
unchanged from the live generation, write the store, vectors, FAISS, BM25, query expander and
findings, and publish.

Reports whose bytes have not changed keep their chunks and vectors (nothing is embedded again);
new and changed files are ingested and embedded; reports no longer under the given paths are
dropped unless ``keep_existing``. A file that cannot be read is reported in the result and the
rest are still indexed. docs/index.md describes the folder this writes.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ingest.chunk import ChunkingParams, chunk_report, sentence_units
from ingest.pipeline import discover, ingest_path
from ingest.types import Chunk, IngestError, Report
from search.config import Settings, TrailSettings
from search.embed import Embedder
from search.errors import IndexCorruptError, IndexError_, IndexIncompatibleError, IndexWriteError
from search.findings.storage import build_findings, findings_current
from search.index.corrections import MetaCorrections
from search.index.dense import INDEX_TYPES, FaissIndex, dequantize, quantize_unit
from search.index.expansion import QueryExpander, vocabulary
from search.index.layout import (
    CHUNKS_DB,
    DEFAULT_INDEX_DIR,
    DENSE,
    LEXICAL,
    SENTENCES,
    VECTORS,
    check_compatible,
    generation_dir,
    make_manifest,
    new_generation_name,
    read_manifest,
)
from search.index.lexical import LexicalIndex, lexical_text
from search.index.publish import clean_stale, discard, index_lock, publish, staging_dir
from search.index.store import ChunkStore

logger = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]
"""progress(stage, done, total): called as a build advances (stages: read, embed, findings, index)."""
EMBED_BATCH = 64


@dataclass(frozen=True)
class FileOutcome:
    """What a build did with one input file."""

    path: str
    source: str
    status: str = field(metadata={"doc": "added | updated | unchanged | error | kept"})
    error: str | None = None
    chunks: int = 0


@dataclass
class BuildResult:
    """What a build did: the files, what was embedded, and whether a new generation was published."""

    index_dir: Path
    generation: str | None
    files: list[FileOutcome] = field(default_factory=list)
    embedded_chunks: int = 0
    embedded_sentences: int = 0
    embedded_findings: int = 0  # finding texts encoded (those of unchanged reports are copied)
    total_chunks: int = 0
    reports: int = 0
    removed: list[str] = field(default_factory=list)
    published: bool = False
    seconds: float = 0.0

    @property
    def errors(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "error"]


@dataclass
class _Previous:
    """The live generation a build starts from; ``reports`` is empty when everything is rebuilt."""

    manifest: dict[str, Any] | None
    folder: Path | None
    reports: dict[str, dict[str, Any]]
    rebuild: bool


@dataclass
class _Plan:
    """What to do with each report: copy it from the previous generation, or ingest it anew."""

    files: list[FileOutcome] = field(default_factory=list)
    reuse: list[str] = field(default_factory=list)  # sources whose rows are copied from the old generation
    new_reports: list[tuple[Report, str]] = field(default_factory=list)  # (report, its path)
    chunks: dict[str, list[Chunk]] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    meta_keys: dict[str, str] = field(default_factory=dict)  # source -> key of the corrections applied


@dataclass
class _NewRows:
    """The chunks of new reports, their sentences and the vectors of both."""

    chunks: list[Chunk]
    counts: dict[str, int]
    sentences: list[tuple[int, int, int]]  # (index in chunks, start, end)
    vectors: np.ndarray
    sentence_vectors: np.ndarray


def build_index(
    paths: Iterable[str | Path],
    index_dir: str | Path = DEFAULT_INDEX_DIR,
    *,
    embedder: Embedder,
    params: ChunkingParams | None = None,
    index_type: str = "flat",
    keep_existing: bool = False,
    rebuild: bool = False,
    progress: ProgressFn | None = None,
    wait_seconds: float = 0.0,
    on_report: Callable[[Report, list[Chunk]], None] | None = None,
    settings: Settings | None = None,
    corrections: MetaCorrections | None = None,
    drop: Iterable[str] = (),
) -> BuildResult:
    """Bring the index in ``index_dir`` up to date with the reports under ``paths``.

    Every report's metadata is corrected as ``corrections`` says (default: sidecars and the records
    kept in ``index_dir``; ``search.index.corrections``). ``drop`` names reports to remove that
    ``keep_existing`` would otherwise keep.

    Raises:
        IndexLockedError: another build holds the folder.
        IndexWriteError: the new generation could not be written (the published one is unchanged).
        ValueError: bad ``index_type``.
    """
    started = time.monotonic()
    paths, params, trails = list(paths), params or ChunkingParams(), (settings or Settings()).trails
    if index_type not in INDEX_TYPES:
        raise ValueError(f"unknown index type {index_type!r}: choose one of {', '.join(INDEX_TYPES)}")
    index_dir = Path(index_dir)
    result = BuildResult(index_dir=index_dir, generation=None)
    with index_lock(index_dir, wait_seconds):
        previous = _previous(index_dir, embedder, params, index_type, rebuild)
        clean_stale(index_dir, keep={previous.folder.name} if previous.folder else set())
        corrections = corrections or MetaCorrections(index_dir)
        plan = _plan(paths, previous.reports, params, keep_existing, progress, corrections, frozenset(drop))
        result.files, result.removed = plan.files, plan.removed
        if (previous.manifest and not plan.new_reports and not plan.removed and not previous.rebuild
                and findings_current(previous.folder, embedder, trails)):
            result.generation = previous.manifest["generation"]
            result.reports, result.total_chunks = len(plan.reuse), int(previous.manifest["counts"]["chunks"])
            result.seconds = time.monotonic() - started
            return result  # up to date: nothing to embed, nothing to publish
        rows = _embed_new(plan, embedder, progress, on_report)
        result.embedded_chunks, result.embedded_sentences = len(rows.chunks), len(rows.sentences)
        result.files = [FileOutcome(f.path, f.source, f.status, f.error, rows.counts.get(f.source, f.chunks))
                        for f in result.files]
        generation = new_generation_name()
        staged = staging_dir(index_dir, generation)
        try:
            staged.mkdir(parents=True)
            manifest = _write_generation(staged, generation, plan, rows, previous, embedder, params, index_type,
                                         trails, paths, progress, started, result)
            publish(index_dir, staged, generation, manifest)
        except BaseException as exc:
            discard(index_dir, staged, generation)
            if isinstance(exc, OSError | sqlite3.Error):
                raise IndexWriteError(
                    f"could not write the new index in {index_dir} ({type(exc).__name__}: {exc}): check there is "
                    "free disk space and the folder is writable, then run the build again; the published index "
                    "is unchanged") from exc
            raise
        clean_stale(index_dir, keep={generation, previous.folder.name if previous.folder else ""})
    result.generation, result.published = generation, True
    result.reports, result.total_chunks = manifest["counts"]["reports"], manifest["counts"]["chunks"]
    result.seconds = time.monotonic() - started
    return result


def _previous(index_dir: Path, embedder: Embedder, params: ChunkingParams, index_type: str,
              rebuild: bool) -> _Previous:
    """The live generation, if it can be built upon; an incompatible or damaged one means a rebuild."""
    manifest: dict[str, Any] | None = None
    folder: Path | None = None
    try:
        manifest = read_manifest(index_dir)
        folder = generation_dir(index_dir, manifest)
        check_compatible(manifest, embedder, params, index_dir)
        if (manifest.get("index_type") != index_type or not (folder / CHUNKS_DB).exists()
                or not _vectors_readable(folder, manifest)):
            raise IndexIncompatibleError("index type changed, or the old generation is damaged")
    except IndexError_ as exc:
        if manifest is not None:
            logger.info("rebuilding %s: %s", index_dir, exc)
        manifest = manifest if folder and folder.exists() else None
        rebuild = True
    return _Previous(manifest=manifest, folder=folder, reports={} if rebuild or not manifest else manifest["reports"],
                     rebuild=rebuild)


def _vectors_readable(folder: Path, manifest: dict[str, Any]) -> bool:
    """Whether a generation's vector files open with the row counts its manifest states (headers only)."""
    try:
        counts = manifest["counts"]
        return (len(np.load(folder / VECTORS, mmap_mode="r", allow_pickle=False)) == int(counts["chunks"])
                and len(np.load(folder / SENTENCES, mmap_mode="r", allow_pickle=False)) == int(counts["sentences"]))
    except (OSError, ValueError, TypeError, KeyError):
        return False


def _plan(paths: list[str | Path], old_reports: dict[str, dict[str, Any]], params: ChunkingParams,
          keep_existing: bool, progress: ProgressFn | None, corrections: MetaCorrections,
          drop: frozenset[str] = frozenset()) -> _Plan:
    """Hash every input file; unchanged reports (same bytes, same corrections) are copied, new and
    changed ones ingested, corrected and chunked."""
    plan = _Plan()
    files, missing = discover(paths)
    plan.files.extend(FileOutcome(item.path, Path(item.path).name, "error", item.error) for item in missing)
    seen: dict[str, str] = {}
    for n, file in enumerate(files):
        if progress:
            progress("read", n + 1, len(files))
        source = file.name
        try:
            digest = _sha256(file)
        except OSError as exc:
            plan.files.append(FileOutcome(str(file), source, "error", str(exc)))
            continue
        if source in seen:
            if seen[source] != digest:
                plan.files.append(FileOutcome(str(file), source, "error", f"{file}: another file named {source} is "
                                              "already in this index: rename one of them"))
            continue
        seen[source] = digest
        old = old_reports.get(source)
        meta_key = plan.meta_keys[source] = corrections.key(file)
        if old and old.get("content_hash") == digest and old.get("meta_key", "") == meta_key:
            plan.reuse.append(source)
            plan.files.append(FileOutcome(str(file), source, "unchanged", chunks=int(old.get("chunks", 0))))
            continue
        try:
            report = corrections.apply(ingest_path(file), file)
            plan.chunks[source] = _chunk(report, params)
        except IngestError as exc:
            if old:  # keep the version indexed before rather than lose it
                plan.reuse.append(source)
                plan.meta_keys[source] = old.get("meta_key", "")
            plan.files.append(FileOutcome(str(file), source, "error", str(exc)))
            continue
        plan.new_reports.append((report, str(file)))
        plan.files.append(FileOutcome(str(file), source, "updated" if old else "added"))
    if keep_existing:
        for source, old in old_reports.items():
            if source not in seen and source not in plan.reuse and source not in drop:
                plan.reuse.append(source)
                plan.meta_keys[source] = old.get("meta_key", "")
                plan.files.append(FileOutcome(old.get("path", ""), source, "kept", chunks=int(old.get("chunks", 0))))
    plan.removed = sorted(set(old_reports) - set(plan.reuse) - {r.meta.source for r, _ in plan.new_reports})
    return plan


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _chunk(report: Report, params: ChunkingParams) -> list[Chunk]:
    """A report's chunks; a chunking failure is that file's IngestError, so the build goes on."""
    try:
        return chunk_report(report, params)
    except Exception as exc:  # a chunker bug must not stop the other reports from being indexed
        logger.exception("chunking %s failed", report.meta.source)
        raise IngestError(report.meta.source, f"could not be cut into chunks ({type(exc).__name__}: {exc}); "
                                              "please report this file") from exc


def _embed_new(plan: _Plan, embedder: Embedder, progress: ProgressFn | None,
               on_report: Callable[[Report, list[Chunk]], None] | None) -> _NewRows:
    """Vectors for the chunks of new and changed reports and for their sentences."""
    chunks: list[Chunk] = []
    counts: dict[str, int] = {}
    for report, _path in plan.new_reports:
        report_chunks = plan.chunks[report.meta.source]
        counts[report.meta.source] = len(report_chunks)
        chunks.extend(report_chunks)
        if on_report:
            on_report(report, report_chunks)
    sentences: list[tuple[int, int, int]] = []
    sentence_texts: list[str] = []
    for index, chunk in enumerate(chunks):
        for start, end, text in sentence_units(chunk):
            sentences.append((index, start, end))
            sentence_texts.append(text)
    embedded = _embed(embedder, [c.embed_text for c in chunks] + sentence_texts, progress)
    return _NewRows(chunks=chunks, counts=counts, sentences=sentences, vectors=embedded[:len(chunks)],
                    sentence_vectors=embedded[len(chunks):])


def _embed(embedder: Embedder, texts: list[str], progress: ProgressFn | None) -> np.ndarray:
    if not texts:
        return np.zeros((0, embedder.dim), np.float32)
    # Longest first over all texts, so each batch holds texts of about one length and little
    # padding is encoded (slices in corpus order mix chunks with short sentences).
    order = np.argsort([-len(t) for t in texts], kind="stable")
    out = np.empty((len(texts), embedder.dim), np.float32)
    for start in range(0, len(texts), EMBED_BATCH):
        rows = order[start:start + EMBED_BATCH]
        out[rows] = embedder.encode([texts[i] for i in rows], batch_size=32)
        if progress:
            progress("embed", min(start + EMBED_BATCH, len(texts)), len(texts))
    return out


def _write_generation(staged: Path, generation: str, plan: _Plan, rows: _NewRows, previous: _Previous,
                      embedder: Embedder, params: ChunkingParams, index_type: str, trails: TrailSettings,
                      paths: list[str | Path], progress: ProgressFn | None, started: float,
                      result: BuildResult) -> dict[str, Any]:
    """Write every file of the new generation into ``staged``; return its manifest."""
    vectors, sentence_vectors = _write_rows(staged, plan, rows, previous.folder)
    store = ChunkStore.open(staged / CHUNKS_DB)
    try:
        # Grades, findings and their trails (docs/findings.md), from the new store alone.
        n_findings, result.embedded_findings = build_findings(store, staged, previous.folder, plan.reuse, embedder,
                                                              trails, progress)
        if progress:
            progress("index", 0, 1)
        FaissIndex.build(vectors, index_type).save(staged / DENSE)
        records = store.all_chunks()
        LexicalIndex.build([lexical_text(c["embed_text"]) for c in records]).save(staged / LEXICAL)
        known = QueryExpander.load(previous.folder) if previous.folder and not previous.rebuild else None
        QueryExpander.build(vocabulary(c["embed_text"] for c in records), embedder, known).save(staged)
        if progress:
            progress("index", 1, 1)
        if len(records) != len(vectors):
            raise IndexCorruptError(f"built {len(records)} chunks but {len(vectors)} vectors: please report this")
        counts = {"sections": store.count("sections"), "chunks": len(records), "sentences": len(sentence_vectors),
                  "findings": n_findings}
        reports = store.manifest_reports()
        for source, meta_key in plan.meta_keys.items():
            if meta_key and source in reports:
                reports[source]["meta_key"] = meta_key
        return make_manifest(generation=generation, embedder=embedder, params=params, index_type=index_type,
                             reports=reports, counts=counts, inputs=paths,
                             seconds=time.monotonic() - started)
    finally:
        store.close()


def _write_rows(staged: Path, plan: _Plan, rows: _NewRows, old_folder: Path | None) -> tuple[np.ndarray, np.ndarray]:
    """The chunk store and the chunk and sentence vectors: rows of reused reports first (copied),
    then the new ones. Returns the vectors written."""
    store_path = staged / CHUNKS_DB
    reused_rows, reused_sids = (ChunkStore.copy_reports(old_folder / CHUNKS_DB, store_path, plan.reuse)
                                if plan.reuse and old_folder else ([], []))
    ChunkStore.write(store_path, [r for r, _ in plan.new_reports], {r.meta.source: p for r, p in plan.new_reports},
                     rows.chunks, rows.counts, row_offset=len(reused_rows), sentences=rows.sentences,
                     sentence_offset=len(reused_sids))
    vectors, sentence_vectors = rows.vectors, rows.sentence_vectors
    if reused_rows and old_folder:
        old_vectors = np.load(old_folder / VECTORS, mmap_mode="r", allow_pickle=False)
        vectors = np.vstack([np.asarray(old_vectors[reused_rows]), rows.vectors])
        old_sentences = np.load(old_folder / SENTENCES, mmap_mode="r", allow_pickle=False)
        sentence_vectors = np.vstack([dequantize(old_sentences[reused_sids]), rows.sentence_vectors])
    np.save(staged / VECTORS, vectors.astype(np.float32))
    np.save(staged / SENTENCES, quantize_unit(sentence_vectors))
    return vectors, sentence_vectors


__all__ = ["BuildResult", "FileOutcome", "ProgressFn", "build_index"]
