"""Report and section metadata read from the text itself: force, year, type, title, theme.

File names are never consulted: the same report under any name gets the same metadata.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ingest.forces import canonical_force, find_forces
from ingest.textutil import strip_markers
from ingest.types import GRADES, Section

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
_DAY_RE = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE_RE = re.compile(  # '3 September 2014', 'February 2016', and ranges '12–23 March 2018', '28 Feb – 9 March 2018'
    rf"(?<![\w])(?P<range>{_DAY_RE}(?:\s+{_MONTH_RE}(?:\s+(?:19|20)\d\d)?)?\s*(?:[–—-]|to)\s*)?"
    rf"(?:(?P<day>{_DAY_RE})\s+)?(?P<month>{_MONTH_RE})\s+(?P<year>(?:19|20)\d\d)\b", re.I)
_YEAR_RE = re.compile(r"(?<![\d/£$,.])((?:19|20)\d\d)(?:\s*[/–-]\s*(\d\d(?:\d\d)?))?(?![\d,%])")
_COPYRIGHT_RE = re.compile(r"^(?:©|\(c\)|crown copyright)\s*(?:[A-Za-z&' ]+\s)?((?:19|20)\d\d)", re.I)
_STOP_RE = re.compile(  # lines (or the rest of a merged cover line) that end a title
    r"(?:^|(?<=\s))(?:©|\(c\)\s|ISBN\b|www\.|https?://|Contents$|Table of contents|Published\b|Publication date|"
    r"by (?:HM|Her Majesty['’]s) Inspectorate|Presented to Parliament|(?:HM|Her Majesty['’]s) (?:Chief )?Inspector(?:ate)?\b|"
    rf"(?:{_DAY_RE}\s*(?:[–—-]\s*{_DAY_RE}\s+)?)?{_MONTH_RE}\s+(?:19|20)\d\d\b)", re.I)
_TITLE_START_RE = re.compile(
    r"^(?:PEEL\b|Police (?:effectiveness|efficiency|legitimacy|leadership)\b|Report on an?\b.{0,60}\binspection|"
    r"Crime[- ](?:data integrity|recording|inspection)\b|State of Policing\b|Core business\b|Making best use\b|"
    r"Stop and search\b|.{0,120}?\b(?:inspection|review|approach to|report on)\b)", re.I)
_CONTINUES_RE = re.compile(  # a cover line that carries on the title above it
    r"^(?:(?:an? )?(?:inspection|national|review|thematic|joint)\b|(?:police )?(?:effectiveness|efficiency|legitimacy|"
    r"leadership)\b|\(|the annual assessment|(?:19|20)\d\d\b)", re.I)
_CONNECTOR_RE = re.compile(r"(?:\b(?:of|in|to|and|for|the|on|at|by|into|with|a|an)|[:–—,-])$", re.I)
_DEAR_RE = re.compile(r"^dear\s+\w+", re.I)
_CLOSING_RE = re.compile(r"\byours (?:sincerely|faithfully)\b", re.I)
_NATIONAL_RE = re.compile(r"\b(?:all|each of the|the) 43 (?:police )?forces\b|\b43 (?:territorial )?police forces\b"
                          r"|\bnational (?:overview|report|thematic)\b", re.I)
_NATIONAL_FORCE_COUNT = 8
"""A report naming this many different forces (and none in its title) is about policing nationally."""


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


def canonical_grade(name: str | None) -> str | None:
    """'good', 'Requires Improvement', 'require improvement' -> the grade as GRADES spells it; else None."""
    if not name:
        return None
    key = " ".join(name.lower().split()).replace("require improvement", "requires improvement")
    return next((g for g in GRADES if g.lower() == key), None)


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


def _clean_line(line: str) -> str:
    """One line without footnote markers, dot leaders or a contents page number."""
    line = " ".join(strip_markers(line).split())
    return re.sub(r"\s*\.{3,}\s*\d*$|\s*\.{3,}", "", line).strip()


def _front_lines(text: str, limit: int = 40) -> list[str]:
    """The cover and front matter: the first ``limit`` lines, up to a 'Contents' line when there is one."""
    lines = [line for line in map(_clean_line, text[:20000].split("\n")) if line][:limit]
    contents = next((i for i, line in enumerate(lines) if line.lower() in {"contents", "table of contents"}), 0)
    return lines[:contents] if contents >= 2 else lines


def _is_sentence(line: str) -> bool:
    return line.endswith((".", ";")) and len(line.split()) > 12


def _dates(lines: list[str]) -> list[re.Match[str]]:
    """Dates printed on cover or letter lines (not inside sentences), in order."""
    return [m for line in lines if not _is_sentence(line) for m in _DATE_RE.finditer(line)]


def _iso(match: re.Match[str]) -> str:
    month = _MONTHS[match.group("month").lower()]
    day = re.match(r"\d+", match.group("day") or "")
    return f"{match.group('year')}-{month:02d}" + (f"-{int(day.group()):02d}" if day else "")


def _is_force_line(line: str) -> bool:
    return len(line.split()) <= 6 and canonical_force(line) is not None


def _join_title(parts: list[str]) -> str:
    """Cover lines joined into one title: ' – ' between parts, a space inside a wrapped phrase."""
    title = parts[0]
    for part in parts[1:]:
        wrapped = part[:1].islower() or part[:1].isdigit() or part.startswith("(") or _CONNECTOR_RE.search(title)
        title += (" " if wrapped else " – ") + part
    return title


def _tidy_title(title: str) -> str:
    """Cut a merged cover line at its date, copyright or ISBN; mark the parts of a PEEL title with dashes."""
    stop = _STOP_RE.search(title, 1)
    title = (title[:stop.start()] if stop else title).strip()
    title = re.sub(r"(?<=[\w)])\s+(?=An inspection of\b)", " – ", title)
    title = re.sub(r"^(PEEL\s+(?:19|20)\d\d\s*[/–-]\s*\d\d)\s+(?=Police\b)", r"\1 – ", title)
    for mention in find_forces(title)[::-1]:  # 'Crime inspection 2014 Kent Police' -> '... 2014 – Kent Police'
        before, after = title[:mention.start].rstrip(), title[mention.end:]
        if mention.start == 0 and re.match(r"\s+[A-Z]", after):
            title = f"{title[:mention.end]} –{after}"
        elif mention.end == len(title) and before and not _CONNECTOR_RE.search(before) and before[-1].isalnum():
            title = f"{before} – {title[mention.start:]}"
    return " ".join(title.split()).strip(" –—-:,")


def _cover_title(lines: list[str]) -> str | None:
    """The title on the cover: the first line shaped like an inspection report title, with a force name
    just above it and the lines that carry it on ('An inspection of ...', a wrapped phrase)."""
    for i, line in enumerate(lines):
        if not _TITLE_START_RE.match(line) or _STOP_RE.match(line) or _is_sentence(line) or len(line.split()) > 30:
            continue
        parts = [lines[i - 1], line] if i and _is_force_line(lines[i - 1]) else [line]
        for nxt in lines[i + 1:i + 5]:
            if _STOP_RE.match(nxt) or _is_sentence(nxt) or len(nxt.split()) > 20 or nxt.endswith("."):
                break
            if not (nxt[:1].islower() or _CONTINUES_RE.match(nxt) or _is_force_line(nxt) or _CONNECTOR_RE.search(parts[-1])):
                break
            parts.append(nxt)
        return _tidy_title(_join_title(parts))
    return None


def _letter_subject(lines: list[str], dear: int) -> str | None:
    """The subject line printed after 'Dear ...' (and a wrapped second line), if there is one."""
    parts: list[str] = []
    for line in lines[dear + 1:dear + 3]:
        if _is_sentence(line) or line.endswith(".") or len(line.split()) > 25 or _STOP_RE.match(line):
            break
        if parts and not (line[:1].islower() or _CONNECTOR_RE.search(parts[-1])):
            break
        parts.append(line)
    return _tidy_title(_join_title(parts)) if parts else None


def _fallback_title(lines: list[str], sections: tuple[Section, ...]) -> str:
    for section in sections:
        if section.kind not in {"front_matter", "contents"}:
            if ":" in section.heading or "inspection" in section.heading.lower():
                return section.heading
            break
    for line in lines[:10]:
        if 2 <= len(line.split()) <= 25 and not _STOP_RE.match(line) and not _is_sentence(line):
            return _tidy_title(line)
    return lines[0] if lines else "Untitled report"


def _mentions(text: str) -> Counter[str]:
    """Force mentions by full name, or all mentions when no full name is used."""
    found = find_forces(text)
    return Counter(m.force for m in found if m.full_name) or Counter(m.force for m in found)


def _force(text: str, title: str, address: list[str], front: list[str]) -> str | None:
    """The force a report is about: the one its title names, else the addressee of a letter, else the one
    its cover names, else the one named far more often than any other; None for reports on many forces."""
    for candidates in ([title], address, front):
        for line in candidates:
            if found := find_forces(line):
                return ([m for m in found if m.full_name] or found)[0].force
    counts = _mentions(text)
    if not counts or len(counts) >= _NATIONAL_FORCE_COUNT or _NATIONAL_RE.search(text[:8000]):
        return None
    (best, n), *rest = counts.most_common(2)
    return best if n >= 3 and n >= 2 * (rest[0][1] if rest else 0) else None


def _report_type(title: str, force: str | None, is_letter: bool) -> str:
    t = title.lower()
    if is_letter:
        return "letter"
    if "custody" in t:
        return "custody"
    if re.search(r"crime[- ]data integrity|crime[- ]recording|data integrity", t):
        return "crime_data_integrity"
    if force and re.search(r"\bpeel\b|police (?:effectiveness|efficiency|legitimacy|leadership)", t):
        if "vulnerability" in t:
            return "vulnerability"
        main = re.sub(r"\(including [^)]*\)", "", t)  # 'PEEL: Police efficiency (including leadership) 2017'
        pillars = [p for p in ("effectiveness", "efficiency", "legitimacy", "leadership") if p in main]
        return f"peel_{pillars[0]}" if len(pillars) == 1 else "peel"
    if force and re.search(r"vulnerab|domestic abuse|child protection|missing children|sexual exploitation", t):
        return "vulnerability"
    if force and re.search(r"core business|crime inspection", t):
        return "crime_inspection"
    if force is None or re.search(r"\bnational\b|thematic|state of policing", t):
        return "thematic"
    return "other"


def document_facts(text: str, sections: tuple[Section, ...]) -> DocumentFacts:
    """Title, force, year, publication date and report type of a report, read from its text.

    Year: the inspection year its title names ('PEEL: Police effectiveness 2015' is 2015 though
    published in 2016; 'PEEL 2018/19' is 2018), else the year of the letter's date, else of the first
    date on the cover (a custody report's inspection dates), else of its copyright line.
    """
    lines = _front_lines(text)
    dear = next((i for i, line in enumerate(lines[:30]) if _DEAR_RE.match(line)), None)
    is_letter = dear is not None and bool(_CLOSING_RE.search(text, text.find(lines[dear])))
    address = lines[:dear] if is_letter else []
    cover = lines if not is_letter else lines[dear + 1:]
    title = (_letter_subject(lines, dear) if is_letter else _cover_title(cover)) or ""
    force = _force(text, title, address, [line for line in cover[:15] if len(line.split()) <= 12 and line[-1:] != "."])
    if not title:
        title = f"Letter to {force}" if is_letter and force else _fallback_title(lines, sections)
    dates = _dates(address if is_letter else lines)
    published = next((_iso(m) for m in dates if not m.group("range")), None)
    year = next((int(m.group(1)) for m in _YEAR_RE.finditer(title)), None)
    year = year or next((int(m.group("year")) for m in dates), None)
    year = year or next((int(m.group(1)) for line in lines if (m := _COPYRIGHT_RE.match(line))), None)
    warnings = () if force else ("no single police force recognised in the text: force left empty",)
    return DocumentFacts(title=title, force=force, year=year, published=published,
                         report_type=_report_type(title, force, is_letter), warnings=warnings)
