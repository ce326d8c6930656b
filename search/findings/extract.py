"""Extraction at index time: each report's graded judgments with the words that state them, and
its findings (areas for improvement, recommendations, causes of concern, letters' critical
bullets, earlier inspections' recommendations it recalls) with the explicit trail links a
report states itself ('It has addressed the area for improvement we identified in 2015')."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from ingest.areas import AREAS
from ingest.metadata import classify_theme
from ingest.textutil import normalise_for_match, sentence_spans, strip_markers
from search.findings.corpus import Corpus
from search.findings.cues import (
    WEAKNESS_RE,
    is_bullet_item,
    is_critical,
    paragraph_blocks,
    sentence_offsets,
    status_of,
)
from search.findings.model import (
    FINDING_SECTION_KINDS,
    SKIPPED_SECTION_KINDS,
    Finding,
    Grade,
    TrailLink,
)

EXTRACTOR_VERSION = 2
"""Bump when extraction changes: findings of unchanged reports are then extracted again."""


def _norm_key(text: str) -> str:
    """Normal form for spotting the same text printed twice ('an HMIC' / 'a HMIC')."""
    return " ".join(re.sub(r"\b(?:a|an|the)\b", " ", normalise_for_match(strip_markers(text))).split())


def _finding_id(*parts: object) -> str:
    return "f-" + hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:12]



_SUMMARY_HEADINGS = {"summary of findings", "summary", "overview", "overall summary", "executive summary",
                     "areas for improvement", "recommendations", "causes of concern", "our judgments",
                     "overall judgment", "overall judgement"}
_OVERALL_RE = re.compile(r"^overview\b|\boverall\b|keeping people safe and reducing crime", re.I)


def _citation_rank(section: dict[str, Any]) -> tuple[int, int]:
    """Prefer 'Summary of findings', then the question's own section, then copies in a summary."""
    parents = [" ".join(p.lower().split()) for p in section["path"][:-1]]
    in_summary = any(p in _SUMMARY_HEADINGS or _OVERALL_RE.search(p) for p in parents)
    kind = section["kind"]
    rank = 0 if kind == "summary_of_findings" else 3 if in_summary else 2 if kind == "overview" else 1
    return rank, section["ordinal"]


def _area_label(row: dict[str, Any], report_type: str) -> str | None:
    """The graded area as the grades grid names it: None for the overall judgment (a pillar report's
    own pillar is its overall judgment), the framework's name for a known area, else the report's words."""
    if row["area_key"] == "overall" or report_type == f"peel_{row['area_key']}":
        return None
    return AREAS.get(row["area_key"]) or row["area"]


_GRADE_WORDS = {"Requires improvement": r"requires? improvement"}


def _stating_span(text: str, start: int, end: int, grade: str) -> tuple[int, int]:
    """A grade's citation in its section's text: the statement itself, or, when that is only a grade
    line under a heading ('Good'), the line through the next sentence of its paragraph that states
    the grade, if one does."""
    if len(text[start:end].split()) > 4:
        return start, end
    para_end = text.find("\n\n", end + 2)
    following = sentence_offsets(text, end, min(len(text), end + 800) if para_end < 0 else para_end)[:3]
    word = re.compile(rf"\b{_GRADE_WORDS.get(grade, grade.lower())}\b", re.I)
    stating = next(((a, b) for a, b in following if word.search(text[a:b])), None)
    return (start, stating[1]) if stating else (start, end)


def extract_grades(report: dict[str, Any], sections: Sequence[dict[str, Any]], corpus: Corpus) -> list[Grade]:
    """The grades the report states (read at ingest: ingest.grades), each citing the sentence that
    states it; areas stated as not yet graded are left out."""
    by_id = {s["section_id"]: s for s in sections}
    out = []
    for row in corpus.store.grade_rows(report["source"]):
        section = by_id.get(row["section_id"])
        if row["status"] != "graded" or not row["grade"] or section is None:
            continue
        label = _area_label(row, report["report_type"])
        start, end = _stating_span(section["text"], row["start"], row["end"], row["grade"])
        out.append(Grade(force=row["force"] or report["force"], year=row["year_from"], report_type=report["report_type"],
                         source=report["source"], title=report["title"], question=label,
                         theme="overall" if label is None else classify_theme(label), grade=row["grade"],
                         scale=row["scale"], citation=corpus.citation(report, section, start, end),
                         year_to=row["year_to"], area_key=row["area_key"], pillar=row["pillar"]))
    return out


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


