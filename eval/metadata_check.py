"""Score ingest's metadata (force, period, title) and stated grades against eval/corpus/manifest.jsonl.

    python -m eval.metadata_check dev|test|all

Tune on dev documents only (eval/questions/splits.json); the test documents are for reporting.
"""

import json
import sys
from pathlib import Path

from ingest.metadata import canonical_grade
from ingest.pipeline import ingest_path

ROOT = Path(".")
rows = [json.loads(l) for l in open(ROOT / "eval/corpus/manifest.jsonl")]
splits = json.load(open(ROOT / "eval/questions/splits.json"))
which = sys.argv[1] if len(sys.argv) > 1 else "dev"
ok_f = ok_y = n = 0
g_tot = g_ok = g_dup = 0
for r in rows:
    split = "test" if r["file"] in splits["test"] else "dev"
    if which != "all" and split != which:
        continue
    rep = ingest_path(ROOT / "eval/corpus" / r["file"])
    m = rep.meta
    n += 1
    f_ok = m.force == r["force"]
    y_ok = (m.year, m.year_to) == (r["year_from"], r["year_to"])
    ok_f += f_ok; ok_y += y_ok
    if not (f_ok and y_ok):
        print(f"{r['file']}: force {m.force!r} vs {r['force']!r}; period {m.year}-{m.year_to} vs {r['year_from']}-{r['year_to']}; title {m.title!r}")
    got = {}
    for g in rep.grades:
        if getattr(g, "status", "graded") != "graded":
            continue
        key = (g.force, g.year_from if hasattr(g, 'year_from') else g.year, g.grade)
        got.setdefault(key, []).append(g)
    for eg in r.get("grades", []):
        g_tot += 1
        grade = canonical_grade(eg["grade"])
        sent = " ".join(eg["sentence"].split()).lower()
        hit = [g for g in rep.grades if (g.grade == grade and " ".join(rep.text[g.start:g.end].split()).lower()[:40] in sent) or (g.grade == grade and sent[:40] in " ".join(rep.text[g.start:g.end].split()).lower())]
        g_ok += bool(hit)
print(f"{which}: docs {n}, force {ok_f/n:.3f}, period {ok_y/n:.3f}, grades recalled (by grade+sentence) {g_ok}/{g_tot}")
