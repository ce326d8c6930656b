#!/usr/bin/env python
"""Measure lexical engines for an index that grows a report at a time (docs/index.md, "Lexical search").

    python benchmarks/lexical_options.py [--docs 100000]

The corpus is the bundled reports' chunks (their lexical text), repeated with force names, years and
a few words changed until it holds ``--docs`` chunks. Each engine is timed on what an incremental
index needs: making the index once, adding one report of 12 chunks, and a query (p50 over the
development questions, top 100). Engines:

- bm25s rebuilt in full (what a change cost before segments);
- per-segment BM25 with statistics merged at query time (search.index.lexical), with one segment,
  and with 50 more of 12 chunks each, and the cost of merging those 50 and of merging everything;
- SQLite FTS5 with bm25() (its own tokenizer: porter stemming, so other scores), an insert into a
  copy of the database (a generation never changes once published);
- Tantivy's official Python bindings, when installed (not a dependency: `pip install tantivy`).

The last line of stdout is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def chunk_texts() -> list[str]:
    from ingest.chunk import chunk_report
    from ingest.pipeline import ingest_path
    from search.index.lexical import lexical_text

    texts = []
    for path in sorted((ROOT / "reports").iterdir()):
        if path.is_file():
            texts += [lexical_text(c.embed_text) for c in chunk_report(ingest_path(path, isolate=False))]
    return texts


def grow(texts: list[str], n: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    words = sorted({w for t in texts[:300] for w in t.split() if w.isalpha() and len(w) > 4})
    forces = ["Kent", "Essex", "Surrey", "Dorset", "Norfolk", "Suffolk", "Cumbria", "Durham", "Gwent", "Wiltshire"]
    out = list(texts)
    while len(out) < n:
        base = texts[len(out) % len(texts)].split()
        for _ in range(3):
            base[rng.randrange(len(base))] = rng.choice(words)
        out.append(" ".join(base).replace("Hertfordshire", rng.choice(forces)))
    return out[:n]


def p50(samples: list[float]) -> float:
    return round(float(np.percentile(samples, 50)) * 1000, 2)


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def measure_bm25s(docs: list[str], queries: list[list[str]]) -> dict:
    import bm25s

    from search.index.lexical import K1, B, tokenize

    seconds_tok, tokens = timed(lambda: tokenize(docs))
    retriever = bm25s.BM25(method="lucene", k1=K1, b=B)
    seconds, _ = timed(lambda: retriever.index(tokens, show_progress=False))
    samples = []
    for q in queries:
        s, _ = timed(lambda q=q: np.argpartition(-retriever.get_scores(q), 100)[:100])
        samples.append(s)
    return {"rebuild_s": round(seconds_tok + seconds, 2), "tokenize_s": round(seconds_tok, 2),
            "query_p50_ms": p50(samples)}


def measure_segments(docs: list[str], added: list[list[str]], queries: list[list[str]], work: Path) -> dict:
    from search.index.lexical import LexicalIndex, LexicalSegment

    base_s, base = timed(lambda: LexicalSegment.build(docs))
    out = {"base_build_s": round(base_s, 2)}
    add_s, first = timed(lambda: LexicalSegment.build(added[0]))
    save_s, _ = timed(lambda: first.save(work / "seg-new"))
    out["add_12_chunks_s"] = round(add_s + save_s, 4)
    base.save(work / "seg-base")
    load_s, base = timed(lambda: LexicalSegment.load(work / "seg-base"))
    out["load_base_s"] = round(load_s, 3)
    small = [LexicalSegment.build(texts) for texts in added]
    for label, segments in (("one_segment", [base]), ("with_50_more", [base, *small])):
        index = LexicalIndex(segments)
        index.search(queries[0], 100)
        samples = [timed(lambda q=q, index=index: index.search(q, 100))[0] for q in queries]
        out[f"query_p50_ms_{label}"] = p50(samples)
    live = np.ones(sum(s.size for s in [base, *small]), dtype=bool)
    live[:12] = False  # one report tombstoned
    index = LexicalIndex([base, *small], live=live)
    out["query_p50_ms_with_tombstones"] = p50([timed(lambda q=q: index.search(q, 100))[0] for q in queries])
    out["merge_50_small_s"] = round(timed(lambda: LexicalSegment.merge(
        [(s, np.arange(s.size)) for s in small]))[0], 3)
    out["merge_all_s"] = round(timed(lambda: LexicalSegment.merge(
        [(s, np.arange(s.size)) for s in [base, *small]]))[0], 2)
    return out


def measure_fts5(docs: list[str], added: list[str], queries: list[list[str]], work: Path) -> dict:
    path = work / "fts.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='porter unicode61')")
    seconds, _ = timed(lambda: (con.executemany("INSERT INTO t(rowid, body) VALUES (?, ?)",
                                                enumerate(docs)), con.commit()))
    con.close()
    out = {"build_s": round(seconds, 2), "size_mb": round(path.stat().st_size / 2**20, 1)}
    copy = work / "fts-next.sqlite"
    copy_s, _ = timed(lambda: shutil.copyfile(path, copy))
    con = sqlite3.connect(copy)
    insert_s, _ = timed(lambda: (con.executemany("INSERT INTO t(rowid, body) VALUES (?, ?)",
                                                 enumerate(added, start=len(docs))), con.commit()))
    out["add_12_chunks_s"] = round(copy_s + insert_s, 3)
    out["copy_for_a_new_generation_s"] = round(copy_s, 3)
    samples = []
    for q in queries:
        match = " OR ".join(f'"{t}"' for t in dict.fromkeys(q)) or '"x"'
        s, _ = timed(lambda match=match: con.execute(
            "SELECT rowid, bm25(t) FROM t WHERE t MATCH ? ORDER BY bm25(t) LIMIT 100", (match,)).fetchall())
        samples.append(s)
    con.close()
    out["query_p50_ms"] = p50(samples)
    out["note"] = "porter stemming and FTS5's own BM25: scores differ from the current ones"
    return out


def measure_tantivy(docs: list[str], added: list[str], queries: list[list[str]], work: Path) -> dict:
    try:
        import tantivy
    except ImportError:
        return {"skipped": "tantivy is not installed (pip install tantivy)"}
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", stored=False, tokenizer_name="en_stem")
    builder.add_integer_field("row", stored=True, indexed=False, fast=True)
    schema = builder.build()
    (work / "tantivy").mkdir()
    index = tantivy.Index(schema, path=str(work / "tantivy"))

    def write(texts: list[str], start: int) -> None:
        writer = index.writer(heap_size=200_000_000, num_threads=2)
        for n, text in enumerate(texts, start=start):
            writer.add_document(tantivy.Document(body=text, row=n))
        writer.commit()
        writer.wait_merging_threads()

    build_s, _ = timed(lambda: write(docs, 0))
    add_s, _ = timed(lambda: write(added, len(docs)))
    index.reload()
    searcher = index.searcher()
    samples = []
    for q in queries:
        text = " ".join(dict.fromkeys(q)) or "x"
        query = index.parse_query(text, ["body"])
        s, _ = timed(lambda query=query: searcher.search(query, 100).hits)
        samples.append(s)
    return {"build_s": round(build_s, 2), "add_12_chunks_s": round(add_s, 3), "query_p50_ms": p50(samples),
            "segments": searcher.num_segments,
            "note": "Tantivy's English stemmer and BM25: scores differ from the current ones"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    args = parser.parse_args(argv)
    from eval.metrics import load_questions
    from search.index.lexical import tokenize

    log("chunks of the bundled reports")
    base = chunk_texts()
    docs = grow(base, args.docs)
    added = [grow(base, len(base) + 12, seed=100 + n)[len(base):] for n in range(50)]
    questions = [q.question for q in load_questions(ROOT / "eval" / "dev_questions.jsonl")]
    queries = tokenize(questions)
    out: dict = {"docs": len(docs), "queries": len(queries)}
    with tempfile.TemporaryDirectory(prefix="inspectqa-lexical-") as tmp:
        work = Path(tmp)
        log("bm25s, rebuilt in full")
        out["bm25s"] = measure_bm25s(docs, queries)
        log("segments with merged statistics")
        out["segments"] = measure_segments(docs, added, queries, work)
        log("SQLite FTS5")
        out["fts5"] = measure_fts5(docs, added[0], queries, work)
        log("Tantivy")
        out["tantivy"] = measure_tantivy(docs, added[0], queries, work)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
