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
from search.errors import IndexCorruptError, IndexIncompatibleError, IndexMissingError, rebuild_hint
from search.index.dense import INDEX_TYPES

SCHEMA_VERSION = 3  # 2: sentence vectors stored as int8; 3: report periods, URLs, stated grades, sentence keys
MANIFEST = "manifest.json"
DEFAULT_INDEX_DIR = Path("index")

# The files of one generation folder (docs/index.md).
CHUNKS_DB = "chunks.sqlite"
VECTORS = "vectors.npy"
SENTENCES = "sentences.npy"
DENSE = "dense.faiss"
LEXICAL = "lexical"

_REQUIRED = ("schema", "generation", "model", "chunking", "counts", "reports", "index_type")
_VERSIONED = ("inspectqa", "sentence-transformers", "transformers", "torch", "faiss-cpu", "bm25s",
              "langchain-text-splitters", "pypdf", "numpy")


def read_manifest(index_dir: str | Path) -> dict[str, Any]:
    """The live manifest of ``index_dir``, checked for the fields loading relies on.

    Raises:
        IndexMissingError: no index has been built there.
        IndexCorruptError: the manifest cannot be read or lacks what loading needs.
    """
    index_dir = Path(index_dir)
    path = index_dir / MANIFEST
    if not path.exists():
        raise IndexMissingError(
            f"no index in {index_dir}: build one with `inspectqa index reports/ --index-dir {index_dir}`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(f"the manifest of {index_dir} is unreadable ({exc}): {rebuild_hint(index_dir)}") from exc
    problem = manifest_problem(manifest)
    if problem:
        raise IndexCorruptError(f"the manifest of {index_dir} is damaged ({problem}): {rebuild_hint(index_dir)}")
    return manifest


def manifest_problem(manifest: Any) -> str | None:
    """What is wrong with a manifest's shape, or None. Model, chunking and schema values are
    compared by ``check_compatible`` instead (a mismatch there is not damage)."""
    if not isinstance(manifest, dict):
        return "not a JSON object"
    missing = [key for key in _REQUIRED if key not in manifest]
    if missing:
        return f"no {', '.join(missing)}"
    if not _valid_generation(manifest["generation"]):
        return f"invalid generation name {manifest['generation']!r}"
    counts = manifest["counts"]
    if not isinstance(counts, dict) or not all(
            isinstance(counts.get(key), int) and not isinstance(counts.get(key), bool) and counts[key] >= 0
            for key in ("chunks", "sentences")):
        return "counts of chunks and sentences are not whole numbers"
    if not isinstance(manifest["reports"], dict):
        return "reports is not an object"
    if manifest["index_type"] not in INDEX_TYPES:
        return f"unknown index type {manifest['index_type']!r}"
    return None


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
                  seconds: float) -> dict[str, Any]:
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
        "inputs": [str(p) for p in inputs],
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


__all__ = ["CHUNKS_DB", "DEFAULT_INDEX_DIR", "DENSE", "LEXICAL", "MANIFEST", "SCHEMA_VERSION", "SENTENCES",
           "VECTORS", "backends_compatible", "check_compatible", "generation_dir", "make_manifest",
           "manifest_problem", "new_generation_name", "read_manifest", "versions"]
