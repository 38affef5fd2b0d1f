"""Typed settings in one place; every field can be set as ASSISTANT_<NAME> in the environment."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator

from assistant.referrals import DEFAULT_REFERRALS
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The product makes no third-party calls; set before any library reads them.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# torch's OpenMP threads sleep rather than spin between operations: a server's other threads
# (HTTP, Gradio, Chroma) then get the cores. Under 20 clients on 2 cores, 16% less CPU per
# request; with one core taken by another process, 60% more requests/s (benchmarks/load.py,
# docs/scaling.md); ingest within 2%. Read when torch loads, so set before it is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "housing-assistant"


Encoder = Literal["embeddinggemma", "embeddinggemma-onnx-int8", "e5-small", "e5-small-onnx-int8"]
# `host[:port]` as in a Host header (an IPv6 address in brackets), lower-case.
AUTHORITY = re.compile(r"(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::([0-9]{1,5}))?")
# Names of the e5-small engines before EmbeddingGemma arrived; still accepted.
_ENCODER_ALIASES = {"sentence-transformers": "e5-small", "onnx-int8": "e5-small-onnx-int8"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="forbid")

    # --- where things live
    corpus_dir: Path = Field(Path("corpus"), description="Folder of documents to index.")
    index_dir: Path = Field(Path("index"), description="Folder of the embedded index.")
    cache_dir: Path = Field(
        default_factory=_default_cache, description="Prepared models (outside git)."
    )

    # --- embedding
    encoder: Encoder = Field(
        "embeddinggemma",
        description="Model that embeds passages and queries: embeddinggemma (EmbeddingGemma-300M, "
                    "best answers), embeddinggemma-onnx-int8 (its int8 engine: 3.5x faster "
                    "queries, sentences embedded as texts of their own), e5-small "
                    "(multilingual-e5-small, ~4x faster) or e5-small-onnx-int8 (its int8 engine). sentence-transformers and onnx-int8 "
                    "are the older names of the two e5-small choices.",
    )
    model_path: Path | None = Field(
        None,
        description="A sentence-transformers folder to use instead of the prepared encoder; "
                    "its own query/document prompts are used.",
    )
    embed_batch_size: int = Field(32, ge=1, description="Passages per encoder call.")

    # --- chunking (measured in docs/retrieval.md)
    chunk_chars: int = Field(600, ge=100, description="Target passage length in characters.")
    chunk_overlap_sentences: int = Field(0, ge=0, description="Sentences shared by neighbours.")
    max_decompressed_bytes: int = Field(
        32 * 2**20, ge=2**20,
        description="Most bytes one corpus document may decompress to: a DOCX (all its parts; "
                    "it is parsed in memory, ~25x this at worst) or one .jsonl.gz record. "
                    "Larger ones are skipped with a reason (zip and gzip bombs).")
    max_file_bytes: int = Field(
        64 * 2**20, ge=2**20,
        description="Largest corpus file read (size on disk), but for JSONL exports, which are "
                    "read a record at a time (each within max_decompressed_bytes). Larger "
                    "files are skipped unread, with a reason.")
    max_document_chars: int = Field(
        4_000_000, ge=10_000,
        description="Most characters of text one document (a file, or a JSONL record) may "
                    "hold: ~6,700 passages of 600 characters, hours of embedding on a CPU. "
                    "Longer ones are skipped with a reason.")
    max_parse_seconds: float = Field(
        60, gt=0,
        description="Seconds one file may take to read (its text extracted, in a worker "
                    "process); past them the worker is stopped and the file skipped.")
    max_parse_memory_bytes: int = Field(
        1024 * 2**20, ge=64 * 2**20,
        description="Memory the worker that reads one file may take beyond its own modules; "
                    "a file that needs more is skipped with a reason.")

    # --- store
    chroma_mode: Literal["embedded", "server"] = Field(
        "embedded", description="Embedded PersistentClient under index_dir, or a Chroma server."
    )
    chroma_host: str = Field("127.0.0.1", description="Chroma server host (server mode).")
    chroma_port: int = Field(8000, description="Chroma server port (server mode).")
    collection_prefix: str = Field("housing", min_length=3, description="Chroma collection prefix.")

    # --- retrieval
    top_k: int = Field(5, ge=1, le=50, description="Passages returned by search.")
    candidates: int = Field(
        100, ge=5, description="Candidates per retriever before fusion; all are reranked by "
                               "their best sentence (40 left the evidence out of the reader's "
                               "pool for 11% of questions in a 165-document base).")
    reader_pool: int = Field(
        30, ge=1, le=100, description="Passages the reader reads before the top_k are chosen "
                                      "(assistant/read/reader.py).")
    lexical_weight_same_language: float = Field(
        0.05, ge=0, description="Weight of BM25 when question and passage share a language."
    )
    lexical_weight_cross_language: float = Field(
        0.0, ge=0, description="Weight of BM25 across languages (few shared words)."
    )

    # --- answering
    max_question_chars: int = Field(1000, ge=10, description="Longest question accepted.")
    max_history_turns: int = Field(10, ge=0, description="Earlier turns used for follow-ups.")
    referrals: dict[str, dict[str, str]] = Field(
        default_factory=lambda: DEFAULT_REFERRALS,
        description="Where to ask when the knowledge base has no answer: region -> language -> text; '' is the fallback.",
    )
    old_document_years: int = Field(
        5, ge=0, description="An answer citing only documents more than this many years old "
                             "(by the year of their date) says from when they are.")

    # --- optional generative answers (assistant/llm.py); off unless llm_base_url is set
    llm_base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1; "
                          "None keeps answers extractive (no call is made).")
    llm_model: str = Field("", description="Model name sent to the LLM endpoint.")
    llm_api_key: SecretStr = Field(
        SecretStr(""), description="Bearer token for the LLM endpoint; empty sends none.")
    llm_timeout_s: float = Field(
        30, gt=0, description="Seconds allowed for a whole LLM reply (also per connect/read) "
                              "before falling back to the extractive answer.")

    # --- HTTP API and widget
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Portal origins (scheme://host[:port]) allowed to call the API from a "
                    "browser; the server's own origin always is. '*' allows every origin.")
    public_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated host[:port] names the server is reached by (without a "
                    "port: on any), as browsers send them in Host (or a trusted proxy in "
                    "X-Forwarded-Host); localhost, 127.0.0.1, [::1] and the address the server "
                    "listens on always are, at its port. A request naming another host is "
                    "refused 403 (DNS rebinding), and so is an Origin that is neither one of "
                    "these nor in allowed_origins.")
    rate_limit: str = Field("30/minute", description="Per client IP, for the ask endpoints.")
    search_rate_limit: str = Field(
        "120/minute", description="Per client IP: search and the chat's lighter events.")
    max_body_bytes: int = Field(32768, ge=1024, description="Largest request body accepted.")
    max_history_messages: int = Field(40, ge=0, description="Longest history a request may send.")
    feedback_rate_limit: str = Field("20/minute", description="Per client IP, votes (API and chat).")
    max_chat_body_bytes: int = Field(
        262144, ge=1024, description="Largest request body the chat accepts (it sends the "
                                     "conversation shown with each question).")
    chat_concurrency: int = Field(
        8, ge=1, description="Chat answers computed at once; more wait in the chat's queue. "
        "Their questions share encoder passes (search/query_batching.py), so on 2 cores 8 "
        "keeps the chat's p95 at 2.1 s under 20 clients where 2 gave 4.6 s (benchmarks/load.py).")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses of reverse proxies whose X-Forwarded-For/-Proto are believed; "
                    "empty: none, the client is the peer of the connection.")
    max_connections: int = Field(
        1000, ge=10, description="Open connections served at once; more are closed at once.")
    max_streams_per_client: int = Field(
        8, ge=1, description="The chat's long-lived requests (Gradio's heartbeat and answer "
                             "streams) one client address may hold open at once; more are "
                             "refused 429. All clients together may hold half of "
                             "max_connections (503 past that), and each heartbeat opened is "
                             "charged to the client's search_rate_limit.")
    max_stream_seconds: float = Field(
        600, gt=0, description="Seconds a heartbeat or answer stream of the chat stays open; "
                               "then it is ended as soon as its session has no question in "
                               "progress (at most 60 s later).")
    header_timeout_s: float = Field(
        10, gt=0, description="Seconds a connection may take to send a request's head "
                              "(after opening or after its previous response).")
    body_timeout_s: float = Field(10, gt=0, description="Seconds allowed to send a request body.")

    # --- feedback
    feedback_dir: Path = Field(Path("feedback"), description="Where thumbs up/down are stored.")
    feedback_store_questions: bool = Field(
        False, description="Also store the question text with feedback (off: privacy)."
    )
    retention_days: int = Field(
        90, ge=1, description="Days kept of the ask counts, feedback and (opted-in) question "
                              "texts; older entries are purged at start-up, by `assistant "
                              "report` and by the first answer of each day.")
    insight_min_group: int = Field(
        5, ge=2, description="Refused questions that must share a word before it is written "
                             "down and shown in the report (no single question can be read back).")
    # /privacy names who is responsible for the data; empty: it says the operator has not yet.
    privacy_controller: str = Field(
        "", max_length=500, description="Who is responsible for the data (name and address), "
                                        "shown on /privacy.")
    privacy_contact: str = Field(
        "", max_length=500, description="How a person reaches them about their data (e-mail, "
                                        "address or web page), shown on /privacy.")
    privacy_authority: str = Field(
        "", max_length=500, description="The data protection authority a person may complain "
                                        "to (name and web address), shown on /privacy.")
    insight_token: SecretStr = Field(
        SecretStr(""), description="Bearer token of the officials' page /insight; empty: the page is off.")

    @field_validator("public_hosts", mode="before")
    @classmethod
    def _host_list(cls, value: object) -> object:
        names = value.split(",") if isinstance(value, str) else value
        if not isinstance(names, list):
            return value
        names = [str(name).strip().lower() for name in names if str(name).strip()]
        for name in names:
            if not AUTHORITY.fullmatch(name):
                raise ValueError(f"{name[:60]!r} is not host[:port] (no scheme, no path)")
        return names

    @field_validator("encoder", mode="before")
    @classmethod
    def _encoder_alias(cls, value: object) -> object:
        return _ENCODER_ALIASES.get(value, value) if isinstance(value, str) else value


def settings_error(error: Exception) -> str:
    """One line for the person who set the environment: each ASSISTANT_* variable refused and
    why (a pydantic ValidationError, or pydantic-settings' SettingsError for a value that is
    not the JSON a list or mapping needs). Secrets' values are never repeated."""
    problems = getattr(error, "errors", None)
    if not callable(problems):  # SettingsError: 'error parsing value for field "x" from source ...'
        field = str(error).partition('field "')[2].partition('"')[0]
        name = f"ASSISTANT_{field.upper()}" if field else "an ASSISTANT_* variable"
        return f"{name}: not valid JSON (a list or mapping is written as JSON)"
    parts = []
    for problem in problems():
        field, *inner = problem.get("loc") or ("?",)
        name = f"ASSISTANT_{str(field).upper()}" + "".join(f"[{part!r}]" for part in inner)
        secret = Settings.model_fields.get(str(field)) is not None and \
            Settings.model_fields[str(field)].annotation is SecretStr
        given = "" if secret or "input" not in problem else f" (got {str(problem['input'])[:60]!r})"
        parts.append(f"{name}: {problem.get('msg', 'invalid value')}{given}")
    return "; ".join(parts)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
