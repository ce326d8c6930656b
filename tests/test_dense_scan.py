"""The half-precision scan of flat segments returns exactly what scoring every row in float32
returns: the same rows, the same order (equal scores by ``order``), with filters and tombstones,
across segments, and when near-equal scores make the scan's proposals undecided."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import search.index.dense as dense_module
from search.index.dense import FlatVectors, RowFile, SegmentedVectors, top_k


@pytest.fixture(autouse=True)
def small_segments_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Segments over 100 rows take the half-precision path here (over 20,000 in the product)."""
    monkeypatch.setattr(dense_module, "_IN_MEMORY_ROWS", 100)


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def flat_parts(tmp_path: Path, blocks: list[np.ndarray]) -> list[FlatVectors]:
    parts = []
    for n, block in enumerate(blocks):
        path = tmp_path / f"vectors{n}.npy"
        np.save(path, block)
        parts.append(FlatVectors(RowFile(path)))
    return parts


def exact(all_rows: np.ndarray, query: np.ndarray, k: int, keep: np.ndarray | None, order: np.ndarray
          ) -> list[int]:
    rows = np.flatnonzero(keep) if keep is not None else np.arange(len(all_rows))
    return rows[top_k(all_rows[rows] @ query, k, order[rows])].tolist()


@pytest.mark.parametrize("near_ties", [False, True])
def test_the_scan_equals_an_exact_float32_search(tmp_path: Path, near_ties: bool,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    blocks = [unit(rng.normal(size=(n, 384))) for n in (700, 50, 1200)]
    if near_ties:  # many rows within the half-precision error of each other: the scan cannot decide alone
        base = blocks[2][0]
        blocks[2][:600] = unit(base + rng.normal(scale=1e-4, size=(600, 384)))
        blocks[0][:300] = unit(base + rng.normal(scale=1e-4, size=(300, 384)))
    every = np.vstack(blocks)
    order = rng.permutation(len(every))
    live = rng.random(len(every)) > 0.1  # tombstones
    dense = SegmentedVectors(flat_parts(tmp_path, blocks), "flat", 384, live)
    queries = unit(rng.normal(size=(6, 384)))
    if near_ties:
        queries[:3] = unit(blocks[2][0][None, :] + rng.normal(scale=1e-3, size=(3, 384)))
    force = np.zeros(len(every), bool)
    force[300:1800] = True  # a filter too wide for scoring its rows one by one
    scored: list[int] = []
    score = SegmentedVectors.score
    monkeypatch.setattr(SegmentedVectors, "score", lambda self, q, r: scored.append(len(r)) or score(self, q, r))
    for query in queries:
        for mask in (None, force):
            keep = live if mask is None else live & mask
            scores, rows = dense.search(query[None, :], 100, mask, order=order)
            expected = exact(every, query, 100, keep, order)
            assert np.allclose(scores[0], every[rows[0]] @ query, atol=1e-6)
            if near_ties:  # rows a float32 rounding apart may swap: the scores at each rank must agree
                assert np.allclose(scores[0], every[expected] @ query, atol=1e-7) and keep[rows[0]].all()
            else:
                assert rows[0].tolist() == expected
    full_scans = sum(n > 1000 for n in scored)  # every live row scored: the scan could not decide alone
    assert (full_scans > 0) == near_ties


def test_a_large_segment_holds_half_the_bytes_and_a_small_one_its_float32_rows(tmp_path: Path) -> None:
    rows = unit(np.random.default_rng(1).normal(size=(300, 384)))
    large, small = flat_parts(tmp_path, [rows, rows[:60]])
    assert large.exact is None and large.codes.sa_code_size() == 384 * 2
    assert np.array_equal(large[[5, 2, 299]], rows[[5, 2, 299]])
    assert small.codes is None and np.array_equal(small.exact, rows[:60])


def test_a_row_half_precision_cannot_tell_apart_is_still_found(tmp_path: Path) -> None:
    """300 rows and a better one that all round to the same half-precision score: the scan
    proposes some of them, and the better one, left out, must still come first."""
    def row(first: float) -> np.ndarray:
        out = np.zeros(384, np.float32)
        out[0], out[1] = first, np.sqrt(1 - first * first)
        return out

    rows = np.stack([row(0.5001)] * 300 + [row(0.5002)])  # both round to 0.5 in half precision
    assert np.float16(0.5001) == np.float16(0.5002)
    dense = SegmentedVectors(flat_parts(tmp_path, [rows]), "flat", 384)
    query = np.zeros(384, np.float32)
    query[0] = 1.0
    scores, found = dense.search(query[None, :], 1, None, order=np.arange(len(rows)))
    assert found[0].tolist() == [300] and scores[0][0] == pytest.approx(0.5002, abs=1e-6)


def test_tombstones_scan_without_the_row_filter_and_a_narrow_filter_uses_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mostly live rows are scanned unfiltered and the dead ones dropped (the row filter halves
    the scan's speed); a filter keeping under half, or dead rows filling the scan's top, fall
    back to the row filter. Every path returns the exact top rows."""
    monkeypatch.setattr(dense_module, "_BRUTE_FORCE_ROWS", 10)
    rng = np.random.default_rng(3)
    rows = unit(rng.normal(size=(1000, 384)))
    query = unit(rng.normal(size=(1, 384)))[0]
    rows[:400] = unit(query[None, :] + rng.normal(scale=0.05, size=(400, 384)))  # the best 400 rows
    order = np.arange(len(rows))
    filtered: list[int] = []
    selector = dense_module._selector
    monkeypatch.setattr(dense_module, "_selector", lambda mask: filtered.append(1) or selector(mask))
    tombstones = rng.random(len(rows)) > 0.05
    narrow = np.zeros(len(rows), bool)
    narrow[::3] = True
    best_dead = np.ones(len(rows), bool)
    best_dead[:400] = False  # 60% live, but the unfiltered scan's top rows are all dead
    for live, uses_filter in ((tombstones, False), (narrow, True), (best_dead, True)):
        filtered.clear()
        dense = SegmentedVectors(flat_parts(tmp_path, [rows]), "flat", 384, live)
        _, found = dense.search(query[None, :], 20, None, order=order)
        assert found[0].tolist() == exact(rows, query, 20, live, order)
        assert bool(filtered) == uses_filter
