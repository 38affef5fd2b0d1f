"""One guard for every route, over real HTTP on loopback.

The product's app (`create_app`, the Gradio chat mounted at `/`) runs under uvicorn in a
thread with the product's own `server_config`; the hashing embedder and a fixed refusal
decision stand in for the model, so what is under test is the edge: 150+ hostile requests
on every kind of route (0 5xx, 0 tracebacks, the error shape, the security headers), the
host and origin checks and the rate limit on Gradio's routes as on the API, forwarded headers,
slow clients and the connection cap, the access log, and the chat's concurrency.
"""

from __future__ import annotations

import json
import logging
import re
import select
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx
import pytest
from conftest import SEED_CORPUS
from fakes import FixedPolicy, HashingEmbedder
from loopback import LoopbackServer

from assistant.serve.api_guard import Guard
from assistant.config import Settings
from assistant.pipeline import Pipeline
from assistant.serve.server import create_app, server_config
from assistant.service import Assistant

pytestmark = pytest.mark.slow

PORTAL = "http://portal.example"
EVIL = "https://evil.example"
TRACEBACK = re.compile(r"Traceback \(most recent|File \"[^\"]*\", line \d+|\w+Error: |\.py:\d+")
# Gradio's page answers `Access-Control-Allow-Origin` for any origin when its host is not
# localhost: requests are sent for this host too (configured as the servers' public host).
PUBLIC_HOST = "assistant.example"
# A DNS-rebinding page: its name now resolves to the server, and is its Host and Origin.
REBOUND = "rebound.evil.example"
SLOW_SECONDS = 2.0


# --------------------------------------------------------------------------- servers


class SlowAssistant(Assistant):
    """Answers a question holding "slow" only after SLOW_SECONDS (an answer that waits, as
    on an LLM endpoint); counts the questions it was asked."""

    asked: list[str]

    def stream(self, question, *args, **kwargs):
        self.asked.append(question)
        if "slow" in question:
            time.sleep(SLOW_SECONDS)
        yield from super().stream(question, *args, **kwargs)


def guarded_service(pipeline: Pipeline, tmp: Path, **overrides) -> SlowAssistant:
    values = {"allowed_origins": [PORTAL], "public_hosts": [PUBLIC_HOST], "rate_limit": "1000/minute",
              "search_rate_limit": "1000/minute", "feedback_rate_limit": "1000/minute",
              "feedback_dir": tmp / "feedback", **overrides}
    # FixedPolicy: the hashing embedder's cosines, answer everything
    service = SlowAssistant(Settings(**values), pipeline, policy=FixedPolicy())
    service.asked = []
    return service


class GuardedServer(LoopbackServer):
    """The product's app and uvicorn settings (`server_config`) on loopback."""

    def __init__(self, service: Assistant, app=None, **options) -> None:
        self.service = service
        self.app = app or create_app(service.settings, service)
        super().__init__(self.app, config=partial(server_config, settings=service.settings),
                         **{"timeout_graceful_shutdown": 3, **options})

    def client(self, **options) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **options)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    pipeline = Pipeline(Settings(), embedder=HashingEmbedder(),
                        index_dir=tmp_path_factory.mktemp("guard-index"))
    pipeline.ingest(SEED_CORPUS, show_progress=False)
    return pipeline


@pytest.fixture(scope="module")
def gradio_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Gradio's temp folder (uploads, deep links) for the apps of this module."""
    folder = tmp_path_factory.mktemp("gradio-tmp")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADIO_TEMP_DIR", str(folder))
        yield folder


@pytest.fixture(scope="module")
def live(pipeline: Pipeline, gradio_tmp: Path, tmp_path_factory) -> Iterator[GuardedServer]:
    service = guarded_service(pipeline, tmp_path_factory.mktemp("live"))
    with GuardedServer(service) as server:
        yield server


@pytest.fixture(scope="module")
def client(live: GuardedServer) -> Iterator[httpx.Client]:
    with live.client() as client:
        yield client


# --------------------------------------------------------------------------- the chat's protocol


@dataclass(frozen=True)
class ChatFns:
    ask: int
    ask_inputs: int
    vote: int
    vote_inputs: int


def chat_fns(server: GuardedServer) -> ChatFns:
    """The ids of the chat's events, found by the budget their concurrency_id names."""
    fns = server.app.state.chat.fns
    ask = next(i for i, fn in fns.items() if fn.concurrency_id == "answer")
    vote = next(i for i, fn in fns.items() if fn.concurrency_id == "feedback")
    return ChatFns(ask, len(fns[ask].inputs), vote, len(fns[vote].inputs))


def ask_body(fns: ChatFns, question: str, session: str = "guardtest01") -> dict:
    return {"data": [question] + [None] * (fns.ask_inputs - 1), "fn_index": fns.ask,
            "trigger_id": 1, "session_hash": session}


def vote_body(fns: ChatFns, session: str = "guardtest01") -> dict:
    return {"data": [None] * fns.vote_inputs, "fn_index": fns.vote, "trigger_id": 6,
            "session_hash": session, "event_data": {"index": 1, "value": "x", "liked": True}}


def chat_events(client: httpx.Client, session: str, count: int, timeout: float = 30) -> list[dict]:
    """The queue's messages for `session` until `count` events completed."""
    messages, done = [], 0
    with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session},
                       timeout=timeout) as reply:
        assert reply.status_code == 200
        for line in reply.iter_lines():
            if line.startswith("data: "):
                message = json.loads(line[6:])
                messages.append({**message, "at": time.monotonic()})
                done += message.get("msg") == "process_completed"
                if done == count or message.get("msg") == "close_stream":
                    break
    return messages


