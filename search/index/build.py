"""Building an index generation: read and chunk new or changed reports, embed them, copy what is
unchanged from the live generation, write the store, vectors, FAISS, BM25, query expander and
findings, and publish.

Reports whose bytes have not changed keep their chunks and vectors (nothing is embedded again);
new and changed files are read in bounded workers and embedded. Which reports are kept or removed
is decided by ``search.index.plan`` (never by a mistyped path). A file that cannot be read is
reported in the result and the rest are still indexed; a build never publishes an index without
reports. docs/index.md describes the folder this writes.
"""

from __future__ import annotations

import difflib
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ingest.chunk import ChunkingParams, sentence_units
from ingest.files import display_name
from ingest.limits import ReadLimits
from ingest.types import Chunk, Report
from search.config import Settings, TrailSettings
from search.embed import Embedder
from search.errors import (
    IndexCorruptError,
    IndexEmptyError,
    IndexError_,
    IndexIncompatibleError,
    IndexInputError,
    IndexWriteError,
    rebuild_hint,
)
from search.findings.storage import FINDINGS_DB, FINDINGS_VECTORS, build_findings, findings_current
from search.index.corrections import MetaCorrections
from search.index.dense import INDEX_TYPES, FaissIndex, dequantize, quantize_unit
from search.index import integrity
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
from search.index.plan import FileOutcome, Mode, Plan, ProgressFn, check_paths, plan_build
from search.index.publish import clean_stale, discard, index_lock, publish, staging_dir
from search.index.store import ChunkStore

logger = logging.getLogger(__name__)

EMBED_BATCH = 64
FINDINGS_FILES = (FINDINGS_DB, FINDINGS_VECTORS)


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
    skipped: list[FileOutcome] = field(default_factory=list)  # hidden files and folders, links to folders
    published: bool = False
    seconds: float = 0.0

    @property
    def errors(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "error"]


