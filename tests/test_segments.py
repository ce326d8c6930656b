"""Generations built from segments: reuse by reference, tombstones, merges, lexical statistics merged
at query time, and results identical to a build from scratch over the same reports.

Builds use the keyword encoder; the corpus is the bundled 2014 letter and 2015 PEEL report on
Hertfordshire (grades, findings and a trail between them) and short synthetic reports on other
forces that share a template sentence (the repeated-sentence counts)."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import LETTER, PEEL_2015, KeywordEmbedder

from search.answer.router import answer
from search.config import IndexSettings, Settings
from search.findings.api import findings, grades
from search.index.build import build_index
from search.index.layout import read_manifest
from search.index.lexical import LexicalIndex, LexicalSegment, tokenize
from search.retrieve.searcher import Searcher

TEMPLATE = "This inspection was carried out under the inspection programme approved by the Home Secretary."
QUERIES = ["How does the force prevent crime?", "missing children", "use of police time and attendance",
           "neighbourhood policing and patrols", "victims of domestic abuse", "detective training and recruitment",
           "How well does Kent Police understand demand?"]
FILTERS: list[dict[str, Any] | None] = [None, {"year": 2016}, {"force": "Kent"}, {"years": [2014, 2017]}]


def synthetic(force: str, year: int, detail: str) -> str:
    return f"""PEEL: Police effectiveness {year}

An inspection of {force}

November {year}

{TEMPLATE}

How effective is the force at preventing crime and tackling anti-social behaviour?

The force has a good understanding of the demand for its services. {detail}

Neighbourhood teams patrol the busiest areas and work with partners to keep people safe.

How effective is the force at protecting vulnerable people?

