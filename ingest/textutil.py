"""Small pure text helpers shared by ingest and search."""

from __future__ import annotations

import re
import unicodedata

SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUPER_TO_INT = str.maketrans(SUPERSCRIPT_DIGITS, "0123456789")

# Footnote markers as PDF extraction leaves them: runs of superscript digits ("people²",
# "place.¹⁵") and the caret notation some converters write ("crime^{9 10 11}").
FOOTNOTE_MARKER_RE = re.compile(rf"[{SUPERSCRIPT_DIGITS}]+|\^\{{[\d ,]+\}}")
# Emphasis asterisks left by PDF-to-markdown converters ("*Crime Outcomes*", "***Note**").
_EMPHASIS_RE = re.compile(r"(?<![\w*])\*{1,3}(?=\S)|(?<=\S)\*{1,3}(?![\w*])")
_SPACE_RE = re.compile(r"[ \t\u00a0]+")


def superscript_to_int(marker: str) -> int | None:
    """'¹⁵' -> 15; None when ``marker`` holds no superscript digits."""
    digits = marker.translate(_SUPER_TO_INT)
    return int(digits) if digits.isdigit() else None


def marker_numbers(marker: str) -> list[int]:
    """Footnote numbers named by one marker: '¹⁵' -> [15], '^{9 10 11}' -> [9, 10, 11]."""
    if marker.startswith("^{"):
        return [int(n) for n in re.findall(r"\d+", marker)]
    number = superscript_to_int(marker)
    return [] if number is None else [number]


def strip_markers(text: str) -> str:
    """Text for the encoder and the lexical index: footnote markers and emphasis asterisks removed."""
    text = FOOTNOTE_MARKER_RE.sub("", text)
    text = _EMPHASIS_RE.sub("", text)
    return text


def normalise_for_match(text: str) -> str:
    """The relevance rule's normal form: no superscript digits, NFKC, lower case, straight
    quotes, hyphens for en dashes, single spaces."""
    text = re.sub(f"[{SUPERSCRIPT_DIGITS}]", "", text)
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.translate(str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-"}))
    return " ".join(text.split())


def collapse_spaces(text: str) -> str:
    """Runs of spaces and tabs inside a line become one space; line breaks are kept."""
    return _SPACE_RE.sub(" ", text).strip()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Half-open spans of sentences, bullet items and table rows in ``text``.

    Splits after . ? ! (followed by a space and an upper-case letter, digit or quote) and at
    line breaks; never inside abbreviations such as 'e.g.' or 'i.e.'.
    """
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        base = line.start()
        body = line.group()
        cut = 0
        for match in _SENTENCE_END_RE.finditer(body):
            end = match.end()
            if _ABBREV_RE.search(body[max(0, end - 6) : end]):
                continue
            piece = body[cut:end].strip()
            if piece:
                lead = len(body[cut:end]) - len(body[cut:end].lstrip())
                spans.append((base + cut + lead, base + cut + lead + len(piece)))
            cut = end
        piece = body[cut:].strip()
        if piece:
            lead = len(body[cut:]) - len(body[cut:].lstrip())
            start = base + cut + lead
            if cut == 0 and _is_value_line(piece) and _labels(text, spans, start):
                spans[-1] = (spans[-1][0], start + len(piece))  # 'Cleveland: 41%  England and Wales: 32%'
            else:  # joins the label on the line above it, as one statement of a figure
                spans.append((start, start + len(piece)))
    return spans


_FIGURE = r"(?:£\s?)?\d[\d,.]*\s?(?:%|percent|per cent|million|bn)?"
_VALUE_ITEM = rf"(?:[A-Z][A-Za-z &'’().-]{{0,40}}:\s*)?{_FIGURE}"
_VALUE_LINE_RE = re.compile(rf"{_VALUE_ITEM}(?:\s+{_VALUE_ITEM}){{0,5}}")


def _is_value_line(line: str) -> bool:
    """A line of figures only, each perhaps named ('Cleveland: 41%   England and Wales: 32%¹'); a
    bare number (a page number) is not one."""
    body = FOOTNOTE_MARKER_RE.sub("", line).strip()
    return bool(_VALUE_LINE_RE.fullmatch(body)) and any(mark in body for mark in (":", "%", "£", "per", "million"))


def _labels(text: str, spans: list[tuple[int, int]], start: int) -> bool:
    """Whether the last span is a label on the line just above ``start``: not a sentence (no
    closing stop) and not itself a line of figures."""
    if not spans:
        return False
    a, b = spans[-1]
    label = text[a:b]
    return (text[b:start].count("\n") == 1 and not text[b:start].strip() and not label.rstrip().endswith((".", "?", "!"))
            and not _is_value_line(label))


_SENTENCE_END_RE = re.compile(
    rf"[.?!][{SUPERSCRIPT_DIGITS}'\"’”)]*(?=\s+[\"'‘“(]?[A-Z0-9])"
)
_ABBREV_RE = re.compile(r"(?:\b(?:e\.g|i\.e|etc|c|cf|vs|No|Mr|Mrs|Ms|Dr|St|Co)\.)$")
