"""Reliability of the index folder: damaged files are refused with a message naming the fix,
a full disk fails a build cleanly, SIGKILL at any point of ``inspectqa index`` leaves the
published index answering as before, two builds of one folder never interleave, and nothing
loaded from disk is unpickled.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import LETTER, PEEL_2015, REPORTS, ROOT, KeywordEmbedder

from search.errors import (
    IndexCorruptError,
    IndexError_,
    IndexIncompatibleError,
    IndexLockedError,
    IndexMissingError,
    ManifestError,
)
from search.index.build import build_index
from search.index.layout import MANIFEST, read_manifest
from search.index.publish import index_lock
from search.retrieve.searcher import Searcher

QUERIES = ["How does the force prevent crime?", "missing children", "use of police time and attendance"]


def generation(index_dir: Path) -> Path:
    return index_dir / read_manifest(index_dir)["generation"]


def segment(index_dir: Path) -> Path:
    """The first segment folder of the live generation (a first build writes one)."""
    return generation(index_dir) / read_manifest(index_dir)["segments"][0]["name"]


def answers(searcher: Searcher) -> list[list[str]]:
    return [[h.chunk_id for h in searcher.search(q, k=5).hits] for q in QUERIES]


def leftovers(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith((".tmp-", ".manifest.json.")))


@pytest.fixture
def index_copy(fake_index: Path, tmp_path: Path) -> Path:
    """A private copy of the keyword-encoder index of the bundled reports, to damage."""
    target = tmp_path / "index"
    shutil.copytree(fake_index, target)
    return target


def assert_refused(index_dir: Path, error: type[IndexError_], *words: str) -> str:
    with pytest.raises(error) as caught:
        Searcher.load(index_dir, embedder=KeywordEmbedder())
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    for word in words or ("rebuild",):
        assert word in message, message
    return message


# ---------------------------------------------------------------- damaged files


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _garbage(path: Path) -> None:
    path.write_bytes(np.random.default_rng(0).bytes(max(64, path.stat().st_size)))


def _rewrite_npy(path: Path, change: Callable[[np.ndarray], np.ndarray]) -> None:
    array = np.load(path)
    np.save(path, change(array))


def _object_array(path: Path) -> None:
    """Replace an array by a pickled object array: loading it would run pickle."""
    array = np.empty(3, dtype=object)
    array[:] = [{"a": 1}, "x", None]
    with path.open("wb") as handle:
        np.save(handle, array, allow_pickle=True)


def _delete_chunk_row(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("DELETE FROM chunks WHERE row = (SELECT MAX(row) FROM chunks) - 3")
    con.commit()
    con.close()


def _lexical_from_fewer_chunks(folder: Path) -> None:
    from search.index.lexical import LexicalSegment

    shutil.rmtree(folder / "lexical")
    LexicalSegment.build(["crime prevention", "missing children"]).save(folder / "lexical")


# Each takes the folder of the live generation's segment.
DAMAGE: dict[str, Callable[[Path], None]] = {
    "vectors.npy truncated": lambda g: _truncate(g / "vectors.npy"),
    "vectors.npy garbage": lambda g: _garbage(g / "vectors.npy"),
    "vectors.npy object array": lambda g: _object_array(g / "vectors.npy"),
    "vectors.npy one row short": lambda g: _rewrite_npy(g / "vectors.npy", lambda a: a[:-1]),
    "vectors.npy other dimension": lambda g: _rewrite_npy(g / "vectors.npy", lambda a: a[:, :100]),
    "vectors.npy one-dimensional": lambda g: _rewrite_npy(g / "vectors.npy", lambda a: a.ravel()),
    "sentences.npy truncated": lambda g: _truncate(g / "sentences.npy", 0.7),
    "sentences.npy garbage": lambda g: _garbage(g / "sentences.npy"),
    "sentences.npy object array": lambda g: _object_array(g / "sentences.npy"),
    "sentences.npy one row short": lambda g: _rewrite_npy(g / "sentences.npy", lambda a: a[:-1]),
    "chunks.sqlite row deleted": lambda g: _delete_chunk_row(g / "chunks.sqlite"),
    "chunks.sqlite truncated": lambda g: _truncate(g / "chunks.sqlite", 0.3),
    "chunks.sqlite garbage": lambda g: _garbage(g / "chunks.sqlite"),
    "chunks.sqlite missing": lambda g: (g / "chunks.sqlite").unlink(),
    "lexical index missing": lambda g: shutil.rmtree(g / "lexical"),
    "lexical postings garbage": lambda g: _garbage(g / "lexical" / "docs.npy"),
    "lexical terms not JSON": lambda g: (g / "lexical" / "terms.json").write_text("[not json", encoding="utf-8"),
    "lexical index from fewer chunks": _lexical_from_fewer_chunks,
    "vocabulary vectors truncated": lambda g: _truncate(g / "vocab.npy"),
    "findings store missing": lambda g: (g / "findings.sqlite").unlink(),
    "findings vectors garbage": lambda g: _garbage(g / "findings.npy"),
    "segment folder missing": shutil.rmtree,
    "generation folder missing": lambda g: shutil.rmtree(g.parent),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_generation_is_refused(index_copy: Path, damage: str) -> None:
    DAMAGE[damage](segment(index_copy))
    with pytest.raises(IndexCorruptError) as caught:
        Searcher.load(index_copy, embedder=KeywordEmbedder()).search("missing children")  # some files are
        # checked in the background while the first search waits for them
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    assert "rebuild" in message and str(index_copy) in message, message


def _edit_manifest(index_dir: Path, change: Callable[[dict], object]) -> None:
    path = index_dir / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    result = change(manifest)
    path.write_text(json.dumps(manifest if result is None else result), encoding="utf-8")


MANIFEST_EDITS: dict[str, tuple[Callable[[Path], None], type[IndexError_]]] = {
    "invalid JSON": (lambda d: (d / MANIFEST).write_text('{"schema": 1, "generation": ', encoding="utf-8"),
                     IndexCorruptError),
    "empty": (lambda d: (d / MANIFEST).write_bytes(b""), IndexCorruptError),
    "binary": (lambda d: (d / MANIFEST).write_bytes(b"\xff\xfe\x00\x81garbage"), IndexCorruptError),
    "a list": (lambda d: _edit_manifest(d, lambda m: [m]), IndexCorruptError),
    "missing keys": (lambda d: _edit_manifest(d, lambda m: {"schema": m["schema"]}), IndexCorruptError),
    "no counts": (lambda d: _edit_manifest(d, lambda m: m.pop("counts") and None), IndexCorruptError),
    "wrong chunk count": (lambda d: _edit_manifest(d, lambda m: m["counts"].update(chunks=m["counts"]["chunks"] + 1)),
                          IndexCorruptError),
    "chunk count not a number": (lambda d: _edit_manifest(d, lambda m: m["counts"].update(chunks="many")),
                                 IndexCorruptError),
    "counts not an object": (lambda d: _edit_manifest(d, lambda m: m.update(counts=7)), IndexCorruptError),
    "generation ../etc": (lambda d: _edit_manifest(d, lambda m: m.update(generation="../etc")), IndexCorruptError),
    "generation absolute path": (lambda d: _edit_manifest(d, lambda m: m.update(generation="/etc")),
                                 IndexCorruptError),
    "generation '..'": (lambda d: _edit_manifest(d, lambda m: m.update(generation="..")), IndexCorruptError),
    "generation empty": (lambda d: _edit_manifest(d, lambda m: m.update(generation="")), IndexCorruptError),
    "generation null": (lambda d: _edit_manifest(d, lambda m: m.update(generation=None)), IndexCorruptError),
    "generation that does not exist": (lambda d: _edit_manifest(d, lambda m: m.update(generation="gen-x")),
                                       IndexCorruptError),
    "wrong model fingerprint": (lambda d: _edit_manifest(d, lambda m: m["model"].update(fingerprint="0" * 16)),
                                IndexIncompatibleError),
    "wrong model name": (lambda d: _edit_manifest(d, lambda m: m["model"].update(name="other/model")),
                         IndexIncompatibleError),
    "model not an object": (lambda d: _edit_manifest(d, lambda m: m.update(model="all-MiniLM-L6-v2")),
                            ManifestError),
    "other chunking": (lambda d: _edit_manifest(d, lambda m: m["chunking"].update(chunk_tokens=64)),
                       IndexIncompatibleError),
    "other schema": (lambda d: _edit_manifest(d, lambda m: m.update(schema=99)), IndexIncompatibleError),
    "unknown index type": (lambda d: _edit_manifest(d, lambda m: m.update(index_type="annoy")), IndexCorruptError),
}


@pytest.mark.parametrize("edit", list(MANIFEST_EDITS))
def test_edited_manifest_is_refused(index_copy: Path, edit: str) -> None:
    change, error = MANIFEST_EDITS[edit]
    change(index_copy)
    assert_refused(index_copy, error, "rebuild")


def test_missing_manifest_says_how_to_build(index_copy: Path) -> None:
    (index_copy / MANIFEST).unlink()
    assert_refused(index_copy, IndexMissingError, "inspectqa index")
    assert_refused(index_copy / "not there", IndexMissingError, "inspectqa index")


def test_refusals_name_the_fix_on_the_command_line(index_copy: Path, fake_index: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import search.retrieve.searcher
    from search.cli import main

    monkeypatch.setattr(search.retrieve.searcher, "default_embedder", KeywordEmbedder)
    assert main(["search", "missing children", "--index-dir", str(index_copy)]) == 0
    capsys.readouterr()
    for damage in ("vectors.npy truncated", "chunks.sqlite row deleted"):
        shutil.rmtree(index_copy)
        shutil.copytree(fake_index, index_copy)
        DAMAGE[damage](segment(index_copy))
        for command in (["search", "missing children"], ["ask", "missing children"]):
            assert main([*command, "--index-dir", str(index_copy)]) == 1
            out, err = capsys.readouterr()
            assert not out.strip()
            assert len(err.strip().splitlines()) == 1 and err.startswith("inspectqa: ") and "rebuild" in err, err
    (index_copy / MANIFEST).unlink()
    for command in (["search", "missing children"], ["ask", "q"], ["status"]):
        assert main([*command, "--index-dir", str(index_copy)]) == 1
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "inspectqa index" in err, err


@pytest.mark.parametrize("error", [AttributeError, TypeError, KeyError])
def test_a_programming_error_while_loading_is_not_reported_as_damage(index_copy: Path,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    error: type[Exception]) -> None:
    """Only what damaged files raise becomes IndexCorruptError; a bug surfaces as itself."""
    from search.index.store import ChunkStore

    def broken(*_args: object, **_kwargs: object) -> None:
        raise error("a bug in the loader, not a damaged file")

    monkeypatch.setattr(ChunkStore, "open", broken)
    with pytest.raises(error, match="a bug in the loader"):
        Searcher.load(index_copy, embedder=KeywordEmbedder())


def test_damage_to_an_older_generation_does_not_matter(tmp_path: Path) -> None:
    """Only the generation the manifest names is read: a segment the live generation no longer
    lists can be damaged without effect. (A segment both list is one set of files, hard-linked:
    damage to it is caught by its checksums, below.)"""
    index_dir = tmp_path / "index"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(LETTER, corpus)
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    old, old_segment = generation(index_dir), segment(index_dir)
    (corpus / LETTER.name).write_text(LETTER.read_text(encoding="utf-8") + "\nA closing note on missing children.\n",
                                      encoding="utf-8")
    shutil.copy(PEEL_2015, corpus)
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    assert generation(index_dir) != old and old_segment.exists()
    assert old_segment.name not in {s["name"] for s in read_manifest(index_dir)["segments"]}
    _garbage(old_segment / "vectors.npy")
    assert Searcher.load(index_dir, embedder=KeywordEmbedder()).search("missing children").hits


def test_damage_to_a_segment_two_generations_share_is_caught(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(LETTER, corpus)
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    shared = segment(index_dir)
    shutil.copy(PEEL_2015, corpus)
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    live = generation(index_dir) / shared.name
    assert live.exists() and (live / "vectors.npy").stat().st_ino == (shared / "vectors.npy").stat().st_ino
    data = bytearray((shared / "vectors.npy").read_bytes())
    data[-8:] = bytes(b ^ 0x5A for b in data[-8:])  # scrambled in place: the same file in both generations
    (shared / "vectors.npy").write_bytes(bytes(data))
    assert_refused(index_dir, IndexCorruptError, "rebuild")


@pytest.mark.parametrize("damage", ["vectors.npy truncated", "sentences.npy garbage", "vectors.npy one row short"])
def test_next_build_over_a_damaged_index_rebuilds_it(small_index: tuple[Path, Path], damage: str) -> None:
    """An incremental build would copy rows out of the damaged generation; it rebuilds instead."""
    corpus, index_dir = small_index
    DAMAGE[damage](segment(index_dir))
    result = build_index([corpus], index_dir, embedder=KeywordEmbedder())
    assert result.published and result.reports == 2 and not result.errors
    assert {f.status for f in result.files} == {"added"}  # nothing reused from the damaged generation
    assert_consistent(index_dir, KeywordEmbedder())


# ---------------------------------------------------------------- nothing is unpickled

_UNPICKLING = re.compile(r"\bimport pickle\b|\bpickle\.loads?\b|\bcPickle\b|\bdill\b|\bjoblib\b|\btorch\.load\b|"
                         r"allow_pickle\s*=\s*True|\bshelve\b|\bmarshal\.loads?\b|\bpd\.read_pickle\b")


def test_no_source_file_unpickles() -> None:
    files = sorted((ROOT / "ingest").rglob("*.py")) + sorted((ROOT / "search").rglob("*.py"))
    files += [p for p in (ROOT / "app.py", *ROOT.glob("pages/*.py")) if p.exists()]
    assert len(files) > 10
    found = [f"{p.relative_to(ROOT)}: {m.group()}" for p in files for m in _UNPICKLING.finditer(p.read_text())]
    assert not found, found
    for path in files:  # every np.load says allow_pickle=False
        for call in re.finditer(r"np\.load\(([^)]*)\)", path.read_text()):
            assert "allow_pickle=False" in call.group(1), f"{path.name}: {call.group()}"


def test_pickled_arrays_are_refused_not_loaded(index_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An object array in the index would run pickle when loaded; it is refused before that."""
    import pickle

    def no_unpickling(*args: object, **kwargs: object) -> None:
        raise AssertionError("something was unpickled")

    monkeypatch.setattr(pickle, "load", no_unpickling)
    monkeypatch.setattr(pickle, "loads", no_unpickling)
    _object_array(segment(index_copy) / "vectors.npy")
    message = assert_refused(index_copy, IndexCorruptError, "rebuild")
    assert "pickle" in message.lower() or "damaged" in message


