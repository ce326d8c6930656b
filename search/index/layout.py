"""The index folder: its layout, its manifest and the checks made before a generation is read.

An index folder holds ``manifest.json`` and one or two generation folders (``gen-<time>-<id>``).
The manifest names the live generation and says exactly how it was built: model, weights hash
and backend, chunking, index type, package versions, and each report's content hash. Loading
checks it (``read_manifest`` for its shape, ``check_compatible`` against the encoder and
chunking in use) and refuses a mismatch with a message naming the fix. docs/index.md describes
the format.
"""

from __future__ import annotations

import json
import platform
import sys
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from ingest.chunk import ChunkingParams
from search.embed import FP32_BACKENDS, Embedder
from search.errors import (
    IndexCorruptError,
    IndexIncompatibleError,
    IndexMissingError,
    ManifestError,
    rebuild_hint,
)
from search.index.dense import INDEX_TYPES
from search.index.integrity import files_problem

SCHEMA_VERSION = 4
"""2: sentence vectors stored as int8; 3: report periods, URLs, stated grades, sentence keys; 4: generations
made of segments, a checksum of every file, absolute report paths."""
MANIFEST = "manifest.json"
DEFAULT_INDEX_DIR = Path("index")

# The files of one segment folder (docs/index.md).
CHUNKS_DB = "chunks.sqlite"
VECTORS = "vectors.npy"
SENTENCES = "sentences.npy"
DENSE = "dense.faiss"  # HNSW and IVF indexes only: a flat index is its vectors
LEXICAL = "lexical"
VOCAB = "vocab.json"  # the reports' words, each report's word ids (vocab_ids.npy) and vectors (vocab.npy)
# ... and of a generation folder, beside its segment folders:
TOMBSTONES = "tombstones"  # <segment>.npy: which of a segment's rows are no longer live
TRAILS = "trails"  # <force key>.json: the semantic trail links of one force
SEGMENT_PREFIX = "seg-"

_REQUIRED = ("schema", "generation", "created", "model", "chunking", "counts", "reports", "index_type", "files",
             "segments", "trails")
_MODEL_FIELDS = {"name": str, "fingerprint": str, "backend": str, "dim": int}
_REPORT_FIELDS: dict[str, tuple[type, ...]] = {
    "content_hash": (str,), "chunks": (int,), "path": (str,), "title": (str, type(None)),
    "force": (str, type(None)), "year": (int, type(None)), "report_type": (str, type(None))}
_VERSIONED = ("inspectqa", "sentence-transformers", "transformers", "torch", "faiss-cpu", "bm25s",
              "langchain-text-splitters", "pypdf", "numpy")


def read_manifest(index_dir: str | Path) -> dict[str, Any]:
    """The live manifest of ``index_dir``, checked for the fields loading relies on and their types.

    Raises:
        IndexMissingError: no index has been built there.
        IndexCorruptError: the manifest cannot be read; ``ManifestError`` (a kind of it) when it
            lacks a field or holds a value of the wrong type.
    """
    index_dir = Path(index_dir)
    path = index_dir / MANIFEST
    if not path.exists():
        raise IndexMissingError(
            f"no index in {index_dir}: build one with `inspectqa index reports/ --index-dir {index_dir}`")
    return load_manifest_file(path, index_dir)


