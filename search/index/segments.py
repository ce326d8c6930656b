"""The chunk stores and sentence vectors of a generation's segments, read as one.

A generation lists segments; each holds the rows of some reports in its own chunk store
(``search.index.store.ChunkStore``, rows and sentence ids from 0). ``SegmentedStore`` reads them as
one store with the ``ChunkStore`` interface: global row = segment offset + local row, global
sentence id = segment sentence offset + local id, so row i of the store, of the vectors and of the
lexical index is one chunk. Rows of reports removed or changed since their segment was written are
tombstoned (``live`` is False): they are in no vocabulary, mask, count or record this returns.

Everything a build from scratch over the same reports would give is given here too, whatever the
segments: label vocabularies and the years covered (from live rows), the repeated-sentence counts
(over live reports), and ``order``, a key per row (report name, then position in the report) that
breaks ties in rankings so results do not depend on where rows sit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from search.filters import Filters
from search.index.dense import RowFile
from search.index.store import ChunkStore, _repeated  # the store's own count of repeated sentences

_LABELS = ("force", "theme", "report_type", "judgment", "source")


def _sql_order(item: dict[str, Any]) -> tuple:
    """The order of SQLite's ``ORDER BY force, year, source`` (NULL first)."""
    return tuple((item.get(k) is not None, item.get(k) or 0 if k == "year" else item.get(k) or "")
                 for k in ("force", "year", "source"))


def unopened(path: Path, rows: int = 0) -> ChunkStore:
    """A chunk store read through SQL only (reports, sections, sentences, grades): its column
    arrays are not loaded."""
    empty = np.zeros(0, np.int32)
    return ChunkStore(path=path, size=rows, force=empty, year=empty, year_to=empty, theme=empty, report_type=empty,
                      judgment=empty, source=empty, vocab={})


