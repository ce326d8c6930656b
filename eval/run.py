"""Score retrieval (and answers) of an index on a question set.

    python -m eval.run eval/dev_questions.jsonl --index-dir index [--answers] [--baseline] [--json]

``inspectqa eval`` runs the same from a checkout. The JSON report carries the settings the index
was searched with, so a run can be compared with another made under different weights.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from eval.metrics import Question, answer_metrics, evaluate_retrieval, load_questions, searcher_run
from search.errors import FilterError, IndexError_, QueryError
from search.retrieve.searcher import Searcher


class EvalUsageError(Exception):
    """Bad input to the evaluation (an unreadable question file); exits with status 2."""


def add_arguments(parser: argparse.ArgumentParser, default_index: str = "index") -> None:
    parser.add_argument("questions", metavar="QUESTIONS.jsonl")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--index-dir", default=default_index)
    parser.add_argument("--answers", action="store_true", help="also score answers: citations and abstention")
    parser.add_argument("--baseline", action="store_true",
                        help="also score the naive pipeline (1,000-character splits, same model, FAISS flat)")
    parser.add_argument("--reports", nargs="*", default=["reports"], help="report folders for the baseline")
    parser.add_argument("--json", action="store_true")


def read_questions(path: str) -> list[Question]:
    """The question set in ``path``.

    Raises:
        EvalUsageError: the file cannot be read or holds something other than questions.
    """
    try:
        return load_questions(path)
    except OSError as exc:
        raise EvalUsageError(f"cannot read {path}: {exc.strerror or exc}: check the path") from exc
    except ValueError as exc:
        raise EvalUsageError(str(exc)) from exc


def evaluate(searcher: Searcher, questions: list[Question], k: int = 10, *, answers: bool = False,
             baseline_reports: Sequence[str] | None = None) -> dict[str, Any]:
    """The evaluation report of ``searcher`` on ``questions``."""
    report: dict[str, Any] = {"questions": len(questions), "k": k, "settings": searcher.settings.to_dict(),
                              "retrieval": evaluate_retrieval(searcher_run(searcher, k), questions, k)}
    if answers:
        from search.answer.router import answer

        given = {}
        for q in questions:
            a = answer(searcher, q.question)
            given[q.id] = {"abstained": a.abstained,
                           "citations": [{"source": c.source, "quote": c.quote, "passage": c.passage}
                                         for c in a.citations]}
        report["answers"] = answer_metrics(questions, given)
        quotes_only = {i: {"abstained": v["abstained"],
                           "citations": [{"source": c["source"], "quote": c["quote"]} for c in v["citations"]]}
                       for i, v in given.items()}
        report["answers"]["quote_recall"] = answer_metrics(questions, quotes_only)["citation_recall"]
    if baseline_reports:
        from eval.baseline import NaiveIndex

        naive = NaiveIndex.build(baseline_reports, searcher.embedder)
        report["baseline_naive"] = evaluate_retrieval(
            lambda q, _wf: [(s, t) for s, t, _ in naive.search(q.question, k)], questions, k)
        report["baseline_naive"].pop("with_filters", None)
    return report


def print_report(report: dict[str, Any]) -> None:
    """The evaluation report as tables."""
    def table(title: str, metrics: dict[str, Any]) -> None:
        print(title)
        rows = [("overall", metrics["overall"]), *sorted(metrics["by_kind"].items())]
        print(f"  {'kind':<12} {'n':>3} {'hit@1':>6} {'hit@5':>6} {'mrr@10':>7}")
        for name, m in rows:
            print(f"  {name:<12} {m['n']:>3} {m['hit@1']:>6.3f} {m['hit@5']:>6.3f} {m['mrr@10']:>7.3f}")

    table("retrieval, without the questions' filters", report["retrieval"]["without_filters"])
    table("retrieval, with the questions' filters", report["retrieval"]["with_filters"])
    misses = [q for q, r in report["retrieval"]["ranks"]["without_filters"].items() if not r or r > 5]
    if misses:
        print(f"  not in the top 5 (without filters): {', '.join(misses)}")
    if "answers" in report:
        a = report["answers"]
        print(f"answers: citation recall {a['citation_recall']:.3f} (quote recall {a['quote_recall']:.3f}), "
              f"abstention on unanswerable {a['abstention_on_unanswerable']:.3f}, wrong abstention "
              f"{a['wrong_abstention']:.3f}")
    if "baseline_naive" in report:
        table("naive baseline (1,000-character splits, same model, FAISS flat)",
              report["baseline_naive"]["without_filters"])


def run(args: argparse.Namespace, load_searcher: Callable[[str], Searcher]) -> dict[str, Any]:
    """The report for parsed arguments (as ``add_arguments`` defines them); the questions are
    read before the index is opened.

    Raises:
        EvalUsageError: the question file cannot be read.
    """
    questions = read_questions(args.questions)
    return evaluate(load_searcher(args.index_dir), questions, args.k, answers=args.answers,
                    baseline_reports=args.reports if args.baseline else None)


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m eval.run", prefix: str = "eval",
         load_searcher: Callable[[str], Searcher] = Searcher.load) -> int:
    """Run an evaluation from command-line arguments; 0 on success, 1 when the index cannot be
    read, 2 for bad input. Errors are one line starting with ``prefix``."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    if args.k < 1:
        print(f"{prefix}: --k must be at least 1", file=sys.stderr)
        return 2
    try:
        report = run(args, load_searcher)
    except (EvalUsageError, QueryError, FilterError) as exc:
        print(f"{prefix}: {exc}", file=sys.stderr)
        return 2
    except IndexError_ as exc:
        print(f"{prefix}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
