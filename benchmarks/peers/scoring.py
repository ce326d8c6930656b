"""Scoring and the side-by-side table: pure functions over ranked passages, no I/O.

Every system is scored by eval/relevance.py, the one implementation of the relevance rule:
hit@1, hit@5 and MRR@10 over the answerable questions, each with a 95% Wilson interval, overall,
per split and per material (long reports, short publications).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.peers.bank import BankQuestion, question_material
from eval.relevance import first_relevant_rank, hit_at, mrr_at, wilson_interval

MEASURES = ("hit@1", "hit@5", "mrr@10")


class ScoringError(ValueError):
    """A system's results cannot be scored; the message says what is missing."""


@dataclass(frozen=True)
class SystemRun:
    """What one system returned for the bank, and what it cost."""

    name: str  # the table's row label
    description: str  # how it was built, one line
    results: dict[str, list[tuple[str, str]]]  # question id -> ranked (file, text)
    build_s: float | None = None  # indexing the documents, seconds
    chunks: int | None = None  # passages indexed
    latency_ms: dict[str, float] = field(default_factory=dict)  # p50 / p95 / mean of one query


@dataclass(frozen=True)
class Measure:
    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        return {"value": round(self.value, 4), "low": round(self.low, 4), "high": round(self.high, 4)}


def system_ranks(run: SystemRun, questions: Sequence[BankQuestion], k: int = 10) -> dict[str, int | None]:
    """1-based rank of the first relevant passage in the top ``k`` per answerable question (None: none).

    Raises:
        ScoringError: the system has no result list for an answerable question.
    """
    ranks: dict[str, int | None] = {}
    for question in questions:
        if not question.answerable:
            continue
        if question.id not in run.results:
            raise ScoringError(f"{run.name} returned nothing for question {question.id}: rerun it; a system "
                               f"must return a (possibly empty) list for every question")
        ranks[question.id] = first_relevant_rank(question.golds, run.results[question.id][:k])
    return ranks


def measures(ranks: Sequence[int | None], k: int = 10) -> dict[str, Any]:
    """hit@1, hit@5 and MRR@k with 95% Wilson intervals over ``ranks`` (one per question)."""
    n = len(ranks)
    values = {"hit@1": hit_at(ranks, 1), "hit@5": hit_at(ranks, 5), "mrr@10": mrr_at(ranks, k)}
    out: dict[str, Any] = {"n": n}
    for name, value in values.items():
        low, high = wilson_interval(value, n)
        out[name] = Measure(value, low, high)
    return out


def grouped(ranks: dict[str, int | None], questions: Iterable[BankQuestion],
            group_of: Callable[[BankQuestion], str], k: int = 10) -> dict[str, dict[str, Any]]:
    """``measures`` per group of answerable questions, groups in first-seen order."""
    groups: dict[str, list[int | None]] = {}
    for question in questions:
        if question.id in ranks:
            groups.setdefault(group_of(question), []).append(ranks[question.id])
    return {group: measures(values, k) for group, values in groups.items()}


def score_systems(runs: Sequence[SystemRun], questions: Sequence[BankQuestion], materials: dict[str, str],
                  k: int = 10) -> dict[str, dict[str, Any]]:
    """Overall, per-split and per-material measures and the ranks of every system, by name."""
    scored = {}
    for run in runs:
        ranks = system_ranks(run, questions, k)
        scored[run.name] = {
            "overall": measures(list(ranks.values()), k),
            "by_split": grouped(ranks, questions, lambda q: q.split, k),
            "by_material": grouped(ranks, questions, lambda q: question_material(q, materials), k),
            "ranks": ranks,
        }
    return scored


def to_json(value: Any) -> Any:
    """``value`` with every Measure as a plain dict (for json.dumps)."""
    if isinstance(value, Measure):
        return value.to_dict()
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value


