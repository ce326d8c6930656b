"""Reading report text for findings: paragraphs and bullet items, and the cue phrases that say a
letter's bullet states a weakness (``is_critical``) or what progress a later passage reports
(``status_of``). Patterns are general inspection-report wording, not tied to any report.
"""

from __future__ import annotations

import re

from ingest.textutil import sentence_spans, strip_markers

BULLET_RE = re.compile(r"^([ \t]*)(?:[-•–·▪●*]|\(?(?:\d{1,2}|[a-z]|[ivx]{1,4})[.)])[ \t]+")


def paragraph_blocks(text: str) -> list[tuple[int, int]]:
    """Paragraphs of ``text``, each bullet item (with its indented sub-items) on its own."""
    spans: list[tuple[int, int]] = []
    start = end = None
    bullet_indent: int | None = None
    for match in re.finditer(r"[^\n]*", text):
        line = match.group()
        if match.start() > 0 and match.start() == end:
            continue  # the empty match right after a line
        if not line.strip():
            if start is not None:
                spans.append((start, end))
            start = end = None
            bullet_indent = None
            continue
        bullet = BULLET_RE.match(line)
        indent = len(line) - len(line.lstrip())
        continues_item = bullet_indent is not None and (indent > bullet_indent or (not bullet and indent > 0))
        if start is not None and (continues_item or (bullet is None and bullet_indent is None)):
            end = match.end()
            continue
        if start is not None:
            spans.append((start, end))
        start, end = match.start() + (bullet.end() if bullet else indent), match.end()
        bullet_indent = indent if bullet else None
    if start is not None:
        spans.append((start, end))
    return [(a, b) for a, b in ((a, a + len(text[a:b].rstrip())) for a, b in spans) if b > a]


