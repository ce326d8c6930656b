"""The search API used by the command line, the app and the tests.

``Searcher.load(index_dir)`` opens an index once; ``search(query, k, filters)`` returns ranked
hits. Dense (FAISS) and lexical (BM25) rankings over the same rows are fused with reciprocal
rank fusion; filters restrict both before ranking; forces and years named in the question
become a filter and a preference unless the caller set filters.
"""

from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ingest.chunk import ChunkingParams
from ingest.forces import find_forces
from search.dense import RowFile, VectorIndex, dequantize, open_vector_index
from search.embed import Embedder, default_embedder
from search.expansion import QueryExpander
from search.fusion import reciprocal_rank_fusion, top_items
from search.index_io import (
    DEFAULT_INDEX_DIR,
    IndexCorruptError,
    check_compatible,
    generation_dir,
    read_manifest,
)
from search.lexical import LexicalIndex
from search.query import Understanding, understand
from search.store import ChunkStore, FilterError, Filters

MAX_QUERY_CHARS = 2000
"""Longer questions are cut to this many characters before searching (the encoder reads 256 word pieces)."""
CANDIDATES = 100
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 1.0
SENTENCE_WEIGHT = 1.5
YEAR_WEIGHT = 0.5
FULL_LEXICAL_COVERAGE = 0.5
"""A lexical match casts a full vote when it holds this share of the question's words (by idf);
below it, its vote shrinks in proportion, so a BM25 ranking led by chunks that share one common
word with a plainly worded question does not outvote the semantic rankings."""


class QueryError(ValueError):
    """The query cannot be searched; the message says what to change."""


_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_INVISIBLE_RE = re.compile(r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]")


def clean_query(query: str) -> str:
    """``query`` without what carries no meaning and can break the tokenizer: control characters
    (null bytes, terminal escapes) become spaces; zero-width, bidi-control and lone surrogate
    characters (from a bad byte on the command line) are dropped."""
    return _CONTROL_RE.sub(" ", _INVISIBLE_RE.sub("", query))


@dataclass(frozen=True)
class Hit:
    """One retrieved passage with everything needed to show and cite it."""

    rank: int
    score: float
    text: str
    source: str
    title: str
    force: str | None
    year: int | None
    report_type: str
    section: str
    path: tuple[str, ...]
    question: str | None
    theme: str
    judgment: str | None
    page: int | None
    start: int
    end: int
    chunk_id: str
    section_id: str
    kind: str = "other"
    is_table: bool = False
    dense_score: float | None = None
    lexical_score: float | None = None
    row: int = -1

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = list(self.path)
        return data


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: tuple[Hit, ...]
    filters_used: dict[str, Any]
    understood: dict[str, Any] = field(default_factory=dict)
    notices: tuple[str, ...] = ()
    out_of_scope: bool = False
    generation: str = ""
    vector: np.ndarray | None = field(default=None, repr=False, compare=False)  # the encoded question
    foreign_words: tuple[str, ...] = ()  # question words with no word like them in the indexed reports

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "filters_used": self.filters_used, "understood": self.understood,
                "notices": list(self.notices), "out_of_scope": self.out_of_scope,
                "hits": [h.to_dict() for h in self.hits]}


@dataclass
class _IndexState:
    """Everything loaded from one generation; swapped as a whole on reload."""

    manifest: dict[str, Any]
    generation: str
    store: ChunkStore
    dense: VectorIndex
    lexical: LexicalIndex
    sentences: RowFile  # int8 sentence vectors, read on demand; chunk r owns store.sentence_ptr[r:r+2]
    common_masks: dict[tuple, np.ndarray] = field(default_factory=dict)
    findings: Any = None  # search.findings.FindingsIndex, loaded on first use
    expander: QueryExpander | None = None


