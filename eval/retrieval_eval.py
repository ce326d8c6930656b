"""Retrieval only, on the question bank: hit@1, hit@5 and MRR@10 with 95% intervals, overall and
for long reports and short publications, without composing answers (seconds instead of minutes).

    python -m eval.retrieval_eval --split dev [--index-dir .eval-index] [--set retrieval.NAME=VALUE ...]
                                  [--ranks] [--json FILE]

The index of the evaluation corpus is built or brought up to date first, as in ``eval.bank_eval``.
``--set`` changes one retrieval setting for the run (repeatable), so a weight can be tried without
editing the code; ``--ranks`` prints each dev question's first relevant rank (dev only). A question
is scored by ``eval/relevance.py`` on the top 10 hits of the default search (no filters given),
exactly as ``benchmarks/peers/compare.py`` scores every system; a document is *long* when its text
is over 20,000 characters (``benchmarks.peers.bank.material_of``, the comparison's own split).
The test split is frozen: score it to report, never to choose a setting.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from eval.bank import BankQuestion, corpus_files, load_split
from eval.relevance import first_relevant_rank, hit_at, mrr_at, wilson_interval
from search.config import RetrievalSettings, Settings
from search.errors import SettingsError

K = 10
MEASURES = ("hit@1", "hit@5", "mrr@10")
Ranker = Callable[[str], list[tuple[str, str]]]
"""A question's ranked (file, passage text) pairs, best first."""


def materials() -> dict[str, str]:
    """'long' or 'short' for each document of the evaluation corpus, by file name."""
    from benchmarks.peers.bank import material_of  # standard library only: the comparison's own rule

    return material_of(corpus_files())


def material(question: BankQuestion, by_file: dict[str, str]) -> str:
    """'long' or 'short' when every gold is in a document of that material, else 'mixed'."""
    kinds = {by_file.get(Path(g.file).name, "unknown") for g in question.golds}
    return kinds.pop() if len(kinds) == 1 else "mixed"


def ranks_of(rank: Ranker, questions: Sequence[BankQuestion]) -> dict[str, int | None]:
    """First relevant rank in the top ``K`` of every answerable question (None: none there)."""
    return {q.id: first_relevant_rank([(g.file, g.text) for g in q.golds], rank(q.question)[:K])
            for q in questions if q.answerable}


def figures(ranks: Sequence[int | None]) -> dict[str, Any]:
    """hit@1, hit@5 and MRR@10 with 95% Wilson intervals."""
    out: dict[str, Any] = {"n": len(ranks)}
    for name, value in zip(MEASURES, (hit_at(ranks, 1), hit_at(ranks, 5), mrr_at(ranks, K)), strict=True):
        low, high = wilson_interval(value, len(ranks))
        out[name] = {"value": round(value, 4), "ci95": [round(low, 3), round(high, 3)]}
    return out


def report(ranks: dict[str, int | None], questions: Sequence[BankQuestion], by_file: dict[str, str]
           ) -> dict[str, Any]:
    """Figures overall and per material (long, short, mixed)."""
    groups: dict[str, list[int | None]] = {}
    for q in questions:
        if q.id in ranks:
            groups.setdefault(material(q, by_file), []).append(ranks[q.id])
    return {"overall": figures(list(ranks.values())),
            "by_material": {name: figures(group) for name, group in sorted(groups.items())}}


def with_overrides(settings: Settings, assignments: Sequence[str]) -> Settings:
    """``settings`` with ``retrieval.NAME=VALUE`` assignments applied.

    Raises:
        SettingsError: an assignment that is not ``retrieval.NAME=VALUE`` with a known name and a valid value.
    """
    known = {f.name: f for f in fields(RetrievalSettings)}
    changes: dict[str, Any] = {}
    for item in assignments:
        key, _, value = item.partition("=")
        group, _, name = key.partition(".")
        if group != "retrieval" or name not in known or not value:
            raise SettingsError(f"cannot set {item!r}: write retrieval.NAME=VALUE with NAME one of "
                                f"{', '.join(sorted(known))}")
        wanted = type(known[name].default)
        try:
            changes[name] = wanted(float(value)) if wanted is int else float(value)
        except ValueError as exc:
            raise SettingsError(f"cannot set {item!r}: {value!r} is not a number") from exc
    return replace(settings, retrieval=replace(settings.retrieval, **changes))


def line(name: str, figs: dict[str, Any]) -> str:
    parts = [f"{m} {figs[m]['value']:.3f} [{figs[m]['ci95'][0]:.2f}, {figs[m]['ci95'][1]:.2f}]" for m in MEASURES]
    return f"  {name:<8} n={figs['n']:<4} " + "  ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    from eval.bank_eval import DEFAULT_INDEX, corpus_searcher

    parser = argparse.ArgumentParser(prog="python -m eval.retrieval_eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--index-dir", type=Path, default=DEFAULT_INDEX)
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="retrieval.NAME=VALUE")
    parser.add_argument("--ranks", action="store_true", help="print each question's first relevant rank (dev only)")
    parser.add_argument("--json", type=Path, help="write the figures and settings to this file")
    args = parser.parse_args(argv)
    if args.ranks and args.split == "test":
        print("the test split is frozen: read ranks on dev only", file=sys.stderr)
        return 2
    searcher = corpus_searcher(args.index_dir)
    try:
        searcher.settings = with_overrides(searcher.settings, args.assignments)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    questions = load_split(args.split)
    ranks = ranks_of(lambda q: [(h.source, h.text) for h in searcher.search(q, k=K).hits], questions)
    result = report(ranks, questions, materials())
    print(f"{args.split}: retrieval, top {K}, no filters given")
    print(line("overall", result["overall"]))
    for name, figs in result["by_material"].items():
        print(line(name, figs))
    if args.ranks:
        for q in questions:
            if q.id in ranks:
                print(json.dumps({"id": q.id, "rank": ranks[q.id], "question": q.question}, ensure_ascii=False))
    if args.json:
        result.update({"split": args.split, "settings": searcher.settings.to_dict()["retrieval"]})
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
