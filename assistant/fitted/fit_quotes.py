"""Refit how many sentences an answer quotes, and report it cross-validated.

    python -m assistant.fitted.fit_quotes [--eval-dir ../shared/eval] [--index DIR] [--write]

An answer quotes its best sentence, then runners-up that score within `relative_cutoff` of
it (at most `max_sentences`, near-duplicates dropped: answer.ExtractiveAnswerer.select).
The cutoff is a distance in the sentence score (the encoder's cosine, or the reader's logit
where one is fitted: read/reader.py), so it is fitted per encoder: e5-small's
cosines crowd into a narrow band where 0.04 already admits 2.6 quotes per answer, while
EmbeddingGemma's spread so that the same 0.04 quotes 1.3 and misses the evidence sentence
ranked second or third. The figure fitted is the share of answerable questions whose quotes
hold the evidence, under a reading budget of QUOTE_BUDGET quotes per answer on average. It
is judged by 5-fold cross-validation grouped by evidence document (fit.py's groups): the
cutoff is chosen on four folds and scored on the fifth.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from assistant.answer.extractive import ExtractiveAnswerer, ExtractiveSettings, Sentence
from assistant.config import Settings
from assistant.ingest.documents import iter_corpus
from assistant.evaluation import bootstrap_interval, read_questions, replay_history, supports
from assistant.service import Assistant
from assistant.wiring import build_assistant
from assistant.types import Document
from .fit import EVAL_FILES, FOLDS, HELDOUT, REPO, _group, store_fitted

QUOTE_BUDGET = 2.5  # quotes per answer on average: a short read, room for a second source
MAX_SENTENCES = 3
# Cosine distances for an encoder's own scores, then logit distances for a reader's.
CUTOFFS = tuple(round(c, 3) for c in (*np.arange(0.02, 0.305, 0.01), *np.arange(0.4, 6.05, 0.2)))


def collect(service: Assistant, paths: list[Path], corpus: Path,
            ) -> list[tuple[list[Sentence], tuple[str, ...], str]]:
    """Per answerable question: its scored quote candidates, its evidence, its group."""
    documents = [d for d in iter_corpus(corpus) if isinstance(d, Document)]
    rows = []
    for path in paths:
        for question in read_questions(path):
            if question.unanswerable:
                continue
            scored = service.quote_candidates(question.q, replay_history(service, question))
            rows.append((scored, question.evidence, _group(question, documents)))
    return rows


def outcomes(rows, cutoff: float) -> tuple[np.ndarray, np.ndarray]:
    """Per question: do the quotes hold the evidence, and how many quotes are there."""
    answerer = ExtractiveAnswerer(ExtractiveSettings(max_sentences=MAX_SENTENCES,
                                                     relative_cutoff=cutoff))
    chosen = [answerer.select(scored) for scored, _, _ in rows]
    grounded = np.array([supports(" ".join(s.text for s in quotes), evidence)
                         for quotes, (_, evidence, _) in zip(chosen, rows)], dtype=float)
    return grounded, np.array([len(quotes) for quotes in chosen], dtype=float)


def best_cutoff(rows) -> float:
    """The cutoff quoting the evidence most often within the budget (the smaller on a tie)."""
    within = []
    for cutoff in CUTOFFS:
        grounded, quotes = outcomes(rows, cutoff)
        if quotes.mean() <= QUOTE_BUDGET:
            within.append((grounded.mean(), -cutoff))
    return -max(within)[1] if within else CUTOFFS[0]


def cross_validate(rows) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import GroupKFold

    grounded, quotes = np.zeros(len(rows)), np.zeros(len(rows))
    groups = np.array([group for _, _, group in rows])
    for train, test in GroupKFold(n_splits=FOLDS).split(rows, groups=groups):
        cutoff = best_cutoff([rows[i] for i in train])
        test_rows = [rows[i] for i in test]
        grounded[test], quotes[test] = outcomes(test_rows, cutoff)
    return grounded, quotes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=REPO.parent / "shared" / "eval")
    parser.add_argument("--index", type=Path, default=None)
    parser.add_argument("--write", action="store_true", help="store the cutoff in quotes.json")
    args = parser.parse_args(argv)
    settings = Settings()
    service = build_assistant(settings, index_dir=args.index)
    paths = [args.eval_dir / name for name in EVAL_FILES] + [HELDOUT]
    rows = collect(service, paths, settings.corpus_dir)
    encoder = service.pipeline.fitted.scorer
    current = service.answerer.settings.relative_cutoff
    before, before_quotes = outcomes(rows, current)
    grounded, quotes = cross_validate(rows)
    low, high = bootstrap_interval(grounded)
    figures = {"questions": len(rows), "quote_budget": QUOTE_BUDGET,
               "grounded": round(float(grounded.mean()), 3), "interval": [round(low, 3), round(high, 3)],
               "quotes_per_answer": round(float(quotes.mean()), 2)}
    print(f"encoder {encoder}: {len(rows)} answerable questions, grouped {FOLDS}-fold cross-validation")
    print(f"  cutoff in use {current}: quotes hold the evidence {before.mean():.3f}, "
          f"{before_quotes.mean():.2f} quotes per answer (in-sample)")
    print(f"  fitted within {QUOTE_BUDGET} quotes: quotes hold the evidence {figures['grounded']:.3f} "
          f"[{low:.3f}-{high:.3f}], {figures['quotes_per_answer']:.2f} quotes per answer")
    if args.write:
        cutoff = best_cutoff(rows)
        path = store_fitted("quotes", encoder,
                            {"relative_cutoff": cutoff, "max_sentences": MAX_SENTENCES}, paths,
                            cross_validated=figures)
        print(f"wrote {path} for {encoder} (relative_cutoff {cutoff})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
