"""Findings across years: grades, areas for improvement, critical findings and their trails.

Fast tests use indexes built with the keyword encoder (extraction, storage, explicit trails,
grade answers, the command line). Semantic trails need the real encoder: those tests are slow
and share the session's real index, or one index that adds made-up later reports to it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from search.answer.grades import asks_for_grades
from search.answer.grades import grade_answer as _grade_answer
from search.config import Settings
from search.errors import IndexCorruptError
from search.findings.api import findings, grades
from search.findings.cues import is_critical, status_of
from search.findings.extract import finding_embed_text
from search.findings.model import STATUSES, Grade, comparable
from search.findings.storage import FINDINGS_DB
from search.index.build import build_index
from search.retrieve.question import parse_question
from search.retrieve.searcher import Searcher
from search.types import Citation
from tests.conftest import LETTER, PEEL_2015, REPORTS, KeywordEmbedder

LETTER_SRC, PEEL_SRC = LETTER.name, PEEL_2015.name

PEEL_2017 = """PEEL: Police effectiveness 2017

An inspection of Hertfordshire Constabulary

March 2018

How effective is the force at preventing crime and anti-social behaviour, and keeping people safe?

Good

Hertfordshire Constabulary is good at preventing crime and anti-social behaviour, and keeping people safe.

How well does the force use evidence of what works?

The constabulary now routinely evaluates its crime prevention tactics and shares effective practice with \
partners. It uses evidence of what works drawn from other forces, academics and partners to improve its approach \
to the prevention of crime and anti-social behaviour.

Neighbourhood inspectors review the problem-solving plans on the shared anti-social behaviour system every month.

Summary of findings

Good

Hertfordshire Constabulary is good at preventing crime and anti-social behaviour, and keeping people safe.

How effective is the force at investigating crime and managing offenders?

Requires improvement

Hertfordshire Constabulary requires improvement at investigating crime and managing offenders.

The quality of initial investigations is still inconsistent, and supervisors do not always review investigation \
plans.

Areas for improvement

- The force should ensure that supervisors review all investigation plans.
"""

PEEL_2021 = """PEEL 2021/22

An inspection of Hertfordshire Constabulary

Published July 2022

Preventing crime

Adequate

Hertfordshire Constabulary is adequate at preventing crime and anti-social behaviour.

Areas for improvement

- The force should make sure that neighbourhood officers have enough time for problem-solving.

Investigating crime

Good

Hertfordshire Constabulary is good at investigating crime.

Protecting vulnerable people

Adequate

Hertfordshire Constabulary is adequate at protecting vulnerable people.
"""


def _verbatim(searcher: Searcher, passage: Citation) -> bool:
    section = searcher.section(passage.section_id)
    return section is not None and section["text"][passage.start:passage.end] == passage.quote


def _by_area(items: list[Grade]) -> dict[str | None, str]:
    return {g.area_key: g.grade for g in items}


# --- pure functions ---------------------------------------------------------------------------
@pytest.mark.parametrize("text, status", [
    ("The constabulary has not yet completed its action plan, but is aware that it still has more work to do.",
     "not addressed"),
    ("We found that the constabulary is making progress in this area.", "in progress"),
    ("Although it is now making progress, more work is needed in this area.", "in progress"),
    ("The force now routinely evaluates what works and has addressed the area for improvement.", "addressed"),
    ("It has made good progress since HMIC's domestic abuse inspection in 2014.", "addressed"),
    ("Local prevention activity would still benefit from a more consistent problem-solving process.",
     "not addressed"),
    ("Victim satisfaction rates remain consistently above the England and Wales average.", "unclear"),
    ("Resources continue to be targeted at these areas.", "unclear"),
])
def test_status_cues(text: str, status: str) -> None:
    found, cue = status_of(text)
    assert found == status
    assert (cue is None) == (status == "unclear")
    assert cue is None or cue in text


@pytest.mark.parametrize("text, critical", [
    ("Although the force has a database that helps officers and staff to solve problems, it is not being used as "
     "effectively as it could be.", True),
    ("Although the force does not have an overarching crime prevention strategy, this does not inhibit the "
     "effectiveness of the force's approach to preventing crime. The force has a strong preventative ethos.", False),
    ("HMIC found some good examples of where the force has undertaken long-term crime prevention initiatives.", False),
    ("HMIC understands that the force has not consulted with the public in relation to this policy.", True),
    ("There are regular meetings with key partners and a structured approach is used to identify and assess risk.",
     False),
    ("The inspection team found that the force has clear, robust arrangements to manage those who had failed to "
     "answer police bail.", False),
])
def test_letter_bullet_classifier(text: str, critical: bool) -> None:
    assert is_critical(text) is critical


def test_comparable_and_scale() -> None:
    citation = Citation("Good", "a.txt", "t", "F", 2015, "peel", "s", "s-1", None, 0, 4)
    old = Grade("F", 2015, "peel", "a.txt", "t", None, "overall", "Good", "four-grade", citation)
    new = Grade("F", 2022, "peel", "b.txt", "t", None, "overall", "Adequate", "five-grade", citation)
    assert comparable(old, old) and not comparable(old, new)
    assert old.level > new.level


@pytest.mark.parametrize("question, expected", [
    ("Which grade did Herts police get for protecting vulnerable people and supporting victims?", True),
    ("which questions was Hertfordshire graded requires improvement on?", True),
    ("what grade did it get for investigating crime in 2015?", True),
    ("How many questions was Hertfordshire graded good on?", True),
    ("What judgment did Hertfordshire receive for investigating crime and managing offenders?", True),
    ("What does a 'requires improvement' grading mean in HMIC's judgments?", False),
    ("How do officers use their professional judgment?", False),
    ("How does the force manage outstanding suspects?", False),
    ("What good practice did HMIC find?", False),
])
def test_grade_question_detection(question: str, expected: bool) -> None:
    assert asks_for_grades(parse_question(question, 2000)) is expected


def grade_answer(searcher: Searcher, question: str):
    """The structured-grade answer to ``question`` on the searcher's loaded generation."""
    return _grade_answer(searcher.snapshot, searcher.embedder, searcher.question(question))


