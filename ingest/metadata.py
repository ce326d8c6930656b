"""Report and section metadata read from the text itself: force, year, type, title, theme.

File names are never consulted: the same report under any name gets the same metadata.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ingest.forces import canonical_force, find_forces
from ingest.textutil import strip_markers
from ingest.types import Section

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
    },
    "legitimacy": {
        "legitima": 3, "fairness": 2.5, "respect": 1.5, "ethical": 2.5, "ethics": 2.5, "stop and search": 3,
        "use of force": 3, "complaint": 2, "corruption": 2.5, "integrity": 1.5, "professional standards": 2,
        "taser": 2, "public confidence": 1.5, "equality": 1.5, "diversity": 1.5, "discrimination": 2,
    },
    "crime_recording": {
        "crime recording": 3, "crime-recording": 3, "crime data": 3, "data integrity": 3, "recorded crime": 1,
        "home office counting rules": 3, "hocr": 3, "national crime recording standard": 3, "ncrs": 3,
        "under-record": 3, "audit": 1,
    },
    "custody": {
        "custody": 3, "detainee": 3, "cell": 1.5, "strip search": 2.5, "pace": 1, "appropriate adult": 2.5,
        "custody suite": 3, "detention": 2.5, "healthcare": 1,
    },
    "leadership_workforce": {
        "leadership": 3, "leader": 2, "workforce": 2, "wellbeing": 2.5, "well-being": 2.5, "training": 1,
        "culture": 1.5, "recruit": 2, "promotion": 2, "staff survey": 2, "chief officer": 1, "talent": 2,
        "supervisor": 1, "morale": 2,
    },
}
_THEME_PATTERNS = {
    theme: [(re.compile(r"(?<![\w-])" + re.escape(term)), weight) for term, weight in terms.items()]
    for theme, terms in _THEME_TERMS.items()
}

REPORT_TYPES: dict[str, str] = {
    "peel": "PEEL assessment (effectiveness, efficiency and legitimacy)",
    "peel_effectiveness": "PEEL effectiveness",
    "peel_efficiency": "PEEL efficiency",
    "peel_legitimacy": "PEEL legitimacy",
    "peel_leadership": "PEEL leadership",
    "vulnerability": "Vulnerability inspection",
    "crime_inspection": "Core business or crime inspection",
    "crime_data_integrity": "Crime data integrity inspection",
    "custody": "Custody inspection",
    "thematic": "Thematic (national) inspection",
    "letter": "Inspection letter",
    "other": "Other",
}
"""Report types: id -> label."""

_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}
_MONTH_RE = r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
_FULL_DATE_RE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE})\s+((?:19|20)\d\d)\b", re.I)
_MONTH_YEAR_RE = re.compile(rf"(?<![\d\w])({_MONTH_RE})\s+((?:19|20)\d\d)\b", re.I)
_YEAR_RE = re.compile(r"(?<![\d/])((?:19|20)\d\d)(?:\s*[/–-]\s*(\d\d(?:\d\d)?))?(?![\d])")
_FORCE_LINE_RE = re.compile(
    r"(?:an inspection of|inspection of|report on|visit to police custody suites in|custody suites in|"
    r"chief constable\s*[–—-]|commissioner of|constabulary:|police:)\s*(?:the\s+)?(.{3,80})",
    re.I,
)


def theme_scores(text: str) -> Counter[str]:
    """Weighted theme term counts in ``text``."""
    low = text.lower()
    scores: Counter[str] = Counter()
    for theme, patterns in _THEME_PATTERNS.items():
        for pattern, weight in patterns:
            hits = len(pattern.findall(low))
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


def resolve_report_type(name: str) -> str | None:
    """Report type id for an id or label ('PEEL effectiveness' -> 'peel_effectiveness')."""
    key = " ".join(name.lower().replace("_", " ").split())
    for rtype, label in REPORT_TYPES.items():
        if key in (rtype.replace("_", " "), label.lower()):
            return rtype
    matches = [t for t, label in REPORT_TYPES.items() if key in label.lower()]
    return matches[0] if len(matches) == 1 else None


@dataclass(frozen=True)
class DocumentFacts:
    title: str
    force: str | None
    year: int | None
    published: str | None
    report_type: str
    warnings: tuple[str, ...] = ()


def _front_lines(text: str, limit: int = 40) -> list[str]:
    lines = [" ".join(strip_markers(line).split()) for line in text.split("\n")]
    return [line for line in lines if line][:limit]


def _iso_date(text: str) -> tuple[str | None, int | None]:
    """First full or month-year date in ``text``: ('2014-09-03', 2014)."""
    full = _FULL_DATE_RE.search(text)
    month = _MONTH_YEAR_RE.search(text)
    if full and (not month or full.start() <= month.start()):
        day, mon, year = full.groups()
        return f"{year}-{_MONTHS[mon.lower()]:02d}-{int(day):02d}", int(year)
    if month:
        mon, year = month.groups()
        return f"{year}-{_MONTHS[mon.lower()]:02d}", int(year)
    return None, None


def _title(lines: list[str], sections: tuple[Section, ...]) -> str:
    """The report's title: PEEL/inspection title lines on the cover, the subject of a letter,
    else the first heading."""
    for i, line in enumerate(lines[:15]):
        if re.match(r"^(?:PEEL\b|Police (?:effectiveness|efficiency|legitimacy|leadership)\b)", line, re.I):
            title = line
            if i + 1 < len(lines) and re.match(r"^(?:an inspection of|police effectiveness|police efficiency|"
                                               r"police legitimacy|effectiveness|efficiency|legitimacy)", lines[i + 1], re.I):
                title = f"{title} – {lines[i + 1]}"
                if i + 2 < len(lines) and re.match(r"^an inspection of", lines[i + 2], re.I):
                    title = f"{title} – {lines[i + 2]}"
            return title
        if re.match(r"^(?:report on an? (?:unannounced|announced)|.*\binspection\b.*\b(?:of|into)\b)", line, re.I) \
                and len(line.split()) <= 30 and not line.endswith("."):
            return line
    for section in sections:
        if section.kind != "front_matter" and section.heading and section.kind not in {"contents"}:
            if ":" in section.heading or "inspection" in section.heading.lower():
                return section.heading
            break
    for line in lines[:10]:
        if 2 <= len(line.split()) <= 25 and not re.match(r"^(?:©|isbn|www|contents)", line, re.I):
            return line
    return lines[0] if lines else "Untitled report"


def _report_type(title: str, front: str, body: str, is_letter: bool) -> str:
    t = title.lower()
    f = front.lower()
    if "custody" in t:
        return "custody"
    if "crime data integrity" in t or "crime recording" in t or "data integrity" in t:
        return "crime_data_integrity"
    if "peel" in t or "police effectiveness" in t or "police efficiency" in t or "police legitimacy" in t:
        pillars = [p for p in ("effectiveness", "efficiency", "legitimacy", "leadership") if p in t]
        if "vulnerability" in t:
            return "vulnerability"
        if len(pillars) == 1:
            return f"peel_{pillars[0]}"
        return "peel"
    if "vulnerab" in t:
        return "vulnerability"
    if is_letter:
        return "letter"
    if "core business" in t or "crime inspection" in t or "crime inspection" in f[:400]:
        return "crime_inspection"
    if any(word in t for word in ("national", "thematic", "review of", "all forces", "police service")):
        return "thematic"
    return "other"


def _year(title: str, front_lines: list[str], published_year: int | None, letter_date_year: int | None) -> int | None:
    """Inspection year: the year in the title ('PEEL 2018/19' -> 2018), else the letter's date,
    else the date of the report."""
    for match in _YEAR_RE.finditer(title):
        return int(match.group(1))
    if letter_date_year:
        return letter_date_year
    for line in front_lines[:20]:
        if re.search(r"inspection|visit|fieldwork", line, re.I):
            match = _YEAR_RE.search(line)
            if match:
                return int(match.group(1))
    return published_year


def _force(text: str, front: str, title: str) -> tuple[str | None, list[str]]:
    """The force a report is about: the one the cover or salutation names, else the one named
    far more often than any other; None for reports about many forces."""
    warnings: list[str] = []
    for source in (title, front):
        for match in _FORCE_LINE_RE.finditer(source):
            mentions = find_forces(match.group(1))
            if mentions and mentions[0].start <= 3:
                return mentions[0].force, warnings
    counts = Counter(m.force for m in find_forces(text) if m.full_name)
    if not counts:
        counts = Counter(m.force for m in find_forces(text))
    if counts:
        (best, n), *rest = counts.most_common(2)
        runner = rest[0][1] if rest else 0
        if n >= 3 and n >= 2 * runner:
            return best, warnings
    warnings.append("no single police force recognised in the text: force left empty")
    return None, warnings


def document_facts(text: str, sections: tuple[Section, ...]) -> DocumentFacts:
    """Title, force, year, publication date and report type of a report from its text."""
    lines = _front_lines(text)
    front = "\n".join(lines)
    is_letter = bool(re.search(r"^dear\s+\w+", front, re.I | re.M)) and bool(
        re.search(r"yours (?:sincerely|faithfully)", text[-3000:], re.I)
    )
    title = _title(lines, sections)
    published, published_year = None, None
    letter_year = None
    for line in lines[:25]:
        if re.match(rf"^(?:published\s*:?\s*)?(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?{_MONTH_RE}\s+\d{{4}}$", line, re.I):
            published, published_year = _iso_date(line)
            break
    if is_letter:
        letter_year = published_year
    force, warnings = _force(text, front, title)
    return DocumentFacts(
        title=title,
        force=force,
        year=_year(title, lines, published_year, letter_year),
        published=published,
        report_type=_report_type(title, front, text, is_letter),
        warnings=tuple(warnings),
    )


def canonical_or_none(name: str | None) -> str | None:
    return canonical_force(name) if name else None