# ---------------------------------------------------------------- full disk


def _enospc(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _sqlite_full(*args: object, **kwargs: object) -> None:
    raise sqlite3.OperationalError("database or disk is full")


WRITE_FAILURES: dict[str, tuple[str, str, Callable[..., None]]] = {
    "numpy.save": ("numpy", "save", _enospc),
    "sqlite chunk store": ("search.index.store", "ChunkStore.write", _sqlite_full),
    "lexical postings": ("search.index.lexical", "LexicalSegment.save", _enospc),
    "hard links": ("search.index.segment", "os.link", _enospc),
    "fsync": ("search.index.publish", "fsync_tree", _enospc),
    "manifest": ("json", "dump", _enospc),
    "generation folder": ("search.index.publish", "os.replace", _enospc),
}


@pytest.fixture
def small_index(tmp_path: Path) -> tuple[Path, Path]:
    """(corpus, index) where the index holds the letter and the corpus has changed since."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(LETTER, corpus)
    index_dir = tmp_path / "index"
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    shutil.copy(PEEL_2015, corpus)
    return corpus, index_dir


@pytest.mark.parametrize("where", list(WRITE_FAILURES))
def test_full_disk_fails_cleanly(small_index: tuple[Path, Path], where: str,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    corpus, index_dir = small_index
    before = read_manifest(index_dir)
    expected = answers(Searcher.load(index_dir, embedder=KeywordEmbedder()))
    module_name, attribute, failure = WRITE_FAILURES[where]
    target = importlib.import_module(module_name)
    *owners, name = attribute.split(".")
    for owner in owners:
        target = getattr(target, owner)
    monkeypatch.setattr(target, name, failure)

    with pytest.raises(IndexError_) as caught:
        build_index([corpus], index_dir, embedder=KeywordEmbedder())
    message = str(caught.value)
    assert "disk" in message and "unchanged" in message and "\n" not in message, message
    monkeypatch.undo()

    assert read_manifest(index_dir) == before
    assert answers(Searcher.load(index_dir, embedder=KeywordEmbedder())) == expected
    assert leftovers(index_dir) == []
    assert {p.name for p in index_dir.iterdir() if p.name.startswith("gen-")} == {before["generation"]}
    result = build_index([corpus], index_dir, embedder=KeywordEmbedder())  # room again: the build completes
    assert result.published and result.reports == 2


def test_full_disk_on_the_command_line(small_index: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    import search.embed
    from search.cli import main

    corpus, index_dir = small_index
    monkeypatch.setattr(search.embed, "default_embedder", KeywordEmbedder)
    monkeypatch.setattr(np, "save", _enospc)
    assert main(["index", str(corpus), "--index-dir", str(index_dir)]) == 1
    err = capsys.readouterr().err
    messages = [line.split("\r")[-1] for line in err.splitlines() if "inspectqa: " in line]  # after the progress bar
    assert len(messages) == 1 and "No space left on device" in messages[0], err
    assert messages[0].startswith("inspectqa: ") and "Traceback" not in err


def test_unwritable_index_folder_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import search.embed
    from search.cli import main

    monkeypatch.setattr(search.embed, "default_embedder", KeywordEmbedder)
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    assert main(["index", str(LETTER), "--index-dir", str(blocker / "index")]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "index" in err and "a file" in err, err


def _can_mount_tmpfs(folder: Path) -> bool:
    if sys.platform != "linux" or os.geteuid() != 0 or not shutil.which("mount"):
        return False
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1200k", "tmpfs", str(folder)],
                          capture_output=True, check=False)
    return done.returncode == 0


def test_full_disk_on_a_tiny_filesystem(tmp_path: Path) -> None:
    """A real 1.2 MB filesystem: the letter's index fits, the two reports' does not."""
    disk = tmp_path / "disk"
    if not _can_mount_tmpfs(disk):
        pytest.skip("needs root and permission to mount a tmpfs (the injected-error tests cover this)")
    try:
        corpus = tmp_path / "corpus"
        corpus.mkdir()
        shutil.copy(LETTER, corpus)
        index_dir = disk / "index"
        build_index([corpus], index_dir, embedder=KeywordEmbedder())
        before = read_manifest(index_dir)
        expected = answers(Searcher.load(index_dir, embedder=KeywordEmbedder()))
        shutil.copy(PEEL_2015, corpus)
        with pytest.raises(IndexError_, match="disk"):
            build_index([corpus], index_dir, embedder=KeywordEmbedder(), rebuild=True)
        assert read_manifest(index_dir) == before
        assert answers(Searcher.load(index_dir, embedder=KeywordEmbedder())) == expected
        assert leftovers(index_dir) == []
    finally:
        subprocess.run(["umount", "--lazy", str(disk)], check=False)  # lazy: loaded searchers still map files


# ---------------------------------------------------------------- one build at a time


def test_second_build_refuses_while_the_first_holds_the_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    import search.embed
    from search.cli import main

    monkeypatch.setattr(search.embed, "default_embedder", KeywordEmbedder)
    index_dir = tmp_path / "index"
    with index_lock(index_dir):
        assert main(["index", str(REPORTS), "--index-dir", str(index_dir)]) == 1
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1, err
        assert f"pid {os.getpid()}" in err and "wait" in err and "--wait" in err, err
        with pytest.raises(IndexLockedError):
            build_index([REPORTS], index_dir, embedder=KeywordEmbedder())
    assert not (index_dir / MANIFEST).exists()

    held = threading.Event()

    def hold_for_a_second() -> None:
        with index_lock(index_dir):
            held.set()
            time.sleep(1.0)

    holder = threading.Thread(target=hold_for_a_second)
    holder.start()
    held.wait(5)
    started = time.monotonic()
    assert main(["index", str(REPORTS), "--index-dir", str(index_dir), "--wait", "30"]) == 0
    assert time.monotonic() - started >= 0.5  # it waited for the holder
    holder.join()
    assert Searcher.load(index_dir, embedder=KeywordEmbedder()).search("missing children").hits


def _cli(*args: str, **popen: object) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-m", "search", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def _wait_for(condition: Callable[[], bool], timeout: float, poll: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(poll)
    return False


def assert_consistent(index_dir: Path, embedder: object) -> Searcher:
    """The published index loads and its parts agree with each other and with the manifest."""
    searcher = Searcher.load(index_dir, embedder=embedder)
    manifest = searcher.manifest
    snap = searcher.snapshot
    rows = sum(s["rows"] for s in manifest["segments"])
    assert searcher.store.size == snap.dense.size == snap.lexical.size == rows
    assert searcher.store.count("chunks") == manifest["counts"]["chunks"] == len(searcher.store.all_chunks())
    assert searcher.store.count("sentences") == manifest["counts"]["sentences"]
    assert {r["source"] for r in searcher.reports()} == set(manifest["reports"])
    return searcher


@pytest.mark.slow
def test_two_index_runs_at_once_never_interleave(tmp_path: Path, real_embedder) -> None:
    index_dir = tmp_path / "index"
    first = _cli("index", str(REPORTS), "--index-dir", str(index_dir))
    try:
        lock = index_dir / ".lock"
        assert _wait_for(lambda: lock.exists() and lock.read_text().strip() == f"pid {first.pid}", 120)
        second = subprocess.run([sys.executable, "-m", "search", "index", str(REPORTS), "--index-dir",
                                 str(index_dir)], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert first.poll() is None, "the first build should still be running"
        assert second.returncode == 1
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and f"is being updated by pid {first.pid}" in lines[0] and "--wait" in lines[0]
        third = _cli("index", str(REPORTS), "--index-dir", str(index_dir), "--wait", "600", "--rebuild")
        out, err = first.communicate(timeout=600)
        assert first.returncode == 0, err
        first_generation = read_manifest(index_dir)["generation"]
        out, err = third.communicate(timeout=600)
        assert third.returncode == 0, err
    finally:
        for process in (first, locals().get("third")):
            if process is not None and process.poll() is None:
                process.kill()
    assert read_manifest(index_dir)["generation"] != first_generation  # it ran after, not alongside
    assert leftovers(index_dir) == []
    assert assert_consistent(index_dir, real_embedder).search("missing children").hits


# ---------------------------------------------------------------- SIGKILL at several points


def _changed_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "changed"
    shutil.copytree(REPORTS, corpus)
    letter = corpus / LETTER.name
    letter.write_text(letter.read_text(encoding="utf-8") + "\n\nA new closing paragraph about the zebra crossing "
                      "patrols that the force started in the autumn.\n", encoding="utf-8")
    return corpus


@pytest.mark.slow
def test_sigkill_during_index_keeps_the_published_index(tmp_path: Path, real_index: Path, real_embedder) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(real_index, index_dir)
    before = read_manifest(index_dir)["generation"]
    expected = answers(assert_consistent(index_dir, real_embedder))
    corpus = _changed_corpus(tmp_path)

    def known_generations() -> set[str]:
        return {p.name for p in index_dir.iterdir() if p.name.startswith("gen-")}

    stderr_seen: list[str] = []

    def embedding_started(process: subprocess.Popen) -> Callable[[], bool]:
        def read() -> None:
            for chunk in iter(lambda: process.stderr.read(64), ""):
                stderr_seen.append(chunk)
        threading.Thread(target=read, daemon=True).start()
        return lambda: "embedding" in "".join(stderr_seen)

    existing = known_generations()
    # The early points kill a full rebuild (long enough on any machine); the late ones an
    # incremental build (only the changed report is embedded), to reach the end sooner.
    kill_points: list[tuple[str, list[str], Callable[[subprocess.Popen], Callable[[], bool]]]] = [
        ("while starting up", ["--rebuild"], lambda p: _after(0.3)),
        ("while loading and reading", ["--rebuild"], lambda p: _after(3.0)),
        ("while embedding", ["--rebuild"], embedding_started),
        ("while writing the generation", [],
         lambda p: lambda: any(n.name.startswith(".tmp-gen-") for n in index_dir.iterdir())),
        ("right before publishing", [], lambda p: lambda: bool(known_generations() - existing)),
    ]
    outcomes = []
    for label, options, when in kill_points:
        stderr_seen.clear()
        process = _cli("index", str(corpus), "--index-dir", str(index_dir), *options)
        try:
            ready = when(process)
            caught = _wait_for(lambda r=ready, p=process: r() or p.poll() is not None, 300, poll=0.001)
            finished_first = process.poll() is not None
            process.send_signal(signal.SIGKILL)
            process.wait(30)
        finally:
            if process.poll() is None:
                process.kill()
        assert caught and not finished_first, f"{label}: the build ended before it could be killed"
        now = read_manifest(index_dir)["generation"]
        searcher = assert_consistent(index_dir, real_embedder)
        if now == before:
            assert answers(searcher) == expected, label
        else:  # killed after the manifest was replaced: the new index is complete
            assert label == "right before publishing", label
            assert searcher.search("zebra crossing patrols", k=3).hits
        outcomes.append((label, now == before))
    print("\nSIGKILL outcomes (point, previous index still live):", outcomes)
    assert sum(kept for _label, kept in outcomes) >= 4

    done = subprocess.run([sys.executable, "-m", "search", "index", str(corpus), "--index-dir", str(index_dir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    searcher = assert_consistent(index_dir, real_embedder)
    assert searcher.generation != before or not outcomes[-1][1]
    assert leftovers(index_dir) == []
    top = searcher.search("zebra crossing patrols started in the autumn", k=3).hits
    assert top and "zebra crossing" in top[0].text


def _after(seconds: float) -> Callable[[], bool]:
    deadline = time.monotonic() + seconds
    return lambda: time.monotonic() >= deadline
