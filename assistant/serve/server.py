"""One web app: the API (/api, /v1), the widget (/widget.js, /demo), the docs and the chat (/),
behind one Guard (api_guard.py); and the uvicorn settings it is served with (`server_config`).
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import json
import logging
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType

import h11
import uvicorn
from fastapi import FastAPI, Query
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.datastructures import Headers
from uvicorn.protocols.http.h11_impl import H11Protocol

from assistant.serve.api import install_api
from assistant.serve.api_state import Readiness
from assistant.serve.api_guard import BUSY_SECONDS, Guard, StreamLimits
from assistant.serve.error_shape import error_body
from assistant.serve.api_messages import preferred_language, say
from assistant.answer.catalogue import chat_script, widget_script
from assistant.serve.chat_routes import ChatEvents
from assistant.serve.feedback_log import FeedbackLog
from assistant.serve.log_guard import guard_logs
from assistant.serve.security_headers import security_headers
from assistant.config import Settings
from assistant.serve.official_pages import install_official_pages
from assistant.languages import LANGUAGES
from assistant.serve.origins import ForwardedHeaders
from assistant.service import Assistant
from assistant.wiring import build_assistant

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
UI_FILE = Path(__file__).resolve().parents[2] / "ui.py"  # the Gradio chat, beside the package


def create_app(settings: Settings, service: Assistant | None = None, *,
               with_ui: bool = True) -> FastAPI:
    """The app `assistant serve` runs. The model, the index and the fitted files load in the
    background at start-up (`/api/health` says 503 until they are ready); the chat is mounted
    at `/` when `ui.py` (the Gradio chat) exists and `with_ui` is true. Limits and origins come
    from the service's settings."""
    settings = service.settings if service else settings

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        readiness.start()
        yield

    app = FastAPI(
        title="Housing knowledge-base assistant",
        description="Answers questions on cooperative, collaborative and social housing from a "
                    "curated knowledge base (NL/FR/EN), quoting the documents with numbered sources.",
        version="0.1.0",
        docs_url=None,  # Swagger UI loads assets from a CDN; /api/docs below is self-contained
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    insight = install_official_pages(app, settings)  # /privacy, /insight; answers counted
    service = (service or build_assistant(settings)).counting(insight)
    readiness = Readiness(service.pipeline)

    @app.get("/api/docs", include_in_schema=False)  # before the API's catch-all for /api/*
    def docs() -> FileResponse:
        return FileResponse(STATIC_DIR / "docs.html", media_type="text/html; charset=utf-8")

    state = install_api(app, service, readiness, insight.feedback)  # votes: one writer, one lock

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> Response:
        """The widget with its texts from the catalogue written in."""
        return Response(widget_script(), media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300",
                                 "Cross-Origin-Resource-Policy": "cross-origin"})

    @app.get("/chat.js", include_in_schema=False)
    def chat() -> Response:
        """The chat page's own script (ui.HEAD loads it), its texts from the catalogue."""
        return Response(chat_script(), media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300"})

    @app.get("/demo", include_in_schema=False)
    def demo(lang: str = Query("nl")) -> HTMLResponse:
        """A demo portal page that embeds the widget with one script tag (`?lang=fr|en|nl`)."""
        lang = lang if lang in LANGUAGES else "nl"
        page = (STATIC_DIR / "demo.html").read_text(encoding="utf-8")
        return HTMLResponse(page.replace("{{lang}}", lang))

    own_routes = list(app.routes)
    blocks = _mount_ui(app, service, state.feedback) if with_ui else None
    guard_logs()  # Gradio's tracebacks (they repeat the client's input) become one line
    app.state.chat = blocks
    app.add_middleware(Guard, allowed_origins=settings.allowed_origins,
                       public_hosts=settings.public_hosts,
                       max_body_bytes=settings.max_body_bytes,
                       max_chat_body_bytes=settings.max_chat_body_bytes,
                       body_timeout_s=settings.body_timeout_s, own_routes=own_routes,
                       chat=ChatEvents(blocks) if blocks is not None else None,
                       budgets=state.budgets(),
                       streams=StreamLimits(settings.max_streams_per_client,
                                            max(1, settings.max_connections // 2),
                                            settings.max_stream_seconds))
    app.add_middleware(HeadAsGet)  # outside the guard: it sees a GET, its reply loses the body
    # Outermost: the guard keys budgets on the real client, and neither it nor Gradio reads
    # a forwarding header from a peer that is no trusted proxy.
    app.add_middleware(ForwardedHeaders, trusted_hosts=settings.trusted_proxies)
    return app


def load_ui() -> ModuleType | None:
    """The `ui` module (imported lazily: Gradio is slow to import), or None if there is none."""
    if "ui" in sys.modules:
        return sys.modules["ui"]
    if UI_FILE.exists():  # `assistant serve` runs from a console script: ui.py is not on sys.path
        spec = importlib.util.spec_from_file_location("ui", UI_FILE)
        module = importlib.util.module_from_spec(spec)
        sys.modules["ui"] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules["ui"]
            raise
        return module
    try:
        return importlib.import_module("ui")
    except ModuleNotFoundError as error:
        if error.name != "ui":
            raise
        return None


def _mount_ui(app: FastAPI, service: Assistant, feedback: FeedbackLog):
    """Mount the Gradio chat at `/` (last: it catches every path the routes above leave);
    the mounted Blocks, or None without ui.py."""
    ui = load_ui()
    if ui is None:
        logger.warning("ui.py not found: the chat is not mounted at /")
        return None
    return ui.mount(app, service, feedback)


class HeadAsGet:
    """HEAD is GET without the body (RFC 9110): FastAPI's routes take GET only, so
    `HEAD /api/health` was 405. The request goes in as GET; the reply keeps its status and
    headers (Content-Length included) and drops the body."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headless(message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headless)


# --------------------------------------------------------------------------- serving


class RedactQuery(logging.Filter):
    """Access-log lines keep the path but not the query string (`/api/search?q=` is a question)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            path, sep, _query = args[2].partition("?")
            record.args = (args[0], args[1], path + ("?…" if sep else ""), *args[3:])
        return True


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the two limits it lacks. A connection opened beyond
    `limit_concurrency` is closed at once (idle, it would hold a file descriptor until it
    sent a request), and a connection with no request under way for `header_timeout`
    seconds, since it opened or since its last response, is closed: uvicorn's keep-alive
    timer starts only after a response and stops at the next byte, so a client trickling a
    request head (or an unread body) held its socket for ever. Bodies have the guard's timeout."""

    header_timeout = 10.0
    # Connections past the cap that may still wait for their request's head, to be told 503
    # in the product's shape; past these too, a connection is closed at once.
    overflow = 32
    _idle: asyncio.TimerHandle | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # uvicorn answers a request past its limit in plain text: the cap is applied here.
        self.cap, self.limit_concurrency = self.limit_concurrency, None
        self.full = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.cap is not None and len(self.connections) > self.cap:
            if len(self.connections) > self.cap + self.overflow:
                transport.close()
                return
            self.full = True  # its request, if it comes at once, gets the 503
            self.app = _server_full
            self._idle = self.loop.call_later(min(self.header_timeout, 2.0), self._close_if_idle)
            return
        self.app = _within_cap(self.app, self)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._idle is not None:
            self._idle.cancel()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def send_400_response(self, msg: str) -> None:
        """A malformed request (or a head over 16 kB) in the product's error shape."""
        body = json.dumps(error_body(400, msg)).encode()
        headers = [(b"content-type", b"application/json"), (b"connection", b"close"),
                   *security_headers()]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                      h11.Data(data=body), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self.transport.close()

    def _arm(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        self._idle = self.loop.call_later(self.header_timeout, self._close_if_idle)

    def _close_if_idle(self) -> None:
        if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
            self.transport.close()


async def _server_full(scope, receive, send) -> None:
    """The answer of a server at its connection cap (or running as many requests)."""
    if scope["type"] != "http":
        return
    language = preferred_language(Headers(scope=scope))
    body = json.dumps(error_body(503, say("busy", language)), ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"retry-after", str(BUSY_SECONDS).encode()),
                            (b"connection", b"close"), *security_headers()]})
    await send({"type": "http.response.body", "body": body})


