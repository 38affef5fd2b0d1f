"""The one entry point the CLI, the chat, the API and the widget call: ask, stream, search."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from functools import cached_property

from .answer import ExtractiveAnswerer
from .config import Settings
from .errors import InputError, TooLargeError
from .followup import standalone_question
from .language import detect_language
from .messages import say
from .pipeline import Pipeline
from .refusal import RefusalPolicy, referral_for
from .retrieval import SearchResult
from .types import Answer, Turn

LANGUAGES = ("nl", "fr", "en")


class Assistant:
    def __init__(self, settings: Settings, pipeline: Pipeline | None = None) -> None:
        self.settings = settings
        self.pipeline = pipeline or Pipeline(settings)

    @cached_property
    def answerer(self) -> ExtractiveAnswerer:
        return ExtractiveAnswerer(self.pipeline.embedder)

    @cached_property
    def policy(self) -> RefusalPolicy:
        return RefusalPolicy()

    def check_question(self, question: str, language: str | None = None) -> str:
        """The cleaned question, or an InputError whose message speaks the asker's language."""
        text = (question or "").strip()
        guess = language if language in LANGUAGES else (detect_language(text) if text else "en")
        if not text:
            raise InputError(say("empty", guess))
        if len(text) > self.settings.max_question_chars:
            raise TooLargeError(say("too_long", guess, limit=str(self.settings.max_question_chars)))
        if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
            raise InputError(say("no_words", guess))
        return text

    def search(self, question: str, k: int | None = None) -> SearchResult:
        question = self.check_question(question)
        return self.pipeline.retriever.search(question, k=k or self.settings.top_k)

    def ask(self, question: str, history: Sequence[Turn] = (), language: str | None = None) -> Answer:
        question = self.check_question(question, language)
        history = tuple(history)[-self.settings.max_history_turns :]
        language = language if language in LANGUAGES else detect_language(question)
        standalone = standalone_question(question, history)
        result = self.pipeline.retriever.search(standalone, k=self.settings.top_k, language=language)
        scored = self.answerer.score(standalone, language, self.answerer.candidates(result.hits))
        if self.policy.refuses(result, scored, language):
            referral = referral_for(question, result, language, self.settings.referrals)
            return Answer(question, language, say("refusal", language, referral=referral),
                          refused=True, standalone_question=standalone)
        text, citations = self.answerer.compose(language, self.answerer.select(scored))
        return Answer(question, language, text, refused=False, citations=citations,
                      standalone_question=standalone)

    def stream(self, question: str, history: Sequence[Turn] = (),
               language: str | None = None) -> Iterator[str | Answer]:
        """Answer text in pieces (paragraphs), then the finished Answer with its citations."""
        answer = self.ask(question, history, language)
        for piece in answer.text.split("\n\n"):
            yield piece + "\n\n"
        yield answer
