#!/usr/bin/env python
"""InspectQA benchmark: indexing, search, answers, memory and cold start at library scale.

    python benchmarks/run.py --quick     # the 1,000-chunk level only (make bench)
    python benchmarks/run.py             # 1,000, 10,000 and 100,000 chunks, backends, FAISS at 1M

The corpus is generated from the bundled reports (benchmarks/corpus.py). The 1,000-chunk level
is indexed by the whole pipeline with the real encoder (its vectors are cached in
benchmarks/.cache/ so that later runs only re-measure throughput on a sample); the 10,000 level
is indexed by the whole pipeline with cached real vectors replayed with noise instead of the
encoder; the 100,000 level replicates the 10,000 level's rows (new forces, years, noisy vectors)
and builds FAISS and BM25 over them. Only the index and query costs grow with those levels.
The last line of stdout is one JSON object with every figure; BENCHMARKS.md gets the tables.

This module is the command line and the order of the run; the parts live beside it: common.py
(paths, timing, machine, corpus texts), encoders.py, level.py (throughput, latency, quality,
re-indexing, memory at one index size), incremental.py, cold_start.py, backends.py (encoder
backends compared), faiss_scale.py and report.py (targets and the Markdown).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.backends import compare_backends  # noqa: E402
from benchmarks.cold_start import app_cold_start, cli_cold_start, probe_app_main  # noqa: E402
from benchmarks.common import CACHE, REPORTS, corpus, log, machine, questions, timed  # noqa: E402
from benchmarks.corpus import load_bases  # noqa: E402
from benchmarks.encoders import CachingEmbedder, ReplayEmbedder, make_encoder  # noqa: E402
from benchmarks.faiss_scale import faiss_scale  # noqa: E402
from benchmarks.incremental import incremental, integrity_cost, replicate_index  # noqa: E402
from benchmarks.level import measure_level, probe_rss_main, quality, throughput  # noqa: E402
from benchmarks.report import markdown, write_markdown  # noqa: E402

LEVELS = (1_000, 10_000, 100_000)


def run(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(args.work or tempfile.mkdtemp(prefix="inspectqa-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"machine": machine(), "quick": args.quick}
    encoder = make_encoder(args.encoder)
    summary["backend"] = encoder.backend
    encoder_kind = args.encoder if args.encoder != "default" else encoder.backend
    qs = questions()
    bases = load_bases(REPORTS)
    cache = CachingEmbedder(encoder, None if args.encoder == "hash" else
                            CACHE / f"vectors-{encoder.backend}-{encoder.fingerprint}.npz")
    single = bool(args.quick or args.chunks)  # one level: no backends, FAISS or app cold start
    levels = [args.chunks] if args.chunks else ([LEVELS[0]] if args.quick else list(LEVELS))
    summary["levels"] = {}
    from search.index.build import build_index

    first = levels[0]
    log(f"corpus of about {first:,} chunks")
    files = corpus(first, bases)
    sample = files if not args.quick else [f for f in files if f.stat().st_size < 20_000] or files[:2]
    log(f"throughput: pipeline vs encoder on {len(sample)} reports, three runs")
    runs = [throughput(sample, encoder, work) for _ in range(1 if args.encoder == "hash" else 3)]
    summary["throughput"] = min(runs, key=lambda r: r["index_vs_encoder"])  # the worst of the runs
    summary["throughput"]["runs"] = [r["index_vs_encoder"] for r in runs]
    index_dir = work / f"index-{first}"
    shutil.rmtree(index_dir, ignore_errors=True)
    log("index (cached vectors where this machine has embedded the texts before)")
    build_s, _ = timed(lambda: build_index(files, index_dir, embedder=cache))
    cache.save()
    level_out = measure_level(first, index_dir, files, encoder, encoder_kind, qs, 1 if single else 2)
    level_out["built_by"] = (f"the whole pipeline with the real encoder ({encoder.backend}); "
                             f"vectors cached between runs ({build_s:.0f} s this run)")
    summary["levels"][str(first)] = level_out
    log("quality against the naive pipeline")
    summary["quality"] = quality(index_dir, encoder, cache, files, qs)
    cache.save()
    if args.encoder != "hash" and not args.no_cold_start:
        log("cold start")
        summary["cold_start"] = cli_cold_start(index_dir, encoder.backend, 1 if single else 3)
        if not single:
            summary["cold_start"].update(app_cold_start(index_dir, encoder.backend))
    if len(levels) > 1:
        pool = cache.pool()
        ten = levels[1]
        log(f"corpus of about {ten:,} chunks")
        ten_files = corpus(ten, bases)
        ten_dir = work / f"index-{ten}"
        shutil.rmtree(ten_dir, ignore_errors=True)
        replay = ReplayEmbedder(encoder, pool)
        seconds, result = timed(lambda: build_index(ten_files, ten_dir, embedder=replay))
        level_out = measure_level(ten, ten_dir, ten_files, encoder, encoder_kind, qs, 2)
        level_out["built_by"] = (f"the whole pipeline with real vectors replayed instead of the encoder: "
                                 f"{seconds:.0f} s, {result.total_chunks / seconds:.0f} chunks/s without encoding")
        summary["levels"][str(ten)] = level_out
        for big in levels[2:]:
            copies = max(1, round(big / result.total_chunks))
            log(f"{copies} replicas of the {ten:,} level")
            big_dir = work / f"index-{big}"
            big_corpus = CACHE / f"corpus-{big}"
            seconds, (big_files, timings) = timed(
                lambda copies=copies, big_dir=big_dir, big_corpus=big_corpus: replicate_index(
                    ten_dir, ten_files, big_dir, big_corpus, copies, replay))
            level_out = measure_level(big, big_dir, big_files, encoder, encoder_kind, qs, 2)
            level_out["built_by"] = (f"{copies} replicas of the 10,000 level's rows (new file names, forces and years; "
                                     f"noisy vectors) in one segment, {seconds:.0f} s: postings "
                                     f"{timings['lexical_build_s']:.1f} s, store {timings['store_s']:.1f} s, words "
                                     f"{timings['vocabulary_s']:.1f} s, findings {timings['findings_s']:.1f} s, trails "
                                     f"{timings['trails_s']:.1f} s")
            if args.encoder != "hash" and not args.no_cold_start:
                log("  integrity: cold start with checksums verified and skipped")
                level_out["integrity"] = integrity_cost(big_dir, encoder.backend, [q.question for q in qs])
            log("  incremental: add, change, remove one report; 50 changes; optimize")
            level_out["incremental"] = incremental(big_dir, big_corpus, bases, encoder, [q.question for q in qs],
                                                   log=log)
            summary["levels"][str(big)] = level_out
    if not single and args.encoder != "hash" and not args.no_backends:
        log("encoder backends")
        try:
            summary["backends"] = compare_backends(qs, work)
        except Exception as exc:  # a missing backend must not cost the rest of the run
            summary["backends_error"] = f"{type(exc).__name__}: {exc}"
    if not single and args.faiss_result:
        if Path(args.faiss_result).exists():
            summary["faiss"] = json.loads(Path(args.faiss_result).read_text(encoding="utf-8"))
        else:
            log(f"{args.faiss_result} does not exist yet: add it later with --render")
    elif not single and args.faiss:
        log("FAISS at scale")
        summary["faiss"] = faiss_scale(args.faiss, cache.pool(), encoder.encode([q.question for q in qs]))
    first_level = summary["levels"][str(first)]
    lat, mem = first_level["latency"], first_level.get("memory", {})
    summary.update({
        "chunks": first_level["chunks"],
        "index_chunks_per_s": summary["throughput"]["index_chunks_per_s"],
        "encoder_chunks_per_s": summary["throughput"]["encoder_chunks_per_s"],
        "index_vs_encoder": summary["throughput"]["index_vs_encoder"],
        "search_p50_ms": lat["search"]["p50_ms"], "search_p95_ms": lat["search"]["p95_ms"],
        "search_filtered_p50_ms": lat["search_force_years"]["p50_ms"],
        "ask_p50_ms": lat["ask"]["p50_ms"], "ask_p95_ms": lat["ask"]["p95_ms"],
        "reindex_unchanged_s": first_level["reindex"]["reindex_unchanged_s"],
        "reindex_changed_s": first_level["reindex"]["reindex_changed_s"],
        "rss_mb": mem.get("rss_mb"), "model_rss_mb": mem.get("model_rss_mb"),
        "index_added_rss_mb": mem.get("index_added_rss_mb"), "disk_mb": first_level["disk_mb"],
        "naive_search_p50_ms": summary["quality"]["naive_search"]["p50_ms"],
        "hit@5": summary["quality"]["ours"]["hit@5"], "naive_hit@5": summary["quality"]["naive"]["hit@5"],
    })
    summary["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="InspectQA benchmark (docs/performance.md).")
    parser.add_argument("--quick", action="store_true", help="the 1,000-chunk level only")
    parser.add_argument("--chunks", type=int, help="one level of about this many chunks (smoke tests)")
    parser.add_argument("--encoder", default="default",
                        help="default (INSPECTQA_BACKEND or the product's default), torch, onnx, onnx-int8, or hash "
                             "(a stand-in for smoke tests)")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md", help="Markdown file to update")
    parser.add_argument("--work", help="keep indexes in this folder (default: a temporary folder, removed)")
    parser.add_argument("--faiss", type=int, default=1_000_000, help="vectors for the FAISS scale test (0: skip)")
    parser.add_argument("--faiss-result", help="use this JSON from an earlier `--faiss-only` run instead of measuring")
    parser.add_argument("--faiss-only", type=Path, help="only measure FAISS at --faiss vectors and write the JSON here")
    parser.add_argument("--no-backends", action="store_true", help="skip the torch / onnx / onnx-int8 comparison")
    parser.add_argument("--no-cold-start", action="store_true", help="skip the CLI and app cold starts")
    parser.add_argument("--render", help="only re-write --out from a summary JSON saved by an earlier run")
    parser.add_argument("--probe-rss", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--probe-app", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe_rss:
        probe_rss_main(args.probe_rss, args.encoder)
        return 0
    if args.probe_app:
        probe_app_main(args.probe_app)
        return 0
    if args.faiss_only:
        encoder = make_encoder(args.encoder)
        cache = CachingEmbedder(encoder, CACHE / f"vectors-{encoder.backend}-{encoder.fingerprint}.npz")
        if not cache.vectors:
            raise SystemExit("no cached vectors yet: run `python benchmarks/run.py --quick` first")
        result = faiss_scale(args.faiss, cache.pool(), encoder.encode([q.question for q in questions()]))
        result["machine"] = machine()
        args.faiss_only.write_text(json.dumps(result, indent=2), encoding="utf-8")
        print(json.dumps(result))
        return 0
    if args.render:  # re-write the Markdown from a saved summary (and a FAISS result measured apart)
        summary = json.loads(Path(args.render).read_text(encoding="utf-8"))
        if args.faiss_result:
            summary["faiss"] = json.loads(Path(args.faiss_result).read_text(encoding="utf-8"))
        write_markdown(args.out, markdown(summary, summary["quick"]), summary["quick"])
        return 0
    started = time.perf_counter()
    summary = run(args)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    summary["quick"] = bool(args.quick or args.chunks)
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / f"summary-{'quick' if summary['quick'] else 'full'}.json").write_text(json.dumps(summary, default=str),
                                                                                 encoding="utf-8")
    write_markdown(args.out, markdown(summary, summary["quick"]), summary["quick"])
    log(f"wrote {args.out} in {summary['seconds']:.0f} s")
    print(json.dumps(summary, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
