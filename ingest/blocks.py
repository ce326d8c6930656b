"""Pieces the format readers share: the parsed-text value, the block builder that enforces the
character limit while a document is read, and short error details."""

from __future__ import annotations

from typing import NamedTuple

from ingest.limits import ReadLimits
from ingest.types import HeadingHint, IngestError, PageSpan

__all__ = ["MIN_TEXT_CHARS", "Blocks", "Parsed", "brief", "too_many_chars", "visible_chars"]

MIN_TEXT_CHARS = 20
"""Fewer non-space characters than this and a file is refused as too short to be a report."""


class Parsed(NamedTuple):
    """A document's text as a format reader made it, before the checks every format shares."""

    text: str
    pages: tuple[PageSpan, ...] = ()
    headings: tuple[HeadingHint, ...] = ()
    warnings: tuple[str, ...] = ()


class Blocks:
    """Paragraphs joined by blank lines, recording heading offsets as they are added.

    Stops with :class:`LimitExceeded` as soon as the text passes the character limit, so a huge
    document is refused while it is being read rather than after.
    """

    def __init__(self, source: str = "", limits: ReadLimits | None = None) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.headings: list[HeadingHint] = []
        self.source, self.limits = source, limits

    def add(self, text: str, level: int | None = None) -> None:
        if not (text := text.strip()):
            return
        self.length += 2 if self.parts else 0
        self.parts.append(text)
        self.length += len(text)
        if self.limits and self.length > self.limits.max_report_chars:
            raise too_many_chars(self.source, self.limits, f"more than {self.length:,}")
        if level:
            self.headings.append(HeadingHint(self.length - len(text), self.length, level))

    def parsed(self, *warnings: str | None) -> Parsed:
        return Parsed("\n\n".join(self.parts), (), tuple(self.headings), tuple(w for w in warnings if w))


def visible_chars(text: str) -> int:
    """Characters that are not whitespace."""
    return len("".join(text.split()))


def too_many_chars(source: str, limits: ReadLimits, found: str) -> IngestError:
    """The error for text over the character limit; ``found`` says how long it is ('12,000,000')."""
    return limits.exceeded(source, "max_report_chars", f"the text is {found} characters",
                           "split the report into parts")


def brief(exc: BaseException) -> str:
    """An exception as a short single line for an error message."""
    detail = " ".join(str(exc).split())[:160]
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
