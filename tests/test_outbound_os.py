"""No outbound connection as the operating system sees it, native code included.

test_privacy's recorder is a Python audit hook: it cannot see a connection made by native
code (chromadb's Rust core, onnxruntime, tokenizers, a C library, a child process). Here
`assistant ingest` and `assistant serve` run under strace, which logs the socket calls of
each process and its children, and every AF_INET/AF_INET6 address in those calls must be
loopback and not the DNS port. The Python recorder is left out: it would refuse a Python
connection before the kernel, and so before strace, sees it.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import SEED_CORPUS
from live_server import GradioChat, Recorder, ServerProcess, run_cli

from assistant.config import Settings

STRACE = "/usr/bin/strace"
# sendmmsg: glibc's resolver sends its A and AAAA queries in one. accept/accept4: the asks
# arriving, proof that the trace saw the server's traffic.
TRACED_CALLS = "connect,sendto,sendmsg,sendmmsg,bind,accept,accept4"
QUESTION = "Which Dutch cities took part in NETCO?"
NETCO_DOCUMENT = "000_f7569151e95805bd.txt"  # the seed document that answers QUESTION
DNS_PORT = 53
# The asks' source address (loopback too): their connections, told from the health polls'.
ASKER = "127.0.0.2"


def strace(log: Path) -> list[str]:
    """The command prefix tracing a process and its children into `log`. -yy names each
    socket's endpoints (the server's accepts pass no address: the accepted socket shows the
    peer); --seccomp-bpf stops the process at the traced calls only, so the model runs at
    its usual speed."""
    return [STRACE, "-f", "-qq", "-yy", "--seccomp-bpf", "-e", f"trace={TRACED_CALLS}",
            "-o", str(log), "--"]


# --------------------------------------------------------------------------- the strace log

# `<pid> connect(...`, or `<pid> <... connect resumed>...` for the second half of a call.
CALL = re.compile(r"^\d+ +(?:<\.\.\. \w+ resumed>|\w+\()")
SOCKADDR = re.compile(  # a sockaddr argument or result
    r'sa_family=AF_INET6?, sin6?_port=htons\((\d+)\), (?:sin_addr=inet_addr\("([^"]+)"\)'
    r'|sin6_flowinfo=htonl\(\d+\), inet_pton\(AF_INET6, "([^"]+)")')
SOCKET_NAME = re.compile(r"<(?:TCP|UDP)(?:v6)?:\[(.*?)\]>")  # -yy: `3<TCP:[local->peer]>`
ENDPOINT = re.compile(r"\[([0-9a-fA-F:.]+)\]:(\d+)|(\d+\.\d+\.\d+\.\d+):(\d+)")
# An accept's result, a connection: `) = 7<TCP:[127.0.0.1:8000->127.0.0.2:41234]>`, peer captured.
ACCEPTED = re.compile(r"\) = \d+<TCP(?:v6)?:\[[^>]*->\[?([0-9a-fA-F:.]+)\]?:\d+\]>")


def endpoints(line: str) -> list[tuple[str, int]]:
    """Every internet address and port the line names."""
    found = [(v4 or v6, int(port)) for port, v4, v6 in SOCKADDR.findall(line)]
    for name in SOCKET_NAME.findall(line):
        found += [(v6 or v4, int(p6 or p4)) for v6, p6, v4, p4 in ENDPOINT.findall(name)]
    return found


def is_loopback(address: str) -> bool:
    """127.0.0.0/8, ::1 and their IPv4-mapped form ::ffff:127.x.y.z."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback


@dataclass(frozen=True)
class InetLine:
    """A line of the log naming internet addresses."""

    endpoints: list[tuple[str, int]]
    line: str

    @property
    def outbound(self) -> bool:
        # Port 53 even on loopback: a local resolver (127.0.0.53) would forward the query.
        return any(port == DNS_PORT or not is_loopback(address) for address, port in self.endpoints)


@dataclass(frozen=True)
class Trace:
    calls: int  # traced system calls in the log
    inet: list[InetLine]

    @property
    def outbound(self) -> list[InetLine]:
        return [c for c in self.inet if c.outbound]

    @property
    def loopback(self) -> list[InetLine]:
        return [c for c in self.inet if not c.outbound]

    @property
    def accepted_peers(self) -> list[str]:
        """The peer address of each connection the process accepted."""
        return [m[1] for c in self.inet if (m := ACCEPTED.search(c.line))]


def read_trace(log: Path) -> Trace:
    calls, inet = 0, []
    for line in log.read_text(errors="replace").splitlines():
        if call := CALL.match(line):
            calls += call[0].endswith("(")
            if found := endpoints(line):
                inet.append(InetLine(found, line))
    return Trace(calls, inet)


def summary(name: str, trace: Trace) -> str:
    return (f"{name}: {trace.calls} socket calls traced, {len(trace.inet)} naming an internet "
            f"address: {len(trace.loopback)} loopback ({len(trace.accepted_peers)} "
            f"accepted connections), {len(trace.outbound)} not")


