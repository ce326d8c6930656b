"""Fit the fusion weights on the development split, check them by cross-validation, and ablate
each signal.

    python -m eval.fit_retrieval [--index-dir .eval-index] [--write] [--ablate]

Each dev question's rankings are computed once by the searcher itself (``Searcher.signals``: the
default search, the question's own forces and years understood, no filters given); a setting is
then scored by the same pure fusion and passage growth the search runs, so a figure here is the
figure ``python -m eval.retrieval_eval`` prints for those settings. The weights are chosen by
coordinate search for MRR@10 over the top 10 passages (``GRID``, a few rounds, a change kept only
when it helps), starting from the hand-set values; 5-fold cross-validation on dev (fit on four
fifths, score the fifth) says how much of the gain is fit to these questions. ``--write`` saves
the weights to search/retrieval_weights.json, which ``RetrievalSettings`` reads; ``--ablate``
prints the table of docs/retrieval.md (each signal off, and the passage length). Only the dev split
is read: the test split is frozen.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from eval.bank import ROOT, BankQuestion, load_split
from eval.relevance import first_relevant_rank, hit_at, mrr_at
from eval.retrieval_eval import K, figures, material, materials
from search.config import RetrievalSettings
from search.retrieve.fusion import Ranking, fuse, signal_weights
from search.retrieve.passages import Layout, passages
from search.retrieve.searcher import Searcher, Signals, layout_of

WEIGHTS_FILE = ROOT / "search" / "retrieval_weights.json"
GRID: dict[str, tuple[float, ...]] = {
    "dense_weight": (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0),
    "lexical_weight": (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0),
    "sentence_weight": (0.0, 0.25, 0.5, 1.0, 1.5),
    "focus_sentence_weight": (0.0, 0.5, 1.0, 1.5, 2.0, 3.0),
    "year_weight": (0.0, 0.25, 0.5, 1.0),
    "full_lexical_coverage": (0.3, 0.4, 0.5, 0.6, 0.8, 1.0),
}
HAND_SET = RetrievalSettings(dense_weight=1.0, lexical_weight=1.0, sentence_weight=0.0, focus_sentence_weight=1.5,
                             year_weight=0.5, full_lexical_coverage=0.5)
"""Where the search starts: the weights set by hand before fitting."""
ROUNDS = 3
FOLDS = 5


@dataclass
class Case:
    """One answerable dev question with its unfused rankings (None: out of scope)."""

    question: BankQuestion
    signals: Signals | None


class Scorer:
    """Scores retrieval settings on cached rankings: fusion, passages and relevance as the search does them."""

    def __init__(self, searcher: Searcher, questions: Sequence[BankQuestion]) -> None:
        self.cases = [Case(q, searcher.signals(q.question)) for q in questions if q.answerable]
        snap = searcher.snapshot
        self.layout: Layout = layout_of(snap)
        self.texts = {r["source"]: snap.store.report_text(r["source"]) or "" for r in snap.store.report_rows()}
        self.sources = {int(code): name for code, name in enumerate(snap.store.vocab["source"])}
        self._relevant: dict[tuple[str, str, int, int], bool] = {}

    def ranks(self, settings: RetrievalSettings, cases: Sequence[Case] | None = None) -> list[int | None]:
        return [self.rank(case, settings) for case in (self.cases if cases is None else cases)]

    def rank(self, case: Case, settings: RetrievalSettings) -> int | None:
        if case.signals is None:
            return None
        rankings = [_rescaled(r, case.signals, settings) for r in case.signals.rankings]
        fused = fuse(rankings, signal_weights(settings), settings.rrf_k)
        found = passages([row for row, _ in fused], self.layout, settings.passage_chars, K, case.signals.mask)
        for n, p in enumerate(found, start=1):
            source = self.sources[int(self.layout.report[p.seed])]
            key = (case.question.id, source, p.start, p.end)
            if key not in self._relevant:  # the same passage recurs under many settings
                passage = [(source, self.texts[source][p.start:p.end])]
                self._relevant[key] = first_relevant_rank([(g.file, g.text) for g in case.question.golds],
                                                          passage) is not None
            if self._relevant[key]:
                return n
        return None


def _rescaled(ranking: Ranking, signals: Signals, settings: RetrievalSettings) -> Ranking:
    """The lexical ranking's trust recomputed for ``settings.full_lexical_coverage``."""
    if ranking.signal != "lexical" or signals.coverage is None:
        return ranking
    return replace(ranking, scales=np.minimum(1.0, signals.coverage / settings.full_lexical_coverage))


def objective(ranks: Sequence[int | None]) -> float:
    return mrr_at(ranks, K)


def fit(scorer: Scorer, cases: Sequence[Case], start: RetrievalSettings = HAND_SET) -> RetrievalSettings:
    """Coordinate search over ``GRID`` from ``start``: each weight in turn set to its best value,
    ``ROUNDS`` times over or until nothing changes; a tie keeps the value held."""
    best, value = start, objective(scorer.ranks(start, cases))
    for _ in range(ROUNDS):
        changed = False
        for name, grid in GRID.items():
            for option in grid:
                trial = replace(best, **{name: option})
                score = objective(scorer.ranks(trial, cases))
                if score > value + 1e-12:
                    best, value, changed = trial, score, True
        if not changed:
            break
    return best


