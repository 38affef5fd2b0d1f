"""The Gradio routes the chat needs, and what a request to them may carry.

Gradio mounts about eighty routes: uploads, files, deep links (which store whole
conversations in its temp folder), monitoring, its own OpenAPI, a proxy, run/call endpoints.
The chat in a browser uses the few in `ROUTES`; the guard (`api_guard.Guard`) answers any
other path 404 in the product's error shape before Gradio sees it. A queue/join body must
name one of the chat's events with its number of inputs; the guard then charges the event's
budget for the client: answers share the API's ask budget, votes the API's feedback budget.

A question over the ask budget still reaches the chat, with the guard's decision in the
request's state (`OVER_BUDGET`): its handler answers it at once with the API's 429 sentence,
without searching (chat_turn.respond).
Refusing the join instead leaves the asker with Gradio 6's own reaction: every output of
the event badged "Error" in English, the conversation hidden under one, "Error" announced;
chat.js could only replace that by patching `fetch` and undoing Gradio's status display.
Let through, the message is part of the conversation, in the chat's language (the
question's, which Accept-Language need not be), and every event stays on Gradio's path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The budget of an event, by its `concurrency_id` in ui.py; any other event is "search",
# the budget of cheap requests.
BUDGETS = {"answer": "ask", "feedback": "feedback"}
# The keys the chat's queue/join body holds (Gradio's PredictBody); `batched`, `oauth_token`
# and the rest are never sent by the chat.
JOIN_KEYS = {"data", "event_data", "fn_index", "trigger_id", "session_hash", "event_id"}
_SESSION = re.compile(r"[A-Za-z0-9_-]{1,64}")
# The guard's decision on a chat request, in its state (the ASGI scope's "state", read as
# Starlette's `request.state`, which Gradio's `gr.Request` exposes to the handler): the
# seconds until the ask budget allows a question, None within it. No client can set it.
OVER_BUDGET = "over_budget_seconds"


@dataclass(frozen=True)
class ChatRoute:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    # `/?page=x` is a 500 inside Gradio and `?deep_link=` reads a stored conversation: the
    # page and its config are served without their query string.
    drop_query: bool = False
    # Gradio compresses what it serves; the page is asked for uncompressed, so that its
    # inline scripts can be hashed for the CSP.
    page: bool = False
    join: bool = False
    # A long-lived event stream (Gradio's heartbeat and queue data): the guard caps them per
    # client and in all and ends each after a lifetime. `charged`: each opening costs one
    # event of the cheap budget (the heartbeat; queue data only delivers the answers of
    # joins already charged, and ends once they are delivered).
    stream: bool = False
    charged: bool = False


def _route(methods: str, pattern: str, **flags: bool) -> ChatRoute:
    return ChatRoute(frozenset(methods.split()), re.compile(pattern), **flags)


ROUTES = (
    _route("GET HEAD", r"/", drop_query=True, page=True),
    _route("GET", r"/config/?", drop_query=True),
    _route("GET", r"/(?:theme\.css|favicon\.ico|robots\.txt)"),
    _route("GET", r"/(?:assets|static|svelte)/[^/].*"),
    _route("GET", r"/gradio_api/heartbeat/[A-Za-z0-9_-]{1,64}", stream=True, charged=True),
    _route("GET", r"/gradio_api/queue/data", stream=True),
    _route("POST", r"/gradio_api/queue/join", join=True),
)


# Longest file name most file systems take: Gradio answered a longer one 500 (ENAMETOOLONG).
MAX_NAME_BYTES = 255


def chat_route(path: str) -> ChatRoute | None:
    """The route serving `path`; None (a 404) also for a name over MAX_NAME_BYTES."""
    if any(len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES for name in path.split("/")):
        return None
    return next((route for route in ROUTES if route.pattern.fullmatch(path)), None)


@dataclass(frozen=True)
class ChatEvent:
    inputs: int
    budget: str


class ChatEvents:
    """The events of one Gradio Blocks, by fn_index."""

    def __init__(self, blocks: Any) -> None:
        self.blocks = blocks
        self.events = {fn_id: ChatEvent(len(fn.inputs), BUDGETS.get(fn.concurrency_id, "search"))
                       for fn_id, fn in blocks.fns.items()}

    def joined(self, body: bytes) -> ChatEvent | None:
        """The event a queue/join body names, or None if the chat would never send it."""
        try:
            join = json.loads(body)
        except ValueError:
            return None
        if not isinstance(join, Mapping) or not set(join) <= JOIN_KEYS:
            return None
        fn_index = join.get("fn_index")
        event = self.events.get(fn_index) if type(fn_index) is int else None
        session, inputs, trigger = join.get("session_hash"), join.get("data"), join.get("trigger_id")
        if (event is None or not isinstance(session, str) or not _SESSION.fullmatch(session)
                or not isinstance(inputs, list) or len(inputs) != event.inputs
                or not (trigger is None or type(trigger) is int)):
            return None
        return event

    def busy(self, session: str | None) -> bool:
        """Whether the session has an event (a question) queued or running."""
        queue = getattr(self.blocks, "_queue", None)
        pending = getattr(queue, "pending_event_ids_session", None) or {}
        return bool(session and pending.get(session))


def stream_session(path: str, query: bytes) -> str | None:
    """The session a stream belongs to: the heartbeat's last path segment, or queue/data's
    `session_hash`."""
    if path.startswith("/gradio_api/heartbeat/"):
        return path.rsplit("/", 1)[1]
    for pair in query.decode("latin-1").split("&"):
        name, _, value = pair.partition("=")
        if name == "session_hash" and _SESSION.fullmatch(value):
            return value
    return None
