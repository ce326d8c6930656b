"""Build, publish and open index folders.

An index folder holds ``manifest.json`` and one or two generation folders. The manifest
names the live generation and says exactly how it was built (model and weights hash,
backend, chunking, package versions, each report's content hash). A build writes a new
generation beside the live one and publishes it by atomically replacing ``manifest.json``,
so a crash or Ctrl-C at any point leaves the previous index usable. A lock file keeps two
builds from interleaving.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np

from ingest.chunk import ChunkingParams, chunk_report, sentence_units
from ingest.pipeline import discover, ingest_path
from ingest.types import Chunk, IngestError, Report
from search.dense import INDEX_TYPES, FaissIndex, dequantize, quantize_unit
from search.embed import Embedder
from search.expansion import QueryExpander, vocabulary
from search.lexical import LexicalIndex, lexical_text
from search.store import ChunkStore

SCHEMA_VERSION = 2  # 2: sentence vectors stored as int8
MANIFEST = "manifest.json"
DEFAULT_INDEX_DIR = Path("index")

ProgressFn = Callable[[str, int, int], None]
"""progress(stage, done, total): called as a build advances."""


class IndexError_(RuntimeError):
    """Base for index problems; the message says what to do."""


class IndexMissingError(IndexError_):
    pass


class IndexIncompatibleError(IndexError_):
    pass


class IndexCorruptError(IndexError_):
    pass


class IndexLockedError(IndexError_):
    pass


class IndexWriteError(IndexError_):
    """The new index could not be written (disk full, no permission); the published one is unchanged."""


@dataclass(frozen=True)
class FileOutcome:
    """What a build did with one input file."""

    path: str
    source: str
    status: str  # added | updated | unchanged | error | kept
    error: str | None = None
    chunks: int = 0


@dataclass
class BuildResult:
    index_dir: Path
    generation: str | None
    files: list[FileOutcome] = field(default_factory=list)
    embedded_chunks: int = 0
    embedded_sentences: int = 0
    embedded_findings: int = 0  # finding texts encoded (those of unchanged reports are copied)
    total_chunks: int = 0
    reports: int = 0
    removed: list[str] = field(default_factory=list)
    published: bool = False
    seconds: float = 0.0

    @property
    def errors(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "error"]


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for package in ("inspectqa", "sentence-transformers", "transformers", "torch", "faiss-cpu", "bm25s",
                    "langchain-text-splitters", "pypdf", "numpy"):
        try:
            out[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            out[package] = "not installed"
    return out


def read_manifest(index_dir: Path) -> dict[str, Any]:
    """The live manifest of ``index_dir``.

    Raises:
        IndexMissingError: no index has been built there.
        IndexCorruptError: the manifest cannot be read.
    """
    path = Path(index_dir) / MANIFEST
    if not path.exists():
        raise IndexMissingError(
            f"no index in {index_dir}: build one with `inspectqa index reports/ --index-dir {index_dir}`"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(
            f"the manifest of {index_dir} is unreadable ({exc}): rebuild with `inspectqa index reports/ "
            f"--index-dir {index_dir} --rebuild`"
        ) from exc
    required = {"schema", "generation", "model", "chunking", "counts", "reports", "index_type"}
    if not isinstance(manifest, dict) or not required <= set(manifest):
        raise IndexCorruptError(
            f"the manifest of {index_dir} is incomplete: rebuild with `inspectqa index reports/ --index-dir "
            f"{index_dir} --rebuild`"
        )
    return manifest


def check_compatible(manifest: dict[str, Any], embedder: Embedder, params: ChunkingParams, index_dir: Path) -> None:
    """Refuse an index built with another model, backend, chunking or schema."""
    rebuild = f"rebuild it with `inspectqa index reports/ --index-dir {index_dir} --rebuild`"
    if manifest.get("schema") != SCHEMA_VERSION:
        raise IndexIncompatibleError(f"the index in {index_dir} has schema {manifest.get('schema')}, this version "
                                     f"reads schema {SCHEMA_VERSION}: {rebuild}")
    model = manifest.get("model") if isinstance(manifest.get("model"), dict) else {}
    if model.get("name") != embedder.name or model.get("fingerprint") != embedder.fingerprint:
        raise IndexIncompatibleError(
            f"the index in {index_dir} was built with model {model.get('name')} ({model.get('fingerprint')}), "
            f"not {embedder.name} ({embedder.fingerprint}): {rebuild}"
        )
    if not backends_compatible(model.get("backend"), embedder.backend):
        raise IndexIncompatibleError(
            f"the index in {index_dir} was built with the {model.get('backend')} encoder backend, queries would use "
            f"{embedder.backend}: set INSPECTQA_BACKEND={model.get('backend')} or {rebuild}"
        )
    if manifest.get("chunking") != params.to_dict():
        raise IndexIncompatibleError(f"the index in {index_dir} was chunked differently "
                                     f"({manifest.get('chunking')}): {rebuild}")


def backends_compatible(built: str | None, query: str) -> bool:
    """Vectors from one backend can be searched with queries from a compatible one.

    ``torch`` and ``onnx`` both compute the model in float32 (cosine > 0.9999 between their
    vectors), so either may query the other's index; ``onnx-int8`` vectors differ by up to
    0.03 in cosine, enough to reorder close passages, so int8 pairs only with int8.
    """
    from search.embed import FP32_BACKENDS

    return built == query or (built in FP32_BACKENDS and query in FP32_BACKENDS)


def generation_dir(index_dir: Path, manifest: dict[str, Any]) -> Path:
    name = str(manifest["generation"])
    if "/" in name or "\\" in name or name.startswith("."):
        raise IndexCorruptError(f"the manifest of {index_dir} names an invalid generation {name!r}: rebuild the index")
    return Path(index_dir) / name


@contextlib.contextmanager
def index_lock(index_dir: Path, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the index folder's build lock, or raise IndexLockedError.

    ``wait_seconds`` > 0 waits that long for another build to finish first.
    """
    lock_path = index_dir / ".lock"
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        handle = lock_path.open("a+")
    except OSError as exc:
        raise IndexWriteError(f"cannot write to the index folder {index_dir} ({exc.strerror or exc}): choose a "
                              "writable folder with --index-dir") from exc
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise IndexLockedError(
                        f"{index_dir} is being updated by {holder}: wait for that build to finish, "
                        "or pass --wait SECONDS"
                    ) from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_tree(folder: Path) -> None:
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                os.fsync(handle.fileno())
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _clean_stale(index_dir: Path, keep: set[str]) -> None:
    """Remove half-written builds and generations older than the two newest."""
    for entry in index_dir.iterdir():
        if entry.name.startswith(".tmp-gen-") or entry.name.startswith(".manifest.json."):
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
    generations = sorted((e for e in index_dir.iterdir() if e.is_dir() and e.name.startswith("gen-")),
                         key=lambda e: e.name)
    for entry in generations[:-2]:
        if entry.name not in keep:
            shutil.rmtree(entry, ignore_errors=True)


