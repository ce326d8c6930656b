"""Report metadata read from the text itself: title, force, inspection period, publication date, type.

File names are never consulted: the same report under any name gets the same metadata. What is
read, from where and in which order is described in docs/ingest-metadata.md.

The theme vocabulary lives in ``ingest.themes``; its names are re-exported here for callers that
import them from this module.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ingest.dates import DATE_RE, MONTH_RE, find_periods, iso_from_match, labelled_date
from ingest.docperiod import inspection_period
from ingest.forces import canonical_force, find_forces
from ingest.furniture import is_date_label, is_furniture, is_site_name, page_top, strip_skip_link
from ingest.textutil import strip_markers
from ingest.themes import THEMES, classify_theme, resolve_theme, theme_scores
from ingest.types import GRADES, Section

__all__ = ["REPORT_TYPES", "THEMES", "DocumentFacts", "canonical_grade", "classify_theme", "document_facts",
           "resolve_report_type", "resolve_theme", "theme_scores"]

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
    "news_release": "News release",
    "panel_paper": "Police and crime panel paper",
    "other": "Other",
}
"""Report types: id -> label.

A report's *family* is its type with its period: 'peel' covers the PEEL force summary pages of
2014-2017, the integrated PEEL 2018/19 reports and the PEEL 2021/22 and 2023-25 reports, told apart
by ``ReportMeta.year``..``year_to``; 'crime_inspection' the 2014 crime (PEEL interim) inspections.
A news release or panel paper carries the type of the report it discusses in ``about_type``.
"""

_DAY_RE = r"\d{1,2}(?:st|nd|rd|th)?"
_MONTH_RE = MONTH_RE
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
_LETTER_TITLE_RE = re.compile(r"\bletter\b", re.I)
_NATIONAL_RE = re.compile(r"\b(?:all|each of the|the) 43 (?:police )?forces\b|\b43 (?:territorial )?police forces\b"
                          r"|\bnational (?:overview|report|thematic)\b", re.I)
_NATIONAL_FORCE_COUNT = 8
_LISTED_FORCES = 3
"""Cover or front lines naming this many different forces list reports; they do not say whose a page is."""
"""A report naming this many different forces (and none in its title) is about policing nationally."""


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



_RELEASE_NUMBER_RE = re.compile(r"^#\s?\d{1,4}/((?:19|20)\d\d)(?:\s+|$)")  # on the headline's line or its own
_RELEASE_RE = re.compile(r"^(?:(?:news|press|media) release\b|for immediate release\b)", re.I)
_NOTES_TO_EDITORS_RE = re.compile(r"^notes? (?:to|for) editors:?$", re.I | re.M)
_PANEL_RE = re.compile(r"\b(?:police(?:,)? (?:fire (?:and|&) )?(?:and )?crime|police, crime and victims['’]?) panel\b", re.I)
_PAPER_RE = re.compile(r"\bagenda item\b|\bpurpose of (?:the|this) (?:report|paper)\b|\breport (?:of|by|from) the\b|"
                       r"\brecommendations?\s*:|\bthat the panel\b|\bfor (?:information|noting|decision)\b|"
                       r"\bdate of meeting\b", re.I)
_AGENDA_LINE_RE = re.compile(r"^agenda item\b", re.I)
_MINUTES_RE = re.compile(r"^minutes:?$", re.I | re.M)
_PANEL_WORD_RE = re.compile(r"\b(?:the|this) Panel\b|\bPanel (?:members|notes|noted|was|were|considered|asked)\b")
_TODAY_RE = re.compile(  # what a news item says of a report; a report says 'we found'
    r"\b(?:has|have) (?:today )?published\b[^.\n]{0,80}\btoday\b|\b(?:has|have) today published\b|\bpublished today\b"
    r"|\b(?:the (?:police )?inspectorate|inspectors) (?:has |have )?said\b", re.I)
_SUBJECT_LINE_RE = re.compile(r"\b(?:PEEL|HMICFRS|HMIC|inspection|inspectorate)\b", re.I)
_EXPLICIT_FORCE_RE = re.compile(  # phrases that say which force a text is about
    r"\b(?:an? )?(?:inspection|assessment|review|report) (?:of|into|on|for) (?:the )?(?=\S)|"
    r"\bcustody (?:suites )?in (?=[A-Z])|\bpolice custody in (?=[A-Z])|\bthe force in (?=[A-Z])|"
    r"\bassessment of (?=[A-Z])", re.I)
_LEAD_PEEL_RE = re.compile(  # PEEL by its name, or spelt out
    r"\bPEEL\b|\b(?:effectiveness|efficiency),? (?:effectiveness|efficiency),? and legitimacy\b", re.I)
_LEAD_CDI_RE = re.compile(r"\bcrime[- ]data[- ]integrity\b", re.I)
_CDI_CUES: tuple[re.Pattern[str], ...] = tuple(re.compile(p, re.I) for p in (
    # what a crime data integrity inspection does, in the words its opening paragraphs use
    r"\brecording rates?\b|\brecords? (?:around |about |approximately |an estimated )?\d[\d.]* ?(?:%|per ?cent)",
    r"\b(?:inspection|audit|review) of (?:its |the force['’]s )?crime[- ]recording\b|\bcrime[- ]recording "
    r"(?:arrangements|practices|processes|standards|accuracy|decisions)\b",
    r"\b(?:accurate(?:ly)?|accuracy)\b[^.\n]{0,60}\brecord|\brecord\w*\b[^.\n]{0,60}\baccurate(?:ly)?\b",
    r"\b(?:audit\w*|examined|reviewed|dip[- ]sampl\w*)\b[^.\n]{0,60}\b(?:crime|incident) records?\b"
    r"|\b(?:audit\w*|examined|reviewed)\b[^.\n]{0,40}\breports? of crime\b",
    r"\bHome Office Counting Rules\b|\bNational Crime Recording Standard\b|\bHOCR\b|\bNCRS\b",
))
_TODAY_CHARS = 400
"""A news item says in its first paragraph that the report it is about was published today."""
_LEAD_CHARS = 2500
"""The first paragraphs, where a page or release says which force, period and report it is about."""
_OPENING_CHARS = 1200
"""The opening paragraph or two, where a report says what kind of inspection it is."""


@dataclass(frozen=True)
class DocumentFacts:
    title: str
    force: str | None
    year: int | None
    published: str | None
    report_type: str
    warnings: tuple[str, ...] = ()
    year_to: int | None = None
    about_type: str | None = None


def _clean_line(line: str) -> str:
    """One line without footnote markers, dot leaders or a contents page number."""
    line = " ".join(strip_markers(line).split())
    return re.sub(r"\s*\.{3,}\s*\d*$|\s*\.{3,}", "", line).strip()


def _front_lines(text: str, limit: int = 40) -> list[str]:
    """The cover and front matter: the first ``limit`` lines that are not site furniture, up to a
    'Contents' line when there is one."""
    lines = []
    raw_lines = text[:20000].split("\n")
    top = page_top(raw_lines)
    for n, raw in enumerate(raw_lines):
        line = _clean_line(strip_skip_link(raw) if n < 20 else raw)
        if line and n not in top and not is_furniture(line, edge=len(lines) < 12):
            lines.append(line)
        if len(lines) >= limit:
            break
    contents = next((i for i, line in enumerate(lines) if line.lower() in {"contents", "table of contents"}), 0)
    return lines[:contents] if contents >= 2 else lines


def _is_sentence(line: str) -> bool:
    return line.endswith((".", ";")) and len(line.split()) > 12


def _dates(lines: list[str]) -> list[re.Match[str]]:
    """Dates printed on cover or letter lines (not inside sentences), in order."""
    return [m for line in lines if not _is_sentence(line) for m in DATE_RE.finditer(line)]


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
    title = re.sub(r"^(PEEL\s+(?:19|20)\d\d\s*[/–-]\s*\d\d(?:\d\d)?)\s+(?=Police\b)", r"\1 – ", title)
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


_LINK_LINE_RE = re.compile(r"\((?:PDF|ODT|DOCX?|XLSX?|CSV|HTML)\b[^)]*\)\s*$|\binfographic\b", re.I)
_ADDRESS_RE = re.compile(r"^(?:https?://|www\.)\S+$")
_HEADING_LINES = 12
"""A page's heading stands within its first lines, before its first paragraph."""


