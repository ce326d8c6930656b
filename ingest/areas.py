"""The areas that inspection reports grade, and naming one from the words a report uses.

PEEL graded three pillars (effectiveness, efficiency, legitimacy; leadership got a narrative
judgment) and the questions under them from 2014 to 2018/19; from 2021/22 it grades policing
areas ('Investigating crime', 'Responding to the public', ...) on five levels. Crime data
integrity inspections graded crime recording overall and on three core questions. The vocabulary
below is that public framework, written once; :func:`area_key` maps any wording of an area
('How effective is the force at investigating crime and reducing re-offending?', 'its use of
resources to manage demand', 'Investigating crime') to one canonical key.
"""

from __future__ import annotations

import re

PILLARS: tuple[str, ...] = ("effectiveness", "efficiency", "legitimacy", "leadership")

AREAS: dict[str, str] = {
    "overall": "Overall judgment",
    "effectiveness": "Effectiveness",
    "efficiency": "Efficiency",
    "legitimacy": "Legitimacy",
    "leadership": "Leadership",
    "victim_service": "Service to victims of crime",
    "crime_recording": "Recording data about crime",
    "crime_recording_systems": "Crime-recording systems and processes",
    "crime_recording_leadership": "Crime-recording leadership and culture",
    "preventing_crime": "Preventing crime and anti-social behaviour",
    "anti_social_behaviour": "Tackling anti-social behaviour",
    "responding_to_public": "Responding to the public",
    "investigating_crime": "Investigating crime",
    "vulnerability": "Protecting vulnerable people",
    "managing_offenders": "Managing offenders and suspects",
    "serious_organised_crime": "Serious and organised crime",
    "specialist_capabilities": "Specialist capabilities and armed policing",
    "understanding_demand": "Understanding demand",
    "use_of_resources": "Use of resources",
    "planning_for_future": "Planning for the future",
    "public_treatment": "Treating the public fairly (police powers and public treatment)",
    "ethical_workforce": "Ethical and lawful workforce behaviour",
    "workforce_treatment": "Treating the workforce fairly",
    "workforce": "Building, supporting and protecting the workforce",
    "leadership_management": "Leadership, force management and value for money",
}
"""Canonical area keys -> labels. Areas not listed keep a key made from their own words."""

AREA_PILLAR: dict[str, str] = {
    "preventing_crime": "effectiveness", "anti_social_behaviour": "effectiveness", "investigating_crime": "effectiveness",
    "vulnerability": "effectiveness", "serious_organised_crime": "effectiveness",
    "specialist_capabilities": "effectiveness", "understanding_demand": "efficiency", "use_of_resources": "efficiency",
    "planning_for_future": "efficiency", "public_treatment": "legitimacy", "ethical_workforce": "legitimacy",
    "workforce_treatment": "legitimacy",
}
"""The PEEL pillar each question of the 2014-2019 framework sits under."""

_GENERIC_RE = re.compile(  # the words every pillar question ends with: they name no area
    r"keep\w* people safe,? and reduc\w* crime|reduc\w* crime,? and keep\w* people safe|\bcutting crime", re.I)
_OVERALL_RE = re.compile(r"\boverall\b|\bgraded judg(?:e)?ments?\b|\bjudg(?:e)?ments? overall\b", re.I)

