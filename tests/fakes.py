"""Test doubles that behave: the fake embedder ranks texts by shared words."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """Hashed bag of words: texts sharing words get close vectors. Counts what it embeds."""

    def __init__(self, dim: int = 64, name: str = "fake:hashing") -> None:
        self.dim = dim
        self.name = name
        self.passage_calls = 0
        self.passages_embedded = 0

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            bucket = int.from_bytes(hashlib.md5(word.encode()).digest()[:4], "little")
            vector[bucket % self.dim] += 1.0
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passage_calls += 1
        self.passages_embedded += len(texts)
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts])


class FixedPolicy:
    """Refusal decision double: answers questions in the languages given, refuses the rest.

    The fitted decision reads the real encoder's cosines; the hashing embedder's sit on
    another scale, so tests of other behaviour fix the decision instead."""

    def __init__(self, answer: Sequence[str] = ("nl", "fr", "en")) -> None:
        self.answer = tuple(answer)

    def assess(self, result, scored, language: str, read=None):
        from assistant.answer.refusal import Evidence

        return Evidence({}, refused=not scored or language not in self.answer)
