"""The one accent- and case-folding of the project: the lexical index, the region names, the
reader, the refusal, follow-ups and short answers compare words with it (no heavy imports)."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+")
ANCHOR_CHARS = 5  # a shared 5-letter prefix: names, numbers and cognates across languages
ANCHOR_MIN_WORD = 4


def fold(text: str) -> str:
    """Lowercase without accents, one kind of apostrophe: 'coöperatief' and 'coopératif' then
    share a prefix, "jusqu’à" is "jusqu'à". lower(), not casefold(): the saved lexical indexes
    hold words folded so ("ß" stays)."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("’", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def anchors(text: str, ignore: frozenset[str] = frozenset()) -> set[str]:
    """The first five letters of each folded word of four letters or more (any language)."""
    return {word[:ANCHOR_CHARS] for word in _WORD.findall(fold(text))
            if len(word) >= ANCHOR_MIN_WORD and word not in ignore}
