"""Findings across years: graded judgments, areas for improvement, recommendations, causes of
concern and critical findings as data, with their trail through later reports on the same force.

Extraction reads the sections the ingest stage produced (kind, judgment, question, theme) and
runs at index build time for new and changed reports only; the rows of unchanged reports and the
vectors of their finding texts are copied from the previous generation, like chunks. Trails link
reports, so they are recomputed at the end of every build from the stored sentence vectors
(nothing in the corpus is encoded again). Everything is stored beside the chunk store in
``findings.sqlite`` (rows as JSON) and ``findings.npy`` (finding vectors); nothing is pickled.

Public API (used by the command line and the app)::

    grades(searcher, force=None) -> list[Grade]
    findings(searcher, force=None, theme=None) -> list[FindingWithTrail]
    comparable(a, b) -> bool
    grade_answer(searcher, question, filters=None) -> Answer | None
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ingest.forces import canonical_force, find_forces
from ingest.metadata import THEMES, canonical_grade, resolve_theme, theme_scores
from ingest.textutil import normalise_for_match, sentence_spans, strip_markers
from ingest.types import GRADES
from search.dense import dequantize
from search.index_io import IndexCorruptError, IndexError_

if TYPE_CHECKING:
    from search.answer import Answer
    from search.embed import Embedder
    from search.retriever import Searcher
    from search.store import Filters

FINDINGS_DB = "findings.sqlite"
FINDINGS_VECTORS = "findings.npy"
EXTRACTOR_VERSION = 1
"""Bump when extraction changes: findings of unchanged reports are then extracted again."""

FIVE_GRADE_FROM = 2021
"""PEEL graded on four levels (no 'Adequate') up to 2020 and on five from 2021/22."""
SCALES = ("four-grade", "five-grade")
STATUSES = ("addressed", "in progress", "not addressed", "unclear")
FINDING_KINDS = ("area_for_improvement", "recommendation", "cause_of_concern", "critical_finding")
_SECTION_KINDS = {"areas_for_improvement": "area_for_improvement", "recommendations": "recommendation",
                  "causes_of_concern": "cause_of_concern"}

# Trail matching (calibrated on the sample reports; README, "Findings across years").
# A passage's score is half the cosine of the finding to the passage's paragraph (the mean of its
# sentence vectors) plus half the cosine to its best sentence.
TRAIL_THRESHOLD = 0.62
"""A later passage in a section of the finding's theme revisits it from this score up."""
CROSS_THEME_THRESHOLD = 0.72
"""A passage in a section of another theme must score this much (summaries, reorganised reports)."""
LINKS_PER_REPORT = 3
"""At most this many passages of one later report are linked to one finding."""
_SKIP_LATER_KINDS = {"front_matter", "contents", "annex", "data", "introduction", "letter_heading"}


class FindingsUnavailableError(IndexError_):
    """The index was built before findings were extracted; the message says how to add them."""


# --- data -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Passage:
    """A verbatim quote and where it is: ``quote == section_text[start:end]``."""

    quote: str
    source: str
    title: str
    force: str | None
    year: int | None = field(metadata={"doc": "year of the report the quote is in"})
    report_type: str
    section: str = field(metadata={"doc": "section heading"})
    section_id: str
    page: int | None
    start: int
    end: int
    chunk_id: str | None = field(default=None, metadata={"doc": "the chunk holding the quote, if one does"})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Grade:
    """A graded judgment: the overall one (``question`` None) or one inspection question's."""

    force: str | None
    year: int | None
    report_type: str
    source: str
    title: str
    question: str | None = field(metadata={"doc": "the graded question; None for the overall judgment"})
    theme: str
    grade: str = field(metadata={"doc": "Outstanding | Good | Adequate | Requires improvement | Inadequate"})
    scale: str = field(metadata={"doc": "four-grade (PEEL to 2020) | five-grade (from 2021/22)"})
    citation: Passage
    previous_comparable: bool | None = field(
        default=None,
        metadata={"doc": "False when the force's previous grade on the same question/theme used the other "
                         "scale (not directly comparable); None when there is no earlier grade"})

    @property
    def level(self) -> int:
        """5 (Outstanding) down to 1 (Inadequate): higher is better, for charts."""
        return len(GRADES) - GRADES.index(self.grade)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["level"] = self.level
        return data

    def grid_row(self) -> dict[str, Any]:
        """The line ``inspectqa grades --json`` prints."""
        c = self.citation
        return {"force": self.force, "year": self.year, "report_type": self.report_type, "question": self.question,
                "theme": self.theme, "grade": self.grade, "scale": self.scale, "source": self.source,
                "section": c.section, "page": c.page, "title": self.title, "quote": c.quote,
                "section_id": c.section_id, "start": c.start, "end": c.end,
                "previous_comparable": self.previous_comparable}


@dataclass(frozen=True)
class Finding:
    """An area for improvement, recommendation, cause of concern or critical finding.

    ``recalled`` findings are earlier inspections' recommendations that a later report quotes
    ('HMIC's crime inspection in 2014 recommended that ...'): ``year`` is the earlier
    inspection's year while ``citation`` is in the later report.
    """

    finding_id: str
    kind: str = field(metadata={"doc": "area_for_improvement | recommendation | cause_of_concern | critical_finding"})
    text: str = field(metadata={"doc": "verbatim, == citation.quote"})
    force: str | None
    year: int | None = field(metadata={"doc": "the year the finding was made"})
    report_type: str
    source: str
    title: str
    question: str | None
    theme: str
    citation: Passage
    recalled: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TrailLink:
    """A later passage that revisits a finding, with what it says about progress."""

    finding_id: str
    status: str = field(metadata={"doc": "addressed | in progress | not addressed | unclear"})
    method: str = field(metadata={"doc": "semantic (matched by meaning) | explicit (the report refers back to it)"})
    score: float = field(metadata={"doc": "match score (explicit links: 1.0)"})
    cue: str | None = field(metadata={"doc": "the words that decided the status (verbatim in later.quote)"})
    earlier: Passage
    later: Passage

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FindingWithTrail:
    finding: Finding
    trail: tuple[TrailLink, ...] = field(metadata={"doc": "links ordered by later year, best first within a year"})

    @property
    def latest_status(self) -> str | None:
        """What the latest report that revisits the finding says (None when none does)."""
        if not self.trail:
            return None
        latest = max(link.later.year or 0 for link in self.trail)
        stated = [x for x in self.trail if (x.later.year or 0) == latest and x.status != "unclear"]
        return max(stated, key=lambda x: x.score).status if stated else "unclear"

    def to_dict(self) -> dict[str, Any]:
        return {**self.finding.to_dict(), "latest_status": self.latest_status,
                "trail": [link.to_dict() for link in self.trail]}


def comparable(a: Grade, b: Grade) -> bool:
    """Whether two grades are on the same scale and so directly comparable."""
    return a.scale == b.scale


# --- text helpers ---------------------------------------------------------------------------
_BULLET_RE = re.compile(r"^([ \t]*)(?:[-•–·▪●*]|\(?(?:\d{1,2}|[a-z]|[ivx]{1,4})[.)])[ \t]+")
_GENERIC_HEADINGS = {"summary of findings", "summary", "overview", "overall summary", "executive summary",
                     "areas for improvement", "recommendations", "causes of concern", "our judgments",
                     "overall judgment", "overall judgement"}
_OVERALL_RE = re.compile(r"^overview\b|\boverall\b|keeping people safe and reducing crime", re.I)


def _blocks(text: str) -> list[tuple[int, int]]:
    """Paragraphs of ``text``, each bullet item (with its indented sub-items) on its own."""
    spans: list[tuple[int, int]] = []
    start = end = None
    bullet_indent: int | None = None
    for match in re.finditer(r"[^\n]*", text):
        line = match.group()
        if match.start() > 0 and match.start() == end:
            continue  # the empty match right after a line
        if not line.strip():
            if start is not None:
                spans.append((start, end))
            start = end = None
            bullet_indent = None
            continue
        bullet = _BULLET_RE.match(line)
        indent = len(line) - len(line.lstrip())
        continues_item = bullet_indent is not None and (indent > bullet_indent or (not bullet and indent > 0))
        if start is not None and (continues_item or (bullet is None and bullet_indent is None)):
            end = match.end()
            continue
        if start is not None:
            spans.append((start, end))
        start, end = match.start() + (bullet.end() if bullet else indent), match.end()
        bullet_indent = indent if bullet else None
    if start is not None:
        spans.append((start, end))
    return [(a, b) for a, b in ((a, a + len(text[a:b].rstrip())) for a, b in spans) if b > a]


