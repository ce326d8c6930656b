"""The report manager's library: what ingest detects in a file before it is added, correcting a
report's metadata, removing reports, and finding duplicates. The app's Reports and Add reports pages
and the command line call these; they return data and raise named errors.

A correction is kept with the index (``corrections.json``, ``search.index.corrections``), so every
later build applies it, and only the corrected report is read and embedded again: the others are
copied from the live generation as they are.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ingest.chunk import ChunkingParams
from ingest.overrides import MetaTable, OverrideError
from ingest.pipeline import ingest_path
from ingest.types import Report
from search.embed import Embedder
from search.errors import IndexError_, IndexIncompatibleError, ReportNotFoundError
from search.findings.extract import extract_findings
from search.index.build import BuildResult, build_index
from search.index.corrections import MetaCorrections, forget, store_correction
from search.index.layout import check_compatible, read_manifest
from search.types import Citation

__all__ = ["Correction", "Detected", "DuplicateGroup", "correct_report", "detected", "duplicates", "remove_reports"]


# ---------------------------------------------------------------- what ingest detects


class Upload(Protocol):
    """A file handed over in memory (Streamlit's UploadedFile): its name and its bytes."""

    name: str

    def getvalue(self) -> bytes: ...


@dataclass(frozen=True)
class Detected:
    """What ingest read from one file, as the index would record it (before the user corrects it)."""

    source: str
    title: str
    force: str | None
    year: int | None
    year_to: int | None
    period: str = field(metadata={"doc": "as reports write it: '2016', '2021/22', '2023–25' ('' when unknown)"})
    report_type: str
    published: str | None
    url: str | None
    sections: int
    grades: int = field(metadata={"doc": "graded judgments stated (areas graded, not 'not yet graded')"})
    findings: int = field(metadata={"doc": "areas for improvement, recommendations, causes of concern"})
    warnings: tuple[str, ...] = ()
    grade_list: tuple[tuple[str, str | None, str], ...] = field(
        default=(), metadata={"doc": "(area, grade or None, period) of each grade statement"})

    def to_dict(self) -> dict[str, Any]:
        return {name: list(value) if isinstance(value, tuple) else value for name, value in self.__dict__.items()}


class _PreviewCorpus:
    """What finding extraction needs of a corpus, for one report that has no index yet: citations
    without chunks (the section's own page)."""

    def citation(self, report: dict[str, Any], section: dict[str, Any], start: int, end: int) -> Citation:
        return Citation(quote=section["text"][start:end], source=report["source"], title=report["title"],
                        force=report["force"], year=report["year"], report_type=report["report_type"],
                        section=section["heading"], section_id=section["section_id"], page=section["page"],
                        start=start, end=end, year_to=report.get("year_to"), url=report.get("url"))


def _count_findings(report: Report) -> int:
    meta = report.meta
    record = {"source": meta.source, "title": meta.title, "force": meta.force, "year": meta.year,
              "year_to": meta.year_to, "report_type": meta.report_type, "url": meta.url}
    sections = [{"section_id": s.section_id, "heading": s.heading, "path": list(s.path), "kind": s.kind, "text": s.text,
                 "question": s.question, "theme": s.theme, "page": s.page, "ordinal": n}
                for n, s in enumerate(report.sections)]
    findings, _links = extract_findings(record, sections, _PreviewCorpus())  # type: ignore[arg-type]
    return len(findings)


def _read(item: str | Path | Upload | tuple[str, bytes], folder: Path) -> Path:
    """The path of ``item``: as given, or an upload written under its own name in ``folder``."""
    if isinstance(item, str | Path):
        return Path(item)
    name, data = item if isinstance(item, tuple) else (item.name, item.getvalue())
    safe = re.sub(r"[^\w.() -]+", "_", Path(str(name)).name).strip(". ") or "upload"
    path = folder / safe
    path.write_bytes(data)
    return path


def detected(item: str | Path | Upload | tuple[str, bytes], *, index_dir: str | Path | None = None,
             url: str | None = None, table: MetaTable | None = None) -> Detected:
    """What ingest detects in a file or an upload, read in the bounded worker: force, period, type,
    title, published date, URL, and how many sections, grades and findings it holds.

    Args:
        item: a path, an upload (an object with ``name`` and ``getvalue()``) or ``(name, bytes)``.
        index_dir: apply the corrections the index would (its records, a sidecar beside a path).
        url: where the file came from, to fill what its text leaves empty.
        table: a ``--meta`` table to apply too.

    Raises:
        IngestError: the file cannot be read as a report (one line saying what to do).
    """
    from ingest.overrides import correct_meta
    from ingest.pipeline import with_meta
    from ingest.urlmeta import hint_from_url

    with tempfile.TemporaryDirectory(prefix="inspectqa-upload-") as tmp:
        path = _read(item, Path(tmp))
        report = ingest_path(path)
        if index_dir is not None:
            report = MetaCorrections(index_dir, table).apply(report, path)
        elif url or table:
            meta = correct_meta(report.meta, path, hint=hint_from_url(url) if url else None, table=table)
            report = with_meta(report, meta)
    meta = report.meta
    graded = [g for g in report.grades if g.grade]
    return Detected(
        source=meta.source, title=meta.title, force=meta.force, year=meta.year, year_to=meta.year_to,
        period=meta.period, report_type=meta.report_type, published=meta.published, url=meta.url,
        sections=len(report.sections), grades=len(graded), findings=_count_findings(report),
        warnings=tuple(report.warnings),
        grade_list=tuple((g.area, g.grade, _period(g.year_from, g.year_to)) for g in report.grades))


def _period(year_from: int | None, year_to: int | None) -> str:
    from ingest.dates import format_period

    return format_period(year_from, year_to)


# ---------------------------------------------------------------- changing the index


def _live(index_dir: Path, embedder: Embedder) -> tuple[dict[str, Any], ChunkingParams]:
    """The live manifest and its chunking, refusing an index this encoder cannot update in place
    (a rebuild from only some of its reports would lose the others)."""
    manifest = read_manifest(index_dir)
    params = ChunkingParams(**manifest["chunking"])
    try:
        check_compatible(manifest, embedder, params, index_dir)
    except IndexIncompatibleError as exc:
        raise IndexIncompatibleError(f"{exc} (reports can only be corrected or removed in an index this version "
                                     "can read)") from None
    return manifest, params


def _known(manifest: dict[str, Any], sources: Iterable[str], index_dir: Path) -> list[str]:
    sources = list(dict.fromkeys(sources))
    missing = [s for s in sources if s not in manifest["reports"]]
    if missing:
        raise ReportNotFoundError(f"{index_dir} holds no report named {missing[0]!r}: `inspectqa status` lists the "
                                  "reports it holds")
    return sources


def remove_reports(index_dir: str | Path, sources: Iterable[str], *, embedder: Embedder | None = None,
                   wait_seconds: float = 0.0) -> BuildResult:
    """Remove reports (by source name) from the index, with their corrections and downloaded copies.
    Nothing is embedded; the other reports are copied as they are.

    Raises:
        ReportNotFoundError: the index holds no report of one of those names (nothing is removed).
        IndexError_: no index, another build holds it, or it cannot be updated (the message says why).
    """
    from search.embed import default_embedder

    index_dir = Path(index_dir)
    embedder = embedder or default_embedder()
    manifest, params = _live(index_dir, embedder)
    sources = _known(manifest, sources, index_dir)
    result = build_index([], index_dir, embedder=embedder, params=params, index_type=manifest["index_type"],
                         keep_existing=True, drop=sources, wait_seconds=wait_seconds)
    forget(index_dir, sources)
    return result


@dataclass(frozen=True)
class Correction:
    """A correction kept with the index, and the build that applied it."""

    source: str
    fields: dict[str, Any] = field(metadata={"doc": "every field corrected for this report, as given"})
    report: dict[str, Any] = field(metadata={"doc": "the report as the index now records it (manifest entry)"})
    build: BuildResult


def correct_report(index_dir: str | Path, source: str, *, embedder: Embedder | None = None,
                   wait_seconds: float = 0.0, **fields: Any) -> Correction:
    """Correct one report's metadata and index it again; the other reports are copied as they are.

    Args:
        source: the report's name in the index (``inspectqa status``).
        fields: any of force, year (a year or a period such as '2018/19'), report_type, title, url,
            published. A field given as None or '' drops an earlier correction of it.

    Raises:
        ReportNotFoundError: no such report, or the file it was read from is gone.
        OverrideError: an unknown field or a value that cannot be read (nothing is changed).
        IndexError_: no index, another build holds it, or it cannot be updated.
    """
    from search.embed import default_embedder

    index_dir = Path(index_dir)
    embedder = embedder or default_embedder()
    manifest, params = _live(index_dir, embedder)
    _known(manifest, [source], index_dir)
    path = Path(manifest["reports"][source].get("path") or "")
    if not path.name or not path.is_file():
        raise ReportNotFoundError(f"the file {source} was read from ({path}) is no longer there: add the report "
                                  "again, then correct it")
    if not fields:
        raise OverrideError([f"correction of {source}: give at least one field to correct (force, year, "
                             "report_type, title, url, published)"])
    kept = store_correction(index_dir, source, fields)
    result = build_index([path], index_dir, embedder=embedder, params=params, index_type=manifest["index_type"],
                         keep_existing=True, wait_seconds=wait_seconds)
    failed = [f.error for f in result.files if f.source == source and f.status == "error"]
    if failed:
        raise IndexError_(f"{source} was corrected but could not be indexed again ({failed[0]}); the index keeps "
                          "its previous version")
    return Correction(source=source, fields=kept, report=read_manifest(index_dir)["reports"][source], build=result)


# ---------------------------------------------------------------- duplicates


@dataclass(frozen=True)
class DuplicateGroup:
    """Reports that look like one report indexed more than once."""

    reason: str = field(metadata={"doc": "'same content' | 'same force, period and title'"})
    sources: tuple[str, ...]
    title: str


def _title_key(title: str | None) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", (title or "").lower()).split())


def duplicates(index_dir: str | Path) -> list[DuplicateGroup]:
    """Groups of indexed reports with the same content (the same bytes under two names), or the same
    force, period and title (one report saved twice, say as a PDF and as a web page).

    Raises:
        IndexError_: no index, or its manifest is damaged.
    """
    reports: dict[str, dict[str, Any]] = read_manifest(index_dir)["reports"]
    by_hash: dict[str, list[str]] = {}
    by_meta: dict[tuple[Any, ...], list[str]] = {}
    for source, info in sorted(reports.items()):
        if info.get("content_hash"):
            by_hash.setdefault(info["content_hash"], []).append(source)
        if info.get("force") and info.get("year") is not None and _title_key(info.get("title")):
            key = (info["force"], info["year"], info.get("year_to", info["year"]), _title_key(info.get("title")))
            by_meta.setdefault(key, []).append(source)
    groups = [DuplicateGroup("same content", tuple(s), reports[s[0]].get("title") or s[0])
              for s in by_hash.values() if len(s) > 1]
    same_content = {frozenset(g.sources) for g in groups}
    groups += [DuplicateGroup("same force, period and title", tuple(s), reports[s[0]].get("title") or s[0])
               for s in by_meta.values() if len(s) > 1 and frozenset(s) not in same_content]
    return groups
