"""What a search returns: ranked hits, what filtered them, and the index snapshot they came from.

The result sits above the index layer because it holds the snapshot it was computed on: an
answer composed from it reads sentences and rows of that same generation, even when a new one
has been published in the meantime.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from search.index.snapshot import IndexSnapshot
from search.retrieve.question import Question
from search.types import Hit


@dataclass(frozen=True)
class SearchResult:
    """Ranked passages for a question, with the filters used and any notices for the user."""

    query: str
    hits: tuple[Hit, ...]  # passages, best first (each grown from a ranked chunk)
    filters_used: dict[str, Any]
    understood: dict[str, Any] = field(default_factory=dict)
    notices: tuple[str, ...] = ()
    out_of_scope: bool = False
    generation: str = ""
    vector: np.ndarray | None = field(default=None, repr=False, compare=False)  # the encoded question
    focus_vector: np.ndarray | None = field(default=None, repr=False, compare=False)  # the encoded focus
    foreign_words: tuple[str, ...] = ()  # question words with no word like them in the indexed reports
    lexical_tokens: tuple[str, ...] = field(default=(), repr=False, compare=False)  # what BM25 was asked
    question: Question | None = field(default=None, repr=False, compare=False)
    snapshot: IndexSnapshot | None = field(default=None, repr=False, compare=False)
    chunks: tuple[Hit, ...] = field(default=(), repr=False)  # the ranked chunks themselves, best first: what
    # answers quote from (each hit's text is its chunk)

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "filters_used": self.filters_used, "understood": self.understood,
                "notices": list(self.notices), "out_of_scope": self.out_of_scope,
                "hits": [h.to_dict() for h in self.hits]}


__all__ = ["SearchResult"]
