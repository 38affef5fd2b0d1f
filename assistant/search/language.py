"""Which of the corpus languages (nl, fr, en) a text is written in, with py3langid."""

from __future__ import annotations

from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

LANGUAGES = ("nl", "fr", "en")
# Detection walks every byte; the opening of a document is enough to decide.
_SAMPLE_CHARS = 5000


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect_language(text: str) -> str:
    """"nl", "fr" or "en": the likeliest of the three, even for a short or mixed text."""
    language, _ = _identifier().classify(text[:_SAMPLE_CHARS])
    return language
