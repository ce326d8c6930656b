"""Cited answers composed from retrieved passages, or an honest abstention.

Without a language model the answer is extractive: the sentences (or table rows) of the top
passages that best answer the question, kept verbatim, ordered by report year, each followed
by a citation marker [n] that resolves to a returned passage. Sentence vectors were stored at
index time, so composing an answer encodes nothing but the question.

When the evidence is weak the product abstains ("The indexed reports do not answer this") and
shows the closest passages labelled as not answering. Thresholds were calibrated on the
development set (README, "Answers").
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ingest.clean import LIST_ITEM_RE
from ingest.textutil import normalise_for_match, strip_markers
from search.dense import dequantize
from search.lexical import tokenize
from search.retriever import Hit, Searcher, SearchResult, clean_query
from search.store import Filters
from search.topics import unmentioned_topics

ABSTAIN_MESSAGE = "The indexed reports do not answer this."
PASSAGES = 5  # top passages whose sentences may be quoted
MAX_QUOTES = 4
QUOTE_MARGIN = 0.10  # further quotes score within this of the best one
# Evidence thresholds (calibrated on eval/dev_questions.jsonl; see README "Answers").
MIN_SENTENCE_COSINE = 0.22
MIN_SUPPORT = 0.25
# Questions in words the reports use nothing like ('bananas', 'sourdough', another language):
# abstain when half of the question's words are foreign to them, or a fifth are and no
# sentence comes close.
MAX_FOREIGN = 0.5
FOREIGN_WITH_WEAK_EVIDENCE = 0.2
WEAK_COSINE = 0.33
_NUMBER_QUESTION_RE = re.compile(
    r"\b(how many|how much|what (?:percentage|proportion|number|rate|share)|by how much|what was the rate|"
    r"percentage|per cent|percent|rate|number of|figures?|statistics?)\b", re.I)
_NUMBER_RE = re.compile(r"\d[\d,.]*\s*(?:%|percent|per cent)?")


@dataclass(frozen=True)
class Citation:
    """A verbatim quote and where it is: ``start``/``end`` are offsets of the quote in its
    section's text; ``passage_start``/``passage_end`` of the quote in ``passage``."""

    n: int
    quote: str
    source: str
    title: str
    force: str | None
    year: int | None
    section: str
    path: tuple[str, ...]
    page: int | None
    start: int
    end: int
    chunk_id: str
    section_id: str
    passage: str
    passage_start: int
    passage_end: int

    def to_dict(self, with_passage: bool = False) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = list(self.path)
        if not with_passage:
            for key in ("passage", "passage_start", "passage_end", "path", "section_id"):
                data.pop(key)
        return data


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...]
    passages: tuple[Hit, ...]
    abstained: bool
    reason: str | None = None
    mode: str = "extractive"  # extractive | llm | grades
    filters_used: dict[str, Any] = field(default_factory=dict)
    understood: dict[str, Any] = field(default_factory=dict)
    notices: tuple[str, ...] = ()

    def to_dict(self, with_passages: bool = False) -> dict[str, Any]:
        data = {
            "question": self.question, "answer": self.text, "abstained": self.abstained, "reason": self.reason,
            "mode": self.mode, "filters_used": self.filters_used, "notices": list(self.notices),
            "citations": [c.to_dict(with_passages) for c in self.citations],
        }
        if with_passages:
            data["passages"] = [h.to_dict() for h in self.passages]
        return data


@dataclass
class _Candidate:
    hit: Hit
    start: int  # offsets in hit.text
    end: int
    cosine: float
    overlap: float
    score: float = 0.0
    header: str = ""  # column names of a table row

    @property
    def text(self) -> str:
        return self.hit.text[self.start:self.end]


_DATE_RE = re.compile(
    r"\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{4}\b|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{4}\b|\b(?:19|20)\d\d(?:/\d\d)?\b|"
    r"\b\d+\s+months?\b", re.I)
_PERCENT_Q_RE = re.compile(r"\b(percent(?:age)?|per cent|proportion|share|rate|by how much|how much)\b", re.I)
_PERCENT_RE = re.compile(r"\d\s*(?:%|percent|per cent)|\b\d+\.\d+\b")
_COUNT_RE = re.compile(r"\b\d[\d,]*\b")
_CROSS_YEAR_RE = re.compile(r"\b(chang\w*|since|compared?|between|improv\w*|progress|by (?:the )?(?:19|20)\d\d|"
                            r"over time|still|any better|worse|trend)\b", re.I)


def wants_number(question: str) -> str | None:
    """'percent' or 'count' when the question asks for a figure of that kind, else None."""
    if not _NUMBER_QUESTION_RE.search(question):
        return None
    return "percent" if _PERCENT_Q_RE.search(question) else "count"


