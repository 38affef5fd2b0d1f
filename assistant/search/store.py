"""The passage collection in Chroma, and what generations.py shares of it (the client's
settings, its errors turned into ours): with generations.py, the only modules that import
chromadb."""

from __future__ import annotations

import base64
import functools
from collections.abc import Iterator, Sequence

import numpy as np

from assistant.errors import AssistantError, StoreUnavailableError
from assistant.types import DocumentMeta, Hit, Passage

_META_FIELDS = ("title", "publisher", "date", "language", "region", "url")
# Each passage carries its sentences' vectors: they come back with every query at no extra
# request, and a separate vector collection would load a second HNSW index into memory
# (+670 MB at 100k passages) only to read vectors by id.
_SENTENCE_VECTORS = "sentence_vectors"
_PAGE = 1000


def is_unreachable(error: BaseException) -> bool:
    """An HTTP transport failure (refused, reset, timed out) under chromadb's HttpClient:
    httpx's TransportError, known by name so that httpx is not imported for it."""
    return any(cls.__name__ == "TransportError" and cls.__module__.startswith("httpx")
               for cls in type(error).__mro__)


def is_gone(error: BaseException) -> bool:
    """chromadb's NotFoundError: a collection that no longer exists (a server restarted on
    an empty folder, a generation discarded by a writer)."""
    return type(error).__name__ == "NotFoundError" and type(error).__module__.startswith("chromadb")


CANNOT_OPEN = "The search index cannot be opened."


def as_unavailable(error: BaseException, unreachable: str) -> StoreUnavailableError | None:
    """A Chroma outage (`unreachable` says which server) or a vanished collection as our
    StoreUnavailableError; None for any other error."""
    if is_unreachable(error):
        return StoreUnavailableError(unreachable)
    if is_gone(error):
        return StoreUnavailableError(CANNOT_OPEN)
    return None


def reachable(method):
    """A Chroma call whose outage is a StoreUnavailableError (503 "try again": the HTTP
    client reconnects by itself when the server is back) and whose vanished collection is
    one too, instead of a connection error from deep inside chromadb."""
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except AssistantError:
            raise
        except Exception as error:
            unavailable = as_unavailable(error, self.unreachable)
            if unavailable is None:
                raise
            raise unavailable from error

    return call


def chroma_settings():
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def _metadata(passage: Passage, sentence_rows: Sequence[np.ndarray | None]) -> dict[str, str | int]:
    spans = ",".join(f"{start}-{end}" for start, end in passage.sentences)
    metadata: dict[str, str | int] = {"doc_id": passage.doc_id, "start": passage.start,
                                      "end": passage.end, "sentences": spans,
                                      **passage.meta.as_flat_dict()}
    if any(row is not None for row in sentence_rows):
        metadata[_SENTENCE_VECTORS] = _pack(sentence_rows)
    return metadata


def _pack(rows: Sequence[np.ndarray | None]) -> str:
    """float16 rows, a zero row for a sentence without a vector (a heading), in base64."""
    dim = next(len(row) for row in rows if row is not None)
    matrix = np.zeros((len(rows), dim), dtype="<f2")
    for i, row in enumerate(rows):
        if row is not None:
            matrix[i] = row
    return base64.b64encode(matrix.tobytes()).decode("ascii")


def _unpack(passage: Passage, metadata: dict) -> np.ndarray | None:
    packed = metadata.get(_SENTENCE_VECTORS)
    if not packed or not passage.sentences:
        return None
    return np.frombuffer(base64.b64decode(str(packed)), dtype="<f2").reshape(
        len(passage.sentences), -1)


def _passage(passage_id: str, text: str, metadata: dict) -> Passage:
    meta = DocumentMeta(**{key: str(metadata.get(key, "")) for key in _META_FIELDS})
    spans = tuple(tuple(int(n) for n in span.split("-"))
                  for span in str(metadata.get("sentences", "")).split(",") if span)
    return Passage(passage_id, str(metadata["doc_id"]), text, int(metadata["start"]),
                   int(metadata["end"]), meta, sentences=spans)


