"""Query and passage encoding. One embedder object embeds both, so they always match."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from .config import Settings
from .errors import ModelNotPreparedError

QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "


class Embedder(Protocol):
    """Turns texts into L2-normalized float32 rows; `name` goes into the index manifest."""

    name: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """Any sentence-transformers folder, with the e5 query/passage prompts."""

    def __init__(self, path: Path, batch_size: int = 32) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self._batch_size = batch_size
        self.name = f"st:{path.name}"
        self.dim = int(self._model.get_embedding_dimension())

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        vectors = self._model.encode(
            list(texts),
            prompt=prompt,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, PASSAGE_PROMPT)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, QUERY_PROMPT)


def load_embedder(settings: Settings) -> Embedder:
    """The configured encoder; never downloads: a missing model is a set-up error."""
    from .model_prep import prepared_model_dir

    if settings.model_path is not None:
        if not (settings.model_path / "config.json").exists():
            raise ModelNotPreparedError(
                f"No sentence-transformers model in {settings.model_path}."
            )
        return SentenceTransformerEmbedder(settings.model_path, settings.embed_batch_size)
    folder = prepared_model_dir(settings.cache_dir)
    if settings.encoder == "onnx-int8":
        from .onnx_encoder import OnnxEmbedder

        return OnnxEmbedder.load(settings.cache_dir, batch_size=settings.embed_batch_size)
    return SentenceTransformerEmbedder(folder, settings.embed_batch_size)
