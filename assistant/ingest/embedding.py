"""Query and passage encoding. One embedder object embeds both, so they always match."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.config import Settings
from assistant.errors import ModelNotPreparedError
from assistant.ingest.late_chunking import encode_with_sentences
from assistant.types import Passage

# multilingual-e5's prompts: written into the e5 folder we build, used by its ONNX engine.
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "


class Embedder(Protocol):
    """Turns texts into L2-normalized float32 rows; `name` goes into the index manifest.

    An embedder that also has `embed_with_sentences(passages, skip)` (and says how in
    `embedding_text`) gives the sentence vectors from the passage's own pass; the others get
    each sentence embedded as a text of its own (ingest.embed_passages_and_sentences).
    """

    name: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


# Names under which a model folder's config_sentence_transformers.json stores its prompts:
# e5 says "query" / "passage", EmbeddingGemma "query" / "document". sentence-transformers adds
# empty "query" and "document" entries where a folder has none, so the first non-empty wins.
_QUERY_PROMPT_NAMES = ("query",)
_DOCUMENT_PROMPT_NAMES = ("document", "passage")


def folder_prompts(prompts: dict[str, str]) -> tuple[str, str]:
    """(query prompt, document prompt) as the model folder defines them; '' where it has none."""
    def first(names: tuple[str, ...]) -> str:
        return next((prompts[name] for name in names if prompts.get(name)), "")

    return first(_QUERY_PROMPT_NAMES), first(_DOCUMENT_PROMPT_NAMES)


class SentenceTransformerEmbedder:
    """Any sentence-transformers folder, with the query/document prompts saved in it."""

    def __init__(self, path: Path, batch_size: int = 32) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self._batch_size = batch_size
        self.path = path
        self.name = f"st:{path.name}"
        self.dim = int(self._model.get_embedding_dimension())
        self.query_prompt, self.document_prompt = folder_prompts(self._model.prompts)
        self.embedding_text = "title + passage in one pass; sentences pooled from its tokens"

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
        return self._encode(texts, self.document_prompt)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.query_prompt)

    def embed_with_sentences(self, passages: Sequence[Passage], skip: Sequence[set[int]],
                             ) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
        """One encoder pass per passage: its vector and its sentences' (late_chunking.py)."""
        return encode_with_sentences(self._model, self.document_prompt, passages, skip,
                                     self._batch_size)


def load_embedder(settings: Settings) -> Embedder:
    """The configured encoder; never downloads: a missing model is a set-up error."""
    if settings.model_path is not None:
        if not (settings.model_path / "config.json").exists():
            raise ModelNotPreparedError(
                f"No sentence-transformers model in {settings.model_path}."
            )
        return SentenceTransformerEmbedder(settings.model_path, settings.embed_batch_size)
    if settings.encoder == "embeddinggemma":
        from assistant.ingest.gemma_prep import prepared_gemma_dir

        return SentenceTransformerEmbedder(prepared_gemma_dir(settings.cache_dir),
                                           settings.embed_batch_size)
    if settings.encoder == "embeddinggemma-onnx-int8":
        from assistant.ingest.gemma_onnx import GemmaOnnxEmbedder

        return GemmaOnnxEmbedder.load(settings.cache_dir, batch_size=settings.embed_batch_size)
    if settings.encoder == "e5-small-onnx-int8":
        from assistant.ingest.onnx_encoder import OnnxEmbedder

        return OnnxEmbedder.load(settings.cache_dir, batch_size=settings.embed_batch_size)
    from assistant.ingest.model_prep import prepared_model_dir

    return SentenceTransformerEmbedder(prepared_model_dir(settings.cache_dir),
                                       settings.embed_batch_size)


def prepare_encoder(settings: Settings, *, force: bool = False) -> Path:
    """Build the configured encoder's model folder offline (`assistant prepare`)."""
    if settings.model_path is not None:
        return settings.model_path
    if settings.encoder == "embeddinggemma":
        from assistant.ingest.gemma_prep import prepare_gemma

        return prepare_gemma(settings.cache_dir, force=force)
    if settings.encoder == "embeddinggemma-onnx-int8":
        from assistant.ingest.gemma_onnx import prepare_gemma_onnx

        return prepare_gemma_onnx(settings.cache_dir, force=force)
    if settings.encoder == "e5-small-onnx-int8":
        from assistant.ingest.onnx_encoder import prepare_onnx

        return prepare_onnx(settings.cache_dir, force=force)
    from assistant.ingest.model_prep import prepare_model

    return prepare_model(settings.cache_dir, force=force)
