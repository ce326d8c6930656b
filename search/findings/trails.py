"""Trails: where later reports on the same force revisit a finding, and what they say of it.

A later report's paragraphs (and bullet items) are scored against each finding: half the cosine
of the finding to the paragraph (the mean of its sentence vectors) plus half the cosine to its
best sentence. The stored sentence vectors are used; nothing in the corpus is encoded again.
Thresholds are ``TrailSettings`` (docs/findings.md).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from search.config import TrailSettings
from search.findings.corpus import Corpus
from search.findings.cues import paragraph_blocks, status_of
from search.findings.model import FINDING_SECTION_KINDS, SKIPPED_SECTION_KINDS, Finding, TrailLink
from search.index.dense import dequantize

SCORE_BLOCK = 64
"""Findings scored together against a force's later paragraphs."""


@dataclass
class _Unit:
    """A paragraph (or bullet item) of a later report, the unit a finding is linked to."""

    report: dict[str, Any]
    section: dict[str, Any]
    start: int
    end: int
    sentence_rows: list[int]  # positions in the force's sentence arrays


def _force_units(corpus: Corpus, reports: list[dict[str, Any]], sentence_vectors: np.ndarray
                 ) -> tuple[list[_Unit], np.ndarray, np.ndarray, list[tuple[str, int, int]], np.ndarray]:
    """Units of the given reports, their vectors, the sentence vectors, the sentence spans and
    the unit of each sentence."""
    by_source = {r["source"]: r for r in reports}
    sections = {s["section_id"]: s for s in corpus.sections(by_source)}
    rows = [r for r in corpus.sentence_rows(by_source) if sections[r[1]]["kind"] not in SKIPPED_SECTION_KINDS]
    sent_vectors = dequantize(sentence_vectors[[r[0] for r in rows]]) if rows else \
        np.zeros((0, sentence_vectors.shape[1] if sentence_vectors.ndim == 2 else 1), np.float32)
    spans = [(r[1], r[2], r[3]) for r in rows]
    units: list[_Unit] = []
    block_cache: dict[str, tuple[list[tuple[int, int]], list[int]]] = {}
    where: dict[tuple[str, int], int] = {}
    for i, (section_id, start, _end) in enumerate(spans):
        section = sections[section_id]
        if section_id not in block_cache:
            blocks = paragraph_blocks(section["text"])  # in text order, not overlapping
            block_cache[section_id] = blocks, [a for a, _b in blocks]
        blocks, starts = block_cache[section_id]
        at = bisect.bisect_right(starts, start) - 1
        block = blocks[at] if at >= 0 and start < blocks[at][1] else (start, _end)
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


def match_scores(finding_vectors: np.ndarray, unit_vectors: np.ndarray, sent_vectors: np.ndarray,
                 unit_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every finding (rows of ``finding_vectors``) and unit: the match score (mean of the unit's
    cosine and its best sentence's) and that best sentence's row, first in row order on a tie.

    ``unit_of[i]`` is the unit of sentence row ``i``; every unit has at least one sentence.
    Returns arrays of shape (findings, units).
    """
    order = np.argsort(unit_of, kind="stable")  # by unit, rows in their order within it
    firsts = np.flatnonzero(np.r_[True, np.diff(unit_of[order]) != 0])
    sizes = np.diff(np.r_[firsts, len(order)])
    by_unit = sent_vectors[order]
    rows = np.arange(len(order))[:, None]
    scores = np.zeros((len(finding_vectors), len(firsts)), np.float32)
    best_rows = np.zeros((len(finding_vectors), len(firsts)), np.int64)
    for lo in range(0, len(finding_vectors), SCORE_BLOCK):  # bounded memory for large forces
        block = finding_vectors[lo:lo + SCORE_BLOCK]
        sent_cos = by_unit @ block.T  # (sentences by unit, findings of the block)
        best_cos = np.maximum.reduceat(sent_cos, firsts, axis=0)
        # The first row of each unit reaching its maximum: mark maxima, then the first mark per unit.
        position = np.where(sent_cos == np.repeat(best_cos, sizes, axis=0), rows, len(order))
        best_rows[lo:lo + SCORE_BLOCK] = order[np.minimum.reduceat(position, firsts, axis=0)].T
        scores[lo:lo + SCORE_BLOCK] = 0.5 * (block @ unit_vectors.T) + 0.5 * best_cos.T
    return scores, best_rows


def _semantic_link(finding: Finding, unit: _Unit, best: int, spans: list[tuple[str, int, int]], score: float,
                   corpus: Corpus) -> TrailLink:
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
    if status == "unclear" and unit.section["kind"] in FINDING_SECTION_KINDS:
        status, cue = "not addressed", None  # the later report lists the matter again as a finding
    return TrailLink(finding_id=finding.finding_id, status=status, method="semantic", score=round(float(score), 4),
                     cue=cue, earlier=finding.citation, later=corpus.citation(unit.report, unit.section, lo, hi))


def semantic_links(findings: Sequence[Finding], finding_vectors: np.ndarray, corpus: Corpus,
                   sentence_vectors: np.ndarray, settings: TrailSettings) -> list[TrailLink]:
    """Where later reports on the same force revisit each finding: passages of later reports
    scoring ``settings.threshold`` (same theme) or ``settings.cross_theme_threshold`` (another
    theme), at most ``settings.links_per_report`` from one report."""
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
        all_scores, all_best = match_scores(finding_vectors[members], unit_vectors, sent_vectors, unit_of)
        for n, scores, best in zip(members, all_scores, all_best, strict=True):
            finding = findings[n]
            close = np.where(unit_theme == finding.theme, scores >= settings.threshold,
                             scores >= settings.cross_theme_threshold)
            eligible = (unit_year > (finding.year or 0)) & (unit_source != finding.citation.source) & close
            per_report: dict[str, list[TrailLink]] = {}
            for u in np.flatnonzero(eligible)[np.argsort(-scores[eligible], kind="stable")]:
                link = _semantic_link(finding, units[u], int(best[u]), spans, float(scores[u]), corpus)
                per_report.setdefault(units[u].report["source"], []).append(link)
            for candidates in per_report.values():
                # Passages that say something about progress first, then by score.
                candidates.sort(key=lambda x: (x.status == "unclear", -x.score))
                links.extend(candidates[:settings.links_per_report])
    return links

