"""The side-by-side harness of benchmarks/peers: bank, scoring, table and the InspectQA adapter.

The Haystack peer itself runs only in its own venv (`make peers`); the tests that need it are
slow and skip, with the reason, when that venv is absent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.peers import compare
from benchmarks.peers.bank import (
    BankError,
    discover_documents,
    document_chars,
    load_questions,
    material_of,
    parse_question,
    question_material,
)
from benchmarks.peers.scoring import (
    ScoringError,
    SystemRun,
    markdown_section,
    measure_rows,
    measures,
    replace_section,
    score_systems,
    system_ranks,
    to_json,
)
from tests.conftest import DEV_QUESTIONS, LETTER, PEEL_2015, REPORTS, ROOT

PEER_PYTHON = ROOT / "benchmarks" / "peers" / ".venv" / "bin" / "python"
needs_peer = pytest.mark.skipif(not PEER_PYTHON.exists(), reason="the Haystack peer's venv is absent: run `make peers`")


def write_lines(path: Path, items: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(item) for item in items) + "\n", encoding="utf-8")
    return path


# --- the bank ----------------------------------------------------------------------------
def test_gold_names_its_file_inline_or_through_doc() -> None:
    q = parse_question({"id": "q1", "question": "?", "doc": "a.txt",
                        "gold": ["plain gold", "b.html::gold in b"], "kind": "fact"}, "dev")
    assert q.golds == (("a.txt", "plain gold"), ("b.html", "gold in b"))
    assert q.answerable and q.split == "dev" and q.files == ("a.txt", "b.html") and q.scope == "cross_document"


def test_a_gold_without_a_file_is_refused_with_the_fix() -> None:
    with pytest.raises(BankError, match="FILE::text"):
        parse_question({"id": "q1", "question": "?", "doc": "both", "gold": ["no file named"]}, "dev")


def test_unanswerable_questions_are_marked_whatever_the_field() -> None:
    assert not parse_question({"id": "u", "question": "?", "gold": [], "kind": "unanswerable"}, "dev").answerable
    assert not parse_question({"id": "u", "question": "?", "gold": ["a.txt::x"], "unanswerable": True}, "d").answerable
    q = parse_question({"id": "s", "question": "?", "gold": ["a.txt::x"], "split": "test", "scope": "cross_force"}, "d")
    assert q.answerable and q.split == "test" and q.scope == "cross_force"


def test_split_defaults_to_the_file_name_and_ids_must_be_unique(tmp_path: Path) -> None:
    dev = write_lines(tmp_path / "dev_questions.jsonl", [{"id": "1", "question": "a?", "gold": ["f.txt::x"]}])
    other = write_lines(tmp_path / "extra.jsonl", [{"id": "2", "question": "b?", "gold": ["f.txt::y"]}])
    assert [(q.id, q.split) for q in load_questions([dev, other])] == [("1", "dev"), ("2", "extra")]
    clash = write_lines(tmp_path / "clash.jsonl", [{"id": "1", "question": "c?", "gold": ["f.txt::z"]}])
    with pytest.raises(BankError, match="own id"):
        load_questions([dev, clash])
    (tmp_path / "bad.jsonl").write_text('{"id": "3", "question": "x?"}\nnot json\n', encoding="utf-8")
    with pytest.raises(BankError, match=r"bad\.jsonl, line 2"):
        load_questions([tmp_path / "bad.jsonl"])


def test_documents_are_found_recursively_and_names_must_be_unique(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("text", encoding="utf-8")
    (tmp_path / "a" / "y.html").write_text("<p>page</p>", encoding="utf-8")
    (tmp_path / "a" / "notes.md").write_text("not a document", encoding="utf-8")
    (tmp_path / "a" / ".hidden.txt").write_text("hidden", encoding="utf-8")
    assert [f.name for f in discover_documents([tmp_path / "a"])] == ["x.txt", "y.html"]
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.txt").write_text("another", encoding="utf-8")
    with pytest.raises(BankError, match=r"two documents are named x\.txt"):
        discover_documents([tmp_path / "a", tmp_path / "b"])
    with pytest.raises(BankError, match="no such file"):
        discover_documents([tmp_path / "missing"])


def test_material_counts_text_not_markup(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text("<html><head><style>body{color:red}</style><script>var x = 1;</script></head>"
                    "<body><p>Ten chars.</p>  <p>More</p></body></html>", encoding="utf-8")
    assert document_chars(page) == len("Ten chars. More")
    materials = material_of([LETTER, PEEL_2015])
    assert materials == {LETTER.name: "short", PEEL_2015.name: "long"}  # 7,700 and 81,000 characters
    both = parse_question({"id": "x", "question": "?", "gold": [f"{LETTER.name}::a", f"{PEEL_2015.name}::b"]}, "d")
    assert question_material(both, materials) == "mixed"
    one = parse_question({"id": "y", "question": "?", "gold": [f"reports/{PEEL_2015.name}::b"]}, "d")
    assert question_material(one, materials) == "long"
    assert question_material(parse_question({"id": "z", "question": "?", "gold": ["gone.txt::c"]}, "d"),
                             materials) == "unknown"


# --- scoring and the table -----------------------------------------------------------------
GOLD_A = "the constabulary will issue a personalised letter to every prisoner"
GOLD_B = "officers understand the vulnerability of victims of domestic abuse"


@pytest.fixture
def bank() -> list:
    return [
        parse_question({"id": "q1", "question": "letters?", "gold": [f"a.txt::{GOLD_A}"], "split": "dev"}, "x"),
        parse_question({"id": "q2", "question": "abuse?", "gold": [f"b.txt::{GOLD_B}"], "split": "test"}, "x"),
        parse_question({"id": "q3", "question": "nothing?", "gold": [], "kind": "unanswerable"}, "x"),
    ]


def run_of(name: str, results: dict) -> SystemRun:
    return SystemRun(name, "test", results, build_s=1.5, chunks=10, latency_ms={"p50": 2.0, "p95": 3.0, "mean": 2.1})


def test_ranks_use_the_rule_and_skip_unanswerable_questions(bank) -> None:
    run = run_of("s", {"q1": [("b.txt", GOLD_A), ("a.txt", "x " + GOLD_A[:50] + " y")],
                       "q2": [("b.txt", "nothing like it")] * 12 + [("b.txt", GOLD_B)]})
    assert system_ranks(run, bank) == {"q1": 2, "q2": None}  # q2's gold sits at rank 13, beyond k=10
    with pytest.raises(ScoringError, match="returned nothing for question q2"):
        system_ranks(run_of("s", {"q1": []}), bank)


def test_measures_carry_intervals_around_the_value() -> None:
    block = measures([1, 2, None, 5])
    assert block["n"] == 4
    assert block["hit@1"].value == 0.25 and block["hit@5"].value == 0.75
    assert block["mrr@10"].value == pytest.approx((1 + 0.5 + 0.2) / 4)
    for name in ("hit@1", "hit@5", "mrr@10"):
        assert block[name].low < block[name].value < block[name].high


def test_scores_per_split_and_material(bank) -> None:
    good = run_of("good", {"q1": [("a.txt", GOLD_A)], "q2": [("b.txt", GOLD_B)]})
    poor = run_of("poor", {"q1": [("a.txt", "no")], "q2": [("x.txt", "no"), ("b.txt", GOLD_B)]})
    scored = score_systems([good, poor], bank, {"a.txt": "long", "b.txt": "short"})
    assert scored["good"]["overall"]["hit@1"].value == 1.0
    assert scored["poor"]["ranks"] == {"q1": None, "q2": 2}
    assert scored["poor"]["by_split"]["test"]["mrr@10"].value == 0.5
    assert scored["poor"]["by_material"]["long"]["hit@5"].value == 0.0
    assert set(scored["poor"]["by_material"]) == {"long", "short"}
    assert json.loads(json.dumps(to_json(scored)))["good"]["overall"]["hit@1"]["value"] == 1.0


def test_table_bolds_the_best_of_each_column_and_keeps_the_rest_of_the_file(bank) -> None:
    good = run_of("good", {"q1": [("a.txt", GOLD_A)], "q2": [("b.txt", "no"), ("b.txt", GOLD_B)]})
    other = run_of("other", {"q1": [("a.txt", "no")], "q2": [("b.txt", GOLD_B)]})
    scored = score_systems([good, other], bank, {"a.txt": "long", "b.txt": "short"})
    rows = measure_rows(["good", "other"], {n: scored[n]["overall"] for n in ("good", "other")})
    assert rows[0].startswith("| good | **0.500") and "| **1.000" in rows[0]  # hit@1 0.5 ties, hit@5 1.0 best
    assert rows[1].startswith("| other | **0.500") and "| 0.500 [" in rows[1]  # hit@5 0.5 not best
    meta = {"run_at": "now", "machine": "m", "command": "c", "documents": 2, "materials": {"long": 1, "short": 1},
            "long_chars": 20000, "questions": 2, "k": 10, "versions": {"Haystack peer": {"haystack-ai": "2.31.0"}, "InspectQA": {"commit": "abc1234"}}}
    section = markdown_section([good, other], scored, meta)
    assert "| good |" in section and "1.5 s" in section and "2.0 / 3.0 ms" in section
    assert "Versions: Haystack peer: haystack-ai 2.31.0; InspectQA: commit abc1234." in section
    assert "**By split: dev** (1 questions)" in section and "**By material: short** (1 questions)" in section
    document = "# Benchmarks\n\nkeep me\n\n<!-- bench:peers -->\nSTALE TABLE\n<!-- /bench:peers -->\n\ntail stays\n"
    updated = replace_section(document, section)
    assert "keep me" in updated and "tail stays" in updated and "STALE TABLE" not in updated and section in updated
    assert replace_section(updated, "newer").count("<!-- bench:peers -->") == 1
    assert replace_section("# B\n", "x").endswith("<!-- bench:peers -->\nx\n<!-- /bench:peers -->\n")


# --- the adapters (fast: keyword encoder, no peer) ------------------------------------------
def test_inspectqa_and_naive_adapters_return_ranked_passages_for_every_question(tmp_path: Path, fake_embedder) -> None:
    questions = [q for q in load_questions([DEV_QUESTIONS]) if q.answerable][:8]
    files = discover_documents([REPORTS])
    ours = compare.inspectqa_system(files, tmp_path, questions, fake_embedder, k=10)
    naive = compare.naive_system(files, questions, fake_embedder, k=10)
    for run in (ours, naive):
        assert set(run.results) == {q.id for q in questions}
        assert all(0 < len(ranked) <= 10 for ranked in run.results.values())
        assert {file for ranked in run.results.values() for file, _ in ranked} <= {f.name for f in files}
        assert run.chunks and run.chunks > 0 and run.build_s is not None and run.latency_ms["p50"] > 0
    scored = score_systems([ours, naive], questions, material_of(files))
    assert scored[ours.name]["overall"]["n"] == len(questions)
    assert any(rank is not None for rank in scored[ours.name]["ranks"].values())


def test_a_missing_peer_venv_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(compare.PeerMissingError, match="make peers"):
        compare.peer_systems([LETTER], [], tmp_path, 10, tmp_path / "no-venv" / "bin" / "python")


# --- the real peer (slow: its own venv, real encoder) ---------------------------------------
@pytest.mark.slow
@needs_peer
def test_haystack_peer_runs_six_documented_configurations(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "letter.txt").write_text("The force runs a scheme called Project Lighthouse for young people at risk. "
                                     * 3, encoding="utf-8")
    (docs / "page.html").write_text("<html><body><h1>Custody</h1><p>Detainees in custody are seen by a nurse "
                                    "within the hour.</p></body></html>", encoding="utf-8")
    (tmp_path / "q.json").write_text(json.dumps([{"id": "a", "question": "What is Project Lighthouse?"},
                                                 {"id": "b", "question": "Who sees detainees in custody?"}]))
    out = tmp_path / "out.json"
    done = subprocess.run([str(PEER_PYTHON), str(ROOT / "benchmarks" / "peers" / "haystack_peer.py"), "--docs",
                           str(docs), "--questions", str(tmp_path / "q.json"), "--out", str(out)],
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["versions"]["haystack-ai"].startswith("2.") and result["threads"] == 1
    assert set(result["configs"]) == {f"{s} {r}" for s in ("200/0", "512/32") for r in ("bm25", "dense", "hybrid")}
    for config in result["configs"].values():
        assert config["chunks"] == 2  # each short document is one split
        assert config["results"]["a"][0][0] == "letter.txt"
        assert config["results"]["b"][0][0] == "page.html"
        assert "nurse" in config["results"]["b"][0][1]  # the HTML was converted to its text


@pytest.mark.slow
@needs_peer
def test_compare_writes_the_section_and_the_json(tmp_path: Path) -> None:
    questions = [json.loads(line) for line in DEV_QUESTIONS.read_text().splitlines() if line.strip()]
    letter_questions = [q for q in questions if q.get("doc") == LETTER.name][:3]
    bank = write_lines(tmp_path / "dev_questions.jsonl", letter_questions)
    markdown = tmp_path / "BENCHMARKS.md"
    markdown.write_text("# Benchmarks\n\nother sections stay\n", encoding="utf-8")
    out = tmp_path / "peers.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "peers" / "compare.py"), "--docs", str(LETTER),
                           "--questions", str(bank), "--markdown", str(markdown), "--json", str(out),
                           "--splits", "512/32"], capture_output=True, text=True, timeout=1200, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    text = markdown.read_text()
    assert "other sections stay" in text and "## Side by side with a Haystack peer" in text
    assert "InspectQA (default index and search)" in text and "BM25 only, 512/32-word splits" in text
    report = json.loads(out.read_text())
    assert len(report["systems"]) == 5  # InspectQA, naive, three Haystack rows
    for system in report["systems"].values():
        assert system["overall"]["n"] == 3 and set(system["ranks"]) == {q["id"] for q in letter_questions}
