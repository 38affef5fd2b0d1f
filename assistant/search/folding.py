"""Accent- and case-folding shared by the lexical index, the region names, the reader and the
refusal (no heavy imports)."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+")
ANCHOR_CHARS = 5  # a shared 5-letter prefix: names, numbers and cognates across languages
ANCHOR_MIN_WORD = 4


def fold(text: str) -> str:
    """Lowercase without accents: 'coöperatief' and 'coopératif' then share a prefix."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def anchors(text: str, ignore: frozenset[str] = frozenset()) -> set[str]:
    """The first five letters of each folded word of four letters or more (any language)."""
    return {word[:ANCHOR_CHARS] for word in _WORD.findall(fold(text))
            if len(word) >= ANCHOR_MIN_WORD and word not in ignore}