def _has_number(text: str, kind: str) -> bool:
    """Whether ``text`` holds a figure of ``kind`` once dates and periods are set aside."""
    text = _DATE_RE.sub(" ", strip_markers(text))
    return bool(_PERCENT_RE.search(text) if kind == "percent" else _COUNT_RE.search(text)) or (
        kind == "percent" and bool(_COUNT_RE.search(text)) and "\t" in text)


def _overlaps(query_idf: dict[str, float], texts: list[str]) -> list[float]:
    """For each text, the IDF-weighted share of the question's terms that occur in it."""
    total = sum(query_idf.values())
    if not total or not texts:
        return [0.0] * len(texts)
    token_sets = [set(tokens) for tokens in tokenize([strip_markers(t) for t in texts])]  # one call for all
    return [sum(w for t, w in query_idf.items() if t in tokens) / total for tokens in token_sets]


def _candidates(searcher: Searcher, hits: tuple[Hit, ...], vector: np.ndarray, query_idf: dict[str, float]
                ) -> list[_Candidate]:
    state = searcher._state
    found: list[tuple[Hit, int, int, float]] = []
    for hit in hits:
        spans = state.store.sentence_spans(hit.row)
        if not spans:
            continue
        ids = np.array([sid for sid, _, _ in spans])
        cosines = dequantize(state.sentences[ids]) @ vector
        found.extend((hit, start, end, float(cosine)) for (_, start, end), cosine in zip(spans, cosines, strict=True))
    overlaps = _overlaps(query_idf, [hit.text[start:end] for hit, start, end, _ in found])
    return [_Candidate(hit, start, end, cosine, overlap)
            for (hit, start, end, cosine), overlap in zip(found, overlaps, strict=True)]


_ANAPHOR_RE = re.compile(r"^(?:this|these|that|those|it|they|there|however|but|therefore|thus|so|in comparison|"
                         r"by comparison|compared|in contrast|as a result|consequently)\b", re.I)
_SENTENCE_END_RE = re.compile(r"[.?!:;][\"'’”)]?(?=\s|$)")


def _score(c: _Candidate, number: str | None) -> float:
    text = strip_markers(c.text).strip()
    words = len(text.split())
    is_row = "\t" in c.text
    length = 1.0 if is_row else min(1.0, words / 10)
    score = c.cosine + 0.35 * c.overlap * length + 0.12 / (c.hit.rank + 1)
    if words < 5 and not is_row:
        score -= 0.15  # a fragment says little by itself
    if number:
        score += 0.08 if _has_number(c.text, number) else -0.04
    elif is_row:
        score -= 0.10  # table rows answer questions about figures
    return score


_COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}


def _list_end(text: str, end: int, lead_in: str = "", limit: int = 8) -> int:
    """End of the list that follows offset ``end``: items until one closes the list with a full
    stop, or as many as the lead-in announces ('in one of two ways:')."""
    announced = [_COUNT_WORDS[w] for w in re.findall(r"\b(two|three|four|five|six|seven|eight)\b", lead_in.lower())]
    limit = min([limit, *announced])
    for _ in range(limit):
        match = re.match(r"\s*\n([^\n]*)", text[end:])
        if not match or not LIST_ITEM_RE.match(match.group(1)):
            break
        end += match.end()
        if match.group(1).rstrip().endswith((".", "?", "!")):
            break
    return end


def _expand(c: _Candidate) -> _Candidate:
    """Grow a quote to the list it introduces ('... in one of two ways:' + its items) and to next
    sentences that continue it ('This is compared with ...', 'These were:'), within its passage."""
    text = c.hit.text
    end = c.end
    for _ in range(3):
        if text[c.start:end].rstrip().endswith(":"):
            end = _list_end(text, end, text[c.start:end])
            break
        rest = text[end:]
        stripped = rest.lstrip(" ")
        if not stripped or stripped.startswith("\n") or not _ANAPHOR_RE.match(stripped):
            break
        sentence_end = _SENTENCE_END_RE.search(stripped)
        if not sentence_end:
            break
        end += (len(rest) - len(stripped)) + sentence_end.end()
    return _Candidate(c.hit, c.start, end, c.cosine, c.overlap, c.score, c.header)


def _merge_adjacent(chosen: list[_Candidate]) -> list[_Candidate]:
    """One quote for neighbouring sentences or table rows of the same passage."""
    out: list[_Candidate] = []
    for c in sorted(chosen, key=lambda c: (c.hit.row, c.start)):
        last = out[-1] if out else None
        if last is not None and last.hit.row == c.hit.row and not c.hit.text[last.end:c.start].strip():
            out[-1] = _Candidate(last.hit, last.start, max(last.end, c.end), max(last.cosine, c.cosine),
                                 max(last.overlap, c.overlap), max(last.score, c.score), last.header)
        else:
            out.append(c)
    return sorted(out, key=lambda c: -c.score)