class SegmentedReports:
    """The reports, sections and sentences of several segments' chunk stores, read as one (what
    finding extraction and trails read). ``live_sources``: per part, the reports live there;
    ``sentences``: per part, its number of sentence ids."""

    def __init__(self, parts: Sequence[ChunkStore], live_sources: Sequence[set[str]], sentences: Sequence[int],
                 live: np.ndarray | None = None) -> None:
        self.parts = list(parts)
        self.live_sources = [set(s) for s in live_sources]
        self.live = live
        sizes = [p.size for p in self.parts]
        self.size = int(sum(sizes))
        self.offsets = np.cumsum([0, *sizes])[:-1].astype(np.int64)
        self.sentence_offsets = np.cumsum([0, *sentences])[:-1].astype(np.int64)
        self.sentence_count = int(sum(sentences))

    # --- where things are -------------------------------------------------------------------
    @property
    def path(self) -> Any:
        return self.parts[0].path if self.parts else None

    def part_of(self, row: int) -> tuple[int, int]:
        """(segment, local row) of a global row."""
        n = int(np.searchsorted(self.offsets, row, side="right") - 1)
        return n, int(row - self.offsets[n])

    def _holder(self, source: str) -> int | None:
        return next((n for n, sources in enumerate(self.live_sources) if source in sources), None)

    def _by_part(self, sources: Iterable[str]) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for source in sources:
            n = self._holder(source)
            if n is not None:
                out.setdefault(n, []).append(source)
        return out

    def is_live(self, row: int) -> bool:
        return self.live is None or bool(self.live[row])

    # --- records ----------------------------------------------------------------------------
    def chunks(self, rows: Iterable[int]) -> list[dict[str, Any]]:
        """Chunk records for live ``rows``, in the order given (``row`` is the global row)."""
        rows = [int(r) for r in rows if 0 <= int(r) < self.size and self.is_live(int(r))]
        found: dict[int, dict[str, Any]] = {}
        at = np.asarray(rows, dtype=np.int64)
        segment = np.searchsorted(self.offsets, at, side="right") - 1
        for n in np.unique(segment):
            local_rows = (at[segment == n] - self.offsets[n]).tolist()
            for record in self.parts[int(n)].chunks(local_rows):
                record["row"] = int(record["row"] + self.offsets[n])
                found[record["row"]] = record
        return [found[r] for r in rows if r in found]

    def all_chunks(self) -> list[dict[str, Any]]:
        out = []
        for n, part in enumerate(self.parts):
            for record in part.all_chunks():
                row = int(record["row"] + self.offsets[n])
                if self.is_live(row):
                    out.append({**record, "row": row})
        return out

    def sentence_spans(self, row: int) -> list[tuple[int, int, int]]:
        """(global sentence id, start, end) of a chunk's sentences, offsets into the chunk text."""
        n, local = self.part_of(int(row))
        offset = int(self.sentence_offsets[n])
        return [(sid + offset, start, end) for sid, start, end in self.parts[n].sentence_spans(local)]

    def row_of(self, chunk_id: str | None) -> int | None:
        for n, part in enumerate(self.parts):
            local = part.row_of(chunk_id)
            if local is not None and self.is_live(local + int(self.offsets[n])):
                return local + int(self.offsets[n])
        return None

    def reports(self) -> list[dict[str, Any]]:
        return sorted((r for n, p in enumerate(self.parts) for r in p.reports() if r["source"] in self.live_sources[n]),
                      key=_sql_order)

    def report_rows(self) -> list[dict[str, Any]]:
        return sorted((r for n, p in enumerate(self.parts) for r in p.report_rows()
                       if r["source"] in self.live_sources[n]), key=_sql_order)

    def manifest_reports(self) -> dict[str, dict[str, Any]]:
        return {s: r for n, p in enumerate(self.parts) for s, r in p.manifest_reports().items()
                if s in self.live_sources[n]}

    def report_text(self, source: str) -> str | None:
        n = self._holder(source)
        return None if n is None else self.parts[n].report_text(source)

    def grade_rows(self, source: str) -> list[dict[str, Any]]:
        n = self._holder(source)
        return [] if n is None else self.parts[n].grade_rows(source)

    def sections(self, source: str | None = None) -> list[dict[str, Any]]:
        if source is not None:
            n = self._holder(source)
            return [] if n is None else self.parts[n].sections(source)
        return sorted((s for n, p in enumerate(self.parts) for s in p.sections() if s["source"] in self.live_sources[n]),
                      key=lambda s: (s["source"], s["ordinal"]))

    def section(self, section_id: str) -> dict[str, Any] | None:
        for n, part in enumerate(self.parts):
            found = part.section(section_id)
            if found is not None and found["source"] in self.live_sources[n]:
                return found
        return None

    def sections_of(self, sources: Iterable[str]) -> list[dict[str, Any]]:
        found = [s for n, names in self._by_part(sources).items() for s in self.parts[n].sections_of(names)]
        return sorted(found, key=lambda s: (s["source"], s["ordinal"]))

    def footnotes(self, source: str | None = None, section_id: str | None = None) -> list[dict[str, Any]]:
        found = [f for n, p in enumerate(self.parts) for f in p.footnotes(source, section_id)
                 if f["source"] in self.live_sources[n]]
        return sorted(found, key=lambda f: (f["source"], f["number"]))

    def chunk_spans(self, sources: Sequence[str] | None = None) -> dict[str, list[tuple[int, int, str, int | None]]]:
        """section id -> (start, end, chunk id, page) of the live chunks of ``sources`` (or all), in row order."""
        wanted = [s for live in self.live_sources for s in live] if sources is None else list(sources)
        spans: dict[str, list[tuple[int, int, str, int | None]]] = {}
        for n, names in sorted(self._by_part(wanted).items()):
            spans.update(self.parts[n].chunk_spans(names))
        return spans

    def report_slices(self, spans: Sequence[tuple[str, int, int]]) -> list[str]:
        """``report_text(source)[start:end]`` of each (source, start, end), from the segment holding it."""
        out = []
        for source, start, end in spans:
            n = self._holder(source)
            out += [""] if n is None else self.parts[n].report_slices([(source, start, end)])
        return out

    def chunk_layout(self) -> np.ndarray:
        """Rows x (section code, start, end) over all segments; section codes distinct across segments."""
        layouts = [p.chunk_layout() for p in self.parts]
        shift = 1 + max((int(lay[:, 0].max()) for lay in layouts if len(lay)), default=0)
        for n, lay in enumerate(layouts):
            lay[:, 0] += n * shift
        return np.concatenate(layouts) if layouts else np.zeros((0, 3), np.int64)

    def prose_sentences(self, sources: Iterable[str]) -> list[tuple[int, str, int, int]]:
        out = []
        for n, names in sorted(self._by_part(sources).items()):
            offset = int(self.sentence_offsets[n])
            out += [(sid + offset, section_id, start, end)
                    for sid, section_id, start, end in self.parts[n].prose_sentences(names)]
        return out

    def count(self, table: str) -> int:
        """Live rows of the store's chunks, sentences, reports or sections."""
        if table == "chunks":
            return self.size if self.live is None else int(np.count_nonzero(self.live))
        if table == "sentences":
            if self.live is None:
                return self.sentence_count
            return int(np.diff(self.sentence_ptr)[self.live].sum())  # type: ignore[attr-defined]
        if table == "reports":
            return sum(len(s) for s in self.live_sources)
        if table == "sections":
            return sum(int(r["n_sections"] or 0) for r in self.reports())
        raise ValueError(f"unknown table {table!r}: choose one of chunks, sentences, reports, sections")

    def close(self) -> None:
        for part in self.parts:
            part.close()


