"""Concurrent questions share encoder passes; each caller still gets its own vector."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from assistant.search.query_batching import QueryBatcher
from fakes import HashingEmbedder

QUESTIONS = [f"vraag {i} over wonen nummer {i * 7}" for i in range(24)]


class SlowEmbedder(HashingEmbedder):
    """Takes a while per call, as an encoder does, and records each call's batch size."""

    def __init__(self, seconds: float = 0.05) -> None:
        super().__init__()
        self.seconds = seconds
        self.batches: list[int] = []
        self.fail_on: str | None = None

    def embed_queries(self, texts):
        self.batches.append(len(texts))
        time.sleep(self.seconds)
        if self.fail_on in texts:
            raise RuntimeError("encoder failed")
        return super().embed_queries(texts)


def test_concurrent_questions_are_batched_and_each_gets_its_own_vector() -> None:
    encoder = SlowEmbedder()
    batcher = QueryBatcher(encoder, max_batch=8)
    with ThreadPoolExecutor(len(QUESTIONS)) as pool:
        vectors = list(pool.map(lambda q: batcher.embed_queries([q])[0], QUESTIONS))
    expected = HashingEmbedder().embed_queries(QUESTIONS)
    np.testing.assert_allclose(np.stack(vectors), expected)
    assert sum(encoder.batches) == len(QUESTIONS)
    assert max(encoder.batches) == 8  # callers waited together, never more than max_batch
    assert len(encoder.batches) < len(QUESTIONS) / 2


def test_a_lone_question_goes_at_once() -> None:
    encoder = SlowEmbedder(seconds=0.0)
    batcher = QueryBatcher(encoder)
    for question in QUESTIONS[:3]:
        batcher.embed_queries([question])
    assert encoder.batches == [1, 1, 1]


def test_several_texts_from_one_caller_keep_their_order() -> None:
    batcher = QueryBatcher(HashingEmbedder())
    np.testing.assert_allclose(batcher.embed_queries(QUESTIONS[:5]),
                               HashingEmbedder().embed_queries(QUESTIONS[:5]))


def test_an_encoder_error_reaches_the_callers_of_that_batch_and_the_worker_lives_on() -> None:
    encoder = SlowEmbedder()
    encoder.fail_on = "broken"
    batcher = QueryBatcher(encoder)
    with pytest.raises(RuntimeError, match="encoder failed"):
        batcher.embed_queries(["broken"])
    assert batcher.embed_queries(["vraag"]).shape == (1, encoder.dim)


def test_it_stands_in_for_the_embedder() -> None:
    encoder = HashingEmbedder(dim=32, name="fake:x")
    batcher = QueryBatcher(encoder)
    assert (batcher.name, batcher.dim) == ("fake:x", 32)
    assert batcher.embed_passages(["a b"]).shape == (1, 32)


def _workers() -> int:
    return sum(t.name == "query-batcher" for t in threading.enumerate())


def test_one_worker_however_many_first_callers() -> None:
    batcher = QueryBatcher(SlowEmbedder(seconds=0.0))
    before = _workers()
    barrier = threading.Barrier(8)

    def first_call() -> None:
        barrier.wait()
        batcher.embed_queries(["vraag"])

    threads = [threading.Thread(target=first_call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _workers() == before + 1