class PassageStore:
    """One Chroma collection (cosine, our own vectors) of passages and their sentence vectors."""

    unreachable = "The Chroma server cannot be reached."

    def __init__(self, passages, unreachable: str | None = None) -> None:
        self._passages = passages
        if unreachable:
            self.unreachable = unreachable

    @reachable
    def count(self) -> int:
        return self._passages.count()

    @reachable
    def add(self, passages: Sequence[Passage], vectors: np.ndarray,
            sentence_vectors: Sequence[Sequence[np.ndarray | None]]) -> None:
        """`sentence_vectors[i][j]` belongs to `passages[i].sentences[j]`; None for none."""
        self._passages.add(
            ids=[p.passage_id for p in passages],
            embeddings=np.asarray(vectors, dtype=np.float32),
            documents=[p.text for p in passages],
            metadatas=[_metadata(p, rows) for p, rows in zip(passages, sentence_vectors)],
        )

    @reachable
    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        for doc_id in doc_ids:
            self._passages.delete(where={"doc_id": doc_id})

    @reachable
    def query(self, vector: np.ndarray, k: int,
              regions: Sequence[str] | None = None) -> list[Hit]:
        """The k nearest passages (of `regions` only, when given), with their sentence vectors.

        (Chroma returns fewer than k when the collection is smaller; counting first would
        cost 15 ms at 100k passages.)"""
        result = self._passages.query(
            query_embeddings=np.asarray(vector, dtype=np.float32).reshape(1, -1),
            n_results=k, include=["documents", "metadatas", "distances"],
            where={"region": {"$in": list(regions)}} if regions else None,
        )
        return [
            _hit(pid, text, meta, 1.0 - dist)
            for pid, text, meta, dist in zip(
                result["ids"][0], result["documents"][0], result["metadatas"][0],
                result["distances"][0],
            )
        ]

    @reachable
    def score(self, passage_ids: Sequence[str], vector: np.ndarray) -> list[Hit]:
        """Passages by id, with their cosine to `vector` (stored vectors are normalized)."""
        got = self._passages.get(ids=list(passage_ids),
                                 include=["documents", "metadatas", "embeddings"])
        return [
            _hit(pid, text, meta, float(np.dot(np.asarray(vec), vector)))
            for pid, text, meta, vec in zip(got["ids"], got["documents"], got["metadatas"],
                                            got["embeddings"])
        ]

    def iter_passages(self) -> Iterator[Passage]:
        """Every stored passage, page by page (the lexical index is built from this)."""
        for page in _pages(self._passages, ["documents", "metadatas"], self.unreachable):
            for pid, text, meta in zip(page["ids"], page["documents"], page["metadatas"]):
                yield _passage(pid, text, meta)

    @reachable
    def first_vector(self) -> tuple[str, np.ndarray] | None:
        got = self._passages.get(limit=1, include=["embeddings"])
        return (got["ids"][0], np.asarray(got["embeddings"][0])) if got["ids"] else None

    @reachable
    def copy_from(self, other: PassageStore) -> None:
        """Copy every record, vectors included (server mode has no folder to copy)."""
        for page in _pages(other._passages, ["documents", "metadatas", "embeddings"],
                           other.unreachable):
            self._passages.add(ids=page["ids"], embeddings=page["embeddings"],
                               documents=page["documents"], metadatas=page["metadatas"])


def _hit(passage_id: str, text: str, metadata: dict, cosine: float) -> Hit:
    passage = _passage(passage_id, text, metadata)
    return Hit(passage, score=cosine, dense=cosine, sentence_vectors=_unpack(passage, metadata))


def _pages(collection, include: list[str], unreachable: str) -> Iterator[dict]:
    offset = 0
    while True:
        try:  # a generator: _reachable would not see what its pages raise
            page = collection.get(include=include, limit=_PAGE, offset=offset)
        except Exception as error:
            unavailable = as_unavailable(error, unreachable)
            if unavailable is None:
                raise
            raise unavailable from error
        if not page["ids"]:
            return
        yield page
        offset += len(page["ids"])


def _collection(client, name: str):
    return client.get_or_create_collection(
        name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}})


def passage_store(client, prefix: str, unreachable: str | None = None) -> PassageStore:
    return PassageStore(_collection(client, f"{prefix}-passages"), unreachable)
