"""End-to-end retrieval with the real bundled encoder over the two sample reports (slow)."""

from __future__ import annotations

import json

import pytest
from conftest import DEV_QUESTIONS

from eval.metrics import evaluate_retrieval, first_relevant_rank, load_questions, searcher_run
from search.config import Settings
from search.errors import QueryError

pytestmark = pytest.mark.slow

QUESTIONS = {q.id: q for q in load_questions(DEV_QUESTIONS)}
HELD_OUT = DEV_QUESTIONS.with_name("heldout_questions.jsonl")
HERTS = "Hertfordshire Constabulary"
HIT_FIELDS = ("rank", "score", "text", "source", "title", "force", "year", "report_type", "section", "question",
              "theme", "judgment", "page", "start", "end", "chunk_id")

# Development questions of every kind whose gold passage must be in the top 5.
TOP5 = ["d001", "d002", "d019", "d031",  # fact
        "d004", "d023", "d039",  # number
        "d038", "d041",  # footnote
        "d011", "d034",  # table
        "d017", "d036", "d037",  # cross_year
        "d008", "d016"]  # paraphrase


def test_the_chosen_questions_cover_the_kinds() -> None:
    kinds = {QUESTIONS[qid].kind for qid in TOP5}
    assert {"fact", "number", "footnote", "table", "cross_year", "paraphrase"} <= kinds
    assert all(QUESTIONS[qid].answerable for qid in TOP5)


@pytest.mark.parametrize("qid", TOP5)
def test_dev_question_finds_its_gold_passage_in_the_top_5(real_searcher, qid: str) -> None:
    question = QUESTIONS[qid]
    result = real_searcher.search(question.question, k=10)
    rank = first_relevant_rank(question, [(h.source, h.text) for h in result.hits])
    assert rank is not None and rank <= 5, f"{qid}: gold at rank {rank}"


@pytest.mark.parametrize("qid", [qid for qid in TOP5 if QUESTIONS[qid].filters])
def test_dev_question_with_its_filters_finds_its_gold_passage_in_the_top_5(real_searcher, qid: str) -> None:
    question = QUESTIONS[qid]
    result = real_searcher.search(question.question, k=10, filters=question.filters)
    assert all(h.force == question.filters.get("force", h.force) for h in result.hits)
    rank = first_relevant_rank(question, [(h.source, h.text) for h in result.hits])
    assert rank is not None and rank <= 5, f"{qid}: gold at rank {rank}"


# Quality floors: the development set at the target of the search issue, and the held-out set
# (written from the reports without running the search; used only to check that a change chosen
# on the development set carries over) a little below its measured figures, so that a change
# which helps one set by hurting the other fails here.
# The question bank's dev split (below) is now what settings are tuned on; these two older sets
# over the sample reports are held a little under their figures with passages (development hit@5
# 0.892, MRR@10 0.827).
@pytest.mark.parametrize(("path", "min_hit5", "min_mrr"), [(DEV_QUESTIONS, 0.86, 0.80), (HELD_OUT, 0.85, 0.72)],
                         ids=["development", "held-out"])
def test_question_set_meets_its_retrieval_floor(real_searcher, path, min_hit5: float, min_mrr: float) -> None:
    questions = load_questions(path)
    overall = evaluate_retrieval(searcher_run(real_searcher), questions)["without_filters"]["overall"]
    assert overall["n"] == sum(q.answerable for q in questions) > 30
    assert overall["hit@5"] >= min_hit5, overall
    assert overall["mrr@10"] >= min_mrr, overall


def test_hits_carry_every_field_and_quote_their_section(real_searcher) -> None:
    result = real_searcher.search("How does the constabulary manage organised crime groups?", k=10)
    assert len(result.hits) == 10
    assert [h.rank for h in result.hits] == list(range(1, 11))
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)
    data = result.to_dict()
    assert {"query", "filters_used", "notices", "hits"} <= set(data)
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    for hit, item in zip(result.hits, data["hits"], strict=True):
        assert set(HIT_FIELDS) <= set(item)
        assert hit.text and hit.source and hit.title and hit.section and hit.chunk_id
        assert hit.force == HERTS and hit.year in (2014, 2015)
        assert hit.dense_score is not None
        section = real_searcher.section(hit.section_id)
        assert section is not None and section["source"] == hit.source
        assert section["text"][hit.start:hit.end] == hit.highlight  # the chunk that ranked, in its passage
        assert hit.text in real_searcher.store.report_text(hit.source)


def test_an_alias_in_the_question_becomes_a_force_filter(real_searcher) -> None:
    result = real_searcher.search("How do Herts police deal with missing children?", k=5)
    assert result.filters_used["forces"] == [HERTS]
    assert result.understood["forces"] == [HERTS]
    assert len(result.hits) == 5 and {h.force for h in result.hits} == {HERTS}
    # the vulnerability section answers it though its chunks say 'missing and absent children'
    assert any(h.theme == "vulnerability" for h in result.hits[:3])


def test_a_year_in_the_question_is_a_preference(real_searcher) -> None:
    result = real_searcher.search("According to the 2014 letter, what are the two ways Hertfordshire records "
                                  "crime?", k=10)
    assert result.filters_used["prefer_years"] == [2014]
    assert "years" not in result.filters_used  # a preference, not a filter: other years may follow
    assert result.hits[0].year == 2014


