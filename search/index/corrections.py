"""The metadata corrections a build applies to every report, and the records kept for them in the
index folder.

What a report's metadata finally is, field by field, lowest first (docs/fetch.md):

1. what ingest read from the text;
2. what the report's address says (a downloaded report), only where the text was silent;
3. a sidecar ``<file>.meta.json`` beside the file;
4. a correction kept with the index (``corrections.json``, written by the report manager), so reports
   that have no folder of their own (uploads, downloads) can be corrected too;
5. the row of a ``--meta`` CSV given to this build (the command line wins).

Files this module owns in an index folder::

    corrections.json        {"reports": {"<source>": {"force": "Norfolk", "year": "2018/19", ...}}}
    sources.json            {"files": {"<file name>": {"url", "final_url", "content_hash", "fetched_at", "hint"}}}
    .downloads/files/       downloaded reports under readable names (what the build reads)
    .downloads/cache/       the download cache (``ingest.fetch``: by address and by content)

A build records in the manifest, for each report, a key of the corrections it applied
(``meta_key``); a report whose file is unchanged but whose corrections changed is read again.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from ingest.overrides import (
    FIELDS,
    MetaTable,
    OverrideError,
    correct_meta,
    override_from_fields,
    sidecar_path,
)
from ingest.pipeline import with_meta
from ingest.types import IngestError, Report
from ingest.urlmeta import MetaHint
from search.errors import IndexCorruptError
from search.index.publish import write_json_atomic

__all__ = ["CORRECTIONS_FILE", "DOWNLOADS_DIR", "SOURCES_FILE", "MetaCorrections", "SourceRecord", "cache_dir",
           "downloads_dir", "forget", "read_corrections", "read_sources", "record_source", "store_correction"]

CORRECTIONS_FILE = "corrections.json"
SOURCES_FILE = "sources.json"
DOWNLOADS_DIR = ".downloads"
_LOCK = ".records.lock"
_NO_TYPE = frozenset({"other", "thematic"})
"""Types ingest gives a text it cannot place ('thematic' when it names no force)."""


def downloads_dir(index_dir: str | Path) -> Path:
    """Where downloaded reports are kept under readable names, to be indexed as files are."""
    return Path(index_dir) / DOWNLOADS_DIR / "files"


def cache_dir(index_dir: str | Path) -> Path:
    """The download cache of an index folder (``ingest.fetch.download``)."""
    return Path(index_dir) / DOWNLOADS_DIR / "cache"


@dataclass(frozen=True)
class SourceRecord:
    """Where a downloaded report came from, and what its address (or the site) said about it."""

    url: str
    final_url: str
    content_hash: str
    fetched_at: str
    hint: MetaHint

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "hint": asdict(self.hint)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceRecord:
        hint_fields = {f.name for f in fields(MetaHint)}
        hint = MetaHint(**{k: v for k, v in (data.get("hint") or {}).items() if k in hint_fields})
        return cls(url=str(data["url"]), final_url=str(data.get("final_url") or data["url"]),
                   content_hash=str(data.get("content_hash", "")), fetched_at=str(data.get("fetched_at", "")),
                   hint=hint)


# ---------------------------------------------------------------- the records on disk


@contextlib.contextmanager
def _records_lock(index_dir: Path) -> Iterator[None]:
    """Serialise read-modify-write of the record files (separate from the build lock, which a build
    called after a change takes itself)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / _LOCK).open("a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _read_json(path: Path, key: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(f"{path} cannot be read ({type(exc).__name__}: {exc}): fix it, or delete it to "
                                "forget what it records") from None
    table = data.get(key) if isinstance(data, dict) else None
    if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
        raise IndexCorruptError(f"{path} is not a JSON object with a {key!r} object of objects: fix it, or delete "
                                "it to forget what it records")
    return table


def read_corrections(index_dir: str | Path) -> dict[str, dict[str, Any]]:
    """The corrections kept with the index: source -> {field: value as given}.

    Raises:
        IndexCorruptError: ``corrections.json`` is damaged (the message says to fix or delete it).
    """
    return _read_json(Path(index_dir) / CORRECTIONS_FILE, "reports")


def read_sources(index_dir: str | Path) -> dict[str, SourceRecord]:
    """Where each downloaded report of the index came from, by file name.

    Raises:
        IndexCorruptError: ``sources.json`` is damaged.
    """
    path = Path(index_dir) / SOURCES_FILE
    try:
        return {name: SourceRecord.from_dict(item) for name, item in _read_json(path, "files").items()}
    except (KeyError, TypeError) as exc:
        raise IndexCorruptError(f"{path} has an entry without its address ({exc}): fix it, or delete it to "
                                "forget where downloads came from") from None


def store_correction(index_dir: str | Path, source: str, values: dict[str, Any]) -> dict[str, Any]:
    """Merge ``values`` into the correction kept for ``source`` and return the whole correction.

    A field given as None or "" is dropped from the correction (what was detected applies again).

    Raises:
        OverrideError: an unknown field or a value that cannot be read (nothing is written).
        IndexCorruptError: ``corrections.json`` is damaged.
    """
    index_dir = Path(index_dir)
    unknown = [k for k in values if k not in FIELDS]
    if unknown:
        raise OverrideError([f"correction of {source}: unknown field {unknown[0]!r}: use {', '.join(FIELDS)}"])
    given = {k: v for k, v in values.items() if v is not None and not (isinstance(v, str) and not v.strip())}
    override_from_fields(f"correction of {source}", given)  # checks every value before anything is written
    with _records_lock(index_dir):
        table = read_corrections(index_dir)
        entry = {k: v for k, v in table.get(source, {}).items() if k not in values} | given
        if entry:
            table[source] = entry
        else:
            table.pop(source, None)
        write_json_atomic(index_dir / CORRECTIONS_FILE, {"reports": table})
    return entry


