"""The benchmark's encoders: a hashed-word stand-in for smoke tests, the product's encoder on a
named backend, a cache of vectors kept between runs, and real vectors replayed with noise for the
levels where only index and query costs are measured."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np


class HashEmbedder:
    """A fast stand-in encoder (hashed words) for smoke tests of the benchmark itself."""

    name = "bench/hash"
    dim = 384
    backend = "hash"
    fingerprint = "hash-v1"

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]{3,}", text.lower()):
                out[i, int.from_bytes(hashlib.blake2b(word[:6].encode(), digest_size=4).digest(), "little") % 384] += 1
            out[i, 0] += 1e-3
            out[i] /= np.linalg.norm(out[i])
        return out


def make_encoder(kind: str):
    """'hash' for smoke tests, else the product's encoder on the backend named by ``kind``."""
    if kind == "hash":
        return HashEmbedder()
    from search.embed import make_embedder

    return make_embedder(None if kind == "default" else kind)


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class CachingEmbedder:
    """Wraps an encoder; vectors of texts seen before (in this run or a saved cache) are reused."""

    def __init__(self, inner, path: Path | None) -> None:
        self.inner, self.path = inner, path
        self.name, self.dim, self.backend, self.fingerprint = inner.name, inner.dim, inner.backend, inner.fingerprint
        self.vectors: dict[bytes, np.ndarray] = {}
        self.misses = 0
        if path and path.exists():
            data = np.load(path)
            self.vectors = dict(zip((bytes(k) for k in data["keys"]), data["vectors"], strict=True))

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        todo = sorted({k: i for i, k in enumerate(keys) if k not in self.vectors}.values())
        if todo:
            self.misses += len(todo)
            fresh = self.inner.encode([texts[i] for i in todo], batch_size=batch_size)
            for i, vector in zip(todo, fresh, strict=True):
                self.vectors[keys[i]] = vector
        return np.stack([self.vectors[k] for k in keys]) if keys else np.zeros((0, self.dim), np.float32)

    def save(self) -> None:
        if self.path and self.vectors:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp.npz")
            np.savez(tmp, keys=np.array([np.frombuffer(k, np.uint8) for k in self.vectors]),
                     vectors=np.stack(list(self.vectors.values())).astype(np.float32))
            os.replace(tmp, self.path)

    def pool(self) -> np.ndarray:
        return np.stack(list(self.vectors.values())).astype(np.float32)


class ReplayEmbedder:
    """Real vectors replayed with noise, under the real encoder's identity: each text gets a
    vector from ``pool`` (chosen by the text's hash) plus Gaussian noise, normalised. Used where
    only index and query costs are measured, so the index opens with the real encoder."""

    def __init__(self, identity, pool: np.ndarray, noise: float = 0.04) -> None:
        self.name, self.dim, self.backend, self.fingerprint = (identity.name, identity.dim, identity.backend,
                                                               identity.fingerprint)
        self.pool, self.noise = pool, noise

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        out = np.empty((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(text_key(text)[:8], "little")
            rng = np.random.default_rng(seed)
            out[i] = self.pool[seed % len(self.pool)] + rng.normal(0, self.noise, self.dim)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def noisy(vectors: np.ndarray, rng: np.random.Generator, noise: float = 0.04) -> np.ndarray:
    out = vectors.astype(np.float32) + rng.normal(0, noise, vectors.shape).astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)

