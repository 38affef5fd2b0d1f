"""The server's edge: the Guard every request passes (the error shape: error_shape.py).

`Guard` is pure ASGI middleware around the whole app: the API, the widget and the Gradio
chat. For every route it refuses a request that names a host the deployment is not reached
by (403: DNS rebinding, see origins.py) and browser origins that are neither such a host nor
in the allow-list (403; `/widget.js` loads anywhere), answers CORS only for allowed origins
(never with credentials; Gradio's own CORS headers are dropped), caps the body size (413)
and the time to send it (408), and adds the security headers. On the chat's side it lets
only the routes the chat uses reach Gradio (`chat_routes`), charges each chat event to the
client's budget (429; a question over it goes on marked, see `Guard._charge`), keeps the
chat's long-lived streams within StreamLimits (per client, in all, charged, with a lifetime),
and turns Gradio's errors into the product's shape. An unexpected error is logged as one line and
answered 500 in the same shape.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import Protocol

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.serve.api_messages import preferred_language, say
from assistant.serve.chat_routes import (OVER_BUDGET, ChatEvents, ChatRoute, chat_route,
                                         stream_session)
from assistant.errors import RateLimitedError
from assistant.serve.error_shape import error_body, log_unhandled, status_message
from assistant.serve.origins import Origins
from assistant.serve.security_headers import HEADER_NAMES, security_headers

logger = logging.getLogger(__name__)

# Paths that load on any site: the widget's script is embedded by portals.
EMBEDDABLE = frozenset({"/widget.js"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A request line and headers beyond this are refused (h11 only bounds a head still arriving).
MAX_HEAD_BYTES = 16 * 1024
# A full server's answer: 503, the catalogue's "busy" sentence, Retry-After this long (the
# connection cap in server.py, the cap on open streams here).
BUSY_SECONDS = 5


# --------------------------------------------------------------------------- the guard


class Budget(Protocol):
    def hit(self, key: str, language: str | None) -> None:
        """Count one request for `key`; raise RateLimitedError when over budget."""


class Refused(Exception):
    """A request the guard answers itself, in the product's error shape."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, dict(headers or {})


@dataclass(frozen=True)
class StreamLimits:
    """Gradio's long-lived GETs (heartbeat, queue data; chat_routes' `stream` routes): at most
    `per_client` open per client address (429 past them) and `total` in all (503), a
    heartbeat charged to the client's cheap budget, each ended after `lifetime_s`, or once
    its session has no question in progress, at most `grace_s` later."""

    per_client: int
    total: int
    lifetime_s: float
    grace_s: float = 60.0


class OpenStreams:
    """The streams open now, per client and in all (one event loop: no lock needed)."""

    def __init__(self, limits: StreamLimits) -> None:
        self.limits = limits
        self.by_client: dict[str, int] = {}
        self.total = 0

    @contextmanager
    def held(self, client: str, language: str) -> Iterator[None]:
        if self.by_client.get(client, 0) >= self.limits.per_client:
            raise Refused(429, say("rate_limited", language, seconds=BUSY_SECONDS),
                          {"retry-after": str(BUSY_SECONDS), "connection": "close"})
        if self.total >= self.limits.total:
            raise Refused(503, say("busy", language),
                          {"retry-after": str(BUSY_SECONDS), "connection": "close"})
        self.by_client[client] = self.by_client.get(client, 0) + 1
        self.total += 1
        try:
            yield
        finally:
            self.total -= 1
            self.by_client[client] -= 1
            if not self.by_client[client]:
                del self.by_client[client]


