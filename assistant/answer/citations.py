"""Pure citation logic: numbering by first use, verbatim quotes, marking, JSON shape."""

from __future__ import annotations

from collections.abc import Iterable

from assistant.types import Citation, Passage


def number_citations(quotes: Iterable[tuple[Passage, int, int]]) -> list[Citation]:
    """One number per passage, in order of first use; several quotes of one passage merge."""
    order: list[str] = []
    by_passage: dict[str, tuple[Passage, int, int]] = {}
    for passage, start, end in quotes:
        pid = passage.passage_id
        if pid in by_passage:
            _, old_start, old_end = by_passage[pid]
            by_passage[pid] = (passage, min(start, old_start), max(end, old_end))
        else:
            order.append(pid)
            by_passage[pid] = (passage, start, end)
    return [Citation(n, *by_passage[pid]) for n, pid in enumerate(order, 1)]


def marked_segments(citation: Citation) -> list[tuple[str, bool]]:
    """The whole passage as (text, is_quoted) pieces, for highlighting the supporting part."""
    text = citation.passage.text
    pieces = [(text[: citation.quote_start], False),
              (text[citation.quote_start : citation.quote_end], True),
              (text[citation.quote_end :], False)]
    return [piece for piece in pieces if piece[0]]


def citation_json(citation: Citation) -> dict:
    """The shape other tools read (`eval --json`, the API); extended, never renamed."""
    p = citation.passage
    return {
        "n": citation.n,
        "passage_id": p.passage_id,
        "doc_id": p.doc_id,
        "title": p.meta.title,
        "quote": citation.quote,
        "passage": p.text,
        "publisher": p.meta.publisher,
        "date": p.meta.date,
        "url": p.meta.url,
        "language": p.meta.language,
        "region": p.meta.region,
        "quote_start": citation.quote_start,
        "quote_end": citation.quote_end,
    }

