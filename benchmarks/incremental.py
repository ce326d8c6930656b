"""Benchmark parts for an index that changes a report at a time (issue: seconds, not minutes).

- ``replicate_index``: the 100,000-chunk level as one segment, made from the 10,000 level's rows
  (new file names, forces and years; noisy vectors), its postings, words, findings and trails made
  by the product's own code.
- ``incremental``: on a large index, add one report, change one and remove one (the encoder's time
  for the new chunks included), then 50 such changes in turn; search p50 before, after the changes
  (with the searcher that followed every publish, and one loaded afresh) and after ``--optimize``.
- ``integrity_cost``: a fresh process opening the index and answering its first search, with the
  checksums verified and with them skipped (``search.index.integrity.start`` replaced by a no-op,
  in the probe only), and warm search with them verified.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.corpus import YEARS, rename_force, shift_years, synthesise, territorial_forces

ROOT = Path(__file__).resolve().parent.parent


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _p50_ms(samples: list[float]) -> float:
    return round(float(np.percentile(np.asarray(samples) * 1000, 50)), 2)


def _noisy(vectors: np.ndarray, rng: np.random.Generator, noise: float = 0.04) -> np.ndarray:
    out = vectors.astype(np.float32) + rng.normal(0, noise, vectors.shape).astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def replicate_index(src_dir: Path, src_files: list[Path], out_dir: Path, out_corpus: Path, copies: int,
                    embedder: Any, seed: int = 11) -> tuple[list[Path], dict[str, float]]:
    """An index of ``copies`` replicas of every report of ``src_dir`` (one segment): new file names,
    forces and years (written to ``out_corpus`` so that re-indexing reads them), the same chunk
    texts, noisy copies of the vectors; the store copied by the chunk store's own ``replicate``; the
    lexical postings, words, findings and trails made by the product's code (``embedder`` encodes
    new words and finding texts)."""
    from search.config import Settings
    from search.findings.storage import made_with, write_segment_findings, write_trails
    from search.index import integrity
    from search.index.build import build_index
    from search.index.dense import FaissIndex, RowFile, dequantize, quantize_unit
    from search.index.expansion import QueryExpander, SegmentVocabulary
    from search.index.layout import (
        CHUNKS_DB,
        DENSE,
        LEXICAL,
        MANIFEST,
        SENTENCES,
        TRAILS,
        VECTORS,
        generation_dir,
        make_manifest,
        new_segment_name,
        read_manifest,
    )
    from search.index.lexical import LexicalSegment, lexical_text
    from search.index.segment import report_spans
    from search.index.segments import SegmentedReports, SegmentedRows, unopened
    from search.index.store import ChunkStore, Replica

    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    manifest = read_manifest(src_dir)
    if len(manifest["segments"]) != 1:  # the level's re-indexing added segments: merge them first
        build_index(src_files, src_dir, embedder=embedder, optimize=True)
        manifest = read_manifest(src_dir)
    [src_entry] = manifest["segments"]
    src_seg = generation_dir(src_dir, manifest) / src_entry["name"]
    shutil.rmtree(out_dir, ignore_errors=True)
    shutil.rmtree(out_corpus, ignore_errors=True)
    out_corpus.mkdir(parents=True)
    generation = f"gen-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-bench{uuid.uuid4().hex[:4]}"
    gen = out_dir / generation
    seg = gen / new_segment_name()
    seg.mkdir(parents=True)
    by_name = {f.name: f for f in src_files}
    forces = territorial_forces()
    replicas, files = [], []
    for r in range(copies):
        for source, info in manifest["reports"].items():
            force, year = rng.choice(forces), rng.choice(YEARS)
            name = f"{Path(source).stem}_r{r:02d}.txt"
            text = by_name[source].read_text(encoding="utf-8")
            if info.get("force"):
                text = rename_force(text, info["force"], force)
            if info.get("year"):
                text = shift_years(text, year - int(info["year"]))
            path = out_corpus / name
            path.write_text(text, encoding="utf-8")
            files.append(path)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            title = (info.get("title") or "").replace(str(info.get("year")), str(year))
            replicas.append(Replica(source=source, name=name, force=force, year=year, content_hash=digest,
                                    path=str(path), copy=r, title=title))
    timings: dict[str, float] = {}
    seconds, counts = _timed(lambda: ChunkStore.replicate(src_seg / CHUNKS_DB, seg / CHUNKS_DB, replicas, copies))
    timings["store_s"] = round(seconds, 2)
    vectors = np.load(src_seg / VECTORS, allow_pickle=False)
    all_vectors = np.vstack([_noisy(vectors, nrng) for _ in range(copies)])
    np.save(seg / VECTORS, all_vectors)
    sentences = np.load(src_seg / SENTENCES, allow_pickle=False)
    np.save(seg / SENTENCES, np.vstack([quantize_unit(_noisy(dequantize(sentences), nrng)) for _ in range(copies)]))
    if manifest["index_type"] != "flat":
        seconds, dense = _timed(lambda: FaissIndex.build(all_vectors, manifest["index_type"]))
        dense.save(seg / DENSE)
        timings["faiss_build_s"] = round(seconds, 2)
    store = ChunkStore.open(seg / CHUNKS_DB)
    records = store.all_chunks()
    seconds, lexical = _timed(lambda: LexicalSegment.build([lexical_text(c["embed_text"]) for c in records]))
    lexical.save(seg / LEXICAL)
    timings["lexical_build_s"] = round(seconds, 2)
    texts: dict[str, list[str]] = {}
    for record in records:
        texts.setdefault(record["source"], []).append(record["embed_text"])
    known = SegmentVocabulary.load(src_seg)
    seconds, vocab = _timed(lambda: SegmentVocabulary.build(texts, embedder,
                                                            QueryExpander(known.words, np.asarray(known.vectors))))
    vocab.save(seg)
    timings["vocabulary_s"] = round(seconds, 2)
    seconds, _ = _timed(lambda: write_segment_findings(store, seg, embedder))
    timings["findings_s"] = round(seconds, 2)
    store.close()
    rows, n_sentences, spans = report_spans(seg)
    metadata = unopened(seg / CHUNKS_DB).manifest_reports()
    reports = {s: {**metadata[s], **spans[s], "segment": seg.name} for s in metadata}
    view = SegmentedReports([unopened(seg / CHUNKS_DB, rows)], [set(reports)], [n_sentences])
    settings = Settings()
    forces_held = {r["force"] for r in reports.values() if r["force"]}
    seconds, trails = _timed(lambda: write_trails(view, [(seg, sorted(reports, key=lambda s: reports[s]["rows"][0]))],
                                                  forces_held, SegmentedRows([RowFile(seg / SENTENCES)]),
                                                  settings.trails, gen / TRAILS))
    timings["trails_s"] = round(seconds, 2)
    segments = [{"name": seg.name, "rows": rows, "sentences": n_sentences, "deleted": 0}]
    new_manifest = make_manifest(
        generation=generation, embedder=embedder, params=_chunking(manifest), index_type=manifest["index_type"],
        reports=reports, counts={"chunks": rows, "sentences": n_sentences, "rows": rows, "segments": 1,
                                 "findings": sum(int(r.get("findings") or 0) for r in reports.values())},
        inputs=[str(out_corpus)], seconds=sum(timings.values()), files=integrity.record(gen), segments=segments,
        trails=trails, findings=made_with(embedder, settings.trails))
    (gen / MANIFEST).write_text(json.dumps(new_manifest, indent=2), encoding="utf-8")
    (out_dir / MANIFEST).write_text(json.dumps(new_manifest, indent=2), encoding="utf-8")
    del counts
    return files, timings


def _chunking(manifest: dict[str, Any]) -> Any:
    from ingest.chunk import ChunkingParams

    return ChunkingParams(**manifest["chunking"])


class _EncoderClock:
    """The encoder, with the seconds its ``encode`` calls took since the last ``take``."""

    def __init__(self, encoder: Any) -> None:
        self._encoder, self._seconds = encoder, 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._encoder, name)

    def encode(self, texts: list[str], **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return self._encoder.encode(texts, **kwargs)
        finally:
            self._seconds += time.perf_counter() - start

    def take(self) -> float:
        seconds, self._seconds = self._seconds, 0.0
        return seconds


def _search_p50(searcher: Any, questions: list[str], passes: int = 2) -> float:
    for q in questions[:3]:
        searcher.search(q, k=10)
    return _p50_ms([_timed(lambda q=q: searcher.search(q, k=10))[0] for _ in range(passes) for q in questions])


def incremental(index_dir: Path, corpus_dir: Path, bases: list, encoder: Any, questions: list[str],
                changes: int = 50, seed: int = 5, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Add, change and remove one report, then ``changes`` more in turn, timing each build (with
    the real encoder for the chunks it embeds); search p50 before, after and after ``--optimize``."""
    from search.index.build import build_index
    from search.index.layout import read_manifest
    from search.retrieve.searcher import Searcher

    rng = random.Random(seed)
    from benchmarks.corpus import sentence_pool

    pool = sentence_pool(bases)
    forces = territorial_forces()
    searcher = Searcher.load(index_dir, embedder=encoder)
    out: dict[str, Any] = {"chunks": int(read_manifest(index_dir)["counts"]["chunks"]),
                           "search_p50_ms_before": _search_p50(searcher, questions)}
    files = sorted(p for p in corpus_dir.iterdir() if p.is_file())
    made = 0

    def add() -> Path:
        nonlocal made
        base = bases[made % len(bases)]
        path = corpus_dir / f"added_{made:03d}.txt"
        path.write_text(synthesise(base, pool, rng.choice(forces), rng.choice(YEARS), 90_000 + made), encoding="utf-8")
        made += 1
        return path

    def change(path: Path) -> None:
        text = path.read_text(encoding="utf-8")
        cut = text.rfind("\n\n", 0, len(text) // 2)
        path.write_text(text[:cut] + f"\n\nThe force has since appointed a new lead ({rng.random():.6f}) for "
                        "neighbourhood policing." + text[cut:], encoding="utf-8")

    timing = _EncoderClock(encoder)

    def build() -> tuple[float, Any]:
        return _timed(lambda: build_index([corpus_dir], index_dir, embedder=timing))

    runs: dict[str, list[dict[str, Any]]] = {"add": [], "change": [], "remove": []}

    def record(kind: str, seconds: float, result: Any) -> None:
        runs[kind].append({"s": round(seconds, 3), "encoder_s": round(timing.take(), 3),
                           "chunks_embedded": result.embedded_chunks,
                           "sentences_embedded": result.embedded_sentences, "segments": result.segments,
                           "merged": len(result.merged)})

    # A change is made to a report the pipeline indexed from its file (one added here): a replica's
    # rows are copies of its source report's rows, not of its renamed file, so none of them would
    # match the file read again and every change to a replica would be encoded whole.
    log("  add one report, change one, remove one")
    first = add()
    record("add", *build())
    target = first
    change(target)
    record("change", *build())
    victim = rng.choice([f for f in files if f != target])
    victim.unlink()
    record("remove", *build())
    out["first"] = {kind: items[0] for kind, items in runs.items()}
    log(f"  {changes} more changes in turn")
    live = [f for f in sorted(corpus_dir.iterdir()) if f.is_file()]
    built = [first]  # the reports added here, still indexed
    for n in range(changes):
        kind = ("add", "change", "remove")[n % 3]
        if kind == "add":
            live.append(added := add())
            built.append(added)
        elif kind == "change":
            change(rng.choice(built))
        else:
            gone = live.pop(rng.randrange(len(live)))
            if gone in built:
                built.remove(gone)
            gone.unlink()
        record(kind, *build())
    for kind, items in runs.items():
        seconds = [x["s"] for x in items]
        out[kind] = {"n": len(items), "median_s": round(statistics.median(seconds), 3), "max_s": max(seconds),
                     "chunks_embedded_median": int(statistics.median(x["chunks_embedded"] for x in items)),
                     "encoder_median_s": round(statistics.median(x["encoder_s"] for x in items), 3),
                     "without_encoder_median_s": round(statistics.median(x["s"] - x["encoder_s"] for x in items), 3)}
    out["merges_during_changes"] = sum(x["merged"] > 0 for items in runs.values() for x in items)
    out["segments_after_changes"] = runs["remove"][-1]["segments"] if runs["remove"] else None
    seconds, _ = _timed(searcher.follow)
    out["follow_publish_s"] = round(seconds, 2)
    out["search_p50_ms_after_changes"] = _search_p50(searcher, questions)
    out["search_p50_ms_after_changes_fresh_load"] = _search_p50(Searcher.load(index_dir, embedder=encoder), questions)
    seconds, result = _timed(lambda: build_index([], index_dir, embedder=encoder, optimize=True))
    out["optimize_s"] = round(seconds, 2)
    out["segments_after_optimize"] = result.segments
    out["search_p50_ms_after_merge"] = _search_p50(Searcher.load(index_dir, embedder=encoder), questions)
    return out


_COLD = """
import json, sys, time
start = time.perf_counter()
sys.path[:0] = [{root!r}]
if {skip!r}:
    import search.index.integrity as integrity
    integrity.start = lambda folder, manifest, index_dir: {{}}
from search.retrieve.searcher import Searcher
searcher = Searcher.load({index!r})
searcher.search("How well does the force protect vulnerable people from harm?", k=10)
cold = time.perf_counter() - start
samples = []
for q in {questions!r}:
    t = time.perf_counter(); searcher.search(q, k=10); samples.append(time.perf_counter() - t)
samples.sort()
print(json.dumps({{"cold_s": cold, "warm_p50_ms": samples[len(samples) // 2] * 1000}}))
"""


def integrity_cost(index_dir: Path, backend: str, questions: list[str], runs: int = 3) -> dict[str, Any]:
    """Fresh processes (model load, index load, first search), alternating checksums verified and
    skipped; best of ``runs`` each; and warm search p50 in each."""
    import os

    env = {**os.environ, "INSPECTQA_BACKEND": backend}
    results: dict[str, list[dict[str, float]]] = {"verified": [], "skipped": []}
    for _ in range(runs):
        for label, skip in (("verified", False), ("skipped", True)):
            script = _COLD.format(root=str(ROOT), skip=skip, index=str(index_dir), questions=questions[:20])
            done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=900,
                                  cwd=ROOT, env=env)
            if done.returncode != 0:
                return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
            results[label].append(json.loads(done.stdout.strip().splitlines()[-1]))
    best = {label: min(r["cold_s"] for r in items) for label, items in results.items()}
    warm = {label: statistics.median(r["warm_p50_ms"] for r in items) for label, items in results.items()}
    return {"cold_verified_s": round(best["verified"], 2), "cold_skipped_s": round(best["skipped"], 2),
            "cold_added_pct": round(100 * (best["verified"] / best["skipped"] - 1), 1),
            "warm_p50_ms_verified": round(warm["verified"], 2), "warm_p50_ms_skipped": round(warm["skipped"], 2),
            "runs": runs}


__all__ = ["incremental", "integrity_cost", "replicate_index"]