def _load_state(index_dir: Path, embedder: Embedder, params: ChunkingParams) -> _IndexState:
    manifest = read_manifest(index_dir)
    check_compatible(manifest, embedder, params, index_dir)
    folder = generation_dir(index_dir, manifest)
    rebuild = f"rebuild with `inspectqa index reports/ --index-dir {index_dir} --rebuild`"
    try:
        vectors = np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False)
        store = ChunkStore.open(folder / "chunks.sqlite")
        expected = int(manifest["counts"]["chunks"])
        if vectors.ndim != 2 or len(vectors) != expected or store.size != expected:
            raise IndexCorruptError(
                f"the index in {index_dir} is inconsistent ({store.size} chunks, {len(vectors)} vectors, "
                f"manifest says {expected}): {rebuild}"
            )
        if vectors.shape[1] != embedder.dim:
            raise IndexCorruptError(f"the vectors in {index_dir} have {vectors.shape[1]} dimensions, the model "
                                    f"{embedder.dim}: {rebuild}")
        dense = open_vector_index(folder / "dense.faiss", vectors, manifest["index_type"])
        lexical = LexicalIndex.load(folder / "lexical", store.size)
        sentences = RowFile(folder / "sentences.npy")
        if len(sentences) != int(store.sentence_ptr[-1]) or (len(sentences) and sentences.shape[1] != embedder.dim):
            raise IndexCorruptError(f"the sentence vectors in {index_dir} do not match the chunk store: {rebuild}")
        expander = QueryExpander.load(folder)
    except IndexCorruptError:
        raise
    except Exception as exc:  # truncated or missing files, sqlite errors, faiss errors
        raise IndexCorruptError(f"the index in {index_dir} is damaged ({type(exc).__name__}: "
                                f"{str(exc)[:200]}): {rebuild}") from exc
    state = _IndexState(manifest=manifest, generation=manifest["generation"], store=store, dense=dense,
                        lexical=lexical, sentences=sentences, expander=expander)
    # Masks for the filters most users set (one force, one year) are made once, here.
    for force in store.vocab["force"]:
        state.common_masks[("force", force)] = store.mask(Filters(forces=(force,)))
    return state


