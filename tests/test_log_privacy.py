"""Nothing of a question in the logs, and logs of a bounded size (issue 22, item 4), over real
HTTP on loopback with the product's app and uvicorn settings (`server_config`), and the log
filter on its own.
"""

from __future__ import annotations

import io
import logging
import sys

import gradio as gr
import pytest
from test_guard_routes import (GuardedServer, chat_events, gradio_tmp, guarded_service,  # noqa: F401
                               pipeline)

pytestmark = pytest.mark.slow

MARKER = "Zebrapippinhistlog"

def switch_event(server: GuardedServer) -> int:
    """The chat's language switch: its cheap event whose first input is a radio."""
    fns = server.app.state.chat.fns
    return next(i for i, fn in fns.items() if fn.inputs and isinstance(fn.inputs[0], gr.Radio)
                and fn.concurrency_id not in ("answer", "feedback"))


def test_malformed_chat_joins_leave_no_input_text_in_the_logs(
        pipeline, gradio_tmp, tmp_path, capfd: pytest.CaptureFixture,
        caplog: pytest.LogCaptureFixture) -> None:
    service = guarded_service(pipeline, tmp_path)
    server = GuardedServer(service, log_level="info")
    with server, server.client() as client:
        fn = switch_event(server)
        inputs = len(server.app.state.chat.fns[fn].inputs)
        # A chat history of 1,000 messages whose content is not what Gradio expects: pydantic
        # reports each, with its input value; and a language that is not one of the choices.
        history = [{"role": "user", "content": f"{MARKER} {j} waar woon ik"} for j in range(1000)]
        for k in range(20):
            first = "nl" if k % 2 else f"{MARKER} waar woon ik"
            body = {"data": [first, history] + [None] * (inputs - 2), "fn_index": fn,
                    "trigger_id": 1, "session_hash": f"malformed{k}"}
            assert client.post("/gradio_api/queue/join", json=body).status_code == 200
            messages = chat_events(client, f"malformed{k}", count=1)
            assert messages[-1]["msg"] == "process_completed" and not messages[-1]["success"]
    out, err = capfd.readouterr()
    # What went to the console, and what reached the root logger's handlers (pytest's here).
    logged = out + err + caplog.text
    assert all(record.exc_info is None for record in caplog.records)
    assert MARKER not in logged, logged[:2000]
    assert "Traceback" not in logged and "input_value='" not in logged
    failures = [line for line in logged.splitlines() if "a chat event failed" in line]
    assert 1 <= len(failures) <= 20 and all(len(line) < 300 for line in failures), failures
    # 20 joins and their streams: two access lines each and one line per failure (was 3.9 MB).
    print(f"{len(logged)} bytes of log for 20 malformed joins", file=sys.__stderr__)
    assert len(logged) < 20 * 600, len(logged)


def test_log_records_are_one_bounded_line_and_floods_are_cut() -> None:
    from assistant.serve.log_guard import BURST, MAX_ARG_CHARS, MAX_LINE_CHARS, SafeLogs

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(SafeLogs())
    logger = logging.getLogger("test.safe_logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ValueError(f"input_value='{MARKER}' " + "x" * 100_000)
        except ValueError:
            logger.exception("failed on %s", "a line\n" * 50_000)
        logger.error(f"1 validation error\n  input_value='{MARKER} waar', input_type=str")
        for _ in range(BURST * 5):
            logger.warning("NotReadyError on %s", "/api/ask")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert MARKER not in stream.getvalue(), lines[:2]
    first = lines[0]
    assert first.startswith("failed on a line\\na line") and \
        first.rsplit(" (", 1)[1].startswith("ValueError at test_log_privacy.py:"), first
    assert len(first) < MAX_LINE_CHARS + MAX_ARG_CHARS + 100
    assert lines[1] == "1 validation error\\n  input_value=…, input_type=str"
    assert len(lines) == 2 + BURST  # the rest of the flood is left out