The force works with children's services to find missing children quickly. Officers told us that
training on domestic abuse had helped them support victims.
"""


REPORTS = {
    "kent.txt": synthetic("Kent Police", 2016, "Detectives review every burglary within a day."),
    "essex.txt": synthetic("Essex Police", 2017, "The force has invested in detective training."),
    "surrey.txt": synthetic("Surrey Police", 2015, "Response officers attend urgent calls within the hour."),
    "dorset.txt": synthetic("Dorset Police", 2018, "The force uses volunteers to support its neighbourhood teams."),
}


def corpus_with(folder: Path, names: list[str], changed: dict[str, str] | None = None) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name in names:
        if name == LETTER.name:
            shutil.copy(LETTER, folder)
        elif name == PEEL_2015.name:
            shutil.copy(PEEL_2015, folder)
        else:
            (folder / name).write_text((changed or {}).get(name, REPORTS[name]), encoding="utf-8")
    return folder


def everything(index_dir: Path) -> dict[str, Any]:
    """What a user sees of an index: hits with their scores for questions with and without filters,
    answers, the lexical scores, the vocabularies, repeated sentences, words for expansion, grades,
    findings and trails; keyed by chunk ids and texts, never rows."""
    searcher = Searcher.load(index_dir, embedder=KeywordEmbedder())
    snap = searcher.snapshot
    out: dict[str, Any] = {"coverage": snap.coverage(), "vocab": snap.store.vocab}
    for query in QUERIES:
        for filters in FILTERS:
            result = searcher.search(query, k=8, filters=filters)
            out[f"hits {query} {filters}"] = [(h.chunk_id, h.score, h.dense_score, h.lexical_score, h.text)
                                              for h in result.hits]
        reply = answer(searcher, query)
        out[f"answer {query}"] = (reply.text, reply.abstained, [(c.source, c.start, c.end, c.quote)
                                                               for c in reply.citations])
        tokens = snap.lexical.query_tokens(query)
        scores = snap.lexical.scores(tokens)
        records = snap.store.all_chunks()
        out[f"bm25 {query}"] = {r["chunk_id"]: float(scores[r["row"]]) for r in records if scores[r["row"]] > 0}
        out[f"idf {query}"] = snap.lexical.idf(tokens)
    out["repeated"] = {(r["chunk_id"], start): int(snap.store.repeated[sid]) for r in snap.store.all_chunks()
                       for sid, start, _end in snap.store.sentence_spans(r["row"])}
    out["expansion words"] = snap.expander.words if snap.expander else []
    out["reports"] = [{k: v for k, v in r.items() if k != "path"} for r in searcher.reports()]
    out["grades"] = [g.to_dict() for g in grades(searcher)]
    out["findings"] = [item.to_dict() for force in snap.store.vocab["force"] for item in findings(searcher, force=force)]
    return out


def assert_same(got: dict[str, Any], expected: dict[str, Any]) -> None:
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert _close(got[key], value), key


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-6
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def segment_names(index_dir: Path) -> list[str]:
    return [s["name"] for s in read_manifest(index_dir)["segments"]]


def inode(index_dir: Path, segment: str, name: str = "vectors.npy") -> int:
    return (index_dir / read_manifest(index_dir)["generation"] / segment / name).stat().st_ino


# ---------------------------------------------------------------- identical to a build from scratch


def test_an_index_built_a_report_at_a_time_answers_as_one_built_from_scratch(tmp_path: Path) -> None:
    index_dir, corpus = tmp_path / "index", tmp_path / "corpus"
    build_index([corpus_with(corpus, [LETTER.name, "kent.txt", "essex.txt"])], index_dir, embedder=KeywordEmbedder())
    build_index([corpus_with(corpus, [LETTER.name, "kent.txt", "essex.txt", PEEL_2015.name])], index_dir,
                embedder=KeywordEmbedder())
    changed = {"kent.txt": REPORTS["kent.txt"].replace("within a day", "within two days, and patrols at night")}
    build_index([corpus_with(corpus, [LETTER.name, "kent.txt", "essex.txt", PEEL_2015.name], changed)], index_dir,
                embedder=KeywordEmbedder())
    final = [LETTER.name, "kent.txt", PEEL_2015.name, "surrey.txt", "dorset.txt"]
    build_index([corpus_with(corpus, [LETTER.name, "kent.txt", PEEL_2015.name], changed)], index_dir,
                embedder=KeywordEmbedder())  # essex removed: its rows become tombstones
    build_index([corpus_with(corpus, final, changed)], index_dir, embedder=KeywordEmbedder())
    manifest = read_manifest(index_dir)
    assert len(manifest["segments"]) >= 3 and any(s["deleted"] for s in manifest["segments"])

    scratch = tmp_path / "scratch"
    build_index([corpus_with(tmp_path / "corpus2", final, changed)], scratch, embedder=KeywordEmbedder())
    assert len(read_manifest(scratch)["segments"]) == 1
    expected = everything(scratch)
    assert expected["grades"] and expected["findings"] and any(f["trail"] for f in expected["findings"])
    assert max(expected["repeated"].values()) == 2  # the template sentence: in two other reports each
    assert_same(everything(index_dir), expected)

    # merged into one segment, tombstones dropped: still the same
    result = build_index([], index_dir, embedder=KeywordEmbedder(), optimize=True)
    assert result.published and result.embedded_chunks == 0 and len(segment_names(index_dir)) == 1
    assert read_manifest(index_dir)["segments"][0]["deleted"] == 0
    assert_same(everything(index_dir), expected)


# ---------------------------------------------------------------- reuse by reference


def test_adding_a_report_writes_one_segment_and_links_the_others(tmp_path: Path) -> None:
    index_dir, corpus = tmp_path / "index", tmp_path / "corpus"
    build_index([corpus_with(corpus, [LETTER.name, "kent.txt"])], index_dir, embedder=KeywordEmbedder())
    [first] = segment_names(index_dir)
    before = {name: inode(index_dir, first, name) for name in ("vectors.npy", "sentences.npy", "chunks.sqlite",
                                                              "findings.sqlite", "lexical/docs.npy", "vocab.npy")}
    embedder = KeywordEmbedder()
    (corpus / "essex.txt").write_text(REPORTS["essex.txt"], encoding="utf-8")
    result = build_index([corpus], index_dir, embedder=embedder)
    assert result.published and {f.source: f.status for f in result.files}["essex.txt"] == "added"
    names = segment_names(index_dir)
    assert names[0] == first and len(names) == 2
    assert {name: inode(index_dir, first, name) for name in before} == before  # the same files, not copies
    manifest = read_manifest(index_dir)
    assert manifest["reports"]["essex.txt"]["segment"] == names[1]
    assert manifest["reports"]["kent.txt"]["segment"] == first
    old_files = {k: v for k, v in manifest["files"].items() if k.startswith(f"{first}/")}
    assert old_files and all(v["sha256"] for v in old_files.values())
    # only the new report's chunks and sentences were embedded (and its findings and new words)
    assert result.embedded_chunks == len(Searcher.load(index_dir, embedder=KeywordEmbedder()).store.chunks(
        range(manifest["segments"][0]["rows"], manifest["counts"]["rows"])))


def test_removing_a_report_writes_no_segment_and_tombstones_its_rows(tmp_path: Path) -> None:
    index_dir, corpus = tmp_path / "index", tmp_path / "corpus"
    build_index([corpus_with(corpus, [LETTER.name, "kent.txt", "essex.txt"])], index_dir, embedder=KeywordEmbedder())
    [segment] = segment_names(index_dir)
    rows = read_manifest(index_dir)["reports"]["kent.txt"]["rows"]
    (corpus / "kent.txt").unlink()
    embedder = KeywordEmbedder()
    result = build_index([corpus], index_dir, embedder=embedder)
    assert result.removed == ["kent.txt"] and embedder.texts_encoded == 0
    manifest = read_manifest(index_dir)
    assert segment_names(index_dir) == [segment] and manifest["segments"][0]["deleted"] == rows[1] - rows[0]
    searcher = Searcher.load(index_dir, embedder=KeywordEmbedder())
    assert searcher.store.size == manifest["counts"]["rows"] == manifest["counts"]["chunks"] + rows[1] - rows[0]
    assert "Kent Police" not in searcher.coverage()["forces"]
    assert all(not searcher.store.is_live(r) for r in range(*rows))
    for query in QUERIES:
        assert all(h.source != "kent.txt" for h in searcher.search(query, k=20).hits)
    assert searcher.search("Detectives review every burglary within a day", k=3,
                           filters={"force": "Essex"}).hits  # other reports still found


def test_a_long_lived_searcher_reuses_loaded_segments_after_a_publish(tmp_path: Path) -> None:
    index_dir, corpus = tmp_path / "index", tmp_path / "corpus"
    build_index([corpus_with(corpus, [LETTER.name, "kent.txt"])], index_dir, embedder=KeywordEmbedder())
    searcher = Searcher.load(index_dir, embedder=KeywordEmbedder())
    first = searcher.snapshot.segments[0]
    (corpus / "essex.txt").write_text(REPORTS["essex.txt"], encoding="utf-8")
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    assert searcher.search("detective training", k=3).hits[0].source == "essex.txt"  # follows the publish
    assert searcher.snapshot.segments[0] is first  # loaded once, listed by both generations


# ---------------------------------------------------------------- merges


def test_builds_merge_small_segments_within_a_bound(tmp_path: Path) -> None:
    index_dir, corpus = tmp_path / "index", tmp_path / "corpus"
    settings = Settings(index=IndexSettings(max_segments=3, merge_rows=30))
    names = [PEEL_2015.name]
    build_index([corpus_with(corpus, names)], index_dir, embedder=KeywordEmbedder(), settings=settings)
    big = segment_names(index_dir)[0]
    merges = []
    for name in ["kent.txt", "essex.txt", "surrey.txt", "dorset.txt"]:
        names.append(name)
        result = build_index([corpus_with(corpus, names)], index_dir, embedder=KeywordEmbedder(), settings=settings)
        merges.append(result.merged)
        assert len(segment_names(index_dir)) <= 3
    assert any(merges)
    manifest = read_manifest(index_dir)
    assert manifest["segments"][0]["rows"] > 30
    assert big in segment_names(index_dir)  # the PEEL report's segment holds more than merge_rows: never merged
    assert all(s["rows"] - s["deleted"] <= 30 for s in manifest["segments"] if s["name"] != big)
    assert set(manifest["reports"]) == set(names)


def test_a_segment_mostly_tombstones_is_rewritten(tmp_path: Path) -> None:
    index_dir, corpus = tmp_path / "index", tmp_path / "corpus"
    build_index([corpus_with(corpus, ["kent.txt", "essex.txt", "surrey.txt"])], index_dir, embedder=KeywordEmbedder())
    [old] = segment_names(index_dir)
    build_index([corpus_with(corpus, ["kent.txt"])], index_dir, embedder=KeywordEmbedder(), prune=True)
    [new] = segment_names(index_dir)
    assert new != old and read_manifest(index_dir)["segments"][0]["deleted"] == 0


def test_optimize_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    import search.embed
    from search.cli import main

    monkeypatch.setattr(search.embed, "default_embedder", KeywordEmbedder)
    index_dir, corpus = tmp_path / "index", tmp_path / "corpus"
    build_index([corpus_with(corpus, [LETTER.name, "kent.txt"])], index_dir, embedder=KeywordEmbedder())
    build_index([corpus_with(corpus, [LETTER.name, "kent.txt", "essex.txt"])], index_dir, embedder=KeywordEmbedder())
    assert len(segment_names(index_dir)) == 2
    assert main(["index", "--optimize", "--index-dir", str(index_dir)]) == 0
    assert "2 segments merged" in capsys.readouterr().out
    assert len(segment_names(index_dir)) == 1
    assert main(["index", "--optimize", "--index-dir", str(index_dir)]) == 0
    assert "already up to date" in capsys.readouterr().out


# ---------------------------------------------------------------- lexical statistics


def _docs() -> list[str]:
    texts = [LETTER.read_text(encoding="utf-8"), PEEL_2015.read_text(encoding="utf-8"), *REPORTS.values()]
    return [para for text in texts for para in text.split("\n\n") if para.strip()]


def test_bm25_scores_equal_bm25s_over_one_segment() -> None:
    import bm25s

    from search.index.lexical import K1, B

    tokens = tokenize(_docs())
    reference = bm25s.BM25(method="lucene", k1=K1, b=B)
    reference.index(tokens, show_progress=False)
    ours = LexicalIndex([LexicalSegment.from_tokens(tokens)])
    for query in QUERIES:
        query_tokens = ours.query_tokens(query)
        assert query_tokens
        np.testing.assert_array_equal(ours.scores(query_tokens), reference.get_scores(query_tokens))


def test_bm25_over_segments_with_tombstones_equals_one_index_of_the_live_rows() -> None:
    tokens = tokenize(_docs())
    cuts = [0, 9, 20, len(tokens) - 5, len(tokens)]
    segments = [LexicalSegment.from_tokens(tokens[a:b]) for a, b in itertools.pairwise(cuts)]
    live = np.ones(len(tokens), dtype=bool)
    live[[3, 4, 15, 30]] = False
    split = LexicalIndex(segments, live=live)
    whole = LexicalIndex([LexicalSegment.from_tokens([t for t, keep in zip(tokens, live, strict=True) if keep])])
    for query in QUERIES:
        query_tokens = whole.query_tokens(query)
        assert split.query_tokens(query) == query_tokens
        np.testing.assert_array_equal(split.scores(query_tokens)[live], whole.scores(query_tokens))
        assert split.idf(query_tokens) == whole.idf(query_tokens)
    merged = LexicalSegment.merge([(s, np.flatnonzero(live[a:b])) for s, a, b in
                                   zip(segments, cuts[:-1], cuts[1:], strict=True)])
    again = LexicalIndex([merged])
    for query in QUERIES:
        query_tokens = whole.query_tokens(query)
        np.testing.assert_array_equal(again.scores(query_tokens), whole.scores(query_tokens))
    assert merged.terms == LexicalSegment.from_tokens([t for t, k in zip(tokens, live, strict=True) if k]).terms


# ---------------------------------------------------------------- SIGKILL while segments are written or merged

_KILLABLE = """
import sys, time
from pathlib import Path
sys.path[:0] = [{root!r}, {tests!r}]
from conftest import KeywordEmbedder
import search.index.generation as generation
import search.index.segment as segment
import search.index.lexical as lexical
import search.index.publish as publish
from search.config import IndexSettings, Settings
from search.index.build import build_index

