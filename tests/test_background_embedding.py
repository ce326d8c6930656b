"""Texts are encoded on a thread while a build goes on: few texts start when the reading is over
(``flush``), every text is encoded once, and an ended build leaves no thread waiting."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from search.index.embedding import BackgroundEmbedding


class Recording:
    name, dim, fingerprint = "recording", 4, "r"

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.started = threading.Event()

    def encode(self, texts: list[str], **_kw) -> np.ndarray:
        self.batches.append(list(texts))
        self.started.set()
        return np.array([[len(t), 1, 0, 0] for t in texts], np.float32)


def test_a_flush_starts_the_encoder_before_the_vectors_are_asked_for() -> None:
    encoder = Recording()
    background = BackgroundEmbedding(encoder)
    background.submit(["a report's first chunk", "its sentence"])
    assert not encoder.started.wait(0.2)  # a few texts wait for more
    background.flush()
    assert encoder.started.wait(10)  # and start once the reading is over
    background.submit(["a later text", "its sentence"])  # a text met twice is encoded once
    vectors = background.vectors(["its sentence", "a later text"])
    assert vectors[:, 0].tolist() == [12, 12]
    assert sorted(t for b in encoder.batches for t in b) == ["a later text", "a report's first chunk", "its sentence"]


def test_closing_ends_the_thread_and_the_vectors_still_answer() -> None:
    encoder = Recording()
    background = BackgroundEmbedding(encoder)
    background.submit(["one text"])
    background.flush()
    background.close()
    background._thread.join(10)  # the thread ends rather than wait for texts forever
    assert not background._thread.is_alive()
    assert background.vectors(["one text"])[0, 0] == 8


def test_an_encoder_error_reaches_whoever_asks_for_the_vectors() -> None:
    class Failing(Recording):
        def encode(self, texts, **_kw):
            raise RuntimeError("the encoder failed")

    background = BackgroundEmbedding(Failing())
    background.submit(["x"])
    background.flush()
    with pytest.raises(RuntimeError, match="the encoder failed"):
        background.vectors(["x"])
