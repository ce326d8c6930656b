"""What a build does with each report: check the paths it was given, hash every file, and decide
which reports are kept as they are, read anew, or removed.

Reports are never lost by mistake. A path that does not exist, cannot be listed or holds no report
file is a usage error (``IndexInputError``) before anything is read. A report leaves the index only
when the build is told to prune (``prune``), when it is removed by name (``search.index.build.
remove_reports``), or when its file is gone from a folder given to this build that still exists. A
build that would remove more than half of the indexed reports needs ``prune`` (``PruneRequiredError``).
Files are hashed only after their type is checked (a FIFO or device never blocks the build), and new
or changed files are read in the bounded worker processes of ``ingest.pipeline.read_reports``.
"""

from __future__ import annotations

import errno
import itertools
import logging
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.chunk import ChunkingParams
from ingest.files import display_name, file_sha256
from ingest.limits import ReadLimits
from ingest.pipeline import IngestResult, discover, read_reports
from ingest.types import Chunk, IngestError, Report
from search.errors import IndexInputError, PruneRequiredError
from search.index.corrections import MetaCorrections

logger = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class FileOutcome:
    """What a build did with one input file (or one report it kept, removed or skipped)."""

    path: str
    source: str
    status: str = field(metadata={"doc": "added | updated | unchanged | error | kept | removed | skipped"})
    error: str | None = None
    chunks: int = 0


@dataclass
class Plan:
    """The reports of the next generation: those kept from the live one and those read anew."""

    files: list[FileOutcome] = field(default_factory=list)
    reuse: list[str] = field(default_factory=list)  # sources whose rows stay as they are
    new_reports: list[tuple[Report, str]] = field(default_factory=list)  # (report, its absolute path)
    chunks: dict[str, list[Chunk]] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    skipped: list[FileOutcome] = field(default_factory=list)  # hidden files and folders, links to folders
    meta_keys: dict[str, str] = field(default_factory=dict)  # source -> key of the corrections applied

    @property
    def report_count(self) -> int:
        return len(self.reuse) + len(self.new_reports)


@dataclass(frozen=True)
class Mode:
    """How reports not found under the given paths are treated."""

    keep_all: bool = False  # --add: keep every indexed report not under the paths, even if its file is gone
    prune: bool = False  # --prune: the index holds exactly the reports under the paths
    reread_all: bool = False  # --rebuild: nothing is reused; kept reports are read again from their files
    drop: frozenset[str] = frozenset()  # reports removed by name (the report manager's remove)


def _absolute(path: str | Path) -> Path:
    return Path(os.path.abspath(path))


def check_paths(paths: Sequence[str | Path]) -> list[tuple[Path, list[Path]]]:
    """Each given path with the report files found under it.

    Raises:
        IndexInputError: no path given, or a path that is empty text, does not exist, cannot be
            listed, is an empty file or a folder without report files (nothing is read or published).
    """
    if not paths:
        raise IndexInputError("no report path given: pass the report files or folders to index, e.g. "
                              "`inspectqa index reports/`")
    problems: list[str] = []
    found: list[tuple[Path, list[Path]]] = []
    for entry in paths:
        if not str(entry).strip():
            problems.append("an empty path ('')")
            continue
        path = Path(entry)
        shown = display_name(path)
        try:
            info = os.stat(path)
        except OSError as exc:
            problems.append(f"{shown} does not exist" if exc.errno in (errno.ENOENT, errno.ENOTDIR)
                            else f"{shown} cannot be reached ({display_name(exc.strerror or exc)})")
            continue
        discovery = discover([path])
        if os.path.isdir(path):
            own = [e for e in discovery.errors if Path(e.path) == path]
            if own and not discovery.files:
                problems.append(f"{shown} cannot be listed ({own[0].error})")
            elif not discovery.files and not discovery.errors:
                problems.append(f"{shown} holds no report files (.pdf, .html, .docx, .txt, .md)")
        elif stat.S_ISREG(info.st_mode) and info.st_size == 0:
            problems.append(f"{shown} is empty")
        found.append((path, discovery.files))
    if problems:
        raise IndexInputError(f"nothing was indexed: {'; '.join(problems)}. Check the path"
                              f"{'s' if len(problems) > 1 else ''} and run the command again (the index is "
                              "unchanged)")
    return found