@dataclass
class _Previous:
    """The live generation a build starts from. ``known`` are the reports its manifest lists (even
    when it cannot be built upon); ``reports`` those whose rows can be reused (empty on a rebuild)."""

    manifest: dict[str, Any] | None
    folder: Path | None
    known: dict[str, dict[str, Any]]
    reports: dict[str, dict[str, Any]]
    rebuild: bool
    findings_ok: bool = True  # False: the findings of the live generation are not copied, but extracted again


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
    prune: bool = False,
    rebuild: bool = False,
    progress: ProgressFn | None = None,
    wait_seconds: float = 0.0,
    on_report: Callable[[Report, list[Chunk]], None] | None = None,
    settings: Settings | None = None,
    limits: ReadLimits | None = None,
    corrections: MetaCorrections | None = None,
    drop: Iterable[str] = (),
) -> BuildResult:
    """Bring the index in ``index_dir`` up to date with the reports under ``paths``.

    Every report's metadata is corrected as ``corrections`` says (default: sidecars and the records
    kept in ``index_dir``; ``search.index.corrections``).

    Args:
        keep_existing: keep every indexed report not under ``paths``, even one whose file is gone.
        prune: the index holds exactly the reports under ``paths`` (others are removed).
        rebuild: read and embed every report again.
        limits: what reading one file may cost (default: ``ReadLimits.from_env()``).
        drop: reports to remove by name (``search.reports.remove_reports``); ``paths`` may then be empty.

    Raises:
        IndexInputError: a path does not exist, cannot be listed or holds no report (nothing is read).
        PruneRequiredError: more than half of the indexed reports would be removed without ``prune``.
        IndexEmptyError: no report could be indexed (the published index is unchanged).
        IndexLockedError: another build holds the folder.
        IndexWriteError: the new generation could not be written (the published one is unchanged).
        ValueError: bad ``index_type``.
    """
    started = time.monotonic()
    paths, params, settings = list(paths), params or ChunkingParams(), settings or Settings()
    trails = settings.trails
    if index_type not in INDEX_TYPES:
        raise ValueError(f"unknown index type {index_type!r}: choose one of {', '.join(INDEX_TYPES)}")
    index_dir = Path(index_dir)
    drop = frozenset(drop)
    # a mistyped path stops the build before the index folder is touched
    checked = check_paths(paths) if paths or not drop else []
    result = BuildResult(index_dir=index_dir, generation=None)
    with index_lock(index_dir, wait_seconds):
        previous = _previous(index_dir, embedder, params, index_type, rebuild)
        keep = settings.index.keep_generations
        clean_stale(index_dir, keep_generations=keep)
        corrections = corrections or MetaCorrections(index_dir)
        mode = Mode(keep_all=keep_existing, prune=prune, reread_all=previous.rebuild, drop=drop)
        plan = plan_build(paths, previous.known, mode, params, limits=limits, progress=progress,
                          on_report=on_report, checked=checked, corrections=corrections)
        result.files, result.removed, result.skipped = plan.files, plan.removed, plan.skipped
        if not plan.report_count:
            first = next((f.error for f in plan.files if f.error), None)
            raise IndexEmptyError(
                f"no report could be indexed from {', '.join(str(p) for p in paths)}"
                + (f" ({first})" if first else "")
                + ": nothing was published" + (" and the index is unchanged" if previous.manifest else "")
                + "; check the paths and the errors")
        if (previous.manifest and not plan.new_reports and not plan.removed and not previous.rebuild
                and findings_current(previous.folder, embedder, trails)):
            result.generation = previous.manifest["generation"]
            result.reports, result.total_chunks = len(plan.reuse), int(previous.manifest["counts"]["chunks"])
            result.seconds = time.monotonic() - started
            return result  # up to date: nothing to embed, nothing to publish
        if plan.reuse and not previous.rebuild and not _verified(previous, index_dir):
            previous = _Previous(manifest=previous.manifest, folder=previous.folder, known=previous.known, reports={},
                                 rebuild=True)
            plan = plan_build(paths, previous.known,
                              Mode(keep_all=keep_existing, prune=prune, reread_all=True, drop=drop), params,
                              limits=limits, progress=progress, on_report=on_report, checked=checked,
                              corrections=corrections)
            result.files, result.removed, result.skipped = plan.files, plan.removed, plan.skipped
        return _commit(index_dir, plan, previous, embedder, params, index_type, settings, paths, progress, started,
                       result)


def _commit(index_dir: Path, plan: Plan, previous: _Previous, embedder: Embedder, params: ChunkingParams,
            index_type: str, settings: Settings, paths: list[str | Path], progress: ProgressFn | None,
            started: float, result: BuildResult) -> BuildResult:
    """Embed the new reports, write the new generation and publish it (called with the lock held)."""
    rows = _embed_new(plan, embedder, progress)
    result.embedded_chunks, result.embedded_sentences = len(rows.chunks), len(rows.sentences)
    result.files = [FileOutcome(f.path, f.source, f.status, f.error, rows.counts.get(f.source, f.chunks))
                    for f in result.files]
    generation = new_generation_name()
    staged = staging_dir(index_dir, generation)
    try:
        staged.mkdir(parents=True)
        manifest = _write_generation(staged, generation, plan, rows, previous, embedder, params, index_type,
                                     settings.trails, paths, progress, started, result)
        publish(index_dir, staged, generation, manifest)
    except BaseException as exc:
        discard(index_dir, staged, generation)
        if isinstance(exc, OSError | sqlite3.Error):
            raise IndexWriteError(
                f"could not write the new index in {index_dir} ({type(exc).__name__}: {exc}): check there is "
                "free disk space and the folder is writable, then run the build again; the published index "
                "is unchanged") from exc
        raise
    clean_stale(index_dir, keep_generations=settings.index.keep_generations)
    result.generation, result.published = generation, True
    result.reports, result.total_chunks = manifest["counts"]["reports"], manifest["counts"]["chunks"]
    result.seconds = time.monotonic() - started
    return result


