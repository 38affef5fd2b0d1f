"""What only the Chroma server mode has: reachability, and generations as collections.

The incremental-ingest, search and rebuild checks run against the server too: every test in
test_index.py that takes `index_env` is parametrized over "embedded" and "server" (conftest).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from conftest import GENERATION, ChromaServer, IndexEnv, free_port
from fakes import HashingEmbedder

from assistant.config import Settings
from assistant.errors import NotReadyError, StoreUnavailableError
from assistant.pipeline import Pipeline
from assistant.search.generations import index_location, open_current

pytestmark = pytest.mark.slow


def layout(server: ChromaServer, prefix: str) -> tuple[list[str], list[str]]:
    """One index on the server: (its collections that belong to no generation, generations).

    A generation may span several collections (`<prefix>-<generation>-passages`, ...)."""
    others, generations = [], set()
    for collection in server.client().list_collections():
        if not collection.name.startswith(f"{prefix}-"):
            continue
        found = GENERATION.match(collection.name[len(prefix) + 1:])
        if found:
            generations.add(found.group(1))
        else:
            others.append(collection.name)
    return sorted(others), sorted(generations)


def test_server_fixture_answers_heartbeat(chroma_server: ChromaServer) -> None:
    assert chroma_server.process.poll() is None
    assert chroma_server.heartbeat()
    assert chroma_server.host == "127.0.0.1"


def test_unreachable_server_is_store_unavailable(tmp_path: Path) -> None:
    port = free_port()  # nothing listens here
    settings = Settings(chroma_mode="server", chroma_host="127.0.0.1", chroma_port=port,
                        collection_prefix="unreachable", index_dir=tmp_path / "index",
                        cache_dir=tmp_path / "cache")
    pipeline = Pipeline(settings, embedder=HashingEmbedder(), index_dir=tmp_path / "index")
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError) as caught:
        pipeline.retriever  # noqa: B018
    assert time.monotonic() - started < 15
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message and "cannot be reached" in message
    assert "Traceback" not in message and "\n" not in message
    assert isinstance(caught.value, NotReadyError) and caught.value.status == 503
    with pytest.raises(StoreUnavailableError):
        pipeline.ingest(tmp_path, show_progress=False)


def test_collections_of_one_index(server_env: IndexEnv, corpus_dir: Path) -> None:
    """A meta collection plus exactly one generation, named by the pointer."""
    server, prefix = server_env.server, server_env.prefix
    assert layout(server, prefix) == ([], [])
    first = server_env.pipeline().ingest(corpus_dir, show_progress=False)
    assert layout(server, prefix) == ([f"{prefix}-meta"], [first.generation])
    # Nothing of this index lands in the embedded folder.
    assert not any(server_env.index_dir.glob("gen-*"))
    assert not (server_env.index_dir / "CURRENT").exists()


def test_after_a_rebuild_only_one_generation_remains(server_env, corpus_dir: Path) -> None:
    """(test_index.py checks the same after every kind of rebuild, through `generations()`;
    here the raw collection list: nothing of the old generation is left, nothing else added.)"""
    server, prefix = server_env.server, server_env.prefix
    first = server_env.pipeline().ingest(corpus_dir, show_progress=False)
    report = server_env.pipeline(HashingEmbedder(name="fake:other"), chunk_chars=350).ingest(
        corpus_dir, show_progress=False)
    assert report.rebuilt and report.generation != first.generation
    assert layout(server, prefix) == ([f"{prefix}-meta"], [report.generation])
    # The local cache of derived state (the lexical index) keeps only the live generation.
    cache = server_env.index_dir / "server-cache" / prefix
    assert [p.name for p in cache.iterdir()] == [report.generation]
    store, manifest, generation = open_current(
        index_location(server_env.settings(chunk_chars=350), server_env.index_dir))
    assert generation == report.generation
    assert store.count() == manifest["passages"] == report.passages


def test_readers_see_one_complete_generation_during_a_rebuild(
    server_env: IndexEnv, corpus_dir: Path
) -> None:
    """While a slow rebuild fills a new collection, readers keep getting the old one whole,
    then the new one whole: never a mix, never an empty or half-filled one."""
    server, prefix = server_env.server, server_env.prefix
    first = server_env.pipeline(HashingEmbedder(name="fake:a")).ingest(
        corpus_dir, show_progress=False)

    class SlowEmbedder(HashingEmbedder):
        def embed_passages(self, texts):
            time.sleep(0.2)
            return super().embed_passages(texts)

    outcome: dict = {}

    def rebuild() -> None:
        try:
            pipeline = server_env.pipeline(SlowEmbedder(name="fake:b"), embed_batch_size=4)
            outcome["report"] = pipeline.ingest(corpus_dir, show_progress=False)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            outcome["error"] = error

    writer = threading.Thread(target=rebuild)
    writer.start()
    location = index_location(server_env.settings(), server_env.index_dir)
    seen: list[tuple[str, str]] = []
    most_generations = 0
    while writer.is_alive():
        store, manifest, generation = open_current(location)
        try:
            count = store.count()
        except Exception:  # the old collection was discarded between the two calls
            assert generation == first.generation
            continue
        assert count == manifest["passages"], (generation, count, manifest["passages"])
        seen.append((generation, manifest["model"]))
        most_generations = max(most_generations, len(layout(server, prefix)[1]))
        time.sleep(0.05)
    writer.join()
    assert "error" not in outcome, outcome.get("error")
    report = outcome["report"]
    assert seen and seen[0] == (first.generation, "fake:a")
    assert set(seen) <= {(first.generation, "fake:a"), (report.generation, "fake:b")}
    assert most_generations == 2  # the new generation was filled beside the live one...
    assert layout(server, prefix) == ([f"{prefix}-meta"], [report.generation])  # ...alone now


def test_two_indexes_on_one_server_do_not_mix(tmp_path: Path, chroma_server: ChromaServer,
                                              corpus_dir: Path) -> None:
    one, two = IndexEnv("server", tmp_path / "one", chroma_server), IndexEnv(
        "server", tmp_path / "two", chroma_server)
    try:
        one.pipeline().ingest(corpus_dir, show_progress=False)
        assert open_current(index_location(one.settings(), one.index_dir))[0].count() > 0
        with pytest.raises(NotReadyError):
            two.pipeline().retriever  # noqa: B018
        two.pipeline(HashingEmbedder(name="fake:two")).ingest(corpus_dir, show_progress=False)
        assert one.live()[1]["model"] == "fake:hashing"
        assert two.live()[1]["model"] == "fake:two"
        assert len(one.generations()) == len(two.generations()) == 1
    finally:
        one.cleanup()
        two.cleanup()
