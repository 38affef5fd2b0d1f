"""The chat's conversation as the browser keeps it (chat.js, sessionStorage): the snapshot the
server sends with each finished reply, and the checks on what comes back after a reload. The
turns a follow-up reads travel in it as question and answer texts, beside the rendered
messages, so a restored conversation never has them parsed back out of its HTML."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.answer.catalogue import DEFAULT_LANGUAGE, LANGUAGES
from assistant.search.regions import REGIONS
from assistant.serve.chat_view import (ALL_REGIONS, MAX_SOURCES, SourceView, message_role,
                                       message_text)
from assistant.types import Turn

# The conversation is kept in the browser's sessionStorage (chat.js), never on the server: the
# server sends a snapshot with each finished reply and takes it back after a reload. What comes
# back is the browser's own conversation; it is checked and bounded like any input.
# Version 1 had no turns: such a snapshot is not taken back (the chat starts empty).
SNAPSHOT_VERSION = 2
MAX_KEPT_MESSAGES = 200
MAX_KEPT_TURNS = MAX_KEPT_MESSAGES // 2
MAX_KEPT_CHARS = 400_000
_RECORD_KINDS = {"answer", "message"}


@dataclass(frozen=True)
class Kept:
    """A conversation as the browser kept it: messages, their records, the turns, the
    language shown and picked, the region and the last answer's sources."""

    history: list[dict]
    records: dict[int, dict]
    turns: list[Turn]
    language: str
    chosen: str | None
    region: str
    sources: list[SourceView]


def snapshot(history: Sequence[Any], records: Mapping[int, dict], turns: Sequence[Turn],
             language: str, chosen: str | None, region: str | None,
             sources: Sequence[SourceView], event: str) -> str:
    """The JSON chat.js keeps in sessionStorage; `event` names what produced it ("start" for
    the empty page, which must not replace a kept conversation)."""
    return json.dumps({
        "v": SNAPSHOT_VERSION, "event": event,
        "history": [{"role": message_role(m), "content": message_text(m)} for m in history],
        "records": {str(i): r for i, r in records.items()},
        "turns": [[turn.question, turn.answer] for turn in turns],
        "language": language, "chosen": chosen, "region": region or ALL_REGIONS,
        "sources": [{"n": v.n, "label": v.label, "details": v.details,
                     "segments": [list(s) for s in v.segments], "language": v.language}
                    for v in sources],
    }, ensure_ascii=False)


def _kept_record(value: Any) -> dict | None:
    if not isinstance(value, Mapping) or value.get("kind") not in _RECORD_KINDS:
        return None
    ids = value.get("passage_ids", [])
    return {"kind": value["kind"],
            "language": value.get("language") if value.get("language") in LANGUAGES else "",
            "refused": value.get("refused") is True,
            "passage_ids": [i for i in ids if isinstance(i, str)][:50] if isinstance(ids, list) else [],
            "question": value.get("question") if isinstance(value.get("question"), str) else ""}


def _kept_source(value: Any) -> SourceView | None:
    if not isinstance(value, Mapping):
        return None
    n, label, details, language = (value.get(k) for k in ("n", "label", "details", "language"))
    segments = value.get("segments")
    if (type(n) is not int or not 1 <= n <= MAX_SOURCES or not isinstance(label, str)
            or not isinstance(details, str) or not isinstance(segments, list)):
        return None
    pieces = []
    for segment in segments:
        if (not isinstance(segment, list) or len(segment) != 2 or not isinstance(segment[0], str)
                or segment[1] is not None and not isinstance(segment[1], str)):
            return None
        pieces.append((segment[0], segment[1]))
    return SourceView(n, label, details, tuple(pieces),
                      language if language in LANGUAGES else "")


def _kept_turns(value: Any) -> list[Turn] | None:
    if not isinstance(value, list) or len(value) > MAX_KEPT_TURNS:
        return None
    if not all(isinstance(turn, list) and len(turn) == 2 and all(isinstance(t, str) for t in turn)
               for turn in value):
        return None
    return [Turn(question, answer) for question, answer in value]


def kept(text: str | None) -> Kept | None:
    """The conversation in a snapshot the browser sent back, or None when it is not one
    (wrong shape, another version, too large): the chat then starts empty."""
    if not text or len(text) > MAX_KEPT_CHARS:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, Mapping) or data.get("v") != SNAPSHOT_VERSION:
        return None
    history = data.get("history")
    if not isinstance(history, list) or len(history) > MAX_KEPT_MESSAGES:
        return None
    messages = []
    for message in history:
        if (not isinstance(message, Mapping) or message.get("role") not in ("user", "assistant")
                or not isinstance(message.get("content"), str)):
            return None
        messages.append({"role": message["role"], "content": message["content"]})
    records = {}
    raw = data.get("records")
    for key, value in (raw.items() if isinstance(raw, Mapping) else ()):
        record = _kept_record(value)
        if (isinstance(key, str) and key.isdigit() and int(key) < len(messages)
                and messages[int(key)]["role"] == "assistant" and record is not None):
            records[int(key)] = record
    turns = _kept_turns(data.get("turns"))
    if turns is None:
        return None
    language = data.get("language") if data.get("language") in LANGUAGES else DEFAULT_LANGUAGE
    chosen = data.get("chosen") if data.get("chosen") in LANGUAGES else None
    region = data.get("region") if data.get("region") in REGIONS else ALL_REGIONS
    raw_sources = data.get("sources") if isinstance(data.get("sources"), list) else []
    sources = [s for s in map(_kept_source, raw_sources[:MAX_SOURCES]) if s is not None]
    return Kept(messages, records, turns, language, chosen, region, sources)