# --- extraction and storage (keyword encoder) -------------------------------------------------
def test_the_five_2015_grades(fake_searcher: Searcher) -> None:
    stated = [g for g in grades(fake_searcher) if g.source == PEEL_SRC]
    found = [g for g in stated if g.year == 2015]
    assert _by_area(found) == {"effectiveness": "Good", "preventing_crime": "Good", "investigating_crime": "Good",
                               "vulnerability": "Requires improvement", "serious_organised_crime": "Good"}
    assert len(found) == 5  # copies in the summary and the body are one grade each
    # grades the report recalls from HMIC's 2014 crime inspection keep their own year
    assert _by_area([g for g in stated if g.year == 2014]) == {"preventing_crime": "Good",
                                                               "investigating_crime": "Good"}
    assert {g.scale for g in found} == {"four-grade"}
    assert all(g.year == 2015 and g.force == "Hertfordshire Constabulary" for g in found)
    for g in found:
        assert _verbatim(fake_searcher, g.citation)
        assert g.grade.lower() in g.citation.quote.lower()
    vulnerability = next(g for g in found if g.theme == "vulnerability")
    assert "HMIC judges that overall the constabulary requires improvement" in vulnerability.citation.quote
    assert vulnerability.citation.section == "Summary of findings"
    assert not [g for g in grades(fake_searcher) if g.source == LETTER_SRC]  # a letter grades nothing


def test_the_three_2015_areas_for_improvement(fake_searcher: Searcher) -> None:
    items = [x.finding for x in findings(fake_searcher, force="Herts")
             if x.finding.source == PEEL_SRC and not x.finding.recalled]
    assert [(f.kind, f.theme) for f in items] == [("area_for_improvement", "preventing_crime"),
                                                  ("area_for_improvement", "investigating_crime"),
                                                  ("area_for_improvement", "investigating_crime")]
    assert items[0].text.startswith("The force should use evidence of 'what works'")
    assert items[1].text == ("The force should ensure that all investigations are completed to a consistently "
                             "good standard, and in a timely manner.")
    assert all(f.question and f.question.startswith("How effective is the force") for f in items)
    assert all(_verbatim(fake_searcher, f.citation) and f.citation.quote == f.text for f in items)
    by_theme = [x.finding for x in findings(fake_searcher, force="Herts", theme="investigating crime")]
    assert items[1] in by_theme and items[0] not in by_theme


