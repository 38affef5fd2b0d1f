"""Wires the stages from settings: one place that knows how the parts fit, and the one place
that reads what was fitted for the encoder (assistant/fitted/)."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from assistant.answer.extractive import ExtractiveAnswerer, ExtractiveSettings
from assistant.answer.refusal import RefusalPolicy
from assistant.ingest.chunking import ChunkingParams
from assistant.config import Settings
from assistant.fitted import fitted_values
from assistant.ingest.documents import ReadLimits
from assistant.models.encoder import Embedder
from assistant.models.registry import load_embedder
from assistant.errors import StoreUnavailableError
from assistant.ingest.indexer import MANIFEST_VERSION, IngestReport, index_signature, ingest
from assistant.search.lexical import SAVED_NAME, open_lexical
from assistant.models.reader import fitted_reader
from assistant.read.reader import Reader, Reading
from assistant.search.query_batching import QueryBatcher
from assistant.search.retrieval import FusionWeights, Retriever, SearchResult
from assistant.search.generations import IndexLocation, index_location, open_current


RELOAD_CHECK_SECONDS = 2.0


@dataclass(frozen=True)
class Found:
    """What a question finds: the passages to answer from (the reader's order), retrieval's
    own top passages (what the refusal's retrieval features were fitted on) and the reader's
    reading of the pool, best first."""

    result: SearchResult
    retrieved: SearchResult
    readings: tuple[Reading, ...]


@dataclass(frozen=True)
class Fitted:
    """What was fitted for one encoder: the reader (reader.json; None keeps retrieval's
    order), the quote choice (quotes.json, fit_quotes.py) and the refusal (refusal.json, fit.py).
    `scorer` names what a sentence's score is, the encoder's cosine or its reader's logit:
    values fitted on that scale, such as the quotes cutoff, are stored under it."""

    scorer: str
    reader: Reader | None
    answerer: ExtractiveAnswerer
    policy: RefusalPolicy


def load_fitted(encoder: str) -> Fitted:
    model = fitted_reader(encoder)
    reader = Reader(model) if model else None
    scorer = f"{encoder}+reader" if reader else encoder
    quotes = fitted_values("quotes", scorer)
    return Fitted(scorer, reader,
                  ExtractiveAnswerer(ExtractiveSettings(max_sentences=quotes["max_sentences"],
                                                        relative_cutoff=quotes["relative_cutoff"])),
                  RefusalPolicy.for_encoder(encoder))


class Pipeline:
    """Lazily loads the model and the index once; shared by the CLI, the chat and the API."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None,
                 index_dir: Path | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self.index_dir = index_dir or settings.index_dir
        self._live: tuple[str, Retriever] | None = None
        self._checked = 0.0

    @cached_property
    def embedder(self) -> Embedder:
        return self._embedder or load_embedder(self.settings)

    @cached_property
    def query_embedder(self) -> QueryBatcher:
        """The embedder for questions: concurrent ones share an encoder pass."""
        return QueryBatcher(self.embedder)

    @cached_property
    def fitted(self) -> Fitted:
        """Read once the encoder is loaded, since its name keys every fitted file; a server's
        warm-up reads them after the retriever (`/api/health` says 503 until then)."""
        return load_fitted(self.embedder.name)

    @property
    def reader(self) -> Reader | None:
        return self.fitted.reader

    @property
    def chunking(self) -> ChunkingParams:
        return ChunkingParams(self.settings.chunk_chars, self.settings.chunk_overlap_sentences)

    @cached_property
    def location(self) -> IndexLocation:
        return index_location(self.settings, self.index_dir)

    def ingest(self, corpus_dir: Path | None = None, *, rebuild: bool = False,
               show_progress: bool = True) -> IngestReport:
        report = ingest(
            corpus_dir or self.settings.corpus_dir, self.location, self.embedder, self.chunking,
            lock_path=self.index_dir / ".ingest.lock", rebuild=rebuild,
            batch_size=self.settings.embed_batch_size, show_progress=show_progress,
            limits=ReadLimits.from_settings(self.settings),
        )
        self._live = None  # the next search sees the new generation
        return report

    def index_is_current(self) -> bool:
        """True when a live index exists and was built with this model and chunking."""
        current = self.location.current()
        if current is None:
            return False
        signature = index_signature(self.embedder, self.chunking)
        return all(current[1].get(key) == value for key, value in signature.items())

    @property
    def is_loaded(self) -> bool:
        """The retriever (the model and the index) and the fitted files are loaded."""
        return self._live is not None and "fitted" in vars(self)  # a cached_property, once read

    @property
    def retriever(self) -> Retriever:
        """The live generation's retriever, reloaded when a writer publishes a new one.

        A serving process (or each of several replicas on one Chroma server) thus follows
        `assistant ingest` without a restart; the pointer is read at most every few seconds.
        """
        now = time.monotonic()
        if self._live is None or now - self._checked > RELOAD_CHECK_SECONDS:
            self._checked = now
            if self._live is None or self.location.generation() != self._live[0]:
                self._live = self._load_retriever()
        return self._live[1]

    def search(self, question: str, k: int, language: str | None = None,
               region: str | None = None) -> SearchResult:
        """Search the live index; if a writer removed our generation mid-way, reload once."""
        try:
            return self.retriever.search(question, k=k, language=language, region=region)
        except Exception:  # chromadb raises many types for a collection or folder that is gone
            if self.location.generation() == (self._live[0] if self._live else None):
                raise
            self._live = None
            return self.retriever.search(question, k=k, language=language, region=region)

    def read(self, question: str, k: int, language: str | None = None,
             region: str | None = None) -> Found:
        """Retrieval's k passages, and the k that the reader puts first among a wider pool
        with its reading of every pooled sentence (no reader: retrieval's k both times)."""
        if self.reader is None:
            result = self.search(question, k, language, region)
            return Found(result, result, ())
        pool = self.search(question, max(k, self.settings.reader_pool), language, region)
        readings = tuple(self.reader.read(pool))
        return Found(self.reader.rerank(pool, readings, k),
                     replace(pool, hits=pool.hits[:k]), readings)

    def _load_retriever(self) -> tuple[str, Retriever]:
        store, manifest, generation = open_current(self.location)
        if manifest.get("model") != self.embedder.name or manifest.get("dim") != self.embedder.dim:
            raise StoreUnavailableError(
                "The index was built with another embedding model; run `assistant ingest`."
            )
        if manifest.get("version") != MANIFEST_VERSION:
            raise StoreUnavailableError(
                "The index was built by another version of the assistant; run `assistant ingest`."
            )
        weights = FusionWeights(self.settings.lexical_weight_same_language,
                                self.settings.lexical_weight_cross_language)
        lexical = open_lexical(self.location.derived_dir(generation) / SAVED_NAME,
                               store.iter_passages)
        self.location.discard_derived(keep=generation)
        return generation, Retriever(store, lexical, self.query_embedder, weights,
                                     self.settings.candidates)