# --------------------------------------------------------------------------- assertions


def assert_error_shape(reply: httpx.Response, status: int | None = None) -> str:
    if status is not None:
        assert reply.status_code == status, (reply.status_code, reply.text[:300])
    assert reply.headers["content-type"].startswith("application/json"), reply.headers
    body = reply.json()
    assert set(body) == {"error"} and set(body["error"]) == {"status", "message"}, body
    assert body["error"]["status"] == reply.status_code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"].strip()
    return body["error"]["message"]


def assert_security_headers(headers) -> None:
    csp = headers["content-security-policy"]
    assert "'unsafe-eval'" not in csp
    script = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script and "*" not in script
    assert "frame-ancestors 'self'" in csp
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert "server" not in headers


def assert_sound(reply: httpx.Response, origin: str | None = None) -> None:
    """What every reply to a hostile request must be: no 5xx, no traceback, our error shape
    for errors, the security headers, and CORS only for the allowed portal."""
    assert reply.status_code < 500, (reply.request.method, reply.request.url, reply.text[:300])
    assert not TRACEBACK.search(reply.text), reply.text[:500]
    if reply.status_code >= 400 and reply.request.method != "HEAD":
        assert_error_shape(reply)
    assert_security_headers(reply.headers)
    allowed = reply.headers.get("access-control-allow-origin")
    assert allowed in (None, PORTAL) and (allowed is None or origin == PORTAL), allowed
    assert "access-control-allow-credentials" not in reply.headers


# --------------------------------------------------------------------------- 150+ hostile requests


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    expect: int | tuple[int, ...]
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.method} {self.path[:60]} {sorted(self.headers)}"


def _json(value) -> bytes:
    return json.dumps(value).encode()


# Gradio's own routes the chat never uses: none may reach Gradio.
GRADIO_INTERNAL = [
    ("GET", "/gradio_api/info"), ("GET", "/gradio_api/info/"), ("GET", "/gradio_api/openapi.json"),
    ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/redoc"),
    ("GET", "/monitoring"), ("GET", "/monitoring/summary"), ("GET", "/monitoring/abc/dashboard"),
    ("GET", "/gradio_api/deep_link?session_hash=abc"), ("GET", "/gradio_api/upload_progress?upload_id=x"),
    ("POST", "/gradio_api/upload"), ("POST", "/gradio_api/upload?upload_id=1"),
    ("GET", "/gradio_api/file=/etc/passwd"), ("GET", "/gradio_api/file=corpus/README.md"),
    ("HEAD", "/gradio_api/file=/etc/passwd"), ("GET", "/gradio_api/file/etc/passwd"),
    ("GET", "/file=/etc/passwd"), ("GET", "/gradio_api/proxy=https://x.hf.space/config"),
    ("GET", "/gradio_api/proxy=http://127.0.0.1:1/"), ("GET", "/proxy=https://x.hf.space/"),
    ("POST", "/gradio_api/call/0"), ("POST", "/gradio_api/call/answer"), ("POST", "/gradio_api/call/v2/0"),
    ("GET", "/gradio_api/call/0/abc"), ("GET", "/gradio_api/call/answer/abc"), ("POST", "/gradio_api/run/0"),
    ("POST", "/gradio_api/run/predict"), ("POST", "/gradio_api/api/0"), ("POST", "/gradio_api/api/answer"),
    ("POST", "/run/predict"), ("POST", "/api/predict"), ("POST", "/gradio_api/predict"),
    ("POST", "/gradio_api/stream/abc"), ("POST", "/gradio_api/stream/abc/close"),
    ("GET", "/gradio_api/stream/s/0/1/playlist.m3u8"), ("POST", "/gradio_api/reset"),
    ("POST", "/gradio_api/cancel"), ("GET", "/gradio_api/startup-events"), ("GET", "/gradio_api/user"),
    ("GET", "/gradio_api/login_check"), ("GET", "/gradio_api/token"), ("GET", "/gradio_api/app_id"),
    ("GET", "/gradio_api/dev/reload"), ("POST", "/login"), ("GET", "/logout"),
    ("GET", "/gradio_api/runs"), ("GET", "/gradio_api/run-history/records"),
    ("POST", "/gradio_api/run-history/connect"), ("POST", "/gradio_api/process_recording"),
    ("POST", "/gradio_api/vibe-edit"), ("GET", "/gradio_api/vibe-code"),
    ("POST", "/gradio_api/vibe-starter-queries"), ("POST", "/gradio_api/undo-vibe-edit"),
    ("GET", "/gradio_api/profiling/summary"), ("GET", "/gradio_api/mcp/sse"),
    ("GET", "/gradio_api/mcp/schema"), ("POST", "/gradio_api/mcp/messages/"),
    ("GET", "/gradio_api/custom_component/1/client/js/index.js"), ("POST", "/gradio_api/component_server"),
    ("GET", "/manifest.json"), ("GET", "/pwa_icon"), ("GET", "/pwa_icon/192"),
    ("GET", "/gradio_api/theme.css"), ("GET", "/gradio_api/queue/status"), ("GET", "/.env"),
    ("GET", "/index.html"), ("GET", "/nothing-here"), ("GET", "/gradio_api/"), ("GET", "/gradio_api"),
    ("GET", "/demo/x"), ("GET", "/widget.js/x"), ("GET", "/%2e%2e/%2e%2e/etc/passwd"),
    ("GET", "/static/../../../etc/passwd"),
    ("GET", "/heartbeat/x"), ("GET", "/gradio_api/heartbeat/a/b"), ("GET", "/gradio_api/heartbeat/" + "x" * 200),
    ("GET", "/" + "a" * 4000), ("GET", "/%00"), ("GET", "/caf%C3%A9"), ("GET", "/%ff%fe"),
]

