"""The "no 5xx, one error shape" promise in the places issue 22 (item 5) found it broken,
over real HTTP on loopback with the product's app and uvicorn settings."""

from __future__ import annotations

import json
import socket

import httpx
import pytest
from test_guard_routes import (GuardedServer, assert_error_shape, assert_security_headers,  # noqa: F401
                               client, gradio_tmp, guarded_service, live, pipeline)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("stream", [False, True])
def test_v1_with_a_lone_surrogate_as_model_is_a_422(client: httpx.Client, stream: bool) -> None:
    body = ('{"model": "\\ud800", "stream": %s, "messages": [{"role": "user", '
            '"content": "Wat is NETCO?"}]}' % json.dumps(stream))
    reply = client.post("/v1/chat/completions", content=body,
                        headers={"content-type": "application/json"})
    assert_error_shape(reply, 422)
    assert "model" in reply.json()["error"]["message"]


@pytest.mark.parametrize("path", ["/static/", "/assets/", "/svelte/"])
@pytest.mark.parametrize("name", ["a" * 256, "é" * 128, "b" * 4000])
def test_asset_names_over_255_bytes_are_404(client: httpx.Client, path: str, name: str) -> None:
    reply = client.get(path + name)
    assert_error_shape(reply, 404)
    assert_security_headers(reply.headers)


@pytest.mark.parametrize("method, path", [("FOO", "/api/ask"), ("POST", "/demo"),
                                          ("PUT", "/widget.js"), ("DELETE", "/privacy"),
                                          ("FOO", "/v1/chat/completions"), ("PATCH", "/chat.js")])
def test_unknown_methods_on_the_apps_own_paths_are_405_in_the_shape(
        client: httpx.Client, method: str, path: str) -> None:
    reply = client.request(method, path)
    assert_error_shape(reply, 405)
    assert reply.headers["allow"]


def test_head_is_answered_where_get_is(client: httpx.Client) -> None:
    for path in ("/api/health", "/widget.js", "/privacy", "/demo"):
        get, head = client.get(path), client.head(path)
        assert head.status_code == get.status_code, path
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]
        assert_security_headers(head.headers)


def test_a_full_server_answers_503_in_the_shape(pipeline, gradio_tmp, tmp_path) -> None:
    service = guarded_service(pipeline, tmp_path, max_connections=10, header_timeout_s=30)
    with GuardedServer(service) as server:
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(10)]
        try:
            with httpx.Client(base_url=server.url, timeout=10) as other:
                reply = other.get("/api/health")
            assert_error_shape(reply, 503)
            assert reply.headers["retry-after"]
            assert_security_headers(reply.headers)
        finally:
            for sock in held:
                sock.close()
