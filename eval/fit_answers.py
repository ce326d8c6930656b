"""Fit the answer stage's evidence model and calibrate its thresholds on the development split.

    python -m eval.fit_answers [--index-dir .eval-index] [--write]

For every dev question the answer stage's own search and candidate scoring run
(``search.answer.router.collect``); a candidate is labelled as answering when its sentence holds
one of the question's golds (the relevance rule applied to the sentence) or lies within one.
Logistic regression (eval/logistic.py, L2, each question weighted equally, features standardised)
is fitted on all candidates; thresholds are calibrated on out-of-fold probabilities (5 folds by
question) so that they are not set on the same fit they judge. ``--write`` stores the model and
the thresholds in search/evidence_model.json, which the product reads. The test split is never
read here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from eval.bank import ROOT, BankQuestion, load_split
from eval.bank_eval import DEFAULT_INDEX, corpus_searcher
from eval.logistic import fit, predict
from eval.relevance import is_relevant, normalise
from search.answer.evidence import FEATURES, Candidate
from search.answer.extractive import states_asked_fact
from search.answer.grades import asks_for_grades
from search.answer.router import collect
from search.config import EvidenceModel
from search.retrieve.searcher import Searcher

MODEL_FILE = ROOT / "search" / "evidence_model.json"
FOLDS = 5
L2 = 1.0


@dataclass
class Sample:
    question: BankQuestion
    candidates: list[Candidate]
    rows: np.ndarray
    labels: np.ndarray
    graded: bool  # answered from the structured grades, not from candidates
    stating: np.ndarray  # candidates that state the figure or date a fact question asks for (all, otherwise)


def label(candidate: Candidate, question: BankQuestion) -> bool:
    text = candidate.text
    norm = normalise(text)
    for gold in question.golds:
        if is_relevant(gold.file, gold.text, candidate.hit.source, text):
            return True
        if gold.file == candidate.hit.source and len(norm) >= 20 and norm in normalise(gold.text):
            return True
    return False


def samples(searcher: Searcher, questions: Sequence[BankQuestion]) -> list[Sample]:
    out = []
    for q in questions:
        parsed = searcher.question(q.question)
        graded = asks_for_grades(parsed)
        evidence = collect(searcher, parsed, None, use_understanding=True, snapshot=searcher.snapshot, k=8)
        labels = np.array([label(c, q) for c in evidence.candidates], dtype=float)
        stating = np.array([states_asked_fact(c, parsed) for c in evidence.candidates], dtype=bool)
        out.append(Sample(q, evidence.candidates, evidence.rows, labels, graded, stating))
    return out


def _fold(question_id: str) -> int:
    return int.from_bytes(hashlib.sha256(question_id.encode()).digest()[:4], "big") % FOLDS


def fit_model(items: Sequence[Sample]) -> EvidenceModel:
    rows = np.vstack([s.rows for s in items if len(s.rows)])
    labels = np.concatenate([s.labels for s in items if len(s.rows)])
    weights = np.concatenate([np.full(len(s.rows), 1.0 / len(s.rows)) for s in items if len(s.rows)])
    mean, scale = rows.mean(axis=0), rows.std(axis=0)
    scale[scale < 1e-9] = 1.0
    w, b = fit((rows - mean) / scale, labels, l2=L2, sample_weight=weights * len(items))
    return EvidenceModel(features=FEATURES, weights=tuple(float(x) for x in w), intercept=b,
                         mean=tuple(float(x) for x in mean), scale=tuple(float(x) for x in scale),
                         fitted_on=f"eval/questions/dev.jsonl, {len(items)} questions, {len(rows)} candidates")


def out_of_fold(items: Sequence[Sample]) -> list[np.ndarray]:
    """Each sample's candidate probabilities from a model fitted without its fold."""
    probs: list[np.ndarray] = [np.zeros(0)] * len(items)
    for fold in range(FOLDS):
        train = [s for s in items if _fold(s.question.id) != fold]
        model = fit_model(train)
        for i, s in enumerate(items):
            if _fold(s.question.id) == fold and len(s.rows):
                probs[i] = predict((s.rows - np.array(model.mean)) / np.array(model.scale), np.array(model.weights),
                                   model.intercept)
    return probs


def calibrate(items: Sequence[Sample], probs: Sequence[np.ndarray], max_wrong: float = 0.05) -> dict[str, Any]:
    """The abstention threshold that abstains on the most unanswerable dev questions while wrongly
    abstaining on at most ``max_wrong`` of the answerable ones (out-of-fold probabilities;
    questions answered from the structured grades are left out, as the threshold does not apply). As
    in the product, a figure or date question counts only the candidates that state one."""
    best = [(float(p[s.stating].max()) if s.stating.any() else 0.0, s.question.answerable)
            for s, p in zip(items, probs, strict=True) if not s.graded]
    answerable = [p for p, a in best if a]
    unanswerable = [p for p, a in best if not a]
    grid = sorted({round(x, 3) for x in np.linspace(0.02, 0.9, 177)})
    table = []
    for t in grid:
        wrong = sum(p < t for p in answerable) / max(1, len(answerable))
        caught = sum(p < t for p in unanswerable) / max(1, len(unanswerable))
        table.append((t, wrong, caught))
    allowed = [row for row in table if row[1] <= max_wrong]
    t, wrong, caught = max(allowed, key=lambda r: (r[2], -r[0])) if allowed else table[0]
    return {"abstain_below": t, "dev_wrong_abstention": round(wrong, 3), "dev_abstention": round(caught, 3),
            "answerable": len(answerable), "unanswerable": len(unanswerable)}


