"""The command line's part that brings reports in from the web: web addresses, ``--urls FILE`` and
``--meta FILE.csv`` for ``inspectqa index``, and ``inspectqa fetch --force F``.

It reads the arguments, prints progress and one line per failed address, and hands ``search.cli``
the files to index and the corrections to apply; the work is done by ``search.sources`` and
``search.index.corrections``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from search.cli_io import UsageError, err


@dataclass
class Intake:
    """What a command brings to the build: files and folders, downloads, and the corrections."""

    inputs: list[str]
    downloads: list[Any] = field(default_factory=list)  # search.sources.Download
    corrections: Any = None  # search.index.corrections.MetaCorrections
    keep_existing: bool = False

    @property
    def failed(self) -> list[Any]:
        return [d for d in self.downloads if d.error]

    def summary(self) -> list[dict[str, Any]]:
        """The downloads as JSON: address, file indexed (if any), error, served from the cache."""
        return [{"url": d.url, "path": str(d.path) if d.path else None, "error": d.error, "from_cache": d.from_cache}
                for d in self.downloads]


def add_index_arguments(parser: argparse.ArgumentParser) -> None:
    """``--urls`` and ``--meta`` for ``inspectqa index`` (its PATH arguments may be web addresses)."""
    parser.add_argument("--urls", metavar="FILE", help="web addresses of reports to download and index, one a line")
    parser.add_argument("--meta", metavar="FILE.csv",
                        help="corrections: columns source, force, year, report_type, title, url, published")


def add_fetch_parser(sub: Any, default_index: str) -> None:
    p = sub.add_parser("fetch", help="find a force's reports on the inspectorate's site, download and index them")
    p.add_argument("--force", required=True, help="police force (name or alias, e.g. 'Norfolk', 'the Met')")
    p.add_argument("--years", nargs="+", metavar="YEARS",
                   help="years, e.g. 2016, 2016,2018, 2016 2018 or 2014-2017 (a period matches any of its years)")
    p.add_argument("--type", nargs="+", action="extend", default=[], dest="report_type", metavar="TYPE",
                   help="report type ids or labels, e.g. peel, custody, crime_data_integrity")
    p.add_argument("--dry-run", action="store_true", help="list what would be downloaded; download nothing")
    p.add_argument("--index-dir", default=default_index, help=f"index folder (default {default_index})")
    p.add_argument("--index-type", default=None, choices=["flat", "hnsw", "ivf"],
                   help="vector index (default: the index's own, else flat)")
    p.add_argument("--meta", metavar="FILE.csv", help="corrections, as for `inspectqa index --meta`")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="wait this long for another build of the same folder to finish")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.add_argument("--strict", action="store_true", help="exit 1 if any report fails")


def _progress(event: Any) -> None:
    """One line on stderr for the steps worth seeing: pages read, downloads, retries."""
    size = f" ({event.done // 1024} KB)" if event.done else ""
    lines = {"page": f"reading {event.url}", "done": f"downloaded {event.url}{size}",
             "cached": f"unchanged {event.url} (from the cache)",
             "retry": f"retrying {event.url} in {event.seconds:.0f}s ({event.detail})"}
    if event.stage in lines:
        sys.stderr.write(lines[event.stage] + "\n")


def _client() -> Any:
    from ingest.fetch_types import SettingsError
    from ingest.httpclient import PoliteClient
    from search.sources import fetch_settings

    try:
        return PoliteClient(fetch_settings(), progress=_progress)
    except SettingsError as exc:
        raise UsageError(str(exc)) from None


def _corrections(index_dir: str, meta_csv: str | None) -> Any:
    """The corrections of this build, with the ``--meta`` table checked before any work (a bad CSV is a
    usage error naming its rows)."""
    from ingest.overrides import OverrideError, load_meta_csv
    from search.index.corrections import MetaCorrections

    try:
        table = load_meta_csv(meta_csv) if meta_csv else None
    except OverrideError as exc:
        raise UsageError(str(exc).replace("\n", " ")) from None
    return MetaCorrections(index_dir, table)


def index_intake(args: argparse.Namespace) -> Intake:
    """``inspectqa index``'s inputs: paths as given, web addresses (arguments and ``--urls``)
    downloaded into the index folder, one error line per address that failed.

    Raises:
        UsageError: nothing to index was given, a ``--urls`` line is not an address, or ``--meta`` is bad.
    """
    from ingest.fetch import read_url_list
    from ingest.fetch_types import InvalidURL
    from search.sources import download_reports, is_url

    corrections = _corrections(args.index_dir, args.meta)
    urls = [p for p in args.paths if is_url(p)]
    if args.urls:
        try:
            urls += read_url_list(args.urls)
        except InvalidURL as exc:
            raise UsageError(exc.reason) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {args.urls} ({getattr(exc, 'strerror', None) or exc}): check the "
                             "path") from None
    paths = [p for p in args.paths if not is_url(p)]
    if not paths and not urls:
        raise UsageError("give report files, folders or web addresses to index, or --urls FILE")
    downloads = download_reports(dict.fromkeys(urls), args.index_dir, client=_client()) if urls else []
    for download in downloads:
        if download.error:
            err(download.error)
    return Intake(paths + [str(d.path) for d in downloads if d.path], downloads, corrections, args.add)


def fetch_intake(args: argparse.Namespace) -> Intake | None:
    """``inspectqa fetch``: discover the force's reports (printing what was found and left out) and
    download them; None after a dry run.

    Raises:
        UsageError: an unknown force or type, bad years, a bad ``--meta``, or the site cannot be reached
            (offline: exit 2, one line).
    """
    from ingest.fetch_types import OfflineError
    from ingest.site import UnknownForce, UnknownReportType, parse_years
    from search.errors import IndexError_
    from search.index.layout import read_manifest
    from search.sources import fetch_force

    try:
        years = parse_years(",".join(args.years)) if args.years else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    corrections = _corrections(args.index_dir, args.meta)
    types = [t.strip() for value in args.report_type for t in value.split(",") if t.strip()] or None
    try:
        found, downloads = fetch_force(args.force, args.index_dir, years=years, report_types=types, client=_client(),
                                       dry_run=args.dry_run)
    except (UnknownForce, UnknownReportType, OfflineError) as exc:
        raise UsageError(str(exc)) from None
    print(f"{found.force}: {len(found.documents)} report document(s) found from {found.force_page} "
          f"({found.pages_read} pages read), {len(found.skipped)} left out", file=sys.stderr)
    if args.dry_run:
        for doc in found.documents:
            print(f"{doc.period or '-':8} {doc.report_type or '-':22} {doc.url}")
        for skipped in found.skipped:
            print(f"left out: {skipped.url}: {skipped.reason}")
        return None
    for download in downloads:
        if download.error:
            err(download.error)
    if args.index_type is None:
        try:
            args.index_type = read_manifest(Path(args.index_dir)).get("index_type", "flat")
        except IndexError_:  # no index yet, or one the build will report on
            args.index_type = "flat"
    args.rebuild = False
    return Intake([str(d.path) for d in downloads if d.path], downloads, corrections, keep_existing=True)
