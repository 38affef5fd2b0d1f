"""Nobody locked out by the chat's long-lived streams (issue 22, item 1), over real HTTP on
loopback with the product's app and uvicorn settings (`server_config`).

Other clients come from other loopback addresses (127.0.0.2, ...): the guard keys its limits
on the client's address.
"""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest
from test_guard_routes import (GuardedServer, chat_events, gradio_tmp, guarded_service,  # noqa: F401
                               pipeline)

from assistant.serve.api_guard import Guard

pytestmark = pytest.mark.slow

def other_client(server: GuardedServer, address: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30,
                        transport=httpx.HTTPTransport(local_address=address))


def open_heartbeat(port: int, session: str, address: str = "127.0.0.1") -> tuple[socket.socket, bytes]:
    """A raw heartbeat GET and what came back first (the head of a 200 stream, or a refusal)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(address, 0))
    sock.sendall(f"GET /gradio_api/heartbeat/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    return sock, sock.recv(65536)


def refusal(head: bytes) -> tuple[int, dict]:
    """Status and JSON body of a complete refusal."""
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(head.partition(b"\r\n\r\n")[2])


def open_streams(server: GuardedServer, settled: int = 0, timeout: float = 30):
    """The guard's count of open streams, once it is `settled` (a closed socket is noticed
    by the server a moment later)."""
    app = server.app.middleware_stack
    while not isinstance(app, Guard):
        app = app.app
    deadline = time.monotonic() + timeout
    while app.streams.total != settled and time.monotonic() < deadline:
        time.sleep(0.05)
    return app.streams




def test_a_heartbeat_flood_from_one_address_leaves_other_clients_answered(
        pipeline, gradio_tmp, tmp_path) -> None:
    service = guarded_service(pipeline, tmp_path, max_connections=20, header_timeout_s=30)
    with GuardedServer(service) as server:
        held, refused = [], []
        try:
            for i in range(20):  # as many as the server takes connections
                sock, head = open_heartbeat(server.port, f"flood{i}")
                (held if head.startswith(b"HTTP/1.1 200 ") else refused).append((sock, head))
            for address in ("127.0.0.2", "127.0.0.3"):
                with other_client(server, address) as other:
                    assert other.get("/api/health").status_code == 200
                    assert other.get("/").status_code == 200
            assert len(held) == service.settings.max_streams_per_client, len(held)
            for sock, head in refused:
                status, body = refusal(head)
                assert status == 429 and body["error"]["status"] == 429, head
                assert b"retry-after:" in head.lower() and b"connection: close" in head.lower()
                assert sock.recv(1) == b""  # closed by the server: no slot kept
            for sock, head in held:  # the flood's own streams are still served
                assert b"data: ALIVE" in head or sock.recv(65536).startswith(b"data: ALIVE") \
                    or b"ALIVE" in head
        finally:
            for sock, _ in held + refused:
                sock.close()


def test_streams_in_all_are_capped_and_charged_to_the_cheap_budget(
        pipeline, gradio_tmp, tmp_path) -> None:
    service = guarded_service(pipeline, tmp_path, max_connections=20, header_timeout_s=30,
                              max_streams_per_client=4, search_rate_limit="6/minute")
    with GuardedServer(service) as server:
        heads, socks = [], []
        try:
            for n, address in enumerate(("127.0.0.2", "127.0.0.3", "127.0.0.4")):
                for i in range(4):
                    sock, head = open_heartbeat(server.port, f"all{n}x{i}", address)
                    socks.append(sock)
                    heads.append(head)
            opened = [h for h in heads if h.startswith(b"HTTP/1.1 200 ")]
            assert len(opened) == 10, len(opened)  # half of max_connections
            for head in heads[10:]:
                status, body = refusal(head)
                assert status == 503 and body["error"]["status"] == 503 and b"retry-after:" in head.lower()
            # 127.0.0.4 opened 2 and was refused 2: its cheap budget (6/minute) is spent at
            # the next two openings, even once streams are free again.
            for sock in socks:
                sock.close()
            assert open_streams(server, settled=0).total == 0
            statuses = []
            for i in range(3):
                sock, head = open_heartbeat(server.port, f"budget{i}", "127.0.0.4")
                socks.append(sock)
                statuses.append(int(head.split(b" ", 2)[1]))
            assert statuses == [200, 200, 429], statuses
        finally:
            for sock in socks:
                sock.close()


def test_a_stream_ends_after_its_lifetime_and_frees_its_place(pipeline, gradio_tmp, tmp_path) -> None:
    service = guarded_service(pipeline, tmp_path, max_stream_seconds=1, max_streams_per_client=2)
    with GuardedServer(service) as server, server.client() as client:
        for i in range(3):  # the place of each is free again once it ended
            with client.stream("GET", f"/gradio_api/heartbeat/life{i}") as reply:
                assert reply.status_code == 200
                lines = list(reply.iter_lines())  # ends by itself (read timeout: 30 s)
            assert "data: ALIVE" in lines
        # A question in progress keeps its answer stream beyond the lifetime.
        fns = server.app.state.chat.fns
        ask = next(i for i, fn in fns.items() if fn.concurrency_id == "answer")
        body = {"data": ["slow: wat is NETCO?"] + [None] * (len(fns[ask].inputs) - 1),
                "fn_index": ask, "trigger_id": 1, "session_hash": "lifeslow1"}
        assert client.post("/gradio_api/queue/join", json=body).status_code == 200
        messages = chat_events(client, "lifeslow1", count=1)  # SLOW_SECONDS (2) > lifetime
        assert messages[-1]["msg"] == "process_completed" and messages[-1]["success"]
