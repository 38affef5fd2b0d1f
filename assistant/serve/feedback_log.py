"""The one writer of `<folder>/feedback.jsonl`: the chat's votes and `/api/feedback` append to
it, and the insight log's purge rewrites it, through the same FeedbackLog (server.create_app
hands the insight log's to the API, and the API's to the chat), so that one lock orders every
change of the file."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from assistant.serve.jsonl import keep_lines

FEEDBACK = "feedback.jsonl"


def now_stamp() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class FeedbackLog:
    """Appends one JSON line per vote to `<folder>/feedback.jsonl`."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / FEEDBACK
        self._lock = threading.Lock()

    def write(self, entry: Mapping[str, Any]) -> None:
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as out:
                out.write(line)

    def drop_before(self, oldest: str) -> None:
        """Drop the votes of days before `oldest` (an ISO date), rewriting the file under the
        lock the appends take: a vote cast meanwhile waits, and is kept."""
        with self._lock:
            keep_lines(self.path, lambda entry: str(entry.get("timestamp", ""))[:10] >= oldest)

    def append(self, vote: str, passage_ids: Sequence[str], language: str | None) -> None:
        """A vote sent to /api/feedback: no question, only the passages voted on."""
        self.write({"timestamp": now_stamp(), "vote": vote, "kind": "api",
                    "language": language or "", "passage_ids": list(passage_ids)})
