"""Corpus -> index: incremental, batched, crash-safe, one writer at a time.

A run compares each document's content hash with the live manifest; only new or changed
documents are chunked and embedded. Changes go into a new generation (a copy of the live
one, or an empty one when the model or chunking differ), which is verified, given its saved
lexical index, and then published atomically: a crash at any moment leaves the previous
generation live, and the next run removes what the crashed one left.

A file or record that fails to load (unreadable, over a limit, bad JSON) keeps its last
good version: the documents the live index holds from it stay, and its Skipped reason says
so. Only a file that is gone (or that no longer yields a document the index holds) has its
documents removed. A rebuild starts empty, so it keeps nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout
from tqdm import tqdm

from assistant.ingest.chunking import ChunkingParams, chunk_document, embedding_texts
from assistant.ingest.documents import ReadLimits, count_documents, iter_corpus
from assistant.models.encoder import Embedder
from assistant.errors import IndexLockedError, StoreUnavailableError
from assistant.search.lexical import SAVED_NAME, LexicalIndex
from assistant.search.generations import IndexLocation, new_generation_name
from assistant.search.store import PassageStore
from assistant.types import Document, Passage, Skipped

# 2: sentence vectors stored with their passage; 3: region stored as a code (regions.REGIONS),
# filtered on: an index of 2 holds names ("Brussels") no filter matches, so it is rebuilt.
MANIFEST_VERSION = 3
EMBEDDING_TEXT = "title + passage; title + heading path + sentence"


@dataclass(frozen=True)
class IngestReport:
    documents: int
    passages: int
    embedded: int
    removed_documents: int
    skipped: tuple[Skipped, ...]
    seconds: float
    generation: str
    rebuilt: bool
    kept_documents: int = 0  # of files that failed: their last good version stays


    @property
    def passages_per_second(self) -> float:
        return self.embedded / self.seconds if self.seconds > 0 else 0.0


def index_signature(embedder: Embedder, params: ChunkingParams) -> dict:
    """Everything that makes vectors comparable; any difference forces a full rebuild."""
    return {"version": MANIFEST_VERSION, "model": embedder.name, "dim": embedder.dim,
            "chunking": params.as_dict(),
            "embedding_text": getattr(embedder, "embedding_text", EMBEDDING_TEXT)}


@dataclass
class _Run:
    """The mutable state of one ingest run (kept out of the frozen report)."""

    location: IndexLocation
    embedder: Embedder
    params: ChunkingParams
    batch_size: int
    live: tuple[str, dict] | None
    rebuild: bool
    bar: tqdm
    generation: str = ""
    store: PassageStore | None = None
    pending: list[Passage] = field(default_factory=list)
    documents: dict[str, dict] = field(default_factory=dict)
    embedded: int = 0

    def target(self) -> PassageStore:
        """Create the new generation on the first change, so a no-op run writes nothing."""
        if self.store is None:
            self.generation = new_generation_name()
            copy_of = None if self.rebuild or self.live is None else self.live[0]
            self.store = self.location.create(self.generation, copy_of=copy_of)
        return self.store

    def replace(self, document: Document) -> None:
        passages = chunk_document(document, self.params)
        store = self.target()
        if not self.rebuild and self.live and document.doc_id in self.live[1]["documents"]:
            self.flush()
            store.delete_documents([document.doc_id])
        self.pending.extend(passages)
        self.documents[document.doc_id] = _entry(document, len(passages))
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        vectors, sentence_vectors = embed_passages_and_sentences(self.embedder, self.pending)
        self.embedded += len(self.pending)
        self.bar.set_postfix(passages=self.embedded, refresh=False)
        self.target().add(self.pending, vectors, sentence_vectors)
        self.pending = []


def embed_passages_and_sentences(
    embedder: Embedder, passages: Sequence[Passage],
) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
    """Each passage's vector, and one per sentence (None for a heading: no vector).

    An embedder that can pools the sentences from the passage's own pass; for the others,
    passages and their sentence texts go through the encoder together: one call, full batches.
    """
    if hasattr(embedder, "embed_with_sentences"):
        headings = [{i for i, text in enumerate(embedding_texts(p)[1]) if not text} for p in passages]
        return embedder.embed_with_sentences(passages, headings)
    texts: list[str] = []
    passage_rows: list[int] = []
    sentence_rows: list[list[int | None]] = []
    for passage in passages:
        whole, sentences = embedding_texts(passage)
        passage_rows.append(len(texts))
        texts.append(whole)
        rows: list[int | None] = []
        for sentence in sentences:
            rows.append(len(texts) if sentence else None)
            if sentence:
                texts.append(sentence)
        sentence_rows.append(rows)
    vectors = embedder.embed_passages(texts)
    return vectors[passage_rows], [[None if r is None else vectors[r] for r in rows]
                                   for rows in sentence_rows]


def _entry(document: Document, passages: int) -> dict:
    return {"hash": document.content_hash, "passages": passages, "source": document.source}


def ingest(
    corpus_dir: Path,
    location: IndexLocation,
    embedder: Embedder,
    params: ChunkingParams,
    *,
    lock_path: Path,
    rebuild: bool = False,
    batch_size: int = 64,
    show_progress: bool = True,
    limits: ReadLimits,
) -> IngestReport:
    """`limits` bound what each file may cost to read."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(lock_path), timeout=0):
            return _ingest_locked(corpus_dir, location, embedder, params, rebuild,
                                  batch_size, show_progress, limits)
    except Timeout:
        raise IndexLockedError(
            "Another ingest is writing this index; wait for it to finish and try again."
        ) from None