def test_a_force_that_is_not_indexed_returns_no_hits_and_says_what_is_covered(real_searcher) -> None:
    result = real_searcher.search("Did HMIC's 2014 Core business letter to Essex Police say officers attend every "
                                  "burglary?", k=10)
    assert result.out_of_scope and result.hits == ()
    assert result.understood["forces"] == ["Essex Police"]
    notice = " ".join(result.notices)
    assert "Essex Police" in notice and HERTS in notice


def test_one_unknown_force_beside_a_known_one_searches_the_known_one(real_searcher) -> None:
    result = real_searcher.search("How do Essex Police and Hertfordshire Constabulary tackle burglary?", k=5)
    assert not result.out_of_scope
    assert result.filters_used["forces"] == [HERTS]
    assert any("Essex Police" in n for n in result.notices)
    assert {h.force for h in result.hits} == {HERTS}


def test_a_very_long_query_is_searched(real_searcher) -> None:
    query = ("How does Hertfordshire protect children who go missing from home? " * 1600)[:100_000]
    assert len(query) == 100_000
    result = real_searcher.search(query, k=5)
    assert len(result.hits) == 5
    assert len(result.query) <= Settings().retrieval.max_query_chars
    assert any(h.theme == "vulnerability" for h in result.hits)


@pytest.mark.parametrize("query", [
    "كيف تتعامل الشرطة مع الأطفال المفقودين؟",
    "警方如何处理失踪儿童？",
    "Как полиция Hertfordshire защищает уязвимых людей?",
    "🚓 missing children 🚸",
    "\u200b\u00a0missing\u3000children\u00ad",
])
def test_queries_in_any_script_work(real_searcher, query: str) -> None:
    result = real_searcher.search(query, k=5)
    assert len(result.hits) == 5
    assert all(h.text for h in result.hits)
    json.dumps(result.to_dict(), ensure_ascii=False)


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_an_empty_query_is_an_error(real_searcher, query: str) -> None:
    with pytest.raises(QueryError, match="empty"):
        real_searcher.search(query)


@pytest.mark.parametrize("k", [0, -1, 2.5, "3"])
def test_k_below_one_or_not_a_whole_number_is_an_error(real_searcher, k) -> None:
    with pytest.raises(QueryError, match="k must be"):
        real_searcher.search("missing children", k=k)


def test_a_filtered_real_search_keeps_to_the_filter(real_searcher) -> None:
    result = real_searcher.search("How well does the force respond to the public?", k=8,
                                  filters={"year": 2014})
    # Passages of the short 2014 letter hold several of its chunks each, so fewer than 8 may come back.
    assert result.hits and {h.year for h in result.hits} == {2014} and {h.year for h in result.chunks} == {2014}
    assert len(result.chunks) == 8 or sum(len(h.rows) for h in result.hits) == len(result.chunks)
    assert result.filters_used == {"years": [2014, 2014]}


def test_search_is_deterministic(real_searcher) -> None:
    first = real_searcher.search("How is bail for more than 56 days authorised?", k=10)
    second = real_searcher.search("How is bail for more than 56 days authorised?", k=10)
    assert [h.chunk_id for h in first.hits] == [h.chunk_id for h in second.hits]


# --- the question bank's dev split over the evaluation corpus -------------------------------------
# Floors a little under the figures measured on dev (docs/retrieval.md: hit@1, hit@5, MRR@10 overall
# and for long reports and short publications), so a change that makes the ranking worse fails here.
# The test split is never read.
# Dev of 362 questions (2026-12-04): overall 0.748 / 0.959 / 0.842, long 0.775 / 0.944 / 0.850, short
# 0.740 / 0.973 / 0.842.
BANK_FLOORS = {"overall": (0.73, 0.94, 0.82), "long": (0.74, 0.91, 0.82), "short": (0.72, 0.95, 0.82)}


@pytest.fixture(scope="session")
def bank_dev_report(bank_searcher) -> dict:
    from eval.bank import load_split
    from eval.retrieval_eval import K, materials, ranks_of, report

    questions = load_split("dev")
    ranks = ranks_of(lambda q: [(h.source, h.text) for h in bank_searcher.search(q, k=K).hits], questions)
    return report(ranks, questions, materials())


@pytest.mark.parametrize("group", list(BANK_FLOORS))
def test_bank_dev_split_meets_its_retrieval_floor(bank_dev_report: dict, group: str) -> None:
    figures = bank_dev_report["overall"] if group == "overall" else bank_dev_report["by_material"][group]
    assert figures["n"] >= (150 if group == "overall" else 50)
    for measure, floor in zip(("hit@1", "hit@5", "mrr@10"), BANK_FLOORS[group], strict=True):
        assert figures[measure]["value"] >= floor, f"{group} {measure}: {figures[measure]} under {floor}"


def test_bank_passages_quote_their_report_and_highlight_the_ranked_chunk(bank_searcher) -> None:
    result = bank_searcher.search("How accurately do forces record the crimes reported to them?", k=10)
    assert len(result.hits) == 10  # no force named: the whole corpus has room for ten passages
    limit = bank_searcher.settings.retrieval.passage_chars
    for hit in result.hits:
        assert hit.text in bank_searcher.store.report_text(hit.source)
        assert bank_searcher.section(hit.section_id)["text"][hit.start:hit.end] == hit.highlight
        assert len(hit.text) <= limit or len(hit.rows) == 1
    shown = [row for hit in result.hits for row in hit.rows]
    assert len(shown) == len(set(shown))
