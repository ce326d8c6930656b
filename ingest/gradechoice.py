"""One grade per force, area and period, the statement cited for it, and the other statements of it.

A report often states one grade several times: a pillar line at the top of a page ('The extent to
which the force is efficient at keeping people safe and reducing crime is good'), the sentence that
opens the area's own section ('Kent Police is good at ...'), a heading with its grade line, a row of
a judgments table. ``ingest.grades`` finds them all; here they become one statement each:

- the **grade** is the clearest statement's: a grade over 'not yet graded', then a heading with its
  grade line, an 'extent to which' sentence or a table row over a sentence naming its area, over a
  sentence whose area comes from its context; then the first;
- the **citation** is the sentence that opens the area's own section when one states that grade;
  else, for a heading, table row or pillar line, the first sentence naming the area with that grade;
  else the clearest statement itself;
- the **alternatives** are the other statements of the same grade for the same force, area and
  period: in text order, at most three, each worded differently, none in an annex or a findings
  list, none overlapping the citation or standing right next to it (a heading and its grade line
  above the sentence cited say nothing more).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

STRUCTURED, DIRECT, CONTEXTUAL = 3, 2, 1
"""How clear a statement is: a heading or table row, a sentence naming its area, a sentence whose
area comes from its context. The clearest statement of an area and period gives the grade."""

MAX_ALSO = 3
"""Alternative citations kept per grade."""

Slot = tuple[str | None, str, int | None, int | None]
"""(force, area key, first year, last year): one grade each."""


@dataclass
class Found:
    """One statement of a grade as read, before one is chosen per slot.

    ``shape`` is 'line' (a heading with its grade line, or a judgments table laid out as lines),
    'row' (a table row or 'Area: Grade' line) or 'sentence'.
    """

    area: str
    key: str
    grade: str | None
    start: int
    end: int
    strength: int
    period: tuple[int | None, int | None]
    force: str | None
    shape: str = "sentence"

    @property
    def slot(self) -> Slot:
        return (self.force, self.key, *self.period)


@dataclass(frozen=True)
class Chosen:
    """The statement kept for a slot (its ``start``/``end`` the span cited) and the other spans
    stating the same grade, in text order."""

    found: Found
    also: tuple[tuple[int, int], ...] = ()


def rank(found: Found) -> tuple[int, int, int]:
    """Graded over not graded, clearer over vaguer, earlier over later."""
    return (found.grade is not None, found.strength, -found.start)


def choose(found: list[Found], text: str, opens_own_section: Callable[[Found], bool],
           left_out: Callable[[int], bool]) -> list[Chosen]:
    """One statement per force, area and period with its citation and alternatives, in text order.

    Args:
        found: every statement read; those with no force (a national report's 'most forces were good
            at ...') grade no one and are dropped.
        text: the report's text, which the spans index.
        opens_own_section: whether a statement is the first sentence of its area's own section.
        left_out: whether an offset lies in an annex or a findings list (never an alternative).
    """
    best: dict[Slot, Found] = {}
    for item in found:
        if item.force is None:
            continue
        old = best.get(item.slot)
        if old is None or rank(item) > rank(old):
            best[item.slot] = item
    chosen = []
    for slot, top in best.items():
        same = [f for f in found if f.slot == slot and f.grade == top.grade]
        cited = _cited(top, same, opens_own_section)
        chosen.append(Chosen(replace(top, start=cited.start, end=cited.end),
                             _alternatives(cited, same, text, left_out)))
    return sorted(chosen, key=lambda c: (c.found.start, c.found.key))


def _cited(top: Found, same: list[Found], opens_own_section: Callable[[Found], bool]) -> Found:
    opening = next((f for f in same if f.shape == "sentence" and opens_own_section(f)), None)
    if opening is not None:
        return opening
    if top.strength == STRUCTURED:  # a grade line or table row is cited by a sentence stating the grade
        return next((f for f in same if f.strength == DIRECT), top)
    return top


_LABEL_OR_GRADE_RE = re.compile(
    r"^(?:overall judg(?:e)?ment|judg(?:e)?ment|last updated\b.*|published\b.*|updated\b.*|['\"‘“]?(?:outstanding|good|"
    r"adequate|inadequate|requires improvement|not yet graded|to be graded|not graded)['\"’”]?\.?)$", re.I)


def _next_to(a: tuple[int, int], b: tuple[int, int], text: str) -> bool:
    """Nothing but labels and grade lines stand between two spans."""
    (_, first_end), (second_start, _) = sorted([a, b])
    between = [line.strip() for line in text[first_end:second_start].split("\n") if line.strip()]
    return all(_LABEL_OR_GRADE_RE.match(" ".join(line.split())) for line in between)


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _alternatives(cited: Found, same: list[Found], text: str, left_out: Callable[[int], bool]
                  ) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    seen = {_words(text[cited.start:cited.end])}
    for item in sorted(same, key=lambda f: (f.start, f.end)):
        span = (item.start, item.end)
        wording = _words(text[item.start:item.end])
        if wording in seen or left_out(item.start) or (item.start < cited.end and cited.start < item.end) \
                or _next_to(span, (cited.start, cited.end), text) \
                or any(a < item.end and item.start < b for a, b in spans):
            continue
        seen.add(wording)
        spans.append(span)
    return tuple(spans[:MAX_ALSO])
