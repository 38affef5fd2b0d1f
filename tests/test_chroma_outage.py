"""A Chroma server that goes away while the assistant serves: 503 with Retry-After, not a crash.

The test starts its own `chroma run` (as conftest's session server, but this one is stopped
and started again), indexes the seed corpus on it with the hashing embedder, and serves the
app on loopback with the product's server config. While Chroma is down, every route that
needs the index (health, ask, its stream, search, /v1 plain and streamed) answers 503 in the
error shape with `Retry-After`, and the log has one line per request, no traceback; when
Chroma is back on the same folder the same questions are answered again, without a restart.
Chroma back on an empty folder says to run `assistant ingest`, and an ingest brings the
answers back. Chroma stopped during a rebuild is the same one-line error, and the old index
stays live.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest
from conftest import SEED_CORPUS, SERVER_START_SECONDS, chroma_executable, free_port
from fake_service import QUESTION, fake_service
from fakes import HashingEmbedder
from loopback import LoopbackServer

from assistant.errors import StoreUnavailableError
from assistant.pipeline import Pipeline
from assistant.search.generations import index_location, open_current
from assistant.serve.server import create_app, server_config

pytestmark = pytest.mark.slow

ROUTES = [
    ("GET", "/api/health", {}),
    ("POST", "/api/ask", {"json": {"question": QUESTION}}),
    ("POST", "/api/ask/stream", {"json": {"question": QUESTION}}),
    ("GET", "/api/search", {"params": {"q": QUESTION}}),
    ("POST", "/v1/chat/completions", {"json": {"messages": [{"role": "user", "content": QUESTION}]}}),
    ("POST", "/v1/chat/completions", {"json": {"messages": [{"role": "user", "content": QUESTION}],
                                               "stream": True}}),
]


class Chroma:
    """`chroma run` on one loopback port, stopped and started at will, on a folder of choice."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen | None = None

    def heartbeat(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v2/heartbeat",
                                        timeout=1) as reply:
                return reply.status == 200
        except OSError:
            return False

    def start(self, folder: Path) -> None:
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"}
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [chroma_executable(), "run", "--path", str(folder), "--host", "127.0.0.1",
                 "--port", str(self.port)], stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not self.heartbeat():
            assert self.process.poll() is None, self.log.read_text(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "chroma did not start"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        assert not self.heartbeat()


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[Chroma]:
    server = Chroma(tmp_path / "chroma.log")
    server.start(tmp_path / "db")
    try:
        yield server
    finally:
        server.stop()


def replies(client: httpx.Client) -> list[httpx.Response]:
    out = []
    for method, path, options in ROUTES:
        reply = client.request(method, path, **options)
        reply.read()
        out.append(reply)
    return out


def wait_for(client: httpx.Client, status: int, seconds: float = 20) -> httpx.Response:
    """/api/health until it answers `status` (the retriever looks at the pointer every 2 s)."""
    deadline = time.monotonic() + seconds
    while (reply := client.get("/api/health")).status_code != status:
        assert time.monotonic() < deadline, (status, reply.status_code, reply.text)
        time.sleep(0.2)
    return reply


def test_a_chroma_outage_is_503_with_retry_after_and_answers_come_back(
        tmp_path: Path, chroma: Chroma, caplog: pytest.LogCaptureFixture) -> None:
    service = fake_service(tmp_path, chroma_mode="server", chroma_host="127.0.0.1",
                           chroma_port=chroma.port, collection_prefix="outage")
    config = partial(server_config, settings=service.settings)
    with LoopbackServer(create_app(service.settings, service, with_ui=False), config=config,
                        lifespan="on") as server, \
            httpx.Client(base_url=server.url, timeout=60) as client:
        server.wait_ready()
        before = replies(client)
        assert [r.status_code for r in before] == [200] * len(ROUTES), [r.text for r in before]

        chroma.stop()
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            during = replies(client)
        for (method, path, _), reply in zip(ROUTES, during):
            assert reply.status_code == 503, (method, path, reply.status_code, reply.text)
            assert reply.headers["retry-after"].isdigit(), path
            error = reply.json()["error"]
            assert error["status"] == 503 and f"127.0.0.1:{chroma.port}" in error["message"], error
            assert "cannot be reached" in error["message"]
        ours = [r for r in caplog.records if r.name.startswith("assistant")]
        assert len(ours) >= len(ROUTES), [r.getMessage() for r in ours]
        for record in ours:
            assert record.exc_info is None and "\n" not in record.getMessage(), record.getMessage()
            assert record.levelno == logging.WARNING and "unhandled" not in record.getMessage()

        chroma.start(tmp_path / "db")  # back, on the same folder: no restart of the assistant
        wait_for(client, 200)
        after = replies(client)
        assert [r.status_code for r in after] == [200] * len(ROUTES), [r.text for r in after]
        assert after[1].json() == before[1].json()

        chroma.stop()
        chroma.start(tmp_path / "empty")  # back, but on an empty folder: nothing is indexed
        message = wait_for(client, 503).json()["error"]["message"]
        for _ in range(20):  # a first look may find the collection gone before the pointer
            if "assistant ingest" in message:
                break
            time.sleep(0.2)
            message = client.get("/api/health").json()["error"]["message"]
        assert "assistant ingest" in message, message
        ask = client.post("/api/ask", json={"question": QUESTION})
        assert ask.status_code == 503 and "assistant ingest" in ask.json()["error"]["message"]

        fake_service(tmp_path, chroma_mode="server", chroma_host="127.0.0.1",
                     chroma_port=chroma.port, collection_prefix="outage")  # `assistant ingest`
        wait_for(client, 200)
        assert client.post("/api/ask", json={"question": QUESTION}).json() == before[1].json()


def test_chroma_gone_during_a_rebuild_is_one_error_and_the_old_index_stays(
        tmp_path: Path, chroma: Chroma) -> None:
    """Chroma stops while `ingest --rebuild` embeds: the product's one-line error (the CLI
    prints it as `error: ...`), not a connection error from inside chromadb; back, the old
    generation is still the live one, whole."""
    overrides = {"chroma_mode": "server", "chroma_host": "127.0.0.1", "chroma_port": chroma.port,
                 "collection_prefix": "rebuild"}
    service = fake_service(tmp_path, **overrides)
    live = service.pipeline.location.current()

    class StopsChroma(HashingEmbedder):
        def embed_passages(self, texts):
            chroma.stop()
            return super().embed_passages(texts)

    pipeline = Pipeline(service.settings, embedder=StopsChroma(), index_dir=service.settings.index_dir)
    with pytest.raises(StoreUnavailableError) as caught:
        pipeline.ingest(SEED_CORPUS, rebuild=True, show_progress=False)
    assert str(caught.value) == f"The Chroma server at 127.0.0.1:{chroma.port} cannot be reached."
    chroma.start(tmp_path / "db")
    store, manifest, generation = open_current(index_location(service.settings, service.settings.index_dir))
    assert (generation, manifest) == live and store.count() == manifest["passages"]