def test_letter_critical_findings(fake_searcher: Searcher) -> None:
    letter = [x.finding for x in findings(fake_searcher) if x.finding.source == LETTER_SRC]
    assert {f.kind for f in letter} == {"critical_finding"}
    texts = [f.text for f in letter]
    assert any("it is not being used as effectively as it could be" in t for t in texts)
    assert not any(t.startswith("HMIC found some good examples") for t in texts)
    assert not any("very well managed" in t for t in texts)
    assert all(f.year == 2014 and _verbatim(fake_searcher, f.citation) for f in letter)


def test_recalled_recommendation_not_completed(fake_searcher: Searcher) -> None:
    """'HMIC's crime inspection in 2014 recommended that ...' and 'The constabulary has not yet
    completed its action plan' in the 2015 report: a 2014 finding with an explicit trail."""
    recalled = [x for x in findings(fake_searcher) if x.finding.recalled]
    plan = next(x for x in recalled if "developed and implemented an action plan" in x.finding.text)
    assert plan.finding.year == 2014 and plan.finding.citation.year == 2015
    assert plan.finding.kind == "recommendation" and plan.finding.source == PEEL_SRC
    assert "appropriate monitoring and oversight of investigative quality" in plan.finding.text  # its list
    link = next(x for x in plan.trail if x.method == "explicit")
    assert link.status == "not addressed" and plan.latest_status == "not addressed"
    assert link.later.quote.startswith("The constabulary has not yet completed its action plan")
    assert link.cue and link.cue in link.later.quote
    assert _verbatim(fake_searcher, link.earlier) and _verbatim(fake_searcher, link.later)
    evaluate = next(x for x in recalled if "review and evaluate the benefits" in x.finding.text)
    assert next(x for x in evaluate.trail if x.method == "explicit").status == "in progress"


def test_every_stored_quote_is_verbatim(fake_searcher: Searcher) -> None:
    for item in findings(fake_searcher):
        assert _verbatim(fake_searcher, item.finding.citation)
        for link in item.trail:
            assert _verbatim(fake_searcher, link.earlier) and _verbatim(fake_searcher, link.later)
            assert link.status in STATUSES


def test_grade_answer_cites_the_grade(fake_searcher: Searcher) -> None:
    reply = grade_answer(fake_searcher,
                         "Which grade did Herts police get for protecting vulnerable people and supporting victims?")
    assert reply is not None and reply.mode == "grades" and not reply.abstained
    assert "Requires improvement" in reply.text and "[1]" in reply.text
    assert len(reply.citations) == 1
    c = reply.citations[0]
    assert c.source == PEEL_SRC and c.year == 2015
    assert fake_searcher.section(c.section_id)["text"][c.start:c.end] == c.quote
    assert c.passage[c.passage_start:c.passage_end] == c.quote
    assert c.chunk_id in {h.chunk_id for h in reply.passages}
    listing = grade_answer(fake_searcher, "which questions was Hertfordshire graded requires improvement on?")
    assert listing is not None and "1 of 4" in listing.text and len(listing.citations) == 1
    counted = grade_answer(fake_searcher, "How many questions was Hertfordshire graded good on?")
    assert counted is not None and "3 of 4" in counted.text


def test_grade_answer_declines_other_questions(fake_searcher: Searcher) -> None:
    assert grade_answer(fake_searcher, "What does a 'requires improvement' grading mean in HMIC's judgments?") is None
    assert grade_answer(fake_searcher, "How many SOPOs did Hertfordshire issue?") is None
    # A force the index does not cover: the passage path abstains instead.
    assert grade_answer(fake_searcher, "What overall effectiveness grade did Bedfordshire Police get?") is None
    assert grade_answer(fake_searcher, "What grade did Hertfordshire get in 2019?") is None


def _build(paths: list[Path], index_dir: Path, embedder: KeywordEmbedder):
    return build_index(paths, index_dir, embedder=embedder)


