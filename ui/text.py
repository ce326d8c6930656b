"""Showing untrusted text: report text, file names and questions are escaped before Streamlit
renders them as Markdown, and CSV cells a spreadsheet would run as formulas are defused."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&:=^\"'@%])")


def md_text(text: str | None) -> str:
    """``text`` as Markdown that shows exactly these characters: every ASCII punctuation mark
    that Markdown, HTML or Streamlit's extensions could read is backslash-escaped, so report
    text or a file name cannot make links, HTML, images, formulas or formatting. Line breaks are
    kept; tabs (table cells) are shown as '|'."""
    lines = (re.sub(r"\s+", " ", line.replace("\t", " | ")) for line in (text or "").split("\n"))
    return "  \n".join(_MD_SPECIAL.sub(r"\\\1", line) for line in lines)


def highlighted(text: str, start: int, end: int) -> str:
    """``text`` as escaped Markdown with ``text[start:end]`` highlighted (line by line, so a
    highlight never spans a paragraph break)."""
    start, end = max(0, start), min(len(text), end)
    if start >= end:
        return md_text(text)
    marked = []
    for line in md_text(text[start:end]).split("  \n"):
        core = line.strip()  # emphasis must not start or end with a space
        marked.append(line.replace(core, f":orange-background[**{core}**]", 1) if core else line)
    return md_text(text[:start]) + "  \n".join(marked) + md_text(text[end:])


def safe_csv_cell(value: Any) -> Any:
    """A cell that a spreadsheet will not run as a formula ('=', '+', '-', '@' lead-ins)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_text(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV (the first row's keys are the header), every cell defused."""
    out = io.StringIO()
    if not rows:
        return ""
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows({k: safe_csv_cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def safe_upload_name(name: str) -> str | None:
    """The base name of an uploaded file with control characters removed, or None when
    nothing usable is left (empty, '.', '..', only separators)."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip().lstrip(".").strip()
    return base[:200] or None


def file_size(size: int) -> str:
    """'1.5 MB', '50 MB' or '900 bytes'."""
    return f"{size / 2**20:.1f} MB".replace(".0 MB", " MB") if size >= 2**20 / 10 else f"{size:,} bytes"


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 report', '3 reports'."""
    return f"{n} {word if n == 1 else (many or word + 's')}"
