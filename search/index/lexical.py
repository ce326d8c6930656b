"""BM25 over segments, with the corpus statistics merged at query time.

Each segment keeps its own postings (``LexicalSegment``): the terms of its chunks, for each term the
chunks that hold it (local rows, increasing) with the term's frequency there, and each chunk's length
in tokens. ``LexicalIndex`` searches several segments as one index: the document count, each term's
document frequency and the average length are those of the live chunks of all segments together
(tombstoned chunks of a removed or changed report count for nothing), so a score equals the one an
index built from scratch over the same chunks gives, and a new report costs postings for its own
chunks only.

Scores are BM25 as Lucene computes them (``K1``, ``B``; idf ``log(1 + (N - df + 0.5) / (df + 0.5))``),
in float32 and in the same order of operations as bm25s's ``lucene`` method, which this module used
before segments (tests/test_lexical_segments.py checks the scores against bm25s). Tokens are made by
bm25s's tokenizer with English stemming and stop words. Nothing is pickled: the postings are ``.npy``
arrays read with ``allow_pickle=False`` and a JSON list of terms.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import Counter
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from ingest.textutil import strip_markers

K1, B = 1.2, 0.75
"""BM25 parameters (Lucene's variant); fixed at build time, like the chunking."""
_TOKEN_PATTERN = r"(?u)\b\w\w+\b"
TERMS, INDPTR, DOCS, FREQS, LENGTHS = "terms.json", "indptr.npy", "docs.npy", "freqs.npy", "lengths.npy"
FILES = (TERMS, INDPTR, DOCS, FREQS, LENGTHS)

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


class LexicalSegment:
    """The postings of one segment: ``terms`` (sorted), ``indptr`` (term t's postings are
    ``docs[indptr[t]:indptr[t + 1]]``, local rows in increasing order, with ``freqs`` alongside)
    and ``lengths`` (tokens per local row)."""

    def __init__(self, terms: list[str], indptr: np.ndarray, docs: np.ndarray, freqs: np.ndarray,
                 lengths: np.ndarray) -> None:
        if (len(indptr) != len(terms) + 1 or len(docs) != len(freqs) or (len(indptr) and indptr[-1] != len(docs))
                or (len(docs) and (docs.min() < 0 or docs.max() >= len(lengths)))):
            raise ValueError("the lexical postings are inconsistent (terms, offsets, rows and lengths disagree)")
        self.terms, self.indptr, self.docs, self.freqs, self.lengths = terms, indptr, docs, freqs, lengths
        self._ids: dict[str, int] | None = None
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return len(self.lengths)

    def term_id(self, token: str) -> int | None:
        if self._ids is None:
            with self._lock:
                if self._ids is None:
                    self._ids = {t: i for i, t in enumerate(self.terms)}
        return self._ids.get(token)

    def postings(self, token: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(local rows, term frequencies) of ``token``, None when no chunk of the segment holds it."""
        tid = self.term_id(token)
        if tid is None:
            return None
        start, end = int(self.indptr[tid]), int(self.indptr[tid + 1])
        return self.docs[start:end], self.freqs[start:end]

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalSegment:
        """Postings of ``texts`` (local row i = text i)."""
        return cls.from_tokens(tokenize(list(texts)) if texts else [])

    @classmethod
    def from_tokens(cls, tokens: Sequence[Sequence[str]]) -> LexicalSegment:
        counts = [Counter(doc) for doc in tokens]
        terms = sorted({t for c in counts for t in c})
        ids = {t: i for i, t in enumerate(terms)}
        pairs = [(ids[t], row, n) for row, c in enumerate(counts) for t, n in c.items()]
        table = np.array(pairs, dtype=np.int64).reshape(-1, 3)
        table = table[np.lexsort((table[:, 1], table[:, 0]))]  # by term, then row
        indptr = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(np.bincount(table[:, 0], minlength=len(terms)), out=indptr[1:])
        return cls(terms, indptr, table[:, 1].astype(np.int32), table[:, 2].astype(np.float32),
                   np.array([len(doc) for doc in tokens], dtype=np.int32))

    @classmethod
    def merge(cls, parts: Sequence[tuple[LexicalSegment, np.ndarray]]) -> LexicalSegment:
        """One segment of the rows each part keeps (``keep``: local rows, increasing), in order:
        the kept rows of the first part, then those of the second... No text is tokenized again."""
        term_sets = sorted({t for part, _keep in parts for t in part.terms})
        ids = {t: i for i, t in enumerate(term_sets)}
        tables, lengths, offset = [], [], 0
        for part, keep in parts:
            new_row = np.full(part.size, -1, dtype=np.int64)
            new_row[keep] = offset + np.arange(len(keep))
            term_of = np.repeat(np.array([ids[t] for t in part.terms], dtype=np.int64), np.diff(part.indptr))
            rows = new_row[np.asarray(part.docs, dtype=np.int64)]
            alive = rows >= 0
            tables.append(np.stack([term_of[alive], rows[alive], np.asarray(part.freqs)[alive]], axis=1))
            lengths.append(np.asarray(part.lengths)[keep])
            offset += len(keep)
        table = np.vstack(tables) if tables else np.zeros((0, 3))
        table = table[np.lexsort((table[:, 1], table[:, 0]))]
        counts = np.bincount(table[:, 0].astype(np.int64), minlength=len(term_sets))
        used = counts > 0  # a term only tombstoned chunks held is dropped
        remap = np.cumsum(used) - 1
        table[:, 0] = remap[table[:, 0].astype(np.int64)]
        indptr = np.zeros(int(used.sum()) + 1, dtype=np.int64)
        np.cumsum(counts[used], out=indptr[1:])
        return cls([t for t, u in zip(term_sets, used, strict=True) if u], indptr, table[:, 1].astype(np.int32),
                   table[:, 2].astype(np.float32),
                   np.concatenate(lengths).astype(np.int32) if lengths else np.zeros(0, np.int32))

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / TERMS).write_text(json.dumps(self.terms, ensure_ascii=False), encoding="utf-8")
        for name, array in ((INDPTR, self.indptr), (DOCS, self.docs), (FREQS, self.freqs), (LENGTHS, self.lengths)):
            np.save(folder / name, array)

    @classmethod
    def load(cls, folder: Path) -> LexicalSegment:
        """The postings saved in ``folder`` (arrays memory-mapped: a query reads its own terms' rows).

        Raises:
            OSError, ValueError: a file is missing, damaged or disagrees with the others.
        """
        folder = Path(folder)
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder} is missing")
        try:
            terms = json.loads((folder / TERMS).read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{folder / TERMS} is unreadable ({exc})") from exc
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            raise ValueError(f"{folder / TERMS} is not a list of terms")
        arrays = [np.load(folder / name, mmap_mode="r", allow_pickle=False) for name in (INDPTR, DOCS, FREQS, LENGTHS)]
        if any(a.ndim != 1 or a.dtype.kind not in "iuf" for a in arrays):
            raise ValueError(f"the lexical postings in {folder} are not 1-D numeric arrays")
        return cls(terms, *arrays)


class _Vocabulary:
    """The terms of the live chunks (``token in index.vocabulary``)."""

    def __init__(self, index: LexicalIndex) -> None:
        self._index = index

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and self._index.document_frequency(token) > 0


class LexicalIndex:
    """BM25 over the rows of several segments: global row = ``offsets[s]`` + local row of segment s.

    ``live`` (a mask over global rows, None when every row is live) leaves out tombstoned chunks:
    they are never returned and count for nothing in the statistics.
    """

    def __init__(self, segments: Sequence[LexicalSegment], offsets: Sequence[int] | None = None,
                 live: np.ndarray | None = None) -> None:
        self.segments = list(segments)
        self.offsets = np.asarray(offsets if offsets is not None else np.cumsum([0] + [s.size for s in segments])[:-1],
                                  dtype=np.int64)
        self.size = int(sum(s.size for s in self.segments))
        self.live = live
        self._segment_live = [None if live is None else np.asarray(live[o:o + s.size])
                              for s, o in zip(self.segments, self.offsets, strict=True)]
        self.documents = self.size if live is None else int(np.count_nonzero(live))
        total = sum(int(np.asarray(s.lengths, dtype=np.int64)[m].sum()) if m is not None
                    else int(np.asarray(s.lengths, dtype=np.int64).sum())
                    for s, m in zip(self.segments, self._segment_live, strict=True))
        self.average_length = total / self.documents if self.documents else 1.0
        self._df: dict[str, int] = {}
        self._norms: list[np.ndarray | None] = [None] * len(self.segments)
        self.vocabulary = _Vocabulary(self)

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        """One segment over ``texts`` (row i = text i)."""
        return cls([LexicalSegment.build(texts)])

    # --- statistics -----------------------------------------------------------------------
    def document_frequency(self, token: str) -> int:
        """Live chunks holding ``token``, over every segment."""
        cached = self._df.get(token)
        if cached is not None:
            return cached
        df = 0
        for segment, live in zip(self.segments, self._segment_live, strict=True):
            found = segment.postings(token)
            if found is not None:
                df += len(found[0]) if live is None else int(np.count_nonzero(live[found[0]]))
        self._df[token] = df
        return df

    def idf(self, tokens: Sequence[str]) -> dict[str, float]:
        """Inverse document frequency of query tokens, for weighting overlap (a token the reports
        never use gets the highest)."""
        n = max(1, self.documents)
        out: dict[str, float] = {}
        for token in tokens:
            df = self.document_frequency(token)
            out[token] = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
        return out

    def query_tokens(self, query: str | list[str]) -> list[str]:
        """The indexed tokens of ``query``; a list is taken as tokens already made by ``tokenize``
        (so that one query is tokenized once for ``search`` and ``coverage``)."""
        tokens = query if isinstance(query, list) else tokenize([query])[0]
        return [t for t in tokens if self.document_frequency(t) > 0]

    # --- scoring ----------------------------------------------------------------------------
    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every row for ``tokens`` (a token given twice counts twice), float32."""
        scores = np.zeros(self.size, dtype=np.float32)
        n = self.documents
        for token in tokens:
            df = self.document_frequency(token)
            if df == 0:
                continue
            idf = np.float32(np.log(1 + (n - df + 0.5) / (df + 0.5)))
            for s, (segment, offset) in enumerate(zip(self.segments, self.offsets, strict=True)):
                found = segment.postings(token)
                if found is None:
                    continue
                docs, freqs = np.asarray(found[0], dtype=np.int64), np.asarray(found[1], dtype=np.float64)
                # float64 per term, rounded to float32, summed in float32 in query order (as bm25s does)
                scores[offset + docs] += (np.float64(idf) * (freqs / (self._norm(s)[docs] + freqs))).astype(np.float32)
        if self.live is not None:
            scores[~self.live] = 0.0
        return scores

    def _norm(self, s: int) -> np.ndarray:
        """``K1 * (1 - B + B * length / average length)`` of every row of segment ``s`` (float64)."""
        norm = self._norms[s]
        if norm is None:
            lengths = np.asarray(self.segments[s].lengths, dtype=np.float64)
            norm = self._norms[s] = K1 * ((1 - B) + B * lengths / np.float64(self.average_length))
        return norm

    def search(self, query: str | list[str], k: int, mask: np.ndarray | None = None,
               order: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` rows by BM25 with a positive score: (scores, row ids). Equal scores are ordered
        by ``order`` (a key per row; default the row), so the result does not depend on the layout."""
        from search.index.dense import top_k

        tokens = self.query_tokens(query)
        if not tokens or self.size == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores = self.scores(tokens)
        if mask is not None:
            scores = np.where(mask, scores, np.float32(0.0))
        positive = np.flatnonzero(scores > 0)
        if not len(positive):
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        top = top_k(scores[positive], k, None if order is None else order[positive])
        return scores[positive][top].astype(np.float32), positive[top].astype(np.int64)

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
        segment_of = np.searchsorted(self.offsets, rows, side="right") - 1
        for s in np.unique(segment_of):
            at = np.flatnonzero(segment_of == s)
            local = rows[at] - self.offsets[s]
            for token in tokens:
                found = self.segments[s].postings(token)
                if found is not None and len(found[0]):
                    # Postings are local rows in increasing order: a binary search per row, not a pass.
                    postings = found[0]
                    hit = np.minimum(np.searchsorted(postings, local), len(postings) - 1)
                    covered[at] += weights[token] * (postings[hit] == local)
        return covered / sum(weights.values())


__all__ = ["FILES", "K1", "B", "LexicalIndex", "LexicalSegment", "lexical_text", "tokenize"]