def _recalled(report: dict[str, Any], section: dict[str, Any], corpus: Corpus
              ) -> list[tuple[Finding, TrailLink | None]]:
    """Earlier inspections' findings that this section quotes, each with the sentence after it
    that says what has become of it (explicit trail links)."""
    text = section["text"]
    year = report["year"]
    sentences = sentence_offsets(text)
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
            while following and is_bullet_item(text, following[0][0]):
                end = following[0][1]
                following = following[1:]
        f_text = text[start:end]
        passage = corpus.citation(report, section, start, end)
        finding = Finding(finding_id=_finding_id(report["source"], section["section_id"], start, end, "recalled"),
                          kind=_recall_kind(sentence), text=f_text, force=report["force"], year=max(earlier),
                          report_type=report["report_type"], source=report["source"], title=report["title"],
                          question=section["question"], theme=section["theme"], citation=passage, recalled=True)
        link = None
        keyword = _RECALL_RE.search(sentence)
        own_status, own_cue = status_of(sentence[:keyword.start()]) if keyword else ("unclear", None)
        if own_status != "unclear":  # 'It has addressed the area for improvement we identified in 2015'
            link = TrailLink(finding_id=finding.finding_id, status=own_status, method="explicit", score=1.0,
                             cue=own_cue, earlier=passage, later=corpus.citation(report, section, a, b))
        for c, d in following[:4] if link is None else ():
            status, cue = status_of(text[c:d])
            if status != "unclear":
                nxt = next(((e, f) for e, f in following if e >= d), None)
                if nxt and re.match(r"(?:for example|for instance)\b", text[nxt[0]:nxt[1]], re.I) and \
                        text.find("\n\n", d, nxt[0]) < 0:
                    d = nxt[1]
                link = TrailLink(finding_id=finding.finding_id, status=status, method="explicit", score=1.0,
                                 cue=cue, earlier=passage, later=corpus.citation(report, section, c, d))
                break
        if link is None and anaphoric and is_critical(text[start:a]):
            # '[a weakness found now.] This was also a recommendation in 2014.': still not addressed
            weak = WEAKNESS_RE.search(text[start:a])
            earlier_passage = corpus.citation(report, section, a, b)
            link = TrailLink(finding_id=finding.finding_id, status="not addressed", method="explicit", score=1.0,
                             cue=weak.group() if weak else None, earlier=earlier_passage,
                             later=corpus.citation(report, section, start, sentences[n - 1][1]))
        out.append((finding, link))
    return out


def extract_findings(report: dict[str, Any], sections: Sequence[dict[str, Any]], corpus: Corpus
                     ) -> tuple[list[Finding], list[TrailLink]]:
    """Each item of the report's 'Areas for improvement', 'Recommendations' and 'Causes of
    concern' sections; for letters, each bullet that states a weakness; and earlier
    inspections' recommendations the report quotes, with the explicit links they carry."""
    found: list[tuple[tuple[int, int], Finding, TrailLink | None]] = []
    is_letter = report["report_type"] == "letter"
    for section in sections:
        text = section["text"]
        kind = FINDING_SECTION_KINDS.get(section["kind"])
        if kind or (is_letter and section["kind"] not in SKIPPED_SECTION_KINDS):
            blocks = paragraph_blocks(text)
            for n, (a, b) in enumerate(blocks):
                item = text[a:b]
                bullet = is_bullet_item(text, a)
                lead_in = item.rstrip().endswith(":") and n + 1 < len(blocks) and is_bullet_item(text, blocks[n + 1][0])
                if len(item.split()) < 4 or lead_in:
                    continue
                if not kind and not (bullet and is_critical(item)):
                    continue
                f_kind = kind or "critical_finding"
                found.append((_citation_rank(section), Finding(
                    finding_id=_finding_id(report["source"], section["section_id"], a, b, f_kind), kind=f_kind,
                    text=item, force=report["force"], year=report["year"], report_type=report["report_type"],
                    source=report["source"], title=report["title"], question=section["question"],
                    theme=section["theme"], citation=corpus.citation(report, section, a, b)), None))
        if section["kind"] not in SKIPPED_SECTION_KINDS:
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

