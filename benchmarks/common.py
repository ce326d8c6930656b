"""What the benchmark's parts share: its paths, progress lines on stderr, timing and percentiles,
this process's memory, the machine and package versions, the development questions, and the
scale corpus with exactly the texts the pipeline embeds for it."""

from __future__ import annotations

import os
import platform
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.corpus import make_corpus

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".cache"
REPORTS = ROOT / "reports"
DEV_QUESTIONS = ROOT / "eval" / "dev_questions.jsonl"
RUN = ROOT / "benchmarks" / "run.py"
"""The command line; the probes run it again in a fresh process (``--probe-rss``, ``--probe-app``)."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ms_stats(samples: list[float]) -> dict[str, float]:
    values = np.asarray(samples, dtype=np.float64) * 1000
    return {"p50_ms": round(float(np.percentile(values, 50)), 2), "p95_ms": round(float(np.percentile(values, 95)), 2),
            "n": len(samples)}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def folder_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def live_generation(index_dir: Path) -> Path:
    from search.index.layout import generation_dir, read_manifest

    return generation_dir(index_dir, read_manifest(index_dir))


def rss_now() -> dict[str, float]:
    """Resident and peak resident memory of this process in MB (Linux /proc, else getrusage)."""
    status = Path("/proc/self/status")
    if status.exists():
        fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        return {"rss_mb": round(int(fields["VmRSS"].split()[0]) / 1024, 1),
                "peak_mb": round(int(fields["VmHWM"].split()[0]) / 1024, 1),
                "anon_mb": round(int(fields.get("RssAnon", "0 kB").split()[0]) / 1024, 1),
                "file_mb": round(int(fields.get("RssFile", "0 kB").split()[0]) / 1024, 1)}
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 1024)
    return {"rss_mb": round(peak, 1), "peak_mb": round(peak, 1)}


def questions() -> list:
    from eval.metrics import load_questions

    return load_questions(DEV_QUESTIONS)


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next((ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines()
                    if ln.startswith("model name")), cpu)
    ram = None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        ram = round(int(meminfo.read_text().split("MemTotal:")[1].split()[0]) / 2**20, 1)
    versions = {}
    for package in ("inspectqa", "numpy", "faiss-cpu", "bm25s", "onnxruntime", "torch", "sentence-transformers",
                    "transformers", "streamlit"):
        try:
            versions[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": ram, "python": platform.python_version(),
            "os": f"{platform.system()} {platform.release()}", "versions": versions,
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None}


def corpus(level: int, bases) -> list[Path]:
    folder = CACHE / f"corpus-{level}"
    shutil.rmtree(folder, ignore_errors=True)
    files = make_corpus(folder, level, bases, include_real=True)
    return [f.path for f in files]


def pipeline_texts(files: Iterable[Path]) -> tuple[list[str], list[str]]:
    """Exactly what build_index embeds for ``files``: chunk embed texts, then sentence texts."""
    from ingest.chunk import chunk_report, sentence_units
    from ingest.pipeline import discover, ingest_path

    chunk_texts, sentence_texts = [], []
    for file in discover(files)[0]:
        for chunk in chunk_report(ingest_path(file)):
            chunk_texts.append(chunk.embed_text)
            sentence_texts.extend(text for _, _, text in sentence_units(chunk))
    return chunk_texts, sentence_texts