def _embed(embedder: Embedder, texts: list[str], progress: ProgressFn | None, batch: int = 64) -> np.ndarray:
    if not texts:
        return np.zeros((0, embedder.dim), np.float32)
    # Longest first over all texts, so each batch holds texts of about one length and little
    # padding is encoded (slices in corpus order mix chunks with short sentences).
    order = np.argsort([-len(t) for t in texts], kind="stable")
    out = np.empty((len(texts), embedder.dim), np.float32)
    for start in range(0, len(texts), batch):
        rows = order[start:start + batch]
        out[rows] = embedder.encode([texts[i] for i in rows], batch_size=32)
        if progress:
            progress("embed", min(start + batch, len(texts)), len(texts))
    return out


def build_index(
    paths: Iterable[str | Path],
    index_dir: str | Path = DEFAULT_INDEX_DIR,
    *,
    embedder: Embedder,
    params: ChunkingParams | None = None,
    index_type: str = "flat",
    keep_existing: bool = False,
    rebuild: bool = False,
    progress: ProgressFn | None = None,
    wait_seconds: float = 0.0,
    on_report: Callable[[Report, list[Chunk]], None] | None = None,
) -> BuildResult:
    """Bring the index in ``index_dir`` up to date with the reports under ``paths``.

    Reports whose bytes have not changed keep their chunks and vectors (nothing is embedded
    again); new and changed files are ingested and embedded; reports no longer under
    ``paths`` are dropped unless ``keep_existing`` (used when adding uploads). A file that
    cannot be read is reported in the result and the rest are still indexed.

    Raises:
        IndexLockedError: another build holds the folder.
        ValueError: bad ``index_type``.
    """
    started = time.monotonic()
    params = params or ChunkingParams()
    if index_type not in INDEX_TYPES:
        raise ValueError(f"unknown index type {index_type!r}: choose one of {', '.join(INDEX_TYPES)}")
    index_dir = Path(index_dir)
    result = BuildResult(index_dir=index_dir, generation=None)
    with index_lock(index_dir, wait_seconds):
        old_manifest: dict[str, Any] | None = None
        old_dir: Path | None = None
        try:
            old_manifest = read_manifest(index_dir)
            old_dir = generation_dir(index_dir, old_manifest)
            check_compatible(old_manifest, embedder, params, index_dir)
            if (old_manifest.get("index_type") != index_type or not (old_dir / "chunks.sqlite").exists()
                    or not _vectors_readable(old_dir, old_manifest)):
                raise IndexIncompatibleError("index type changed, or the old generation is damaged")
        except IndexError_:
            old_manifest = old_manifest if old_dir and old_dir.exists() else None
            rebuild = True
        _clean_stale(index_dir, keep={old_dir.name} if old_dir else set())
        old_reports: dict[str, dict[str, Any]] = {} if rebuild or not old_manifest else old_manifest["reports"]

        files, missing = discover(paths)
        for item in missing:
            result.files.append(FileOutcome(item.path, Path(item.path).name, "error", item.error))
        reuse: list[str] = []  # sources whose rows are copied from the old generation
        new_reports: list[tuple[Report, str]] = []
        chunked: dict[str, list[Chunk]] = {}
        seen: dict[str, str] = {}
        for n, file in enumerate(files):
            if progress:
                progress("read", n + 1, len(files))
            source = file.name
            try:
                digest = _sha256(file)
            except OSError as exc:
                result.files.append(FileOutcome(str(file), source, "error", str(exc)))
                continue
            if source in seen:
                if seen[source] != digest:
                    result.files.append(FileOutcome(str(file), source, "error",
                                                    f"{file}: another file named {source} is already in this "
                                                    "index: rename one of them"))
                continue
            seen[source] = digest
            old = old_reports.get(source)
            if old and old.get("content_hash") == digest:
                reuse.append(source)
                result.files.append(FileOutcome(str(file), source, "unchanged", chunks=int(old.get("chunks", 0))))
                continue
            try:
                report = ingest_path(file)
                chunked[source] = _chunk(report, params)
            except IngestError as exc:
                if old:  # keep the version indexed before rather than lose it
                    reuse.append(source)
                result.files.append(FileOutcome(str(file), source, "error", str(exc)))
                continue
            new_reports.append((report, str(file)))
            result.files.append(FileOutcome(str(file), source, "updated" if old else "added"))
        if keep_existing:
            for source in old_reports:
                if source not in seen and source not in reuse:
                    reuse.append(source)
                    result.files.append(FileOutcome(old_reports[source].get("path", ""), source, "kept",
                                                    chunks=int(old_reports[source].get("chunks", 0))))
        result.removed = sorted(set(old_reports) - set(reuse) - {r.meta.source for r, _ in new_reports})

        from search.findings import findings_current

        findings_ok = findings_current(old_dir, embedder)  # else publish to add or refresh them (no re-embedding)
        if old_manifest and not new_reports and not result.removed and not rebuild and findings_ok:
            result.generation = old_manifest["generation"]
            result.reports = len(reuse)
            result.total_chunks = int(old_manifest["counts"]["chunks"])
            result.seconds = time.monotonic() - started
            return result  # up to date: nothing to embed, nothing to publish

        # Chunk and embed what is new.
        new_chunks: list[Chunk] = []
        counts: dict[str, int] = {}
        for report, _path in new_reports:
            chunks = chunked[report.meta.source]
            counts[report.meta.source] = len(chunks)
            new_chunks.extend(chunks)
            if on_report:
                on_report(report, chunks)
        new_sentences: list[tuple[int, int, int]] = []
        sentence_texts: list[str] = []
        for index, chunk in enumerate(new_chunks):
            for start, end, text in sentence_units(chunk):
                new_sentences.append((index, start, end))
                sentence_texts.append(text)
        embedded = _embed(embedder, [c.embed_text for c in new_chunks] + sentence_texts, progress)
        vectors_new, sentence_vectors_new = embedded[: len(new_chunks)], embedded[len(new_chunks):]
        result.embedded_chunks = len(new_chunks)
        result.embedded_sentences = len(sentence_texts)
        result.files = [
            FileOutcome(f.path, f.source, f.status, f.error, counts.get(f.source, f.chunks)) for f in result.files
        ]

        generation = f"gen-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:6]}"
        tmp_dir = index_dir / f".tmp-{generation}"
        try:
            tmp_dir.mkdir(parents=True)
            store_path = tmp_dir / "chunks.sqlite"
            report_paths = {r.meta.source: p for r, p in new_reports}
            reused_rows, reused_sids = (
                _copy_reused(old_dir / "chunks.sqlite", store_path, reuse) if reuse and old_dir else ([], [])
            )
            ChunkStore.write(store_path, [r for r, _ in new_reports], report_paths, new_chunks,
                             counts, row_offset=len(reused_rows), sentences=new_sentences,
                             sentence_offset=len(reused_sids))
            vectors, sentence_vectors = vectors_new, sentence_vectors_new
            if reused_rows:
                old_vectors = np.load(old_dir / "vectors.npy", mmap_mode="r", allow_pickle=False)
                vectors = np.vstack([np.asarray(old_vectors[reused_rows]), vectors_new])
                old_sentences = np.load(old_dir / "sentences.npy", mmap_mode="r", allow_pickle=False)
                sentence_vectors = np.vstack([dequantize(old_sentences[reused_sids]), sentence_vectors_new])
            np.save(tmp_dir / "vectors.npy", vectors.astype(np.float32))
            np.save(tmp_dir / "sentences.npy", quantize_unit(sentence_vectors))
            # Grades, findings and their trails (README "Findings across years").
            from search.findings import build_findings

            n_findings, result.embedded_findings = build_findings(tmp_dir, old_dir, reuse, embedder, progress)
            if progress:
                progress("index", 0, 1)
            FaissIndex.build(vectors, index_type).save(tmp_dir / "dense.faiss")
            store = ChunkStore.open(store_path)
            records = store.all_chunks()
            store.close()
            LexicalIndex.build([lexical_text(c["embed_text"]) for c in records]).save(tmp_dir / "lexical")
            known = QueryExpander.load(old_dir) if old_dir and not rebuild else None
            QueryExpander.build(vocabulary(c["embed_text"] for c in records), embedder, known).save(tmp_dir)
            if progress:
                progress("index", 1, 1)
            manifest = _manifest(generation, embedder, params, index_type, store_path, paths, len(records),
                                 len(vectors), len(sentence_vectors), time.monotonic() - started)
            manifest["counts"]["findings"] = n_findings
            (tmp_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
            _fsync_tree(tmp_dir)
            os.replace(tmp_dir, index_dir / generation)
            _write_json_atomic(index_dir / MANIFEST, manifest)
        except BaseException as exc:
            shutil.rmtree(tmp_dir, ignore_errors=True)
            _drop_unpublished(index_dir, generation)
            if isinstance(exc, OSError | sqlite3.Error):
                raise IndexWriteError(
                    f"could not write the new index in {index_dir} ({type(exc).__name__}: {exc}): check there is "
                    "free disk space and the folder is writable, then run the build again; the published index "
                    "is unchanged") from exc
            raise
        _clean_stale(index_dir, keep={generation, old_dir.name if old_dir else ""})
        result.generation = generation
        result.published = True
        result.reports = manifest["counts"]["reports"]
        result.total_chunks = manifest["counts"]["chunks"]
        result.seconds = time.monotonic() - started
        return result


def _vectors_readable(folder: Path, manifest: dict[str, Any]) -> bool:
    """Whether a generation's vector files open with the row counts its manifest states (headers only)."""
    try:
        counts = manifest["counts"]
        return (len(np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False)) == int(counts["chunks"])
                and len(np.load(folder / "sentences.npy", mmap_mode="r", allow_pickle=False))
                == int(counts["sentences"]))
    except (OSError, ValueError, TypeError, KeyError):
        return False


