"""Passage and sentence vectors from one encoder pass ("late chunking").

Embedding every sentence a second time cost more encoder time than the passages themselves
(sentences 70% of the tokens, much of it the repeated title). Here the passage is encoded
once; its vector is the model's own pooling of that pass (identical to `encode`), and each
sentence's vector is pooled from the same pass's token states inside the sentence's
character span: every token goes through the model's head (EmbeddingGemma: two linear Dense
layers), is L2-normalized, and the span's mean is normalized again. Normalizing per token is
what makes it work: plain mean pooling let a few large tokens dominate and picked the
evidence sentence of its passage for 0.75 of dev questions, this 0.87, against 0.93 for the
two-pass texts, at 0.44 of their encoder time (benchmarks/bench_sentence_vectors.py,
docs/retrieval.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.types import Passage

# A document prompt with a title slot (EmbeddingGemma's "title: none | text: ") gets the
# document's title there; other models read it as a first line of the text, as before.
_TITLE_SLOT = "title: none"


def document_prefix(prompt: str, title: str) -> str:
    """Everything the encoder reads before the passage text."""
    if _TITLE_SLOT in prompt:
        return prompt.replace(_TITLE_SLOT, f"title: {title or 'none'}", 1)
    return f"{prompt}{title}\n" if title else prompt


def _head_modules(model) -> list:
    """The modules after Pooling except the final Normalize (Gemma: Dense, Dense; e5: none)."""
    from sentence_transformers.base.modules.normalize import Normalize

    return [module for module in list(model)[2:] if not isinstance(module, Normalize)]


def _overlapping(offsets: np.ndarray, start: int, end: int) -> np.ndarray:
    """Indices of the non-special tokens (offsets (0, 0)) overlapping characters [start, end)."""
    real = offsets[:, 1] > offsets[:, 0]
    return np.nonzero(real & (offsets[:, 0] < end) & (offsets[:, 1] > start))[0]


def encode_with_sentences(model, prompt: str, passages: Sequence[Passage], skip: Sequence[set[int]],
                          batch_size: int) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
    """Passage vectors and one vector per sentence (None for the indices in `skip[i]`)."""
    import torch

    prefixes = [document_prefix(prompt, p.meta.title) for p in passages]
    texts = [prefix + p.text for prefix, p in zip(prefixes, passages)]
    head = _head_modules(model)
    vectors = np.zeros((len(passages), model.get_embedding_dimension()), dtype=np.float32)
    sentences: list[list[np.ndarray | None]] = [[] for _ in passages]
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # little padding per batch
    with torch.inference_mode():
        for first in range(0, len(order), batch_size):
            rows = order[first : first + batch_size]
            encoded = model.tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                                      max_length=model.max_seq_length, return_tensors="pt",
                                      return_offsets_mapping=True)
            offsets = encoded.pop("offset_mapping").numpy()
            features = model(dict(encoded))  # every module: token states and the pooled vector
            vectors[rows] = features["sentence_embedding"].float().numpy()
            for row, i in enumerate(rows):
                keep = encoded["attention_mask"][row].bool()
                tokens = features["token_embeddings"][row][keep]
                for module in head:
                    tokens = module({"sentence_embedding": tokens})["sentence_embedding"]
                tokens = torch.nn.functional.normalize(tokens.float(), dim=1).numpy()
                sentences[i] = _sentence_rows(tokens, offsets[row][keep.numpy()], len(prefixes[i]),
                                              passages[i], skip[i])
    return vectors, sentences


def _sentence_rows(tokens: np.ndarray, offsets: np.ndarray, body: int, passage: Passage,
                   skip: set[int]) -> list[np.ndarray | None]:
    rows: list[np.ndarray | None] = []
    for index, (start, end) in enumerate(passage.sentences):
        inside = _overlapping(offsets, body + start, body + end) if index not in skip else ()
        if len(inside) == 0:  # a heading, or cut off by the model's length limit
            rows.append(None)
            continue
        mean = tokens[inside].mean(axis=0)
        rows.append(mean / np.linalg.norm(mean))
    return rows
