"""The ``inspectqa`` command line, run in-process with ``search.cli.main``.

Fast tests swap the encoder the CLI loads for the keyword encoder and point ``--index-dir`` at
the fake index; the slow ones use the real encoder and index, and one runs ``python -m search``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DEV_QUESTIONS, LETTER, REPORTS, ROOT, KeywordEmbedder

from search import cli

HIT_KEYS = {"rank", "score", "text", "source", "title", "force", "year", "report_type", "section", "question",
            "theme", "judgment", "page", "start", "end", "chunk_id", "url", "highlight"}
CITATION_KEYS = {"n", "quote", "source", "title", "force", "year", "year_to", "section", "page", "start", "end",
                 "chunk_id", "url"}
ANSWER_KEYS = {"question", "answer", "abstained", "reason", "citations"}
INGEST_KEYS = {"source", "force", "year", "published", "report_type", "title", "sections", "footnotes", "error"}
SECTION_KEYS = {"heading", "path", "kind", "question", "theme", "judgment", "page", "chunks"}
HERTS = "Hertfordshire Constabulary"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of one command; argparse's own exits count as statuses."""
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def assert_one_line_error(err: str, *words: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("inspectqa: ") and "Traceback" not in err
    for word in words:
        assert word in lines[0]


@pytest.fixture
def keyword_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the CLI load the keyword encoder instead of the bundled model."""
    monkeypatch.setattr("search.retrieve.searcher.default_embedder", KeywordEmbedder)
    monkeypatch.setattr("search.embed.default_embedder", KeywordEmbedder)
    for name in ("INSPECTQA_LLM_URL", "INSPECTQA_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def idx(fake_index: Path, keyword_encoder: None) -> str:
    return str(fake_index)


# ---------------------------------------------------------------- ingest


def test_ingest_json_prints_one_object_per_report(capsys) -> None:
    code, out, _err = run(capsys, "ingest", str(REPORTS), "--json")
    assert code == 0
    items = json_lines(out)
    assert sorted(i["source"] for i in items) == sorted(p.name for p in REPORTS.iterdir())
    for item in items:
        assert set(item) >= INGEST_KEYS
        assert item["error"] is None and item["force"] == HERTS and item["year"] in (2014, 2015)
        assert item["sections"] and all(set(s) >= SECTION_KEYS for s in item["sections"])
        assert sum(s["chunks"] for s in item["sections"]) > 0


def test_ingest_text_summary(capsys) -> None:
    code, out, _err = run(capsys, "ingest", str(LETTER))
    assert code == 0
    assert "Core business" in out and "1 report(s) ingested, 0 failed" in out


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(LETTER, folder / LETTER.name)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really a PDF")
    return folder


def test_a_bad_file_among_good_ones_is_an_error_line_and_exit_0(capsys, mixed: Path) -> None:
    code, out, err = run(capsys, "ingest", str(mixed))
    assert code == 0
    assert_one_line_error(err, "broken.pdf")
    assert "1 report(s) ingested, 1 failed" in out

    code, out, _err = run(capsys, "ingest", str(mixed), "--json")
    assert code == 0
    by_source = {i["source"]: i for i in json_lines(out)}
    assert by_source[LETTER.name]["error"] is None
    assert by_source["broken.pdf"]["error"] and "broken.pdf" in by_source["broken.pdf"]["error"]
    assert set(by_source["broken.pdf"]) >= INGEST_KEYS


def test_strict_ingest_fails_on_any_bad_file(capsys, mixed: Path) -> None:
    code, _out, _err = run(capsys, "ingest", str(mixed), "--strict")
    assert code == 1


def test_only_bad_files_exit_1(capsys, mixed: Path) -> None:
    code, _out, err = run(capsys, "ingest", str(mixed / "broken.pdf"))
    assert code == 1 and "broken.pdf" in err
    code, _out, err = run(capsys, "ingest", str(mixed / "no-such-file.txt"))
    assert code == 1 and "no-such-file.txt" in err


# ---------------------------------------------------------------- index and status


def test_index_json_summary_then_up_to_date(capsys, keyword_encoder, tmp_path: Path, mixed: Path) -> None:
    index_dir = str(tmp_path / "index")
    code, out, _err = run(capsys, "index", str(mixed), "--index-dir", index_dir, "--json")
    assert code == 0
    [summary] = json_lines(out)
    assert summary["published"] is True and summary["reports"] == 1 and summary["chunks"] > 0
    statuses = {f["source"]: f["status"] for f in summary["files"]}
    assert statuses == {LETTER.name: "added", "broken.pdf": "error"}

    code, out, _err = run(capsys, "index", str(mixed), "--index-dir", index_dir, "--json")
    assert code == 0
    [again] = json_lines(out)
    assert again["published"] is False and again["embedded_chunks"] == 0
    assert again["generation"] == summary["generation"]

    code, _out, _err = run(capsys, "index", str(mixed), "--index-dir", index_dir, "--strict")
    assert code == 1


def test_index_of_only_bad_files_exits_1(capsys, keyword_encoder, tmp_path: Path, mixed: Path) -> None:
    code, _out, err = run(capsys, "index", str(mixed / "broken.pdf"), "--index-dir", str(tmp_path / "i"))
    assert code == 1 and "no report could be indexed" in err


def test_status(capsys, idx: str) -> None:
    code, out, _err = run(capsys, "status", "--index-dir", idx)
    assert code == 0
    assert "2 report(s)" in out and KeywordEmbedder.name in out and LETTER.name in out
    code, out, _err = run(capsys, "status", "--index-dir", idx, "--json")
    assert code == 0
    [manifest] = json_lines(out)
    assert manifest["counts"]["reports"] == 2 and manifest["model"]["name"] == KeywordEmbedder.name


@pytest.mark.parametrize("command", [["search", "missing children"], ["ask", "missing children"], ["status"],
                                     ["eval", str(DEV_QUESTIONS)]])
def test_missing_index_is_one_line_naming_inspectqa_index(capsys, keyword_encoder, tmp_path: Path,
                                                          command: list[str]) -> None:
    code, out, err = run(capsys, *command, "--index-dir", str(tmp_path / "none"))
    assert code == 1 and out == ""
    assert_one_line_error(err, "inspectqa index")


# ---------------------------------------------------------------- usage errors


@pytest.mark.parametrize("argv", [
    ["search", ""],
    ["search", "   "],
    ["ask", "\t"],
    ["search", "missing children", "--k", "0"],
    ["ask", "missing children", "--k", "-3"],
    ["search", "missing children", "--force", "Gotham City Police"],
    ["search", "missing children", "--theme", "astrology"],
    ["ask", "missing children", "--report-type", "novel"],
    ["search", "missing children", "--judgment", "Excellent"],
    ["search", "missing children", "--years", "recently"],
    ["search"],
    ["ask"],
])
def test_usage_errors_exit_2_with_one_line(capsys, idx: str, argv: list[str]) -> None:
    code, out, err = run(capsys, *argv, "--index-dir", idx)
    assert code == 2 and out == ""
    assert_one_line_error(err)


def test_year_and_years_together_is_a_usage_error(capsys, idx: str) -> None:
    code, out, err = run(capsys, "search", "missing children", "--year", "2014", "--years", "2014-2016",
                         "--index-dir", idx)
    assert code == 2 and out == ""
    assert "--year" in err and "Traceback" not in err


def test_no_command_prints_help_and_exits_2(capsys) -> None:
    code, out, _err = run(capsys)
    assert code == 2 and "search" in out and "ask" in out


# ---------------------------------------------------------------- search


def test_search_json_shape(capsys, idx: str) -> None:
    code, out, _err = run(capsys, "search", "How do Herts police find missing children?", "--k", "4", "--json",
                          "--index-dir", idx)
    assert code == 0
    [data] = json_lines(out)
    assert {"query", "filters_used", "hits"} <= set(data) and "id" not in data
    assert data["filters_used"]["forces"] == [HERTS]
    assert len(data["hits"]) == 4
    for n, hit in enumerate(data["hits"], start=1):
        assert set(hit) == HIT_KEYS
        assert hit["rank"] == n and hit["force"] == HERTS
        start, end = hit["highlight"]  # the chunk that ranked, inside the passage
        assert 0 <= start < end <= len(hit["text"]) and end - start == hit["end"] - hit["start"]


def test_search_filters_from_the_command_line(capsys, idx: str) -> None:
    code, out, _err = run(capsys, "search", "crime prevention", "--year", "2014", "--force", "Herts", "--k", "20",
                          "--json", "--index-dir", idx)
    assert code == 0
    [data] = json_lines(out)
    assert data["filters_used"] == {"forces": [HERTS], "years": [2014, 2014]}
    assert data["hits"] and {h["year"] for h in data["hits"]} == {2014}


def test_search_text_output(capsys, idx: str) -> None:
    code, out, _err = run(capsys, "search", "How do Herts police find missing children?", "--k", "3",
                          "--index-dir", idx)
    assert code == 0
    assert f"searching {HERTS}" in out
    ranks = [line.split(".")[0] for line in out.splitlines() if re.match(r"\d+\. \[", line)]
    assert ranks == ["1", "2", "3"]


def test_search_out_of_scope_notice(capsys, idx: str) -> None:
    code, out, _err = run(capsys, "search", "What did HMIC say about Essex Police?", "--json", "--index-dir", idx)
    assert code == 0
    [data] = json_lines(out)
    assert data["hits"] == [] and any("Essex Police" in n for n in data["notices"])


@pytest.fixture
def queries(tmp_path: Path) -> Path:
    path = tmp_path / "queries.jsonl"
    lines = [
        {"id": "q1", "question": "How do Herts police find missing children?"},
        {"id": "q2", "question": "What did the letter say about crime prevention?", "filters": {"year": 2014}},
        {"id": "q3", "question": "missing children", "filters": {"theme": "astrology"}},
        {"question": "Who authorises bail beyond 56 days?"},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n", encoding="utf-8")
    return path


def test_search_batch_json(capsys, idx: str, queries: Path) -> None:
    code, out, _err = run(capsys, "search", "--queries", str(queries), "--k", "3", "--json", "--index-dir", idx)
    assert code == 0
    items = json_lines(out)
    assert [i["id"] for i in items] == ["q1", "q2", "q3", "4"]  # a missing id is the line number
    q1, q2, q3, q4 = items
    for item in (q1, q2, q4):
        assert {"id", "query", "filters_used", "hits"} <= set(item)
        assert len(item["hits"]) == 3 and all(set(h) == HIT_KEYS for h in item["hits"])
    assert q1["filters_used"]["forces"] == [HERTS]
    assert q2["filters_used"] == {"years": [2014, 2014]} and {h["year"] for h in q2["hits"]} == {2014}
    assert "astrology" in q3["error"] and q3["hits"] == []


def test_search_batch_where_every_line_fails_exits_1(capsys, idx: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "x", "question": "   "}) + "\n", encoding="utf-8")
    code, out, _err = run(capsys, "search", "--queries", str(path), "--json", "--index-dir", idx)
    assert code == 1
    [item] = json_lines(out)
    assert item["id"] == "x" and "empty" in item["error"]


@pytest.mark.parametrize("content", ['{"id": 1}', "not json", "[1, 2]", '"a question"'])
def test_search_batch_with_a_malformed_line_answers_the_others(capsys, idx: str, tmp_path: Path,
                                                               content: str) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(content + "\n" + json.dumps({"id": "ok", "question": "missing children"}) + "\n",
                    encoding="utf-8")
    code, out, err = run(capsys, "search", "--queries", str(path), "--json", "--index-dir", idx)
    assert code == 0 and not err.strip()
    bad, good = json_lines(out)
    assert "line 1" in bad["error"] and bad["hits"] == []
    assert good["id"] == "ok" and good["hits"]
    path.write_text(content + "\n", encoding="utf-8")  # nothing answerable: the batch failed
    code, out, _err = run(capsys, "search", "--queries", str(path), "--json", "--index-dir", idx)
    assert code == 1 and "line 1" in json_lines(out)[0]["error"]


def test_search_batch_file_missing_is_a_usage_error(capsys, idx: str, tmp_path: Path) -> None:
    code, _out, err = run(capsys, "search", "--queries", str(tmp_path / "nope.jsonl"), "--index-dir", idx)
    assert code == 2
    assert_one_line_error(err, "nope.jsonl")


# ---------------------------------------------------------------- ask


def check_answer_json(data: dict) -> None:
    assert set(data) >= ANSWER_KEYS
    assert isinstance(data["abstained"], bool)
    if data["abstained"]:
        assert data["reason"] and data["citations"] == []
        return
    assert data["reason"] is None and data["citations"]
    for n, citation in enumerate(data["citations"], start=1):
        assert set(citation) == CITATION_KEYS
        assert citation["n"] == n and f"[{n}]" in data["answer"]
        assert citation["quote"] and citation["start"] < citation["end"]


def test_ask_json_shape(capsys, idx: str) -> None:
    code, out, _err = run(capsys, "ask", "How many sexual offence prevention orders did Hertfordshire issue?",
                          "--json", "--index-dir", idx)
    assert code == 0
    [data] = json_lines(out)
    assert "id" not in data
    check_answer_json(data)
    assert not data["abstained"]


def test_ask_text_output_shows_quotes(capsys, idx: str) -> None:
    code, out, _err = run(capsys, "ask", "How many sexual offence prevention orders did Hertfordshire issue?",
                          "--index-dir", idx)
    assert code == 0
    assert "[1] " in out and '"' in out and "chars " in out


def test_ask_abstains_for_a_force_that_is_not_indexed(capsys, idx: str) -> None:
    code, out, _err = run(capsys, "ask", "What did HMIC say about Essex Police?", "--json", "--index-dir", idx)
    assert code == 0
    [data] = json_lines(out)
    check_answer_json(data)
    assert data["abstained"] and "Essex Police" in data["reason"] and HERTS in data["answer"]


def test_ask_batch_json(capsys, idx: str, queries: Path) -> None:
    code, out, _err = run(capsys, "ask", "--queries", str(queries), "--json", "--index-dir", idx)
    assert code == 0
    items = json_lines(out)
    assert [i["id"] for i in items] == ["q1", "q2", "q3", "4"]
    for item in items:
        check_answer_json(item)
    assert items[0]["question"] == "How do Herts police find missing children?"
    assert items[2]["abstained"] and "astrology" in items[2]["reason"] and items[2]["answer"] is None
    assert all(c["year"] == 2014 for c in items[1]["citations"])


# ---------------------------------------------------------------- eval


def test_eval_json_keys(capsys, idx: str) -> None:
    code, out, _err = run(capsys, "eval", str(DEV_QUESTIONS), "--json", "--answers", "--index-dir", idx)
    assert code == 0
    [report] = json_lines(out)
    assert report["questions"] == sum(1 for line in DEV_QUESTIONS.read_text().splitlines() if line.strip())
    assert report["k"] == 10
    retrieval = report["retrieval"]
    assert {"without_filters", "with_filters", "ranks"} <= set(retrieval)
    for name in ("without_filters", "with_filters"):
        overall = retrieval[name]["overall"]
        assert {"n", "hit@1", "hit@5", "mrr@10"} <= set(overall)
        assert 0 <= overall["hit@1"] <= overall["hit@5"] <= 1 and 0 <= overall["mrr@10"] <= 1
        assert {"fact", "number", "paraphrase"} <= set(retrieval[name]["by_kind"])
    answers = report["answers"]
    assert {"citation_recall", "abstention_on_unanswerable", "wrong_abstention", "quote_recall"} <= set(answers)


def test_eval_text_output(capsys, idx: str) -> None:
    code, out, _err = run(capsys, "eval", str(DEV_QUESTIONS), "--index-dir", idx)
    assert code == 0
    assert "hit@5" in out and "mrr@10" in out and "overall" in out


def test_eval_with_a_bad_questions_file_is_a_usage_error(capsys, idx: str, tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "no id"}\n', encoding="utf-8")
    code, _out, err = run(capsys, "eval", str(path), "--index-dir", idx)
    assert code == 2
    assert_one_line_error(err, "line 1")


def test_eval_outside_a_checkout_says_how_to_run_it(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "eval.run", None)  # as when the package is installed without eval/
    code, out, err = run(capsys, "eval", str(DEV_QUESTIONS))
    assert code == 2 and out == ""
    assert_one_line_error(err, "python -m eval.run")


# ---------------------------------------------------------------- real encoder (slow)


@pytest.mark.slow
def test_python_m_search_help() -> None:
    done = subprocess.run([sys.executable, "-m", "search", "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0
    for command in ("ingest", "index", "search", "ask", "eval", "status"):
        assert command in done.stdout


@pytest.mark.slow
def test_search_and_ask_with_the_real_encoder(capsys, real_index: Path, real_searcher, monkeypatch) -> None:
    monkeypatch.setattr("search.retrieve.searcher.default_embedder", lambda: real_searcher.embedder)
    code, out, _err = run(capsys, "search", "Who has to sign off bail for more than 56 days in Hertfordshire?",
                          "--json", "--k", "5", "--index-dir", str(real_index))
    assert code == 0
    [data] = json_lines(out)
    assert len(data["hits"]) == 5 and all(set(h) == HIT_KEYS for h in data["hits"])
    assert data["filters_used"]["forces"] == [HERTS]

    code, out, _err = run(capsys, "ask", "What is a distraction burglary?", "--json", "--index-dir", str(real_index))
    assert code == 0
    [answer] = json_lines(out)
    check_answer_json(answer)
    assert not answer["abstained"]


@pytest.mark.slow
def test_cli_loads_the_bundled_encoder_by_itself(real_index: Path) -> None:
    """No swapped encoder: the installed command line as a user runs it, in a separate process."""
    done = subprocess.run(
        [sys.executable, "-m", "search", "search", "missing children", "--k", "2", "--json", "--index-dir",
         str(real_index)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    [data] = json_lines(done.stdout)
    assert len(data["hits"]) == 2


def test_an_answer_s_citation_names_the_report_s_period_and_no_missing_force(capsys, keyword_encoder,
                                                                             tmp_path_factory) -> None:
    from conftest import index_of_pages

    page = ("Everyone's business: improving the police response to domestic abuse\n\nPublished: March 2014\n\n"
            "About this inspection\n\nWe inspected all 43 forces between October and December 2013.\n\n"
            "Findings\n\nFour forces were revisited because of concerns about their service to victims.\n")
    folder = index_of_pages(tmp_path_factory, {"everyones_business.txt": page}, "thematic")
    code, out, _err = run(capsys, "ask", "Which forces were revisited because of concerns?", "--index-dir",
                          str(folder))
    assert code == 0
    line = next(ln for ln in out.splitlines() if ln.startswith("[1] "))
    assert "(2013/14)" in line and "None" not in line
