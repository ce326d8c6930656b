"""Corrections to what was read from a report: a sidecar ``<file>.meta.json`` or a ``--meta`` CSV.

Both give any of the fields ``force``, ``year``, ``report_type``, ``title``, ``url``, ``published``;
a field given wins over what was detected in the text, a field left out (or empty) changes nothing.
See docs/fetch.md for the formats. Values are checked when the file is loaded, and every problem is
reported with the file and row (or key) it is in and how to fix it.

- ``force``: a force's name or alias ('Norfolk', 'the Met', 'Dyfed Powys'), stored canonically.
- ``year``: a year ('2016') or a period ('2018/19', '2023-25', '2021 to 2022').
- ``report_type``: an id or label from ``ingest.metadata.REPORT_TYPES`` ('peel_effectiveness',
  'Custody inspection').
- ``published``: '2016-11-03', '2016-11', '3 November 2016', 'November 2016' or '03/11/2016' (day first).
- ``url``: the report's http(s) address.
- ``title``: any one-line text.

In the CSV, ``source`` says which report a row corrects: a file name ('norfolk-2016.pdf'), a path
ending ('reports/2016/norfolk.pdf', matched against the end of the report's path) or a URL (matched
against the address the report was downloaded from).
"""

from __future__ import annotations

import csv
import difflib
import json
import re
from dataclasses import dataclass, fields, replace
from datetime import date
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import urlsplit

from ingest.dates import FIRST_YEAR, LAST_YEAR, read_period
from ingest.forces import all_forces, canonical_force
from ingest.metadata import REPORT_TYPES, resolve_report_type
from ingest.types import ReportMeta
from ingest.urlmeta import MetaHint, apply_hint

__all__ = ["CSV_COLUMNS", "FIELDS", "SIDECAR_SUFFIX", "MetaOverride", "MetaTable", "OverrideError",
           "apply_override", "correct_meta", "load_meta_csv", "load_sidecar", "override_from_fields", "parse_period",
           "parse_published", "resolve_override", "sidecar_path"]

SIDECAR_SUFFIX = ".meta.json"
"""A report ``x.pdf`` is corrected by ``x.pdf.meta.json`` beside it."""

FIELDS: tuple[str, ...] = ("force", "year", "report_type", "title", "url", "published")
"""Fields an override may give."""

CSV_COLUMNS: tuple[str, ...] = ("source", *FIELDS)
"""Columns of a ``--meta`` CSV; only ``source`` is required."""

_KEY_ALIASES = {"type": "report_type", "report_type": "report_type", "period": "year"}
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")


