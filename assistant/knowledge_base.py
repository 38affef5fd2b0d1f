"""The assistant from Python: one entry point over the whole pipeline.

    from assistant import KnowledgeBase

    kb = KnowledgeBase.open(index_dir="index", corpus_dir="corpus")
    kb.ingest()                                   # index what changed in the corpus
    answer = kb.ask("Wat is een proeftuin?")      # Answer: text with [n], citations
    for hit in kb.search("coöperatief wonen", k=3):
        print(hit.passage.meta.title, round(hit.score, 3))

Everything returned is one of the frozen types of `assistant.types` (`Answer`, `Citation`,
`Hit`, `Turn`); the modules behind this class are internal and may move. Settings come from
the `ASSISTANT_*` environment as for the CLI, then from the arguments given here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from assistant.config import Settings
from assistant.errors import InputError
from assistant.models.encoder import Embedder
from assistant.ingest.indexer import IngestReport
from assistant.search.regions import REGIONS
from assistant.languages import LANGUAGES
from assistant.service import Assistant
from assistant.wiring import build_assistant
from assistant.types import Answer, Hit, Turn

# Earlier turns, oldest first: Turns, (question, answer) pairs, or OpenAI-style messages
# ({"role": "user" | "assistant", "content": str}; "system" and "developer" ones are skipped,
# as /v1 does).
History = Iterable[Turn | tuple[str, str] | Mapping[str, str]]
# `k`, passages returned, means the same everywhere: 1 to 50 (ASSISTANT_TOP_K, `--k`, /api/search).
K_RANGE = range(1, 51)
K_MEANING = f"k is the number of passages to return, from {K_RANGE[0]} to {K_RANGE[-1]}"


class ArgumentError(InputError, ValueError):
    """A call given a value it cannot use (a malformed history, a `k` out of range)."""


class KnowledgeBase:
    """A corpus folder, its index and the answering service, ready to ask."""

    def __init__(self, service: Assistant) -> None:
        self._service = service

    @classmethod
    def open(cls, index_dir: str | Path | None = None, corpus_dir: str | Path | None = None,
             settings: Settings | None = None, *, embedder: Embedder | None = None,
             **overrides) -> KnowledgeBase:
        """Open (or prepare to build) the index in `index_dir` for the documents in `corpus_dir`.

        `overrides` are Settings fields (`encoder="e5-small"`, `top_k=3`, ...); `embedder`
        replaces the configured encoder (tests pass a small fake). Nothing is loaded until
        the first call that needs the model or the index.
        """
        values = dict(overrides)
        if index_dir is not None:
            values["index_dir"] = Path(index_dir)
        if corpus_dir is not None:
            values["corpus_dir"] = Path(corpus_dir)
        base = settings or Settings()
        # Validated as the environment's values are (`top_k=0` is refused, not kept).
        settings = type(base)(**{**base.model_dump(), **values}) if values else base
        return cls(build_assistant(settings, embedder=embedder))

    def __repr__(self) -> str:
        s = self.settings
        return (f"KnowledgeBase(index_dir={str(s.index_dir)!r}, corpus_dir={str(s.corpus_dir)!r}, "
                f"encoder={s.encoder!r}, store={s.chroma_mode!r})")

    @property
    def settings(self) -> Settings:
        return self._service.settings

    def ingest(self, *, rebuild: bool = False, show_progress: bool = False) -> IngestReport:
        """Index new and changed documents (all of them with `rebuild`); unreadable files are
        skipped and listed in the report, and the new index goes live in one step."""
        return self._service.pipeline.ingest(rebuild=rebuild, show_progress=show_progress)

    def search(self, question: str, k: int | None = None, *,
               region: str | None = None) -> tuple[Hit, ...]:
        """The best `k` passages for a question (any of NL/FR/EN), best first, with their
        scores; `k` from 1 to 50, the `top_k` setting when None. `region` (`flanders`,
        `brussels`, `netherlands`, `eu`) keeps that region's documents and the European ones."""
        return self._service.search(question, check_k(k), check_region(region)).hits

    def ask(self, question: str, history: History = (), *, lang: str | None = None,
            region: str | None = None) -> Answer:
        """A cited answer in the asker's language, or a refusal that says where to ask.

        `history` holds the earlier turns, oldest first, as `Turn`s, (question, answer)
        pairs or OpenAI-style messages (`{"role": "user", "content": ...}`, then the
        assistant's): a follow-up such as "En in Brussel?" is read in their light. Anything
        else raises `ArgumentError` (a ValueError). `lang` (`nl`, `fr`, `en`) is the answer's
        language, as in the API (detected when None); `region` as for `search`, and a refusal
        then names that region's public services.
        """
        return self._service.ask(question, _turns(history), check_lang(lang), check_region(region))

    def stream(self, question: str, history: History = (), *, lang: str | None = None,
               region: str | None = None) -> Iterator[str | Answer]:
        """The answer's text in pieces as it is made, then the finished `Answer` last."""
        return self._service.stream(question, _turns(history), check_lang(lang),
                                    check_region(region))


def check_k(k: int | None) -> int | None:
    """`k` itself when it is None or in K_RANGE; else ArgumentError."""
    if k is None or (type(k) is int and k in K_RANGE):
        return k
    raise ArgumentError(f"{K_MEANING}; got {k!r}")


def check_region(region: str | None) -> str | None:
    if region is None or region in REGIONS:
        return region
    raise ArgumentError(f"region is one of {', '.join(REGIONS)} (or None: every region); got {region!r}")


def check_lang(lang: str | None) -> str | None:
    if lang is None or lang in LANGUAGES:
        return lang
    raise ArgumentError(f"lang is one of {', '.join(LANGUAGES)} (or None: detected); got {lang!r}")


HISTORY_SHAPES = ("a list, oldest first, of Turns, (question, answer) pairs of strings, or "
                  "{'role': 'user' | 'assistant', 'content': str} messages")
SKIPPED_ROLES = ("system", "developer")


def _turns(history: History) -> tuple[Turn, ...]:
    if isinstance(history, (str, bytes, Mapping)):
        raise ArgumentError(f"history must be {HISTORY_SHAPES}; got a {type(history).__name__}")
    items = list(history)
    if any(isinstance(item, Mapping) for item in items):
        return _message_turns(items)
    turns = []
    for i, item in enumerate(items):
        if isinstance(item, Turn):
            turns.append(item)
        elif (isinstance(item, (tuple, list)) and len(item) == 2
              and all(isinstance(part, str) for part in item)):
            turns.append(Turn(*item))
        else:
            raise ArgumentError(f"history[{i}] is {_shown(item)}; history must be {HISTORY_SHAPES}")
    return tuple(turns)


def _message_turns(items: list) -> tuple[Turn, ...]:
    """OpenAI-style messages -> Turns (a user message and the assistant's reply after it)."""
    turns: list[Turn] = []
    for i, item in enumerate(items):
        role = item.get("role") if isinstance(item, Mapping) else None
        content = item.get("content") if isinstance(item, Mapping) else None
        if role in SKIPPED_ROLES:
            continue
        if role not in ("user", "assistant") or not isinstance(content, str):
            raise ArgumentError(f"history[{i}] is {_shown(item)}; messages must be "
                                "{'role': 'user' | 'assistant', 'content': str} (and not mixed "
                                "with pairs or Turns)")
        if role == "user":
            turns.append(Turn(content))
        elif turns and not turns[-1].answer:
            turns[-1] = Turn(turns[-1].question, content)
    return tuple(turns)


def _shown(item: object) -> str:
    text = repr(item)
    return text if len(text) <= 80 else text[:79] + "…"
