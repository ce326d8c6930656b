"""Search filters: which reports a search, an answer or a grade lookup may draw on.

Filters are plain values; ``resolved()`` spells their names as the index does (force aliases,
theme and report type labels, grade spellings) and refuses unknown ones. The chunk store turns
resolved filters into a boolean mask over row ids (``search.index.store``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from ingest.forces import canonical_force
from ingest.metadata import REPORT_TYPES, THEMES, canonical_grade, resolve_report_type, resolve_theme
from ingest.types import GRADES
from search.errors import FilterError
from search.types import YearRange


@dataclass(frozen=True)
class Filters:
    """Restrict a search to some reports. Empty fields do not filter.

    ``forces`` are canonical force names or aliases; ``years`` an inclusive range (a pair is
    accepted and made a ``YearRange``); ``themes``, ``report_types`` and ``judgments`` ids or
    labels; ``sources`` file names.
    """

    forces: tuple[str, ...] = ()
    years: YearRange | None = None
    themes: tuple[str, ...] = ()
    report_types: tuple[str, ...] = ()
    judgments: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.years is not None and not isinstance(self.years, YearRange):
            first, last = self.years
            object.__setattr__(self, "years", YearRange(first, last))

    def is_empty(self) -> bool:
        return not (self.forces or self.years or self.themes or self.report_types or self.judgments or self.sources)

    def to_dict(self) -> dict[str, Any]:
        """JSON form of the fields that filter; ``years`` as [first, last] (null for an open end)."""
        data = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        return {k: v for k, v in data.items() if v}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Filters:
        """From JSON-style input: {"force": "Herts" | [...], "year": 2015, "years": [2014, 2016] | "2014-2016",
        "theme": ..., "report_type": ..., "judgment": ..., "source": ...}.

        Raises:
            FilterError: ``data`` is not an object, or a year cannot be read.
        """
        if not data:
            return cls()
        if not isinstance(data, dict):
            raise FilterError("filters must be a JSON object such as {\"force\": \"Hertfordshire\", \"year\": 2015}")

        def many(*keys: str) -> tuple[str, ...]:
            values: list[str] = []
            for key in keys:
                value = data.get(key)
                if value is None:
                    continue
                values.extend([value] if isinstance(value, str) else [str(v) for v in value])
            return tuple(v for v in values if v.strip())

        years = parse_years(data.get("year"), data.get("years"))
        return cls(forces=many("force", "forces"), years=years, themes=many("theme", "themes"),
                   report_types=many("report_type", "report_types"), judgments=many("judgment", "judgments"),
                   sources=many("source", "sources"))

    @classmethod
    def coerce(cls, filters: Filters | dict[str, Any] | None) -> Filters:
        """``filters`` as Filters (a dict is read with ``from_dict``; FilterError if it is neither)."""
        return filters if isinstance(filters, Filters) else cls.from_dict(filters)

    def resolved(self) -> Filters:
        """The same filters with names spelled as the index spells them.

        Raises:
            FilterError: an unknown force, theme, report type or judgment (the message lists the choices).
        """

        def each(names: tuple[str, ...], resolve: Callable[[str], str | None], what: str, hint: str
                 ) -> tuple[str, ...]:
            values = []
            for name in names:
                value = resolve(name)
                if value is None:
                    raise FilterError(f"unknown {what} {name!r}: {hint}")
                values.append(value)
            return tuple(dict.fromkeys(values))

        return Filters(
            forces=each(self.forces, canonical_force, "force",
                        "use a police force name such as 'Hertfordshire Constabulary' or an alias such as 'Herts'"),
            years=self.years,
            themes=each(self.themes, resolve_theme, "theme", f"choose one of {', '.join(THEMES)}"),
            report_types=each(self.report_types, resolve_report_type, "report type",
                              f"choose one of {', '.join(REPORT_TYPES)}"),
            judgments=each(self.judgments, canonical_grade, "judgment", f"choose one of {', '.join(GRADES)}"),
            sources=self.sources,
        )


def parse_years(year: Any = None, years: Any = None) -> YearRange | None:
    """2015 | "2015" | "2014-2016" | "2014-" | "-2016" | [2014, 2016] -> a YearRange ('2014-' leaves the
    end open, '-2016' the start).

    Raises:
        FilterError: neither a year nor a range of years.
    """
    try:
        if year not in (None, ""):
            return YearRange.single(int(year))
        if years in (None, "", []):
            return None
        if isinstance(years, str):
            text = years.replace("–", "-").strip()
            parts = [p for p in text.split("-") if p.strip()]
            first: int | None = int(parts[0])
            last: int | None = int(parts[-1])
            if text.endswith("-"):  # '2014-': 2014 onwards
                last = None
            elif text.startswith("-"):  # '-2016': up to 2016
                first = None
        else:
            first, last = int(years[0]), int(years[-1])
    except (TypeError, ValueError, IndexError) as exc:
        raise FilterError(f"cannot read year filter {year or years!r}: use a year like 2015 or a range like "
                          "2014-2016") from exc
    if first is not None and last is not None and first > last:
        first, last = last, first
    return YearRange(first, last)


def resolve_force(name: str | None) -> str | None:
    """The canonical name of a force named by name or alias; None for no name.

    Raises:
        FilterError: no force goes by that name.
    """
    if not name:
        return None
    force = canonical_force(name)
    if force is None:
        raise FilterError(f"unknown force {name!r}: use a police force name such as 'Hertfordshire Constabulary' "
                          "or an alias such as 'Herts'")
    return force


__all__ = ["Filters", "parse_years", "resolve_force"]