class Searcher:
    """Loaded index plus encoder. Thread-safe: searches run concurrently with ``reload_if_changed``."""

    def __init__(self, index_dir: Path, embedder: Embedder, state: _IndexState, params: ChunkingParams) -> None:
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self.params = params
        self._state = state
        self._reload_lock = threading.Lock()

    @classmethod
    def load(cls, index_dir: str | Path = DEFAULT_INDEX_DIR, embedder: Embedder | None = None,
             params: ChunkingParams | None = None) -> Searcher:
        """Open the index in ``index_dir``.

        Raises:
            IndexMissingError, IndexIncompatibleError, IndexCorruptError: with a message naming the fix.
        """
        embedder = embedder or default_embedder()
        params = params or ChunkingParams()
        return cls(Path(index_dir), embedder, _load_state(Path(index_dir), embedder, params), params)

    # --- index state ----------------------------------------------------------------------
    @property
    def manifest(self) -> dict[str, Any]:
        return self._state.manifest

    @property
    def store(self) -> ChunkStore:
        return self._state.store

    @property
    def generation(self) -> str:
        return self._state.generation

    def reload_if_changed(self) -> bool:
        """Load a newly published generation, if any. Searches in flight finish on the old one."""
        try:
            manifest = read_manifest(self.index_dir)
        except Exception:
            return False
        if manifest.get("generation") == self._state.generation:
            return False
        with self._reload_lock:
            if manifest.get("generation") == self._state.generation:
                return False
            self._state = _load_state(self.index_dir, self.embedder, self.params)
            return True

    def coverage(self) -> dict[str, Any]:
        """What the index holds: forces, years, report types, themes and reports."""
        vocab = self._state.store.vocab
        return {"forces": list(vocab["force"]), "years": list(vocab["year"]),
                "report_types": list(vocab["report_type"]), "themes": list(vocab["theme"]),
                "judgments": list(vocab["judgment"]), "reports": len(self._state.manifest["reports"]),
                "chunks": self._state.store.size}

    def describe_coverage(self) -> str:
        cov = self.coverage()
        forces = ", ".join(cov["forces"]) or "no named force"
        years = ", ".join(str(y) for y in cov["years"]) or "no dated report"
        return f"The index covers {cov['reports']} report(s) on {forces}, from {years}."

    # --- searching ------------------------------------------------------------------------
    def encode_query(self, query: str) -> np.ndarray:
        return self.embedder.encode([clean_query(query)])[0]

    def search(self, query: str, k: int = 10, filters: Filters | dict | None = None, *,
               use_understanding: bool = True, query_vector: np.ndarray | None = None) -> SearchResult:
        """Rank passages for ``query``.

        Args:
            query: the user's question (any script; cut to MAX_QUERY_CHARS characters).
            k: how many hits to return (at least 1).
            filters: explicit filters; when given, forces and years named in the query are not applied.
            use_understanding: apply the forces and years the query names.
            query_vector: a precomputed query embedding (skips encoding).

        Raises:
            QueryError: empty query or k below 1.
            FilterError: a filter names an unknown force, theme, report type or judgment.
        """
        query = clean_query(query) if isinstance(query, str) else ""
        if not query.strip():
            raise QueryError("the question is empty: type a question, e.g. \"How well does the force protect "
                             "vulnerable people?\"")
        if not isinstance(k, int) or k < 1:
            raise QueryError(f"k must be a whole number of at least 1, not {k!r}")
        query = " ".join(query.split())[:MAX_QUERY_CHARS]
        state = self._state
        store = state.store
        filters = filters if isinstance(filters, Filters) else Filters.from_dict(filters)  # FilterError if not a dict
        filters = store.resolve(filters)
        understood = understand(query) if use_understanding else Understanding()
        notices: list[str] = []
        out_of_scope = False
        preferred_years: set[int] = set()
        if filters.is_empty() and use_understanding:
            known = [f for f in understood.forces if f in store.vocab["force"]]
            unknown = [f for f in understood.forces if f not in store.vocab["force"]]
            if understood.forces and not known:
                out_of_scope = True
                notices.append(f"No indexed report is about {', '.join(unknown)}. {self.describe_coverage()}")
            elif unknown:
                notices.append(f"No indexed report is about {', '.join(unknown)}; searching {', '.join(known)}.")
            if known:
                filters = Filters(forces=tuple(known))
            if understood.period:
                filters = Filters(forces=filters.forces, years=understood.period)
            preferred_years = {y for y in understood.years if y in store.vocab["year"]}
            missing_years = [y for y in understood.years if y not in store.vocab["year"]]
            if missing_years and not preferred_years and not understood.period:
                notices.append(f"No indexed report is from {', '.join(map(str, missing_years))}. "
                               f"{self.describe_coverage()}")
        filters_used = filters.to_dict()
        if preferred_years:
            filters_used["prefer_years"] = sorted(preferred_years)
        understood_dict = {"forces": list(understood.forces), "years": list(understood.years),
                           "period": list(understood.period) if understood.period else None}
        if out_of_scope:
            return SearchResult(query=query, hits=(), filters_used=filters_used, understood=understood_dict,
                                notices=tuple(notices), out_of_scope=True, generation=state.generation)

        mask = self._mask(state, filters)
        if mask is not None and not mask.any():
            notices.append("No passage matches these filters. " + self.describe_coverage())
            return SearchResult(query=query, hits=(), filters_used=filters_used, understood=understood_dict,
                                notices=tuple(notices), generation=state.generation)
        lexical_query = canonical_forces_in(query)
        unknown = state.expander.unknown_words(lexical_query, state.lexical.vocabulary) if state.expander else []
        foreign: tuple[str, ...] = ()  # question words the reports use nothing like
        if query_vector is None or unknown:  # one forward pass for the question and its unknown words
            encoded = self.embedder.encode([query, *unknown])
            vector = encoded[0] if query_vector is None else query_vector
            if unknown:
                near = state.expander.neighbours(encoded[1:])
                foreign = tuple(word for word, words in zip(unknown, near, strict=True) if not words)
                lexical_query = " ".join([lexical_query, *dict.fromkeys(w for words in near for w in words)])
        else:
            vector = query_vector
        n_candidates = max(CANDIDATES, k)
        d_scores, d_rows = state.dense.search(vector[None, :], n_candidates, mask)
        d_rows, d_scores = d_rows[0], d_scores[0]
        keep = d_rows >= 0
        d_rows, d_scores = d_rows[keep], d_scores[keep]
        lexical_tokens = state.lexical.query_tokens(lexical_query)
        l_scores, l_rows = state.lexical.search(lexical_tokens, n_candidates, mask)
        candidates = np.unique(np.concatenate([d_rows, l_rows]))
        sentence_best = best_sentence_scores(state, candidates, vector)
        by_sentence = candidates[np.argsort(-sentence_best, kind="stable")]
        rankings = [d_rows.tolist(), l_rows.tolist(), by_sentence.tolist()]
        weights = [DENSE_WEIGHT, LEXICAL_WEIGHT, SENTENCE_WEIGHT]
        lexical_trust = np.minimum(1.0, state.lexical.coverage(lexical_tokens, l_rows) / FULL_LEXICAL_COVERAGE)
        scales = [None, lexical_trust, None]
        if preferred_years:
            in_year = candidates[np.isin(store.year[candidates], list(preferred_years))]
            dense_rank = {int(r): i for i, r in enumerate(d_rows)}
            rankings.append(sorted(in_year.tolist(), key=lambda r: dense_rank.get(r, len(dense_rank))))
            weights.append(YEAR_WEIGHT)
            scales.append(None)
        fused = top_items(reciprocal_rank_fusion(rankings, weights, scales=scales), k)
        dense_by_row = dict(zip(d_rows.tolist(), d_scores.tolist(), strict=True))
        lexical_by_row = dict(zip(l_rows.tolist(), l_scores.tolist(), strict=True))
        missing_dense = [row for row, _ in fused if row not in dense_by_row]
        if missing_dense:  # exact cosine for lexical-only hits, so every hit carries both scores
            dense_by_row.update(zip(missing_dense, state.dense.score(vector, np.array(missing_dense)).tolist(), strict=True))
        records = store.chunks([row for row, _ in fused])
        hits = tuple(
            _hit(rank, score, record, dense_by_row.get(record["row"]), lexical_by_row.get(record["row"]))
            for rank, ((_, score), record) in enumerate(zip(fused, records, strict=True), start=1)
        )
        return SearchResult(query=query, hits=hits, filters_used=filters_used, understood=understood_dict,
                            notices=tuple(notices), generation=state.generation, vector=vector,
                            foreign_words=foreign)

    def _mask(self, state: _IndexState, filters: Filters) -> np.ndarray | None:
        if filters.is_empty():
            return None
        if len(filters.forces) == 1 and not (filters.years or filters.themes or filters.report_types
                                              or filters.judgments or filters.sources):
            cached = state.common_masks.get(("force", filters.forces[0]))
            if cached is not None:
                return cached
        return state.store.mask(filters)

    # --- reading sources ------------------------------------------------------------------
    def section(self, section_id: str) -> dict[str, Any] | None:
        """A section's full text and metadata, for showing a passage in place."""
        return self._state.store.section(section_id)

    def reports(self) -> list[dict[str, Any]]:
        return self._state.store.reports()

    def findings_index(self) -> Any:
        """Grades, findings and trails of the loaded generation (search.findings.FindingsIndex),
        read on first use and cached with the generation."""
        state = self._state
        if state.findings is None:
            from search.findings import FindingsIndex

            state.findings = FindingsIndex.load(generation_dir(self.index_dir, state.manifest))
        return state.findings