def load_manifest_file(path: Path, index_dir: str | Path) -> dict[str, Any]:
    """A manifest read from ``path`` (the live one or a generation's copy) and checked.

    Raises:
        IndexCorruptError, ManifestError: as ``read_manifest``.
    """
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise IndexCorruptError(f"the manifest of {index_dir} is unreadable ({str(exc)[:200]}): "
                                f"{rebuild_hint(index_dir)}") from exc
    problem = manifest_problem(manifest)
    if problem:
        raise ManifestError(f"the manifest of {index_dir} is damaged ({problem}): {rebuild_hint(index_dir)}")
    return manifest


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def manifest_problem(manifest: Any) -> str | None:
    """What is wrong with a manifest's shape or types, or None. Model, chunking and schema values are
    compared by ``check_compatible`` instead (a mismatch there is not damage)."""
    if not isinstance(manifest, dict):
        return "not a JSON object"
    missing = [key for key in _REQUIRED if key not in manifest]
    if missing:
        return f"no {', '.join(missing)}"
    if not isinstance(manifest["schema"], int) or isinstance(manifest["schema"], bool):
        return f"schema is not a whole number ({manifest['schema']!r})"
    if manifest["schema"] != SCHEMA_VERSION:
        return None  # another version's layout: check_compatible refuses it by name
    if not _valid_generation(manifest["generation"]):
        return f"invalid generation name {manifest['generation']!r}"
    if not isinstance(manifest["created"], str):
        return "created is not a date"
    if not isinstance(manifest.get("build_seconds", 0), int | float) or isinstance(manifest.get("build_seconds"), bool):
        return "build_seconds is not a number"
    model = manifest["model"]
    if not isinstance(model, dict):
        return "model is not an object"
    for key, kind in _MODEL_FIELDS.items():
        if not isinstance(model.get(key), kind) or isinstance(model.get(key), bool):
            return f"model {key} is not a {kind.__name__}"
    if not isinstance(manifest["chunking"], dict):
        return "chunking is not an object"
    counts = manifest["counts"]
    if not isinstance(counts, dict) or not all(_whole(counts.get(key)) for key in ("reports", "chunks", "sentences")):
        return "counts of reports, chunks and sentences are not whole numbers"
    reports = manifest["reports"]
    if not isinstance(reports, dict):
        return "reports is not an object"
    for source, info in reports.items():
        if not isinstance(info, dict):
            return f"report {source!r} is not an object"
        for key, kinds in _REPORT_FIELDS.items():
            if key in info and (not isinstance(info[key], kinds) or isinstance(info[key], bool)):
                return f"report {source!r} has a {key} of the wrong type"
    if counts["reports"] != len(reports):
        return f"counts say {counts['reports']} reports, the list holds {len(reports)}"
    if manifest["index_type"] not in INDEX_TYPES:
        return f"unknown index type {manifest['index_type']!r}"
    if not isinstance(manifest.get("inputs", []), list):
        return "inputs is not a list"
    return segments_problem(manifest) or files_problem(manifest["files"])


def segments_problem(manifest: dict[str, Any]) -> str | None:
    """What is wrong with a manifest's segments, trails and the segment of each report, or None."""
    segments = manifest["segments"]
    if not isinstance(segments, list):
        return "segments is not a list"
    names: dict[str, int] = {}
    for entry in segments:
        if not isinstance(entry, dict) or not _valid_segment(entry.get("name")) or not all(
                _whole(entry.get(key)) for key in ("rows", "sentences", "deleted")):
            return f"a segment is not a {{name, rows, sentences, deleted}} object ({str(entry)[:80]})"
        if entry["name"] in names or entry["deleted"] > entry["rows"]:
            return f"segment {entry['name']} is listed twice or has more deleted rows than rows"
        names[entry["name"]] = entry["rows"]
    for source, info in manifest["reports"].items():
        rows = info.get("rows")
        if info.get("segment") not in names or not (isinstance(rows, list) and len(rows) == 2 and all(
                _whole(r) for r in rows) and rows[0] <= rows[1] <= names[info["segment"]]):
            return f"report {source!r} names no segment or rows outside it"
    live = sum(e["rows"] - e["deleted"] for e in segments)
    if live != manifest["counts"]["chunks"]:
        return f"the segments hold {live} live chunks, counts say {manifest['counts']['chunks']}"
    trails = manifest["trails"]
    if not isinstance(trails, dict) or not all(isinstance(k, str) and isinstance(v, dict) and
                                               isinstance(v.get("file"), str) for k, v in trails.items()):
        return "trails is not an object of {force, file} entries"
    return None


def _valid_segment(name: Any) -> bool:
    return _valid_generation(name) and str(name).startswith(SEGMENT_PREFIX)


def _valid_generation(name: Any) -> bool:
    return isinstance(name, str) and bool(name) and "/" not in name and "\\" not in name and not name.startswith(".")


def generation_dir(index_dir: str | Path, manifest: dict[str, Any]) -> Path:
    """The folder of the generation a (checked) manifest names."""
    name = manifest.get("generation")
    if not _valid_generation(name):
        raise IndexCorruptError(f"the manifest of {index_dir} names an invalid generation {name!r}: "
                                f"{rebuild_hint(index_dir)}")
    return Path(index_dir) / str(name)


