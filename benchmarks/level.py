"""Measuring one index size: the whole pipeline against the raw encoder, search and ask latency,
retrieval quality against the naive pipeline, re-indexing unchanged and with one report changed,
and the memory of a fresh process (``probe_rss`` runs ``run.py --probe-rss``, which calls
``probe_rss_main``)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import (
    ROOT,
    RUN,
    folder_mb,
    live_generation,
    log,
    ms_stats,
    pipeline_texts,
    questions,
    rss_now,
    timed,
)
from benchmarks.encoders import make_encoder


def throughput(files: list[Path], encoder, work: Path) -> dict[str, Any]:
    """Whole pipeline (build_index on the files) against the raw encoder on the same texts."""
    from search.index.build import build_index

    chunk_texts, sentence_texts = pipeline_texts(files)
    encoder.encode(chunk_texts[:8] + sentence_texts[:8])  # load the model before any clock starts
    index_dir = work / "throughput-index"
    shutil.rmtree(index_dir, ignore_errors=True)
    # Interleaved, best of two each: on a shared machine the load changes from one minute to the next.
    pipeline_s = encoder_s = 1e18
    for _ in range(2):
        shutil.rmtree(index_dir, ignore_errors=True)
        seconds, result = timed(lambda: build_index(files, index_dir, embedder=encoder))
        pipeline_s = min(pipeline_s, seconds)
        encoder_s = min(encoder_s, timed(lambda: encoder.encode(chunk_texts + sentence_texts, batch_size=32))[0])
    chunk_only_s, _ = timed(lambda: encoder.encode(chunk_texts, batch_size=32))
    shutil.rmtree(index_dir, ignore_errors=True)
    n = len(chunk_texts)
    index_rate, encoder_rate = result.total_chunks / pipeline_s, n / encoder_s
    return {"files": len(files), "chunks": n, "sentences": len(sentence_texts),
            "pipeline_s": round(pipeline_s, 2), "encoder_s": round(encoder_s, 2),
            "index_chunks_per_s": round(index_rate, 2), "encoder_chunks_per_s": round(encoder_rate, 2),
            "encoder_texts_per_s": round((n + len(sentence_texts)) / encoder_s, 1),
            "encoder_chunk_only_per_s": round(n / chunk_only_s, 2),
            "index_vs_encoder": round(index_rate / encoder_rate, 3)}


def latency(index_dir: Path, encoder, qs: list, passes: int = 1) -> dict[str, Any]:
    """Search (no filters; a force; a year range; both), ask, and query encoding alone, p50/p95."""
    from search.answer.router import answer
    from search.retrieve.searcher import Searcher

    searcher = Searcher.load(index_dir, embedder=encoder)
    forces = searcher.coverage()["forces"]
    texts = [q.question for q in qs]
    for text in texts[:3]:  # warm: model, first SQLite pages, first BM25 arrays
        searcher.search(text, k=10)
        answer(searcher, text)
    configs: dict[str, Callable[[int, str], Any]] = {
        "encode": lambda i, t: encoder.encode([t]),
        "search": lambda i, t: searcher.search(t, k=10),
        "search_force": lambda i, t: searcher.search(t, k=10, filters={"force": forces[i % len(forces)]}),
        "search_years": lambda i, t: searcher.search(t, k=10, filters={"years": [2015, 2018]}),
        "search_force_years": lambda i, t: searcher.search(
            t, k=10, filters={"force": forces[i % len(forces)], "years": [2013, 2020]}),
        "ask": lambda i, t: answer(searcher, t),
    }
    out = {}
    for name, fn in configs.items():
        samples = []
        for _ in range(passes):
            for i, text in enumerate(texts):
                samples.append(timed(lambda fn=fn, i=i, text=text: fn(i, text))[0])
        out[name] = ms_stats(samples)
    return out


def quality(index_dir: Path, encoder, build_encoder, files: list[Path], qs: list) -> dict[str, Any]:
    """hit@5 / MRR@10 on the development questions for our search and the naive pipeline
    (built with ``build_encoder``, which may reuse cached vectors), and the naive pipeline's
    search latency with its query encoded by ``encoder`` as ours is."""
    from eval.baseline import NaiveIndex
    from eval.metrics import evaluate_retrieval
    from search.retrieve.searcher import Searcher

    searcher = Searcher.load(index_dir, embedder=encoder)

    def ours(q, with_filters: bool):
        result = searcher.search(q.question, k=10, filters=q.filters if with_filters and q.filters else None,
                                 use_understanding=not with_filters or not q.filters)
        return [(h.source, h.text) for h in result.hits]

    build_s, naive = timed(lambda: NaiveIndex.build(files, build_encoder))
    naive.embedder = encoder
    report_ours = evaluate_retrieval(ours, qs, 10)
    report_naive = evaluate_retrieval(lambda q, _wf: [(s, t) for s, t, _ in naive.search(q.question, 10)], qs, 10)
    naive.search(qs[0].question)
    samples = [timed(lambda q=q: naive.search(q.question, 10))[0] for q in qs]
    return {"ours": report_ours["without_filters"]["overall"], "ours_with_filters": report_ours["with_filters"]["overall"],
            "naive": report_naive["without_filters"]["overall"], "naive_search": ms_stats(samples),
            "naive_chunks": len(naive.texts), "naive_build_s": round(build_s, 1)}


def reindex(files: list[Path], index_dir: Path, encoder) -> dict[str, Any]:
    """Re-index unchanged; then with one report changed (the smallest synthetic one, embedded
    for real); then put it back."""
    from search.index.build import build_index

    unchanged_s, result = timed(lambda: build_index(files, index_dir, embedder=encoder))
    synthetic = [f for f in files if f.name.startswith("syn_")] or files
    target = min(synthetic, key=lambda f: f.stat().st_size)
    original = target.read_bytes()
    text = original.decode("utf-8")
    cut = text.rfind("\n\n", 0, len(text) // 2)
    target.write_text(text[:cut] + "\n\nThe force has since appointed a new lead for neighbourhood policing." +
                      text[cut:], encoding="utf-8")
    try:
        changed_s, changed = timed(lambda: build_index(files, index_dir, embedder=encoder))
    finally:
        target.write_bytes(original)
    build_index(files, index_dir, embedder=encoder)
    return {"reindex_unchanged_s": round(unchanged_s, 3), "unchanged_republished": result.published,
            "reindex_changed_s": round(changed_s, 2),
            "changed_report": target.name, "changed_chunks_embedded": changed.embedded_chunks,
            "changed_sentences_embedded": changed.embedded_sentences}


def probe_rss(index_dir: Path, encoder_kind: str) -> dict[str, Any]:
    """Memory of a fresh process: after loading the model, then after loading the index and searching."""
    cmd = [sys.executable, str(RUN), "--probe-rss", str(index_dir), "--encoder", encoder_kind]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=ROOT)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "probe failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def probe_rss_main(index_dir: Path, encoder_kind: str) -> None:
    """The ``--probe-rss`` process: prints one JSON line of its memory after each loading step."""
    start = rss_now()
    encoder = make_encoder(encoder_kind)
    encoder.encode(["How well does the force protect vulnerable people?"])
    model = rss_now()
    from search.answer.router import answer
    from search.retrieve.searcher import Searcher

    searcher = Searcher.load(index_dir, embedder=encoder)
    loaded = rss_now()
    for text in [q.question for q in questions()][:20]:
        searcher.search(text, k=10)
        searcher.search(text, k=10, filters={"years": [2015, 2018]})
        answer(searcher, text)
    after = rss_now()
    print(json.dumps({"interpreter_mb": start["rss_mb"], "model_rss_mb": model["rss_mb"],
                      "loaded_rss_mb": loaded["rss_mb"], "rss_mb": after["rss_mb"], "peak_mb": after["peak_mb"],
                      "index_added_rss_mb": round(after["rss_mb"] - model["rss_mb"], 1),
                      "index_added_anon_mb": round(after.get("anon_mb", 0) - model.get("anon_mb", 0), 1),
                      "index_added_file_mb": round(after.get("file_mb", 0) - model.get("file_mb", 0), 1)}))


def measure_level(level: int, index_dir: Path, files: list[Path], encoder, encoder_kind: str, qs: list,
                  passes: int, with_reindex: bool = True) -> dict[str, Any]:
    """Size (from the manifest and the live generation's files), latency, memory of a fresh process
    and, with ``with_reindex``, re-indexing, for the index in ``index_dir``."""
    from search.index.layout import read_manifest

    manifest = read_manifest(index_dir)
    out: dict[str, Any] = {"target_chunks": level, "chunks": manifest["counts"]["chunks"],
                           "reports": manifest["counts"]["reports"],
                           "disk_mb": folder_mb(live_generation(index_dir))}
    log(f"  latency at {out['chunks']:,} chunks")
    out["latency"] = latency(index_dir, encoder, qs, passes)
    log("  memory (fresh process)")
    out["memory"] = probe_rss(index_dir, encoder_kind)
    if with_reindex:
        log("  re-indexing")
        out["reindex"] = reindex(files, index_dir, encoder)
    return out

