"""The search API used by the command line, the app and the tests.

``Searcher.load(index_dir)`` opens an index once; ``search(question, k, filters)`` returns ranked
passages. Dense (FAISS), lexical (BM25) and best-sentence rankings of the chunks are fused with
reciprocal rank fusion, and each of the best chunks is returned grown into a passage of its
report (``search.retrieve.passages``); filters restrict every ranking before ranking; forces and
years named in the question become a filter and a preference unless the caller set filters
(docs/retrieval.md).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ingest.chunk import ChunkingParams
from search.config import Settings
from search.embed import Embedder, default_embedder
from search.errors import IndexError_, IndexStaleError, QueryError
from search.filters import Filters
from search.findings.storage import FindingsIndex
from search.index import integrity
from search.index.layout import DEFAULT_INDEX_DIR, MANIFEST, read_manifest
from search.index.lexical import tokenize
from search.index.segments import SegmentedStore
from search.index.snapshot import IndexSnapshot, open_snapshot
from search.retrieve.fusion import Ranking, fuse, signal_weights
from search.retrieve.passages import Layout, Passage, passages
from search.retrieve.question import Question, clean_query, parse_question
from search.retrieve.result import SearchResult
from search.types import Hit

logger = logging.getLogger(__name__)


@dataclass
class _Scope:
    """The filters a search applies, the report years it prefers, and what to tell the user."""

    filters: Filters
    preferred_years: set[int] = field(default_factory=set)
    notices: list[str] = field(default_factory=list)
    out_of_scope: bool = False

    def used(self) -> dict[str, Any]:
        used = self.filters.to_dict()
        if self.preferred_years:
            used["prefer_years"] = sorted(self.preferred_years)
        return used


@dataclass
class Signals:
    """A question's rankings of the candidate chunks, before fusion, with each chunk's own dense
    (cosine) and lexical (BM25) scores and the mask they were made under."""

    rankings: list[Ranking]
    dense: dict[int, float]
    lexical: dict[int, float]
    mask: np.ndarray | None = None
    coverage: np.ndarray | None = None  # the idf-weighted share of the question each lexical row holds


class Searcher:
    """Loaded index plus encoder. Thread-safe: searches run concurrently with ``reload_if_changed``."""

    def __init__(self, index_dir: Path, embedder: Embedder, snapshot: IndexSnapshot, params: ChunkingParams,
                 settings: Settings | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self.params = params
        self.settings = settings or Settings()
        self._snapshot = snapshot
        self._reload_lock = threading.Lock()
        self._manifest_stamp = _stamp(self.index_dir)

    @classmethod
    def load(cls, index_dir: str | Path = DEFAULT_INDEX_DIR, embedder: Embedder | None = None,
             params: ChunkingParams | None = None, settings: Settings | None = None) -> Searcher:
        """Open the index in ``index_dir``.

        Raises:
            IndexMissingError, IndexIncompatibleError, IndexCorruptError: with a message naming the fix.
        """
        if embedder is None:
            # The index's checksums are verified on background threads while the model loads.
            integrity.prefetch(Path(index_dir))
            embedder = default_embedder()
            load = getattr(embedder, "load", None)
            if callable(load):
                load()
        params = params or ChunkingParams()
        return cls(Path(index_dir), embedder, open_snapshot(Path(index_dir), embedder, params), params, settings)

    # --- index state ----------------------------------------------------------------------
    @property
    def snapshot(self) -> IndexSnapshot:
        """The live generation (a newly published one is loaded first, see ``follow``); a search or
        answer keeps the one it started with."""
        return self.follow()

    @property
    def manifest(self) -> dict[str, Any]:
        return self.follow().manifest

    @property
    def store(self) -> SegmentedStore:
        return self.follow().store

    @property
    def generation(self) -> str:
        return self.follow().generation

    def reload_if_changed(self) -> bool:
        """Load a newly published generation, if any. Searches in flight finish on the old one.

        Raises:
            IndexIncompatibleError, IndexCorruptError: the new generation cannot be loaded.
        """
        stamp = _stamp(self.index_dir)
        try:
            manifest = read_manifest(self.index_dir)
        except IndexError_ as exc:  # a moment without a readable manifest: keep the loaded generation
            logger.debug("not reloading %s: %s", self.index_dir, exc)
            return False
        if manifest.get("generation") == self._snapshot.generation:
            self._manifest_stamp = stamp
            return False
        with self._reload_lock:
            if manifest.get("generation") == self._snapshot.generation:
                return False
            self._snapshot = open_snapshot(self.index_dir, self.embedder, self.params)
            self._manifest_stamp = stamp
            logger.info("reloaded %s: now %s", self.index_dir, self._snapshot.generation)
            return True

    def follow(self) -> IndexSnapshot:
        """The generation to search now: the loaded one, or a newly published one loaded first.

        Costs one ``stat`` of the manifest when nothing was published. When the new generation
        cannot be loaded the loaded one goes on answering while its folder is kept.

        Raises:
            IndexStaleError: the loaded generation has been removed and the new one cannot be loaded
                (the message says to reload or rebuild).
        """
        if _stamp(self.index_dir) == self._manifest_stamp:
            return self._snapshot
        try:
            self.reload_if_changed()
        except IndexError_ as exc:
            if not self._snapshot.folder.is_dir():
                raise IndexStaleError(
                    f"the index in {self.index_dir} was replaced and the generation this searcher loaded "
                    f"({self._snapshot.generation}) has been removed, but the new one cannot be loaded ({exc}): "
                    "fix or rebuild the index, then reload (Searcher.load)") from exc
            logger.warning("still answering from %s: the newly published index cannot be loaded (%s)",
                           self._snapshot.generation, exc)
            self._manifest_stamp = _stamp(self.index_dir)
        return self._snapshot

    def coverage(self) -> dict[str, Any]:
        """What the index holds: forces, years, report types, themes and reports."""
        return self.follow().coverage()

    def describe_coverage(self) -> str:
        return self.follow().describe_coverage()

    # --- searching ------------------------------------------------------------------------
    def encode_query(self, query: str) -> np.ndarray:
        return self.embedder.encode([clean_query(query)])[0]

    def question(self, query: object) -> Question:
        """``query`` parsed once for search and answers (QueryError when empty)."""
        return parse_question(query, self.settings.retrieval.max_query_chars)

    def search(self, query: str | Question, k: int = 10, filters: Filters | dict[str, Any] | None = None, *,
               use_understanding: bool = True, encoded: SearchResult | None = None,
               snapshot: IndexSnapshot | None = None) -> SearchResult:
        """Rank passages for ``query``.

        Args:
            query: the user's question (any script; cut to ``settings.retrieval.max_query_chars``), or
                one parsed by ``question``.
            k: how many hits to return (at least 1).
            filters: explicit filters; when given, forces and years named in the query are not applied.
            use_understanding: apply the forces and years the query names.
            encoded: an earlier search of the same question on the same generation, whose encoding
                (the question, its focus, the report words standing in for its unknown words) is
                reused rather than encoded again.
            snapshot: the generation to search (default: the one loaded now).

        Raises:
            QueryError: empty query or k below 1.
            FilterError: a filter names an unknown force, theme, report type or judgment.
        """
        question = query if isinstance(query, Question) else self.question(query)
        if not isinstance(k, int) or k < 1:
            raise QueryError(f"k must be a whole number of at least 1, not {k!r}")
        snap = snapshot or self.follow()
        snap.verified()
        scope = _scope(question, Filters.coerce(filters).resolved(), snap, use_understanding)
        understood = question.understood() if use_understanding else {"forces": [], "years": [], "period": None}
        base: dict[str, Any] = {"query": question.text, "filters_used": scope.used(), "understood": understood,
                                "generation": snap.generation, "question": question, "snapshot": snap}
        if scope.out_of_scope:
            return SearchResult(hits=(), notices=tuple(scope.notices), out_of_scope=True, **base)
        mask = snap.mask(scope.filters)
        if mask is not None and not mask.any():
            scope.notices.append("No passage matches these filters. " + snap.describe_coverage())
            return SearchResult(hits=(), notices=tuple(scope.notices), **base)
        vector, focus_vector, lexical_tokens, foreign = self._encode(question, snap, encoded)
        signals = self._signals(snap, vector, focus_vector, lexical_tokens, mask, scope.preferred_years, k)
        settings = self.settings.retrieval
        fused = fuse(signals.rankings, signal_weights(settings), settings.rrf_k, snap.store.order)
        found = passages([row for row, _ in fused], layout_of(snap), settings.passage_chars, k, mask)
        # The ranked chunks and the passages' seeds are read, and scored, once for both.
        rows = list(dict.fromkeys([row for row, _ in fused[:k]] + [p.seed for p in found]))
        records = {r["row"]: r for r in snap.store.chunks(rows)}
        dense, lexical = _scores(snap, vector, rows, signals)
        return SearchResult(hits=_passage_hits(snap, dict(fused), found, records, dense, lexical),
                            chunks=tuple(_hit(rank, score, records[row], dense.get(row), lexical.get(row))
                                         for rank, (row, score) in enumerate(fused[:k], start=1)),
                            notices=tuple(scope.notices),
                            vector=vector, focus_vector=focus_vector, foreign_words=foreign,
                            lexical_tokens=tuple(lexical_tokens), **base)

    def signals(self, query: str | Question, snapshot: IndexSnapshot | None = None) -> Signals | None:
        """The rankings the default search (the question's own forces and years understood, no filters
        given) fuses for ``query``, unfused: for fitting and ablating the fusion (eval/fit_retrieval.py).
        None when the question is out of scope or its filters match nothing."""
        question = query if isinstance(query, Question) else self.question(query)
        snap = snapshot or self._snapshot
        scope = _scope(question, Filters(), snap, True)
        mask = snap.mask(scope.filters)
        if scope.out_of_scope or (mask is not None and not mask.any()):
            return None
        vector, focus_vector, lexical_tokens, _ = self._encode(question, snap, None)
        return self._signals(snap, vector, focus_vector, lexical_tokens, mask, scope.preferred_years, 1)

    def _encode(self, question: Question, snap: IndexSnapshot, earlier: SearchResult | None
                ) -> tuple[np.ndarray, np.ndarray, list[str], tuple[str, ...]]:
        """The question's vector, its focus's vector, its lexical tokens (with report words standing
        in for words the reports never use) and those of its words the reports have nothing like;
        those of ``earlier`` when it searched the same question on this generation."""
        if (earlier is not None and earlier.vector is not None and earlier.focus_vector is not None
                and earlier.generation == snap.generation and earlier.query == question.text):
            return earlier.vector, earlier.focus_vector, list(earlier.lexical_tokens), earlier.foreign_words
        tokens = list(question.lexical_tokens)
        unknown = snap.expander.unknown_words(question.lexical_text, snap.lexical.vocabulary) if snap.expander else []
        foreign: tuple[str, ...] = ()
        own_focus = bool(question.focus) and question.focus != question.text
        texts = [question.text] + ([question.focus] if own_focus else []) + unknown
        encoded = self.embedder.encode(texts)  # one pass
        vector = encoded[0]
        focus_vector = encoded[1] if own_focus else vector
        words = encoded[1 + int(own_focus):]
        if unknown and snap.expander is not None:
            expansion = self.settings.expansion
            near = snap.expander.neighbours(words, min_similarity=expansion.min_similarity,
                                            limit=expansion.neighbours)
            foreign = tuple(word for word, words in zip(unknown, near, strict=True) if not words)
            extra = list(dict.fromkeys(w for words in near for w in words))
            if extra:
                tokens += tokenize([" ".join(extra)])[0]
        return vector, focus_vector, snap.lexical.query_tokens(tokens), foreign

    def _signals(self, snap: IndexSnapshot, vector: np.ndarray, focus_vector: np.ndarray, lexical_tokens: list[str],
                 mask: np.ndarray | None, preferred_years: set[int], k: int) -> Signals:
        """Dense, lexical, best-sentence (to the question and to its focus) and preferred-year rankings
        of the candidates: the top rows by dense and by lexical score. Equal scores are ordered by
        ``store.order`` (report, then position in it), never by where rows sit, so results do not depend
        on how the index is split into segments."""
        settings = self.settings.retrieval
        order = snap.store.order
        n_candidates = max(settings.candidates, k)
        d_scores, d_rows = snap.dense.search(vector[None, :], n_candidates, mask, order=order)
        d_rows, d_scores = d_rows[0], d_scores[0]
        keep = d_rows >= 0
        d_rows, d_scores = d_rows[keep], d_scores[keep]
        l_scores, l_rows = snap.lexical.search(lexical_tokens, n_candidates, mask, order=order)
        candidates = np.unique(np.concatenate([d_rows, l_rows]))
        candidates = candidates[np.argsort(order[candidates], kind="stable")]
        sentence = best_sentence_scores(snap, candidates, np.stack([vector, focus_vector], axis=1))
        coverage = snap.lexical.coverage(lexical_tokens, l_rows)
        lexical_trust = np.minimum(1.0, coverage / settings.full_lexical_coverage)
        rankings = [Ranking("dense", d_rows), Ranking("lexical", l_rows, lexical_trust),
                    Ranking("sentence", candidates[np.argsort(-sentence[:, 0], kind="stable")]),
                    Ranking("focus_sentence", candidates[np.argsort(-sentence[:, 1], kind="stable")])]
        if preferred_years:
            years = np.array(sorted(preferred_years))  # a report is in a year any year of its period is
            first, last = snap.store.year[candidates][:, None], snap.store.year_to[candidates][:, None]
            in_year = candidates[((first <= years) & (years <= last)).any(axis=1)]
            dense_rank = {int(r): i for i, r in enumerate(d_rows)}
            rankings.append(Ranking("year", np.array(sorted(in_year.tolist(),
                                                            key=lambda r: dense_rank.get(r, len(dense_rank))),
                                                     dtype=np.int64)))
        return Signals(rankings=rankings, dense=dict(zip(d_rows.tolist(), d_scores.tolist(), strict=True)),
                       lexical=dict(zip(l_rows.tolist(), l_scores.tolist(), strict=True)), mask=mask,
                       coverage=coverage)

    # --- reading sources ------------------------------------------------------------------
    def section(self, section_id: str) -> dict[str, Any] | None:
        """A section's full text and metadata, for showing a passage in place."""
        return self.follow().store.section(section_id)

    def reports(self) -> list[dict[str, Any]]:
        return self.follow().store.reports()

    def findings_index(self) -> FindingsIndex:
        """Grades, findings and trails of the loaded generation, read on first use."""
        return self.follow().findings()


