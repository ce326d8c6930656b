"""Index folders: manifest, incremental updates, compatibility checks, atomic publish and the build lock.

Builds use the keyword encoder and a small corpus: a copy of the bundled 2014 letter and a
short synthetic PEEL efficiency report on Essex Police, so each build takes about a second.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
from conftest import LETTER, KeywordEmbedder, RecordingEmbedder

from ingest.chunk import ChunkingParams, chunk_report, sentence_units
from ingest.pipeline import ingest_path
from search.errors import (
    IndexCorruptError,
    IndexIncompatibleError,
    IndexInputError,
    IndexLockedError,
    IndexMissingError,
)
from search.index import publish
from search.index.build import build_index
from search.index.expansion import SegmentVocabulary
from search.index.layout import MANIFEST, generation_dir, read_manifest
from search.index.lexical import LexicalSegment
from search.index.publish import index_lock
from search.retrieve.searcher import Searcher

ESSEX = "essex_2016.txt"
ESSEX_TEXT = """PEEL: Police efficiency 2016

An inspection of Essex Police

November 2016

How well does the force understand demand?

The force has a good understanding of the demand for its services. It analyses calls for service every week and moves officers to where they are needed.

The force uses volunteers and special constables to support neighbourhood teams during busy periods.

How well does the force use its resources?

The force has reduced its spending on buildings and invested the savings in detective training. Officers told us that new mobile devices save them an hour on each shift.
"""
ESSEX_ADDITION = """
How well is the force planning for the future?