def test_incremental_findings(tmp_path: Path, sample_reports: Path) -> None:
    embedder = KeywordEmbedder()
    index_dir = tmp_path / "index"
    _build([sample_reports], index_dir, embedder)
    first = Searcher.load(index_dir, embedder=embedder)
    before = [x.to_dict() for x in findings(first)]
    before_grades = [g.to_dict() for g in grades(first)]
    assert before and before_grades

    embedder.texts_encoded = 0
    result = _build([sample_reports], index_dir, embedder)  # unchanged: nothing to do
    assert not result.published and embedder.texts_encoded == 0
    again = Searcher.load(index_dir, embedder=embedder)
    assert [x.to_dict() for x in findings(again)] == before

    (sample_reports / "peel2017.txt").write_text(PEEL_2017, encoding="utf-8")
    encoded: list[str] = []
    encode = embedder.encode
    embedder.encode = lambda texts, **kw: encoded.extend(texts) or encode(texts, **kw)  # type: ignore[method-assign]
    result = _build([sample_reports], index_dir, embedder)
    grown = Searcher.load(index_dir, embedder=embedder)
    new_findings = [x.finding for x in findings(grown) if x.finding.source == "peel2017.txt"]
    # The new report's findings were encoded; those of the unchanged reports were copied.
    assert new_findings and all(finding_embed_text(f) in encoded for f in new_findings)
    assert result.embedded_findings == len(new_findings)
    assert not any(finding_embed_text(x.finding) in encoded for x in findings(grown)
                   if x.finding.source != "peel2017.txt")
    old = {x.finding.finding_id: x.finding.to_dict() for x in findings(grown)}
    assert all(old[item["finding_id"]] == {k: v for k, v in item.items() if k not in ("trail", "latest_status")}
               for item in before)
    assert {g.year for g in grades(grown)} == {2014, 2015, 2017}  # 2014: grades the 2015 report recalls
    assert grown.manifest["counts"]["findings"] == len(findings(grown))

    (sample_reports / PEEL_SRC).unlink()
    _build([sample_reports], index_dir, embedder)
    shrunk = Searcher.load(index_dir, embedder=embedder)
    assert {g.source for g in grades(shrunk)} == {"peel2017.txt"}
    remaining = findings(shrunk)
    assert remaining and all(x.finding.source != PEEL_SRC for x in remaining)
    assert all(link.later.source != PEEL_SRC and link.earlier.source != PEEL_SRC
               for x in remaining for link in x.trail)


def test_incremental_trails_match_a_full_rebuild(tmp_path: Path, sample_reports: Path) -> None:
    """Trails are recomputed only for forces whose reports changed; the result must be what a
    build from scratch gives."""
    embedder = KeywordEmbedder()
    index_dir = tmp_path / "index"
    _build([sample_reports], index_dir, embedder)
    (sample_reports / "peel2017.txt").write_text(PEEL_2017, encoding="utf-8")  # same force, later year
    (sample_reports / "kent.txt").write_text(PEEL_2017.replace("Hertfordshire Constabulary", "Kent Police")
                                             .replace("Hertfordshire", "Kent"), encoding="utf-8")
    _build([sample_reports], index_dir, embedder)
    (sample_reports / "kent.txt").unlink()  # another force's report goes: Hertfordshire's trails are copied
    _build([sample_reports], index_dir, embedder)
    incremental = Searcher.load(index_dir, embedder=embedder)
    scratch_dir = tmp_path / "scratch"
    build_index([sample_reports], scratch_dir, embedder=embedder, rebuild=True)
    scratch = Searcher.load(scratch_dir, embedder=embedder)

    def trails(searcher: Searcher) -> list[tuple]:
        return sorted((x.finding.finding_id, link.later.source, link.later.start, link.status)
                      for x in findings(searcher) for link in x.trail)

    assert trails(incremental) == trails(scratch)
    assert any(source == "peel2017.txt" for _fid, source, _start, _status in trails(incremental))


def test_a_missing_findings_store_is_an_error_and_the_next_build_restores_it(tmp_path: Path,
                                                                           fake_index: Path) -> None:
    index_dir = tmp_path / "old-index"
    shutil.copytree(fake_index, index_dir)
    embedder = KeywordEmbedder()
    old = Searcher.load(index_dir, embedder=embedder)
    (old.snapshot.folder / old.manifest["segments"][0]["name"] / FINDINGS_DB).unlink()
    old = Searcher.load(index_dir, embedder=embedder)
    with pytest.raises(IndexCorruptError, match="findings"):
        grades(old)  # never an empty grid standing in for the grades
    result = build_index([REPORTS], index_dir, embedder=embedder)  # extracts them again, embeds no chunk
    assert result.published and result.embedded_chunks == 0
    assert len([g for g in grades(Searcher.load(index_dir, embedder=embedder)) if g.year == 2015]) == 5


