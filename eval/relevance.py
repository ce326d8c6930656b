"""The relevance rule of eval/RELEVANCE.md and the retrieval measures built on it.

Standard library only, so that any environment (the product's, a peer's in its own venv) can load
this file by path and score exactly as every other system is scored.

Rule: normalise the gold and the passage (drop superscript digits, NFKC, lower case, straight
quotes, hyphens for en and em dashes, single spaces); a passage is relevant to a gold when it
comes from the gold's file and contains at least ``min_run`` (60%) of the normalised gold as one
contiguous run (difflib's longest matching block).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher
from pathlib import PurePath

MIN_RUN = 0.6
"""Share of the gold that must appear in the passage as one contiguous run."""

SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUPERSCRIPT_RE = re.compile(f"[{SUPERSCRIPT_DIGITS}]")
_PUNCTUATION = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def normalise(text: str) -> str:
    """``text`` in the rule's normal form: no superscript digits, NFKC, lower case, straight
    quotes, hyphens for en and em dashes, single spaces, no leading or trailing space."""
    text = _SUPERSCRIPT_RE.sub("", text)  # before NFKC, which would turn them into plain digits
    text = unicodedata.normalize("NFKC", text).lower().translate(_PUNCTUATION)
    return " ".join(text.split())


def same_file(gold_file: str, passage_file: str) -> bool:
    """Whether two names denote the same document: equal, or one is the other's trailing path
    ('001.txt' names 'reports/001.txt'); compared component by component, '/' or '\\' alike."""
    a = PurePath(gold_file.replace("\\", "/")).parts
    b = PurePath(passage_file.replace("\\", "/")).parts
    if not a or not b:
        return False
    n = min(len(a), len(b))
    return a[-n:] == b[-n:]


def contiguous_share(gold: str, passage: str) -> float:
    """The longest run of ``gold`` found in ``passage`` as a share of ``gold`` (both already
    normalised); 0.0 for an empty gold."""
    if not gold:
        return 0.0
    if gold in passage:
        return 1.0
    match = SequenceMatcher(None, gold, passage, autojunk=False).find_longest_match(0, len(gold), 0, len(passage))
    return match.size / len(gold)


def is_relevant(gold_file: str, gold_text: str, passage_file: str, passage_text: str,
                min_run: float = MIN_RUN) -> bool:
    """Whether a passage answers a gold under the rule (texts are normalised here).

    Args:
        gold_file: the file the gold passage is in.
        gold_text: the gold passage, verbatim.
        passage_file: the file the retrieved passage comes from.
        passage_text: the retrieved passage.
        min_run: share of the gold that must appear as one contiguous run (0 < min_run <= 1).

    Raises:
        ValueError: ``min_run`` outside (0, 1].
    """
    if not 0.0 < min_run <= 1.0:
        raise ValueError(f"min_run must be in (0, 1], not {min_run!r}: 0.6 is the rule's value")
    if not same_file(gold_file, passage_file):
        return False
    gold = normalise(gold_text)
    return bool(gold) and contiguous_share(gold, normalise(passage_text)) >= min_run


def first_relevant_rank(golds: Iterable[tuple[str, str]], passages: Iterable[tuple[str, str]],
                        min_run: float = MIN_RUN) -> int | None:
    """1-based rank of the first passage ``(file, text)`` relevant to any gold ``(file, text)``,
    or None when none is."""
    golds = [(file, normalise(text)) for file, text in golds]
    golds = [(file, text) for file, text in golds if text]
    for rank, (file, text) in enumerate(passages, start=1):
        candidates = [gold for gold_file, gold in golds if same_file(gold_file, file)]
        if not candidates:
            continue
        norm = normalise(text)
        if any(contiguous_share(gold, norm) >= min_run for gold in candidates):
            return rank
    return None


def hit_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of questions whose first relevant passage is within the top ``k`` (0.0 when empty)."""
    if not ranks:
        return 0.0
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mrr_at(ranks: Sequence[int | None], k: int) -> float:
    """Mean reciprocal rank, a question counting 0 when nothing relevant is in its top ``k``."""
    if not ranks:
        return 0.0
    return sum(1.0 / r for r in ranks if r is not None and r <= k) / len(ranks)


def wilson_interval(mean: float, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval (95% by default) around ``mean`` observed over ``n`` questions.

    For a proportion (hit@k) this is the usual Wilson interval. For the mean of values in [0, 1]
    (reciprocal ranks) it is conservative: such values with mean m have a variance of at most
    m(1 - m), the variance the interval assumes.

    Raises:
        ValueError: ``mean`` outside [0, 1] or ``n`` negative.
    """
    if not 0.0 <= mean <= 1.0:
        raise ValueError(f"mean must be in [0, 1], not {mean!r}")
    if n < 0:
        raise ValueError(f"n must be at least 0, not {n!r}")
    if n == 0:
        return (0.0, 1.0)
    z2 = z * z
    centre = (mean + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(mean * (1 - mean) / n + z2 / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


__all__ = ["MIN_RUN", "contiguous_share", "first_relevant_rank", "hit_at", "is_relevant", "mrr_at",
           "normalise", "same_file", "wilson_interval"]
