"""The HTTP API over real HTTP on loopback: uvicorn in a thread, the real model, a real index.

One index is built per module from the seed corpus; every app instance here shares the one
Assistant (its model and index), so a second app (a low rate limit, a missing index) costs
nothing but a port.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import REPO_DIR
from loopback import LoopbackServer, sse_events

from assistant.config import Settings
from assistant.pipeline import Pipeline
from assistant.serve.server import create_app
from assistant.service import Assistant
from assistant.wiring import build_assistant

pytestmark = [pytest.mark.model, pytest.mark.slow]

PORTAL = "http://portal.example"
# Dev questions (shared/eval/dev.jsonl) the knowledge base answers; the first one the
# assistant answers is used where a test needs citations.
ANSWERABLE = [
    ("nl", "Welke Noorse stad deed mee aan NETCO?"),
    ("en", "Which Dutch cities took part in NETCO?"),
    ("nl", "Voor wie is de Transitie Pressure Cooker bedoeld?"),
    ("nl", "Wat is een proeftuin in het leertraject coöperatief wonen?"),
]
OFF_TOPIC = "Wat is de hoofdstad van Australië?"
MARKER = re.compile(r"\[(\d+)\]")


# --------------------------------------------------------------------------- live servers


class LiveServer(LoopbackServer):
    """One app on loopback. Lifespan "on": a failing start-up (the background load) stops
    uvicorn and so fails the test, where "auto" would log it and serve on."""

    def __init__(self, app) -> None:
        super().__init__(app, lifespan="on", timeout_graceful_shutdown=5)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """The real model and a real index of the seed corpus, built once for this module."""
    index_dir = tmp_path_factory.mktemp("api-index")
    pipeline = Pipeline(Settings(), index_dir=index_dir)
    pipeline.ingest(REPO_DIR / "corpus", show_progress=False)
    return build_assistant(Settings(), pipeline=pipeline)


@pytest.fixture(scope="module")
def feedback_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("feedback")


@pytest.fixture(scope="module")
def live(service: Assistant, feedback_dir: Path) -> Iterator[LiveServer]:
    settings = service.settings.model_copy(update={
        "allowed_origins": [PORTAL], "rate_limit": "1000/minute",
        "search_rate_limit": "1000/minute", "feedback_dir": feedback_dir})
    limited = build_assistant(settings, pipeline=service.pipeline)
    with LiveServer(create_app(settings, limited, with_ui=False)) as server:
        server.wait_ready()
        yield server


@pytest.fixture(scope="module")
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def answered(client: httpx.Client) -> dict:
    """The /api/ask reply to the first ANSWERABLE question the assistant answers."""
    replies = []
    for lang, question in ANSWERABLE:
        reply = client.post("/api/ask", json={"question": question})
        assert reply.status_code == 200, reply.text
        body = reply.json()
        if not body["refused"]:
            return {"question": question, "lang": lang, **body}
        replies.append((question, body["answer"][:80]))
    pytest.fail(f"every answerable dev question was refused: {replies}")


def assert_error(reply: httpx.Response, status: int) -> str:
    """The one error shape; returns the message."""
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    assert set(body) == {"error"} and set(body["error"]) == {"status", "message"}, body
    assert body["error"]["status"] == status
    message = body["error"]["message"]
    assert isinstance(message, str) and message.strip()
    assert "Traceback" not in reply.text and 'File "' not in reply.text
    return message


# --------------------------------------------------------------------------- shapes


def test_health_reports_model_and_index(client: httpx.Client) -> None:
    reply = client.get("/api/health")
    assert reply.status_code == 200
    body = reply.json()
    assert body["status"] == "ok"
    assert body["model"].startswith("st:") and body["passages"] > 0


def test_health_is_503_with_the_reason_without_an_index(service: Assistant, tmp_path: Path) -> None:
    empty = Pipeline(service.settings, embedder=service.pipeline.embedder, index_dir=tmp_path / "none")
    app = create_app(service.settings, build_assistant(service.settings, pipeline=empty), with_ui=False)
    with LiveServer(app) as server:
        deadline = time.monotonic() + 60
        while True:
            reply = httpx.get(f"{server.url}/api/health", timeout=30)
            message = assert_error(reply, 503)
            if "starting" not in message:  # past the background load
                break
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert "index" in message.lower()
        assert reply.headers["retry-after"].isdigit()
        # Asking without an index is a 503 in the same shape, not a 500.
        assert_error(httpx.post(f"{server.url}/api/ask", json={"question": "NETCO?"}, timeout=30), 503)


def test_ask_returns_answer_with_citations(answered: dict) -> None:
    assert set(answered) >= {"answer", "lang", "refused", "citations"}
    assert answered["lang"] == dict((q, lang) for lang, q in ANSWERABLE)[answered["question"]]
    assert answered["refused"] is False
    citations = answered["citations"]
    assert citations, answered
    for number, citation in enumerate(citations, 1):
        assert citation["n"] == number
        assert {"n", "passage_id", "doc_id", "title", "quote", "passage"} <= set(citation)
        assert citation["quote"] and citation["quote"] in citation["passage"]
        assert citation["title"]
    markers = {int(n) for n in MARKER.findall(answered["answer"])}
    assert markers == {c["n"] for c in citations}


def test_off_topic_question_is_refused_without_citations(client: httpx.Client) -> None:
    body = client.post("/api/ask", json={"question": OFF_TOPIC}).json()
    assert body["refused"] is True and body["citations"] == [] and body["lang"] == "nl"
    assert body["answer"]


def test_ask_takes_history_and_a_language(client: httpx.Client, answered: dict) -> None:
    history = [{"role": "user", "content": answered["question"]},
               {"role": "assistant", "content": answered["answer"]}]
    reply = client.post("/api/ask", json={"question": "En wie organiseerde dat?",
                                          "history": history, "lang": "fr"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["lang"] == "fr"


def test_search_returns_scored_hits(client: httpx.Client) -> None:
    reply = client.get("/api/search", params={"q": "NETCO deelnemende steden", "k": 3})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["lang"] in ("nl", "fr", "en") and len(body["hits"]) == 3
    for hit in body["hits"]:
        assert set(hit) == {"passage_id", "doc_id", "title", "text", "score", "region"}
        assert isinstance(hit["score"], float) and hit["text"]
    scores = [hit["score"] for hit in body["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_feedback_is_stored_without_any_text(client: httpx.Client, feedback_dir: Path,
                                             answered: dict) -> None:
    ids = [c["passage_id"] for c in answered["citations"]]
    reply = client.post("/api/feedback", json={"vote": "up", "passage_ids": ids, "lang": "nl",
                                               "question": "mijn geheime vraag"})
    assert reply.status_code == 201 and reply.json() == {"stored": True}
    lines = [json.loads(line) for line in (feedback_dir / "feedback.jsonl").read_text().splitlines()]
    assert {"vote": "up", "passage_ids": ids, "language": "nl", "kind": "api"}.items() <= lines[-1].items()
    assert set(lines[-1]) == {"timestamp", "vote", "kind", "language", "passage_ids"}
    assert "geheime" not in "".join(f.read_text() for f in feedback_dir.glob("*"))
    # Free text cannot ride along as a "passage id".
    assert_error(client.post("/api/feedback", json={"vote": "down", "passage_ids": ["my question?"]}), 422)
    assert_error(client.post("/api/feedback", json={"vote": "maybe"}), 422)


def test_api_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASSISTANT_FEEDBACK_DIR", str(tmp_path / "votes"))
    monkeypatch.setenv("ASSISTANT_ALLOWED_ORIGINS", '["https://wonen.example"]')
    monkeypatch.setenv("ASSISTANT_RATE_LIMIT", "5/second")
    settings = Settings()
    assert settings.feedback_dir == tmp_path / "votes"
    assert settings.allowed_origins == ["https://wonen.example"]
    assert settings.rate_limit == "5/second"


def test_openapi_and_docs(client: httpx.Client) -> None:
    schema = client.get("/api/openapi.json").json()
    assert {"/api/ask", "/api/ask/stream", "/api/search", "/api/health", "/api/feedback",
            "/v1/chat/completions"} <= set(schema["paths"])
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "/api/openapi.json" in docs.text


def test_widget_and_demo_are_served(client: httpx.Client) -> None:
    widget = client.get("/widget.js")
    assert widget.status_code == 200
    assert widget.headers["content-type"].startswith("text/javascript")
    # loaded on every portal page, unminified, with no other asset: 40 kB at most
    assert len(widget.content) < 40 * 1024
    source = widget.text
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source, sink
    demo = client.get("/demo", params={"lang": "fr"})
    assert demo.status_code == 200
    assert '<script src="/widget.js" data-lang="fr" async></script>' in demo.text
    assert 'data-lang="nl"' in client.get("/demo", params={"lang": "<x>"}).text


# --------------------------------------------------------------------------- errors


def test_empty_and_invalid_input_is_422(client: httpx.Client) -> None:
    for body in ({"question": ""}, {"question": "   "}, {"question": "?!"}, {},
                 {"question": 5}, {"question": "NETCO", "lang": "de"},
                 {"question": "NETCO", "history": [{"role": "system", "content": "x"}]},
                 {"question": "NETCO", "history": "x"}):
        assert_error(client.post("/api/ask", json=body), 422)
    lone_surrogate = b'{"question": "\\ud800 NETCO"}'  # valid JSON, not encodable text
    assert_error(client.post("/api/ask", content=lone_surrogate,
                             headers={"content-type": "application/json"}), 422)
    message = assert_error(client.post("/api/ask", json={"question": "", "lang": "fr"}), 422)
    assert "Posez une question" in message  # the service's message, in the asker's language
    assert_error(client.get("/api/search"), 422)
    assert_error(client.get("/api/search", params={"q": "NETCO", "k": 0}), 422)
    assert_error(client.get("/api/search", params={"q": "NETCO", "k": "many"}), 422)


def test_malformed_json_is_422(client: httpx.Client) -> None:
    for raw in (b'{"question": ', b"\xff\xfe", b"[1, 2]", b"null"):
        reply = client.post("/api/ask", content=raw, headers={"content-type": "application/json"})
        assert_error(reply, 422)
    message = assert_error(client.post("/api/ask", content=b"{oops",
                                       headers={"content-type": "application/json"}), 422)
    assert "JSON" in message


def test_oversized_body_is_413(client: httpx.Client) -> None:
    huge = "wonen " * 17_000  # ~100 kB
    assert_error(client.post("/api/ask", json={"question": huge}), 413)
    assert_error(client.post("/api/ask/stream", json={"question": huge}), 413)
    assert_error(client.post("/v1/chat/completions",
                             json={"messages": [{"role": "user", "content": huge}]}), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the bytes received are counted
        yield b'{"question": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    reply = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in reply.request.headers
    assert_error(reply, 413)
    # Within the body limit but over the question limit: the service's own 413, in Dutch.
    message = assert_error(client.post("/api/ask", json={"question": "wonen " * 400, "lang": "nl"}), 413)
    assert "te lang" in message
    # The server is fine afterwards.
    assert client.get("/api/health").status_code == 200


def test_unknown_paths_and_methods_use_the_error_shape(client: httpx.Client) -> None:
    assert_error(client.get("/api/nothing-here"), 404)
    assert_error(client.get("/v1/nothing-here"), 404)
    assert_error(client.get("/api/ask"), 405)
    assert_error(client.delete("/api/feedback"), 405)


def test_burst_is_429_with_retry_after(service: Assistant) -> None:
    settings = service.settings.model_copy(update={"rate_limit": "3/minute"})
    limited = build_assistant(settings, pipeline=service.pipeline)
    with LiveServer(create_app(settings, limited, with_ui=False)) as server:
        with httpx.Client(base_url=server.url, timeout=60) as burst:
            # The three ask endpoints share one budget; invalid requests count too.
            assert burst.post("/api/ask", json={"question": ""}).status_code == 422
            assert burst.post("/api/ask/stream", json={"question": ""}).status_code == 422
            assert burst.post("/v1/chat/completions", json={"messages": []}).status_code == 422
            reply = burst.post("/api/ask", json={"question": "NETCO?"}, headers={"accept-language": "fr"})
            message = assert_error(reply, 429)
            assert "Réessayez" in message
            retry = int(reply.headers["retry-after"])
            assert 1 <= retry <= 60 and str(retry) in message
            assert_error(burst.post("/api/ask/stream", json={"question": "NETCO?"}), 429)
            assert_error(burst.post("/v1/chat/completions",
                                    json={"messages": [{"role": "user", "content": "NETCO?"}]}), 429)
            # Health and search have budgets of their own.
            assert burst.get("/api/health").status_code == 200
            assert burst.get("/api/search", params={"q": "NETCO"}).status_code == 200
        # The budget is per client address: another loopback address still gets through.
        other = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(base_url=server.url, timeout=60, transport=other) as neighbour:
            assert neighbour.post("/api/ask", json={"question": ""}).status_code == 422


# --------------------------------------------------------------------------- origins


def test_cors_headers_only_for_allowed_origins(client: httpx.Client, live: LiveServer) -> None:
    ask = {"question": OFF_TOPIC}
    allowed = client.post("/api/ask", json=ask, headers={"Origin": PORTAL})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == PORTAL
    assert "origin" in allowed.headers["vary"].lower()

    for origin in (None, live.url):  # no Origin (not a browser), or the server's own origin
        headers = {"Origin": origin} if origin else {}
        reply = client.post("/api/ask", json=ask, headers=headers)
        assert reply.status_code == 200 and "access-control-allow-origin" not in reply.headers

    for origin in ("http://evil.example", "null", PORTAL + ".evil.example", "https://portal.example"):
        reply = client.post("/api/ask", json=ask, headers={"Origin": origin})
        assert_error(reply, 403)
        assert "access-control-allow-origin" not in reply.headers
        assert_error(client.get("/api/health", headers={"Origin": origin}), 403)

    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    ok = client.options("/api/ask/stream", headers={"Origin": PORTAL, **preflight})
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == PORTAL
    assert "POST" in ok.headers["access-control-allow-methods"]
    assert "content-type" in ok.headers["access-control-allow-headers"]
    refused = client.options("/api/ask/stream", headers={"Origin": "http://evil.example", **preflight})
    assert_error(refused, 403)
    assert "access-control-allow-origin" not in refused.headers

    # The widget script itself loads on any site (it then reports that it is not enabled).
    script = client.get("/widget.js", headers={"Origin": "http://evil.example"})
    assert script.status_code == 200


# --------------------------------------------------------------------------- streaming


def test_sse_stream_matches_the_plain_answer(client: httpx.Client, answered: dict) -> None:
    with client.stream("POST", "/api/ask/stream", json={"question": answered["question"]},
                       headers={"Origin": PORTAL}) as reply:
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/event-stream")
        assert reply.headers["access-control-allow-origin"] == PORTAL
        events = sse_events(reply)
    names = [name for name, _ in events]
    assert names[-2:] == ["citations", "done"] and set(names[:-2]) == {"delta"}, names
    text = "".join(json.loads(data)["text"] for name, data in events if name == "delta")
    assert text.strip() == answered["answer"].strip()
    assert json.loads(events[-2][1]) == answered["citations"]
    assert json.loads(events[-1][1]) == {"lang": answered["lang"], "refused": False}


def test_stream_refuses_bad_input_before_streaming(client: httpx.Client) -> None:
    assert_error(client.post("/api/ask/stream", json={"question": ""}), 422)
    assert_error(client.post("/api/ask/stream", content=b"{", headers={"content-type": "application/json"}), 422)


# --------------------------------------------------------------------------- OpenAI-compatible


def test_openai_client_gets_markers_and_citations(live: LiveServer, answered: dict) -> None:
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=f"{live.url}/v1", api_key="x", max_retries=0, timeout=60)
    completion = client.chat.completions.create(
        model="housing-assistant",
        messages=[{"role": "system", "content": "ignored"},
                  {"role": "user", "content": answered["question"]}],
    )
    text = completion.choices[0].message.content
    assert text.strip() == answered["answer"].strip()
    citations = completion.model_extra["citations"]
    assert citations == answered["citations"]
    assert {int(n) for n in MARKER.findall(text)} == {c["n"] for c in citations}
    assert completion.choices[0].finish_reason == "stop"

    stream = client.chat.completions.create(
        model="housing-assistant", stream=True,
        messages=[{"role": "user", "content": "Wat is NETCO?"},
                  {"role": "assistant", "content": "Een Europees netwerk."},
                  {"role": "user", "content": answered["question"]}],
    )
    pieces, streamed_citations, finish = [], None, None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        if chunk.choices and chunk.choices[0].finish_reason:
            finish = chunk.choices[0].finish_reason
        if (chunk.model_extra or {}).get("citations") is not None:
            streamed_citations = chunk.model_extra["citations"]
    streamed = "".join(pieces)
    assert finish == "stop" and MARKER.search(streamed)
    assert streamed_citations and {int(n) for n in MARKER.findall(streamed)} == {
        c["n"] for c in streamed_citations}

    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model="housing-assistant",
                                       messages=[{"role": "user", "content": " "}])
    assert [m.id for m in client.models.list()] == ["housing-assistant"]


def test_openai_stream_ends_with_done(client: httpx.Client, answered: dict) -> None:
    with client.stream("POST", "/v1/chat/completions",
                       json={"model": "m", "stream": True,
                             "messages": [{"role": "user", "content": answered["question"]}]}) as reply:
        assert reply.status_code == 200
        data = [data for _, data in sse_events(reply)]
    assert data[-1] == "[DONE]"
    chunks = [json.loads(item) for item in data[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[-1]["citations"] == answered["citations"]


# --------------------------------------------------------------------------- the chat at /


@pytest.mark.skipif(not (REPO_DIR / "ui.py").exists(), reason="ui.py not written yet")
def test_chat_is_mounted_at_root_without_shadowing_the_api(service: Assistant) -> None:
    with LiveServer(create_app(service.settings, service)) as server:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            page = client.get("/")
            assert page.status_code == 200 and "text/html" in page.headers["content-type"]
            assert client.get("/api/health").status_code == 200
            assert client.get("/widget.js").status_code == 200
            assert_error(client.get("/api/nothing-here"), 404)
