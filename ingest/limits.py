"""What reading one report file may cost, as one typed settings object.

Every limit has a default sized for real inspection reports (the longest HMICFRS reports run to a
few hundred pages and about two million characters) and an environment variable that raises or
lowers it. A file over any limit is refused with :class:`LimitExceeded`, whose one-line message
names the limit and the variable that raises it.

=====================  ==========================  ==============================================
field                  environment variable        default
=====================  ==========================  ==============================================
max_file_bytes         INSPECTQA_MAX_FILE_MB       50 MB: checked from the file's size, before reading
max_report_chars       INSPECTQA_MAX_REPORT_CHARS  5,000,000 characters of text read from one file
max_run_chars          INSPECTQA_MAX_RUN_CHARS     100,000 characters without whitespace (before any tokenizer)
max_pdf_pages          INSPECTQA_MAX_PDF_PAGES     3,000 page references in a PDF's page tree
max_pdf_objects        INSPECTQA_MAX_PDF_OBJECTS   1,000,000 objects in a PDF's cross-reference table
file_seconds           INSPECTQA_FILE_SECONDS      120 s of wall time to read and structure one file
file_memory_bytes      INSPECTQA_FILE_MEMORY_MB    2,048 MB of address space for the process reading it
=====================  ==========================  ==============================================
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import NamedTuple

from ingest.types import IngestError

__all__ = ["LIMIT_SETTINGS", "LimitExceeded", "LimitSetting", "LimitSettingError", "ReadLimits", "human_bytes"]

MB = 1024 * 1024


class LimitSetting(NamedTuple):
    """How one field of :class:`ReadLimits` is set from the environment and shown in messages."""

    env: str
    unit: str  # "MB" (the field holds bytes), "s" (seconds), or the noun counted ("page")
    what: str


LIMIT_SETTINGS: dict[str, LimitSetting] = {
    "max_file_bytes": LimitSetting("INSPECTQA_MAX_FILE_MB", "MB", "size of one file"),
    "max_report_chars": LimitSetting("INSPECTQA_MAX_REPORT_CHARS", "character", "characters of text per file"),
    "max_run_chars": LimitSetting("INSPECTQA_MAX_RUN_CHARS", "character", "characters in one run without "
                                  "whitespace"),
    "max_pdf_pages": LimitSetting("INSPECTQA_MAX_PDF_PAGES", "page", "page references in a PDF's page tree"),
    "max_pdf_objects": LimitSetting("INSPECTQA_MAX_PDF_OBJECTS", "object", "objects in a PDF"),
    "file_seconds": LimitSetting("INSPECTQA_FILE_SECONDS", "s", "wall time to read one file"),
    "file_memory_bytes": LimitSetting("INSPECTQA_FILE_MEMORY_MB", "MB", "address space of the process reading "
                                      "one file"),
}
"""Each limit's environment variable, unit and what it counts, by :class:`ReadLimits` field name."""


class LimitSettingError(IngestError):
    """An environment variable holds a value that is not a usable limit."""

    def __init__(self, env: str, value: str, unit: str) -> None:
        example = {"MB": "a number of megabytes, e.g. 100", "s": "a number of seconds, e.g. 300"}.get(
            unit, f"a whole number of {unit}s, e.g. 10000")
        super().__init__(env, f"{value!r} is not a positive limit: set it to {example}, or unset it for the "
                              "default")
        self.setting = env


class LimitExceeded(IngestError):
    """A file went over one of the :class:`ReadLimits`; ``setting`` is the variable that raises it."""

    def __init__(self, source: str, message: str, setting: str) -> None:
        super().__init__(source, message)
        self.setting = setting


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on the cost of reading one file (see the module docstring for variables and defaults).

    All sizes are in bytes and all counts are inclusive maxima; every value must be positive.
    """

    max_file_bytes: int = 50 * MB
    max_report_chars: int = 5_000_000
    max_run_chars: int = 100_000
    max_pdf_pages: int = 3_000
    max_pdf_objects: int = 1_000_000
    file_seconds: float = 120.0
    file_memory_bytes: int = 2048 * MB

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0 \
                    or not math.isfinite(value):
                raise ValueError(f"ReadLimits.{item.name} must be a positive number, not {value!r}: pass a "
                                 f"positive value or set {LIMIT_SETTINGS[item.name].env}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ReadLimits:
        """The defaults, with each limit whose environment variable is set taken from it.

        Raises:
            LimitSettingError: a variable is set to something that is not a positive number.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, int | float] = {}
        for name, setting in LIMIT_SETTINGS.items():
            raw = environ.get(setting.env, "").strip()
            if not raw:
                continue
            try:
                number = float(raw.replace("_", "").replace(",", ""))
            except ValueError:
                raise LimitSettingError(setting.env, raw, setting.unit) from None
            counted = setting.unit not in ("MB", "s")
            if not (number > 0 and math.isfinite(number)) or (counted and number != int(number)):
                raise LimitSettingError(setting.env, raw, setting.unit)
            values[name] = int(number * MB) if setting.unit == "MB" else number if setting.unit == "s" \
                else int(number)
        return cls(**values)

    def shown(self, name: str) -> str:
        """One limit as it reads before 'limit': '50.0 MB', '120 s', '3,000-page'."""
        setting, value = LIMIT_SETTINGS[name], getattr(self, name)
        if setting.unit == "MB":
            return human_bytes(value)
        if setting.unit == "s":
            return f"{value:g} s"
        return f"{value:,}-{setting.unit}"

    def exceeded(self, source: str, name: str, found: str, advice: str) -> LimitExceeded:
        """The error for a file over limit ``name``: '<found>, over the <limit> limit: <advice> or raise <VAR>'."""
        setting = LIMIT_SETTINGS[name]
        return LimitExceeded(source, f"{found}, over the {self.shown(name)} limit: {advice} or raise {setting.env}",
                             setting.env)


def human_bytes(size: int) -> str:
    """'2,048 MB' for whole megabytes, '60.3 MB' from a tenth of one up, '100 bytes' below."""
    if size >= MB and size % MB == 0:
        return f"{size // MB:,} MB"
    return f"{size / MB:.1f} MB" if size >= MB / 10 else f"{size:,} bytes"
