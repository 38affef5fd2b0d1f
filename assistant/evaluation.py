"""Eval files in the shape of shared/eval/dev.jsonl: hit@1, hit@k and MRR per language."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .types import Hit

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    lang: str
    q: str
    evidence: tuple[str, ...]
    unanswerable: bool


def read_questions(path: Path) -> list[EvalQuestion]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise InputError(f"Cannot read the eval file {path}: {error.strerror}.") from None
    questions = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(EvalQuestion(
                id=str(row["id"]), lang=str(row.get("lang", "")), q=str(row["q"]),
                evidence=tuple(row.get("evidence") or ()),
                unanswerable=bool(row.get("unanswerable", False)),
            ))
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise InputError(f"{path}:{number}: not an eval question ({error}).") from None
    return questions


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


@dataclass(frozen=True)
class Metrics:
    questions: int
    hit_at_1: float
    hit_at_k: float
    mrr: float


def retrieval_metrics(ranks: list[tuple[str, int | None]], k: int) -> dict[str, Metrics]:
    """`ranks` holds (language, rank of first relevant hit or None); 'all' plus per language."""
    groups: dict[str, list[int | None]] = defaultdict(list)
    for language, rank in ranks:
        groups["all"].append(rank)
        groups[language].append(rank)
    return {
        group: Metrics(
            questions=len(values),
            hit_at_1=sum(1 for r in values if r == 1) / len(values),
            hit_at_k=sum(1 for r in values if r is not None and r <= k) / len(values),
            mrr=sum(1 / r for r in values if r is not None) / len(values),
        )
        for group, values in sorted(groups.items(), key=lambda item: item[0] != "all")
    }


def format_table(metrics: dict[str, Metrics], k: int, title: str = "") -> str:
    lines = [title] if title else []
    lines.append(f"{'group':<6} {'n':>3} {'hit@1':>6} {f'hit@{k}':>6} {'MRR':>6}")
    for group, m in metrics.items():
        lines.append(f"{group:<6} {m.questions:>3} {m.hit_at_1:>6.3f} {m.hit_at_k:>6.3f} {m.mrr:>6.3f}")
    return "\n".join(lines)


def format_answers(outcomes: list[tuple[EvalQuestion, bool, bool]]) -> str:
    """Per language: grounded share of answerable questions, refusals of both kinds."""
    lines = [f"{'group':<6} {'answerable':>10} {'grounded':>8} {'refused':>8} {'unanswerable':>12} {'refused':>8}"]
    languages = sorted({q.lang for q, _, _ in outcomes})
    for group in ["all", *languages]:
        rows = [o for o in outcomes if group == "all" or o[0].lang == group]
        answerable = [o for o in rows if not o[0].unanswerable]
        unanswerable = [o for o in rows if o[0].unanswerable]
        share = lambda items, pick: f"{sum(pick(o) for o in items) / len(items):.3f}" if items else "-"
        lines.append(f"{group:<6} {len(answerable):>10} {share(answerable, lambda o: o[2]):>8} "
                     f"{share(answerable, lambda o: o[1]):>8} {len(unanswerable):>12} "
                     f"{share(unanswerable, lambda o: o[1]):>8}")
    return "\n".join(lines)