_PILLAR_PHRASES: tuple[tuple[str, str], ...] = (  # whole-pillar wordings that contain an area's words
    (r"\boverall (?:graded )?judg(?:e)?ments? (?:for|of|on) (?:its |the force's )?effectiveness\b", "effectiveness"),
    (r"\boverall (?:graded )?judg(?:e)?ments? (?:for|of|on) (?:its |the force's )?efficiency\b", "efficiency"),
    (r"\boverall (?:graded )?judg(?:e)?ments? (?:for|of|on) (?:its |the force's )?legitimacy\b", "legitimacy"),
    (r"\boverall (?:graded )?judg(?:e)?ments?\b", "overall"),
    (r"\btreat\w* the public and (?:its|the) workforce", "legitimacy"),
    (r"\boperates? efficiently|\befficiently and sustainabl|\befficiency with which\b", "efficiency"),
    (r"\bsystems and processes\b", "crime_recording_systems"),
    (r"\bleadership and culture\b", "crime_recording_leadership"),
    (r"\bleadership and force management\b|\bstrategic planning\b|\borganisational management\b|\bvalue for money\b",
     "leadership_management"),
)
_AREA_PATTERNS: tuple[tuple[str, str], ...] = (  # specific areas; the one named first in a phrase wins
    (r"\bservice (?:to|for) victims\b|\bvictim service\b|\bservice it gives to victims\b", "victim_service"),
    (r"\brecord\w* (?:data about |reported )?crimes?\b|\bcrime[- ]recording\b|\bdata integrity\b", "crime_recording"),
    (r"\bprevent\w* (?:and deter\w* )?crime\b|\bpreventing offending\b|\bcrime prevention\b", "preventing_crime"),
    (r"\btackl\w* anti-social behaviour\b", "anti_social_behaviour"),
    (r"\banti-social behaviour\b", "preventing_crime"),
    (r"\brespond\w* to the public\b|\bcall handling\b", "responding_to_public"),
    (r"\binvestigat\w*\b", "investigating_crime"),
    (r"\bmanag\w* (?:registered sex )?offenders\b|\boffender management\b", "managing_offenders"),
    (r"\bvulnerab\w*\b", "vulnerability"),
    (r"\bserious (?:and )?organised crime\b", "serious_organised_crime"),
    (r"\bspecialist capabilit\w*\b|\barmed (?:policing|threats?)\b", "specialist_capabilities"),
    (r"\buse (?:of )?(?:its )?resources\b|\buses its resources\b|\busing (?:its )?resources\b", "use_of_resources"),
    (r"\bunderstand\w* (?:of )?(?:the )?(?:current |likely |future |and |complex )*demand\b", "understanding_demand"),
    (r"\bplan\w* for (?:the )?future\b|\bplan\w* for (?:future )?demand\b", "planning_for_future"),
    (r"\btreat\w* (?:its|the) workforce\b|\bworkforce (?:fairly|with fairness)\b", "workforce_treatment"),
    (r"\bbehaves? ethically\b|\bethical and lawful\b|\bethically and lawfully\b", "ethical_workforce"),
    (r"\bsupporting and protecting the workforce\b|\bpositive workplace\b|\bworkforce wellbeing\b", "workforce"),
    (r"\btreat\w* (?:all of )?(?:the )?(?:public|people it serves|people)\b|\bfairness and respect\b|\bpolice powers\b|"
     r"\bpublic treatment\b|\bstop and search\b", "public_treatment"),
)
_PILLAR_WORDS: tuple[tuple[str, str], ...] = (
    (r"\beffective(?:ly|ness)?\b", "effectiveness"),
    (r"\befficien(?:t|tly|cy)\b", "efficiency"),
    (r"\blegitima(?:te|tely|cy)\b", "legitimacy"),
    (r"\bwell[- ]led\b|\bleadership\b", "leadership"),
)
_COMPILED_PHRASES = [(re.compile(p, re.I), k) for p, k in _PILLAR_PHRASES]
_COMPILED_AREAS = [(re.compile(p, re.I), k) for p, k in _AREA_PATTERNS]
_COMPILED_PILLARS = [(re.compile(p, re.I), k) for p, k in _PILLAR_WORDS]


def _plain(phrase: str) -> str:
    return " ".join(phrase.replace("’", "'").replace("‘", "'").split())


def area_key(phrase: str) -> str | None:
    """The canonical area a phrase names, or None when it names none.

    Whole-pillar wordings first ('the extent to which the force operates efficiently'), then the
    specific area named first in the phrase ('investigating crime and managing offenders' is
    investigating crime), then a bare pillar word ('How effective is the force at keeping people
    safe and reducing crime?' is effectiveness), then 'overall' for the overall judgment or the
    pillar-less 'keeping people safe and reducing crime'.
    """
    text = _plain(phrase)
    generic = bool(_GENERIC_RE.search(text))
    text = _GENERIC_RE.sub(" ", text)
    for pattern, key in _COMPILED_PHRASES:
        if pattern.search(text):
            return key
    hits = [(m.start(), n, key) for n, (pattern, key) in enumerate(_COMPILED_AREAS) if (m := pattern.search(text))]
    if hits:
        return min(hits)[2]
    for pattern, key in _COMPILED_PILLARS:
        if pattern.search(text):
            return key
    return "overall" if generic or _OVERALL_RE.search(text) else None


def names_pillars(phrase: str) -> list[str]:
    """The pillars a phrase lists in order: 'in all three areas: effectiveness, efficiency and legitimacy'."""
    text = _plain(phrase)
    if re.search(r"\b(?:each|all|every) (?:of )?(?:the )?(?:three )?pillars?\b|\ball three (?:pillars|areas)\b", text,
                 re.I) and not any(p.search(text) for p, _ in _COMPILED_AREAS):
        return ["effectiveness", "efficiency", "legitimacy"]
    found = sorted((m.start(), key) for pattern, key in _COMPILED_PILLARS[:3] if (m := pattern.search(text)))
    return [key for _, key in found] if len(found) >= 2 else []


def slug(phrase: str) -> str:
    """A key made from an area's own words, for areas the vocabulary does not list."""
    words = re.findall(r"[a-z0-9]+", _plain(phrase).lower())
    return "_".join(words[:8]) or "area"


def pillar_of(key: str) -> str | None:
    """The PEEL pillar an area key is or sits under ('vulnerability' -> 'effectiveness')."""
    return key if key in PILLARS else AREA_PILLAR.get(key)
