"""BM25 over the same rows as the vector index (bm25s, English stemming and stop words).

Coverage and idf read bm25s's postings (its sparse score matrix and vocabulary), which bm25s
does not promise to keep as they are. Everything that touches them is in ``_Postings`` below:
it checks their layout when an index is built or loaded and refuses another one with a message
naming the bm25s versions this code was tested with (``TESTED_BM25S``, pinned in pyproject.toml).
"""

from __future__ import annotations

import logging
import re
from functools import cache
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np

from ingest.textutil import strip_markers
from search.errors import IndexIncompatibleError

TESTED_BM25S = ">=0.3.16,<0.4"
"""The bm25s versions whose index layout this module reads (keep in step with pyproject.toml)."""
K1, B = 1.2, 0.75
"""BM25 parameters (Lucene's variant); fixed at build time, like the chunking."""
_TOKEN_PATTERN = r"(?u)\b\w\w+\b"

logger = logging.getLogger(__name__)


@cache
def _stemmer() -> Any:
    try:
        import Stemmer
    except ImportError:  # pragma: no cover - PyStemmer is a declared dependency
        logger.warning("PyStemmer is missing: lexical search runs without stemming (pip install PyStemmer)")
        return None
    return Stemmer.Stemmer("english")


def stem(word: str) -> str:
    """One word as the lexical index spells it (lower case, stemmed)."""
    stemmer = _stemmer()
    return stemmer.stemWord(word.lower()) if stemmer is not None else word.lower()


def lexical_text(embed_text: str) -> str:
    """What the lexical index sees for a chunk: what the encoder sees (context prefix with the
    heading path, then the text without footnote markers; tables with caption and header)."""
    return strip_markers(embed_text)


def tokenize(texts: list[str], *, show_progress: bool = False) -> list[list[str]]:
    """Lower-cased, stemmed word tokens of each text, English stop words removed."""
    import bm25s

    return bm25s.tokenize(
        [re.sub(r"[\t|]", " ", t) for t in texts], lower=True, token_pattern=_TOKEN_PATTERN, stopwords="en",
        stemmer=_stemmer(), show_progress=show_progress, return_ids=False,
    )


class _Postings:
    """The parts of a bm25s index read directly: vocabulary, per-term document lists, size.

    bm25s keeps its scores as a CSC matrix (``scores["indptr"]``, ``["indices"]``, ``["data"]``)
    with one column per term, documents in increasing order within a column, and the number of
    documents in ``scores["num_docs"]``; ``vocab_dict`` maps a token to its column.
    """

    def __init__(self, retriever: Any) -> None:
        scores = getattr(retriever, "scores", None)
        vocab = getattr(retriever, "vocab_dict", None)
        if not isinstance(scores, dict) or not {"indptr", "indices", "num_docs"} <= set(scores) \
                or not isinstance(vocab, dict):
            try:
                installed = importlib_metadata.version("bm25s")
            except importlib_metadata.PackageNotFoundError:  # pragma: no cover
                installed = "unknown"
            raise IndexIncompatibleError(
                f"bm25s {installed} keeps its index in a layout InspectQA does not read (tested with "
                f"bm25s{TESTED_BM25S}): run `pip install 'bm25s{TESTED_BM25S}'`")
        self.vocab: dict[str, int] = vocab
        self.indptr: np.ndarray = scores["indptr"]
        self.indices: np.ndarray = scores["indices"]
        self.documents = int(scores["num_docs"])

    def column(self, token: str) -> np.ndarray | None:
        """The documents holding ``token``, in increasing order (None for a token not indexed)."""
        tid = self.vocab.get(token)
        return None if tid is None else self.indices[self.indptr[tid]:self.indptr[tid + 1]]

    def document_frequency(self, token: str) -> int:
        tid = self.vocab.get(token)
        return 0 if tid is None else int(self.indptr[tid + 1] - self.indptr[tid])


class LexicalIndex:
    """A bm25s index whose document ``i`` is chunk ``i``."""

    def __init__(self, retriever: Any, size: int) -> None:
        self.retriever = retriever
        self.size = size
        self._postings = _Postings(retriever)
        self.vocabulary: set[str] = set(self._postings.vocab)

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25(method="lucene", k1=K1, b=B)
        tokens = tokenize(texts)
        # bm25s needs at least one token per corpus; an empty corpus gets a placeholder.
        retriever.index(tokens if any(tokens) else [["empty"]], show_progress=False)
        return cls(retriever, len(texts))

    @classmethod
    def load(cls, path: Path, size: int) -> LexicalIndex:
        """The lexical index saved in ``path`` for a store of ``size`` chunks.

        Raises:
            OSError, ValueError: the files are missing, damaged or hold another number of documents.
            IndexIncompatibleError: the installed bm25s keeps its index in another layout.
        """
        import bm25s

        if not Path(path).is_dir():
            raise FileNotFoundError(f"{path} is missing")
        # Memory-mapped: a query reads only the postings of its own terms.
        try:
            retriever = bm25s.BM25.load(str(path), mmap=True, allow_pickle=False, show_progress=False)
        except (KeyError, TypeError, AttributeError, EOFError) as exc:  # bm25s's reading of damaged files
            raise ValueError(f"the lexical index in {path} is unreadable ({type(exc).__name__}: {exc})") from exc
        index = cls(retriever, size)
        documents = index._postings.documents
        if documents != size and not (size == 0 and documents == 1):  # an empty corpus holds one placeholder
            raise ValueError(f"the lexical index holds {documents} documents but the store {size} chunks")
        return index

    def save(self, path: Path) -> None:
        self.retriever.save(str(path), allow_pickle=False, show_progress=False)

    def query_tokens(self, query: str | list[str]) -> list[str]:
        """The indexed tokens of ``query``; a list is taken as tokens already made by ``tokenize``
        (so that one query is tokenized once for ``search`` and ``coverage``)."""
        tokens = query if isinstance(query, list) else tokenize([query])[0]
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
        for token in tokens:
            # A term's postings are its documents in increasing order, so finding ``rows`` costs
            # a binary search each, not a pass.
            postings = self._postings.column(token)
            if postings is not None and len(postings):
                at = np.minimum(np.searchsorted(postings, rows), len(postings) - 1)
                covered += weights[token] * (postings[at] == rows)
        return covered / sum(weights.values())

    def idf(self, tokens: list[str] | tuple[str, ...]) -> dict[str, float]:
        """Inverse document frequency of query tokens, for weighting overlap (a token the
        reports never use gets the highest)."""
        n = max(1, self.size)
        out: dict[str, float] = {}
        for token in tokens:
            df = self._postings.document_frequency(token)
            out[token] = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
        return out
