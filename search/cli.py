"""The ``inspectqa`` command line: ingest, index, search, ask, status, grades, findings (and eval
from a checkout).

Heavy modules (the encoder, FAISS) are imported only by the commands that need them. The
library returns data; this module and ``search.present`` turn it into text and JSON. Errors
print one line saying what went wrong and what to do; exit status 0 on success, 1 when the
work failed, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.dates import format_period
from search.cli_index import add_index_parsers, cmd_fetch, cmd_index, cmd_remove, cmd_rollback, cmd_status
from search.cli_io import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, shown_name
from search.cli_io import err as _err
from search.cli_io import print_json as _print_json

_name = shown_name
DEFAULT_INDEX = os.environ.get("INSPECTQA_INDEX_DIR", "index")

if TYPE_CHECKING:
    from search.filters import Filters
    from search.retrieve.searcher import Searcher
    from search.types import Hit

# --- argument parsing ---------------------------------------------------------------------
def _add_filter_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="append", default=[], metavar="FORCE",
                        help="police force (name or alias such as 'Herts'); repeat for several")
    years = parser.add_mutually_exclusive_group()
    years.add_argument("--year", type=int, help="one inspection year, e.g. 2015")
    years.add_argument("--years", help="a range of years, e.g. 2014-2016")
    parser.add_argument("--theme", action="append", default=[], help="theme id or label (see `inspectqa status`)")
    parser.add_argument("--report-type", action="append", default=[], dest="report_type",
                        help="report type, e.g. peel_effectiveness, letter")
    parser.add_argument("--judgment", action="append", default=[],
                        help="graded judgment: Outstanding, Good, Adequate, Requires improvement, Inadequate")
    parser.add_argument("--k", type=int, default=10, help="how many passages (default 10)")
    parser.add_argument("--index-dir", default=DEFAULT_INDEX, help=f"index folder (default {DEFAULT_INDEX})")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    parser.add_argument("--queries", metavar="FILE.jsonl",
                        help='batch mode: one {"id", "question", "filters"} object per line')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inspectqa", description="Search and question answering over police inspection reports.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("ingest", help="read reports and show their sections and metadata (no index)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="report files or folders (searched recursively)")
    p.add_argument("--json", action="store_true", help="one JSON object per report")
    p.add_argument("--strict", action="store_true", help="exit 1 if any file fails")

    add_index_parsers(sub, DEFAULT_INDEX)

    p = sub.add_parser("search", help="ranked passages for a question")
    p.add_argument("query", nargs="?", help="the question")
    _add_filter_args(p)

    p = sub.add_parser("ask", help="a cited answer to a question")
    p.add_argument("query", nargs="?", help="the question")
    _add_filter_args(p)

    # Handled before parsing (main): the arguments are those of `python -m eval.run`.
    sub.add_parser("eval", add_help=False,
                   help="score retrieval (and answers) on a question set: `python -m eval.run` from a checkout")

    p = sub.add_parser("grades", help="graded judgments: force × year × question")
    p.add_argument("--force", help="police force (name or alias)")
    p.add_argument("--index-dir", default=DEFAULT_INDEX, help=f"index folder (default {DEFAULT_INDEX})")
    p.add_argument("--json", action="store_true", help="one JSON line per graded item")

    p = sub.add_parser("findings", help="areas for improvement, recommendations and their trail through later reports")
    p.add_argument("--force", required=True, help="police force (name or alias)")
    p.add_argument("--theme", help="theme id or label (see `inspectqa status`)")
    p.add_argument("--index-dir", default=DEFAULT_INDEX, help=f"index folder (default {DEFAULT_INDEX})")
    p.add_argument("--json", action="store_true", help="one JSON line per finding, with its trail")
    return parser


# --- helpers ------------------------------------------------------------------------------
def _filters(args: argparse.Namespace) -> Filters:
    from search.filters import Filters, parse_years

    years = parse_years(args.year, args.years)
    return Filters(forces=tuple(args.force), years=years, themes=tuple(args.theme),
                   report_types=tuple(args.report_type), judgments=tuple(args.judgment))


def _read_queries(path: str) -> Iterator[tuple[str, Any, Any, str | None]]:
    """(id, question, filters, error) per non-empty line; a line that cannot be read gets an error."""
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read {_name(path)}: {exc.strerror or exc}: check the path") from exc
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or "question" not in item:
                raise ValueError("not an object with a question")
        except (ValueError, RecursionError) as exc:
            yield str(n), None, None, (f"line {n}: expected {{\"id\", \"question\", \"filters\"}} "
                                       f"({str(exc)[:120]})")
            continue
        yield str(item.get("id", n)), item["question"], item.get("filters"), None


def _line_filters(raw: Any, default: Filters) -> Filters:
    """The filters of one batch line (``default``: those of the command line when it has none).

    Raises:
        FilterError: the line's filters cannot be read (wrong types, numbers out of range).
    """
    from search.errors import FilterError
    from search.filters import Filters

    if not raw:
        return default
    try:
        return Filters.from_dict(raw)
    except FilterError:
        raise
    except (TypeError, ValueError, OverflowError, AttributeError, LookupError) as exc:
        shown = json.dumps(raw, ensure_ascii=False, default=str)[:120]
        raise FilterError(f"the filters {shown} cannot be read ({type(exc).__name__}): use names and whole "
                          "years, e.g. {\"force\": \"Kent\", \"years\": [2014, 2016]}") from exc


def _load_searcher(index_dir: str) -> Searcher:
    from search.retrieve.searcher import Searcher

    return Searcher.load(index_dir)


# --- commands -----------------------------------------------------------------------------
def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.chunk import chunk_report
    from ingest.pipeline import ingest_paths

    ok = failed = 0
    for result in ingest_paths(args.paths):
        if result.report is None:
            failed += 1
            if args.json:
                _print_json({"source": Path(result.path).name, "force": None, "year": None, "published": None,
                             "report_type": None, "title": None, "sections": [], "footnotes": 0,
                             "error": result.error})
            else:
                _err(_name(result.error or f"{result.path}: failed"))
            continue
        ok += 1
        report = result.report
        chunks = chunk_report(report)
        per_section: dict[str, int] = {}
        for chunk in chunks:
            per_section[chunk.section_id] = per_section.get(chunk.section_id, 0) + 1
        meta = report.meta
        if args.json:
            _print_json({
                "source": meta.source, "force": meta.force, "year": meta.year, "published": meta.published,
                "report_type": meta.report_type, "title": meta.title,
                "sections": [{"heading": s.heading, "path": list(s.path), "kind": s.kind, "question": s.question,
                              "theme": s.theme, "judgment": s.judgment, "page": s.page,
                              "chunks": per_section.get(s.section_id, 0)} for s in report.sections],
                "footnotes": len(report.footnotes), "warnings": list(report.warnings), "error": None,
            })
        else:
            print(f"{_name(meta.source)}: {_name(meta.title)}")
            print(f"  force {meta.force or '(not recognised)'} | year {meta.year} | published {meta.published} | "
                  f"type {meta.report_type} | {len(report.sections)} sections, {len(chunks)} chunks, "
                  f"{len(report.footnotes)} footnotes")
            for s in report.sections:
                grade = f" [{s.judgment}]" if s.judgment else ""
                print(f"  {'  ' * (s.level - 1)}- {s.heading}{grade} ({s.theme}, {per_section.get(s.section_id, 0)} chunks)")
            for warning in report.warnings:
                print(f"  warning: {warning}")
    if not args.json:
        print(f"{ok} report(s) ingested, {failed} failed")
    if ok == 0 or (args.strict and failed):
        return EXIT_FAILED
    return EXIT_OK


def _shown(text: object) -> str:
    """One line of text for the terminal: control and bidi characters (escape sequences) removed."""
    from search.retrieve.question import clean_query

    return " ".join(clean_query(str(text)).split())


def _format_hit(hit: Hit) -> str:
    where = ", ".join(x for x in (hit.force or "", str(hit.year or ""), f"p. {hit.page}" if hit.page else "") if x)
    text = _shown(hit.highlight)  # the chunk that ranked; the JSON output carries the whole passage
    return (f"{hit.rank}. [{hit.score:.4f}] {_shown(hit.title)} ({where})\n   § {_shown(' > '.join(hit.path))}\n"
            f"   {text[:400]}{'…' if len(text) > 400 else ''}\n   ({_shown(hit.source)}, chars {hit.start}-{hit.end}, "
            f"{hit.chunk_id})" + (f"\n   {_shown(hit.url)}" if hit.url else ""))


def cmd_search(args: argparse.Namespace) -> int:
    if not args.queries and args.query is None:
        raise UsageError("give a question, e.g. inspectqa search \"How well does the force protect vulnerable "
                         "people?\", or --queries FILE.jsonl")
    filters = _filters(args)
    searcher = _load_searcher(args.index_dir)
    batch = list(_read_queries(args.queries)) if args.queries else [(None, args.query, None, None)]
    from search.errors import FilterError, QueryError
    from search.present import describe_filters, hit_json

    failures = 0
    for qid, question, item_filters, problem in batch:
        try:
            if problem:
                raise QueryError(problem)
            use = _line_filters(item_filters, filters)
            result = searcher.search(question, k=args.k, filters=use if not use.is_empty() else None)
        except (QueryError, FilterError) as exc:
            if not args.queries:
                raise
            failures += 1
            _print_json({"id": qid, "query": question if isinstance(question, str) else None, "error": str(exc),
                         "hits": []})
            continue
        if args.json:
            data = {"query": result.query, "filters_used": result.filters_used, "notices": list(result.notices),
                    "hits": [hit_json(h) for h in result.hits]}
            if qid is not None:
                data = {"id": qid, **data}
            _print_json(data)
        else:
            if result.filters_used:
                print(f"searching {describe_filters(result.filters_used)}")
            for notice in result.notices:
                print(f"note: {notice}")
            for hit in result.hits:
                print(_format_hit(hit))
            if not result.hits:
                print("no passages found")
    return EXIT_FAILED if failures and failures == len(batch) else EXIT_OK


def cmd_ask(args: argparse.Namespace) -> int:
    if not args.queries and args.query is None:
        raise UsageError("give a question, e.g. inspectqa ask \"What did HMIC find about missing children?\", "
                         "or --queries FILE.jsonl")
    from search.answer.llm import client_from_env
    from search.answer.router import answer
    from search.errors import FilterError, QueryError
    from search.present import describe_filters

    filters = _filters(args)
    searcher = _load_searcher(args.index_dir)
    llm = client_from_env()
    batch = list(_read_queries(args.queries)) if args.queries else [(None, args.query, None, None)]
    failures = 0
    for qid, question, item_filters, problem in batch:
        try:
            if problem:
                raise QueryError(problem)
            use = _line_filters(item_filters, filters)
            result = answer(searcher, question, filters=use if not use.is_empty() else None, k=args.k, llm=llm)
        except (QueryError, FilterError) as exc:
            if not args.queries:
                raise
            failures += 1
            _print_json({"id": qid, "question": question if isinstance(question, str) else None, "answer": None,
                         "abstained": True, "reason": str(exc), "citations": []})
            continue
        if args.json:
            data = result.to_dict()
            data = {"id": qid, **data} if qid is not None else data
            _print_json(data)
            continue
        if result.filters_used:
            print(f"searching {describe_filters(result.filters_used)}")
        for notice in result.notices:
            print(f"note: {notice}")
        print()
        print(result.text)
        print()
        for c in result.citations:
            period = format_period(c.year, c.year_to)
            where = ", ".join(x for x in (c.force or "", period, f"p. {c.page}" if c.page else "") if x)
            print(f"[{c.n}] {_shown(c.title)} ({where}) § {_shown(c.section)}\n"
                  f"    \"{_shown(c.quote)}\"\n    {_shown(c.url or c.source)}, chars {c.start}-{c.end}")
        if result.abstained and result.passages:
            print("Closest passages (they do not answer the question):")
            for hit in result.passages[:3]:
                print(_format_hit(hit))
    return EXIT_FAILED if failures and failures == len(batch) else EXIT_OK


def run_eval(argv: list[str]) -> int:
    """``inspectqa eval ...``: the evaluation runner of a checkout (``python -m eval.run``), which is
    not part of the installed package."""
    root = Path(__file__).resolve().parent.parent
    if (root / "eval" / "run.py").is_file() and str(root) not in sys.path:
        sys.path.insert(0, str(root))  # an editable install: the checkout holds eval/
    try:
        from eval.run import main as eval_main
    except ImportError as exc:
        _err(f"the evaluation tools are not installed with the package ({exc}): run `python -m eval.run` "
             "from a checkout of InspectQA")
        return EXIT_USAGE
    return eval_main(argv, prog="inspectqa eval", prefix="inspectqa", load_searcher=_load_searcher)


def cmd_grades(args: argparse.Namespace) -> int:
    from search.findings.api import grades
    from search.present import format_grades

    items = grades(_load_searcher(args.index_dir), force=args.force)
    if args.json:
        for g in items:
            _print_json(g.grid_row())
    elif items:
        print(format_grades(items))
    else:
        print(f"no graded judgments{' for ' + args.force if args.force else ''} in {args.index_dir}")
    return EXIT_OK


def cmd_findings(args: argparse.Namespace) -> int:
    from search.findings.api import findings
    from search.present import format_findings

    items = findings(_load_searcher(args.index_dir), force=args.force, theme=args.theme)
    if args.json:
        for item in items:
            _print_json(item.to_dict())
    elif items:
        print(format_findings(items))
    else:
        print(f"no findings for {args.force}{' on ' + args.theme if args.theme else ''} in {args.index_dir}")
    return EXIT_OK


COMMANDS = {"ingest": cmd_ingest, "index": cmd_index, "fetch": cmd_fetch, "remove": cmd_remove,
            "rollback": cmd_rollback, "search": cmd_search, "ask": cmd_ask, "status": cmd_status,
            "grades": cmd_grades, "findings": cmd_findings}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["eval"]:
        return run_eval(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    for name in ("k",):
        if getattr(args, name, 1) is not None and getattr(args, name, 1) < 1:
            _err(f"--{name} must be at least 1")
            return EXIT_USAGE
    if hasattr(args, "index_dir") and not str(args.index_dir).strip():
        _err("the index folder is empty text (--index-dir \"\" or INSPECTQA_INDEX_DIR set to nothing): give a "
             "folder such as --index-dir index, or unset INSPECTQA_INDEX_DIR")
        return EXIT_USAGE
    from ingest.types import IngestError
    from search.errors import FilterError, IndexError_, IndexInputError, QueryError

    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except (QueryError, FilterError, IndexInputError) as exc:
        _err(_name(exc))
        return EXIT_USAGE
    except (IndexError_, IngestError) as exc:
        _err(_name(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        _err("interrupted: the previous index is unchanged")
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
