"""The benchmark's scale corpus and the JSON contract of `benchmarks/run.py` (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.corpus import load_bases, make_corpus, place_name, rename_force, shift_years
from ingest.pipeline import ingest_path
from tests.conftest import REPORTS, ROOT


@pytest.fixture(scope="module")
def bases():
    return load_bases(REPORTS)


def test_force_names_and_years_move_together() -> None:
    text = "HMIC inspected Hertfordshire Constabulary in 2014/15. Herts officers; Hertfordshire's plan (2016)."
    moved = shift_years(rename_force(text, "Hertfordshire Constabulary", "Avon and Somerset Constabulary"), 5)
    assert moved == ("HMIC inspected Avon and Somerset Constabulary in 2019/20. Avon and Somerset officers; "
                     "Avon and Somerset's plan (2021).")
    assert place_name("Metropolitan Police Service") == "Metropolitan"
    assert shift_years("ISBN 978-1-911194-89-7, 12 months to June 2015", -2) == \
        "ISBN 978-1-911194-89-7, 12 months to June 2013"


def test_corpus_reads_as_new_reports_of_other_forces_and_years(tmp_path: Path, bases) -> None:
    files = make_corpus(tmp_path / "corpus", 400, bases, seed=3)
    synthetic = [f for f in files if f.path.name.startswith("syn_")]
    real = [f for f in files if not f.path.name.startswith("syn_")]
    assert {f.path.name for f in real} == {b.source for b in bases}
    assert sum(f.estimated_chunks for f in files) >= 400 and synthetic
    base_texts = {b.source: b.text for b in bases}
    for item in synthetic:
        text = item.path.read_text(encoding="utf-8")
        assert text != base_texts[item.base] and "Hertfordshire" not in text
        report = ingest_path(item.path)  # the ingest pipeline reads the new force and year
        assert (report.meta.force, report.meta.year) == (item.force, item.year)
        assert report.sections
    # Recombined, not renamed copies: sentences move between paragraphs and reports.
    longest = max(synthetic, key=lambda f: f.estimated_chunks)
    base = next(b for b in bases if b.source == longest.base)
    renamed = shift_years(rename_force(base.text, base.force, longest.force), longest.year - base.year)
    assert longest.path.read_text(encoding="utf-8") != renamed


def test_corpus_is_deterministic(tmp_path: Path, bases) -> None:
    first = make_corpus(tmp_path / "a", 200, bases, seed=9)
    second = make_corpus(tmp_path / "b", 200, bases, seed=9)
    assert [f.path.read_bytes() for f in first] == [f.path.read_bytes() for f in second]


REQUIRED = ("chunks", "index_chunks_per_s", "encoder_chunks_per_s", "index_vs_encoder", "search_p50_ms",
            "search_p95_ms", "ask_p50_ms", "reindex_unchanged_s", "rss_mb", "naive_search_p50_ms")


@pytest.mark.slow
def test_quick_run_ends_with_one_json_object_of_figures(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--chunks", "150", "--encoder", "hash",
         "--no-cold-start", "--out", str(out)],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    for key in REQUIRED:
        assert isinstance(figures[key], int | float) and figures[key] >= 0, key
    assert figures["chunks"] >= 150 and figures["rss_mb"] > figures["model_rss_mb"] > 0
    assert 0 < figures["index_vs_encoder"] == pytest.approx(
        figures["index_chunks_per_s"] / figures["encoder_chunks_per_s"], rel=0.01)
    level = figures["levels"][str(150)]
    assert level["reindex"]["unchanged_republished"] is False
    assert level["reindex"]["changed_chunks_embedded"] > 0
    assert 0 <= figures["quality"]["ours"]["hit@5"] <= 1 and 0 <= figures["quality"]["naive"]["hit@5"] <= 1
    table = out.read_text(encoding="utf-8")
    assert "<!-- bench:quick -->" in table and "| search p50 <= 30 ms |" in table and "Encoder backend: `hash`" in table
    # A second run replaces its own block and keeps the rest of the file.
    out.write_text(table.replace("<!-- bench:full -->", "<!-- bench:full -->\nkept"), encoding="utf-8")
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--chunks", "150", "--encoder", "hash",
                    "--no-cold-start", "--out", str(out)], capture_output=True, text=True, timeout=600, cwd=ROOT,
                   check=True)
    again = out.read_text(encoding="utf-8")
    assert "kept" in again and again.count("<!-- bench:quick -->") == 1


def test_flat_index_serves_exact_filtered_scores_from_its_own_memory(tmp_path: Path) -> None:
    """The memory fix the benchmark measures: a loaded flat index keeps one copy of the vectors."""
    import numpy as np

    from search.index.dense import FaissIndex

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(500, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    FaissIndex.build(vectors, "flat").save(tmp_path / "dense.faiss")
    np.save(tmp_path / "vectors.npy", vectors)
    loaded = FaissIndex.load(tmp_path / "dense.faiss", np.load(tmp_path / "vectors.npy", mmap_mode="r"), "flat")
    assert not isinstance(loaded.vectors, np.memmap) and np.array_equal(loaded.vectors, vectors)
    mask = np.zeros(500, dtype=bool)
    mask[::3] = True
    scores, rows = loaded.search(vectors[:4], 7, mask)
    exact = vectors[:4] @ vectors.T
    exact[:, ~mask] = -np.inf
    assert np.array_equal(rows, np.argsort(-exact, axis=1, kind="stable")[:, :7])
    assert np.allclose(scores, np.sort(exact, axis=1)[:, ::-1][:, :7], atol=1e-6)
