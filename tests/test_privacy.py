"""Privacy by default, as the product runs: no question on disk or in a log, no outbound traffic.

One module-scoped run does what a user and an operator do: `assistant ingest`, then
`assistant serve` on loopback, then a question carrying a fresh marker word through every
route a question can take (`/api/ask`, `/api/ask/stream`, `/api/search?q=`,
`/v1/chat/completions` plain and streamed, rejected requests, feedback, and the Gradio chat
over its HTTP queue, with a vote and a deep-link request), then a graceful stop. Both
processes run with the recorder of `live_server` (outbound attempts refused and recorded,
every path opened for writing recorded) and with HOME, TMPDIR and GRADIO_TEMP_DIR inside the
run's folder. The tests then grep every file in that folder and every file recorded as
written elsewhere, names and contents, for the marker.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from conftest import SEED_CORPUS
from live_server import GradioChat, Recorder, ServerProcess, run_cli

from assistant.answer.catalogue import PRIVACY
from assistant.config import Settings
from assistant.serve.privacy_page import privacy_html

# A made-up word found in no document. Fixed, not random: some random words tip the question
# into a refusal, and the run folder is new for every run anyway.
MARKER = "Zqkxwvyrtp"
ANSWERED = f"Which Dutch cities took part in NETCO? Asked by {MARKER}"
OFF_TOPIC = f"Wat is de hoofdstad van Australië? {MARKER}"


# --------------------------------------------------------------------------- the marker scan


def encodings(marker: str) -> list[bytes]:
    """The marker as a file may hold it (compared case-insensitively): UTF-8 (also JSON and
    URL-encoded text, the marker being ASCII letters and digits) and UTF-16."""
    return [marker.lower().encode(c) for c in ("utf-8", "utf-16-le", "utf-16-be")]


def marker_hits(paths: list[Path], marker: str) -> list[str]:
    needles = encodings(marker)
    hits = []
    for path in paths:
        if marker.lower() in str(path).lower():
            hits.append(f"{path} (name)")
        elif any(n in path.read_bytes().lower() for n in needles):
            hits.append(str(path))
    return hits


def test_marker_scan_finds_every_encoding(tmp_path: Path) -> None:
    marker = "zqABC123def"
    planted = {
        "plain.log": f"GET /api/search?q=Which+cities%3F+{marker} 200".encode(),
        "upper.json": json.dumps({"q": f"é {marker.upper()}"}).encode(),
        "utf16.db": f"x{marker}".encode("utf-16-le"),
        "clean.txt": b"zqABC123de f",
    }
    for name, content in planted.items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / f"q-{marker}").write_bytes(b"")
    found = marker_hits(sorted(tmp_path.iterdir()), marker)
    assert sorted(Path(h.split(" ")[0]).name for h in found) == sorted(
        ["plain.log", "upper.json", "utf16.db", f"q-{marker}"])


# --------------------------------------------------------------------------- the run


@dataclass
class Run:
    root: Path
    logs: Path
    recorder: Recorder
    statuses: dict[str, int] = field(default_factory=dict)
    replies: dict[str, object] = field(default_factory=dict)

    def written_files(self) -> list[Path]:
        """Every file in the run's folder, and every file the processes opened for writing
        elsewhere (the model cache, /tmp if a library ignored TMPDIR) that still exists."""
        inside = {p for p in self.root.rglob("*") if p.is_file() and self.logs not in p.parents}
        elsewhere = {Path(r["path"]) for r in self.recorder.records("write")}
        return sorted(inside | {p for p in elsewhere if p.is_file() and self.root not in p.parents})


def ask_everywhere(client: httpx.Client, run: Run) -> None:
    """The marker question through every route a question can take."""
    def keep(name: str, reply: httpx.Response) -> httpx.Response:
        run.statuses[name] = reply.status_code
        return reply

    asked = keep("ask", client.post("/api/ask", json={"question": ANSWERED})).json()
    run.replies["ask"] = asked
    keep("ask_off_topic", client.post("/api/ask", json={"question": OFF_TOPIC}))
    history = [{"role": "user", "content": ANSWERED}, {"role": "assistant", "content": asked["answer"]}]
    stream = keep("ask_stream", client.post("/api/ask/stream",
                                            json={"question": OFF_TOPIC, "history": history}))
    run.replies["ask_stream"] = stream.text
    run.replies["search"] = keep("search", client.get("/api/search", params={"q": ANSWERED})).json()
    keep("chat_completions", client.post("/v1/chat/completions", json={
        "messages": [{"role": "user", "content": ANSWERED}]}))
    keep("chat_completions_stream", client.post("/v1/chat/completions", json={
        "messages": [*history, {"role": "user", "content": OFF_TOPIC}], "stream": True}))
    passage_ids = [c["passage_id"] for c in asked["citations"]]
    keep("feedback", client.post("/api/feedback", json={"vote": "up", "passage_ids": passage_ids}))
    # Rejected requests carry the question too: error paths must not log it either.
    keep("too_long", client.post("/api/ask", json={"question": f"{ANSWERED} " * 40}))
    keep("bad_lang", client.post("/api/ask", json={"question": ANSWERED, "lang": MARKER}))
    keep("bad_k", client.get("/api/search", params={"q": ANSWERED, "k": 0}))

    chat = GradioChat(client, GradioChat.fetch_config(client))
    run.replies["chat"] = chat.ask(ANSWERED)
    chat.vote()
    chat.ask(OFF_TOPIC)  # a follow-up: the session's history goes back to the server
    # Gradio's deep-link endpoint would save the session's conversation to its temp folder.
    keep("deep_link", client.get("/gradio_api/deep_link", params={"session_hash": chat.session_hash}))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("privacy")
    folders = {name: root / name for name in ("home", "tmp", "gradio", "work", "logs")}
    for folder in folders.values():
        folder.mkdir()
    recorder = Recorder(root / "recorder")
    run = Run(root, folders["logs"], recorder)
    env = {**os.environ, **recorder.env(),
           "HOME": str(folders["home"]), "XDG_CACHE_HOME": str(folders["home"] / ".cache"),
           "TMPDIR": str(folders["tmp"]), "GRADIO_TEMP_DIR": str(folders["gradio"]),
           # The prepared model is only read; a write into its folder would be recorded.
           "ASSISTANT_CACHE_DIR": str(Settings().cache_dir.resolve()),
           "ASSISTANT_CORPUS_DIR": str(SEED_CORPUS), "ASSISTANT_INDEX_DIR": str(root / "index"),
           "ASSISTANT_FEEDBACK_DIR": str(root / "feedback")}
    run_cli(["ingest"], env, folders["work"], run.logs, "ingest")
    server = ServerProcess(env, folders["work"], run.logs)
    try:
        server.wait_ready()
        with httpx.Client(base_url=server.url, timeout=120) as client:
            ask_everywhere(client, run)
    finally:
        server.stop()
    return run


@pytest.mark.slow
@pytest.mark.model
def test_every_route_took_the_marker_question(run: Run) -> None:
    assert run.statuses == {
        "ask": 200, "ask_off_topic": 200, "ask_stream": 200, "search": 200,
        "chat_completions": 200, "chat_completions_stream": 200, "feedback": 201,
        "too_long": 413, "bad_lang": 422, "bad_k": 422,
        "deep_link": run.statuses["deep_link"],  # its answer is not the point: the files are
    }
    assert not run.replies["ask"]["refused"] and run.replies["ask"]["citations"]
    assert "event: done" in run.replies["ask_stream"]
    assert MARKER in run.replies["search"]["question"]  # the marker reached the server
    chat_answer = json.dumps(run.replies["chat"][-1], ensure_ascii=False)
    assert "Amsterdam" in chat_answer, chat_answer[:300]


@pytest.mark.slow
@pytest.mark.model
def test_no_file_written_by_ingest_or_the_server_holds_the_question(run: Run) -> None:
    files = run.written_files()
    names = {p.name for p in files}
    # The scan covers what matters: the index's store, the feedback log, the recorder's log.
    assert {"chroma.sqlite3", "feedback.jsonl", "CURRENT"} <= names, sorted(names)
    feedback = (run.root / "feedback" / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(feedback) == 2  # the API's vote and the chat's
    assert marker_hits(files, MARKER) == []


@pytest.mark.slow
@pytest.mark.model
def test_no_log_holds_the_question(run: Run) -> None:
    logs = sorted(run.logs.iterdir())
    assert [p.name for p in logs] == ["ingest.err", "ingest.out", "serve.err", "serve.out"]
    assert "POST /api/ask" in (run.logs / "serve.out").read_text(errors="replace")  # the access log
    assert marker_hits(logs, MARKER) == []


@pytest.mark.slow
@pytest.mark.model
def test_no_outbound_connection_during_ingest_serve_and_asks(run: Run) -> None:
    commands = [r["argv"][1:2] for r in run.recorder.records("loaded")]
    assert ["ingest"] in commands and ["serve"] in commands, commands  # the recorder was there
    assert run.recorder.records("outbound") == []


# --------------------------------------------------------------------------- the recorder itself

PROBE = textwrap.dedent("""
    import socket
    listener = socket.create_server(("127.0.0.1", 0))
    socket.create_connection(listener.getsockname(), timeout=5).close()  # loopback: allowed
    for attempt in (lambda: socket.socket().connect(("192.0.2.1", 80)),
                    lambda: socket.getaddrinfo("example.org", 443),
                    lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("192.0.2.1", 53))):
        try:
            attempt()
            print("allowed")
        except OSError as error:
            print("refused", type(error).__name__)
    open("written.txt", "w").close()
