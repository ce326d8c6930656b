"""The grades' colour scale: five steps of cividis (a sequential palette readable with every
common colour-vision deficiency, and in greyscale), best grade darkest, each with a text colour
that contrasts with it, and short names for cells."""

from __future__ import annotations

from ingest.types import GRADES

GRADE_COLOURS = dict(zip(GRADES, ("#00224e", "#3f4d6b", "#7c7b78", "#bcaf6f", "#fee838"), strict=True))
"""Outstanding, Good, Adequate, Requires improvement, Inadequate: dark blue to yellow (cividis 0, .25, .5,
.75, 1), so all five differ in lightness as well as hue."""
GRADE_TEXT = dict(zip(GRADES, ("#ffffff", "#ffffff", "#000000", "#000000", "#000000"), strict=True))
"""Text on each colour, at a contrast of at least 4.5:1 (WCAG AA)."""
GRADE_SHORT = dict(zip(GRADES, ("Outstanding", "Good", "Adequate", "Requires improvement", "Inadequate"),
                       strict=True))
"""What a grade cell says (the grade in words: the colour is never the only cue)."""


def contrast(background: str, text: str) -> float:
    """WCAG contrast ratio between two '#rrggbb' colours."""
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(background), luminance(text)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def grade_style(grade: object) -> str:
    """CSS for a cell holding ``grade``: its colour and a text colour that contrasts with it ('' for
    anything that is not a grade)."""
    if grade not in GRADE_COLOURS:
        return ""
    return f"background-color: {GRADE_COLOURS[grade]}; color: {GRADE_TEXT[grade]}"
