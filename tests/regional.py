"""A regional knowledge base for the region tests: the seed corpus plus one European test
document, indexed with the hashing embedder; and a refusal double that refuses on cue."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from fakes import HashingEmbedder

from assistant.config import Settings
from assistant.pipeline import Pipeline

SEEDS = Path(__file__).resolve().parent.parent / "corpus"
# Not a seed: a European document, so that a region filter can be seen to keep it.
EU_NAME = "europees-netwerk.txt"
EU_TEXT = ("Europees netwerk van steden\n\n"
           "Het Europees netwerk van steden voor coöperatief wonen wisselt elk jaar ervaringen "
           "uit tussen steden in heel Europa.\n")
EU_META = {"title": "Europees netwerk van steden (testdocument)", "publisher": "Testnetwerk",
           "date": "2025", "language": "nl", "region": "EU", "url": ""}
# doc_id -> region code of the regional corpus.
REGION_OF = {"000_f7569151e95805bd": "brussels", "001_c6c95ae73a52d834": "flanders",
             "002_bd07e3365d1f0d2e": "netherlands", "003_419f369990ea24fa": "brussels",
             "004_4de15e7da263b15e": "netherlands", "europees-netwerk": "eu"}
NETCO_QUESTION = "Welke steden namen deel aan het NETCO netwerk van steden?"
# Questions the refusal double refuses: they ask about a landlord.
REFUSE = re.compile(r"verhuurder|bailleur|landlord", re.IGNORECASE)


def regional_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for source in SEEDS.iterdir():
        if source.name != "README.md":
            shutil.copy(source, folder / source.name)
    (folder / EU_NAME).write_text(EU_TEXT, encoding="utf-8")
    (folder / f"{EU_NAME}.meta.json").write_text(json.dumps(EU_META), encoding="utf-8")
    return folder


def regional_settings(root: Path, **overrides) -> Settings:
    return Settings(corpus_dir=root / "corpus", index_dir=root / "index",
                    cache_dir=root / "cache", feedback_dir=root / "feedback", **overrides)


def regional_pipeline(root: Path, **overrides) -> Pipeline:
    """The regional corpus under `root`, indexed (default chunking, as the CLI reads it)."""
    settings = regional_settings(root, **overrides)
    regional_corpus(settings.corpus_dir)
    pipeline = Pipeline(settings, embedder=HashingEmbedder(), index_dir=settings.index_dir)
    pipeline.ingest(settings.corpus_dir, show_progress=False)
    return pipeline


class LandlordPolicy:
    """Refuses questions about a landlord, answers the rest whenever a sentence was scored
    (the fitted decision reads the real encoder's cosines, not the hashing embedder's)."""

    def assess(self, result, scored, language: str, read=None):
        from assistant.answer.refusal import Evidence

        return Evidence({}, refused=not scored or bool(REFUSE.search(result.question)))
