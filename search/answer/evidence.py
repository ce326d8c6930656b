"""Evidence for an answer: the candidate sentences of the retrieved passages and what speaks for each.

Every sentence, table row or list lead-in of the top passages is a candidate, except furniture
(headings, links, contents lines), which is never an answer. Each candidate gets a row of
features: how close it is to the whole question and to its focus, how much of the focus it holds,
whether it is of the kind of answer the question wants (a figure near a focus word for "how many",
a grade for "how was it rated", a date for "when"), how the retriever ranked its passage, and
whether it is report boilerplate (the report describing itself, a sentence several reports print
alike). ``EvidenceModel`` (fitted on the development split) turns the row into the probability
that the sentence answers the question. Pure functions apart from ``gather``, which reads one
index snapshot.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ingest.clean import LIST_ITEM_RE
from ingest.textutil import strip_markers
from search.config import EvidenceModel
from search.index.lexical import stem, tokenize
from search.index.snapshot import IndexSnapshot
from search.retrieve.question import AnswerType, Question
from search.types import Hit

FEATURES: tuple[str, ...] = (
    "question_cosine", "focus_cosine", "focus_coverage", "focus_coverage_context", "question_coverage",
    "passage_rank", "best_in_passage", "type_ok", "type_checkable", "figure_near_focus", "self_description",
    "repeated", "log_words", "year_match", "year_miss", "table_row", "lead_in", "previous_cosine",
)
"""The feature columns, in order; the evidence model's weights are stored with these names."""

CHECKABLE = frozenset({AnswerType.COUNT, AnswerType.SHARE, AnswerType.MONEY, AnswerType.DATE, AnswerType.GRADE,
                       AnswerType.LIST, AnswerType.REASON})
"""Answer types a sentence can be seen to satisfy or not."""
FIGURES = frozenset({AnswerType.COUNT, AnswerType.SHARE, AnswerType.MONEY})
FACTS = FIGURES | {AnswerType.DATE}
"""Answer types that only a sentence stating a figure or a date can answer."""

_NUMBER_WORDS = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
                 r"fifty|hundred|thousand|million|billion|half|third|quarter|dozen)")
_YEARLIKE_RE = re.compile(r"\b(?:19|20)\d\d(?:\s*[/–-]\s*\d\d(?:\d\d)?)?\b")
_DATE_RE = re.compile(r"\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{4}\b|"
                      r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{4}\b|"
                      r"\b\d{1,2}/\d{1,2}/\d{2,4}\b", re.I)
_DURATION_RE = re.compile(rf"\b(?:\d+|{_NUMBER_WORDS})\s+(?:working\s+)?(?:minutes?|hours?|days?|weeks?|months?|"
                          r"years?)\b|\bby (?:the end of )?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\b|"
                          r"\bimmediately\b|\bwithin\b", re.I)
_PERCENT_RE = re.compile(rf"\d\s*(?:%|percent|per cent)|\b(?:{_NUMBER_WORDS}|\d+)\s+(?:in|out of)\s+(?:\d+|"
                         rf"{_NUMBER_WORDS})\b|\b(?:half|a third|two thirds|a quarter|three quarters|majority|"
                         r"minority)\b", re.I)
_MONEY_RE = re.compile(r"£\s?\d|\b\d[\d,.]*\s*(?:m|bn|million|billion|pounds)\b", re.I)
_COUNT_RE = re.compile(rf"\b\d[\d,]*(?:\.\d+)?\b|\b{_NUMBER_WORDS}\b", re.I)
_GRADE_RE = re.compile(r"\b(?:outstanding|good|adequate|requires? improvement|inadequate)\b", re.I)
_GRADE_VERB_RE = re.compile(r"\b(?:is|was|were|are|remains?|judged|graded|assessed|rated|as)\b[^.]{0,60}\b(?:"
                            r"outstanding|good|adequate|requires? improvement|inadequate)\b", re.I)
_REASON_RE = re.compile(r"\bbecause\b|\bdue to\b|\bas a result\b|\bowing to\b|\bled to\b|\bcaused\b|\breasons?\b|"
                        r"\bresult(?:ed|s)? (?:in|from)\b|\bso that\b|\bmeans? that\b|\bsince\b", re.I)
