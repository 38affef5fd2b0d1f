"""HTTP API for the widget and portals: ask, stream, search, health, feedback, OpenAI-compatible chat.

Every error leaves in one shape, `{"error": {"status": int, "message": str}}`, with a message
safe to show to a citizen (in the asker's language where it is known). `Guard` runs before the
routes on /api and /v1: it refuses browser origins that are neither the server's own nor in
the allow-list (403, preflights included), answers CORS only for allowed origins, and caps
the body size (413) by Content-Length and by the bytes actually received.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from limits import parse as parse_limit
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from sse_starlette import EventSourceResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .citations import citation_json
from .errors import AssistantError, InputError, RateLimitedError
from .config import Settings
from .pipeline import Pipeline
from .service import LANGUAGES, Assistant
from .types import Answer, Hit, Turn

logger = logging.getLogger(__name__)

Lang = Literal["nl", "fr", "en"]
GUARDED_PREFIXES = ("/api", "/v1")
MODEL_NAME = "housing-assistant"


# --------------------------------------------------------------------------- messages

TEXT = {
    "rate_limited": {
        "nl": "Te veel vragen na elkaar. Probeer het over {seconds} seconden opnieuw.",
        "fr": "Trop de questions d'affilée. Réessayez dans {seconds} secondes.",
        "en": "Too many questions in a row. Please try again in {seconds} seconds.",
    },
    "forbidden_origin": {
        "nl": "De assistent is niet ingeschakeld op deze website.",
        "fr": "L'assistant n'est pas activé sur ce site.",
        "en": "The assistant is not enabled on this site.",
    },
    "body_too_large": {
        "nl": "Het verzoek is te groot (maximaal {limit} bytes).",
        "fr": "La requête est trop volumineuse ({limit} octets au maximum).",
        "en": "The request is too large (at most {limit} bytes).",
    },
    "malformed_json": {
        "nl": "Het verzoek is geen geldige JSON.",
        "fr": "La requête n'est pas du JSON valide.",
        "en": "The request body is not valid JSON.",
    },
    "invalid": {
        "nl": "Ongeldig verzoek: {detail}",
        "fr": "Requête invalide : {detail}",
        "en": "Invalid request: {detail}",
    },
    "history": {
        "nl": "Te veel eerdere berichten (maximaal {limit}).",
        "fr": "Trop de messages précédents ({limit} au maximum).",
        "en": "Too many earlier messages (at most {limit}).",
    },
    "last_not_user": {
        "nl": "Het laatste bericht moet een vraag van de gebruiker zijn.",
        "fr": "Le dernier message doit être une question de l'utilisateur.",
        "en": "The last message must be a question from the user.",
    },
    "loading": {
        "nl": "De assistent wordt opgestart. Probeer het zo dadelijk opnieuw.",
        "fr": "L'assistant démarre. Réessayez dans un instant.",
        "en": "The assistant is starting. Please try again in a moment.",
    },
    "internal": {
        "nl": "Er ging iets mis aan onze kant. Probeer het later opnieuw.",
        "fr": "Une erreur s'est produite de notre côté. Réessayez plus tard.",
        "en": "Something went wrong on our side. Please try again later.",
    },
}


def say(key: str, language: str | None, **values: Any) -> str:
    table = TEXT[key]
    return table.get(language or "en", table["en"]).format(**values)


def preferred_language(headers: Headers) -> str:
    """The first of nl/fr/en in Accept-Language (q-values ignored: browsers list by preference)."""
    for part in headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


def error_body(status: int, message: str) -> dict:
    return {"error": {"status": status, "message": message}}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message), status_code=status, headers=headers)


# --------------------------------------------------------------------------- request / response models


def _encodable(value: str) -> str:
    """JSON may carry lone surrogates (\\ud800), which no tokenizer or file accepts."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the text contains invalid characters") from None
    return value


Text = Annotated[str, AfterValidator(_encodable)]


class HistoryMessage(BaseModel):
    role: Literal["user", "assistant"]
    content: Text = Field(max_length=8000)


