"""The chat's thumbs up and down: one JSON line each in the app's FeedbackLog (the one
/api/feedback writes to), without the question unless the operator opted in
(ASSISTANT_FEEDBACK_STORE_QUESTIONS, read from the app's settings by the caller)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from assistant.serve.chat_view import labels
from assistant.serve.feedback_log import FeedbackLog, now_stamp

log = logging.getLogger(__name__)


def vote_of(liked: Any) -> str:
    """Gradio sends True (like), False (dislike) or "" (the vote was taken back)."""
    if liked is True:
        return "up"
    if liked is False:
        return "down"
    return "withdrawn"


def feedback_record(record: Mapping[str, Any] | None, liked: Any, *, with_question: bool) -> dict:
    """One JSON line: the question's text only `with_question`."""
    record = record or {}
    entry = {
        "timestamp": now_stamp(),
        "vote": vote_of(liked),
        "kind": record.get("kind", "message"),
        "language": record.get("language", ""),
        "refused": bool(record.get("refused", False)),
        "passage_ids": list(record.get("passage_ids", [])),
    }
    if with_question:
        entry["question"] = record.get("question", "")
    return entry


def give_feedback(feedback: FeedbackLog, records: Mapping[int, dict] | None, index: Any,
                  liked: Any, language: str | None, *, with_question: bool = False) -> str:
    """Store a thumbs up/down on assistant message `index` in `feedback`; the thanks to show."""
    if isinstance(index, (list, tuple)):
        index = index[0]
    record = (records or {}).get(index) if isinstance(index, int) else None
    try:
        feedback.write(feedback_record(record, liked, with_question=with_question))
    except OSError:
        log.exception("feedback could not be stored")
    words = labels(language)
    return words["feedback_removed"] if vote_of(liked) == "withdrawn" else words["thanks"]
