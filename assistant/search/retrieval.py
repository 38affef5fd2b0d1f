"""Dense + BM25 candidates, reranked by passage and best-sentence cosine, language-aware.

Plain reciprocal rank fusion hurts a French or English question over Dutch text: the two
share almost no words, so BM25 ranks noise and drags good dense hits down (measured:
French hit@1 0.67 -> 0.22 on the seeds). Here BM25 proposes candidates and only adds to
the score, with a weight chosen by whether question and passage share a language, on a
per-query [0, 1] scale: it can reorder near-ties but cannot push an unrelated passage above
a clear dense winner. Many answers sit in one short line of a longer passage (a date, a
list of cities), so each candidate is also scored by its best sentence, whose vector was
stored with the passage at ingest. See docs/retrieval.md for the measurements.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from assistant.models.encoder import Embedder
from assistant.search.language import detect_language
from assistant.search.lexical import LexicalIndex, normalize
from assistant.search.question import asks_for_number, has_number
from assistant.search.regions import allowed_regions
from assistant.search.store import PassageStore
from assistant.types import Hit, ScoredSentence


@dataclass(frozen=True)
class FusionWeights:
    same_language: float = 0.05
    cross_language: float = 0.0
    best_sentence: float = 0.5
    number_penalty: float = 0.05
    rerank_depth: int = 100  # every candidate: the best sentence can lift a passage far


@dataclass(frozen=True)
class SearchResult:
    question: str
    language: str
    hits: tuple[Hit, ...]
    # Share of the question's terms absent from the whole index (lexical.unknown_share).
    unknown_words: float = 0.0
    # The question's own vector: the reader compares it with the stored sentence vectors.
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)
    # Passages in the whole index: the refusal reads scores against the knowledge base's size.
    passages: int = 0


class Retriever:
    def __init__(self, store: PassageStore, lexical: LexicalIndex, embedder: Embedder,
                 weights: FusionWeights = FusionWeights(), candidates: int = 40) -> None:
        self.store = store
        self.lexical = lexical
        self.embedder = embedder
        self.weights = weights
        self.candidates = candidates

    def search(self, question: str, k: int = 5, language: str | None = None,
               region: str | None = None) -> SearchResult:
        """The k best passages; with `region`, only that region's and European ones (a
        Chroma `where` on the dense side, a mask on the lexical side)."""
        language = language or detect_language(question)
        regions = allowed_regions(region)
        vector = self.embedder.embed_queries([question])[0]
        lexical = normalize(self.lexical.search(question, language, self.candidates, regions))
        fused = {hit.passage.passage_id: self._fuse(hit, lexical, language)
                 for hit in self.store.query(vector, self.candidates, regions)}
        missing = [pid for pid in lexical if pid not in fused]
        wanted = self._worth_fetching(missing, fused, lexical, max(k, self.weights.rerank_depth))
        for hit in self.store.score(wanted, vector) if wanted else ():
            fused[hit.passage.passage_id] = self._fuse(hit, lexical, language)
        ranked = sorted(fused.values(), key=lambda h: h.score, reverse=True)
        reranked = self._rerank(ranked, vector, asks_for_number(question))
        return SearchResult(question, language, tuple(reranked[:k]),
                            self.lexical.unknown_share(question, language), vector, len(self.lexical))

    def _fuse(self, hit: Hit, lexical: dict[str, float], language: str) -> Hit:
        same = hit.passage.meta.language == language  # stored with every passage
        weight = self.weights.same_language if same else self.weights.cross_language
        lex = lexical.get(hit.passage.passage_id, 0.0)
        return replace(hit, score=hit.dense + weight * lex, lexical=lex)

    def _worth_fetching(self, missing: list[str], fused: dict[str, Hit],
                        lexical: dict[str, float], places: int) -> list[str]:
        """Lexical-only candidates that could still reach the first `places`.

        A passage outside the dense top-n has a cosine of at most the n-th one's, so its
        fused score is at most that plus the largest lexical weight times its BM25 share; the
        others cannot move the ranking and fetching them (a Chroma `get`) is wasted.
        """
        if not missing or len(fused) < places:
            return missing
        ceiling = min(hit.dense for hit in fused.values())
        cutoff = sorted((hit.score for hit in fused.values()), reverse=True)[places - 1]
        weight = max(self.weights.same_language, self.weights.cross_language)
        return [pid for pid in missing if ceiling + weight * lexical[pid] >= cutoff]

    def _rerank(self, fused: list[Hit], vector: np.ndarray, wants_number: bool) -> list[Hit]:
        """Blend in each candidate's best sentence; the lexical part of the score is kept.

        A "when / how many" question is answered by a date or a count: a passage without a
        single digit cannot hold that answer and steps back by `number_penalty`.
        """
        depth = self.weights.rerank_depth
        share = self.weights.best_sentence
        reranked = []
        for hit in fused[:depth]:
            sentences = scored_sentences(hit, vector)
            best = max((s.cosine for s in sentences), default=hit.dense)
            score = hit.score + share * (best - hit.dense)
            if wants_number and not has_number(hit.passage.text):
                score -= self.weights.number_penalty
            reranked.append(replace(hit, score=score, sentences=sentences))
        reranked.sort(key=lambda h: h.score, reverse=True)
        return reranked + fused[depth:]


def scored_sentences(hit: Hit, vector: np.ndarray) -> tuple[ScoredSentence, ...]:
    """The passage's sentences that have a vector, with their cosine to the question."""
    if hit.sentence_vectors is None:
        return ()
    cosines = hit.sentence_vectors.astype(np.float32) @ vector
    has_vector = hit.sentence_vectors.any(axis=1)
    return tuple(ScoredSentence(start, end, float(cosine))
                 for (start, end), cosine, present in zip(hit.passage.sentences, cosines, has_vector)
                 if present)