def _stamp(index_dir: Path) -> tuple[int, int, int] | None:
    """What changes when a new manifest is published (it is replaced by a rename)."""
    try:
        info = os.stat(index_dir / MANIFEST)
    except OSError:
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def _scope(question: Question, filters: Filters, snap: IndexSnapshot, use_understanding: bool) -> _Scope:
    """Explicit filters as given; without them, the forces and years the question names."""
    scope = _Scope(filters=filters)
    if not (filters.is_empty() and use_understanding):
        return scope
    vocab = snap.store.vocab
    known = [f for f in question.forces if f in vocab["force"]]
    unknown = [f for f in question.forces if f not in vocab["force"]]
    if question.forces and not known:
        scope.out_of_scope = True
        scope.notices.append(f"No indexed report is about {', '.join(unknown)}. {snap.describe_coverage()}")
    elif unknown:
        scope.notices.append(f"No indexed report is about {', '.join(unknown)}; searching {', '.join(known)}.")
    if known:
        scope.filters = Filters(forces=tuple(known))
    if question.period:
        scope.filters = Filters(forces=scope.filters.forces, years=question.period)
    scope.preferred_years = {y for y in question.years if y in vocab["year"]}
    missing_years = [y for y in question.years if y not in vocab["year"]]
    if missing_years and not scope.preferred_years and not question.period:
        scope.notices.append(f"No indexed report is from {', '.join(map(str, missing_years))}. "
                             f"{snap.describe_coverage()}")
    return scope


