"""A scale corpus made from the bundled reports, so that no benchmark text is a verbatim copy.

Each synthetic report starts from one real report's text and changes it the way the library
differs from report to report: another territorial force of England and Wales (its name and
place name wherever the original force is named), another year from 2013 to 2024 (every year
and date in the text moves with it), other graded judgments, body paragraphs shuffled within
their section, and a share of sentences swapped for sentences from other reports. Headings,
tables, footnotes and the layout are kept, so the ingest pipeline reads it like a real report.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.forces import all_forces
from ingest.textutil import SUPERSCRIPT_DIGITS, sentence_spans

YEARS = tuple(range(2013, 2025))
GRADES = ("Outstanding", "Good", "Requires improvement", "Inadequate")
SWAP_RATE = 0.3
"""Share of body sentences replaced by a sentence from the pool of all reports."""
_SUFFIX_RE = re.compile(r"\s+(?:Constabulary|Police(?: Service| Force)?)$")
_YEAR_RE = re.compile(r"(?<![\d/])(20[01]\d)(?:/(\d\d))?(?![\d])")


@dataclass(frozen=True)
class BaseReport:
    """A real report the generator starts from."""

    source: str
    text: str
    force: str
    year: int
    chunks: int


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    base: str
    force: str
    year: int
    estimated_chunks: int


def place_name(force: str) -> str:
    """'Kent Police' -> 'Kent', 'Avon and Somerset Constabulary' -> 'Avon and Somerset'."""
    return _SUFFIX_RE.sub("", force)


def territorial_forces(exclude: set[str] | None = None) -> list[str]:
    """The 43 territorial forces of England and Wales, minus ``exclude``."""
    return [f.name for f in all_forces() if f.kind == "territorial" and f.name not in (exclude or set())]


def _is_body(paragraph: str) -> bool:
    """A prose paragraph that can be reshuffled: long, several sentences, no table or footnote."""
    stripped = paragraph.strip()
    return (len(stripped) >= 200 and "\t" not in stripped and stripped[0] not in SUPERSCRIPT_DIGITS
            and not stripped.startswith(("-", "•", "·")) and len(sentence_spans(stripped)) >= 2)


def _movable(sentence: str) -> bool:
    return not any(ch in SUPERSCRIPT_DIGITS for ch in sentence) and len(sentence.split()) >= 6


def sentence_pool(bases: list[BaseReport]) -> list[tuple[str, str]]:
    """(base force, sentence) for every movable sentence of every base report's body paragraphs."""
    pool = []
    for base in bases:
        for paragraph in re.split(r"\n\s*\n", base.text):
            if _is_body(paragraph):
                body = paragraph.strip()
                pool.extend((base.force, body[a:b]) for a, b in sentence_spans(body) if _movable(body[a:b]))
    return pool


def rename_force(text: str, old: str, new: str) -> str:
    """Every mention of force ``old`` (full name, place name, 'Herts'-style short forms) as ``new``."""
    text = text.replace(old, new)
    old_place, new_place = place_name(old), place_name(new)
    if old_place != old:
        text = re.sub(rf"\b{re.escape(old_place)}\b", new_place, text)
    for alias in next((f.aliases for f in all_forces() if f.name == old), ()):
        if alias not in (old, old_place) and len(alias) >= 4:
            text = re.sub(rf"\b{re.escape(alias)}\b", new_place, text)
    return text


def shift_years(text: str, delta: int) -> str:
    """Move every year 2000-2019 (and '2014/15' spans) by ``delta`` years."""
    if not delta:
        return text

    def move(match: re.Match[str]) -> str:
        year = int(match.group(1)) + delta
        if match.group(2):
            return f"{year}/{(int(match.group(2)) + delta) % 100:02d}"
        return str(year)

    return _YEAR_RE.sub(move, text)


def synthesise(base: BaseReport, pool: list[tuple[str, str]], force: str, year: int, seed: int) -> str:
    """One synthetic report: ``base`` recombined, then moved to ``force`` and ``year``."""
    rng = random.Random(seed)
    parts = re.split(r"(\n\s*\n)", base.text)  # paragraphs and the blank lines between them
    body_runs: list[list[int]] = [[]]
    for i in range(0, len(parts), 2):
        if _is_body(parts[i]):
            body_runs[-1].append(i)
        elif body_runs[-1]:
            body_runs.append([])
    for run in body_runs:
        paragraphs = [parts[i] for i in run]
        rng.shuffle(paragraphs)
        for i, paragraph in zip(run, paragraphs, strict=True):
            lead = paragraph[: len(paragraph) - len(paragraph.lstrip())]
            body = paragraph.strip()
            sentences = [body[a:b] for a, b in sentence_spans(body)]
            for n, sentence in enumerate(sentences):
                if _movable(sentence) and rng.random() < SWAP_RATE:
                    other_force, other = pool[rng.randrange(len(pool))]
                    sentences[n] = rename_force(other, other_force, base.force)
            parts[i] = lead + " ".join(sentences)
    for i in range(0, len(parts), 2):
        if parts[i].strip() in GRADES:
            parts[i] = parts[i].replace(parts[i].strip(), rng.choice(GRADES))
    text = "".join(parts)
    return shift_years(rename_force(text, base.force, force), year - base.year)


def load_bases(report_dir: Path) -> list[BaseReport]:
    """The bundled reports with their force, year and chunk count (read by the real pipeline)."""
    from ingest.chunk import chunk_report
    from ingest.pipeline import discover, ingest_path

    bases = []
    files, _ = discover([report_dir])
    for file in files:
        report = ingest_path(file)
        if report.meta.force and report.meta.year:
            bases.append(BaseReport(file.name, file.read_text(encoding="utf-8"), report.meta.force,
                                    report.meta.year, len(chunk_report(report))))
    if not bases:
        raise ValueError(f"no report in {report_dir} names a force and a year: the generator needs one")
    return bases


def make_corpus(out_dir: Path, target_chunks: int, bases: list[BaseReport], *, seed: int = 7,
                include_real: bool = True, report_dir: Path | None = None) -> list[CorpusFile]:
    """Write synthetic reports into ``out_dir`` until their chunks (estimated from each base
    report's chunk count) reach about ``target_chunks``; with ``include_real`` the bundled
    reports are copied in too. Deterministic for a given seed. Forces are drawn from the
    territorial forces other than the bundled reports' own, so no synthetic report poses as one
    of the real ones."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    pool = sentence_pool(bases)
    forces = territorial_forces(exclude={b.force for b in bases})
    files: list[CorpusFile] = []
    total = 0
    if include_real:
        for base in bases:
            path = out_dir / base.source
            path.write_text(base.text, encoding="utf-8")
            files.append(CorpusFile(path, base.source, base.force, base.year, base.chunks))
            total += base.chunks
    n = 0
    while total < target_chunks:
        base = bases[n % len(bases)]
        force, year = rng.choice(forces), rng.choice(YEARS)
        path = out_dir / f"syn_{n:05d}.txt"
        path.write_text(synthesise(base, pool, force, year, seed * 1_000_003 + n), encoding="utf-8")
        files.append(CorpusFile(path, base.source, force, year, base.chunks))
        total += base.chunks
        n += 1
    return files
