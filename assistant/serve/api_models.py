"""Request/response models of /api (those of /v1 are in openai_models.py) and the
conversions from the assistant's types."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from assistant.answer.citations import citation_json
from assistant.config import Settings
from assistant.languages import LanguageCode
from assistant.answer.sources import group_sources, source_json
from assistant.types import Answer, Hit, Turn

Region = Literal["flanders", "brussels", "netherlands", "eu"]
REGION_HELP = "Only documents of this region, and the European ones (they concern every region)."


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


def schema_ref(model: type[BaseModel]) -> dict:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


# What each server-sent event's `data` holds (JSON), by event name: the OpenAPI document lists
# them as `x-sse-events` beside `text/event-stream` (OpenAPI 3.1 has no schema for a stream's
# items); install_api adds these models to its components.
ASK_STREAM_EVENTS = {"delta": schema_ref(StreamText), "answer": schema_ref(StreamText),
                     "citations": {"type": "array", "items": schema_ref(CitationOut)},
                     "done": schema_ref(StreamDone), "error": schema_ref(ErrorDetail)}
# Models that only the events name: install_api adds them to the document's components.
EVENT_MODELS = (StreamText, StreamDone, CitationOut, ErrorDetail, ErrorResponse)


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