def _within_cap(app, protocol: GuardedH11Protocol):
    """`app`, unless as many requests as the cap are running (uvicorn's other limit)."""
    async def capped(scope, receive, send) -> None:
        if len(protocol.tasks) > protocol.cap:
            await _server_full(scope, receive, send)
        else:
            await app(scope, receive, send)

    return capped if protocol.cap is not None else app


def server_config(app, settings: Settings, host: str = "127.0.0.1", port: int = 7860,
                  **options) -> uvicorn.Config:
    """How `assistant serve` runs `app`: forwarded headers only from `trusted_proxies` (the
    app reads them, origins.ForwardedHeaders; uvicorn does not), a cap on open connections,
    deadlines for request heads and idle connections, no WebSocket, redacted access log,
    bounded log lines with no request content (log_guard.py). (h11 bounds a head still
    arriving to 16 kB; the guard refuses a complete one over that.)"""
    protocol = type("GuardedH11Protocol", (GuardedH11Protocol,),
                    {"header_timeout": settings.header_timeout_s})
    config = uvicorn.Config(app, host=host, port=port, http=protocol, ws="none",
                            proxy_headers=False, server_header=False, timeout_keep_alive=5,
                            limit_concurrency=settings.max_connections,
                            h11_max_incomplete_event_size=16 * 1024,
                            **{"log_level": "info", **options})
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactQuery) for f in access.filters):
        access.addFilter(RedactQuery())
    guard_logs()  # on the handlers uvicorn.Config just set up: bounded lines, no request content
    return config


def run(host: str = "127.0.0.1", port: int = 7860, settings: Settings | None = None) -> None:
    """Serve everything with uvicorn (blocks until interrupted)."""
    settings = settings or Settings()
    uvicorn.Server(server_config(create_app(settings), settings, host, port)).run()
