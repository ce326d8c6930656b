"""Findings storage: grades, findings and explicit trail links in each segment of a generation
(``findings.sqlite``, rows as JSON, and ``findings.npy``, the finding vectors), and the semantic
trail links of each force in the generation (``trails/<key>.json``). Written at index time, read
once per loaded generation.

A new segment's grades and findings are extracted from its own chunk store when it is written
(``write_segment_findings``); a merge copies rows without extracting again
(``merge_segment_findings``). Trails link reports, so a build recomputes those of every force with
a report added, changed or removed (``write_trails``) over the whole generation, and keeps the
other forces' files as they are. Nothing is pickled.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from search.config import TrailSettings
from search.embed import Embedder
from search.errors import IndexCorruptError, rebuild_hint
from search.findings.corpus import Corpus
from search.findings.extract import EXTRACTOR_VERSION, extract_findings, extract_grades, finding_embed_text
from search.findings.model import Finding, Grade, TrailLink
from search.findings.trails import semantic_links
from search.index.store import ChunkStore

FINDINGS_DB = "findings.sqlite"
FINDINGS_VECTORS = "findings.npy"
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE reports (source TEXT PRIMARY KEY);
CREATE TABLE grades (source TEXT, ordinal INTEGER, force TEXT, year INTEGER, data TEXT);
CREATE TABLE findings (fid INTEGER PRIMARY KEY, finding_id TEXT, source TEXT, force TEXT, year INTEGER, data TEXT);
CREATE TABLE links (finding_id TEXT, source TEXT, method TEXT, ordinal INTEGER, data TEXT);
"""

logger = logging.getLogger(__name__)


def _dump(item: Grade | Finding | TrailLink) -> str:
    """An item as stored: its fields only (no derived values such as ``Grade.level``), citations
    as their location; the same JSON as before Passage and Citation became one type."""
    data = item.to_dict()
    return json.dumps({f.name: data[f.name] for f in fields(item)}, ensure_ascii=False)


def made_with(embedder: Embedder, trails: TrailSettings) -> dict[str, str]:
    """What stored findings depend on: the extractor, the encoder and the trail thresholds (the
    manifest records it; a change means extracting or linking again)."""
    return {"extractor": str(EXTRACTOR_VERSION), "fingerprint": embedder.fingerprint,
            "threshold": f"{trails.threshold}/{trails.cross_theme_threshold}"}


def trails_file(force: str) -> str:
    """The name of a force's trail file in a generation's ``trails`` folder."""
    return hashlib.sha1(force.encode("utf-8")).hexdigest()[:16] + ".json"


def _null_first(value: Any) -> tuple[bool, Any]:
    """SQLite's ascending order, NULL first."""
    return (value is not None, value if value is not None else 0)


