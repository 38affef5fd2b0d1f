"""The reader's fitted model: a linear scorer over named features (trained listwise), one per encoder, in
fitted/reader.json (trained by assistant/fitted/train_reader.py). The reading stage
(read/reader.py) computes the features and applies it; `assistant prepare` verifies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from assistant.errors import ModelNotPreparedError
from assistant.fitted import FOLDER, _read

READER_FILE = FOLDER / "reader.json"


@dataclass(frozen=True)
class ReaderModel:
    """logit = w . (x - mean) / scale + b over named scalars (those of read/features.py)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    intercept: float

    def logits(self, scalars: np.ndarray, names: Sequence[str]) -> np.ndarray:
        """`scalars` [n, len(names)]: one column per name, the model's features among them."""
        columns = [names.index(name) for name in self.features]
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


def verify_reader(encoder: str, known: Sequence[str]) -> str:
    """One line on the encoder's reader, or ModelNotPreparedError when its file is damaged
    (`known`: the feature names the reading stage computes)."""
    try:
        models = _read("reader")["models"]
        stored = models.get(encoder, {})
        model = ReaderModel.from_dict(stored) if encoder in models else None
        unknown = set(model.features) - set(known) if model else set()
        if unknown or (model and stored.get("probe") != model.probe()):
            raise ValueError(f"unknown features {sorted(unknown)}" if unknown else
                             f"probe logit {model.probe()} is not the stored {stored.get('probe')}")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelNotPreparedError(f"The reader in {READER_FILE.name} is damaged ({error}); "
                                    "restore it or retrain it (python -m "
                                    "assistant.fitted.train_reader --write).") from None
    if model is None:
        return f"no reader fitted for {encoder}: passages keep retrieval's order"
    return (f"reader for {encoder}: linear over {len(model.features)} features, fitted "
            f"{stored.get('fitted', '?')}, verified (probe logit {model.probe()})")


@lru_cache(maxsize=None)
def fitted_reader(encoder: str) -> ReaderModel | None:
    """The reader trained on this encoder's vectors, or None (retrieval's order is kept)."""
    if not READER_FILE.exists():  # before the first `train_reader --write`
        return None
    models = _read("reader")["models"]
    return ReaderModel.from_dict(models[encoder]) if encoder in models else None
