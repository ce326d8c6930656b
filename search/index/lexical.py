"""BM25 over the same rows as the vector index (bm25s, English stemming and stop words)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np

from ingest.textutil import strip_markers

_TOKEN_PATTERN = r"(?u)\b\w\w+\b"


@cache
def _stemmer():
    try:
        import Stemmer
    except ImportError:  # pragma: no cover - PyStemmer is a declared dependency
        return None
    return Stemmer.Stemmer("english")


def lexical_text(embed_text: str) -> str:
    """What the lexical index sees for a chunk: what the encoder sees (context prefix with the
    heading path, then the text without footnote markers; tables with caption and header)."""
    return strip_markers(embed_text)


def tokenize(texts: list[str], *, show_progress: bool = False):
    import bm25s

    return bm25s.tokenize(
        [re.sub(r"[\t|]", " ", t) for t in texts], lower=True, token_pattern=_TOKEN_PATTERN, stopwords="en",
        stemmer=_stemmer(), show_progress=show_progress, return_ids=False,
    )


class LexicalIndex:
    """A bm25s index whose document ``i`` is chunk ``i``."""

    def __init__(self, retriever, size: int) -> None:
        self.retriever = retriever
        self.size = size
        self.vocabulary: set[str] = set(getattr(retriever, "vocab_dict", {}) or {})

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
        tokens = tokenize(texts)
        # bm25s needs at least one token per corpus; an empty corpus gets a placeholder.
        retriever.index(tokens if any(tokens) else [["empty"]], show_progress=False)
        return cls(retriever, len(texts))

    @classmethod
    def load(cls, path: Path, size: int) -> LexicalIndex:
        import bm25s

        # Memory-mapped: a query reads only the postings of its own terms.
        retriever = bm25s.BM25.load(str(path), mmap=True, allow_pickle=False, show_progress=False)
        documents = int(retriever.scores.get("num_docs", -1))
        if documents != size and not (size == 0 and documents == 1):  # an empty corpus holds one placeholder
            raise ValueError(f"the lexical index holds {documents} documents but the store {size} chunks")
        return cls(retriever, size)

    def save(self, path: Path) -> None:
        self.retriever.save(str(path), allow_pickle=False, show_progress=False)

    def query_tokens(self, query: str | list[str]) -> list[str]:
        """The indexed tokens of ``query``; a list is taken as tokens already made by this method
        (so that one query is tokenized once for ``search`` and ``coverage``)."""
        if isinstance(query, list):
            return query
        tokens = tokenize([query])[0]
        return [t for t in tokens if t in self.vocabulary]

    def search(self, query: str | list[str], k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` rows by BM25 with a positive score: (scores, row ids)."""
        tokens = self.query_tokens(query)
        if not tokens or self.size == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores = self.retriever.get_scores(tokens)[: self.size]
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        k = min(k, int(np.count_nonzero(scores > 0)))
        if k == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return scores[top].astype(np.float32), top.astype(np.int64)

    def coverage(self, query: str | list[str], rows: np.ndarray) -> np.ndarray:
        """For each of ``rows``, the share of the query's indexed words it contains, each word
        weighted by its idf: 1.0 when the chunk has every word, 0.0 when none. BM25 ranks even
        when the best match shares one common word with the question; this says how much of the
        question a match covers."""
        rows = np.asarray(rows, dtype=np.int64)
        tokens = list(dict.fromkeys(self.query_tokens(query)))
        covered = np.zeros(len(rows), dtype=np.float64)
        if not tokens or not len(rows):
            return covered
        weights = self.idf(tokens)
        vocab, indptr, indices = self.retriever.vocab_dict, self.retriever.scores["indptr"], self.retriever.scores["indices"]
        for token in tokens:
            tid = vocab[token]
            # A term's postings are its documents in increasing order (bm25s sorts them by term,
            # then document), so finding ``rows`` costs a binary search each, not a pass.
            postings = indices[indptr[tid]:indptr[tid + 1]]
            if len(postings):
                at = np.minimum(np.searchsorted(postings, rows), len(postings) - 1)
                covered += weights[token] * (postings[at] == rows)
        return covered / sum(weights.values())

    def idf(self, tokens: list[str]) -> dict[str, float]:
        """Inverse document frequency of query tokens, for weighting overlap."""
        vocab = self.retriever.vocab_dict
        n = max(1, self.size)
        out: dict[str, float] = {}
        indptr = self.retriever.scores["indptr"]
        for token in tokens:
            tid = vocab.get(token)
            df = int(indptr[tid + 1] - indptr[tid]) if tid is not None else 0
            out[token] = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
        return out
