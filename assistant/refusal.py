"""When the knowledge base does not hold the answer: the decision and the referral.

Calibrated with `python benchmarks/calibrate_refusal.py` on shared/eval/dev.jsonl (12
answerable, 2 unanswerable) and real_offtopic_dev.jsonl (real citizens' rent and lease
questions, 60 FR + 60 NL). What was measured (docs/answering.md has the tables):
- cosines alone overlap: e5 puts any housing question close to any housing text, and the
  level depends on the language (a French rent question meets the corpus's one French
  line at sentence cosine 0.886, above most answerable English questions);
- the passage-level cosine of the top hit separates better than sentence cosines, once
  read per language (Dutch questions over Dutch text score higher across the board);
- what the question asks for must appear in the passage: the share of the question's
  content words whose first five letters occur in the top passages ("anchor coverage",
  language-agnostic so names, numbers and cognates such as séminaire/seminar count) is
  0.2-1.0 for answerable questions and mostly 0 for off-topic French ones. Region names
  do not count: "in Brussel" says where, not what (nine Dutch rent questions about
  Brussels passed largely on that word).
The score is `top_dense + 0.1 * anchor_coverage` with one threshold per language, set just
below the weakest answerable dev question: no answerable dev question is refused, and
of the off-topic ones NL 0.97, FR 0.90 are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .answer import Sentence
from .lexical import fold, stopwords
from .messages import REGION_WORDS
from .retrieval import SearchResult

_WORD = re.compile(r"\w+")
_ANCHOR_CHARS = 5
_ANCHOR_MIN_WORD = 4


@dataclass(frozen=True)
class Evidence:
    """How strongly the retrieved text supports an answer, and the decision taken on it."""

    features: dict[str, float]
    refused: bool


def _anchors(text: str, ignore: frozenset[str] = frozenset()) -> set[str]:
    return {word[:_ANCHOR_CHARS] for word in _WORD.findall(fold(text))
            if len(word) >= _ANCHOR_MIN_WORD and word not in ignore}


@lru_cache(maxsize=1)
def _not_anchors() -> frozenset[str]:
    """Stopwords, and region names: "in Brussel" says where, not what is asked."""
    regions = {fold(word) for words in REGION_WORDS.values() for word in words}
    return stopwords("nl") | stopwords("fr") | stopwords("en") | frozenset(regions)


def anchor_coverage(question: str, passages_text: str) -> float:
    """Share of the question's content words that the passages also use (any language)."""
    asked = _anchors(question, _not_anchors())
    return len(asked & _anchors(passages_text)) / len(asked) if asked else 0.0


@dataclass(frozen=True)
class RefusalPolicy:
    thresholds: dict[str, float] = field(
        default_factory=lambda: {"nl": 0.874, "fr": 0.843, "en": 0.849})
    coverage_weight: float = 0.1
    coverage_passages: int = 3

    def features(self, result: SearchResult, scored: list[Sentence]) -> dict[str, float]:
        top = result.hits[0] if result.hits else None
        context = " ".join(f"{h.passage.meta.title} {h.passage.text}"
                           for h in result.hits[: self.coverage_passages])
        coverage = anchor_coverage(result.question, context)
        top_dense = top.dense if top else 0.0
        return {
            "top_dense": top_dense,
            "anchor_coverage": coverage,
            "answer_cosine": scored[0].cosine if scored else 0.0,
            "score": top_dense + self.coverage_weight * coverage,
        }

    def assess(self, result: SearchResult, scored: list[Sentence], language: str) -> Evidence:
        features = self.features(result, scored)
        threshold = self.thresholds.get(language, max(self.thresholds.values()))
        return Evidence(features, refused=not scored or features["score"] < threshold)


def referral_for(question: str, language: str, referrals: dict[str, dict[str, str]]) -> str:
    """The region named in the question picks the referral; else the neutral one."""
    lowered = question.lower()
    region = next((name for name, words in REGION_WORDS.items()
                   if any(word in lowered for word in words)), "")
    table = referrals.get(region) or referrals.get("", {})
    return table.get(language) or table.get("en", "")
