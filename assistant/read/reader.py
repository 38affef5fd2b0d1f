"""The reader: which pooled sentences answer the question, and so which passages come first.

Retrieval proposes a wide pool (`Settings.reader_pool` passages); the reader scores every
sentence in it with a model trained on housing questions whose answers are known
(assistant/fitted/train_reader.py, figures in assistant/fitted/READER.md), and the passages
are ordered by their best sentence. The model reads only what retrieval already computed
(read/features.py), so it costs no encoder pass. It is fitted per encoder, like every
other fitted value: an encoder without a fitted reader keeps retrieval's order. Its fitted
file is loaded and verified beside the encoders (models/reader.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from assistant.models.reader import ReaderModel
from assistant.read.features import SCALARS, Candidate, candidates, pair_features
from assistant.search.retrieval import SearchResult


@dataclass(frozen=True)
class Reading:
    """One pooled sentence and the reader's logit that it answers the question."""

    candidate: Candidate
    logit: float


class Reader:
    def __init__(self, model: ReaderModel) -> None:
        self.model = model

    def read(self, result: SearchResult) -> list[Reading]:
        """Every sentence of the pool, best first."""
        pool = candidates(result)
        if not pool or result.vector is None:
            return []
        scalars = pair_features(result, pool)
        logits = self.model.logits(scalars, SCALARS)
        order = np.argsort(-logits, kind="stable")
        return [Reading(pool[i], float(logits[i])) for i in order]

    @staticmethod
    def rerank(result: SearchResult, readings: Sequence[Reading], k: int) -> SearchResult:
        """The k passages with the best read sentences, in that order (a passage whose
        sentences have no vector keeps its place after them)."""
        best: dict[str, float] = {}
        for reading in readings:
            best.setdefault(reading.candidate.hit.passage.passage_id, reading.logit)
        order = sorted(range(len(result.hits)), key=lambda i: (
            result.hits[i].passage.passage_id not in best,
            -best.get(result.hits[i].passage.passage_id, 0.0), i))
        return replace(result, hits=tuple(result.hits[i] for i in order[:k]))
