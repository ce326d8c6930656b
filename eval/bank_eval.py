"""Score InspectQA on the question bank: retrieval, cited answers, abstention, and the baseline that
quotes the top passage's best sentence, with 95% Wilson intervals.

    python -m eval.bank_eval --split dev [--index-dir .eval-index] [--failures] [--save]

The index of the evaluation corpus (the sample reports and eval/corpus/) is built in
``--index-dir`` on first use and brought up to date incrementally after. ``--save`` writes the
figures with the date, the commit and the settings to eval/results/<split>.json. The test split is
frozen: score it to report, never to choose a setting (eval/questions/README.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from eval.answers import Quote, Reply, failures, score
from eval.bank import ROOT, BankQuestion, corpus_files, load_split
from eval.relevance import first_relevant_rank, hit_at, mrr_at, wilson_interval
from search.answer.router import answer
from search.index.build import build_index
from search.retrieve.searcher import Searcher
from search.types import Answer

DEFAULT_INDEX = ROOT / ".eval-index"
RESULTS = ROOT / "eval" / "results"


@dataclass
class Run:
    """One question's answer and the search that ranked its passages."""

    answer: Answer
    reply: Reply
    rank: int | None  # first relevant passage in the top 10 (answerable questions)
    baseline: Reply


def corpus_searcher(index_dir: Path = DEFAULT_INDEX, embedder: Any = None) -> Searcher:
    """A searcher over the evaluation corpus, building or updating its index first."""
    from search.embed import default_embedder

    embedder = embedder or default_embedder()
    build_index([str(p) for p in corpus_files()], index_dir, embedder=embedder)
    return Searcher.load(index_dir, embedder=embedder)


def reply_of(a: Answer) -> Reply:
    return Reply(abstained=a.abstained, quotes=tuple(Quote(c.source, c.quote) for c in a.citations))


def baseline_reply(searcher: Searcher, question: BankQuestion) -> Reply:
    """Quote the top passage's sentence closest to the question (never abstains)."""
    result = searcher.search(question.question, k=1)
    if not result.chunks or result.vector is None or result.snapshot is None:
        return Reply(abstained=True)
    hit = result.chunks[0]
    spans = result.snapshot.store.sentence_spans(hit.row)
    if not spans:
        return Reply(abstained=False, quotes=(Quote(hit.source, hit.text),))
    cosines = result.snapshot.sentence_vectors([sid for sid, _, _ in spans]) @ result.vector
    _, start, end = spans[int(np.argmax(cosines))]
    return Reply(abstained=False, quotes=(Quote(hit.source, hit.text[start:end]),))


def run(searcher: Searcher, questions: Sequence[BankQuestion]) -> dict[str, Run]:
    out = {}
    for q in questions:
        a = answer(searcher, q.question)
        rank = None
        if q.answerable:
            hits = searcher.search(q.question, k=10).hits
            rank = first_relevant_rank([(g.file, g.text) for g in q.golds], [(h.source, h.text) for h in hits])
        out[q.id] = Run(a, reply_of(a), rank, baseline_reply(searcher, q))
    return out


def verbatim(searcher: Searcher, runs: dict[str, Run]) -> dict[str, Any]:
    """How many quotes are verbatim at their offsets (section text and passage)."""
    total = bad = 0
    for r in runs.values():
        for c in r.answer.citations:
            total += 1
            section = searcher.section(c.section_id) or {}
            if section.get("text", "")[c.start:c.end] != c.quote or c.passage[c.passage_start:c.passage_end] != c.quote:
                bad += 1
    return {"quotes": total, "not_verbatim": bad}


def _retrieval(questions: Sequence[BankQuestion], runs: dict[str, Run]) -> dict[str, Any]:
    ranks = [runs[q.id].rank for q in questions if q.answerable]
    out = {}
    for name, value in (("hit@1", hit_at(ranks, 1)), ("hit@5", hit_at(ranks, 5)), ("mrr@10", mrr_at(ranks, 10))):
        low, high = wilson_interval(value, len(ranks))
        out[name] = {"value": round(value, 3), "ci95": [round(low, 3), round(high, 3)]}
    out["n"] = len(ranks)
    return out


def evaluate(searcher: Searcher, questions: Sequence[BankQuestion]) -> tuple[dict[str, Any], dict[str, Run]]:
    started = time.monotonic()
    runs = run(searcher, questions)
    replies = {i: r.reply for i, r in runs.items()}
    report = {
        "questions": len(questions),
        "answers": score(questions, replies),
        "baseline_top_sentence": score(questions, {i: r.baseline for i, r in runs.items()}),
        "retrieval": _retrieval(questions, runs),
        "verbatim": verbatim(searcher, runs),
        "seconds": round(time.monotonic() - started, 1),
    }
    return report, runs


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _line(name: str, m: dict[str, Any]) -> str:
    if m.get("value") is None:
        return f"  {name:<22} -"
    low, high = m["ci95"]
    return f"  {name:<22} {m['value']:.3f}  [{low:.2f}, {high:.2f}]  ({m['hits']}/{m['n']})"


def print_report(split: str, report: dict[str, Any]) -> None:
    a, b = report["answers"], report["baseline_top_sentence"]
    print(f"{split}: {report['questions']} questions")
    for name in ("citation_recall", "gold_recall", "quote_precision", "abstention", "abstention_precision",
                 "wrong_abstention"):
        print(_line(name, a[name]))
    print(_line("baseline citation", b["citation_recall"]))
    r = report["retrieval"]
    print(f"  retrieval ({r['n']}): hit@1 {r['hit@1']['value']:.3f}  hit@5 {r['hit@5']['value']:.3f}  "
          f"mrr@10 {r['mrr@10']['value']:.3f}")
    for group in ("by_answer_type", "by_scope", "by_unanswerable_kind"):
        print("  " + group + ": " + ", ".join(f"{k} {v['value']:.2f} ({v['n']})" for k, v in a[group].items()))
    print(f"  verbatim: {report['verbatim']['not_verbatim']} of {report['verbatim']['quotes']} quotes not verbatim;"
          f" {report['seconds']} s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bank_eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--index-dir", type=Path, default=DEFAULT_INDEX)
    parser.add_argument("--failures", action="store_true", help="print every question scored wrong (dev only)")
    parser.add_argument("--save", action="store_true", help="write eval/results/<split>.json")
    parser.add_argument("--only", default="", help="score only the questions whose id starts with one of these "
                                                    "comma-separated prefixes (e.g. qd,qe: a batch written later)")
    args = parser.parse_args(argv)
    if args.failures and args.split == "test":
        print("the test split is frozen: read failures on dev only", file=sys.stderr)
        return 2
    searcher = corpus_searcher(args.index_dir)
    questions = load_split(args.split)
    if args.only:
        prefixes = tuple(p.strip() for p in args.only.split(",") if p.strip())
        questions = [q for q in questions if q.id.startswith(prefixes)]
        if args.save:
            print("--save writes the whole split's figures: leave out --only", file=sys.stderr)
            return 2
    report, runs = evaluate(searcher, questions)
    print_report(args.split, report)
    if args.failures:
        for row in failures(questions, {i: r.reply for i, r in runs.items()}):
            print(json.dumps(row, ensure_ascii=False))
    if args.save:
        RESULTS.mkdir(exist_ok=True)
        report.update({"split": args.split, "date": datetime.now(UTC).isoformat(timespec="seconds"),
                       "commit": _commit(), "settings": searcher.settings.to_dict()})
        (RESULTS / f"{args.split}.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