def _ingest_locked(corpus_dir, location, embedder, params, rebuild, batch_size, show_progress,
                   limits: ReadLimits):
    started = time.perf_counter()
    live = location.current()
    # What a crashed (killed) run left: each would otherwise stay, a full copy each.
    location.discard_others(keep=live[0] if live is not None else "")
    signature = index_signature(embedder, params)
    rebuild = rebuild or live is None or {k: live[1].get(k) for k in signature} != signature
    total = count_documents(corpus_dir, limits.max_decompressed_bytes) if show_progress else None
    bar = tqdm(desc="indexing", total=total, unit=" docs", disable=not show_progress,
               dynamic_ncols=True)
    run = _Run(location, embedder, params, batch_size, live, rebuild, bar)
    previous = {} if live is None else live[1]["documents"]
    skipped: list[Skipped] = []

    for item in iter_corpus(corpus_dir, limits=limits):
        bar.update(1)
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        old = previous.get(item.doc_id)
        if rebuild or old is None or old["hash"] != item.content_hash:
            run.replace(item)
        else:
            run.documents[item.doc_id] = old
    run.flush()

    kept = _keep_failed(previous, run.documents, skipped) if not rebuild else {}
    run.documents.update(kept)
    skipped = _saying_kept(skipped, kept)
    for item in skipped:
        bar.write(f"skipped {item.path}: {item.reason}", file=sys.stderr)  # beside the bar
    bar.close()
    removed = [doc_id for doc_id in previous if doc_id not in run.documents]
    if removed and not rebuild:
        run.target().delete_documents(removed)

    total = sum(entry["passages"] for entry in run.documents.values())
    if run.store is None and live is not None:  # nothing changed: the live generation stays
        generation = live[0]
        location.discard_others(keep=generation)  # left-overs of crashed runs
    else:
        _verify(run.target(), total)  # target(): a first run may have nothing to index
        passages = tqdm(run.store.iter_passages(), desc="lexical index", total=total,
                        unit=" passages", disable=not show_progress, dynamic_ncols=True)
        LexicalIndex.build(passages).save(location.derived_dir(run.generation) / SAVED_NAME)
        manifest = {**signature, "created": datetime.now(timezone.utc).isoformat(),
                    "passages": total, "documents": run.documents}
        location.publish(run.generation, manifest)
        location.discard_others(keep=run.generation)
        generation = run.generation
    return IngestReport(
        documents=len(run.documents), passages=total, embedded=run.embedded,
        removed_documents=len(removed), skipped=tuple(skipped),
        seconds=time.perf_counter() - started, generation=generation, rebuilt=rebuild,
        kept_documents=len(kept),
    )


def _within(source: str, skipped_path: str) -> bool:
    """True when a document from `source` (a file's corpus path) came from `skipped_path`:
    that file, or a folder (`sub/`, or `.` for the corpus itself) that could not be read."""
    return (source == skipped_path or skipped_path == "."
            or (skipped_path.endswith("/") and source.startswith(skipped_path)))


def _keep_failed(previous: dict[str, dict], loaded: dict[str, dict],
                 skipped: Sequence[Skipped]) -> dict[str, dict]:
    """The live index's documents, absent from this run, whose file failed to load (or a
    record of it did): kept as they are, with their manifest entries."""
    failed = {item.path for item in skipped}
    return {doc_id: entry for doc_id, entry in previous.items()
            if doc_id not in loaded and any(_within(entry["source"], path) for path in failed)}


def _saying_kept(skipped: Sequence[Skipped], kept: dict[str, dict]) -> list[Skipped]:
    """The Skipped list, the first of each failed file saying what of it the index keeps."""
    told: set[str] = set()
    out = []
    for item in skipped:
        count = sum(1 for entry in kept.values() if _within(entry["source"], item.path))
        if count and item.path not in told:
            told.add(item.path)
            what = ("its last indexed version is" if count == 1
                    else f"its {count} indexed documents are")
            item = Skipped(item.path, f"{item.reason} ({what} kept)")
        out.append(item)
    return out


def _verify(store: PassageStore, expected: int) -> None:
    """Never publish a generation that does not hold exactly what the manifest says."""
    count = store.count()
    if count != expected:
        raise StoreUnavailableError(
            f"The new index holds {count} passages instead of {expected}; the previous one stays live."
        )
    probe = store.first_vector()
    if probe is not None:
        hits = store.query(probe[1], 1)
        if not hits or hits[0].dense < 0.99:
            raise StoreUnavailableError("The new index does not answer; the previous one stays live.")
