"""eval/relevance.py: the one implementation of the relevance rule and its measures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.relevance import (
    contiguous_share,
    first_relevant_rank,
    hit_at,
    is_relevant,
    mrr_at,
    normalise,
    same_file,
    wilson_interval,
)
from tests.conftest import DEV_QUESTIONS, REPORTS, ROOT


def test_normal_form_drops_superscripts_and_unifies_quotes_dashes_case_and_spaces() -> None:
    assert normalise("Crime fell¹² by 5 ﬁgures") == "crime fell by 5 figures"  # NFKC unfolds the ligature
    assert normalise("the force’s “plan”") == "the force's \"plan\""
    assert normalise("2014–15 — a year") == "2014-15 - a year"
    assert normalise("  Two\n\tlines\u00a0here ") == "two lines here"


def test_superscripts_are_dropped_not_turned_into_digits() -> None:
    # NFKC alone would make '²' a '2' and glue a footnote mark onto the number before it.
    assert normalise("rose by 12%³") == "rose by 12%"


def test_relevant_needs_the_gold_file() -> None:
    gold = "The force has a clear plan to reduce crime."
    assert is_relevant("a.txt", gold, "a.txt", "Intro. " + gold + " More.")
    assert not is_relevant("a.txt", gold, "b.txt", "Intro. " + gold + " More.")


def test_file_names_match_by_trailing_path_components() -> None:
    assert same_file("001.txt", "reports/001.txt")
    assert same_file("reports/001.txt", "/work/x/reports/001.txt")
    assert same_file("eval\\corpus\\a.html", "corpus/a.html")
    assert not same_file("001.txt", "x001.txt")
    assert not same_file("corpus/001.txt", "reports/001.txt")
    assert not same_file("", "001.txt")


def test_sixty_percent_of_the_gold_as_one_run_is_the_boundary() -> None:
    gold = "".join(chr(0x4E00 + i) for i in range(100))  # 100 distinct characters: no accidental repeats
    assert is_relevant("f", gold, "f", "xx " + gold[:60] + " yy")
    assert not is_relevant("f", gold, "f", "xx " + gold[:59] + " yy")
    # two runs of 40 do not add up: the rule wants one contiguous run
    assert not is_relevant("f", gold, "f", gold[:40] + " and then " + gold[50:90])
    assert is_relevant("f", gold, "f", gold[:59] + " ", min_run=0.5)


def test_relevance_is_measured_after_normalising_both_sides() -> None:
    gold = "Hertfordshire’s response – which was “good” – improved¹"
    passage = "In 2015 HERTFORDSHIRE'S   RESPONSE - which was \"good\" - improved further."
    assert is_relevant("r.txt", gold, "r.txt", passage)


def test_empty_gold_and_bad_threshold() -> None:
    assert not is_relevant("f", "  ", "f", "anything")
    assert contiguous_share("", "anything") == 0.0
    with pytest.raises(ValueError, match="min_run"):
        is_relevant("f", "gold", "f", "gold", min_run=0)


def test_first_relevant_rank_over_any_gold() -> None:
    golds = [("a.txt", "the first gold sentence"), ("b.txt", "a second gold in another report")]
    passages = [("a.txt", "unrelated"), ("b.txt", "the first gold sentence"), ("b.txt", "... a second gold in another report ...")]
    assert first_relevant_rank(golds, passages) == 3  # rank 2 has the text but from the wrong file
    assert first_relevant_rank(golds, passages[:2]) is None
    assert first_relevant_rank([], passages) is None


def test_hit_and_mrr() -> None:
    ranks = [1, 3, None, 7, 12]
    assert hit_at(ranks, 1) == pytest.approx(0.2)
    assert hit_at(ranks, 5) == pytest.approx(0.4)
    assert mrr_at(ranks, 10) == pytest.approx((1 + 1 / 3 + 1 / 7) / 5)
    assert hit_at([], 5) == 0.0 and mrr_at([], 10) == 0.0


def test_wilson_interval_matches_reference_values() -> None:
    low, high = wilson_interval(0.5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    low, high = wilson_interval(0.0, 10)
    assert low == 0.0 and round(high, 4) == 0.2775
    low, high = wilson_interval(1.0, 40)
    assert round(low, 4) == 0.9124 and high == 1.0
    assert wilson_interval(0.3, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="mean"):
        wilson_interval(1.2, 10)


def test_interval_narrows_with_more_questions() -> None:
    small, large = wilson_interval(0.7, 30), wilson_interval(0.7, 300)
    assert large[0] > small[0] and large[1] < small[1]


@pytest.mark.parametrize("bank", [DEV_QUESTIONS, ROOT / "eval" / "heldout_questions.jsonl"], ids=["dev", "heldout"])
def test_agrees_with_the_search_evaluator(bank: Path) -> None:
    """The rule as eval/metrics.py applies it and this implementation give the same verdict for
    every gold of the dev and held-out sets against windows of its report that hold none, part or all of it (cut on both
    sides of the 60% boundary) and against windows of the other report."""
    evaluate = pytest.importorskip("eval.metrics", reason="eval/metrics.py has moved: repoint this check")
    questions = evaluate.load_questions(bank)
    raw = {json.loads(line)["id"]: json.loads(line) for line in bank.read_text().splitlines() if line.strip()}
    reports = {path.name: normalise(path.read_text(encoding="utf-8")) for path in sorted(REPORTS.glob("*.txt"))}
    verdicts = []
    for question in questions:
        for gold, text in zip(question.golds, raw[question.id]["gold"], strict=True):
            verbatim = text.split("::", 1)[1] if "::" in text else text
            norm = normalise(verbatim)
            report = reports[gold.source]
            at = report.find(norm)
            assert at >= 0, f"{question.id}: gold not found verbatim in {gold.source}"
            windows = [(gold.source, report[max(0, at - 300):at + round(share * len(norm))])
                       for share in (0.0, 0.3, 0.58, 0.62, 1.0)]
            windows += [(gold.source, report[at + round(share * len(norm)):at + len(norm) + 300])
                        for share in (0.38, 0.42)]
            windows += [(name, body[:2000]) for name, body in reports.items() if name != gold.source]
            for file, window in windows:
                ours = is_relevant(gold.source, verbatim, file, window)
                assert ours == evaluate.is_relevant(gold, file, window), (question.id, file, window[:80])
                verdicts.append(ours)
    assert verdicts.count(True) > 50 and verdicts.count(False) > 50  # both verdicts were checked often