""")


@pytest.mark.slow
def test_recorder_refuses_and_records_non_loopback_traffic(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "recorder")
    done = subprocess.run([sys.executable, "-c", PROBE], env={**os.environ, **recorder.env()},
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == ["refused PermissionError", "refused gaierror",
                                           "refused PermissionError"]
    outbound = recorder.records("outbound")
    assert [r["event"] for r in outbound] == ["socket.connect", "socket.getaddrinfo", "socket.sendto"]
    assert all("127.0.0.1" not in str(r["address"]) for r in outbound)
    assert str(tmp_path / "written.txt") in {r["path"] for r in recorder.records("write")}


# --------------------------------------------------------------------------- the privacy page


def test_privacy_names_the_operators_controller_contact_and_authority() -> None:
    settings = Settings(privacy_controller="Stad Gent, Botermarkt 1", privacy_contact="dpo@gent.be",
                        privacy_authority="Gegevensbeschermingsautoriteit <www.gba.be>")
    page = privacy_html(settings, "nl")
    assert "Stad Gent, Botermarkt 1" in page and "dpo@gent.be" in page
    assert "Gegevensbeschermingsautoriteit &lt;www.gba.be&gt;" in page  # escaped, never markup
    assert PRIVACY["controller_unset"]["nl"] not in page
    assert PRIVACY["rights"]["nl"] in page
