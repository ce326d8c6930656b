"""The question, parsed once into what it is about and what kind of answer it wants.

``parse_question`` reads the question's *context* (the forces, years or periods, report families
and grades it names: these choose reports), its *focus* (what is asked, once the context and the
question's own scaffolding are set aside) and the *answer type* it expects (a count, a share, a
sum of money, a grade, a date, a list, yes or no, a reason, a comparison or a description), and
whether it spans years or forces. Search and answers read the ``Question`` made here; neither
parses the string again.

The cues are the ordinary forms of English questions ("how many", "what percentage", "when",
"why", "which ... forces") and the words inspection reports use for themselves (inspection,
report, HMICFRS); forces come from ingest's force names and aliases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from ingest.forces import ForceMention, find_forces
from ingest.metadata import canonical_grade
from search.errors import QueryError
from search.index.lexical import tokenize
from search.types import YearRange


class AnswerType(StrEnum):
    """What kind of answer a question wants."""

    COUNT = "count"
    SHARE = "share"  # a percentage, proportion or rate
    MONEY = "money"
    GRADE = "grade"
    DATE = "date"  # a date, a year, a period or a duration
    LIST = "list"
    YESNO = "yesno"
    REASON = "reason"
    COMPARISON = "comparison"
    DESCRIPTION = "description"


class Scope(StrEnum):
    """One report, change across a force's reports over the years, or several forces compared."""

    SINGLE = "single"
    CROSS_YEAR = "cross_year"
    CROSS_FORCE = "cross_force"


@dataclass(frozen=True)
class Question:
    """A user's question as every stage reads it.

    ``years`` are the years it names as report or inspection years ('2018/19' names 2018 and 2019;
    a year after a month, as in '12 months to June 2015', is a data period and is left out);
    ``period`` is the range of 'since 2014' (2014 on), 'after 2014' (2015 on), 'before 2016' (up to
    2015) or 'between 2014 and 2016'.
    """

    asked: str  # as typed, cleaned of control and invisible characters
    text: str  # asked with single spaces, cut to the longest question searched
    forces: tuple[str, ...] = ()
    force_mentions: tuple[ForceMention, ...] = ()  # where ``text`` names them (offsets into text)
    years: tuple[int, ...] = ()
    period: YearRange | None = None
    tokens: tuple[str, ...] = ()  # lexical tokens of ``asked``
    lexical_tokens: tuple[str, ...] = ()  # lexical tokens of ``lexical_text``
    report_families: tuple[str, ...] = ()  # report families it names: 'peel', 'custody', ...
    grades: tuple[str, ...] = ()  # grades it names as grades ('graded inadequate')
    focus: str = ""  # what is asked: the words left once context and scaffolding are set aside
    focus_tokens: tuple[str, ...] = ()  # lexical tokens of ``focus``
    expects: AnswerType = AnswerType.DESCRIPTION
    polar: bool = False  # asks yes or no by its form ('Did Kent record more than 90%?'), whatever ``expects`` is
    scope: Scope = Scope.SINGLE
    counted: tuple[str, ...] = ()  # what a 'how many' question counts ('how many police officers did …': police, officers)

    @property
    def lexical_text(self) -> str:
        """``text`` with force aliases spelled as the reports spell them ('Herts' -> 'Hertfordshire
        Constabulary'), so that the lexical index can match them."""
        text = self.text
        for m in reversed(self.force_mentions):
            if m.matched != m.force:
                text = text[:m.start] + m.force + text[m.end:]
        return text

    @property
    def span(self) -> YearRange | None:
        """The years the question is about: its period, else the range of the years it names."""
        if self.period:
            return self.period
        return YearRange(min(self.years), max(self.years)) if self.years else None

    def understood(self) -> dict[str, Any]:
        """What the question names by itself and asks for, as JSON (a search result's ``understood``)."""
        return {"forces": list(self.forces), "years": list(self.years),
                "period": list(self.period) if self.period else None,
                "report_families": list(self.report_families), "grades": list(self.grades),
                "focus": self.focus, "expects": self.expects.value, "scope": self.scope.value}


# --- context ----------------------------------------------------------------------------------
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_INVISIBLE_RE = re.compile(r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]")
_YEAR = r"(?:19[89]\d|20[0-4]\d)"
_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
           r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_YEAR_RE = re.compile(rf"(?<![\d/£$])({_YEAR})(?:\s*(?:/|–|-)\s*(\d{{2}}(?:\d{{2}})?))?(?![\d%])")