def file_is_gone(path: str | Path) -> bool:
    """Whether ``path`` certainly no longer exists (not merely unreadable)."""
    try:
        os.lstat(path)
    except OSError as exc:
        return exc.errno in (errno.ENOENT, errno.ENOTDIR)
    return False


def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def plan_build(paths: Sequence[str | Path], known: dict[str, dict[str, Any]], mode: Mode, params: ChunkingParams,
               *, limits: ReadLimits | None = None, progress: ProgressFn | None = None,
               on_report: Callable[[Report, list[Chunk]], None] | None = None,
               checked: list[tuple[Path, list[Path]]] | None = None,
               corrections: MetaCorrections | None = None) -> Plan:
    """Decide what happens to each report, then read the new and changed files.

    Args:
        paths: the files and folders given to the build.
        known: the live manifest's reports (source -> content hash, path, chunks, ...); empty for a new index.
        mode: how reports not under ``paths`` are treated.
        checked: what ``check_paths(paths)`` returned, when the caller checked them already.
        corrections: the metadata corrections to apply (a report whose corrections changed is read again).

    Raises:
        IndexInputError: a path cannot be used (see ``check_paths``).
        PruneRequiredError: more than half of the known reports would be removed without ``mode.prune``.
    """
    checked = check_paths(paths) if checked is None else checked
    plan = Plan()
    discovery = discover([p for p, _files in checked])
    plan.skipped = [FileOutcome(r.path, Path(r.path).name, "skipped", r.error) for r in discovery.skipped]
    plan.files.extend(FileOutcome(r.path, Path(r.path).name, "error", r.error) for r in discovery.errors)
    to_read: list[tuple[Path, str, str]] = []  # (file, source, status if read)
    seen: dict[str, str] = {}
    failed: set[str] = set()
    for n, file in enumerate(discovery.files):
        if progress:
            progress("check", n + 1, len(discovery.files))
        source = file.name
        try:
            digest = file_sha256(file)  # checks the type first: a FIFO or device is an error, never a hang
        except IngestError as exc:
            plan.files.append(FileOutcome(str(file), source, "error", str(exc)))
            failed.add(source)
            continue
        if source in seen:
            if seen[source] != digest:
                plan.files.append(FileOutcome(str(file), source, "error", f"{display_name(file)}: another file "
                                              f"named {display_name(source)} is already in this index: rename one "
                                              "of them"))
            continue
        seen[source] = digest
        old = known.get(source)
        meta_key = plan.meta_keys[source] = corrections.key(file) if corrections else ""
        if old and old.get("content_hash") == digest and old.get("meta_key", "") == meta_key and not mode.reread_all:
            plan.reuse.append(source)
            plan.files.append(FileOutcome(str(file), source, "unchanged", chunks=int(old.get("chunks") or 0)))
        else:
            to_read.append((file, source, "updated" if old and not mode.reread_all else "added"))
    _keep_or_remove(plan, checked, known, seen, failed, mode, to_read)
    unasked = [s for s in plan.removed if s not in mode.drop]  # removals nobody named
    if unasked and not mode.prune and len(unasked) * 2 > len(known):
        names = ", ".join(display_name(s) for s in unasked[:3]) + (" ..." if len(unasked) > 3 else "")
        raise PruneRequiredError(
            f"this would remove {len(unasked)} of the {len(known)} indexed reports ({names}) because their "
            "files are gone: if that is what you want, run the command again with --prune; to add reports "
            "without removing any, use --add (the index is unchanged)")
    for file, source, _status in to_read:  # kept reports read again on a rebuild
        plan.meta_keys.setdefault(source, corrections.key(file) if corrections else "")
    _read(plan, to_read, known, mode, params, limits, progress, on_report, corrections)
    return plan