def canonical_forces_in(query: str) -> str:
    """The query with force aliases spelled as the reports spell them ('Herts' -> 'Hertfordshire
    Constabulary'), so that the lexical index can match them."""
    mentions = find_forces(query)
    for m in reversed(mentions):
        if m.matched != m.force:
            query = query[:m.start] + m.force + query[m.end:]
    return query


def best_sentence_scores(state: _IndexState, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """For each chunk row, the cosine of its best-matching sentence to the query (-1 if none)."""
    ptr = state.store.sentence_ptr
    starts, ends = ptr[rows], ptr[rows + 1]
    lengths = ends - starts
    out = np.full(len(rows), -1.0, dtype=np.float32)
    if not lengths.sum():
        return out
    # The sentence ids of every row, in row order, without a Python loop: start of each row's
    # run, then 0, 1, 2... within the run.
    run_starts = np.cumsum(lengths) - lengths
    ids = np.repeat(starts - run_starts, lengths) + np.arange(int(lengths.sum()))
    scores = dequantize(state.sentences[ids]) @ vector
    has = lengths > 0
    offsets = np.concatenate([[0], np.cumsum(lengths[has])[:-1]])
    out[has] = np.maximum.reduceat(scores, offsets)
    return out


def _hit(rank: int, score: float, record: dict[str, Any], dense: float | None, lexical: float | None) -> Hit:
    return Hit(
        rank=rank, score=round(float(score), 6), text=record["text"], source=record["source"], title=record["title"],
        force=record["force"], year=record["year"], report_type=record["report_type"], section=record["heading"],
        path=tuple(record["path"]), question=record["question"], theme=record["theme"], judgment=record["judgment"],
        page=record["page"], start=record["start"], end=record["end"], chunk_id=record["chunk_id"],
        section_id=record["section_id"], kind=record["kind"], is_table=record["is_table"],
        dense_score=None if dense is None else round(float(dense), 6),
        lexical_score=None if lexical is None else round(float(lexical), 6), row=int(record["row"]),
    )


__all__ = ["FilterError", "Filters", "Hit", "QueryError", "SearchResult", "Searcher"]
