"""Strict scores for cited answers (eval/README.md, "Answer metrics").

A gold counts as cited when one quote of the answer, from the gold's file, holds at least 60% of
the gold as one contiguous run (the retrieval rule applied to the quoted sentences, not to the
passage around them). A single-report question is cited when any of its golds is; a cross-year or
cross-force question only when every gold is. Pure functions: no index, no model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eval.bank import BankQuestion, Gold
from eval.relevance import is_relevant, normalise, wilson_interval


@dataclass(frozen=True)
class Quote:
    source: str
    text: str


@dataclass(frozen=True)
class Reply:
    """What a system answered: its quotes and whether it abstained."""

    abstained: bool
    quotes: tuple[Quote, ...] = ()


def gold_cited(gold: Gold, quotes: Iterable[Quote]) -> bool:
    return any(is_relevant(gold.file, gold.text, q.source, q.text) for q in quotes)


def question_cited(question: BankQuestion, reply: Reply) -> bool:
    if reply.abstained or not question.golds:
        return False
    found = [gold_cited(g, reply.quotes) for g in question.golds]
    return all(found) if question.needs_all else any(found)


def quote_on_gold(quote: Quote, golds: Sequence[Gold]) -> bool:
    """Whether a quote is (part of) a gold: it holds one, or it lies within one."""
    text = normalise(quote.text)
    for gold in golds:
        if gold.file != quote.source:
            continue
        if len(text) >= 20 and text in normalise(gold.text):
            return True
        if is_relevant(gold.file, gold.text, quote.source, quote.text):
            return True
    return False


def _rate(hits: int, n: int) -> dict[str, Any]:
    low, high = wilson_interval(hits / n if n else 0.0, n)
    return {"value": round(hits / n, 3) if n else None, "n": n, "hits": hits, "ci95": [round(low, 3), round(high, 3)]}


def score(questions: Sequence[BankQuestion], replies: dict[str, Reply]) -> dict[str, Any]:
    """Citation recall (per question, strict), gold recall (every gold), quote precision,
    abstention recall and precision, wrong abstention; overall and by answer type and scope."""
    answerable = [q for q in questions if q.answerable]
    unanswerable = [q for q in questions if not q.answerable]
    cited = [q for q in answerable if question_cited(q, replies[q.id])]
    golds = [(q, g) for q in answerable for g in q.golds]
    golds_cited = [1 for q, g in golds if not replies[q.id].abstained and gold_cited(g, replies[q.id].quotes)]
    quotes = [(q, quote) for q in answerable if not replies[q.id].abstained for quote in replies[q.id].quotes]
    on_gold = [1 for q, quote in quotes if quote_on_gold(quote, q.golds)]
    wrong = [q for q in answerable if replies[q.id].abstained]
    abstained = [q for q in unanswerable if replies[q.id].abstained]
    all_abstentions = len(wrong) + len(abstained)
    out: dict[str, Any] = {
        "questions": len(questions),
        "citation_recall": _rate(len(cited), len(answerable)),
        "gold_recall": _rate(len(golds_cited), len(golds)),
        "quote_precision": _rate(len(on_gold), len(quotes)),
        "abstention": _rate(len(abstained), len(unanswerable)),
        "abstention_precision": _rate(len(abstained), all_abstentions),
        "wrong_abstention": _rate(len(wrong), len(answerable)),
        "by_answer_type": {}, "by_scope": {}, "by_unanswerable_kind": {},
    }
    groups: dict[str, dict[str, list[BankQuestion]]] = {"by_answer_type": defaultdict(list),
                                                        "by_scope": defaultdict(list)}
    for q in answerable:
        groups["by_answer_type"][q.answer_type].append(q)
        groups["by_scope"][q.scope].append(q)
    for name, members in groups.items():
        for key, items in sorted(members.items()):
            out[name][key] = _rate(sum(question_cited(q, replies[q.id]) for q in items), len(items))
    kinds: dict[str, list[BankQuestion]] = defaultdict(list)
    for q in unanswerable:
        kinds[q.unanswerable_kind or "unknown"].append(q)
    for key, items in sorted(kinds.items()):
        out["by_unanswerable_kind"][key] = _rate(sum(replies[q.id].abstained for q in items), len(items))
    return out


def failures(questions: Sequence[BankQuestion], replies: dict[str, Reply]) -> list[dict[str, Any]]:
    """One row per question scored wrong: for reading, on the dev split only."""
    rows = []
    for q in questions:
        reply = replies[q.id]
        if q.answerable and not question_cited(q, reply):
            rows.append({"id": q.id, "question": q.question, "why": "abstained" if reply.abstained else "not cited",
                         "gold": [g.text for g in q.golds], "quotes": [x.text for x in reply.quotes]})
        elif not q.answerable and not reply.abstained:
            rows.append({"id": q.id, "question": q.question, "why": "answered an unanswerable question",
                         "quotes": [x.text for x in reply.quotes]})
    return rows
