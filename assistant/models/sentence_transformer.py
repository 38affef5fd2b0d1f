"""Any sentence-transformers folder as an encoder: the fp32 engines (e5-small, EmbeddingGemma)
and `Settings.model_path`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.models.late_chunking import encode_with_sentences
from assistant.types import Passage

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
