"""Print the evidence features of answerable and unanswerable questions, to calibrate refusal.

    python benchmarks/calibrate_refusal.py [--index DIR]

Reads ../shared/eval/dev.jsonl and ../shared/eval/real_offtopic_dev.jsonl and prints, per
question kind and language, the features the refusal policy looks at, then how the
configured policy decides on each file.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from assistant.config import Settings
from assistant.evaluation import read_questions
from assistant.pipeline import Pipeline
from assistant.service import Assistant

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path, default=None)
    parser.add_argument("--dev", type=Path, default=EVAL / "dev.jsonl")
    parser.add_argument("--offtopic", type=Path, default=EVAL / "real_offtopic_dev.jsonl")
    args = parser.parse_args()
    settings = Settings()
    service = Assistant(settings, Pipeline(settings, index_dir=args.index))
    rows = []
    for path in (args.dev, args.offtopic):
        for question in read_questions(path):
            features = service.evidence(question.q)
            kind = "unanswerable" if question.unanswerable else "answerable"
            rows.append((kind, question.lang, question.id, features))
    names = sorted(rows[0][3].features)
    print(f"{'kind':<13} {'lang':<4} {'n':>3} " + " ".join(f"{n:>22}" for n in names) + "  refused")
    for kind in ("answerable", "unanswerable"):
        for lang in ("nl", "fr", "en"):
            group = [r for r in rows if r[0] == kind and r[1] == lang]
            if not group:
                continue
            cells = []
            for name in names:
                values = [r[3].features[name] for r in group]
                cells.append(f"{min(values):6.3f}/{statistics.median(values):6.3f}/{max(values):6.3f}")
            refused = sum(r[3].refused for r in group) / len(group)
            print(f"{kind:<13} {lang:<4} {len(group):>3} " + " ".join(f"{c:>22}" for c in cells) + f"  {refused:.2f}")
    print("(min/median/max per feature)")
    for kind, lang, qid, features in rows:
        if (kind == "answerable") == features.refused:
            print("wrong:", kind, lang, qid, {k: round(v, 3) for k, v in features.features.items()})


if __name__ == "__main__":
    main()
