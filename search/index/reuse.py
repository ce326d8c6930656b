"""Vectors a changed report already has: the texts its previous version was embedded from, with the
vectors the live generation stores for them.

A report that changes (a page saved again with a paragraph added, a corrected PDF) is read and
chunked again, but most of its chunks and sentences are word for word what they were. Their vectors
are taken from the live generation's segment instead of being encoded again, so changing a report
costs the encoder only what changed. Chunk vectors are stored as float32 and come back exactly;
sentence vectors are stored as int8 and come back as the same int8 rows once stored again
(``search.index.dense.quantize_unit`` leaves them unchanged). Rows that do not look like stored
unit vectors (a damaged file) are not used: their texts are encoded again.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np

from ingest.chunk import units_of
from search.index.layout import CHUNKS_DB, SENTENCES, VECTORS
from search.index.store import chunk_texts

logger = logging.getLogger(__name__)


def stored_vectors(generation: Path, entry: dict[str, Any]) -> tuple[list[str], np.ndarray]:
    """The texts one report of ``generation`` was embedded from (its chunks', then its sentences')
    and their stored vectors, as float32 rows; nothing when they cannot be read or look damaged.

    Args:
        entry: the report's record in the generation's manifest (its segment, rows and sentences).
    """
    try:
        folder = generation / entry["segment"]
        (a, b), (sa, sb) = entry["rows"], entry["sentences"]
        records = chunk_texts(folder / CHUNKS_DB, a, b)
        chunk_vectors = np.asarray(np.load(folder / VECTORS, mmap_mode="r", allow_pickle=False)[a:b], dtype=np.float32)
        sentence_rows = np.asarray(np.load(folder / SENTENCES, mmap_mode="r", allow_pickle=False)[sa:sb], dtype=np.float32)
    except (OSError, KeyError, ValueError, TypeError, IndexError, sqlite3.Error) as exc:
        logger.info("encoding the changed report again: its stored vectors cannot be read (%s)", exc)
        return [], np.zeros((0, 0), np.float32)
    texts = [embed_text for _text, embed_text, _table in records]
    sentences = [unit for text, embed_text, table in records for _s, _e, unit in units_of(text, embed_text, table)]
    if len(texts) != len(chunk_vectors) or not _unit_rows(chunk_vectors):
        return [], np.zeros((0, 0), np.float32)
    if len(sentences) != len(sentence_rows) or not len(sentence_rows) or np.any(np.abs(sentence_rows).max(axis=1) != 127):
        return texts, chunk_vectors  # sentences stored otherwise than this version cuts them: encode them
    return texts + sentences, np.vstack([chunk_vectors, sentence_rows])


def _unit_rows(vectors: np.ndarray) -> bool:
    return bool(len(vectors)) and bool(np.all(np.isfinite(vectors))) and \
        bool(np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3))


__all__ = ["stored_vectors"]
