"""Frozen dataclasses passed between the pipeline stages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np


def _short(text: str, limit: int = 60) -> str:
    """`text` on one line, cut to `limit` characters, as repr writes it."""
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


@dataclass(frozen=True)
class DocumentMeta:
    """What a citation shows about a document; empty strings where the source is silent."""

    title: str = ""
    publisher: str = ""
    date: str = ""
    language: str = ""
    region: str = ""
    url: str = ""

    def as_flat_dict(self) -> dict[str, str]:
        return {
            "title": self.title,
            "publisher": self.publisher,
            "date": self.date,
            "language": self.language,
            "region": self.region,
            "url": self.url,
        }


@dataclass(frozen=True)
class Document:
    """A loaded corpus document; `doc_id` is stable across runs (derived from its path)."""

    doc_id: str
    text: str
    meta: DocumentMeta
    source: str = ""

    def __repr__(self) -> str:
        return (f"Document({self.doc_id!r}, title={_short(self.meta.title, 40)}, "
                f"{len(self.text)} characters: {_short(self.text)})")

    @property
    def content_hash(self) -> str:
        """Changes whenever the text or the metadata a citation shows changes."""
        digest = hashlib.sha256(self.text.encode("utf-8"))
        for value in self.meta.as_flat_dict().values():
            digest.update(b"\0" + value.encode("utf-8"))
        return digest.hexdigest()


@dataclass(frozen=True)
class Skipped:
    """A corpus file that could not be loaded, with a one-line reason."""

    path: str
    reason: str


@dataclass(frozen=True)
class Passage:
    """A slice `document.text[start:end]` ready for retrieval, with its document's metadata."""

    passage_id: str
    doc_id: str
    text: str
    start: int
    end: int
    meta: DocumentMeta = field(default_factory=DocumentMeta)
    # Sentence spans relative to `text`: answers quote whole sentences.
    sentences: tuple[tuple[int, int], ...] = ()
    # The headings each sentence sits below: chunking fills them for embedding; passages
    # read back from the store do not carry them (their vectors already do).
    contexts: tuple[str, ...] = field(default=(), compare=False)

    def __repr__(self) -> str:
        return (f"Passage({self.passage_id!r}, doc_id={self.doc_id!r}, "
                f"span={self.start}-{self.end}, text={_short(self.text)})")

    @staticmethod
    def make_id(doc_id: str, start: int, end: int, text: str) -> str:
        """Content-derived id: the same slice of the same text keeps its id across re-indexing."""
        key = f"{doc_id}\0{start}\0{end}\0{text}".encode("utf-8")
        return hashlib.sha1(key).hexdigest()[:20]


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence of a passage (span relative to the passage text) and its cosine to the question."""

    start: int
    end: int
    cosine: float


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with its fused score and the evidence behind it."""

    passage: Passage
    score: float
    dense: float = 0.0
    lexical: float = 0.0
    sentences: tuple[ScoredSentence, ...] = ()
    # One row per `passage.sentences` (zeros: no vector, a heading); scored into
    # `sentences` only for the candidates that reach the rerank.
    sentence_vectors: np.ndarray | None = field(default=None, compare=False, repr=False)

    def __repr__(self) -> str:
        p = self.passage
        return (f"Hit(score={self.score:.4f}, passage_id={p.passage_id!r}, "
                f"title={_short(p.meta.title, 40)}, text={_short(p.text)})")


@dataclass(frozen=True)
class Citation:
    """Source `[n]`: `quote` is `passage.text[quote_start:quote_end]`, verbatim."""

    n: int
    passage: Passage
    quote_start: int
    quote_end: int

    @property
    def quote(self) -> str:
        return self.passage.text[self.quote_start : self.quote_end]

    def __repr__(self) -> str:
        return (f"Citation(n={self.n}, passage_id={self.passage.passage_id!r}, "
                f"title={_short(self.passage.meta.title, 40)}, quote={_short(self.quote)})")


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation, used to make follow-ups self-contained."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Answer:
    """What the asker reads: `text` carries `[n]` markers that point into `citations`."""

    question: str
    language: str
    text: str
    refused: bool
    citations: tuple[Citation, ...] = ()
    standalone_question: str = ""

    def __repr__(self) -> str:
        """One line: the text's start and the citations' numbers (each Citation has its own)."""
        numbers = ", ".join(f"[{c.n}]" for c in self.citations)
        return (f"Answer(question={_short(self.question, 40)}, language={self.language!r}, "
                f"refused={self.refused}, text={_short(self.text, 80)}, citations={numbers or 'none'})")