def _heading_shaped(line: str, words: int) -> bool:
    return len(line.split()) <= words and not line.endswith((".", ":", ";", ",")) and not DATE_RE.search(line) \
        and not is_date_label(line) and not _LINK_LINE_RE.search(line) and bool(find_periods(line))


def _page_heading(lines: list[str]) -> str | None:
    """A web page's own heading: a force and a period in a few words ('Norfolk 2016', 'Kent 2018/19',
    'Lancashire PEEL 2015', 'PEEL 2021/22: An inspection of Staffordshire Police'), the first such
    line above the page's first paragraph, after what is left of its breadcrumb ('PEEL 2016',
    'Norfolk'); else its first line (after the page's address, if saved with it) when that is a
    force or PEEL with a period. A download link ('... (PDF document)') is never the heading."""
    for line in lines[:_HEADING_LINES]:
        if _is_sentence(line) or len(line.split()) > 25:
            break
        if _heading_shaped(line, 14) and find_forces(line) and not _ADDRESS_RE.match(line):
            return _tidy_title(line) if _TITLE_START_RE.match(line) else line
    line = next((line for line in lines[:3] if not _ADDRESS_RE.match(line)), None)
    if line is None or not _heading_shaped(line, 8) or _TITLE_START_RE.match(line):
        return None
    return line if find_forces(line) or re.search(r"\bPEEL\b", line) else None


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