def is_bullet_item(text: str, start: int) -> bool:
    """Whether offset ``start`` is at (or on) the marker of a bulleted line."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    marker = BULLET_RE.match(text[line_start:len(text) if line_end < 0 else line_end])
    return marker is not None and start - line_start <= marker.end()


def sentence_offsets(text: str, lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
    """Sentences of ``text[lo:hi]`` as offsets into ``text``."""
    hi = len(text) if hi is None else hi
    return [(lo + a, lo + b) for a, b in sentence_spans(text[lo:hi])]



_CONCESSION_RE = re.compile(r"^(?:although|though|while|whilst|despite|even though)\b[^,;]*[,;]\s*", re.I)
_NEUTRALISED_RE = re.compile(r"\b(?:does|do|did|will) not (?:inhibit|hinder|prevent|undermine|affect|detract)\w*",
                             re.I)
WEAKNESS_RE = re.compile(
    r"\bnot (?:being )?(?:used |applied )?as (?:effective(?:ly)?|well|consistent(?:ly)?)\b|"
    r"\b(?:is|are|was|were) not (?:being )?(?:used|effective|consistent|sufficient|clear|able|adequate|always)\b|"
    r"\b(?:has|have|had) not\b|\b(?:does|do|did) not\b|\b(?:doesn't|don't|didn't|hasn't|haven't|cannot|can't)\b|"
    r"\b(?:not able|unable) to\b|\black(?:s|ed|ing)?\b|\bneeds? to\b|\bshould\b|\babsent\b|\bunclear\b|"
    r"\binconsisten\w*|\binsufficient\w*|\blimited\b|\bpoor(?:ly)?\b|\bweak(?:ness|nesses|er)?\b|\bnot fully\b|"
    r"\b(?:force|constabulary|officers|staff|supervisors|it|they)\s+(?:has\s+|have\s+|had\s+)?fail(?:s|ed)?\s+to\b|"
    r"\bno (?:clear|formal|overarching|consistent)\b|\b(?:is|are) still\b|\bstill to\b|\bdanger\b|\bat risk\b|"
    r"\brisks? (?:missing|that)\b|\bconcern(?:s|ed|ing)?\b|\bdisappoint\w*",
    re.I,
)


def is_critical(text: str) -> bool:
    """Whether a letter's finding states a weakness.

    A sentence is critical when, after setting aside a leading concession ('Although the force
    has a database ..., ') and negations that praise ('this does not inhibit ...'), it says
    something is missing, not done, not effective, inconsistent or should change.
    """
    for start, end in sentence_spans(text):
        sentence = _CONCESSION_RE.sub("", strip_markers(text[start:end]).strip())
        if WEAKNESS_RE.search(_NEUTRALISED_RE.sub(" ", sentence)):
            return True
    return False


_NOT_YET_RE = re.compile(
    r"\b(?:has|have|had) not yet\b|\bnot yet (?:been )?(?:completed|implemented|addressed|resolved|achieved|"
    r"started|begun|in place|fully)\b|\byet to (?:be )?(?:complet|implement|address|resolv|start|begin)\w*", re.I)
_IN_PROGRESS_RE = re.compile(
    r"\b(?:is|are) (?:now )?making (?:some |good |steady |slow |reasonable )?progress\b|\bmade some progress\b|"
    r"\bsome progress\b|\b(?:has|have) (?:begun|started)\b|\b(?:is|are) (?:now )?(?:in the process of|beginning to|"
    r"starting to|working (?:towards|to)|developing|introducing|implementing|reviewing)\b|"
    r"\bwork is (?:ongoing|under ?way|continuing|in progress)\b|\bpartially\b|\bearly stages?\b|\bplans to\b|"
    r"\bmade a (?:good )?start\b|\b(?:more|further) work is (?:needed|required)\b", re.I)
_ADDRESSED_RE = re.compile(
    r"\b(?:has|have) (?:now |since |successfully |fully )?(?:addressed|resolved|implemented|completed|put in place|"
    r"established|introduced|acted on|responded to|improved)\b|\b(?:has|have) been (?:addressed|resolved|"
    r"implemented|completed|put in place)\b|\bnow (?:routinely |regularly |consistently |effectively )?(?:has|have|"
    r"uses?|evaluates?|ensures?|provides?|records?|shares?|understands?|reviews?|monitors?)\b|\bhas made "
    r"(?:good|significant|considerable|substantial|strong|real|clear) progress\b|\bno longer\b|"
    r"\bimproved (?:significantly|considerably|markedly)\b|\bsignificant improvements?\b", re.I)
_NOT_ADDRESSED_RE = re.compile(
    r"\b(?:has|have) not (?:yet )?(?:been )?(?:completed|implemented|addressed|resolved|acted on|made|taken|"
    r"put in place|developed|introduced|progressed|improved)\b|"
    r"\bstill\b(?=[^.;]{0,60}\b(?:not|no|lack\w*|needs?|more work|room for improvement|benefit|inconsisten\w*|"
    r"weak\w*|limited|absent|unclear|concern\w*|to do)\b)|"
    r"\bcontinues? to\b(?=[^.;]{0,40}\b(?:lack|struggle|fall short|be (?:a concern|an issue|a problem|"
    r"inconsistent|limited|weak|poor|unclear))\b)|\bremains? (?:a (?:concern|problem|weakness|risk|cause of "
    r"concern)|an (?:issue|area for improvement)|inconsisten\w*|limited|poor|weak|unclear|unresolved|outstanding)\b|"
    r"\b(?:no|little|limited) (?:evidence of )?progress\b|\bhas failed to\b|\bagain found\b|"
    r"\bnot (?:been )?(?:addressed|resolved)\b", re.I)


def status_of(text: str) -> tuple[str, str | None]:
    """The progress a passage reports on an earlier finding, and the words that say so.

    'has not yet completed' -> not addressed; 'is making progress', 'has begun', 'more work is
    needed' -> in progress; 'has addressed', 'now has', 'has improved', 'has made good progress'
    -> addressed; 'still lacks', 'remains a concern', 'continues to lack' -> not addressed; a
    passage with cues of both addressed and not addressed -> in progress; none -> unclear.
    """
    if match := _NOT_YET_RE.search(text):
        return "not addressed", match.group()
    if match := _IN_PROGRESS_RE.search(text):
        return "in progress", match.group()
    done, undone = _ADDRESSED_RE.search(text), _NOT_ADDRESSED_RE.search(text)
    if done and undone:
        return "in progress", (done if done.start() < undone.start() else undone).group()
    if done:
        return "addressed", done.group()
    if undone:
        return "not addressed", undone.group()
    return "unclear", None

