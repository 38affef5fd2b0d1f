"""One question in the chat, as plain functions: the session's turns and messages in, the
chat as it grows out (`respond`). Nothing here knows Gradio: ui.py keeps a session's `Reply`
parts in its state and renders them, so all of this is tested without a browser.

The turns a follow-up reads are kept as `Turn`s beside the messages shown, never read back
from the rendered (escaped, linked) messages.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from assistant.answer.catalogue import API, LANGUAGES, words
from assistant.config import Settings
from assistant.errors import AssistantError, RateLimitedError
from assistant.serve.chat_view import (SourceView, answer_message, echo_question, escape_text,
                                       has_words, labels, last_answer_index, link_markers,
                                       link_referrals, quotes_with_language, source_views,
                                       ui_language)
from assistant.types import Answer, Turn

log = logging.getLogger(__name__)

# While an answer streams the chat is re-sent at most this often: each re-send costs the
# server a Gradio round of the page's outputs, and an extractive answer's paragraphs all
# arrive within a millisecond (benchmarks/load.py), so they go out with the final reply.
STREAM_INTERVAL_SECONDS = 0.1
# The turns a session keeps: the service reads no more (settings.max_history_turns), and
# the session's memory stays bounded however long the conversation.
MAX_TURNS = Settings.model_fields["max_history_turns"].default


class Service(Protocol):
    def stream(self, question: str, history: Sequence[Turn] = (), language: str | None = None,
               region: str | None = None) -> Iterator[str | Answer]: ...


@dataclass
class Reply:
    """One state of the chat while a question is answered (the last one is final): the
    messages shown, the language, each assistant message's record (`exchange_record`, by
    its index), the turns a follow-up reads, the sources shown and the answer."""

    history: list[dict]
    language: str
    records: dict[int, dict]
    turns: list[Turn] = field(default_factory=list)
    sources: list[SourceView] = field(default_factory=list)
    final: bool = False
    answer: Answer | None = None

    @property
    def answered(self) -> bool:
        """Final, and its last message the latest answer: the one the vote buttons are for."""
        return self.final and last_answer_index(self.records) == len(self.history) - 1


def exchange_record(answer: Answer | None, language: str, question: str) -> dict:
    """What the session remembers about an assistant message, for feedback and follow-ups."""
    if answer is None:
        return {"kind": "message", "language": language, "refused": False,
                "passage_ids": [], "question": question}
    return {"kind": "answer", "language": answer.language, "refused": answer.refused,
            "passage_ids": [c.passage.passage_id for c in answer.citations],
            "question": question}


def respond(service: Service, question: str | None, history: Sequence[Any] | None,
            records: Mapping[int, dict] | None, turns: Sequence[Turn] | None,
            previous_language: str | None, chosen: str | None = None,
            region: str | None = None, over_budget: int | None = None,
            max_turns: int = MAX_TURNS) -> Iterator[Reply]:
    """Ask `service` and yield the chat as it grows; errors become a message, never a trace.

    `history`, `records`, `turns`: the session's so far. `chosen`: the language picked with
    the switch; it beats the question's own. `region`: the region picked (regions.REGIONS),
    or None for all. `over_budget`: the seconds the guard gave a question over the ask
    budget (chat_routes.OVER_BUDGET); it is answered with the API's 429 sentence in the
    chat's language, without asking `service`. Only an answer becomes a turn (at most
    `max_turns` kept): a refused input, an error or the limit sentence is never follow-up
    context."""
    question = question or ""
    history = [dict(m) if isinstance(m, Mapping) else m for m in (history or [])]
    records = dict(records or {})
    turns = list(turns or [])
    chosen = chosen if chosen in LANGUAGES else None
    language = chosen or ui_language(question, previous_language)
    if question.strip():
        history.append({"role": "user", "content": echo_question(question)})
        yield Reply(list(history), language, records, turns)

    answer: Answer | None = None
    text = ""
    try:
        if over_budget is not None:
            raise RateLimitedError(words(API, language)["rate_limited"].format(seconds=over_budget),
                                   over_budget)
        # Without words the question has no language of its own: answer in the one shown.
        hint = chosen or (None if has_words(question) else language)
        shown_at = time.monotonic()
        for piece in service.stream(question, turns, hint, region):
            if isinstance(piece, Answer):
                answer = piece
                break
            text += piece
            if time.monotonic() - shown_at >= STREAM_INTERVAL_SECONDS:
                shown_at = time.monotonic()
                yield Reply(history + [{"role": "assistant", "content": answer_message(text)}],
                            language, records, turns)
        if answer is None:
            raise RuntimeError("the service stream ended without an Answer")
        message = link_markers(quotes_with_language(answer_message(answer.text), answer), answer)
        if answer.refused:
            message = link_referrals(message)
        language = answer.language if answer.language in LANGUAGES else language
    except AssistantError as error:
        message = escape_text(str(error))
    except Exception:
        log.exception("the chat could not answer a question")
        message = escape_text(labels(language)["apology"])
        answer = None
    history.append({"role": "assistant", "content": message})
    records[len(history) - 1] = exchange_record(answer, language, question)
    if answer is not None:
        turns = (turns + [Turn(question.strip(), answer.text)])[-max_turns:] if max_turns else []
    yield Reply(history, language, records, turns, source_views(answer, language), final=True,
                answer=answer)
