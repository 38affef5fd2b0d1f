"""The reader on documents it never saw, and what it costs, against the encoder alone.

    python benchmarks/bench_reader.py [--index DIR] [--seed-index DIR] [--repeat 3]

1. Knowledge base of the 160 housing-qa documents + the seeds (built once into --index,
   as `python -m assistant.fitted.train_reader` does). 5 folds grouped by document: for
   each, a reader is trained on the other four folds' questions and the product answers
   this fold's questions with it (retrieval, reader, quotes, refusal: the whole service).
   Printed per language with 95% bootstrap intervals: the evidence passage first and in the
   top 5, the answer's quotes holding the evidence, answerable questions refused, and
   near-misses refused; beside them the same product with the encoder's order alone
   (no reader) on the same candidates. The refusal is refit per fold as fit.py fits it
   (the eval files and the other folds' housing-qa questions, their features read with that
   fold's reader), so every figure is held out. Searches are cached: a question's
   candidates do not depend on the reader or the refusal.
2. Time per question on the seed knowledge base (the eval files' questions, warm), with and
   without the reader in the same run, as a ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from assistant.answer.refusal import RefusalPolicy  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.fitted import fit as refusal_fit  # noqa: E402
from assistant.evaluation import bootstrap_interval, format_rate, read_questions, supports  # noqa: E402
from assistant.fitted.reader_data import HOUSING_QA, TrainQuestion, build_index, read_housing_qa  # noqa: E402
from assistant.fitted.train_reader import FOLDS, collect, fit  # noqa: E402
from assistant.pipeline import Pipeline  # noqa: E402
from assistant.read.reader import Reader  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from assistant.wiring import build_assistant  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"


def product_outcomes(service: Assistant, questions) -> list[dict]:
    rows = []
    for question in questions:
        answer, result = service.respond(question.q)
        ranks = [supports(h.passage.text, question.evidence) for h in result.hits] \
            if question.answerable else []
        quotes = " ".join(c.quote for c in answer.citations)
        rows.append({"lang": question.lang, "answerable": question.answerable,
                     "first": float(bool(ranks) and ranks[0]), "top5": float(any(ranks[:5])),
                     "grounded": float(question.answerable and not answer.refused
                                       and supports(quotes, question.evidence)),
                     "refused": float(answer.refused)})
    return rows


def table(name: str, rows: list[dict]) -> None:
    print(f"\n{name}")
    print(f"{'group':<5} {'n':>4} {'evidence first':<20} {'in top 5':<20} {'cites evidence':<20} "
          f"{'answerable refused':<20} {'near-miss n':>11} near-misses refused")
    for group in ("all", "nl", "fr", "en"):
        chosen = [r for r in rows if group in ("all", r["lang"])]
        answerable = [r for r in chosen if r["answerable"]]
        near = [r["refused"] for r in chosen if not r["answerable"]]
        cells = [format_rate(np.mean(v), bootstrap_interval(v)) for v in (
            [r["first"] for r in answerable], [r["top5"] for r in answerable],
            [r["grounded"] for r in answerable], [r["refused"] for r in answerable])]
        print(f"{group:<5} {len(answerable):>4} " + " ".join(f"{c:<20}" for c in cells)
              + f" {len(near):>11} {format_rate(np.mean(near), bootstrap_interval(near))}")


def cache_searches(pipeline: Pipeline) -> None:
    search = pipeline.search
    seen: dict[tuple, object] = {}

    def cached(question: str, k: int, language: str | None = None, region: str | None = None):
        key = (question, k, language, region)
        if key not in seen:
            seen[key] = search(question, k, language, region)
        return seen[key]

    pipeline.search = cached


def refusal_for(reader: Reader, train: list[TrainQuestion], seed: Pipeline, hqa: Pipeline,
                settings: Settings) -> RefusalPolicy:
    """The refusal as fit.py fits it, on the eval files and `train`, read with `reader`."""
    neutral = RefusalPolicy(refusal_fit.neutral_model())
    for pipeline in (seed, hqa):
        pipeline.fitted = replace(pipeline.fitted, reader=reader)
    rows = refusal_fit.collect(build_assistant(settings, pipeline=seed, policy=neutral),
                               [EVAL / name for name in refusal_fit.EVAL_FILES] + [refusal_fit.HELDOUT],
                               settings.corpus_dir)
    rows += refusal_fit.collect_housing_qa(build_assistant(settings, pipeline=hqa, policy=neutral),
                                           train)
    return RefusalPolicy(refusal_fit.final_model(rows))


def held_out_product(index: Path, seed_index: Path | None, settings: Settings) -> None:
    from sklearn.model_selection import GroupKFold

    pipeline = build_index(index, settings)
    seed = Pipeline(settings, index_dir=seed_index)
    for searched in (pipeline, seed):
        cache_searches(searched)
    _, questions = read_housing_qa(HOUSING_QA)
    print(f"collecting the reader's pools for {len(questions)} questions...")
    pools = collect(pipeline, questions, settings.reader_pool)
    by_id = {p.question.qid: p for p in pools}
    questions = [q for q in questions if q.qid in by_id]
    groups = np.array([q.doc_id for q in questions])
    with_reader = []
    for fold, (train, test) in enumerate(GroupKFold(n_splits=FOLDS).split(questions, groups=groups)):
        reader = Reader(fit([by_id[questions[i].qid] for i in train]))
        policy = refusal_for(reader, [questions[i] for i in train], seed, pipeline, settings)
        pipeline.fitted = replace(pipeline.fitted, reader=reader)
        service = build_assistant(settings, pipeline=pipeline, policy=policy)
        with_reader += product_outcomes(service, [questions[i] for i in test])
        print(f"  fold {fold + 1}/{FOLDS} answered", flush=True)
    pipeline.fitted = replace(pipeline.fitted, reader=None)
    without = product_outcomes(build_assistant(settings, pipeline=pipeline), questions)
    table("housing-qa knowledge base, held-out documents, with the reader", with_reader)
    table("same questions, encoder's order alone (no reader; its refusal columns are not "
          "comparable: the shipped refusal reads the reader's logits, here replaced by the "
          "encoder's sentence scores)", without)


def timing(seed_index: Path | None, settings: Settings, repeat: int) -> None:
    pipeline = Pipeline(settings, index_dir=seed_index)
    service = build_assistant(settings, pipeline=pipeline)
    questions = [q.q for name in ("dev.jsonl", "dev2.jsonl") for q in read_questions(EVAL / name)]
    reader = pipeline.reader
    for q in questions[:3]:
        service.ask(q)  # warm: model, index, caches
    times: dict[str, list[float]] = {"with reader": [], "without": []}
    for _ in range(repeat):
        for q in questions:
            for name, chosen in (("with reader", reader), ("without", None)):
                pipeline.fitted = replace(pipeline.fitted, reader=chosen)
                started = time.perf_counter()
                service.ask(q)
                times[name].append(time.perf_counter() - started)
    pipeline.fitted = replace(pipeline.fitted, reader=reader)
    p50 = {name: statistics.median(values) for name, values in times.items()}
    print(f"\ntime per question on the seed knowledge base ({len(questions)} questions x {repeat}, "
          f"alternating): with the reader p50 {1000 * p50['with reader']:.0f} ms, without "
          f"{1000 * p50['without']:.0f} ms, ratio x{p50['with reader'] / p50['without']:.2f}, "
          f"+{1000 * (p50['with reader'] - p50['without']):.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=Path(tempfile.gettempdir()) / "housing-qa-index")
    parser.add_argument("--seed-index", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    settings = Settings()
    timing(args.seed_index, settings, args.repeat)
    held_out_product(args.index, args.seed_index, settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