def folds(cases: Sequence[Case], n: int = FOLDS) -> list[list[Case]]:
    """Cases split into ``n`` folds by a hash of the question id (stable across runs)."""
    out: list[list[Case]] = [[] for _ in range(n)]
    for case in cases:
        out[int(hashlib.sha256(case.question.id.encode()).hexdigest(), 16) % n].append(case)
    return out


def cross_validated(scorer: Scorer) -> dict[str, list[int | None]]:
    """Out-of-fold ranks: each fold scored with weights fitted on the others, and with the hand-set ones."""
    fitted: list[int | None] = []
    hand: list[int | None] = []
    parts = folds(scorer.cases)
    for i, held in enumerate(parts):
        train = [c for j, part in enumerate(parts) if j != i for c in part]
        fitted += scorer.ranks(fit(scorer, train), held)
        hand += scorer.ranks(HAND_SET, held)
    return {"fitted": fitted, "hand_set": hand}


def weights_of(settings: RetrievalSettings) -> dict[str, float]:
    return {name: getattr(settings, name) for name in GRID}


def ablations(settings: RetrievalSettings) -> list[tuple[str, RetrievalSettings]]:
    """The shipped settings, each signal switched off in turn, and other passage lengths."""
    rows = [("shipped (fitted weights, passages of 2,600 characters)", settings)]
    for name, label in (("dense_weight", "dense"), ("lexical_weight", "lexical (BM25)"),
                        ("sentence_weight", "best sentence to the question"),
                        ("focus_sentence_weight", "best sentence to the focus"), ("year_weight", "named-year preference")):
        if getattr(settings, name) > 0:
            rows.append((f"without {label}", replace(settings, **{name: 0.0})))
    rows.append(("best sentence to the question instead of the focus",
                 replace(settings, sentence_weight=settings.focus_sentence_weight, focus_sentence_weight=0.0)))
    rows.append(("lexical vote not scaled by coverage", replace(settings, full_lexical_coverage=0.01)))
    for chars in (0, 1300, 2000, 3200):
        label = "chunks alone (no passages)" if chars == 0 else f"passages of {chars:,} characters"
        rows.append((label, replace(settings, passage_chars=chars)))
    rows.append(("hand-set weights", replace(HAND_SET, passage_chars=settings.passage_chars)))
    return rows


def table(scorer: Scorer, rows: list[tuple[str, RetrievalSettings]], by_file: dict[str, str]) -> str:
    lines = ["| dev, no filters, top 10 | hit@1 | hit@5 | MRR@10 | long: hit@1 / MRR@10 | short: hit@1 / MRR@10 |",
             "|---|---:|---:|---:|---:|---:|"]
    for label, settings in rows:
        ranks = scorer.ranks(settings)
        groups: dict[str, list[int | None]] = {}
        for case, rank in zip(scorer.cases, ranks, strict=True):
            groups.setdefault(material(case.question, by_file), []).append(rank)
        long, short = groups.get("long", []), groups.get("short", [])
        lines.append(f"| {label} | {hit_at(ranks, 1):.3f} | {hit_at(ranks, 5):.3f} | {mrr_at(ranks, K):.3f} | "
                     f"{hit_at(long, 1):.3f} / {mrr_at(long, K):.3f} | {hit_at(short, 1):.3f} / {mrr_at(short, K):.3f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    from eval.bank_eval import DEFAULT_INDEX, corpus_searcher

    parser = argparse.ArgumentParser(prog="python -m eval.fit_retrieval", description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, default=DEFAULT_INDEX)
    parser.add_argument("--write", action="store_true", help=f"save the fitted weights to {WEIGHTS_FILE.name}")
    parser.add_argument("--ablate", action="store_true", help="print the ablation table")
    args = parser.parse_args(argv)
    searcher = corpus_searcher(args.index_dir)
    scorer = Scorer(searcher, load_split("dev"))
    fitted = fit(scorer, scorer.cases)
    cv = cross_validated(scorer)
    report: dict[str, Any] = {
        "weights": weights_of(fitted), "hand_set": weights_of(HAND_SET),
        "dev": {"fitted": figures(scorer.ranks(fitted)), "hand_set": figures(scorer.ranks(HAND_SET))},
        "cross_validated": {name: figures(ranks) for name, ranks in cv.items()},
        "fitted_on": f"eval/questions/dev.jsonl ({len(scorer.cases)} answerable questions), objective MRR@{K}, "
                     f"coordinate search from the hand-set weights; {FOLDS}-fold cross-validation on dev",
        "passage_chars": fitted.passage_chars,
        "date": datetime.now(UTC).date().isoformat(),
    }
    print(json.dumps({k: report[k] for k in ("weights", "dev", "cross_validated")}, indent=1))
    if args.write:
        WEIGHTS_FILE.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {WEIGHTS_FILE.relative_to(ROOT)}")
    if args.ablate:
        print(table(scorer, ablations(fitted), materials()))
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["GRID", "HAND_SET", "Scorer", "ablations", "cross_validated", "fit", "folds", "objective", "table"]