def _select(candidates: list[_Candidate], number: str | None, cross_year: bool,
            years: set[int] | None = None) -> list[_Candidate]:
    """Pick up to MAX_QUOTES distinct passages of text that answer the question: the best
    sentence (for a question asking for a figure, the best one holding a figure of that kind),
    those nearly as good, and, for a question about change over time, the best from each year."""
    for c in candidates:
        c.score = _score(c, number)
        if years and not cross_year and c.hit.year not in years:
            c.score -= 0.1  # the question names the year of the report it is about
    ranked = sorted(candidates, key=lambda c: -c.score)
    if not ranked:
        return []
    if number and not _has_number(ranked[0].text, number):
        numeric = next((c for c in ranked if _has_number(c.text, number)), None)
        if numeric is not None and numeric.score >= ranked[0].score - 0.2:
            ranked.remove(numeric)
            ranked.insert(0, numeric)
    chosen: list[_Candidate] = []

    def take(c: _Candidate) -> bool:
        grown = _expand(c)
        for other in chosen:
            same = other.hit.row == grown.hit.row and grown.start < other.end and other.start < grown.end
            duplicate = normalise_for_match(strip_markers(grown.text)) in normalise_for_match(strip_markers(other.text))
            if same or duplicate or normalise_for_match(strip_markers(other.text)) in normalise_for_match(
                    strip_markers(grown.text)):
                return False
        chosen.append(grown)
        return True

    for c in ranked:
        if chosen and c.score < chosen[0].score - QUOTE_MARGIN:
            break
        take(c)
        if len(chosen) == MAX_QUOTES:
            break
    if cross_year:
        years = {c.hit.year for c in chosen}
        for c in ranked:
            if c.hit.year not in years and c.score >= ranked[0].score - 0.2 and take(c):
                years.add(c.hit.year)
    return _merge_adjacent(chosen)


def _render(c: _Candidate) -> str:
    """How a quote reads in the answer: prose verbatim; table rows with their column names."""
    text = c.text.strip()
    if "\t" not in text:
        return text
    names = [x.strip() for x in c.header.split(" | ")] if c.header else []
    rows = []
    for line in text.split("\n"):
        cells = [x.strip() for x in line.split("\t")]
        if len(names) == len(cells) and len(cells) > 1:
            rows.append(f"{cells[0]}: " + "; ".join(f"{n} {v}" for n, v in zip(names[1:], cells[1:], strict=True)))
        elif line.strip():
            rows.append(" | ".join(cells))
    return ". ".join(rows)


def compose(chosen: list[_Candidate]) -> tuple[str, list[_Candidate]]:
    """Order quotes by year (oldest first) and report, naming the year when several are involved."""
    ordered = sorted(chosen, key=lambda c: (c.hit.year or 0, c.hit.source, c.hit.section_id, c.start))
    years = {c.hit.year for c in ordered if c.hit.year}
    parts: list[str] = []
    last_year = None
    for n, c in enumerate(ordered, start=1):
        quote = _render(c)
        if len(years) > 1 and c.hit.year != last_year:
            lead = "In" if last_year is None else "By"
            quote = f"{lead} {c.hit.year} ({_short_title(c.hit)}): {quote}"
            last_year = c.hit.year
        parts.append(f"{quote} [{n}]")
    return " ".join(parts), ordered


def _short_title(hit: Hit) -> str:
    title = hit.title or hit.source
    return title if len(title) <= 60 else title[:57].rstrip() + "…"


def _attach_headers(searcher: Searcher, candidates: list[_Candidate]) -> None:
    """Column names for table rows (the header row may be in another chunk of the table)."""
    rows = {c.hit.row for c in candidates if c.hit.is_table}
    if not rows:
        return
    headers = {}
    for record in searcher.store.chunks(sorted(rows)):
        body = record["embed_text"].split("\n")[1:]
        headers[record["row"]] = next((ln for ln in body if " | " in ln), "")
    for c in candidates:
        if c.hit.is_table:
            c.header = headers.get(c.hit.row, "")


def _citation(n: int, c: _Candidate) -> Citation:
    h = c.hit
    return Citation(n=n, quote=c.text, source=h.source, title=h.title, force=h.force, year=h.year, section=h.section,
                    path=h.path, page=h.page, start=h.start + c.start, end=h.start + c.end, chunk_id=h.chunk_id,
                    section_id=h.section_id, passage=h.text, passage_start=c.start, passage_end=c.end)


def _year_outside(result: SearchResult, searcher: Searcher, passages: tuple[Hit, ...]) -> list[int]:
    """Years the question names as report years that no indexed report has and no passage mentions."""
    years = result.understood.get("years") or []
    if result.understood.get("period"):
        return []
    covered = set(searcher.store.vocab["year"])
    missing = [y for y in years if y not in covered]
    if not missing or len(missing) < len(years):
        return []
    text = " ".join(h.text for h in passages)
    return [y for y in missing if str(y) not in text]