def _is_bullet_item(text: str, start: int) -> bool:
    """Whether offset ``start`` is at (or on) the marker of a bulleted line."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    marker = _BULLET_RE.match(text[line_start:len(text) if line_end < 0 else line_end])
    return marker is not None and start - line_start <= marker.end()


def _sentences(text: str, lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
    hi = len(text) if hi is None else hi
    return [(lo + a, lo + b) for a, b in sentence_spans(text[lo:hi])]


def _norm_key(text: str) -> str:
    """Normal form for spotting the same text printed twice ('an HMIC' / 'a HMIC')."""
    return " ".join(re.sub(r"\b(?:a|an|the)\b", " ", normalise_for_match(strip_markers(text))).split())


def _finding_id(*parts: object) -> str:
    return "f-" + hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:12]


# --- classifiers ----------------------------------------------------------------------------
_CONCESSION_RE = re.compile(r"^(?:although|though|while|whilst|despite|even though)\b[^,;]*[,;]\s*", re.I)
_NEUTRALISED_RE = re.compile(r"\b(?:does|do|did|will) not (?:inhibit|hinder|prevent|undermine|affect|detract)\w*",
                             re.I)
_WEAKNESS_RE = re.compile(
    r"\bnot (?:being )?(?:used |applied )?as (?:effective(?:ly)?|well|consistent(?:ly)?)\b|"
    r"\b(?:is|are|was|were) not (?:being )?(?:used|effective|consistent|sufficient|clear|able|adequate|always)\b|"
    r"\b(?:has|have|had) not\b|\b(?:does|do|did) not\b|\b(?:doesn't|don't|didn't|hasn't|haven't|cannot|can't)\b|"
    r"\b(?:not able|unable) to\b|\black(?:s|ed|ing)?\b|\bneeds? to\b|\bshould\b|\babsent\b|\bunclear\b|"
    r"\binconsisten\w*|\binsufficient\w*|\blimited\b|\bpoor(?:ly)?\b|\bweak(?:ness|nesses|er)?\b|\bnot fully\b|"
    r"\b(?:force|constabulary|officers|staff|supervisors|it|they)\s+(?:has\s+|have\s+|had\s+)?fail(?:s|ed)?\s+to\b|"
    r"\bno (?:clear|formal|overarching|consistent)\b|\b(?:is|are) still\b|\bstill to\b|\bdanger\b|\bat risk\b|"
    r"\brisks? (?:missing|that)\b|\bconcern(?:s|ed|ing)?\b|\bdisappoint\w*",
    re.I,
)


def is_critical(text: str) -> bool:
    """Whether a letter's finding states a weakness.

    A sentence is critical when, after setting aside a leading concession ('Although the force
    has a database ..., ') and negations that praise ('this does not inhibit ...'), it says
    something is missing, not done, not effective, inconsistent or should change.
    """
    for start, end in sentence_spans(text):
        sentence = _CONCESSION_RE.sub("", strip_markers(text[start:end]).strip())
        if _WEAKNESS_RE.search(_NEUTRALISED_RE.sub(" ", sentence)):
            return True
    return False


_NOT_YET_RE = re.compile(
    r"\b(?:has|have|had) not yet\b|\bnot yet (?:been )?(?:completed|implemented|addressed|resolved|achieved|"
    r"started|begun|in place|fully)\b|\byet to (?:be )?(?:complet|implement|address|resolv|start|begin)\w*", re.I)
_IN_PROGRESS_RE = re.compile(
    r"\b(?:is|are) (?:now )?making (?:some |good |steady |slow |reasonable )?progress\b|\bmade some progress\b|"
    r"\bsome progress\b|\b(?:has|have) (?:begun|started)\b|\b(?:is|are) (?:now )?(?:in the process of|beginning to|"
    r"starting to|working (?:towards|to)|developing|introducing|implementing|reviewing)\b|"
    r"\bwork is (?:ongoing|under ?way|continuing|in progress)\b|\bpartially\b|\bearly stages?\b|\bplans to\b|"
    r"\bmade a (?:good )?start\b|\b(?:more|further) work is (?:needed|required)\b", re.I)
_ADDRESSED_RE = re.compile(
    r"\b(?:has|have) (?:now |since |successfully |fully )?(?:addressed|resolved|implemented|completed|put in place|"
    r"established|introduced|acted on|responded to|improved)\b|\b(?:has|have) been (?:addressed|resolved|"
    r"implemented|completed|put in place)\b|\bnow (?:routinely |regularly |consistently |effectively )?(?:has|have|"
    r"uses?|evaluates?|ensures?|provides?|records?|shares?|understands?|reviews?|monitors?)\b|\bhas made "
    r"(?:good|significant|considerable|substantial|strong|real|clear) progress\b|\bno longer\b|"
    r"\bimproved (?:significantly|considerably|markedly)\b|\bsignificant improvements?\b", re.I)
_NOT_ADDRESSED_RE = re.compile(
    r"\b(?:has|have) not (?:yet )?(?:been )?(?:completed|implemented|addressed|resolved|acted on|made|taken|"
    r"put in place|developed|introduced|progressed|improved)\b|"
    r"\bstill\b(?=[^.;]{0,60}\b(?:not|no|lack\w*|needs?|more work|room for improvement|benefit|inconsisten\w*|"
    r"weak\w*|limited|absent|unclear|concern\w*|to do)\b)|"
    r"\bcontinues? to\b(?=[^.;]{0,40}\b(?:lack|struggle|fall short|be (?:a concern|an issue|a problem|"
    r"inconsistent|limited|weak|poor|unclear))\b)|\bremains? (?:a (?:concern|problem|weakness|risk|cause of "
    r"concern)|an (?:issue|area for improvement)|inconsisten\w*|limited|poor|weak|unclear|unresolved|outstanding)\b|"
    r"\b(?:no|little|limited) (?:evidence of )?progress\b|\bhas failed to\b|\bagain found\b|"
    r"\bnot (?:been )?(?:addressed|resolved)\b", re.I)


def status_of(text: str) -> tuple[str, str | None]:
    """The progress a passage reports on an earlier finding, and the words that say so.

    'has not yet completed' -> not addressed; 'is making progress', 'has begun', 'more work is
    needed' -> in progress; 'has addressed', 'now has', 'has improved', 'has made good progress'
    -> addressed; 'still lacks', 'remains a concern', 'continues to lack' -> not addressed; a
    passage with cues of both addressed and not addressed -> in progress; none -> unclear.
    """
    if match := _NOT_YET_RE.search(text):
        return "not addressed", match.group()
    if match := _IN_PROGRESS_RE.search(text):
        return "in progress", match.group()
    done, undone = _ADDRESSED_RE.search(text), _NOT_ADDRESSED_RE.search(text)
    if done and undone:
        return "in progress", (done if done.start() < undone.start() else undone).group()
    if done:
        return "addressed", done.group()
    if undone:
        return "not addressed", undone.group()
    return "unclear", None


# --- the index's text: reports, sections, chunks, sentences ---------------------------------
class _Corpus:
    """Read access to a generation's chunk store for extraction and trails."""

    def __init__(self, store_path: Path) -> None:
        self.con = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
        self.con.row_factory = sqlite3.Row
        self.reports = [dict(r) for r in self.con.execute(
            "SELECT source, title, force, year, report_type FROM reports ORDER BY force, year, source")]
        self._chunks: dict[str, list[tuple[int, int, str, int | None]]] = {}
        for r in self.con.execute("SELECT section_id, start, end_, chunk_id, page FROM chunks ORDER BY row"):
            self._chunks.setdefault(r[0], []).append((r[1], r[2], r[3], r[4]))

    def close(self) -> None:
        self.con.close()

    def sections(self, sources: Iterable[str]) -> list[dict[str, Any]]:
        sources = list(sources)
        if not sources:
            return []
        marks = ",".join("?" * len(sources))
        rows = self.con.execute(
            f"SELECT section_id, source, ordinal, heading, path, level, kind, question, theme, judgment, page, "
            f"text FROM sections WHERE source IN ({marks}) ORDER BY source, ordinal", sources)
        return [{**dict(r), "path": json.loads(r["path"] or "[]")} for r in rows]

    def locate(self, section_id: str, start: int, end: int) -> tuple[str | None, int | None]:
        """The chunk holding ``[start, end)`` of a section (else the one holding ``start``) and its page."""
        chunks = self._chunks.get(section_id, [])
        for a, b, chunk_id, page in chunks:
            if a <= start and end <= b:
                return chunk_id, page
        for a, b, _chunk_id, page in chunks:
            if a <= start < b:
                return None, page
        return None, None

    def sentence_rows(self, sources: Iterable[str]) -> list[tuple[int, str, int, int]]:
        """(sentence id, section id, start, end) of the prose sentences of ``sources``; offsets
        into the section text; a sentence shared by two overlapping chunks appears once."""
        sources = list(sources)
        if not sources:
            return []
        marks = ",".join("?" * len(sources))
        seen: set[tuple[str, int]] = set()
        out = []
        for sid, section_id, start, end in self.con.execute(
                f"SELECT s.sid, c.section_id, c.start + s.start, c.start + s.end_ FROM sentences s "
                f"JOIN chunks c ON c.row = s.row WHERE c.source IN ({marks}) AND c.is_table = 0 ORDER BY s.sid",
                sources):
            if (section_id, start) not in seen:
                seen.add((section_id, start))
                out.append((sid, section_id, start, end))
        return out


def _passage(report: dict[str, Any], section: dict[str, Any], start: int, end: int, corpus: _Corpus) -> Passage:
    chunk_id, page = corpus.locate(section["section_id"], start, end)
    return Passage(quote=section["text"][start:end], source=report["source"], title=report["title"],
                   force=report["force"], year=report["year"], report_type=report["report_type"],
                   section=section["heading"], section_id=section["section_id"],
                   page=page if page is not None else section["page"], start=start, end=end, chunk_id=chunk_id)


# --- extraction: grades ---------------------------------------------------------------------
_COMPARISON_RE = re.compile(r"\b(?:19|20)\d\d\b|\blast year\b|\bprevious(?:ly)?\b|\bfirst year\b|\bconsistent with\b|"
                            r"\balso (?:judged|graded|found)\b|\byear-on-year\b", re.I)


def _grade_phrase(grade: str) -> re.Pattern[str]:
    if grade == "Requires improvement":
        return re.compile(r"\brequires? improvement\b", re.I)
    return re.compile(rf"(?<!in)\b{grade.lower()}\b", re.I)


def _grade_quote(text: str, grade: str) -> tuple[int, int] | None:
    """Offsets of the words that state a section's grade: the grade line (with an 'Overall
    judgment' label above it) through the sentence stating the grade, or that sentence alone,
    plus a next sentence comparing with an earlier inspection."""
    head = text[:400]
    line = re.search(rf"^[ \t]*{re.escape(grade)}[ \t]*$", head, re.I | re.M)
    phrase = _grade_phrase(grade)
    start = end = None
    if line:
        start, end = line.start() + len(line.group()) - len(line.group().lstrip()), line.end()
        label = re.search(r"^[ \t]*(?:overall )?judg(?:e)?ment\S*[ \t]*\n\s*$", text[:start], re.I | re.M)
        if label:
            start = label.start()
        body = re.search(r"\S", text[end:])
        if body:
            para_lo = end + body.start()
            para_hi = text.find("\n\n", para_lo)
            para_hi = len(text) if para_hi < 0 else para_hi
            sentences = _sentences(text, para_lo, para_hi)
            stating = next((s for s in sentences if phrase.search(text[s[0]:s[1]])), None)
            if stating or sentences:
                end = (stating or sentences[0])[1]
    else:
        for para_lo, para_hi in _blocks(text)[:2]:
            stating = next((s for s in _sentences(text, para_lo, para_hi) if phrase.search(text[s[0]:s[1]])), None)
            if stating:
                start, end = stating
                break
    if start is None or end is None:
        return None
    para_hi = text.find("\n\n", end)
    para_hi = len(text) if para_hi < 0 else para_hi
    following = _sentences(text, end, para_hi)
    if following and _COMPARISON_RE.search(text[following[0][0]:following[0][1]]):
        end = following[0][1]
    return start, end


def _question_of(section: dict[str, Any]) -> str | None:
    """The graded question a section states a grade for; None for the overall judgment."""
    if section["kind"] == "overview":
        return None
    if section["question"]:
        return section["question"]
    for heading in reversed(section["path"] or [section["heading"]]):
        key = " ".join(strip_markers(heading).lower().split())
        if _OVERALL_RE.search(key):
            return None
        if key not in _GENERIC_HEADINGS:
            return heading
    return None


def _citation_rank(section: dict[str, Any]) -> tuple[int, int]:
    """Prefer 'Summary of findings', then the question's own section, then copies in a summary."""
    parents = [" ".join(p.lower().split()) for p in section["path"][:-1]]
    in_summary = any(p in _GENERIC_HEADINGS or _OVERALL_RE.search(p) for p in parents)
    kind = section["kind"]
    rank = 0 if kind == "summary_of_findings" else 3 if in_summary else 2 if kind == "overview" else 1
    return rank, section["ordinal"]


def report_scale(year: int | None, grades_used: Iterable[str]) -> str:
    """'five-grade' from 2021/22 or when 'Adequate' is used, else 'four-grade'."""
    return "five-grade" if (year or 0) >= FIVE_GRADE_FROM or "Adequate" in set(grades_used) else "four-grade"


def extract_grades(report: dict[str, Any], sections: Sequence[dict[str, Any]], corpus: _Corpus) -> list[Grade]:
    """The overall judgment and one grade per graded question, each with the best verbatim citation."""
    graded = [s for s in sections if canonical_grade(s["judgment"])]
    scale = report_scale(report["year"], (canonical_grade(s["judgment"]) or "" for s in graded))
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for section in graded:
        question = _question_of(section)
        key = None if question is None else " ".join(strip_markers(question).lower().split())
        groups.setdefault(key, []).append(section)
    out = []
    for members in groups.values():
        members = sorted(members, key=_citation_rank)
        chosen, span = members[0], None
        for section in members:
            span = _grade_quote(section["text"], canonical_grade(section["judgment"]) or "")
            if span:
                chosen = section
                break
        if span is None:
            spans = _sentences(chosen["text"])
            if not spans:
                continue
            span = spans[0]
        grade = canonical_grade(chosen["judgment"]) or ""
        question = _question_of(chosen)
        out.append(Grade(force=report["force"], year=report["year"], report_type=report["report_type"],
                         source=report["source"], title=report["title"], question=question,
                         theme="overall" if question is None else chosen["theme"], grade=grade, scale=scale,
                         citation=_passage(report, chosen, span[0], span[1], corpus)))
    out.sort(key=lambda g: (g.question is not None, min(s["ordinal"] for s in graded
                                                          if _question_of(s) == g.question)))
    return out


# --- extraction: findings -------------------------------------------------------------------
_RECALL_RE = re.compile(r"\brecommend(?:ed|ation|ations|s)?\b|\bareas? for improvement\b|\bcauses? of concern\b",
                        re.I)
_RECALL_SOURCE_RE = re.compile(r"\b(?:HMIC|HMICFRS|inspectorate|we|our|inspection|previous|last)\b", re.I)
_YEAR_IN_TEXT_RE = re.compile(r"(?<![\d/£$,.])((?:19|20)\d\d)(?![\d%])")
_ANAPHORIC_RE = re.compile(r"^(?:this|these|that|those|it|they)\b", re.I)


def _recall_kind(sentence: str) -> str:
    low = sentence.lower()
    if "improvement" in low:
        return "area_for_improvement"
    if "concern" in low:
        return "cause_of_concern"
    return "recommendation"


def _recalled(report: dict[str, Any], section: dict[str, Any], corpus: _Corpus
              ) -> list[tuple[Finding, TrailLink | None]]:
    """Earlier inspections' findings that this section quotes, each with the sentence after it
    that says what has become of it (explicit trail links)."""
    text = section["text"]
    year = report["year"]
    sentences = _sentences(text)
    out = []
    for n, (a, b) in enumerate(sentences):
        sentence = text[a:b]
        if not _RECALL_RE.search(sentence) or not _RECALL_SOURCE_RE.search(sentence):
            continue
        years = [int(y) for y in _YEAR_IN_TEXT_RE.findall(strip_markers(sentence))]
        earlier = [y for y in years if year is None or y < year]
        if not earlier:
            continue
        start, end = a, b
        anaphoric = bool(_ANAPHORIC_RE.match(sentence)) and n > 0
        if anaphoric:  # 'This was also an HMIC recommendation in 2014.' recalls the sentence before
            start = sentences[n - 1][0]
        following = sentences[n + 1:]
        if sentence.rstrip().endswith(":"):  # the recommendation's list
            while following and _is_bullet_item(text, following[0][0]):
                end = following[0][1]
                following = following[1:]
        f_text = text[start:end]
        passage = _passage(report, section, start, end, corpus)
        finding = Finding(finding_id=_finding_id(report["source"], section["section_id"], start, end, "recalled"),
                          kind=_recall_kind(sentence), text=f_text, force=report["force"], year=max(earlier),
                          report_type=report["report_type"], source=report["source"], title=report["title"],
                          question=section["question"], theme=section["theme"], citation=passage, recalled=True)
        link = None
        keyword = _RECALL_RE.search(sentence)
        own_status, own_cue = status_of(sentence[:keyword.start()]) if keyword else ("unclear", None)
        if own_status != "unclear":  # 'It has addressed the area for improvement we identified in 2015'
            link = TrailLink(finding_id=finding.finding_id, status=own_status, method="explicit", score=1.0,
                             cue=own_cue, earlier=passage, later=_passage(report, section, a, b, corpus))
        for c, d in following[:4] if link is None else ():
            status, cue = status_of(text[c:d])
            if status != "unclear":
                nxt = next(((e, f) for e, f in following if e >= d), None)
                if nxt and re.match(r"(?:for example|for instance)\b", text[nxt[0]:nxt[1]], re.I) and \
                        text.find("\n\n", d, nxt[0]) < 0:
                    d = nxt[1]
                link = TrailLink(finding_id=finding.finding_id, status=status, method="explicit", score=1.0,
                                 cue=cue, earlier=passage, later=_passage(report, section, c, d, corpus))
                break
        if link is None and anaphoric and is_critical(text[start:a]):
            # '[a weakness found now.] This was also a recommendation in 2014.': still not addressed
            weak = _WEAKNESS_RE.search(text[start:a])
            earlier_passage = _passage(report, section, a, b, corpus)
            link = TrailLink(finding_id=finding.finding_id, status="not addressed", method="explicit", score=1.0,
                             cue=weak.group() if weak else None, earlier=earlier_passage,
                             later=_passage(report, section, start, sentences[n - 1][1], corpus))
        out.append((finding, link))
    return out


def extract_findings(report: dict[str, Any], sections: Sequence[dict[str, Any]], corpus: _Corpus
                     ) -> tuple[list[Finding], list[TrailLink]]:
    """Each item of the report's 'Areas for improvement', 'Recommendations' and 'Causes of
    concern' sections; for letters, each bullet that states a weakness; and earlier
    inspections' recommendations the report quotes, with the explicit links they carry."""
    found: list[tuple[tuple[int, int], Finding, TrailLink | None]] = []
    is_letter = report["report_type"] == "letter"
    for section in sections:
        text = section["text"]
        kind = _SECTION_KINDS.get(section["kind"])
        if kind or (is_letter and section["kind"] not in _SKIP_LATER_KINDS):
            blocks = _blocks(text)
            for n, (a, b) in enumerate(blocks):
                item = text[a:b]
                bullet = _is_bullet_item(text, a)
                lead_in = item.rstrip().endswith(":") and n + 1 < len(blocks) and _is_bullet_item(text, blocks[n + 1][0])
                if len(item.split()) < 4 or lead_in:
                    continue
                if not kind and not (bullet and is_critical(item)):
                    continue
                f_kind = kind or "critical_finding"
                found.append((_citation_rank(section), Finding(
                    finding_id=_finding_id(report["source"], section["section_id"], a, b, f_kind), kind=f_kind,
                    text=item, force=report["force"], year=report["year"], report_type=report["report_type"],
                    source=report["source"], title=report["title"], question=section["question"],
                    theme=section["theme"], citation=_passage(report, section, a, b, corpus)), None))
        if section["kind"] not in _SKIP_LATER_KINDS:
            found.extend((_citation_rank(section), f, link) for f, link in _recalled(report, section, corpus))
    # The same words printed twice (a summary and the body): keep the preferred copy.
    seen: dict[str, int] = {}
    kept: list[tuple[Finding, TrailLink | None]] = []
    for _rank, finding, link in sorted(found, key=lambda x: x[0]):
        key = _norm_key(finding.text)
        if key in seen:
            continue
        seen[key] = len(kept)
        kept.append((finding, link))
    kept.sort(key=lambda x: (x[0].citation.section_id, x[0].citation.start))
    order = {s["section_id"]: s["ordinal"] for s in sections}
    kept.sort(key=lambda x: (order.get(x[0].citation.section_id, 0), x[0].citation.start))
    return [f for f, _ in kept], [link for _, link in kept if link is not None]


_RECALL_LEAD_RE = re.compile(r"^.*?\brecommend(?:ed|s)\s+(?:that\s+)?", re.I | re.S)
_FORMULA_RE = re.compile(r"^(?:the (?:force|constabulary|service)|hmicfrs|hmic|we)\s+(?:should|must|recommends?)"
                         r"\s+(?:ensure\s+(?:that\s+)?)?|^(?:by|within) [^,]{3,40},\s+", re.I)


def finding_embed_text(finding: Finding) -> str:
    """What the encoder sees for a finding: its words without the formula around them ('The
    force should ensure that', 'HMIC's crime inspection in 2014 recommended that'), which would
    otherwise match every passage written the same way."""
    text = strip_markers(finding.text)
    if finding.recalled:
        parts = []
        for a, b in sentence_spans(text):
            sentence = text[a:b]
            if _RECALL_RE.search(sentence) and _YEAR_IN_TEXT_RE.search(sentence):
                sentence = _RECALL_LEAD_RE.sub("", sentence) if _RECALL_LEAD_RE.match(sentence) else ""
            parts.append(sentence)
        text = " ".join(parts)
    text = " ".join(_FORMULA_RE.sub("", line.strip()) for line in text.splitlines())
    return " ".join(text.split()) or " ".join(finding.text.split())


# --- trails ---------------------------------------------------------------------------------
@dataclass
class _Unit:
    """A paragraph (or bullet item) of a later report, the unit a finding is linked to."""

    report: dict[str, Any]
    section: dict[str, Any]
    start: int
    end: int
    sentence_rows: list[int]  # positions in the force's sentence arrays


def _force_units(corpus: _Corpus, reports: list[dict[str, Any]], sentence_vectors: np.ndarray
                 ) -> tuple[list[_Unit], np.ndarray, np.ndarray, list[tuple[str, int, int]], np.ndarray]:
    """Units of the given reports, their vectors, the sentence vectors, the sentence spans and
    the unit of each sentence."""
    by_source = {r["source"]: r for r in reports}
    sections = {s["section_id"]: s for s in corpus.sections(by_source)}
    rows = [r for r in corpus.sentence_rows(by_source) if sections[r[1]]["kind"] not in _SKIP_LATER_KINDS]
    sent_vectors = dequantize(sentence_vectors[[r[0] for r in rows]]) if rows else \
        np.zeros((0, sentence_vectors.shape[1] if sentence_vectors.ndim == 2 else 1), np.float32)
    spans = [(r[1], r[2], r[3]) for r in rows]
    units: list[_Unit] = []
    block_cache: dict[str, list[tuple[int, int]]] = {}
    where: dict[tuple[str, int], int] = {}
    for i, (section_id, start, _end) in enumerate(spans):
        section = sections[section_id]
        blocks = block_cache.setdefault(section_id, _blocks(section["text"]))
        block = next(((a, b) for a, b in blocks if a <= start < b), (start, _end))
        key = (section_id, block[0])
        if key not in where:
            where[key] = len(units)
            units.append(_Unit(by_source[section["source"]], section, block[0], block[1], []))
        units[where[key]].sentence_rows.append(i)
    unit_vectors = np.zeros((len(units), sent_vectors.shape[1]), np.float32)
    unit_of = np.zeros(len(spans), np.int64)
    for u, unit in enumerate(units):
        mean = sent_vectors[unit.sentence_rows].mean(axis=0)
        norm = float(np.linalg.norm(mean))
        unit_vectors[u] = mean / norm if norm else mean
        unit_of[unit.sentence_rows] = u
    return units, unit_vectors, sent_vectors, spans, unit_of


def match_scores(finding_vector: np.ndarray, unit_vectors: np.ndarray, sent_vectors: np.ndarray,
                 unit_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per unit: the match score (mean of unit and best-sentence cosines) and its best sentence row.

    ``unit_of[i]`` is the unit of sentence row ``i``; every unit has at least one sentence.
    """
    unit_cos = unit_vectors @ finding_vector
    sent_cos = sent_vectors @ finding_vector
    order = np.lexsort((-sent_cos, unit_of))  # by unit, best sentence first
    firsts = np.flatnonzero(np.r_[True, np.diff(unit_of[order]) != 0])
    best_rows = order[firsts]
    return 0.5 * unit_cos + 0.5 * sent_cos[best_rows], best_rows


def _semantic_link(finding: Finding, unit: _Unit, best: int, spans: list[tuple[str, int, int]], score: float,
                   corpus: _Corpus) -> TrailLink:
    """Link a finding to a later unit; the status comes from the best sentence or, when it says
    nothing about progress, from the nearest sentence of the same paragraph that does."""
    text = unit.section["text"]
    _sid, b_start, b_end = spans[best]
    order = sorted(unit.sentence_rows, key=lambda i: (abs(spans[i][1] - b_start), spans[i][1] > b_start))
    status, cue, lo, hi = "unclear", None, b_start, b_end
    for i in order:
        st, cu = status_of(text[spans[i][1]:spans[i][2]])
        if st != "unclear":
            status, cue = st, cu
            lo, hi = min(b_start, spans[i][1]), max(b_end, spans[i][2])
            break
    if status == "unclear" and unit.section["kind"] in _SECTION_KINDS:
        status, cue = "not addressed", None  # the later report lists the matter again as a finding
    return TrailLink(finding_id=finding.finding_id, status=status, method="semantic", score=round(float(score), 4),
                     cue=cue, earlier=finding.citation, later=_passage(unit.report, unit.section, lo, hi, corpus))


def semantic_links(findings: Sequence[Finding], finding_vectors: np.ndarray, corpus: _Corpus,
                   sentence_vectors: np.ndarray, threshold: float = TRAIL_THRESHOLD,
                   cross_theme_threshold: float = CROSS_THEME_THRESHOLD) -> list[TrailLink]:
    """Where later reports on the same force revisit each finding: passages of later reports
    scoring ``threshold`` (same theme) or ``cross_theme_threshold`` (another theme)."""
    links: list[TrailLink] = []
    by_force: dict[str, list[int]] = {}
    for n, finding in enumerate(findings):
        if finding.force and finding.year:
            by_force.setdefault(finding.force, []).append(n)
    for force, members in by_force.items():
        first = min(findings[n].year or 0 for n in members)
        later_reports = [r for r in corpus.reports if r["force"] == force and (r["year"] or 0) > first]
        if not later_reports:
            continue
        units, unit_vectors, sent_vectors, spans, unit_of = _force_units(corpus, later_reports, sentence_vectors)
        if not units:
            continue
        unit_year = np.array([u.report["year"] or 0 for u in units])
        unit_source = np.array([u.report["source"] for u in units])
        unit_theme = np.array([u.section["theme"] for u in units])
        for n in members:
            finding = findings[n]
            scores, best = match_scores(finding_vectors[n], unit_vectors, sent_vectors, unit_of)
            close = np.where(unit_theme == finding.theme, scores >= threshold, scores >= cross_theme_threshold)
            eligible = (unit_year > (finding.year or 0)) & (unit_source != finding.citation.source) & close
            per_report: dict[str, list[TrailLink]] = {}
            for u in np.flatnonzero(eligible)[np.argsort(-scores[eligible], kind="stable")]:
                link = _semantic_link(finding, units[u], int(best[u]), spans, float(scores[u]), corpus)
                per_report.setdefault(units[u].report["source"], []).append(link)
            for candidates in per_report.values():
                # Passages that say something about progress first, then by score.
                candidates.sort(key=lambda x: (x.status == "unclear", -x.score))
                links.extend(candidates[:LINKS_PER_REPORT])
    return links


# --- storage --------------------------------------------------------------------------------
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE reports (source TEXT PRIMARY KEY);
CREATE TABLE grades (source TEXT, ordinal INTEGER, force TEXT, year INTEGER, data TEXT);
CREATE TABLE findings (fid INTEGER PRIMARY KEY, finding_id TEXT, source TEXT, force TEXT, year INTEGER, data TEXT);
CREATE TABLE links (finding_id TEXT, source TEXT, method TEXT, ordinal INTEGER, data TEXT);
"""


def _passage_from(data: dict[str, Any]) -> Passage:
    return Passage(**data)


def _grade_from(data: dict[str, Any]) -> Grade:
    return Grade(**{**data, "citation": _passage_from(data["citation"])})


def _finding_from(data: dict[str, Any]) -> Finding:
    return Finding(**{**data, "citation": _passage_from(data["citation"])})


def _link_from(data: dict[str, Any]) -> TrailLink:
    return TrailLink(**{**data, "earlier": _passage_from(data["earlier"]), "later": _passage_from(data["later"])})


def _dump(item: Any) -> str:
    return json.dumps(asdict(item), ensure_ascii=False)


def _stored_meta(folder: Path | None) -> dict[str, str]:
    if folder is None or not (Path(folder) / FINDINGS_DB).exists():
        return {}
    try:
        con = sqlite3.connect(f"file:{Path(folder) / FINDINGS_DB}?mode=ro", uri=True)
        try:
            return dict(con.execute("SELECT key, value FROM meta").fetchall())
        finally:
            con.close()
    except sqlite3.Error:
        return {}


def _settings(embedder: Embedder) -> dict[str, str]:
    return {"extractor": str(EXTRACTOR_VERSION), "fingerprint": embedder.fingerprint,
            "threshold": f"{TRAIL_THRESHOLD}/{CROSS_THEME_THRESHOLD}"}


def findings_current(folder: Path | None, embedder: Embedder) -> bool:
    """Whether a generation holds findings made by this extractor, encoder and thresholds."""
    meta = _stored_meta(folder)
    return bool(meta) and all(meta.get(k) == v for k, v in _settings(embedder).items())


def _read_old(old_folder: Path | None, sources: set[str], fingerprint: str) -> dict[str, Any] | None:
    """Rows and vectors of ``sources`` from the previous generation, when it was made by this
    extractor version and encoder."""
    if old_folder is None or not (old_folder / FINDINGS_DB).exists() or not sources:
        return None
    try:
        con = sqlite3.connect(f"file:{old_folder / FINDINGS_DB}?mode=ro", uri=True)
        try:
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("extractor") != str(EXTRACTOR_VERSION) or meta.get("fingerprint") != fingerprint:
                return None
            done = {r[0] for r in con.execute("SELECT source FROM reports")} & sources
            marks = ",".join("?" * len(done))
            grades = [(r[0], json.loads(r[1])) for r in con.execute(
                f"SELECT source, data FROM grades WHERE source IN ({marks}) ORDER BY source, ordinal", list(done))]
            findings = [(r[0], r[1], json.loads(r[2])) for r in con.execute(
                f"SELECT fid, source, data FROM findings WHERE source IN ({marks}) ORDER BY fid", list(done))]
            links = [(r[0], json.loads(r[1])) for r in con.execute(
                f"SELECT source, data FROM links WHERE method = 'explicit' AND source IN ({marks}) "
                f"ORDER BY source, ordinal", list(done))]
            semantic = [json.loads(r[0]) for r in con.execute(
                f"SELECT data FROM links WHERE method = 'semantic' AND source IN ({marks}) ORDER BY ordinal",
                list(done))]
            old_sources = {r[0] for r in con.execute("SELECT source FROM reports")}
        finally:
            con.close()
        con = sqlite3.connect(f"file:{old_folder / 'chunks.sqlite'}?mode=ro", uri=True)
        try:
            forces = dict(con.execute("SELECT source, force FROM reports").fetchall())
        finally:
            con.close()
        vectors = np.load(old_folder / FINDINGS_VECTORS, mmap_mode="r", allow_pickle=False)
        fids = [fid for fid, _, _ in findings]
        return {"done": done, "grades": grades, "findings": findings, "links": links, "semantic": semantic,
                "removed_forces": {forces.get(source) for source in old_sources - sources},
                "vectors": np.asarray(vectors[fids], dtype=np.float32) if fids else None}
    except (sqlite3.Error, OSError, ValueError, KeyError, TypeError):
        return None  # unreadable: extract again


def build_findings(folder: Path, old_folder: Path | None, reused: Iterable[str], embedder: Embedder,
                   progress: Callable[[str, int, int], None] | None = None) -> tuple[int, int]:
    """Extract grades and findings for the reports in the generation ``folder`` (copying those
    of ``reused`` reports from ``old_folder``), recompute the trails of forces whose reports
    changed (copying the others'), and write
    ``findings.sqlite`` and ``findings.npy`` there.

    Returns:
        (findings stored, finding texts encoded).
    """
    folder = Path(folder)
    corpus = _Corpus(folder / "chunks.sqlite")
    try:
        sources = [r["source"] for r in corpus.reports]
        old = _read_old(Path(old_folder) if old_folder else None, set(reused) & set(sources), embedder.fingerprint)
        done = old["done"] if old else set()
        grades: list[tuple[str, Grade]] = []
        findings: list[Finding] = []
        vectors: list[np.ndarray] = []
        explicit: list[TrailLink] = []
        if old:
            grades.extend((source, _grade_from(data)) for source, data in old["grades"])
            findings.extend(_finding_from(data) for _fid, _source, data in old["findings"])
            explicit.extend(_link_from(data) for _source, data in old["links"])
            if old["vectors"] is not None:
                vectors.append(old["vectors"])
        fresh: list[Finding] = []
        todo = [r for r in corpus.reports if r["source"] not in done]
        for n, report in enumerate(todo):
            sections = corpus.sections([report["source"]])
            grades.extend((report["source"], g) for g in extract_grades(report, sections, corpus))
            report_findings, report_links = extract_findings(report, sections, corpus)
            fresh.extend(report_findings)
            explicit.extend(report_links)
            if progress:
                progress("findings", n + 1, len(todo))
        if fresh:
            vectors.append(np.asarray(embedder.encode([finding_embed_text(f) for f in fresh]), dtype=np.float32))
        findings.extend(fresh)
        matrix = np.vstack(vectors) if vectors else np.zeros((0, embedder.dim), np.float32)
        sentence_vectors = np.load(folder / "sentences.npy", mmap_mode="r", allow_pickle=False)
        # Trails change only for forces with a report added, changed or removed; the others keep theirs.
        if old:
            affected = {r["force"] for r in todo} | old["removed_forces"]
            semantic = [link for link in map(_link_from, old["semantic"]) if link.earlier.force not in affected]
            redo = [n for n, f in enumerate(findings) if f.force in affected]
            semantic += semantic_links([findings[n] for n in redo], matrix[redo], corpus, sentence_vectors)
        else:
            semantic = semantic_links(findings, matrix, corpus, sentence_vectors)
    finally:
        corpus.close()
    path = folder / FINDINGS_DB
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    try:
        con.executescript(_SCHEMA)
        con.executemany("INSERT INTO meta VALUES (?, ?)", [*_settings(embedder).items(), ("model", embedder.name)])
        con.executemany("INSERT INTO reports VALUES (?)", [(s,) for s in sources])
        con.executemany("INSERT INTO grades VALUES (?,?,?,?,?)",
                        [(source, n, g.force, g.year, _dump(g)) for n, (source, g) in enumerate(grades)])
        con.executemany("INSERT INTO findings VALUES (?,?,?,?,?,?)",
                        [(n, f.finding_id, f.source, f.force, f.year, _dump(f)) for n, f in enumerate(findings)])
        owner = {f.finding_id: f.source for f in findings}
        con.executemany("INSERT INTO links VALUES (?,?,?,?,?)",
                        [(x.finding_id, owner.get(x.finding_id, x.earlier.source), x.method, n, _dump(x))
                         for n, x in enumerate(explicit + semantic)])
        con.commit()
    finally:
        con.close()
    np.save(folder / FINDINGS_VECTORS, matrix.astype(np.float32))
    return len(findings), len(fresh)


@dataclass(frozen=True)
class FindingsIndex:
    """Grades, findings and trail links of one index generation, loaded once."""

    available: bool
    grades: tuple[Grade, ...] = ()
    findings: tuple[Finding, ...] = ()
    links: dict[str, tuple[TrailLink, ...]] = field(default_factory=dict)
    folder: str = ""
    question_vectors: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # filled by grade answers

    @classmethod
    def load(cls, folder: Path) -> FindingsIndex:
        """Read ``findings.sqlite`` of a generation; an index built before findings existed
        loads as ``available=False``."""
        path = Path(folder) / FINDINGS_DB
        if not path.exists():
            return cls(available=False, folder=str(folder))
        try:
            con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
            try:
                grades = tuple(_grade_from(json.loads(r[0]))
                               for r in con.execute("SELECT data FROM grades ORDER BY force, year, source, ordinal"))
                findings = tuple(_finding_from(json.loads(r[0])) for r in con.execute(
                    "SELECT data FROM findings ORDER BY force, year, source, fid"))
                links: dict[str, list[TrailLink]] = {}
                for (data,) in con.execute("SELECT data FROM links ORDER BY ordinal"):
                    link = _link_from(json.loads(data))
                    links.setdefault(link.finding_id, []).append(link)
            finally:
                con.close()
        except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:
            raise IndexCorruptError(f"the findings in {folder} are unreadable ({exc}): rebuild the index with "
                                    "`inspectqa index reports/ --rebuild`") from exc
        ordered = {k: tuple(sorted(v, key=lambda x: (x.later.year or 0, x.method != "explicit", -x.score)))
                   for k, v in links.items()}
        return cls(available=True, grades=grades, findings=findings, links=ordered, folder=str(folder))


# --- API ------------------------------------------------------------------------------------
def _index(searcher: Searcher) -> FindingsIndex:
    index = searcher.findings_index()
    if not index.available:
        raise FindingsUnavailableError(
            f"the index in {searcher.index_dir} was built before grades and findings were extracted: update it "
            f"with `inspectqa index reports/ --index-dir {searcher.index_dir}` (nothing is embedded again)")
    return index


def _resolve_force(name: str | None) -> str | None:
    if not name:
        return None
    from search.store import FilterError

    force = canonical_force(name)
    if force is None:
        raise FilterError(f"unknown force {name!r}: use a police force name such as 'Hertfordshire Constabulary' "
                          "or an alias such as 'Herts'")
    return force


def _grade_key(g: Grade) -> tuple[str | None, str]:
    return g.force, "overall" if g.question is None else g.theme


def grades(searcher: Searcher, force: str | None = None) -> list[Grade]:
    """Every graded judgment in the index (of one force, name or alias), by force, year and
    report order, with ``previous_comparable`` set against the force's previous grade on the
    same theme (overall with overall).

    Raises:
        FindingsUnavailableError: the index predates findings (the message says how to update it).
        FilterError: unknown force.
    """
    wanted = _resolve_force(force)
    items = [g for g in _index(searcher).grades if wanted is None or g.force == wanted]
    out = list(items)
    last: dict[tuple[str | None, str], Grade] = {}
    for n in sorted(range(len(items)), key=lambda n: (items[n].force or "", items[n].year or 0)):
        g = items[n]
        previous = last.get(_grade_key(g))
        if previous is not None and (previous.year or 0) < (g.year or 0):
            out[n] = replace(g, previous_comparable=comparable(previous, g))
        if previous is None or (previous.year or 0) < (g.year or 0):
            last[_grade_key(g)] = g
    return out


def findings(searcher: Searcher, force: str | None = None, theme: str | None = None) -> list[FindingWithTrail]:
    """Areas for improvement, recommendations, causes of concern and critical findings (of one
    force and/or theme), oldest first, each with its trail through later reports.

    Raises:
        FindingsUnavailableError, FilterError: as ``grades``; FilterError also for an unknown theme.
    """
    wanted = _resolve_force(force)
    theme_id = None
    if theme:
        theme_id = resolve_theme(theme)
        if theme_id is None:
            from search.store import FilterError

            raise FilterError(f"unknown theme {theme!r}: choose one of {', '.join(THEMES)}")
    index = _index(searcher)
    items = [f for f in index.findings
             if (wanted is None or f.force == wanted) and (theme_id is None or f.theme == theme_id)]
    items.sort(key=lambda f: (f.force or "", f.year or 0, f.citation.year or 0, f.source))
    return [FindingWithTrail(f, index.links.get(f.finding_id, ())) for f in items]


# --- answering questions about grades -------------------------------------------------------
_GRADE_WORDS_RE = re.compile(r"\b(?:grades?|graded|grading|rated|ratings?)\b", re.I)
_JUDGMENT_RE = re.compile(r"\b(?:what|which|overall)\s+(?:\w+\s+){0,2}judg(?:e)?ments?\b|"
                          r"\bjudg(?:e)?ments?\s+(?:did|does|do|was|were|for|on|of the force|given)\b|\bjudged\b",
                          re.I)
_GRADE_NAME_RE = re.compile(
    r"\brequires? improvement\b|\b(?:graded|rated|judged|assessed|found to be|considered)\s+(?:as\s+)?(?:being\s+)?"
    r"(?:outstanding|good|adequate|inadequate)\b|\b(?:is|was|were|are)\s+(?:\w+\s+){0,5}?"
    r"(?:outstanding|adequate|inadequate)\s+(?:at|in|for|overall)\b|"
    r"\b(?:is|was|were|are)\s+(?:\w+\s+){0,5}?good\s+(?:at|overall)\b", re.I)
_COUNT_RE = re.compile(r"\bhow many (?:questions|areas|grades|judg(?:e)?ments)\b", re.I)
_NOT_LOOKUP_RE = re.compile(r"\bmean(?:s|ing|t)?\b|\bdefin\w*|\bwhat is an?\b\s+['\"‘“]?(?:outstanding|good|"
                            r"adequate|requires|inadequate)|\bcriteria\b|\bscale\b(?!.*\bforce\b)", re.I)
_ASKED_GRADE_RE = re.compile(r"\b(outstanding|good|adequate|requires? improvement|inadequate)\b", re.I)
_STOP_WORDS = """what which how did does do was were is are the it its their they get got receive received given give
for on in at of and a an to by with from police force forces constabulary service hmic hmicfrs inspection inspections
peel grade grades graded grading rated rating ratings judgment judgments judgement judgements judged questions question
many overall year years get this that these those awarded award score scored result results whether same
has have had been be there what's since compared change changed"""
_STOP = frozenset(_STOP_WORDS.split())


def is_grade_question(question: str) -> bool:
    """Whether a question asks for graded judgments or counts of them (not what a grade means)."""
    if not question or _NOT_LOOKUP_RE.search(question):
        return False
    return bool(_GRADE_WORDS_RE.search(question) or _JUDGMENT_RE.search(question)
                or _GRADE_NAME_RE.search(question) or _COUNT_RE.search(question))


def _asked_grades(question: str) -> list[str]:
    """Grades the question names as grades ('graded requires improvement on', 'rated good')."""
    names = []
    for match in _ASKED_GRADE_RE.finditer(question):
        name = canonical_grade(match.group(1))
        if name is None:
            continue
        if name in ("Good", "Adequate", "Outstanding", "Inadequate"):
            before = question[max(0, match.start() - 40):match.start()].lower()
            if not re.search(r"(?:graded|rated|judged|assessed|as|were|was|received?|got|given|an?)\s*$", before):
                continue
        names.append(name)
    return list(dict.fromkeys(names))


def _residual(question: str) -> str:
    """The question's topic words: without forces, years, grade vocabulary and function words."""
    text = question
    for mention in reversed(find_forces(text)):
        text = text[:mention.start] + " " + text[mention.end:]
    text = _YEAR_IN_TEXT_RE.sub(" ", text)
    text = re.sub(r"\brequires? improvement\b|\boutstanding\b|\binadequate\b|\badequate\b|\bgood\b", " ", text,
                  flags=re.I)
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", text) if w.lower() not in _STOP and len(w) > 2]
    return " ".join(words)


def _match_question(searcher: Searcher, residual: str, candidates: list[Grade]) -> list[Grade]:
    """The graded question each report asks that the user's words are about: by theme words and
    by embedding similarity to the question wording. Empty when nothing matches well enough."""
    questions = sorted({g.question for g in candidates if g.question})
    if not questions:
        return []
    scores = theme_scores(residual)
    theme, strength = scores.most_common(1)[0] if scores else (None, 0)
    theme = theme if strength >= 2 else None
    cache = searcher.findings_index().question_vectors
    missing = [q for q in questions if q not in cache]
    if missing:
        texts = [f"{q} {THEMES.get(_theme_of(q, candidates), '')}" for q in missing]
        cache.update(zip(missing, searcher.embedder.encode(texts), strict=True))
    query = searcher.embedder.encode([residual])[0]
    cosine = {q: float(cache[q] @ query) for q in questions}
    chosen = []
    by_report: dict[str, list[Grade]] = {}
    for g in candidates:
        if g.question:
            by_report.setdefault(g.source, []).append(g)
    for items in by_report.values():
        ranked = sorted(items, key=lambda g: -(cosine[g.question] + (0.15 if theme and g.theme == theme else 0)))
        best = ranked[0]
        if cosine[best.question] >= 0.35 or (theme and best.theme == theme):
            chosen.append(best)
    return chosen


def _theme_of(question: str, candidates: list[Grade]) -> str:
    return next((g.theme for g in candidates if g.question == question), "general")


def _title_with_year(g: Grade) -> str:
    return g.title if g.year is None or str(g.year) in g.title else f"{g.title} ({g.year})"


def _what(g: Grade) -> str:
    return "overall" if g.question is None else f"for “{g.question}”"


def _chunk_record(searcher: Searcher, chunk_id: str | None) -> dict[str, Any] | None:
    if not chunk_id:
        return None
    con = sqlite3.connect(f"file:{searcher.store.path}?mode=ro&immutable=1", uri=True)
    try:
        row = con.execute("SELECT row FROM chunks WHERE chunk_id = ?", (chunk_id,)).fetchone()
    finally:
        con.close()
    records = searcher.store.chunks([row[0]]) if row else []
    return records[0] if records else None


def _cite(searcher: Searcher, n: int, g: Grade) -> tuple[Any, Any | None]:
    """A search.answer.Citation for a grade, and the passage (Hit) it quotes."""
    from search.answer import Citation
    from search.retriever import Hit

    c = g.citation
    record = _chunk_record(searcher, c.chunk_id)
    section = searcher.section(c.section_id) or {}
    path = tuple(section.get("path") or (c.section,))
    if record is not None and record["start"] <= c.start and c.end <= record["end"]:
        passage, lo = record["text"], c.start - record["start"]
        hit = Hit(rank=n, score=1.0, text=record["text"], source=c.source, title=c.title, force=c.force,
                  year=c.year, report_type=c.report_type, section=c.section, path=path,
                  question=record["question"], theme=record["theme"], judgment=record["judgment"],
                  page=record["page"], start=record["start"], end=record["end"], chunk_id=record["chunk_id"],
                  section_id=c.section_id, kind=record["kind"], is_table=record["is_table"], row=record["row"])
    else:
        passage, lo, hit = section.get("text", c.quote), c.start if section else 0, None
    citation = Citation(n=n, quote=c.quote, source=c.source, title=c.title, force=c.force, year=c.year,
                        section=c.section, path=path, page=c.page, start=c.start, end=c.end,
                        chunk_id=c.chunk_id or "", section_id=c.section_id, passage=passage, passage_start=lo,
                        passage_end=lo + len(c.quote))
    return citation, hit


def grade_answer(searcher: Searcher, question: str, filters: Filters | dict | None = None, *,
                 use_understanding: bool = True) -> Answer | None:
    """An answer from the structured grades for a question about grades or counts of them
    ('which questions was Hertfordshire graded requires improvement on?', 'what grade did it get
    for investigating crime in 2015?'), citing the words that state each grade; None when the
    question is not about grades or the index holds no grade it could be about (the caller
    then answers from passages).

    ``use_understanding=False`` ignores the forces and years the question names (as
    ``Searcher.search``).

    Raises:
        FilterError: a filter names an unknown force, theme, report type or judgment.
    """
    from search.store import Filters

    if not isinstance(question, str) or not is_grade_question(question):
        return None
    if filters is not None and not isinstance(filters, dict | Filters):
        return None  # Searcher.search explains what filters must be
    index = searcher.findings_index()
    if not index.available or not index.grades:
        return None
    from search.answer import Answer
    from search.query import Understanding, understand

    given = Filters.from_dict(filters) if isinstance(filters, dict) else (filters or Filters())
    given = searcher.store.resolve(given)
    understood = understand(question) if use_understanding else Understanding()
    forces = given.forces or understood.forces
    years = given.years
    if years is None and given.is_empty():
        years = understood.period or ((min(understood.years), max(understood.years)) if understood.years else None)
    candidates = [g for g in grades(searcher)
                  if (not forces or g.force in forces)
                  and (years is None or (g.year is not None and years[0] <= g.year <= years[1]))
                  and (not given.themes or g.theme in given.themes or g.question is None)
                  and (not given.report_types or g.report_type in given.report_types)
                  and (not given.sources or g.source in given.sources)]
    if not candidates:
        return None
    asked = list(given.judgments) or _asked_grades(question)
    residual = _residual(question)
    overall_asked = bool(re.search(r"\boverall\b|keeping people safe and reducing crime", question, re.I))
    if asked:
        selected = [g for g in candidates if g.grade in asked and (g.question is not None or overall_asked)]
        mode = "by_grade"
    elif overall_asked and not residual.replace("effectiveness", "").strip():
        selected, mode = [g for g in candidates if g.question is None], "specific"
    else:
        matched = _match_question(searcher, residual, candidates) if residual else []
        if matched:
            selected, mode = matched, "specific"
        else:
            selected, mode = candidates, "all"
    citations, hits, parts = [], [], []

    def cite(g: Grade) -> str:
        citation, hit = _cite(searcher, len(citations) + 1, g)
        citations.append(citation)
        if hit is not None:
            hits.append(hit)
        return f"[{citation.n}]"

    if mode == "by_grade" and not selected:
        named = " or ".join(sorted({g.force or "the force" for g in candidates}))
        parts.append(f"No indexed report grades {named} {' or '.join(asked)}"
                     f"{'' if overall_asked else ' on any question'}.")
        selected, mode = candidates, "all"
    groups: dict[tuple[str, str], list[Grade]] = {}
    for g in selected:
        groups.setdefault((g.force or "the force", g.source), []).append(g)
    for (force, source), items in groups.items():
        title = _title_with_year(items[0])
        if mode == "by_grade":
            graded = sum(1 for g in candidates if g.source == source and g.question is not None)
            asked_questions = [g for g in items if g.question is not None]
            listing = "; ".join(f"{'overall' if g.question is None else '“' + g.question + '”'} {cite(g)}"
                                for g in items)
            where = f"on {len(asked_questions)} of {graded} graded questions" if asked_questions else "overall"
            parts.append(f"In {title}, {force} was graded {' or '.join(dict.fromkeys(g.grade for g in items))} "
                         f"{where}: {listing}.")
        elif mode == "specific":
            parts.extend(f"In {_title_with_year(g)}, {force} was graded {g.grade} {_what(g)} {cite(g)}."
                         for g in items)
        else:
            listing = "; ".join(f"{g.grade} {_what(g)} {cite(g)}" for g in items)
            parts.append(f"In {title}, {force} was graded {listing}.")
    shown = selected
    scales = {g.scale for g in shown}
    if len(scales) > 1:
        parts.append("Grades on the four-grade scale (PEEL up to 2020, no 'Adequate') and the five-grade scale "
                     "(from 2021/22) are not directly comparable.")
    text = " ".join(p for p in parts if p)
    used = {"forces": sorted({g.force for g in shown if g.force})}
    if years:
        used["years"] = list(years)
    return Answer(question=question, text=text, citations=tuple(citations), passages=tuple(hits), abstained=False,
                  mode="grades", filters_used=used,
                  understood={"forces": list(understood.forces), "years": list(understood.years),
                              "period": list(understood.period) if understood.period else None},
                  notices=())


# --- plain-text views for the command line --------------------------------------------------
def format_grades(items: Sequence[Grade]) -> str:
    """The force × year × question grid: one block per force, one column per report."""
    lines: list[str] = []
    by_force: dict[str, list[Grade]] = {}
    for g in items:
        by_force.setdefault(g.force or "(no force)", []).append(g)
    for force, force_grades in by_force.items():
        reports = list(dict.fromkeys((g.year, g.source) for g in force_grades))
        rows: dict[str, dict[tuple[int | None, str], Grade]] = {}
        for g in force_grades:
            label = "Overall" if g.question is None else THEMES.get(g.theme, g.theme)
            if (g.year, g.source) in rows.get(label, {}):
                label = g.question or label
            rows.setdefault(label, {})[(g.year, g.source)] = g
        width = min(60, max(len(r) for r in rows) + 2)
        col = max(22, *(len(str(y)) + 2 for y, _ in reports))
        lines.append(force)
        lines.append("  " + " " * width + "".join(f"{y or '?':<{col}}" for y, _ in reports))
        for label, cells in rows.items():
            shown = label if len(label) <= width - 2 else label[:width - 3] + "…"
            lines.append("  " + f"{shown:<{width}}" + "".join(
                f"{cells[r].grade if r in cells else '-':<{col}}" for r in reports))
        scale_cells = []
        for r in reports:
            scale = next(g.scale for g in force_grades if (g.year, g.source) == r)
            scale_cells.append(f"({scale})")
        lines.append("  " + f"{'scale':<{width}}" + "".join(f"{s:<{col}}" for s in scale_cells))
        if len({g.scale for g in force_grades}) > 1:
            lines.append("  note: four-grade and five-grade judgments are not directly comparable")
        lines.append("  sources:")
        for year, source in reports:
            g = next(x for x in force_grades if x.source == source)
            lines.append(f"    {year}: {g.title} [{source}]")
        lines.append("")
    return "\n".join(lines).rstrip()


def _where(p: Passage) -> str:
    page = f", p. {p.page}" if p.page else ""
    return f"{p.title} ({p.year}{page}) § {p.section} [{p.source}, chars {p.start}-{p.end}]"


def format_findings(items: Sequence[FindingWithTrail]) -> str:
    """Findings by year with their trails and citations."""
    lines: list[str] = []
    year = object()
    for item in items:
        f = item.finding
        if f.year != year:
            year = f.year
            lines.append(f"{f.year}")
        recalled = f" (recalled by the {f.citation.year} report)" if f.recalled else ""
        theme = THEMES.get(f.theme, f.theme)
        lines.append(f"  [{f.kind.replace('_', ' ')}{recalled}] {theme}")
        lines.append(f"    “{' '.join(f.text.split())}”")
        lines.append(f"    {_where(f.citation)}")
        for link in item.trail:
            cue = f" (“{link.cue}”)" if link.cue else ""
            lines.append(f"    -> {link.later.year}: {link.status}{cue}, {link.method} match {link.score:.2f}")
            lines.append(f"       “{' '.join(link.later.quote.split())}”")
            lines.append(f"       {_where(link.later)}")
        if not item.trail:
            lines.append("    -> not revisited by a later indexed report")
    return "\n".join(lines)


__all__ = ["FINDING_KINDS", "STATUSES", "TRAIL_THRESHOLD", "Finding", "FindingWithTrail", "FindingsIndex",
           "FindingsUnavailableError", "Grade", "Passage", "TrailLink", "build_findings", "comparable",
           "extract_findings", "extract_grades", "findings", "format_findings", "format_grades", "grade_answer",
           "grades", "is_critical", "is_grade_question", "status_of"]
