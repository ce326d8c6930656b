"""Pure functions that combine rankings. No I/O."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], weights: Sequence[float] | None = None, k: int = RRF_K
) -> dict[int, float]:
    """Fuse ranked id lists: score(id) = sum_i w_i / (k + rank_i(id)), ranks from 1.

    Ids missing from a list get nothing from it.
    """
    weights = weights or [1.0] * len(rankings)
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[int(item)] = scores.get(int(item), 0.0) + weight / (k + rank)
    return scores


def min_max(values: np.ndarray) -> np.ndarray:
    """Scale to [0, 1]; a constant array maps to ones."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return values
    lo, hi = float(values.min()), float(values.max())
    return np.ones_like(values) if hi - lo < 1e-12 else (values - lo) / (hi - lo)


def top_items(scores: dict[int, float], k: int) -> list[tuple[int, float]]:
    """The ``k`` best (id, score) pairs, best first; ties broken by smaller id (stable)."""
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
