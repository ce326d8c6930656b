"""The chunk store (SQLite) and metadata filters as boolean masks over row ids.

Row ``i`` of table ``chunks`` is row ``i`` of the vector index and document ``i`` of the
lexical index. Reports, sections and footnotes are kept beside the chunks so the app can
show a passage in its full section. Nothing here is pickled.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ingest.forces import canonical_force
from ingest.metadata import REPORT_TYPES, THEMES, canonical_grade, resolve_report_type, resolve_theme
from ingest.types import GRADES, Chunk, Report

SCHEMA = """
CREATE TABLE reports (
    source TEXT PRIMARY KEY, title TEXT, force TEXT, year INTEGER, published TEXT, report_type TEXT,
    content_hash TEXT, format TEXT, path TEXT, warnings TEXT, n_sections INTEGER, n_chunks INTEGER,
    n_footnotes INTEGER, text TEXT
);
CREATE TABLE sections (
    section_id TEXT PRIMARY KEY, source TEXT, ordinal INTEGER, heading TEXT, path TEXT, level INTEGER,
    kind TEXT, question TEXT, theme TEXT, judgment TEXT, page INTEGER, start INTEGER, end_ INTEGER,
    text TEXT, figures TEXT
);
CREATE TABLE footnotes (
    source TEXT, number INTEGER, text TEXT, section_id TEXT, start INTEGER, end_ INTEGER,
    marker_start INTEGER, page INTEGER
);
CREATE TABLE chunks (
    row INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE, source TEXT, section_id TEXT, text TEXT,
    embed_text TEXT, start INTEGER, end_ INTEGER, title TEXT, force TEXT, year INTEGER, report_type TEXT,
    heading TEXT, path TEXT, kind TEXT, question TEXT, theme TEXT, judgment TEXT, page INTEGER,
    is_table INTEGER
);
CREATE TABLE sentences (
    sid INTEGER PRIMARY KEY, row INTEGER, start INTEGER, end_ INTEGER
);
CREATE INDEX sections_source ON sections(source);
CREATE INDEX sentences_row ON sentences(row);
CREATE INDEX chunks_source ON chunks(source);
"""


class FilterError(ValueError):
    """A filter names something the index does not know; the message lists what it does."""


@dataclass(frozen=True)
class Filters:
    """Restrict a search to some reports. Empty fields do not filter.

    ``forces`` are canonical force names or aliases; ``years`` an inclusive (first, last)
    range; ``themes``, ``report_types`` and ``judgments`` ids or labels.
    """

    forces: tuple[str, ...] = ()
    years: tuple[int, int] | None = None
    themes: tuple[str, ...] = ()
    report_types: tuple[str, ...] = ()
    judgments: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not (self.forces or self.years or self.themes or self.report_types or self.judgments or self.sources)

    def to_dict(self) -> dict[str, Any]:
        data = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        return {k: v for k, v in data.items() if v}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Filters:
        """From JSON-style input: {"force": "Herts" | [...], "year": 2015, "years": [2014, 2016] | "2014-2016",
        "theme": ..., "report_type": ..., "judgment": ...}. Raises FilterError on bad input."""
        if not data:
            return cls()
        if not isinstance(data, dict):
            raise FilterError("filters must be a JSON object such as {\"force\": \"Hertfordshire\", \"year\": 2015}")

        def many(*keys: str) -> tuple[str, ...]:
            values: list[str] = []
            for key in keys:
                value = data.get(key)
                if value is None:
                    continue
                values.extend([value] if isinstance(value, str) else [str(v) for v in value])
            return tuple(v for v in values if v.strip())

        years = parse_years(data.get("year"), data.get("years"))
        return cls(forces=many("force", "forces"), years=years, themes=many("theme", "themes"),
                   report_types=many("report_type", "report_types"), judgments=many("judgment", "judgments"),
                   sources=many("source", "sources"))


def parse_years(year: Any = None, years: Any = None) -> tuple[int, int] | None:
    """2015 | "2015" | "2014-2016" | "2014-" | "-2016" | [2014, 2016] -> (first, last); raises FilterError."""
    try:
        if year not in (None, ""):
            y = int(year)
            return (y, y)
        if years in (None, "", []):
            return None
        if isinstance(years, str):
            text = years.replace("–", "-").strip()
            parts = [p for p in text.split("-") if p.strip()]
            first, last = int(parts[0]), int(parts[-1])
            if text.endswith("-"):  # '2014-': 2014 onwards
                last = 9999
            elif text.startswith("-"):  # '-2016': up to 2016
                first = 0
        else:
            first, last = int(years[0]), int(years[-1])
    except (TypeError, ValueError, IndexError) as exc:
        raise FilterError(f"cannot read year filter {year or years!r}: use a year like 2015 or a range like "
                          "2014-2016") from exc
    if first > last:
        first, last = last, first
    return (first, last)


@dataclass
class ChunkStore:
    """Read access to a built index's chunk store, plus the metadata columns as arrays."""

    path: Path
    size: int
    force: np.ndarray = field(repr=False)
    year: np.ndarray = field(repr=False)
    theme: np.ndarray = field(repr=False)
    report_type: np.ndarray = field(repr=False)
    judgment: np.ndarray = field(repr=False)
    source: np.ndarray = field(repr=False)
    vocab: dict[str, list[str]] = field(repr=False)
    sentence_ptr: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(1, np.int64))
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
                con.executescript(SCHEMA)
            for report in reports:
                m = report.meta
                con.execute(
                    "INSERT INTO reports VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (m.source, m.title, m.force, m.year, m.published, m.report_type, m.content_hash, m.format,
                     report_paths.get(m.source, ""), json.dumps(list(report.warnings)), len(report.sections),
                     chunk_counts.get(m.source, 0), len(report.footnotes), report.text),
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
                "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(row, c.chunk_id, c.source, c.section_id, c.text, c.embed_text, c.start, c.end, c.title, c.force,
                  c.year, c.report_type, c.heading, json.dumps(list(c.path)), c.kind, c.question, c.theme,
                  c.judgment, c.page, int(c.is_table)) for row, c in enumerate(chunks, start=row_offset)],
            )
            con.executemany(
                "INSERT INTO sentences VALUES (?,?,?,?)",
                [(sid, row_offset + index, start, end)
                 for sid, (index, start, end) in enumerate(sentences, start=sentence_offset)],
            )
            con.commit()
        finally:
            con.close()

    # --- reading --------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path) -> ChunkStore:
        con = _connect(path)
        try:
            rows = con.execute("SELECT force, year, theme, report_type, judgment, source FROM chunks ORDER BY row").fetchall()
        finally:
            con.close()
        columns = list(zip(*rows, strict=True)) if rows else [[] for _ in range(6)]
        vocab: dict[str, list[str]] = {}
        arrays: list[np.ndarray] = []
        for name, values in zip(("force", "theme", "report_type", "judgment", "source"),
                                (columns[0], columns[2], columns[3], columns[4], columns[5]), strict=True):
            labels = sorted({v for v in values if v})
            vocab[name] = labels
            code = {label: i for i, label in enumerate(labels)}
            arrays.append(np.array([code.get(v, -1) for v in values], dtype=np.int32))
        year = np.array([y if y is not None else -1 for y in columns[1]], dtype=np.int32)
        vocab["year"] = sorted({int(y) for y in year if y >= 0})
        con = _connect(path)
        try:
            sentence_rows = np.array([r[0] for r in con.execute("SELECT row FROM sentences ORDER BY sid")],
                                     dtype=np.int64)
        finally:
            con.close()
        if len(sentence_rows) and np.any(np.diff(sentence_rows) < 0):
            raise ValueError("sentences are not in chunk order")
        # sentence_ptr[r]:sentence_ptr[r + 1] are the sentence ids of chunk row r.
        ptr = np.searchsorted(sentence_rows, np.arange(len(rows) + 1), side="left").astype(np.int64)
        return cls(path=path, size=len(rows), force=arrays[0], year=year, theme=arrays[1], report_type=arrays[2],
                   judgment=arrays[3], source=arrays[4], vocab=vocab, sentence_ptr=ptr)

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
            for record in con.execute(f"SELECT * FROM chunks WHERE row IN ({marks})", part):
                found[record["row"]] = _chunk_dict(record)
        return [found[r] for r in rows if r in found]

    def all_chunks(self) -> list[dict[str, Any]]:
        return [_chunk_dict(r) for r in self._con().execute("SELECT * FROM chunks ORDER BY row")]

    def reports(self) -> list[dict[str, Any]]:
        records = self._con().execute(
            "SELECT source, title, force, year, published, report_type, content_hash, format, path, warnings, "
            "n_sections, n_chunks, n_footnotes FROM reports ORDER BY force, year, source"
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

    # --- filters --------------------------------------------------------------------------
    def resolve(self, filters: Filters) -> Filters:
        """Canonical names for the filter values; raises FilterError for unknown ones."""

        def each(names: tuple[str, ...], resolve: Callable[[str], str | None], what: str, hint: str
                 ) -> tuple[str, ...]:
            values = []
            for name in names:
                value = resolve(name)
                if value is None:
                    raise FilterError(f"unknown {what} {name!r}: {hint}")
                values.append(value)
            return tuple(dict.fromkeys(values))

        return Filters(
            forces=each(filters.forces, canonical_force, "force",
                        "use a police force name such as 'Hertfordshire Constabulary' or an alias such as 'Herts'"),
            years=filters.years,
            themes=each(filters.themes, resolve_theme, "theme", f"choose one of {', '.join(THEMES)}"),
            report_types=each(filters.report_types, resolve_report_type, "report type",
                              f"choose one of {', '.join(REPORT_TYPES)}"),
            judgments=each(filters.judgments, canonical_grade, "judgment", f"choose one of {', '.join(GRADES)}"),
            sources=filters.sources,
        )

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
        if filters.years:
            first, last = filters.years
            mask &= (self.year >= first) & (self.year <= last)
        return mask


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
    con.row_factory = sqlite3.Row
    return con


def _chunk_dict(record: sqlite3.Row) -> dict[str, Any]:
    item = dict(record)
    item["end"] = item.pop("end_")
    item["path"] = json.loads(item["path"] or "[]")
    item["is_table"] = bool(item["is_table"])
    return item


def _section_dict(record: sqlite3.Row) -> dict[str, Any]:
    item = dict(record)
    item["end"] = item.pop("end_")
    item["path"] = json.loads(item["path"] or "[]")
    item["figures"] = json.loads(item["figures"] or "[]")
    return item