def _panel_title(lines: list[str]) -> str | None:
    """The item a panel paper is about: the first short line naming an inspection or PEEL report
    that is not the panel's or the commissioner's own heading."""
    for line in lines[:25]:
        if _SUBJECT_LINE_RE.search(line) and not _PANEL_RE.search(line) and not _is_sentence(line) \
                and len(line.split()) <= 40 and not line.endswith(".") and not is_date_label(line):
            title = re.sub(r"^(?:agenda item|item|subject|title|report title)\s*[\d.]*\s*[:–-]?\s*", "", line,
                           flags=re.I)
            return " ".join(title.split()).strip(" –—-:,'‘’\"")
    return None


def _fallback_title(lines: list[str], sections: tuple[Section, ...]) -> str:
    for section in sections:
        if section.kind not in {"front_matter", "contents"}:
            if ":" in section.heading or "inspection" in section.heading.lower():
                return section.heading
            break
    for line in lines[:10]:
        if 2 <= len(line.split()) <= 25 and not _STOP_RE.match(line) and not _is_sentence(line) \
                and not is_date_label(line):
            return _tidy_title(line)
    return lines[0] if lines else "Untitled report"


def _mentions(text: str) -> Counter[str]:
    """Force mentions by full name, or all mentions when no full name is used."""
    found = find_forces(text)
    return Counter(m.force for m in found if m.full_name) or Counter(m.force for m in found)


def _explicit_force(text: str) -> str | None:
    """The force a phrase names as the subject: 'An inspection of Kent Police', 'police custody in
    Gwent', 'the force in Essex', 'PEEL assessment of Norfolk Constabulary'."""
    for phrase in _EXPLICIT_FORCE_RE.finditer(text):
        found = find_forces(text[phrase.end():phrase.end() + 60])
        if found and found[0].start == 0:
            return found[0].force
    return None


def _lead_force(lead: str) -> str | None:
    """The force the first paragraphs of a page or release are about: the only force they name by
    its full name ('Norfolk Constabulary keeps ...') or by a name only a force has ('the Met', 'MPS'),
    or 'the Merseyside force'."""
    full = {m.force for m in find_forces(lead)  # a full name, or a name only a force has ('the Met', 'GMP')
            if m.full_name or m.matched.isupper() or m.matched.lower().startswith("the ")}
    if len(full) == 1:
        return full.pop()
    if not full:
        local = re.finditer(r"\b[Tt]he ([A-Z][\w&' -]{2,40}?) (?:force|constabulary|report|inspection)\b", lead)
        return next((force for m in local if (force := canonical_force(m.group(1)))), None)
    return None