def test_cli_grades_and_findings_json(fake_searcher: Searcher, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    from search import cli

    monkeypatch.setattr(cli, "_load_searcher", lambda _index_dir: fake_searcher)
    assert cli.main(["grades", "--force", "Herts", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len([r for r in rows if r["year"] == 2015]) == 5
    keys = {"force", "year", "report_type", "question", "theme", "grade", "scale", "source", "section", "page"}
    assert all(keys <= set(r) for r in rows)
    overall = [r for r in rows if r["question"] is None]
    assert len(overall) == 1 and overall[0]["grade"] == "Good" and overall[0]["year"] == 2015

    assert cli.main(["grades"]) == 0
    grid = capsys.readouterr().out
    assert "Hertfordshire Constabulary" in grid and "Requires improvement" in grid and "2015" in grid

    assert cli.main(["findings", "--force", "Hertfordshire", "--theme", "investigating_crime", "--json"]) == 0
    items = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert items and all(i["theme"] == "investigating_crime" for i in items)
    assert all({"citation", "trail", "latest_status", "kind", "text", "year"} <= set(i) for i in items)
    assert cli.main(["findings", "--force", "Herts"]) == 0
    assert "has not yet completed its action plan" in capsys.readouterr().out
    assert cli.main(["findings", "--force", "Herts", "--theme", "no-such-theme"]) == 2
    assert "unknown theme" in capsys.readouterr().err


# --- trails with the real encoder ---------------------------------------------------------------
@pytest.fixture(scope="session")
def later_index(tmp_path_factory: pytest.TempPathFactory, real_index: Path, real_embedder) -> Path:
    """The real index plus made-up 2017 and 2021/22 reports on the same force (only they are embedded)."""
    root = tmp_path_factory.mktemp("later")
    reports = root / "reports"
    shutil.copytree(REPORTS, reports)
    (reports / "peel2017.txt").write_text(PEEL_2017, encoding="utf-8")
    (reports / "peel2021.txt").write_text(PEEL_2021, encoding="utf-8")
    index_dir = root / "index"
    shutil.copytree(real_index, index_dir)
    result = build_index([reports], index_dir, embedder=real_embedder)
    assert {f.source: f.status for f in result.files}["peel2017.txt"] == "added"
    return index_dir


@pytest.mark.slow
def test_sample_trails(real_searcher: Searcher) -> None:
    """The 2014 letter's problem-solving database finding is revisited by the 2015 report's
    shared anti-social behaviour problem-solving system, which is making progress."""
    database = next(x for x in findings(real_searcher, force="Herts")
                    if "it is not being used as effectively as it could be" in x.finding.text)
    assert database.finding.year == 2014 and database.finding.kind == "critical_finding"
    link = next(x for x in database.trail if "effective IT system" in x.later.quote)
    assert link.method == "semantic" and link.score >= Settings().trails.threshold
    assert link.status in ("in progress", "addressed")
    assert link.later.quote.startswith("We found that the constabulary is making progress in this area.")
    assert (link.earlier.year, link.later.year) == (2014, 2015)
    assert link.earlier.source == LETTER_SRC and link.later.source == PEEL_SRC
    assert _verbatim(real_searcher, link.earlier) and _verbatim(real_searcher, link.later)
    plan = next(x for x in findings(real_searcher) if "developed and implemented an action plan" in x.finding.text)
    assert plan.finding.year == 2014 and plan.latest_status == "not addressed"
    assert any(x.later.year == 2015 and "has not yet completed" in x.later.quote for x in plan.trail)
    # Findings about matters the 2015 report does not discuss stay unlinked.
    unlinked = [x for x in findings(real_searcher) if "force control room" in x.finding.text]
    assert unlinked and not unlinked[0].trail


@pytest.mark.slow
def test_later_report_addresses_a_finding(later_index: Path, real_embedder) -> None:
    searcher = Searcher.load(later_index, embedder=real_embedder)
    what_works = next(x for x in findings(searcher)
                      if x.finding.source == PEEL_SRC and "'what works'" in x.finding.text)
    later = [x for x in what_works.trail if x.later.source == "peel2017.txt"]
    assert later, "the 2017 passage on evaluating what works is not linked"
    best = max(later, key=lambda x: x.score)
    assert best.status == "addressed" and what_works.latest_status == "addressed"
    assert "now routinely evaluates" in best.later.quote
    assert (best.earlier.year, best.later.year) == (2015, 2017)
    assert _verbatim(searcher, best.later)
    # The same force's 2021/22 grades are on another scale.
    by_year = {(g.year, g.theme): g for g in grades(searcher, force="Hertfordshire")}
    assert by_year[(2021, "preventing_crime")].scale == "five-grade"
    assert by_year[(2021, "preventing_crime")].grade == "Adequate"
    assert not comparable(by_year[(2015, "preventing_crime")], by_year[(2021, "preventing_crime")])
    assert by_year[(2021, "preventing_crime")].previous_comparable is False
    assert by_year[(2017, "preventing_crime")].previous_comparable is True
    reply = grade_answer(searcher, "How was Hertfordshire graded for preventing crime between 2015 and 2022?")
    assert reply is not None and "not directly comparable" in reply.text
    assert {c.year for c in reply.citations} == {2015, 2017, 2021}


@pytest.mark.slow
def test_ask_routes_grade_questions(real_searcher: Searcher) -> None:
    from search.answer.router import answer

    reply = answer(real_searcher, "Which grade did Herts police get for protecting vulnerable people and supporting "
                                  "victims?")
    assert reply.mode == "grades" and "Requires improvement" in reply.text
    quote = reply.citations[0].quote
    assert "HMIC judges that overall the constabulary requires improvement" in quote
    assert real_searcher.section(reply.citations[0].section_id)["text"][
        reply.citations[0].start:reply.citations[0].end] == quote
    other = answer(real_searcher, "How many SOPOs did Hertfordshire issue?")
    assert other.mode != "grades"


def test_stored_rows_hold_the_fields_only(fake_searcher: Searcher) -> None:
    """findings.sqlite keeps each item's fields and its citations' locations, nothing derived
    (Grade.level), so that indexes built by one version read in another."""
    import sqlite3
    from dataclasses import fields

    from search.findings.model import Finding, TrailLink

    snapshot = fake_searcher.snapshot
    path = snapshot.folder / snapshot.manifest["segments"][0]["name"] / FINDINGS_DB
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = {table: [json.loads(r[0]) for r in con.execute(f"SELECT data FROM {table} LIMIT 3")]
                for table in ("grades", "findings", "links")}
    finally:
        con.close()
    rows["links"] += [json.loads(item) for t in snapshot.manifest["trails"].values()  # semantic links
                      for item in json.loads((snapshot.folder / t["file"]).read_text(encoding="utf-8"))[:3]]
    location = set(Citation.location(fake_searcher.findings_index().grades[0].citation))
    for table, model, cited in (("grades", Grade, ("citation",)), ("findings", Finding, ("citation",)),
                                ("links", TrailLink, ("earlier", "later"))):
        assert rows[table], table
        for row in rows[table]:
            assert set(row) == {f.name for f in fields(model)}, table
            assert all(set(row[key]) == location for key in cited), table


def test_trail_match_scores_take_each_units_best_sentence_first_on_a_tie() -> None:
    """Every finding against every paragraph at once equals scoring them one by one: the mean of
    the paragraph's cosine and its best sentence's, that sentence the first of its paragraph on a tie."""
    import numpy as np

    from search.findings.trails import SCORE_BLOCK, match_scores

    rng = np.random.default_rng(3)
    unit_of = rng.integers(0, 40, 500)
    unit_of[:40] = np.arange(40)  # every unit has a sentence
    sentences = rng.normal(size=(500, 8)).astype(np.float32)
    sentences[100] = sentences[7]  # a tie inside unit_of[7]'s paragraph when unit_of[100] == unit_of[7]
    unit_of[100] = unit_of[7]
    units = rng.normal(size=(40, 8)).astype(np.float32)
    found = rng.normal(size=(SCORE_BLOCK + 5, 8)).astype(np.float32)  # more than one block
    scores, best = match_scores(found, units, sentences, unit_of)
    for f, vector in enumerate(found):
        for u in range(40):
            rows = np.flatnonzero(unit_of == u)
            cos = sentences[rows] @ vector
            assert best[f, u] == rows[int(np.argmax(cos))]
            assert scores[f, u] == pytest.approx(0.5 * float(units[u] @ vector) + 0.5 * float(cos.max()), abs=1e-5)
    assert best[:, 7].tolist().count(100) == 0  # row 7 comes first, so the tie never picks row 100
