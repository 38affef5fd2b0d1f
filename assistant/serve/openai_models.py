"""Request/response models of the OpenAI-compatible /v1 (openai_api.py): every parameter of
OpenAI's chat-completion request honoured or refused by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.languages import LanguageCode
from assistant.serve.api_models import CitationOut, ErrorResponse, Region, Text, schema_ref

MODEL_NAME = "housing-assistant"


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
CHAT_STREAM_EVENTS = {"message": {"anyOf": [schema_ref(ChatCompletionChunk),
                                            schema_ref(ErrorResponse)]}}
# Models that only the events name (beside api_models.EVENT_MODELS): install_api adds them.
CHAT_EVENT_MODELS = (ChatCompletionChunk,)
