"""The reader: which pooled sentences answer the question, and so which passages come first.

Retrieval proposes a wide pool (`Settings.reader_pool` passages); the reader scores every
sentence in it with a model trained on housing questions whose answers are known
(assistant/fitted/train_reader.py, figures in assistant/fitted/READER.md), and the passages
are ordered by their best sentence. The model reads only what retrieval already computed
(read/features.py), so it costs no encoder pass. It is fitted per encoder, like every
other fitted value: an encoder without a fitted reader keeps retrieval's order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from assistant.errors import ModelNotPreparedError
from assistant.fitted import FOLDER
from assistant.read.features import SCALARS, Candidate, candidates, pair_features
from assistant.search.retrieval import SearchResult

READER_FILE = FOLDER / "reader.json"


@dataclass(frozen=True)
class ReaderModel:
    """logit = w . (x - mean) / scale + b over the named scalars of read/features.py."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    intercept: float

    def logits(self, scalars: np.ndarray) -> np.ndarray:
        columns = [SCALARS.index(name) for name in self.features]
        return ((scalars[:, columns] - self.mean) / self.scale) @ self.weights + self.intercept

    def as_dict(self) -> dict:
        return {"features": {name: {"weight": float(w), "mean": float(m), "scale": float(s)}
                             for name, m, s, w in zip(self.features, self.mean, self.scale,
                                                      self.weights)},
                "intercept": float(self.intercept)}

    @classmethod
    def from_dict(cls, data: dict) -> ReaderModel:
        features = data["features"]
        column = lambda key: np.array([features[n][key] for n in features], dtype=np.float32)  # noqa: E731
        return cls(tuple(features), column("mean"), column("scale"), column("weight"),
                   float(data["intercept"]))


    def probe(self) -> float:
        """The logit of a fixed example (every feature one standard deviation above its mean):
        stored beside the weights at training, recomputed by `assistant prepare`."""
        return round(float(self.weights.sum() + self.intercept), 5)


@dataclass(frozen=True)
class Reading:
    """One pooled sentence and the reader's logit that it answers the question."""

    candidate: Candidate
    logit: float


def verify_reader(encoder: str) -> str:
    """One line on the encoder's reader, or ModelPreparationError when its file is damaged."""
    try:
        model = fitted_reader(encoder)
        stored = json.loads(READER_FILE.read_text(encoding="utf-8"))["models"].get(encoder, {})
        unknown = set(model.features) - set(SCALARS) if model else set()
        if unknown or (model and stored.get("probe") != model.probe()):
            raise ValueError(f"unknown features {sorted(unknown)}" if unknown else
                             f"probe logit {model.probe()} is not the stored {stored.get('probe')}")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelNotPreparedError(f"The reader in {READER_FILE.name} is damaged ({error}); "
                                    "restore it or retrain it (python -m "
                                    "assistant.fitted.train_reader --write).") from None
    if model is None:
        return f"no reader fitted for {encoder}: passages keep retrieval's order"
    return (f"reader for {encoder}: logistic over {len(model.features)} features, fitted "
            f"{stored.get('fitted', '?')}, verified (probe logit {model.probe()})")


@lru_cache(maxsize=None)
def fitted_reader(encoder: str) -> ReaderModel | None:
    """The reader trained on this encoder's vectors, or None (retrieval's order is kept)."""
    if not READER_FILE.exists():  # before the first `train_reader --write`
        return None
    models = json.loads(READER_FILE.read_text(encoding="utf-8"))["models"]
    return ReaderModel.from_dict(models[encoder]) if encoder in models else None


class Reader:
    def __init__(self, model: ReaderModel) -> None:
        self.model = model

    def read(self, result: SearchResult) -> list[Reading]:
        """Every sentence of the pool, best first."""
        pool = candidates(result)
        if not pool or result.vector is None:
            return []
        scalars = pair_features(result, pool)
        logits = self.model.logits(scalars)
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
