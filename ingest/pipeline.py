"""From a file on disk to a ``Report`` with sections, metadata and footnotes.

One file at a time: a bad file raises ``IngestError`` for that file only, so a batch can go on
with the rest (see ``ingest_paths``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from ingest import readers
from ingest.grades import extract_grades
from ingest.metadata import classify_theme, document_facts
from ingest.sections import find_sections
from ingest.types import IngestError, RawDocument, Report, ReportMeta, Section

REPORT_SUFFIXES = {".pdf", ".html", ".htm", ".txt", ".text", ".md", ".docx"}
"""File name endings picked up when a folder is ingested (single files of any name are read)."""

_NO_THEME_KINDS = {"front_matter", "contents", "overview", "summary", "introduction", "annex", "data"}


@dataclass(frozen=True)
class IngestResult:
    """The outcome for one file: a report, or the error that stopped it."""

    path: str
    report: Report | None = None
    error: str | None = None


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


def ingest_path(path: str | Path) -> Report:
    """Read and structure one report file.

    Raises:
        IngestError: the file cannot be read as a report; the message says what to do.
    """
    raw = readers.read_document(path)
    try:
        return build_report(raw)
    except IngestError:
        raise
    except Exception as exc:  # a structuring bug must not take the whole batch down
        raise IngestError(raw.source, f"could not be structured ({type(exc).__name__}: {exc}); "
                                      "please report this file") from exc


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[IngestResult]]:
    """Files to ingest under ``paths`` (folders recursively, by suffix), and errors for paths
    that do not exist."""
    files: list[Path] = []
    missing: list[IngestResult] = []
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                files.extend(Path(root) / n for n in sorted(names)
                             if Path(n).suffix.lower() in REPORT_SUFFIXES and not n.startswith("."))
        elif path.exists():
            files.append(path)
        else:
            missing.append(IngestResult(str(path), error=f"{path}: no such file or folder: check the path"))
    return files, missing


def ingest_paths(paths: Iterable[str | Path]) -> Iterator[IngestResult]:
    """Ingest every report under ``paths``, yielding one result per file; never stops early."""
    files, missing = discover(paths)
    yield from missing
    for file in files:
        try:
            yield IngestResult(str(file), report=ingest_path(file))
        except IngestError as exc:
            yield IngestResult(str(file), error=str(exc))
