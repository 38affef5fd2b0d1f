"""Request/response models of the HTTP API and the conversions from the assistant's types."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from assistant.answer.citations import citation_json
from assistant.config import Settings
from assistant.languages import LanguageCode
from assistant.answer.sources import group_sources, source_json
from assistant.types import Answer, Hit, Turn

Region = Literal["flanders", "brussels", "netherlands", "eu"]
REGION_HELP = "Only documents of this region, and the European ones (they concern every region)."
MODEL_NAME = "housing-assistant"


# --------------------------------------------------------------------------- request / response models


def _encodable(value: str) -> str:
    """JSON may carry lone surrogates (\\ud800), which no tokenizer or file accepts."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the text contains invalid characters") from None
    return value


Text = Annotated[str, AfterValidator(_encodable)]

# The service checks a question itself (Assistant.check_question: 422 without a letter or digit,
# 413 over max_question_chars), with messages in the asker's language; the schema only
# documents those checks, at the default limits, so that clients and fuzzers see the truth.
# `[^\W_]` is "a letter or digit" (Unicode categories L and N exactly, in Python's re, which
# JSON Schema validators in Python use); `\p{L}` is not a regex Python compiles.
QUESTION_SCHEMA = {"minLength": 1, "pattern": r"[^\W_]",
                   "maxLength": Settings.model_fields["max_question_chars"].default}
Question = Annotated[Text, Field(description="The question, in Dutch, French or English: "
                                             "a letter or digit at least, at most "
                                             f"{QUESTION_SCHEMA['maxLength']} characters.",
                                 json_schema_extra=QUESTION_SCHEMA)]


class HistoryMessage(BaseModel):
    role: Literal["user", "assistant"]
    content: Text = Field(max_length=8000)


class AskRequest(BaseModel):
    question: Question
    history: list[HistoryMessage] = Field(
        default_factory=list, description="Earlier messages, oldest first.",
        json_schema_extra={"maxItems": Settings.model_fields["max_history_messages"].default})
    lang: LanguageCode | None = Field(None, description="Answer language; detected when absent.")
    region: Region | None = Field(
        None, description=f"{REGION_HELP} A refusal then refers to that region's public "
                          "services, unless the question names another region.")


class CitationOut(BaseModel):
    """`citation_json`: the shape other tools read; fields are added, never renamed."""

    model_config = ConfigDict(extra="allow")
    n: int
    passage_id: str
    doc_id: str
    title: str
    quote: str
    passage: str


class QuoteOut(BaseModel):
    n: int
    passage_id: str
    quote: str


class SourceOut(BaseModel):
    """One document of the answer (`sources.source_json`): its citations `n` and their quotes."""

    model_config = ConfigDict(extra="allow")
    source: int
    doc_id: str
    title: str
    publisher: str
    date: str
    url: str
    language: str
    region: str
    citations: list[int]
    quotes: list[QuoteOut]


class AskResponse(BaseModel):
    answer: str
    lang: str
    refused: bool
    citations: list[CitationOut]
    sources: list[SourceOut] = Field(
        default_factory=list, description="The citations grouped by document, in order of first use.")


class SearchHit(BaseModel):
    passage_id: str
    doc_id: str
    title: str
    text: str
    score: float
    region: str = ""


class SearchResponse(BaseModel):
    question: str
    lang: str
    hits: list[SearchHit]


class HealthResponse(BaseModel):
    status: Literal["ok"]
    model: str
    passages: int


PassageId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8,64}$")]


class FeedbackRequest(BaseModel):
    """Only these fields are stored: never the question or the answer text."""

    vote: Literal["up", "down"]
    passage_ids: list[PassageId] = Field(default_factory=list, max_length=20)
    lang: LanguageCode | None = None


class FeedbackResponse(BaseModel):
    stored: bool


class ErrorDetail(BaseModel):
    status: int
    message: str
    param: str | None = Field(None, description="/v1's 400s only: the parameter refused, as "
                                                "OpenAI's errors name it (`BadRequestError.param`).")


class ErrorResponse(BaseModel):
    error: ErrorDetail


# --------------------------------------------------------------------------- /api/ask/stream events


class StreamText(BaseModel):
    """`delta`: the next piece of the answer; `answer`: the whole final text."""

    text: str


class StreamDone(BaseModel):
    lang: str
    refused: bool


