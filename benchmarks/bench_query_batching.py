"""Question embedding under concurrency: one call per question (raw) against QueryBatcher.

    .venv/bin/python benchmarks/bench_query_batching.py [--encoder e5-small] [--rounds 3] [--json]

The raw baseline is what serving did before search/query_batching.py: each request calls the
encoder for its own question, one call at a time (they queue on the cores anyway). The product
is the same questions from C concurrent threads through one QueryBatcher, for C = 1, 4, 8, 16.
Prints the wall time per question, questions/s, the speed-up over the raw baseline, the batch
sizes the worker formed, and the largest difference from the raw vectors. The questions are
the held-out ones (benchmarks/heldout_questions.jsonl), repeated to 48. Load-sensitive: the
load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant.config import Settings  # noqa: E402
from assistant.models.registry import load_embedder  # noqa: E402
from assistant.search.query_batching import QueryBatcher  # noqa: E402

QUESTIONS = [json.loads(line)["q"] for line in
             (REPO / "benchmarks" / "heldout_questions.jsonl").read_text(encoding="utf-8").splitlines()]


class BatchLog:
    """The wrapped encoder, recording the size of each call."""

    def __init__(self, encoder) -> None:
        self.encoder, self.sizes = encoder, []

    def __getattr__(self, name):
        return getattr(self.encoder, name)

    def embed_queries(self, texts):
        self.sizes.append(len(texts))
        return self.encoder.embed_queries(texts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--encoder", default=None, help="ASSISTANT_ENCODER (default: the product's)")
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs per row")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    settings = Settings(**({"encoder": args.encoder} if args.encoder else {}))
    encoder = load_embedder(settings)
    questions = (QUESTIONS * 4)[:48]
    encoder.embed_queries(questions[:4])  # warm-up
    load_start = os.getloadavg()[0]

    def best(run) -> float:
        times = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        return min(times)

    raw_vectors = np.stack([encoder.embed_queries([q])[0] for q in questions])
    raw = best(lambda: [encoder.embed_queries([q]) for q in questions])
    rows = [{"callers": "raw, one call each", "ms_per_question": 1000 * raw / len(questions),
             "questions_per_s": len(questions) / raw, "speedup": 1.0, "batch_sizes": "1",
             "max_abs_diff": 0.0}]
    for callers in (1, 4, 8, 16):
        logged = BatchLog(encoder)
        batcher = QueryBatcher(logged)
        out: dict[int, np.ndarray] = {}

        def run() -> None:
            with ThreadPoolExecutor(callers) as pool:
                for i, vector in enumerate(pool.map(lambda q: batcher.embed_queries([q])[0],
                                                    questions)):
                    out[i] = vector

        seconds = best(run)
        diff = float(np.abs(np.stack([out[i] for i in range(len(questions))]) - raw_vectors).max())
        sizes = logged.sizes[-len(logged.sizes) // args.rounds:]
        rows.append({"callers": callers, "ms_per_question": 1000 * seconds / len(questions),
                     "questions_per_s": len(questions) / seconds, "speedup": raw / seconds,
                     "batch_sizes": f"mean {np.mean(sizes):.1f}, max {max(sizes)}",
                     "max_abs_diff": diff})
    report = {"encoder": encoder.name, "questions": len(questions),
              "load_average": [round(load_start, 2), round(os.getloadavg()[0], 2)], "rows": rows}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{report['encoder']}: {len(questions)} questions, best of {args.rounds}, "
          f"load average {report['load_average'][0]} -> {report['load_average'][1]}")
    print(f"{'callers':>20}{'ms/question':>13}{'questions/s':>13}{'x raw':>7}  batches"
          f"{'':13}max |diff|")
    for row in rows:
        print(f"{row['callers']!s:>20}{row['ms_per_question']:>13.1f}{row['questions_per_s']:>13.1f}"
              f"{row['speedup']:>7.2f}  {row['batch_sizes']:<20}{row['max_abs_diff']:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
