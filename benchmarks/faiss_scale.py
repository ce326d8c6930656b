"""FAISS at scale: for each index type, build time, single-query latency and recall@10 against
exact search, on synthetic vectors made from real ones plus noise."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from benchmarks.common import log, ms_stats, timed
from benchmarks.encoders import noisy


def faiss_scale(n: int, pool: np.ndarray, query_pool: np.ndarray, kinds=("flat", "hnsw", "ivf")) -> dict[str, Any]:
    """FAISS at ``n`` synthetic 384-d vectors (real vectors plus noise, so they cluster like real
    data): build time, single-query p50/p95 and recall@10 against exact search, per index type."""
    import faiss

    from search.index.dense import FaissIndex

    faiss.omp_set_num_threads(os.cpu_count() or 1)
    rng = np.random.default_rng(5)
    vectors = np.empty((n, pool.shape[1]), np.float32)
    for start in range(0, n, 100_000):
        part = pool[rng.integers(0, len(pool), min(100_000, n - start))]
        vectors[start:start + len(part)] = noisy(part, rng, noise=0.05)
    queries = noisy(query_pool[rng.integers(0, len(query_pool), 200)], rng, noise=0.02)
    out: dict[str, Any] = {"vectors": n, "queries": len(queries)}
    truth = None
    for kind in kinds:
        log(f"  FAISS {kind} at {n:,} vectors")
        build_s, index = timed(lambda kind=kind: FaissIndex.build(vectors, kind))
        index.search(queries[:1], 10)
        samples, found = [], []
        for q in queries:
            seconds, (_, ids) = timed(lambda q=q, index=index: index.search(q[None, :], 10))
            samples.append(seconds)
            found.append(ids[0])
        found = np.array(found)
        if kind == "flat":
            truth = found
        recall = None if truth is None else float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth,
                                                                                                        strict=True)]))
        out[kind] = {"build_s": round(build_s, 1), **ms_stats(samples), "recall@10": None if recall is None else
                     round(recall, 3), "memory_mb": round(faiss.serialize_index(index.index).nbytes / 2**20)}
        index = None  # free it before the next one is built
    return out