def stop_here(original):
    def wrapped(*args, **kwargs):
        Path({marker!r}).write_text("here")
        time.sleep(60)
        return original(*args, **kwargs)
    return wrapped

point = {point!r}
if point == "writing the new segment":
    lexical.LexicalSegment.save = stop_here(lexical.LexicalSegment.save)
elif point == "merging segments":
    generation.merge_segments = stop_here(generation.merge_segments)
elif point == "linking the segments kept":
    generation.link_segment = stop_here(generation.link_segment)
elif point == "computing trails":
    generation.write_trails = stop_here(generation.write_trails)
elif point == "switching the manifest":
    publish.write_json_atomic = stop_here(publish.write_json_atomic)
build_index([{corpus!r}], {index!r}, embedder=KeywordEmbedder(),
            settings=Settings(index=IndexSettings(max_segments=2, merge_rows=20)))
"""


@pytest.mark.timeout(300)
@pytest.mark.parametrize("point", ["writing the new segment", "merging segments", "linking the segments kept",
                                   "computing trails", "switching the manifest"])
def test_sigkill_while_segments_are_written_or_merged_keeps_the_old_index(tmp_path: Path, point: str) -> None:
    import signal
    import subprocess
    import sys
    import time

    from conftest import ROOT

    index_dir, corpus = tmp_path / "index", tmp_path / "corpus"
    settings = Settings(index=IndexSettings(max_segments=2, merge_rows=20))  # the first segment is kept, linked
    build_index([corpus_with(corpus, [PEEL_2015.name, "kent.txt"])], index_dir, embedder=KeywordEmbedder(),
                settings=settings)
    build_index([corpus_with(corpus, [PEEL_2015.name, "kent.txt", "essex.txt"])], index_dir,
                embedder=KeywordEmbedder(), settings=settings)
    before = read_manifest(index_dir)
    assert before["segments"][0]["rows"] > 20
    expected = everything(index_dir)
    corpus_with(corpus, [PEEL_2015.name, "kent.txt", "essex.txt", "surrey.txt"])  # a third segment: two merged
    marker = tmp_path / "reached"
    script = _KILLABLE.format(root=str(ROOT), tests=str(ROOT / "tests"), marker=str(marker), point=point,
                              corpus=str(corpus), index=str(index_dir))
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert marker.exists(), process.stderr.read() if process.poll() is not None else "never reached"
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
    assert read_manifest(index_dir) == before
    assert_same(everything(index_dir), expected)
    result = build_index([corpus], index_dir, embedder=KeywordEmbedder(), settings=settings)  # the next build
    assert result.published and len(result.merged) == 2 and len(segment_names(index_dir)) == 2
    assert segment_names(index_dir)[0] == before["segments"][0]["name"]
    assert not [p.name for p in index_dir.iterdir() if p.name.startswith(".tmp-")]
    generations = sorted(p.name for p in index_dir.iterdir() if p.name.startswith("gen-"))
    assert read_manifest(index_dir)["generation"] == generations[-1] and len(generations) == 2


# ---------------------------------------------------------------- a changed report keeps its vectors


class RecordingEmbedder(KeywordEmbedder):
    """The keyword encoder, keeping every text it is asked to encode."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def encode(self, texts: list[str], **kwargs: Any) -> np.ndarray:
        self.seen.extend(texts)
        return super().encode(texts, **kwargs)


