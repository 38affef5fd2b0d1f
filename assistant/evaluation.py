"""Eval files in the shape of shared/eval/dev.jsonl (one question a row) and
conversations_dev.jsonl (a conversation a row, its last turn scored): hit@1, hit@k, MRR,
grounded and refused shares per language, each with a 95% bootstrap interval."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from assistant.errors import InputError
from assistant.types import Hit, Turn

if TYPE_CHECKING:  # the service pulls in the models; reading and scoring do not need it
    from assistant.search.retrieval import SearchResult
    from assistant.service import Assistant
    from assistant.types import Answer

_SPACE = re.compile(r"\s+")
CONVERSATIONS = "conv"  # the group row of the questions asked as a conversation's last turn
RESAMPLES = 2000
SEED = 20240521  # fixed, so the same answers always print the same intervals
_T = TypeVar("_T")


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    lang: str
    q: str
    evidence: tuple[str, ...]
    unanswerable: bool
    # The user's earlier messages, oldest first; `q` is then the conversation's last turn.
    history: tuple[str, ...] = ()

    @property
    def groups(self) -> tuple[str, ...]:
        """The rows of the tables this question counts in, besides 'all'."""
        return (self.lang, CONVERSATIONS) if self.history else (self.lang,)


def _question(row: dict) -> EvalQuestion:
    turns = row["turns"] if "turns" in row else [row["q"]]
    if not isinstance(turns, list) or not turns:
        raise TypeError("'turns' must be a non-empty list of messages")
    return EvalQuestion(
        id=str(row["id"]), lang=str(row.get("lang", "")), q=str(turns[-1]),
        evidence=tuple(row.get("evidence") or ()),
        unanswerable=bool(row.get("unanswerable", False)),
        history=tuple(str(turn) for turn in turns[:-1]),
    )


def read_questions(path: Path) -> list[EvalQuestion]:
    """Rows with `q` (a single question) or `turns` (the user's messages, oldest first)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise InputError(f"Cannot read the eval file {path}: {error.strerror}.") from None
    questions = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            questions.append(_question(json.loads(line)))
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise InputError(f"{path}:{number}: not an eval question ({error}).") from None
    return questions


def replay_history(service: Assistant, question: EvalQuestion) -> list[Turn]:
    """Asks the earlier turns in order, each with its answer joining the history as the chat
    builds it: a follow-up is scored on what a user would have got."""
    history: list[Turn] = []
    for earlier in question.history:
        history.append(Turn(earlier, service.ask(earlier, history).text))
    return history


def respond_to(service: Assistant, question: EvalQuestion) -> tuple[Answer, SearchResult]:
    """The answer to the question (a conversation's last turn after its earlier ones)."""
    return service.respond(question.q, replay_history(service, question))


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def supports(text: str, evidence: Iterable[str]) -> bool:
    """A passage counts when it contains one evidence string (case and whitespace insensitive)."""
    squashed = _squash(text)
    return any(_squash(item) in squashed for item in evidence)


def first_relevant_rank(hits: Iterable[Hit], evidence: tuple[str, ...]) -> int | None:
    for rank, hit in enumerate(hits, 1):
        if supports(hit.passage.text, evidence):
            return rank
    return None


def bootstrap_interval(values: Sequence[float], resamples: int = RESAMPLES,
                       seed: int = SEED) -> tuple[float, float]:
    """95% percentile bootstrap interval of the mean, resampling the questions.

    With a dozen questions a language, one question moves a rate by 0.08: the interval
    says how far apart two runs must be before the difference means something."""
    data = np.asarray(values, dtype=float)
    draws = np.random.default_rng(seed).integers(0, len(data), size=(resamples, len(data)))
    low, high = np.percentile(data[draws].mean(axis=1), [2.5, 97.5])
    return float(low), float(high)


def format_rate(value: float, interval: tuple[float, float]) -> str:
    return f"{value:.3f} [{interval[0]:.3f}-{interval[1]:.3f}]"


_RATE_WIDTH = len(format_rate(0.0, (0.0, 0.0)))


def _grouped(items: Iterable[tuple[Iterable[str], _T]]) -> dict[str, list[_T]]:
    """Values per table row: 'all' first, then the languages, then the conversations."""
    groups: dict[str, list[_T]] = defaultdict(list)
    for labels, value in items:
        for group in ("all", *labels):
            groups[group].append(value)
    order = sorted(groups, key=lambda g: (g != "all", g == CONVERSATIONS, g))
    return {group: groups[group] for group in order}


@dataclass(frozen=True)
class Metrics:
    questions: int
    hit_at_1: float
    hit_at_k: float
    mrr: float
    # 95% bootstrap intervals of the three rates, by field name.
    intervals: dict[str, tuple[float, float]]


def retrieval_metrics(ranks: list[tuple[str | tuple[str, ...], int | None]],
                      k: int) -> dict[str, Metrics]:
    """`ranks` holds (language or EvalQuestion.groups, rank of first relevant hit or None);
    'all' plus one entry per group."""
    labelled = (((labels,) if isinstance(labels, str) else labels, rank) for labels, rank in ranks)
    metrics = {}
    for group, values in _grouped(labelled).items():
        per_question = {
            "hit_at_1": [float(r == 1) for r in values],
            "hit_at_k": [float(r is not None and r <= k) for r in values],
            "mrr": [1 / r if r is not None else 0.0 for r in values],
        }
        metrics[group] = Metrics(
            questions=len(values),
            **{name: sum(v) / len(v) for name, v in per_question.items()},
            intervals={name: bootstrap_interval(v) for name, v in per_question.items()},
        )
    return metrics


def format_table(metrics: dict[str, Metrics], k: int, title: str = "") -> str:
    lines = [title] if title else []
    w = _RATE_WIDTH
    lines.append(f"{'group':<6} {'n':>3} {'hit@1':<{w}} {f'hit@{k}':<{w}} MRR")
    for group, m in metrics.items():
        cells = [format_rate(getattr(m, name), m.intervals[name])
                 for name in ("hit_at_1", "hit_at_k", "mrr")]
        lines.append(f"{group:<6} {m.questions:>3} {' '.join(cells)}")
    return "\n".join(lines)


def _share(flags: list[bool]) -> str:
    if not flags:
        return "-"
    return format_rate(sum(flags) / len(flags), bootstrap_interval([float(f) for f in flags]))


def format_answers(outcomes: list[tuple[EvalQuestion, bool, bool]]) -> str:
    """Per group: grounded share of answerable questions, refusals of both kinds.

    `outcomes` holds (question, refused, grounded)."""
    w = _RATE_WIDTH
    lines = [f"{'group':<6} {'answerable':>10} {'grounded':<{w}} {'refused':<{w}} "
             f"{'unanswerable':>12} refused"]
    for group, rows in _grouped((outcome[0].groups, outcome) for outcome in outcomes).items():
        answerable = [(refused, grounded) for q, refused, grounded in rows if not q.unanswerable]
        unanswerable = [refused for q, refused, _ in rows if q.unanswerable]
        lines.append(f"{group:<6} {len(answerable):>10} {_share([g for _, g in answerable]):<{w}} "
                     f"{_share([r for r, _ in answerable]):<{w}} {len(unanswerable):>12} "
                     f"{_share(unanswerable)}")
    return "\n".join(lines)
