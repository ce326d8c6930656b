"""What adding a report to an existing index costs beyond reading it: what is synced to disk and
what is encoded. Builds use the keyword encoder and a copy of the bundled reports."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
from conftest import LETTER, REPORTS, KeywordEmbedder, RecordingEmbedder

from ingest.chunk import units_of
from search.index.build import build_index
from search.index.dense import quantize_unit
from search.index.embedding import BackgroundEmbedding
from search.index.layout import generation_dir, read_manifest
from search.index.store import ChunkStore


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    shutil.copy(LETTER, folder / LETTER.name)
    return folder


def _add_other_report(folder: Path) -> None:
    other = next(p for p in sorted(REPORTS.iterdir()) if p.name != LETTER.name)
    shutil.copy(other, folder / other.name)


def test_publishing_syncs_new_files_and_every_folder_but_not_linked_files(tmp_path: Path, monkeypatch) -> None:
    corpus, index_dir = _corpus(tmp_path), tmp_path / "index"
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    kept = read_manifest(index_dir)["segments"][0]["name"]
    _add_other_report(corpus)
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    manifest = read_manifest(index_dir)
    staged = next(Path(p) for p in synced if Path(p).name.startswith(".tmp-gen-")).as_posix()
    relative = {Path(p).relative_to(staged).as_posix() for p in synced if p.startswith(staged + "/")}
    new = [s["name"] for s in manifest["segments"] if s["name"] != kept]
    assert kept in {s["name"] for s in manifest["segments"]} and new
    live = generation_dir(index_dir, manifest)
    files = {p.relative_to(live).as_posix(): p for p in live.rglob("*") if p.is_file() and p.name != "manifest.json"}
    linked = {name for name in files if name.startswith(f"{kept}/")}
    assert linked and not linked & relative, "files linked from the live generation are synced again"
    written = {name for name in files if name.split("/")[0] in new}
    assert written and written <= relative, "a file the build wrote is not synced"
    folders = {p.relative_to(live).as_posix() for p in live.rglob("*") if p.is_dir()}
    assert folders <= relative and staged in synced, "a folder of the new generation is not synced"


# ------------------------------------------------------------------ sentences the index already holds

_ESSEX = """PEEL: Police effectiveness 2016

An inspection of Essex Police

November 2016

How well does the force protect vulnerable people?

The force has a good understanding of the demand for its services. It analyses calls for service every week and moves officers to where they are needed.

About the data. We collected data from every force through a standard return in the spring of 2016. Figures are rounded to the nearest whole number.
"""
_KENT = """PEEL: Police effectiveness 2017

An inspection of Kent Police

November 2017

How well does the force protect vulnerable people?

Neighbourhood teams in Kent work closely with schools and councils to keep young people safe.

About the data. We collected data from every force through a standard return in the spring of 2016. FIGURES ARE ROUNDED TO THE NEAREST WHOLE NUMBER.
"""
SHARED = ("We collected data from every force through a standard return in the spring of 2016.",)
CASE_ONLY = "FIGURES ARE ROUNDED TO THE NEAREST WHOLE NUMBER."


def _stored(index_dir: Path, source: str) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(sentence text -> stored int8 row, chunk embed text -> stored float32 row) of one report."""
    manifest = read_manifest(index_dir)
    info = manifest["reports"][source]
    folder = generation_dir(index_dir, manifest) / info["segment"]
    store = ChunkStore.open(folder / "chunks.sqlite")
    sentences, vectors = np.load(folder / "sentences.npy"), np.load(folder / "vectors.npy")
    by_sentence, by_chunk = {}, {}
    for record in store.chunks(range(*info["rows"])):
        by_chunk[record["embed_text"]] = vectors[record["row"]].tobytes()
        units = {(s, e): u for s, e, u in units_of(record["text"], record["embed_text"], record["is_table"])}
        for sid, start, end in store.sentence_spans(record["row"]):
            by_sentence[units[(start, end)]] = sentences[sid].tobytes()
    store.close()
    return by_sentence, by_chunk


def _two_reports(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "essex_2016.txt").write_text(_ESSEX, encoding="utf-8")
    return folder, tmp_path / "index"


def test_an_added_report_takes_the_stored_rows_of_sentences_the_index_holds_word_for_word(tmp_path: Path) -> None:
    corpus, index_dir = _two_reports(tmp_path)
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    (corpus / "kent_2017.txt").write_text(_KENT, encoding="utf-8")
    embedder = RecordingEmbedder()
    build_index([corpus], index_dir, embedder=embedder)
    for text in SHARED:
        assert text not in embedder.texts, "a sentence the index holds word for word was encoded again"
    assert CASE_ONLY in embedder.texts, "a sentence that differs in case took another sentence's vector"
    # the same bytes as an index of the new report alone
    alone_corpus, alone = tmp_path / "alone", tmp_path / "alone-index"
    alone_corpus.mkdir()
    (alone_corpus / "kent_2017.txt").write_text(_KENT, encoding="utf-8")
    build_index([alone_corpus], alone, embedder=KeywordEmbedder())
    assert _stored(index_dir, "kent_2017.txt") == _stored(alone, "kent_2017.txt")


def test_a_chunk_never_takes_a_stored_sentence_row() -> None:
    encoder = KeywordEmbedder()
    background = BackgroundEmbedding(encoder)
    text = "The force has a good understanding of demand."
    row = quantize_unit(encoder.encode([text]))
    background.known([text], row.astype(np.float32), sentence_rows=True)
    background.submit([text])
    assert np.array_equal(background.vectors([text], exact=True), encoder.encode([text]))


def test_vectors_read_from_files_that_fail_their_checks_are_encoded_again(tmp_path: Path) -> None:
    corpus, index_dir = _two_reports(tmp_path)
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    manifest = read_manifest(index_dir)
    path = generation_dir(index_dir, manifest) / manifest["segments"][0]["name"] / "sentences.npy"
    np.save(path, -np.load(path))  # every row still looks stored, none is right
    (corpus / "kent_2017.txt").write_text(_KENT, encoding="utf-8")
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    fresh = tmp_path / "fresh-index"
    build_index([corpus], fresh, embedder=KeywordEmbedder())
    for source in ("essex_2016.txt", "kent_2017.txt"):
        assert _stored(index_dir, source) == _stored(fresh, source)


def test_sentences_are_found_in_merged_segments_too(tmp_path: Path) -> None:
    corpus, index_dir = _two_reports(tmp_path)
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    (corpus / "kent_2017.txt").write_text(_KENT, encoding="utf-8")
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    result = build_index([], index_dir, embedder=KeywordEmbedder(), optimize=True)
    assert result.merged and result.segments == 1
    (corpus / "surrey_2018.txt").write_text(_KENT.replace("Kent", "Surrey").replace("2017", "2018"), encoding="utf-8")
    embedder = RecordingEmbedder()
    build_index([corpus], index_dir, embedder=embedder)
    assert not set(SHARED) & set(embedder.texts)
    assert "Neighbourhood teams in Surrey work closely with schools and councils to keep young people safe." \
        in embedder.texts