# --------------------------------------------------------------------------- the product, traced


@dataclass
class TracedRun:
    ingest: Trace
    serve: Trace
    statuses: dict[str, int]
    requests: int  # HTTP requests of the asks, one connection each
    chat_answer: str


@pytest.fixture(scope="module")
def traced_run(tmp_path_factory: pytest.TempPathFactory) -> TracedRun:
    root = tmp_path_factory.mktemp("outbound-os")
    folders = {name: root / name for name in ("home", "tmp", "gradio", "work", "logs", "corpus")}
    for folder in folders.values():
        folder.mkdir()
    # One seed document: ingest stays short, and it answers the question.
    for path in SEED_CORPUS.glob(f"{NETCO_DOCUMENT}*"):
        shutil.copy(path, folders["corpus"])
    env = {**os.environ,
           "HOME": str(folders["home"]), "XDG_CACHE_HOME": str(folders["home"] / ".cache"),
           "TMPDIR": str(folders["tmp"]), "GRADIO_TEMP_DIR": str(folders["gradio"]),
           "ASSISTANT_CACHE_DIR": str(Settings().cache_dir.resolve()),
           "ASSISTANT_CORPUS_DIR": str(folders["corpus"]),
           "ASSISTANT_INDEX_DIR": str(root / "index"),
           "ASSISTANT_FEEDBACK_DIR": str(root / "feedback")}
    logs = folders["logs"]
    run_cli(["ingest"], env, folders["work"], logs, "ingest", tracer=strace(logs / "ingest.strace"))
    server = ServerProcess(env, folders["work"], logs, tracer=strace(logs / "serve.strace"))
    requests = []
    try:
        server.wait_ready()
        # No keep-alive: each request is a connection of its own, so an accept in the trace.
        transport = httpx.HTTPTransport(local_address=ASKER,
                                        limits=httpx.Limits(max_keepalive_connections=0))
        with httpx.Client(base_url=server.url, timeout=120, transport=transport,
                          event_hooks={"request": [requests.append]}) as client:
            body = {"question": QUESTION}
            statuses = {"ask": client.post("/api/ask", json=body).status_code,
                        "ask_stream": client.post("/api/ask/stream", json=body).status_code,
                        "search": client.get("/api/search", params={"q": QUESTION}).status_code}
            chat = GradioChat(client, GradioChat.fetch_config(client))
            chat_answer = str(chat.ask(QUESTION)[-1])
    finally:
        server.stop()
    return TracedRun(read_trace(logs / "ingest.strace"), read_trace(logs / "serve.strace"),
                     statuses, len(requests), chat_answer)


@pytest.mark.slow
@pytest.mark.model
def test_no_outbound_connection_from_any_code_of_ingest_and_serve(traced_run: TracedRun) -> None:
    assert traced_run.statuses == {"ask": 200, "ask_stream": 200, "search": 200}
    assert "Amsterdam" in traced_run.chat_answer, traced_run.chat_answer[:300]
    asks_seen = traced_run.serve.accepted_peers.count(ASKER)
    seen = (f"{summary('ingest', traced_run.ingest)}\n{summary('serve', traced_run.serve)}, "
            f"{asks_seen} from {ASKER} for the asks' {traced_run.requests} requests")
    print(seen)
    # Not vacuous: the trace saw each of the asks' connections arrive at the server.
    assert asks_seen == traced_run.requests, seen
    outbound = traced_run.ingest.outbound + traced_run.serve.outbound
    assert outbound == [], "\n".join(c.line for c in outbound)


# --------------------------------------------------------------------------- the check itself

# bash's /dev/udp connects a UDP socket with libc's connect(): no packet is sent, nothing
# leaves the machine, yet the kernel sees the connect.
OUTBOUND = [("10.255.255.1", 80), ("::ffff:10.255.255.1", 80), ("127.0.0.53", DNS_PORT)]
LOOPBACK = [("127.0.0.1", 9), ("::1", 9), ("::ffff:127.0.0.1", 9)]
NATIVE_CONNECTS = "; ".join(f"exec {fd}<>/dev/udp/{address}/{port}"
                            for fd, (address, port) in enumerate(OUTBOUND + LOOPBACK, start=3))
# A Python process whose child makes those connects: strace must follow it (-f).
PARENT = ("import subprocess; "
          f"subprocess.run(['/usr/bin/env', 'bash', '-c', {NATIVE_CONNECTS!r}], check=True)")


@pytest.mark.slow
def test_strace_catches_a_native_connect_the_python_recorder_misses(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "recorder")
    log = tmp_path / "probe.strace"
    done = subprocess.run([*strace(log), sys.executable, "-c", PARENT],
                          env={**os.environ, **recorder.env()}, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    trace = read_trace(log)
    print(summary("probe", trace))
    assert [c.endpoints for c in trace.outbound] == [[e] for e in OUTBOUND]
    assert [c.endpoints for c in trace.loopback] == [[e] for e in LOOPBACK]
    assert recorder.records("loaded") and recorder.records("outbound") == []