def _drop_unpublished(index_dir: Path, generation: str) -> None:
    """Remove a generation folder that a failed build moved into place but did not publish."""
    try:
        live = read_manifest(index_dir).get("generation")
    except IndexError_:
        live = None
    if live != generation:
        shutil.rmtree(index_dir / generation, ignore_errors=True)


def _chunk(report: Report, params: ChunkingParams) -> list[Chunk]:
    """A report's chunks; a chunking failure is that file's IngestError, so the build goes on."""
    try:
        return chunk_report(report, params)
    except Exception as exc:
        raise IngestError(report.meta.source, f"could not be cut into chunks ({type(exc).__name__}: {exc}); "
                                              "please report this file") from exc


def _copy_reused(old_store: Path, new_store: Path, sources: list[str]) -> tuple[list[int], list[int]]:
    """Copy the rows of unchanged reports into a new store, renumbered from 0; return their
    old chunk rows and old sentence ids, in the new order."""
    from search.store import SCHEMA

    con = sqlite3.connect(new_store)
    try:
        con.executescript(SCHEMA)
        con.execute("ATTACH DATABASE ? AS old", (f"file:{old_store}?mode=ro",))
        con.execute("CREATE TEMP TABLE keep (source TEXT PRIMARY KEY)")
        con.executemany("INSERT INTO keep VALUES (?)", [(s,) for s in sources])
        for table in ("reports", "sections", "footnotes"):
            con.execute(f"INSERT INTO {table} SELECT * FROM old.{table} WHERE source IN (SELECT source FROM keep)")
        old_rows = [r[0] for r in con.execute(
            "SELECT row FROM old.chunks WHERE source IN (SELECT source FROM keep) ORDER BY row")]
        con.execute(
            "INSERT INTO chunks SELECT (ROW_NUMBER() OVER (ORDER BY row)) - 1, chunk_id, source, section_id, text, "
            "embed_text, start, end_, title, force, year, report_type, heading, path, kind, question, theme, "
            "judgment, page, is_table FROM old.chunks WHERE source IN (SELECT source FROM keep) ORDER BY row"
        )
        new_row = {old: new for new, old in enumerate(old_rows)}
        old_sentences = con.execute(
            "SELECT sid, row, start, end_ FROM old.sentences WHERE row IN "
            "(SELECT row FROM old.chunks WHERE source IN (SELECT source FROM keep)) ORDER BY sid").fetchall()
        con.executemany("INSERT INTO sentences VALUES (?,?,?,?)",
                        [(n, new_row[row], start, end) for n, (_sid, row, start, end) in enumerate(old_sentences)])
        con.commit()
        con.execute("DETACH DATABASE old")
    finally:
        con.close()
    return old_rows, [sid for sid, *_ in old_sentences]


