"""Score retrieval and answers on a question set with verbatim gold passages (evaluation tooling,
kept out of the installed package; run it with ``python -m eval.run``).

Relevance rule (eval/RELEVANCE.md): normalise gold and passage (no footnote superscripts,
NFKC, lower case, straight quotes, hyphens for en dashes, single spaces); a passage is
relevant when it comes from the gold's file and contains at least 60% of the gold string as
one contiguous run.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from ingest.textutil import normalise_for_match
from search.retrieve.searcher import Searcher

MIN_RUN = 0.6


@dataclass(frozen=True)
class Gold:
    source: str
    text: str  # normalised


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    kind: str
    doc: str
    golds: tuple[Gold, ...]
    filters: dict[str, Any]

    @property
    def answerable(self) -> bool:
        return bool(self.golds)


def load_questions(path: str | Path) -> list[Question]:
    """Read a JSON-lines question set; raises ValueError naming the bad line."""
    questions = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            golds = []
            for gold in item.get("gold", []):
                source, text = gold.split("::", 1) if "::" in gold else (item.get("doc", ""), gold)
                golds.append(Gold(source, normalise_for_match(text)))
            questions.append(Question(str(item["id"]), item["question"], item.get("kind", "other"),
                                      item.get("doc", ""), tuple(golds), item.get("filters") or {}))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}, line {n}: not a question object ({exc}): expected "
                             '{"id", "question", "gold": [...], ...}') from exc
    return questions


def is_relevant(gold: Gold, source: str, passage: str, *, normalised: bool = False) -> bool:
    """The relevance rule for one gold and one passage."""
    if source != gold.source or not gold.text:
        return False
    text = passage if normalised else normalise_for_match(passage)
    if gold.text in text:
        return True
    match = SequenceMatcher(None, gold.text, text, autojunk=False).find_longest_match(0, len(gold.text), 0, len(text))
    return match.size >= MIN_RUN * len(gold.text)


def first_relevant_rank(question: Question, passages: Iterable[tuple[str, str]]) -> int | None:
    """1-based rank of the first passage (source, text) relevant to any gold, else None."""
    for rank, (source, text) in enumerate(passages, start=1):
        norm = normalise_for_match(text)
        if any(is_relevant(g, source, norm, normalised=True) for g in question.golds):
            return rank
    return None


def retrieval_metrics(ranks: dict[str, int | None], questions: list[Question], k: int = 10) -> dict[str, Any]:
    """hit@1, hit@5 and MRR@k over the answerable questions, overall and per kind."""

    def summarise(items: list[Question]) -> dict[str, float]:
        scored = [ranks.get(q.id) for q in items]
        n = len(scored) or 1
        return {
            "n": len(scored),
            "hit@1": round(sum(1 for r in scored if r == 1) / n, 3),
            "hit@5": round(sum(1 for r in scored if r and r <= 5) / n, 3),
            "mrr@10": round(sum(1 / r for r in scored if r and r <= k) / n, 3),
        }

    answerable = [q for q in questions if q.answerable]
    by_kind: dict[str, list[Question]] = defaultdict(list)
    for q in answerable:
        by_kind[q.kind].append(q)
    return {"overall": summarise(answerable), "by_kind": {kind: summarise(v) for kind, v in sorted(by_kind.items())}}


def searcher_run(searcher: Searcher, k: int = 10) -> Callable[[Question, bool], list[tuple[str, str]]]:
    """The ``search`` callable of ``evaluate_retrieval`` for a ``search.retrieve.searcher.Searcher``:
    without filters the question's own words are understood, as a user's would be; with them,
    the question's filters are set explicitly."""

    def run(question: Question, with_filters: bool) -> list[tuple[str, str]]:
        explicit = with_filters and bool(question.filters)
        result = searcher.search(question.question, k=k, filters=question.filters if explicit else None,
                                 use_understanding=not explicit)
        return [(h.source, h.text) for h in result.hits]

    return run


def evaluate_retrieval(
    search: Callable[[Question, bool], list[tuple[str, str]]], questions: list[Question], k: int = 10
) -> dict[str, Any]:
    """Run ``search(question, with_filters)`` -> [(source, text)] without and with the
    questions' own filters and score both."""
    report: dict[str, Any] = {}
    details: dict[str, dict[str, int | None]] = {}
    for with_filters in (False, True):
        ranks = {q.id: first_relevant_rank(q, search(q, with_filters)[:k]) for q in questions if q.answerable}
        name = "with_filters" if with_filters else "without_filters"
        report[name] = retrieval_metrics(ranks, questions, k)
        details[name] = ranks
    report["ranks"] = details
    return report


def answer_metrics(questions: list[Question], answers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Citation recall on answerable questions, abstention on unanswerable ones and wrong
    abstention on answerable ones. ``answers[id]`` has 'abstained' and 'citations' [{source, quote, passage}]."""
    answerable = [q for q in questions if q.answerable]
    unanswerable = [q for q in questions if not q.answerable]
    cited = 0
    wrong_abstain = 0
    misses = []
    for q in answerable:
        result = answers[q.id]
        if result["abstained"]:
            wrong_abstain += 1
        passages = [(c["source"], c.get("passage") or c["quote"]) for c in result["citations"]]
        if first_relevant_rank(q, passages) is not None:
            cited += 1
        else:
            misses.append(q.id)
    abstained = [q.id for q in unanswerable if answers[q.id]["abstained"]]
    return {
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "citation_recall": round(cited / max(1, len(answerable)), 3),
        "abstention_on_unanswerable": round(len(abstained) / max(1, len(unanswerable)), 3),
        "wrong_abstention": round(wrong_abstain / max(1, len(answerable)), 3),
        "citation_misses": misses,
    }
