"""What a citizen checks an answer against: one source per document, and how old they are.

Citations stay one per passage (`[n]` in the text); a document quoted in several passages
is one source holding those citations, numbered by first use.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer.messages import say
from assistant.types import Citation, DocumentMeta

_YEAR = re.compile(r"\b(1[89]\d\d|2\d\d\d)\b")


@dataclass(frozen=True)
class Source:
    """Source `number`: a document and the citations of it, in the answer's order."""

    number: int
    doc_id: str
    meta: DocumentMeta
    citations: tuple[Citation, ...]


def group_sources(citations: Sequence[Citation]) -> list[Source]:
    by_document: dict[str, list[Citation]] = {}
    for citation in citations:
        by_document.setdefault(citation.passage.doc_id, []).append(citation)
    return [Source(number, doc_id, group[0].passage.meta, tuple(group))
            for number, (doc_id, group) in enumerate(by_document.items(), 1)]


def source_numbers(citations: Sequence[Citation]) -> dict[int, int]:
    """Citation n -> the number of its source."""
    return {c.n: source.number for source in group_sources(citations) for c in source.citations}


def document_year(date: str) -> int | None:
    """The year a date names ("2014", "2024-03-01", "mei 2022"); None without one."""
    found = _YEAR.search(date or "")
    return int(found.group()) if found else None


def age_notice(citations: Sequence[Citation], language: str, max_age_years: int,
               this_year: int) -> str:
    """"Based on documents from 2014" when every cited document is older than
    `max_age_years`; "" when one is recent or undated (its age is unknown)."""
    years = [document_year(c.passage.meta.date) for c in citations]
    if not years or None in years or any(this_year - year <= max_age_years for year in years):
        return ""
    first, last = min(years), max(years)
    return say("dated", language, years=str(first) if first == last else f"{first}–{last}")


def source_json(source: Source) -> dict:
    """One entry of an answer's `sources`: the document's metadata and its citations' quotes."""
    meta = source.meta
    return {
        "source": source.number,
        "doc_id": source.doc_id,
        "title": meta.title,
        "publisher": meta.publisher,
        "date": meta.date,
        "url": meta.url,
        "language": meta.language,
        "region": meta.region,
        "citations": [c.n for c in source.citations],
        "quotes": [{"n": c.n, "passage_id": c.passage.passage_id, "quote": c.quote}
                   for c in source.citations],
    }
