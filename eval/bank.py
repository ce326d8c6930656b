"""The question bank: questions with verbatim gold spans, their documents and their splits.

A bank file holds one JSON object a line (eval/README.md):
``{"id", "question", "gold": ["FILE::verbatim span", ...], "answer_type", "scope", "paraphrase",
"unanswerable", "unanswerable_kind", "names", "split"}``. Files written before the bank used
``"doc"`` for the gold's file and ``"kind": "unanswerable"``; both forms load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIRS = (ROOT / "reports", ROOT / "eval" / "corpus")
BANK = ROOT / "eval" / "questions"
SPLITS = ("dev", "test")


@dataclass(frozen=True)
class Gold:
    file: str
    text: str  # verbatim, as written


@dataclass(frozen=True)
class BankQuestion:
    id: str
    question: str
    golds: tuple[Gold, ...]
    answer_type: str = "description"
    scope: str = "single"
    paraphrase: bool = False
    unanswerable: bool = False
    unanswerable_kind: str | None = None
    split: str = "dev"
    answer: str = ""
    names: dict[str, Any] = field(default_factory=dict)

    @property
    def answerable(self) -> bool:
        return not self.unanswerable

    @property
    def needs_all(self) -> bool:
        """Cross-year and cross-force questions need every gold; others any one."""
        return self.scope != "single"


def _golds(item: dict[str, Any]) -> tuple[Gold, ...]:
    out = []
    for gold in item.get("gold") or []:
        file, text = gold.split("::", 1) if "::" in gold else (item.get("doc", ""), gold)
        out.append(Gold(file.strip(), text))
    return tuple(out)


def load(path: str | Path, split: str | None = None) -> list[BankQuestion]:
    """Questions of one bank file; raises ValueError naming the bad line."""
    questions = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            unanswerable = bool(item.get("unanswerable")) or item.get("kind") == "unanswerable"
            questions.append(BankQuestion(
                id=str(item["id"]), question=str(item["question"]), golds=_golds(item),
                answer_type=item.get("answer_type") or item.get("kind") or "description",
                scope=item.get("scope") or ("cross_year" if item.get("kind") == "cross_year" else "single"),
                paraphrase=bool(item.get("paraphrase") or item.get("kind") == "paraphrase"),
                unanswerable=unanswerable, unanswerable_kind=item.get("unanswerable_kind"),
                split=split or item.get("split") or "dev", answer=item.get("answer") or "",
                names=item.get("names") or item.get("filters") or {}))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"{path}, line {n}: not a bank question ({exc}): expected "
                             '{"id", "question", "gold": ["FILE::span", ...], ...}') from exc
    return questions


def load_split(split: str) -> list[BankQuestion]:
    """The bank's ``dev`` or ``test`` questions."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: choose dev or test")
    return load(BANK / f"{split}.jsonl", split)


def corpus_files() -> list[Path]:
    """Every document of the evaluation corpus (the sample reports and the fixture documents)."""
    files = []
    for folder in CORPUS_DIRS:
        files.extend(p for p in sorted(folder.iterdir())
                     if p.is_file() and p.suffix in (".txt", ".html", ".htm", ".pdf", ".docx"))
    return files
