"""Refit the answer-or-refuse decision, and report it cross-validated.

    python -m assistant.fitted.fit [--eval-dir ../shared/eval] [--index DIR]
                                   [--housing-qa-index DIR] [--write]

Two sources: the eval files over the seed knowledge base (answerable, near-miss and real
citizens' off-topic questions), and shared/train/housing-qa.jsonl over its own 165-document
knowledge base (reader_data.build_index: 800 answerable questions, 320 near-misses, which
the eval files have only 14 of). Every question goes through the product as a user's would
(conversations replay their earlier turns), and the features the decision reads are
recorded. A logistic regression
(scikit-learn, standardized features, balanced classes) is then judged by 5-fold
cross-validation grouped so that no fold sees a test question's evidence document
(answerable; a housing-qa question's document, near-misses included) or its other-language
twin (the real citizens' questions come in FR and NL).
One model serves both knowledge bases (it reads their size), but each has its own operating
point, chosen inside each training fold from its own inner cross-validation at 2% false
refusals of that knowledge base's answerable questions (one point for both refused 5% of
the seeds' answerable questions); the figures printed are the outer folds' decisions,
never a question the model was fitted on. `--write` stores the model fitted on everything,
with the operating points from cross-validated probabilities, in refusal.json for the
configured encoder.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.ingest.documents import iter_corpus
from assistant.evaluation import EvalQuestion, bootstrap_interval, read_questions, replay_history, supports
from assistant.languages import LANGUAGES
from assistant.answer.refusal import FEATURES, RefusalPolicy
from assistant.service import Assistant
from assistant.wiring import build_assistant
from assistant.types import Document
from . import FOLDER, LogisticModel
from .reader_data import HOUSING_QA, TrainQuestion, build_index, read_housing_qa

REPO = Path(__file__).resolve().parents[2]
EVAL_FILES = ("dev.jsonl", "dev2.jsonl", "conversations_dev.jsonl", "real_offtopic_dev.jsonl")
HELDOUT = REPO / "benchmarks" / "heldout_questions.jsonl"
MAX_FALSE_REFUSALS = 0.02
FOLDS = 5
_TWIN = re.compile(r"^bsard-(fr|nl)-")


@dataclass(frozen=True)
class Row:
    source: str  # eval | housing-qa
    lang: str
    kind: str  # answerable | near-miss | off-topic
    group: str
    features: dict[str, float]

    @property
    def label(self) -> int:
        return int(self.kind == "answerable")


def _kind(path: Path, question: EvalQuestion) -> str:
    if not question.unanswerable:
        return "answerable"
    return "off-topic" if "offtopic" in path.name else "near-miss"


def _group(question: EvalQuestion, documents: list[Document]) -> str:
    if question.unanswerable:
        return _TWIN.sub("bsard-", question.id)
    found = [d.doc_id for d in documents if supports(d.text, question.evidence)]
    return f"doc:{found[0]}" if found else f"q:{question.id}"


def collect(service: Assistant, paths: list[Path], corpus: Path) -> list[Row]:
    documents = [d for d in iter_corpus(corpus) if isinstance(d, Document)]
    rows = []
    for path in paths:
        for question in read_questions(path):
            evidence = service.evidence(question.q, replay_history(service, question))
            features = {name: evidence.features[name] for name in FEATURES}
            rows.append(Row("eval", question.lang, _kind(path, question),
                            _group(question, documents), features))
    return rows


def collect_housing_qa(service: Assistant, questions: list[TrainQuestion]) -> list[Row]:
    """The housing-qa questions, asked of its own knowledge base (no history)."""
    rows = []
    for question in questions:
        features = service.evidence(question.q).features
        rows.append(Row("housing-qa", question.lang,
                        "answerable" if question.answerable else "near-miss",
                        f"housing-qa:{question.doc_id}", {name: features[name] for name in FEATURES}))
    return rows


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, object]:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000)
    model.fit((x - mean) / scale, y)
    return mean, scale, model


def _probabilities(fitted, x: np.ndarray) -> np.ndarray:
    mean, scale, model = fitted
    return model.predict_proba((x - mean) / scale)[:, 1]


def _out_of_fold(x: np.ndarray, y: np.ndarray, groups: np.ndarray, folds: int) -> np.ndarray:
    from sklearn.model_selection import GroupKFold

    p = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=folds).split(x, y, groups):
        p[test] = _probabilities(_fit(x[train], y[train]), x[test])
    return p


def operating_point(p_answerable: np.ndarray) -> float:
    """The highest threshold that refuses at most MAX_FALSE_REFUSALS of these answerable ones."""
    ordered = np.sort(p_answerable)
    allowed = math.floor(MAX_FALSE_REFUSALS * len(ordered))
    return float(ordered[allowed])


def _thresholds(p_answerable: np.ndarray, y: np.ndarray, sources: np.ndarray) -> dict[str, float]:
    """Each knowledge base's operating point, from its own answerable questions."""
    return {source: operating_point(p_answerable[(y == 1) & (sources == source)])
            for source in set(sources)}