# Paths the chat does use, asked for in hostile ways.
CHAT_ROUTES = [
    Case("GET", "/?page=x", 200), Case("GET", "/?page=../../etc", 200),
    Case("GET", "/?deep_link=abcdef", 200), Case("GET", "/?deep_link=../../x&page=y", 200),
    Case("GET", "/?__theme=dark&view=api", 200), Case("GET", "/?" + "x=1&" * 500, 200),
    Case("HEAD", "/", 200), Case("HEAD", "/?page=x", 200),
    Case("GET", "/config?deep_link=abc", 200), Case("GET", "/config?page=nope", 200),
    Case("POST", "/", 405, b"x"), Case("PUT", "/", 405, b""), Case("DELETE", "/config", 405),
    Case("PATCH", "/gradio_api/queue/join", 405, b"{}"), Case("GET", "/gradio_api/queue/join", 405),
    Case("OPTIONS", "/", 405), Case("TRACE", "/", 405), Case("FOO", "/", 405),
    Case("GET", "/assets/nothing.js", 404), Case("GET", "/assets/%2e%2e/%2e%2e/etc/passwd", (403, 404)),
    Case("GET", "/static/..%2f..%2fetc%2fpasswd", (403, 404)), Case("GET", "/svelte/../../x", (403, 404)),
    Case("GET", "/svelte/nothing.js", 404), Case("GET", "/assets/..%2f..%2f..%2fetc%2fpasswd", (403, 404)), Case("GET", "/static/nothing", 404),
    Case("GET", "/theme.css?v=%27%22%3E", 200), Case("GET", "/robots.txt", 200),
    Case("GET", "/favicon.ico", 200), Case("GET", "/gradio_api/queue/data", (200, 422)),
    Case("GET", "/gradio_api/queue/data?session_hash=", (200, 422)),
    Case("GET", "/gradio_api/queue/data?session_hash=%00%ff", 200),
    Case("POST", "/gradio_api/heartbeat/abc", 405, b""),
]


def queue_join_cases(fns: ChatFns) -> list[Case]:
    """Bodies the chat never sends: each is refused before Gradio sees it."""
    ask = ask_body(fns, "Wat is NETCO?")
    bodies = [
        b"", b"{", b"null", b"[]", b"[1, 2]", b'"x"', b"\xff\xfe", b'{"fn_index": 0}',
        _json({**ask, "fn_index": 999}), _json({**ask, "fn_index": -1}), _json({**ask, "fn_index": "0"}),
        _json({**ask, "fn_index": True}), _json({**ask, "fn_index": 1.5}), _json({**ask, "fn_index": None}),
        _json({k: v for k, v in ask.items() if k != "fn_index"}),
        _json({k: v for k, v in ask.items() if k != "session_hash"}),
        _json({**ask, "session_hash": None}), _json({**ask, "session_hash": 5}),
        _json({**ask, "session_hash": ""}), _json({**ask, "session_hash": "../x"}),
        _json({**ask, "session_hash": "x" * 65}), _json({**ask, "data": "Wat is NETCO?"}),
        _json({**ask, "data": None}), _json({**ask, "data": []}), _json({**ask, "data": ask["data"] * 2}),
        _json({**ask, "trigger_id": "x"}), _json({**ask, "batched": True}),
        _json({**ask, "oauth_token": "x"}), _json({**ask, "simple_format": True}),
        _json({**ask, "fn_index": fns.vote}),
    ]
    json_type = {"content-type": "application/json"}
    cases = [Case("POST", "/gradio_api/queue/join", 422, body, json_type) for body in bodies]
    huge = _json({**ask, "data": ["q", [{"role": "user", "content": "x" * 1000}] * 300]})
    cases += [
        Case("POST", "/gradio_api/queue/join", 413, huge, json_type),
        Case("POST", "/gradio_api/queue/join", (200, 422), _json(ask), {"content-type": "text/plain"}),
        Case("POST", "/gradio_api/queue/join?fn_index=0", 200, _json(ask), json_type),
        Case("POST", "/gradio_api/queue/join", 200, _json({**ask, "event_data": {"a": [1] * 100}}),
             json_type),
        Case("POST", "/gradio_api/queue/join", 200, _json(
            {**ask, "data": ["<script>alert(1)</script>", [{"role": "system", "content": 5}],
                             *["x"] * (fns.ask_inputs - 2)]}),
             json_type),
    ]
    return cases


