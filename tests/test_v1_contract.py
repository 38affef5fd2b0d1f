"""/v1 as the official `openai` SDK sees it: every parameter honoured or refused by name.

The app runs under uvicorn with the product's server config on loopback; the SDK talks to it
as to OpenAI. A parameter the server cannot honour is a 400 whose message and `param` name
it (never accepted and ignored); those it honours (`n=1`, `stream_options.include_usage`,
`response_format` text, ...) do what OpenAI documents; citations are URL-citation
annotations of the message as well as the `citations` extension; the streamed content,
joined, is the plain reply's content. The hashing embedder stands in for the model.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial

import openai
import pytest
from fake_service import QUESTION, fake_service
from loopback import LoopbackServer

from assistant.serve.server import create_app, server_config
from assistant.service import Assistant

pytestmark = pytest.mark.slow

MARKER = re.compile(r"\[(\d+)\]")
USER = [{"role": "user", "content": QUESTION}]
TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    return fake_service(tmp_path_factory.mktemp("v1"))


@pytest.fixture(scope="module")
def client(service: Assistant) -> Iterator[openai.OpenAI]:
    config = partial(server_config, settings=service.settings)
    with LoopbackServer(create_app(service.settings, service, with_ui=False), config=config,
                        lifespan="on") as server:
        server.wait_ready()
        yield openai.OpenAI(base_url=f"{server.url}/v1", api_key="x", max_retries=0, timeout=60)


@pytest.fixture(scope="module")
def plain(client: openai.OpenAI):
    completion = client.chat.completions.create(model="housing-assistant", messages=USER)
    assert completion.citations and MARKER.search(completion.choices[0].message.content)
    return completion


REFUSED = [
    ({"n": 2}, "n"),
    ({"response_format": {"type": "json_object"}}, "response_format"),
    ({"tools": [TOOL]}, "tools"),
    ({"tool_choice": "required"}, "tool_choice"),
    ({"functions": [TOOL["function"]]}, "functions"),
    ({"max_tokens": 50}, "max_tokens"),
    ({"max_completion_tokens": 50}, "max_completion_tokens"),
    ({"logprobs": True}, "logprobs"),
    ({"top_logprobs": 3}, "top_logprobs"),
    ({"stop": ["."]}, "stop"),
    ({"logit_bias": {"50256": -100}}, "logit_bias"),
    ({"store": True}, "store"),
    ({"modalities": ["text", "audio"]}, "modalities"),
    ({"audio": {"voice": "alloy", "format": "wav"}}, "audio"),
    ({"reasoning_effort": "low"}, "reasoning_effort"),
    ({"web_search_options": {}}, "web_search_options"),
    ({"stream_options": {"include_usage": True}}, "stream_options"),  # without stream: true
    ({"temperature": 5}, "temperature"),
    ({"extra_body": {"best_of": 3}}, "best_of"),  # not an OpenAI chat parameter at all
    ({"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.org/plan.png"}}]}]},
     "messages[0].content[0].type"),
    ({"messages": [{"role": "user", "content": "Wat is NETCO?"},
                   {"role": "assistant", "content": None, "tool_calls": [
                       {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}]},
                   *USER]}, "messages[1].tool_calls"),
]


# Each refused plain and streamed (before any event), but stream_options: it needs `stream`.
CASES = [(options, param, stream) for options, param in REFUSED for stream in (False, True)
         if not (stream and param == "stream_options")]


@pytest.mark.parametrize(("options", "param", "stream"), CASES,
                         ids=[f"{p}-{'stream' if s else 'plain'}" for _, p, s in CASES])
def test_a_parameter_not_honoured_is_refused_by_name(client: openai.OpenAI, options: dict,
                                                     param: str, stream: bool) -> None:
    request = {"model": "housing-assistant", "messages": USER, **options}
    with pytest.raises(openai.BadRequestError) as caught:
        if stream:
            for _ in client.chat.completions.create(**request, stream=True):
                pass
        else:
            client.chat.completions.create(**request)
    error = caught.value
    assert error.status_code == 400 and error.param == param
    assert param in error.body["message"], error.body


def test_parameters_it_honours_or_that_change_nothing_are_accepted(client: openai.OpenAI, plain) -> None:
    completion = client.chat.completions.create(
        model="anything", messages=USER, n=1, temperature=0.2, top_p=0.9, seed=7, user="portal-1",
        presence_penalty=0, frequency_penalty=0, response_format={"type": "text"},
        tool_choice="none", logprobs=False, metadata={"page": "faq"}, store=False,
        modalities=["text"], service_tier="auto", parallel_tool_calls=False)
    assert completion.model == "anything" and len(completion.choices) == 1
    assert completion.choices[0].message.content == plain.choices[0].message.content


def test_a_tool_message_is_refused_by_the_schema(client: openai.OpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model="m", messages=[
            *USER, {"role": "assistant", "content": "x"},
            {"role": "tool", "tool_call_id": "c1", "content": "x"}, *USER])


def test_a_system_message_is_accepted_and_not_followed(client: openai.OpenAI, plain) -> None:
    """Documented: the answer comes from the knowledge base; `lang` picks its language."""
    completion = client.chat.completions.create(model="m", messages=[
        {"role": "system", "content": "Always answer in English."}, *USER])
    assert completion.choices[0].message.content == plain.choices[0].message.content
    english = client.chat.completions.create(model="m", messages=USER, extra_body={"lang": "en"})
    assert english.choices[0].message.content != plain.choices[0].message.content


def test_citations_are_url_citation_annotations(plain) -> None:
    message = plain.choices[0].message
    text, citations = message.content, {c["n"]: c for c in plain.citations}
    annotations = message.annotations
    assert annotations, "the SDK finds no annotations"
    markers = [(m.start(), m.end(), int(m.group(1))) for m in MARKER.finditer(text)]
    assert [(a.url_citation.start_index, a.url_citation.end_index) for a in annotations] == [
        (start, end) for start, end, _ in markers]
    for annotation, (start, end, n) in zip(annotations, markers):
        assert annotation.type == "url_citation"
        assert text[start:end] == f"[{n}]"
        assert annotation.url_citation.title == citations[n]["title"]
        assert annotation.url_citation.url == citations[n]["url"]


def test_the_stream_joined_is_the_plain_text(client: openai.OpenAI, plain) -> None:
    pieces, last = [], None
    for chunk in client.chat.completions.create(model="m", messages=USER, stream=True):
        assert chunk.usage is None
        if chunk.choices:
            pieces.append(chunk.choices[0].delta.content or "")
            if chunk.choices[0].finish_reason:
                last = chunk
    assert "".join(pieces) == plain.choices[0].message.content  # no blank line after it
    assert last.model_extra["citations"] == plain.citations
    assert last.choices[0].delta.model_extra["annotations"] == [
        a.model_dump() for a in plain.choices[0].message.annotations]
    # The SDK's own stream helper assembles the same message.
    with client.chat.completions.stream(model="m", messages=USER) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == plain.choices[0].message.content


def test_include_usage_adds_a_last_usage_chunk(client: openai.OpenAI, plain) -> None:
    chunks = list(client.chat.completions.create(model="m", messages=USER, stream=True,
                                                 stream_options={"include_usage": True}))
    *text_chunks, last = chunks
    assert last.choices == [] and last.usage is not None
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens
    assert all(c.usage is None and c.choices for c in text_chunks)
    assert "".join(c.choices[0].delta.content or "" for c in text_chunks) == \
        plain.choices[0].message.content