def best_sentence_scores(snap: IndexSnapshot, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """For each chunk row, the cosine of its best-matching sentence to the query (-1 if none).

    ``vector`` is one query vector (the result has one score per row) or a matrix of query vectors
    as columns, dim x m (the result is rows x m): the sentence vectors are read once for all.
    """
    vectors = vector[:, None] if vector.ndim == 1 else vector
    ptr = snap.store.sentence_ptr
    starts, ends = ptr[rows], ptr[rows + 1]
    lengths = ends - starts
    out = np.full((len(rows), vectors.shape[1]), -1.0, dtype=np.float32)
    if lengths.sum():
        # The sentence ids of every row, in row order, without a Python loop: start of each row's
        # run, then 0, 1, 2... within the run.
        run_starts = np.cumsum(lengths) - lengths
        ids = np.repeat(starts - run_starts, lengths) + np.arange(int(lengths.sum()))
        scores = snap.sentence_vectors(ids) @ vectors
        has = lengths > 0
        offsets = np.concatenate([[0], np.cumsum(lengths[has])[:-1]])
        out[has] = np.maximum.reduceat(scores, offsets, axis=0)
    return out[:, 0] if vector.ndim == 1 else out


def layout_of(snap: IndexSnapshot) -> Layout:
    """Where each chunk of ``snap`` sits in its report (built once per generation)."""

    def build(s: IndexSnapshot) -> Layout:
        places = s.store.chunk_layout()
        return Layout(report=s.store.source, section=places[:, 0], start=places[:, 1], end=places[:, 2])

    return snap.derived("passage_layout", build)


def _scores(snap: IndexSnapshot, vector: np.ndarray, rows: list[int], signals: Signals
            ) -> tuple[dict[int, float], dict[int, float]]:
    """Dense and lexical scores of ``rows``: exact cosine for rows the dense ranking did not reach,
    so every hit carries both."""
    dense = dict(signals.dense)
    missing = [row for row in rows if row not in dense]
    if missing:
        dense.update(zip(missing, snap.dense.score(vector, np.array(missing)).tolist(), strict=True))
    return dense, signals.lexical


def _passage_hits(snap: IndexSnapshot, score: dict[int, float], found: list[Passage], records: dict[int, dict[str, Any]],
                  dense: dict[int, float], lexical: dict[int, float]) -> tuple[Hit, ...]:
    """Hits for the passages: each its seed chunk's hit with the passage as text and the chunk as
    highlight."""
    texts = snap.store.report_slices([(records[p.seed]["source"], p.start, p.end) for p in found])
    hits = []
    layout = layout_of(snap)
    for rank, (p, text) in enumerate(zip(found, texts, strict=True), start=1):
        record = records[p.seed]
        at = int(layout.start[p.seed]) - p.start
        if text[at:at + len(record["text"])] != record["text"]:  # the report's text disagrees: show the chunk
            text, at, rows = record["text"], 0, (p.seed,)
        else:
            rows = p.rows
        hit = _hit(rank, score[p.seed], record, dense.get(p.seed), lexical.get(p.seed))
        hits.append(replace(hit, text=text, highlight_start=at, highlight_end=at + len(record["text"]), rows=rows))
    return tuple(hits)


def _hit(rank: int, score: float, record: dict[str, Any], dense: float | None, lexical: float | None) -> Hit:
    return Hit(
        rank=rank, score=round(float(score), 6), text=record["text"], source=record["source"], title=record["title"],
        force=record["force"], year=record["year"], report_type=record["report_type"], section=record["heading"],
        path=tuple(record["path"]), question=record["question"], theme=record["theme"], judgment=record["judgment"],
        page=record["page"], start=record["start"], end=record["end"], chunk_id=record["chunk_id"],
        section_id=record["section_id"], kind=record["kind"], is_table=record["is_table"],
        dense_score=None if dense is None else round(float(dense), 6),
        lexical_score=None if lexical is None else round(float(lexical), 6), row=int(record["row"]),
        year_to=record.get("year_to"), url=record.get("url"),
    )


__all__ = ["Searcher", "Signals", "best_sentence_scores", "layout_of"]