def api_cases() -> list[Case]:
    json_type = {"content-type": "application/json"}
    return [
        Case("POST", "/api/ask", 422, b"{", json_type), Case("POST", "/api/ask", 422, b"[1, 2]", json_type),
        Case("POST", "/api/ask", 422, b'{"question": "\\ud800"}', json_type),
        Case("POST", "/api/ask", 422, _json({"question": ["a"]})),
        Case("POST", "/api/ask", 422, _json({"question": "a", "history": [{"role": "x"}]})),
        Case("POST", "/api/ask", 422, _json({"question": "q", "lang": "de"})),
        Case("POST", "/api/ask", 413, _json({"question": "x" * 40_000})),
        Case("POST", "/api/ask", 422, b"question=x", {"content-type": "application/x-www-form-urlencoded"}),
        Case("POST", "/api/ask/stream", 422, b"{", json_type),
        Case("POST", "/v1/chat/completions", 422, _json({"messages": [{"role": "user", "content": 5}]})),
        Case("POST", "/v1/chat/completions", 422, _json({"messages": "x"})),
        Case("POST", "/v1/chat/completions", 422, _json({"messages": [{"role": "user", "content": [{"type": 5}]}]})),
        Case("POST", "/v1/chat/completions", 422, _json({"messages": [{"role": "assistant", "content": "x"}]})),
        Case("GET", "/api/search", 422), Case("GET", "/api/search?q=%ff", (200, 422)),
        Case("GET", "/api/search?q=x&k=0", 422), Case("GET", "/api/search?q=x&k=999", 422),
        Case("GET", "/api/search?q=" + "x" * 3000, 413), Case("POST", "/api/feedback", 422, _json({"vote": "meh"})),
        Case("POST", "/api/feedback", 422, _json({"vote": "up", "passage_ids": ["my question?"]})),
        Case("GET", "/api/ask", 405), Case("PUT", "/api/ask", 405, b"{}"), Case("DELETE", "/api/feedback", 405),
        Case("GET", "/api/nothing", 404), Case("GET", "/v1/nothing", 404), Case("POST", "/api/../config", (200, 404, 405)),
        Case("GET", "/api/docs?x=<script>", 200), Case("GET", "/api/openapi.json", 200),
        Case("GET", "/demo?lang=<script>", 200), Case("GET", "/widget.js", 200),
        Case("OPTIONS", "/api/ask", (204, 405), None, {"access-control-request-method": "POST"}),
    ]


def origin_cases() -> list[Case]:
    """A foreign origin on every kind of route, with or without credentials or a public host."""
    paths = [("GET", "/"), ("GET", "/config"), ("GET", "/theme.css"), ("GET", "/assets/nothing.js"),
             ("GET", "/gradio_api/queue/data?session_hash=x"), ("POST", "/gradio_api/queue/join"),
             ("GET", "/api/health"), ("POST", "/api/ask"), ("GET", "/v1/models"), ("GET", "/demo")]
    cases = []
    for method, path in paths:
        for origin in (EVIL, "null", PORTAL + ".evil.example", "http://127.0.0.1.evil.example"):
            cases.append(Case(method, path, 403, b"{}" if method == "POST" else None,
                              {"origin": origin, "host": PUBLIC_HOST, "cookie": "a=b"}))
        cases.append(Case("OPTIONS", path, 403, None, {
            "origin": EVIL, "access-control-request-method": "POST",
            "access-control-request-headers": "content-type", "host": PUBLIC_HOST}))
    return cases


def hostile_cases(fns: ChatFns) -> list[Case]:
    internal = [Case(method, path, 404, b"{}" if method == "POST" else None)
                for method, path in GRADIO_INTERNAL]
    return [*internal, *CHAT_ROUTES, *queue_join_cases(fns), *api_cases(), *origin_cases()]


def test_over_150_hostile_requests_get_no_5xx_and_the_error_shape(live: GuardedServer,
                                                                client: httpx.Client) -> None:
    cases = hostile_cases(chat_fns(live))
    assert len(cases) >= 150, len(cases)
    failures = []
    for case in cases:
        reply = client.request(case.method, case.path, content=case.body, headers=case.headers)
        expected = case.expect if isinstance(case.expect, tuple) else (case.expect,)
        try:
            assert reply.status_code in expected, (reply.status_code, reply.text[:200])
            assert_sound(reply, case.headers.get("origin"))
        except AssertionError as error:
            failures.append(f"{case.id}: {error}")
    assert not failures, "\n".join(failures)


def raw_request(port: int, data: bytes, timeout: float = 10) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


MALFORMED = [
    b"GET\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: assistant.example\r\nno colon here\r\n\r\n",
    b"POST /api/ask HTTP/1.1\r\nHost: assistant.example\r\nContent-Length: abc\r\n\r\n",
    b"POST /api/ask HTTP/1.1\r\nHost: assistant.example\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
    b"GET / HTTP/1.1\r\nHost: assistant.example\r\nX-Nul: a\x00b\r\n\r\n",
    b"GET / HTTP/1.1\r\n\r\n",  # HTTP/1.1 without Host
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,  # a TLS hello
]


@pytest.mark.parametrize("data", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_http_is_a_400_in_the_error_shape(live: GuardedServer, data: bytes) -> None:
    head, _, body = raw_request(live.port, data).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), head[:200]
    assert json.loads(body)["error"]["status"] == 400
    assert b"content-security-policy" in head.lower()


@pytest.mark.parametrize("path", ["/api/ask", "/gradio_api/queue/join", "/v1/chat/completions"])
def test_a_declared_oversized_body_is_refused_unread(live: GuardedServer, path: str) -> None:
    head = (f"POST {path} HTTP/1.1\r\nHost: assistant.example\r\nContent-Type: application/json\r\n"
            "Content-Length: 99999999\r\n\r\n{}").encode()
    start = time.monotonic()
    reply = raw_request(live.port, head)
    assert reply.startswith(b"HTTP/1.1 413 ") and b'"status": 413' in reply, reply[:300]
    assert time.monotonic() - start < 2  # not waiting for the 99 MB