The force has a clear plan to recruit more detectives by 2018, and it has agreed a shared fleet of patrol cars with Kent Police.
"""


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    shutil.copy(LETTER, folder / LETTER.name)
    (folder / ESSEX).write_text(ESSEX_TEXT, encoding="utf-8")
    return folder


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


def passage_texts(path: Path) -> list[str]:
    """What a build embeds for one file's passages: each chunk's text with its context prefix,
    then each sentence (or table row) of each chunk. (A build also encodes finding texts and new
    vocabulary words; those are not passages.)"""
    chunks = chunk_report(ingest_path(path))
    return [c.embed_text for c in chunks] + [text for c in chunks for _s, _e, text in sentence_units(c)]


def units(path: Path) -> tuple[int, int]:
    """(chunks, sentence units) the pipeline makes of one file."""
    chunks = chunk_report(ingest_path(path))
    return len(chunks), sum(len(sentence_units(c)) for c in chunks)


def once(texts: Iterable[str]) -> Counter[str]:
    """Each distinct text once: a build encodes a text met twice (a sentence two overlapping
    chunks share, a repeated heading) once."""
    return Counter(dict.fromkeys(texts, 1))


def encoded_passages(embedder: RecordingEmbedder, *paths: Path) -> Counter[str]:
    """The passage texts of ``paths`` that ``embedder`` encoded, with multiplicity."""
    wanted = {t for path in paths for t in passage_texts(path)}
    return Counter(t for t in embedder.texts if t in wanted)


def live_dir(index_dir: Path) -> Path:
    return generation_dir(index_dir, read_manifest(index_dir))


def segment_dirs(index_dir: Path) -> list[Path]:
    """The segment folders of the live generation, in its order."""
    return [live_dir(index_dir) / s["name"] for s in read_manifest(index_dir)["segments"]]


def vectors_by_chunk(index_dir: Path) -> dict[str, np.ndarray]:
    searcher = Searcher.load(index_dir, embedder=KeywordEmbedder())
    records = searcher.store.all_chunks()
    vectors = searcher.snapshot.dense.vectors([r["row"] for r in records])
    return {r["chunk_id"]: v for r, v in zip(records, vectors, strict=True)}


def sentence_vectors_by_chunk(index_dir: Path) -> dict[str, list[tuple[int, int, bytes]]]:
    searcher = Searcher.load(index_dir, embedder=KeywordEmbedder())
    sentences = searcher.snapshot.sentences
    return {r["chunk_id"]: [(s, e, sentences[[sid]][0].tobytes())
                            for sid, s, e in searcher.store.sentence_spans(r["row"])]
            for r in searcher.store.all_chunks()}


def generations(index_dir: Path) -> set[str]:
    return {p.name for p in index_dir.iterdir() if p.is_dir() and p.name.startswith("gen-")}


def leftovers(index_dir: Path) -> list[str]:
    return [p.name for p in index_dir.iterdir() if p.name.startswith(".tmp-") or p.name.startswith(".manifest")]


# ---------------------------------------------------------------- manifest


def test_manifest_says_how_the_index_was_built(corpus: Path, index_dir: Path) -> None:
    embedder = RecordingEmbedder()
    result = build_index([corpus], index_dir, embedder=embedder)
    manifest = read_manifest(index_dir)

    assert result.published and manifest["generation"] == result.generation
    assert manifest["model"]["name"] == embedder.name
    assert manifest["model"]["fingerprint"] == embedder.fingerprint
    assert manifest["model"]["backend"] == embedder.backend
    assert manifest["model"]["dim"] == embedder.dim == 384
    assert manifest["chunking"] == ChunkingParams().to_dict()
    assert manifest["index_type"] == "flat"
    for package in ("python", "sentence-transformers", "torch", "faiss-cpu", "bm25s", "numpy"):
        assert manifest["versions"].get(package), package

    expected = {path.name: (hashlib.sha256(path.read_bytes()).hexdigest(), units(path))
                for path in sorted(corpus.iterdir())}
    assert set(manifest["reports"]) == set(expected)
    for source, (digest, (n_chunks, _n_sentences)) in expected.items():
        info = manifest["reports"][source]
        assert info["content_hash"] == digest
        assert info["chunks"] == n_chunks
    assert manifest["reports"][ESSEX]["force"] == "Essex Police" and manifest["reports"][ESSEX]["year"] == 2016
    n_chunks = sum(c for _digest, (c, _s) in expected.values())
    n_sentences = sum(s for _digest, (_c, s) in expected.values())
    assert manifest["counts"]["reports"] == 2
    assert manifest["counts"]["chunks"] == n_chunks == result.total_chunks == result.embedded_chunks
    assert manifest["counts"]["sentences"] == n_sentences == result.embedded_sentences
    files = sorted(corpus.iterdir())
    assert encoded_passages(embedder, *files) == once(t for path in files for t in passage_texts(path))

    folder = live_dir(index_dir)
    assert json.loads((folder / MANIFEST).read_text(encoding="utf-8")) == manifest
    [segment] = segment_dirs(index_dir)  # a first build writes one segment
    assert np.load(segment / "vectors.npy").shape == (n_chunks, 384)
    assert np.load(segment / "sentences.npy").shape == (n_sentences, 384)
    searcher = Searcher.load(index_dir, embedder=KeywordEmbedder())
    assert searcher.store.size == searcher.snapshot.dense.size == searcher.snapshot.lexical.size == n_chunks
    assert [r["row"] for r in searcher.store.all_chunks()] == list(range(n_chunks))
    assert leftovers(index_dir) == []


# ---------------------------------------------------------------- incremental


def test_unchanged_rerun_embeds_nothing_and_publishes_nothing(corpus: Path, index_dir: Path) -> None:
    first = build_index([corpus], index_dir, embedder=KeywordEmbedder())
    before = generations(index_dir)
    again = KeywordEmbedder()
    result = build_index([corpus], index_dir, embedder=again)
    assert again.texts_encoded == 0 and again.calls == 0
    assert not result.published
    assert result.generation == first.generation == read_manifest(index_dir)["generation"]
    assert generations(index_dir) == before
    assert {f.status for f in result.files} == {"unchanged"}
    assert result.embedded_chunks == 0 and result.total_chunks == first.total_chunks


def test_changed_file_reembeds_only_its_own_chunks(corpus: Path, index_dir: Path) -> None:
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    old_vectors = vectors_by_chunk(index_dir)
    old_sentences = sentence_vectors_by_chunk(index_dir)
    letter_ids = {r["chunk_id"] for r in Searcher.load(index_dir, embedder=KeywordEmbedder()).store.all_chunks()
                  if r["source"] == LETTER.name}
    assert letter_ids

    before = set(passage_texts(corpus / ESSEX))
    with (corpus / ESSEX).open("a", encoding="utf-8") as handle:
        handle.write(ESSEX_ADDITION)
    n_chunks, n_sentences = units(corpus / ESSEX)
    embedder = RecordingEmbedder()
    result = build_index([corpus], index_dir, embedder=embedder)

    assert result.published
    # of the Essex report, only the passages its previous version did not have are encoded (the
    # others keep their stored vectors), and nothing of the letter's
    changed = once(t for t in passage_texts(corpus / ESSEX) if t not in before)
    assert changed and encoded_passages(embedder, corpus / ESSEX) == changed
    assert not encoded_passages(embedder, corpus / LETTER.name)
    assert (result.embedded_chunks, result.embedded_sentences) == (n_chunks, n_sentences)
    assert {f.source: f.status for f in result.files} == {LETTER.name: "unchanged", ESSEX: "updated"}
    new_vectors = vectors_by_chunk(index_dir)
    new_sentences = sentence_vectors_by_chunk(index_dir)
    searcher = Searcher.load(index_dir, embedder=KeywordEmbedder())
    assert {r["chunk_id"] for r in searcher.store.all_chunks() if r["source"] == LETTER.name} == letter_ids
    for chunk_id in letter_ids:
        np.testing.assert_array_equal(new_vectors[chunk_id], old_vectors[chunk_id])
        assert new_sentences[chunk_id] == old_sentences[chunk_id]
    # the rows still line up: every chunk's stored vector is its own text's
    fresh = KeywordEmbedder()
    for record in searcher.store.all_chunks():
        np.testing.assert_allclose(new_vectors[record["chunk_id"]], fresh.encode([record["embed_text"]])[0],
                                   atol=1e-6)
    hits = searcher.search("shared fleet of patrol cars", k=3, use_understanding=False).hits
    assert "shared fleet of patrol cars" in hits[0].text
    assert read_manifest(index_dir)["reports"][ESSEX]["content_hash"] == hashlib.sha256(
        (corpus / ESSEX).read_bytes()).hexdigest()


def test_removed_file_is_dropped(corpus: Path, index_dir: Path) -> None:
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    (corpus / ESSEX).unlink()
    embedder = KeywordEmbedder()
    result = build_index([corpus], index_dir, embedder=embedder)
    assert result.published and result.removed == [ESSEX]
    assert embedder.texts_encoded == 0
    manifest = read_manifest(index_dir)
    assert set(manifest["reports"]) == {LETTER.name}
    searcher = Searcher.load(index_dir, embedder=KeywordEmbedder())
    assert {r["source"] for r in searcher.store.all_chunks()} == {LETTER.name}
    assert searcher.coverage()["forces"] == ["Hertfordshire Constabulary"]
    assert searcher.search("What did HMIC find about Essex Police?", k=3).out_of_scope


def test_keep_existing_keeps_reports_not_under_the_paths(corpus: Path, index_dir: Path) -> None:
    build_index([corpus / LETTER.name], index_dir, embedder=KeywordEmbedder())
    embedder = RecordingEmbedder()
    added = build_index([corpus / ESSEX], index_dir, embedder=embedder, keep_existing=True)
    assert added.published
    assert encoded_passages(embedder, corpus / ESSEX) == once(passage_texts(corpus / ESSEX))
    assert not encoded_passages(embedder, corpus / LETTER.name)  # the kept report is not embedded again
    assert {f.source: f.status for f in added.files} == {ESSEX: "added", LETTER.name: "kept"}
    assert set(read_manifest(index_dir)["reports"]) == {LETTER.name, ESSEX}

    # without --add a report given by name elsewhere is kept too: only --prune removes it
    again = build_index([corpus / ESSEX], index_dir, embedder=KeywordEmbedder())
    assert not again.removed and not again.published
    assert set(read_manifest(index_dir)["reports"]) == {LETTER.name, ESSEX}
    replaced = build_index([corpus / ESSEX], index_dir, embedder=KeywordEmbedder(), prune=True)
    assert replaced.removed == [LETTER.name]
    assert set(read_manifest(index_dir)["reports"]) == {ESSEX}


def test_a_changed_file_that_no_longer_reads_keeps_its_indexed_version(corpus: Path, index_dir: Path) -> None:
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    (corpus / ESSEX).write_bytes(b"")
    result = build_index([corpus], index_dir, embedder=KeywordEmbedder())
    [error] = result.errors
    assert error.source == ESSEX and "empty" in (error.error or "")
    assert set(read_manifest(index_dir)["reports"]) == {LETTER.name, ESSEX}


def test_bad_and_missing_files_do_not_stop_the_others(corpus: Path, index_dir: Path) -> None:
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a PDF")
    result = build_index([corpus], index_dir, embedder=KeywordEmbedder())
    statuses = {f.source: f.status for f in result.files}
    assert statuses == {LETTER.name: "added", ESSEX: "added", "broken.pdf": "error"}
    assert all(f.error for f in result.errors)
    assert set(read_manifest(index_dir)["reports"]) == {LETTER.name, ESSEX}
    # a path that does not exist is a mistake in the command, not a file to skip: nothing is built
    with pytest.raises(IndexInputError, match=r"nowhere\.txt does not exist"):
        build_index([corpus, corpus / "nowhere.txt"], index_dir, embedder=KeywordEmbedder(), rebuild=True)
    assert read_manifest(index_dir)["generation"] == result.generation


def test_rebuild_embeds_everything_again(corpus: Path, index_dir: Path) -> None:
    first = build_index([corpus], index_dir, embedder=KeywordEmbedder())
    embedder = RecordingEmbedder()
    result = build_index([corpus], index_dir, embedder=embedder, rebuild=True)
    assert result.published and result.generation != first.generation
    files = sorted(corpus.iterdir())
    assert encoded_passages(embedder, *files) == once(t for path in files for t in passage_texts(path))
    assert (result.embedded_chunks, result.embedded_sentences) == (first.embedded_chunks, first.embedded_sentences)


# ---------------------------------------------------------------- compatibility


class OtherModel(RecordingEmbedder):
    name = "test/other-model"
    fingerprint = "other-weights"


class OtherBackend(KeywordEmbedder):
    backend = "onnx"


@pytest.fixture
def built(corpus: Path, index_dir: Path) -> Path:
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    return index_dir


@pytest.mark.parametrize(
    ("embedder", "params"),
    [
        (OtherModel(), None),
        (type("NewWeights", (KeywordEmbedder,), {"fingerprint": "keyword-hash-v2"})(), None),
        (KeywordEmbedder(), ChunkingParams(chunk_tokens=128)),
        (KeywordEmbedder(), ChunkingParams(overlap_tokens=0)),
    ],
)
def test_loading_with_another_model_or_chunking_refuses_and_says_rebuild(built: Path, embedder, params) -> None:
    with pytest.raises(IndexIncompatibleError) as info:
        Searcher.load(built, embedder=embedder, params=params)
    message = str(info.value)
    assert "rebuild" in message and "inspectqa index" in message and str(built) in message


def test_loading_with_another_backend_says_which_backend(built: Path) -> None:
    with pytest.raises(IndexIncompatibleError, match="INSPECTQA_BACKEND=test"):
        Searcher.load(built, embedder=OtherBackend())


def test_another_schema_refuses(built: Path) -> None:
    path = built / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**manifest, "schema": 999}), encoding="utf-8")
    with pytest.raises(IndexIncompatibleError, match="rebuild"):
        Searcher.load(built, embedder=KeywordEmbedder())


def test_building_with_another_model_reembeds_everything(built: Path, corpus: Path) -> None:
    embedder = OtherModel()
    result = build_index([corpus], built, embedder=embedder)
    assert result.published
    files = sorted(corpus.iterdir())
    assert encoded_passages(embedder, *files) == once(t for path in files for t in passage_texts(path))
    assert read_manifest(built)["model"]["name"] == OtherModel.name
    Searcher.load(built, embedder=OtherModel())  # now compatible with the new model


def test_missing_index_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="inspectqa index"):
        Searcher.load(tmp_path / "nothing-here", embedder=KeywordEmbedder())


def test_unreadable_manifest_is_reported_as_corrupt(built: Path) -> None:
    (built / MANIFEST).write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="--rebuild"):
        Searcher.load(built, embedder=KeywordEmbedder())


def test_damaged_generation_is_reported_as_corrupt(built: Path) -> None:
    (segment_dirs(built)[0] / "vectors.npy").write_bytes(b"truncated")
    with pytest.raises(IndexCorruptError, match="rebuild"):
        Searcher.load(built, embedder=KeywordEmbedder())


# ---------------------------------------------------------------- atomic publish


def _boom(*_args, **_kwargs):
    raise RuntimeError("injected failure mid-build")


def _interrupt(*_args, **_kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("target", "failure", "error"),
    [
        ((LexicalSegment, "build"), _boom, RuntimeError),
        ((SegmentVocabulary, "build"), _interrupt, KeyboardInterrupt),
        ((publish, "fsync_tree"), _boom, RuntimeError),
    ],
)
def test_an_interrupted_build_leaves_the_old_index_usable(built: Path, corpus: Path, monkeypatch, target,
                                                           failure, error) -> None:
    before = read_manifest(built)
    gens = generations(built)
    old_hits = [h.chunk_id for h in Searcher.load(built, embedder=KeywordEmbedder()).search(
        "demand for its services", k=5, use_understanding=False).hits]

    with (corpus / ESSEX).open("a", encoding="utf-8") as handle:
        handle.write(ESSEX_ADDITION)
    with monkeypatch.context() as patch:
        patch.setattr(*target, failure)
        with pytest.raises(error):
            build_index([corpus], built, embedder=KeywordEmbedder())

    assert read_manifest(built) == before
    assert generations(built) == gens
    assert leftovers(built) == []
    searcher = Searcher.load(built, embedder=KeywordEmbedder())
    assert searcher.generation == before["generation"]
    assert [h.chunk_id for h in searcher.search("demand for its services", k=5, use_understanding=False).hits] \
        == old_hits
    # the next build (nothing injected) brings the update in
    result = build_index([corpus], built, embedder=KeywordEmbedder())
    assert result.published and result.generation != before["generation"]
    assert {f.source: f.status for f in result.files}[ESSEX] == "updated"


def test_half_written_build_from_a_killed_process_is_ignored_and_cleaned(built: Path, corpus: Path) -> None:
    stale = built / ".tmp-gen-20000101T000000-dead00"
    stale.mkdir()
    (stale / "vectors.npy").write_bytes(b"half")
    Searcher.load(built, embedder=KeywordEmbedder())  # the live index does not see it
    (corpus / ESSEX).write_text(ESSEX_TEXT + ESSEX_ADDITION, encoding="utf-8")
    build_index([corpus], built, embedder=KeywordEmbedder())
    assert leftovers(built) == []


def test_old_generations_are_pruned_to_two(built: Path, corpus: Path) -> None:
    for n in range(3):
        (corpus / ESSEX).write_text(ESSEX_TEXT + f"\nThe force made change number {n} this year.\n", encoding="utf-8")
        build_index([corpus], built, embedder=KeywordEmbedder())
    assert len(generations(built)) == 2
    assert read_manifest(built)["generation"] in generations(built)


# ---------------------------------------------------------------- the build lock


def test_a_second_build_while_the_lock_is_held_is_refused(corpus: Path, index_dir: Path) -> None:
    with index_lock(index_dir), pytest.raises(IndexLockedError) as info:
        build_index([corpus], index_dir, embedder=KeywordEmbedder())
    assert "--wait" in str(info.value)
    assert not (index_dir / MANIFEST).exists()
    # released: the build goes ahead
    assert build_index([corpus], index_dir, embedder=KeywordEmbedder()).published


def test_a_build_with_wait_seconds_waits_for_the_lock(corpus: Path, index_dir: Path) -> None:
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with index_lock(index_dir):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(30)
        with pytest.raises(IndexLockedError):
            build_index([corpus], index_dir, embedder=KeywordEmbedder())
        timer = threading.Timer(0.5, release.set)
        timer.start()
        result = build_index([corpus], index_dir, embedder=KeywordEmbedder(), wait_seconds=60)
        assert release.is_set()  # it could only get the lock after the holder let go
        assert result.published
    finally:
        release.set()
        thread.join(30)
