"""Document -> passages: whole sentences packed up to a size, with exact character spans.

Sentences come from NLTK's Punkt models (each language's profile names one), which llama-index
ships offline; lines are split first because headings, bullets and form fields carry no
final punctuation and would otherwise glue onto the next sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.languages import PROFILES
from assistant.types import Document, Passage

_LINE = re.compile(r"[^\n]+")
_HEADING_MAX_CHARS = 80
# A heading whose section holds this much text opens a topic; shorter sections ("Voor wie",
# "Wanneer" on an event page) are read as details of the topic above them.
_TOPIC_BODY_CHARS = 200
_WORD_BREAK = re.compile(r"\s+")


@dataclass(frozen=True)
class ChunkingParams:
    """Recorded in the index manifest: changing them forces a rebuild."""

    max_chars: int = 600
    overlap_sentences: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"max_chars": self.max_chars, "overlap_sentences": self.overlap_sentences}


# Cached by the model's name, not the code: a language registered later finds its own.
@lru_cache(maxsize=None)
def _punkt(name: str):
    import llama_index.core
    import nltk
    from nltk.tokenize.punkt import PunktTokenizer

    bundled = Path(llama_index.core.__file__).parent / "_static" / "nltk_cache"
    if str(bundled) not in nltk.data.path:
        nltk.data.path.insert(0, str(bundled))
    return PunktTokenizer(name)


def sentence_spans(text: str, language: str = "en") -> list[tuple[int, int]]:
    """Spans of sentences (and of punctuation-less lines such as headings), stripped."""
    tokenizer = _punkt(PROFILES[language].punkt if language in PROFILES else "english")
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        offset = line.start()
        for start, end in tokenizer.span_tokenize(line.group()):
            piece = text[offset + start : offset + end]
            stripped = piece.strip()
            if not stripped or not any(ch.isalnum() for ch in stripped):
                continue
            lead = len(piece) - len(piece.lstrip())
            spans.append((offset + start + lead, offset + start + lead + len(stripped)))
    return spans


def _split_long(text: str, start: int, end: int, max_chars: int) -> Iterator[tuple[int, int]]:
    """Cut an over-long sentence at word boundaries so no passage nears the 512-token limit."""
    while end - start > max_chars:
        cut = start + max_chars
        breaks = [m.start() for m in _WORD_BREAK.finditer(text, start + max_chars // 2, cut)]
        if breaks:
            cut = breaks[-1]
        yield start, cut
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        yield start, end


def is_heading(line: str) -> bool:
    """A short line with no closing punctuation: "Voor wie", "Deelnemende steden"."""
    line = line.strip()
    return (2 < len(line) <= _HEADING_MAX_CHARS and line[0].isupper()
            and line[-1] not in ".!:;,•" and not line.startswith(("•", "-", "*")))


def heading_paths(text: str, units: list[tuple[int, int]]) -> list[str]:
    """For each unit, the headings it sits below ("" for a heading itself: never an answer).

    Plain text has no heading levels, so a level is inferred: a heading with a long
    section is a topic, a heading with a short one a detail under the last topic.
    """
    headings = [is_heading(text[s:e]) for s, e in units]
    body = [0] * len(units)
    owner = None
    for i, (start, end) in enumerate(units):
        if headings[i]:
            owner = i
        elif owner is not None:
            body[owner] += end - start
    paths, topic, current = [], "", ""
    for i, (start, end) in enumerate(units):
        if headings[i]:
            line = text[start:end]
            if body[i] >= _TOPIC_BODY_CHARS:
                topic, current = line, line
            else:
                current = f"{topic}\n{line}" if topic else line
            paths.append("")
        else:
            paths.append(current)
    return paths


def chunk_document(document: Document, params: ChunkingParams) -> list[Passage]:
    """Greedy packing of whole sentences; neighbours share `overlap_sentences` sentences."""
    text = document.text
    units = [
        piece
        for start, end in sentence_spans(text, document.meta.language)
        for piece in _split_long(text, start, end, params.max_chars)
    ]
    paths = heading_paths(text, units)
    passages: list[Passage] = []
    first = 0
    while first < len(units):
        last = first
        while last + 1 < len(units) and units[last + 1][1] - units[first][0] <= params.max_chars:
            last += 1
        start, end = units[first][0], units[last][1]
        body = text[start:end]
        passages.append(
            Passage(
                passage_id=Passage.make_id(document.doc_id, start, end, body),
                doc_id=document.doc_id,
                text=body,
                start=start,
                end=end,
                meta=document.meta,
                sentences=tuple((s - start, e - start) for s, e in units[first : last + 1]),
                contexts=tuple(paths[first : last + 1]),
            )
        )
        if last + 1 >= len(units):
            break
        first = max(first + 1, last + 1 - params.overlap_sentences)
        # Keep only the overlap that fits beside the next new unit: otherwise the next
        # passage would be the overlap alone, a duplicate slice of this one.
        while first <= last and units[last + 1][1] - units[first][0] > params.max_chars:
            first += 1
    return passages


def with_context(passage: Passage, text: str) -> str:
    """What the encoder sees: the title gives a passage or sentence the context it lacks."""
    title = passage.meta.title
    return f"{title}\n{text}" if title else text


def embedding_texts(passage: Passage) -> tuple[str, list[str]]:
    """The passage, and each sentence under the headings it sits below (docs/retrieval.md).

    "Directeuren en bestuurders ..." only answers "Voor wie is de Transitie Pressure Cooker
    bedoeld?" when read under "Transitie Pressure Cooker / Voor wie". A heading is context,
    never an answer: it gets an empty slot (not embedded).
    """
    sentences = []
    for (start, end), context in zip(passage.sentences, passage.contexts):
        sentence = passage.text[start:end]
        if is_heading(sentence):
            sentences.append("")
        else:
            sentences.append(with_context(passage, f"{context}\n{sentence}" if context else sentence))
    return with_context(passage, passage.text), sentences
