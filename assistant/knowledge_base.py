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

from collections.abc import Iterable, Iterator
from pathlib import Path

from assistant.config import Settings
from assistant.ingest.embedding import Embedder
from assistant.ingest.indexer import IngestReport
from assistant.pipeline import Pipeline
from assistant.service import Assistant
from assistant.types import Answer, Hit, Turn

History = Iterable[Turn | tuple[str, str]]


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
        settings = base.model_copy(update=values) if values else base
        pipeline = Pipeline(settings, embedder=embedder)
        return cls(Assistant(settings, pipeline))

    @property
    def settings(self) -> Settings:
        return self._service.settings

    def ingest(self, *, rebuild: bool = False, show_progress: bool = False) -> IngestReport:
        """Index new and changed documents (all of them with `rebuild`); unreadable files are
        skipped and listed in the report, and the new index goes live in one step."""
        return self._service.pipeline.ingest(rebuild=rebuild, show_progress=show_progress)

    def search(self, question: str, k: int | None = None) -> tuple[Hit, ...]:
        """The best passages for a question (any of NL/FR/EN), best first, with their scores."""
        return self._service.search(question, k).hits

    def ask(self, question: str, history: History = ()) -> Answer:
        """A cited answer in the asker's language, or a refusal that says where to ask.

        `history` holds the earlier turns, oldest first, as `Turn`s or (question, answer)
        pairs: a follow-up such as "En in Brussel?" is read in their light.
        """
        return self._service.ask(question, _turns(history))

    def stream(self, question: str, history: History = ()) -> Iterator[str | Answer]:
        """The answer's text in pieces as it is made, then the finished `Answer` last."""
        return self._service.stream(question, _turns(history))


def _turns(history: History) -> tuple[Turn, ...]:
    return tuple(turn if isinstance(turn, Turn) else Turn(*turn) for turn in history)
