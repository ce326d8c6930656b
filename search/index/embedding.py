"""Embedding while reports are still being read.

A build reads reports one after another in a bounded worker process; ``BackgroundEmbedding``
encodes the texts of each report on a thread of the build's own process as soon as the report is
read, so the encoder works while the next file is parsed. Texts are encoded in batches of about
one length (longest first within what is waiting), and a text met twice (a sentence two
overlapping chunks share, a template paragraph) is encoded once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

from search.embed import Embedder

EMBED_BATCH = 64
FLUSH_AT = 512
"""Texts waiting before the thread starts on them (fewer at the end)."""


class BackgroundEmbedding:
    """Texts submitted from the reading loop, encoded on a background thread.

    ``submit`` queues texts; ``vectors`` waits for the thread and returns the vectors of the texts
    asked for (each submitted before). An error in the encoder is raised by ``vectors``.
    """

    def __init__(self, embedder: Embedder, progress: Callable[[str, int, int], None] | None = None,
                 flush_at: int = FLUSH_AT) -> None:
        self.embedder = embedder
        self.progress = progress
        self.flush_at = flush_at
        self._index: dict[str, int] = {}
        self._texts: list[str] = []
        self._vectors: list[np.ndarray | None] = []
        self._pending: list[int] = []
        self._given: set[int] = set()  # ids whose vectors ``known`` gave
        self._rows: set[int] = set()  # ... of which stored int8 sentence rows
        self._done = 0
        self._closed = False
        self._flush = False
        self._error: BaseException | None = None
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, texts: Sequence[str]) -> None:
        """Queue ``texts`` (those already queued are not encoded again)."""
        with self._ready:
            for text in texts:
                if text not in self._index:
                    self._index[text] = len(self._texts)
                    self._texts.append(text)
                    self._vectors.append(None)
                    self._pending.append(self._index[text])
            if len(self._pending) >= self.flush_at:
                self._start()
                self._ready.notify()

    def known(self, texts: Sequence[str], vectors: np.ndarray, *, sentence_rows: bool = False) -> None:
        """Vectors already at hand for ``texts`` (a changed report's unchanged chunks and sentences,
        as stored): those texts are not encoded. ``sentence_rows``: the vectors are stored int8
        sentence rows (as float32), a sentence's vector only: a chunk with one of those texts is
        encoded for its own vector (``vectors(exact=True)``)."""
        with self._ready:
            for text, vector in zip(texts, vectors, strict=True):
                if text not in self._index:
                    self._index[text] = len(self._texts)
                    self._given.add(self._index[text])
                    if sentence_rows:
                        self._rows.add(self._index[text])
                    self._texts.append(text)
                    self._vectors.append(np.asarray(vector, dtype=np.float32))
                    self._done += 1

    def forget_known(self) -> None:
        """Encode every text whose vector ``known`` gave (the files it was read from failed their
        checks), as if it had been submitted."""
        with self._ready:
            for i in sorted(self._given):
                self._vectors[i] = None
                self._pending.append(i)
            self._done -= len(self._given)
            self._given.clear()
            self._rows.clear()

    def flush(self) -> None:
        """Start on the texts waiting now, however few (the reading is over: the encoder works while
        the build checks the index it builds on)."""
        with self._ready:
            if self._pending:
                self._flush = True
                self._start()
                self._ready.notify()

    def close(self) -> None:
        """No more texts: the thread finishes what it holds and ends (``vectors`` still answers)."""
        with self._ready:
            self._closed = True
            self._ready.notify()

    def __enter__(self) -> BackgroundEmbedding:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="embedding", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            while True:
                with self._ready:
                    while not self._closed and not self._flush and len(self._pending) < self.flush_at:
                        self._ready.wait()
                    work, self._pending, self._flush = self._pending, [], False
                    texts = [self._texts[i] for i in work]
                    if not work and self._closed:
                        return
                self._encode(work, texts)
        except BaseException as exc:  # handed to the caller of vectors()
            self._error = exc

    def _encode(self, ids: list[int], texts: list[str]) -> None:
        # Longest first, so each batch holds texts of about one length and little padding is encoded.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for start in range(0, len(order), EMBED_BATCH):
            rows = order[start:start + EMBED_BATCH]
            encoded = self.embedder.encode([texts[i] for i in rows], batch_size=32)
            with self._ready:
                for row, vector in zip(rows, encoded, strict=True):
                    self._vectors[ids[row]] = np.asarray(vector, dtype=np.float32)
                self._done += len(rows)
                done, total = self._done, len(self._texts)
            if self.progress:
                self.progress("embed", done, total)

    def vectors(self, texts: Sequence[str], *, exact: bool = False) -> np.ndarray:
        """The vectors of ``texts`` (float32, one row each), once every queued text is encoded.
        ``exact``: each as the encoder gives it (a chunk's vector), never a stored int8 sentence row.

        Raises:
            whatever the encoder raised.
        """
        with self._ready:
            self._closed = True
            if self._pending and self.progress:
                self.progress("embed", self._done, len(self._texts))
            self._start()
            self._ready.notify()
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        if not texts:
            return np.zeros((0, self.embedder.dim), np.float32)
        redo = [t for t in dict.fromkeys(texts) if self._index[t] in self._rows] if exact else []
        for text, vector in zip(redo, self.embedder.encode(redo, batch_size=32) if redo else [], strict=True):
            self._vectors[self._index[text]] = np.asarray(vector, dtype=np.float32)
            self._rows.discard(self._index[text])
        return np.stack([self._vectors[self._index[t]] for t in texts]).astype(np.float32)  # type: ignore[misc]


__all__ = ["EMBED_BATCH", "BackgroundEmbedding"]
