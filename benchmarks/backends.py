"""The encoder backends compared (torch, onnx, onnx-int8): speed on what indexing the bundled
reports embeds, agreement with torch, and the retrieval quality of an index built with each."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import REPORTS, pipeline_texts, timed
from benchmarks.encoders import CachingEmbedder, text_key


def compare_backends(qs: list, work: Path) -> dict[str, Any]:
    """torch vs onnx vs onnx-int8: speed on what indexing the bundled reports embeds, and
    development-set retrieval quality of an index built with each."""
    from eval.metrics import evaluate_retrieval, searcher_run
    from search.embed import make_embedder, onnx_available
    from search.index.build import build_index
    from search.retrieve.searcher import Searcher

    chunk_texts, sentence_texts = pipeline_texts([REPORTS])
    texts = chunk_texts + sentence_texts
    out: dict[str, Any] = {"chunks": len(chunk_texts), "sentences": len(sentence_texts)}
    backends = ["torch", *(["onnx", "onnx-int8"] if onnx_available() else [])]
    encoders = {name: make_embedder(name) for name in backends}
    for encoder in encoders.values():
        encoder.encode(texts[:16])
    best: dict[str, float] = {}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(2):  # interleaved, best of two: the machine may be shared
        for name, encoder in encoders.items():
            seconds, vectors[name] = timed(lambda encoder=encoder: encoder.encode(texts, batch_size=32))
            best[name] = min(best.get(name, 1e9), seconds)
    for name, encoder in encoders.items():
        cache = CachingEmbedder(encoder, None)
        cache.vectors = {text_key(t): v for t, v in zip(texts, vectors[name], strict=True)}
        index_dir = work / f"backend-{name}"
        shutil.rmtree(index_dir, ignore_errors=True)
        build_index([REPORTS], index_dir, embedder=cache)
        searcher = Searcher.load(index_dir, embedder=encoder)
        report = evaluate_retrieval(searcher_run(searcher), qs, 10)
        agreement = float(np.min(np.sum(vectors[name] * vectors["torch"], axis=1)))
        out[name] = {"chunks_per_s": round(len(chunk_texts) / best[name], 2),
                     "texts_per_s": round(len(texts) / best[name], 1),
                     "speedup_vs_torch": round(best["torch"] / best[name], 2),
                     "min_cosine_vs_torch": round(agreement, 4), **report["without_filters"]["overall"]}
        shutil.rmtree(index_dir, ignore_errors=True)
    return out

