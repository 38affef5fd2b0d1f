"""The OpenAI-compatible /v1 router: models and chat completions (plain or streamed)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request
from sse_starlette import EventSourceResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from assistant.serve.api_guard import client_key, error_body
from assistant.serve.api_messages import preferred_language, say
from assistant.serve.api_models import ERRORS, MODEL_NAME, ChatRequest, sse_json
from assistant.answer.citations import citation_json
from assistant.errors import AssistantError, InputError
from assistant.types import Answer

if TYPE_CHECKING:
    from assistant.serve.api import ApiState

logger = logging.getLogger(__name__)


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

    @router.post("/chat/completions", dependencies=[Depends(ask_limit)],
                 responses={200: {"content": {"application/json": {}, "text/event-stream": {}},
                                  "description": "A chat.completion object, or with `stream: true` "
                                                 "chat.completion.chunk events ending in `data: [DONE]`."}})
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
            answer: Answer = await run_in_threadpool(service.ask, question, history, body.lang,
                                                     body.region)
            return {
                "id": ident, "object": "chat.completion", "created": created, "model": body.model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": answer.text}}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "citations": [citation_json(c) for c in answer.citations],
            }

        def chunk(delta: dict, finish: str | None = None, **extra: Any) -> dict:
            return {"data": sse_json({"id": ident, "object": "chat.completion.chunk", "created": created,
                                    "model": body.model, **extra,
                                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})}

        async def events() -> AsyncIterator[dict]:
            yield chunk({"role": "assistant", "content": ""})
            streamed = ""
            try:
                async for item in iterate_in_threadpool(
                        service.stream(question, history, body.lang, body.region)):
                    if isinstance(item, Answer):
                        # What streamed is the start of the final text (Assistant._generate);
                        # an LLM answer's old-sources notice is the rest. Clients only append.
                        if rest := item.text[len(streamed):] if item.text.startswith(streamed) else "":
                            yield chunk({"content": rest})
                        yield chunk({}, "stop", citations=[citation_json(c) for c in item.citations])
                    else:
                        streamed += item
                        yield chunk({"content": item})
            except AssistantError as error:
                yield {"data": sse_json(error_body(error.status, str(error)))}
            except Exception:  # noqa: BLE001
                logger.exception("streaming a chat completion failed")
                yield {"data": sse_json(error_body(500, say("internal", body.lang)))}
            yield {"data": "[DONE]"}

        return EventSourceResponse(events(), ping=15)

    return router
