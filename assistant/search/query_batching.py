"""Concurrent questions embedded together: one encoder pass for all that are waiting.

On 2 CPU cores one EmbeddingGemma question alone costs about 97 ms; eight in one pass cost
about 46 ms each (benchmarks/bench_query_batching.py), because the encoder's fixed cost per
call (masks, kernel launch, thread wake-up) is shared. A single worker thread owns the
encoder: it takes the first waiting question at once, with every other one that arrived
while it was busy, so a lone question never waits for company and a busy server batches
by itself. Hand-written rather than a library: the dynamic-batching packages on PyPI are
asyncio-first and young (0.x), and this is one queue and one thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future

import numpy as np

from assistant.models.encoder import Embedder

MAX_BATCH = 16  # past this the per-question cost no longer drops (the benchmark above)


class QueryBatcher:
    """`embed_queries` of the wrapped embedder, with concurrent callers' texts in one pass.

    Anything else (`name`, `dim`, `embed_passages`, ...) is the wrapped embedder's own.
    """

    def __init__(self, embedder: Embedder, max_batch: int = MAX_BATCH) -> None:
        self._embedder = embedder
        self._max_batch = max_batch
        self._waiting: queue.SimpleQueue[tuple[str, Future]] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def __getattr__(self, name: str):
        return getattr(self._embedder, name)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self._ensure_worker()
        futures = []
        for text in texts:
            future: Future = Future()
            self._waiting.put((text, future))
            futures.append(future)
        return np.stack([future.result() for future in futures])

    def _ensure_worker(self) -> None:
        if self._worker is None:
            with self._start_lock:
                if self._worker is None:
                    self._worker = threading.Thread(target=self._run, name="query-batcher",
                                                    daemon=True)
                    self._worker.start()

    def _run(self) -> None:
        while True:
            batch = [self._waiting.get()]  # blocks while nobody asks
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._waiting.get_nowait())
                except queue.Empty:
                    break
            _embed_batch(self._embedder.embed_queries, batch)


def _embed_batch(embed: Callable[[list[str]], np.ndarray],
                 batch: list[tuple[str, Future]]) -> None:
    """Resolve each caller's future with its row, or with the encoder's error."""
    try:
        vectors = embed([text for text, _ in batch])
    except BaseException as error:  # the caller's thread re-raises it; the worker lives on
        for _, future in batch:
            future.set_exception(error)
        return
    for (_, future), vector in zip(batch, vectors):
        future.set_result(vector)
