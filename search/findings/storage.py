"""Findings storage: ``findings.sqlite`` (rows as JSON) and ``findings.npy`` (finding vectors) in a
generation folder, written at index time and read once per loaded generation.

``build_findings`` runs inside the index build and depends only on the new generation's chunk
store: grades and findings of new and changed reports are extracted; those of unchanged reports,
and the vectors of their finding texts, are copied from the previous generation, like chunks.
Trails link reports, so those of every force whose reports changed are recomputed from the
stored sentence vectors. Nothing is pickled.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterable
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
from search.index.layout import CHUNKS_DB, SENTENCES
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


def _made_with(embedder: Embedder, trails: TrailSettings) -> dict[str, str]:
    """What stored findings depend on: the extractor, the encoder and the trail thresholds."""
    return {"extractor": str(EXTRACTOR_VERSION), "fingerprint": embedder.fingerprint,
            "threshold": f"{trails.threshold}/{trails.cross_theme_threshold}"}


def _stored_meta(folder: Path | None) -> dict[str, str]:
    if folder is None or not (Path(folder) / FINDINGS_DB).exists():
        return {}
    try:
        con = sqlite3.connect(f"file:{Path(folder) / FINDINGS_DB}?mode=ro", uri=True)
        try:
            return dict(con.execute("SELECT key, value FROM meta").fetchall())
        finally:
            con.close()
    except sqlite3.Error as exc:
        logger.warning("the findings of %s are unreadable (%s): they will be extracted again", folder, exc)
        return {}


def findings_current(folder: Path | None, embedder: Embedder, trails: TrailSettings) -> bool:
    """Whether a generation holds findings made by this extractor, encoder and trail thresholds."""
    meta = _stored_meta(folder)
    return bool(meta) and all(meta.get(k) == v for k, v in _made_with(embedder, trails).items())


@dataclass
class _Previous:
    """What an earlier generation holds for the reports copied from it."""

    done: set[str]
    grades: list[tuple[str, Grade]]
    findings: list[Finding]
    explicit: list[TrailLink]
    semantic: list[TrailLink]
    removed_forces: set[str | None]
    vectors: np.ndarray | None


def _read_previous(old_folder: Path | None, sources: set[str], fingerprint: str) -> _Previous | None:
    """Rows and vectors of ``sources`` from the previous generation, when it was made by this
    extractor version and encoder; None when there is nothing to copy or it cannot be read."""
    if old_folder is None or not (old_folder / FINDINGS_DB).exists() or not sources:
        return None
    try:
        con = sqlite3.connect(f"file:{old_folder / FINDINGS_DB}?mode=ro", uri=True)
        try:
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("extractor") != str(EXTRACTOR_VERSION) or meta.get("fingerprint") != fingerprint:
                return None
            old_sources = {r[0] for r in con.execute("SELECT source FROM reports")}
            done = old_sources & sources
            marks = ",".join("?" * len(done))
            grades = [(r[0], Grade.from_dict(json.loads(r[1]))) for r in con.execute(
                f"SELECT source, data FROM grades WHERE source IN ({marks}) ORDER BY source, ordinal", list(done))]
            rows = con.execute(f"SELECT fid, data FROM findings WHERE source IN ({marks}) ORDER BY fid",
                               list(done)).fetchall()
            explicit = [TrailLink.from_dict(json.loads(r[0])) for r in con.execute(
                f"SELECT data FROM links WHERE method = 'explicit' AND source IN ({marks}) ORDER BY source, ordinal",
                list(done))]
            semantic = [TrailLink.from_dict(json.loads(r[0])) for r in con.execute(
                f"SELECT data FROM links WHERE method = 'semantic' AND source IN ({marks}) ORDER BY ordinal",
                list(done))]
        finally:
            con.close()
        forces = ChunkStore.report_forces(old_folder / CHUNKS_DB)
        vectors = np.load(old_folder / FINDINGS_VECTORS, mmap_mode="r", allow_pickle=False)
        fids = [fid for fid, _ in rows]
        return _Previous(done=done, grades=grades, findings=[Finding.from_dict(json.loads(d)) for _, d in rows],
                         explicit=explicit, semantic=semantic,
                         removed_forces={forces.get(source) for source in old_sources - sources},
                         vectors=np.asarray(vectors[fids], dtype=np.float32) if fids else None)
    except (sqlite3.Error, OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("the findings of %s cannot be copied (%s: %s): they will be extracted again",
                       old_folder, type(exc).__name__, exc)
        return None


def build_findings(store: ChunkStore, folder: Path, old_folder: Path | None, reused: Iterable[str],
                   embedder: Embedder, trails: TrailSettings,
                   progress: Callable[[str, int, int], None] | None = None) -> tuple[int, int]:
    """Extract grades and findings for the reports of the new generation's ``store`` (copying
    those of ``reused`` reports from ``old_folder``), recompute the trails of forces whose
    reports changed (copying the others'), and write ``findings.sqlite`` and ``findings.npy``
    into ``folder``.

    Returns:
        (findings stored, finding texts encoded).
    """
    folder = Path(folder)
    corpus = Corpus(store)
    sources = [r["source"] for r in corpus.reports]
    old = _read_previous(Path(old_folder) if old_folder else None, set(reused) & set(sources), embedder.fingerprint)
    todo = [r for r in corpus.reports if r["source"] not in (old.done if old else set())]
    grades, fresh, explicit = _extract(corpus, todo, progress)
    vectors = [old.vectors] if old and old.vectors is not None else []
    if fresh:
        vectors.append(np.asarray(embedder.encode([finding_embed_text(f) for f in fresh]), dtype=np.float32))
    findings = (old.findings if old else []) + fresh
    matrix = np.vstack(vectors) if vectors else np.zeros((0, embedder.dim), np.float32)
    sentence_vectors = np.load(folder / SENTENCES, mmap_mode="r", allow_pickle=False)
    if old:  # trails change only for forces with a report added, changed or removed; the others keep theirs
        affected = {r["force"] for r in todo} | old.removed_forces
        semantic = [link for link in old.semantic if link.earlier.force not in affected]
        redo = [n for n, f in enumerate(findings) if f.force in affected]
        semantic += semantic_links([findings[n] for n in redo], matrix[redo], corpus, sentence_vectors, trails)
        grades, explicit = old.grades + grades, old.explicit + explicit
    else:
        semantic = semantic_links(findings, matrix, corpus, sentence_vectors, trails)
    _write(folder, sources, grades, findings, explicit + semantic, _made_with(embedder, trails), embedder.name)
    np.save(folder / FINDINGS_VECTORS, matrix.astype(np.float32))
    logger.info("findings: %d stored (%d encoded), %d trail links", len(findings), len(fresh),
                len(explicit) + len(semantic))
    return len(findings), len(fresh)


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
    def load(cls, folder: Path) -> FindingsIndex:
        """Read ``findings.sqlite`` of a generation.

        Raises:
            IndexCorruptError: the file is missing or unreadable (the message says how to rebuild);
                a missing store is never taken for an index without findings.
        """
        path = Path(folder) / FINDINGS_DB
        if not path.is_file():
            raise IndexCorruptError(f"the findings store of {folder} is missing (grades and findings would silently "
                                    f"change): {rebuild_hint(Path(folder).parent)}")
        try:
            con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
            try:
                grades = tuple(Grade.from_dict(json.loads(r[0]))
                               for r in con.execute("SELECT data FROM grades ORDER BY force, year, source, ordinal"))
                findings = tuple(Finding.from_dict(json.loads(r[0])) for r in con.execute(
                    "SELECT data FROM findings ORDER BY force, year, source, fid"))
                links: dict[str, list[TrailLink]] = {}
                for (data,) in con.execute("SELECT data FROM links ORDER BY ordinal"):
                    link = TrailLink.from_dict(json.loads(data))
                    links.setdefault(link.finding_id, []).append(link)
            finally:
                con.close()
        except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:
            raise IndexCorruptError(f"the findings in {folder} are unreadable ({exc}): "
                                    f"{rebuild_hint(Path(folder).parent)}") from exc
        ordered = {k: tuple(sorted(v, key=lambda x: (x.later.year or 0, x.method != "explicit", -x.score)))
                   for k, v in links.items()}
        return cls(available=True, grades=grades, findings=findings, links=ordered, folder=str(folder))


__all__ = ["FINDINGS_DB", "FINDINGS_VECTORS", "FindingsIndex", "build_findings", "findings_current"]