ODD_TARGETS = [
    (b"GET http://evil.example/ HTTP/1.1\r\nHost: assistant.example\r\nConnection: close\r\n\r\n", 404),
    (b"GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n", 403),
    (b"GET /%ZZ HTTP/1.1\r\nHost: assistant.example\r\nConnection: close\r\n\r\n", 404),
    (b"GET /?a=%ZZ HTTP/1.0\r\n\r\n", 200),
    (b"GET //gradio_api/info HTTP/1.1\r\nHost: assistant.example\r\nConnection: close\r\n\r\n", 404),
    (b"GET /gradio_api/info HTTP/1.0\r\n\r\n", 404),
    (b"GET /api/health?x HTTP/1.0\r\n\r\n", 200),
    (b"GET / HTTP/9.9\r\nHost: assistant.example\r\nConnection: close\r\n\r\n", 200),
    (b"GET / HTTP/1.1\r\nHost: assistant.example\r\nConnection: close\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n", 431),
    (b"GET /api/health HTTP/1.1\r\nHost: assistant.example\r\nConnection: close\r\n"
     + b"".join(b"X-%d: %s\r\n" % (i, b"b" * 100) for i in range(200)) + b"\r\n", 431),
    # Transfer-Encoding wins over Content-Length (RFC 9112): an empty body, refused.
    (b"POST /api/ask HTTP/1.1\r\nHost: assistant.example\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n"
     b"Connection: close\r\n\r\n0\r\n\r\n", 422),
]


@pytest.mark.parametrize(("data", "status"), ODD_TARGETS, ids=range(len(ODD_TARGETS)))
def test_odd_but_valid_request_targets(live: GuardedServer, data: bytes, status: int) -> None:
    head = raw_request(live.port, data).partition(b"\r\n\r\n")[0]
    assert head.startswith(f"HTTP/1.1 {status} ".encode()), head[:200]


# --------------------------------------------------------------------------- the page and its headers


def test_page_csp_allows_exactly_its_own_inline_scripts(client: httpx.Client) -> None:
    from assistant.serve.security_headers import inline_script_hashes

    page = client.get("/", headers={"accept-encoding": "br, gzip"})
    assert page.status_code == 200 and "content-encoding" not in page.headers
    assert_security_headers(page.headers)
    hashes = inline_script_hashes(page.content)
    assert len(hashes) >= 3  # Gradio's config, its api info and its loader
    script_src = next(p for p in page.headers["content-security-policy"].split("; ")
                      if p.startswith("script-src"))
    assert script_src.split()[1:] == ["'self'", *hashes]
    # Static files keep the headers too, and Gradio's own CORS headers are gone.
    for path in ("/theme.css", "/favicon.ico", "/gradio_api/queue/data?session_hash=x"):
        # Its own origin on a public host: Gradio would answer CORS, with credentials.
        reply = client.get(path, headers={"origin": f"http://{PUBLIC_HOST}", "host": PUBLIC_HOST})
        assert reply.status_code == 200
        assert_security_headers(reply.headers)
        assert not any(h.startswith("access-control-") for h in reply.headers)


def test_deep_links_and_pages_never_read_or_store_conversations(client: httpx.Client,
                                                                gradio_tmp: Path) -> None:
    assert client.get("/gradio_api/deep_link", params={"session_hash": "abc"}).status_code == 404
    page = client.get("/", params={"deep_link": "abcdef", "page": "x"})
    assert page.status_code == 200 and '"deep_link_state":"none"' in page.text
    config = client.get("/config", params={"deep_link": "abcdef"}).json()
    assert config.get("deep_link_state", "none") == "none"  # "invalid" had it been looked up
    assert not list(gradio_tmp.rglob("deep_links")) and not list(gradio_tmp.rglob("state.json"))


def test_validation_errors_name_no_internal_class(client: httpx.Client) -> None:
    bodies = [("/api/ask", [1, 2]), ("/api/ask", {"question": "a", "history": [1]}),
              ("/v1/chat/completions", {"messages": [{"role": "user", "content": 5}]}),
              ("/v1/chat/completions", {"messages": [{"role": "user", "content": [{"type": 5}]}]}),
              ("/api/feedback", {"vote": "up", "passage_ids": "x"})]
    for path, body in bodies:
        message = assert_error_shape(client.post(path, json=body), 422)
        assert not re.search(r"[A-Z][a-z]+[A-Z]\w*|function-after|\[|_encodable|instance of", message), message


# --------------------------------------------------------------------------- origins


def test_cors_answers_only_the_allowed_portal_and_never_with_credentials(live: GuardedServer) -> None:
    with live.client() as client:
        fns = chat_fns(live)
        for method, path, body in (("GET", "/config", None), ("GET", "/", None),
                                   ("POST", "/gradio_api/queue/join", _json(ask_body(fns, "NETCO?"))),
                                   ("POST", "/api/ask", _json({"question": "NETCO?"}))):
            allowed = client.request(method, path, content=body, headers={
                "origin": PORTAL, "host": PUBLIC_HOST, "content-type": "application/json"})
            assert allowed.status_code == 200, allowed.text[:200]
            assert allowed.headers["access-control-allow-origin"] == PORTAL
            assert "access-control-allow-credentials" not in allowed.headers
            assert "origin" in allowed.headers["vary"].lower()
            own = client.request(method, path, content=body, headers={
                "origin": live.url, "content-type": "application/json"})
            assert own.status_code == 200 and "access-control-allow-origin" not in own.headers
        preflight = client.options("/gradio_api/queue/join", headers={
            "origin": PORTAL, "access-control-request-method": "POST", "host": PUBLIC_HOST})
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == PORTAL
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert "content-type" in preflight.headers["access-control-allow-headers"]
        assert "access-control-allow-credentials" not in preflight.headers
        # The widget's script loads on any site; what it calls is checked.
        widget = client.get("/widget.js", headers={"origin": EVIL})
        assert widget.status_code == 200 and "access-control-allow-origin" not in widget.headers


ROUTE_KINDS = [("GET", "/"), ("GET", "/config"), ("GET", "/theme.css"), ("GET", "/widget.js"),
               ("GET", "/gradio_api/heartbeat/guardhost01"), ("POST", "/gradio_api/queue/join"),
               ("GET", "/api/health"), ("POST", "/api/ask"), ("GET", "/v1/models"),
               ("GET", "/demo"), ("GET", "/privacy"), ("OPTIONS", "/api/ask")]


