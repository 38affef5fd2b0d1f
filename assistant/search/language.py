"""Which of the supported languages (assistant.languages) a text is written in, with py3langid."""

from __future__ import annotations

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from assistant.languages import LANGUAGES, from_profiles

# Detection walks every byte; the opening of a document is enough to decide.
_SAMPLE_CHARS = 5000


@from_profiles
def _identifier() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect_language(text: str) -> str:
    """The likeliest registered language ("nl", "fr", "en", ...), even for a short or mixed text."""
    language, _ = _identifier().classify(text[:_SAMPLE_CHARS])
    return language