class AskRequest(BaseModel):
    question: Text = Field(description="The question, in Dutch, French or English.")
    history: list[HistoryMessage] = Field(default_factory=list,
                                          description="Earlier messages, oldest first.")
    lang: Lang | None = Field(None, description="Answer language; detected when absent.")


class CitationOut(BaseModel):
    """`citation_json`: the shape other tools read; fields are added, never renamed."""

    model_config = ConfigDict(extra="allow")
    n: int
    passage_id: str
    doc_id: str
    title: str
    quote: str
    passage: str


class AskResponse(BaseModel):
    answer: str
    lang: str
    refused: bool
    citations: list[CitationOut]


class SearchHit(BaseModel):
    passage_id: str
    doc_id: str
    title: str
    text: str
    score: float


class SearchResponse(BaseModel):
    question: str
    lang: str
    hits: list[SearchHit]


class HealthResponse(BaseModel):
    status: Literal["ok"]
    model: str
    passages: int


PassageId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8,64}$")]


class FeedbackRequest(BaseModel):
    """Only these fields are stored: never the question or the answer text."""

    vote: Literal["up", "down"]
    passage_ids: list[PassageId] = Field(default_factory=list, max_length=20)
    lang: Lang | None = None


class FeedbackResponse(BaseModel):
    stored: bool


class ErrorDetail(BaseModel):
    status: int
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: Text | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Text | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(part.text or "" for part in self.content if part.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str = MODEL_NAME
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    lang: Lang | None = Field(None, description="Extension: answer language; detected when absent.")


ERRORS = {status: {"model": ErrorResponse} for status in (403, 413, 422, 429, 503)}


# --------------------------------------------------------------------------- conversions


def hit_json(hit: Hit) -> dict:
    p = hit.passage
    return {"passage_id": p.passage_id, "doc_id": p.doc_id, "title": p.meta.title,
            "text": p.text, "score": round(float(hit.score), 6)}


def answer_json(answer: Answer) -> dict:
    return {"answer": answer.text, "lang": answer.language, "refused": answer.refused,
            "citations": [citation_json(c) for c in answer.citations]}


def to_turns(messages: Iterable[tuple[str, str]]) -> list[Turn]:
    """user/assistant messages, oldest first -> Turns (a user message and the reply after it)."""
    turns: list[Turn] = []
    for role, content in messages:
        if role == "user":
            turns.append(Turn(content))
        elif role == "assistant" and turns and not turns[-1].answer:
            turns[-1] = Turn(turns[-1].question, content)
    return turns


# --------------------------------------------------------------------------- state


class RateLimit:
    """A moving window per client key, in memory (one process)."""

    def __init__(self, rule: str) -> None:
        self.item = parse_limit(rule)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, key: str, language: str | None) -> None:
        if self.limiter.hit(self.item, key):
            return
        reset_at, _remaining = self.limiter.get_window_stats(self.item, key)
        seconds = max(1, math.ceil(reset_at - time.time()))
        raise RateLimitedError(say("rate_limited", language, seconds=seconds), seconds)


class Readiness:
    """Loads the model and the index in the background; health reports how far it got."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.error: str | None = None

    def loaded(self) -> bool:
        return self.pipeline.is_loaded  # the retriever holds the model and the index

    def start(self) -> None:
        with self._lock:
            if self.loaded() or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(target=self._load, name="assistant-warmup", daemon=True)
            self._thread.start()

    def _load(self) -> None:
        try:
            self.pipeline.retriever  # noqa: B018
            self.error = None
        except AssistantError as error:
            self.error = str(error)
        except Exception:  # noqa: BLE001  (reported by health, logged here)
            logger.exception("loading the model and the index failed")
            self.error = "The model or the index could not be loaded; see the server log."

    def status(self) -> str | None:
        """None when ready, else the reason (a failed load is retried on the next call)."""
        if self.loaded():
            return None
        loading = self._thread is not None and self._thread.is_alive()
        error = None if loading else self.error
        if not loading:
            self.start()
        return error or say("loading", "en")


class FeedbackLog:
    """Appends to `<folder>/feedback.jsonl`, the file (and line shape) the chat writes too."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "feedback.jsonl"
        self._lock = threading.Lock()

    def append(self, vote: str, passage_ids: Sequence[str], language: str | None) -> None:
        entry = {"timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "vote": vote, "kind": "api", "language": language or "",
                 "passage_ids": list(passage_ids)}
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as out:
                out.write(line)