class Guard:
    """See the module docstring. `own_routes` are the app's routes besides the chat; with
    `chat` (the mounted Blocks' events) every other path is the chat's."""

    ALLOW_METHODS = "GET, POST, OPTIONS"
    ALLOW_HEADERS = "accept, accept-language, authorization, content-type"

    def __init__(self, app: ASGIApp, *, allowed_origins: Sequence[str], max_body_bytes: int,
                 max_chat_body_bytes: int | None = None, body_timeout_s: float = 10.0,
                 own_routes: Iterable = (), chat: ChatEvents | None = None,
                 budgets: Mapping[str, Budget] | None = None,
                 streams: StreamLimits | None = None, public_hosts: Sequence[str] = ()) -> None:
        self.app = app
        self.origins = Origins(allowed_origins, public_hosts)
        self.max_body_bytes = max_body_bytes
        self.max_chat_body_bytes = max_chat_body_bytes or max_body_bytes
        self.body_timeout_s = body_timeout_s
        # (path pattern, methods): None takes every method (the API's catch-alls).
        self.own = tuple((route.path_regex, route.methods) for route in own_routes
                         if hasattr(route, "methods"))
        self.chat = chat
        self.budgets = dict(budgets or {})
        self.streams = OpenStreams(streams) if streams is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # no route takes one
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        language = preferred_language(headers)
        reply = Reply(send, language)
        try:
            await self._serve(scope, receive, headers, reply)
        except Refused as refusal:
            await reply.error(refusal.status, refusal.message, refusal.headers)
        except RateLimitedError as error:
            await reply.error(429, str(error), {"retry-after": str(error.retry_after)})
        except Exception as error:  # noqa: BLE001  (one line in the log, never a traceback out)
            log_unhandled(error, scope["method"], scope["path"])
            if reply.started:
                await reply.end_stream()
            else:
                await reply.error(500, say("internal", language))

    async def _serve(self, scope: Scope, receive: Receive, headers: Headers, reply: Reply) -> None:
        method, path = scope["method"], scope["path"]
        if _head_size(scope) > MAX_HEAD_BYTES:
            raise Refused(431, HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE.phrase, {"connection": "close"})
        if not self.origins.addressed(scope, headers):
            logger.warning("refused a request for a host not in ASSISTANT_PUBLIC_HOSTS")
            raise Refused(403, say("forbidden_origin", reply.language))
        preflight = method == "OPTIONS" and "access-control-request-method" in headers
        route = self._chat_route(method, path, preflight)
        reply.cors = self._cors(headers.get("origin"), scope, path, reply.language)
        if preflight:
            await reply.empty(204, {"access-control-max-age": "600",
                                    "access-control-allow-methods": self.ALLOW_METHODS,
                                    "access-control-allow-headers": self.ALLOW_HEADERS})
            return
        over_budget = None
        if method in BODY_METHODS:
            limit = self.max_chat_body_bytes if route is not None and route.join else self.max_body_bytes
            body = await self._read_body(headers, receive, limit, reply.language)
            receive = _replay(body, receive)
            if route is not None and route.join:
                over_budget = self._charge(b"".join(m.get("body", b"") for m in body), scope,
                                           reply.language)
        if route is not None:
            scope = _for_gradio(scope, route, over_budget)
            reply.rewrite_errors = True
            if route.stream and self.streams is not None:
                await self._stream(scope, receive, reply, route.charged)
                return
        await self.app(scope, receive, reply)
        await reply.finish()

    async def _stream(self, scope: Scope, receive: Receive, reply: Reply, charged: bool) -> None:
        """A long-lived GET of the chat within StreamLimits: charged (the heartbeat), counted,
        and ended (as a finished event stream) at its lifetime, once its session is idle."""
        client = client_key(scope)
        if charged and "search" in self.budgets:
            try:
                self.budgets["search"].hit(f"search:{client}", reply.language)
            except RateLimitedError as error:  # and the connection is not kept waiting
                raise Refused(429, str(error), {"retry-after": str(error.retry_after),
                                                "connection": "close"}) from None
        limits = self.streams.limits
        session = stream_session(scope["path"], scope.get("query_string") or b"")
        loop = asyncio.get_running_loop()
        last_call = loop.time() + limits.lifetime_s + limits.grace_s
        with self.streams.held(client, reply.language):
            try:
                async with asyncio.timeout(None) as timer:
                    def expire() -> None:
                        nonlocal handle
                        if self.chat is not None and self.chat.busy(session) and loop.time() < last_call:
                            handle = loop.call_later(1.0, expire)
                        else:
                            timer.reschedule(loop.time())

                    handle = loop.call_later(limits.lifetime_s, expire)
                    try:
                        await self.app(scope, receive, reply)
                    finally:
                        handle.cancel()
            except TimeoutError:
                if reply.started:
                    await reply.end_stream()
                else:
                    await reply.error(503, say("busy", reply.language),
                                      {"retry-after": str(BUSY_SECONDS)})
                return
        await reply.finish()

    def _chat_route(self, method: str, path: str, preflight: bool) -> ChatRoute | None:
        """The chat's route for `path` (None for the app's own routes), or Refused."""
        own = [methods for pattern, methods in self.own if pattern.match(path)]
        if own and not preflight and None not in own and not any(method in m for m in own):
            # The app's own path with a method it lacks (QUERY /widget.js): not the chat's 404.
            raise Refused(405, HTTPStatus.METHOD_NOT_ALLOWED.phrase,
                          {"allow": ", ".join(sorted(set().union(*own)))})
        if self.chat is None or own:
            return None
        route = chat_route(path)
        if route is None:
            raise Refused(404, HTTPStatus.NOT_FOUND.phrase)
        if method not in route.methods and not preflight:
            raise Refused(405, HTTPStatus.METHOD_NOT_ALLOWED.phrase,
                          {"allow": ", ".join(sorted(route.methods))})
        return route

    def _cors(self, origin: str | None, scope: Scope, path: str, language: str) -> dict[str, str]:
        """CORS headers for an allowed origin (none for a page of the server's own hosts);
        Refused for a foreign one."""
        if origin is None or path in EMBEDDABLE:
            return {}
        cors = self.origins.cors(origin, scope)
        if cors is None:
            raise Refused(403, say("forbidden_origin", language))
        return cors

    def _charge(self, body: bytes, scope: Scope, language: str) -> int | None:
        """Charge the event a join names to the client's budget; RateLimitedError when over it,
        but for a question: the seconds until the ask budget allows one (the chat answers
        with them, chat_routes.OVER_BUDGET). That answer searches nothing, so it is charged
        to the budget of cheap events instead: past that one too, a flood of questions is
        still refused here and never fills Gradio's queue."""
        event = self.chat.joined(body)
        if event is None:
            raise Refused(422, say("invalid", language, detail="not an event of this chat"))
        client = client_key(scope)
        try:
            self.budgets[event.budget].hit(f"{event.budget}:{client}", language)
        except RateLimitedError as error:
            if event.budget != "ask":
                raise
            self.budgets["search"].hit(f"search:{client}", language)
            return error.retry_after
        return None

    async def _read_body(self, headers: Headers, receive: Receive, limit: int,
                         language: str) -> list[Message]:
        """The request's body messages; Refused when larger than `limit` or too slow."""
        too_large = Refused(413, say("body_too_large", language, limit=limit), {"connection": "close"})
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise too_large
        try:
            async with asyncio.timeout(self.body_timeout_s):
                return await _receive_body(receive, limit, too_large)
        except TimeoutError:
            raise Refused(408, HTTPStatus.REQUEST_TIMEOUT.phrase, {"connection": "close"}) from None


