"""Vectors a report already has: the texts a changed report's previous version was embedded from,
and the sentences of any report that the live generation already stores word for word, with the
vectors stored for them.

A report that changes (a page saved again with a paragraph added, a corrected PDF) is read and
chunked again, but most of its chunks and sentences are word for word what they were. Their vectors
are taken from the live generation's segment instead of being encoded again, so changing a report
costs the encoder only what changed. Chunk vectors are stored as float32 and come back exactly;
sentence vectors are stored as int8 and come back as the same int8 rows once stored again
(``search.index.dense.quantize_unit`` leaves them unchanged). Rows that do not look like stored
unit vectors (a damaged file) are not used: their texts are encoded again.

Reports share sentences too: a template's paragraphs, a methodology note, site furniture printed
in every report of a kind. An added report's sentences that some indexed report holds word for word
take its stored row (``indexed_sentence_vectors``): they are found by the chunk stores' index of
sentence keys (a store written without that index is not searched), and each is checked against
the stored sentence's exact text before its row is taken.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ingest.chunk import sentence_units, units_of
from ingest.types import Chunk
from search.index.layout import CHUNKS_DB, SENTENCES, VECTORS
from search.index.store import chunk_texts, sentence_key, sentences_by_key

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


def indexed_sentence_vectors(generation: Path, segments: Sequence[dict[str, Any]], chunks: Sequence[Chunk]
                             ) -> tuple[list[str], np.ndarray]:
    """The sentences of ``chunks`` that a segment of ``generation`` stores word for word, and their
    stored int8 rows as float32 (a sentence's vector only: quantised again, each gives the row it
    came from). Segments are searched largest first, each for the sentences not found yet.

    Args:
        segments: the generation's manifest entries of its segments.
    """
    wanted: dict[int, set[str]] = {}  # sentence key -> the texts of this report with that key
    for chunk in chunks:
        for start, end, unit in sentence_units(chunk):
            wanted.setdefault(sentence_key(chunk.text[start:end]), set()).add(unit)
    texts: list[str] = []
    rows: list[np.ndarray] = []
    for entry in sorted(segments, key=lambda s: -int(s["rows"])):
        if not wanted:
            break
        folder = generation / entry["name"]
        try:
            found = _stored_sids(sentences_by_key(folder / CHUNKS_DB, wanted), wanted)
            stored = np.asarray(np.load(folder / SENTENCES, mmap_mode="r", allow_pickle=False)[list(found.values())],
                                dtype=np.float32) if found else np.zeros((0, 0), np.float32)
        except (OSError, KeyError, ValueError, TypeError, IndexError, sqlite3.Error) as exc:
            logger.info("not reusing the sentence vectors of %s (%s)", entry.get("name"), exc)
            continue
        for (key, unit), row in zip(found, stored, strict=True):
            if np.abs(row).max() == 127:  # as quantize_unit stores a row; anything else is encoded
                texts.append(unit)
                rows.append(row)
                wanted[key].discard(unit)
                if not wanted[key]:
                    del wanted[key]
    return texts, np.vstack(rows) if rows else np.zeros((0, 0), np.float32)


def _stored_sids(found: dict[int, list[tuple]], wanted: dict[int, set[str]]) -> dict[tuple[int, str], int]:
    """(key, text) -> sentence id of the first stored sentence whose text is the wanted one exactly
    (keys are of a normal form: case, quotes and spacing may differ)."""
    units: dict[tuple[str, str, bool], dict[tuple[int, int], str]] = {}
    out: dict[tuple[int, str], int] = {}
    for key, candidates in found.items():
        for sid, start, end, text, embed_text, is_table in candidates:
            chunk = (text, embed_text, bool(is_table))
            if chunk not in units:
                units[chunk] = {(s, e): unit for s, e, unit in units_of(*chunk)}
            unit = units[chunk].get((start, end))
            if unit in wanted[key] and (key, unit) not in out:
                out[(key, unit)] = sid
    return out


def _unit_rows(vectors: np.ndarray) -> bool:
    return bool(len(vectors)) and bool(np.all(np.isfinite(vectors))) and \
        bool(np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3))


__all__ = ["indexed_sentence_vectors", "stored_vectors"]
