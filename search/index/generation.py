"""Writing one generation from the live one: which segments it lists, the new segment, merges,
hard links to the segments it keeps, trails, checksums and the manifest.

A generation lists segments (docs/index.md). A build lists again every segment of the live
generation that still holds a live report (its folder hard-linked, its checksums copied from the
live manifest, never re-hashed: they were verified before reuse), writes one new segment for the
reports it read, and merges segments when there are too many (``search.index.segment.choose_merge``).
A report's rows are those its manifest entry names; the rows of a segment no live report names
are its tombstones (removed and changed reports), so the deleted-rows bitmap of each segment is
derived from the manifest and cannot disagree with it. Trails are recomputed for the forces whose
reports changed; the other forces' trail files are linked.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ingest.chunk import ChunkingParams
from ingest.types import Chunk, Report
from search.config import Settings
from search.embed import Embedder
from search.findings.storage import made_with, write_trails
from search.index import integrity
from search.index.dense import RowFile
from search.index.expansion import QueryExpander, SegmentVocabulary
from search.index.layout import CHUNKS_DB, SENTENCES, TRAILS, make_manifest, new_segment_name
from search.index.segment import (
    ProgressFn,
    choose_merge,
    link_file,
    link_segment,
    merge_segments,
    write_segment,
)
from search.index.segments import SegmentedReports, SegmentedRows, unopened

logger = logging.getLogger(__name__)


@dataclass
class NewRows:
    """The chunks of new reports, their sentences and the vectors of both."""

    chunks: list[Chunk]
    counts: dict[str, int]
    sentences: list[tuple[int, int, int]]  # (index in chunks, start, end)
    vectors: np.ndarray
    sentence_vectors: np.ndarray


@dataclass
class Outcome:
    """What writing a generation did beyond its manifest."""

    embedded_findings: int = 0
    merged: list[str] = field(default_factory=list)  # segments merged into a new one
    seconds: dict[str, float] = field(default_factory=dict)


def live_rows(manifest: dict[str, Any], segment: dict[str, Any]) -> np.ndarray:
    """Which rows of ``segment`` are live in the generation of ``manifest`` (rows that no report
    listed there names are tombstones)."""
    live = np.zeros(int(segment["rows"]), dtype=bool)
    for info in manifest["reports"].values():
        if info["segment"] == segment["name"]:
            live[info["rows"][0]:info["rows"][1]] = True
    return live


def sources_by_segment(manifest: dict[str, Any]) -> dict[str, list[str]]:
    """segment name -> its live reports, in row order."""
    out: dict[str, list[str]] = {s["name"]: [] for s in manifest["segments"]}
    for source, info in sorted(manifest["reports"].items(), key=lambda item: item[1]["rows"][0]):
        out[info["segment"]].append(source)
    return out


def _known_words(folder: Path | None, manifest: dict[str, Any] | None) -> QueryExpander | None:
    """Every word (with its vector) the live generation's segments hold, so new reports' words
    that are already known are not encoded again."""
    if folder is None or manifest is None:
        return None
    words: list[str] = []
    vectors: list[np.ndarray] = []
    for entry in manifest["segments"]:
        vocab = SegmentVocabulary.load(folder / entry["name"])
        words += vocab.words
        vectors.append(np.asarray(vocab.vectors))
    return QueryExpander(words, np.vstack(vectors)) if vectors else None


def write_generation(staged: Path, generation: str, new_reports: Sequence[tuple[Report, str]], reuse: Sequence[str],
                     meta_keys: dict[str, str], rows: NewRows, previous: dict[str, Any] | None,
                     previous_folder: Path | None, embedder: Embedder, params: ChunkingParams, index_type: str,
                     settings: Settings, inputs: Sequence[str | Path], *, optimize: bool, findings_current: bool,
                     rewrite: set[str], progress: ProgressFn | None, started: float, outcome: Outcome
                     ) -> dict[str, Any]:
    """Write the new generation into ``staged`` (an empty folder); return its manifest.

    Args:
        previous: the live manifest whose segments may be reused (None: everything is new).
        reuse: reports of ``previous`` that stay as they are.
        findings_current: the live findings were made by this extractor, encoder and trail settings.
        rewrite: segments of ``previous`` whose findings are extracted again (merged with fresh findings).
    """
    clock = time.monotonic()
    old_reports = previous["reports"] if previous else {}
    keep = set(reuse)
    segments: list[dict[str, Any]] = []
    reports: dict[str, dict[str, Any]] = {}
    where: dict[str, Path] = {}  # segment name -> the folder its files are read from now
    by_segment = sources_by_segment(previous) if previous else {}
    for entry in previous["segments"] if previous else []:
        kept = [s for s in by_segment[entry["name"]] if s in keep]
        if not kept:
            continue  # nothing live: the segment is left out
        live = sum(old_reports[s]["rows"][1] - old_reports[s]["rows"][0] for s in kept)
        segments.append({**entry, "deleted": entry["rows"] - live})
        where[entry["name"]] = Path(previous_folder) / entry["name"]  # type: ignore[arg-type]
        reports.update({s: dict(old_reports[s]) for s in kept})
    if new_reports:
        name = new_segment_name()
        written = write_segment(staged / name, new_reports, rows.chunks, rows.counts, rows.sentences, rows.vectors,
                                rows.sentence_vectors, index_type, embedder,
                                _known_words(previous_folder, previous), progress)
        outcome.embedded_findings = written.encoded_findings
        segments.append({"name": name, "rows": written.rows, "sentences": written.sentences, "deleted": 0})
        where[name] = staged / name
        metadata = unopened(staged / name / CHUNKS_DB).manifest_reports()
        for source, spans in written.reports.items():
            reports[source] = {**metadata[source], **spans, "segment": name}
    outcome.seconds["new segment"] = time.monotonic() - clock
    clock = time.monotonic()
    index = settings.index
    chosen = choose_merge(segments, max_segments=index.max_segments, merge_rows=index.merge_rows, optimize=optimize)
    rewrite = {s["name"] for s in segments} & rewrite
    chosen = [s["name"] for s in segments if s["name"] in set(chosen) | rewrite]
    if chosen:
        current = _sources(reports)
        name = new_segment_name()
        if progress:
            progress("merge", 0, 1)
        written = merge_segments(staged / name, [(where[s], current[s]) for s in chosen], index_type, embedder,
                                 extract_findings=bool(rewrite), progress=progress)
        outcome.embedded_findings += written.encoded_findings
        if progress:
            progress("merge", 1, 1)
        segments = [s for s in segments if s["name"] not in chosen]
        segments.append({"name": name, "rows": written.rows, "sentences": written.sentences, "deleted": 0})
        for source, spans in written.reports.items():
            reports[source] = {**reports[source], **spans, "segment": name}
        for merged in chosen:
            if where[merged].parent == staged:
                shutil.rmtree(where[merged])
        where[name] = staged / name
        outcome.merged = chosen
    outcome.seconds["merge"] = time.monotonic() - clock
    clock = time.monotonic()
    files: dict[str, dict[str, Any]] = {}
    old_files = previous["files"] if previous else {}
    for entry in segments:
        name = entry["name"]
        if where[name].parent == staged:
            files.update({f"{name}/{k}": v for k, v in integrity.record(staged / name).items()})
        else:
            link_segment(where[name], staged / name)
            files.update({k: v for k, v in old_files.items() if k.startswith(f"{name}/")})
    outcome.seconds["link"] = time.monotonic() - clock
    clock = time.monotonic()
    for source, key in meta_keys.items():
        if source in reports:
            if key:
                reports[source]["meta_key"] = key
            else:
                reports[source].pop("meta_key", None)
    trails = _trails(staged, segments, reports, previous, previous_folder, keep, new_reports, settings,
                     findings_current, files, old_files)
    outcome.seconds["trails"] = time.monotonic() - clock
    live_chunks = sum(s["rows"] - s["deleted"] for s in segments)
    counts = {"chunks": live_chunks, "sentences": sum(r["sentences"][1] - r["sentences"][0] for r in reports.values()),
              "findings": sum(int(r.get("findings") or 0) for r in reports.values()),
              "rows": sum(s["rows"] for s in segments), "segments": len(segments)}
    return make_manifest(generation=generation, embedder=embedder, params=params, index_type=index_type,
                         reports=reports, counts=counts, inputs=inputs, seconds=time.monotonic() - started, files=files,
                         segments=segments, trails=trails, findings=made_with(embedder, settings.trails))


def _sources(reports: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for source, info in sorted(reports.items(), key=lambda item: item[1]["rows"][0]):
        out.setdefault(info["segment"], []).append(source)
    return out


def _trails(staged: Path, segments: list[dict[str, Any]], reports: dict[str, dict[str, Any]],
            previous: dict[str, Any] | None, previous_folder: Path | None, keep: set[str],
            new_reports: Sequence[tuple[Report, str]], settings: Settings, findings_current: bool,
            files: dict[str, dict[str, Any]], old_files: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """The trail files of the new generation: recomputed for forces whose reports changed (all of
    them when the findings were made otherwise), linked for the others."""
    forces = {info.get("force") for info in reports.values() if info.get("force")}
    old_trails = previous["trails"] if previous and findings_current else {}
    old_reports = previous["reports"] if previous else {}
    affected = {r.meta.force for r, _ in new_reports} | {
        info.get("force") for source, info in old_reports.items() if source not in keep}
    redo = {f for f in forces if f in affected or f not in old_trails}
    by_segment = _sources(reports)
    parts = [(staged / s["name"], by_segment.get(s["name"], [])) for s in segments]
    view = SegmentedReports([unopened(folder / CHUNKS_DB, s["rows"]) for (folder, _), s in
                             zip(parts, segments, strict=True)], [set(names) for _, names in parts],
                            [s["sentences"] for s in segments])
    sentence_rows = SegmentedRows([RowFile(folder / SENTENCES) for folder, _ in parts])
    trails = write_trails(view, parts, redo, sentence_rows, settings.trails, staged / TRAILS) if redo else {}
    files.update({name: v for name, v in integrity.record(staged, [t["file"] for t in trails.values()]).items()})
    for force in sorted(forces - redo):
        entry = old_trails[force]
        link_file(Path(previous_folder) / entry["file"], staged / entry["file"])  # type: ignore[arg-type]
        files[entry["file"]] = old_files[entry["file"]]
        trails[force] = dict(entry)
    return dict(sorted(trails.items()))


__all__ = ["NewRows", "Outcome", "live_rows", "sources_by_segment", "write_generation"]
