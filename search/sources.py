"""Bringing reports in from the web, to be indexed as files are: by address (``inspectqa index URL``,
``--urls FILE``) and from the inspectorate's site (``inspectqa fetch --force F``).

Each address is downloaded politely (``ingest.fetch``: robots.txt, rate limit, retries, resumable,
size- and type-checked, never half written) into the download cache of the index folder, and put
under a readable name in ``<index>/.downloads/files/``; where it came from (its address, and what the
address or the site says of its force, period, type and title) is recorded in ``<index>/sources.json``
so that every later build of that file fills the metadata its text leaves empty and keeps its URL
(``search.index.corrections``). A failed address is one result with a one-line error; the others go
on. docs/fetch.md describes the commands.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ingest.fetch import Downloaded, download, place
from ingest.fetch_types import FetchError, FetchSettings
from ingest.httpclient import PoliteClient
from ingest.site import Discovery, discover_reports
from ingest.urlmeta import MetaHint, hint_from_url
from search.index.corrections import SourceRecord, cache_dir, downloads_dir, read_sources, record_source

__all__ = ["Download", "download_reports", "fetch_force", "fetch_settings", "is_url"]


@dataclass(frozen=True)
class Download:
    """What became of one address.

    ``path`` is the file to index: the fresh download, or, when the download failed, the copy an
    earlier download left (``error`` then says so); None when there is nothing to index.
    """

    url: str
    path: Path | None = None
    error: str | None = None
    from_cache: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def fetch_settings() -> FetchSettings:
    """The fetch settings of this run: defaults, then the environment (``FetchSettings.from_env``).

    Raises:
        SettingsError: an environment variable holds a bad value.
    """
    return FetchSettings.from_env()


def is_url(text: str) -> bool:
    """Whether a command-line input is a web address rather than a path."""
    return str(text).lower().startswith(("http://", "https://"))


def _name_for(got: Downloaded, url: str, records: Mapping[str, SourceRecord]) -> str:
    """A file name for a download: its readable name, unless another address already has it (then
    the name with a short key of this address)."""
    name = got.name
    taken = records.get(name)
    if taken is None or taken.url == url:
        return name
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}-{hashlib.sha256(url.encode()).hexdigest()[:8]}{dot}{suffix}"


def _earlier_copy(url: str, records: Mapping[str, SourceRecord], folder: Path) -> Path | None:
    for name, record in records.items():
        if record.url == url and (folder / name).is_file():
            return folder / name
    return None


def download_reports(urls: Iterable[str], index_dir: str | Path, *, client: PoliteClient | None = None,
                     settings: FetchSettings | None = None,
                     hints: Mapping[str, MetaHint] | None = None) -> list[Download]:
    """Download each address into the index folder's downloads, one result per address, in order.

    Args:
        urls: http(s) addresses of reports (PDF, web page or text).
        index_dir: the index folder the downloads belong to.
        client: one client for the batch, so the rate limit and robots.txt span it (default: a new one
            from ``settings``).
        settings: fetch settings when no client is given (default ``FetchSettings.from_env()``).
        hints: what discovery learnt of an address (``SiteDocument.hint()``), kept with the download.

    Never raises for one address: its ``FetchError`` becomes that result's error. A failed address
    whose earlier download is still on disk gives that copy to index, so its report is not lost.
    """
    index_dir = Path(index_dir)
    client = client or PoliteClient(settings or fetch_settings())
    folder = downloads_dir(index_dir)
    out: list[Download] = []
    for url in urls:
        records = read_sources(index_dir)
        try:
            got = download(url, cache_dir(index_dir), client=client)
            name = _name_for(got, url, records)
            path = place(got, folder, name)
        except FetchError as exc:
            earlier = _earlier_copy(url, records, folder)
            note = f"; indexing the copy downloaded before ({earlier.name})" if earlier else ""
            out.append(Download(url, earlier, f"{exc}{note}"))
            continue
        hint = MetaHint(url=url)
        for more in ((hints or {}).get(url), hint_from_url(got.final_url), hint_from_url(url)):
            hint = hint.merged(more) if more is not None else hint
        record_source(index_dir, name, SourceRecord(url=url, final_url=got.final_url, content_hash=got.content_hash,
                                                    fetched_at=got.fetched_at, hint=hint))
        out.append(Download(url, path, None, got.from_cache))
    return out


def fetch_force(force: str, index_dir: str | Path, *, years: Iterable[int] | None = None,
                report_types: Iterable[str] | None = None, client: PoliteClient | None = None,
                dry_run: bool = False) -> tuple[Discovery, list[Download]]:
    """Find ``force``'s reports on the inspectorate's site and download them (not when ``dry_run``).

    Raises:
        UnknownForce, UnknownReportType: the force or a type is not known.
        OfflineError: the site cannot be reached.
        FetchError: the force's page cannot be read.
    """
    client = client or PoliteClient(fetch_settings())
    found = discover_reports(force, years=years, report_types=report_types, client=client)
    if dry_run:
        return found, []
    hints = {doc.url: doc.hint() for doc in found.documents}
    return found, download_reports([doc.url for doc in found.documents], index_dir, client=client, hints=hints)
