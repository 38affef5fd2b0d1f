"""What search and ingest know of an encoder, and what an engine module gives the registry."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.config import Settings


class Embedder(Protocol):
    """Turns texts into L2-normalized float32 rows; `name` goes into the index manifest.

    An embedder that also has `embed_with_sentences(passages, skip)` (and says how in
    `embedding_text`) gives the sentence vectors from the passage's own pass; the others get
    each sentence embedded as a text of its own (ingest/indexer.embed_passages_and_sentences).
    """

    name: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Engine:
    """One encoder's two entry points, declared as `ENGINE` in its module."""

    prepare: Callable[..., Path]  # (cache_dir, *, force) -> its verified folder, built offline
    load: Callable[[Settings], Embedder]  # opens the prepared folder; never downloads
