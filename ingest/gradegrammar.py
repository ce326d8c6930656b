"""The words of graded judgments: the grade vocabulary, the small grammar that finds a grade, its
predicate and its area in a sentence, and the helpers that read table and label lines
(used by ``ingest.grades``, whose docstring describes the shapes read)."""

from __future__ import annotations

import re

from ingest.areas import area_key
from ingest.dates import find_periods
from ingest.forces import find_forces
from ingest.textutil import FOOTNOTE_MARKER_RE
from ingest.types import GRADES

GRADE_WORDS = (r"outstanding|good|adequate|inadequate|requir(?:es|e|ed|ing) improvement|not yet graded|to be graded"
               r"|not graded")
GRADE_RE = re.compile(rf"(?<![\w-])['\"‘“]?({GRADE_WORDS})['\"’”]?(?![\w-])", re.I)
LINE_GRADE_RE = re.compile(
    rf"^\s*(?:(?:overall\s+)?judg(?:e)?ment\s*[:–-]\s*)?['\"‘“]?({GRADE_WORDS})['\"’”]?\s*\.?\s*$", re.I)
ADVERBS = r"(?:(?:also|still|now|generally|overall|currently|consistently|again|broadly|largely|mostly|clearly)\s+)*"
PRED_RE = re.compile(
    r"(?:\b(?:is|are|was|were|be|been|being|remains?|remained)\b\s+" + ADVERBS +
    r"(?:(?:judged|graded|assessed|rated|found|considered|deemed)\s+" + ADVERBS + r"(?:to be|as)?\s*)?(?:as\s+)?"
    r"|\b(?:judged?s?|graded|assessed|rated|found|considered)\s+(?:[\w'’-]+\s+){0,6}?(?:(?:to be|as)\s+)?" + ADVERBS +
    r"|\bremains?\s+as\s+|(?<=\w)\s*:\s*|\b(?:is|are|was|were)\s*:\s*)$",
    re.I,
)
RI_BEFORE_RE = re.compile(r"(?:\b(?:to|and|that|which|it|but|also|still|now|generally)|[\w'’)]|^|^\s*[-•*·▪])\s*$",
                          re.I)
FOLLOW_RE = re.compile(
    r"^\s*(?:$|[.;,:)!?]|[-–—]\s|\b(?:at|in|for|overall|on|with|across|and|but|however|when|because|since|this|"
    r"last|compared|again|too|as well|both|once|from|against|while|whereas)\b)", re.I)
CLAUSE_END_RE = re.compile(r";|,?\s+but\b|,\s+(?:and|while|whereas|although|though|however)\b|\.\s|\s+because\b|"
                           rf"\s+and\s+(?=(?:{GRADE_WORDS})\b)|$", re.I)  # '... for efficiency and good at ...'

CLAUSE_START_RE = re.compile(r"[;:]\s|,?\s+but\s|,\s+(?:and|while|whereas|however,?)\s|\bhowever,\s|\bwhen\s", re.I)
HYPOTHETICAL_RE = re.compile(r"\b(?:if|whether|would|could|should|might|will be|to achieve|aims? to|expects? to)\b",
                             re.I)
THIS_AREA_RE = re.compile(r"^\s*(?:in|for|at)\s+(?:this|that|these) (?:area|question|pillar)s?\b", re.I)
PAST_RE = re.compile(r"\blast year(?:['’]s)?\b|\bprevious year\b|\ba year (?:ago|earlier)\b", re.I)
UNDATED_PAST_RE = re.compile(r"\b(?:previous(?:ly)?|last|earlier|prior) (?:inspection|assessment|report)s?\b"
                             r"|\bpreviously\b", re.I)
CURRENT_RE = re.compile(r"\bthis year\b|\bnow\b|\bthis (?:inspection|assessment|report|time)\b|\bsince\b", re.I)
AFTER_MARKER_RE = re.compile(  # 'good at investigating crime in 2016', '... in last year's inspection'
    r"^(?:(?!\b(?:as|when|was|were|is|are|has|had|but|and)\b)[^,;])*?\b(?:in|during)\s+"
    r"(?P<when>(?:(?:our|the|its|HMIC\w*['’]s)\s+)?(?:(?:19|20)\d\d(?:/\d\d)?|last year\b))", re.I)
SINCE_YEAR_RE = re.compile(r"\bsince\s+(?:our |the |its |HMIC\w*['’]s )?$", re.I)
COUNT_LEAD_RE = re.compile(r"\bin (?:the following|these|(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten))"
                           r" (?:areas?|questions?)\b", re.I)
