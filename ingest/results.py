"""The outcome of ingesting one path: a report, an error, or a path left out on purpose."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.types import Chunk, Report

__all__ = ["IngestResult"]


@dataclass(frozen=True)
class IngestResult:
    """The outcome for one path.

    ``status`` is ``"read"`` (``report`` is set, and ``chunks`` when chunking was asked for),
    ``"error"`` (``error`` is a one-line message naming the file, control characters escaped, and
    saying what to do) or ``"skipped"`` (a hidden file or folder, or a link to a folder, left out on
    purpose; ``error`` says why and how to include it).
    """

    path: str
    report: Report | None = None
    error: str | None = None
    status: str = field(default="", metadata={"doc": "read | error | skipped (derived when not given)"})
    chunks: tuple[Chunk, ...] | None = None
    limit: str | None = field(default=None, metadata={"doc": "environment variable of the limit breached"})

    def __post_init__(self) -> None:
        if not self.status:
            object.__setattr__(self, "status", "read" if self.report is not None else "error")
        if self.status not in ("read", "error", "skipped"):
            raise ValueError(f"IngestResult.status must be read, error or skipped, not {self.status!r}")
