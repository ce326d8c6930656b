"""From a file on disk to a ``Report`` with sections, metadata and footnotes.

One file at a time: a bad file raises ``IngestError`` for that file only, so a batch can go on
with the rest (see ``read_reports`` and ``ingest_paths``). Each file is read and structured in a
bounded worker process (``ingest.isolation``) under the wall-time and memory limits of
``ReadLimits``, so a hostile file fails alone with a one-line error and never stalls the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ingest import isolation, readers
from ingest.blocks import brief
from ingest.discovery import REPORT_SUFFIXES, Discovery, find_report_files
from ingest.grades import extract_grades
from ingest.limits import LimitExceeded, ReadLimits
from ingest.metadata import classify_theme, document_facts
from ingest.results import IngestResult
from ingest.sections import find_sections
from ingest.types import Chunk, IngestError, RawDocument, Report, ReportMeta, Section

if TYPE_CHECKING:
    from ingest.chunk import ChunkingParams

__all__ = ["REPORT_SUFFIXES", "Discovery", "IngestResult", "build_report", "discover", "ingest_path",
           "ingest_paths", "read_reports", "with_meta"]

_NO_THEME_KINDS = {"front_matter", "contents", "overview", "summary", "introduction", "annex", "data"}


# Reports whose whole subject is one theme: every section of their body takes it.
_REPORT_THEMES = {"custody": "custody", "crime_data_integrity": "crime_recording"}


def _with_themes(sections: tuple[Section, ...], report_type: str = "other") -> tuple[Section, ...]:
    """Each section's theme: the report's own for single-subject reports (custody, crime data
    integrity), else its inspection question's theme, else its own heading and text's."""
    by_question: dict[str, str] = {}
    out: list[Section] = []
    for section in sections:
        if report_type in _REPORT_THEMES and section.kind not in {"front_matter", "contents"}:
            theme = _REPORT_THEMES[report_type]
        elif section.question:
            theme = by_question.setdefault(section.question, classify_theme(section.question))
            if theme == "general" and section.kind != "question":
                theme = classify_theme(section.heading, section.text)
        elif section.kind in _NO_THEME_KINDS:
            theme = "general"
        else:
            theme = classify_theme(section.heading, section.text)
        out.append(replace(section, theme=theme))
    return tuple(out)


def build_report(raw: RawDocument) -> Report:
    """Sections, footnotes and metadata for a document that has been read."""
    found = find_sections(raw)
    if not found.text.strip():
        raise IngestError(raw.source, "no text found: check that the file is an inspection report")
    facts = document_facts(found.text, found.sections)
    sections = _with_themes(found.sections, facts.report_type)
    meta = ReportMeta(
        source=raw.source, title=facts.title, force=facts.force, year=facts.year, published=facts.published,
        report_type=facts.report_type, content_hash=raw.content_hash, format=raw.format, year_to=facts.year_to,
        about_type=facts.about_type,
    )
    report = Report(meta=meta, text=found.text, sections=sections, footnotes=found.footnotes, pages=found.pages,
                    warnings=raw.warnings + facts.warnings)
    return replace(report, grades=extract_grades(report))


def with_meta(report: Report, meta: ReportMeta) -> Report:
    """``report`` with corrected metadata (``ingest.overrides.correct_meta``), and what was derived
    from the metadata derived again: the section themes of a single-subject report (custody, crime data
    integrity) when the type changed, and the grades (their force, period, scale and pillar) when the
    force, period or type changed. Runs in the caller's process on a report already read within limits."""
    old = report.meta
    if meta == old:
        return report
    report = replace(report, meta=meta)
    if meta.report_type != old.report_type:
        report = replace(report, sections=_with_themes(report.sections, meta.report_type))
    if (meta.force, meta.year, meta.year_to, meta.report_type) != (old.force, old.year, old.year_to, old.report_type):
        report = replace(report, grades=extract_grades(report))
    return report


@dataclass(frozen=True)
class _Outcome:
    """What the worker sends back for one file (as JSON: see ``ingest.transport``)."""

    report: Report | None
    chunks: tuple[Chunk, ...] | None
    error: tuple[str, str, str | None] | None  # (source, reason, setting of the limit breached)


def _read_one(path: str, limits: ReadLimits, chunking: ChunkingParams | None) -> _Outcome:
    """Read, structure and optionally chunk one file. Runs in the worker process; never raises
    except MemoryError, which the worker reports as the memory limit."""
    try:
        raw = readers.read_document(path, limits=limits)
        report = _structure(raw)
        return _Outcome(report, _chunk(report, chunking) if chunking else None, None)
    except IngestError as exc:
        return _Outcome(None, None, (exc.source, exc.reason, getattr(exc, "setting", None)))


def _structure(raw: RawDocument) -> Report:
    try:
        return build_report(raw)
    except (IngestError, MemoryError):
        raise
    except Exception as exc:  # a structuring bug must not take the whole batch down
        raise IngestError(raw.source, f"could not be structured ({brief(exc)}); please report this file") from exc


