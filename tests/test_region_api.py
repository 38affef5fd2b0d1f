"""The region filter, grouped sources and the age notice through the HTTP API, over real HTTP
on loopback (uvicorn in a thread), on the regional index with the hashing embedder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import httpx
import pytest
from loopback import LoopbackServer
from regional import NETCO_QUESTION, LandlordPolicy, regional_pipeline

from assistant.answer.messages import say
from assistant.referrals import DEFAULT_REFERRALS
from assistant.search.regions import REGIONS, allowed_regions
from assistant.serve.server import create_app
from assistant.wiring import build_assistant

pytestmark = pytest.mark.slow

PRESSURE_COOKER = "Wanneer is de Transitie Pressure Cooker over toekomstbestendige sociale huisvesting?"
LANDLORD_FR = "Mon bailleur peut-il augmenter le loyer en cours de bail ?"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pipeline = regional_pipeline(tmp_path_factory.mktemp("region-api"), rate_limit="1000/minute",
                                 search_rate_limit="1000/minute")
    service = build_assistant(pipeline.settings, pipeline=pipeline,
                              policy=LandlordPolicy())
    with LoopbackServer(create_app(pipeline.settings, service, with_ui=False)) as server:
        server.wait_ready()
        yield server.url


def regions(items) -> set[str]:
    return {item["region"] for item in items}


def test_search_takes_a_region_query_parameter(url: str) -> None:
    hits = httpx.get(f"{url}/api/search", params={"q": NETCO_QUESTION, "k": 10}).json()["hits"]
    assert "brussels" in regions(hits)
    for region in REGIONS:
        reply = httpx.get(f"{url}/api/search", params={"q": NETCO_QUESTION, "region": region})
        assert reply.status_code == 200
        assert reply.json()["hits"] and regions(reply.json()["hits"]) <= set(allowed_regions(region))


def test_ask_takes_a_region_field_and_groups_citations_by_document(url: str) -> None:
    body = httpx.post(f"{url}/api/ask", json={"question": NETCO_QUESTION}).json()
    assert "brussels" in regions(body["citations"])
    filtered = httpx.post(f"{url}/api/ask", json={"question": NETCO_QUESTION,
                                                  "region": "netherlands"}).json()
    assert filtered["citations"] and regions(filtered["citations"]) <= {"netherlands", "eu"}
    for answer in (body, filtered):
        numbers = [c["n"] for c in answer["citations"]]
        assert sorted(n for s in answer["sources"] for n in s["citations"]) == numbers
        assert len({s["doc_id"] for s in answer["sources"]}) == len(answer["sources"])
        for source in answer["sources"]:
            cited = [c for c in answer["citations"] if c["n"] in source["citations"]]
            assert {c["doc_id"] for c in cited} == {source["doc_id"]}
            assert [q["quote"] for q in source["quotes"]] == [c["quote"] for c in cited]


def test_a_refusal_refers_to_the_requested_region_in_the_askers_language(url: str) -> None:
    for region in ("brussels", "flanders", "netherlands"):
        body = httpx.post(f"{url}/api/ask", json={"question": LANDLORD_FR, "region": region}).json()
        assert body["refused"] and body["lang"] == "fr"
        assert body["answer"] == say("refusal", "fr", referral=DEFAULT_REFERRALS[region]["fr"])


def test_the_stream_and_the_openai_endpoint_take_the_region(url: str) -> None:
    with httpx.stream("POST", f"{url}/api/ask/stream",
                      json={"question": NETCO_QUESTION, "region": "flanders"}) as reply:
        lines = [line for line in reply.iter_lines() if line.startswith(("event:", "data:"))]
    events = {name[6:].strip(): json.loads(data[5:]) for name, data in zip(lines, lines[1:])
              if name.startswith("event:") and data.startswith("data:")}
    citations = events["citations"]
    assert citations and regions(citations) <= {"flanders", "eu"}
    chat = httpx.post(f"{url}/v1/chat/completions", json={
        "messages": [{"role": "user", "content": NETCO_QUESTION}], "region": "netherlands"}).json()
    assert chat["citations"] and regions(chat["citations"]) <= {"netherlands", "eu"}


def test_an_unknown_region_is_422(url: str) -> None:
    ask = httpx.post(f"{url}/api/ask", json={"question": NETCO_QUESTION, "region": "wallonia"})
    search = httpx.get(f"{url}/api/search", params={"q": NETCO_QUESTION, "region": "Mars"})
    assert ask.status_code == search.status_code == 422
    assert set(ask.json()) == {"error"}


def test_an_answer_from_old_documents_says_so(url: str) -> None:
    body = httpx.post(f"{url}/api/ask", json={"question": PRESSURE_COOKER}).json()
    assert {c["date"] for c in body["citations"]} == {"2014"}
    assert date.today().year - 2014 > 5  # the default age
    assert body["answer"].endswith(say("dated", "nl", years="2014"))


def test_the_openapi_document_lists_the_region(url: str) -> None:
    schema = httpx.get(f"{url}/api/openapi.json").json()
    ask = schema["components"]["schemas"]["AskRequest"]["properties"]["region"]
    assert set(ask["anyOf"][0]["enum"]) == set(REGIONS)
    parameters = schema["paths"]["/api/search"]["get"]["parameters"]
    assert "region" in {p["name"] for p in parameters}
    assert "sources" in schema["components"]["schemas"]["AskResponse"]["properties"]