def _previous(index_dir: Path, embedder: Embedder, params: ChunkingParams, index_type: str,
              rebuild: bool) -> _Previous:
    """The live generation, if it can be built upon; an incompatible or damaged one means a rebuild."""
    manifest: dict[str, Any] | None = None
    folder: Path | None = None
    known: dict[str, dict[str, Any]] = {}
    try:
        manifest = read_manifest(index_dir)
        known = manifest["reports"]
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
    return _Previous(manifest=manifest, folder=folder, known=known,
                     reports={} if rebuild or not manifest else manifest["reports"], rebuild=rebuild)


def _verified(previous: _Previous, index_dir: Path) -> bool:
    """Whether every file of the live generation that a build copies rows from still has its
    checksum. The findings are checked apart: when they fail, they are extracted again
    (``previous.findings_ok``) and the rows are still reused."""
    if previous.manifest is None or previous.folder is None:
        return False
    files = previous.manifest["files"]
    findings = [name for name in files if name.startswith(FINDINGS_FILES)]
    try:
        integrity.verify_all(previous.folder, files, index_dir, [n for n in files if n not in findings])
    except IndexError_ as exc:
        logger.warning("rebuilding %s instead of reusing it: %s", index_dir, exc)
        return False
    try:
        integrity.verify_all(previous.folder, files, index_dir, findings)
    except IndexError_ as exc:
        logger.warning("extracting the findings of %s again: %s", index_dir, exc)
        previous.findings_ok = False
    return True


def _vectors_readable(folder: Path, manifest: dict[str, Any]) -> bool:
    """Whether a generation's vector files open with the row counts its manifest states (headers only)."""
    try:
        counts = manifest["counts"]
        return (len(np.load(folder / VECTORS, mmap_mode="r", allow_pickle=False)) == int(counts["chunks"])
                and len(np.load(folder / SENTENCES, mmap_mode="r", allow_pickle=False)) == int(counts["sentences"]))
    except (OSError, ValueError, TypeError, KeyError):
        return False


def _embed_new(plan: Plan, embedder: Embedder, progress: ProgressFn | None) -> _NewRows:
    """Vectors for the chunks of new and changed reports and for their sentences."""
    chunks: list[Chunk] = []
    counts: dict[str, int] = {}
    for report, _path in plan.new_reports:
        report_chunks = plan.chunks[report.meta.source]
        counts[report.meta.source] = len(report_chunks)
        chunks.extend(report_chunks)
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
    if progress:
        progress("embed", 0, len(texts))
    for start in range(0, len(texts), EMBED_BATCH):
        rows = order[start:start + EMBED_BATCH]
        out[rows] = embedder.encode([texts[i] for i in rows], batch_size=32)
        if progress:
            progress("embed", min(start + EMBED_BATCH, len(texts)), len(texts))
    return out


def _write_generation(staged: Path, generation: str, plan: Plan, rows: _NewRows, previous: _Previous,
                      embedder: Embedder, params: ChunkingParams, index_type: str, trails: TrailSettings,
                      paths: list[str | Path], progress: ProgressFn | None, started: float,
                      result: BuildResult) -> dict[str, Any]:
    """Write every file of the new generation into ``staged``; return its manifest."""
    vectors, sentence_vectors = _write_rows(staged, plan, rows, previous.folder)
    store = ChunkStore.open(staged / CHUNKS_DB)
    try:
        # Grades, findings and their trails (docs/findings.md), from the new store alone.
        n_findings, result.embedded_findings = build_findings(store, staged,
                                                              previous.folder if previous.findings_ok else None,
                                                              plan.reuse, embedder,
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
                             seconds=time.monotonic() - started, files=integrity.record(staged))
    finally:
        store.close()


def _write_rows(staged: Path, plan: Plan, rows: _NewRows, old_folder: Path | None) -> tuple[np.ndarray, np.ndarray]:
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
