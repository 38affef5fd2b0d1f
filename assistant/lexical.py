"""BM25 over passages, each stemmed with the Snowball stemmer of its own language.

bm25s keeps the index as sparse matrices, so one query costs milliseconds even at 100k
passages; PyStemmer provides Dutch, French and English Snowball stemmers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import bm25s
import Stemmer
from bm25s import stopwords as bm25_stopwords

from .types import Passage

_STEMMERS = {"nl": "dutch", "fr": "french", "en": "english"}
_STOPWORDS = {
    "nl": bm25_stopwords.STOPWORDS_DUTCH,
    "fr": bm25_stopwords.STOPWORDS_FRENCH,
    "en": bm25_stopwords.STOPWORDS_EN,
}
_WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """Lowercase without accents: 'coöperatief' and 'coopératif' then share a prefix."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=4)
def _stemmer(language: str):
    return Stemmer.Stemmer(_STEMMERS.get(language, "english"))


@lru_cache(maxsize=4)
def stopwords(language: str) -> frozenset[str]:
    return frozenset(fold(word) for word in _STOPWORDS.get(language, ()))


def tokenize(text: str, language: str) -> list[str]:
    stop = stopwords(language)
    words = [w for w in _WORD.findall(fold(text)) if w not in stop and (len(w) > 1 or w.isdigit())]
    return _stemmer(language).stemWords(words)


class LexicalIndex:
    """Scores passages against a question, each stemmed in its own language."""

    def __init__(self, passages: Iterable[Passage]) -> None:
        ids: list[str] = []
        tokens: list[list[str]] = []
        for passage in passages:
            ids.append(passage.passage_id)
            tokens.append(tokenize(f"{passage.meta.title}\n{passage.text}", passage.meta.language))
        self.ids = ids
        self._bm25 = bm25s.BM25()
        if ids:
            self._bm25.index(tokens, show_progress=False)

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, question: str, language: str, k: int) -> list[tuple[str, float]]:
        """(passage_id, bm25 score) best first; only passages sharing a term."""
        query = tokenize(question, language)
        if not self.ids or not query:
            return []
        k = min(k, len(self.ids))
        docs, scores = self._bm25.retrieve([query], k=k, show_progress=False, n_threads=1)
        return [(self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]


def normalize(scores: list[tuple[str, float]]) -> dict[str, float]:
    """Scale to [0, 1] by the best score of this query, so weights mean the same per query."""
    if not scores:
        return {}
    best = max(score for _, score in scores)
    return {pid: score / best for pid, score in scores}