def _ref(model: type[BaseModel]) -> dict:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


# What each server-sent event's `data` holds (JSON), by event name: the OpenAPI document lists
# them as `x-sse-events` beside `text/event-stream` (OpenAPI 3.1 has no schema for a stream's
# items); install_api adds these models to its components.
ASK_STREAM_EVENTS = {"delta": _ref(StreamText), "answer": _ref(StreamText),
                     "citations": {"type": "array", "items": _ref(CitationOut)},
                     "done": _ref(StreamDone), "error": _ref(ErrorDetail)}


# --------------------------------------------------------------------------- /v1 requests


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = Field(json_schema_extra={"enum": ["text"]},
                      description="Only text parts: any other type is refused (400).")
    text: Text | None = None


# Keys an earlier assistant message may carry when a client sends back the reply it got
# (the SDK's `message.model_dump()`): accepted and not read.
REPLY_KEYS = frozenset({"annotations", "refusal"})


class ChatMessage(BaseModel):
    """`system` and `developer` messages are accepted and not followed: the answer comes from
    the knowledge base alone (`lang` chooses its language). A tool's message has no place here
    (no tools are called)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": False})
    role: Literal["system", "developer", "user", "assistant"]
    content: Text | list[ContentPart] | None = None
    name: str | None = Field(None, description="Accepted; not read.")
    annotations: list | None = Field(None, description="An earlier reply's: accepted, not read.")
    refusal: str | None = Field(None, description="An earlier reply's: accepted, not read.")

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(part.text or "" for part in self.content if part.type == "text")
        return self.content or ""


def _number(low: float, high: float) -> Callable[[Any], bool]:
    return lambda v: v is None or (type(v) in (int, float) and low <= v <= high)


def _one_of(*values: Any) -> Callable[[Any], bool]:
    """None or one of `values`, of the same type (1 is not True)."""
    return lambda v: v is None or any(type(v) is type(x) and v == x for x in values)


def _stream_options(value: Any) -> bool:
    return value is None or (isinstance(value, dict) and set(value) <= {"include_usage", "include_obfuscation"}
                             and type(value.get("include_usage", False)) is bool
                             and value.get("include_obfuscation", False) is False)


@dataclass(frozen=True)
class Option:
    """An OpenAI chat-completion parameter: what the document says is accepted (`schema`),
    the check (`accepts`) and why anything else is refused with a 400 naming it."""

    schema: dict
    accepts: Callable[[Any], bool]
    refusal: str


NO_EFFECT = ("Accepted; no effect: the answer quotes the documents and is the same every "
             "time (as at temperature 0).")
NULLABLE_NUMBER = {"type": ["number", "null"]}
NOT_SUPPORTED = "not supported by this server"


def _nothing(refusal: str, description: str | None = None) -> Option:
    """A parameter whose only accepted value is null (absent)."""
    return Option({"type": "null", "description": description or f"Not supported: {refusal}"},
                  lambda v: v is None, refusal)


_ID = Option({"type": ["string", "null"], "description": "Accepted; not stored, no effect."},
             lambda v: v is None or isinstance(v, str), "a string")

OPENAI_OPTIONS: dict[str, Option] = {
    # Sampling: the answer is extractive, there is nothing to sample.
    "temperature": Option({**NULLABLE_NUMBER, "minimum": 0, "maximum": 2, "description": NO_EFFECT},
                          _number(0, 2), "a number from 0 to 2"),
    "top_p": Option({**NULLABLE_NUMBER, "minimum": 0, "maximum": 1, "description": NO_EFFECT},
                    _number(0, 1), "a number from 0 to 1"),
    "presence_penalty": Option({**NULLABLE_NUMBER, "minimum": -2, "maximum": 2,
                                "description": NO_EFFECT}, _number(-2, 2), "a number from -2 to 2"),
    "frequency_penalty": Option({**NULLABLE_NUMBER, "minimum": -2, "maximum": 2,
                                 "description": NO_EFFECT}, _number(-2, 2), "a number from -2 to 2"),
    "seed": Option({"type": ["integer", "null"], "description": NO_EFFECT},
                   lambda v: v is None or type(v) is int, "an integer"),
    "logit_bias": Option({"type": ["object", "null"], "maxProperties": 0,
                          "description": "Only empty: no token is sampled, so none can be biased."},
                         lambda v: v is None or v == {}, "not supported: the answer is quoted "
                         "from the documents, no token is sampled"),
    # Identifiers of the caller: nothing is kept, they change nothing.
    "user": _ID, "safety_identifier": _ID, "prompt_cache_key": _ID,
    "metadata": Option({"type": ["object", "null"], "additionalProperties": {"type": "string"},
                        "description": "Accepted; not stored, no effect."},
                       lambda v: v is None or (isinstance(v, dict)
                                               and all(isinstance(x, str) for x in v.values())),
                       "an object of strings"),
    "service_tier": Option({"enum": ["auto", "default", None], "description": "Accepted; one tier."},
                           _one_of("auto", "default"), 'only "auto" or "default": there is one tier'),
    "store": Option({"enum": [False, None], "description": "Completions are never stored."},
                    _one_of(False), "completions are not stored on this server"),
    # Honoured as OpenAI defines them.
    "n": Option({"enum": [1, None], "description": "One choice: there is one answer to a question."},
                _one_of(1), "only 1: there is one answer to a question"),
    "stream_options": Option(
        {"anyOf": [{"type": "object", "additionalProperties": False,
                    "properties": {"include_usage": {"type": "boolean"},
                                   "include_obfuscation": {"const": False}}},
                   {"type": "null"}],
         "description": "With `stream: true` only. `include_usage`: a last chunk before "
                        "`[DONE]` with `usage` and no choices (token counts are 0: not counted)."},
        _stream_options, "only include_usage (true or false), with stream: true"),
    "response_format": Option(
        {"anyOf": [{"type": "object", "properties": {"type": {"const": "text"}},
                    "required": ["type"], "additionalProperties": False}, {"type": "null"}],
         "description": 'Only `{"type": "text"}`: the answer is text with [n] markers.'},
        lambda v: v is None or v == {"type": "text"},
        'only {"type": "text"}: the answer is text with [n] citation markers, not JSON'),
    "modalities": Option({"anyOf": [{"const": ["text"]}, {"type": "null"}],
                          "description": 'Only `["text"]`.'},
                         lambda v: v is None or v == ["text"], 'only ["text"]'),
    "tools": Option({"type": ["array", "null"], "maxItems": 0, "description": "Only empty: no tool is called."},
                    lambda v: v is None or v == [], "not supported: the assistant answers from "
                    "its knowledge base and calls no tools"),
    "functions": Option({"type": ["array", "null"], "maxItems": 0,
                         "description": "Only empty: no function is called."},
                        lambda v: v is None or v == [], "not supported: the assistant calls no "
                        "functions"),
    "tool_choice": Option({"enum": ["none", "auto", None], "description": "No tool is called."},
                          _one_of("none", "auto"), 'only "none" or "auto": no tool is called'),
    "function_call": Option({"enum": ["none", "auto", None], "description": "No function is called."},
                            _one_of("none", "auto"), 'only "none" or "auto": no function is called'),
    "parallel_tool_calls": Option({"type": ["boolean", "null"], "description": "Accepted; no tool is called."},
                                  lambda v: v is None or type(v) is bool, "true or false"),
    "logprobs": Option({"enum": [False, None], "description": "No log probabilities: nothing is sampled."},
                       _one_of(False), "not available: the answer is quoted from the documents, "
                       "not sampled token by token"),
    "top_logprobs": Option({"enum": [0, None], "description": "No log probabilities."},
                           _one_of(0), "not available: no log probabilities"),
    "max_tokens": _nothing("an answer is whole quoted sentences with their citations, never cut "
                           "to a length"),
    "max_completion_tokens": _nothing("an answer is whole quoted sentences with their "
                                      "citations, never cut to a length"),
    "stop": Option({"anyOf": [{"type": "array", "maxItems": 0}, {"type": "null"}],
                    "description": "Not supported: an answer is never cut at a stop sequence."},
                   lambda v: v is None or v == [], "not supported: an answer is never cut at a "
                   "stop sequence"),
    "reasoning_effort": _nothing(NOT_SUPPORTED), "verbosity": _nothing(NOT_SUPPORTED),
    "audio": _nothing("the answer is text only"), "prediction": _nothing(NOT_SUPPORTED),
    "web_search_options": _nothing("the answer comes from the knowledge base, never the web"),
}


def _document_options(schema: dict[str, Any]) -> None:
    schema["properties"].update({name: option.schema for name, option in OPENAI_OPTIONS.items()})
    schema["additionalProperties"] = False  # any other parameter is refused by name (400)


class ChatRequest(BaseModel):
    """OpenAI's chat-completion request. Every parameter of OpenAI's is either honoured or
    refused with a 400 that names it (`OPENAI_OPTIONS`); so is any unknown one. The last
    message must be the user's: it is the question, earlier user/assistant messages the history."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_document_options)
    model: Text = Field(MODEL_NAME, description="Any name; echoed in the reply.")
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    lang: LanguageCode | None = Field(None, description="Extension: answer language; detected when absent.")
    region: Region | None = Field(None, description="Extension: as `region` of /api/ask.")