def test_a_changed_report_encodes_only_its_changed_chunks_and_sentences(tmp_path: Path) -> None:
    index_dir, corpus = tmp_path / "index", tmp_path / "corpus"
    build_index([corpus_with(corpus, [PEEL_2015.name, "kent.txt"])], index_dir, embedder=KeywordEmbedder())
    text = PEEL_2015.read_text(encoding="utf-8")
    cut = text.rfind("\n\n", 0, len(text) // 2)
    added = "The force has since appointed a new lead officer for neighbourhood policing in every district."
    (corpus / PEEL_2015.name).write_text(text[:cut] + f"\n\n{added}" + text[cut:], encoding="utf-8")
    recording = RecordingEmbedder()
    result = build_index([corpus], index_dir, embedder=recording)
    assert {f.source: f.status for f in result.files}[PEEL_2015.name] == "updated"

    searcher = Searcher.load(index_dir, embedder=KeywordEmbedder())
    store = searcher.snapshot.store
    chunks = [c for c in store.all_chunks() if c["source"] == PEEL_2015.name]
    seen = set(recording.seen)
    assert added in seen  # the new sentence is encoded
    encoded = [c for c in chunks if c["embed_text"] in seen]
    assert len(chunks) > 20 and 1 <= len(encoded) <= 3, (len(chunks), len(encoded))  # only around the change

    scratch = tmp_path / "scratch"
    build_index([corpus], scratch, embedder=KeywordEmbedder())
    assert_same(everything(index_dir), everything(scratch))


def test_stored_vectors_that_do_not_look_like_unit_vectors_are_not_reused(tmp_path: Path) -> None:
    from search.index.reuse import stored_vectors

    index_dir, corpus = tmp_path / "index", tmp_path / "corpus"
    build_index([corpus_with(corpus, ["kent.txt", "essex.txt"])], index_dir, embedder=KeywordEmbedder())
    manifest = read_manifest(index_dir)
    generation, entry = index_dir / manifest["generation"], manifest["reports"]["kent.txt"]
    texts, vectors = stored_vectors(generation, entry)
    a, b = entry["rows"]
    assert len(texts) == len(vectors) > b - a  # its chunks, then its sentences
    path = generation / entry["segment"] / "vectors.npy"
    damaged = np.load(path) * 3.0
    path.unlink()  # a hard link shared with nothing else here; write a new file in its place
    np.save(path, damaged)
    assert stored_vectors(generation, entry)[0] == []
    assert stored_vectors(generation, {**entry, "segment": "missing"})[0] == []
