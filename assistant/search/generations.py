"""Where the live index is: a sequence of generations in Chroma (store.py holds one's passages).

Writers fill a new generation and then publish it with one atomic step, so readers and a
crashed writer only ever see a complete one:
- embedded: `index/<generation>/chroma` folders, `index/CURRENT` names the live one
  (replaced with os.replace);
- server: one collection per generation, the live name and the manifest stored in a small
  `<prefix>-meta` collection (one upsert).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from assistant.config import Settings
from assistant.errors import IndexNotFoundError, StoreUnavailableError
from assistant.search.store import (CANNOT_OPEN, PassageStore, as_unavailable, chroma_settings,
                                    is_gone, passage_store, reachable)


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
            raise StoreUnavailableError(CANNOT_OPEN)
        try:
            return passage_store(chromadb.PersistentClient(str(folder), settings=chroma_settings()),
                          self._prefix)
        except Exception as error:  # chromadb raises many types for a damaged folder
            raise StoreUnavailableError(CANNOT_OPEN) from error

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
            self._client = chromadb.HttpClient(host=host, port=port, settings=chroma_settings())
            self._client.heartbeat()
        except Exception as error:
            raise StoreUnavailableError(self.unreachable) from error
        self._prefix = prefix
        self._cache = cache_dir / prefix
        self._meta = self._meta_collection()

    def _meta_collection(self):
        return self._client.get_or_create_collection(f"{self._prefix}-meta", embedding_function=None)

    @reachable
    def _pointer(self, include: list[str]) -> dict:
        """The `current` record; read from the meta collection as it is now when the one held
        is gone (a server restarted on an empty folder: then there is no index)."""
        try:
            return self._meta.get(ids=["current"], include=include)
        except Exception as error:
            if not is_gone(error):
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
            raise (as_unavailable(error, self.unreachable)
                   or StoreUnavailableError(CANNOT_OPEN)) from error

    @reachable
    def create(self, generation: str, copy_of: str | None = None) -> PassageStore:
        store = passage_store(self._client, f"{self._prefix}-{generation}", self.unreachable)
        if copy_of is not None:
            store.copy_from(self.open(copy_of))
        return store

    @reachable
    def publish(self, generation: str, manifest: dict) -> None:
        self._meta.upsert(ids=["current"], documents=[json.dumps(manifest)],
                          metadatas=[{"generation": generation}], embeddings=[[0.0]])

    @reachable
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