def test_a_forged_host_is_refused_in_the_error_shape_on_every_route(live: GuardedServer) -> None:
    port = live.port
    with live.client() as client:
        for method, path in ROUTE_KINDS:
            for host, origin in ((f"{REBOUND}:{port}", f"http://{REBOUND}:{port}"),
                                 (REBOUND, None), (f"{PUBLIC_HOST}.{REBOUND}", None),
                                 (f"127.0.0.1.{REBOUND}:{port}", f"http://127.0.0.1:{port}"),
                                 (f"localhost:{port + 1}", None), ("", None)):
                headers = {"host": host, "content-type": "application/json",
                           **({"origin": origin} if origin else {}),
                           **({"access-control-request-method": "POST"} if method == "OPTIONS" else {})}
                reply = client.request(method, path, headers=headers,
                                       content=b"{}" if method == "POST" else None)
                assert_error_shape(reply, 403)
                assert_sound(reply, origin)
                assert not any(h.startswith("access-control-") for h in reply.headers), (path, host)


def test_the_servers_own_hosts_and_the_portal_pass(live: GuardedServer) -> None:
    port, fns = live.port, chat_fns(live)
    own = [f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", PUBLIC_HOST,
           f"{PUBLIC_HOST}:8443"]
    bodies = {"/gradio_api/queue/join": _json(ask_body(fns, "NETCO?")),
              "/api/ask": _json({"question": "NETCO?"})}
    with live.client() as client:
        for host in own:
            for method, path in ROUTE_KINDS:
                if method == "OPTIONS" or "heartbeat" in path:  # a stream, held open
                    continue
                reply = client.request(method, path, content=bodies.get(path), headers={
                    "host": host, "origin": f"http://{host}", "content-type": "application/json"})
                assert reply.status_code == 200, (host, path, reply.text[:200])
        # A page of one of the server's names calling another, and the widget's portal.
        for origin in (f"http://localhost:{port}", PORTAL):
            reply = client.post("/api/ask", json={"question": "NETCO?"}, headers={"origin": origin})
            assert reply.status_code == 200, reply.text[:200]
            assert reply.headers.get("access-control-allow-origin") == (PORTAL if origin == PORTAL else None)


def gradio_root(client: httpx.Client, **headers: str) -> str:
    """The root URL Gradio gives the page (its config's `root`; the chat's file URLs start with it)."""
    reply = client.get("/config", headers=headers)
    assert reply.status_code == 200, reply.text[:200]
    return reply.json()["root"]


def test_forwarded_host_changes_gradio_urls_only_from_a_trusted_proxy(
        live: GuardedServer, pipeline: Pipeline, gradio_tmp: Path, tmp_path: Path) -> None:
    forged = {"x-forwarded-host": PUBLIC_HOST, "x-forwarded-proto": "https",
              "x-gradio-server": f"http://{REBOUND}", "forwarded": f"host={REBOUND}"}
    with live.client() as peer:  # no proxy is trusted: the headers change nothing
        assert gradio_root(peer) == gradio_root(peer, **forged) == live.url
    service = guarded_service(pipeline, tmp_path, trusted_proxies=["127.0.0.1"])
    with GuardedServer(service) as server, server.client() as proxy:
        assert gradio_root(proxy, **{"x-forwarded-host": PUBLIC_HOST,
                                     "x-forwarded-proto": "https"}) == f"https://{PUBLIC_HOST}"
        # A trusted proxy's X-Forwarded-Host must still be a public host (a rebinding page
        # behind the proxy).
        assert_error_shape(proxy.get("/config", headers={"x-forwarded-host": REBOUND}), 403)
        with server.client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as other:
            assert gradio_root(other, **forged) == server.url


# --------------------------------------------------------------------------- budgets


@pytest.fixture
def limited(pipeline: Pipeline, gradio_tmp: Path, tmp_path: Path) -> Iterator[GuardedServer]:
    service = guarded_service(pipeline, tmp_path, rate_limit="3/minute",
                              feedback_rate_limit="4/minute", search_rate_limit="2/minute")
    with GuardedServer(service) as server:
        yield server


LIMIT_NL = re.compile(r"Te veel vragen na elkaar\. Probeer het over (\d+) seconden opnieuw\.")


