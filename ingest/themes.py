"""The controlled theme vocabulary of inspection report sections, and classifying text into it."""

from __future__ import annotations

import re
from collections import Counter

THEMES: dict[str, str] = {
    "preventing_crime": "Preventing crime and anti-social behaviour",
    "investigating_crime": "Investigating crime and managing offenders",
    "vulnerability": "Protecting vulnerable people and supporting victims",
    "serious_organised_crime": "Serious and organised crime and national threats",
    "responding_to_public": "Attending incidents and responding to the public",
    "efficiency": "Use of resources and efficiency",
    "legitimacy": "Legitimacy, fairness and ethics",
    "crime_recording": "Crime recording and data integrity",
    "custody": "Custody",
    "leadership_workforce": "Leadership and workforce",
    "general": "General and overall findings",
}
"""The controlled theme vocabulary: id -> label."""

# Words and phrases that mark a theme, with weights; matched on lower-cased text.
_THEME_TERMS: dict[str, dict[str, float]] = {
    "preventing_crime": {
        "prevent": 2, "prevention": 2, "anti-social behaviour": 2, "neighbourhood": 1.5, "problem-solving": 2,
        "problem solving": 2, "community safety": 1.5, "reduce crime": 1, "reducing crime": 1, "pcso": 1,
        "safer neighbourhood": 2, "crime reduction": 2, "early intervention": 1,
    },
    "investigating_crime": {
        "investigat": 2, "offender": 1.5, "re-offending": 2, "reoffending": 2, "outcome": 1, "charge": 1,
        "forensic": 1.5, "digital evidence": 2, "suspect": 1.5, "bail": 1.5, "integrated offender management": 2,
        "justice": 1, "case file": 1, "detective": 1.5, "prosecut": 1, "sex offender": 1.5, "mappa": 2,
        "managing offenders": 3,
    },
    "vulnerability": {
        "vulnerab": 2.5, "safeguard": 2, "domestic abuse": 2.5, "missing": 2, "child sexual exploitation": 2.5,
        "victim": 1, "mental health": 2, "exploitation": 1.5, "stalking": 1.5, "harassment": 1,
        "modern slavery": 2, "protecting": 1, "repeat victim": 1.5, "absent": 1,
    },
    "serious_organised_crime": {
        "organised crime": 3, "serious and organised": 3, "ocg": 2.5, "national threat": 2.5,
        "strategic policing requirement": 3, "terroris": 2, "cyber": 1.5, "rocu": 2, "regional organised": 2,
        "firearms": 1.5, "counter-terror": 2, "county lines": 2, "disrupt": 1,
    },
    "responding_to_public": {
        "attend": 2, "call handling": 3, "calls for service": 2.5, "control room": 2.5, "999": 2, "101": 1.5,
        "respond to the public": 3, "responding to the public": 3, "response time": 2, "emergency": 1.5,
        "incident": 1, "thrive": 1.5, "grading": 1,
    },
    "efficiency": {
        "efficien": 2.5, "demand": 2, "resource": 1.5, "budget": 2.5, "savings": 2.5, "cost": 2, "financial": 2,
        "spending": 2, "value for money": 3, "freeing up time": 3, "technology": 1, "austerity": 2,
        "collaboration": 1, "workforce plan": 1.5, "mobile": 1,
        "understand demand": 3, "planning for the future": 3, "plan for the future": 3, "future demand": 2,
        "strategic planning": 2.5, "organisational management": 2, "force management": 2,
    },
    "legitimacy": {
        "legitima": 3, "fairness": 2.5, "respect": 1.5, "ethical": 2.5, "ethics": 2.5, "stop and search": 3,
        "use of force": 3, "complaint": 2, "corruption": 2.5, "integrity": 1.5, "professional standards": 2,
        "taser": 2, "public confidence": 1.5, "equality": 1.5, "diversity": 1.5, "discrimination": 2,
        "police powers": 3, "public treatment": 3, "treatment of the public": 3, "treating the public": 3,
    },
    "crime_recording": {
        "crime recording": 3, "crime-recording": 3, "crime data": 3, "data integrity": 3, "recorded crime": 1,
        "home office counting rules": 3, "hocr": 3, "national crime recording standard": 3, "ncrs": 3,
        "under-record": 3, "audit": 1, "recording data": 3, "data about crime": 3,
    },
    "custody": {
        "custody": 3, "detainee": 3, "cell": 1.5, "strip search": 2.5, "pace": 1, "appropriate adult": 2.5,
        "custody suite": 3, "detention": 2.5, "healthcare": 1,
    },
    "leadership_workforce": {
        "leadership": 3, "leader": 2, "workforce": 2, "wellbeing": 2.5, "well-being": 2.5, "training": 1,
        "culture": 1.5, "recruit": 2, "promotion": 2, "staff survey": 2, "chief officer": 1, "talent": 2,
        "supervisor": 1, "morale": 2, "workplace": 2.5,
    },
}
_THEME_PATTERNS = {
    theme: [(term, re.compile(r"(?<![\w-])" + re.escape(term)), weight) for term, weight in terms.items()]
    for theme, terms in _THEME_TERMS.items()
}


def theme_scores(text: str) -> Counter[str]:
    """Weighted theme term counts in ``text``."""
    low = text.lower()
    scores: Counter[str] = Counter()
    for theme, patterns in _THEME_PATTERNS.items():
        for term, pattern, weight in patterns:
            hits = len(pattern.findall(low)) if term in low else 0  # the substring test skips most terms fast
            if hits:
                scores[theme] += weight * min(hits, 5)
    return scores


def classify_theme(heading: str, body: str = "") -> str:
    """The theme of a section from its heading (weighted ×4) and its text."""
    scores = theme_scores(heading)
    for theme in scores:
        scores[theme] *= 4
    if body:
        scores.update(theme_scores(body[:6000]))
    if not scores:
        return "general"
    best, score = scores.most_common(1)[0]
    return best if score >= 2 else "general"


def resolve_theme(name: str) -> str | None:
    """Theme id for an id, a label, or an unambiguous prefix of either ('vulnerab' -> 'vulnerability')."""
    key = " ".join(name.lower().replace("_", " ").split())
    if not key:
        return None
    for theme, label in THEMES.items():
        if key in (theme.replace("_", " "), label.lower()):
            return theme
    matches = [t for t, label in THEMES.items() if t.replace("_", " ").startswith(key) or key in label.lower()]
    return matches[0] if len(matches) == 1 else None