_SELF_DESCRIPTION_RE = re.compile(
    r"^(?:this|the|our)\s+(?:\w+\s+){0,2}(?:report|inspection|assessment|letter|publication|document|page|summary)s?"
    r"\b(?:\s+\w+){0,3}\s+(?:sets? out|describes?|presents?|contains?|summaris(?:es|ed)|covers?|is (?:the|our|one|"
    r"available|designed|based|part)|was (?:carried out|commissioned|published)|forms? part|should be read|"
    r"explains?|gives?)\b|\bis (?:designed|intended) to give\b|\bare available (?:on|from) (?:our|the) website\b|"
    r"^this is (?:hmic|hmicfrs|her majesty|his majesty|the inspectorate)\S*\s", re.I)
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’-]+")
_CONTENTS_LINE_RE = re.compile(r"\.{4,}\s*\d+\s*$|\t\d{1,3}\s*$")
_TERMINAL = (".", "?", "!", ":", ";", "”", '"', "’", ")")
_PUBLISHER = (r"(?:HMIC|HMICFRS|HMI Constabulary|HM Inspectorate of (?:Constabulary|Prisons)[\w &]*|Home Office|"
              r"College of Policing|National Police Chiefs['’] Council|NPCC|ONS|Office for National Statistics|"
              r"Ministry of Justice|Crown Prosecution Service|CPS|HM Government|The Stationery Office|TSO)")
_REFERENCE_RE = re.compile(  # a footnote reference, a link to a document, the publication's licence line
    rf",\s*{_PUBLISHER}\b[^,]{{0,40}},\s*(?:\w+\s+)?(?:19|20)\d\d\.?$|^[¹²³⁴⁵⁶⁷⁸⁹⁰\d]*\s*{_PUBLISHER}\s*"
    r"\((?:19|20)\d\d\)\s+(?-i:[A-Z‘'\"“])|\((?:pdf|word|excel|odt|csv)(?: document| file)?(?:,\s*[\d.]+\s*[km]b)?\)\s*$|"
    r"\(opens in (?:a )?new (?:window|tab)\)|^[¹²³⁴⁵⁶⁷⁸⁹⁰\d]*\s*available (?:at|from|on)\s*:?\s*(?:https?://|www\.)|"
    r"\blicensed under the (?:terms of the )?open government licen[cs]e\b|^©|\bcrown copyright\b|"
    r"\bany enquiries regarding this publication\b|\bthis publication is available (?:at|for download)\b", re.I)


@dataclass
class Candidate:
    """One sentence (or table row, or list lead-in) of one retrieved passage."""

    hit: Hit
    start: int  # offsets in hit.text
    end: int
    sid: int
    cosine: float  # to the question
    focus_cosine: float
    repeated: int = 0  # other reports printing the same sentence
    header: str = ""  # column names, for a table row
    previous_cosine: float = 0.0  # the previous sentence's cosine to the question (an answer often follows
    # the sentence that restates the question)
    probability: float = 0.0
    type_ok: bool = False
    states: bool | None = None  # whether it states the figure or date asked (``extractive.states_asked_fact``)
    focus_covered: float = 0.0  # the idf-weighted share of the focus's words it holds, with its heading and lead

    @property
    def text(self) -> str:
        return self.hit.text[self.start:self.end]


def is_furniture(text: str) -> bool:
    """A heading, a question, a link, a contents line, a footnote reference to another publication, the
    publication's licence or copyright line, or an empty line: never an answer."""
    body = strip_markers(text).strip()
    if not body or _CONTENTS_LINE_RE.search(body) or _REFERENCE_RE.search(body):
        return True
    if "\t" in body or LIST_ITEM_RE.match(body):
        return False  # table rows and list items answer questions
    if body.endswith("?"):
        return True  # a sentence that asks (an inspection question heading) states nothing
    words = _WORD_RE.findall(body)
    if len(words) <= 12 and not body.endswith(_TERMINAL):
        return True
    return len(words) < 3


def satisfies(expects: AnswerType, text: str) -> bool:
    """Whether ``text`` holds an answer of the kind the question wants (True for kinds no form shows)."""
    body = strip_markers(text)
    if expects is AnswerType.SHARE:
        return bool(_PERCENT_RE.search(body))
    if expects is AnswerType.MONEY:
        return bool(_MONEY_RE.search(body))
    if expects is AnswerType.COUNT:
        return bool(_COUNT_RE.search(_YEARLIKE_RE.sub(" ", _DATE_RE.sub(" ", body))))
    if expects is AnswerType.DATE:
        return bool(_DATE_RE.search(body) or _YEARLIKE_RE.search(body) or _DURATION_RE.search(body))
    if expects is AnswerType.GRADE:
        return bool(_GRADE_VERB_RE.search(body) or ("\t" in body and _GRADE_RE.search(body)))
    if expects is AnswerType.REASON:
        return bool(_REASON_RE.search(body))
    if expects is AnswerType.LIST:
        return body.rstrip().endswith(":") or bool(LIST_ITEM_RE.match(body)) or body.count(",") >= 2 or "\t" in body
    return True