@dataclass
class SegmentFindings:
    """What one segment holds for some of its reports."""

    grades: list[tuple[str, Grade]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    explicit: list[TrailLink] = field(default_factory=list)


def write_segment_findings(store: ChunkStore, folder: Path, embedder: Embedder,
                           progress: Callable[[str, int, int], None] | None = None) -> tuple[int, int]:
    """Extract the grades, findings and explicit trail links of every report of a segment's
    ``store`` and write them, with the finding vectors, into the segment ``folder``.

    Returns:
        (findings stored, finding texts encoded).
    """
    corpus = Corpus(store)
    grades, findings, explicit = _extract(corpus, corpus.reports, progress)
    vectors = (np.asarray(embedder.encode([finding_embed_text(f) for f in findings]), dtype=np.float32)
               if findings else np.zeros((0, embedder.dim), np.float32))
    _write(Path(folder), [r["source"] for r in corpus.reports], grades, findings, explicit,
           {"extractor": str(EXTRACTOR_VERSION), "fingerprint": embedder.fingerprint}, embedder.name)
    np.save(Path(folder) / FINDINGS_VECTORS, vectors)
    return len(findings), len(findings)


def read_segment_findings(folder: Path, sources: Iterable[str] | None = None) -> SegmentFindings:
    """The rows (and finding vectors) of ``sources`` (None: all) in a segment's findings store.

    Raises:
        IndexCorruptError: the store is missing or unreadable (the message says how to rebuild).
    """
    folder = Path(folder)
    path = folder / FINDINGS_DB
    if not path.is_file():
        raise IndexCorruptError(f"the findings store of {folder} is missing (grades and findings would silently "
                                f"change): {rebuild_hint(folder.parent.parent)}")
    where, args = "", []
    if sources is not None:
        args = list(sources)
        where = f" WHERE source IN ({','.join('?' * len(args))})"
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            grades = [(r[0], Grade.from_dict(json.loads(r[1]))) for r in con.execute(
                f"SELECT source, data FROM grades{where} ORDER BY rowid", args)]
            rows = con.execute(f"SELECT fid, data FROM findings{where} ORDER BY fid", args).fetchall()
            explicit = [TrailLink.from_dict(json.loads(r[0])) for r in con.execute(
                f"SELECT data FROM links{where} {'AND' if where else 'WHERE'} method = 'explicit' ORDER BY ordinal",
                args)]
        finally:
            con.close()
        vectors = np.load(folder / FINDINGS_VECTORS, mmap_mode="r", allow_pickle=False)
        fids = [fid for fid, _ in rows]
        if vectors.ndim != 2 or (fids and max(fids) >= len(vectors)):
            raise ValueError("findings.npy does not hold a vector for every finding")
        return SegmentFindings(grades, [Finding.from_dict(json.loads(d)) for _, d in rows],
                               np.asarray(vectors[fids], dtype=np.float32), explicit)
    except (sqlite3.Error, OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexCorruptError(f"the findings in {folder} are unreadable ({type(exc).__name__}: {exc}): "
                                f"{rebuild_hint(folder.parent.parent)}") from exc


def count_findings(folder: Path) -> dict[str, int]:
    """source -> number of findings a segment's store holds for it."""
    con = sqlite3.connect(f"file:{Path(folder) / FINDINGS_DB}?mode=ro", uri=True)
    try:
        return {r[0]: int(r[1]) for r in con.execute("SELECT source, COUNT(*) FROM findings GROUP BY source")}
    finally:
        con.close()


def merge_segment_findings(parts: Sequence[tuple[Path, Sequence[str]]], folder: Path, embedder: Embedder) -> int:
    """Write into ``folder`` the rows and vectors of the reports each part keeps, as they are.

    Returns:
        the findings stored.
    """
    grades: list[tuple[str, Grade]] = []
    findings: list[Finding] = []
    explicit: list[TrailLink] = []
    vectors: list[np.ndarray] = []
    for part, sources in parts:
        found = read_segment_findings(part, sources)
        grades += found.grades
        findings += found.findings
        explicit += found.explicit
        if found.findings:
            vectors.append(found.vectors)
    _write(Path(folder), [s for _part, sources in parts for s in sources], grades, findings, explicit,
           {"extractor": str(EXTRACTOR_VERSION), "fingerprint": embedder.fingerprint}, embedder.name)
    matrix = np.vstack(vectors) if findings else np.zeros((0, embedder.dim), np.float32)
    np.save(Path(folder) / FINDINGS_VECTORS, matrix.astype(np.float32))
    return len(findings)


def write_trails(store: Any, parts: Sequence[tuple[Path, Sequence[str]]], forces: Iterable[str],
                 sentence_vectors: Any, settings: TrailSettings, folder: Path) -> dict[str, dict[str, str]]:
    """Compute the semantic trail links of ``forces`` over the live reports of a generation
    (``store``: its chunk stores read as one; ``parts``: each segment folder with its live
    reports) and write one file per force into ``folder``.

    Returns:
        {force: {"file": name in ``folder``}}.
    """
    forces = set(forces)
    corpus = Corpus(store)
    rank = {r["source"]: n for n, r in enumerate(corpus.reports)}  # the order a build from scratch reads them
    found: list[tuple[tuple[int, int], Finding, np.ndarray]] = []
    of_forces = {r["source"] for r in corpus.reports if r["force"] in forces}
    for part, sources in parts:
        wanted = [s for s in sources if s in of_forces]
        if wanted:
            segment = read_segment_findings(part, wanted)
            found += [((rank[f.source], n), f, segment.vectors[n]) for n, f in enumerate(segment.findings)
                      if f.force in forces]
    found.sort(key=lambda item: item[0])
    findings = [f for _key, f, _vector in found]
    matrix = np.vstack([v for *_rest, v in found]) if found else np.zeros((0, 1), np.float32)
    links = semantic_links(findings, matrix, corpus, sentence_vectors, settings) if findings else []
    by_force: dict[str, list[str]] = {force: [] for force in forces}
    for link in links:
        by_force.setdefault(link.earlier.force or "", []).append(_dump(link))
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for force, items in by_force.items():
        name = trails_file(force)
        (folder / name).write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
        out[force] = {"file": f"{folder.name}/{name}"}
    logger.info("trails of %d force(s): %d semantic links", len(forces), len(links))
    return out


def _extract(corpus: Corpus, reports: list[dict[str, Any]], progress: Callable[[str, int, int], None] | None
             ) -> tuple[list[tuple[str, Grade]], list[Finding], list[TrailLink]]:
    """Grades, findings and explicit trail links of ``reports``."""
    grades: list[tuple[str, Grade]] = []
    findings: list[Finding] = []
    explicit: list[TrailLink] = []
    for n, report in enumerate(reports):
        sections = corpus.sections([report["source"]])
        grades.extend((report["source"], g) for g in extract_grades(report, sections, corpus))
        report_findings, report_links = extract_findings(report, sections, corpus)
        findings.extend(report_findings)
        explicit.extend(report_links)
        if progress:
            progress("findings", n + 1, len(reports))
    return grades, findings, explicit


def _write(folder: Path, sources: list[str], grades: list[tuple[str, Grade]], findings: list[Finding],
           links: list[TrailLink], made_with: dict[str, str], model: str) -> None:
    path = folder / FINDINGS_DB
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    try:
        con.executescript(_SCHEMA)
        con.executemany("INSERT INTO meta VALUES (?, ?)", [*made_with.items(), ("model", model)])
        con.executemany("INSERT INTO reports VALUES (?)", [(s,) for s in sources])
        con.executemany("INSERT INTO grades VALUES (?,?,?,?,?)",
                        [(source, n, g.force, g.year, _dump(g)) for n, (source, g) in enumerate(grades)])
        con.executemany("INSERT INTO findings VALUES (?,?,?,?,?,?)",
                        [(n, f.finding_id, f.source, f.force, f.year, _dump(f)) for n, f in enumerate(findings)])
        owner = {f.finding_id: f.source for f in findings}
        con.executemany("INSERT INTO links VALUES (?,?,?,?,?)",
                        [(x.finding_id, owner.get(x.finding_id, x.earlier.source), x.method, n, _dump(x))
                         for n, x in enumerate(links)])
        con.commit()
    finally:
        con.close()


@dataclass(frozen=True)
class FindingsIndex:
    """Grades, findings and trail links of one index generation, loaded once."""

    available: bool
    grades: tuple[Grade, ...] = ()
    findings: tuple[Finding, ...] = ()
    links: dict[str, tuple[TrailLink, ...]] = field(default_factory=dict)
    folder: str = ""
    question_vectors: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # filled by grade answers

    @classmethod
    def load(cls, folder: Path, parts: Sequence[tuple[Path, Sequence[str]]], trail_files: Iterable[Path]
             ) -> FindingsIndex:
        """The findings of a generation ``folder``: those of each segment's live reports (``parts``)
        and the semantic links of ``trail_files``.

        Raises:
            IndexCorruptError: a store or file is missing or unreadable (the message says how to
                rebuild); a missing store is never taken for an index without findings.
        """
        grades: list[tuple[str, Grade]] = []
        findings: list[tuple[tuple, Finding]] = []
        explicit: list[TrailLink] = []
        for part, sources in parts:
            segment = read_segment_findings(part, sources)
            grades += segment.grades
            findings += [((_null_first(f.force), _null_first(f.year), f.source, n), f)
                         for n, f in enumerate(segment.findings)]
            explicit += segment.explicit
        semantic: list[TrailLink] = []
        for path in trail_files:
            try:
                semantic += [TrailLink.from_dict(json.loads(item)) for item in
                             json.loads(Path(path).read_text(encoding="utf-8"))]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise IndexCorruptError(f"the trail links in {path} are unreadable ({type(exc).__name__}): "
                                        f"{rebuild_hint(Path(folder).parent)}") from exc
        links: dict[str, list[TrailLink]] = {}
        for link in explicit + semantic:
            links.setdefault(link.finding_id, []).append(link)
        ordered = {k: tuple(sorted(v, key=lambda x: (x.later.year or 0, x.method != "explicit", -x.score)))
                   for k, v in links.items()}
        # ORDER BY force, year, source, then the report's own order (a stable sort keeps it)
        grades.sort(key=lambda item: (_null_first(item[1].force), _null_first(item[1].year), item[0]))
        return cls(available=True, grades=tuple(g for _source, g in grades),
                   findings=tuple(f for _key, f in sorted(findings, key=lambda item: item[0])), links=ordered,
                   folder=str(folder))


__all__ = ["FINDINGS_DB", "FINDINGS_VECTORS", "FindingsIndex", "SegmentFindings", "count_findings", "made_with",
           "merge_segment_findings",
           "read_segment_findings", "trails_file", "write_segment_findings", "write_trails"]