def test_chat_answers_share_the_ask_budget_with_the_api(limited: GuardedServer) -> None:
    with limited.client() as client:
        fns = chat_fns(limited)
        assert client.post("/gradio_api/queue/join", json=ask_body(fns, "Wat is NETCO?")).status_code == 200
        assert client.post("/api/ask", json={"question": "Wat is NETCO?"}).status_code == 200
        assert client.post("/gradio_api/queue/join", json=ask_body(fns, "En Oslo?")).status_code == 200
        reply = client.post("/api/ask", json={"question": "Nog één?"}, headers={"accept-language": "nl"})
        message = assert_error_shape(reply, 429)
        assert LIMIT_NL.fullmatch(message) and 1 <= int(reply.headers["retry-after"]) <= 60
        assert_security_headers(reply.headers)
        # Over budget the chat answers with the same sentence, in the chat's language (the
        # one chosen here, not Accept-Language) and the limiter's seconds; forwarded headers
        # are not believed from a peer that is no configured proxy.
        over = ask_body(fns, "Nog één?", "overbudget01")
        over["data"][4] = "nl"  # the language chosen with the switch
        for headers in ({"accept-language": "en"}, {"x-forwarded-for": "203.0.113.9"}):
            assert client.post("/gradio_api/queue/join", json=over, headers=headers).status_code == 200
        events = chat_events(client, "overbudget01", count=2)
        # one sentence per answer (the conversation kept in the tab repeats it: counted once)
        seconds = [{int(n) for n in LIMIT_NL.findall(json.dumps(m, ensure_ascii=False))}
                   for m in events if m["msg"] == "process_completed"]
        assert len(seconds) == 2 and all(len(s) == 1 and 1 <= min(s) <= 60 for s in seconds), events
        # Those answers search nothing but are charged to the cheap budget: a flood past it
        # is refused here, never reaching Gradio's queue.
        flood = client.post("/gradio_api/queue/join", json=over)
        assert_error_shape(flood, 429)
        assert 1 <= int(flood.headers["retry-after"]) <= 60
        # No question beyond the budget reached the service.
        chat_events(client, "guardtest01", count=2)
        assert sorted(limited.service.asked) == ["En Oslo?", "Wat is NETCO?"]
    with limited.client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as neighbour:
        # Only the guard marks a question over budget (a header cannot): within its budget
        # it is answered.
        assert neighbour.post("/gradio_api/queue/join", json=ask_body(fns, "Buur?", "neighbour01"),
                              headers={"x-assistant-over-budget": "9"}).status_code == 200
        told = json.dumps(chat_events(neighbour, "neighbour01", count=1), ensure_ascii=False)
    assert "Buur?" in limited.service.asked and not LIMIT_NL.search(told)


def test_votes_are_rate_limited_in_the_chat_and_the_api(limited: GuardedServer) -> None:
    """Both kinds of vote go to the app's feedback folder (its settings, not the environment's)."""
    log = limited.service.settings.feedback_dir / "feedback.jsonl"

    def kinds() -> list[str]:
        return [json.loads(line)["kind"] for line in log.read_text().splitlines()] if log.exists() else []

    before = kinds()
    with limited.client() as client:
        fns = chat_fns(limited)
        statuses = [client.post("/gradio_api/queue/join", json=vote_body(fns)).status_code
                    for _ in range(3)]
        statuses.append(client.post("/api/feedback", json={"vote": "up"}).status_code)
        statuses += [client.post("/gradio_api/queue/join", json=vote_body(fns)).status_code
                     for _ in range(30)]
        statuses.append(client.post("/api/feedback", json={"vote": "up"}).status_code)
        assert statuses == [201 if i == 3 else 200 for i in range(4)] + [429] * 31, statuses
        chat_events(client, "guardtest01", count=3)
    added = kinds()[len(before):]
    assert sorted(added) == ["api", "message", "message", "message"], added


def test_forwarded_for_is_believed_only_from_a_configured_proxy(pipeline: Pipeline, gradio_tmp: Path,
                                                               tmp_path: Path) -> None:
    service = guarded_service(pipeline, tmp_path, rate_limit="1/minute",
                              trusted_proxies=["127.0.0.1"])
    with GuardedServer(service) as server, server.client() as proxy:
        fns = chat_fns(server)
        for client_ip in ("198.51.100.1", "198.51.100.2"):
            reply = proxy.post("/gradio_api/queue/join", json=ask_body(fns, "NETCO?"),
                               headers={"x-forwarded-for": client_ip})
            assert reply.status_code == 200, reply.text
        again = proxy.post("/api/ask", json={"question": "NETCO?"},
                           headers={"x-forwarded-for": "198.51.100.1"})
        assert_error_shape(again, 429)
        with server.client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as direct:
            first = direct.post("/api/ask", json={"question": "NETCO?"}, headers={"x-forwarded-for": "1.2.3.4"})
            second = direct.post("/api/ask", json={"question": "NETCO?"}, headers={"x-forwarded-for": "5.6.7.8"})
            assert first.status_code == 200 and second.status_code == 429


# --------------------------------------------------------------------------- slow clients


@pytest.fixture
def strict(pipeline: Pipeline, gradio_tmp: Path, tmp_path: Path) -> Iterator[GuardedServer]:
    service = guarded_service(pipeline, tmp_path, header_timeout_s=1.0, body_timeout_s=1.0,
                              max_connections=40)
    with GuardedServer(service) as server:
        yield server


def closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """(closed by the server within `seconds`, what it sent first)."""
    sock.settimeout(seconds)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
        return True, received
    except TimeoutError:
        return False, received
    except ConnectionResetError:
        return True, received


def test_half_sent_bodies_get_408_and_are_closed(strict: GuardedServer) -> None:
    socks = []
    for path in ("/api/ask", "/gradio_api/queue/join") * 10:
        sock = socket.create_connection(("127.0.0.1", strict.port))
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: assistant.example\r\nContent-Type: application/json\r\n"
                     f"Content-Length: 1000\r\n\r\n{{\"question\": ".encode())
        socks.append(sock)
    started = time.monotonic()
    for sock in socks:
        closed, reply = closed_within(sock, 5)
        assert closed and reply.startswith(b"HTTP/1.1 408 "), reply[:100]
        assert b'"status": 408' in reply
        sock.close()
    assert time.monotonic() - started < 4
    assert httpx.get(f"{strict.url}/api/health", timeout=10).status_code == 200


