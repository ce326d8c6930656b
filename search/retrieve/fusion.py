"""Pure functions that combine rankings. No I/O."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from search.config import RetrievalSettings

RRF_K = RetrievalSettings().rrf_k


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], weights: Sequence[float] | None = None, k: int = RRF_K,
    scales: Sequence[Sequence[float] | None] | None = None,
) -> dict[int, float]:
    """Fuse ranked id lists: score(id) = sum_i w_i * s_i(id) / (k + rank_i(id)), ranks from 1.

    ``scales`` (optional, one per ranking, None for all ones) gives each ranked item its own
    multiplier ``s_i``, in the ranking's order: how far that ranking's vote for the item is to be
    trusted. Ids missing from a list get nothing from it.
    """
    weights = weights or [1.0] * len(rankings)
    scales = scales or [None] * len(rankings)
    scores: dict[int, float] = {}
    for ranking, weight, scale in zip(rankings, weights, scales, strict=True):
        if scale is not None and len(scale) != len(ranking):
            raise ValueError(f"a ranking of {len(ranking)} items has {len(scale)} scales")
        for rank, item in enumerate(ranking, start=1):
            vote = weight if scale is None else weight * float(scale[rank - 1])
            scores[int(item)] = scores.get(int(item), 0.0) + vote / (k + rank)
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