@dataclass
class ApiState:
    service: Assistant
    settings: Settings
    readiness: Readiness
    ask_limit: RateLimit
    search_limit: RateLimit
    feedback: FeedbackLog

    @classmethod
    def create(cls, service: Assistant, settings: Settings,
               readiness: Readiness | None = None) -> ApiState:
        return cls(service, settings, readiness or Readiness(service.pipeline),
                   RateLimit(settings.rate_limit), RateLimit(settings.search_rate_limit),
                   FeedbackLog(settings.feedback_dir))

    def history(self, messages: Sequence[tuple[str, str]], language: str | None) -> list[Turn]:
        limit = self.settings.max_history_messages
        if len(messages) > limit:
            raise InputError(say("history", language, limit=limit))
        return to_turns(messages)


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --------------------------------------------------------------------------- /api


def api_router(state: ApiState) -> APIRouter:
    router = APIRouter(tags=["assistant"], responses=ERRORS)
    service = state.service

    def ask_limit(request: Request) -> None:
        state.ask_limit.hit(f"ask:{client_key(request)}", preferred_language(request.headers))

    def search_limit(request: Request) -> None:
        state.search_limit.hit(f"search:{client_key(request)}", preferred_language(request.headers))

    @router.post("/ask", response_model=AskResponse, dependencies=[Depends(ask_limit)])
    def ask(body: AskRequest) -> dict:
        """Answer a question from the knowledge base, with numbered citations (`[n]` in the text)."""
        history = state.history([(m.role, m.content) for m in body.history], body.lang)
        return answer_json(service.ask(body.question, history, body.lang))

    @router.post("/ask/stream", dependencies=[Depends(ask_limit)],
                 responses={200: {"content": {"text/event-stream": {}},
                                  "description": "Events `delta` ({text}), `answer` ({text}: the final "
                                                 "text, only when it differs from the deltas joined, as "
                                                 "with a checked LLM reply), `citations` (list), "
                                                 "`done` ({lang, refused}); `error` ({status, message})."}})
    async def ask_stream(body: AskRequest) -> EventSourceResponse:
        """The answer as server-sent events: text pieces, then the citations, then `done`."""
        history = state.history([(m.role, m.content) for m in body.history], body.lang)
        service.check_question(body.question, body.lang)  # bad input: a plain JSON error, not a stream

        async def events() -> AsyncIterator[dict]:
            streamed = ""
            try:
                async for item in iterate_in_threadpool(service.stream(body.question, history, body.lang)):
                    if isinstance(item, Answer):
                        # LLM: sentences may have been dropped and markers renumbered after
                        # streaming; the client replaces what it showed with this text.
                        if streamed.strip() != item.text.strip():
                            yield {"event": "answer", "data": _dumps({"text": item.text})}
                        yield {"event": "citations",
                               "data": _dumps([citation_json(c) for c in item.citations])}
                        yield {"event": "done",
                               "data": _dumps({"lang": item.language, "refused": item.refused})}
                    else:
                        streamed += item
                        yield {"event": "delta", "data": _dumps({"text": item})}
            except AssistantError as error:
                yield {"event": "error", "data": _dumps(error_body(error.status, str(error))["error"])}
            except Exception:  # noqa: BLE001
                logger.exception("streaming an answer failed")
                yield {"event": "error",
                       "data": _dumps(error_body(500, say("internal", body.lang))["error"])}

        return EventSourceResponse(events(), ping=15)

    @router.get("/search", response_model=SearchResponse, dependencies=[Depends(search_limit)])
    def search(q: Annotated[Text, Query(description="The question.")],
               k: Annotated[int | None, Query(ge=1, le=50, description="Passages to return.")] = None) -> dict:
        """The best passages for a question (no answer composed)."""
        result = service.search(q, k)
        return {"question": result.question, "lang": result.language,
                "hits": [hit_json(h) for h in result.hits]}

    @router.get("/health", response_model=HealthResponse)
    def health() -> Any:
        """200 when the model and the index are loaded; 503 with the reason otherwise."""
        reason = state.readiness.status()
        if reason is not None:
            return error_response(503, reason, {"Retry-After": "5"})
        retriever = service.pipeline.retriever
        return {"status": "ok", "model": retriever.embedder.name, "passages": retriever.store.count()}

    @router.post("/feedback", status_code=201, response_model=FeedbackResponse,
                 dependencies=[Depends(search_limit)])
    def feedback(body: FeedbackRequest) -> dict:
        """A vote on an answer; stored with the cited passage ids only (no question text)."""
        state.feedback.append(body.vote, body.passage_ids, body.lang)
        return {"stored": True}

    return router


