"""`build_assistant`: the one way the CLI, the server, the Python API, eval and the fitting
scripts get an assistant, its stages wired from settings."""

from __future__ import annotations

from pathlib import Path

from assistant.answer.llm import LLMAnswerer
from assistant.answer.refusal import RefusalPolicy
from assistant.config import Settings
from assistant.models.encoder import Embedder
from assistant.pipeline import Pipeline
from assistant.service import Assistant


def build_assistant(settings: Settings, *, pipeline: Pipeline | None = None,
                    embedder: Embedder | None = None, index_dir: Path | None = None,
                    policy: RefusalPolicy | None = None) -> Assistant:
    """The pipeline (encoder, index, and the files fitted for the encoder: the reader, the
    quote choice, the refusal, read by `Pipeline.fitted` once the encoder is loaded) and the
    LLM when `settings.llm_base_url` is set. `pipeline`: an existing one (its index and
    encoder), else one for `embedder` (the configured encoder when None) and `index_dir`;
    `policy` replaces the fitted refusal. (The server counts the answers for officials
    with `Assistant.counting`.)"""
    pipeline = pipeline or Pipeline(settings, embedder, index_dir)
    return Assistant(settings, pipeline, llm=LLMAnswerer.from_settings(settings), policy=policy)