_DATED_RE = re.compile(rf"\b{_MONTHS}\s*$", re.I)  # 'to June 2015': a data period, not a report year
_SINCE_RE = re.compile(rf"\b(since|after|from|starting in)\s+(the\s+)?({_YEAR})\b(?!\s*(?:to|and|-|–)\s*\d)", re.I)
_BEFORE_RE = re.compile(rf"\b(before|until|up to|prior to)\s+(the\s+)?({_YEAR})\b", re.I)
_BETWEEN_RE = re.compile(rf"\bbetween\s+({_YEAR})\s+and\s+({_YEAR})\b|\bfrom\s+({_YEAR})\s+(?:to|until)\s+({_YEAR})\b",
                         re.I)
_FAMILIES: tuple[tuple[str, str, bool], ...] = (  # family, pattern, whether its words are context only
    ("crime_data_integrity", r"crime[- ]data[- ]integrity|\bcdi\b", True),
    ("custody", r"\bcustody\b", False),  # also a topic: its words stay in the focus
    ("peel", r"\bpeel\b", True),
    ("letter", r"\bletters?\b", False),
    ("thematic", r"\bthematic\b", True),
)
_GRADE_NAMES_RE = re.compile(r"\b(outstanding|good|adequate|requires? improvement|inadequate)\b", re.I)
_AS_GRADE_BEFORE_RE = re.compile(
    r"(?:graded|rated|judged|assessed|found to be|as|were|was|is|are|be|been|remains?|received?|got|given|"
    r"(?:grade|rating|judg(?:e)?ment) of)\s*['\"‘“]?$", re.I)


def clean_query(query: str) -> str:
    """``query`` without what carries no meaning and can break the tokenizer: control characters
    (null bytes, terminal escapes) become spaces; zero-width, bidi-control and lone surrogate
    characters (from a bad byte on the command line) are dropped."""
    return _CONTROL_RE.sub(" ", _INVISIBLE_RE.sub("", query))


