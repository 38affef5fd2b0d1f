"""What the server's logs may hold: no request content, and a bounded size (issue 22, item 4).

/privacy promises that no question text is logged. Three things broke it, or the disk:

- Gradio prints the traceback of a failed chat event to stderr (`traceback.print_exc()` in
  its queue and routes), and the exception's message repeats the client's input: pydantic's
  `input_value='…'`, or "Value: '…' is not in the list of choices". Those calls are sent to
  the logger `assistant.serve.chat` instead, as one line (`route_gradio_tracebacks`).
- Any record with an exception (`logger.exception`, uvicorn's "Exception in ASGI
  application") printed the traceback and the message. `SafeLogs` keeps the exception's type
  and the innermost frame (`ValidationError at blocks.py:2167`), never its message.
- Nothing bounded a line or the number of lines: 20 malformed joins wrote 8.4 MB in 2.1 s.
  `SafeLogs` cuts every argument of a record to MAX_ARG_CHARS (and its template to
  MAX_LINE_CHARS), writes line breaks as `\\n` (one record, one line), rewrites any
  `input_value=…` that still gets through, and lets through at most BURST warnings or errors
  of one kind (logger and template) per WINDOW_SECONDS; the next one let through says how
  many were left out. Access lines (INFO) are not counted: one per request, each bounded.

`guard_logs()` installs both; `server_config` and `create_app` call it (idempotent). The
filter sits on the handlers (those of uvicorn's loggers, the root logger's, and Python's
last-resort handler, which writes the root's warnings when it has no handler), so records of
every logger that reach them pass it.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
import traceback
import types
from pathlib import Path

# Longest template, and longest argument, of a record once it passed the filter.
MAX_LINE_CHARS = 500
MAX_ARG_CHARS = 300
# Warnings and errors of one kind (logger, template) let through per window.
BURST = 20
WINDOW_SECONDS = 60.0
# pydantic's "input_value='…'" (also in a repr's quotes), or up to the next comma or space.
_INPUT_VALUE = re.compile(r"""input_value=(?:'(?:[^'\\]|\\.)*'?|"(?:[^"\\]|\\.)*"?|[^,\s\]]*)""")
_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access")
# Gradio modules that call traceback.print_exc() on a failed event.
_GRADIO_MODULES = ("gradio.queueing", "gradio.routes", "gradio.route_utils")

chat_logger = logging.getLogger("assistant.serve.chat")


def describe(error: BaseException) -> str:
    """`Type at file.py:line` of the innermost frame of the error it was raised from; never
    the message (it may hold the asker's text)."""
    while error.__cause__ is not None:
        error = error.__cause__
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    return f"{type(error).__name__} at {where}"


def bounded(text: str, limit: int = MAX_ARG_CHARS) -> str:
    """`text` on one line, without pydantic's input values, at most `limit` characters."""
    text = _INPUT_VALUE.sub("input_value=…", text)
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    if len(text) > limit:
        text = f"{text[:limit]}… ({len(text) - limit} more characters)"
    return text


def _safe_arg(value: object) -> object:
    if value is None or isinstance(value, (bool, int, float)):
        return value  # uvicorn's access formatter needs the status code as a number
    return bounded(value if isinstance(value, str) else str(value))


class SafeLogs(logging.Filter):
    """See the module docstring. One instance serves every handler; a record passed by one
    handler is not rewritten or counted again by the next."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], list[float | int]] = {}  # key -> [start, seen]

    def filter(self, record: logging.LogRecord) -> bool:
        kept = getattr(record, "_assistant_kept", None)
        if kept is not None:
            return kept
        template = record.msg if isinstance(record.msg, str) else "<object>"
        suppressed = self._admit(record.name, template) if record.levelno >= logging.WARNING else 0
        record._assistant_kept = suppressed is not None  # type: ignore[attr-defined]
        if suppressed is None:
            return False
        self._rewrite(record, suppressed)
        return True

    def _admit(self, name: str, template: str) -> int | None:
        """How many of this kind were left out before this one, or None to leave it out."""
        now = time.monotonic()
        with self._lock:
            window = self._windows.get((name, template))
            if window is None or now - window[0] >= WINDOW_SECONDS:
                left_out = max(0, int(window[1]) - BURST) if window is not None else 0
                self._windows[(name, template)] = [now, 1]
                if len(self._windows) > 10_000:  # templates are code's, but bound it anyway
                    self._windows = {k: v for k, v in self._windows.items()
                                     if now - v[0] < WINDOW_SECONDS}
                return left_out
            window[1] += 1
            return 0 if window[1] <= BURST else None

    @staticmethod
    def _rewrite(record: logging.LogRecord, suppressed: int) -> None:
        message = record.msg if isinstance(record.msg, str) else str(record.msg)
        if record.args and len(message) > MAX_LINE_CHARS:  # cut, its %s could not be filled
            message, record.args = record.getMessage(), ()
        message = bounded(message, MAX_LINE_CHARS)
        escape = (lambda text: text.replace("%", "%%")) if record.args else (lambda text: text)
        if isinstance(record.args, tuple):
            record.args = tuple(_safe_arg(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _safe_arg(value) for key, value in record.args.items()}
        if record.exc_info and record.exc_info[1] is not None:
            message += escape(f" ({describe(record.exc_info[1])})")
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        if suppressed:
            message += f" ({suppressed} more like this left out in the last {WINDOW_SECONDS:.0f} s)"
        record.msg = message


_FILTER = SafeLogs()


class _ChatTraceback(types.ModuleType):
    """`traceback` as Gradio's modules see it: print_exc logs one line instead of printing."""

    def __init__(self) -> None:
        super().__init__("traceback")

    def __getattr__(self, name: str):
        return getattr(traceback, name)

    @staticmethod
    def print_exc(limit=None, file=None, chain=True) -> None:  # noqa: ARG004
        chat_logger.error("a chat event failed", exc_info=sys.exc_info())


def route_gradio_tracebacks() -> None:
    """Gradio's print_exc() calls go to `assistant.serve.chat` (modules already imported)."""
    for name in _GRADIO_MODULES:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "traceback", None) is traceback:
            module.traceback = _ChatTraceback()


def guard_logs() -> None:
    """Put SafeLogs on the handlers the server's records reach, and route Gradio's tracebacks
    to a logger. Call after uvicorn configured its loggers (uvicorn.Config replaces their
    handlers)."""
    handlers = [logging.lastResort] if logging.lastResort is not None else []
    for name in _LOGGERS:
        handlers.extend(logging.getLogger(name).handlers)
    for handler in handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    route_gradio_tracebacks()
