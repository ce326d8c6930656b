"""Searching while another process publishes a rebuilt index.

Eight threads issue 500 queries each (a mix of questions and filters) through one
``Searcher`` while a separate process rebuilds the index from a changed corpus and publishes
it; one of the threads calls ``reload_if_changed()`` as it goes. No query may fail, and every
result must come wholly from one generation: its ``generation`` names a published generation
and each hit's chunk id, row and text are that generation's. The two corpora differ in every
report, so no chunk id is shared between the generations. Latency p50/p95 is printed (the
docs/reliability.md quotes it); nothing asserts on time.

The refusal of a second concurrent ``inspectqa index`` is tested in test_reliability_index.py.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import REPORTS, ROOT, KeywordEmbedder

from search.index.build import build_index
from search.index.layout import read_manifest
from search.retrieve.result import SearchResult
from search.retrieve.searcher import Searcher

THREADS = 8
QUERIES_PER_THREAD = 500
RELOAD_EVERY = 10  # queries between reload_if_changed() calls in the reloading thread
WORKLOAD: list[tuple[str, dict | None]] = [
    ("How well does the force protect missing children?", None),
    ("crime prevention strategy", {"force": "Herts"}),
    ("victims kept informed about their case", {"year": 2015}),
    ("use of police time", {"years": "2014-2016"}),
    ("anti-social behaviour", {"theme": "preventing_crime"}),
    ("How does Hertfordshire investigate burglary in 2015?", None),
    ("domestic abuse risk assessment", {"report_type": "peel_effectiveness"}),
    ("organised crime groups", None),
    ("attendance at incidents", {"judgment": "Good"}),
    ("missing children", {"force": ["Hertfordshire Constabulary"], "years": [2014, 2015]}),
]


def _changed_copy(target: Path) -> Path:
    """The bundled reports, each with a paragraph added, so every chunk id changes."""
    shutil.copytree(REPORTS, target)
    for report in sorted(target.iterdir()):
        report.write_text(report.read_text(encoding="utf-8") + "\n\nThis copy was revised after publication.\n",
                          encoding="utf-8")
    return target


def _chunks_of(index_dir: Path, generation: str) -> dict[str, tuple[int, str]]:
    """chunk id -> (row, text) of a generation, rows counted across its segments in the manifest's order."""
    manifest = read_manifest(index_dir)
    assert manifest["generation"] == generation
    out, offset = {}, 0
    for segment in manifest["segments"]:
        con = sqlite3.connect(f"file:{index_dir / generation / segment['name'] / 'chunks.sqlite'}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT row, chunk_id, text FROM chunks").fetchall()
        finally:
            con.close()
        out.update({cid: (offset + row, text) for row, cid, text in rows})
        offset += segment["rows"]
    return out