def cross_validate(rows: list[Row]) -> np.ndarray:
    """Outer-fold refusal decisions; each fold's thresholds come from its training part only."""
    from sklearn.model_selection import GroupKFold

    x, y, groups = _arrays(rows)
    sources = np.array([r.source for r in rows])
    refused = np.zeros(len(rows), dtype=bool)
    for train, test in GroupKFold(n_splits=FOLDS).split(x, y, groups):
        inner = _out_of_fold(x[train], y[train], groups[train], FOLDS - 1)
        threshold = _thresholds(inner, y[train], sources[train])
        refused[test] = (_probabilities(_fit(x[train], y[train]), x[test])
                         < np.array([threshold[source] for source in sources[test]]))
    return refused


def _arrays(rows: list[Row]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.array([[r.features[name] for name in FEATURES] for r in rows], dtype=float)
    return x, np.array([r.label for r in rows]), np.array([r.group for r in rows])


def report(rows: list[Row], refused: np.ndarray) -> list[dict]:
    lines = []
    for source in ("eval", "housing-qa"):
        for kind in ("answerable", "near-miss", "off-topic"):
            for language in ("all", *LANGUAGES):
                picked = [i for i, r in enumerate(rows) if r.source == source and r.kind == kind
                          and language in ("all", r.lang)]
                if not picked:
                    continue
                values = refused[picked].astype(float)
                low, high = bootstrap_interval(values)
                lines.append({"source": source, "kind": kind, "lang": language, "n": len(picked),
                              "refused": round(float(values.mean()), 3),
                              "interval": [round(low, 3), round(high, 3)]})
    return lines


def final_model(rows: list[Row]) -> LogisticModel:
    x, y, groups = _arrays(rows)
    mean, scale, model = _fit(x, y)
    threshold = _thresholds(_out_of_fold(x, y, groups, FOLDS), y, np.array([r.source for r in rows]))
    size = {r.source: r.features["size"] for r in rows}  # one knowledge base per source
    points = sorted((round(size[source], 6), round(t, 6)) for source, t in threshold.items())
    return LogisticModel(FEATURES, tuple(mean.round(6)), tuple(scale.round(6)),
                         tuple(model.coef_[0].round(6)), round(float(model.intercept_[0]), 6),
                         points[0][1], tuple(points))


def dump(data: dict) -> str:
    """Indented JSON with each innermost object or list on one line: a diff shows what moved."""
    def render(value, depth: int) -> str:
        flat = json.dumps(value, ensure_ascii=False)
        if not isinstance(value, (dict, list)) or len(flat) < 90:
            return flat
        pad, inner = " " * depth, " " * (depth + 1)
        if isinstance(value, list):
            return "[\n" + ",\n".join(inner + render(v, depth + 1) for v in value) + f"\n{pad}]"
        return "{\n" + ",\n".join(f"{inner}{json.dumps(k)}: {render(v, depth + 1)}"
                                  for k, v in value.items()) + f"\n{pad}}}"
    return render(data, 0) + "\n"


def store_fitted(decision: str, encoder: str, fitted: dict, paths: list[Path], **figures) -> Path:
    """Write this encoder's entry into `<decision>.json`, keeping the other encoders' (the
    file is read before it is rewritten); the first encoder stored becomes the default."""
    path = FOLDER / f"{decision}.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"models": {}}
    data.setdefault("default", encoder)
    data["models"][encoder] = {
        **fitted, "fitted": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "data": [p.name for p in paths], **figures,
    }
    path.write_text(dump(data), encoding="utf-8")
    return path


def neutral_model() -> LogisticModel:
    """Features only: a model that answers everything, so the fit never reads its own output."""
    return LogisticModel(FEATURES, (0.0,) * len(FEATURES), (1.0,) * len(FEATURES),
                         (0.0,) * len(FEATURES), 0.0, 0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=REPO.parent / "shared" / "eval")
    parser.add_argument("--index", type=Path, default=None)
    parser.add_argument("--housing-qa-index", type=Path,
                        default=Path(tempfile.gettempdir()) / "housing-qa-index",
                        help="housing-qa's knowledge base (built there once when missing)")
    parser.add_argument("--write", action="store_true", help="store the model in refusal.json")
    args = parser.parse_args(argv)
    settings = Settings()
    neutral = neutral_model()
    service = build_assistant(settings, index_dir=args.index, policy=RefusalPolicy(neutral))
    paths = [args.eval_dir / name for name in EVAL_FILES] + [HELDOUT]
    rows = collect(service, paths, settings.corpus_dir)
    housing_qa = build_index(args.housing_qa_index, settings)
    rows += collect_housing_qa(build_assistant(settings, pipeline=housing_qa,
                                               policy=RefusalPolicy(neutral)),
                               read_housing_qa(HOUSING_QA)[1])
    encoder = service.pipeline.embedder.name
    refused = cross_validate(rows)
    figures = report(rows, refused)
    print(f"encoder {encoder}: {len(rows)} questions, {len(set(r.group for r in rows))} groups; "
          f"refusal rate per kind, grouped {FOLDS}-fold cross-validation, 95% bootstrap interval")
    for line in figures:
        print(f"  {line['source']:<10} {line['kind']:<10} {line['lang']:<3} n={line['n']:>4}  refused {line['refused']:.3f} "
              f"[{line['interval'][0]:.3f}-{line['interval'][1]:.3f}]")
    if args.write:
        model = final_model(rows)
        path = store_fitted("refusal", encoder, model.as_dict(), [*paths, HOUSING_QA],
                            questions=len(rows), cross_validated=figures)
        print(f"wrote {path} for {encoder} (operating points {model.operating_points})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
