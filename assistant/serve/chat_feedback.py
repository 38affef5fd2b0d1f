"""The chat's thumbs up and down: one JSON line each, without the question unless the operator
opted in (ASSISTANT_FEEDBACK_STORE_QUESTIONS)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.serve.chat_view import labels

log = logging.getLogger(__name__)

_feedback_lock = threading.Lock()


def feedback_dir() -> Path:
    return Settings().feedback_dir


def store_questions() -> bool:
    return Settings().feedback_store_questions


def vote_of(liked: Any) -> str:
    """Gradio sends True (like), False (dislike) or "" (the vote was taken back)."""
    if liked is True:
        return "up"
    if liked is False:
        return "down"
    return "withdrawn"


def feedback_record(record: Mapping[str, Any] | None, liked: Any,
                    *, with_question: bool | None = None,
                    now: datetime | None = None) -> dict:
    """One JSON line: no question text unless ASSISTANT_FEEDBACK_STORE_QUESTIONS=1."""
    record = record or {}
    entry = {
        "timestamp": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "vote": vote_of(liked),
        "kind": record.get("kind", "message"),
        "language": record.get("language", ""),
        "refused": bool(record.get("refused", False)),
        "passage_ids": list(record.get("passage_ids", [])),
    }
    if store_questions() if with_question is None else with_question:
        entry["question"] = record.get("question", "")
    return entry


def save_feedback(entry: Mapping[str, Any], folder: Path | None = None) -> Path:
    folder = folder or feedback_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "feedback.jsonl"
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    with _feedback_lock, open(path, "a", encoding="utf-8") as handle:
        handle.write(line)
    return path


def give_feedback(records: Mapping[int, dict] | None, index: Any, liked: Any,
                  language: str | None) -> str:
    """Store a thumbs up/down on assistant message `index`; the thanks to show."""
    if isinstance(index, (list, tuple)):
        index = index[0]
    record = (records or {}).get(index) if isinstance(index, int) else None
    try:
        save_feedback(feedback_record(record, liked))
    except OSError:
        log.exception("feedback could not be stored")
    words = labels(language)
    return words["feedback_removed"] if vote_of(liked) == "withdrawn" else words["thanks"]
