"""Dense vector search behind a small interface; FAISS is the one implementation.

Row ``i`` of the vector index is chunk ``i`` of the chunk store and document ``i`` of the
lexical index. The build calls ``FaissIndex.build`` and loading calls ``open_vector_index``;
neither ingest nor the app sees FAISS. Sentence vectors are stored as int8 (``quantize_unit``)
and read on demand (``RowFile``). A second backend would implement ``VectorIndex`` and be named
in the manifest, which today records only the index type (docs/scaling.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

INDEX_TYPES = ("flat", "hnsw", "ivf")
"""flat: exact inner product (default; best up to a few hundred thousand chunks).
hnsw: graph index, approximate, fast at millions of vectors, more memory.
ivf: inverted lists over k-means cells, approximate, compact; needs training data."""

_BRUTE_FORCE_ROWS = 20_000
_CODE_BLOCK = 16_384
_IN_MEMORY_ROWS = 20_000
"""Flat segments up to this many rows are held in float32 (30 MB) and scanned exactly."""
HALF_ERROR = 2.0 ** -10
"""Bound on |exact - half-precision| inner product per unit of |query| x |row|: rounding to half
precision moves each component by at most 2^-11 of itself; twice that covers float32 summing."""
_SCAN_EXTRA = 64
"""Candidates the half-precision scan proposes beyond ``k`` (twice ``k`` at least)."""


def top_k(scores: np.ndarray, k: int, order: np.ndarray | None = None) -> np.ndarray:
    """Positions of the ``k`` highest of ``scores``, best first. Equal scores are ordered by
    ``order`` (lower first; default the position), so a result never depends on where rows sit."""
    scores = np.asarray(scores)
    n = len(scores)
    k = min(int(k), n)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k < n:
        kth = np.partition(scores, n - k)[n - k]
        candidates = np.flatnonzero(scores >= kth)
    else:
        candidates = np.arange(n)
    ties = candidates if order is None else np.asarray(order)[candidates]
    return candidates[np.lexsort((ties, -scores[candidates]))][:k].astype(np.int64)


def quantize_unit(vectors: np.ndarray) -> np.ndarray:
    """Unit vectors as int8 for storage, each scaled so its largest component is ±127: a quarter
    of float32, and cosines within about 0.001 of the float32 ones."""
    vectors = np.asarray(vectors, dtype=np.float32)
    peak = np.abs(vectors).max(axis=1, keepdims=True) if vectors.size else np.ones((len(vectors), 1), np.float32)
    return np.clip(np.rint(vectors * (127.0 / np.maximum(peak, 1e-12))), -127, 127).astype(np.int8)


def dequantize(rows: np.ndarray) -> np.ndarray:
    """Stored sentence vectors as float32 unit vectors (an int8 row's scale is its norm)."""
    rows = np.array(rows, dtype=np.float32)  # a copy: normalised in place below
    if rows.ndim == 2 and len(rows):
        rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return rows


class RowFile:
    """Rows of a 2-D ``.npy`` file read on demand with ``os.pread`` (thread-safe).

    Sentence vectors are read this way rather than memory-mapped: a query needs a few hundred
    scattered rows, which come from the page cache without the process holding the file's
    pages. Only plain numeric arrays are accepted, never pickled objects.
    """

    def __init__(self, path: Path) -> None:
        import os

        mapped = np.load(path, mmap_mode="r", allow_pickle=False)  # checks the header and the file size
        if mapped.ndim != 2 or mapped.dtype.kind not in "iuf" or not mapped.flags.c_contiguous:
            raise ValueError(f"{path.name} is not a 2-D numeric array")
        self.shape: tuple[int, int] = (int(mapped.shape[0]), int(mapped.shape[1]))
        self.dtype = mapped.dtype
        self._offset = int(mapped.offset)
        self._row_bytes = self.shape[1] * self.dtype.itemsize
        del mapped  # the process keeps no mapping of the file
        self._fd = os.open(path, os.O_RDONLY)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, ids: np.ndarray | list[int]) -> np.ndarray:
        """The rows ``ids`` (in that order), read in one call per run of consecutive ids."""
        import os

        ids = np.asarray(ids, dtype=np.int64)
        out = np.empty((len(ids), self.shape[1]), dtype=self.dtype)
        if not len(ids):
            return out
        if ids.min() < 0 or ids.max() >= self.shape[0]:
            raise IndexError("row id out of range")
        breaks = np.flatnonzero(np.diff(ids) != 1) + 1
        for start, stop in zip(np.r_[0, breaks], np.r_[breaks, len(ids)], strict=True):
            first, count = int(ids[start]), int(stop - start)
            data = os.pread(self._fd, count * self._row_bytes, self._offset + first * self._row_bytes)
            out[start:stop] = np.frombuffer(data, dtype=self.dtype).reshape(count, self.shape[1])
        return out

    def close(self) -> None:
        import os

        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown
            self.close()


