"""Generative answers from an OpenAI-compatible endpoint: a scripted fake server on loopback.

The fake speaks the streaming chat-completions protocol (SSE `data:` chunks, then
`data: [DONE]`) and records each request. Nothing but 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fakes import FixedPolicy, HashingEmbedder
from loopback import sse_events

from assistant.config import Settings
from assistant.answer.llm import CheckedReply, LLMAnswerer, best_quote
from assistant.pipeline import Pipeline
from assistant.service import Assistant
from assistant.wiring import build_assistant
from assistant.types import Answer, DocumentMeta, Hit, Passage

# --------------------------------------------------------------------------- fake endpoint


@dataclass
class Script:
    """What the fake answers next: a status, content pieces (or raw SSE lines), a delay."""

    pieces: list[str] = field(default_factory=list)
    status: int = 200
    raw: list[str] | None = None  # sent as-is instead of pieces + [DONE]
    delay_s: float = 0.0
    gate: threading.Event | None = None  # wait for it after the first piece


class FakeLLM:
    def __init__(self) -> None:
        self.script = Script()
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "body": body,
                                      "authorization": self.headers.get("Authorization")})
                script = fake.script
                time.sleep(script.delay_s)
                self.send_response(script.status)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                if script.status != 200:
                    self.wfile.write(b'{"error": {"message": "boom"}}')
                    return
                lines = script.raw if script.raw is not None else [
                    "data: " + json.dumps({"choices": [{"delta": {"content": p}}]}) for p in script.pieces
                ] + ["data: [DONE]"]
                self.wfile.write(b'data: {"choices":[{"delta":{"role":"assistant"}}]}\n\n')
                for i, line in enumerate(lines):
                    self.wfile.write(line.encode() + b"\n\n")
                    self.wfile.flush()
                    if i == 0 and script.gate is not None:
                        script.gate.wait(timeout=10)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    fake = FakeLLM()
    yield fake
    fake.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed on exit: connecting is refused


# --------------------------------------------------------------------------- hand-made passages


def passage(pid: str, title: str, sentences: list[str], language: str = "nl") -> Passage:
    text, spans = "", []
    for sentence in sentences:
        start = len(text)
        text += sentence + " "
        spans.append((start, start + len(sentence)))
    return Passage(pid, f"doc-{pid}", text.strip(), 0, len(text.strip()),
                   DocumentMeta(title=title, language=language), sentences=tuple(spans))


PASSAGES = [
    passage("p1", "NETCO", ["NETCO liep van mei 2022 tot april 2024.",
                            "Amsterdam en Eindhoven namen deel aan NETCO."]),
    passage("p2", "Pressure Cooker", ["De Transitie Pressure Cooker is bedoeld voor gemeenten.",
                                      "Hij vindt plaats in het najaar."]),
    passage("p3", "Proeftuin", ["Een proeftuin test coöperatief wonen in de praktijk."]),
]
HITS = tuple(Hit(p, score=1.0 - i / 10) for i, p in enumerate(PASSAGES))


# --------------------------------------------------------------------------- LLMAnswerer


def test_request_carries_numbered_passages_and_the_language(fake_llm: FakeLLM) -> None:
    fake_llm.script = Script(["Ja [1]."])
    llm = LLMAnswerer(fake_llm.url, "tiny", api_key="sekret", timeout_s=5)
    assert list(llm.stream("Welke steden deden mee?", "nl", HITS)) == ["Ja [1]."]
    [request] = fake_llm.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["authorization"] == "Bearer sekret"
    body = request["body"]
    assert body["model"] == "tiny" and body["stream"] is True
    system, user = body["messages"]
    assert system["role"] == "system" and "Dutch" in system["content"] and "Nederlands" in system["content"]
    assert "[n]" not in system["content"] and "[1]" in system["content"]  # how to cite
    assert "[1] NETCO\nNETCO liep van mei 2022" in user["content"]
    assert "[2] Pressure Cooker\n" in user["content"] and "[3] Proeftuin\n" in user["content"]
    assert user["content"].endswith("Question: Welke steden deden mee?")


@pytest.mark.parametrize("language, name", [("fr", "French"), ("en", "English")])
def test_the_language_is_named(language: str, name: str) -> None:
    system = LLMAnswerer("http://127.0.0.1:9/v1", "m").messages("q", language, PASSAGES)[0]
    assert name in system["content"]


REPLY = ("De Pressure Cooker is voor gemeenten [2]. Dat weet iedereen. "
         "Amsterdam en Eindhoven namen deel [1]. Ook Parijs deed mee [9].\n\n"
         "Het project liep tot april 2024. [1] Het vindt plaats in het najaar [2].")


def test_uncited_and_invented_sentences_are_dropped_and_markers_renumbered() -> None:
    text, citations = LLMAnswerer("http://127.0.0.1:9/v1", "m").verify(REPLY, PASSAGES)
    assert text == ("De Pressure Cooker is voor gemeenten [1]. Amsterdam en Eindhoven namen deel [2].\n\n"
                    "Het project liep tot april 2024. [2] Het vindt plaats in het najaar [1].")
    assert [(c.n, c.passage.passage_id) for c in citations] == [(1, "p2"), (2, "p1")]
    for citation in citations:
        assert citation.quote and citation.quote in citation.passage.text
    # The quote is the passage sentence the reply's sentences share most words with.
    assert citations[0].quote == "De Transitie Pressure Cooker is bedoeld voor gemeenten."
    assert citations[1].quote == "Amsterdam en Eindhoven namen deel aan NETCO."


def pieces_as_fed(deltas: list[str]) -> list[tuple[int, str]]:
    """(which delta it came with, piece) for each piece CheckedReply lets through; -1: at the end."""
    checked = CheckedReply(PASSAGES)
    shown = [(i, piece) for i, delta in enumerate(deltas) for piece in checked.add(delta)]
    return shown + [(-1, piece) for piece in checked.end()]


def test_the_stream_shows_each_sentence_once_complete_checked_and_renumbered() -> None:
    verified = LLMAnswerer("http://127.0.0.1:9/v1", "m").verify(REPLY, PASSAGES)[0]
    by_char = pieces_as_fed(list(REPLY))
    assert by_char == [
        (REPLY.index("Dat weet"), "De Pressure Cooker is voor gemeenten [1]."),
        (REPLY.index("Ook Parijs"), " Amsterdam en Eindhoven namen deel [2]."),
        (REPLY.index("Het vindt"), "\n\nHet project liep tot april 2024. [2]"),  # its marker waited
        (-1, " Het vindt plaats in het najaar [1]."),
    ]
    assert "".join(piece for _, piece in by_char) == verified
    for cut in range(1, len(REPLY)):  # any two deltas: the same pieces
        assert [piece for _, piece in pieces_as_fed([REPLY[:cut], REPLY[cut:]])] == [
            piece for _, piece in by_char]


def test_a_marker_cited_twice_keeps_its_number() -> None:
    text, citations = LLMAnswerer("http://127.0.0.1:9/v1", "m").verify(
        "De Pressure Cooker is voor gemeenten [2] en vindt plaats in het najaar [2].", PASSAGES)
    assert text == "De Pressure Cooker is voor gemeenten [1] en vindt plaats in het najaar [1]."
    assert [(c.n, c.passage.passage_id) for c in citations] == [(1, "p2")]


def test_nothing_cited_left_means_no_generative_answer() -> None:
    llm = LLMAnswerer("http://127.0.0.1:9/v1", "m")
    assert llm.verify("Ik weet het niet. Dat staat er niet [7].", PASSAGES) is None
    assert llm.verify("", PASSAGES) is None


def test_best_quote_is_a_verbatim_sentence_span() -> None:
    p = PASSAGES[1]
    start, end = best_quote(p, "In het najaar [1]")
    assert p.text[start:end] == "Hij vindt plaats in het najaar."
    bare = Passage("x", "d", "Geen zinnen bekend.", 0, 19)
    assert best_quote(bare, "iets") == (0, len(bare.text))


# --------------------------------------------------------------------------- the service


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pipeline, Path]:
    corpus = tmp_path_factory.mktemp("corpus")
    (corpus / "netco.txt").write_text(
        "NETCO\n\nHet project NETCO liep van mei 2022 tot april 2024. "
        "Amsterdam en Eindhoven namen deel aan NETCO. Barcelona was de coördinator.\n\n"
        "Transitie Pressure Cooker\n\nDe Transitie Pressure Cooker is bedoeld voor gemeenten. "
        "Hij vindt plaats in het najaar.\n", encoding="utf-8")
    root = tmp_path_factory.mktemp("llm-index")
    settings = Settings(corpus_dir=corpus, index_dir=root / "index", cache_dir=root / "cache",
                        collection_prefix="llmtest")
    pipeline = Pipeline(settings, embedder=HashingEmbedder(), index_dir=root / "index")
    pipeline.ingest(corpus, show_progress=False)
    return pipeline, root


QUESTION = "Welke steden namen deel aan NETCO?"


def make_service(index, **llm) -> Assistant:
    pipeline, _ = index
    service = build_assistant(pipeline.settings.model_copy(update=llm), pipeline=pipeline,
                              policy=FixedPolicy())  # the hashing embedder's cosines: answer everything
    return service


def extractive(index) -> Answer:
    return make_service(index).ask(QUESTION)


def test_stream_yields_each_checked_sentence_as_it_completes_then_the_answer(index, fake_llm) -> None:
    gate = threading.Event()
    fake_llm.script = Script(["Amsterdam en Eindhoven namen deel [1]. Verzon", "nen zin. ",
                              "Parijs ook [9]. ", "Barcelona was de coördinator [1]."], gate=gate)
    service = make_service(index, llm_base_url=fake_llm.url, llm_model="tiny")
    stream = service.stream(QUESTION)
    # Out as soon as the next sentence begins: the server holds the rest until we have it.
    assert next(stream) == "Amsterdam en Eindhoven namen deel [1]."
    gate.set()
    *pieces, answer = list(stream)
    assert pieces == [" Barcelona was de coördinator [1]."]  # the uncited and invented dropped
    assert isinstance(answer, Answer) and not answer.refused
    assert answer.text == "Amsterdam en Eindhoven namen deel [1]. Barcelona was de coördinator [1]."
    [citation] = answer.citations
    assert citation.n == 1 and citation.quote in citation.passage.text
    assert "Amsterdam en Eindhoven" in citation.quote
    [request] = fake_llm.requests
    assert QUESTION in request["body"]["messages"][1]["content"]


def test_ask_uses_the_same_path(index, fake_llm) -> None:
    fake_llm.script = Script(["Amsterdam en Eindhoven [1]."])
    answer = make_service(index, llm_base_url=fake_llm.url).ask(QUESTION)
    assert answer.text == "Amsterdam en Eindhoven [1]." and len(fake_llm.requests) == 1


@pytest.mark.parametrize("failure", ["status 500", "refused", "timeout", "malformed", "no [DONE]",
                                     "nothing cited"])
def test_failures_fall_back_to_the_extractive_answer(index, fake_llm, failure, caplog) -> None:
    url, timeout = fake_llm.url, 5.0
    if failure == "status 500":
        fake_llm.script = Script(status=500)
    elif failure == "refused":
        url = f"http://127.0.0.1:{closed_port()}/v1"
    elif failure == "timeout":
        fake_llm.script, timeout = Script(["te laat [1]."], delay_s=2.0), 0.3
    elif failure == "malformed":
        fake_llm.script = Script(raw=['data: {"choices":[{"delta":{"content":"Amsterdam [1]"}}]}',
                                      "data: {not json"])
    elif failure == "no [DONE]":
        fake_llm.script = Script(raw=['data: {"choices":[{"delta":{"content":"Amsterdam [1]."}}]}'])
    else:
        fake_llm.script = Script(["Dat staat er niet in."])
    service = make_service(index, llm_base_url=url, llm_timeout_s=timeout)
    with caplog.at_level(logging.WARNING, logger="assistant.service"):
        items = list(service.stream(QUESTION))  # no exception reaches the caller
        asked = service.ask(QUESTION)
    expected = extractive(index)
    assert items[-1] == expected and asked == expected
    assert "".join(items[:-1]).strip() == expected.text  # nothing of the failed reply was shown
    assert any("extractive" in r.getMessage() for r in caplog.records)


def test_without_an_endpoint_nothing_is_called(index, fake_llm) -> None:
    service = make_service(index)
    assert service.settings.llm_base_url is None and service.llm is None
    items = list(service.stream(QUESTION))
    assert items[-1].citations and not fake_llm.requests
    assert "".join(items[:-1]).strip() == items[-1].text  # paragraphs, as before


def test_a_refused_question_never_reaches_the_endpoint(index, fake_llm) -> None:
    pipeline, _ = index
    service = build_assistant(pipeline.settings.model_copy(update={"llm_base_url": fake_llm.url}),
                              pipeline=pipeline, policy=FixedPolicy(answer=()))
    assert service.ask(QUESTION).refused and not fake_llm.requests


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", "http://127.0.0.1:11434/v1")
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", "qwen")
    monkeypatch.setenv("ASSISTANT_LLM_API_KEY", "sk-test-123")
    monkeypatch.setenv("ASSISTANT_LLM_TIMEOUT_S", "7.5")
    llm = LLMAnswerer.from_settings(Settings())
    assert (llm.url, llm.model, llm.api_key, llm.timeout_s) == (
        "http://127.0.0.1:11434/v1/chat/completions", "qwen", "sk-test-123", 7.5)
    assert "sk-test-123" not in repr(Settings())  # the key is a secret


# --------------------------------------------------------------------------- the API


def test_api_stream_sends_only_the_verified_text(index, fake_llm) -> None:
    from fastapi.testclient import TestClient

    from assistant.serve.server import create_app

    fake_llm.script = Script(["Amsterdam en Eindhoven [1]. ", "Verzonnen."])
    service = make_service(index, llm_base_url=fake_llm.url)
    with TestClient(create_app(service.settings, service, with_ui=False)) as client, \
            client.stream("POST", "/api/ask/stream", json={"question": QUESTION}) as reply:
        assert reply.status_code == 200
        events = [(name, json.loads(data)) for name, data in sse_events(reply)]
    names = [n for n, _ in events]
    # The checked sentence alone is streamed; it is the final text, so no `answer` replaces it.
    assert names == ["delta", "citations", "done"], names
    assert events[0][1] == {"text": "Amsterdam en Eindhoven [1]."}
    assert [c["n"] for c in events[1][1]] == [1]


def test_a_failure_mid_reply_keeps_the_sentences_already_shown(index, fake_llm) -> None:
    """What streamed stays the start of the final text: the cut sentence is never shown."""
    fake_llm.script = Script(raw=['data: {"choices":[{"delta":{"content":'
                                  '"Amsterdam en Eindhoven namen deel [1]. Barcelona was"}}]}',
                                  "data: {not json"])
    service = make_service(index, llm_base_url=fake_llm.url)
    *pieces, answer = list(service.stream(QUESTION))
    assert pieces == ["Amsterdam en Eindhoven namen deel [1]."]
    assert answer.text == "Amsterdam en Eindhoven namen deel [1]." and answer != extractive(index)
    assert [c.n for c in answer.citations] == [1]


def test_v1_stream_ends_with_the_final_texts_rest(tmp_path, fake_llm) -> None:
    """An OpenAI client can only append: an LLM answer's old-sources notice comes as one more
    content chunk after the checked sentences."""
    from fastapi.testclient import TestClient

    from assistant.answer.messages import say
    from assistant.serve.server import create_app

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "netco.txt").write_text("NETCO\n\nAmsterdam en Eindhoven namen deel aan NETCO.\n",
                                      encoding="utf-8")
    (corpus / "netco.txt.meta.json").write_text('{"date": "2014-03-01"}', encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache",
                        collection_prefix="llmv1", llm_base_url=fake_llm.url)
    pipeline = Pipeline(settings, embedder=HashingEmbedder(), index_dir=tmp_path / "index")
    pipeline.ingest(corpus, show_progress=False)
    service = build_assistant(settings, pipeline=pipeline,
                              policy=FixedPolicy())
    fake_llm.script = Script(["Amsterdam en Eindhoven namen deel [1]."])
    with TestClient(create_app(settings, service, with_ui=False)) as client, \
            client.stream("POST", "/v1/chat/completions",
                          json={"model": "m", "stream": True,
                                "messages": [{"role": "user", "content": QUESTION}]}) as reply:
        chunks = [json.loads(data) for _, data in sse_events(reply) if data != "[DONE]"]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == "Amsterdam en Eindhoven namen deel [1].\n\n" + say("dated", "nl", years="2014")
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["citations"]
