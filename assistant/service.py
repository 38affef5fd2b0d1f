"""The one entry point the CLI, the chat, the API and the widget call: ask, stream, search."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from functools import cached_property

from .answer import ExtractiveAnswerer, Sentence
from .config import Settings
from .errors import InputError, TooLargeError
from .followup import standalone_question
from .language import detect_language
from .messages import say
from .pipeline import Pipeline
from .refusal import Evidence, RefusalPolicy, referral_for
from .retrieval import SearchResult
from .types import Answer, Turn

LANGUAGES = ("nl", "fr", "en")


class Assistant:
    def __init__(self, settings: Settings, pipeline: Pipeline | None = None) -> None:
        self.settings = settings
        self.pipeline = pipeline or Pipeline(settings)

    @cached_property
    def answerer(self) -> ExtractiveAnswerer:
        return ExtractiveAnswerer()

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
        return self.respond(question, history, language)[0]

    def respond(self, question: str, history: Sequence[Turn] = (),
                language: str | None = None) -> tuple[Answer, SearchResult]:
        """The answer and the search result it was made from (eval reports both)."""
        question = self.check_question(question, language)
        history = tuple(history)[-self.settings.max_history_turns :]
        language = language if language in LANGUAGES else detect_language(question)
        standalone = standalone_question(question, history)
        result, scored, evidence = self._gather(standalone, language)
        if evidence.refused:
            referral = referral_for(question, language, self.settings.referrals)
            return Answer(question, language, say("refusal", language, referral=referral),
                          refused=True, standalone_question=standalone), result
        text, citations = self.answerer.compose(language, self.answerer.select(scored))
        return Answer(question, language, text, refused=False, citations=citations,
                      standalone_question=standalone), result

    def evidence(self, question: str, language: str | None = None) -> Evidence:
        """The features behind the refusal decision (used to calibrate it)."""
        question = self.check_question(question, language)
        return self._gather(question, language or detect_language(question))[2]

    def _gather(self, question: str, language: str) -> tuple[SearchResult, list[Sentence], Evidence]:
        result = self.pipeline.retriever.search(question, k=self.settings.top_k, language=language)
        scored = self.answerer.score(question, language, self.answerer.candidates(result.hits))
        return result, scored, self.policy.assess(result, scored, language)

    def stream(self, question: str, history: Sequence[Turn] = (),
               language: str | None = None) -> Iterator[str | Answer]:
        """Answer text in pieces (paragraphs), then the finished Answer with its citations."""
        answer = self.ask(question, history, language)
        for piece in answer.text.split("\n\n"):
            yield piece + "\n\n"
        yield answer
