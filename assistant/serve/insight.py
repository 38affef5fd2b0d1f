"""What the knowledge base lacks, for officials, without keeping what citizens asked.

The server records, per answered question, only the day, the language, the region and
whether it was refused (`asks.jsonl`). The content words of refused questions are what an
official needs to see what is missing, and also what could identify an asker; so a word
is counted in memory first and reaches the disk (`refused_words.json`) only once
`min_group` different refused questions have used it (asking one question five times
makes no group). Below that it is forgotten at
restart: no single question can be read back from anything written. Thumbs up/down come
from `feedback.jsonl` (the chat and the API write it). Everything older than the
retention is purged, question texts an operator opted in to included.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from assistant.search.lexical import tokenize
from assistant.serve.feedback_log import FeedbackLog
from assistant.serve.jsonl import entries, keep_lines, write_text

ASKS = "asks.jsonl"
WORDS = "refused_words.json"


def _today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


@dataclass(frozen=True)
class Row:
    day: str
    language: str
    region: str
    asked: int = 0
    refused: int = 0
    thumbs_down: int = 0


@dataclass(frozen=True)
class Report:
    rows: tuple[Row, ...]
    refused_words: tuple[tuple[str, int], ...]
    min_group: int
    days: int


@dataclass
class InsightLog:
    folder: Path
    min_group: int = 5
    retention_days: int = 90
    feedback: FeedbackLog | None = None  # the server's one writer of feedback_log.FEEDBACK; its own if None
    _pending: dict[str, set[str]] = field(default_factory=dict, repr=False)  # word -> question digests
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _purged_on: str = field(default="", repr=False)  # the day of the last purge

    def __post_init__(self) -> None:
        if self.feedback is None:
            self.feedback = FeedbackLog(self.folder)

    def record(self, language: str, region: str, refused: bool, question: str) -> None:
        """One served answer; the question's words are kept only as described above. The
        first answer of each day purges what has passed the retention: a server that runs
        for months keeps no more than one that restarts."""
        if self._purged_on != _today():
            self.purge()
        entry = {"day": _today(), "language": language, "region": region, "refused": refused}
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(self.folder / ASKS, "a", encoding="utf-8") as out:
                out.write(json.dumps(entry) + "\n")
            if refused:
                words = set(tokenize(question, language))
                self._count_words(words, hashlib.sha256(" ".join(sorted(words)).encode()).hexdigest())

    def _count_words(self, words: set[str], digest: str) -> None:
        stored = self._stored_words()
        day = stored.setdefault(_today(), {})
        changed = False
        for word in words:
            if any(word in counts for counts in stored.values()):
                day[word] = day.get(word, 0) + 1
                changed = True
                continue
            asked = self._pending.setdefault(word, set())
            asked.add(digest)
            if len(asked) >= self.min_group:  # a group now: safe to write
                day[word] = day.get(word, 0) + len(self._pending.pop(word))
                changed = True
        if changed:
            _write_json(self.folder / WORDS, stored)

    def _stored_words(self) -> dict[str, dict[str, int]]:
        path = self.folder / WORDS
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def purge(self, today: date | None = None) -> None:
        """Drop every entry older than the retention (asks, words, feedback)."""
        oldest = ((today or datetime.now(timezone.utc).date())
                  - timedelta(days=self.retention_days)).isoformat()
        with self._lock:
            self._purged_on = _today()
            keep_lines(self.folder / ASKS, lambda entry: str(entry.get("day", ""))[:10] >= oldest)
            self.feedback.drop_before(oldest)  # under the feedback log's lock: no vote lost
            stored = self._stored_words()
            if stored:
                _write_json(self.folder / WORDS, {d: c for d, c in stored.items() if d >= oldest})

    def report(self, days: int = 30, today: date | None = None) -> Report:
        first = ((today or datetime.now(timezone.utc).date()) - timedelta(days=days - 1)).isoformat()
        rows: dict[tuple[str, str, str], Counter] = {}
        for entry in entries(self.folder / ASKS):
            if entry.get("day", "") >= first:
                key = (entry["day"], entry.get("language", ""), entry.get("region", ""))
                rows.setdefault(key, Counter()).update(asked=1, refused=int(bool(entry.get("refused"))))
        for entry in entries(self.feedback.path):
            day = str(entry.get("timestamp", ""))[:10]
            if day >= first and entry.get("vote") == "down":
                key = (day, entry.get("language", ""), entry.get("region", ""))
                rows.setdefault(key, Counter()).update(thumbs_down=1)
        words: Counter = Counter()
        for day, counts in self._stored_words().items():
            if day >= first:
                words.update(counts)
        return Report(tuple(Row(*key, **counts) for key, counts in sorted(rows.items())),
                      tuple(words.most_common(20)), self.min_group, days)


def _write_json(path: Path, data: dict) -> None:
    write_text(path, json.dumps(data, ensure_ascii=False, sort_keys=True))


def format_report(report: Report) -> str:
    lines = [f"last {report.days} days: questions answered by the assistant "
             "(no question text is kept)",
             f"{'day':<10}  {'lang':<4} {'region':<12} {'asked':>5} {'refused':>7} {'thumbs down':>11}"]
    for row in report.rows:
        lines.append(f"{row.day:<10}  {row.language or '-':<4} {row.region or '-':<12} "
                     f"{row.asked:>5} {row.refused:>7} {row.thumbs_down:>11}")
    if not report.rows:
        lines.append("(nothing recorded)")
    lines.append(f"most frequent words (stems) of refused questions, each used by at least "
                 f"{report.min_group} questions:")
    lines.append(", ".join(f"{word} ({count})" for word, count in report.refused_words) or "(none yet)")
    return "\n".join(lines)


def report_json(report: Report) -> dict:
    return {"days": report.days, "min_group": report.min_group,
            "rows": [asdict(row) for row in report.rows],
            "refused_words": [{"word": w, "questions": n} for w, n in report.refused_words]}
