"""Extractive answers: the sentences of the best passages that answer the question, quoted.

No generative model is available offline, so the answer is made only of verbatim
sentences. Each candidate sentence is scored by the same e5 encoder (question vs sentence,
which works across languages), plus the share of the question's words it holds (same
language only) and a bonus when the question asks for a number or date and the sentence
has one. Near-duplicates are dropped; the passage rank acts as a prior.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .chunking import sentence_spans
from .citations import number_citations
from .embedding import Embedder
from .lexical import tokenize
from .messages import language_name, say
from .types import Citation, Hit, Passage

_DIGIT = re.compile(r"\d")
_ASKS_NUMBER = re.compile(
    r"\b(when|how (many|much|long)|what date|which year|quand|combien|quelle (date|année)|"
    r"wanneer|hoeveel|hoe lang|welke datum|welk jaar)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Sentence:
    passage: Passage
    rank: int
    start: int
    end: int
    score: float = 0.0

    @property
    def text(self) -> str:
        return self.passage.text[self.start : self.end]


@dataclass(frozen=True)
class ExtractiveSettings:
    max_sentences: int = 3
    passages: int = 4
    min_chars: int = 12
    relative_cutoff: float = 0.04
    lexical_weight: float = 0.1
    number_bonus: float = 0.03
    rank_penalty: float = 0.01
    duplicate_overlap: float = 0.6


class ExtractiveAnswerer:
    def __init__(self, embedder: Embedder, settings: ExtractiveSettings = ExtractiveSettings()) -> None:
        self.embedder = embedder
        self.settings = settings

    def candidates(self, hits: tuple[Hit, ...]) -> list[Sentence]:
        found = []
        for rank, hit in enumerate(hits[: self.settings.passages]):
            passage = hit.passage
            for start, end in sentence_spans(passage.text, passage.meta.language):
                if end - start >= self.settings.min_chars:
                    found.append(Sentence(passage, rank, start, end))
        return found

    def score(self, question: str, language: str, sentences: list[Sentence]) -> list[Sentence]:
        if not sentences:
            return []
        query = self.embedder.embed_queries([question])[0]
        vectors = self.embedder.embed_passages(
            [f"{s.passage.meta.title}\n{s.text}" for s in sentences])
        dense = vectors @ query
        words = set(tokenize(question, language))
        wants_number = bool(_ASKS_NUMBER.search(question))
        scored = []
        for sentence, cosine in zip(sentences, dense):
            score = float(cosine) - self.settings.rank_penalty * sentence.rank
            if words and sentence.passage.meta.language == language:
                shared = words & set(tokenize(sentence.text, language))
                score += self.settings.lexical_weight * len(shared) / len(words)
            if wants_number and _DIGIT.search(sentence.text):
                score += self.settings.number_bonus
            scored.append(Sentence(sentence.passage, sentence.rank, sentence.start, sentence.end, score))
        return sorted(scored, key=lambda s: s.score, reverse=True)

    def select(self, scored: list[Sentence]) -> list[Sentence]:
        """The best sentence, then close runners-up that add something new."""
        if not scored:
            return []
        chosen = [scored[0]]
        for sentence in scored[1:]:
            if len(chosen) >= self.settings.max_sentences:
                break
            if scored[0].score - sentence.score > self.settings.relative_cutoff:
                break
            if not any(_overlap(sentence.text, c.text) > self.settings.duplicate_overlap for c in chosen):
                chosen.append(sentence)
        # Read in document order within a passage, passages in rank order.
        return sorted(chosen, key=lambda s: (s.rank, s.start))

    def compose(self, language: str, chosen: list[Sentence]) -> tuple[str, tuple[Citation, ...]]:
        citations = number_citations((s.passage, s.start, s.end) for s in chosen)
        number = {c.passage.passage_id: c.n for c in citations}
        lines = [say("framing", language)]
        lines += [f"“{s.text}” [{number[s.passage.passage_id]}]" for s in chosen]
        sources = sorted({s.passage.meta.language for s in chosen} - {language, ""})
        if sources:
            names = ", ".join(language_name(code, language) for code in sources)
            lines.append(say("source_language", language, source=names))
        return "\n\n".join(lines), tuple(citations)


def _overlap(a: str, b: str) -> float:
    """Share of the shorter sentence's words also in the other: catches repeated sentences."""
    wa, wb = set(a.lower().split()), set(b.lower().split())
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


def best_sentence_score(scored: list[Sentence]) -> float:
    return scored[0].score if scored else float(np.float32(-1))
