"""Building an index generation: read and chunk new or changed reports, embed them, write them as
one new segment, list the live generation's other segments again, merge segments when there are
too many, and publish.

Reports whose bytes have not changed keep their rows, vectors and findings in the segments that
hold them (hard links, nothing copied or embedded again); new and changed files are read in bounded
workers and embedded; the rows of removed and changed reports become tombstones. Which reports are
kept or removed is decided by ``search.index.plan`` (never by a mistyped path). A file that cannot
be read is reported in the result and the rest are still indexed; a build never publishes an index
without reports. docs/index.md describes the folder this writes.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.chunk import ChunkingParams, sentence_units
from ingest.limits import ReadLimits
from ingest.types import Chunk, Report
from search.config import Settings
from search.embed import Embedder
from search.errors import IndexEmptyError, IndexError_, IndexIncompatibleError, IndexWriteError
from search.findings.storage import FINDINGS_DB, FINDINGS_VECTORS, made_with
from search.index import integrity
from search.index.corrections import MetaCorrections
from search.index.dense import INDEX_TYPES
from search.index.embedding import BackgroundEmbedding
from search.index.generation import NewRows, Outcome, write_generation
from search.index.layout import (
    DEFAULT_INDEX_DIR,
    check_compatible,
    generation_dir,
    new_generation_name,
    read_manifest,
)
from search.index.plan import FileOutcome, Mode, Plan, ProgressFn, check_paths, plan_build
from search.index.publish import clean_stale, discard, index_lock, publish, staging_dir
from search.index.reuse import indexed_sentence_vectors, stored_vectors

logger = logging.getLogger(__name__)

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
    merged: list[str] = field(default_factory=list)  # segments merged into one by this build
    segments: int = 0
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
    rewrite: set[str] = field(default_factory=set)  # segments whose findings must be extracted again


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
    optimize: bool = False,
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
        optimize: merge every segment into one, dropping the tombstoned rows of removed and changed reports
            (``paths`` may then be empty: nothing is read).

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
    if index_type not in INDEX_TYPES:
        raise ValueError(f"unknown index type {index_type!r}: choose one of {', '.join(INDEX_TYPES)}")
    index_dir = Path(index_dir)
    drop = frozenset(drop)
    # a mistyped path stops the build before the index folder is touched
    checked = check_paths(paths) if paths or not (drop or optimize) else []
    result = BuildResult(index_dir=index_dir, generation=None)
    with index_lock(index_dir, wait_seconds):
        previous = _previous(index_dir, embedder, params, index_type, rebuild)
        keep = settings.index.keep_generations
        clean_stale(index_dir, keep_generations=keep)
        corrections = corrections or MetaCorrections(index_dir)
        mode = Mode(keep_all=keep_existing, prune=prune, reread_all=previous.rebuild, drop=drop)
        with BackgroundEmbedding(embedder, progress) as background:  # its thread ends with the build
            plan = plan_build(paths, previous.known, mode, params, limits=limits, progress=progress,
                              on_report=_feeding(background, on_report, previous), checked=checked,
                              corrections=corrections)
            background.flush()  # the encoder starts while the reused files are checked
            result.files, result.removed, result.skipped = plan.files, plan.removed, plan.skipped
            if not plan.report_count:
                first = next((f.error for f in plan.files if f.error), None)
                raise IndexEmptyError(
                    f"no report could be indexed from {', '.join(str(p) for p in paths)}"
                    + (f" ({first})" if first else "")
                    + ": nothing was published" + (" and the index is unchanged" if previous.manifest else "")
                    + "; check the paths and the errors")
            current = bool(previous.manifest) and previous.manifest.get("findings") == made_with(embedder, settings.trails)
            if (previous.manifest and not plan.new_reports and not plan.removed and not previous.rebuild and current
                    and not (optimize and _mergeable(previous.manifest)) and _files_present(previous)):
                result.generation = previous.manifest["generation"]
                result.reports, result.total_chunks = len(plan.reuse), int(previous.manifest["counts"]["chunks"])
                result.segments = len(previous.manifest["segments"])
                result.seconds = time.monotonic() - started
                return result  # up to date: nothing to embed, nothing to publish
            if plan.reuse and not previous.rebuild and not _verified(previous, index_dir):
                previous = _Previous(manifest=previous.manifest, folder=previous.folder, known=previous.known, reports={},
                                     rebuild=True)
                background.forget_known()  # vectors read from files that failed their checks
                plan = plan_build(paths, previous.known,
                                  Mode(keep_all=keep_existing, prune=prune, reread_all=True, drop=drop), params,
                                  limits=limits, progress=progress, on_report=_feeding(background, on_report),
                                  checked=checked, corrections=corrections)
                result.files, result.removed, result.skipped = plan.files, plan.removed, plan.skipped
            return _commit(index_dir, plan, previous, embedder, params, index_type, settings, paths, progress, started,
                           result, background, optimize=optimize, current=current)


def _commit(index_dir: Path, plan: Plan, previous: _Previous, embedder: Embedder, params: ChunkingParams,
            index_type: str, settings: Settings, paths: list[str | Path], progress: ProgressFn | None,
            started: float, result: BuildResult, background: BackgroundEmbedding, *, optimize: bool,
            current: bool) -> BuildResult:
    """Embed the new reports, write the new generation and publish it (called with the lock held)."""
    rows = _embed_new(plan, background)
    result.embedded_chunks, result.embedded_sentences = len(rows.chunks), len(rows.sentences)
    result.files = [FileOutcome(f.path, f.source, f.status, f.error, rows.counts.get(f.source, f.chunks))
                    for f in result.files]
    generation = new_generation_name()
    staged = staging_dir(index_dir, generation)
    outcome = Outcome()
    reusable = previous.manifest if previous.reports else None
    extractor_changed = bool(reusable) and (reusable.get("findings") or {}).get("extractor") != \
        made_with(embedder, settings.trails)["extractor"]
    try:
        staged.mkdir(parents=True)
        manifest = write_generation(
            staged, generation, plan.new_reports, plan.reuse, plan.meta_keys, rows, reusable,
            previous.folder if reusable else None, embedder, params, index_type, settings, paths,
            optimize=optimize or extractor_changed, findings_current=current,
            rewrite=previous.rewrite | ({s["name"] for s in reusable["segments"]} if reusable and extractor_changed
                                        else set()),
            progress=progress, started=started, outcome=outcome)
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
    result.embedded_findings, result.merged = outcome.embedded_findings, outcome.merged
    result.segments = manifest["counts"]["segments"]
    result.seconds = time.monotonic() - started
    logger.info("built %s: %s", generation, {k: round(v, 3) for k, v in outcome.seconds.items()})
    return result


def _mergeable(manifest: dict[str, Any]) -> bool:
    """Whether ``--optimize`` has anything to do: several segments, or tombstones."""
    return len(manifest["segments"]) > 1 or any(s["deleted"] for s in manifest["segments"])


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
        if manifest.get("index_type") != index_type or not folder.is_dir():
            raise IndexIncompatibleError("the index type changed, or the live generation's folder is missing")
    except IndexError_ as exc:
        if manifest is not None:
            logger.info("rebuilding %s: %s", index_dir, exc)
        manifest = manifest if folder and folder.exists() else None
        rebuild = True
    return _Previous(manifest=manifest, folder=folder, known=known,
                     reports={} if rebuild or not manifest else manifest["reports"], rebuild=rebuild)


def _files_present(previous: _Previous) -> bool:
    """Whether every file of the live generation is there with the size its manifest records (a
    ``stat`` each: an unchanged corpus costs no hashing; a missing or truncated file means a build)."""
    assert previous.folder is not None and previous.manifest is not None
    for name, entry in previous.manifest["files"].items():
        try:
            if (previous.folder / name).stat().st_size != entry["bytes"]:
                return False
        except OSError:
            return False
    return True


def _verified(previous: _Previous, index_dir: Path) -> bool:
    """Whether every file of the live generation still has its checksum (its segments are about to
    be listed again). A segment whose findings alone fail is rewritten with its findings extracted
    again (``previous.rewrite``); any other mismatch means reading everything again."""
    if previous.manifest is None or previous.folder is None:
        return False
    files = previous.manifest["files"]
    try:
        integrity.verify_all(previous.folder, files, index_dir,
                             [n for n in files if not n.endswith((f"/{FINDINGS_DB}", f"/{FINDINGS_VECTORS}"))])
    except IndexError_ as exc:
        logger.warning("rebuilding %s instead of reusing it: %s", index_dir, exc)
        return False
    for name in [n for n in files if n.endswith((f"/{FINDINGS_DB}", f"/{FINDINGS_VECTORS}"))]:
        try:
            integrity.verify(previous.folder, name, files[name], index_dir)
        except IndexError_ as exc:
            logger.warning("extracting the findings of %s again: %s", name.split("/")[0], exc)
            previous.rewrite.add(name.split("/")[0])
    return True


def _embed_new(plan: Plan, background: BackgroundEmbedding) -> NewRows:
    """Vectors for the chunks of new and changed reports and for their sentences (encoded while the
    reports were read)."""
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
    return NewRows(chunks=chunks, counts=counts, sentences=sentences,
                   vectors=background.vectors([c.embed_text for c in chunks], exact=True),
                   sentence_vectors=background.vectors(sentence_texts))


def _feeding(background: BackgroundEmbedding, on_report: Callable[[Report, list[Chunk]], None] | None,
             previous: _Previous | None = None) -> Callable[[Report, list[Chunk]], None]:
    """An ``on_report`` that queues a report's chunk and sentence texts for embedding as soon as it is
    read; a changed report's texts that its previous version already had keep their stored vectors,
    and sentences that the live generation stores word for word keep theirs."""
    def fed(report: Report, chunks: list[Chunk]) -> None:
        entry = previous.reports.get(report.meta.source) if previous and previous.folder else None
        if entry is not None:
            background.known(*stored_vectors(previous.folder, entry))
        if previous and previous.folder and previous.reports and previous.manifest:
            texts, rows = indexed_sentence_vectors(previous.folder, previous.manifest["segments"], chunks)
            background.known(texts, rows, sentence_rows=True)
        background.submit([c.embed_text for c in chunks] + [text for c in chunks for _s, _e, text in sentence_units(c)])
        if on_report:
            on_report(report, chunks)
    return fed


__all__ = ["BuildResult", "FileOutcome", "ProgressFn", "build_index"]
