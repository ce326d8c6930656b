"""Small to big: chunks are scored, passages are returned.

A chunk (at most 192 word pieces) is the unit the encoder and BM25 score well; it is often too
small to hold the whole answer, and on a short publication the chunk that names the topic is not
always the one that answers. So each ranked chunk becomes a *passage*: the chunk grown with its
neighbours in the same report, first within its own section and then across the headings around
it, up to ``RetrievalSettings.passage_chars`` characters (about 400 words). A chunk already shown
in a better passage neither starts nor joins another one, so the passages of one search never
repeat each other. The chunk stays the passage's highlight.

Pure functions over a ``Layout`` (where each chunk sits in its report); no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Layout:
    """Where every chunk sits, by row: its report, its section and its offsets in the report's text.

    Rows of one report are consecutive and in reading order (the build writes them so), so a
    chunk's neighbours are the rows before and after it with the same report.
    """

    report: np.ndarray  # int code per row
    section: np.ndarray  # int code per row, distinct across reports
    start: np.ndarray  # offsets in the report's text
    end: np.ndarray

    def __post_init__(self) -> None:
        sizes = {len(self.report), len(self.section), len(self.start), len(self.end)}
        if len(sizes) != 1:
            raise ValueError(f"a layout needs one report, section, start and end per row, not {sorted(sizes)}")

    @property
    def size(self) -> int:
        return len(self.report)


@dataclass(frozen=True)
class Passage:
    """A run of consecutive chunks of one report, grown from ``seed``.

    ``start``/``end`` are offsets in the report's text; ``rows`` are first..last.
    """

    seed: int
    first: int
    last: int
    start: int
    end: int

    @property
    def rows(self) -> tuple[int, ...]:
        return tuple(range(self.first, self.last + 1))


def grow(seed: int, layout: Layout, max_chars: int, taken: set[int] | frozenset[int] = frozenset(),
         allowed: np.ndarray | None = None) -> Passage:
    """``seed`` grown with neighbouring chunks of its report while the passage stays within
    ``max_chars`` characters: a neighbour of the seed's own section before one across a heading,
    the chunk after before the one before. Rows in ``taken`` (already shown) or outside ``allowed``
    (a filter's mask) are never added, and growth stops at them."""
    first = last = seed
    report = layout.report[seed]
    while True:
        options = []
        for row, after in ((last + 1, True), (first - 1, False)):
            if not 0 <= row < layout.size or layout.report[row] != report or row in taken:
                continue
            if allowed is not None and not allowed[row]:
                continue
            in_order = layout.start[row] >= layout.start[last] if after else layout.start[row] <= layout.start[first]
            lo, hi = min(first, row), max(last, row)
            if not in_order or layout.end[hi] - layout.start[lo] > max_chars:
                continue
            options.append((layout.section[row] != layout.section[seed], not after, lo, hi))
        if not options:
            break
        _, _, first, last = min(options)
    return Passage(seed=seed, first=first, last=last, start=int(layout.start[first]), end=int(layout.end[last]))


def passages(ranked: Iterable[int], layout: Layout, max_chars: int, k: int,
             allowed: np.ndarray | None = None) -> list[Passage]:
    """The first ``k`` passages grown from chunks in ``ranked`` order (best first). A chunk inside
    an earlier passage is skipped; with ``max_chars`` 0 every passage is its chunk alone."""
    taken: set[int] = set()
    out: list[Passage] = []
    for seed in ranked:
        seed = int(seed)
        if seed in taken:
            continue
        passage = grow(seed, layout, max_chars, taken, allowed) if max_chars > 0 else Passage(
            seed, seed, seed, int(layout.start[seed]), int(layout.end[seed]))
        taken.update(passage.rows)
        out.append(passage)
        if len(out) == k:
            break
    return out


__all__ = ["Layout", "Passage", "grow", "passages"]
