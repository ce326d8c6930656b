"""Encoder backends: choice by environment, the manifest's backend check, the ONNX export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from search import embed
from search.embed import OnnxEmbedder, SentenceTransformerEmbedder
from search.errors import EmbedderError, IndexIncompatibleError
from search.index.build import build_index
from search.index.layout import backends_compatible
from tests.conftest import REPORTS, KeywordEmbedder


class BackendKeywordEmbedder(KeywordEmbedder):
    """The keyword test encoder, claiming the real model and a chosen backend."""

    def __init__(self, backend: str) -> None:
        super().__init__()
        self.backend = backend


@pytest.mark.parametrize("value, expected", [("torch", "torch"), ("onnx", "onnx"), ("onnx-int8", "onnx-int8"),
                                             (" ONNX-INT8 ", "onnx-int8")])
def test_backend_is_chosen_by_environment(monkeypatch: pytest.MonkeyPatch, value: str, expected: str) -> None:
    monkeypatch.setattr(embed, "onnx_available", lambda: True)
    monkeypatch.setenv("INSPECTQA_BACKEND", value)
    assert embed.selected_backend() == expected


def test_default_backend_is_onnx_with_onnxruntime_and_torch_without(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INSPECTQA_BACKEND", raising=False)
    monkeypatch.setattr(embed, "onnx_available", lambda: True)
    assert embed.selected_backend() == "onnx"
    monkeypatch.setattr(embed, "onnx_available", lambda: False)
    assert embed.selected_backend() == "torch"


def test_unknown_backend_is_refused_with_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSPECTQA_BACKEND", "tensorflow")
    with pytest.raises(EmbedderError, match=r"INSPECTQA_BACKEND='tensorflow'.*onnx, onnx-int8, torch"):
        embed.selected_backend()


def test_onnx_backend_without_onnxruntime_says_how_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embed, "onnx_available", lambda: False)
    monkeypatch.setenv("INSPECTQA_BACKEND", "onnx-int8")
    with pytest.raises(EmbedderError, match=r"pip install -e \.|INSPECTQA_BACKEND=torch"):
        embed.selected_backend()


def test_make_embedder_builds_the_named_backend_lazily() -> None:
    onnx = embed.make_embedder("onnx")
    int8 = embed.make_embedder("onnx-int8")
    torch = embed.make_embedder("torch")
    assert isinstance(onnx, OnnxEmbedder) and onnx.backend == "onnx" and not onnx.quantized
    assert isinstance(int8, OnnxEmbedder) and int8.backend == "onnx-int8" and int8.quantized
    assert isinstance(torch, SentenceTransformerEmbedder) and torch.backend == "torch"
    # All three identify the same bundled weights, so an index's fingerprint check still works.
    assert onnx.fingerprint == int8.fingerprint == torch.fingerprint
    with pytest.raises(EmbedderError, match="choose one of"):
        embed.make_embedder("cuda")


def test_float32_backends_are_interchangeable_and_int8_stands_alone() -> None:
    assert backends_compatible("torch", "onnx") and backends_compatible("onnx", "torch")
    assert backends_compatible("onnx-int8", "onnx-int8")
    assert not backends_compatible("onnx-int8", "onnx")
    assert not backends_compatible("torch", "onnx-int8")
    assert not backends_compatible(None, "onnx")


def test_index_refuses_queries_from_an_incompatible_backend(tmp_path: Path) -> None:
    from search.retrieve.searcher import Searcher

    index_dir = tmp_path / "index"
    build_index([REPORTS], index_dir, embedder=BackendKeywordEmbedder("onnx-int8"))
    with pytest.raises(IndexIncompatibleError) as refused:
        Searcher.load(index_dir, embedder=BackendKeywordEmbedder("onnx"))
    message = str(refused.value)
    assert "onnx-int8" in message and "INSPECTQA_BACKEND=onnx-int8" in message and "--rebuild" in message
    searcher = Searcher.load(index_dir, embedder=BackendKeywordEmbedder("onnx-int8"))
    assert searcher.manifest["model"]["backend"] == "onnx-int8"
    assert searcher.search("crime prevention", k=3).hits


def test_torch_built_index_is_searched_by_the_onnx_backend(tmp_path: Path) -> None:
    from search.retrieve.searcher import Searcher

    index_dir = tmp_path / "index"
    build_index([REPORTS], index_dir, embedder=BackendKeywordEmbedder("torch"))
    searcher = Searcher.load(index_dir, embedder=BackendKeywordEmbedder("onnx"))
    assert searcher.search("crime prevention", k=3).hits
    # An update with the other float32 backend keeps the vectors (nothing is embedded again).
    again = BackendKeywordEmbedder("onnx")
    result = build_index([REPORTS], index_dir, embedder=again)
    assert not result.published and again.texts_encoded == 0


def _fake_export(monkeypatch: pytest.MonkeyPatch, on_export=None) -> list[Path]:
    """Replace the PyTorch export and check by a file write, recording the targets."""
    written: list[Path] = []

    def export_fp32(model_dir: Path, target: Path) -> None:
        if on_export:
            on_export(target)
        target.write_bytes(b"onnx")
        written.append(target)

    monkeypatch.setattr(embed, "_export_fp32", export_fp32)
    monkeypatch.setattr(embed, "_check_against_torch", lambda *args, **kwargs: None)
    return written


def test_export_is_published_whole_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    written = _fake_export(monkeypatch)
    target = embed.export_onnx(tmp_path / "weights", "abc123", cache_dir=tmp_path / "cache")
    assert target.read_bytes() == b"onnx" and (target.parent / "export.json").exists()
    assert embed.export_onnx(tmp_path / "weights", "abc123", cache_dir=tmp_path / "cache") == target
    assert len(written) == 1  # the second call found the published export
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [target.parent.name]


def test_failed_export_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(target: Path) -> None:
        target.write_bytes(b"half")
        raise RuntimeError("exporter crashed")

    _fake_export(monkeypatch, on_export=crash)
    with pytest.raises(EmbedderError, match="INSPECTQA_BACKEND=torch"):
        embed.export_onnx(tmp_path / "weights", "abc123", cache_dir=tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_concurrent_export_keeps_the_one_published_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"

    def other_process_wins(target: Path) -> None:
        final = cache / f"abc123-fp32-{embed.ONNX_RECIPE}"
        final.mkdir(parents=True)
        (final / "model.onnx").write_bytes(b"first")

    _fake_export(monkeypatch, on_export=other_process_wins)
    target = embed.export_onnx(tmp_path / "weights", "abc123", cache_dir=cache)
    assert target.read_bytes() == b"first"
    assert [p.name for p in cache.iterdir()] == [target.parent.name]  # our temporary copy is gone


def test_unwritable_cache_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    _fake_export(monkeypatch)
    with pytest.raises(EmbedderError, match="INSPECTQA_ONNX_CACHE"):
        embed.export_onnx(tmp_path / "weights", "abc123", cache_dir=blocker / "cache")


def test_cache_folder_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSPECTQA_ONNX_CACHE", str(tmp_path / "onnx"))
    assert embed.onnx_cache_dir() == tmp_path / "onnx"
    monkeypatch.delenv("INSPECTQA_ONNX_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert embed.onnx_cache_dir() == tmp_path / "xdg" / "inspectqa" / "onnx"


SENTENCES = [
    "How well does Hertfordshire Constabulary protect vulnerable people?",
    "The force has a good understanding of serious and organised crime.",
    "Officers attend anti-social behaviour incidents quickly.",
    "Missing children",
]


@pytest.mark.slow
def test_onnx_backends_agree_with_pytorch(real_embedder) -> None:
    reference = SentenceTransformerEmbedder().encode(SENTENCES)
    fp32 = OnnxEmbedder().encode(SENTENCES)
    int8 = OnnxEmbedder(quantized=True).encode(SENTENCES)
    assert fp32.shape == int8.shape == (len(SENTENCES), 384)
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-4)
    assert np.min(np.sum(fp32 * reference, axis=1)) > 0.999
    assert np.min(np.sum(int8 * reference, axis=1)) > 0.95
    # Batching and order do not change a text's vector.
    single = OnnxEmbedder().encode(SENTENCES[2:3])
    assert np.allclose(single[0], fp32[2], atol=1e-5)
    # A question batched with single words: padding each word to the question's length changes nothing.
    mixed = ["How well does the force protect vulnerable people from harm?", "misogyny", "drones", "Taser"]
    together = OnnxEmbedder().encode(mixed)
    alone = np.vstack([OnnxEmbedder().encode([text]) for text in mixed])
    assert np.allclose(together, alone, atol=1e-5)


@pytest.mark.parametrize("lengths, max_batch, expected", [
    ([20, 3, 3, 12], 32, [[0, 3], [1, 2]]),  # words are not padded to the question's length
    ([20, 18], 32, [[0, 1]]),  # similar lengths share one call
    ([5] * 70, 32, None),  # batches never exceed max_batch
    ([], 32, []),
])
def test_batches_group_similar_lengths_within_the_batch_size(lengths: list[int], max_batch: int,
                                                             expected: list[list[int]] | None) -> None:
    batches = [b.tolist() for b in embed.plan_batches(lengths, max_batch)]
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))  # every text once
    assert all(0 < len(b) <= max_batch for b in batches)
    if expected is not None:
        assert batches == expected
    else:
        assert len(batches) == 3
