#!/usr/bin/env python
"""InspectQA side by side with a Haystack peer and the naive LangChain recipe, on one question bank.

    make peers-compare
    .venv/bin/python benchmarks/peers/compare.py --docs reports eval/corpus \
        --questions eval/questions.jsonl

Runs in the product's venv. Builds an InspectQA index over the documents in a temporary folder
and searches every answerable question (the product's default search, no filters given); builds
the naive recipe (1,000-character recursive splits, dense only); runs the Haystack peer
(benchmarks/peers/haystack_peer.py) in its own venv as a subprocess; scores every system with
eval/relevance.py and writes one section of BENCHMARKS.md and a JSON file under
benchmarks/results/. Build and query times are measured in-process on one thread for every
system. docs/peers.md says what each row is.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_name] = "1"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.peers.bank import (  # noqa: E402
    LONG_DOCUMENT_CHARS,
    BankError,
    BankQuestion,
    discover_documents,
    load_questions,
    material_of,
)
from benchmarks.peers.scoring import (  # noqa: E402
    ScoringError,
    SystemRun,
    markdown_section,
    replace_section,
    score_systems,
    to_json,
)

PEER_PYTHON = ROOT / "benchmarks" / "peers" / ".venv" / "bin" / "python"
PEER_SCRIPT = ROOT / "benchmarks" / "peers" / "haystack_peer.py"
DEFAULT_QUESTIONS = (ROOT / "eval" / "dev_questions.jsonl", ROOT / "eval" / "heldout_questions.jsonl")
WARM_UP_QUERY = "How well does the force protect vulnerable people?"


class PeerMissingError(RuntimeError):
    """The peer's own venv is not there; the message says how to make it."""


class PeerFailedError(RuntimeError):
    """The peer ran but failed; the message carries its last words."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ms_stats(samples: list[float]) -> dict[str, float]:
    """p50 / p95 / mean of query times in milliseconds."""
    ordered = sorted(samples)
    if not ordered:
        return {}
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 2), "p95": round(p95, 2), "mean": round(statistics.fmean(ordered), 2)}


def timed_queries(questions: list[BankQuestion], search: Callable[[str], list[tuple[str, str]]]
                  ) -> tuple[dict[str, list[tuple[str, str]]], dict[str, float]]:
    """Every question's ranked (file, text) and the query-time statistics, after one untimed warm-up."""
    search(WARM_UP_QUERY)
    results, samples = {}, []
    for question in questions:
        started = time.perf_counter()
        results[question.id] = search(question.question)
        samples.append((time.perf_counter() - started) * 1000)
    return results, ms_stats(samples)


@contextlib.contextmanager
def one_cpu() -> Iterator[None]:
    """While inside, the process reports one CPU, so an encoder sized from ``os.cpu_count()``
    (the product's torch and ONNX backends) starts one thread, as the peer does."""
    real = os.cpu_count
    os.cpu_count = lambda: 1
    try:
        yield
    finally:
        os.cpu_count = real


def single_threaded_embedder() -> Any:
    """The product's default encoder, loaded on one thread (FAISS and torch pinned to one too)."""
    import faiss
    import torch

    from search.embed import make_embedder  # repoint here when search/ moves

    faiss.omp_set_num_threads(1)
    with one_cpu():
        embedder = make_embedder()
        embedder.encode(["warm up"])  # loads the model (lazy) while the process reports one CPU
    torch.set_num_threads(1)
    return embedder


def inspectqa_system(files: list[Path], work: Path, questions: list[BankQuestion], embedder: Any,
                     k: int) -> SystemRun:
    """InspectQA as a user runs it: `inspectqa index` over the documents, then the default search
    (the question's own words understood; no filters given). The only code that knows the
    product's module paths."""
    from search.index.build import build_index  # repoint here when search/ moves
    from search.retrieve.searcher import Searcher

    index_dir = work / "inspectqa-index"
    started = time.perf_counter()
    build_index(files, index_dir, embedder=embedder)
    build_s = time.perf_counter() - started
    searcher = Searcher.load(index_dir, embedder=embedder)

    def search(query: str) -> list[tuple[str, str]]:
        return [(hit.source, hit.text) for hit in searcher.search(query, k=k).hits]

    results, latency = timed_queries(questions, search)
    return SystemRun("InspectQA (default index and search)",
                     f"inspectqa index + Searcher.search, encoder backend {getattr(embedder, 'backend', '?')}",
                     results, build_s, int(searcher.coverage()["chunks"]), latency)


def naive_system(files: list[Path], questions: list[BankQuestion], embedder: Any, k: int) -> SystemRun:
    """The naive LangChain recipe of eval/RELEVANCE.md: 1,000-character recursive splits (200
    overlapping), the same encoder, a flat FAISS index, dense only."""
    from eval.baseline import NaiveIndex  # repoint here when search/ moves

    started = time.perf_counter()
    naive = NaiveIndex.build(files, embedder)
    build_s = time.perf_counter() - started
    results, latency = timed_queries(questions, lambda q: [(s, t) for s, t, _ in naive.search(q, k)])
    return SystemRun("naive LangChain recipe, 1,000-char splits, dense", "RecursiveCharacterTextSplitter + FAISS flat",
                     results, build_s, len(naive.texts), latency)


