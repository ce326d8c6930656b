"""Split the written questions into the dev and the frozen test split (run once; the output is committed).

Documents were split first (eval/questions/splits.json: by family, 40% of each family's documents
to test, the two sample reports in dev, a fixed seed). An answerable question goes where most of
its gold documents are (a tie goes to test); an unanswerable one goes to test when a hash of its
id falls in the lowest 40%. Usage: ``python -m eval.split_bank`` from the repository root.

Questions written after the test split was frozen (``written_dev/``) are for tuning only: they
were written from the dev documents, every one goes to dev, and one with a gold in a test
document is left out (said on the console), so the frozen test split never changes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent / "questions"
TEST_SHARE = 0.4
DEV_ONLY = "written_dev"


def split_of(item: dict, test_docs: set[str]) -> str:
    files = [g.split("::", 1)[0] for g in item.get("gold") or []]
    if files:
        in_test = sum(f in test_docs for f in files)
        return "test" if in_test * 2 >= len(files) else "dev"
    digest = hashlib.sha256(item["id"].encode()).digest()
    return "test" if int.from_bytes(digest[:4], "big") / 2**32 < TEST_SHARE else "dev"


def main() -> None:
    splits = json.loads((HERE / "splits.json").read_text(encoding="utf-8"))
    test_docs = set(splits["test"])
    out: dict[str, list[str]] = {"dev": [], "test": []}
    for path in sorted((HERE / "written").glob("*.jsonl")) + sorted((HERE / DEV_ONLY).glob("*.jsonl")):
        dev_only = path.parent.name == DEV_ONLY
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                if dev_only and any(g.split("::", 1)[0] in test_docs for g in item.get("gold") or []):
                    print(f"left out {item['id']}: a gold is in a test document")
                    continue
                item["split"] = "dev" if dev_only else split_of(item, test_docs)
                out[item["split"]].append(json.dumps(item, ensure_ascii=False))
    for name, lines in out.items():
        (HERE / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{name}: {len(lines)} questions")


if __name__ == "__main__":
    main()
