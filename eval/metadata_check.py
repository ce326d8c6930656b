"""Score ingest's metadata (force, period) and stated grades against eval/corpus/manifest.jsonl.

    python -m eval.metadata_check dev|test|all

Tune on dev documents only (eval/questions/splits.json); the test documents are for reporting.
A manifest grade counts as found when ingest states the same grade with a citation that overlaps
the manifest's sentence: its primary citation, or (second figure) any of its citations, the
alternatives (``GradeStatement.also``) included.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from eval.bank import ROOT
from eval.relevance import normalise
from ingest.metadata import canonical_grade
from ingest.pipeline import ingest_path

CORPUS = ROOT / "eval" / "corpus"


def _rows() -> list[dict]:
    with (CORPUS / "manifest.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _split_of() -> dict[str, str]:
    splits = json.loads((ROOT / "eval" / "questions" / "splits.json").read_text(encoding="utf-8"))
    return {name: split for split in ("dev", "test") for name in splits[split]}


def main(which: str = "dev") -> int:
    if which not in ("dev", "test", "all"):
        print(f"unknown split {which!r}: run `python -m eval.metadata_check dev|test|all`", file=sys.stderr)
        return 2
    split_of = _split_of()
    n = forces = periods = stated = found = found_any = 0
    for row in _rows():
        if which != "all" and split_of.get(row["file"]) != which:
            continue
        report = ingest_path(Path(CORPUS / row["file"]), isolate=False)
        meta = report.meta
        n += 1
        force_ok = meta.force == row["force"]
        period_ok = (meta.year, meta.year_to) == (row["year_from"], row["year_to"])
        forces += force_ok
        periods += period_ok
        if not (force_ok and period_ok):
            print(f"{row['file']}: force {meta.force!r} (manifest {row['force']!r}); period {meta.year}-{meta.year_to} "
                  f"(manifest {row['year_from']}-{row['year_to']}); title {meta.title!r}")
        texts = [(g, n == 0, normalise(report.text[a:b])) for g in report.grades if g.grade
                 for n, (a, b) in enumerate([(g.start, g.end), *g.also])]
        for expected in row.get("grades", []):
            stated += 1
            grade, sentence = canonical_grade(expected["grade"]), normalise(expected["sentence"])
            hits = [primary for g, primary, text in texts
                    if g.grade == grade and (text[:40] in sentence or sentence[:40] in text)]
            found += any(hits)
            found_any += bool(hits)
    print(f"{which}: {n} documents; force {forces / max(1, n):.3f}; period {periods / max(1, n):.3f}; "
          f"stated grades found {found}/{stated} (by any citation {found_any}/{stated})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "dev"))
