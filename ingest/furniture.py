"""Site navigation and page furniture in saved web pages and copied page text.

A page saved from the inspectorate's site, or its text copied by hand, starts and ends with lines
that are not the report: 'Skip to content', a language switch, the site's strapline, cookie and
consultation banners, breadcrumbs, 'Read more about ...', 'Get the report', 'Download the full
report', 'Contact <name>', share and print links, and footer lines (accessibility, cookies, Crown
copyright, privacy). They are recognised here, one line at a time, so that they never become a
report's title or a heading, and so that the cleaner can take them out of the text.

Footer words that could also head a real section ('Accessibility', 'Cookies'), and consultation
banners that could also be news ('HMICFRS is consulting on ...'), only count as furniture at the
edges of a document (``edge=True``).

'Last updated 03/11/2016' is not furniture (it dates the page) but is never a heading or a title:
see :func:`is_date_label`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ingest.dates import labelled_date

_MAX_WORDS = 40
"""Longer lines are prose, never furniture."""

_ANYWHERE = re.compile(
    r"^(?:"
    r"skip to (?:the )?(?:main )?(?:content|navigation|search)|skip (?:navigation|to main)"
    r"|english\s*[|/]?\s*cymraeg|cymraeg\s*[|/]?\s*english|cymraeg"
    r"|promoting improvements in policing\b.*"
    r"|(?:this (?:web)?site|we) uses? (?:some essential )?cookies\b.*|cookies on (?:the |this )?\S+.*"
    r"|(?:accept|reject) (?:all |additional |analytics )?cookies|(?:change )?(?:your )?cookie (?:settings|preferences|policy)"
    r"|hide (?:this )?message"
    r"|read more about\b.{0,80}|find out more about\b.{0,80}|find out why we publish\b.{0,80}"
    r"|(?:get|download|read|view|see) (?:the |our )?(?:full |free |latest |previous |national |force |accessible )?"
    r"(?:report|reports|pdf|press releases?|news releases?|document|summary|infographic|data|grades table)"
    r"(?:\s*(?:\(pdf document\)|\(.{1,20}\)))?(?:\s*[:–-]\s*.{0,120})?"
    r"|get the free pdf reader.*|jump to notes to editors"
    r"|view the \w+ questions for \w+"
    r"|os hoffech chi ddarllen\b.*"
    r"|share (?:this|on|via)\b.{0,40}|share|print (?:this )?(?:page|document|report)|email this page"
    r"|back to top|return to top|top of (?:the )?page"
    r"|(?:publication types?|police forces?|fire (?:and|&) rescue services?|inspection types?)\s*:.{0,120}"
    r"|url(?:\s*:\s*\S+)?|inspection area|related (?:links|publications|content|pages)|on this page|in this section"
    r"|other pages in this section|rate this page|was this page (?:useful|helpful)\??.*"
    r")$",
    re.I,
)
_CONTACT = re.compile(r"^contact (?:hmicfrs|hmic|us|the inspectorate|(?-i:[A-Z][\w'’.-]+)(?: (?-i:[A-Z][\w'’.-]+)){0,3})"
                      r"(?:\s*\((?:e-?mail address|email)\))?$", re.I)
_NOT_A_PERSON = re.compile(r"\b(?:management|centre|center|unit|team|room|officers?|staff|point|details|strategy|"
                           r"hub|desk|service|services|handling|triage)\b", re.I)  # 'Contact Management Centre' is a heading
_BREADCRUMB = re.compile(r"^(?:you are here:?\s*)?home\s*(?:>|›|»|/|\|)\s*\S|^(?:[^>›»]{1,40}\s*[>›»]\s*){2,}[^>›»]{1,60}$",
                         re.I)
_EDGE_ONLY = re.compile(
    r"^(?:accessibility(?: statement)?|cookies|privacy(?: notice| policy)?|terms (?:and|&) conditions|contact us|"
    r"sitemap|site map|freedom of information|complaints procedure|©?\s*crown copyright(?:\s+(?:19|20)\d\d)?|"
    r"all content is available under the open government licence.*|open government licence.*|"
    r"(?:follow us|find us) on \w+.*|twitter|facebook|linkedin|youtube|instagram|rss|"
    r"(?:hmicfrs|hmic|hmi|the inspectorate|we) (?:is|are) (?:currently )?consulting on\b.*|"
    r"please (?:give|send) us your views\b.*|have your say\b.*|take (?:part in )?our survey\b.*)$",
    re.I,
)
_SKIP_PREFIX = re.compile(r"^skip to (?:the )?(?:main )?content\s+(?=\S)", re.I)


def is_furniture(line: str, *, edge: bool = False) -> bool:
    """True when ``line`` is site navigation or page furniture, never report text.

    Args:
        line: one line of text (inner spaces are collapsed before matching).
        edge: the line is near the start or end of the document, where footer words such as
            'Accessibility' or 'Cookies' are furniture rather than a section heading.
    """
    text = " ".join(line.strip().lstrip("-•*·").split())
    if not text or len(text.split()) > _MAX_WORDS:
        return False
    return bool(_ANYWHERE.match(text) or (_CONTACT.match(text) and not _NOT_A_PERSON.search(text))
                or _BREADCRUMB.match(text) or (edge and _EDGE_ONLY.match(text)))


def strip_skip_link(line: str) -> str:
    """'Skip to content Norfolk 2016' -> 'Norfolk 2016' (a skip link run into the next line)."""
    return _SKIP_PREFIX.sub("", line.strip())


def is_date_label(line: str) -> bool:
    """True for a line that only dates the page: 'Last updated 03/11/2016', 'Published on: 9 June 2023'."""
    return len(line.split()) <= 8 and labelled_date(line) is not None


EDGE_BLOCKS = 12
"""Paragraphs this close to the start or end of a document are where site headers and footers sit."""


def split_site_lines(text: str, index: int, count: int, separate: Callable[[str], object] = lambda line: False
                     ) -> tuple[list[str], list[str]]:
    """One paragraph without its furniture lines, cut into pieces at date labels and at lines
    ``separate`` picks out (lone grade lines), so that a heading, its date and its grade stay apart.

    Args:
        text: the paragraph, lines separated by newlines.
        index: its position among the ``count`` paragraphs of the document (edges hold footers).
        separate: a test for lines that must stand alone.

    Returns:
        (pieces kept, in order; furniture lines dropped). Every other line is kept as it was.
    """
    edge = index < EDGE_BLOCKS or index >= count - EDGE_BLOCKS
    runs: list[list[str]] = [[]]
    dropped: list[str] = []
    for line in text.split("\n"):
        line = strip_skip_link(line) if index < EDGE_BLOCKS else line
        if is_furniture(line, edge=edge):
            dropped.append(line.strip())
        elif is_date_label(line) or separate(line):
            runs += [[line], []]
        else:
            runs[-1].append(line)
    pieces = ["\n".join(run).strip() for run in runs]
    return [piece for piece in pieces if piece], dropped