def _force(text: str, title: str, address: list[str], front: list[str], lead: str) -> str | None:
    """The force a report is about.

    In order: the force a subject phrase names in the title, cover or first paragraphs ('An
    inspection of ...', 'Police custody in ...'); the one its title names; the addressee of a letter;
    the one its cover names; the only one its first paragraphs name by full name; else the one named
    far more often than any other. None for reports on many forces.
    """
    for place in (title, "\n".join(front), lead):
        if explicit := _explicit_force(place):
            return explicit
    if len({m.force for line in front for m in find_forces(line)}) >= _LISTED_FORCES:
        front = []  # a list of force reports under a national page's title
    for candidates in ([title], address, front):
        for line in candidates:
            if found := find_forces(line):
                return ([m for m in found if m.full_name] or found)[0].force
    if not _NATIONAL_RE.search(lead) and (leading := _lead_force(lead)):
        return leading
    counts = _mentions(text)
    if not counts or len(counts) >= _NATIONAL_FORCE_COUNT or _NATIONAL_RE.search(text[:8000]):
        return None
    (best, n), *rest = counts.most_common(2)
    return best if n >= 3 and n >= 2 * (rest[0][1] if rest else 0) else None


def _type_from_title(title: str, force: str | None) -> str:
    t = title.lower()
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


def _cdi_at(lead: str) -> int | None:
    """Where the first paragraphs say the report is a crime data integrity inspection: where they
    name one, or where they have described what one does in two ways (a recording rate, an audit of
    crime records, how accurately crime is recorded, the counting rules); None when they do not."""
    named = _LEAD_CDI_RE.search(lead)
    cues = sorted(m.start() for cue in _CDI_CUES if (m := cue.search(lead)))
    found = [at for at in (named.start() if named else None, cues[1] if len(cues) >= 2 else None) if at is not None]
    return min(found) if found else None


def _says_cdi(lead: str) -> bool:
    """A crime data integrity inspection by its opening paragraph(s), not a PEEL page that goes on to
    recall one ('Our 2017 crime data integrity inspection found ...')."""
    at = _cdi_at(lead)
    peel = _LEAD_PEEL_RE.search(lead)
    return at is not None and at < _OPENING_CHARS and (peel is None or at < peel.start())


def _report_type(title: str, force: str | None, lead: str) -> str:
    """The type a title names; else a force report whose opening paragraph says it is a crime data
    integrity inspection (an inspection of the service to victims, say) is 'crime_data_integrity',
    and a force page whose first paragraphs speak of its PEEL assessment is 'peel'."""
    found = _type_from_title(title, force)
    if found == "other" and force and _says_cdi(lead):
        return "crime_data_integrity"
    if found == "other" and force and _LEAD_PEEL_RE.search(lead):
        return "peel"
    return found


def _about_type(candidates: list[str], force: str | None, lead: str) -> str | None:
    """The type of the report a news release or panel paper discusses, from its headline and lines,
    else from its first paragraphs when they say it is a crime data integrity inspection."""
    for line in candidates:
        found = _type_from_title(line, force)
        if found not in {"other", "thematic"}:
            return found
    if force is None:
        return "thematic"
    return "crime_data_integrity" if _says_cdi(lead) else None


def _lead(text: str, skip: int = 0) -> str:
    """The first paragraphs after the title lines, with site furniture left out."""
    body = [line for line in text[skip:skip + _LEAD_CHARS * 2].split("\n") if line.strip()
            and not is_furniture(line) and not is_date_label(line)]
    return "\n".join(body)[:_LEAD_CHARS]


