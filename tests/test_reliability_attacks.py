"""The fourteen attacks of the adversarial review of the index side, one section each.

Rows 2-4 (hostile documents) and the reading side of rows 5, 10 and 14 are tested where reading is
(tests/test_reliability_limits.py, tests/test_read_limits.py); here each row is tried through
``inspectqa index``, ``status``, ``search``, ``remove`` and ``rollback`` and the Python API, with the
keyword encoder and small corpora. docs/reliability.md lists what each test guarantees.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, KeywordEmbedder

from search.cli import main
from search.errors import (
    IndexCorruptError,
    IndexIntegrityError,
    IndexLockedError,
    ManifestError,
    PruneRequiredError,
)
from search.index import integrity
from search.index.build import build_index
from search.index.layout import MANIFEST, read_manifest
from search.index.publish import index_lock
from search.retrieve.searcher import Searcher

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
FORCES = ["Essex Police", "Kent Police", "Surrey Police", "Dorset Police", "Norfolk Constabulary",
          "Suffolk Constabulary"]


def report_text(force: str, year: int, detail: str) -> str:
    return f"""PEEL: Police effectiveness {year}

An inspection of {force}

November {year}

How effective is the force at preventing crime?

The force has a good understanding of the demand for its services. {detail}

The force works with partners to keep people safe, and neighbourhood teams know their communities well.
"""


def write_corpus(folder: Path, n: int = 4) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"report_{i}.txt"
        path.write_text(report_text(FORCES[i], 2015 + i, f"Officers described a scheme numbered {i}."),
                        encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture
def keyword_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line with the keyword encoder instead of the model."""
    import search.embed
    import search.retrieve.searcher

    monkeypatch.setattr(search.embed, "default_embedder", KeywordEmbedder)
    monkeypatch.setattr(search.retrieve.searcher, "default_embedder", KeywordEmbedder)


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "reports"
    write_corpus(corpus)
    index_dir = tmp_path / "index"
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    return corpus, index_dir


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.startswith("inspectqa: ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# ---------------------------------------------------------------- row 1: a path mistake never empties the index


@pytest.mark.parametrize("mistake", ["missing", "empty folder", "empty file", "typo beside a good path",
                                     "typo beside one good file", "empty text"])
def test_a_path_mistake_is_a_usage_error_and_publishes_nothing(built: tuple[Path, Path], keyword_cli: None,
                                                               capsys: pytest.CaptureFixture[str],
                                                               mistake: str) -> None:
    corpus, index_dir = built
    before = read_manifest(index_dir)
    (corpus.parent / "empty").mkdir()
    (corpus.parent / "empty.txt").write_bytes(b"")
    paths = {"missing": [str(corpus.parent / "reprots")], "empty folder": [str(corpus.parent / "empty")],
             "empty file": [str(corpus.parent / "empty.txt")],
             "typo beside a good path": [str(corpus), str(corpus.parent / "reprots")],
             "typo beside one good file": [str(corpus / "report_0.txt"), str(corpus.parent / "reprots")],
             "empty text": [str(corpus), ""]}[mistake]
    code, _out, err = cli(capsys, "index", *paths, "--index-dir", str(index_dir))
    assert code == 2
    assert "the index is unchanged" in one_line(err)
    assert read_manifest(index_dir) == before
    assert sorted(p.name for p in index_dir.iterdir() if p.name.startswith("gen-")) == [before["generation"]]


def test_a_new_index_from_a_missing_path_creates_nothing(tmp_path: Path, keyword_cli: None,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = cli(capsys, "index", str(tmp_path / "nowhere"), "--index-dir", str(tmp_path / "index"))
    assert code == 2 and "does not exist" in one_line(err)
    assert not (tmp_path / "index").exists()


def test_indexing_one_file_keeps_the_others(built: tuple[Path, Path]) -> None:
    """With one good file and no typo, the other 41 of 42 reports were removed (exit 0)."""
    corpus, index_dir = built
    (corpus / "report_0.txt").write_text(report_text("Essex Police", 2015, "A new paragraph."), encoding="utf-8")
    result = build_index([corpus / "report_0.txt"], index_dir, embedder=KeywordEmbedder())
    assert result.published and not result.removed
    assert len(read_manifest(index_dir)["reports"]) == 4
    assert {f.source: f.status for f in result.files}["report_1.txt"] == "kept"


def test_a_file_gone_from_an_indexed_folder_is_removed_but_not_more_than_half(built: tuple[Path, Path],
                                                                             keyword_cli: None,
                                                                             capsys: pytest.CaptureFixture[str]
                                                                             ) -> None:
    corpus, index_dir = built
    (corpus / "report_3.txt").unlink()
    result = build_index([corpus], index_dir, embedder=KeywordEmbedder())
    assert result.removed == ["report_3.txt"] and len(read_manifest(index_dir)["reports"]) == 3
    for name in ("report_0.txt", "report_1.txt"):
        (corpus / name).unlink()  # two of three: more than half
    before = read_manifest(index_dir)
    with pytest.raises(PruneRequiredError, match="--prune"):
        build_index([corpus], index_dir, embedder=KeywordEmbedder())
    code, _out, err = cli(capsys, "index", str(corpus), "--index-dir", str(index_dir))
    assert code == 2 and "--prune" in one_line(err)
    assert read_manifest(index_dir) == before
    code, _out, _err = cli(capsys, "index", str(corpus), "--index-dir", str(index_dir), "--prune")
    assert code == 0 and set(read_manifest(index_dir)["reports"]) == {"report_2.txt"}


def test_a_build_where_nothing_reads_publishes_nothing(tmp_path: Path, keyword_cli: None,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    code, _out, err = cli(capsys, "index", str(folder), "--index-dir", str(tmp_path / "index"))
    assert code == 1 and "nothing was published" in err
    assert not (tmp_path / "index" / MANIFEST).exists()


def test_remove_and_rollback(built: tuple[Path, Path], keyword_cli: None,
                             capsys: pytest.CaptureFixture[str]) -> None:
    _corpus, index_dir = built
    first = read_manifest(index_dir)["generation"]
    code, out, _err = cli(capsys, "remove", "report_1.txt", "--index-dir", str(index_dir))
    assert code == 0 and "removed report_1.txt" in out
    assert set(read_manifest(index_dir)["reports"]) == {"report_0.txt", "report_2.txt", "report_3.txt"}
    code, _out, err = cli(capsys, "remove", "report_9.txt", "--index-dir", str(index_dir))
    assert code == 2 and "report_9.txt" in one_line(err) and "did you mean" in err
    code, out, _err = cli(capsys, "rollback", "--index-dir", str(index_dir))
    assert code == 0 and first in out
    assert read_manifest(index_dir)["generation"] == first
    assert len(Searcher.load(index_dir, embedder=KeywordEmbedder()).reports()) == 4
    code, _out, err = cli(capsys, "rollback", "--index-dir", str(index_dir))
    assert code == 1 and "nothing to roll back" in one_line(err)


def test_rollback_refuses_a_damaged_previous_generation(built: tuple[Path, Path]) -> None:
    from search.errors import RollbackError
    from search.index.publish import rollback

    corpus, index_dir = built
    first = index_dir / read_manifest(index_dir)["generation"]
    (corpus / "report_0.txt").write_text(report_text("Essex Police", 2015, "Changed."), encoding="utf-8")
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    _scramble(first / "manifest.json")  # the previous generation's own record of its files
    live = read_manifest(index_dir)["generation"]
    with pytest.raises(RollbackError, match="cannot be restored"):
        rollback(index_dir)
    assert read_manifest(index_dir)["generation"] == live


def test_generations_kept_is_a_setting(built: tuple[Path, Path]) -> None:
    from search.config import IndexSettings, Settings

    corpus, index_dir = built
    settings = Settings(index=IndexSettings(keep_generations=3))
    for n in range(4):
        (corpus / "report_0.txt").write_text(report_text("Essex Police", 2015, f"Change {n}."), encoding="utf-8")
        build_index([corpus], index_dir, embedder=KeywordEmbedder(), settings=settings)
    assert len([p for p in index_dir.iterdir() if p.name.startswith("gen-")]) == 3


# ---------------------------------------------------------------- rows 2-4: reading in bounded workers


def test_index_reads_and_chunks_in_the_bounded_worker(built: tuple[Path, Path],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsing and chunking run in the worker process (ingest.pipeline.read_reports), so a
    hostile file costs the worker, never the build (rows 2-4 are tested in test_reliability_limits)."""
    import ingest.chunk
    import ingest.pipeline

    def not_here(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("read or chunked in the build's own process")

    corpus, index_dir = built
    monkeypatch.setattr(ingest.pipeline, "build_report", not_here)
    monkeypatch.setattr(ingest.chunk, "chunk_report", not_here)
    monkeypatch.setattr("search.index.build.chunk_report", not_here, raising=False)
    (corpus / "report_0.txt").write_text(report_text("Essex Police", 2015, "Changed again."), encoding="utf-8")
    result = build_index([corpus], index_dir, embedder=KeywordEmbedder())
    assert result.published and {f.source: f.status for f in result.files}["report_0.txt"] == "updated"


def test_a_limit_breach_while_indexing_costs_one_file(built: tuple[Path, Path],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, index_dir = built
    monkeypatch.setenv("INSPECTQA_MAX_RUN_CHARS", "1000")
    (corpus / "dots.txt").write_text("Report\n\n" + "." * 50_000 + "\n", encoding="utf-8")
    (corpus / "report_0.txt").write_text(report_text("Essex Police", 2015, "One more line."), encoding="utf-8")
    result = build_index([corpus], index_dir, embedder=KeywordEmbedder())
    [error] = result.errors
    assert error.source == "dots.txt" and "INSPECTQA_MAX_RUN_CHARS" in (error.error or "")
    assert {f.source: f.status for f in result.files}["report_0.txt"] == "updated"


# ---------------------------------------------------------------- row 5: FIFOs and devices


@pytest.mark.timeout(60)
def test_a_fifo_given_by_name_beside_a_folder_does_not_hang(built: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, index_dir = built
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.txt"
    zero.symlink_to("/dev/zero")
    result = build_index([corpus, fifo, zero], index_dir, embedder=KeywordEmbedder())
    assert {f.source for f in result.errors} == {"pipe.txt", "zero.txt"}
    assert all("not a regular file" in (f.error or "") for f in result.errors)
    with index_lock(index_dir):  # the build let go of the lock
        pass


# ---------------------------------------------------------------- row 6: checksums


def _scramble(path: Path) -> None:
    """Flip bytes in the middle of a file, keeping its size (a header check cannot see it)."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    for i in range(middle, min(len(data), middle + 64)):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


def _live(index_dir: Path) -> Path:
    return index_dir / read_manifest(index_dir)["generation"]


def _segment(index_dir: Path) -> Path:
    """The first segment of the live generation (a first build writes one)."""
    return _live(index_dir) / read_manifest(index_dir)["segments"][0]["name"]


@pytest.mark.parametrize("name", ["sentences.npy", "lexical/docs.npy", "lexical/freqs.npy", "chunks.sqlite",
                                  "vectors.npy", "findings.npy", "vocab.npy"])
def test_scrambled_data_is_refused_with_the_rebuild_command(built: tuple[Path, Path], name: str) -> None:
    _corpus, index_dir = built
    _scramble(_segment(index_dir) / name)
    integrity.forget()
    with pytest.raises(IndexIntegrityError, match="rebuild") as caught:
        Searcher.load(index_dir, embedder=KeywordEmbedder()).search("demand for its services")
    assert name.split("/")[-1] in str(caught.value) and "--rebuild" in str(caught.value)


def test_a_scrambled_faiss_index_is_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "reports"
    write_corpus(corpus)
    build_index([corpus], tmp_path / "index", embedder=KeywordEmbedder(), index_type="hnsw")
    _scramble(_segment(tmp_path / "index") / "dense.faiss")
    integrity.forget()
    with pytest.raises(IndexIntegrityError, match=r"dense\.faiss"):
        Searcher.load(tmp_path / "index", embedder=KeywordEmbedder())


def test_a_scrambled_file_is_never_copied_into_the_next_generation(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    _scramble(_segment(index_dir) / "vectors.npy")
    (corpus / "report_0.txt").write_text(report_text("Essex Police", 2015, "Changed."), encoding="utf-8")
    integrity.forget()
    result = build_index([corpus], index_dir, embedder=KeywordEmbedder())
    assert result.published and {f.status for f in result.files} == {"added"}  # everything embedded again
    searcher = Searcher.load(index_dir, embedder=KeywordEmbedder())
    records = searcher.store.all_chunks()
    vectors = searcher.snapshot.dense.vectors([r["row"] for r in records])
    for record, vector in zip(records, vectors, strict=True):
        np.testing.assert_allclose(vector, KeywordEmbedder().encode([record["embed_text"]])[0], atol=1e-6)


def test_a_deleted_findings_store_is_an_error_not_missing_grades(built: tuple[Path, Path]) -> None:
    from search.findings.api import grades

    _corpus, index_dir = built
    (_segment(index_dir) / "findings.sqlite").unlink()
    with pytest.raises(IndexCorruptError, match="rebuild"):
        grades(Searcher.load(index_dir, embedder=KeywordEmbedder()))


# ---------------------------------------------------------------- row 7: manifest schema


MANIFEST_DAMAGE = {
    "no created": lambda m: m.pop("created"),
    "model a string": lambda m: m.update(model="all-MiniLM-L6-v2"),
    "model name a number": lambda m: m["model"].update(name=3),
    "counts a list": lambda m: m.update(counts=[1, 2]),
    "chunk count a string": lambda m: m["counts"].update(chunks="12"),
    "reports a list": lambda m: m.update(reports=["a.txt"]),
    "a report a string": lambda m: m["reports"].update({next(iter(m["reports"])): "x"}),
    "a report's chunks a string": lambda m: next(iter(m["reports"].values())).update(chunks="many"),
    "created a number": lambda m: m.update(created=5),
    "no checksums": lambda m: m.pop("files"),
    "a checksum too short": lambda m: next(iter(m["files"].values())).update(sha256="abc"),
}


@pytest.mark.parametrize("damage", list(MANIFEST_DAMAGE))
def test_a_manifest_of_the_wrong_shape_is_one_line_not_a_traceback(built: tuple[Path, Path], keyword_cli: None,
                                                                   capsys: pytest.CaptureFixture[str],
                                                                   damage: str) -> None:
    _corpus, index_dir = built
    path = index_dir / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    MANIFEST_DAMAGE[damage](manifest)
    path.write_text(json.dumps(manifest), encoding="utf-8")
    for command in (["status"], ["search", "crime"], ["grades"]):
        code, _out, err = cli(capsys, *command, "--index-dir", str(index_dir))
        assert code == 1 and "rebuild" in one_line(err), (command, err)
    with pytest.raises(ManifestError):
        Searcher.load(index_dir, embedder=KeywordEmbedder())


# ---------------------------------------------------------------- row 8: a long-lived searcher


def test_a_searcher_follows_two_publishes_and_new_threads_never_see_sqlite_errors(built: tuple[Path, Path]
                                                                                 ) -> None:
    from search.findings.api import grades

    corpus, index_dir = built
    searcher = Searcher.load(index_dir, embedder=KeywordEmbedder())
    first = searcher.generation
    for n in range(2):
        (corpus / "report_0.txt").write_text(report_text("Essex Police", 2015, f"Zebra crossing patrols {n}."),
                                             encoding="utf-8")
        build_index([corpus], index_dir, embedder=KeywordEmbedder())
    assert not (index_dir / first).exists()  # the generation it loaded is gone
    outcome: dict[str, object] = {}

    def search_in_a_new_thread() -> None:
        try:
            outcome["hits"] = searcher.search("zebra crossing patrols", k=3, use_understanding=False).hits
            outcome["grades"] = grades(searcher)
        except (sqlite3.Error, Exception) as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=search_in_a_new_thread)
    thread.start()
    thread.join(60)
    assert "error" not in outcome, outcome.get("error")
    assert "Zebra crossing patrols 1" in outcome["hits"][0].text
    assert searcher.generation == read_manifest(index_dir)["generation"]


def test_a_searcher_whose_generation_is_gone_and_cannot_reload_says_so(built: tuple[Path, Path]) -> None:
    from search.errors import IndexStaleError

    corpus, index_dir = built
    searcher = Searcher.load(index_dir, embedder=KeywordEmbedder())
    first = index_dir / searcher.generation
    (corpus / "report_0.txt").write_text(report_text("Essex Police", 2015, "Changed."), encoding="utf-8")
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    shutil.rmtree(first)
    for segment in read_manifest(index_dir)["segments"]:
        _scramble(_live(index_dir) / segment["name"] / "chunks.sqlite")
    integrity.forget()
    with pytest.raises(IndexStaleError, match="reload"):
        searcher.search("demand")


# ---------------------------------------------------------------- row 9: bad filters in a batch


def test_bad_filters_in_a_batch_cost_their_line_only(built: tuple[Path, Path], keyword_cli: None, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _corpus, index_dir = built
    lines = ['{"id": "a", "question": "crime", "filters": {"force": 123}}',
             '{"id": "b", "question": "crime", "filters": {"years": {"a": 1}}}',
             '{"id": "c", "question": "crime", "filters": {"year": 1e400}}',
             '{"id": "d", "question": "crime", "filters": {"forces": [null, 5]}}',
             '{"id": "ok", "question": "demand for its services"}']
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for command in ("search", "ask"):
        code, out, err = cli(capsys, command, "--queries", str(path), "--json", "--index-dir", str(index_dir))
        assert code == 0 and "Traceback" not in err, err
        items = [json.loads(line) for line in out.splitlines()]
        assert [i["id"] for i in items] == ["a", "b", "c", "d", "ok"]
        for item in items[:3]:
            assert "cannot be read" in (item.get("error") or item.get("reason") or ""), item
        assert "unknown force" in (items[3].get("error") or items[3].get("reason") or "")
        assert items[4].get("hits") or items[4].get("citations") or items[4].get("answer")


# ---------------------------------------------------------------- row 10: control characters in names

ODD_NAME = "report \x1b[2J\x1b]0;owned\x07 new\nline.txt"


def test_file_names_are_printed_escaped_by_index_and_status(tmp_path: Path, keyword_cli: None,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "c"
    write_corpus(corpus, 2)
    (corpus / ODD_NAME).write_text(report_text("Kent Police", 2019, "An oddly named file."), encoding="utf-8")
    (corpus / ("empty " + ODD_NAME)).write_bytes(b"")
    index_dir = str(tmp_path / "index")
    for argv in (["index", str(corpus), "--index-dir", index_dir], ["status", "--index-dir", index_dir],
                 ["ingest", str(corpus)]):
        code, out, err = cli(capsys, *argv)
        assert code == 0, err
        assert not CONTROL.search(out) and not CONTROL.search(err), (argv, out, err)
        assert "\\x1b[2J" in out + err, argv
    (corpus / ODD_NAME).unlink()
    code, out, err = cli(capsys, "index", str(corpus), "--index-dir", index_dir)
    assert code == 0 and "removed report \\x1b[2J" in out and not CONTROL.search(out + err)


# ---------------------------------------------------------------- row 11: an empty index folder name


@pytest.mark.parametrize("command", [["index", "REPORTS"], ["status"], ["search", "crime"], ["rollback"]])
def test_an_empty_index_dir_is_refused(tmp_path: Path, keyword_cli: None, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    corpus = tmp_path / "c"
    write_corpus(corpus, 1)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    argv = [str(corpus) if a == "REPORTS" else a for a in command]
    code, _out, err = cli(capsys, *argv, "--index-dir", "")
    assert code == 2 and "--index-dir" in one_line(err)
    assert list(work.iterdir()) == []


def test_an_empty_index_dir_variable_is_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    write_corpus(corpus, 1)
    work = tmp_path / "cwd"
    work.mkdir()
    env = {**os.environ, "INSPECTQA_INDEX_DIR": "", "PYTHONPATH": str(ROOT)}
    for argv in (["status"], ["index", str(corpus)]):
        done = subprocess.run([sys.executable, "-m", "search", *argv], cwd=work, env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 2 and "INSPECTQA_INDEX_DIR" in done.stderr, done.stderr
    assert list(work.iterdir()) == []


# ---------------------------------------------------------------- row 12: the lock file


def test_a_lock_file_that_is_a_symlink_is_refused_and_its_target_untouched(built: tuple[Path, Path],
                                                                           tmp_path: Path) -> None:
    corpus, index_dir = built
    target = tmp_path / "precious.txt"
    target.write_text("do not overwrite", encoding="utf-8")
    lock = index_dir / ".lock"
    lock.unlink(missing_ok=True)
    lock.symlink_to(target)
    with pytest.raises(IndexLockedError, match="symbolic link"):
        build_index([corpus], index_dir, embedder=KeywordEmbedder())
    assert target.read_text(encoding="utf-8") == "do not overwrite"
    lock.unlink()
    os.mkfifo(lock)
    with pytest.raises(IndexLockedError, match="not a regular file"):
        build_index([corpus], index_dir, embedder=KeywordEmbedder())


# ---------------------------------------------------------------- row 13: nothing written outside the index


@pytest.mark.slow
def test_no_file_is_written_outside_the_index_folder(real_index: Path, tmp_path: Path) -> None:
    from search.embed import onnx_cache_dir

    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "PYTHONPATH": str(ROOT),
           "INSPECTQA_ONNX_CACHE": str(onnx_cache_dir())}  # the model export, made once, is not the question
    env.pop("ORT_DISABLE_TELEMETRY", None)
    for argv in (["search", "crime"], ["status"]):
        done = subprocess.run([sys.executable, "-m", "search", *argv, "--index-dir", str(real_index)], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    written = [str(p.relative_to(home)) for p in home.rglob("*") if p.is_file()]
    assert written == [], written


# ---------------------------------------------------------------- row 14: what was left out


def test_the_index_summary_lists_what_was_left_out(tmp_path: Path, keyword_cli: None,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "c"
    write_corpus(corpus, 2)
    (corpus / ".drafts").mkdir()
    (corpus / ".drafts" / "draft.txt").write_text(report_text("Kent Police", 2019, "Draft."), encoding="utf-8")
    (corpus / ".hidden.txt").write_text(report_text("Kent Police", 2019, "Hidden."), encoding="utf-8")
    private = corpus / "private"
    private.mkdir()
    (private / "secret.txt").write_text(report_text("Kent Police", 2019, "Secret."), encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path: object = ".") -> object:
        if Path(os.fsdecode(path)) == private:  # root lists anything: deny the way the kernel would
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, out, err = cli(capsys, "index", str(corpus), "--index-dir", str(tmp_path / "index"))
    assert code == 0
    assert "skipped" in out and ".drafts" in out and ".hidden.txt" in out and "dot" in out
    assert "private" in err and "permission denied" in err and "chmod" in err and "[Errno" not in err
    code, out, _err = cli(capsys, "index", str(corpus), "--index-dir", str(tmp_path / "index"), "--json")
    summary = json.loads(out)
    assert {Path(s["path"]).name for s in summary["skipped"]} == {".drafts", ".hidden.txt"}


# ---------------------------------------------------------------- progress


def test_the_first_progress_tick_shows_a_sane_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first tick printed '10737418.24 item/s': items done before the bar existed over ~0 s."""
    import io

    import tqdm.std

    import search.cli_index

    now = [0.0]

    def clock() -> float:  # code between two ticks takes microseconds; a batch takes a second
        now[0] += 1e-6
        return now[0]

    monkeypatch.setattr(tqdm.std, "time", clock)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    progress = search.cli_index.progress_bar()
    for done in (64, 128, 192, 256):  # the first call already has a batch done
        progress("embed", done, 1000)
        now[0] += 1.0
    rates = [float(r) for r in re.findall(r"([\d.]+) ?item/s", screen.getvalue())]
    assert rates and max(rates) < 1000, screen.getvalue()
