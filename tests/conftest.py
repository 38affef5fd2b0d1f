"""Shared fixtures: the seed corpus, a real Chroma server, and one index fixture for both stores.

`index_env` is parametrized over the embedded store (a PersistentClient per generation folder
under tmp_path) and a real `chroma run` server on loopback, so the index tests run the same
code against both. Every test gets its own index folder and its own collection prefix.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
REPO_DIR = TESTS_DIR.parent
for _path in (str(REPO_DIR), str(TESTS_DIR)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from fakes import HashingEmbedder  # noqa: E402

from assistant.config import Settings  # noqa: E402
from assistant.ingest.documents import iter_corpus  # noqa: E402
from assistant.pipeline import Pipeline  # noqa: E402
from assistant.search.generations import index_location, open_current  # noqa: E402
from assistant.search.store import PassageStore  # noqa: E402
from assistant.types import Document  # noqa: E402

SEED_CORPUS = REPO_DIR / "corpus"
# A generation's collections on a server are named `<prefix>-<generation>[-<part>]`.
GENERATION = re.compile(r"(gen-\d{8}-\d{6}-\d{9})(?:-[a-z]+)?$")
SERVER_START_SECONDS = 30.0


# --------------------------------------------------------------------------- corpus


@pytest.fixture(scope="session")
def seed_corpus() -> Path:
    """The read-only seed corpus of the repository (never written by tests)."""
    assert SEED_CORPUS.is_dir(), f"seed corpus missing at {SEED_CORPUS}"
    return SEED_CORPUS


@pytest.fixture(scope="session")
def seed_documents(seed_corpus: Path) -> list[Document]:
    documents = [item for item in iter_corpus(seed_corpus) if isinstance(item, Document)]
    assert len(documents) == 5, [d.doc_id for d in documents]
    return documents


@pytest.fixture
def corpus_dir(tmp_path: Path, seed_corpus: Path) -> Path:
    """A private copy of the seed corpus that a test may change."""
    target = tmp_path / "corpus"
    shutil.copytree(seed_corpus, target)
    return target


# --------------------------------------------------------------------------- chroma server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chroma_executable() -> str:
    beside_python = Path(sys.executable).parent / "chroma"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("chroma")
    if found is None:
        pytest.fail("the `chroma` executable of the chromadb package is not installed")
    return found


@dataclass(frozen=True)
class ChromaServer:
    host: str
    port: int
    path: Path
    log: Path
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def heartbeat(self, timeout: float = 1.0) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=timeout) as reply:
                return reply.status == 200
        except OSError:
            return False

    def client(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        return chromadb.HttpClient(host=self.host, port=self.port,
                                   settings=ChromaSettings(anonymized_telemetry=False))


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """A real Chroma server from the chromadb package on a free loopback port."""
    folder = tmp_path_factory.mktemp("chroma-server")
    log = folder / "server.log"
    port = free_port()
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"}
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            [chroma_executable(), "run", "--path", str(folder / "db"),
             "--host", "127.0.0.1", "--port", str(port)],
            stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
        )
    server = ChromaServer("127.0.0.1", port, folder / "db", log, process)
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not server.heartbeat():
            if process.poll() is not None:
                pytest.fail(f"chroma server exited with {process.returncode}:\n"
                            + log.read_text(errors="replace")[-3000:])
            if time.monotonic() > deadline:
                pytest.fail(f"chroma server did not answer within {SERVER_START_SECONDS}s:\n"
                            + log.read_text(errors="replace")[-3000:])
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --------------------------------------------------------------------------- index fixture


class IndexEnv:
    """Builds Settings/Pipelines that all point at one test's index, in one store mode."""

    def __init__(self, mode: str, root: Path, server: ChromaServer | None) -> None:
        self.mode = mode
        self.root = root
        self.index_dir = root / "index"
        self.server = server
        # Unique per test, so tests sharing the server never see each other's collections.
        self.prefix = f"t{uuid.uuid4().hex[:12]}"

    def settings(self, **overrides) -> Settings:
        values: dict = {
            "corpus_dir": self.root / "corpus",
            "index_dir": self.index_dir,
            "cache_dir": self.root / "cache",
            "collection_prefix": self.prefix,
            "chunk_chars": 600,
            "chunk_overlap_sentences": 1,
            "embed_batch_size": 16,
            "chroma_mode": self.mode,
        }
        if self.server is not None:
            values.update(chroma_host=self.server.host, chroma_port=self.server.port)
        values.update(overrides)
        return Settings(**values)

    def pipeline(self, embedder: HashingEmbedder | None = None, **overrides) -> Pipeline:
        return Pipeline(self.settings(**overrides), embedder=embedder or HashingEmbedder(),
                        index_dir=self.index_dir)

    def live(self, **overrides) -> tuple[PassageStore, dict, str]:
        """The live generation as a fresh reader sees it: (store, manifest, generation)."""
        return open_current(index_location(self.settings(**overrides), self.index_dir))

    def generations(self) -> list[str]:
        """Every generation present in the store, published or left over."""
        if self.server is None:
            if not self.index_dir.is_dir():
                return []
            return sorted(p.name for p in self.index_dir.glob("gen-*") if p.is_dir())
        return sorted({found.group(1) for c in self.server.client().list_collections()
                       if (found := GENERATION.match(c.name[len(self.prefix) + 1:]))
                       and c.name.startswith(f"{self.prefix}-")})

    def cleanup(self) -> None:
        if self.server is None:
            return
        client = self.server.client()
        for collection in client.list_collections():
            if collection.name.startswith(f"{self.prefix}-"):
                client.delete_collection(collection.name)


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.slow)])
def index_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IndexEnv]:
    """The same index tests against the embedded store and against a real Chroma server."""
    server = request.getfixturevalue("chroma_server") if request.param == "server" else None
    env = IndexEnv(request.param, tmp_path, server)
    yield env
    env.cleanup()