class OverrideError(ValueError):
    """A sidecar or CSV holds values that cannot be applied. ``problems`` has one line per problem,
    each naming the file and row or key, and the fix."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        head = "" if len(problems) == 1 else f"{len(problems)} problems in the metadata corrections:\n  "
        super().__init__(head + "\n  ".join(problems))


@dataclass(frozen=True)
class MetaOverride:
    """Corrections for one report; None means 'not given, keep what was detected'.

    ``origin`` says where the corrections came from ('x.pdf.meta.json', 'meta.csv row 4'), for messages.
    """

    origin: str
    force: str | None = None
    year: int | None = None
    year_to: int | None = None
    report_type: str | None = None
    title: str | None = None
    url: str | None = None
    published: str | None = None

    def over(self, base: MetaOverride | None) -> MetaOverride:
        """These corrections on top of ``base``: a field given here wins, the others come from ``base``."""
        if base is None:
            return self
        values = {f.name: getattr(self, f.name) if getattr(self, f.name) is not None else getattr(base, f.name)
                  for f in fields(self) if f.name not in ("origin", "year", "year_to")}
        period = (self.year, self.year_to) if self.year is not None else (base.year, base.year_to)
        return MetaOverride(origin=f"{base.origin}, then {self.origin}", year=period[0], year_to=period[1], **values)


# ---------------------------------------------------------------- value parsers


def parse_period(text: str | int) -> tuple[int, int]:
    """(first, last) year of '2016', '2018/19', '2018/2019', '2023-25', '2023–2025' or '2021 to 2022'
    (``ingest.dates.read_period``, the one period parser).

    Raises:
        ValueError: not a year or period, a year outside 1990–2100, or a last year not after the first
            (or more than ten years after it); the message says what to write instead.
    """
    period = read_period(text)
    return period.year_from, period.year_to


def parse_published(text: str) -> str:
    """An ISO date ('YYYY-MM-DD' or 'YYYY-MM') from ISO, '3 November 2016', 'November 2016' or '03/11/2016'.

    Raises:
        ValueError: another shape, or no such date; the message lists the accepted shapes.
    """
    raw = " ".join(str(text).split())
    low = raw.lower()
    day: int | None
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", low):
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None
    elif m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", low):
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := re.fullmatch(rf"(?:(\d{{1,2}})(?:st|nd|rd|th)? )?({'|'.join(_MONTHS)}) (\d{{4}})", low):
        day, month, year = int(m.group(1)) if m.group(1) else None, _MONTHS.index(m.group(2)) + 1, int(m.group(3))
    else:
        raise ValueError(f"published {raw!r} is not a date: write 2016-11-03, 2016-11, 3 November 2016 or "
                         "03/11/2016 (day first)")
    try:
        date(year, month, day or 1)
    except ValueError:
        raise ValueError(f"published {raw!r} is not a real date: check the day and month") from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"published {raw!r} is outside {FIRST_YEAR}–{LAST_YEAR}: check the year")
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "")


def _suggest_force(name: str) -> str:
    """'did you mean ...?' for a near miss ('Norfok'), compared without Police/Constabulary words."""

    def bare(text: str) -> str:
        return " ".join(re.sub(r"\b(?:police|constabulary|service|force)\b", " ", text.lower()).split())

    names = {bare(n): force.name for force in all_forces() for n in (force.name, *force.aliases) if bare(n)}
    close = difflib.get_close_matches(bare(name), list(names), n=1, cutoff=0.75)
    if close:
        return f"did you mean {names[close[0]]!r}?"
    return "use a name such as 'Norfolk Constabulary' or 'Metropolitan Police Service'"


def _value(key: str, raw: Any) -> dict[str, Any]:
    """The override fields one key/value gives; raises ValueError with the fix."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}
    if key == "year":
        if not isinstance(raw, str | int) or isinstance(raw, bool):
            raise ValueError(f"year {raw!r} is not a year or period: write e.g. 2016, 2018/19 or 2023-25")
        first, last = parse_period(raw)
        return {"year": first, "year_to": last}
    if not isinstance(raw, str):
        raise ValueError(f"{key} {raw!r} is not text: write it in quotes")
    text = " ".join(raw.split())
    if key == "force":
        force = canonical_force(text)
        if force is None:
            raise ValueError(f"force {text!r} is not a police force we know: {_suggest_force(text)}")
        return {"force": force}
    if key == "report_type":
        rtype = resolve_report_type(text)
        if rtype is None:
            raise ValueError(f"report type {text!r} is not known: use one of {', '.join(REPORT_TYPES)}")
        return {"report_type": rtype}
    if key == "published":
        return {"published": parse_published(text)}
    if key == "url":
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname or " " in text:
            raise ValueError(f"url {text!r} is not a web address: write the full http(s):// address")
        return {"url": text}
    if key == "title":
        return {"title": text}
    raise ValueError(f"unknown field {key!r}: use {', '.join(FIELDS)}")  # pragma: no cover - keys are checked


def _key(name: str) -> str:
    key = re.sub(r"[\s-]+", "_", str(name).strip().lower())
    return _KEY_ALIASES.get(key, key)


def _override(origin: str, items: dict[str, Any], problems: list[str], where: str | None = None) -> MetaOverride:
    """The override ``items`` give; each problem is added to ``problems``, prefixed with ``where``."""
    where = where or origin
    values: dict[str, Any] = {}
    for name, raw in items.items():
        key = _key(name)
        if key not in FIELDS:
            problems.append(f"{where}: unknown field {name!r}: use {', '.join(FIELDS)}")
            continue
        try:
            values.update(_value(key, raw))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
    return MetaOverride(origin=origin, **values)


def override_from_fields(origin: str, items: dict[str, Any]) -> MetaOverride:
    """The corrections a mapping of fields gives (a sidecar's object, a stored correction, a form).

    Raises:
        OverrideError: an unknown field or a value that cannot be read; each problem names ``origin``.
    """
    problems: list[str] = []
    override = _override(origin, items, problems)
    if problems:
        raise OverrideError(problems)
    return override


# ---------------------------------------------------------------- sidecars


