"""Query expansion for the lexical index from the encoder's own sense of word similarity.

Users ask in plain words ("pensioners", "handset", "classrooms"); reports use their own
("elderly", "mobile phones", "schools"). For each word of a question that never occurs in the
indexed reports, the nearest report words by embedding similarity are added to the lexical
query, so BM25 can match what the dense encoder already sees. Word vectors are computed once at
index time for the vocabulary of the reports (``vocab.json`` and ``vocab.npy`` in a generation).
How near a report word must be, and how many are added, are ``ExpansionSettings``.

Each segment of a generation keeps the words of its reports (``SegmentVocabulary``: the words,
each report's word ids, a vector per word); a loaded generation searches the words of its live
reports (``merged_expander``), so a removed report's words stop standing in for question words.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search.embed import Embedder
from search.index.lexical import tokenize

VOCAB_WORDS = "vocab.json"
VOCAB_IDS = "vocab_ids.npy"
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

    def vectors_of(self, words: Sequence[str]) -> list[np.ndarray | None]:
        """Each word's vector, or None for a word the reports never use (``words`` is kept sorted)."""
        out: list[np.ndarray | None] = []
        for word in words:
            i = bisect.bisect_left(self.words, word)
            out.append(np.asarray(self.vectors[i], dtype=np.float32) if i < len(self.words) and self.words[i] == word
                       else None)
        return out

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


@dataclass
class SegmentVocabulary:
    """The words of one segment's reports: ``words`` (sorted), ``vectors`` (float16, one per word) and
    for each report the ids of its words (``ids[reports[source][0]:reports[source][1]]``)."""

    words: list[str]
    vectors: np.ndarray
    reports: dict[str, tuple[int, int]]
    ids: np.ndarray

    @classmethod
    def build(cls, texts_by_report: dict[str, Iterable[str]], embedder: Embedder,
              known: QueryExpander | None = None) -> SegmentVocabulary:
        """The vocabulary of ``texts_by_report`` (source -> its chunks' texts), with vectors reused
        from ``known`` where it has the word."""
        per_report = {source: vocabulary(texts) for source, texts in texts_by_report.items()}
        words = sorted({w for ws in per_report.values() for w in ws})
        at = {w: i for i, w in enumerate(words)}
        reports, ids = _word_ids(per_report, at)
        vectors = QueryExpander.build(words, embedder, known).vectors
        return cls(words, vectors, reports, ids)

    @classmethod
    def merge(cls, parts: Sequence[tuple[SegmentVocabulary, Iterable[str]]]) -> SegmentVocabulary:
        """One vocabulary of the reports each part keeps (no word encoded again)."""
        words: dict[str, np.ndarray] = {}
        per_report: dict[str, list[str]] = {}
        for part, sources in parts:
            for source in sources:
                start, end = part.reports[source]
                report_words = [part.words[i] for i in part.ids[start:end]]
                per_report[source] = report_words
                for i, w in zip(part.ids[start:end], report_words, strict=True):
                    if w not in words:
                        words[w] = part.vectors[i]
        ordered = sorted(words)
        at = {w: i for i, w in enumerate(ordered)}
        reports, ids = _word_ids(per_report, at)
        dim = parts[0][0].vectors.shape[1] if parts else 0
        vectors = np.array([words[w] for w in ordered], dtype=np.float16).reshape(len(ordered), dim)
        return cls(ordered, vectors, reports, ids)

    def live_words(self, sources: Iterable[str] | None) -> np.ndarray:
        """Ids of the words of ``sources`` (None: every report of the segment)."""
        if sources is None:
            return np.arange(len(self.words))
        spans = [self.ids[a:b] for a, b in (self.reports[s] for s in sources if s in self.reports)]
        return np.unique(np.concatenate(spans)) if spans else np.zeros(0, dtype=np.int64)

    def save(self, folder: Path) -> None:
        (folder / VOCAB_WORDS).write_text(json.dumps({"words": self.words, "reports": self.reports}), encoding="utf-8")
        np.save(folder / VOCAB_IDS, self.ids)
        np.save(folder / VOCAB_VECTORS, self.vectors.astype(np.float16))

    @classmethod
    def load(cls, folder: Path) -> SegmentVocabulary:
        """Raises: OSError, ValueError: the files are missing or disagree."""
        try:
            data = json.loads((folder / VOCAB_WORDS).read_text(encoding="utf-8"))
            words, reports = data["words"], {s: (int(a), int(b)) for s, (a, b) in data["reports"].items()}
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{folder / VOCAB_WORDS} is unreadable ({type(exc).__name__})") from exc
        vectors = np.load(folder / VOCAB_VECTORS, mmap_mode="r", allow_pickle=False)
        ids = np.load(folder / VOCAB_IDS, allow_pickle=False)
        if (len(words) != len(vectors) or vectors.ndim != 2 or ids.ndim != 1
                or (len(ids) and (ids.min() < 0 or ids.max() >= len(words)))
                or any(not 0 <= a <= b <= len(ids) for a, b in reports.values())):
            raise ValueError(f"the vocabulary files of {folder} disagree")
        return cls(words, vectors, reports, ids)


def merged_expander(parts: Sequence[tuple[SegmentVocabulary, Iterable[str] | None]]) -> QueryExpander:
    """The expander of a generation: the words of the live reports of each segment (``None``:
    all of the segment's reports), sorted, each with the vector of the first segment that has it."""
    chosen: dict[str, tuple[int, int]] = {}
    for n, (part, sources) in enumerate(parts):
        for i in part.live_words(sources):
            chosen.setdefault(part.words[int(i)], (n, int(i)))
    words = sorted(chosen)
    dim = parts[0][0].vectors.shape[1] if parts else 0
    vectors = np.zeros((len(words), dim), dtype=np.float32)
    by_part: dict[int, tuple[list[int], list[int]]] = {}
    for k, w in enumerate(words):
        n, i = chosen[w]
        at, ids = by_part.setdefault(n, ([], []))
        at.append(k)
        ids.append(i)
    for n, (at, ids) in by_part.items():
        order = np.argsort(ids)  # read the memory-mapped vectors in file order
        vectors[np.asarray(at)[order]] = np.asarray(parts[n][0].vectors[np.asarray(ids)[order]], dtype=np.float32)
    return QueryExpander(words, vectors)


def _word_ids(per_report: dict[str, list[str]], at: dict[str, int]) -> tuple[dict[str, tuple[int, int]], np.ndarray]:
    """Each report's span of word ids and the ids themselves, reports in the given order."""
    reports, ids, start = {}, [], 0
    for source, ws in per_report.items():
        ids.extend(at[w] for w in ws)
        reports[source] = (start, start + len(ws))
        start += len(ws)
    return reports, np.array(ids, dtype=np.int32)