@pytest.fixture
def server_env(tmp_path: Path, chroma_server: ChromaServer) -> Iterator[IndexEnv]:
    env = IndexEnv("server", tmp_path, chroma_server)
    yield env
    env.cleanup()


# --------------------------------------------------------------------------- warm processes

_FORKSERVER = textwrap.dedent("""
    import json, os, signal, sys, traceback
    sys.path[:0] = json.loads(sys.argv[1])
    import chromadb, fakes  # noqa: F401  (the slow imports, done once)
    import assistant.ingest.indexer, assistant.pipeline, assistant.search.store  # noqa: F401
    from assistant.ingest.chunking import sentence_spans
    sentence_spans("Klaar. Nu.", "nl")  # loads the sentence models

    def say(word, *rest):
        print(word, os.getpid(), *rest, flush=True)

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # finished or killed jobs are reaped at once
    print("ready", os.getpid(), flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            code = 0
            try:
                exec(compile(job["code"], job["name"], "exec"),
                     {"__name__": "__job__", "ARGS": job["args"], "say": say})
            except BaseException:
                traceback.print_exc()
                code = 1
            say("exit", code)
            sys.stderr.flush()
            os._exit(code)
        print("started", pid, flush=True)
""")


class ForkServer:
    """A warm Python process (own hash seed) that forks one real child process per job.

    Jobs are Python source run in the child with `ARGS` and `say(word, *rest)`, which prints
    `word <pid> rest...` on one line. A child starts in milliseconds, so a test can start and
    `kill -9` several real ingest processes without paying the imports (seconds) each time.
    """

    def __init__(self, folder: Path) -> None:
        self.log = folder / "forkserver.log"
        self.hash_seed = "4242" if os.environ.get("PYTHONHASHSEED") != "4242" else "17"
        script = folder / "forkserver.py"
        script.write_text(_FORKSERVER, encoding="utf-8")
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(script), json.dumps([str(REPO_DIR), str(TESTS_DIR)])],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                env={**os.environ, "PYTHONHASHSEED": self.hash_seed},
            )
        self._control: queue.Queue[list[str]] = queue.Queue()
        self._lines: dict[int, list[list[str]]] = {}
        self._changed = threading.Condition()
        self.jobs: list[int] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.pid = 0  # known once the imports are done: see ready()

    def ready(self) -> ForkServer:
        if not self.pid:
            self.pid = int(self._next("ready", 120)[1])
        return self

    def _read(self) -> None:
        for raw in self.process.stdout:
            line = raw.strip().split(maxsplit=2)
            if line and line[0] in ("ready", "started"):
                self._control.put(line)
            elif len(line) >= 2 and line[1].isdigit():
                with self._changed:
                    self._lines.setdefault(int(line[1]), []).append(line)
                    self._changed.notify_all()
        self._control.put(["eof"])

    def _next(self, word: str, timeout: float) -> list[str]:
        try:
            line = self._control.get(timeout=timeout)
        except queue.Empty:
            line = ["timeout"]
        if line[0] != word:
            pytest.fail(f"fork server: expected {word!r}, got {line}\n{self.log_tail()}")
        return line

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def start(self, code: str, name: str = "<job>", **args) -> int:
        """Fork a child running `code`; returns its pid."""
        self.ready()
        self.process.stdin.write(json.dumps({"code": code, "name": name, "args": args}) + "\n")
        self.process.stdin.flush()
        pid = int(self._next("started", 120)[1])  # a loaded machine forks slowly
        self.jobs.append(pid)
        return pid

    def said(self, pid: int, word: str) -> list[str]:
        """The rest of each line `word <pid> rest` the child printed so far."""
        with self._changed:
            return [line[2] if len(line) > 2 else "" for line in self._lines.get(pid, [])
                    if line[0] == word]

    def expect(self, pid: int, word: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [line for line in self._lines.get(pid, []) if line[0] in (word, "exit")]
                if found and found[0][0] == word:
                    return found[0][2] if len(found[0]) > 2 else ""
                if found or time.monotonic() > deadline:
                    pytest.fail(f"job {pid}: no {word!r} ({found})\n{self.log_tail()}")
                self._changed.wait(timeout=0.05)

    def wait(self, pid: int, timeout: float = 120) -> int:
        """The exit code the child reported; fails with the log if it crashed."""
        return int(self.expect(pid, "exit", timeout))

    @staticmethod
    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill(self, pid: int) -> None:
        """SIGKILL one job and wait until it is gone (the fork server reaps it)."""
        if self.alive(pid):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while self.alive(pid):
            assert time.monotonic() < deadline, f"job {pid} survived SIGKILL"
            time.sleep(0.01)

    def close(self) -> None:
        for pid in self.jobs:
            if self.alive(pid):
                os.kill(pid, signal.SIGKILL)
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
            except OSError:
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


_EARLY: dict[str, ForkServer] = {}


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the fork server's imports now, beside the first tests, if a test will use it."""
    if any("forkserver" in getattr(item, "fixturenames", ()) for item in session.items):
        folder = session.config._tmp_path_factory.mktemp("forkserver")  # noqa: SLF001
        _EARLY["forkserver"] = ForkServer(folder)


def pytest_sessionfinish(session: pytest.Session) -> None:
    early = _EARLY.pop("forkserver", None)
    if early is not None:
        early.close()


@pytest.fixture(scope="session")
def forkserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForkServer]:
    server = _EARLY.get("forkserver") or ForkServer(tmp_path_factory.mktemp("forkserver"))
    try:
        yield server.ready()
    finally:
        server.close()


# --------------------------------------------------------------------------- the real model's index


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, seed_corpus: Path) -> Path:
    """The seed corpus indexed once with the configured (real) encoder, for model tests
    that only read it."""
    index_dir = tmp_path_factory.mktemp("seed-index")
    Pipeline(Settings(), index_dir=index_dir).ingest(seed_corpus, show_progress=False)
    return index_dir


@pytest.fixture(autouse=True)
def _pytest_log_handlers_unguarded(request: pytest.FixtureRequest) -> Iterator[None]:
    """A server started in this process puts its log guard (serve/log_guard.py) on every root
    handler it finds, pytest's capture handlers among them; its per-kind rate limit would then
    hide a later test's warnings from `caplog`. Each test starts with them unguarded."""
    yield
    from assistant.serve import log_guard

    plugin = request.config.pluginmanager.get_plugin("logging-plugin")
    for handler in (getattr(plugin, "caplog_handler", None), getattr(plugin, "report_handler", None)):
        if handler is not None:
            handler.removeFilter(log_guard._FILTER)  # noqa: SLF001