def sidecar_path(report_path: str | Path) -> Path:
    """Where the sidecar of ``report_path`` is: the same name with '.meta.json' added."""
    path = Path(report_path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def load_sidecar(report_path: str | Path) -> MetaOverride | None:
    """The corrections in ``<report_path>.meta.json``, or None when there is no sidecar.

    Raises:
        OverrideError: the sidecar is not a JSON object of known fields with valid values.
    """
    path = sidecar_path(report_path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise OverrideError([f"{path}: cannot be read ({type(exc).__name__}): make it a readable UTF-8 file"]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OverrideError([f"{path}: not valid JSON (line {exc.lineno}: {exc.msg}): fix it or delete the "
                             "file"]) from None
    if not isinstance(data, dict):
        raise OverrideError([f"{path}: must be a JSON object such as {{\"force\": \"Norfolk\", \"year\": "
                             "\"2016\"}}"])
    problems: list[str] = []
    override = _override(path.name, data, problems, where=str(path))
    if problems:
        raise OverrideError(problems)
    return override


# ---------------------------------------------------------------- the --meta CSV


@dataclass(frozen=True)
class MetaTable:
    """The rows of a ``--meta`` CSV, by their ``source``."""

    rows: dict[str, MetaOverride]

    def for_report(self, path: str | Path | None = None, *, url: str | None = None) -> MetaOverride | None:
        """The row for a report read from ``path`` and/or downloaded from ``url``.

        A URL row matches the download address exactly (ignoring a trailing slash). A path row matches
        when the report's path ends with the row's path components; the longest match wins, so
        'norfolk.pdf' applies anywhere while '2016/norfolk.pdf' picks one folder.
        """
        if url:
            for source, row in self.rows.items():
                if _is_url(source) and source.rstrip("/") == url.rstrip("/"):
                    return row
        if path is None:
            return None
        parts = PurePath(path).parts
        best: tuple[int, MetaOverride] | None = None
        for source, row in self.rows.items():
            if _is_url(source):
                continue
            wanted = PurePath(source).parts
            if wanted and parts[-len(wanted):] == wanted and (best is None or len(wanted) > best[0]):
                best = (len(wanted), row)
        return best[1] if best else None


def _is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def load_meta_csv(path: str | Path) -> MetaTable:
    """Read and check a ``--meta`` CSV (a header row naming the columns, then one row per report).

    Raises:
        OverrideError: with every problem found, each naming the row (as a spreadsheet numbers it,
            the header being row 1) and the fix; or the file cannot be read.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise OverrideError([f"{path}: cannot be read ({type(exc).__name__}): check the path, and save the "
                             "CSV as UTF-8"]) from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise OverrideError([f"{path}: empty: the first row must name the columns, e.g. {','.join(CSV_COLUMNS)}"])
    columns = [_key(cell) for cell in header]
    problems = [f"{path} row 1: unknown column {cell!r}: use {', '.join(CSV_COLUMNS)}"
                for cell, key in zip(header, columns, strict=True) if key not in CSV_COLUMNS and cell.strip()]
    if "source" not in columns:
        problems.append(f"{path} row 1: no 'source' column: add one naming each report's file or URL")
        raise OverrideError(problems)
    rows: dict[str, MetaOverride] = {}
    first_row: dict[str, int] = {}
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(columns):
            problems.append(f"{path} row {number}: {len(cells)} cells but {len(columns)} columns: quote values "
                            "that contain commas")
            continue
        record = dict(zip(columns, cells, strict=False))
        source = (record.pop("source", "") or "").strip()
        origin = f"{path.name} row {number}"
        if not source:
            problems.append(f"{path} row {number}: empty source: give the report's file name or URL")
            continue
        if source in first_row:
            problems.append(f"{path} row {number}: source {source!r} is already on row {first_row[source]}: "
                            "keep one row per report")
            continue
        first_row[source] = number
        known = {k: v for k, v in record.items() if k in FIELDS}
        rows[source] = _override(origin, known, problems, where=f"{path} row {number}")
    if problems:
        raise OverrideError(problems)
    return MetaTable(rows)


# ---------------------------------------------------------------- applying


def resolve_override(report_path: str | Path | None, table: MetaTable | None = None, *,
                     url: str | None = None, stored: MetaOverride | None = None) -> MetaOverride | None:
    """All corrections for one report: its sidecar, then ``stored`` (a correction kept with the index,
    a sidecar that lives there), then its ``--meta`` row on top (the command line wins).

    Raises:
        OverrideError: the sidecar is invalid.
    """
    sidecar = load_sidecar(report_path) if report_path is not None else None
    base = stored.over(sidecar) if stored is not None else sidecar
    row = table.for_report(report_path, url=url) if table is not None else None
    if row is None:
        return base
    return row.over(base)


def apply_override(meta: ReportMeta, override: MetaOverride | None) -> ReportMeta:
    """``meta`` with every field the override gives replaced; the rest as detected.

    A year sets ``year`` and, when ReportMeta has it, ``year_to``; ``url`` is set when ReportMeta has
    that field.
    """
    if override is None:
        return meta
    names = {f.name for f in fields(meta)}
    values: dict[str, Any] = {name: getattr(override, name) for name in ("force", "report_type", "title", "published")
                              if getattr(override, name) is not None}
    if override.year is not None:
        values["year"] = override.year
        if "year_to" in names:
            values["year_to"] = override.year_to if override.year_to is not None else override.year
    if override.url is not None and "url" in names:
        values["url"] = override.url
    return replace(meta, **values) if values else meta


def correct_meta(meta: ReportMeta, report_path: str | Path | None = None, *, hint: MetaHint | None = None,
                 table: MetaTable | None = None, url: str | None = None,
                 stored: MetaOverride | None = None) -> ReportMeta:
    """``meta`` as detected, with the gaps filled from where the report came from (``hint``), then
    the user's corrections (sidecar, then ``stored``, then ``table`` row) applied over everything.

    Raises:
        OverrideError: the report's sidecar is invalid.
    """
    if hint is not None:
        meta = apply_hint(meta, hint)
    return apply_override(meta, resolve_override(report_path, table, url=url or (hint.url if hint else None),
                                                 stored=stored))
