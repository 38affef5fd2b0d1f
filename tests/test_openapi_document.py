"""The served OpenAPI document as standard tools read it, and every reply checked against it.

openapi-spec-validator must accept the document; each documented operation is then called
over real HTTP (the app under uvicorn, the Gradio chat mounted at `/` as `assistant serve`
does) and its reply validated, with a JSON Schema 2020-12 validator, against the schema the
document gives for that status and content type; the server-sent events of both streams
against the schemas `x-sse-events` names. The hashing embedder stands in for the model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial

import httpx
import pytest
from fake_service import QUESTION, fake_service
from loopback import LoopbackServer, sse_events
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from assistant.serve.server import create_app, server_config
from assistant.service import Assistant

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    return fake_service(tmp_path_factory.mktemp("openapi"))


@pytest.fixture(scope="module")
def client(service: Assistant) -> Iterator[httpx.Client]:
    config = partial(server_config, settings=service.settings)  # h11, as `assistant serve`
    with LoopbackServer(create_app(service.settings, service), config=config, lifespan="on") as server:
        server.wait_ready()
        with httpx.Client(base_url=server.url, timeout=60) as client:
            yield client


@pytest.fixture(scope="module")
def document(client: httpx.Client) -> dict:
    return client.get("/api/openapi.json").json()


def conforms(document: dict, schema: dict, value) -> None:
    """`value` against `schema`, its `#/components/...` references resolved in `document`."""
    validator = OAS31Validator({**schema, "components": document["components"]})
    errors = sorted(validator.iter_errors(value), key=str)
    assert not errors, f"{errors[0].message} at {list(errors[0].absolute_path)}: {value!r:.300}"


def check_reply(document: dict, reply: httpx.Response, path: str, method: str) -> None:
    """The reply's status is documented for the operation, and its JSON body fits that schema."""
    responses = document["paths"][path][method]["responses"]
    assert str(reply.status_code) in responses, (path, method, reply.status_code, reply.text)
    content = responses[str(reply.status_code)]["content"]
    media = reply.headers["content-type"].split(";")[0]
    assert media in content, (path, reply.status_code, media, list(content))
    conforms(document, content[media]["schema"], reply.json())


def test_the_served_document_passes_openapi_spec_validator(document: dict) -> None:
    validate(document)  # raises on any error: a question pattern Python cannot compile was one
    question = document["components"]["schemas"]["AskRequest"]["properties"]["question"]
    conforms(document, question, "Wat is een proeftuin?")
    conforms(document, question, "été")  # letters beyond ASCII are letters
    with pytest.raises(AssertionError):
        conforms(document, question, "?!")  # no letter or digit: the service says 422 too


def test_documented_replies_fit_their_schemas(client: httpx.Client, document: dict) -> None:
    calls = [
        ("/api/ask", "post", {"json": {"question": QUESTION}}),
        ("/api/ask", "post", {"json": {"question": "?!"}}),
        ("/api/ask", "post", {"json": {"question": QUESTION, "history": [{"role": "tool", "content": "x"}]}}),
        ("/api/search", "get", {"params": {"q": QUESTION, "k": 3}}),
        ("/api/search", "get", {"params": {"q": QUESTION, "k": 0}}),
        ("/api/health", "get", {}),
        ("/api/feedback", "post", {"json": {"vote": "up", "passage_ids": ["0123abcd"]}}),
        ("/v1/models", "get", {}),
        ("/v1/chat/completions", "post", {"json": {"messages": [{"role": "user", "content": QUESTION}]}}),
        ("/v1/chat/completions", "post", {"json": {"messages": [{"role": "user", "content": QUESTION}],
                                                   "n": 2}}),
        ("/v1/chat/completions", "post", {"json": {"messages": [{"role": "tool", "content": QUESTION}]}}),
    ]
    statuses = []
    for path, method, options in calls:
        reply = client.request(method.upper(), path, **options)
        check_reply(document, reply, path, method)
        statuses.append(reply.status_code)
    assert statuses == [200, 422, 422, 200, 422, 200, 201, 200, 200, 400, 422]


def test_a_tool_message_is_outside_the_schema(document: dict) -> None:
    schemas = document["components"]["schemas"]
    for name in ("ChatMessage", "HistoryMessage"):
        assert "tool" not in schemas[name]["properties"]["role"]["enum"], name


def events_fit(document: dict, path: str, events: list[tuple[str, str]]) -> None:
    documented = document["paths"][path]["post"]["responses"]["200"]["content"]["text/event-stream"]
    schemas = documented["x-sse-events"]
    for name, data in events:
        if path == "/v1/chat/completions" and data == "[DONE]":
            continue
        assert name in schemas, (name, list(schemas))
        conforms(document, schemas[name], json.loads(data))


def test_stream_events_fit_their_schemas(client: httpx.Client, document: dict) -> None:
    with client.stream("POST", "/api/ask/stream", json={"question": QUESTION}) as reply:
        assert reply.status_code == 200
        events = sse_events(reply)
    assert {name for name, _ in events} >= {"delta", "citations", "done"}
    events_fit(document, "/api/ask/stream", events)

    request = {"messages": [{"role": "user", "content": QUESTION}], "stream": True,
               "stream_options": {"include_usage": True}}
    with client.stream("POST", "/v1/chat/completions", json=request) as reply:
        assert reply.status_code == 200
        events = sse_events(reply)
    assert events[-1][1] == "[DONE]" and len(events) > 3
    events_fit(document, "/v1/chat/completions", events)


@pytest.mark.parametrize("method", ["QUERY", "PROPFIND", "FOO"])
def test_unknown_methods_get_the_error_shape(client: httpx.Client, method: str) -> None:
    """Every path the app serves itself, asked with a method nobody serves: 405 in the product's
    shape with the methods it has, never the mounted chat's `{"detail": "Not Found"}`."""
    for path, allow in (("/api/ask", "POST"), ("/api/search", "GET"), ("/v1/chat/completions", "POST"),
                        ("/widget.js", "GET"), ("/demo", "GET"), ("/privacy", "GET"),
                        ("/api/openapi.json", "GET")):
        reply = client.request(method, path)
        assert reply.status_code == 405, (method, path, reply.text)
        assert reply.json() == {"error": {"status": 405, "message": "Method Not Allowed"}}
        assert allow in reply.headers["allow"].split(", ")
    for path in ("/api/nothing-here", "/v1/nothing-here"):
        reply = client.request(method, path)
        assert reply.status_code == 404 and reply.json()["error"]["status"] == 404, reply.text
