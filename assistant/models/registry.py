"""Every encoder by its `Settings.encoder` name: how it is built offline and loaded; and
`prepare_models`, which `assistant prepare` runs: every model the configured assistant uses.

An engine module is imported on first use: its builder pulls in numpy, onnx or torch tooling
that `import assistant` (the CLI) should not pay for.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from assistant.config import Settings
from assistant.errors import ModelNotPreparedError
from assistant.models.encoder import Embedder, Engine
from assistant.models.reader import verify_reader
from assistant.models.sentence_transformer import SentenceTransformerEmbedder

# config.Encoder -> the module whose ENGINE builds and loads it.
ENGINES = {
    "embeddinggemma": "assistant.models.gemma",
    "embeddinggemma-onnx-int8": "assistant.models.gemma_onnx",
    "e5-small": "assistant.models.e5",
    "e5-small-onnx-int8": "assistant.models.e5_onnx",
}


def engine(name: str) -> Engine:
    return importlib.import_module(ENGINES[name]).ENGINE


def load_embedder(settings: Settings) -> Embedder:
    """The configured encoder; never downloads: a missing model is a set-up error."""
    if settings.model_path is not None:
        if not (settings.model_path / "config.json").exists():
            raise ModelNotPreparedError(
                f"No sentence-transformers model in {settings.model_path}."
            )
        return SentenceTransformerEmbedder(settings.model_path, settings.embed_batch_size)
    return engine(settings.encoder).load(settings)


def prepare_encoder(settings: Settings, *, force: bool = False) -> Path:
    """Build the configured encoder's model folder offline (`assistant prepare`)."""
    if settings.model_path is not None:
        return settings.model_path
    return engine(settings.encoder).prepare(settings.cache_dir, force=force)


def prepare_models(settings: Settings, *, force: bool = False,
                   reader_features: Sequence[str]) -> Iterator[str]:
    """Builds the encoder, then verifies the reader fitted on its vectors: one line each.
    `reader_features`: the names the reading stage computes (read/features.SCALARS)."""
    yield f"encoder {settings.encoder} ready in {prepare_encoder(settings, force=force)}"
    yield verify_reader(load_embedder(settings).name, reader_features)