def client_key(scope: Scope) -> str:
    """The client's address, as the budgets and StreamLimits key it ("unknown" without one)."""
    return scope["client"][0] if scope.get("client") else "unknown"


async def _receive_body(receive: Receive, limit: int, too_large: Refused) -> list[Message]:
    messages, size = [], 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages
        size += len(message.get("body", b""))
        if size > limit:
            raise too_large
        if not message.get("more_body", False):
            return messages


def _head_size(scope: Scope) -> int:
    return (len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
            + sum(len(k) + len(v) + 4 for k, v in scope["headers"]))


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


def _for_gradio(scope: Scope, route: ChatRoute, over_budget: int | None = None) -> Scope:
    """The request as Gradio should see it: without the page's query, for the page itself
    without compression (see ChatRoute), and the guard's budget decision in its state
    (chat_routes.OVER_BUDGET)."""
    headers = [(k, v) for k, v in scope["headers"]
               if not (route.page and k == b"accept-encoding")]
    return {**scope, "headers": headers,
            "state": {**scope.get("state", {}), OVER_BUDGET: over_budget},
            "query_string": b"" if route.drop_query else scope["query_string"]}


_DROPPED = HEADER_NAMES | {b"vary", b"server"}


class Reply:
    """The `send` the app answers through: adds CORS, `Vary: Origin` and the security
    headers (an HTML page's CSP hashes its inline scripts, so the page is held until its
    last byte), and with `rewrite_errors` replaces an error response by the product's shape."""

    def __init__(self, send: Send, language: str) -> None:
        self.send, self.language = send, language
        self.cors: dict[str, str] = {}
        self.rewrite_errors = False
        self.started = False
        self.streaming = False  # an event stream started, not yet ended
        self.failed: int | None = None  # an error status to answer in our shape
        self.page: tuple[Message, list[bytes]] | None = None

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            await self._start(message)
        elif message["type"] == "http.response.body" and self.failed is None:
            await self._body(message)

    async def _start(self, message: Message) -> None:
        if self.rewrite_errors and message["status"] >= 400:
            self.failed = message["status"]
            return
        if _header(message, b"content-type").startswith(b"text/html"):
            self.page = (message, [])
            return
        await self._send_start(message, security_headers())

    async def _body(self, message: Message) -> None:
        if self.page is None:
            self.streaming = self.streaming and message.get("more_body", False)
            await self.send(message)
            return
        start, chunks = self.page
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            html = b"".join(chunks)
            await self._send_start(start, security_headers(html))
            await self.send({"type": "http.response.body", "body": html})

    async def _send_start(self, message: Message, extra: list[tuple[bytes, bytes]]) -> None:
        kept = [(k, v) for k, v in message.get("headers", [])
                if k.lower() not in _DROPPED and not k.lower().startswith(b"access-control-")]
        cors = [(k.encode(), v.encode()) for k, v in self.cors.items()]
        self.started = True
        self.streaming = _header(message, b"content-type").startswith(b"text/event-stream")
        await self.send({**message, "headers": [*kept, *cors, (b"vary", b"Origin"), *extra]})

    async def end_stream(self) -> None:
        """End an event stream the app broke off (Gradio's queue stream raises after telling
        an unknown session so): its client sees the end of the stream, not a broken chunk.
        Any other started reply is cut off by the server."""
        if self.streaming:
            self.streaming = False
            await self.send({"type": "http.response.body", "body": b"", "more_body": False})

    async def finish(self) -> None:
        """After the app returned: answer a replaced error response."""
        if self.failed is not None and not self.started:
            await self.error(self.failed, status_message(self.failed, self.language))

    async def error(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        body = json.dumps(error_body(status, message), ensure_ascii=False).encode()
        fields = {"content-type": "application/json", "content-length": str(len(body)),
                  **(headers or {})}
        await self._send_start({"type": "http.response.start", "status": status,
                                "headers": [(k.encode(), v.encode()) for k, v in fields.items()]},
                               security_headers())
        await self.send({"type": "http.response.body", "body": body})

    async def empty(self, status: int, headers: Mapping[str, str]) -> None:
        """A reply of our own with no body (a preflight: its CORS headers are kept)."""
        own = [(k.encode(), v.encode()) for k, v in headers.items()]
        await self._send_start({"type": "http.response.start", "status": status, "headers": []},
                               [*own, *security_headers()])
        await self.send({"type": "http.response.body", "body": b""})


def _header(message: Message, name: bytes) -> bytes:
    return next((v for k, v in message.get("headers", []) if k.lower() == name), b"").lower()