def peer_systems(files: list[Path], questions: list[BankQuestion], work: Path, k: int, python: Path,
                 splits: list[str] | None = None) -> tuple[list[SystemRun], dict[str, str]]:
    """Run the Haystack peer in its own venv; its configurations as SystemRuns and its versions.

    Raises:
        PeerMissingError: no peer venv at ``python``.
        PeerFailedError: the peer exited with an error or wrote no result.
    """
    if not python.exists():
        raise PeerMissingError(f"the Haystack peer's venv is missing ({python}): run `make peers`, "
                               f"or pass --no-peer to score InspectQA alone")
    question_file, out_file = work / "peer-questions.json", work / "peer-result.json"
    question_file.write_text(json.dumps([{"id": q.id, "question": q.question} for q in questions]), encoding="utf-8")
    command = [str(python), str(PEER_SCRIPT), "--docs", *map(str, files), "--questions", str(question_file),
               "--out", str(out_file), "--k", str(k)]
    if splits:
        command += ["--splits", *splits]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": ""}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not out_file.exists():
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise PeerFailedError(f"the Haystack peer failed (exit {done.returncode}): {tail}\n"
                              f"rerun `make peers` if its venv is broken")
    data = json.loads(out_file.read_text(encoding="utf-8"))
    runs = []
    for name, config in data["configs"].items():
        label = {"bm25": "BM25 only", "dense": "dense only", "hybrid": "hybrid RRF"}[config["retrieval"]]
        runs.append(SystemRun(
            f"Haystack {data['versions']['haystack-ai']}, {label}, {config['split_length']}/{config['split_overlap']}-word splits",
            f"haystack {name}",
            {qid: [(file, text) for file, text in ranked] for qid, ranked in config["results"].items()},
            config["build_s"], config["chunks"], config["latency_ms"]))
    return runs, data["versions"]


def git_commit() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+uncommitted changes" if dirty else "")


def product_versions(embedder: Any) -> dict[str, dict[str, str]]:
    """InspectQA's commit, encoder backend and the versions of what it runs on."""
    out = {"commit": git_commit(), "encoder backend": str(getattr(embedder, "backend", "?"))}
    for name in ("sentence-transformers", "torch", "onnxruntime", "faiss-cpu", "bm25s", "langchain-text-splitters"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return {"InspectQA": out}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}; load average {load} at the start"


def relative(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.resolve().relative_to(ROOT))
    return str(path)


def run(args: argparse.Namespace) -> dict[str, Any]:
    files = discover_documents(args.docs)
    questions = load_questions(args.questions)
    answerable = [q for q in questions if q.answerable]
    if not answerable:
        raise BankError("no answerable question in the bank: a retrieval comparison needs golds")
    materials = material_of(files)
    command = "benchmarks/peers/compare.py --docs " + " ".join(map(relative, map(Path, args.docs))) + \
        " --questions " + " ".join(map(relative, map(Path, args.questions)))
    meta = {"run_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(), "command": command,
            "documents": len(files), "materials": dict(Counter(materials.values())), "long_chars": LONG_DOCUMENT_CHARS,
            "questions": len(answerable), "k": args.k}
    runs: list[SystemRun] = []
    with tempfile.TemporaryDirectory(prefix="inspectqa-peers-") as tmp:
        work = Path(tmp)
        log(f"compare: {len(answerable)} answerable questions over {len(files)} documents")
        embedder = single_threaded_embedder()
        log("compare: InspectQA ...")
        runs.append(inspectqa_system(files, work, answerable, embedder, args.k))
        versions = product_versions(embedder)
        if not args.no_naive:
            log("compare: naive LangChain recipe ...")
            runs.append(naive_system(files, answerable, embedder, args.k))
        if not args.no_peer:
            log("compare: Haystack peer (its own venv) ...")
            peer_runs, peer_versions = peer_systems(files, answerable, work, args.k, Path(args.peer_python),
                                                    args.splits)
            runs += peer_runs
            versions = {"Haystack peer": {name: version for name, version in peer_versions.items()
                                          if name != "python"}} | versions
    meta["versions"] = versions
    scored = score_systems(runs, questions, materials, args.k)
    section = markdown_section(runs, scored, meta)
    report = {**meta, "documents": [{"file": relative(f), "material": materials[f.name]} for f in files],
              "systems": {run.name: {"description": run.description, "build_s": run.build_s, "chunks": run.chunks,
                                     "latency_ms": run.latency_ms, **scored[run.name]} for run in runs}}
    if args.markdown:
        path = Path(args.markdown)
        path.write_text(replace_section(path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n",
                                        section), encoding="utf-8")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(to_json(report), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(section)
    return report


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", nargs="+", default=[str(ROOT / "reports")],
                        help="document files or folders (default: reports/)")
    parser.add_argument("--questions", nargs="+", default=[str(p) for p in DEFAULT_QUESTIONS],
                        help="question files, JSON lines (default: the dev and held-out sets)")
    parser.add_argument("--k", type=int, default=10, help="passages per question (default 10)")
    parser.add_argument("--markdown", default=str(ROOT / "BENCHMARKS.md"),
                        help="file whose peers section is replaced (empty: none)")
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "peers.json"),
                        help="where to write the JSON result (empty: none)")
    parser.add_argument("--peer-python", default=str(PEER_PYTHON), help="the peer venv's python")
    parser.add_argument("--splits", nargs="+", default=None, help="the peer's split settings, e.g. 200/0 512/32")
    parser.add_argument("--no-peer", action="store_true", help="skip the Haystack peer")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive LangChain recipe")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.k < 10:
        print("compare: --k must be at least 10 (MRR@10 reads the top 10)", file=sys.stderr)
        return 2
    try:
        run(args)
    except (BankError, ScoringError, PeerMissingError, PeerFailedError) as exc:
        print(f"compare: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
