"""schemathesis against the product's OpenAPI document, over real HTTP on loopback.

Every operation of `/api/openapi.json` gets schemathesis's examples, coverage (boundary
values, missing and wrong-typed fields, undeclared methods) and a bounded fuzzing phase,
with every check: no 5xx, only documented statuses and content types, responses matching
their schema, schema-valid requests accepted and invalid ones rejected, `Allow` on 405.
The index is the seed corpus embedded by the hashing fake; the rate limits are raised so
the fuzzer sees the routes, not the limiter (a test below checks the 429 on its own).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from conftest import SEED_CORPUS
from fakes import FixedPolicy, HashingEmbedder
from hypothesis import HealthCheck, settings
from test_api import LiveServer, assert_error

from assistant.config import Settings
from assistant.pipeline import Pipeline
from assistant.serve.server import create_app
from assistant.service import Assistant
from assistant.wiring import build_assistant

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 25  # per operation, fuzzing phase; the coverage phase adds its own cases


def fuzz_settings(root, **overrides) -> Settings:
    return Settings(corpus_dir=SEED_CORPUS, index_dir=root / "index", cache_dir=root / "cache",
                    feedback_dir=root / "feedback", **overrides)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("fuzz")
    base = fuzz_settings(root)
    pipeline = Pipeline(base, embedder=HashingEmbedder(), index_dir=base.index_dir)
    pipeline.ingest(SEED_CORPUS, show_progress=False)
    service = build_assistant(base, pipeline=pipeline,
                              policy=FixedPolicy())  # the fitted decision reads real-encoder cosines
    return service


@pytest.fixture(scope="module")
def server(service: Assistant) -> Iterator[LiveServer]:
    unlimited = service.settings.model_copy(update={"rate_limit": "100000/minute",
                                                    "search_rate_limit": "100000/minute"})
    app = create_app(unlimited, build_assistant(unlimited, pipeline=service.pipeline), with_ui=False)
    with LiveServer(app) as live:
        live.wait_ready()
        yield live


# The app's own document, built without a model or an index (both load lazily), so that pytest
# can parametrize at collection; schemathesis's fixture-based loader fails on pytest 9.
SPEC = create_app(Settings(), with_ui=False).openapi()
CONFIG = schemathesis.Config.from_dict({
    "checks": {
        # 413 is the documented answer to a body over the byte cap (a schema-valid history can
        # pass it) and to a question over the length limit.
        "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409",
                                                           "413", "429"]},
        "negative_data_rejection": {"expected-statuses": ["400", "405", "406", "413", "415",
                                                          "422", "429"]},
    },
    # A schema cannot say "the last message is the user's": a valid list may end with another
    # role and get 422. Every other check still runs on the route.
    "operations": [{"include-path": "/v1/chat/completions",
                    "checks": {"positive_data_acceptance": {"enabled": False}}}],
})
schema = schemathesis.openapi.from_dict(SPEC, config=CONFIG)


def test_served_document_is_the_fuzzed_one(server: LiveServer) -> None:
    assert httpx.get(f"{server.url}/api/openapi.json", timeout=30).json() == SPEC


@schema.parametrize()
# derandomize: the same cases every run, so a red CI names a real regression, not a new draw
# (a random draw found the undocumented event-stream reply of /v1 once; widen by changing it).
@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_api_matches_its_schema(case, server: LiveServer) -> None:
    case.call_and_validate(base_url=server.url)


def test_documented_limits_hold(service: Assistant) -> None:
    """What the schema documents but the fuzzer cannot reach: 429 and 413 as described."""
    limited = service.settings.model_copy(update={"rate_limit": "2/minute"})
    app = create_app(limited, build_assistant(limited, pipeline=service.pipeline), with_ui=False)
    with LiveServer(app) as live:
        with httpx.Client(base_url=live.url, timeout=60) as client:
            spec = client.get("/api/openapi.json").json()
            ask = spec["paths"]["/api/ask"]["post"]
            assert {"400", "413", "422", "429"} <= set(ask["responses"])
            question = spec["components"]["schemas"]["AskRequest"]["properties"]["question"]
            assert question["minLength"] == 1 and question["maxLength"] == limited.max_question_chars
            for _ in range(2):
                client.post("/api/ask", json={"question": "NETCO"})
            limited_reply = client.post("/api/ask", json={"question": "NETCO"})
            assert_error(limited_reply, 429)
            assert int(limited_reply.headers["retry-after"]) >= 1
            assert_error(client.post("/api/feedback", content=b"x" * 40_000,
                                     headers={"content-type": "application/json"}), 413)
