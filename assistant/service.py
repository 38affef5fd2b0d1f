"""The one entry point the CLI, the chat, the API and the widget call: ask, stream, search."""

from __future__ import annotations

import copy
import logging
import unicodedata
from collections.abc import Generator, Iterator, Sequence
from datetime import date
from typing import Protocol

from assistant.answer.extractive import ExtractiveAnswerer, Sentence
from assistant.config import Settings
from assistant.errors import InputError, TooLargeError, UpstreamError
from assistant.languages import LANGUAGES
from assistant.answer.followup import follow_up_evidence, standalone_question
from assistant.search.language import detect_language
from assistant.answer.llm import CheckedReply, LLMAnswerer
from assistant.answer.messages import say
from assistant.pipeline import Pipeline
from assistant.answer.refusal import Evidence, RefusalPolicy
from assistant.search.regions import referral, region_named
from assistant.search.retrieval import SearchResult
from assistant.answer.sources import age_notice
from assistant.types import Answer, Citation, Turn

log = logging.getLogger(__name__)


class Insight(Protocol):
    """Where served answers are counted for officials (the server's serve/insight.InsightLog)."""

    def record(self, language: str, region: str, refused: bool, question: str) -> None: ...


class Assistant:
    """Built by wiring.build_assistant. `llm` is None unless an endpoint is configured;
    `policy` None: the refusal fitted for the encoder; `insight` None: answers not counted."""

    def __init__(self, settings: Settings, pipeline: Pipeline, *, llm: LLMAnswerer | None = None,
                 policy: RefusalPolicy | None = None, insight: Insight | None = None) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.llm = llm
        self._policy = policy
        self.insight = insight

    def counting(self, insight: Insight) -> Assistant:
        """This assistant, the same parts, with its answers counted in `insight` (the server
        creates its log for officials beside the pages that read it)."""
        counted = copy.copy(self)
        counted.insight = insight
        return counted

    @property
    def answerer(self) -> ExtractiveAnswerer:
        return self.pipeline.fitted.answerer

    @property
    def policy(self) -> RefusalPolicy:
        return self._policy or self.pipeline.fitted.policy

    def check_question(self, question: str, language: str | None = None) -> str:
        """The cleaned question, or an InputError whose message speaks the asker's language."""
        text = (question or "").strip()
        if not text:
            raise InputError(say("empty", language if language in LANGUAGES else "en"))
        if len(text) > self.settings.max_question_chars:
            raise TooLargeError(say("too_long", _speaking(text, language),
                                    limit=str(self.settings.max_question_chars)))
        if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
            raise InputError(say("no_words", _speaking(text, language)))
        return text

    def search(self, question: str, k: int | None = None,
               region: str | None = None) -> SearchResult:
        question = self.check_question(question)
        return self.pipeline.read(question, k=k or self.settings.top_k, region=region).result

    def ask(self, question: str, history: Sequence[Turn] = (), language: str | None = None,
            region: str | None = None) -> Answer:
        return self.respond(question, history, language, region)[0]

    def respond(self, question: str, history: Sequence[Turn] = (), language: str | None = None,
                region: str | None = None) -> tuple[Answer, SearchResult]:
        """The answer and the search result it was made from (eval reports both)."""
        *_, last = self._respond(question, history, language, region)  # the last is the answer
        self._record(last[0], region)
        return last

    def _record(self, answer: Answer, region: str | None) -> None:
        if self.insight is None:
            return
        try:
            self.insight.record(answer.language, region_named(answer.question) or region or "",
                                answer.refused, answer.question)
        except OSError:  # counts for officials must never cost a citizen the answer
            log.exception("insight counts could not be stored")

    def _respond(self, question: str, history: Sequence[Turn] = (), language: str | None = None,
                 region: str | None = None) -> Iterator[str | tuple[Answer, SearchResult]]:
        """Text pieces (only an LLM's checked sentences), then (Answer, SearchResult) last.

        `region` filters the documents (regions.allowed_regions) and, unless the question
        names a region itself, picks the referral of a refusal."""
        question, history, language, asked, standalone = self._standalone(question, history,
                                                                          language)
        result, scored, evidence = self._gather(standalone, asked, region)
        evidence = follow_up_evidence(evidence, question, history, scored)
        if evidence.refused:
            where = referral(question, language, self.settings.referrals, region)
            yield Answer(question, language, say("refusal", language, referral=where),
                         refused=True, standalone_question=standalone), result
            return
        if self.llm is not None:  # only asked once the evidence is strong enough
            verified = yield from self._generate(standalone, language, result)
            if verified is not None:
                yield Answer(question, language, self._dated(verified[0], verified[1], language),
                             refused=False, citations=verified[1],
                             standalone_question=standalone), result
                return
        text, citations = self.answerer.compose(language, self.answerer.select(scored), question)
        yield Answer(question, language, self._dated(text, citations, language), refused=False,
                     citations=citations, standalone_question=standalone), result

    def _dated(self, text: str, citations: Sequence[Citation], language: str) -> str:
        """The answer, closed by how old its sources are when they are all old."""
        notice = age_notice(citations, language, self.settings.old_document_years,
                            date.today().year)
        return f"{text}\n\n{notice}" if notice else text

    def _generate(self, question: str, language: str, result: SearchResult,
                  ) -> Generator[str, None, tuple[str, tuple[Citation, ...]] | None]:
        """Stream the LLM's sentences that pass the check as each completes, then the verified
        (text, citations), or None to fall back to the extractive answer (nothing passed, or
        the endpoint failed before a sentence did).

        An endpoint failing mid-reply ends the answer with the sentences already shown, each
        checked and cited, so what streamed is always the start of the final text (clients
        of /v1 can only append) and the sentence cut short is never shown."""
        checked = CheckedReply([h.passage for h in result.hits])
        try:
            for delta in self.llm.stream(question, language, result.hits):
                yield from checked.add(delta)
        except UpstreamError as error:
            log.warning("LLM answer failed mid-way; keeping the sentences already checked, if "
                        "any, else the extractive answer: %s (%s)", error, error.__cause__ or "")
            return checked.result()
        yield from checked.end()
        verified = checked.result()
        if verified is None:
            log.warning("LLM answer had no sentence citing a given passage; using the extractive answer")
        return verified

    def evidence(self, question: str, history: Sequence[Turn] = (),
                 language: str | None = None) -> Evidence:
        """The features behind the refusal decision, as `respond` sees them (to fit it)."""
        *_, asked, standalone = self._standalone(question, history, language)
        return self._gather(standalone, asked)[2]

    def quote_candidates(self, question: str, history: Sequence[Turn] = (),
                         language: str | None = None) -> list[Sentence]:
        """The scored sentences an answer quotes from, as `respond` sees them (to fit the choice)."""
        *_, asked, standalone = self._standalone(question, history, language)
        return self._gather(standalone, asked)[1]

    def _standalone(self, question: str, history: Sequence[Turn], language: str | None,
                    ) -> tuple[str, tuple[Turn, ...], str, str, str]:
        """The checked question, the history kept, the answer's language, the question's own
        (what is searched and decided reads it) and the question to search."""
        question = self.check_question(question, language)
        history = tuple(history)[-self.settings.max_history_turns :]
        asked = detect_language(question)
        return (question, history, language if language in LANGUAGES else asked, asked,
                standalone_question(question, history))

    def _gather(self, question: str, language: str,
                region: str | None = None) -> tuple[SearchResult, list[Sentence], Evidence]:
        found = self.pipeline.read(question, k=self.settings.top_k, language=language,
                                   region=region)
        retrieved = self.answerer.score(question, language,
                                        self.answerer.candidates(found.retrieved.hits))
        scored = (self.answerer.with_readings(self.answerer.candidates(found.result.hits),
                                              found.readings) if found.readings else retrieved)
        return found.result, scored, self.policy.assess(found.retrieved, retrieved, language, scored)

    def stream(self, question: str, history: Sequence[Turn] = (), language: str | None = None,
               region: str | None = None) -> Iterator[str | Answer]:
        """Answer text in pieces (paragraphs), then the finished Answer with its citations.

        With an LLM endpoint the pieces are its checked sentences, each sent once complete and
        passed, markers already renumbered (llm.CheckedReply): the asker never sees a sentence
        the final Answer drops, nor a marker it renumbers. The final text differs from the
        pieces joined only by an age notice, or when the endpoint failed midway and the
        extractive answer replaces the sentences shown (the chat's last reply and the SSE
        `answer` event carry it)."""
        streamed = False
        for item in self._respond(question, history, language, region):
            if isinstance(item, str):
                streamed = True
                yield item
                continue
            answer = item[0]
            self._record(answer, region)
            if not streamed:
                for piece in answer.text.split("\n\n"):
                    yield piece + "\n\n"
            yield answer


def _speaking(text: str, language: str | None) -> str:
    """The language to say a refused question's problem in: the asked-for one, else its own."""
    return language if language in LANGUAGES else detect_language(text)