def answer(searcher: Searcher, question: str, filters: Filters | dict | None = None, *, k: int = 8,
           llm: Any = None, use_understanding: bool = True) -> Answer:
    """Answer ``question`` from the index with cited verbatim quotes, or abstain.

    Args:
        searcher: a loaded index.
        question: the user's question.
        filters: explicit filters (as for ``Searcher.search``).
        k: passages retrieved and returned with the answer.
        llm: an ``search.llm.LLMClient`` for written answers (None: extractive only).
        use_understanding: apply the forces and years the question names (as ``Searcher.search``).

    Raises:
        QueryError, FilterError: as ``Searcher.search``.
    """
    from search.findings import grade_answer  # questions about grades: answered from the structured grades

    question = clean_query(question) if isinstance(question, str) else ""  # no null bytes or lone surrogates
    graded = grade_answer(searcher, question, filters, use_understanding=use_understanding)
    if graded is not None:
        return graded
    result = searcher.search(question, k=max(k, 10), filters=filters,
                             use_understanding=use_understanding)
    base = {"question": question, "filters_used": result.filters_used, "understood": result.understood,
            "notices": result.notices}
    if result.out_of_scope:
        return Answer(text=f"{ABSTAIN_MESSAGE} {result.notices[0] if result.notices else ''}".strip(),
                      citations=(), passages=(), abstained=True,
                      reason=result.notices[0] if result.notices else "outside the indexed reports", **base)
    if not result.hits:
        reason = result.notices[-1] if result.notices else "no passage matches"
        return Answer(text=f"{ABSTAIN_MESSAGE} {reason}", citations=(), passages=(), abstained=True, reason=reason,
                      **base)
    pool = result.hits  # searched with at least ten, so a topic is looked for widely enough
    passages = pool[:k]
    missing_years = _year_outside(result, searcher, passages)
    if missing_years:
        reason = (f"No indexed report is from {', '.join(map(str, missing_years))}. "
                  f"{searcher.describe_coverage()}")
        return Answer(text=f"{ABSTAIN_MESSAGE} {reason}", citations=(), passages=passages, abstained=True,
                      reason=reason, **base)

    absent = unmentioned_topics(question, [h.text for h in pool])
    if absent:
        reason = f"none of the passages that come closest mention {' or '.join(absent)}"
        return Answer(text=f"{ABSTAIN_MESSAGE} The indexed reports (within the filters used) do not discuss "
                           f"{' or '.join(absent)}; the closest passages are listed below and do not answer it.",
                      citations=(), passages=passages, abstained=True, reason=reason, **base)

    lexical = searcher._state.lexical
    # All the question's terms count, those the reports never use too (at the highest idf):
    # otherwise 'What is the capital of France?' covers its only known term, 'capital', fully.
    question_tokens = tokenize([question])[0]
    query_idf = lexical.idf(question_tokens)
    candidates = _candidates(searcher, passages[:PASSAGES], result.vector, query_idf)
    _attach_headers(searcher, candidates)
    years_named = set(result.understood.get("years") or [])
    cross_year = len(years_named) > 1 or bool(_CROSS_YEAR_RE.search(question))
    chosen = _select(candidates, wants_number(question), cross_year, years_named)
    best_cosine = max((c.cosine for c in candidates), default=0.0)
    support = max((c.overlap for c in candidates), default=0.0)
    foreign = len(result.foreign_words) / max(1, len(question_tokens))
    weak = best_cosine < MIN_SENTENCE_COSINE and support < MIN_SUPPORT
    off_topic = foreign >= MAX_FOREIGN or (foreign >= FOREIGN_WITH_WEAK_EVIDENCE and best_cosine < WEAK_COSINE)
    if not chosen or weak or off_topic:
        reason = (f"the closest passages are only loosely related (best sentence similarity {best_cosine:.2f}, "
                  f"best term coverage {support:.2f}"
                  + (f"; the reports use no words like {', '.join(result.foreign_words)})" if foreign else ")"))
        return Answer(text=f"{ABSTAIN_MESSAGE} The closest passages are listed below; they do not answer it.",
                      citations=(), passages=passages, abstained=True, reason=reason, **base)

    if llm is not None:
        from search.llm import written_answer

        written = written_answer(llm, question, passages[:PASSAGES], candidates)
        if written is not None:
            text, citations = written
            return Answer(text=text, citations=tuple(citations), passages=passages, abstained=False, mode="llm",
                          **base)

    text, ordered = compose(chosen)
    citations = tuple(_citation(n, c) for n, c in enumerate(ordered, start=1))
    return Answer(text=text, citations=citations, passages=passages, abstained=False, **base)
