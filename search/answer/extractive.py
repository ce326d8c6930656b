"""Extractive answers: the candidate sentences most likely to answer, kept verbatim, each followed by
a citation marker [n] that resolves to a returned passage.

A single-report question gets its most likely sentence and those nearly as likely (up to
``max_quotes``). A question across years gets each report's most likely sentence, oldest first,
and says which of the force's reports in the period do not cover it; a question across forces
gets each force's. A quote grows to the list it introduces and to the sentences that carry it on
('These were:', 'This compares with ...'), and back to the sentence its first words point to ('This
is higher than ...'); neighbouring quotes of one passage become one. Pure
functions over candidates already scored (``search.answer.evidence``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from ingest.clean import LIST_ITEM_RE
from ingest.dates import format_period
from ingest.textutil import normalise_for_match, sentence_spans, strip_markers
from search.answer.evidence import CHECKABLE, FACTS, Candidate, later_than_asked, satisfies
from search.config import AnswerSettings
from search.retrieve.question import AnswerType, Question, Scope
from search.types import Citation, Hit

_CARRIES_ON_RE = re.compile(  # a sentence that goes on from the one before ('this' and co.: _REFERS_BACK_RE)
    r"^(?:it|they|there|however|but|therefore|thus|so|in comparison|by comparison|compared|in contrast|"
    r"as a result|consequently)\b", re.I)
_LEANS_BACK_RE = re.compile(  # a sentence that cannot stand without the one before it ('this' and co.: below)
    r"^(?:that|it|they|as a result|consequently|therefore|thus|in comparison|by comparison)\b", re.I)
_REFERS_BACK_RE = re.compile(  # 'We raised this with the force.': 'this' is what the sentence before says
    r"\b(?:this|these|those)\b(?!\s+(?:report|reports|inspection|inspections|year|years|letter|assessment|"
    r"assessments|round|period|month|months|week|weeks|time|page|publication|review|programme|force|"
    r"constabulary|service|document|summary|section|chapter)\b)", re.I)
_SENTENCE_END_RE = re.compile(r"[.?!:;][\"'’”)]?(?=\s|$)")
_COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}


def _list_end(text: str, end: int, lead_in: str = "", limit: int = 10) -> int:
    """End of the list that follows offset ``end``: items until one closes the list with a full
    stop, or as many as the lead-in announces ('in one of two ways:')."""
    announced = [_COUNT_WORDS[w] for w in re.findall(rf"\b({'|'.join(_COUNT_WORDS)})\b", lead_in.lower())]
    limit = min([limit, *announced])
    for _ in range(limit):
        match = re.match(r"\s*\n([^\n]*)", text[end:])
        if not match or not LIST_ITEM_RE.match(match.group(1)):
            break
        end += match.end()
        if match.group(1).rstrip().endswith((".", "?", "!")):
            break
    return end


def _next_sentence_end(text: str, end: int) -> int | None:
    """End of the sentence that follows offset ``end`` in the same paragraph, if any."""
    rest = text[end:]
    stripped = rest.lstrip(" ")
    if not stripped or stripped.startswith("\n"):
        return None
    sentence_end = _SENTENCE_END_RE.search(stripped)
    return end + (len(rest) - len(stripped)) + sentence_end.end() if sentence_end else None


def _previous_sentence_start(text: str, start: int) -> int | None:
    """Start of the sentence before offset ``start`` in the same paragraph, if any."""
    line_start = text.rfind("\n", 0, start) + 1
    spans = sentence_spans(text[line_start:start])
    return line_start + spans[-1][0] if spans else None


def _points_back(sentence: str) -> bool:
    """Whether a sentence cannot stand without the one before it ('This is higher than ...', 'We
    raised this with the force'); 'This report ...' and 'this year' name the publication or its time."""
    return bool(_LEANS_BACK_RE.match(sentence) or _REFERS_BACK_RE.search(sentence))


def expand(c: Candidate, expects: AnswerType | None = None) -> Candidate:
    """A quote grown back to the sentence its first words point to ('This is higher than ...', 'As a
    result, ...'), to the list it introduces, to next sentences that carry it on, and, when it
    lacks the kind of answer asked for (a figure, a date, a reason), to the next sentence of its
    paragraph that holds one; within its passage."""
    text, end = c.hit.text, c.end
    head_end = end  # the sentence whose words may point back: the quote's first
    for _ in range(2):  # 'As a result, ...' after 'This means ...': back to what the first points to
        head = text[c.start:head_end]
        if not _points_back(head) or (before := _previous_sentence_start(text, c.start)) is None:
            break
        c, head_end = replace(c, start=before), c.start
    if expects is not None and expects in CHECKABLE and not satisfies(expects, text[c.start:end]):
        following = _next_sentence_end(text, end)
        # a reason is most often given right after the fact it explains, in words of any kind
        if following is not None and (expects is AnswerType.REASON or satisfies(expects, text[end:following])):
            end = following
    for _ in range(3):
        if text[c.start:end].rstrip().endswith(":"):
            end = _list_end(text, end, text[c.start:end])
            break
        if (following := _carried_on_to(text, end)) is None:
            break
        end = following
    return replace(c, end=end)


def _carried_on_to(text: str, end: int) -> int | None:
    """The end of the next sentence of the paragraph when it carries on the one ending at ``end``
    ('This is a fall of two grades since 2017, ...', 'However, ...'), else None."""
    rest = text[end:]
    stripped = rest.lstrip(" ")
    if not stripped or stripped.startswith("\n") or not (sentence_end := _SENTENCE_END_RE.search(stripped)):
        return None
    sentence = stripped[:sentence_end.end()]
    if "\n" in sentence or not (_CARRIES_ON_RE.match(sentence) or _points_back(sentence)):
        return None
    return end + (len(rest) - len(stripped)) + sentence_end.end()


def carry_on(text: str, end: int, limit: int = 3) -> int:
    """The end of the sentences (at most ``limit``) after offset ``end`` that carry its sentence on."""
    for _ in range(limit):
        if (following := _carried_on_to(text, end)) is None:
            break
        end = following
    return end


def states_asked_fact(c: Candidate, question: Question) -> bool:
    """Whether the quote ``c`` would be (grown as ``expand`` grows it) states a fact of the kind a
    figure or date question asks for; True for other questions. Worked out once per candidate."""
    if question.expects not in FACTS or question.polar:
        return True
    if c.states is None:
        grown = expand(c, question.expects).text
        c.states = ((c.type_ok or satisfies(question.expects, grown))
                    and (question.expects is AnswerType.DATE or not later_than_asked(grown, question)))
    return c.states


def _same_words(a: Candidate, b: Candidate) -> bool:
    """One quote repeats the other (overlapping spans of one passage, or the same words anywhere)."""
    if a.hit.row == b.hit.row and a.start < b.end and b.start < a.end:
        return True
    x, y = (normalise_for_match(strip_markers(c.text)) for c in (a, b))
    return x in y or y in x


def _distinct(ranked: Sequence[Candidate], limit: int, expects: AnswerType) -> list[Candidate]:
    chosen: list[Candidate] = []
    for c in ranked:
        grown = expand(c, expects)
        if not any(_same_words(grown, other) for other in chosen):
            chosen.append(grown)
        if len(chosen) == limit:
            break
    return chosen


def _merge_adjacent(chosen: list[Candidate]) -> list[Candidate]:
    """One quote for neighbouring sentences or table rows of the same passage."""
    out: list[Candidate] = []
    for c in sorted(chosen, key=lambda c: (c.hit.row, c.start)):
        last = out[-1] if out else None
        if last is not None and last.hit.row == c.hit.row and not c.hit.text[last.end:c.start].strip():
            out[-1] = replace(last, end=max(last.end, c.end), probability=max(last.probability, c.probability))
        else:
            out.append(c)
    return out


def _report_key(hit: Hit) -> tuple[str | None, int | None, str]:
    return hit.force, hit.year, hit.source


def choose(question: Question, candidates: Sequence[Candidate], settings: AnswerSettings) -> list[Candidate]:
    """The quotes of the answer: for one report the most likely sentence and those nearly as likely;
    across years or forces, each report's (or force's) most likely sentence that is likely enough."""
    ranked = sorted(candidates, key=lambda c: -c.probability)
    ranked = [c for c in ranked if states_asked_fact(c, question)] or ranked  # a figure or date question: quotes that state one
    if not ranked:
        return []
    if question.scope is Scope.SINGLE:
        floor = max(settings.abstain_below, ranked[0].probability * settings.extra_quote_ratio)
        return _merge_adjacent(_distinct([c for c in ranked if c.probability >= floor] or ranked[:1],
                                         settings.max_quotes, question.expects))
    by: dict[object, Candidate] = {}
    floor = max(settings.abstain_below, ranked[0].probability * settings.per_report_ratio)
    for c in ranked:
        key = c.hit.force if question.scope is Scope.CROSS_FORCE else _report_key(c.hit)
        if key not in by and c.probability >= floor:
            by[key] = c
    chosen = _distinct(list(by.values()) or ranked[:1], max(settings.max_quotes, len(by)), question.expects)
    return _merge_adjacent(chosen)


def render(c: Candidate) -> str:
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


def short_title(hit: Hit) -> str:
    title = hit.title or hit.source
    return title if len(title) <= 60 else title[:57].rstrip() + "…"


def period_of(hit: Hit) -> str:
    """'2016', '2018/19', '2023–25' ('' when undated)."""
    return format_period(hit.year, hit.year_to)


def compose(question: Question, chosen: Sequence[Candidate]) -> tuple[str, list[Candidate]]:
    """The answer text with [n] markers and the quotes in citation order: grouped by report, oldest
    report first, each group introduced by its period and title when several reports speak."""
    ordered = sorted(chosen, key=lambda c: (c.hit.year or 0, c.hit.force or "", c.hit.source, -c.probability))
    if question.scope is Scope.SINGLE:
        best_report = _report_key(max(chosen, key=lambda c: c.probability).hit)
        ordered = sorted(chosen, key=lambda c: (_report_key(c.hit) != best_report, c.hit.year or 0, c.hit.source,
                                                -c.probability))
    reports = {_report_key(c.hit) for c in ordered}
    parts: list[str] = []
    last = None
    for n, c in enumerate(ordered, start=1):
        quote = render(c)
        if len(reports) > 1 and _report_key(c.hit) != last:
            who = f"{c.hit.force}, " if question.scope is Scope.CROSS_FORCE and c.hit.force else ""
            quote = f"{who}{period_of(c.hit) or 'undated'} ({short_title(c.hit)}): {quote}"
            last = _report_key(c.hit)
        parts.append(f"{quote} [{n}]")
    return " ".join(parts), ordered


def uncovered(question: Question, chosen: Sequence[Candidate], reports: Sequence[dict]) -> list[str]:
    """For a question across years about named forces: the indexed reports on those forces, within
    the period asked about, that no quote comes from ('The 2014 report ... does not cover this.')."""
    if question.scope is not Scope.CROSS_YEAR or not question.forces:
        return []
    quoted = {c.hit.source for c in chosen}
    span = question.span
    notes = []
    for r in sorted(reports, key=lambda r: (r["year"] or 0, r["source"])):
        if r["force"] in question.forces and r["source"] not in quoted and (span is None or span.overlaps(
                r["year"], r.get("year_to"))):
            when = format_period(r["year"], r.get("year_to")) or "undated"
            notes.append(f"The {when} report ({r['title']}) does not cover this.")
    return notes


def citation(n: int, c: Candidate) -> Citation:
    """Citation [n] of a quoted candidate: offsets in its section and in its passage."""
    h = c.hit
    return Citation(n=n, quote=c.text, source=h.source, title=h.title, force=h.force, year=h.year,
                    report_type=h.report_type, section=h.section, path=h.path, page=h.page, start=h.start + c.start,
                    end=h.start + c.end, chunk_id=h.chunk_id, section_id=h.section_id, passage=h.text,
                    passage_start=c.start, passage_end=c.end, year_to=h.year_to, url=h.url)


__all__ = ["carry_on", "choose", "citation", "compose", "expand", "period_of", "render", "short_title", "uncovered"]
