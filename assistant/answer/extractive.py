"""Extractive answers: the sentences of the best passages that answer the question, quoted.

No generative model is available offline, so the answer is made only of verbatim
sentences. Where the encoder has a trained reader (read/reader.py), a sentence's score is
the reader's logit (`with_readings`). Otherwise each candidate sentence is scored by its
cosine to the question (vectors
stored at ingest, computed by retrieval: this works across languages), plus the share of
the question's words it holds (same language only) and a bonus when the question asks for
a number or date and the sentence has one. Near-duplicates are dropped; the passage rank
acts as a prior. How close a runner-up must score to be quoted too is fitted per encoder
(fitted/quotes.json, fitted/fit_quotes.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.ingest.chunking import is_heading
from assistant.answer.citations import number_citations
from assistant.search.lexical import tokenize
from assistant.search.question import asks_for_number, has_number
from assistant.answer.short_answer import short_answer
from assistant.answer.messages import language_name, say
from assistant.answer.planted import is_planted
from assistant.read.reader import Reading
from assistant.types import Citation, Hit, Passage

_SHORT_LINE = 60


@dataclass(frozen=True)
class Sentence:
    passage: Passage
    rank: int
    start: int
    end: int
    cosine: float
    score: float = 0.0

    @property
    def text(self) -> str:
        return self.passage.text[self.start : self.end]


@dataclass(frozen=True)
class ExtractiveSettings:
    max_sentences: int = 3
    passages: int = 4
    min_chars: int = 3
    relative_cutoff: float = 0.04
    lexical_weight: float = 0.1
    number_bonus: float = 0.03
    rank_penalty: float = 0.01
    duplicate_overlap: float = 0.6


class ExtractiveAnswerer:
    def __init__(self, settings: ExtractiveSettings = ExtractiveSettings()) -> None:
        self.settings = settings

    def candidates(self, hits: tuple[Hit, ...]) -> list[Sentence]:
        """The sentences that may be quoted: never one addressed to an assistant (planted.py),
        which is no answer even when it shares the question's words."""
        sentences = (
            Sentence(hit.passage, rank, _with_heading(hit.passage, s.start, s.end), s.end, s.cosine)
            for rank, hit in enumerate(hits[: self.settings.passages])
            for s in hit.sentences
            if s.end - s.start >= self.settings.min_chars
        )
        return [sentence for sentence in sentences if not is_planted(sentence.text)]

    def score(self, question: str, language: str, sentences: list[Sentence]) -> list[Sentence]:
        words = set(tokenize(question, language))
        wants_number = asks_for_number(question)
        scored = []
        for sentence in sentences:
            score = sentence.cosine - self.settings.rank_penalty * sentence.rank
            if words and sentence.passage.meta.language == language:
                shared = words & set(tokenize(sentence.text, language))
                score += self.settings.lexical_weight * len(shared) / len(words)
            if wants_number and has_number(sentence.text):
                score += self.settings.number_bonus
            scored.append(replace(sentence, score=score))
        return sorted(scored, key=lambda s: s.score, reverse=True)

    @staticmethod
    def with_readings(sentences: list[Sentence], readings: Sequence[Reading]) -> list[Sentence]:
        """The sentences scored by the reader's logits (read/reader.py), best first."""
        logits = {(r.candidate.hit.passage.passage_id, r.candidate.end): r.logit for r in readings}
        scored = [replace(s, score=logits[(s.passage.passage_id, s.end)]) for s in sentences
                  if (s.passage.passage_id, s.end) in logits]
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

    def compose(self, language: str, chosen: list[Sentence],
                question: str = "") -> tuple[str, tuple[Citation, ...]]:
        """The quotes, opened by the fact asked for in the asker's language when a quote holds
        it in language-neutral form (short_answer/): "Amsterdam et Eindhoven [1]"."""
        citations = number_citations((s.passage, s.start, s.end) for s in chosen)
        number = {c.passage.passage_id: c.n for c in citations}
        lines = []
        # The best-scored quote first: the quotes read in document order, but a fact taken
        # from a runner-up would answer with the weaker sentence.
        by_score = sorted(chosen, key=lambda s: s.score, reverse=True)
        fact = next(((line, s) for s in by_score if question and (line := short_answer(
            question, language, s.text, s.passage.meta.language or language))), None)
        if fact:
            lines.append(f"{fact[0]} [{number[fact[1].passage.passage_id]}]")
        lines.append(say("framing", language))
        lines += [f"“{' '.join(s.text.split())}” [{number[s.passage.passage_id]}]" for s in chosen]
        sources = sorted({s.passage.meta.language for s in chosen} - {language, ""})
        if sources:
            names = ", ".join(language_name(code, language) for code in sources)
            lines.append(say("source_language", language, source=names))
        return "\n\n".join(lines), tuple(citations)


def _with_heading(passage: Passage, start: int, end: int) -> int:
    """Start a short line's quote at the heading just above it: "HOELANG DUURDE DE REIS? 4 dagen"."""
    if end - start > _SHORT_LINE:
        return start
    before = [span for span in passage.sentences if span[1] <= start]
    if before and is_heading(passage.text[before[-1][0] : before[-1][1]]):
        return before[-1][0]
    return start


def _overlap(a: str, b: str) -> float:
    """Share of the shorter sentence's words also in the other: catches repeated sentences."""
    wa, wb = set(a.lower().split()), set(b.lower().split())
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))
