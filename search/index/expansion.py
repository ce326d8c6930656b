"""Query expansion for the lexical index from the encoder's own sense of word similarity.

Users ask in plain words ("pensioners", "handset", "classrooms"); reports use their own
("elderly", "mobile phones", "schools"). For each word of a question that never occurs in the
indexed reports, the nearest report words by embedding similarity are added to the lexical
query, so BM25 can match what the dense encoder already sees. Word vectors are computed once at
index time for the vocabulary of the reports (``vocab.json`` and ``vocab.npy`` in a generation).
How near a report word must be, and how many are added, are ``ExpansionSettings``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search.embed import Embedder
from search.index.lexical import tokenize

VOCAB_WORDS = "vocab.json"
VOCAB_VECTORS = "vocab.npy"
_WORD_RE = re.compile(r"[a-z][a-z-]{2,}")


def vocabulary(texts: Iterable[str]) -> list[str]:
    """Sorted distinct lower-case words (3+ letters) of ``texts``."""
    words: set[str] = set()
    for text in texts:
        words.update(_WORD_RE.findall(text.lower()))
    return sorted(words)


@dataclass
class QueryExpander:
    """Report vocabulary with one unit vector per word."""

    words: list[str]
    vectors: np.ndarray  # float16, len(words) x dim

    @classmethod
    def build(cls, words: list[str], embedder: Embedder, known: QueryExpander | None = None) -> QueryExpander:
        """Vectors for ``words``, reusing those ``known`` already has."""
        reuse = {w: i for i, w in enumerate(known.words)} if known else {}
        missing = [w for w in words if w not in reuse]
        fresh = embedder.encode(missing, batch_size=256) if missing else np.zeros((0, embedder.dim), np.float32)
        fresh_at = {w: i for i, w in enumerate(missing)}
        vectors = np.zeros((len(words), embedder.dim), dtype=np.float16)
        for i, word in enumerate(words):
            vectors[i] = known.vectors[reuse[word]] if word in reuse else fresh[fresh_at[word]]
        return cls(words, vectors)

    def save(self, folder: Path) -> None:
        (folder / VOCAB_WORDS).write_text(json.dumps(self.words), encoding="utf-8")
        np.save(folder / VOCAB_VECTORS, self.vectors)

    @classmethod
    def load(cls, folder: Path) -> QueryExpander | None:
        """The expander of an index folder, or None for an index built without one."""
        if not (folder / VOCAB_WORDS).exists():
            return None
        words = json.loads((folder / VOCAB_WORDS).read_text(encoding="utf-8"))
        vectors = np.load(folder / VOCAB_VECTORS, allow_pickle=False)
        if len(words) != len(vectors):
            raise ValueError("vocab.json and vocab.npy disagree")
        return cls(words, np.asarray(vectors, dtype=np.float32))

    def unknown_words(self, query: str, known_tokens: set[str]) -> list[str]:
        """Words of ``query`` (lower case) whose stems never occur in the indexed reports."""
        if not self.words:
            return []
        candidates = list(dict.fromkeys(w.lower() for w in re.findall(r"[^\W\d_][\w'-]{2,}", query)))
        stems = tokenize(candidates)
        return [w for w, s in zip(candidates, stems, strict=True) if s and s[0] not in known_tokens]

    def neighbours(self, word_vectors: np.ndarray, *, min_similarity: float, limit: int) -> list[list[str]]:
        """For each of ``word_vectors``, the nearest report words (cosine >= ``min_similarity``, up
        to ``limit``); an empty list means the reports have no word like it."""
        if not len(word_vectors) or not self.words or limit < 1:
            return [[] for _ in range(len(word_vectors))]
        similarities = word_vectors @ self.vectors.T
        k = min(limit, similarities.shape[1] - 1)
        out: list[list[str]] = []
        for row in similarities:
            top = np.argpartition(-row, k)[:limit] if k > 0 else np.arange(similarities.shape[1])
            out.append([self.words[j] for j in top[np.argsort(-row[top])] if row[j] >= min_similarity])
        return out