# --------------------------------------------------------------------------- /v1 (OpenAI-compatible)


def openai_router(state: ApiState) -> APIRouter:
    router = APIRouter(tags=["openai-compatible"], responses=ERRORS)
    service = state.service

    def ask_limit(request: Request) -> None:
        state.ask_limit.hit(f"ask:{client_key(request)}", preferred_language(request.headers))

    @router.get("/models")
    def models() -> dict:
        return {"object": "list",
                "data": [{"id": MODEL_NAME, "object": "model", "created": 0, "owned_by": "local"}]}

    @router.post("/chat/completions", dependencies=[Depends(ask_limit)])
    async def chat_completions(body: ChatRequest) -> Any:
        """The last user message is the question, earlier ones the history. The reply carries
        `[n]` markers; the extra top-level `citations` field lists the sources (citation_json)."""
        messages = [(m.role, m.text()) for m in body.messages if m.role in ("user", "assistant")]
        if not messages or messages[-1][0] != "user":
            raise InputError(say("last_not_user", body.lang))
        question = messages[-1][1]
        history = state.history(messages[:-1], body.lang)
        service.check_question(question, body.lang)
        ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if not body.stream:
            answer: Answer = await run_in_threadpool(service.ask, question, history, body.lang)
            return {
                "id": ident, "object": "chat.completion", "created": created, "model": body.model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": answer.text}}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "citations": [citation_json(c) for c in answer.citations],
            }

        def chunk(delta: dict, finish: str | None = None, **extra: Any) -> dict:
            return {"data": _dumps({"id": ident, "object": "chat.completion.chunk", "created": created,
                                    "model": body.model, **extra,
                                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})}

        async def events() -> AsyncIterator[dict]:
            yield chunk({"role": "assistant", "content": ""})
            try:
                async for item in iterate_in_threadpool(service.stream(question, history, body.lang)):
                    if isinstance(item, Answer):
                        yield chunk({}, "stop", citations=[citation_json(c) for c in item.citations])
                    else:
                        yield chunk({"content": item})
            except AssistantError as error:
                yield {"data": _dumps(error_body(error.status, str(error)))}
            except Exception:  # noqa: BLE001
                logger.exception("streaming a chat completion failed")
                yield {"data": _dumps(error_body(500, say("internal", body.lang)))}
            yield {"data": "[DONE]"}

        return EventSourceResponse(events(), ping=15)

    return router


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


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


# --------------------------------------------------------------------------- wiring


def install_api(app: FastAPI, service: Assistant, readiness: Readiness | None = None) -> ApiState:
    """Routes under /api and /v1, the error shape, and the Guard middleware, on `app`."""
    settings = service.settings
    state = ApiState.create(service, settings, readiness)
    api, openai = api_router(state), openai_router(state)
    app.include_router(api, prefix="/api")
    app.include_router(openai, prefix="/v1")
    known = {prefix + route.path for prefix, router in (("/api", api), ("/v1", openai))
             for route in router.routes}

    # Unknown paths under /api and /v1 answer in our error shape (not the chat mounted at /).
    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                   include_in_schema=False)
    @app.api_route("/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                   include_in_schema=False)
    def not_found(request: Request) -> JSONResponse:
        if request.url.path.rstrip("/") in known:
            return error_response(405, "Method Not Allowed")
        return error_response(404, "Not Found")

    install_error_handlers(app)
    app.add_middleware(Guard, allowed_origins=settings.allowed_origins,
                       max_body_bytes=settings.max_body_bytes)
    app.state.api = state
    return state