def figure_near(text: str, focus_stems: set[str], window: int) -> bool:
    """Whether a figure stands within ``window`` words of a focus word (dates and years are not figures)."""
    if not focus_stems:
        return False
    body = _YEARLIKE_RE.sub(" ", _DATE_RE.sub(" ", strip_markers(text)))
    tokens = re.findall(r"£?\d[\d,.]*%?|[A-Za-z][A-Za-z'’-]*", body)
    focus_at = [i for i, t in enumerate(tokens) if t[0].isalpha() and stem(t) in focus_stems]
    number_at = [i for i, t in enumerate(tokens) if t[0].isdigit() or t[0] == "£"
                 or re.fullmatch(_NUMBER_WORDS, t, re.I)]
    return any(abs(i - j) <= window for i in focus_at for j in number_at)


_ORDINALS = r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)"
_COUNT_TOKEN_RE = re.compile(rf"\d[\d,.]*|{_NUMBER_WORDS}|{_ORDINALS}", re.I)


def counts_asked(text: str, counted: Sequence[str], word_vectors: Callable[[list[str]], np.ndarray],
                 window: int, similarity: float) -> bool:
    """Whether ``text`` has a number that counts what the question counts: the counted noun (the last
    of ``counted``) within ``window`` words of the number, or a word after the number that stands for it
    (word vectors at least ``similarity`` close: '412 devices' for 'how many laptops'). '… in four
    districts' does not count police officers. Years and dates are not numbers here."""
    if not counted:
        return True
    body = _YEARLIKE_RE.sub(" ", _DATE_RE.sub(" ", strip_markers(text)))
    tokens = re.findall(r"£?\d[\d,.]*%?|[A-Za-z][A-Za-z'’-]*", body)
    noun = stem(counted[-1])
    after: set[str] = set()
    for i, token in enumerate(tokens):
        if not _COUNT_TOKEN_RE.fullmatch(token.lstrip("£").rstrip("%")):
            continue
        near = [t.lower() for t in tokens[max(0, i - window):i + window + 1] if t[0].isalpha()]
        if any(stem(t) == noun for t in near):
            return True
        after.update(t.lower() for t in tokens[i + 1:i + window + 1] if t[0].isalpha())
    if not after:
        return False
    words = sorted(after)
    vectors = word_vectors([counted[-1], *words])
    return bool((vectors[1:] @ vectors[0] >= similarity).any())


def stated_years(text: str) -> set[int]:
    """Every year ``text`` names, a period's years included ('2021/22' names 2021 and 2022)."""
    years: set[int] = set()
    for match in _YEARLIKE_RE.finditer(text):
        first, *rest = re.split(r"\s*[/–-]\s*", match.group(0))
        start = int(first)
        years.add(start)
        if rest:
            end = int(rest[0]) if len(rest[0]) == 4 else start // 100 * 100 + int(rest[0])
            years.update(range(start + 1, end + 1) if start < end <= start + 5 else ())
    return years


def later_than_asked(text: str, question: Question) -> bool:
    """Whether every year ``text`` names is more than a year after the time the question asks about:
    a figure 'in the year to March 2024' does not say how the force did in 2022 (a year's grace, as
    reports give the last financial year's figures). Earlier years do not count: reports compare
    with them ('down from 1,400 at our 2016 inspection to 800')."""
    span = question.span
    if span is None or span.last is None:
        return False
    years = stated_years(strip_markers(text))
    return bool(years) and min(years) > span.last + 1


def coverage(weights: dict[str, float], tokens: set[str]) -> float:
    """The idf-weighted share of ``weights``' terms that ``tokens`` hold."""
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in tokens) / total if total else 0.0


def gather(snapshot: IndexSnapshot, hits: Sequence[Hit], vector: np.ndarray, focus_vector: np.ndarray
           ) -> list[Candidate]:
    """Every stored sentence of ``hits`` that is not furniture, with its cosines to the question and
    its focus and how many other reports print it alike."""
    found: list[Candidate] = []
    headers = _table_headers(snapshot, hits)
    for hit in hits:
        spans = snapshot.store.sentence_spans(hit.row)
        if not spans:
            continue
        sids = [sid for sid, _, _ in spans]
        vectors = snapshot.sentence_vectors(sids)
        cosines, focus_cosines = vectors @ vector, vectors @ focus_vector
        for i, ((sid, start, end), cosine, focus_cosine) in enumerate(zip(spans, cosines, focus_cosines,
                                                                         strict=True)):
            if is_furniture(hit.text[start:end]):
                continue
            found.append(Candidate(hit, start, end, sid, float(cosine), float(focus_cosine),
                                   int(snapshot.store.repeated[sid]) if len(snapshot.store.repeated) else 0,
                                   headers.get(hit.row, ""), previous_cosine=float(cosines[i - 1]) if i else 0.0))
    return found


