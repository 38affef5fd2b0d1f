"""The product as it is run, for tests and benchmarks: `assistant` subprocesses on loopback,
an outbound-traffic recorder injected into them, and an HTTP client for the Gradio chat.

The recorder is a `sitecustomize` module put first on PYTHONPATH: an audit hook
(`sys.addaudithook`) in every Python process started with it refuses and records each
non-loopback `socket.connect`, `socket.sendto` and `socket.getaddrinfo`, and records every
path opened for writing or renamed into place, as JSON lines in one file.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO_DIR = Path(__file__).resolve().parent.parent
ASSISTANT = Path(sys.executable).parent / "assistant"

SITECUSTOMIZE = r'''
import ipaddress, json, os, socket, sys

_fd = os.open(os.environ["OUTBOUND_LOG"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
_written = set()
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _record(kind, **values):
    # os.write raises no audit event, so recording never re-enters the hook.
    line = json.dumps({"pid": os.getpid(), "kind": kind, **values}, default=repr) + "\n"
    os.write(_fd, line.encode())


def _local(host):
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if host is None or host in ("", "localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name other than localhost


def _wrote(path):
    if isinstance(path, int):
        return
    path = os.path.abspath(os.fsdecode(path))
    if path not in _written:
        _written.add(path)
        _record("write", path=path)


def _hook(event, args):
    if event in ("socket.connect", "socket.sendto"):
        sock, address = args
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
            _record("outbound", event=event, address=address)
            raise PermissionError(f"outbound connection refused by the test recorder: {address!r}")
    elif event == "socket.getaddrinfo" and not _local(args[0]):
        _record("outbound", event=event, address=args[:2])
        raise socket.gaierror(socket.EAI_NONAME, "name resolution refused by the test recorder")
    elif event == "open":
        path, mode, flags = args
        if (mode and any(c in mode for c in "wax+")) or (flags or 0) & _WRITE_FLAGS:
            _wrote(path)
    elif event in ("os.rename", "shutil.copyfile", "shutil.move"):
        _wrote(args[1])


_record("loaded", argv=sys.argv)
sys.addaudithook(_hook)
'''


@dataclass
class Recorder:
    """The recorder's folder (put on PYTHONPATH) and the JSON lines its processes wrote."""

    folder: Path
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
        self.log = self.folder.parent / f"{self.folder.name}.jsonl"

    def env(self) -> dict[str, str]:
        path = os.pathsep.join(p for p in (str(self.folder), os.environ.get("PYTHONPATH")) if p)
        return {"PYTHONPATH": path, "OUTBOUND_LOG": str(self.log)}

    def records(self, kind: str) -> list[dict]:
        if not self.log.exists():
            return []
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return [r for r in map(json.loads, lines) if r["kind"] == kind]


def rss_peak_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(args: list[str], env: dict[str, str], cwd: Path, logs: Path, name: str,
            timeout: float = 900, tracer: Sequence[str] = ()) -> subprocess.CompletedProcess:
    """`assistant <args>` to completion, stdout and stderr kept in `logs/<name>.out|.err`;
    `tracer` is a command to run it under (strace)."""
    with open(logs / f"{name}.out", "wb") as out, open(logs / f"{name}.err", "wb") as err:
        done = subprocess.run([*tracer, str(ASSISTANT), *args], env=env, cwd=cwd, stdout=out,
                              stderr=err, stdin=subprocess.DEVNULL, timeout=timeout)
    if done.returncode:
        raise RuntimeError(f"assistant {' '.join(args)} exited with {done.returncode}:\n"
                           + (logs / f"{name}.err").read_text(errors="replace")[-3000:])
    return done


