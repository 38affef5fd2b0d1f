"""An Assistant over the seed corpus embedded by the hashing fake, for tests of the web
contract (shapes, parameters, documents) that need answers with citations but not good ones:
indexing takes about a second and no model is loaded."""

from __future__ import annotations

from pathlib import Path

from conftest import SEED_CORPUS
from fakes import FixedPolicy, HashingEmbedder

from assistant.config import Settings
from assistant.pipeline import Pipeline
from assistant.service import Assistant
from assistant.wiring import build_assistant

# Seed-corpus questions the fake answers with citations, and one it refuses (FixedPolicy
# refuses when no sentence scores, as with a question sharing no word with the corpus).
QUESTION = "Welke Noorse stad deed mee aan NETCO?"


def fake_service(root: Path, **overrides) -> Assistant:
    """Rate limits raised so that a test sees the routes, not the limiter."""
    settings = Settings(corpus_dir=SEED_CORPUS, index_dir=root / "index", cache_dir=root / "cache",
                        feedback_dir=root / "feedback", rate_limit="100000/minute",
                        search_rate_limit="100000/minute", **overrides)
    pipeline = Pipeline(settings, embedder=HashingEmbedder(), index_dir=settings.index_dir)
    pipeline.ingest(SEED_CORPUS, show_progress=False)
    service = build_assistant(settings, pipeline=pipeline,
                              policy=FixedPolicy())  # the fitted decision reads real-encoder cosines
    return service