def _years(text: str) -> tuple[int, ...]:
    years: list[int] = []
    for match in _YEAR_RE.finditer(text):
        if _DATED_RE.search(text[max(0, match.start() - 14):match.start()]):
            continue
        first = int(match.group(1))
        years.append(first)
        if match.group(2):  # '2018/19', '2023–25', '2023-2025'
            tail = match.group(2)
            last = int(tail) if len(tail) == 4 else (first // 100) * 100 + int(tail)
            if first < last <= first + 5:
                years.extend(range(first + 1, last + 1))
    return tuple(dict.fromkeys(years))


def _period(text: str) -> YearRange | None:
    if between := _BETWEEN_RE.search(text):
        a, b = [int(x) for x in between.groups() if x]
        return YearRange(min(a, b), max(a, b))
    # 'after 2014' starts in 2015, but 'after the 2014 inspection' names an event of 2014: what
    # followed it may be dated 2014 too (and likewise 'before the 2016 report').
    if since := _SINCE_RE.search(text):
        year = int(since.group(3))
        return YearRange(year + 1 if since.group(1).lower() == "after" and not since.group(2) else year, None)
    if before := _BEFORE_RE.search(text):
        year = int(before.group(3))
        inclusive = before.group(1).lower() in ("until", "up to") or bool(before.group(2))
        return YearRange(None, year if inclusive else year - 1)
    return None


def _named_grades(text: str) -> tuple[str, ...]:
    """Grades the question names as grades: 'graded inadequate', 'rated good', 'requires improvement'."""
    names = []
    for match in _GRADE_NAMES_RE.finditer(text):
        grade = canonical_grade(match.group(1).lower().replace("require ", "requires "))
        if grade is None:
            continue
        if grade in ("Good", "Adequate", "Outstanding") and not _AS_GRADE_BEFORE_RE.search(
                text[max(0, match.start() - 30):match.start()]):
            continue  # 'how good is', 'a good example', 'outstanding suspects'
        names.append(grade)
    return tuple(dict.fromkeys(names))


# --- answer type and scope ---------------------------------------------------------------------
_SHARE_RE = re.compile(r"\b(?:what|which)\s+(?:\w+\s+)?(?:percentage|proportion|share|fraction|per ?cent)\b|"
                       r"\bhow much of\b|\bpercentage\b|\bper ?cent\b|\bproportion\b|\bwhat (?:\w+\s+){0,3}rate\b|"
                       r"\bhow (?:high|low) (?:was|is|were|are) (?:the|its|their)\b.*\brate\b", re.I)
_MONEY_RE = re.compile(r"\bhow much (?:money|funding|did|does|was|is|will|has|had|would)\b.*"
                       r"\b(?:cost|costs|save|saved|saving|savings|spend|spent|paid|pay|budget|invest|invested|worth)\b|"
                       r"\bhow much money\b|\bwhat (?:was|is|were|are) (?:the|its|their) (?:\w+\s+)?"
                       r"(?:cost|budget|savings?|spending|spend|salary|pay)\b|£", re.I)
_COUNT_RE = re.compile(r"\bhow many\b|\bnumber of\b|\bwhat number\b|\bhow often\b|\bhow much\b|\bhow large\b|"
                       r"\bhow big\b", re.I)
_DATE_RE = re.compile(r"^\s*(?:and\s+)?when\b|\bwhen (?:did|was|were|is|will|does|do|has|had)\b|\bwhat date\b|"
                      r"\bwhich (?:year|month|date|day)\b|\bwhat (?:year|month|day)\b|\bby when\b|\bhow long\b|"
                      r"\bwhat (?:time ?scale|timescale|deadline)\b|\bdeadline\b|\bwhat period\b", re.I)
_GRADE_RE = re.compile(r"\bgrade[sd]?\b|\bgrading\b|\brated\b|\bratings?\b|"
                       r"\bhow (?:did|do|does|would|will|was|were|is|are)\b.{0,60}\brat(?:e|ed)\b|"
                       r"\b(?:what|which|overall)\s+(?:\w+\s+){0,2}judg(?:e)?ments?\b|"
                       r"\bjudg(?:e)?ments?\s+(?:did|does|do|was|were|for|on|of the force|given)\b|"
                       r"\bjudged\b|\bassessed as\b|\bverdict\b|\bscored\b", re.I)
_DEFINITION_RE = re.compile(r"\bwhat (?:does|do|did) .{1,60}\bmean\b|\bwhat is meant by\b|\bdefin(?:e|ition)\b|"
                            r"\bmeaning of\b", re.I)
_REASON_RE = re.compile(r"^\s*why\b|\bwhy (?:did|does|was|were|is|are|has|have|had|do)\b|"
                        r"\bwhat (?:caused|causes|led to|leads to|explains|was behind|is behind|drove|drives)\b|"
                        r"\bthe reasons?\b|\breasons? (?:for|why)\b|\bhow come\b", re.I)
_LIST_WORDS_RE = re.compile(r"\blist\b|\bname (?:the|all|every|each)\b", re.I)
_WH_NOUN_RE = re.compile(r"^\s*(?:which|what)\s+(?:(?:are|were)\s+(?:the|its|their)\s+)?([\w'’-]+)(?:\s+([\w'’-]+))?",
                         re.I)
_NOT_PLURAL = frozenset("""was is has does process business analysis access progress status address focus success
us its this thus less crisis happens means makes takes needs says shows goes seems works helps gets keeps uses
plans aims wants""".split())
"""Words ending in 's' that are not plural nouns after 'which' or 'what'."""
_NOT_NOUN = frozenset("did do does was were is are has have had can could will would should must may might".split())
_COMPARISON_RE = re.compile(
    r"\bcompar(?:e|ed|es|ison|isons)\b|\b(?:better|worse|more|less|fewer|higher|lower|greater|faster|slower)\s+than\b|"
    r"\bimprov(?:e|ed|es|ing|ement)\b.*\bsince\b|\bgot (?:better|worse)\b|\bget (?:better|worse)\b|"
    r"\bchang(?:e|ed|es|ing)\b|\bdeteriorat\w*|\bprogress\b|\bversus\b|\bvs\.?\b|\bover time\b|\btrend\w*\b|"
    r"\bdifferen(?:t|ce|ces)\b|\bstill\b", re.I)
_YESNO_RE = re.compile(r"^\s*(?:is|are|was|were|does|do|did|has|have|had|can|could|will|would|should|must|"
                       r"may|might)\b", re.I)
_CROSS_FORCE_RE = re.compile(
    r"\b(?:which|what|how many|all|each|every|other|any|the)\s+(?:of the\s+|of these\s+|\w+\s+){0,2}forces\b|"
    r"\bforces\s+(?:were|was|are|have|had|got|received|did)\b|\bacross (?:england|wales|the country|forces|"
    r"all forces)\b|^\s*who\b.*\b(?:graded|rated|judged|assessed)\b|\bwhich force\b|\bwhat force\b", re.I)
_CROSS_YEAR_RE = re.compile(
    r"\bsince\b|\bover (?:the )?(?:years|time)\b|\bchang(?:e|ed|es|ing)\b|\bimprov(?:e|ed|es|ing)\b|"
    r"\bgot (?:better|worse)\b|\bget (?:better|worse)\b|\bdeteriorat\w*|\bprogress\b|\bstill\b|\bany better\b|"
    r"\beach year\b|\bevery year\b|\byear on year\b|\btrend\w*\b|\bprevious(?:ly)?\b|\blast (?:year|inspection)\b|"
    r"\bearlier\b", re.I)


def _is_list(text: str) -> bool:
    """'Which areas ...', 'what new steps ...', 'what were its recommendations', 'list ...'."""
    if _LIST_WORDS_RE.search(text):
        return True
    match = _WH_NOUN_RE.match(text)
    for word in match.groups() if match else ():
        word = (word or "").lower()
        if not word or word in _NOT_PLURAL or word in _NOT_NOUN or word.endswith(("'s", "’s")):
            return False
        if word.endswith("s") and not word.endswith("ss"):
            return True
    return False


_LEADING_CLAUSE_RE = re.compile(  # 'When inspectors visited in 2019, why ...': the question follows the comma
    r"^\s*(?:when|while|after|before|since|once|by the time|at the time|during|in|at|according to)\b[^,?]{3,120},\s*"
    r"(?=(?:why|what|which|how|who|whom|whose|where|when|is|are|was|were|does|do|did|has|have|had|can|could|will|"
    r"would|should)\b)", re.I)
_DEGREE_RE = re.compile(  # 'how much had custody improved ...': a degree of change, not an amount
    r"\bhow much (?:\S+\s+){0,6}?(?:improv|chang|progress|better|worse|deteriorat|develop|declin)\w*", re.I)


def answer_type(text: str, grades: tuple[str, ...] = ()) -> AnswerType:
    """The answer type ``text`` asks for: the most specific form its question uses (a leading clause,
    as in 'when inspectors visited, why ...', is context, not the question)."""
    asked = _question_part(text)
    kind = _form(asked, grades)
    if asked != text and kind in (AnswerType.YESNO, AnswerType.DESCRIPTION):
        whole = _form(text, grades)  # 'since 2015, has Kent improved?' compares, by its clause
        kind = kind if whole in (AnswerType.DATE, AnswerType.DESCRIPTION) else whole
    return kind


def _question_part(text: str) -> str:
    """``text`` without a leading clause ('When inspectors visited, why ...' -> 'why ...')."""
    return _LEADING_CLAUSE_RE.sub("", text, count=1)


def _form(text: str, grades: tuple[str, ...]) -> AnswerType:
    if _DEFINITION_RE.search(text):
        return AnswerType.DESCRIPTION
    if _DEGREE_RE.search(text) and not _MONEY_RE.search(text):
        return AnswerType.COMPARISON
    checks = ((_SHARE_RE.search, AnswerType.SHARE), (_MONEY_RE.search, AnswerType.MONEY),
              (_COUNT_RE.search, AnswerType.COUNT), (lambda t: _GRADE_RE.search(t) or grades, AnswerType.GRADE),
              (_DATE_RE.search, AnswerType.DATE), (_REASON_RE.search, AnswerType.REASON),
              (_is_list, AnswerType.LIST), (_COMPARISON_RE.search, AnswerType.COMPARISON),
              (_YESNO_RE.search, AnswerType.YESNO))
    return next((kind for check, kind in checks if check(text)), AnswerType.DESCRIPTION)


def _scope(text: str, forces: tuple[str, ...], years: tuple[int, ...], period: YearRange | None) -> Scope:
    if len(forces) > 1 or (not forces and _CROSS_FORCE_RE.search(text)):
        return Scope.CROSS_FORCE
    separate = [m for m in _YEAR_RE.finditer(text) if not _DATED_RE.search(text[max(0, m.start() - 14):m.start()])]
    if period is not None or _CROSS_YEAR_RE.search(text) or len(separate) > 1:
        return Scope.CROSS_YEAR
    return Scope.SINGLE


# --- focus ---------------------------------------------------------------------------------------
_CONTEXT_WORDS = frozenset("""
hmic hmicfrs hmi inspectorate inspectorates inspector inspectors inspection inspections inspected inspecting
report reports reported peel assessment assessments assessed force forces constabulary police service
year years
""".split())
"""Words that name the source or the subject of every report, so they never say what is asked."""
_SCAFFOLD_WORDS = frozenset("""
what which who whom whose when where why how did does do done doing was were is are be been being am has have
had having can could will would should shall may might must the a an of in on at to for from by with about
as into onto than then that this these those there their they them its it it's he she his her our we us you
your i me my and or but if so not no any some all each every say says said saying find finds found note notes
noted conclude concluded state states stated describe described mention mentioned tell told according
there's what's much many get got give gave given let also just very please explain
""".split())
"""The words questions are built with."""


def _focus(text: str, context: list[tuple[int, int]]) -> str:
    kept, last = [], 0
    for start, end in sorted(context):
        kept.append(text[last:start])
        last = max(last, end)
    kept.append(text[last:])
    words = re.findall(r"[^\W_][\w'’-]*", " ".join(kept))
    return " ".join(w for w in words if w.lower().replace("’", "'") not in _CONTEXT_WORDS | _SCAFFOLD_WORDS
                    and not w.isdigit())


def _context_spans(text: str, mentions: tuple[ForceMention, ...], expects: AnswerType) -> list[tuple[int, int]]:
    """Where ``text`` names its context: forces (with a possessive), years, periods, report families
    and, for a grade question, grade words."""
    spans = []
    for m in mentions:
        tail = re.match(r"['’]s?\b", text[m.end:])
        spans.append((m.start, m.end + (tail.end() if tail else 0)))
    spans.extend(m.span() for m in _YEAR_RE.finditer(text))
    for pattern in (_SINCE_RE, _BEFORE_RE, _BETWEEN_RE):
        spans.extend(m.span() for m in pattern.finditer(text))
    spans.extend(m.span() for _, pattern, context in _FAMILIES if context for m in re.finditer(pattern, text, re.I))
    about = _SAID_ABOUT_RE.search(text)
    if about:  # 'what did the 2014 custody inspection say about X': the report named is context, X is asked
        spans.append((0, about.end()))
    if expects is AnswerType.GRADE:
        spans.extend(m.span() for m in _GRADE_NAMES_RE.finditer(text))
        spans.extend(m.span() for m in _GRADE_RE.finditer(text))
    return spans


_SAID_ABOUT_RE = re.compile(
    r"^\W*(?:what|how)\b.{0,80}?\b(?:say|said|says|write|wrote|report|find|found|conclude|concluded|note|noted|"
    r"think|thought|make|made|comment|comments|commented)\s+(?:of|about|on|regarding|concerning)\s+", re.I)
_HOW_MANY_RE = re.compile(r"\bhow many\s+(?:of\s+(?:the|its|their|these|those)\s+)?", re.I)
_FUNCTION_WORDS = frozenset(
    "a an the and or of in on at to for from by with per about into than there that which who whom whose this these "
    "those it its their his her our your my is are was were be been being am do does did done have has had having "
    "can could will would shall should may might must not no".split())


def counted_words(text: str) -> tuple[str, ...]:
    """The words naming what 'how many' counts, up to the first function word ('How many police
    officers did …' -> police, officers; 'how many were …' -> nothing); lower case."""
    m = _HOW_MANY_RE.search(text)
    if not m:
        return ()
    words: list[str] = []
    for word in re.findall(r"[A-Za-z][A-Za-z'’-]*", text[m.end():]):
        if word.lower() in _FUNCTION_WORDS:
            break
        words.append(word.lower())
    return tuple(words)


def parse_question(query: object, max_chars: int) -> Question:
    """Parse a question once for search and answers.

    Raises:
        QueryError: the question is empty (or not text).
    """
    asked = clean_query(query) if isinstance(query, str) else ""
    if not asked.strip():
        raise QueryError("the question is empty: type a question, e.g. \"How well does the force protect "
                         "vulnerable people?\"")
    text = " ".join(asked.split())[:max_chars]
    mentions = tuple(find_forces(text))
    forces = tuple(dict.fromkeys(m.force for m in mentions))
    years, period = _years(text), _period(text)
    grades = _named_grades(text)
    expects = answer_type(text, grades)
    families = tuple(dict.fromkeys(f for f, pattern, _ in _FAMILIES if re.search(pattern, text, re.I)))
    focus = _focus(text, _context_spans(text, mentions, expects))
    question = Question(asked=asked, text=text, forces=forces, force_mentions=mentions, years=years, period=period,
                        report_families=families, grades=grades, focus=focus, expects=expects,
                        polar=bool(_YESNO_RE.match(_question_part(text))),
                        scope=_scope(text, forces, years, period),
                        counted=counted_words(text) if expects is AnswerType.COUNT else ())
    asked_tokens, lexical_tokens, focus_tokens = tokenize([asked, question.lexical_text, focus])
    return replace(question, tokens=tuple(asked_tokens), lexical_tokens=tuple(lexical_tokens),
                   focus_tokens=tuple(focus_tokens))


__all__ = ["AnswerType", "Question", "Scope", "answer_type", "clean_query", "counted_words", "parse_question"]