# --- the table -----------------------------------------------------------------------------
def _cell(measure: Measure, best: bool) -> str:
    text = f"{measure.value:.3f} [{measure.low:.2f}, {measure.high:.2f}]"
    return f"**{text}**" if best else text


def measure_rows(names: Sequence[str], blocks: dict[str, dict[str, Any]]) -> list[str]:
    """Markdown rows 'name | hit@1 | hit@5 | MRR@10' for the systems that have ``blocks[name]``,
    the best value of each column in bold (all tied best values)."""
    present = [name for name in names if name in blocks]
    best = {m: max(blocks[name][m].value for name in present) for m in MEASURES} if present else {}
    return [f"| {name} | " + " | ".join(_cell(blocks[name][m], blocks[name][m].value >= best[m] - 1e-12)
                                         for m in MEASURES) + " |" for name in present]


def _ms(latency: dict[str, float]) -> str:
    return f"{latency['p50']:.1f} / {latency['p95']:.1f} ms" if latency else "-"


def markdown_section(runs: Sequence[SystemRun], scored: dict[str, dict[str, Any]], meta: dict[str, Any]) -> str:
    """The BENCHMARKS.md section: set-up, versions, the overall table, then per split and material.

    ``meta`` holds 'run_at', 'machine', 'versions' (system -> name -> version), 'documents' (count),
    'materials' (material -> document count), 'questions' (answerable count), 'k' and 'command'.
    """
    names = [run.name for run in runs]
    versions = "; ".join(f"{group}: " + ", ".join(f"{name} {version}" for name, version in items.items())
                         for group, items in meta["versions"].items())
    materials = ", ".join(f"{count} {name}" for name, count in meta["materials"].items())
    lines = [
        "## Side by side with a Haystack peer",
        "",
        f"Run {meta['run_at']} on {meta['machine']} (`{meta['command']}`). "
        f"{meta['questions']} answerable questions over {meta['documents']} documents ({materials}; long means "
        f"over {meta['long_chars']:,} characters of text). No filters, top {meta['k']}, one run. "
        "Relevance: eval/relevance.py (the gold's file, at least 60% of the gold as one contiguous run). "
        "Intervals: 95% Wilson. Build and query times are in-process on one thread. "
        "What each row is: docs/peers.md.",
        "",
        f"Versions: {versions}.",
        "",
        "| system | hit@1 | hit@5 | MRR@10 | chunks | build | query p50 / p95 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    overall = {name: scored[name]["overall"] for name in names}
    by_name = {run.name: run for run in runs}
    for row, name in zip(measure_rows(names, overall), names, strict=True):
        run = by_name[name]
        chunks = f"{run.chunks:,}" if run.chunks is not None else "-"
        build = f"{run.build_s:.1f} s" if run.build_s is not None else "-"
        lines.append(f"{row} {chunks} | {build} | {_ms(run.latency_ms)} |")
    for title, key in (("By split", "by_split"), ("By material", "by_material")):
        groups = list(dict.fromkeys(group for name in names for group in scored[name][key]))
        if len(groups) < 2 and key == "by_split":
            continue
        for group in groups:
            blocks = {name: scored[name][key][group] for name in names if group in scored[name][key]}
            n = next(iter(blocks.values()))["n"]
            lines += ["", f"**{title}: {group}** ({n} questions)", "", "| system | hit@1 | hit@5 | MRR@10 |",
                      "|---|---:|---:|---:|", *measure_rows(names, blocks)]
    return "\n".join(lines)


def replace_section(document: str, section: str, tag: str = "peers") -> str:
    """``document`` with the block between ``<!-- bench:TAG -->`` markers replaced by ``section``
    (appended when absent); everything else is kept."""
    start, end = f"<!-- bench:{tag} -->", f"<!-- /bench:{tag} -->"
    block = f"{start}\n{section}\n{end}"
    i, j = document.find(start), document.find(end)
    if i != -1 and j > i:
        return document[:i] + block + document[j + len(end):]
    return document.rstrip() + "\n\n" + block + "\n"
