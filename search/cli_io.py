"""What every part of the command line shares: exit statuses, the usage error, and printing one
JSON line or one error line."""

from __future__ import annotations

import json
import sys
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line input; exits with status 2."""


def print_json(data: Any) -> None:
    line = json.dumps(data, ensure_ascii=False)  # a lone surrogate (bad input byte) is written as a JSON \u escape
    sys.stdout.write(line.encode("utf-8", "backslashreplace").decode("utf-8") + "\n")


def err(message: str) -> None:
    sys.stderr.write(f"inspectqa: {message}\n")


def shown_name(name: object) -> str:
    """A file or report name safe to print: control characters escaped (ESC becomes \\x1b)."""
    from ingest.files import display_name

    return display_name(str(name))


__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "UsageError", "err", "print_json", "shown_name"]