def _table_headers(snapshot: IndexSnapshot, hits: Sequence[Hit]) -> dict[int, str]:
    """Column names of table passages (the header row may be in another chunk of the table)."""
    rows = [h.row for h in hits if h.is_table]
    out = {}
    for record in snapshot.store.chunks(rows) if rows else []:
        body = record["embed_text"].split("\n")[1:]
        out[record["row"]] = next((ln for ln in body if " | " in ln), "")
    return out


def feature_rows(question: Question, candidates: Sequence[Candidate], ranks: dict[int, int],
                 focus_idf: dict[str, float], question_idf: dict[str, float], figure_window: int) -> np.ndarray:
    """One row of FEATURES per candidate; sets each candidate's ``type_ok`` and ``focus_covered``.

    Args:
        ranks: the retriever's rank (1 = first) of each passage, by row.
        focus_idf, question_idf: stem -> idf weight of the focus and of the whole question.
        figure_window: words between a figure and a focus word for it to count as about the focus.
    """
    texts = [strip_markers(c.text) for c in candidates]
    contexts = [" ".join((*c.hit.path, strip_markers(c.hit.text[max(0, c.start - 300):c.start]))) for c in candidates]
    token_sets = [set(t) for t in tokenize(texts)]
    context_sets = [set(t) for t in tokenize(contexts)]
    best_in: dict[int, float] = {}
    for c in candidates:
        best_in[c.hit.row] = max(best_in.get(c.hit.row, -1.0), c.cosine)
    span = question.span
    checkable = question.expects in CHECKABLE
    focus_stems = set(focus_idf)
    rows = np.zeros((len(candidates), len(FEATURES)), dtype=np.float64)
    for i, (c, text, tokens, context) in enumerate(zip(candidates, texts, token_sets, context_sets, strict=True)):
        c.type_ok = satisfies(question.expects, text)
        c.focus_covered = coverage(focus_idf, tokens | context)
        in_period = span is not None and span.overlaps(c.hit.year, c.hit.year_to)
        mentions = span is not None and any(span.contains(int(y)) for y in re.findall(r"\b(?:19|20)\d\d\b", text))
        rows[i] = (
            c.cosine, c.focus_cosine,
            coverage(focus_idf, tokens), c.focus_covered, coverage(question_idf, tokens),
            1.0 / ranks.get(c.hit.row, len(ranks) + 1),
            float(c.cosine >= best_in[c.hit.row]),
            float(checkable and c.type_ok), float(checkable),
            float(question.expects in FIGURES and figure_near(text, focus_stems, figure_window)),
            float(bool(_SELF_DESCRIPTION_RE.search(text.strip()))),
            math.log1p(c.repeated),
            math.log1p(len(_WORD_RE.findall(text))),
            float(in_period or mentions),
            float(span is not None and not in_period and not mentions),
            float("\t" in text),
            float(text.rstrip().endswith(":")),
            c.previous_cosine,
        )
    return rows


def probabilities(rows: np.ndarray, model: EvidenceModel) -> np.ndarray:
    """The model's probability for each feature row."""
    if not len(rows):
        return np.zeros(0)
    if model.features != FEATURES:
        order = [FEATURES.index(name) for name in model.features]
        rows = rows[:, order]
    z = ((rows - np.asarray(model.mean)) / np.asarray(model.scale)) @ np.asarray(model.weights) + model.intercept
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0)))


def score(question: Question, candidates: list[Candidate], snapshot: IndexSnapshot, ranks: dict[int, int],
          model: EvidenceModel, figure_window: int,
          tokenizer: Callable[[list[str]], list[list[str]]] = tokenize) -> np.ndarray:
    """Features for ``candidates`` and their probabilities (set on each candidate); returns the rows."""
    focus = question.focus_tokens or question.tokens
    rows = feature_rows(question, candidates, ranks, snapshot.lexical.idf(focus), snapshot.lexical.idf(question.tokens),
                        figure_window)
    for c, p in zip(candidates, probabilities(rows, model), strict=True):
        c.probability = float(p)
    return rows


__all__ = ["CHECKABLE", "FACTS", "FEATURES", "Candidate", "counts_asked", "coverage", "feature_rows", "figure_near", "gather", "is_furniture", "later_than_asked", "stated_years",
           "probabilities", "satisfies", "score"]