class ServerProcess:
    """`assistant serve` on a free loopback port; stdout and stderr in `logs/serve.out|.err`.
    `tracer` is a command to run it under (strace); `pid` is then the tracer's."""

    def __init__(self, env: dict[str, str], cwd: Path, logs: Path,
                 tracer: Sequence[str] = ()) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logs = logs
        self._out = open(logs / "serve.out", "wb")
        self._err = open(logs / "serve.err", "wb")
        self._traced = bool(tracer)  # then in a process group of its own: see _signal
        self.process = subprocess.Popen(
            [*tracer, str(ASSISTANT), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env, cwd=cwd, stdout=self._out, stderr=self._err, stdin=subprocess.DEVNULL,
            start_new_session=self._traced)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stderr_tail(self) -> str:
        return (self.logs / "serve.err").read_text(errors="replace")[-3000:]

    def wait_ready(self, timeout: float = 300) -> dict:
        deadline, last = time.monotonic() + timeout, "no answer"
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.stderr_tail()}")
            try:
                reply = httpx.get(f"{self.url}/api/health", timeout=10)
                if reply.status_code == 200:
                    return reply.json()
                last = f"{reply.status_code} {reply.text[:300]}"
            except httpx.TransportError as error:
                last = repr(error)
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready within {timeout:.0f} s (health: {last}):\n"
                                   f"{self.stderr_tail()}")
            time.sleep(0.3)

    def stop(self) -> int:
        """SIGTERM (uvicorn's graceful shutdown flushes its logs), SIGKILL after 20 s."""
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait(timeout=10)
        self._out.close()
        self._err.close()
        return self.process.returncode

    def _signal(self, signum: int) -> None:
        """To the server itself: strace running a command ignores SIGTERM (its -I3 default),
        so a traced server is signalled through the tracer's process group."""
        if self._traced:
            os.killpg(self.process.pid, signum)
        else:
            self.process.send_signal(signum)


# --------------------------------------------------------------------------- the Gradio chat over HTTP


class ChatError(RuntimeError):
    pass


class GradioChat:
    """One browser session of the chat, spoken as its frontend does: POST
    `/gradio_api/queue/join` with the event's `fn_index`, then read the session's
    `/gradio_api/queue/data` event stream until `process_completed`. The events are found in
    the page's config by the components' elem_ids: `question` (submit), `chat` (the
    conversation) and `feedback-up` (the thumbs-up button, click)."""

    def __init__(self, client: httpx.Client, config: dict) -> None:
        self.client = client
        self.session_hash = uuid.uuid4().hex[:11]
        ids = {c.get("props", {}).get("elem_id"): c["id"] for c in config["components"]}
        self.question_id, self.chat_id = ids["question"], ids["chat"]
        self.submit = self._dependency(config, self.question_id, "submit")
        self.like = self._dependency(config, ids["feedback-up"], "click")
        self.history: list = []

    @staticmethod
    def fetch_config(client: httpx.Client) -> dict:
        reply = client.get("/config")
        reply.raise_for_status()
        return reply.json()

    @staticmethod
    def _dependency(config: dict, component: int, event: str) -> dict:
        for index, dependency in enumerate(config["dependencies"]):
            if [component, event] in [list(t) for t in dependency["targets"]]:
                return {"id": dependency.get("id", index), "trigger": component, **dependency}
        raise ChatError(f"no {event} event on component {component}")

    def _run(self, dependency: dict, values: dict[int, object]) -> list:
        """Run one event; inputs not in `values` (gr.State: the server holds them) go as None."""
        join = self.client.post("/gradio_api/queue/join", json={
            "data": [values.get(i) for i in dependency["inputs"]], "event_data": None,
            "fn_index": dependency["id"], "trigger_id": dependency["trigger"],
            "session_hash": self.session_hash})
        if join.status_code != 200:
            raise ChatError(f"queue/join {join.status_code}: {join.text[:300]}")
        with self.client.stream("GET", "/gradio_api/queue/data",
                                params={"session_hash": self.session_hash}) as events:
            if events.status_code != 200:
                raise ChatError(f"queue/data {events.status_code}")
            for message in _sse_data(events.iter_lines()):
                if message.get("msg") == "process_completed":
                    if not message.get("success"):
                        raise ChatError(f"the chat failed: {str(message.get('output'))[:300]}")
                    return message["output"]["data"]
                if message.get("msg") == "unexpected_error":
                    raise ChatError(f"the chat failed: {message.get('message')}")
        raise ChatError("queue/data ended before process_completed")

    def ask(self, question: str) -> list:
        """The chat's messages after the answer (the session keeps them for follow-ups)."""
        outputs = self._run(self.submit, {self.question_id: question, self.chat_id: self.history})
        chat = outputs[self.submit["outputs"].index(self.chat_id)]
        self.history = chat["value"] if isinstance(chat, dict) else chat
        return self.history

    def vote(self) -> None:
        """Thumbs up on the latest answer (the feedback the chat stores)."""
        self._run(self.like, {})


def _sse_data(lines: Iterator[str]) -> Iterator[dict]:
    for line in lines:
        if line.startswith("data:"):
            yield json.loads(line[5:].strip())
