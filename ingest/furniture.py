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

The top of a copied page (:func:`page_top`) holds more than that: the site's name, its menu one item
a line ('Home', 'About us', 'Publications', 'PEEL assessments', ...) and banners about a
consultation or planned maintenance, which carry dates and years of their own. Those lines only
count as furniture above the page's first paragraph, and menu and site-name lines only on a page
that shows its navigation, so a PDF cover keeps its publisher line and a report keeps a section
headed 'Publications'.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container

from ingest.dates import find_periods, labelled_date
from ingest.forces import find_forces

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
_MENU = re.compile(  # the inspectorate's site menus and breadcrumb trails, one item a line
    r"^(?:home|about us|our work|publications|news|news (?:releases|feed)|press releases|speeches|media centre|"
    r"contact us|search|search (?:this|the) (?:site|website)|police forces|fire (?:&|and) rescue services|"
    r"peel assessments|inspections|our inspections|consultations|careers|jobs)$", re.I)
_SITE_NAME = re.compile(
    r"^(?:HMIC|HMICFRS|HMI Constabulary|(?:Her|His) Majesty['’]s Inspectorate of Constabulary"
    r"(?: and Fire (?:&|and) Rescue Services)?(?:\s*\((?:HMIC|HMICFRS)\))?)$", re.I)
_BANNER = re.compile(  # notices a site shows above its pages: consultations, surveys, maintenance
    r"\bconsultations?\b|\bconsult(?:s|ing)? on\b|\bhave your say\b|\b(?:closes|close|ends) (?:on|at)\b"
    r"|\bproposed\b.{0,80}\b(?:programmes?|framework|inspections?|changes)\b"
    r"|\btell us (?:what you think|whether|your views)\b|\b(?:give|send) us your views\b"
    r"|\bwe(?: would|['’]d) like (?:your views|to hear (?:your views|from you))\b|\bwe want your views\b"
    r"|\bwebsite maintenance\b|\bplanned (?:work|maintenance)\b|\bmay be unavailable\b"
    r"|\bsorry for any inconvenience\b", re.I)
TOP_LINES = 80
"""A page's top (site name, menus, banners, breadcrumb) fits in this many lines."""
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


def _plain(line: str) -> str:
    return " ".join(line.strip().lstrip("-•*·").split())


def is_site_name(line: str) -> bool:
    """True for a line that only names the inspectorate: 'HMIC', 'HMICFRS', 'Her Majesty's
    Inspectorate of Constabulary and Fire & Rescue Services' (a site header or a cover's publisher)."""
    return bool(_SITE_NAME.match(_plain(line)))


def is_banner(line: str) -> bool:
    """True for a line worded like a site banner: a consultation ('Proposed ... programme and
    framework 2025–29: consultation', 'Have your say', 'The consultation closes on ...') or a
    maintenance notice. Where it stands decides whether it is one (:func:`page_top`)."""
    text = _plain(line)
    return bool(text) and len(text.split()) <= _MAX_WORDS and bool(_BANNER.search(text))


def _is_prose(text: str) -> bool:
    """A line of running text: the page's first paragraph ends its top."""
    words = len(text.split())
    return words > 25 or (words >= 12 and text.rstrip("’”'\")").endswith((".", "!", "?", ":")))


def page_top(lines: list[str]) -> set[int]:
    """Indexes of the lines at the top of a copied web page that are the site's, not the page's.

    The top runs to the first paragraph of prose (a banner's own sentences aside). In it:

    - a banner line (:func:`is_banner`) counts when more of the top follows it (the site's name or
      menu, a breadcrumb, the page's heading), or, on a copy without the site's navigation, when a
      heading naming a force and a period ('Norfolk 2016') follows it: banners sit above the page,
      so a page whose own heading is about a consultation keeps it, and so does a PDF's cover;
    - the site's name and its menu items count when the top shows the site's navigation (two or
      more menu items, or a skip link or breadcrumb), so a PDF cover keeps its publisher line.

    Args:
        lines: the document's first lines, in order (blank lines allowed).

    Returns:
        Indexes into ``lines`` of the lines to treat as furniture.
    """
    banners: list[int] = []
    navigation: list[int] = []
    followed: set[int] = set()
    headed: set[int] = set()
    signs = 0
    for n, line in enumerate(lines[:TOP_LINES]):
        text = _plain(strip_skip_link(line))
        if not text:
            continue
        if is_banner(text):
            banners.append(n)
            continue
        if _is_prose(text):
            break
        menu = bool(_MENU.match(text))
        if menu or is_site_name(text):
            navigation.append(n)
            signs += menu
        elif is_furniture(line, edge=True):
            signs += 2 if _ANYWHERE.match(_plain(line)) or _BREADCRUMB.match(text) else 0
        if not is_date_label(text) and not (_ANYWHERE.match(text) and not _BREADCRUMB.match(text)):
            followed.update(banners)
            if len(text.split()) <= 14 and find_forces(text) and find_periods(text):
                headed.update(banners)
    shown = signs >= 2
    return {b for b in banners if b in (followed if shown else headed)} | (set(navigation) if shown else set())


