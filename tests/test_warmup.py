"""The server's warm-up loads what a first question needs, the model, the index and the files
fitted for the encoder, so `/api/health` is ready only once all are loaded and reports a
broken fitted file as it reports a model that cannot load (the hashing fake, no model)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import pytest
from fake_service import fake_service
from fastapi.testclient import TestClient

import assistant.fitted as fitted_module
import assistant.models.reader as reader_module
import assistant.pipeline as pipeline_module
from assistant.models.reader import fitted_reader
from assistant.serve.server import create_app

STARTING = "The assistant is starting. Please try again in a moment."


def wait_until(done: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "the warm-up did not get there in time"
        time.sleep(0.02)


def settled_health(client: TestClient) -> httpx.Response:
    """/api/health once the warm-up is over, loaded or failed."""
    deadline = time.monotonic() + 30
    while ((reply := client.get("/api/health")).status_code != 200
           and reply.json()["error"]["message"] == STARTING):
        assert time.monotonic() < deadline, "the warm-up did not end in time"
        time.sleep(0.02)
    return reply


def test_health_is_ready_only_once_the_fitted_files_are_loaded(tmp_path, monkeypatch) -> None:
    service = fake_service(tmp_path)
    reading, release = threading.Event(), threading.Event()
    load_fitted = pipeline_module.load_fitted

    def slow_load(encoder: str):
        reading.set()
        release.wait(30)
        return load_fitted(encoder)

    monkeypatch.setattr(pipeline_module, "load_fitted", slow_load)
    with TestClient(create_app(service.settings, service, with_ui=False)) as client:
        wait_until(reading.is_set)  # the warm-up reads them: the retriever is loaded by now
        reply = client.get("/api/health")
        assert reply.status_code == 503 and reply.json()["error"]["message"] == STARTING
        release.set()
        assert settled_health(client).status_code == 200
        assert "fitted" in vars(service.pipeline)  # a first question reads nothing more


@pytest.fixture
def broken_reader_file(tmp_path, monkeypatch):
    broken = tmp_path / "fitted" / "reader.json"
    broken.parent.mkdir()
    broken.write_text('{"models": {', encoding="utf-8")  # cut short
    monkeypatch.setattr(reader_module, "READER_FILE", broken)
    monkeypatch.setattr(fitted_module, "FOLDER", broken.parent)
    fitted_reader.cache_clear()
    fitted_module._read.cache_clear()
    yield
    fitted_reader.cache_clear()
    fitted_module._read.cache_clear()


def test_health_reports_a_broken_fitted_file(tmp_path, broken_reader_file, caplog) -> None:
    service = fake_service(tmp_path)
    with TestClient(create_app(service.settings, service, with_ui=False)) as client:
        reply = settled_health(client)
    assert reply.status_code == 503 and reply.headers["retry-after"]
    assert reply.json()["error"]["message"] == ("The model, the index or the fitted files could "
                                                "not be loaded; see the server log.")
    assert "JSONDecodeError" in caplog.text  # the cause, in the log only
