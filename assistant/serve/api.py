"""HTTP API for the widget and portals: ask, stream, search, health, feedback, OpenAI-compatible chat.

Every error leaves in one shape, `{"error": {"status": int, "message": str}}`, with a message
safe to show to a citizen (in the asker's language where it is known). The server's `Guard`
(api_guard.py) runs before every route: origins, CORS, body size and time, security headers.
The per-client budgets are here; the guard charges the chat's events to the same ones.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from pydantic.json_schema import models_json_schema
from sse_starlette import EventSourceResponse
from starlette.concurrency import iterate_in_threadpool
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from assistant.answer.citations import citation_json
from assistant.errors import AssistantError, NotReadyError
from assistant.serve.error_shape import error_body, error_response, install_error_handlers
from assistant.serve.api_messages import say
from assistant.serve.api_models import (ASK_STREAM_EVENTS, ERRORS, EVENT_MODELS, AskRequest,
                                        AskResponse, FeedbackRequest, FeedbackResponse,
                                        HealthResponse, Question, REGION_HELP, Region,
                                        SearchResponse, answer_json, hit_json, sse_json)
from assistant.serve.feedback_log import FeedbackLog
from assistant.serve.api_state import (ApiState, Readiness, State, ask_limit, feedback_limit,
                                       search_limit)
from assistant.serve.openai_api import openai_router
from assistant.serve.openai_models import CHAT_EVENT_MODELS
from assistant.serve.streaming import HeldBack, started
from assistant.service import Assistant
from assistant.types import Answer

logger = logging.getLogger(__name__)
RETRY_AFTER_S = 5  # while the model or the index loads, or the store is out of reach


# --------------------------------------------------------------------------- /api


api_router = APIRouter(tags=["assistant"], responses=ERRORS)


@api_router.post("/ask", response_model=AskResponse, dependencies=[Depends(ask_limit)])
def ask(body: AskRequest, state: State) -> dict:
    """Answer a question from the knowledge base, with numbered citations (`[n]` in the text)."""
    history = state.history([(m.role, m.content) for m in body.history], body.lang)
    return answer_json(state.service.ask(body.question, history, body.lang, body.region))


@api_router.post(
    "/ask/stream", dependencies=[Depends(ask_limit)],
    responses={200: {"content": {"text/event-stream": {"x-sse-events": ASK_STREAM_EVENTS}},
                     "description": "Events `delta` ({text}), `answer` ({text}: the final "
                                    "text, only when it differs from the deltas joined, as "
                                    "with a checked LLM reply), `citations` (list), "
                                    "`done` ({lang, refused}); `error` ({status, message})."}})
async def ask_stream(body: AskRequest, state: State) -> EventSourceResponse:
    """The answer as server-sent events: text pieces, then the citations, then `done`."""
    service = state.service
    history = state.history([(m.role, m.content) for m in body.history], body.lang)
    service.check_question(body.question, body.lang)  # bad input: a plain JSON error, not a stream
    items = await started(service.stream(body.question, history, body.lang, body.region))

    async def events() -> AsyncIterator[dict]:
        held = HeldBack()  # the deltas joined are the final text, no blank line after it
        try:
            async for item in iterate_in_threadpool(items):
                if isinstance(item, Answer):
                    # The final text can extend what streamed (an LLM answer's notice that
                    # its sources are old); the client then shows this text instead.
                    if held.sent.strip() != item.text.strip():
                        yield {"event": "answer", "data": sse_json({"text": item.text})}
                    yield {"event": "citations",
                           "data": sse_json([citation_json(c) for c in item.citations])}
                    yield {"event": "done",
                           "data": sse_json({"lang": item.language, "refused": item.refused})}
                elif piece := held.add(item):
                    yield {"event": "delta", "data": sse_json({"text": piece})}
        except AssistantError as error:
            yield {"event": "error", "data": sse_json(error_body(error.status, str(error))["error"])}
        except Exception:  # noqa: BLE001
            logger.exception("streaming an answer failed")
            yield {"event": "error",
                   "data": sse_json(error_body(500, say("internal", body.lang))["error"])}

    return EventSourceResponse(events(), ping=15)


@api_router.get("/search", response_model=SearchResponse, dependencies=[Depends(search_limit)])
def search(q: Annotated[Question, Query()], state: State,
           k: Annotated[int | None, Query(ge=1, le=50, description="Passages to return.")] = None,
           region: Annotated[Region | None, Query(description=REGION_HELP)] = None) -> dict:
    """The best passages for a question (no answer composed)."""
    result = state.service.search(q, k, region)
    return {"question": result.question, "lang": result.language,
            "hits": [hit_json(h) for h in result.hits]}


@api_router.get("/health", response_model=HealthResponse)
def health(state: State) -> Any:
    """200 when the model, the index and the fitted files are loaded; 503 with the reason
    otherwise."""
    reason = state.readiness.status()
    if reason is not None:
        return error_response(503, reason, {"Retry-After": str(RETRY_AFTER_S)})
    retriever = state.service.pipeline.retriever
    return {"status": "ok", "model": retriever.embedder.name, "passages": retriever.store.count()}


@api_router.post("/feedback", status_code=201, response_model=FeedbackResponse,
                 dependencies=[Depends(feedback_limit)])
def feedback(body: FeedbackRequest, state: State) -> dict:
    """A vote on an answer; stored with the cited passage ids only (no question text)."""
    state.feedback.append(body.vote, body.passage_ids, body.lang)
    return {"stored": True}


# --------------------------------------------------------------------------- wiring


def install_api(app: FastAPI, service: Assistant, readiness: Readiness | None = None,
                feedback: FeedbackLog | None = None) -> ApiState:
    """Routes under /api and /v1 and the error shape, on `app` (the server adds the Guard)."""
    settings = service.settings
    state = ApiState.create(service, settings, readiness, feedback)
    app.include_router(api_router, prefix="/api")
    app.include_router(openai_router, prefix="/v1")
    # Unknown paths under /api and /v1, asked with any method (QUERY, PROPFIND, ...), answer in
    # our error shape, not the chat mounted at /: a route with no methods is an ASGI app that
    # takes them all. A known path asked with a method it lacks gets 405 and its methods (RFC 9110).
    allowed: dict[str, set[str]] = {}
    for prefix, router in (("/api", api_router), ("/v1", openai_router)):
        for route in router.routes:
            allowed.setdefault(prefix + route.path, set()).update(route.methods)
    for prefix in ("/api", "/v1"):
        app.router.routes.append(Route(prefix + "/{rest:path}", NotFound(app, allowed),
                                       methods=None, include_in_schema=False))
    install_error_handlers(app)

    @app.exception_handler(NotReadyError)  # more specific than install_error_handlers' own
    async def not_ready(request: Request, error: NotReadyError) -> Any:
        """The model, the index or the store is not there (yet, or for now: a Chroma server
        that is down): 503 with `Retry-After`, and one line in the log, never a traceback."""
        logger.warning("%s on %s %s: %s", type(error).__name__, request.method,
                       request.url.path, error)
        return error_response(503, str(error), {"Retry-After": str(RETRY_AFTER_S)})

    install_stream_schemas(app)
    app.state.api = state
    return state


class NotFound:
    """The ASGI endpoint behind the catch-alls: 405 with `Allow` for a path that a route of
    the API (`allowed`: path -> methods) or of the app (/api/docs, /api/openapi.json) serves
    with other methods, else 404."""

    def __init__(self, app: FastAPI, allowed: dict[str, set[str]]) -> None:
        self.app, self.allowed = app, allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"].rstrip("/") or "/"
        methods = set(self.allowed.get(path, ())).union(
            *(route.methods for route in self.app.router.routes
              if getattr(route, "methods", None) and hasattr(route, "path_regex")
              and route.path_regex.match(path)))
        if methods:
            reply = error_response(405, "Method Not Allowed", {"Allow": ", ".join(sorted(methods))})
        else:
            reply = error_response(404, "Not Found")
        await reply(scope, receive, send)


def install_stream_schemas(app: FastAPI) -> None:
    """The models that only the streams' `x-sse-events` name join the document's components
    (FastAPI lists only the models of request bodies and JSON responses)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()  # FastAPI's, cached in app.openapi_schema
        components = document.setdefault("components", {}).setdefault("schemas", {})
        models = EVENT_MODELS + CHAT_EVENT_MODELS
        if not all(model.__name__ in components for model in models):
            _, definitions = models_json_schema([(model, "serialization") for model in models],
                                                ref_template="#/components/schemas/{model}")
            for name, schema in definitions.get("$defs", {}).items():
                components.setdefault(name, schema)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