def page_top_of_blocks(texts: list[str]) -> dict[int, set[int]]:
    """:func:`page_top` over a document's first paragraphs: paragraph index -> numbers of its lines
    (from 0) that are the site's name, menu or banners."""
    where: list[tuple[int, int]] = []
    lines: list[str] = []
    for i, text in enumerate(texts):
        for n, line in enumerate(text.split("\n")):
            where.append((i, n))
            lines.append(line)
        if len(lines) >= TOP_LINES:
            break
    top: dict[int, set[int]] = {}
    for k in page_top(lines):
        top.setdefault(where[k][0], set()).add(where[k][1])
    return top


_UNWRAPPED_LINES = 6
_BULLETS = "-•–·▪●*"
_LONG_LINE_WORDS = 40
"""A printed line never holds this many words: a text whose lines do holds one paragraph a line."""


def unwrapped_lines(text: str) -> list[str] | None:
    """The lines of a paragraph block that is really one paragraph a line, else None.

    Text copied from a web page with no blank lines between paragraphs arrives as one block whose
    lines are headings, grade lines and whole paragraphs alike. Such a block has six or more lines
    that are not list items, two of them longer than any printed line; a wrapped paragraph or a
    list of long items does not.
    """
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    prose = [line for line in lines if line[:1] not in _BULLETS]
    if len(prose) < _UNWRAPPED_LINES or sum(len(line.split()) > _LONG_LINE_WORDS for line in prose) < 2:
        return None
    return lines


def strip_skip_link(line: str) -> str:
    """'Skip to content Norfolk 2016' -> 'Norfolk 2016' (a skip link run into the next line)."""
    return _SKIP_PREFIX.sub("", line.strip())


def is_date_label(line: str) -> bool:
    """True for a line that only dates the page: 'Last updated 03/11/2016', 'Published on: 9 June 2023'."""
    return len(line.split()) <= 8 and labelled_date(line) is not None


EDGE_BLOCKS = 12
"""Paragraphs this close to the start or end of a document are where site headers and footers sit."""


def _is_heading_line(line: str) -> bool:
    text = line.strip()
    return 0 < len(text.split()) <= 20 and text[:1].isupper() and not text.endswith((".", ",", ";", ":"))


def split_site_lines(text: str, index: int, count: int, separate: Callable[[str], object] = lambda line: False,
                     drop: Container[int] = ()) -> tuple[list[str], list[str]]:
    """One paragraph without its furniture lines, cut into pieces at date labels and at lines
    ``separate`` picks out (lone grade lines), so that a heading, its date and its grade stay apart;
    a stack of headings above a date or grade line ('Effectiveness' / 'How effective is ...?') is
    cut into its lines too.

    Args:
        text: the paragraph, lines separated by newlines.
        index: its position among the ``count`` paragraphs of the document (edges hold footers).
        separate: a test for lines that must stand alone.
        drop: numbers of lines (from 0) known to be furniture from where they stand (:func:`page_top`).

    Returns:
        (pieces kept, in order; furniture lines dropped). Every other line is kept as it was.
    """
    edge = index < EDGE_BLOCKS or index >= count - EDGE_BLOCKS
    runs: list[list[str]] = [[]]
    dropped: list[str] = []
    for n, line in enumerate(text.split("\n")):
        line = strip_skip_link(line) if index < EDGE_BLOCKS else line
        if n in drop or is_furniture(line, edge=edge):
            dropped.append(line.strip())
        elif is_date_label(line) or separate(line):
            if len(runs[-1]) > 1 and all(_is_heading_line(kept) for kept in runs[-1]):  # 'Effectiveness' / 'How ...?'
                runs[-1:] = [[kept] for kept in runs[-1]]
            runs += [[line], []]
        else:
            runs[-1].append(line)
    pieces = ["\n".join(run).strip() for run in runs]
    return [piece for piece in pieces if piece], dropped