def _publisher(corpus: Path, index_dir: Path, real: bool) -> subprocess.Popen:
    """A separate process that rebuilds the index from ``corpus`` and publishes it."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    if real:
        command = [sys.executable, "-m", "search", "index", str(corpus), "--index-dir", str(index_dir), "--rebuild",
                   "--wait", "600"]
    else:
        script = ("import sys; sys.path.insert(0, 'tests'); from conftest import KeywordEmbedder; "
                  "from search.index.build import build_index; "
                  f"build_index([{str(corpus)!r}], {str(index_dir)!r}, embedder=KeywordEmbedder(), rebuild=True, "
                  "wait_seconds=600)")
        command = [sys.executable, "-c", script]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_queries_during_publish(searcher: Searcher, index_dir: Path, corpus: Path, real: bool) -> dict:
    """Run the workload while another process publishes; return results, latencies, errors."""
    old_generation = searcher.generation
    results: list[list[SearchResult]] = [[] for _ in range(THREADS)]
    latencies: list[list[float]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []
    reloads: list[str] = []
    started = threading.Barrier(THREADS + 1)
    publish_done = threading.Event()
    progress = [0] * THREADS

    def worker(n: int) -> None:
        started.wait()
        done = 0
        deadline = time.monotonic() + 900
        # 500 queries each; keep going (bounded) until the new index has been published and seen.
        while done < QUERIES_PER_THREAD or (not publish_done.is_set() and time.monotonic() < deadline):
            query, filters = WORKLOAD[(n + done) % len(WORKLOAD)]
            try:
                if n == 0 and done % RELOAD_EVERY == 0 and searcher.reload_if_changed():
                    reloads.append(searcher.generation)
                t0 = time.perf_counter()
                result = searcher.search(query, k=10, filters=filters)
                latencies[n].append(time.perf_counter() - t0)
                results[n].append(result)
            except BaseException as exc:  # recorded: the test fails on any error
                errors.append(exc)
                return
            done += 1
            progress[n] = done

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    started.wait()
    while min(progress) < 5 and any(t.is_alive() for t in threads):
        time.sleep(0.01)  # publish once every thread is searching
    publisher = _publisher(corpus, index_dir, real)
    try:
        _out, err = publisher.communicate(timeout=900)
    finally:
        if publisher.poll() is None:
            publisher.kill()
    assert publisher.returncode == 0, err
    published_after = sum(progress)
    new_generation = read_manifest(index_dir)["generation"]
    # The new index is published; let the reloading thread see it before everyone stops.
    while searcher.generation != new_generation and threads[0].is_alive():
        time.sleep(0.05)
    publish_done.set()
    for thread in threads:
        thread.join(timeout=900)
    return {"old": old_generation, "new": new_generation, "results": results, "latencies": latencies,
            "errors": errors, "reloads": reloads, "published_after": published_after}


def check_and_report(outcome: dict, index_dir: Path, label: str) -> None:
    assert not outcome["errors"], outcome["errors"][:3]
    old, new = outcome["old"], outcome["new"]
    # Searches follow a publish by themselves, so the explicit reload may find the new generation loaded.
    assert old != new and outcome["reloads"] in ([], [new])
    chunks = {old: outcome["old_chunks"], new: _chunks_of(index_dir, new)}
    assert not set(chunks[old]) & set(chunks[new]), "the two corpora should share no chunk id"
    seen = {old: 0, new: 0}
    total = 0
    for per_thread in outcome["results"]:
        assert len(per_thread) >= QUERIES_PER_THREAD
        for result in per_thread:
            total += 1
            assert result.generation in chunks, result.generation
            seen[result.generation] += 1
            store = chunks[result.generation]
            for hit in result.hits:
                assert hit.chunk_id in store, f"a hit of {hit.chunk_id} is not from {result.generation}"
                assert store[hit.chunk_id] == (hit.row, hit.highlight)
            years = result.filters_used.get("years")
            if years:
                assert all(h.year is not None and years[0] <= h.year <= years[1] for h in result.hits)
    assert seen[old] > 0 and seen[new] > 0, seen  # the publish happened while queries ran
    latencies = np.array([x for per_thread in outcome["latencies"] for x in per_thread]) * 1000
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
    print(f"\n[{label}] {THREADS} threads, {total} queries ({seen[old]} on the old index, {seen[new]} on the new "
          f"one), 0 errors; latency p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, max "
          f"{latencies.max():.1f} ms; the publish finished after {outcome['published_after']} queries")


@pytest.mark.slow
def test_searches_during_a_publish_keyword_encoder(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build_index([REPORTS], index_dir, embedder=KeywordEmbedder())
    searcher = Searcher.load(index_dir, embedder=KeywordEmbedder())
    old_chunks = _chunks_of(index_dir, searcher.generation)
    outcome = run_queries_during_publish(searcher, index_dir, _changed_copy(tmp_path / "changed"), real=False)
    outcome["old_chunks"] = old_chunks
    check_and_report(outcome, index_dir, "keyword encoder")


@pytest.mark.slow
def test_searches_during_a_publish_real_encoder(tmp_path: Path, real_index: Path, real_embedder) -> None:
    """The same with the bundled encoder: the publisher is `inspectqa index --rebuild` in its own process."""
    index_dir = tmp_path / "index"
    shutil.copytree(real_index, index_dir)
    searcher = Searcher.load(index_dir, embedder=real_embedder)
    old_chunks = _chunks_of(index_dir, searcher.generation)
    outcome = run_queries_during_publish(searcher, index_dir, _changed_copy(tmp_path / "changed"), real=True)
    outcome["old_chunks"] = old_chunks
    check_and_report(outcome, index_dir, "all-MiniLM-L6-v2")
