"""When the knowledge base does not hold the answer: the decision and the referral.

Calibration (benchmarks/calibrate_refusal.py reproduces it) is described in
docs/answering.md; the thresholds below are the values it chose.
"""

from __future__ import annotations

from dataclasses import dataclass

from .answer import Sentence
from .messages import REGION_WORDS
from .retrieval import SearchResult


@dataclass(frozen=True)
class RefusalPolicy:
    min_sentence_score: float = 0.86

    def refuses(self, result: SearchResult, scored: list[Sentence], language: str) -> bool:
        if not result.hits or not scored:
            return True
        return scored[0].score < self.min_sentence_score


def referral_for(question: str, result: SearchResult, language: str,
                 referrals: dict[str, dict[str, str]]) -> str:
    """The region named in the question picks the referral; else the neutral one."""
    lowered = question.lower()
    region = next((name for name, words in REGION_WORDS.items()
                   if any(word in lowered for word in words)), "")
    table = referrals.get(region) or referrals.get("", {})
    return table.get(language) or table.get("en", "")
