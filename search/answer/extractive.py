"""Extractive answers: the sentences (or table rows) of the top passages that best answer the
question, kept verbatim, ordered by report year, each followed by a citation marker [n] that
resolves to a returned passage. Sentence vectors were stored at index time, so composing an
answer encodes nothing but the question. Weights are ``AnswerSettings`` (docs/answers.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ingest.clean import LIST_ITEM_RE
from ingest.textutil import normalise_for_match, strip_markers
from search.config import AnswerSettings
from search.index.lexical import tokenize
from search.index.snapshot import IndexSnapshot
from search.index.store import ChunkStore
from search.types import Citation, Hit

_NUMBER_QUESTION_RE = re.compile(
    r"\b(how many|how much|what (?:percentage|proportion|number|rate|share)|by how much|what was the rate|"
    r"percentage|per cent|percent|rate|number of|figures?|statistics?)\b", re.I)


@dataclass
class Candidate:
    """A sentence (or run of table rows) of a retrieved passage that might be quoted."""

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


def asks_about_change(question: str) -> bool:
    """Whether the question asks how something changed over time ('since', 'improved', 'by 2016')."""
    return bool(_CROSS_YEAR_RE.search(question))


def wants_number(question: str) -> str | None:
    """'percent' or 'count' when the question asks for a figure of that kind, else None."""
    if not _NUMBER_QUESTION_RE.search(question):
        return None
    return "percent" if _PERCENT_Q_RE.search(question) else "count"


def has_number(text: str, kind: str) -> bool:
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


def candidates(snapshot: IndexSnapshot, hits: tuple[Hit, ...], vector: np.ndarray, query_idf: dict[str, float]
               ) -> list[Candidate]:
    """Every stored sentence of ``hits`` with its cosine to the question and its term coverage."""
    found: list[tuple[Hit, int, int, float]] = []
    for hit in hits:
        spans = snapshot.store.sentence_spans(hit.row)
        if not spans:
            continue
        cosines = snapshot.sentence_vectors([sid for sid, _, _ in spans]) @ vector
        found.extend((hit, start, end, float(cosine)) for (_, start, end), cosine in zip(spans, cosines, strict=True))
    overlaps = _overlaps(query_idf, [hit.text[start:end] for hit, start, end, _ in found])
    return [Candidate(hit, start, end, cosine, overlap)
            for (hit, start, end, cosine), overlap in zip(found, overlaps, strict=True)]


_ANAPHOR_RE = re.compile(r"^(?:this|these|that|those|it|they|there|however|but|therefore|thus|so|in comparison|"
                         r"by comparison|compared|in contrast|as a result|consequently)\b", re.I)
_SENTENCE_END_RE = re.compile(r"[.?!:;][\"'’”)]?(?=\s|$)")


def _score(c: Candidate, number: str | None, s: AnswerSettings) -> float:
    text = strip_markers(c.text).strip()
    words = len(text.split())
    is_row = "\t" in c.text
    length = 1.0 if is_row else min(1.0, words / s.full_length_words)
    score = c.cosine + s.overlap_weight * c.overlap * length + s.rank_bonus / (c.hit.rank + 1)
    if words < s.fragment_words and not is_row:
        score -= s.fragment_penalty  # a fragment says little by itself
    if number:
        score += s.number_bonus if has_number(c.text, number) else -s.number_penalty
    elif is_row:
        score -= s.table_row_penalty  # table rows answer questions about figures
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


def _expand(c: Candidate) -> Candidate:
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
    return Candidate(c.hit, c.start, end, c.cosine, c.overlap, c.score, c.header)


def _merge_adjacent(chosen: list[Candidate]) -> list[Candidate]:
    """One quote for neighbouring sentences or table rows of the same passage."""
    out: list[Candidate] = []
    for c in sorted(chosen, key=lambda c: (c.hit.row, c.start)):
        last = out[-1] if out else None
        if last is not None and last.hit.row == c.hit.row and not c.hit.text[last.end:c.start].strip():
            out[-1] = Candidate(last.hit, last.start, max(last.end, c.end), max(last.cosine, c.cosine),
                                 max(last.overlap, c.overlap), max(last.score, c.score), last.header)
        else:
            out.append(c)
    return sorted(out, key=lambda c: -c.score)


def select(candidates: list[Candidate], number: str | None, cross_year: bool, years: set[int] | None = None,
           settings: AnswerSettings | None = None) -> list[Candidate]:
    """Pick up to ``settings.max_quotes`` distinct passages of text that answer the question: the
    best sentence (for a question asking for a figure, the best one holding a figure of that
    kind), those nearly as good, and, for a question about change over time, the best from each year."""
    s = settings or AnswerSettings()
    for c in candidates:
        c.score = _score(c, number, s)
        if years and not cross_year and c.hit.year not in years:
            c.score -= s.other_year_penalty  # the question names the year of the report it is about
    ranked = sorted(candidates, key=lambda c: -c.score)
    if not ranked:
        return []
    if number and not has_number(ranked[0].text, number):
        numeric = next((c for c in ranked if has_number(c.text, number)), None)
        if numeric is not None and numeric.score >= ranked[0].score - s.number_margin:
            ranked.remove(numeric)
            ranked.insert(0, numeric)
    chosen: list[Candidate] = []

    def take(c: Candidate) -> bool:
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
        if chosen and c.score < chosen[0].score - s.quote_margin:
            break
        take(c)
        if len(chosen) == s.max_quotes:
            break
    if cross_year:
        years = {c.hit.year for c in chosen}
        for c in ranked:
            if c.hit.year not in years and c.score >= ranked[0].score - s.cross_year_margin and take(c):
                years.add(c.hit.year)
    return _merge_adjacent(chosen)


def _render(c: Candidate) -> str:
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


def compose(chosen: list[Candidate]) -> tuple[str, list[Candidate]]:
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


def attach_headers(store: ChunkStore, candidates: list[Candidate]) -> None:
    """Column names for table rows (the header row may be in another chunk of the table)."""
    rows = {c.hit.row for c in candidates if c.hit.is_table}
    if not rows:
        return
    headers = {}
    for record in store.chunks(sorted(rows)):
        body = record["embed_text"].split("\n")[1:]
        headers[record["row"]] = next((ln for ln in body if " | " in ln), "")
    for c in candidates:
        if c.hit.is_table:
            c.header = headers.get(c.hit.row, "")


def citation(n: int, c: Candidate) -> Citation:
    """Citation [n] of a quoted candidate: offsets in its section and in its passage."""
    h = c.hit
    return Citation(n=n, quote=c.text, source=h.source, title=h.title, force=h.force, year=h.year,
                    report_type=h.report_type, section=h.section, path=h.path, page=h.page, start=h.start + c.start,
                    end=h.start + c.end, chunk_id=h.chunk_id, section_id=h.section_id, passage=h.text,
                    passage_start=c.start, passage_end=c.end, year_to=h.year_to, url=h.url)


