"""Fusion and rerank logic on fakes: which lexical-only candidates are worth a store fetch."""

from __future__ import annotations

import numpy as np
from fakes import HashingEmbedder

from assistant.search.retrieval import FusionWeights, Retriever
from assistant.types import DocumentMeta, Hit, Passage


def passage(pid: str, language: str = "nl") -> Passage:
    text = f"passage {pid}"
    return Passage(pid, "doc", text, 0, len(text), DocumentMeta(language=language))


class FakeStore:
    """Dense hits with given cosines; records which ids `score` was asked for."""

    def __init__(self, dense: dict[str, float], outside: dict[str, float]) -> None:
        self.dense, self.outside = dense, outside
        self.fetched: list[str] = []

    def query(self, vector, k, regions=None):
        best = sorted(self.dense.items(), key=lambda item: -item[1])[:k]
        return [Hit(passage(pid), score=cos, dense=cos) for pid, cos in best]

    def score(self, ids, vector):
        self.fetched.extend(ids)
        return [Hit(passage(pid), score=self.outside[pid], dense=self.outside[pid]) for pid in ids]


class FakeLexical:
    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores

    def search(self, question, language, k, regions=None):
        return sorted(self.scores.items(), key=lambda item: -item[1])[:k]

    def unknown_share(self, question, language):
        return 0.0

    def __len__(self) -> int:
        return len(self.scores)


def retriever(dense, outside, lexical, depth=3, candidates=5) -> tuple[Retriever, FakeStore]:
    store = FakeStore(dense, outside)
    weights = FusionWeights(same_language=0.05, best_sentence=0.5, rerank_depth=depth)
    return Retriever(store, FakeLexical(lexical), HashingEmbedder(), weights, candidates), store


def test_only_lexical_candidates_that_could_reach_the_rerank_are_fetched() -> None:
    dense = {"d1": 0.90, "d2": 0.88, "d3": 0.86, "d4": 0.82, "d5": 0.80}
    outside = {"near": 0.79, "far": 0.70}
    lexical = {"near": 10.0, "far": 1.0, "d3": 2.0}  # shares of the best: 1.0, 0.1, 0.2
    r, store = retriever(dense, outside, lexical)
    hits = r.search("vraag", k=3, language="nl").hits
    # The 3rd fused score is d3's 0.86 + 0.05 * 0.2 = 0.87. Outside the dense top 5 a cosine
    # is at most 0.80, so "near" reaches at most 0.80 + 0.05 * 1.0 = 0.85: no fetch.
    assert store.fetched == []
    assert [h.passage.passage_id for h in hits] == ["d1", "d2", "d3"]

    # A final list longer than the dense one: every lexical candidate may appear in it.
    r, store = retriever(dense, outside, lexical)
    hits = r.search("vraag", k=7, language="nl").hits
    assert sorted(store.fetched) == ["far", "near"]
    assert [h.passage.passage_id for h in hits][:3] == ["d1", "d2", "d3"]
    assert "near" in [h.passage.passage_id for h in hits]


def test_a_lexical_candidate_that_can_reach_the_rerank_is_fetched_and_can_win() -> None:
    dense = {"d1": 0.83, "d2": 0.825, "d3": 0.82, "d4": 0.815, "d5": 0.81}
    outside = {"strong": 0.809}
    lexical = {"strong": 5.0}
    r, store = retriever(dense, outside, lexical)
    hits = r.search("vraag", k=3, language="nl").hits
    assert store.fetched == ["strong"]
    assert hits[0].passage.passage_id == "strong"  # 0.809 + 0.05 beats 0.83
    assert np.isclose(hits[0].lexical, 1.0)
