"""Parameters fitted on the eval files, versioned beside the script that fits them (fit.py).

Everything is stored per encoder (its cosines live on its own scale). `refusal.json`
(fit.py) answers "does the knowledge base hold the answer?" with a small logistic model over
named features: applying it needs only the standardization and a dot product.
`quotes.json` (fit_quotes.py) says how close to the best sentence a runner-up must score to
be quoted beside it.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

FOLDER = Path(__file__).resolve().parent
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LogisticModel:
    """P(positive) = sigmoid(w . (x - mean) / scale + b); `threshold` is the operating point.

    `operating_points`, when fitted: (log of the knowledge base's passages, threshold) pairs,
    one per knowledge base the model learned from; between them the threshold is
    interpolated, beyond them the nearest holds (`at_size`)."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float
    threshold: float
    operating_points: tuple[tuple[float, float], ...] = ()

    def at_size(self, log_passages: float) -> tuple[float, float]:
        """The size within the fitted range, and the threshold there."""
        if not self.operating_points:
            return log_passages, self.threshold
        sizes, thresholds = zip(*sorted(self.operating_points))
        size = min(max(log_passages, sizes[0]), sizes[-1])
        return size, float(np.interp(size, sizes, thresholds))

    def probability(self, values: Mapping[str, float]) -> float:
        z = self.intercept + sum(
            w * (values[name] - m) / s
            for name, m, s, w in zip(self.features, self.mean, self.scale, self.weights))
        return 1.0 / (1.0 + math.exp(-z))

    def as_dict(self) -> dict:
        """One entry per feature (read as: its weight per standard deviation from the mean)."""
        data = {"features": {name: {"weight": w, "mean": m, "scale": s} for name, m, s, w
                             in zip(self.features, self.mean, self.scale, self.weights)},
                "intercept": self.intercept, "threshold": self.threshold}
        if self.operating_points:
            data["operating_points"] = [list(point) for point in self.operating_points]
        return data

    @classmethod
    def from_dict(cls, data: Mapping) -> LogisticModel:
        features = data["features"]
        column = lambda key: tuple(float(features[name][key]) for name in features)  # noqa: E731
        return cls(tuple(features), column("mean"), column("scale"), column("weight"),
                   float(data["intercept"]), float(data["threshold"]),
                   tuple((float(size), float(t)) for size, t in data.get("operating_points", ())))


@lru_cache(maxsize=None)
def _read(decision: str) -> dict:
    return json.loads((FOLDER / f"{decision}.json").read_text(encoding="utf-8"))


def fitted_values(decision: str, encoder: str) -> dict:
    """What was fitted for this encoder; another encoder's (logged) when it has none yet."""
    data = _read(decision)
    models = data["models"]
    if encoder not in models:
        log.warning("Nothing fitted in %s.json for encoder %s; using %s's. Refit with the "
                    "script beside it.", decision, encoder, data["default"])
        encoder = data["default"]
    return models[encoder]


def fitted_model(decision: str, encoder: str) -> LogisticModel:
    return LogisticModel.from_dict(fitted_values(decision, encoder))
