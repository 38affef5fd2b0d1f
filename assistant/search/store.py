"""The only module that imports chromadb: the passage collection and index generations.

An index is a sequence of generations. Writers fill a new generation and then publish it
with one atomic step, so readers and a crashed writer only ever see a complete one:
- embedded: `index/<generation>/chroma` folders, `index/CURRENT` names the live one
  (replaced with os.replace);
- server: one collection per generation, the live name and the manifest stored in a small
  `<prefix>-meta` collection (one upsert).
"""

from __future__ import annotations

import base64
import functools
import json
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.errors import AssistantError, IndexNotFoundError, StoreUnavailableError
from assistant.types import DocumentMeta, Hit, Passage

_META_FIELDS = ("title", "publisher", "date", "language", "region", "url")
# Each passage carries its sentences' vectors: they come back with every query at no extra
# request, and a separate vector collection would load a second HNSW index into memory
# (+670 MB at 100k passages) only to read vectors by id.
_SENTENCE_VECTORS = "sentence_vectors"
_PAGE = 1000


def _unreachable(error: BaseException) -> bool:
    """An HTTP transport failure (refused, reset, timed out) under chromadb's HttpClient:
    httpx's TransportError, known by name so that httpx is not imported for it."""
    return any(cls.__name__ == "TransportError" and cls.__module__.startswith("httpx")
               for cls in type(error).__mro__)


def _gone(error: BaseException) -> bool:
    """chromadb's NotFoundError: a collection that no longer exists (a server restarted on
    an empty folder, a generation discarded by a writer)."""
    return type(error).__name__ == "NotFoundError" and type(error).__module__.startswith("chromadb")


def _reachable(method):
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
            if _unreachable(error):
                raise StoreUnavailableError(self.unreachable) from error
            if _gone(error):
                raise StoreUnavailableError("The search index cannot be opened.") from error
            raise

    return call


def _chroma_settings():
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

    @_reachable
    def count(self) -> int:
        return self._passages.count()

    @_reachable
    def add(self, passages: Sequence[Passage], vectors: np.ndarray,
            sentence_vectors: Sequence[Sequence[np.ndarray | None]]) -> None:
        """`sentence_vectors[i][j]` belongs to `passages[i].sentences[j]`; None for none."""
        self._passages.add(
            ids=[p.passage_id for p in passages],
            embeddings=np.asarray(vectors, dtype=np.float32),
            documents=[p.text for p in passages],
            metadatas=[_metadata(p, rows) for p, rows in zip(passages, sentence_vectors)],
        )

    @_reachable
    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        for doc_id in doc_ids:
            self._passages.delete(where={"doc_id": doc_id})

    @_reachable
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

    @_reachable
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

    @_reachable
    def first_vector(self) -> tuple[str, np.ndarray] | None:
        got = self._passages.get(limit=1, include=["embeddings"])
        return (got["ids"][0], np.asarray(got["embeddings"][0])) if got["ids"] else None

    @_reachable
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
            if _unreachable(error):
                raise StoreUnavailableError(unreachable) from error
            if _gone(error):
                raise StoreUnavailableError("The search index cannot be opened.") from error
            raise
        if not page["ids"]:
            return
        yield page
        offset += len(page["ids"])


def _collection(client, name: str):
    return client.get_or_create_collection(
        name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}})


def _store(client, prefix: str) -> PassageStore:
    return PassageStore(_collection(client, f"{prefix}-passages"))


def new_generation_name() -> str:
    return time.strftime("gen-%Y%m%d-%H%M%S-") + f"{time.time_ns() % 10**9:09d}"


class LocalIndex:
    """Generations as folders under `index_dir`, each with its own PersistentClient."""

    def __init__(self, index_dir: Path, prefix: str) -> None:
        self.index_dir = index_dir
        self._prefix = prefix
        self._pointer = index_dir / "CURRENT"

    def generation(self) -> str | None:
        """The live generation's name only: cheap enough to check before searches."""
        try:
            return self._pointer.read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def current(self) -> tuple[str, dict] | None:
        try:
            generation = self._pointer.read_text(encoding="utf-8").strip()
            manifest = json.loads((self.index_dir / generation / "manifest.json").read_text("utf-8"))
        except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
            return None
        return generation, manifest

    def derived_dir(self, generation: str) -> Path:
        """Where state derived from a generation (the lexical index) is saved: inside it."""
        return self.index_dir / generation / "derived"

    def discard_derived(self, keep: str) -> None:
        """Nothing to do: derived state goes away with its generation folder."""

    def open(self, generation: str) -> PassageStore:
        import chromadb

        folder = self.index_dir / generation / "chroma"
        if not folder.is_dir():  # discarded since the pointer was read: never re-create it
            raise StoreUnavailableError("The search index cannot be opened.")
        try:
            return _store(chromadb.PersistentClient(str(folder), settings=_chroma_settings()),
                          self._prefix)
        except Exception as error:  # chromadb raises many types for a damaged folder
            raise StoreUnavailableError("The search index cannot be opened.") from error

    def create(self, generation: str, copy_of: str | None = None) -> PassageStore:
        target = self.index_dir / generation
        if copy_of is not None:
            shutil.copytree(self.index_dir / copy_of / "chroma", target / "chroma")
        else:
            (target / "chroma").mkdir(parents=True)
        return self.open(generation)

    def publish(self, generation: str, manifest: dict) -> None:
        folder = self.index_dir / generation
        _write_atomically(folder / "manifest.json", json.dumps(manifest))
        _fsync_tree(folder)
        _write_atomically(self._pointer, generation + "\n")

    def discard_others(self, keep: str) -> None:
        """Remove every generation but `keep` (left-overs of crashes and older versions)."""
        for child in self.index_dir.glob("gen-*"):
            if child.name != keep and child.is_dir():
                shutil.rmtree(child, ignore_errors=True)


