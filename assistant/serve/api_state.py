"""What the API's handlers share: the service, the per-client budgets, the feedback log and
whether the model, the index and the fitted files are loaded, kept on the app by
`api.install_api`; the handlers of /api (api.py) and /v1 (openai_api.py) get it through the
`State` dependency."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from limits import parse as parse_limit
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from assistant.config import Settings
from assistant.errors import AssistantError, InputError, RateLimitedError
from assistant.pipeline import Pipeline
from assistant.serve.api_guard import client_key
from assistant.serve.api_messages import preferred_language, say
from assistant.serve.api_models import to_turns
from assistant.serve.feedback_log import FeedbackLog
from assistant.service import Assistant
from assistant.types import Turn

logger = logging.getLogger(__name__)


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
    """Loads the model, the index and the files fitted for the encoder in the background, so
    that the first question waits for none of them; health reports how far it got."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.error: str | None = None

    def loaded(self) -> bool:
        return self.pipeline.is_loaded  # the retriever (model, index) and the fitted files

    def start(self) -> None:
        with self._lock:
            if self.loaded() or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(target=self._load, name="assistant-warmup", daemon=True)
            self._thread.start()

    def _load(self) -> None:
        try:
            self.pipeline.retriever  # noqa: B018  (the model and the index)
            self.pipeline.fitted  # noqa: B018  (after the encoder: its name keys them)
            self.error = None
        except AssistantError as error:
            self.error = str(error)
        except Exception:  # noqa: BLE001  (reported by health, logged here)
            logger.exception("loading the model, the index or the fitted files failed")
            self.error = ("The model, the index or the fitted files could not be loaded; see the "
                          "server log.")

    def status(self) -> str | None:
        """None when ready, else the reason (a failed load is retried on the next call)."""
        if self.loaded():
            return None
        loading = self._thread is not None and self._thread.is_alive()
        error = None if loading else self.error
        if not loading:
            self.start()
        return error or say("loading", "en")


@dataclass
class ApiState:
    service: Assistant
    settings: Settings
    readiness: Readiness
    ask_limit: RateLimit
    search_limit: RateLimit
    feedback_limit: RateLimit
    feedback: FeedbackLog

    @classmethod
    def create(cls, service: Assistant, settings: Settings, readiness: Readiness | None = None,
               feedback: FeedbackLog | None = None) -> ApiState:
        return cls(service, settings, readiness or Readiness(service.pipeline),
                   RateLimit(settings.rate_limit), RateLimit(settings.search_rate_limit),
                   RateLimit(settings.feedback_rate_limit),
                   feedback or FeedbackLog(settings.feedback_dir))

    def budgets(self) -> dict[str, RateLimit]:
        """By the name that prefixes each client key (`ask:<address>`)."""
        return {"ask": self.ask_limit, "search": self.search_limit, "feedback": self.feedback_limit}

    def history(self, messages: Sequence[tuple[str, str]], language: str | None) -> list[Turn]:
        limit = self.settings.max_history_messages
        if len(messages) > limit:
            raise InputError(say("history", language, limit=limit))
        return to_turns(messages)


def api_state(request: Request) -> ApiState:
    """The state `install_api` keeps on the app: the handlers serve any app."""
    return request.app.state.api


State = Annotated[ApiState, Depends(api_state)]


def ask_limit(request: Request, state: State) -> None:
    state.ask_limit.hit(f"ask:{client_key(request.scope)}", preferred_language(request.headers))


def search_limit(request: Request, state: State) -> None:
    state.search_limit.hit(f"search:{client_key(request.scope)}", preferred_language(request.headers))


def feedback_limit(request: Request, state: State) -> None:
    state.feedback_limit.hit(f"feedback:{client_key(request.scope)}", preferred_language(request.headers))
