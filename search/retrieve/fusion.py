"""Pure functions that combine rankings. No I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from search.config import RetrievalSettings

RRF_K = RetrievalSettings().rrf_k
SIGNALS = ("dense", "lexical", "sentence", "focus_sentence", "year")
"""The rankings a search fuses: chunk vectors to the question; BM25; each chunk's best sentence to the
question; its best sentence to the question's focus; chunks of the years the question names."""


@dataclass(frozen=True)
class Ranking:
    """One signal's candidate rows, best first, and how far its vote for each is trusted (``scales``,
    in the same order; None for a full vote)."""

    signal: str
    rows: np.ndarray
    scales: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.signal not in SIGNALS:
            raise ValueError(f"unknown signal {self.signal!r}: use one of {', '.join(SIGNALS)}")
        if self.scales is not None and len(self.scales) != len(self.rows):
            raise ValueError(f"a ranking of {len(self.rows)} rows has {len(self.scales)} scales")


def signal_weights(settings: RetrievalSettings) -> dict[str, float]:
    """The vote of each signal, from the settings."""
    return {"dense": settings.dense_weight, "lexical": settings.lexical_weight, "sentence": settings.sentence_weight,
            "focus_sentence": settings.focus_sentence_weight, "year": settings.year_weight}


def fuse(rankings: Sequence[Ranking], weights: Mapping[str, float], k: int = RRF_K,
         order: np.ndarray | None = None) -> list[tuple[int, float]]:
    """Every ranked row with its fused score (reciprocal rank fusion, weighted by signal), best first;
    ties go to the row of lower ``order[row]`` (the lower row without ``order``). A signal of weight 0
    casts no vote."""
    kept = [r for r in rankings if weights.get(r.signal, 0.0) > 0]
    fused = reciprocal_rank_fusion([r.rows for r in kept], [weights[r.signal] for r in kept], k=k,
                                   scales=[r.scales for r in kept])
    if order is None:
        return top_items(fused, len(fused))
    return sorted(fused.items(), key=lambda item: (-item[1], int(order[item[0]])))


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
