"""What both answer streams (/api/ask/stream, /v1 with `stream: true`) share: the first item
fetched before the reply starts, and the text sent so that its pieces join to the final text."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

T = TypeVar("T")


async def started(items: Iterator[T]) -> Iterator[T]:
    """`items` with its first one already fetched (off the event loop). The search runs
    before anything is yielded, so a store that is down or an index that is missing raises
    here, while the reply can still be a plain 503 with `Retry-After`, not a 200 stream
    that ends in an error event."""
    none = object()
    first = await run_in_threadpool(next, items, none)
    return items if first is none else chain([first], items)


class HeldBack:
    """Text pieces as they can be sent: trailing white space waits until more text follows
    it, so that the pieces sent, joined, are the final text (the service's paragraphs each
    end with a blank line that the final text lacks)."""

    def __init__(self) -> None:
        self.received = ""
        self.sent = ""

    def add(self, piece: str) -> str:
        self.received += piece
        ready = self.received.rstrip()
        out, self.sent = ready[len(self.sent):], ready
        return out

    def rest(self, final: str) -> str | None:
        """What completes `final` after the text sent; None when `final` does not start with it."""
        return final[len(self.sent):] if final.startswith(self.sent) else None
