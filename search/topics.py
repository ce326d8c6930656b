"""Policing topics a question can be about, to tell when the indexed reports never discuss one.

Inspection reports name their subjects in standard terms ('stop and search', 'Taser',
'body-worn video', 'budget'). When a question names such a topic and none of the passages
that could answer it mention it, the reports do not answer the question, however similar
the rest of the wording is. The list covers the areas HMIC and HMICFRS inspect; it is not
tied to any particular report.
"""

from __future__ import annotations

import re
from functools import cache

# Each entry: topic label -> alternative spellings (regex fragments, matched case-insensitively
# at word boundaries). Keep entries specific: a word that reports use loosely does not belong.
TOPICS: dict[str, tuple[str, ...]] = {
    "stop and search": (r"stop(?:s|ped)?[- ]and[- ]search(?:es|ed)?", r"stop[- ]search(?:es)?"),
    "Taser": (r"tasers?", r"conducted energy devices?"),
    "firearms": (r"firearms?", r"armed (?:officers?|response|policing)", r"guns?"),
    "body-worn video": (r"body[- ]worn (?:video|cameras?)", r"bodycams?", r"body cameras?"),
    "use of force": (r"use of force",),
    "complaints": (r"complaints?",),
    "misconduct": (r"misconduct", r"disciplinary"),
    "corruption": (r"corrupt(?:ion)?", r"abuse of position"),
    "vetting": (r"vetting", r"vetted"),
    "budget": (r"budgets?", r"funding", r"precept", r"financial reserves"),
    "pay": (r"salar(?:y|ies)", r"pay ?rise", r"overtime"),
    "police stations": (r"police stations?", r"front counters?"),
    "recruitment": (r"recruit(?:ment|ing|ed|s)?",),
    "special constables": (r"special constables?",),
    "diversity": (r"divers(?:e|ity)", r"ethnic(?:ity)?", r"bame", r"black and minority"),
    "wellbeing": (r"well-?being", r"sickness", r"absence rates?"),
    "hate crime": (r"hate crimes?",),
    "knife crime": (r"knife crimes?", r"knives?", r"stabbings?"),
    "county lines": (r"county lines",),
    "modern slavery": (r"modern slavery", r"human trafficking"),
    "fraud": (r"fraud(?:s|sters)?", r"scams?"),
    "cybercrime": (r"cyber[- ]?crimes?", r"online crime"),
    "domestic abuse": (r"domestic (?:abuse|violence)",),
    "stalking": (r"stalking", r"harassment"),
    "child sexual exploitation": (r"child sexual exploitation", r"\bcse\b", r"grooming"),
    "mental health": (r"mental health", r"mentally ill"),
    "missing people": (r"missing (?:people|persons?|children)",),
    "custody": (r"custody", r"detainees?"),
    "drones": (r"drones?",),
    "call handling": (r"999 calls?", r"101 calls?", r"call handling", r"answered within"),
    "response times": (r"response times?",),
    "road policing": (r"road policing", r"speeding", r"drink[- ]driving", r"road traffic"),
    "terrorism": (r"terror(?:ism|ist)?", r"counter[- ]terrorism"),
    "public order": (r"public order", r"riots?", r"protests?"),
    "anti-social behaviour": (r"anti-?social behaviour", r"\basb\b"),
    "crime recording": (r"crime recording", r"crime data integrity", r"under-?record(?:ing|ed)?"),
    "restorative justice": (r"restorative justice",),
    "victim satisfaction": (r"victim satisfaction",),
}


@cache
def _patterns() -> dict[str, re.Pattern[str]]:
    return {label: re.compile(r"(?<![\w-])(?:" + "|".join(forms) + r")(?![\w-])", re.I)
            for label, forms in TOPICS.items()}


def topics_in(text: str) -> list[str]:
    """Labels of the topics ``text`` names."""
    return [label for label, pattern in _patterns().items() if pattern.search(text)]


def unmentioned_topics(question: str, passages: list[str]) -> list[str]:
    """Topics the question names that none of ``passages`` mention."""
    named = topics_in(question)
    if not named:
        return []
    joined = "\n".join(passages)
    return [label for label in named if not _patterns()[label].search(joined)]
