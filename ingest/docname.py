"""What a document's file or page name says, for the force and period its text leaves unnamed.

Publications are often saved under names that carry both ('peel-assessment-2021-22-cleveland.pdf',
'lancashire_peel_2018.html'). The text always comes first (``ingest.metadata``); the name only
fills what the text leaves empty.
"""

from __future__ import annotations

import re


def name_words(name: str) -> str:
    """A file or page name as hyphenated words: 'peel2018-19_lancashire.pdf' -> 'peel-2018-19-lancashire'."""
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name.rsplit("/", 1)[-1])
    return re.sub(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])|[_\s]+", "-", stem)


__all__ = ["name_words"]