def new_generation_name() -> str:
    """A fresh generation folder name; names sort by creation time."""
    return f"gen-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:6]}"


def new_segment_name() -> str:
    """A fresh segment folder name (a segment keeps its name in every generation that lists it)."""
    return f"{SEGMENT_PREFIX}{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:6]}"


def check_compatible(manifest: dict[str, Any], embedder: Embedder, params: ChunkingParams,
                     index_dir: str | Path) -> None:
    """Refuse an index built with another model, backend, chunking or schema.

    Raises:
        IndexIncompatibleError: with the setting that differs and how to rebuild.
    """
    rebuild = rebuild_hint(index_dir)
    if manifest.get("schema") != SCHEMA_VERSION:
        raise IndexIncompatibleError(f"the index in {index_dir} has schema {manifest.get('schema')}, this version "
                                     f"reads schema {SCHEMA_VERSION}: {rebuild}")
    model = manifest.get("model") if isinstance(manifest.get("model"), dict) else {}
    if model.get("name") != embedder.name or model.get("fingerprint") != embedder.fingerprint:
        raise IndexIncompatibleError(
            f"the index in {index_dir} was built with model {model.get('name')} ({model.get('fingerprint')}), "
            f"not {embedder.name} ({embedder.fingerprint}): {rebuild}")
    if not backends_compatible(model.get("backend"), embedder.backend):
        raise IndexIncompatibleError(
            f"the index in {index_dir} was built with the {model.get('backend')} encoder backend, queries would use "
            f"{embedder.backend}: set INSPECTQA_BACKEND={model.get('backend')} or {rebuild}")
    if manifest.get("chunking") != params.to_dict():
        raise IndexIncompatibleError(f"the index in {index_dir} was chunked differently "
                                     f"({manifest.get('chunking')}): {rebuild}")


def backends_compatible(built: str | None, query: str) -> bool:
    """Vectors from one backend can be searched with queries from a compatible one.

    ``torch`` and ``onnx`` both compute the model in float32 (cosine > 0.9999 between their
    vectors), so either may query the other's index; ``onnx-int8`` vectors differ by up to
    0.03 in cosine, enough to reorder close passages, so int8 pairs only with int8.
    """
    return built == query or (built in FP32_BACKENDS and query in FP32_BACKENDS)


def make_manifest(*, generation: str, embedder: Embedder, params: ChunkingParams, index_type: str,
                  reports: dict[str, dict[str, Any]], counts: dict[str, int], inputs: Iterable[str | Path],
                  seconds: float, files: dict[str, dict[str, Any]], segments: list[dict[str, Any]],
                  trails: dict[str, dict[str, str]], findings: dict[str, str]) -> dict[str, Any]:
    """The manifest of a new generation: how it was built and what it holds."""
    return {
        "schema": SCHEMA_VERSION,
        "generation": generation,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": round(seconds, 2),
        "model": {"name": embedder.name, "fingerprint": embedder.fingerprint, "dim": embedder.dim,
                  "backend": embedder.backend, "max_tokens": 256},
        "chunking": params.to_dict(),
        "index_type": index_type,
        "counts": {"reports": len(reports), **counts},
        "reports": reports,
        "segments": segments,
        "trails": trails,
        "findings": findings,
        "inputs": [str(p) for p in inputs],
        "files": files,
        "versions": versions(),
        "platform": f"{platform.system()} {platform.machine()} python {sys.version.split()[0]}",
    }


def versions() -> dict[str, str]:
    """Versions of Python and of the packages an index depends on."""
    out = {"python": platform.python_version()}
    for package in _VERSIONED:
        try:
            out[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            out[package] = "not installed"
    return out


__all__ = ["CHUNKS_DB", "DEFAULT_INDEX_DIR", "DENSE", "LEXICAL", "MANIFEST", "SCHEMA_VERSION", "SEGMENT_PREFIX",
           "SENTENCES", "TOMBSTONES", "TRAILS", "VECTORS", "VOCAB", "backends_compatible", "check_compatible",
           "generation_dir", "load_manifest_file", "make_manifest", "manifest_problem", "new_generation_name",
           "new_segment_name", "read_manifest", "segments_problem", "versions"]