def _selector(mask: np.ndarray):
    """A FAISS selector of the rows ``mask`` keeps, and the bitmap it reads (keep it alive while
    the selector is used)."""
    import faiss

    bitmap = np.packbits(mask.astype(np.uint8), bitorder="little")
    return faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bitmap)), bitmap


class FlatVectors:
    """A flat segment's chunk vectors. A small segment (up to ``_IN_MEMORY_ROWS``) is held in
    float32 and scanned exactly. A large one keeps a half-precision copy in memory (FAISS's scalar
    quantizer) that the scan reads, and its float32 rows are read from ``vectors.npy`` on demand.

    Scanning half the bytes is about twice as fast, and the process holds half the memory. The
    half-precision scan only proposes candidates: ``SegmentedVectors.search`` scores them exactly
    and proves that no other row could rank among the top (``HALF_ERROR``), so results are those
    of an exact scan.
    """

    def __init__(self, rows: RowFile | np.ndarray) -> None:
        import faiss

        n, dim = (int(rows.shape[0]), int(rows.shape[1])) if len(rows.shape) == 2 else (0, 0)
        self.shape = (n, dim)
        self.rows = rows
        self.exact: np.ndarray | None = None
        self.codes = None
        self.max_norm = 0.0
        if n <= _IN_MEMORY_ROWS:
            self.exact = np.ascontiguousarray(rows[np.arange(n)], dtype=np.float32).reshape(n, dim)
            self.max_norm = float(np.linalg.norm(self.exact, axis=1).max()) if n else 0.0
            if isinstance(rows, RowFile):
                rows.close()  # every row is in memory: the file is not read again
            self.rows = self.exact
            return
        self.codes = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
        for start in range(0, n, _CODE_BLOCK):  # read in blocks: the float32 file is never held whole
            block = np.ascontiguousarray(rows[np.arange(start, min(n, start + _CODE_BLOCK))], dtype=np.float32)
            self.max_norm = max(self.max_norm, float(np.linalg.norm(block, axis=1).max()))
            self.codes.add(block)

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def size(self) -> int:
        return self.shape[0]

    def __getitem__(self, ids: np.ndarray | list[int]) -> np.ndarray:
        """The exact float32 rows ``ids``, in that order."""
        ids = np.asarray(ids, dtype=np.int64)
        return self.exact[ids] if self.exact is not None else np.asarray(self.rows[ids], dtype=np.float32)

    def scan(self, queries: np.ndarray, k: int, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (scores, local row ids, -1 where fewer) among ``mask``: exact for a small
        segment, by the half-precision scores for a large one."""
        import faiss

        if self.codes is None:
            return _exact_all(self.exact, queries, k, mask)
        if mask is None:
            return self.codes.search(queries, k)
        kept = int(np.count_nonzero(mask))
        if 2 * kept >= len(mask):  # mostly kept (tombstones, a wide filter): a plain scan, then drop the rest
            found = self._scan_wide(queries, k, mask, kept)
            if found is not None:
                return found
        selector, _bitmap = _selector(mask)  # the bitmap must outlive the call
        return self.codes.search(queries, k, params=faiss.SearchParameters(sel=selector))

    def _scan_wide(self, queries: np.ndarray, k: int, mask: np.ndarray, kept: int
                   ) -> tuple[np.ndarray, np.ndarray] | None:
        """The top ``k`` among ``mask`` from an unfiltered scan of more rows (FAISS's row filter
        halves the scan's speed); None when a query's scan kept fewer than ``k``. A kept row the
        wider scan left out scores at most its last row, so the kept rows it found are the top."""
        wide = min(len(mask), -(-k * len(mask) // kept) + _SCAN_EXTRA)
        scores, rows = self.codes.search(queries, wide)
        out_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        out_rows = np.full((len(queries), k), -1, dtype=np.int64)
        for q in range(len(queries)):
            ok = rows[q] >= 0
            ok[ok] = mask[rows[q][ok]]
            chosen = np.flatnonzero(ok)[:k]
            if len(chosen) < min(k, kept):
                return None
            out_scores[q, :len(chosen)], out_rows[q, :len(chosen)] = scores[q][chosen], rows[q][chosen]
        return out_scores, out_rows


class VectorIndex(Protocol):
    kind: str

    @property
    def size(self) -> int: ...

    def search(self, queries: np.ndarray, k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` rows by inner product for each query, among the rows ``mask`` keeps:
        (scores, row ids), -1 where fewer match."""
        ...

    def score(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact inner product of one query with the given rows."""
        ...

    def save(self, path: Path) -> None: ...


class FaissIndex:
    """A FAISS index plus the raw vectors (memory-mapped) for exact filtered scoring."""

    def __init__(self, index, vectors: np.ndarray, kind: str) -> None:
        self.index = index
        self.vectors = vectors
        self.kind = kind

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = "flat") -> FaissIndex:
        import faiss

        if kind not in INDEX_TYPES:
            raise ValueError(f"unknown index type {kind!r}: choose one of {', '.join(INDEX_TYPES)}")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape if vectors.ndim == 2 else (0, 384)
        if kind == "hnsw" and n:
            index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
            index.hnsw.efSearch = 128
        elif kind == "ivf" and n >= 1000:
            nlist = max(16, int(4 * np.sqrt(n)))
            quantizer = faiss.IndexFlatIP(dim)
            index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
            index.train(vectors[np.random.default_rng(0).choice(n, min(n, nlist * 64), replace=False)])
            index.nprobe = max(8, nlist // 16)
        else:
            index = faiss.IndexFlatIP(dim)
            kind = "flat" if kind != "hnsw" or not n else kind
        if n:
            index.add(vectors)
        return cls(index, vectors, kind)

    @classmethod
    def load(cls, path: Path, vectors: np.ndarray, kind: str) -> FaissIndex:
        import faiss

        if kind not in INDEX_TYPES:
            raise ValueError(f"unknown index type {kind!r}")
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path} is missing")
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:  # FAISS reports an unreadable file as a RuntimeError
            raise ValueError(f"{Path(path).name} is not a readable FAISS index ({str(exc).splitlines()[0][:200]})"
                             ) from exc
        if index.ntotal != len(vectors):
            raise ValueError(f"{path.name} holds {index.ntotal} vectors but the store has {len(vectors)}")
        if vectors.ndim != 2 or index.d != vectors.shape[1]:
            raise ValueError(f"{path.name} holds {index.d}-dimensional vectors, vectors.npy {vectors.shape[1:]}")
        if kind == "hnsw":
            faiss.downcast_index(index).hnsw.efSearch = 128
        flat = faiss.downcast_index(index)
        if isinstance(flat, faiss.IndexFlat) and index.ntotal:
            # A flat index holds every vector in memory already: exact filtered scoring reads that
            # copy instead of paging the memory-mapped file in a second time.
            vectors = faiss.rev_swig_ptr(flat.get_xb(), index.ntotal * index.d).reshape(index.ntotal, index.d)
        return cls(index, vectors, kind)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    def score(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.vectors[np.asarray(rows, dtype=np.int64)], dtype=np.float32) @ query

    def search(self, queries: np.ndarray, k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if self.size == 0 or k <= 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        if mask is not None:
            rows = np.flatnonzero(mask)
            if len(rows) == 0:
                return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
            if len(rows) <= _BRUTE_FORCE_ROWS:
                return _exact_subset(self.vectors, rows, queries, k)
            if self.kind == "flat":
                return _exact_all(self.vectors, queries, k, mask)
            import faiss

            selector, _bitmap = _selector(mask)  # the bitmap must outlive the call
            if self.kind == "hnsw":
                params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(128, 2 * k))
            elif self.kind == "ivf":
                params = faiss.SearchParametersIVF(sel=selector, nprobe=faiss.downcast_index(self.index).nprobe)
            else:
                params = faiss.SearchParameters(sel=selector)
            return self.index.search(queries, min(k, len(rows)), params=params)
        if self.kind == "flat":
            return _exact_all(self.vectors, queries, k)
        scores, ids = self.index.search(queries, min(k, self.size))
        return scores, ids


def _exact_all(vectors: np.ndarray, queries: np.ndarray, k: int, mask: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Exact top ``k`` over every row (those ``mask`` keeps). One matrix-vector product in BLAS
    uses both cores; FAISS's flat search runs a single query on one (2x slower at 100,000 rows)."""
    scores = queries @ vectors.T
    if mask is not None:
        scores[:, ~mask] = -np.inf
        k = min(k, int(np.count_nonzero(mask)))
    k = min(k, scores.shape[1])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    top_scores = np.take_along_axis(scores, top, axis=1)
    order = np.argsort(-top_scores, axis=1, kind="stable")
    return np.take_along_axis(top_scores, order, axis=1), np.take_along_axis(top, order, axis=1).astype(np.int64)


def _exact_subset(vectors: np.ndarray, rows: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    scores = queries @ np.asarray(vectors[rows]).T
    k = min(k, len(rows))
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    top_scores = np.take_along_axis(scores, top, axis=1)
    order = np.argsort(-top_scores, axis=1)
    return np.take_along_axis(top_scores, order, axis=1), rows[np.take_along_axis(top, order, axis=1)]


class SegmentedVectors:
    """The vectors of several segments searched as one index: global row = ``offsets[s]`` + local
    row of segment s (the rows of the chunk store and of the lexical index). ``live`` (None when
    every row is live) leaves out the tombstoned rows of removed and changed reports.

    Flat segments are exact: one matrix product per segment, then one top ``k`` over all rows.
    HNSW and IVF segments are searched with their own FAISS index and the results merged.
    """

    def __init__(self, parts: Sequence[FaissIndex | FlatVectors | np.ndarray], kind: str, dim: int,
                 live: np.ndarray | None = None) -> None:
        self.parts = list(parts)
        self.kind = kind
        self.dim = dim
        self.sizes = [len(p) if isinstance(p, np.ndarray) else p.size for p in self.parts]
        self.offsets = np.cumsum([0, *self.sizes])[:-1].astype(np.int64)
        self.live = live

    @property
    def size(self) -> int:
        return int(sum(self.sizes))

    def _vectors(self, n: int) -> np.ndarray | FlatVectors:
        part = self.parts[n]
        return part.vectors if isinstance(part, FaissIndex) else part

    def _keep(self, mask: np.ndarray | None) -> np.ndarray | None:
        if self.live is None:
            return mask
        return self.live if mask is None else mask & self.live

    def vectors(self, rows: np.ndarray | list[int]) -> np.ndarray:
        """The stored vectors of the given global rows (float32)."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), self.dim), dtype=np.float32)
        segment = np.searchsorted(self.offsets, rows, side="right") - 1
        for n in np.unique(segment):
            at = np.flatnonzero(segment == n)
            out[at] = np.asarray(self._vectors(n)[rows[at] - self.offsets[n]], dtype=np.float32)
        return out

    def score(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact inner product of one query with the given global rows."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty(len(rows), dtype=np.float32)
        segment = np.searchsorted(self.offsets, rows, side="right") - 1
        for n in np.unique(segment):
            at = np.flatnonzero(segment == n)
            out[at] = np.asarray(self._vectors(n)[rows[at] - self.offsets[n]], dtype=np.float32) @ query
        return out

    def search(self, queries: np.ndarray, k: int, mask: np.ndarray | None = None,
               order: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` global rows by inner product for each query among the live rows ``mask``
        keeps: (scores, row ids), -1 where fewer match. Equal scores are ordered by ``order``."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        keep = self._keep(mask)
        empty = np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        if self.size == 0 or k <= 0 or (keep is not None and not keep.any()):
            return empty
        rows = np.flatnonzero(keep) if keep is not None else None
        if rows is not None and len(rows) <= _BRUTE_FORCE_ROWS and 2 * len(rows) < self.size:  # a narrow filter
            scores = np.stack([self.score(q, rows) for q in queries])
            return _best(scores, rows, k, order)
        if self.parts and all(isinstance(p, FlatVectors) for p in self.parts):
            return self._scan(queries, k, keep, order)
        if self.kind == "flat" or all(isinstance(p, np.ndarray) for p in self.parts):
            scores = np.hstack([queries @ np.asarray(self._vectors(n)).T for n in range(len(self.parts))])
            if keep is not None:
                scores[:, ~keep] = -np.inf
            return _best(scores, np.arange(self.size, dtype=np.int64), min(k, self.size if keep is None else
                                                                          len(rows)), order)
        found_scores, found_rows = [], []
        for n, part in enumerate(self.parts):
            local = None if keep is None else keep[self.offsets[n]:self.offsets[n] + self.sizes[n]]
            if self.sizes[n] == 0 or (local is not None and not local.any()):
                continue
            if isinstance(part, np.ndarray):  # a small segment kept flat
                s, r = _exact_all(part, queries, k, local)
            else:
                s, r = part.search(queries, k, local)
            found_scores.append(s)
            found_rows.append(np.where(r >= 0, r + self.offsets[n], -1))
        scores, rows_found = np.hstack(found_scores), np.hstack(found_rows)
        scores = np.where(rows_found >= 0, scores, -np.inf)
        out_scores, out_rows = [], []
        for q in range(len(queries)):
            top = top_k(scores[q], k, None if order is None else order[np.maximum(rows_found[q], 0)])
            top = top[np.isfinite(scores[q][top])]
            out_scores.append(scores[q][top])
            out_rows.append(rows_found[q][top])
        width = max(len(r) for r in out_rows)
        return (np.stack([np.pad(s, (0, width - len(s)), constant_values=-np.inf) for s in out_scores]),
                np.stack([np.pad(r, (0, width - len(r)), constant_values=-1) for r in out_rows]))

    def _scan(self, queries: np.ndarray, k: int, keep: np.ndarray | None, order: np.ndarray | None
              ) -> tuple[np.ndarray, np.ndarray]:
        """Exact top ``k`` over flat segments. Each segment's half-precision scan proposes candidates
        and they are scored exactly; a row the scan left out scores at most its segment's last
        proposal plus the rounding bound, so when the ``k``-th exact score is above that for every
        segment the result is the exact one. Otherwise every live row is scored exactly."""
        k = min(k, self.size if keep is None else int(np.count_nonzero(keep)))
        want = max(2 * k, k + _SCAN_EXTRA)
        found_scores, found_rows = [], []
        for query in queries:
            candidates, left_out = [], -np.inf  # the best half-precision score a left-out row can have
            for n, part in enumerate(self.parts):
                local = None if keep is None else keep[self.offsets[n]:self.offsets[n] + self.sizes[n]]
                if self.sizes[n] == 0 or (local is not None and not local.any()):
                    continue
                scores, rows = part.scan(query[None, :], want, local)
                got = rows[0] >= 0
                if got.all() and len(got) == want:  # the segment may hold more live rows than it proposed
                    left_out = max(left_out, float(scores[0][-1]))
                candidates.append(rows[0][got] + self.offsets[n])
            rows = np.concatenate(candidates) if candidates else np.zeros(0, np.int64)
            exact = self.score(query, rows)
            top = top_k(exact, k, None if order is None else order[rows])
            error = HALF_ERROR * float(np.linalg.norm(query)) * max(p.max_norm for p in self.parts)
            if len(top) < k or (left_out > -np.inf and exact[top[-1]] <= left_out + error):
                rows = np.flatnonzero(keep) if keep is not None else np.arange(self.size, dtype=np.int64)
                exact = np.concatenate([self.score(query, rows[i:i + _CODE_BLOCK])
                                        for i in range(0, len(rows), _CODE_BLOCK)])
                top = top_k(exact, k, None if order is None else order[rows])
            found_scores.append(exact[top].astype(np.float32))
            found_rows.append(rows[top].astype(np.int64))
        return np.stack(found_scores), np.stack(found_rows)


def _best(scores: np.ndarray, rows: np.ndarray, k: int, order: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` of each row of ``scores`` (columns are ``rows``), equal scores by ``order``."""
    keys = None if order is None else np.asarray(order)[rows]
    picks = [top_k(row, k, keys) for row in scores]
    return (np.stack([row[p] for row, p in zip(scores, picks, strict=True)]).astype(np.float32),
            np.stack([rows[p] for p in picks]).astype(np.int64))


def open_vector_index(path: Path, vectors: np.ndarray, kind: str) -> VectorIndex:
    """Load the vector index of a generation (``vectors`` are its memory-mapped vectors.npy).

    Raises:
        ValueError: the file is not a FAISS index of these vectors (damaged or from another build).
    """
    return FaissIndex.load(path, vectors, kind)