def _manifest(generation: str, embedder: Embedder, params: ChunkingParams, index_type: str, store_path: Path,
              paths: Iterable[str | Path], n_chunks: int, n_vectors: int, n_sentences: int,
              seconds: float) -> dict[str, Any]:
    con = sqlite3.connect(store_path)
    try:
        reports = {
            row[0]: {"content_hash": row[1], "path": row[2], "chunks": row[3], "title": row[4], "force": row[5],
                     "year": row[6], "report_type": row[7]}
            for row in con.execute(
                "SELECT source, content_hash, path, n_chunks, title, force, year, report_type FROM reports")
        }
        n_sections = con.execute("SELECT COUNT(*) FROM sections").fetchone()[0]
    finally:
        con.close()
    if n_chunks != n_vectors:
        raise IndexCorruptError(f"built {n_chunks} chunks but {n_vectors} vectors: please report this")
    return {
        "schema": SCHEMA_VERSION,
        "generation": generation,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": round(seconds, 2),
        "model": {"name": embedder.name, "fingerprint": embedder.fingerprint, "dim": embedder.dim,
                  "backend": embedder.backend, "max_tokens": 256},
        "chunking": params.to_dict(),
        "index_type": index_type,
        "counts": {"reports": len(reports), "sections": n_sections, "chunks": n_chunks, "sentences": n_sentences},
        "reports": reports,
        "inputs": [str(p) for p in paths],
        "versions": _versions(),
        "platform": f"{platform.system()} {platform.machine()} python {sys.version.split()[0]}",
    }
