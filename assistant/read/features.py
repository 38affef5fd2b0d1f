"""What the reader reads of one (question, sentence) pair, the same at training and at run time.

Every candidate is a sentence of a passage in the retrieval pool. The encoder already gave
the question a vector and stored one per sentence at ingest, so reading costs no encoder
pass: the pair is described by named scalars that say what retrieval saw (the cosine, its
gap and rank, passage rank and scores, lexical overlap in any language, digits, length,
position). No rule here names a language. (A learned weighting of the two vectors'
elementwise product did worse on held-out documents: assistant/fitted/READER.md.)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from assistant.ingest.chunking import is_heading
from assistant.search.folding import anchors
from assistant.search.retrieval import SearchResult
from assistant.types import Hit

_DIGIT = re.compile(r"\d")
_MIN_CHARS = 3

SCALARS = ("cosine", "cosine_gap", "cosine_rank", "passage_dense", "passage_gap",
           "passage_rank", "fused_gap", "lexical", "anchors", "anchors_title",
           "same_language", "has_digit", "digits_shared", "log_chars", "heading", "position",
           "passage_best", "neighbour", "passage_anchors", "title_anchors", "document_best")


@dataclass(frozen=True)
class Candidate:
    """A sentence of a pooled passage: `hit.passage.text[start:end]`."""

    hit: Hit
    rank: int  # the passage's rank in the pool
    index: int  # the sentence's index in the passage
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.hit.passage.text[self.start : self.end]


def candidates(result: SearchResult) -> list[Candidate]:
    """Every sentence with a vector in the pool's passages (headings have none)."""
    pool = []
    for rank, hit in enumerate(result.hits):
        if hit.sentence_vectors is None:
            continue
        present = hit.sentence_vectors.any(axis=1)
        for index, (start, end) in enumerate(hit.passage.sentences):
            if present[index] and end - start >= _MIN_CHARS:
                pool.append(Candidate(hit, rank, index, start, end))
    return pool


def _share(asked: set[str], found: set[str]) -> float:
    return len(asked & found) / len(asked) if asked else 0.0


def pair_features(result: SearchResult, pool: list[Candidate]) -> np.ndarray:
    """The scalars [n, len(SCALARS)] of the candidates of one question."""
    question = result.vector.astype(np.float32)
    vectors = np.stack([c.hit.sentence_vectors[c.index] for c in pool]).astype(np.float32)
    cosines = vectors @ question
    order = np.argsort(-cosines)
    cosine_rank = np.empty(len(pool))
    cosine_rank[order] = np.arange(len(pool))
    hits = result.hits
    asked = anchors(result.question)
    digits = set(re.findall(r"\d+", result.question))
    # Per passage: its best sentence, its title's anchors and its own; per document: its best
    # passage. (The anchors of "title text" are those of the title and of the text together.)
    by_passage: dict[int, dict[int, float]] = {}
    for c, cosine in zip(pool, cosines):
        by_passage.setdefault(c.rank, {})[c.index] = float(cosine)
    title_anchors = {rank: anchors(hits[rank].passage.meta.title) for rank in by_passage}
    passage_anchors = {rank: _share(asked, title_anchors[rank] | anchors(hits[rank].passage.text))
                       for rank in by_passage}
    sentence_anchors = [anchors(c.text) for c in pool]
    document_best: dict[str, float] = {}
    for hit in hits:
        document_best[hit.passage.doc_id] = max(document_best.get(hit.passage.doc_id, -1.0), hit.dense)
    scalars = np.array([
        (
            cosines[i],
            cosines[i] - cosines.max(),
            math.log1p(cosine_rank[i]),
            c.hit.dense,
            c.hit.dense - hits[0].dense,
            math.log1p(c.rank),
            c.hit.score - hits[0].score,
            c.hit.lexical,
            _share(asked, sentence_anchors[i]),
            _share(asked, title_anchors[c.rank] | sentence_anchors[i]),
            float(c.hit.passage.meta.language == result.language),
            float(bool(_DIGIT.search(c.text))),
            float(bool(digits & set(re.findall(r"\d+", c.text)))),
            math.log(len(c.text)),
            float(is_heading(c.text)),
            c.index / max(1, len(c.hit.passage.sentences) - 1),
            max(by_passage[c.rank].values()) - cosines[i],
            max(by_passage[c.rank].get(c.index - 1, -1.0), by_passage[c.rank].get(c.index + 1, -1.0)),
            passage_anchors[c.rank],
            _share(asked, title_anchors[c.rank]),
            document_best[c.hit.passage.doc_id] - hits[0].dense,
        )
        for i, c in enumerate(pool)
    ], dtype=np.float32)
    return scalars