def quote_policy(items: Sequence[Sample], probs: Sequence[np.ndarray], searcher: Searcher,
                 abstain_below: float) -> dict[str, Any]:
    """The share of its best candidate's likelihood a further quote needs (``extra_quote_ratio``): the
    highest ratio (fewest quotes) whose dev citation recall is within one point of the best ratio's,
    on out-of-fold probabilities, with the product's own quote choice."""
    from eval.answers import Quote, Reply, question_cited
    from search.answer.extractive import choose

    rows = []
    for ratio in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
        settings = replace(searcher.settings.answer, abstain_below=abstain_below, extra_quote_ratio=ratio)
        cited = quotes = n = 0
        for s, p in zip(items, probs, strict=True):
            if s.graded or not s.question.answerable:
                continue
            n += 1
            if not len(p) or p.max() < abstain_below:
                continue
            for c, value in zip(s.candidates, p, strict=True):
                c.probability = float(value)
            chosen = choose(searcher.question(s.question.question), s.candidates, settings)
            quotes += len(chosen)
            cited += question_cited(s.question, Reply(False, tuple(Quote(c.hit.source, c.text) for c in chosen)))
        rows.append((ratio, cited / max(1, n), quotes / max(1, n)))
    best = max(r[1] for r in rows)
    ratio, recall, per_question = max((r for r in rows if r[1] >= best - 0.01), key=lambda r: r[0])
    return {"extra_quote_ratio": ratio, "dev_citation_recall": round(recall, 3),
            "quotes_per_answer": round(per_question, 2),
            "grid": [[r, round(c, 3), round(q, 2)] for r, c, q in rows]}


def report_policy(items: Sequence[Sample], probs: Sequence[np.ndarray], searcher: Searcher,
                  abstain_below: float) -> dict[str, Any]:
    """For questions across years or forces: the share of the best candidate's likelihood a report's
    best sentence needs to be quoted (``per_report_ratio``), maximising dev gold recall over those
    questions' golds (out-of-fold probabilities; ties go to the higher ratio, fewer quotes)."""
    from eval.answers import Quote, gold_cited
    from search.answer.extractive import choose

    rows = []
    for ratio in (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8):
        settings = replace(searcher.settings.answer, abstain_below=abstain_below, per_report_ratio=ratio)
        cited = total = 0
        for s, p in zip(items, probs, strict=True):
            if s.graded or not s.question.answerable or s.question.scope == "single":
                continue
            total += len(s.question.golds)
            if not len(p) or p.max() < abstain_below:
                continue
            for c, value in zip(s.candidates, p, strict=True):
                c.probability = float(value)
            quotes = [Quote(c.hit.source, c.text) for c in choose(searcher.question(s.question.question),
                                                                   s.candidates, settings)]
            cited += sum(gold_cited(g, quotes) for g in s.question.golds)
        rows.append((ratio, cited / max(1, total)))
    best = max(r[1] for r in rows)
    ratio, recall = max((r for r in rows if r[1] >= best - 1e-9), key=lambda r: r[0])
    return {"per_report_ratio": ratio, "dev_cross_gold_recall": round(recall, 3),
            "report_grid": [[r, round(c, 3)] for r, c in rows]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.fit_answers", description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, default=DEFAULT_INDEX)
    parser.add_argument("--max-wrong", type=float, default=0.05, help="wrong abstention allowed on dev")
    parser.add_argument("--write", action="store_true", help="store the model in search/evidence_model.json")
    args = parser.parse_args(argv)
    searcher = corpus_searcher(args.index_dir)
    items = samples(searcher, load_split("dev"))
    probs = out_of_fold(items)
    thresholds = calibrate(items, probs, args.max_wrong)
    thresholds.update(quote_policy(items, probs, searcher, thresholds["abstain_below"]))
    thresholds.update(report_policy(items, probs, searcher, thresholds["abstain_below"]))
    model = fit_model(items)
    print(json.dumps({"thresholds": thresholds,
                      "weights": dict(zip(FEATURES, [round(w, 3) for w in model.weights], strict=True)),
                      "intercept": round(model.intercept, 3)}, indent=1))
    if args.write:
        data = model.to_dict()
        data["calibrated"] = {"abstain_below": thresholds["abstain_below"],
                              "extra_quote_ratio": thresholds["extra_quote_ratio"],
                              "per_report_ratio": thresholds["per_report_ratio"]}
        MODEL_FILE.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MODEL_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