LABEL_LINE_RE = re.compile(r"^(?:overall judg(?:e)?ment|judg(?:e)?ment|our judg(?:e)?ments?|graded judg(?:e)?ments?|"
                           r"last updated\b.*|published\b.*|updated\b.*)$", re.I)
GENERIC_HEADINGS = {"summary", "summary of findings", "overall summary", "executive summary", "main findings",
                    "findings", "key findings", "our judgments", "our judgements", "conclusion", "conclusions",
                    "overview", "introduction", "hmi's observations", "hm inspector's observations"}
AREA_LINE_RE = re.compile(
    rf"^\s*(?:[-•*·▪]\s*)?(?P<area>(?:[A-Z(]|(?:19|20)\d\d\b)[^:\t\n]{{2,150}}?)\s*(?:[:–—|]|\s-)?\s+['\"‘“]?(?P<grade>{GRADE_WORDS})"
    r"['\"’”]?\s*[.;,]?\s*$", re.I)
QUICK_RE = re.compile(r"good|outstanding|adequate|improvement|graded", re.I)
ENDS_WITH_GRADE_RE = re.compile(r"(?:good|outstanding|adequate|improvement|graded)\W{0,4}$", re.I)
SKIP_KINDS = {"annex", "contents", "causes_of_concern", "recommendations", "areas_for_improvement"}
FINDINGS_HEADING_RE = re.compile(r"^(?:causes? of concern|recommendations?|areas? for improvement)\b", re.I)
ANNEX_RE = re.compile(r"^(?:annex|appendix)\b", re.I)  # methodology: what each grade means, not a grade given
FORCE_WORDS_RE = re.compile(r"\b(?:the force|the constabulary|the service|it|its|they)\b", re.I)

def column_periods(cells: list[str]) -> list[tuple[int, int] | None]:
    """Each header cell's period when it names one ('2015 judgment', 'Grade 2018/19'), else None."""
    out: list[tuple[int, int] | None] = []
    for cell in cells:
        found = find_periods(cell)
        out.append((found[0][0].year_from, found[0][0].year_to) if len(found) == 1 and len(cell.split()) <= 4 else None)
    return out


LISTED_RE = re.compile(r"^\s*(?:in|for|at)\s+(?:the following|all|\d+|two|three|four|five|six|seven|eight|nine)"
                       r"(?:\s+\w+)?\s+(?:areas?|questions?)\s*:\s*(.+)$", re.I)


def coordinated(complement: str) -> list[str]:
    """The areas of a complement that coordinates several ('at preventing crime, at investigating
    crime and at protecting vulnerable people'): one grade for each. Empty unless every part names one."""
    listed = LISTED_RE.match(complement)
    if listed:  # 'in three areas: A, B and C'
        parts = [p.strip(" .;") for p in re.split(r",\s*(?:and\s+)?", listed.group(1)) if p.strip(" .;")]
        last = re.split(r"\s+and\s+", parts[-1]) if parts else []
        if len(last) == 2 and all(area_key(p) for p in last):
            parts[-1:] = last
    else:
        parts = re.split(r",\s*(?:and\s+)?(?=(?:at|in)\s)|\s+and\s+(?=(?:at|in)\s)", complement)
    keys = [area_key(part) for part in parts]
    if len(parts) < 2 or any(k is None or k == "overall" for k in keys):
        return []
    return list(dict.fromkeys(k for k in keys if k))


def canonical(word: str) -> str | None:
    """'requires improvement', 'Good', 'not yet graded' -> a grade of GRADES, or None for an ungraded mark."""
    low = " ".join(word.lower().split())
    if low.startswith("requir"):
        return "Requires improvement"
    return next((g for g in GRADES if g.lower() == low), None)


def clean_line(line: str) -> str:
    return " ".join(FOOTNOTE_MARKER_RE.sub("", line).split()).strip()


def normal_line(text: str) -> str:
    return clean_line(text).replace("’", "'").rstrip(":").lower()


def is_run_line(line: str) -> bool:
    """A short line with no sentence ending: a heading, a label or a grade (tables are read apart)."""
    text = clean_line(line)
    if "\t" in line or not text:
        return False
    if LINE_GRADE_RE.match(text) or LABEL_LINE_RE.match(text):
        return True
    return len(text.split()) <= 30 and not text.endswith((".", ";", ",", ":")) and not text.startswith(("-", "•"))


def subject_force(subject: str) -> str | None:
    found = find_forces(subject)
    return found[-1].force if found else None


def area_words(subject: str, complement: str) -> str:
    """The words of a sentence that name the area, as stated."""
    words = complement if re.match(r"^\s*(?:at|in|for|on)\b", complement, re.I) and area_key(complement) else subject
    return " ".join(words.split()).strip(" ,;:–-'‘’\"") or subject.strip()
