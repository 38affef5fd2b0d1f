"""The reader's training material: shared/train/housing-qa.jsonl as a knowledge base.

Its 160 documents are written out as a corpus folder (one text file and sidecar each,
the file named after `doc_id`), beside the seed documents, so that the reader learns from
the candidates the product's own retrieval proposes in a knowledge base of realistic size.
The questions keep their document as group: folds never split a document.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Settings
from assistant.pipeline import Pipeline

REPO = Path(__file__).resolve().parents[2]
TRAIN = REPO.parent / "shared" / "train"
HOUSING_QA = TRAIN / "housing-qa.jsonl"


@dataclass(frozen=True)
class TrainQuestion:
    qid: str
    doc_id: str  # the group: questions on one document share wording and facts
    lang: str
    q: str
    evidence: tuple[str, ...]  # empty for a near-miss

    @property
    def answerable(self) -> bool:
        return bool(self.evidence)


def read_housing_qa(path: Path = HOUSING_QA) -> tuple[list[dict], list[TrainQuestion]]:
    documents = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    questions = [
        TrainQuestion(q["qid"], doc["doc_id"], q["lang"], q["q"],
                      () if q.get("unanswerable") else tuple(q["evidence"]))
        for doc in documents for q in doc["questions"]
    ]
    return documents, questions


def write_corpus(documents: list[dict], folder: Path, seeds: Path | None = REPO / "corpus") -> None:
    """The documents as corpus files (plus the seeds' files, when given) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for doc in documents:
        name = f"{doc['doc_id']}.txt"
        (folder / name).write_text(doc["text"], encoding="utf-8")
        meta = {"title": doc["title"], "publisher": doc["publisher"], "language": doc["lang"]}
        if doc["region"]:
            meta["region"] = doc["region"]
        (folder / f"{name}.meta.json").write_text(json.dumps(meta, ensure_ascii=False),
                                                  encoding="utf-8")
    if seeds is not None:
        for path in seeds.glob("*.txt*"):
            shutil.copy2(path, folder / path.name)


def build_index(index: Path, settings: Settings) -> Pipeline:
    """The housing-qa knowledge base (plus the seeds), indexed once into `index`."""
    pipeline = Pipeline(settings, index_dir=index)
    if pipeline.location.current() is None:
        documents, _ = read_housing_qa(HOUSING_QA)
        with tempfile.TemporaryDirectory() as corpus:
            write_corpus(documents, Path(corpus))
            report = pipeline.ingest(Path(corpus))
        print(f"indexed {report.documents} documents, {report.passages} passages into {index}")
    return pipeline
