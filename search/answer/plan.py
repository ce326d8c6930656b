"""What a search or an answer will be restricted to, and where each restriction comes from.

A caller with its own filters (the app's sidebar) and a question that names forces, years or
grades by itself gets one plan: ``plan_search`` combines them field by field. A field only one
side sets comes from that side; when both set it and disagree, the question wins unless the
caller keeps the filters' value for that field. The plan holds what to pass to
``Searcher.search`` and ``answer`` (explicit filters, whether to read the question's context) and,
for showing, every field's values with their origin and every conflict. ``emptied_by`` names the
filters that leave no passage to search.

``Searcher.search`` itself applies the question's forces and years only when no filter is given
(docs/retrieval.md); the plan keeps that path when the caller set nothing, so a year the question
names stays a preference there, and otherwise passes the combined filters explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from search.answer.grades import asks_for_grades
from search.filters import Filters
from search.index.snapshot import IndexSnapshot
from search.retrieve.question import Question
from search.types import YearRange

FIELDS: tuple[str, ...] = ("forces", "years", "themes", "report_types", "judgments")
"""The filter fields a plan describes, in the order people read them."""
QUESTION_FIELDS: tuple[str, ...] = ("forces", "years", "judgments")
"""The fields a question can set by itself: the forces and years it names, and, in a question about
graded judgments, the grades it names ('which forces were graded inadequate')."""


class Origin(StrEnum):
    """Who set a field: the caller's filters (the app's sidebar) or the question's own words."""

    FILTERS = "filters"
    QUESTION = "question"


@dataclass(frozen=True)
class ScopePart:
    """One restriction of a search: a field, its values and who set them.

    ``values`` are canonical ids as the index spells them (force names, theme and report type
    ids, grades); for ``years`` one item, the range as people write it ('2015', '2014–2016').
    """

    field: str
    values: tuple[str, ...]
    origin: Origin
    preferred: bool = False  # years the question names, preferred rather than required (nothing else set)


@dataclass(frozen=True)
class ScopeConflict:
    """A field that the filters and the question both set, differently, and which one was applied."""

    field: str
    filters: tuple[str, ...]
    question: tuple[str, ...]
    winner: Origin


@dataclass(frozen=True)
class SearchPlan:
    """What to search and why: pass ``filters`` and ``use_understanding`` to ``answer`` or ``search``."""

    question: Question
    filters: Filters | None
    use_understanding: bool
    parts: tuple[ScopePart, ...]
    conflicts: tuple[ScopeConflict, ...] = ()
    question_ignored: bool = False  # the caller chose not to apply what the question names

    def part(self, field: str) -> ScopePart | None:
        return next((p for p in self.parts if p.field == field), None)

    def applied(self) -> Filters:
        """The filters the search requires (the question's preferred years are not among them)."""
        if self.filters is not None:
            return self.filters
        forces = self.part("forces")
        years = self.part("years")
        span = self.question.period if years is not None and not years.preferred else None
        return Filters(forces=forces.values if forces else (), years=span)


def _values(filters: Filters, field: str) -> tuple[str, ...]:
    value = getattr(filters, field)
    if field == "years":
        return (value.describe(),) if value is not None else ()
    return tuple(value)


def _question_span(question: Question) -> YearRange | None:
    return question.span


def plan_search(question: Question, filters: Filters | None = None, *, keep_filters: Iterable[str] = (),
                ignore_question: bool = False) -> SearchPlan:
    """Combine the caller's ``filters`` with what ``question`` names.

    Args:
        question: the parsed question (``Searcher.question``).
        filters: the caller's filters (the app's sidebar); None or empty for none.
        keep_filters: fields (of ``QUESTION_FIELDS``) where the filters' value wins a conflict.
        ignore_question: apply only ``filters``, nothing the question names.

    Raises:
        FilterError: a filter names an unknown force, theme, report type or judgment.
    """
    given = (filters or Filters()).resolved()
    kept = set(keep_filters)
    own = {"forces": question.forces, "judgments": question.grades if asks_for_grades(question) else ()}
    span = _question_span(question)
    if ignore_question:
        parts = tuple(ScopePart(f, _values(given, f), Origin.FILTERS) for f in FIELDS if _values(given, f))
        return SearchPlan(question, None if given.is_empty() else given, False, parts, question_ignored=True)
    if given.is_empty():
        parts: list[ScopePart] = []
        if question.forces:
            parts.append(ScopePart("forces", tuple(question.forces), Origin.QUESTION))
        if span is not None:
            parts.append(ScopePart("years", (span.describe(),), Origin.QUESTION, preferred=question.period is None))
        if own["judgments"]:
            parts.append(ScopePart("judgments", tuple(own["judgments"]), Origin.QUESTION))
        return SearchPlan(question, None, True, tuple(parts))

    combined = given
    parts = []
    conflicts: list[ScopeConflict] = []
    for field in FIELDS:
        mine = _values(given, field)
        theirs: tuple[str, ...] = ()
        if field == "years" and span is not None:
            theirs = (span.describe(),)
        elif field in own:
            theirs = tuple(own[field])
        if not theirs:
            if mine:
                parts.append(ScopePart(field, mine, Origin.FILTERS))
            continue
        if mine and set(mine) != set(theirs):
            winner = Origin.FILTERS if field in kept else Origin.QUESTION
            conflicts.append(ScopeConflict(field, mine, theirs, winner))
            if winner is Origin.FILTERS:
                parts.append(ScopePart(field, mine, Origin.FILTERS))
                continue
        elif mine:  # both say the same: the filters already apply it
            parts.append(ScopePart(field, mine, Origin.FILTERS))
            continue
        parts.append(ScopePart(field, theirs, Origin.QUESTION))
        combined = replace(combined, **{field: span if field == "years" else tuple(theirs)})
    return SearchPlan(question, combined, True, tuple(parts), tuple(conflicts))


@dataclass(frozen=True)
class EmptyScope:
    """Why a search had nothing to rank: the filter fields that match no passage.

    ``together`` is True when each field matches passages on its own but not all of them at once.
    """

    fields: tuple[str, ...]
    together: bool


def emptied_by(snapshot: IndexSnapshot, filters: Filters | None) -> EmptyScope | None:
    """The filters that leave no passage to search in ``snapshot``; None when some passage is left.

    Raises:
        FilterError: a filter names an unknown force, theme, report type or judgment.
    """
    if filters is None:
        return None
    resolved = filters.resolved()
    if resolved.is_empty():
        return None
    whole = snapshot.mask(resolved)
    if whole is None or whole.any():
        return None
    set_fields = [f for f in (*FIELDS, "sources") if _values(resolved, f)]
    alone = tuple(f for f in set_fields if not snapshot.mask(Filters(**{f: getattr(resolved, f)})).any())
    return EmptyScope(alone, False) if alone else EmptyScope(tuple(set_fields), True)


__all__ = ["FIELDS", "QUESTION_FIELDS", "EmptyScope", "Origin", "ScopeConflict", "ScopePart", "SearchPlan",
           "emptied_by", "plan_search"]
