"""The chunk store (``chunks.sqlite``): the one module that speaks its SQL (its tables: ``schema``).

Row ``i`` of table ``chunks`` is row ``i`` of the vector index and document ``i`` of the
lexical index. Reports, sections, footnotes and the sentence spans of every chunk are kept
beside the chunks, so the app can show a passage in its full section and answers can quote
sentences. The build writes and copies rows through ``ChunkStore``; search, answers, findings
and the benchmarks read through it; filters become boolean masks over row ids here. Nothing is
pickled.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ingest.textutil import normalise_for_match, strip_markers
from ingest.types import Chunk, Report
from search.filters import Filters
from search.index.schema import KEY_INDEX, SCHEMA
from search.index.schema import REPORT_COLUMNS as _REPORT_COLUMNS
from search.index.schema import TABLES as _TABLES


def sentence_key(text: str) -> int:
    """A 64-bit key of a sentence's normal form (no footnote markers, case, quotes or spacing), so the
    same sentence printed in several reports (site boilerplate, a template's introduction) has one key."""
    digest = hashlib.blake2b(normalise_for_match(strip_markers(text)).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _section_span(report: Report, start: int, end: int) -> tuple[str, int, int] | None:
    """The first section whose text overlaps report offsets ``[start, end)`` and the span as offsets
    in its text, cut to the section (a grade stated by a heading and the grade line under it keeps
    the grade line: headings are not part of a section's text)."""
    for section in report.sections:
        if section.start < end and start < section.end:
            return (section.section_id, max(start, section.start) - section.start,
                    min(end, section.end) - section.start)
    return None


@dataclass(frozen=True)
class Replica:
    """One copy of a stored report under a new name (``ChunkStore.replicate``)."""

    source: str
    name: str
    force: str | None
    year: int | None
    content_hash: str
    path: str
    copy: int
    title: str


@dataclass
class ChunkStore:
    """Read access to a built index's chunk store, plus the metadata columns as arrays."""

    path: Path
    size: int
    force: np.ndarray = field(repr=False)
    year: np.ndarray = field(repr=False)
    year_to: np.ndarray = field(repr=False)
    theme: np.ndarray = field(repr=False)
    report_type: np.ndarray = field(repr=False)
    judgment: np.ndarray = field(repr=False)
    source: np.ndarray = field(repr=False)
    vocab: dict[str, list[str]] = field(repr=False)
    sentence_ptr: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(1, np.int64))
    repeated: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.int32))
    """For each sentence id, how many other reports hold the same sentence (templates, site furniture)."""
    sentence_keys: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.int64))
    _local: threading.local = field(default_factory=threading.local, repr=False)

    # --- building -------------------------------------------------------------------------
    @staticmethod
    def write(path: Path, reports: Sequence[Report], report_paths: dict[str, str], chunks: Sequence[Chunk],
              chunk_counts: dict[str, int], row_offset: int = 0,
              sentences: Sequence[tuple[int, int, int]] = (), sentence_offset: int = 0) -> None:
        """Add reports and their chunks (rows from ``row_offset``) to the store at ``path``.

        ``sentences`` are (chunk index in ``chunks``, start, end) with ids from ``sentence_offset``.
        """
        con = sqlite3.connect(path)
        try:
            if not con.execute("SELECT name FROM sqlite_master WHERE name = 'chunks'").fetchone():
                con.executescript(SCHEMA + KEY_INDEX)
            for report in reports:
                m = report.meta
                con.execute(
                    f"INSERT INTO reports ({_REPORT_COLUMNS}) VALUES ({','.join('?' * 17)})",
                    (m.source, m.title, m.force, m.year, m.published, m.report_type, m.content_hash, m.format,
                     report_paths.get(m.source, ""), json.dumps(list(report.warnings)), len(report.sections),
                     chunk_counts.get(m.source, 0), len(report.footnotes), report.text, m.year_to, m.about_type,
                     m.url),
                )
                stated = [(g, _section_span(report, g.start, g.end)) for g in report.grades]
                con.executemany(
                    "INSERT INTO grades VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [(m.source, n, g.area, g.area_key, g.pillar, g.grade, g.scale, g.status, g.year_from, g.year_to,
                      g.force or m.force, span[0], span[1], span[2],
                      json.dumps([list(alt) for a, b in g.also if (alt := _section_span(report, a, b))]))
                     for n, (g, span) in enumerate(stated) if span is not None],
                )
                con.executemany(
                    "INSERT INTO sections VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [(s.section_id, m.source, n, s.heading, json.dumps(list(s.path)), s.level, s.kind, s.question,
                      s.theme, s.judgment, s.page, s.start, s.end, s.text,
                      json.dumps([asdict(f) for f in s.figures]))
                     for n, s in enumerate(report.sections)],
                )
                con.executemany(
                    "INSERT INTO footnotes VALUES (?,?,?,?,?,?,?,?)",
                    [(m.source, f.number, f.text, f.section_id, f.start, f.end, f.marker_start, f.page)
                     for f in report.footnotes],
                )
            con.executemany(
                "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(row, c.chunk_id, c.source, c.section_id, c.text, c.embed_text, c.start, c.end, c.title, c.force,
                  c.year, c.report_type, c.heading, json.dumps(list(c.path)), c.kind, c.question, c.theme,
                  c.judgment, c.page, int(c.is_table), c.year_to) for row, c in enumerate(chunks, start=row_offset)],
            )
            con.executemany(
                "INSERT INTO sentences VALUES (?,?,?,?,?)",
                [(sid, row_offset + index, start, end, sentence_key(chunks[index].text[start:end]))
                 for sid, (index, start, end) in enumerate(sentences, start=sentence_offset)],
            )
            con.commit()
        finally:
            con.close()

    @staticmethod
    def copy_reports(parts: Sequence[tuple[Path, Sequence[str]]], new_path: Path) -> list[tuple[list[int], list[int]]]:
        """A new store at ``new_path`` with the rows of the reports each part names, from the store at
        its path: the first part's chunk rows and sentence ids first, renumbered from 0 in their old
        order. Returns, per part, the old chunk rows and sentence ids in the new order (to copy their
        vectors alike)."""
        con = sqlite3.connect(new_path)
        out: list[tuple[list[int], list[int]]] = []
        try:
            con.executescript(SCHEMA + "CREATE TEMP TABLE keep (source TEXT PRIMARY KEY);")
            rows_done = sids_done = 0
            for old_path, sources in parts:
                con.execute("ATTACH DATABASE ? AS old", (f"file:{old_path}?mode=ro",))
                con.execute("DELETE FROM keep")
                con.executemany("INSERT INTO keep VALUES (?)", [(s,) for s in sources])
                for table in ("reports", "sections", "footnotes", "grades"):
                    cols = ", ".join(_shared_columns(con, table, "old"))  # the old store may lack a newer column
                    con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM old.{table} "
                                "WHERE source IN (SELECT source FROM keep)")
                old_rows = [r[0] for r in con.execute(
                    "SELECT row FROM old.chunks WHERE source IN (SELECT source FROM keep) ORDER BY row")]
                con.execute(
                    f"INSERT INTO chunks SELECT (ROW_NUMBER() OVER (ORDER BY row)) - 1 + {rows_done}, chunk_id, source, "
                    "section_id, text, embed_text, start, end_, title, force, year, report_type, heading, path, kind, "
                    "question, theme, judgment, page, is_table, year_to FROM old.chunks WHERE source IN "
                    "(SELECT source FROM keep) ORDER BY row")
                new_row = {old: rows_done + new for new, old in enumerate(old_rows)}
                old_sentences = con.execute(
                    "SELECT sid, row, start, end_, key FROM old.sentences WHERE row IN "
                    "(SELECT row FROM old.chunks WHERE source IN (SELECT source FROM keep)) ORDER BY sid").fetchall()
                con.executemany("INSERT INTO sentences VALUES (?,?,?,?,?)",
                                [(sids_done + n, new_row[row], start, end, key)
                                 for n, (_sid, row, start, end, key) in enumerate(old_sentences)])
                con.commit()
                con.execute("DETACH DATABASE old")
                out.append((old_rows, [sid for sid, *_ in old_sentences]))
                rows_done, sids_done = rows_done + len(old_rows), sids_done + len(old_sentences)
            con.execute(KEY_INDEX)  # made once the rows are in: faster than kept up row by row
        finally:
            con.close()
        return out

    @staticmethod
    def replicate(old_path: Path, new_path: Path, replicas: Sequence[Replica], copies: int) -> dict[str, int]:
        """A new store at ``new_path`` holding ``copies`` copies of every report of the store at
        ``old_path``, each under the name, force, year, hash, path and title its ``Replica`` gives.
        Copy ``r`` of a section or chunk id gets the suffix ``~r``; copy ``r``'s rows and sentence
        ids follow those of copy ``r - 1``. Builds large synthetic indexes for the benchmarks.

        Returns:
            {"chunks", "sentences", "sections"}: the counts of the source store and the new one's sections.
        """
        con = sqlite3.connect(new_path)
        try:
            con.executescript(SCHEMA)
            con.execute("ATTACH DATABASE ? AS src", (f"file:{old_path}?mode=ro",))
            n_chunks = con.execute("SELECT COUNT(*) FROM src.chunks").fetchone()[0]
            n_sentences = con.execute("SELECT COUNT(*) FROM src.sentences").fetchone()[0]
            con.execute("CREATE TEMP TABLE map (source TEXT, name TEXT, force TEXT, year INTEGER, hash TEXT, "
                        "path TEXT, r INTEGER, title TEXT)")
            con.executemany("INSERT INTO map VALUES (?,?,?,?,?,?,?,?)",
                            [(x.source, x.name, x.force, x.year, x.content_hash, x.path, x.copy, x.title)
                             for x in replicas])
            swaps = {
                "reports": {"source": "m.name", "force": "m.force", "year": "m.year", "year_to": "m.year",
                            "content_hash": "m.hash", "path": "m.path", "title": "m.title"},
                "grades": {"source": "m.name", "force": "m.force", "year_from": "m.year", "year_to": "m.year",
                           "section_id": "t.section_id || '~' || m.r"},
                "sections": {"source": "m.name", "section_id": "t.section_id || '~' || m.r"},
                "footnotes": {"source": "m.name", "section_id": "t.section_id || '~' || m.r"},
                "chunks": {"row": f"t.row + m.r * {n_chunks}", "chunk_id": "t.chunk_id || '~' || m.r",
                           "source": "m.name", "section_id": "t.section_id || '~' || m.r", "force": "m.force",
                           "year": "m.year", "year_to": "m.year", "title": "m.title"},
            }
            for table, swap in swaps.items():
                cols = _shared_columns(con, table, "src")
                select = ", ".join(swap.get(c, f"t.{c}") for c in cols)
                order = " ORDER BY m.r, t.row" if table == "chunks" else ""
                con.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {select} FROM src.{table} t "
                            f"JOIN map m ON m.source = t.source{order}")
            con.execute("CREATE TEMP TABLE reps (r INTEGER)")
            con.executemany("INSERT INTO reps VALUES (?)", [(r,) for r in range(copies)])
            con.execute(f"INSERT INTO sentences (sid, row, start, end_, key) SELECT t.sid + r.r * {n_sentences}, "
                        f"t.row + r.r * {n_chunks}, t.start, t.end_, t.key FROM src.sentences t CROSS JOIN reps r "
                        "ORDER BY r.r, t.sid")
            con.commit()
            con.execute("DETACH DATABASE src")
            con.execute(KEY_INDEX)
            n_sections = con.execute("SELECT COUNT(*) FROM sections").fetchone()[0]
        finally:
            con.close()
        return {"chunks": n_chunks, "sentences": n_sentences, "sections": n_sections}

    # --- reading --------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path) -> ChunkStore:
        con = _connect(path)
        try:
            rows = con.execute("SELECT force, year, theme, report_type, judgment, source, year_to FROM chunks "
                               "ORDER BY row").fetchall()
            sentences = con.execute("SELECT row, key FROM sentences ORDER BY sid").fetchall()
        finally:
            con.close()
        columns = list(zip(*rows, strict=True)) if rows else [[] for _ in range(7)]
        vocab: dict[str, list[str]] = {}
        arrays: list[np.ndarray] = []
        for name, values in zip(("force", "theme", "report_type", "judgment", "source"),
                                (columns[0], columns[2], columns[3], columns[4], columns[5]), strict=True):
            labels = sorted({v for v in values if v})
            vocab[name] = labels
            code = {label: i for i, label in enumerate(labels)}
            arrays.append(np.array([code.get(v, -1) for v in values], dtype=np.int32))
        year = np.array([y if y is not None else -1 for y in columns[1]], dtype=np.int32)
        year_to = np.array([b if b is not None else a for a, b in zip(year, columns[6], strict=True)], dtype=np.int32)
        vocab["year"] = sorted({y for a, b in {(int(a), int(b)) for a, b in zip(year, year_to, strict=True) if a >= 0}
                                for y in range(a, b + 1)})
        sentence_rows = np.array([r[0] for r in sentences], dtype=np.int64)
        if len(sentence_rows) and (np.any(np.diff(sentence_rows) < 0) or sentence_rows[0] < 0
                                   or sentence_rows[-1] >= len(rows)):
            raise ValueError("sentences are not in chunk order or name chunks the store does not hold")
        # sentence_ptr[r]:sentence_ptr[r + 1] are the sentence ids of chunk row r.
        ptr = np.searchsorted(sentence_rows, np.arange(len(rows) + 1), side="left").astype(np.int64)
        keys = np.array([r[1] if r[1] is not None else 0 for r in sentences], dtype=np.int64)
        return cls(path=path, size=len(rows), force=arrays[0], year=year, year_to=year_to, theme=arrays[1],
                   report_type=arrays[2], judgment=arrays[3], source=arrays[4], vocab=vocab, sentence_ptr=ptr,
                   repeated=_repeated(keys, arrays[4][sentence_rows] if len(rows) else np.zeros(0, np.int32)),
                   sentence_keys=keys)

    def sentence_spans(self, row: int) -> list[tuple[int, int, int]]:
        """(sentence id, start, end) of a chunk's sentences, offsets into the chunk text."""
        rows = self._con().execute("SELECT sid, start, end_ FROM sentences WHERE row = ? ORDER BY sid", (int(row),))
        return [(r[0], r[1], r[2]) for r in rows]

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = _connect(self.path)
            self._local.con = con
        return con

    def chunks(self, rows: Iterable[int]) -> list[dict[str, Any]]:
        """Chunk records for ``rows``, in the order given."""
        rows = [int(r) for r in rows]
        if not rows:
            return []
        con = self._con()
        found = {}
        for start in range(0, len(rows), 500):
            part = rows[start:start + 500]
            marks = ",".join("?" * len(part))
            for record in con.execute(f"SELECT c.*, r.url FROM chunks c LEFT JOIN reports r ON r.source = c.source "
                                      f"WHERE c.row IN ({marks})", part):
                found[record["row"]] = _chunk_dict(record)
        return [found[r] for r in rows if r in found]

    def all_chunks(self) -> list[dict[str, Any]]:
        return [_chunk_dict(r) for r in self._con().execute("SELECT * FROM chunks ORDER BY row")]

    def reports(self) -> list[dict[str, Any]]:
        records = self._con().execute(
            "SELECT source, title, force, year, year_to, published, report_type, about_type, url, content_hash, "
            "format, path, warnings, n_sections, n_chunks, n_footnotes FROM reports ORDER BY force, year, source"
        ).fetchall()
        out = []
        for r in records:
            item = dict(r)
            item["warnings"] = json.loads(item["warnings"] or "[]")
            out.append(item)
        return out

    def report_text(self, source: str) -> str | None:
        row = self._con().execute("SELECT text FROM reports WHERE source = ?", (source,)).fetchone()
        return row["text"] if row else None

    def report_slices(self, spans: Sequence[tuple[str, int, int]]) -> list[str]:
        """``report_text(source)[start:end]`` of each (source, start, end), without reading whole reports."""
        query = "SELECT coalesce(substr(text, ?, ?), '') FROM reports WHERE source = ?"
        return [(self._con().execute(query, (a + 1, max(0, b - a), s)).fetchone() or ("",))[0] for s, a, b in spans]

    def chunk_layout(self) -> np.ndarray:
        """Rows x (section code, start, end): each chunk's place in its report's text; one code per section."""
        sql = "SELECT s.rowid, s.start + c.start, s.start + c.end_ FROM chunks c JOIN sections s USING (section_id) ORDER BY row"
        return np.array(self._con().execute(sql).fetchall(), dtype=np.int64).reshape(-1, 3)

    def sections(self, source: str | None = None) -> list[dict[str, Any]]:
        query = "SELECT * FROM sections" + (" WHERE source = ?" if source else "") + " ORDER BY source, ordinal"
        return [_section_dict(r) for r in self._con().execute(query, (source,) if source else ())]

    def section(self, section_id: str) -> dict[str, Any] | None:
        row = self._con().execute("SELECT * FROM sections WHERE section_id = ?", (section_id,)).fetchone()
        return _section_dict(row) if row else None

    def footnotes(self, source: str | None = None, section_id: str | None = None) -> list[dict[str, Any]]:
        clauses, params = [], []
        if source:
            clauses.append("source = ?")
            params.append(source)
        if section_id:
            clauses.append("section_id = ?")
            params.append(section_id)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._con().execute(f"SELECT * FROM footnotes{where} ORDER BY source, number", params)
        return [{**dict(r), "end": r["end_"]} for r in rows]

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

    # --- reading for findings and the manifest -----------------------------------------------
    def report_rows(self) -> list[dict[str, Any]]:
        """source, title, force, year, year_to, report_type and url of every report, by force, year and source."""
        return [dict(r) for r in self._con().execute(
            "SELECT source, title, force, year, year_to, report_type, url FROM reports ORDER BY force, year, source")]

    def grade_rows(self, source: str) -> list[dict[str, Any]]:
        """The grades one report states (ingest's grade statements), in the report's order; ``start``/``end``
        are offsets in the section's text; ``also`` lists the other statements of the grade as
        (section_id, start, end) (empty in a store written before alternatives were kept)."""
        rows = self._con().execute("SELECT * FROM grades WHERE source = ? ORDER BY ordinal", (source,))
        return [{**(row := dict(r)), "end": r["end_"], "also": [tuple(x) for x in json.loads(row.get("also") or "[]")]}
                for r in rows]

    def manifest_reports(self) -> dict[str, dict[str, Any]]:
        """What the manifest records of each report: content hash, path, chunk count and metadata."""
        return {
            r["source"]: {"content_hash": r["content_hash"], "path": r["path"], "chunks": r["n_chunks"],
                          "title": r["title"], "force": r["force"], "year": r["year"], "year_to": r["year_to"],
                          "report_type": r["report_type"], "url": r["url"]}
            for r in self._con().execute(
                "SELECT source, content_hash, path, n_chunks, title, force, year, year_to, report_type, url FROM reports")
        }

    def count(self, table: str) -> int:
        """Rows in one of the store's tables."""
        if table not in _TABLES:
            raise ValueError(f"unknown table {table!r}: choose one of {', '.join(_TABLES)}")
        return int(self._con().execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def sections_of(self, sources: Iterable[str]) -> list[dict[str, Any]]:
        """The sections of ``sources``, by source and order in the report."""
        sources = list(sources)
        if not sources:
            return []
        marks = ",".join("?" * len(sources))
        rows = self._con().execute(f"SELECT * FROM sections WHERE source IN ({marks}) ORDER BY source, ordinal",
                                   sources)
        return [_section_dict(r) for r in rows]

    def chunk_spans(self, sources: Sequence[str] | None = None) -> dict[str, list[tuple[int, int, str, int | None]]]:
        """section id -> (start, end, chunk id, page) of its chunks (of ``sources``, or all), in row order."""
        spans: dict[str, list[tuple[int, int, str, int | None]]] = {}
        where = "" if sources is None else f" WHERE source IN ({','.join('?' * len(sources))})"
        for r in self._con().execute(f"SELECT section_id, start, end_, chunk_id, page FROM chunks{where} ORDER BY row",
                                     list(sources or ())):
            spans.setdefault(r[0], []).append((r[1], r[2], r[3], r[4]))
        return spans

    def prose_sentences(self, sources: Iterable[str]) -> list[tuple[int, str, int, int]]:
        """(sentence id, section id, start, end) of the sentences of ``sources`` outside tables;
        offsets into the section text; a sentence shared by two overlapping chunks appears once."""
        sources = list(sources)
        if not sources:
            return []
        marks = ",".join("?" * len(sources))
        seen: set[tuple[str, int]] = set()
        out = []
        for sid, section_id, start, end in self._con().execute(
                f"SELECT s.sid, c.section_id, c.start + s.start, c.start + s.end_ FROM sentences s "
                f"JOIN chunks c ON c.row = s.row WHERE c.source IN ({marks}) AND c.is_table = 0 ORDER BY s.sid",
                sources):
            if (section_id, start) not in seen:
                seen.add((section_id, start))
                out.append((sid, section_id, start, end))
        return out

    def row_of(self, chunk_id: str | None) -> int | None:
        """The row of a chunk id (None when the store has no such chunk)."""
        if not chunk_id:
            return None
        found = self._con().execute("SELECT row FROM chunks WHERE chunk_id = ?", (chunk_id,)).fetchone()
        return int(found[0]) if found else None

    # --- filters --------------------------------------------------------------------------
    def mask(self, filters: Filters) -> np.ndarray | None:
        """Boolean mask of the rows that pass ``filters`` (already resolved); None when nothing filters."""
        if filters.is_empty():
            return None
        mask = np.ones(self.size, dtype=bool)
        for name, values in (("force", filters.forces), ("theme", filters.themes),
                             ("report_type", filters.report_types), ("judgment", filters.judgments),
                             ("source", filters.sources)):
            if values:
                labels = self.vocab[name]
                codes = [labels.index(v) for v in values if v in labels]
                mask &= np.isin(getattr(self, name), codes)
        if filters.years:  # a report's period matches when it overlaps the range
            first, last = filters.years
            mask &= (self.year >= 0) & (self.year_to >= (0 if first is None else first))  # undated: in no range
            if last is not None:
                mask &= self.year <= last
        return mask


def _repeated(keys: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """For each sentence, the number of OTHER reports holding a sentence with the same key."""
    if not len(keys):
        return np.zeros(0, np.int32)
    pairs = np.unique(np.stack([keys, sources.astype(np.int64)], axis=1), axis=0)
    distinct_keys, per_key = np.unique(pairs[:, 0], return_counts=True)
    return (per_key[np.searchsorted(distinct_keys, keys)] - 1).astype(np.int32)


def _shared_columns(con: sqlite3.Connection, table: str, attached: str) -> list[str]:
    """The columns of ``table`` in the new store that the attached one has too, in the new store's order."""
    have = {row[1] for row in con.execute(f"PRAGMA {attached}.table_info({table})")}
    return [row[1] for row in con.execute(f"PRAGMA main.table_info({table})") if row[1] in have]


def chunk_texts(path: Path, start: int, end: int) -> list[tuple[str, str, bool]]:
    """(text, embed_text, is_table) of the rows ``[start, end)`` of the store at ``path``, in row
    order, read without loading the store (a changed report's previous chunks)."""
    with closing(_connect(path)) as con:
        return [(r["text"], r["embed_text"], bool(r["is_table"])) for r in con.execute(
            "SELECT text, embed_text, is_table FROM chunks WHERE row >= ? AND row < ? ORDER BY row", (start, end))]


def sentences_by_key(path: Path, keys: Iterable[int]) -> dict[int, list[tuple[int, int, int, str, str, int]]]:
    """key -> (sid, start, end, and its chunk's text, embed_text, is_table) of the first four sentences with
    each key, by the store's key index (none in a store written without one: no full scan)."""
    with closing(_connect(path)) as con:
        if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'sentences_key'").fetchone():
            return {}
        return {key: [tuple(r) for r in con.execute(
            "SELECT s.sid, s.start, s.end_, c.text, c.embed_text, c.is_table FROM sentences s JOIN chunks c "
            "ON c.row = s.row WHERE s.key = ? ORDER BY s.sid LIMIT 4", (key,))] for key in set(keys)}


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
    con.row_factory = sqlite3.Row
    return con


def _row_dict(record: sqlite3.Row) -> dict[str, Any]:
    item = dict(record)
    item["end"] = item.pop("end_")
    item["path"] = json.loads(item["path"] or "[]")
    return item


def _chunk_dict(record: sqlite3.Row) -> dict[str, Any]:
    return {**(item := _row_dict(record)), "is_table": bool(item["is_table"])}


def _section_dict(record: sqlite3.Row) -> dict[str, Any]:
    return {**(item := _row_dict(record)), "figures": json.loads(item["figures"] or "[]")}