def _published(lines: list[str], letter_dates: list[re.Match[str]] | None) -> str | None:
    """The publication date: a labelled 'Published' date, else a letter's date, else the latest
    'Last updated' date, else the first single date on the cover."""
    labelled = [found for line in lines if (found := labelled_date(line))]
    stated = next((d.iso for d in labelled if not d.is_update), None)
    updated = max((d.iso for d in labelled if d.is_update), default=None)
    covers = [iso_from_match(m) for m in (letter_dates if letter_dates is not None else _dates(lines))
              if not m.group("range")]
    if letter_dates is not None:
        return stated or next(iter(covers), None) or updated
    return stated or updated or next(iter(covers), None)


def document_facts(text: str, sections: tuple[Section, ...]) -> DocumentFacts:
    """Title, force, inspection period, publication date and report type of a report, read from its
    text alone. What is read, and in which order: docs/ingest-metadata.md."""
    lines = _front_lines(text)
    dear = next((i for i, line in enumerate(lines[:30]) if _DEAR_RE.match(line)), None)
    is_letter = dear is not None and bool(_CLOSING_RE.search(text, text.find(lines[dear])))
    release = next((m for line in lines[:3] if (m := _RELEASE_NUMBER_RE.match(line))), None)
    is_panel = not is_letter and (bool(_PANEL_RE.search(text[:4000])) and bool(_PAPER_RE.search(text[:4000]))
                                  or any(_AGENDA_LINE_RE.match(line) for line in lines[:4])  # a minutes page
                                  and bool(_PANEL_WORD_RE.search(text[:4000]) or _MINUTES_RE.search(text[:4000])))
    is_release = not is_letter and not is_panel and (
        release is not None or any(_RELEASE_RE.match(line) for line in lines[:4])
        or bool(_NOTES_TO_EDITORS_RE.search(text)) or bool(_TODAY_RE.search(_lead(text)[:_TODAY_CHARS])))
    address = lines[:dear] if is_letter else []
    cover = lines if not is_letter else lines[dear + 1:]
    subject = _panel_title(lines) if is_panel else None
    if is_letter:
        title = _letter_subject(lines, dear) or ""
    elif is_release:
        headline = next((line for line in lines if not _RELEASE_RE.match(line) and not is_site_name(line)
                         and not DATE_RE.fullmatch(line) and not is_date_label(line)
                         and _RELEASE_NUMBER_RE.sub("", line).strip()), "")
        title = _RELEASE_NUMBER_RE.sub("", headline).strip(" –—-:")
    else:
        title = subject or _page_heading(lines) or _cover_title(cover) or ""
    found_at = text.find(lines[0]) if lines and not is_letter else -1
    lead = _lead(text, found_at + len(lines[0]) if found_at >= 0 else 0)
    front = [line for line in cover[:15] if len(line.split()) <= 12 and line[-1:] != "."
             and not _LINK_LINE_RE.search(line)]  # a download link names another document
    force = _force(text, title, address, front, lead)
    if not title:
        title = f"Letter to {force}" if is_letter and force else _fallback_title(lines, sections)
    dates = _dates(address if is_letter else lines)
    published = _published(lines, dates if is_letter else None)
    release_year = int(release.group(1)) if release else None
    period = inspection_period(text, title, None if is_letter else lead, subject, lines,
                               int(dates[0].group("year")) if dates else None, published, release_year,
                               discusses=is_release or is_panel)
    if is_letter or (_LETTER_TITLE_RE.search(title) and _CLOSING_RE.search(text)):  # a letter shown as a page
        report_type, about = "letter", None
    elif is_release or is_panel:
        report_type = "news_release" if is_release else "panel_paper"
        about = _about_type([title, *(line for line in lines[1:25] if _SUBJECT_LINE_RE.search(line))], force, lead)
    else:
        report_type, about = _report_type(title, force, lead), None
    warnings = () if force else ("no single police force recognised in the text: force left empty",)
    return DocumentFacts(title=title, force=force, year=period.year_from if period else None, published=published,
                         report_type=report_type, warnings=warnings, year_to=period.year_to if period else None,
                         about_type=about)
