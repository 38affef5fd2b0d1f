"""The product's error shape, `{"error": {"status", "message"}}`, and the exception handlers
that give every route of the app (and the Guard's own refusals) that shape, with messages
safe to show: never a traceback, never the client's input."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.errors import AssistantError, RateLimitedError
from assistant.serve.api_messages import preferred_language, say
from assistant.serve.log_guard import describe

logger = logging.getLogger(__name__)


def error_body(status: int, message: str) -> dict:
    return {"error": {"status": status, "message": message}}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message), status_code=status, headers=headers)


def status_message(status: int, language: str) -> str:
    return say("internal", language) if status >= 500 else HTTPStatus(status).phrase


def log_unhandled(error: BaseException, method: str, path: str) -> None:
    """One line: the error it was raised from and where (no message: it may hold the
    asker's text)."""
    logger.error("unhandled %s on %s %s", describe(error), method, path)


# A field name as clients send it; pydantic also puts model and validator names in `loc`.
_FIELD = re.compile(r"[a-z_][a-z0-9_]*")
# "… or instance of AskRequest", and any other CamelCase name of a class.
_CLASS_NAME = re.compile(r"(?: or)? (?:an )?instance of \w+|\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+\b")


def validation_message(error: RequestValidationError, language: str) -> str:
    problems = error.errors()
    if any(p.get("type") == "json_invalid" for p in problems):
        return say("malformed_json", language)
    first = problems[0] if problems else {}
    where = ".".join(str(part) for part in first.get("loc", ())
                     if isinstance(part, int) or (_FIELD.fullmatch(str(part))
                                                  and part not in ("body", "query")))
    message = _CLASS_NAME.sub("", first.get("msg", "invalid value")).strip() or "invalid value"
    detail = f"{where}: {message}" if where else message
    return say("invalid", language, detail=detail[:200])


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AssistantError)
    async def assistant_error(request: Request, error: AssistantError) -> JSONResponse:
        headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimitedError) else None
        if error.status >= 500:
            logger.warning("%s on %s", type(error).__name__, request.url.path)
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
        log_unhandled(error, request.method, request.url.path)
        return error_response(500, say("internal", preferred_language(request.headers)))
