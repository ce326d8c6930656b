"""Graded judgments as data: every pillar, question, area and overall grade a report states.

Four shapes are read from ``Report.text`` (see docs/ingest-metadata.md for examples):

1. **Headings with a lone grade line** below them ('Investigating crime' / 'Requires improvement';
   'Overview – How effective is ...?' / 'Overall judgment' / 'Good'), and the column layout of a
   judgments table copied as text (a grade line, then the areas that got it).
2. **Table rows and label lines**: 'Investigating crime<TAB>Requires improvement',
   '- Efficiency – ‘Requires improvement’', 'Responding to the public: Adequate'.
3. **Sentences**, by a small grammar rather than fixed wordings: a *subject* naming an area ('The
   extent to which the force operates efficiently', 'its use of resources', 'the published overall
   graded judgment') or a force ('Kent Police', 'the constabulary', 'it'), a *predicate* ('is',
   'was', 'remains (as)', 'is judged to be', 'has been assessed as', 'we judged ... to be',
   'graded ... as', ':'), a *grade*, and a *complement* naming the area ('at investigating crime',
   'in respect of the efficiency with which ...', 'in each of the three pillars'). Grades joined by
   'and' or commas share the predicate ('good at X, good at Y and good at Z').
4. **Lists** under a lead line: 'HMIC judged that <force>:' then '- is ‘good’ at ...;' items, or
   '... ‘requires improvement’ in three areas:' then the areas.

A grade stated for an earlier period ('In 2016 we judged ...', 'last year, when we judged ...')
carries that period; 'remains' keeps the current one. One area of one report gets one grade per
period: when the text states it more than once, the clearest statement gives the grade, the sentence
opening the area's own section is cited, and the other statements are kept as alternatives
(``ingest.gradechoice``).

Not graded: definitions in annexes, hypotheticals ('whether', 'would'), causes of concern,
recommendations and areas for improvement (findings, read by the findings stage).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import replace

from ingest.areas import AREA_PILLAR, PILLARS, area_key, names_pillars, pillar_of, slug
from ingest.dates import find_periods
from ingest.forces import find_forces
from ingest.gradechoice import CONTEXTUAL, DIRECT, STRUCTURED, Found, choose
from ingest.gradegrammar import (
    AFTER_MARKER_RE,
    ANNEX_RE,
    AREA_LINE_RE,
    CLAUSE_END_RE,
    CLAUSE_START_RE,
    COUNT_LEAD_RE,
    CURRENT_RE,
    ENDS_WITH_GRADE_RE,
    FINDINGS_HEADING_RE,
    FOLLOW_RE,
    FORCE_WORDS_RE,
    GENERIC_HEADINGS,
    GRADE_RE,
    HYPOTHETICAL_RE,
    LABEL_LINE_RE,
    LINE_GRADE_RE,
    LISTED_RE,
    PAST_RE,
    PRED_RE,
    QUICK_RE,
    RI_BEFORE_RE,
    SINCE_YEAR_RE,
    SKIP_KINDS,
    THIS_AREA_RE,
    UNDATED_PAST_RE,
    area_words,
    canonical,
    clean_line,
    column_periods,
    coordinated,
    is_run_line,
    normal_line,
    subject_force,
)
from ingest.textutil import FOOTNOTE_MARKER_RE, sentence_spans
from ingest.types import GradeStatement, Report, Section

FIVE_GRADE_FROM = 2021
"""PEEL graded on four levels (no 'Adequate') up to 2020 and on five from 2021/22."""

class _Reader:
    """Reads the grades of one report; ``statements()`` returns them deduplicated, in text order."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.text = report.text
        self.meta = report.meta
        self.current = (self.meta.year, self.meta.year_to)
        self.sections = sorted(report.sections, key=lambda s: s.start)
        self.starts = [s.start for s in self.sections]
        self.found: list[Found] = []
        self.used_lines: set[int] = set()
        self.last_key: str | None = None  # the area last graded, for 'in this area' with no heading above

    # --- context --------------------------------------------------------------------------
    def section_at(self, offset: int) -> Section | None:
        """The section whose text holds ``offset``, else the one a heading at ``offset`` opens."""
        n = bisect.bisect_right(self.starts, offset)
        if n and offset < self.sections[n - 1].end:
            return self.sections[n - 1]
        return self.sections[n] if n < len(self.sections) else None

    def headings_above(self, offset: int) -> tuple[str, ...]:
        """The headings ``offset`` sits under, top level first. A generic heading ('Summary') that the
        section finder set at the top level, right after a question that holds nothing but its grade
        line, sits under that question."""
        n = bisect.bisect_right(self.starts, offset)
        section = self.section_at(offset)
        if section is None:
            return ()
        path = section.path
        before = self.sections[n - 2] if n >= 2 and self.sections[n - 1] is section else None
        if before is not None and len(path) == 1 and normal_line(section.heading) in GENERIC_HEADINGS \
                and all(LINE_GRADE_RE.match(clean_line(line)) or LABEL_LINE_RE.match(clean_line(line))
                        for line in before.text.split("\n") if line.strip()):
            return (*before.path, *path)
        return path

    def context_pillar(self, offset: int) -> str | None:
        """The pillar a generic statement ('is good at keeping people safe') is about: from the
        headings above it, else from the report's type."""
        for heading in reversed(self.headings_above(offset)):
            key = area_key(heading)
            if key in PILLARS:
                return key
        rtype = self.meta.about_type or self.meta.report_type
        return rtype[5:] if rtype.startswith("peel_") and rtype[5:] in PILLARS else None

    def area_in_context(self, offset: int) -> str | None:
        """The graded area of the question or heading a sentence sits under ('in this area')."""
        for heading in reversed(self.headings_above(offset)):
            key = area_key(heading)
            if key not in (None, "overall") and normal_line(heading) not in GENERIC_HEADINGS:
                return key
        return None

    def left_out(self, offset: int) -> bool:
        """Whether ``offset`` is in an annex, a contents list or a list of findings (causes of concern,
        recommendations, areas for improvement), where grade words are not grades given."""
        section = self.section_at(offset)
        return section is not None and (section.kind in SKIP_KINDS or any(
            FINDINGS_HEADING_RE.match(h) or ANNEX_RE.match(h) for h in section.path))

    def opens_own_section(self, found: Found) -> bool:
        """Whether a statement is the first sentence (labels and the grade line aside) of the section
        of the area it grades ('Investigating crime' / 'Good' / 'The force is good at investigating
        crime.'); a generic heading ('Summary') stands for the area above it."""
        section = self.section_at(found.start)
        if section is None or not section.start <= found.start < section.end:
            return False
        generic = normal_line(section.heading) in GENERIC_HEADINGS
        if (self.area_in_context(found.start) if generic else area_key(section.heading)) != found.key:
            return False
        for a, b in sentence_spans(section.text):
            if not LINE_GRADE_RE.match(clean_line(section.text[a:b])) and not LABEL_LINE_RE.match(
                    clean_line(section.text[a:b])):
                return found.start < section.start + b and section.start + a < found.end
        return False

    def add(self, area: str, key: str, grade_word: str, start: int, end: int, strength: int,
            period: tuple[int | None, int | None] | None = None, force: str | None = None,
            shape: str = "sentence") -> Found | None:
        if key == "overall" and (pillar := self.context_pillar(start)):
            key = pillar
        low = grade_word.lower()
        grade = None if "graded" in low else canonical(grade_word)
        if grade is None and "graded" not in low:
            return None
        found = Found(" ".join(FOOTNOTE_MARKER_RE.sub("", area).split()).strip(" –-:"), key, grade, start, end,
                      strength, period or self.current, force or self.meta.force, shape)
        self.found.append(found)
        self.last_key = key
        return found

    # --- 1. headings with grade lines, and judgments tables laid out as lines -------------------
    def read_grade_lines(self) -> None:
        lines = [(m.start(), m.end(), m.group()) for m in re.finditer(r"[^\n]+", self.text) if m.group().strip()]
        run: list[int] = []
        for n, (_, _, line) in enumerate([*lines, (0, 0, "")]):
            if n < len(lines) and is_run_line(line):
                run.append(n)
                continue
            if run:
                self._read_run(lines, run)
            run = []

    def _read_run(self, lines: list[tuple[int, int, str]], run: list[int]) -> None:
        kinds = ["grade" if LINE_GRADE_RE.match(clean_line(lines[n][2])) else
                 "label" if LABEL_LINE_RE.match(clean_line(lines[n][2])) else "area" for n in run]
        grades = [i for i, kind in enumerate(kinds) if kind == "grade"]
        if not grades or self.left_out(lines[run[grades[0]]][0]):  # an annex's table of what grades mean
            return
        before = clean_line(lines[run[0] - 1][2]) if run[0] else ""
        first_real = next(i for i, kind in enumerate(kinds) if kind != "label")
        columns = kinds[first_real] == "grade" and (len(grades) >= 2 or before.endswith(":")
                                                   or "as follows" in before.lower())
        current: int | None = None
        for i, n in enumerate(run):
            start, end, line = lines[n]
            if kinds[i] == "grade":
                current = i
                self.used_lines.add(start)
                if columns:
                    continue
                heading = next((j for j in range(i - 1, -1, -1) if kinds[j] == "area"), None)
                if heading is None or (i - heading > 1 and any(kinds[j] == "grade" for j in range(heading + 1, i))):
                    continue
                h_start, _, h_text = lines[run[heading]]
                area = clean_line(h_text)
                key = self._heading_key(area, h_start)
                if key:
                    grade = LINE_GRADE_RE.match(clean_line(line)).group(1)
                    self.add(area, key, grade, h_start, self._extend(end, grade), STRUCTURED, shape="line")
            elif kinds[i] == "area" and columns and current is not None:
                area = clean_line(line)
                grade_start, _, grade_line = lines[run[current]]
                grade = LINE_GRADE_RE.match(clean_line(grade_line)).group(1)
                self.add(area, area_key(area) or slug(area), grade, grade_start, end, DIRECT, shape="line")
                self.used_lines.add(start)

    def _heading_key(self, heading: str, offset: int) -> str | None:
        norm = normal_line(re.sub(r"^overview\s*[–—-]\s*", "", heading, flags=re.I))
        if norm in GENERIC_HEADINGS or LABEL_LINE_RE.match(norm):
            return self.area_in_context(offset + len(heading) + 1) or "overall"
        return area_key(heading) or slug(heading)

    def _extend(self, end: int, grade: str) -> int:
        """The grade line's citation runs on through the next sentence when that sentence restates the grade."""
        nxt = re.match(r"\s*([^\n]+)", self.text[end:])
        if not nxt:
            return end
        body_start = end + nxt.start(1)
        spans = sentence_spans(nxt.group(1))
        if spans and re.search(re.escape(grade.split()[0][:6]), nxt.group(1)[:spans[0][1]], re.I) \
                and not LINE_GRADE_RE.match(nxt.group(1)):
            return body_start + spans[0][1]
        return end

    # --- 2. table rows and 'Area: Grade' lines ---------------------------------------------
    def read_rows(self) -> None:
        header: list[str | None] | None = None
        columns: list[tuple[int, int] | None] | None = None  # a header row naming each column's period
        for match in re.finditer(r"[^\n]+", self.text):
            line, start = match.group(), match.start()
            if start in self.used_lines or self.left_out(start):
                continue
            if "\t" in line:
                cells = [clean_line(c) for c in line.split("\t")]
                marks = [LINE_GRADE_RE.match(c).group(1) if c and LINE_GRADE_RE.match(c) else None for c in cells]
                if sum(m is not None for m in marks) >= 3:
                    header = marks
                    continue
                if not any(marks) and len(named := column_periods(cells)) == len(cells) \
                        and sum(p is not None for p in named) >= 2:  # 'Question | 2015 judgment | 2016 judgment'
                    columns = named
                    continue
                if header is not None:
                    if len(cells) != len(header):  # a cell lost at the edge: the columns cannot be told apart
                        continue
                    for cell, mark in zip(cells, header, strict=True):
                        if cell and mark and not LINE_GRADE_RE.match(cell):
                            self.add(cell, area_key(cell) or slug(cell), mark, start, match.end(), STRUCTURED,
                                     shape="row")
                    continue
                graded = [(i, m) for i, m in enumerate(marks) if m]
                areas = [c for i, c in enumerate(cells) if c and not marks[i] and area_key(c)]
                if columns is not None and len(columns) == len(cells) and graded and areas \
                        and all(columns[i] for i, _ in graded):  # each grade in its column's period
                    for i, mark in graded:
                        self.add(areas[0], area_key(areas[0]) or "", mark, start, match.end(), STRUCTURED,
                                 columns[i], shape="row")
                    continue
                if len(graded) == 1 and areas:
                    self.add(areas[0], area_key(areas[0]) or "", graded[0][1], start, match.end(), STRUCTURED,
                             shape="row")
                continue
            header = columns = None
            if not ENDS_WITH_GRADE_RE.search(line):
                continue
            row = AREA_LINE_RE.match(clean_line(line))
            if row and not LINE_GRADE_RE.match(clean_line(line)) and (key := area_key(row.group("area"))) \
                    and not PRED_RE.search(row.group("area") + " ") and len(row.group("area").split()) <= 14:
                period = self._period(row.group("area"), "", None)  # '2020 crime recording inspection: inadequate'
                if period is not None:
                    self.add(row.group("area"), key, row.group("grade"), start, match.end(), STRUCTURED, period,
                             shape="row")

    # --- 3 and 4. sentences, and lists under a lead line -------------------------------------
    def read_sentences(self) -> None:
        lead_force: str | None = None
        count_grade: str | None = None
        lead_start = 0
        for lo, hi in sentence_spans(self.text):
            sentence = self.text[lo:hi]
            is_item = bool(re.match(r"^\s*[-•*·▪]\s", sentence))
            if not (is_item or sentence.rstrip().endswith(":") or QUICK_RE.search(sentence)):
                count_grade = lead_force = None
                continue
            if "\t" in sentence or lo in self.used_lines or self.left_out(lo):
                continue
            if count_grade and is_item:
                item = re.sub(r"^\s*[-•*·▪]\s*", "", sentence).strip(" ;.,")
                if (key := area_key(item)) and len(item.split()) <= 14:
                    self.add(item, key, count_grade, lead_start, hi, DIRECT)  # cited from the lead line
                    continue
            if not is_item:
                count_grade = None
                lead_start = lo
                lead = sentence.rstrip()
                lead_force = None
                if lead.endswith(":"):
                    named = find_forces(lead)
                    lead_force = named[-1].force if named else None
                    counts = list(COUNT_LEAD_RE.finditer(lead))
                    marks = list(GRADE_RE.finditer(lead[:counts[-1].start()])) if counts else []
                    count_grade = marks[-1].group(1) if marks else None
            self._read_sentence(sentence, lo, lead_force if is_item else None)

    def _read_sentence(self, sentence: str, lo: int, lead_force: str | None) -> None:
        previous_end: int | None = None
        stated: list[Found] = []
        subject_pillar: str | None = None
        for mark in GRADE_RE.finditer(sentence):
            word = mark.group(1)
            before = sentence[:mark.start()]
            pred = PRED_RE.search(before)
            chained = previous_end is not None and re.fullmatch(r"[\s,;]*(?:and\s+|or\s+)?", sentence[previous_end:mark.start()])
            if not pred and not chained and not (word.lower().startswith("requir") and RI_BEFORE_RE.search(before)):
                continue
            after = sentence[mark.end():]
            if not FOLLOW_RE.match(after):
                continue
            clause = CLAUSE_END_RE.search(after)
            complement = after[:clause.start()] if clause else after
            pred_start = pred.start() if pred else mark.start()
            starts = [m.end() for m in CLAUSE_START_RE.finditer(before[:pred_start])]
            subject = before[starts[-1] if starts else 0:pred_start]
            if HYPOTHETICAL_RE.search(before[starts[-1] if starts else 0:] + complement):
                continue
            key = self._sentence_area(subject + (pred.group() if pred else ""), complement, lo + mark.start())
            strength = DIRECT
            if key is None and not chained and starts:  # '..., when we judged it good': the sentence's own area
                key = area_key(before[:starts[0]])
                strength = CONTEXTUAL
            if key is None:
                continue
            period = self._period(before, complement, pred)
            if period is None:
                continue
            force = subject_force(subject + (pred.group() if pred else "")) or lead_force
            if key == "overall" and not re.search(r"\boverall\b|graded judg", subject + complement, re.I) \
                    and not self.context_pillar(lo + mark.start()):
                continue
            names = names_pillars(complement) if key in PILLARS or key == "overall" else coordinated(after if LISTED_RE.match(after) else complement)
            strength = strength if key != "overall" else CONTEXTUAL
            if re.search(r"\bextent to which\b|graded judg|\bhas been (?:assessed|graded|judged)\b", subject + before,
                         re.I):
                strength = STRUCTURED
            for pillar in names or [key]:
                added = self.add(area_words(subject, complement), pillar, word, lo, lo + len(sentence.rstrip()),
                                 strength, period, force)
                if added:
                    stated.append(added)
            subject_pillar = subject_pillar or (area_key(subject) if re.search(r"\bin general\b|\boverall\b", subject,
                                                                                 re.I) else None)
            previous_end = mark.end() + (clause.start() if clause else len(after))
        if subject_pillar in PILLARS and len(stated) >= 2 and len({s.grade for s in stated}) == 1 \
                and all(AREA_PILLAR.get(s.key) == subject_pillar for s in stated):
            first = stated[0]
            self.found.append(Found(subject_pillar.capitalize(), subject_pillar, first.grade, first.start, first.end,
                                     CONTEXTUAL, first.period, first.force))

    def _sentence_area(self, subject: str, complement: str, offset: int) -> str | None:
        """The area a sentence grades: its complement's ('good at investigating crime'), else its
        subject's ('its use of resources is good'), else the heading's ('good in this area')."""
        if THIS_AREA_RE.match(complement):
            return self.area_in_context(offset) or self.last_key
        if names := names_pillars(complement):
            return names[0]
        if re.match(r"^\s*(?:at|in|for|on|overall|across)\b", complement, re.I) \
                and (key := area_key(complement)) is not None and (key != "overall" or not area_key(subject)):
            return key
        subject_key = area_key(subject)
        if subject_key is not None and not (subject_force(subject) and subject_key == "overall"
                                            and not re.search(r"\boverall\b|graded judg", subject, re.I)):
            return subject_key
        if subject_force(subject) or FORCE_WORDS_RE.search(subject) or not subject.strip(" -•"):
            return area_key(complement) if complement.strip() else None
        return None

    def _period(self, before: str, complement: str, pred: re.Match[str] | None
                ) -> tuple[int | None, int | None] | None:
        """The period a grade is for: a time the grade's own complement gives ('good at X in 2016'),
        else the nearest time marker before it in its sentence ('In 2016 we found', 'last year, when'),
        else the report's. None for an earlier inspection left undated."""
        if pred and re.search(r"\bremain", pred.group(), re.I):
            return self.current
        markers: list[tuple[int, tuple[int | None, int | None] | str]] = []
        after = AFTER_MARKER_RE.match(complement)
        if after:
            before = "In " + after.group("when")  # read as if it came first
        for period, start, _ in find_periods(before):
            if SINCE_YEAR_RE.search(before[:start]):
                markers.append((start, "current"))
            else:
                markers.append((start, (period.year_from, period.year_to)))
        markers += [(m.start(), "last") for m in PAST_RE.finditer(before)]
        markers += [(m.start(), "undated") for m in UNDATED_PAST_RE.finditer(before)]
        markers += [(m.start(), "current") for m in CURRENT_RE.finditer(before)]
        if not markers:
            return self.current
        _, marker = max(markers, key=lambda m: m[0])
        year = self.current[0]
        if marker == "current":
            return self.current
        if marker == "undated":
            return None
        if marker == "last":
            return (year - 1, year - 1) if year else None
        assert isinstance(marker, tuple)
        if year is not None and marker[0] is not None and marker[0] >= year:
            return self.current
        return marker

    # --- result ---------------------------------------------------------------------------
    def statements(self) -> tuple[GradeStatement, ...]:
        self.read_grade_lines()
        self.read_rows()
        self.read_sentences()
        chosen = choose(self.found, self.text, self.opens_own_section, self.left_out)
        return tuple(self._statement(self._with_comparison(c.found), c.also) for c in chosen)

    def _with_comparison(self, found: Found) -> Found:
        """A grade's citation runs on through the next sentence of its paragraph when that sentence
        states the same area's grade for another period ('... is good at X. This is an improvement on
        2016, when we judged it to require improvement.'): the change belongs with the grade."""
        for other in self.found:
            if other.key == found.key and other.period != found.period and other.shape == "sentence" \
                    and other.start >= found.end and not self.text[found.end:other.start].strip(" \t") \
                    and other.end > found.end:
                return replace(found, end=other.end)
        return found

    def _statement(self, found: Found, also: tuple[tuple[int, int], ...]) -> GradeStatement:
        year_from, year_to = found.period
        return GradeStatement(
            area=found.area, area_key=found.key, grade=found.grade, scale=self._scale(year_from),
            year_from=year_from, year_to=year_to, start=found.start, end=found.end, force=found.force,
            status="graded" if found.grade else "not_graded", pillar=pillar_of(found.key), also=also)

    def _scale(self, year: int | None) -> str:
        rtype = self.meta.about_type or self.meta.report_type
        if rtype == "crime_data_integrity":
            return "crime-data-integrity"
        if year is not None:
            return "five-grade" if year >= FIVE_GRADE_FROM else "four-grade"
        return "five-grade" if any(f.grade == "Adequate" for f in self.found) else "four-grade"


def extract_grades(report: Report) -> tuple[GradeStatement, ...]:
    """Every graded judgment ``report`` states, one per force, area and period, in text order.

    Each statement's ``start``/``end`` are offsets into ``report.text`` of the sentence (or
    heading and grade line) that states it, to be cited.
    """
    return _Reader(report).statements()