def test_slow_and_idle_connections_are_closed(strict: GuardedServer) -> None:
    idle = socket.create_connection(("127.0.0.1", strict.port))
    trickle = socket.create_connection(("127.0.0.1", strict.port))
    trickle.sendall(b"GET /api/health HTTP/1.1\r\nHost: assistant.example\r\n")
    for sock in (idle, trickle):
        closed, _ = closed_within(sock, 4)
        assert closed
        sock.close()
    # A kept-alive connection that trickles its next request head is closed too.
    # uvicorn's keep-alive timer (5 s) stops at the first byte of the next request.
    kept = socket.create_connection(("127.0.0.1", strict.port))
    kept.sendall(b"GET /api/health HTTP/1.1\r\nHost: assistant.example\r\n\r\n")
    kept.settimeout(5)
    assert kept.recv(65536).startswith(b"HTTP/1.1 200 ")
    started = time.monotonic()
    kept.sendall(b"GET /api/hea")
    closed, _ = closed_within(kept, 4)
    assert closed and time.monotonic() - started < 3
    kept.close()


def test_connections_beyond_the_cap_are_closed_at_once(pipeline: Pipeline, gradio_tmp: Path,
                                                       tmp_path: Path) -> None:
    service = guarded_service(pipeline, tmp_path, max_connections=40, header_timeout_s=30)
    with GuardedServer(service) as server:
        socks = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(80)]
        # Past the cap, 32 may wait 2 s for a request to answer 503; the rest close at once.
        closed: set[socket.socket] = set()
        deadline = time.monotonic() + 10
        while len(closed) < 38 and time.monotonic() < deadline:
            readable, _, _ = select.select([s for s in socks if s not in closed], [], [], 0.5)
            closed.update(sock for sock in readable if sock.recv(1) == b"")
        time.sleep(0.5)
        readable, _, _ = select.select([s for s in socks if s not in closed], [], [], 0)
        closed.update(sock for sock in readable if sock.recv(1) == b"")
        assert 38 <= len(closed) <= 42, len(closed)  # the cap, give or take our own probes
        for sock in socks:
            sock.close()
        # Once they are gone, the server answers again.
        server.wait_ready(10, request_timeout=5, interval=0.1, retry_errors=True)


# --------------------------------------------------------------------------- logs


class Kept(logging.Handler):
    """Keeps what a logger says. Attach it once the server's config exists: uvicorn's
    logging set-up replaces the handlers of its loggers."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_access_log_holds_no_question_text(pipeline: Pipeline, gradio_tmp: Path, tmp_path: Path) -> None:
    service = guarded_service(pipeline, tmp_path)
    server, kept = GuardedServer(service, log_level="info"), Kept()
    logging.getLogger("uvicorn.access").addHandler(kept)
    try:
        with server, server.client() as client:
            assert client.get("/api/search", params={"q": "secret marker NETCO"}).status_code == 200
            assert client.get("/", params={"page": "secretmarker"}).status_code == 200
    finally:
        logging.getLogger("uvicorn.access").removeHandler(kept)
    lines = [record.getMessage() for record in kept.records]
    assert any("/api/search?" in line for line in lines), lines
    assert not any("secret" in line for line in lines), lines


def test_an_unexpected_error_is_one_log_line_and_a_500_in_the_shape(
        pipeline: Pipeline, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async def broken(scope, receive, send):
        if scope["type"] == "http":
            if scope["path"] == "/late":
                await send({"type": "http.response.start", "status": 200, "headers": []})
            raise RuntimeError("the secret question text")

    service = guarded_service(pipeline, tmp_path)
    server, kept = GuardedServer(service, app=Guard(broken, allowed_origins=[], max_body_bytes=1024)), Kept()
    logging.getLogger("uvicorn").addHandler(kept)  # it does not propagate to the root logger
    try:
        with server, server.client() as client, caplog.at_level(logging.INFO):
            reply = client.get("/early")
            assert_error_shape(reply, 500)
            assert_security_headers(reply.headers)
            with pytest.raises(httpx.HTTPError):  # a started reply can only be cut off
                client.get("/late").read()
    finally:
        logging.getLogger("uvicorn").removeHandler(kept)
    ours = [r for r in caplog.records if r.name == "assistant.serve.error_shape"]
    assert len(ours) == 2, [r.getMessage() for r in caplog.records]
    assert all("RuntimeError at test_guard_routes.py:" in r.getMessage() for r in ours)
    errors = [r for r in kept.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == ["ASGI callable returned without completing response."]
    for record in [*caplog.records, *kept.records]:
        text = record.getMessage()
        assert "\n" not in text and record.exc_info is None and "secret" not in text, text


# --------------------------------------------------------------------------- the chat's concurrency


def test_a_slow_answer_does_not_hold_up_the_next_question(live: GuardedServer) -> None:
    with live.client() as client:
        fns = chat_fns(live)
        started = time.monotonic()
        for session, question in (("slowsession1", "slow: wat is NETCO?"),
                                  ("fastsession1", "Wat is een proeftuin?")):
            assert client.post("/gradio_api/queue/join",
                               json=ask_body(fns, question, session)).status_code == 200
        fast = chat_events(client, "fastsession1", count=1)
        fast_done = fast[-1]["at"] - started
        slow = chat_events(client, "slowsession1", count=1)
    assert fast[-1]["msg"] == "process_completed" and fast[-1]["success"], fast[-1]
    assert slow[-1]["msg"] == "process_completed" and slow[-1]["success"], slow[-1]
    assert fast_done < SLOW_SECONDS, fast_done  # not queued behind the slow one


def test_files_named_in_chat_events_are_not_served(live: GuardedServer) -> None:
    with live.client() as client:
        fns = chat_fns(live)
        history = [{"role": "user", "content": {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}}]
        body = ask_body(fns, "NETCO?", "filesession1")
        body["data"][1] = history  # the conversation shown: the chat's second input
        assert client.post("/gradio_api/queue/join", json=body).status_code == 200
        messages = chat_events(client, "filesession1", count=1)
    assert "root:x:0" not in json.dumps(messages)
    assert messages[-1]["msg"] == "process_completed"