class SegmentedStore(SegmentedReports):
    """The chunk stores of several segments as one, with the ``ChunkStore`` interface and columns
    (see the module docstring)."""

    def __init__(self, parts: Sequence[ChunkStore], live_sources: Sequence[set[str]],
                 live: np.ndarray | None = None) -> None:
        counts = [len(p.sentence_keys) for p in parts]
        super().__init__(parts, live_sources, counts, live)
        alive = self.live if self.live is not None else np.ones(self.size, dtype=bool)
        self.vocab: dict[str, list] = {}
        for name in _LABELS:  # labels of live rows only, coded over all segments
            local = [np.asarray(getattr(p, name)) for p in self.parts]
            spans = [alive[o:o + p.size] for o, p in zip(self.offsets, self.parts, strict=True)]
            used = sorted({p.vocab[name][c] for p, codes, keep in zip(self.parts, local, spans, strict=True)
                           for c in np.unique(codes[keep]) if c >= 0})
            self.vocab[name] = used
            at = {label: i for i, label in enumerate(used)}
            coded = [np.array([at.get(label, -1) for label in p.vocab[name]] + [-1], dtype=np.int32)[codes]
                     for p, codes in zip(self.parts, local, strict=True)]  # code -1 reads the appended -1
            setattr(self, name, np.concatenate(coded) if coded else np.zeros(0, np.int32))
        self.year = np.concatenate([p.year for p in self.parts]) if self.parts else np.zeros(0, np.int32)
        self.year_to = np.concatenate([p.year_to for p in self.parts]) if self.parts else np.zeros(0, np.int32)
        spans = {(int(a), int(b)) for a, b in zip(self.year[alive], self.year_to[alive], strict=True) if a >= 0}
        self.vocab["year"] = sorted({y for a, b in spans for y in range(a, b + 1)})
        ptrs = [p.sentence_ptr[:-1] + o for p, o in zip(self.parts, self.sentence_offsets, strict=True)]
        self.sentence_ptr = np.concatenate([*ptrs, [self.sentence_count]]).astype(np.int64)
        self._count_repeated(alive)
        self._order(alive)

    def _count_repeated(self, alive: np.ndarray) -> None:
        keys = np.concatenate([p.sentence_keys for p in self.parts]) if self.parts else np.zeros(0, np.int64)
        row_of = np.repeat(np.arange(self.size), np.diff(self.sentence_ptr))
        live_sentences = alive[row_of]
        self.repeated = np.zeros(self.sentence_count, dtype=np.int32)
        self.repeated[live_sentences] = _repeated(keys[live_sentences], self.source[row_of][live_sentences])

    def _order(self, alive: np.ndarray) -> None:
        """Rank of each row by (report name, position in the report); dead rows last."""
        rows = np.arange(self.size)
        first = np.zeros(self.size, dtype=np.int64)
        if self.size:
            starts = np.flatnonzero(np.r_[True, self.source[1:] != self.source[:-1]])
            first = np.repeat(starts, np.diff(np.r_[starts, self.size]))
        ranked = np.lexsort((rows - first, np.where(alive, self.source, np.iinfo(np.int32).max)))
        self.order = np.empty(self.size, dtype=np.int64)
        self.order[ranked] = np.arange(self.size)

    # --- filters ------------------------------------------------------------------------------
    def mask(self, filters: Filters) -> np.ndarray | None:
        """Boolean mask of the live rows that pass ``filters`` (resolved); None when nothing filters
        and every row is live."""
        if filters.is_empty():
            return None if self.live is None else self.live.copy()
        mask = ChunkStore.mask(self, filters)  # type: ignore[arg-type] - the same columns, over all rows
        return mask if self.live is None or mask is None else mask & self.live


class SegmentedRows:
    """Sentence vectors of several segments, read by global sentence id (``RowFile`` per segment)."""

    def __init__(self, parts: Sequence[RowFile]) -> None:
        self.parts = list(parts)
        self.offsets = np.cumsum([0, *(len(p) for p in self.parts)]).astype(np.int64)
        dims = {p.shape[1] for p in self.parts if len(p)}
        self.shape = (int(self.offsets[-1]), dims.pop() if len(dims) == 1 else 0)
        self.ndim = 2
        self.dtype = self.parts[0].dtype if self.parts else np.dtype(np.int8)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, ids: np.ndarray | list[int]) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) and (ids.min() < 0 or ids.max() >= len(self)):
            raise IndexError("sentence id out of range")
        if len(self.parts) == 1:
            return self.parts[0][ids]
        out = np.empty((len(ids), self.shape[1]), dtype=self.parts[0].dtype if self.parts else np.int8)
        segment = np.searchsorted(self.offsets, ids, side="right") - 1
        for n in np.unique(segment):
            at = np.flatnonzero(segment == n)
            out[at] = self.parts[n][ids[at] - self.offsets[n]]
        return out


__all__ = ["SegmentedReports", "SegmentedRows", "SegmentedStore", "unopened"]
