"""The OpenAI-compatible /v1 router: models and chat completions (plain or streamed).

The contract (README, "OpenAI-compatible endpoint"): the last message is the user's question,
earlier user and assistant messages the history; `system` and `developer` messages are
accepted and not followed. Every OpenAI parameter is honoured or refused with a 400 that
names it (`openai_models.OPENAI_OPTIONS`), and so is any parameter OpenAI does not have. The
reply's `[n]` markers are URL-citation annotations of the message (where OpenAI clients read
citations), and the extension field `citations` lists the sources as /api/ask does. The
content streamed, joined, is the content of the plain reply.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from assistant.serve.error_shape import error_body
from assistant.serve.api_messages import say
from assistant.serve.api_state import State, ask_limit
from assistant.serve.streaming import HeldBack, started
from assistant.serve.api_models import ERRORS, ErrorResponse, sse_json
from assistant.serve.openai_models import (CHAT_STREAM_EVENTS, MODEL_NAME, OPENAI_OPTIONS,
                                           REPLY_KEYS, ChatCompletion, ChatRequest, ModelList)
from assistant.answer.citations import citation_json
from assistant.errors import AssistantError, InputError
from assistant.types import Answer, Citation

logger = logging.getLogger(__name__)

MARKER = re.compile(r"\[(\d+)\]")
NO_USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


# --------------------------------------------------------------------------- the request


def unsupported(body: ChatRequest) -> tuple[str, str] | None:
    """(parameter, message) for the first part of the request this server would not honour."""
    extra = body.model_extra or {}
    for name, value in extra.items():
        option = OPENAI_OPTIONS.get(name)
        if option is None:
            return name, f"{name}: unknown parameter"
        if not option.accepts(value):
            return name, f"{name}: {option.refusal}"
    if extra.get("stream_options") is not None and not body.stream:
        return "stream_options", "stream_options: only with stream: true"
    for i, message in enumerate(body.messages):
        for key, value in (message.model_extra or {}).items():
            if value is not None and key not in REPLY_KEYS:
                return (f"messages[{i}].{key}",
                        f"messages[{i}].{key}: not supported: the assistant calls no tools")
        for j, part in enumerate(message.content if isinstance(message.content, list) else ()):
            if part.type != "text":
                return (f"messages[{i}].content[{j}].type",
                        f"messages[{i}].content[{j}].type: only text parts are supported, "
                        f"not {part.type!r}")
    return None


def bad_request(param: str, message: str) -> JSONResponse:
    """The error shape, with OpenAI's `param` (the SDK's `BadRequestError.param`)."""
    body = error_body(400, message)
    body["error"]["param"] = param
    return JSONResponse(body, status_code=400)


# --------------------------------------------------------------------------- the reply


def annotations(text: str, citations: Sequence[Citation]) -> list[dict]:
    """A URL-citation annotation per `[n]` marker of `text`, spanning the marker."""
    by_number = {c.n: c for c in citations}
    found = []
    for marker in MARKER.finditer(text):
        citation = by_number.get(int(marker.group(1)))
        if citation is not None:
            meta = citation.passage.meta
            found.append({"type": "url_citation",
                          "url_citation": {"start_index": marker.start(), "end_index": marker.end(),
                                           "title": meta.title or citation.passage.doc_id,
                                           "url": meta.url}})
    return found


# --------------------------------------------------------------------------- /v1 (OpenAI-compatible)


openai_router = APIRouter(tags=["openai-compatible"], responses=ERRORS)


@openai_router.get("/models", response_model=ModelList)
def models() -> dict:
    return {"object": "list",
            "data": [{"id": MODEL_NAME, "object": "model", "created": 0, "owned_by": "local"}]}


@openai_router.post(
    "/chat/completions", dependencies=[Depends(ask_limit)], response_model=ChatCompletion,
    responses={200: {"content": {"text/event-stream": {"x-sse-events": CHAT_STREAM_EVENTS}},
                     "description": "A chat.completion object, or with `stream: true` "
                                    "chat.completion.chunk events ending in `data: [DONE]`."},
               400: {"model": ErrorResponse,
                     "description": "A parameter this server does not honour, named "
                                    "in the message and in `param`."}})
async def chat_completions(body: ChatRequest, state: State) -> Any:
    """The last user message is the question, earlier user/assistant messages the history;
    system and developer messages are accepted and not followed. The reply carries `[n]`
    markers, each a `url_citation` annotation of the message; the extra top-level
    `citations` field lists the sources (as /api/ask). Every OpenAI parameter is honoured
    or refused (400) by name: see each one's description."""
    if refused := unsupported(body):
        return bad_request(*refused)
    messages = [(m.role, m.text()) for m in body.messages if m.role in ("user", "assistant")]
    if not messages or messages[-1][0] != "user":
        raise InputError(say("last_not_user", body.lang))
    question = messages[-1][1]
    history = state.history(messages[:-1], body.lang)
    service = state.service
    service.check_question(question, body.lang)
    ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if not body.stream:
        answer: Answer = await run_in_threadpool(service.ask, question, history, body.lang,
                                                 body.region)
        return {
            "id": ident, "object": "chat.completion", "created": created, "model": body.model,
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": answer.text,
                                     "annotations": annotations(answer.text, answer.citations)}}],
            "usage": NO_USAGE,
            "citations": [citation_json(c) for c in answer.citations],
        }
    options = (body.model_extra or {}).get("stream_options") or {}
    usage = bool(options.get("include_usage"))

    def chunk(delta: dict, finish: str | None = None, **extra: Any) -> dict:
        return {"data": sse_json({"id": ident, "object": "chat.completion.chunk", "created": created,
                                "model": body.model, **extra,
                                **({"usage": None} if usage else {}),
                                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})}

    items = await started(service.stream(question, history, body.lang, body.region))

    async def events() -> AsyncIterator[dict]:
        yield chunk({"role": "assistant", "content": ""})
        held = HeldBack()
        try:
            async for item in iterate_in_threadpool(items):
                if isinstance(item, Answer):
                    # What streamed is the start of the final text (Assistant._generate);
                    # an LLM answer's old-sources notice is the rest. Clients only append.
                    if rest := held.rest(item.text):
                        yield chunk({"content": rest})
                    yield chunk({"annotations": annotations(item.text, item.citations)}, "stop",
                                citations=[citation_json(c) for c in item.citations])
                    if usage:
                        yield {"data": sse_json({"id": ident, "object": "chat.completion.chunk",
                                                 "created": created, "model": body.model,
                                                 "choices": [], "usage": NO_USAGE})}
                elif piece := held.add(item):
                    yield chunk({"content": piece})
        except AssistantError as error:
            yield {"data": sse_json(error_body(error.status, str(error)))}
        except Exception:  # noqa: BLE001
            logger.exception("streaming a chat completion failed")
            yield {"data": sse_json(error_body(500, say("internal", body.lang)))}
        yield {"data": "[DONE]"}

    return EventSourceResponse(events(), ping=15)