# --------------------------------------------------------------------------- /v1 responses


class UrlCitation(BaseModel):
    start_index: int = Field(description="Where the `[n]` marker starts in the content.")
    end_index: int = Field(description="Just after the marker (exclusive).")
    title: str
    url: str = Field(description="The document's link; empty when it has none.")


class Annotation(BaseModel):
    """One per `[n]` marker in the text, as OpenAI clients read web citations."""

    type: Literal["url_citation"]
    url_citation: UrlCitation


class CompletionMessage(BaseModel):
    role: Literal["assistant"]
    content: str
    annotations: list[Annotation]


class CompletionChoice(BaseModel):
    index: int
    finish_reason: Literal["stop"]
    message: CompletionMessage
    logprobs: None = None


class Usage(BaseModel):
    """Token counts are not counted: always 0."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage
    citations: list[CitationOut] = Field(description="Extension: the sources, as /api/ask's.")


class ChunkDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None
    annotations: list[Annotation] | None = Field(None, description="In the last chunk with choices.")


class ChunkChoice(BaseModel):
    index: int
    delta: ChunkDelta
    finish_reason: Literal["stop"] | None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"]
    created: int
    model: str
    choices: list[ChunkChoice] = Field(description="Empty only in the usage chunk.")
    usage: Usage | None = Field(None, description="With `stream_options.include_usage`: null, "
                                                  "then the counts in a last chunk.")
    citations: list[CitationOut] | None = Field(None, description="Extension: in the chunk "
                                                                   "that finishes the choice.")


class ModelCard(BaseModel):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"]
    data: list[ModelCard]


# The data of each event of a /v1 stream: a chunk (or an error object), then the text `[DONE]`.
CHAT_STREAM_EVENTS = {"message": {"anyOf": [_ref(ChatCompletionChunk), _ref(ErrorResponse)]}}
# Models that only the events name: install_api adds them to the document's components.
EVENT_MODELS = (StreamText, StreamDone, CitationOut, ErrorDetail, ErrorResponse, ChatCompletionChunk)


# 400: a body that is not text; 413: over the byte cap or the question limit; 429: the per-client budget.
ERRORS = {status: {"model": ErrorResponse} for status in (400, 403, 413, 422, 429, 503)}


# --------------------------------------------------------------------------- conversions


def hit_json(hit: Hit) -> dict:
    p = hit.passage
    return {"passage_id": p.passage_id, "doc_id": p.doc_id, "title": p.meta.title,
            "text": p.text, "score": round(float(hit.score), 6), "region": p.meta.region}


def answer_json(answer: Answer) -> dict:
    """/api/ask and `assistant ask --json`: the shape other tools read; extended, never renamed."""
    return {"answer": answer.text, "lang": answer.language, "refused": answer.refused,
            "citations": [citation_json(c) for c in answer.citations],
            "sources": [source_json(s) for s in group_sources(answer.citations)]}


def to_turns(messages: Iterable[tuple[str, str]]) -> list[Turn]:
    """user/assistant messages, oldest first -> Turns (a user message and the reply after it)."""
    turns: list[Turn] = []
    for role, content in messages:
        if role == "user":
            turns.append(Turn(content))
        elif role == "assistant" and turns and not turns[-1].answer:
            turns[-1] = Turn(turns[-1].question, content)
    return turns


def sse_json(value: Any) -> str:
    """An event's data: JSON with the documents' own characters (not \\u escapes)."""
    return json.dumps(value, ensure_ascii=False)
