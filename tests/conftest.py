"""Shared fixtures: a fake keyword encoder for fast tests, and the real bundled encoder (slow)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"
DEV_QUESTIONS = ROOT / "eval" / "dev_questions.jsonl"
LETTER = REPORTS / "000_5fe6c616d4e4f80a.txt"
PEEL_2015 = REPORTS / "001_c0284af982d288b6.txt"


class KeywordEmbedder:
    """A deterministic stand-in for the encoder: hashed bag of lower-cased word stems.

    Texts that share words get similar vectors, which is enough to test ranking plumbing,
    filters and incremental indexing without loading a model.
    """

    name = "test/keyword-hash"
    dim = 384
    backend = "test"
    fingerprint = "keyword-hash-v1"

    def __init__(self) -> None:
        self.calls = 0
        self.texts_encoded = 0

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        self.calls += 1
        self.texts_encoded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]{3,}", text.lower()):
                digest = hashlib.blake2b(word[:6].encode(), digest_size=4).digest()
                out[i, int.from_bytes(digest, "little") % self.dim] += 1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
            if not norm:
                out[i, 0] = 1.0
        return out


class RecordingEmbedder(KeywordEmbedder):
    """The keyword encoder, keeping every text it was asked to encode."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        self.texts.extend(texts)
        return super().encode(texts, batch_size=batch_size, progress=progress)


@pytest.fixture
def fake_embedder() -> KeywordEmbedder:
    return KeywordEmbedder()


@pytest.fixture
def sample_reports(tmp_path: Path) -> Path:
    """A private copy of the bundled reports that a test may change."""
    folder = tmp_path / "reports"
    shutil.copytree(REPORTS, folder)
    return folder


@pytest.fixture(scope="session")
def fake_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the bundled reports built with the keyword encoder (fast)."""
    from search.index.build import build_index

    index_dir = tmp_path_factory.mktemp("fake-index")
    build_index([REPORTS], index_dir, embedder=KeywordEmbedder())
    return index_dir


@pytest.fixture(scope="session")
def fake_searcher(fake_index: Path):
    from search.retrieve.searcher import Searcher

    return Searcher.load(fake_index, embedder=KeywordEmbedder())


@pytest.fixture(scope="session")
def real_embedder():
    """The bundled all-MiniLM-L6-v2 (loaded once per test session)."""
    from search.embed import default_embedder

    return default_embedder()


@pytest.fixture(scope="session")
def real_index(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:
    """An index of the bundled reports built with the real encoder (slow: about 20 s)."""
    from search.index.build import build_index

    index_dir = tmp_path_factory.mktemp("real-index")
    build_index([REPORTS], index_dir, embedder=real_embedder)
    return index_dir


@pytest.fixture(scope="session")
def real_searcher(real_index: Path, real_embedder):
    from search.retrieve.searcher import Searcher

    return Searcher.load(real_index, embedder=real_embedder)


# The app's index and its private copies, for the app tests (tests/app_support.py).
from tests.app_support import app_index, own_index  # noqa: E402, F401


@pytest.fixture(scope="session")
def bank_searcher(tmp_path_factory: pytest.TempPathFactory, real_embedder):
    """The evaluation corpus (sample reports and eval/corpus/) indexed with the real encoder (slow:
    about 3 minutes); its questions are eval/questions/ (only the dev split is read by tests)."""
    from eval.bank import corpus_files
    from search.index.build import build_index
    from search.retrieve.searcher import Searcher

    index_dir = tmp_path_factory.mktemp("bank-index")
    build_index([str(p) for p in corpus_files()], index_dir, embedder=real_embedder)
    return Searcher.load(index_dir, embedder=real_embedder)


def index_of_pages(tmp_path_factory: pytest.TempPathFactory, pages: dict[str, str], name: str) -> Path:
    """An index, built with the keyword encoder, of report files written from ``pages`` (file name -> text)."""
    from search.index.build import build_index

    folder = tmp_path_factory.mktemp(f"{name}-reports")
    for file_name, text in pages.items():
        (folder / file_name).write_text(text, encoding="utf-8")
    index_dir = tmp_path_factory.mktemp(f"{name}-index")
    build_index([folder], index_dir, embedder=KeywordEmbedder())
    return index_dir