def _chunk(report: Report, chunking: ChunkingParams) -> tuple[Chunk, ...]:
    from ingest.chunk import chunk_report

    try:
        return tuple(chunk_report(report, chunking))
    except MemoryError:
        raise
    except Exception as exc:
        raise IngestError(report.meta.source, f"could not be cut into chunks ({brief(exc)}); please report this "
                                              "file") from exc


def _read_bounded(path: Path, limits: ReadLimits, chunking: ChunkingParams | None,
                  isolate: bool) -> tuple[Report, tuple[Chunk, ...] | None]:
    """One file's report (and chunks), read in the shared bounded worker unless ``isolate`` is False.

    Raises:
        IngestError: the file cannot be read as a report, or went over a limit (``LimitExceeded``).
    """
    source = path.name or str(path)
    if not isolate:
        outcome = _read_one(str(path), limits, chunking)
    else:
        try:
            outcome = isolation.run_bounded(_read_one, str(path), limits, chunking, seconds=limits.file_seconds,
                                            memory_bytes=limits.file_memory_bytes, returns=_Outcome)
        except isolation.CallTimedOut:
            raise limits.exceeded(source, "file_seconds", "reading it did not finish in time and was stopped",
                                  "check it is a real report (split it if it is very long)") from None
        except isolation.CallOutOfMemory as exc:
            raise limits.exceeded(source, "file_memory_bytes", f"reading it ran out of memory ({exc})",
                                  "re-export or split the file") from None
        except isolation.WorkerDied as exc:
            raise IngestError(source, f"the reading process crashed on this file ({exc}): re-export it (e.g. print "
                                      "it to a new PDF); if it is very large, split it or raise "
                                      "INSPECTQA_FILE_MEMORY_MB") from None
        except isolation.CallFailed as exc:
            raise IngestError(source, f"could not be read ({exc}): please report this file") from None
        except isolation.WorkerStartFailed as exc:
            raise IngestError(source, f"could not start a process to read it ({exc}): free some memory or "
                                      "processes and try again") from None
    if outcome.error:
        error_source, reason, setting = outcome.error
        raise LimitExceeded(error_source, reason, setting) if setting else IngestError(error_source, reason)
    assert outcome.report is not None
    return outcome.report, outcome.chunks


def ingest_path(path: str | Path, *, limits: ReadLimits | None = None, isolate: bool = True) -> Report:
    """Read and structure one report file, within ``limits``.

    Args:
        path: the file to read.
        limits: what reading may cost (default :meth:`ReadLimits.from_env`).
        isolate: read it in a bounded worker process (the default); False reads it in this
            process, without the time and memory limits (for tests and debugging).

    Raises:
        IngestError: the file cannot be read as a report; the message says what to do.
    """
    limits = ReadLimits.from_env() if limits is None else limits
    return _read_bounded(Path(path), limits, None, isolate)[0]


def discover(paths: Iterable[str | Path]) -> Discovery:
    """Report files under ``paths`` (folders recursively, by suffix), the paths that cannot be used
    (missing, unreadable folders and files, looping links, pipes and devices) and what was skipped
    (hidden files and folders, links to folders). Unpacks as ``files, errors``."""
    return find_report_files(paths)


def read_reports(paths: Iterable[str | Path], limits: ReadLimits | None = None, *,
                 chunking: ChunkingParams | None = None, isolate: bool = True) -> Iterator[IngestResult]:
    """Read every report under ``paths`` in bounded workers, one result per path; never raises for a
    bad file.

    Yields the paths that cannot be used and those skipped on purpose first (``status`` "error" or
    "skipped"), then one result per file in order: "read" with the report (and its chunks when
    ``chunking`` is given, cut in the worker too), or "error" with a one-line message; ``limit``
    names the setting of a limit the file went over.

    Raises:
        LimitSettingError: a limit's environment variable is not a positive number (``limits`` None).
    """
    limits = ReadLimits.from_env() if limits is None else limits
    found = discover(paths)
    yield from found.errors
    yield from found.skipped
    for file in found.files:
        try:
            report, chunks = _read_bounded(file, limits, chunking, isolate)
        except IngestError as exc:
            yield IngestResult(str(file), error=str(exc), status="error", limit=getattr(exc, "setting", None))
        else:
            yield IngestResult(str(file), report=report, status="read", chunks=chunks)


def ingest_paths(paths: Iterable[str | Path], *, limits: ReadLimits | None = None,
                 isolate: bool = True) -> Iterator[IngestResult]:
    """Ingest every report under ``paths``, yielding one result per file or unusable path; never
    stops early. Like :func:`read_reports` without the skipped paths."""
    return (result for result in read_reports(paths, limits, isolate=isolate) if result.status != "skipped")
