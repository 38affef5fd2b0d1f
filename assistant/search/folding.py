"""Accent- and case-folding shared by the lexical index and the region names (no heavy imports)."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lowercase without accents: 'coöperatief' and 'coopératif' then share a prefix."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