def record_source(index_dir: str | Path, name: str, record: SourceRecord) -> None:
    """Remember where the downloaded file ``name`` came from."""
    index_dir = Path(index_dir)
    with _records_lock(index_dir):
        table = {k: v.to_dict() for k, v in read_sources(index_dir).items()}
        table[name] = record.to_dict()
        write_json_atomic(index_dir / SOURCES_FILE, {"files": table})


def forget(index_dir: str | Path, sources: Iterable[str]) -> list[Path]:
    """Drop the corrections and download records of ``sources`` (reports removed from the index) and
    delete their downloaded copies; return the files deleted. Files a user gave are never touched."""
    index_dir = Path(index_dir)
    sources = set(sources)
    deleted: list[Path] = []
    with _records_lock(index_dir):
        corrections = read_corrections(index_dir)
        if sources & set(corrections):
            write_json_atomic(index_dir / CORRECTIONS_FILE,
                              {"reports": {k: v for k, v in corrections.items() if k not in sources}})
        records = read_sources(index_dir)
        if sources & set(records):
            for name in sources & set(records):
                copy = downloads_dir(index_dir) / name
                if copy.is_file():
                    copy.unlink()
                    deleted.append(copy)
            write_json_atomic(index_dir / SOURCES_FILE,
                              {"files": {k: v.to_dict() for k, v in records.items() if k not in sources}})
    return deleted


# ---------------------------------------------------------------- applying them in a build


class MetaCorrections:
    """The corrections one build applies: sidecars, the index's records and an optional ``--meta`` table.

    ``key(path)`` says which corrections apply to a file (empty when none do), ``apply(report, path)``
    applies them to a report read from it. The records are read once, when first needed (so downloads
    made after this object was created are seen by the build that uses it).
    """

    def __init__(self, index_dir: str | Path, table: MetaTable | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.table = table
        self._records: tuple[dict[str, dict[str, Any]], dict[str, SourceRecord]] | None = None
        self._downloads = downloads_dir(self.index_dir).resolve()

    def _load(self) -> tuple[dict[str, dict[str, Any]], dict[str, SourceRecord]]:
        if self._records is None:
            self._records = (read_corrections(self.index_dir), read_sources(self.index_dir))
        return self._records

    @property
    def stored(self) -> dict[str, dict[str, Any]]:
        """The corrections kept with the index, by source (``corrections.json``)."""
        return self._load()[0]

    @property
    def sources(self) -> dict[str, SourceRecord]:
        """Where the index's downloaded reports came from, by file name (``sources.json``)."""
        return self._load()[1]

    def hint(self, path: str | Path) -> MetaHint | None:
        """What the address of a downloaded report says, for a file in the index's downloads folder."""
        path = Path(path)
        record = self.sources.get(path.name)
        if record is None:
            return None
        try:
            inside = path.resolve().parent == self._downloads
        except OSError:
            return None
        return record.hint if inside else None

    def key(self, path: str | Path) -> str:
        """A short key of every correction that applies to the file at ``path`` ('' when none does).
        Never raises: a sidecar that cannot be read is keyed by its error, and reported by ``apply``."""
        path = Path(path)
        hint = self.hint(path)
        try:
            sidecar = hashlib.sha256(sidecar_path(path).read_bytes()).hexdigest()
        except FileNotFoundError:
            sidecar = None
        except OSError as exc:
            sidecar = f"unreadable: {exc.errno}"
        stored = self.stored.get(path.name)
        row = self.table.for_report(path, url=hint.url if hint else None) if self.table else None
        parts = [asdict(hint) if hint else None, sidecar, stored,
                 {k: v for k, v in asdict(row).items() if k != "origin"} if row else None]
        if not any(part is not None for part in parts):
            return ""
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def apply(self, report: Report, path: str | Path) -> Report:
        """``report`` with its corrections applied (see the module doc for the order).

        Raises:
            IngestError: the report's sidecar or stored correction cannot be applied, or a downloaded
                page reads as no report at all (that file fails alone; the message names it and the fix).
        """
        path = Path(path)
        hint = self.hint(path)
        try:
            stored = (override_from_fields(f"{CORRECTIONS_FILE} entry {path.name!r}", self.stored[path.name])
                      if path.name in self.stored else None)
            meta = correct_meta(report.meta, path, hint=hint, table=self.table, stored=stored)
        except OverrideError as exc:
            raise IngestError(report.meta.source, "; ".join(exc.problems)) from None
        if hint is not None and meta.force is None and meta.year is None and meta.report_type in _NO_TYPE:
            raise IngestError(hint.url or report.meta.source, "does not read as an inspection report (no force, "
                              "period or report type in its text or address): give the address of the report "
                              "itself (its PDF or report page), or, if it is one, correct it with --meta")
        return with_meta(report, meta)

