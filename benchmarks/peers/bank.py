"""The question bank and the documents a side-by-side comparison runs on (standard library only).

Question files are JSON lines: ``id``, ``question``, ``gold`` (a list of ``"FILE::verbatim text"``,
or plain text with ``doc`` naming the file), ``kind``, and optionally ``split`` (dev / test),
``scope`` (single / cross_year / cross_force) and ``unanswerable``. A question without a ``split``
takes its file's name ('dev' for dev_questions.jsonl). Only answerable questions are scored for
retrieval.

Documents are every .txt / .html file under the given folders. Each is long material (a full
report: over ``LONG_DOCUMENT_CHARS`` characters of text) or short (letters, news releases, pages).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

DOCUMENT_SUFFIXES = (".txt", ".html", ".htm")
LONG_DOCUMENT_CHARS = 20_000
"""Documents with more characters of text than this are 'long' (full reports), the rest 'short'."""
_NO_FILE = {"", "both", "none", "all"}


class BankError(ValueError):
    """A question file or document set cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class BankQuestion:
    """One question of the bank, as the comparison reads it."""

    id: str
    question: str
    golds: tuple[tuple[str, str], ...]  # (file name, verbatim gold text)
    kind: str
    split: str  # dev, test, or the question file's name
    scope: str  # single, cross_year, cross_force
    answerable: bool

    @property
    def files(self) -> tuple[str, ...]:
        """The files its golds are in, each once, in order."""
        return tuple(dict.fromkeys(file for file, _ in self.golds))


def default_split(path: Path) -> str:
    """'dev' for dev_questions.jsonl, 'heldout' for heldout_questions.jsonl, else the file's stem."""
    return re.sub(r"[_-]?questions$", "", path.stem) or path.stem


def parse_question(item: dict, split: str) -> BankQuestion:
    """One bank object as a ``BankQuestion``.

    Raises:
        BankError: a missing id or question, or a gold whose file is not named.
    """
    if not isinstance(item, dict) or not item.get("id") or not isinstance(item.get("question"), str):
        raise BankError('not a question object: expected {"id", "question", "gold": [...], ...}')
    golds = []
    for gold in item.get("gold") or []:
        if not isinstance(gold, str):
            raise BankError(f"question {item['id']}: a gold is {type(gold).__name__}, not text")
        file, text = gold.split("::", 1) if "::" in gold else (str(item.get("doc") or ""), gold)
        if file.strip().lower() in _NO_FILE:
            raise BankError(f"question {item['id']}: gold {gold[:60]!r} names no file: write it as 'FILE::text' "
                            f"or set \"doc\" to the file name")
        golds.append((file.strip(), text))
    kind = str(item.get("kind") or "other")
    unanswerable = bool(item.get("unanswerable", kind == "unanswerable")) or not golds
    scope = str(item.get("scope") or ("single" if len({f for f, _ in golds}) <= 1 else "cross_document"))
    return BankQuestion(str(item["id"]), item["question"], tuple(golds), kind, str(item.get("split") or split),
                        scope, not unanswerable)


def load_questions(paths: list[str | Path]) -> list[BankQuestion]:
    """Every question in the JSON-lines files ``paths``, in order.

    Raises:
        BankError: a file is missing, a line is not a question, or two questions share an id.
    """
    questions: list[BankQuestion] = []
    seen: dict[str, str] = {}
    for entry in paths:
        path = Path(entry)
        if not path.is_file():
            raise BankError(f"{path}: no such question file: check the --questions paths")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                question = parse_question(json.loads(line), default_split(path))
            except (json.JSONDecodeError, BankError) as exc:
                raise BankError(f"{path}, line {n}: {exc}") from exc
            if question.id in seen:
                raise BankError(f"{path}, line {n}: question id {question.id!r} is also in {seen[question.id]}: "
                                f"give every question its own id")
            seen[question.id] = f"{path}, line {n}"
            questions.append(question)
    return questions


def discover_documents(paths: list[str | Path]) -> list[Path]:
    """Every .txt / .html file under ``paths`` (folders recursively, sorted, hidden files skipped).

    Raises:
        BankError: a path does not exist, nothing is found, or two files share a name (both
            systems and the gold name documents by file name).
    """
    files: list[Path] = []
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES
                                and not any(part.startswith(".") for part in p.relative_to(path).parts)))
        elif path.is_file():
            files.append(path)
        else:
            raise BankError(f"{path}: no such file or folder: check the --docs paths")
    if not files:
        raise BankError(f"no .txt or .html file under {', '.join(map(str, paths))}: check the --docs paths")
    by_name: dict[str, Path] = {}
    for file in files:
        if file.name in by_name and by_name[file.name] != file:
            raise BankError(f"two documents are named {file.name} ({by_name[file.name]} and {file}): "
                            f"rename one, since results and golds name documents by file name")
        by_name[file.name] = file
    return list(by_name.values())


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style", "noscript", "template"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "noscript", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def document_chars(path: Path) -> int:
    """Characters of text in a document (HTML without its markup, scripts and styles), spaces collapsed."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() in (".html", ".htm"):
        parser = _TextOfHtml()
        parser.feed(raw)
        raw = " ".join(parser.parts)
    return len(" ".join(raw.split()))


def material_of(files: list[Path], long_chars: int = LONG_DOCUMENT_CHARS) -> dict[str, str]:
    """'long' or 'short' for each document, by file name."""
    return {f.name: "long" if document_chars(f) > long_chars else "short" for f in files}


def question_material(question: BankQuestion, materials: dict[str, str]) -> str:
    """'long' or 'short' when every gold file is of that material, else 'mixed'; 'unknown' when
    a gold file is not among the documents."""
    kinds = {materials.get(Path(file.replace("\\", "/")).name, "unknown") for file in question.files}
    if "unknown" in kinds:
        return "unknown"
    return kinds.pop() if len(kinds) == 1 else "mixed"
