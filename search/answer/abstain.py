"""When the product says "The indexed reports do not answer this" instead of answering.

It abstains when the question is outside the index (a force or year it does not hold), when the
filters leave nothing, and when the evidence does not answer: no candidate sentence is likely
enough to answer the question as asked (the evidence model weighs whether a sentence covers the
question's focus and is of the kind of answer it wants: a figure about the focus noun, a grade,
a date), or most of the question's words are foreign to the reports. The closest passages are
returned with an abstention, labelled as not answering. Thresholds are ``AnswerSettings``,
calibrated on the development split (docs/answers.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from search.answer.evidence import CHECKABLE, Candidate
from search.answer.extractive import states_asked_fact
from search.config import AnswerSettings
from search.retrieve.question import Question
from search.retrieve.result import SearchResult
from search.types import Answer, Hit

ABSTAIN_MESSAGE = "The indexed reports do not answer this."


def abstention(text: str, reason: str, passages: tuple[Hit, ...], base: dict[str, Any]) -> Answer:
    """An abstention: ``text`` after the abstain message, the reason, and the closest passages."""
    return Answer(text=f"{ABSTAIN_MESSAGE} {text}".strip(), citations=(), passages=passages, abstained=True,
                  reason=reason, **base)


def outside_index(result: SearchResult, base: dict[str, Any]) -> Answer | None:
    """An abstention when the search found the question out of scope or nothing passed the filters."""
    if result.out_of_scope:
        reason = result.notices[0] if result.notices else ""
        return abstention(reason, reason or "outside the indexed reports", (), base)
    if not result.hits:
        reason = result.notices[-1] if result.notices else "no passage matches"
        return abstention(reason, reason, (), base)
    return None


def missing_years(question: Question, result: SearchResult, passages: tuple[Hit, ...]) -> list[int]:
    """Years the question names as report years that no indexed report covers and no passage mentions."""
    if question.period or result.snapshot is None or not question.years:
        return []
    covered = set(result.snapshot.store.vocab["year"])
    missing = [y for y in question.years if y not in covered]
    if len(missing) < len(question.years):
        return []
    text = " ".join(h.text for h in passages)
    return [y for y in missing if str(y) not in text]


def evidence_gap(question: Question, candidates: Sequence[Candidate], foreign_words: tuple[str, ...],
                 settings: AnswerSettings) -> str | None:
    """Why the candidate sentences do not answer the question, or None when one may."""
    foreign = len(foreign_words) / max(1, len(question.tokens))
    if foreign >= settings.max_foreign:
        return f"the reports use no words like {', '.join(foreign_words)}"
    if not candidates:
        return "the closest passages hold no sentence that could answer it"
    if (max(c.focus_cosine for c in candidates) < settings.topic_cosine
            and max(c.focus_covered for c in candidates) < settings.topic_coverage):
        return f"no passage is about {question.focus or 'it'}: none is close to it in meaning or holds its words"
    stating = [c.probability for c in candidates if states_asked_fact(c, question)]
    if stating and max(stating) >= settings.abstain_below:
        return None
    best = max(candidates, key=lambda c: c.probability)
    kind = question.expects.value
    if best.probability >= settings.abstain_below or (  # likely sentences, none with the figure or date asked
            question.expects in CHECKABLE and not any(c.type_ok for c in candidates)):
        return f"no passage close to the question states a {kind} about {question.focus or 'it'}"
    return (f"no passage states it: the closest sentence is only {best.probability:.0%} likely to answer "
            f"(a {kind} about {question.focus or 'the question'})")


def said_elsewhere(question: Question, candidates: Sequence[Candidate], others: Sequence[Candidate],
                   settings: AnswerSettings) -> Candidate | None:
    """The sentence of another force's report that says what a question about named forces asks far
    better than anything their own reports say (``elsewhere_margin`` closer to its focus): their
    reports do not discuss it ('Norfolk's use of Taser' when only other forces' reports mention
    Taser). None when the named forces' reports say as much."""
    if not question.forces or not candidates or not others:
        return None
    best = max(others, key=lambda c: c.focus_cosine)
    own = max(c.focus_cosine for c in candidates)
    return best if best.focus_cosine - own >= settings.elsewhere_margin else None


__all__ = ["ABSTAIN_MESSAGE", "abstention", "evidence_gap", "missing_years", "outside_index", "said_elsewhere"]