class ServerIndex:
    """Generations as collections on a Chroma server; the pointer lives on the server too."""

    def __init__(self, host: str, port: int, prefix: str, cache_dir: Path) -> None:
        import chromadb

        self.unreachable = f"The Chroma server at {host}:{port} cannot be reached."
        try:
            self._client = chromadb.HttpClient(host=host, port=port, settings=_chroma_settings())
            self._client.heartbeat()
        except Exception as error:
            raise StoreUnavailableError(self.unreachable) from error
        self._prefix = prefix
        self._cache = cache_dir / prefix
        self._meta = self._meta_collection()

    def _meta_collection(self):
        return self._client.get_or_create_collection(f"{self._prefix}-meta", embedding_function=None)

    @_reachable
    def _pointer(self, include: list[str]) -> dict:
        """The `current` record; read from the meta collection as it is now when the one held
        is gone (a server restarted on an empty folder: then there is no index)."""
        try:
            return self._meta.get(ids=["current"], include=include)
        except Exception as error:
            if not _gone(error):
                raise
            self._meta = self._meta_collection()
            return self._meta.get(ids=["current"], include=include)

    def generation(self) -> str | None:
        got = self._pointer(["metadatas"])
        return str(got["metadatas"][0]["generation"]) if got["ids"] else None

    def current(self) -> tuple[str, dict] | None:
        got = self._pointer(["documents", "metadatas"])
        if not got["ids"]:
            return None
        return str(got["metadatas"][0]["generation"]), json.loads(got["documents"][0])

    def derived_dir(self, generation: str) -> Path:
        """Derived state (the lexical index) is per replica: a local cache per generation."""
        return self._cache / generation

    def discard_derived(self, keep: str) -> None:
        for child in self._cache.glob("gen-*"):
            if child.name != keep:
                shutil.rmtree(child, ignore_errors=True)

    def open(self, generation: str) -> PassageStore:
        name = f"{self._prefix}-{generation}"
        try:  # get, not get_or_create: a discarded generation must not come back empty
            return PassageStore(
                self._client.get_collection(f"{name}-passages", embedding_function=None),
                self.unreachable)
        except Exception as error:
            if _unreachable(error):
                raise StoreUnavailableError(self.unreachable) from error
            raise StoreUnavailableError("The search index cannot be opened.") from error

    @_reachable
    def create(self, generation: str, copy_of: str | None = None) -> PassageStore:
        store = _store(self._client, f"{self._prefix}-{generation}")
        store.unreachable = self.unreachable
        if copy_of is not None:
            store.copy_from(self.open(copy_of))
        return store

    @_reachable
    def publish(self, generation: str, manifest: dict) -> None:
        self._meta.upsert(ids=["current"], documents=[json.dumps(manifest)],
                          metadatas=[{"generation": generation}], embeddings=[[0.0]])

    @_reachable
    def discard_others(self, keep: str) -> None:
        for collection in self._client.list_collections():
            name = collection.name
            if name.startswith(f"{self._prefix}-gen-") and not name.startswith(f"{self._prefix}-{keep}-"):
                self._client.delete_collection(name)
        self.discard_derived(keep)


IndexLocation = LocalIndex | ServerIndex


def index_location(settings: Settings, index_dir: Path | None = None) -> IndexLocation:
    index_dir = index_dir or settings.index_dir
    if settings.chroma_mode == "server":
        return ServerIndex(settings.chroma_host, settings.chroma_port, settings.collection_prefix,
                           cache_dir=index_dir / "server-cache")
    return LocalIndex(index_dir, settings.collection_prefix)


def open_current(location: IndexLocation) -> tuple[PassageStore, dict, str]:
    """The live generation's store, its manifest and name; a clear error when none exists."""
    current = location.current()
    for _attempt in range(3):
        if current is None:
            raise IndexNotFoundError(
                "The knowledge base has not been indexed yet. Run `assistant ingest`.")
        generation, manifest = current
        try:
            return location.open(generation), manifest, generation
        except StoreUnavailableError:
            current = location.current()  # a writer may have published and discarded it
            if current is None or current[0] == generation:
                raise
    raise StoreUnavailableError("The search index keeps changing; try again.")


def _write_atomically(path: Path, content: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    """Make the generation durable before the pointer names it."""
    for root, _dirs, files in os.walk(folder):
        for name in files:
            fd = os.open(Path(root) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(root))
