"""The API's edge: one error shape, exception handlers, and the Guard middleware (origins, CORS, body size)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .api_messages import preferred_language, say
from .errors import AssistantError, RateLimitedError

logger = logging.getLogger(__name__)

GUARDED_PREFIXES = ("/api", "/v1")


# --------------------------------------------------------------------------- error shape, client key


def error_body(status: int, message: str) -> dict:
    return {"error": {"status": status, "message": message}}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message), status_code=status, headers=headers)


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --------------------------------------------------------------------------- errors


def validation_message(error: RequestValidationError, language: str) -> str:
    problems = error.errors()
    if any(p.get("type") == "json_invalid" for p in problems):
        return say("malformed_json", language)
    first = problems[0] if problems else {}
    where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("body", "query"))
    detail = f"{where}: {first.get('msg', 'invalid value')}" if where else first.get("msg", "invalid value")
    return say("invalid", language, detail=detail[:200])


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AssistantError)
    async def assistant_error(request: Request, error: AssistantError) -> JSONResponse:
        headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimitedError) else None
        if error.status >= 500:
            logger.warning("%s on %s: %s", type(error).__name__, request.url.path, error)
        return error_response(error.status, str(error), headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        return error_response(422, validation_message(error, preferred_language(request.headers)))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        message = error.detail if isinstance(error.detail, str) else "Error"
        return error_response(error.status_code, message, getattr(error, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        logger.error("unhandled error on %s", request.url.path, exc_info=error)
        return error_response(500, say("internal", preferred_language(request.headers)))


# --------------------------------------------------------------------------- origins, CORS, body size


def _netloc(value: str, scheme: str) -> str:
    value = value.strip().lower().rstrip("/")
    default = {"http": ":80", "https": ":443"}.get(scheme, "")
    return value[: -len(default)] if default and value.endswith(default) else value


def same_origin(origin: str, host: str | None) -> bool:
    """Origin `scheme://host[:port]` names the host the request was sent to (scheme ignored:
    a TLS proxy in front of the server changes it)."""
    scheme, sep, rest = origin.partition("://")
    if not sep or not host:
        return False
    return _netloc(rest, scheme) == _netloc(host, scheme)


class Guard:
    """Pure ASGI middleware for /api and /v1 (streaming responses pass through untouched)."""

    ALLOW_METHODS = "GET, POST, OPTIONS"
    ALLOW_HEADERS = "accept, accept-language, authorization, content-type"

    def __init__(self, app: ASGIApp, allowed_origins: Sequence[str], max_body_bytes: int,
                 prefixes: Sequence[str] = GUARDED_PREFIXES) -> None:
        self.app = app
        self.allowed = {o.strip().lower().rstrip("/") for o in allowed_origins if o.strip()}
        self.max_body_bytes = max_body_bytes
        self.prefixes = tuple(prefixes)

    def allows(self, origin: str) -> bool:
        return "*" in self.allowed or origin.lower().rstrip("/") in self.allowed

    def guarded(self, path: str) -> bool:
        return any(path == p or path.startswith(p + "/") for p in self.prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.guarded(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        language = preferred_language(headers)
        origin = headers.get("origin")
        cors: dict[str, str] = {}
        if origin is not None:
            if self.allows(origin):
                cors = {"access-control-allow-origin": origin,
                        "access-control-expose-headers": "Retry-After"}
            elif not same_origin(origin, headers.get("host")):
                await _send_json(send, 403, say("forbidden_origin", language), {"vary": "Origin"})
                return
        method = scope["method"]
        if method == "OPTIONS" and "access-control-request-method" in headers:
            preflight = {**cors, "vary": "Origin", "access-control-max-age": "600",
                         "access-control-allow-methods": self.ALLOW_METHODS,
                         "access-control-allow-headers": self.ALLOW_HEADERS}
            await _send_empty(send, 204, preflight)
            return
        if method in ("POST", "PUT", "PATCH"):
            received = await self._read_body(headers, receive)
            if received is None:
                await _send_json(send, 413, say("body_too_large", language, limit=self.max_body_bytes),
                                 {**cors, "vary": "Origin", "connection": "close"})
                return
            receive = _replay(received, receive)

        started = False

        async def send_with_cors(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                extra = [(k.encode(), v.encode()) for k, v in {**cors, "vary": "Origin"}.items()]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_cors)
        except Exception:
            if started:
                raise
            logger.exception("unhandled error on %s", scope["path"])
            await _send_json(send, 500, say("internal", language), {**cors, "vary": "Origin"})

    async def _read_body(self, headers: Headers, receive: Receive) -> list[Message] | None:
        """The request's body messages, or None when it is larger than allowed."""
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            return None
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages
            size += len(message.get("body", b""))
            if size > self.max_body_bytes:
                return None
            if not message.get("more_body", False):
                return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _send_json(send: Send, status: int, message: str, headers: dict[str, str]) -> None:
    body = json.dumps(error_body(status, message), ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            *((k.encode(), v.encode()) for k, v in headers.items())]})
    await send({"type": "http.response.body", "body": body})


async def _send_empty(send: Send, status: int, headers: dict[str, str]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in headers.items()]})
    await send({"type": "http.response.body", "body": b""})
