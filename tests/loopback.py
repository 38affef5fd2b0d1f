"""An ASGI app served by uvicorn in a thread of the test process, on a loopback port; and a
static page on a loopback origin of its own (a portal that embeds the widget, a framing site);
and the parser of the server-sent events the API streams.

In-process (not `assistant serve` in a child, as live_server.py does) so that a test can hand
the app its own service, fakes and settings and look at them, and at uvicorn's loggers, while
real HTTP goes over the socket.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

import httpx
import uvicorn
from conftest import free_port

START_SECONDS = 120  # a Gradio app starting on a loaded 2-core machine


class LoopbackServer:
    """uvicorn serving `app` on 127.0.0.1 in a daemon thread while the `with` block runs.

    `port` is for a caller that needs the address before the app exists (a portal page that
    embeds it, Gradio's `server_port`); `config` builds the uvicorn.Config from the app, host,
    port and `options` (a partial of the product's `server_config` serves as `assistant serve`
    does). The config is built here rather than on entry because it sets up uvicorn's loggers,
    replacing their handlers: a test attaches its own after construction.
    """

    def __init__(self, app, *, port: int | None = None, config=uvicorn.Config, **options) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(config(app, host="127.0.0.1", port=self.port,
                                            **{"log_level": "warning", **options}))
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn-{self.port}",
                                       daemon=True)

    def __enter__(self) -> Self:
        """Returns once uvicorn says `started` (socket bound, lifespan start-up done); a thread
        that ended instead (port taken, start-up failed) fails at once, not at the deadline."""
        self.thread.start()
        deadline = time.monotonic() + START_SECONDS
        while not self.server.started:
            assert self.thread.is_alive(), "uvicorn stopped while starting"
            assert time.monotonic() < deadline, f"uvicorn did not start within {START_SECONDS} s"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)

    def wait_ready(self, timeout: float = 180, *, request_timeout: float = 30,
                   interval: float = 0.2, retry_errors: bool = False) -> dict:
        """Started is not ready: `create_app` loads the model and the index in the background
        and /api/health says 503 until then. Waits for its 200; its body. With `retry_errors`
        a request that fails outright (a connection that a server at its cap closes at once)
        is tried again too, until the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                reply = httpx.get(f"{self.url}/api/health", timeout=request_timeout)
            except httpx.HTTPError as error:
                if not retry_errors:
                    raise
                said = repr(error)
            else:
                if reply.status_code == 200:
                    return reply.json()
                said = f"{reply.status_code} {reply.text}"
            assert time.monotonic() < deadline, f"never ready: {said}"
            time.sleep(interval)


class PageSite:
    """A site on its own loopback origin (`port`, or a free one) while the `with` block runs:
    every GET gets the HTML `page`, or `page(path)` for the request's path and query."""

    def __init__(self, page: bytes | Callable[[str], bytes], port: int | None = None) -> None:
        render = page if callable(page) else (lambda path: page)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                body = render(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port or free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def sse_events(reply: httpx.Response) -> list[tuple[str, str]]:
    """(event, data) pairs of a text/event-stream, parsed line by line as it arrives."""
    events, name, data = [], "message", []
    for line in reply.iter_lines():
        if not line:
            if data:
                events.append((name, "\n".join(data)))
            name, data = "message", []
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
    if data:
        events.append((name, "\n".join(data)))
    return events
