"""The naive pipeline the product is measured against: 1,000-character recursive splits of the
raw text, the same encoder, a flat FAISS index, no metadata, no filters, no lexical search."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest import readers
from ingest.pipeline import discover
from ingest.types import IngestError
from search.embed import Embedder


@dataclass
class NaiveIndex:
    sources: list[str]
    texts: list[str]
    index: Any  # faiss.IndexFlatIP (faiss has no type hints)
    embedder: Embedder

    @classmethod
    def build(cls, paths: Iterable[str | Path], embedder: Embedder, chunk_chars: int = 1000,
              overlap: int = 200) -> NaiveIndex:
        import faiss
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_chars, chunk_overlap=overlap)
        sources, texts = [], []
        files, _missing = discover(paths)
        for file in files:
            try:
                raw = readers.read_document(file)
            except IngestError:  # the baseline skips what it cannot read
                continue
            for piece in splitter.split_text(raw.text):
                sources.append(raw.source)
                texts.append(piece)
        vectors = embedder.encode(texts, batch_size=32) if texts else np.zeros((0, embedder.dim), np.float32)
        index = faiss.IndexFlatIP(embedder.dim)
        if len(vectors):
            index.add(vectors)
        return cls(sources, texts, index, embedder)

    def search(self, query: str, k: int = 10, vector: np.ndarray | None = None) -> list[tuple[str, str, float]]:
        if not self.texts:
            return []
        vector = self.embedder.encode([query])[0] if vector is None else vector
        scores, ids = self.index.search(vector[None, :].astype(np.float32), min(k, len(self.texts)))
        return [(self.sources[i], self.texts[i], float(s)) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0]
