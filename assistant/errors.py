"""One error hierarchy. `str(error)` is always safe to show to a citizen."""

from __future__ import annotations


class AssistantError(Exception):
    """Root of every error the product raises on purpose; the message is user-safe."""

    status = 500


class InputError(AssistantError):
    """The question or request is unusable as given (empty, too long, malformed)."""

    status = 422


class TooLargeError(InputError):
    status = 413


class RateLimitedError(AssistantError):
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ForbiddenOriginError(AssistantError):
    status = 403


class NotReadyError(AssistantError):
    """The index or the model is missing or still being prepared."""

    status = 503


class ModelNotPreparedError(NotReadyError):
    pass


class IndexNotFoundError(NotReadyError):
    pass


class IndexLockedError(AssistantError):
    """Another process is writing the index."""

    status = 409


class StoreUnavailableError(NotReadyError):
    """The Chroma store (embedded folder or server) cannot be reached or read."""


class UpstreamError(AssistantError):
    """The optional LLM endpoint failed; the extractive answer is used instead."""

    status = 502
