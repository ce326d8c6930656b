"""When the product says "The indexed reports do not answer this" instead of answering.

It abstains when the question is outside the index (a force or year it does not hold), when
the filters leave nothing, when the question names a policing topic the closest passages never
mention, and when the evidence is weak: no sentence close to the question and little of its
wording covered, or many of its words foreign to the reports. Thresholds are ``AnswerSettings``
(calibrated on the development set; docs/answers.md). The closest passages are returned with an
abstention, labelled as not answering.
"""

from __future__ import annotations

from typing import Any

from search.answer.extractive import Candidate
from search.config import AnswerSettings
from search.retrieve.result import SearchResult
from search.topics import unmentioned_topics
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


def missing_years(result: SearchResult, passages: tuple[Hit, ...]) -> list[int]:
    """Years the question names as report years that no indexed report has and no passage mentions."""
    years = result.understood.get("years") or []
    if result.understood.get("period") or result.snapshot is None:
        return []
    covered = set(result.snapshot.store.vocab["year"])
    missing = [y for y in years if y not in covered]
    if not missing or len(missing) < len(years):
        return []
    text = " ".join(h.text for h in passages)
    return [y for y in missing if str(y) not in text]


def absent_topics(question: str, pool: tuple[Hit, ...]) -> list[str]:
    """Policing topics the question names that none of the closest passages mention."""
    return unmentioned_topics(question, [h.text for h in pool])


def weak_evidence(candidates: list[Candidate], chosen: list[Candidate], foreign_words: tuple[str, ...],
                  question_tokens: int, settings: AnswerSettings) -> str | None:
    """Why the quotable sentences do not answer the question, or None when they may.

    All the question's terms count, those the reports never use too (at the highest idf), so
    that 'What is the capital of France?' does not cover its only known term, 'capital', fully.
    """
    best_cosine = max((c.cosine for c in candidates), default=0.0)
    support = max((c.overlap for c in candidates), default=0.0)
    foreign = len(foreign_words) / max(1, question_tokens)
    weak = best_cosine < settings.min_sentence_cosine and support < settings.min_support
    off_topic = foreign >= settings.max_foreign or (foreign >= settings.foreign_with_weak_evidence
                                                    and best_cosine < settings.weak_cosine)
    if chosen and not weak and not off_topic:
        return None
    return (f"the closest passages are only loosely related (best sentence similarity {best_cosine:.2f}, "
            f"best term coverage {support:.2f}"
            + (f"; the reports use no words like {', '.join(foreign_words)})" if foreign else ")"))


__all__ = ["ABSTAIN_MESSAGE", "absent_topics", "abstention", "missing_years", "outside_index", "weak_evidence"]
