"""The commands that build and keep the index: ``index``, ``fetch``, ``remove``, ``rollback`` and
``status`` (their arguments, progress bar and summaries). The library does the work
(``search.index.build``, ``search.index.publish``, ``search.reports``); this module only prints what
it returns. ``search.cli_fetch`` turns web addresses and corrections into what a build reads.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from search.cli_fetch import Intake, add_fetch_parser, add_index_arguments, fetch_intake, index_intake
from search.cli_io import EXIT_FAILED, EXIT_OK, UsageError, err, print_json, shown_name

_err, _print_json, _name = err, print_json, shown_name


def add_index_parsers(sub: Any, default_index: str) -> None:
    """The arguments of ``index``, ``fetch``, ``remove``, ``rollback`` and ``status``."""
    p = sub.add_parser("index", help="build or update the search index from report files or web addresses")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="report files, folders (searched recursively) or http(s) addresses to download")
    add_index_arguments(p)
    p.add_argument("--index-dir", default=default_index, help=f"index folder (default {default_index})")
    p.add_argument("--index-type", default="flat", choices=["flat", "hnsw", "ivf"],
                   help="vector index: flat (exact, default) or an approximate one for millions of chunks")
    changes = p.add_mutually_exclusive_group()
    changes.add_argument("--add", action="store_true",
                         help="keep every report already indexed, even one whose file is gone")
    changes.add_argument("--prune", action="store_true",
                         help="remove indexed reports that are not under PATH (by default only reports whose "
                              "file is gone from a folder given here are removed)")
    p.add_argument("--rebuild", action="store_true", help="re-ingest and re-embed everything")
    p.add_argument("--optimize", action="store_true",
                   help="merge the index's segments into one, dropping removed reports' rows (PATH optional)")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="wait this long for another build of the same folder to finish")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.add_argument("--strict", action="store_true", help="exit 1 if any file fails")

    add_fetch_parser(sub, default_index)

    p = sub.add_parser("remove", help="remove reports from the index by name (see `inspectqa status`)")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="report file names as the index lists them")
    p.add_argument("--index-dir", default=default_index, help=f"index folder (default {default_index})")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="wait this long for another build of the same folder to finish")
    p.add_argument("--json", action="store_true", help="print a JSON summary")

    p = sub.add_parser("rollback", help="make the previous generation of the index live again")
    p.add_argument("--index-dir", default=default_index, help=f"index folder (default {default_index})")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="wait this long for a build of the same folder to finish")

    p = sub.add_parser("status", help="what the index holds and how it was built")
    p.add_argument("--index-dir", default=default_index, help=f"index folder (default {default_index})")
    p.add_argument("--json", action="store_true")


def progress_bar() -> Callable[[str, int, int], None]:
    from tqdm import tqdm

    bars: dict[str, Any] = {}
    labels = {"check": "checking files", "read": "reading reports", "embed": "embedding", "index": "indexing",
              "findings": "findings", "merge": "merging segments"}

    def progress(stage: str, done: int, total: int) -> None:
        if total <= 1 and stage != "embed":
            return
        bar = bars.get(stage)
        if bar is None:
            # A bar first seen part-way counts its rate from there (initial=done): dividing the
            # items done before it existed by the moment since gave rates like 10737418 item/s.
            bar = bars[stage] = tqdm(total=total, initial=done, desc=labels.get(stage, stage), unit=" item",
                                     file=sys.stderr, leave=False, smoothing=0,
                                     disable=not sys.stderr.isatty() and total < 50)
        if total != bar.total:  # embedding starts before every report is read: its total grows
            bar.total = total
        if done > bar.n:
            bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return progress


def cmd_index(args: argparse.Namespace) -> int:
    if args.optimize and not args.paths and not args.urls:  # only merge what the index holds
        return _build(args, Intake([], keep_existing=True))
    return _build(args, index_intake(args))


def cmd_fetch(args: argparse.Namespace) -> int:
    intake = fetch_intake(args)
    return EXIT_OK if intake is None else _build(args, intake)


def _build(args: argparse.Namespace, intake: Intake) -> int:
    """Index the files an intake brings and print what happened (``index`` and ``fetch``)."""
    from search.embed import default_embedder
    from search.index.build import build_index

    optimize = getattr(args, "optimize", False)
    if not intake.inputs and not optimize:
        _err("no report could be indexed: check the addresses and the errors above")
        return EXIT_FAILED
    result = build_index(intake.inputs, args.index_dir, embedder=default_embedder(), index_type=args.index_type,
                         keep_existing=intake.keep_existing, prune=getattr(args, "prune", False),
                         rebuild=args.rebuild, progress=progress_bar(), wait_seconds=args.wait,
                         corrections=intake.corrections, optimize=optimize)
    return _build_summary(result, args, intake)


def _build_summary(result: Any, args: argparse.Namespace, intake: Intake | None = None) -> int:
    """Print what a build (index, fetch or remove) did; its exit status."""
    summary = {
        "index_dir": str(result.index_dir), "generation": result.generation, "published": result.published,
        "reports": result.reports, "chunks": result.total_chunks, "embedded_chunks": result.embedded_chunks,
        "embedded_sentences": result.embedded_sentences, "removed": result.removed,
        "seconds": round(result.seconds, 2),
        "files": [{"path": f.path, "source": f.source, "status": f.status, "chunks": f.chunks, "error": f.error}
                  for f in result.files],
        "skipped": [{"path": f.path, "reason": f.error} for f in result.skipped],
        "segments": result.segments, "merged": result.merged,
        "downloads": intake.summary() if intake else [],
    }
    if args.json:
        _print_json(summary)
    else:
        for f in result.files:
            if f.error:
                _err(_name(f.error))
        counts: dict[str, int] = {}
        for f in result.files:
            counts[f.status] = counts.get(f.status, 0) + 1
        state = "published" if result.published else "already up to date"
        if result.merged:
            state += f" ({len(result.merged)} segments merged)"
        print(f"index {_name(result.index_dir)}: {state}; {result.reports} report(s), {result.total_chunks} chunks; "
              + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
              + (f"; removed {', '.join(_name(s) for s in result.removed)}" if result.removed else "")
              + (f"; {len(intake.failed)} address(es) not downloaded" if intake and intake.failed else "")
              + f"; embedded {result.embedded_chunks} chunks in {result.seconds:.1f}s")
        for f in result.skipped:
            print(f"  skipped {_name(f.error or f.path)}")
    if getattr(args, "strict", False) and (result.errors or (intake and intake.failed)):
        return EXIT_FAILED
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    from search.embed import default_embedder
    from search.errors import ReportNotFoundError
    from search.reports import remove_reports

    try:
        result = remove_reports(args.index_dir, args.sources, embedder=default_embedder(), wait_seconds=args.wait)
    except ReportNotFoundError as exc:
        raise UsageError(f"{exc}{_close_names(args.index_dir, args.sources)} (nothing was removed)") from exc
    return _build_summary(result, args)


def _close_names(index_dir: str, sources: list[str]) -> str:
    """' (did you mean ...?)' for names close to ``sources`` among the indexed reports, or ''."""
    import difflib

    from search.errors import IndexError_
    from search.index.layout import read_manifest

    try:
        known = list(read_manifest(Path(index_dir))["reports"])
    except IndexError_:
        return ""
    close = sorted({k for s in sources if s not in known for k in difflib.get_close_matches(s, known, 3)})
    return f" (did you mean {', '.join(_name(c) for c in close)}?)" if close else ""


def cmd_rollback(args: argparse.Namespace) -> int:
    from search.index.publish import rollback

    before, after = rollback(Path(args.index_dir), wait_seconds=args.wait)
    print(f"index {_name(args.index_dir)}: {_name(after)} is live again (was {_name(before)})")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from search.errors import IndexIncompatibleError, rebuild_hint
    from search.index.layout import SCHEMA_VERSION, read_manifest

    manifest = read_manifest(Path(args.index_dir))
    if args.json:
        _print_json(manifest)
        return EXIT_OK
    if manifest["schema"] != SCHEMA_VERSION:
        raise IndexIncompatibleError(f"the index in {args.index_dir} has schema {manifest['schema']}, this version "
                                     f"reads schema {SCHEMA_VERSION}: {rebuild_hint(args.index_dir)}")
    model, counts = manifest["model"], manifest["counts"]
    print(f"index {_name(args.index_dir)}: {counts['reports']} report(s), {counts['chunks']} chunks"
          + (f" in {counts['segments']} segment(s)" if "segments" in counts else "")
          + f", built {_name(manifest['created'])} in {manifest.get('build_seconds', '?')}s")
    print(f"model {_name(model['name'])} ({_name(model['backend'])}, weights {_name(model['fingerprint'])}), index "
          f"type {manifest['index_type']}, chunking {_name(manifest['chunking'])}")
    for source, info in sorted(manifest["reports"].items(),
                               key=lambda x: (str(x[1].get("force") or ""), str(x[1].get("year") or ""), x[0])):
        print(f"  {_name(info.get('force') or '(no force)')} {info.get('year')} {_name(info.get('report_type'))}: "
              f"{_name(info.get('title'))} [{_name(source)}, {info.get('chunks')} chunks]")
    return EXIT_OK


__all__ = ["add_index_parsers", "cmd_fetch", "cmd_index", "cmd_remove", "cmd_rollback", "cmd_status", "progress_bar"]