def _keep_or_remove(plan: Plan, checked: list[tuple[Path, list[Path]]], known: dict[str, dict[str, Any]],
                    seen: dict[str, str], failed: set[str], mode: Mode,
                    to_read: list[tuple[Path, str, str]]) -> None:
    """Known reports not found under the paths: kept, read again (rebuild) or removed."""
    folders = [_absolute(p) for p, _files in checked if os.path.isdir(p)]
    for source, old in known.items():
        if source in seen:
            continue
        if source in mode.drop:
            plan.removed.append(source)
            continue
        recorded = str(old.get("path") or "")
        gone_from_folder = bool(recorded) and file_is_gone(recorded) and any(
            _under(_absolute(recorded), folder) for folder in folders)
        if source in failed and not gone_from_folder:  # found but unreadable now: keep the indexed version
            if not mode.reread_all:
                plan.reuse.append(source)
                plan.meta_keys[source] = old.get("meta_key", "")
            continue
        if mode.prune or (gone_from_folder and not mode.keep_all):
            plan.removed.append(source)
        elif mode.reread_all:
            if recorded and not file_is_gone(recorded):
                to_read.append((Path(recorded), source, "added"))
            else:
                plan.removed.append(source)
        else:
            plan.reuse.append(source)
            plan.meta_keys[source] = old.get("meta_key", "")
            plan.files.append(FileOutcome(recorded, source, "kept", chunks=int(old.get("chunks") or 0)))
    plan.removed.sort()


def _read(plan: Plan, to_read: list[tuple[Path, str, str]], known: dict[str, dict[str, Any]], mode: Mode,
          params: ChunkingParams, limits: ReadLimits | None, progress: ProgressFn | None,
          on_report: Callable[[Report, list[Chunk]], None] | None, corrections: MetaCorrections | None) -> None:
    """Read and chunk the new and changed files in the bounded workers. A report with metadata
    corrections is chunked here after they are applied (its chunks carry the corrected metadata)."""
    if not to_read:
        return
    by_path = {str(file): (source, status) for file, source, status in to_read}
    corrected = [f for f, source, _ in to_read if plan.meta_keys.get(source)] if corrections else []
    plain = [f for f, _source, _ in to_read if f not in corrected]
    streams: list[Iterable[tuple[IngestResult, bool]]] = []
    if plain:
        streams.append((r, True) for r in read_reports(plain, limits, chunking=params))
    if corrected:
        streams.append((r, False) for r in read_reports(corrected, limits))
    done = 0
    for result, chunked in itertools.chain(*streams):
        if result.status == "skipped":
            continue
        source, status = by_path.get(result.path, (Path(result.path).name, "added"))
        done += 1
        if progress:
            progress("read", done, len(to_read))
        error = result.error
        report, chunks = result.report, list(result.chunks or ())
        if report is not None and not chunked:
            try:
                report = corrections.apply(report, result.path) if corrections else report
                chunks = chunk_checked(report, params)
            except IngestError as exc:
                report, error = None, str(exc)
        if report is None:
            if source in known and not mode.reread_all:  # keep the version indexed before rather than lose it
                plan.reuse.append(source)
                plan.meta_keys[source] = known[source].get("meta_key", "")
            plan.files.append(FileOutcome(result.path, source, "error", error))
            continue
        path = str(_absolute(result.path))
        plan.chunks[report.meta.source] = chunks
        plan.new_reports.append((report, path))
        plan.files.append(FileOutcome(path, report.meta.source, status, chunks=len(chunks)))
        if on_report:
            on_report(report, chunks)


def chunk_checked(report: Report, params: ChunkingParams) -> list[Chunk]:
    """A report's chunks; a chunking failure is that file's IngestError, so the build goes on."""
    from ingest.chunk import chunk_report

    try:
        return chunk_report(report, params)
    except Exception as exc:  # a chunker bug must not stop the other reports from being indexed
        logger.exception("chunking %s failed", report.meta.source)
        raise IngestError(report.meta.source, f"could not be cut into chunks ({type(exc).__name__}: {exc}); "
                                              "please report this file") from exc


__all__ = ["FileOutcome", "Mode", "Plan", "ProgressFn", "check_paths", "chunk_checked", "file_is_gone",
           "plan_build"]
