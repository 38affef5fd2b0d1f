"""A service and an answer for the chat's tests without a model: the answer quotes a document
whose text and metadata carry markup."""

from __future__ import annotations

import time

from assistant.config import Settings
from assistant.types import Answer, Citation, DocumentMeta, Passage, Turn


def make_answer(language: str = "fr", refused: bool = False) -> Answer:
    text = "Intro <b>x</b>. Nederland (Amsterdam en Eindhoven) deed mee. Rest."
    meta = DocumentMeta(title="NETCO <script>t</script>", publisher="Brussel *Huisvesting*",
                        date="2020", language="nl", url="https://example.org/doc (1)")
    passage = Passage("p1", "doc1", text, 0, len(text), meta)
    start = text.index("Nederland")
    citation = Citation(1, passage, start, text.index(" Rest"))
    text = "Voici :\n\n“Nederland (Amsterdam en Eindhoven) deed mee.” [1]"
    return Answer("q", language, text, refused, () if refused else (citation,))


class FakeService:
    """Streams like Assistant.stream; raises what it is told to."""

    def __init__(self, answer: Answer | None = None, error: Exception | None = None,
                 delay: float = 0.0) -> None:
        self.answer = answer or make_answer()
        self.error = error
        self.delay = delay  # seconds before each piece, as an LLM's deltas take
        self.calls: list[tuple[str, tuple[Turn, ...], str | None]] = []
        self.regions: list[str | None] = []
        self.settings = Settings()  # what ui.build_demo reads (chat_concurrency, feedback_*)

    def stream(self, question, history=(), language=None, region=None):
        self.calls.append((question, tuple(history), language))
        self.regions.append(region)
        if self.error is not None:
            raise self.error
        for piece in self.answer.text.split("\n\n"):
            time.sleep(self.delay)
            yield piece + "\n\n"
        yield self.answer
